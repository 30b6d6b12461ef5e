#include "alerts/alert_state_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace qw::alerts {
namespace {

namespace json = boost::json;

constexpr std::int64_t kVersion = 1;

std::int64_t to_ms(Time t) {
  return t.time_since_epoch().count();
}
Time from_ms(std::int64_t ms) {
  return Time{std::chrono::milliseconds{ms}};
}

json::object string_map(const std::map<std::string, std::string>& m) {
  json::object o;
  for (const auto& [k, v] : m) o[k] = v;
  return o;
}

void put_time(json::object& o, const char* key, const std::optional<Time>& t) {
  if (t) o[key] = to_ms(*t);
}

json::object encode_alert(const Alert& a) {
  json::object o;
  o["fingerprint"] = a.fingerprint;
  o["labels"] = string_map(a.labels);
  o["annotations"] = string_map(a.annotations);
  o["state"] = to_string(a.state);
  o["value"] = a.value;
  o["active_at"] = to_ms(a.active_at);
  put_time(o, "fired_at", a.fired_at);
  put_time(o, "resolved_at", a.resolved_at);
  put_time(o, "last_active", a.last_active);
  o["for_ms"] = a.for_duration.count();
  o["keep_firing_for_ms"] = a.keep_firing_for.count();
  return o;
}

// Decoding helpers: each throws std::runtime_error naming what is wrong, caught once below.
[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what);
}

const json::value& field(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) fail(std::string("missing \"") + key + "\"");
  return *v;
}

std::string get_string(const json::object& o, const char* key) {
  const json::value& v = field(o, key);
  if (!v.is_string()) fail(std::string("\"") + key + "\" is not a string");
  return std::string(v.get_string());
}

std::int64_t get_int(const json::object& o, const char* key) {
  const json::value& v = field(o, key);
  if (!v.is_int64()) fail(std::string("\"") + key + "\" is not an integer");
  return v.get_int64();
}

double get_double(const json::object& o, const char* key) {
  const json::value& v = field(o, key);
  if (v.is_double()) return v.get_double();
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  fail(std::string("\"") + key + "\" is not a number");
}

// An entry that is well-formed but cannot be right: skipped alone, the rest of the file is used.
struct BadEntry : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// 2000-01-01 to 2200-01-01 UTC. The daemon writes its own clock's times here; anything outside
// is damage or a hand edit, and would reach receivers as the year 292278994 (int64's edge) or
// overflow the planner's arithmetic.
constexpr std::int64_t kMinTimeMs = 946684800000;
constexpr std::int64_t kMaxTimeMs = 7258118400000;

Time time_field(const json::object& o, const char* key) {
  const std::int64_t ms = get_int(o, key);
  if (ms < kMinTimeMs || ms >= kMaxTimeMs) {
    throw BadEntry(std::string("\"") + key + "\" " + std::to_string(ms) +
                   " is not a time between 2000 and 2200 (Unix milliseconds)");
  }
  return from_ms(ms);
}

std::optional<Time> get_time(const json::object& o, const char* key) {
  if (!o.contains(key)) return std::nullopt;
  return time_field(o, key);
}

// Durations (for, keep_firing_for): at most ten years, never negative.
std::chrono::milliseconds duration_field(const json::object& o, const char* key) {
  constexpr std::int64_t kMaxMs = 10LL * 366 * 24 * 3600 * 1000;
  const std::int64_t ms = get_int(o, key);
  if (ms < 0 || ms > kMaxMs) {
    throw BadEntry(std::string("\"") + key + "\" " + std::to_string(ms) +
                   " is not a duration between 0 and ten years");
  }
  return std::chrono::milliseconds{ms};
}

const json::object& as_object(const json::value& v, const char* what) {
  if (!v.is_object()) fail(std::string(what) + " is not an object");
  return v.get_object();
}

const json::array& get_array(const json::object& o, const char* key) {
  const json::value& v = field(o, key);
  if (!v.is_array()) fail(std::string("\"") + key + "\" is not a list");
  return v.get_array();
}

std::map<std::string, std::string> get_string_map(const json::object& o, const char* key) {
  std::map<std::string, std::string> out;
  for (const auto& kv : as_object(field(o, key), key)) {
    if (!kv.value().is_string()) fail(std::string("a value in \"") + key + "\" is not a string");
    out.emplace(std::string(kv.key()), std::string(kv.value().get_string()));
  }
  return out;
}

AlertState parse_state(const std::string& s) {
  if (s == "inactive") return AlertState::inactive;
  if (s == "pending") return AlertState::pending;
  if (s == "firing") return AlertState::firing;
  fail("unknown alert state \"" + s + "\"");
}

Alert decode_alert(const json::object& o) {
  Alert a;
  a.fingerprint = get_string(o, "fingerprint");
  a.labels = get_string_map(o, "labels");
  a.annotations = get_string_map(o, "annotations");
  a.state = parse_state(get_string(o, "state"));
  a.value = get_double(o, "value");
  a.active_at = time_field(o, "active_at");
  a.fired_at = get_time(o, "fired_at");
  a.resolved_at = get_time(o, "resolved_at");
  a.last_active = get_time(o, "last_active");
  a.for_duration = duration_field(o, "for_ms");
  a.keep_firing_for = duration_field(o, "keep_firing_for_ms");
  return a;
}

std::string errno_text(const std::string& what, const std::string& path) {
  return what + " \"" + path + "\": " + std::strerror(errno);
}

}  // namespace

std::string encode_state(const PersistedState& state) {
  json::array alerts;
  for (const Alert& a : state.alerts) alerts.push_back(encode_alert(a));
  json::array deliveries;
  for (const DeliveryRecord& r : state.deliveries) {
    json::object o;
    o["receiver"] = r.receiver;
    o["fingerprint"] = r.fingerprint;
    o["incident_start"] = to_ms(r.incident_start);
    o["last_notified"] = to_ms(r.last_notified);
    if (!r.news.empty()) o["news"] = r.news;  // absent in files written before it existed
    deliveries.push_back(std::move(o));
  }
  json::object root;
  root["version"] = kVersion;
  root["alerts"] = std::move(alerts);
  root["deliveries"] = std::move(deliveries);
  return json::serialize(root) + "\n";
}

std::optional<PersistedState> decode_state(std::string_view text, std::string& error,
                                           std::vector<std::string>* skipped) {
  boost::system::error_code ec;
  const json::value root = json::parse(text, ec);
  if (ec) {
    error = "not valid JSON: " + ec.message();
    return std::nullopt;
  }
  try {
    const json::object& o = as_object(root, "the file");
    const std::int64_t version = get_int(o, "version");
    if (version != kVersion) fail("unsupported version " + std::to_string(version));
    PersistedState state;
    const auto skip = [&](const std::string& what, const BadEntry& e) {
      if (skipped != nullptr) skipped->push_back(what + ": " + e.what());
    };
    for (const json::value& v : get_array(o, "alerts")) {
      const json::object& a = as_object(v, "an alert");
      try {
        state.alerts.push_back(decode_alert(a));
      } catch (const BadEntry& e) {
        skip("alert " + get_string(a, "fingerprint"), e);
      }
    }
    for (const json::value& v : get_array(o, "deliveries")) {
      const json::object& d = as_object(v, "a delivery");
      try {
        const json::value* news = d.if_contains("news");
        state.deliveries.push_back(DeliveryRecord{
            get_string(d, "receiver"), get_string(d, "fingerprint"),
            time_field(d, "incident_start"), time_field(d, "last_notified"),
            news != nullptr && news->is_string() ? std::string(news->as_string()) : std::string()});
      } catch (const BadEntry& e) {
        skip("delivery record " + get_string(d, "receiver") + "/" + get_string(d, "fingerprint"),
             e);
      }
    }
    return state;
  } catch (const std::exception& e) {
    error = e.what();
    return std::nullopt;
  }
}

LoadedState load_state_file(const std::string& path) {
  LoadedState out;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno != ENOENT) out.problem = errno_text("cannot read alert state file", path);
    return out;
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::string error;
  std::vector<std::string> skipped;
  if (std::optional<PersistedState> state = decode_state(text.str(), error, &skipped)) {
    out.state = std::move(*state);
    for (const auto& s : skipped) {
      out.problem +=
          (out.problem.empty() ? "alert state file \"" + path + "\": skipped " : "; ") + s;
    }
    return out;
  }
  std::error_code ec;
  std::filesystem::rename(path, path + ".corrupt", ec);
  out.problem = "alert state file \"" + path + "\" is unusable (" + error +
                "); starting with no alerts" +
                (ec ? "" : ", the file was kept as \"" + path + ".corrupt\"");
  return out;
}

std::string save_state_file(const std::string& path, const PersistedState& state) {
  const std::string text = encode_state(state);
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return errno_text("cannot create", tmp);
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string error = errno_text("cannot write", tmp);
      ::close(fd);
      ::unlink(tmp.c_str());  // a full disk must not also keep a partial copy
      return error;
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const std::string error = errno_text("cannot fsync", tmp);
    ::close(fd);
    ::unlink(tmp.c_str());
    return error;
  }
  ::close(fd);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string error = errno_text("cannot rename onto", path);
    ::unlink(tmp.c_str());
    return error;
  }
  // The rename is durable only once the directory entry is on disk.
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return errno_text("cannot open directory", dir);
  const int synced = ::fsync(dir_fd);
  ::close(dir_fd);
  if (synced != 0) return errno_text("cannot fsync directory", dir);
  return "";
}

}  // namespace qw::alerts
