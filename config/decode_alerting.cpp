// The `alerting` section: external labels, routes, receivers, inhibition, heartbeat.
//
// Decisions worth knowing (docs/alerting.md has the reference):
// - Matchers are written as Alertmanager writes them, `alertname=~"no_.*"`, or as a mapping
//   {label, op, value}. Regexes are compiled here, so a bad one fails the load, not a page.
// - Secrets (webhook URLs, routing keys) come from `X_file` or `X_env`; no message ever quotes
//   one: an error says where the secret came from, never what it is.
// - pagerduty and slack receivers must use https:// except towards loopback (a local proxy or a
//   test server): their URL or body carries the credential. webhook and alertmanager may use
//   http://, as in-cluster Alertmanagers often do.
// - When receivers are defined, default_receiver is required: an alert that no route matches
//   must still reach someone, as with Alertmanager's root route.
// - Each key is one row (config/schema.hpp): the accepted keys come from the rows, and
//   docs/alerting.md's table of keys and defaults is tested against them. The forms of a secret
//   are read together (read_secret), so their rows only accept and document them.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "config/decoders.hpp"
#include "config/duration.hpp"
#include "config/label_regex.hpp"
#include "config/schema.hpp"
#include "config/suggest.hpp"

namespace qw::config::detail {
namespace {

constexpr EnumWord<ReceiverKind> kReceiverKinds[] = {
    {"webhook", ReceiverKind::webhook},
    {"alertmanager", ReceiverKind::alertmanager},
    {"pagerduty", ReceiverKind::pagerduty},
    {"slack", ReceiverKind::slack},
    {"log", ReceiverKind::log},
};

constexpr EnumWord<LabelMatcher::Op> kOps[] = {
    {"=", LabelMatcher::Op::equal},
    {"!=", LabelMatcher::Op::not_equal},
    {"=~", LabelMatcher::Op::regex},
    {"!~", LabelMatcher::Op::not_regex},
};

// Stores a successfully read value and says whether there was one.
template <typename T, typename U>
bool assign_if(std::optional<T>&& read, U& out) {
  const bool ok = read.has_value();
  assign(std::move(read), out);
  return ok;
}

constexpr std::string_view kPagerDutyEventsUrl = "https://events.pagerduty.com/v2/enqueue";

std::optional<std::string> read_label_name(Context& ctx, const Value& value) {
  std::optional<std::string> s = read_nonempty_string(ctx, value);
  if (s && !is_label_name(*s)) {
    ctx.error(value.path, value.mark,
              fmt::format("\"{}\" is not a label name (letters, digits and '_', not starting "
                          "with a digit)",
                          *s));
    return std::nullopt;
  }
  return s;
}

// Parses `label op value` as Alertmanager's `matchers:` strings: the value is double-quoted
// (with \" \\ \n escapes) or bare to the end of the text. Returns an error message or "".
std::string parse_matcher(std::string_view text, LabelMatcher& out) {
  std::size_t i = 0;
  auto skip_space = [&] {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
  };
  skip_space();
  const std::size_t name_start = i;
  while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '_')) {
    ++i;
  }
  out.label = std::string(text.substr(name_start, i - name_start));
  if (!is_label_name(out.label)) {
    return "expected a label name first, as in alertname=\"no_throughput\"";
  }
  skip_space();
  const std::string_view rest = text.substr(i);
  if (rest.starts_with("=~")) {
    out.op = LabelMatcher::Op::regex;
    i += 2;
  } else if (rest.starts_with("!~")) {
    out.op = LabelMatcher::Op::not_regex;
    i += 2;
  } else if (rest.starts_with("!=")) {
    out.op = LabelMatcher::Op::not_equal;
    i += 2;
  } else if (rest.starts_with("=")) {
    out.op = LabelMatcher::Op::equal;
    i += 1;
  } else {
    return fmt::format("expected one of =, !=, =~, !~ after \"{}\"", out.label);
  }
  skip_space();
  out.value.clear();
  if (i < text.size() && text[i] == '"') {
    ++i;
    bool closed = false;
    while (i < text.size()) {
      const char c = text[i++];
      if (c == '"') {
        closed = true;
        break;
      }
      if (c == '\\' && i < text.size()) {
        const char e = text[i++];
        out.value += e == 'n' ? '\n' : e;
        continue;
      }
      out.value += c;
    }
    if (!closed) return "the quoted value has no closing \"";
    skip_space();
    if (i != text.size()) return "unexpected text after the quoted value";
  } else {
    std::string_view bare = text.substr(i);
    while (!bare.empty() && (bare.back() == ' ' || bare.back() == '\t')) bare.remove_suffix(1);
    out.value = std::string(bare);
  }
  return "";
}

// The regex must compile now, with the limits and the anchoring alerts/matcher.cpp uses.
bool check_regex(Context& ctx, const Value& at, const LabelMatcher& m) {
  if (m.op != LabelMatcher::Op::regex && m.op != LabelMatcher::Op::not_regex) return true;
  const LabelRegex regex(m.value);
  if (regex.ok()) return true;
  // A refused pattern may be kilobytes long: quote only its start.
  constexpr std::size_t kQuoted = 60;
  const std::string shown =
      m.value.size() <= kQuoted ? m.value : m.value.substr(0, kQuoted) + "...";
  ctx.error(at.path, at.mark, fmt::format("\"{}\" {}", shown, regex.error()));
  return false;
}

std::optional<LabelMatcher> decode_matcher(Context& ctx, const Value& value) {
  LabelMatcher m;
  if (value.node.IsMap()) {
    MapReader map(ctx, value, keys_of(matcher_fields()));
    MatcherDecode out;
    decode_fields(ctx, map, matcher_fields(), out);
    // All three, each valid, or no matcher: half of one would match what it should not.
    if (out.keys_read != matcher_fields().size()) return std::nullopt;
    if (auto v = map.get("value"); v && !check_regex(ctx, *v, out.matcher)) return std::nullopt;
    return out.matcher;
  }
  std::optional<std::string> text = read_nonempty_string(ctx, value);
  if (!text) return std::nullopt;
  const std::string error = parse_matcher(*text, m);
  if (!error.empty()) {
    ctx.error(value.path, value.mark, fmt::format("matcher \"{}\": {}", *text, error));
    return std::nullopt;
  }
  if (!check_regex(ctx, value, m)) return std::nullopt;
  return m;
}

std::vector<LabelMatcher> decode_matchers(Context& ctx, const Value& value) {
  std::vector<LabelMatcher> out;
  for (const Value& item : read_sequence(ctx, value)) {
    if (std::optional<LabelMatcher> m = decode_matcher(ctx, item)) out.push_back(std::move(*m));
  }
  return out;
}

std::string resolve(const Context& ctx, const std::string& path) {
  const std::filesystem::path p(path);
  if (p.is_absolute() || ctx.base_dir().empty()) return path;
  return (std::filesystem::path(ctx.base_dir()) / p).lexically_normal().string();
}

// The first line of a secret file. The message names the file, never its content.
std::optional<std::string> read_secret_file(Context& ctx, const Value& at,
                                            const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    ctx.error(at.path, at.mark, fmt::format("\"{}\" is a directory, not a file", path));
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  std::string line;
  if (in) std::getline(in, line);
  if (!in.is_open() || in.bad()) {
    ctx.error(at.path, at.mark, fmt::format("cannot read \"{}\": {}", path, std::strerror(errno)));
    return std::nullopt;
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) {
    ctx.error(at.path, at.mark, fmt::format("\"{}\" is empty", path));
    return std::nullopt;
  }
  return line;
}

// `key`, `key_file` or `key_env`: at most one. nullopt when none was given or it failed (the
// failure is recorded); `given` tells which.
struct SecretRead {
  std::optional<Secret> secret;
  std::optional<Value> given;  // the key that was used, for later checks' messages
};

SecretRead read_secret(Context& ctx, const MapReader& map, const std::string& key,
                       bool allow_inline) {
  SecretRead out;
  std::vector<std::string> forms;
  if (allow_inline) forms.push_back(key);
  forms.push_back(key + "_file");
  forms.push_back(key + "_env");
  for (const std::string& form : forms) {
    std::optional<Value> v = map.get(form);
    if (!v) continue;
    if (out.given) {
      ctx.error(v->path, v->mark,
                fmt::format("give only one of {} (\"{}\" is already set)", fmt::join(forms, ", "),
                            out.given->path.substr(out.given->path.rfind('.') + 1)));
      continue;
    }
    out.given = v;
    if (form == key) {
      if (std::optional<std::string> s = read_nonempty_string(ctx, *v)) {
        out.secret = Secret{std::move(*s), "inline"};
      }
    } else if (form.ends_with("_file")) {
      if (std::optional<std::string> path = read_nonempty_string(ctx, *v)) {
        const std::string resolved = resolve(ctx, *path);
        if (std::optional<std::string> s = read_secret_file(ctx, *v, resolved)) {
          out.secret = Secret{std::move(*s), "file " + resolved};
        }
      }
    } else if (std::optional<std::string> name = read_nonempty_string(ctx, *v)) {
      std::optional<std::string> s = ctx.env()(*name);
      if (!s || s->empty()) {
        ctx.error(v->path, v->mark, fmt::format("environment variable {} is not set", *name));
      } else {
        out.secret = Secret{std::move(*s), "env " + *name};
      }
    }
  }
  return out;
}

struct UrlParts {
  std::string scheme;  // "http" | "https"
  std::string host;    // without brackets or port
};

std::optional<UrlParts> split_url(std::string_view url) {
  UrlParts parts;
  if (url.starts_with("https://")) {
    parts.scheme = "https";
  } else if (url.starts_with("http://")) {
    parts.scheme = "http";
  } else {
    return std::nullopt;
  }
  std::string_view rest = url.substr(parts.scheme.size() + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (const std::size_t at = rest.rfind('@'); at != std::string_view::npos) {
    rest = rest.substr(at + 1);
  }
  if (rest.starts_with('[')) {
    const std::size_t close = rest.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    parts.host = std::string(rest.substr(1, close - 1));
  } else {
    parts.host = std::string(rest.substr(0, rest.find(':')));
  }
  if (parts.host.empty()) return std::nullopt;
  return parts;
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

// Checks a URL without ever printing it: it may carry a token (Slack webhooks do).
void check_url(Context& ctx, const Value& at, const Secret& url, bool https_required,
               std::string_view why_https) {
  const std::string where = url.source == "inline" ? "the URL" : "the URL from " + url.source;
  const std::optional<UrlParts> parts = split_url(url.value);
  if (!parts) {
    ctx.error(at.path, at.mark,
              fmt::format("{} is not an http:// or https:// URL with a host", where));
    return;
  }
  if (https_required && parts->scheme == "http" && !is_loopback(parts->host)) {
    ctx.error(at.path, at.mark,
              fmt::format("{} must use https:// ({}); http:// is only accepted towards localhost",
                          where, why_https));
  }
}

std::string type_word(ReceiverKind kind) {
  for (const EnumWord<ReceiverKind>& w : kReceiverKinds)
    if (w.value == kind) return std::string(w.word);
  return "?";
}

ReceiverConfig decode_receiver(Context& ctx, const Value& value) {
  ReceiverDecode out;
  MapReader map(ctx, value, keys_of(receiver_fields()));
  if (!map.is_mapping()) return out.receiver;
  decode_fields(ctx, map, receiver_fields(), out);
  ReceiverConfig& r = out.receiver;

  // The secrets' forms are read together: at most one of url, url_file and url_env.
  const SecretRead url = read_secret(ctx, map, "url", /*allow_inline=*/true);
  const SecretRead key = read_secret(ctx, map, "routing_key", /*allow_inline=*/false);
  if (!out.kind_known) return r;

  if (key.given && r.kind != ReceiverKind::pagerduty) {
    ctx.error(key.given->path, key.given->mark, "only applies to pagerduty receivers");
  }
  switch (r.kind) {
    case ReceiverKind::log:
      if (url.given) {
        ctx.error(url.given->path, url.given->mark,
                  "log receivers write to queuewatch's log and take no url");
      }
      break;
    case ReceiverKind::pagerduty:
      if (!key.given) {
        ctx.error(child_path(map.path(), "routing_key_file"), map.mark(),
                  "pagerduty receivers need routing_key_file or routing_key_env (the "
                  "integration key of the service to page)");
      }
      r.routing_key = key.secret;
      r.url = url.secret.value_or(Secret{std::string(kPagerDutyEventsUrl), "default"});
      if (url.secret) {
        check_url(ctx, *url.given, *url.secret, true,
                  "the routing key would cross the network in clear");
      }
      break;
    case ReceiverKind::webhook:
    case ReceiverKind::alertmanager:
    case ReceiverKind::slack:
      if (!url.given) {
        ctx.error(child_path(map.path(), "url"), map.mark(),
                  fmt::format("{} receivers need url, url_file or url_env", type_word(r.kind)));
      }
      if (url.secret) {
        r.url = *url.secret;
        check_url(ctx, *url.given, *url.secret, r.kind == ReceiverKind::slack,
                  "a Slack webhook URL is itself the credential");
      }
      break;
  }
  return r;
}

void decode_receivers(Context& ctx, const Value& value, std::vector<ReceiverConfig>& out) {
  std::vector<int> lines;  // of each kept receiver, for duplicate messages
  for (const Value& item : read_sequence(ctx, value)) {
    ReceiverConfig r = decode_receiver(ctx, item);
    if (!r.name.empty()) {
      const auto first = std::find_if(out.begin(), out.end(),
                                      [&](const ReceiverConfig& o) { return o.name == r.name; });
      if (first != out.end()) {
        ctx.error(child_path(item.path, "name"), mark_of(item.node["name"].Mark()),
                  fmt::format("duplicate receiver name \"{}\" (first defined at line {})", r.name,
                              lines[static_cast<std::size_t>(first - out.begin())]));
        continue;
      }
    }
    lines.push_back(item.mark.line);
    out.push_back(std::move(r));
  }
}

void check_receiver_reference(Context& ctx, const Value& at, const std::string& name,
                              const std::vector<ReceiverConfig>& receivers) {
  if (find_by_name(receivers, name) != nullptr) return;
  std::vector<std::string_view> names;
  for (const ReceiverConfig& r : receivers) {
    if (!r.name.empty()) names.push_back(r.name);
  }
  std::string message = fmt::format("no receiver named \"{}\"", name);
  if (auto guess = closest_match(name, names)) {
    message += fmt::format("; did you mean \"{}\"?", *guess);
  } else if (!names.empty()) {
    message += fmt::format(" (receivers: {})", fmt::join(names, ", "));
  } else {
    message += " (define it under alerting.receivers)";
  }
  ctx.error(at.path, at.mark, std::move(message));
}

Route decode_route(Context& ctx, const Value& value, const std::vector<ReceiverConfig>& receivers) {
  RouteDecode out;
  out.receivers = &receivers;
  MapReader map(ctx, value, keys_of(route_fields()));
  if (!map.is_mapping()) return out.route;
  decode_fields(ctx, map, route_fields(), out);
  return out.route;
}

// An empty side would match every alert: almost certainly a mistake that silences pages.
void decode_inhibit_side(Context& ctx, const Value& v, std::vector<LabelMatcher>& out) {
  out = decode_matchers(ctx, v);
  if (v.node.IsNull() || (v.node.IsSequence() && v.node.size() == 0)) {
    ctx.error(v.path, v.mark, "must not be empty: an empty list matches every alert");
  }
}

InhibitRule decode_inhibit_rule(Context& ctx, const Value& value) {
  InhibitRule rule;
  MapReader map(ctx, value, keys_of(inhibit_rule_fields()));
  if (!map.is_mapping()) return rule;
  decode_fields(ctx, map, inhibit_rule_fields(), rule);
  return rule;
}

void decode_heartbeat(Context& ctx, const Value& value, HeartbeatConfig& out) {
  MapReader map(ctx, value, keys_of(heartbeat_fields()));
  if (!map.is_mapping()) return;
  // The URL's forms are read together: at most one of url, url_file and url_env.
  const SecretRead url = read_secret(ctx, map, "url", /*allow_inline=*/true);
  if (url.secret) {
    check_url(ctx, *url.given, *url.secret, false, "");
    out.url = url.secret;
  }
  decode_fields(ctx, map, heartbeat_fields(), out);
}

std::vector<Field<ReceiverDecode>> make_receiver_rows() {
  auto of_receiver = [](auto row) { return lift_field(std::move(row), &ReceiverDecode::receiver); };
  using R = ReceiverConfig;
  using D = ReceiverDecode;
  const Reader<ReceiverKind> kinds = enum_reader(kReceiverKinds);
  const Reader<Duration> resend = duration_reader(bounds::kResendInterval);
  return {
      of_receiver(required(field("name", &R::name, name_reader(), "unique among receivers"))),
      required(custom_field<D>(
          "type", kinds.range, "how alerts are delivered",
          [kinds](Context& ctx, const Value& v, D& out) {
            std::optional<ReceiverKind> kind = kinds.read(ctx, v);
            out.kind_known = kind.has_value();
            assign(std::move(kind), out.receiver.kind);
          },
          "")),
      read_by_section<D>("url", "a URL", "where alerts are sent; a secret for slack",
                         "required by type"),
      read_by_section<D>("url_file", "a readable file", "the URL from a file's first line",
                         "required by type"),
      read_by_section<D>("url_env", "a variable's name", "the URL from the environment",
                         "required by type"),
      read_by_section<D>("routing_key_file", "a readable file",
                         "pagerduty: the integration key from a file", "pagerduty: required"),
      read_by_section<D>("routing_key_env", "a variable's name",
                         "pagerduty: the integration key from the environment",
                         "pagerduty: required"),
      of_receiver(field("timeout", &R::timeout, duration_reader(bounds::kReceiverTimeout),
                        "one delivery attempt")),
      of_receiver(
          field("tls_verify", &R::tls_verify, bool_reader(), "verify the server's certificate")),
      custom_field<D>(
          "ca_file", "a readable PEM file", "CAs to trust instead of the system's",
          [](Context& ctx, const Value& v, D& out) {
            if (std::optional<std::string> path = read_nonempty_string(ctx, v)) {
              const std::string resolved = resolve(ctx, *path);
              std::ifstream in(resolved);
              if (!in) {
                ctx.error(v.path, v.mark,
                          fmt::format("cannot read \"{}\": {}", resolved, std::strerror(errno)));
              } else {
                out.receiver.ca_file = resolved;
              }
            }
          },
          "system CAs"),
      of_receiver(field("max_backoff", &R::max_backoff,
                        duration_reader(bounds::kReceiverMaxBackoff),
                        "longest wait between delivery retries")),
      custom_field<D>(
          "resend_interval", resend.range, "alertmanager only: re-post interval for firing alerts",
          [resend](Context& ctx, const Value& v, D& out) {
            assign(resend.read(ctx, v), out.receiver.resend_interval);
            if (out.kind_known && out.receiver.kind != ReceiverKind::alertmanager) {
              ctx.error(v.path, v.mark,
                        "only applies to alertmanager receivers (re-posting keeps their endsAt "
                        "ahead)");
            }
          },
          show_value(resend, R{}.resend_interval)),
  };
}

}  // namespace

const std::vector<Field<MatcherDecode>>& matcher_fields() {
  using D = MatcherDecode;
  // Each row counts itself read only when its value is valid.
  auto counted = [](auto read) {
    return [read](Context& ctx, const Value& v, D& out) {
      if (read(ctx, v, out.matcher)) ++out.keys_read;
    };
  };
  static const std::vector<Field<D>> rows = {
      required(custom_field<D>("label", "a label name", "the label to test",
                               counted([](Context& ctx, const Value& v, LabelMatcher& m) {
                                 return assign_if(read_label_name(ctx, v), m.label);
                               }),
                               "")),
      required(custom_field<D>("op", "`=`, `!=`, `=~`, `!~`", "how the value is compared",
                               counted([](Context& ctx, const Value& v, LabelMatcher& m) {
                                 return assign_if(read_enum(ctx, v, kOps), m.op);
                               }),
                               "")),
      required(custom_field<D>("value", "a string; a regex for `=~` and `!~`",
                               "what the label is compared with",
                               counted([](Context& ctx, const Value& v, LabelMatcher& m) {
                                 return assign_if(read_string(ctx, v), m.value);
                               }),
                               "")),
  };
  return rows;
}

const std::vector<Field<ReceiverDecode>>& receiver_fields() {
  static const std::vector<Field<ReceiverDecode>> rows = make_receiver_rows();
  return rows;
}

const std::vector<Field<RouteDecode>>& route_fields() {
  using D = RouteDecode;
  static const std::vector<Field<D>> rows = {
      custom_field<D>(
          "matchers", "a list of matchers", "all must match the alert",
          [](Context& ctx, const Value& v, D& out) {
            out.route.matchers = decode_matchers(ctx, v);
          },
          "`[]` (all alerts)"),
      required(custom_field<D>(
          "receiver", "a receiver's name", "where matching alerts go",
          [](Context& ctx, const Value& v, D& out) {
            if (std::optional<std::string> name = read_nonempty_string(ctx, v)) {
              check_receiver_reference(ctx, v, *name, *out.receivers);
              out.route.receiver = std::move(*name);
            }
          },
          "")),
      lift_field(field("continue", &Route::continue_matching, bool_reader(),
                       "keep matching the next routes after this one matched"),
                 &D::route),
      lift_field(default_text(field("repeat_interval", &Route::repeat_interval,
                                    duration_reader(bounds::kRepeatInterval),
                                    "reminder interval for this route"),
                              "the root's"),
                 &D::route),
  };
  return rows;
}

const std::vector<Field<InhibitRule>>& inhibit_rule_fields() {
  using I = InhibitRule;
  static const std::vector<Field<I>> rows = {
      default_text(required(custom_field<I>(
                       "source_matchers", "a list of matchers", "alerts that inhibit",
                       [](Context& ctx, const Value& v, I& out) {
                         decode_inhibit_side(ctx, v, out.source_matchers);
                       },
                       "")),
                   "required, non-empty"),
      default_text(required(custom_field<I>(
                       "target_matchers", "a list of matchers", "alerts that are inhibited",
                       [](Context& ctx, const Value& v, I& out) {
                         decode_inhibit_side(ctx, v, out.target_matchers);
                       },
                       "")),
                   "required, non-empty"),
      custom_field<I>(
          "equal", "label names", "labels that must be equal in both",
          [](Context& ctx, const Value& v, I& out) {
            if (v.node.IsSequence()) {
              for (const Value& item : read_sequence(ctx, v)) {
                if (std::optional<std::string> name = read_label_name(ctx, item)) {
                  out.equal.push_back(std::move(*name));
                }
              }
            } else {
              ctx.error(v.path, v.mark,
                        fmt::format("expected a list of label names (e.g. [target]), got {}",
                                    describe(v.node)));
            }
          },
          "`[]`"),
  };
  return rows;
}

const std::vector<Field<HeartbeatConfig>>& heartbeat_fields() {
  using H = HeartbeatConfig;
  static const std::vector<Field<H>> rows = {
      read_by_section<H>("url", "a URL", "pinged every `interval`", "none"),
      read_by_section<H>("url_file", "a readable file", "the URL from a file's first line", "none"),
      read_by_section<H>("url_env", "a variable's name", "the URL from the environment", "none"),
      field("interval", &H::interval, duration_reader(bounds::kHeartbeatInterval),
            "how often it is pinged"),
      field("watchdog_alert", &H::watchdog_alert, bool_reader(),
            "the always-firing `Watchdog` alert"),
  };
  return rows;
}

const std::vector<Field<AlertingConfig>>& alerting_fields() {
  using A = AlertingConfig;
  static const std::vector<Field<A>> rows = {
      custom_field<A>(
          "external_labels", "label: value", "added to every alert; the alert's own labels win",
          [](Context& ctx, const Value& v, A& out) {
            constexpr std::string_view kSetByRules[] = {"alertname", "severity"};
            read_label_map(ctx, v, kSetByRules,
                           "is set by each rule and cannot be an external label",
                           out.external_labels);
          },
          "none"),
      custom_field<A>(
          "external_url", "an `http://` or `https://` URL", "generatorURL in payloads",
          [](Context& ctx, const Value& v, A& out) {
            if (std::optional<std::string> s = read_string(ctx, v)) {
              if (!s->empty() && !split_url(*s)) {
                ctx.error(v.path, v.mark,
                          fmt::format("\"{}\" is not an http:// or https:// URL with a host", *s));
              } else {
                out.external_url = std::move(*s);
              }
            }
          },
          "empty"),
      field("repeat_interval", &A::repeat_interval, duration_reader(bounds::kRepeatInterval),
            "reminder interval for firing alerts"),
      // Second pass, after the receivers: it must name one of them.
      later(custom_field<A>(
          "default_receiver", "a receiver's name", "receiver for alerts no route matches",
          [](Context& ctx, const Value& v, A& out) {
            if (std::optional<std::string> name = read_nonempty_string(ctx, v)) {
              check_receiver_reference(ctx, v, *name, out.receivers);
              out.default_receiver = std::move(*name);
            }
          },
          "none")),
      later(custom_field<A>(
          "routes", "a list of routes", "first match wins unless `continue`",
          [](Context& ctx, const Value& v, A& out) {
            for (const Value& item : read_sequence(ctx, v)) {
              out.routes.push_back(decode_route(ctx, item, out.receivers));
            }
          },
          "none")),
      custom_field<A>(
          "receivers", "a list of receivers", "where alerts are delivered",
          [](Context& ctx, const Value& v, A& out) { decode_receivers(ctx, v, out.receivers); },
          "none"),
      custom_field<A>(
          "inhibit_rules", "a list of rules", "alerts that hold back others",
          [](Context& ctx, const Value& v, A& out) {
            for (const Value& item : read_sequence(ctx, v)) {
              out.inhibit_rules.push_back(decode_inhibit_rule(ctx, item));
            }
          },
          "none"),
      field("builtin_inhibit_rules", &A::builtin_inhibit_rules, bool_reader(),
            "add the database_unavailable inhibit rule"),
      field("inhibit_release_delay", &A::inhibit_release_delay,
            duration_reader(bounds::kInhibitReleaseDelay),
            "how long a resolved source keeps inhibiting"),
      custom_field<A>(
          "heartbeat", "a mapping", "a dead man's switch outside queuewatch",
          [](Context& ctx, const Value& v, A& out) { decode_heartbeat(ctx, v, out.heartbeat); },
          "none"),
  };
  return rows;
}

void decode_alerting(Context& ctx, const Value& value, AlertingConfig& out) {
  MapReader map(ctx, value, keys_of(alerting_fields()));
  if (!map.is_mapping()) return;
  decode_fields(ctx, map, alerting_fields(), out);
  if (!map.has("default_receiver") && !out.receivers.empty()) {
    ctx.error(child_path(map.path(), "default_receiver"), map.mark(),
              "is required when receivers are defined: an alert that no route matches must "
              "still reach someone");
  }
}

}  // namespace qw::config::detail
