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
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "config/decoders.hpp"
#include "config/label_regex.hpp"
#include "config/suggest.hpp"

namespace qw::config::detail {
namespace {

constexpr std::string_view kAlertingKeys[] = {
    "external_labels",       "external_url", "repeat_interval", "routes",
    "default_receiver",      "receivers",    "inhibit_rules",   "builtin_inhibit_rules",
    "inhibit_release_delay", "heartbeat"};
constexpr std::string_view kRouteKeys[] = {"matchers", "receiver", "continue", "repeat_interval"};
constexpr std::string_view kMatcherKeys[] = {"label", "op", "value"};
constexpr std::string_view kInhibitKeys[] = {"source_matchers", "target_matchers", "equal"};
constexpr std::string_view kReceiverKeys[] = {"name",
                                              "type",
                                              "url",
                                              "url_file",
                                              "url_env",
                                              "routing_key_file",
                                              "routing_key_env",
                                              "timeout",
                                              "tls_verify",
                                              "ca_file",
                                              "max_backoff",
                                              "resend_interval"};
constexpr std::string_view kHeartbeatKeys[] = {"url", "url_file", "url_env", "interval",
                                               "watchdog_alert"};

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
    MapReader map(ctx, value, kMatcherKeys);
    bool ok = true;
    if (auto v = map.require("label")) {
      std::optional<std::string> s = read_label_name(ctx, *v);
      ok = ok && s;
      assign(std::move(s), m.label);
    } else {
      ok = false;
    }
    if (auto v = map.require("op")) {
      std::optional<LabelMatcher::Op> op = read_enum(ctx, *v, kOps);
      ok = ok && op;
      assign(std::move(op), m.op);
    } else {
      ok = false;
    }
    if (auto v = map.require("value")) {
      std::optional<std::string> s = read_string(ctx, *v);
      ok = ok && s;
      assign(std::move(s), m.value);
    } else {
      ok = false;
    }
    if (!ok) return std::nullopt;
    if (auto v = map.get("value"); v && !check_regex(ctx, *v, m)) return std::nullopt;
    return m;
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

ReceiverConfig decode_receiver(Context& ctx, const Value& value) {
  ReceiverConfig r;
  MapReader map(ctx, value, kReceiverKeys);
  if (!map.is_mapping()) return r;
  if (auto v = map.require("name")) assign(read_name(ctx, *v), r.name);
  const std::optional<Value> type = map.require("type");
  bool kind_known = false;
  if (type) {
    std::optional<ReceiverKind> kind = read_enum(ctx, *type, kReceiverKinds);
    kind_known = kind.has_value();
    assign(std::move(kind), r.kind);
  }
  if (auto v = map.get("timeout"))
    assign(read_duration(ctx, *v, bounds::kReceiverTimeout), r.timeout);
  if (auto v = map.get("tls_verify")) assign(read_bool(ctx, *v), r.tls_verify);
  if (auto v = map.get("ca_file")) {
    if (std::optional<std::string> path = read_nonempty_string(ctx, *v)) {
      const std::string resolved = resolve(ctx, *path);
      std::ifstream in(resolved);
      if (!in) {
        ctx.error(v->path, v->mark,
                  fmt::format("cannot read \"{}\": {}", resolved, std::strerror(errno)));
      } else {
        r.ca_file = resolved;
      }
    }
  }
  if (auto v = map.get("max_backoff")) {
    assign(read_duration(ctx, *v, bounds::kReceiverMaxBackoff), r.max_backoff);
  }
  if (auto v = map.get("resend_interval")) {
    assign(read_duration(ctx, *v, bounds::kResendInterval), r.resend_interval);
    if (kind_known && r.kind != ReceiverKind::alertmanager) {
      ctx.error(v->path, v->mark,
                "only applies to alertmanager receivers (re-posting keeps their endsAt ahead)");
    }
  }

  const SecretRead url = read_secret(ctx, map, "url", /*allow_inline=*/true);
  const SecretRead key = read_secret(ctx, map, "routing_key", /*allow_inline=*/false);
  if (!kind_known) return r;

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
                  fmt::format("{} receivers need url, url_file or url_env", type->node.Scalar()));
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
  Route r;
  MapReader map(ctx, value, kRouteKeys);
  if (!map.is_mapping()) return r;
  if (auto v = map.get("matchers")) r.matchers = decode_matchers(ctx, *v);
  if (auto v = map.require("receiver")) {
    if (std::optional<std::string> name = read_nonempty_string(ctx, *v)) {
      check_receiver_reference(ctx, *v, *name, receivers);
      r.receiver = std::move(*name);
    }
  }
  if (auto v = map.get("continue")) assign(read_bool(ctx, *v), r.continue_matching);
  if (auto v = map.get("repeat_interval")) {
    r.repeat_interval = read_duration(ctx, *v, bounds::kRepeatInterval);
  }
  return r;
}

InhibitRule decode_inhibit_rule(Context& ctx, const Value& value) {
  InhibitRule rule;
  MapReader map(ctx, value, kInhibitKeys);
  if (!map.is_mapping()) return rule;
  // An empty side would match every alert: almost certainly a mistake that silences pages.
  for (const auto& [key, out] : {std::pair{"source_matchers", &rule.source_matchers},
                                 std::pair{"target_matchers", &rule.target_matchers}}) {
    if (auto v = map.require(key)) {
      *out = decode_matchers(ctx, *v);
      if (v->node.IsNull() || (v->node.IsSequence() && v->node.size() == 0)) {
        ctx.error(v->path, v->mark, "must not be empty: an empty list matches every alert");
      }
    }
  }
  if (auto v = map.get("equal")) {
    if (v->node.IsSequence()) {
      for (const Value& item : read_sequence(ctx, *v)) {
        if (std::optional<std::string> name = read_label_name(ctx, item)) {
          rule.equal.push_back(std::move(*name));
        }
      }
    } else {
      ctx.error(
          v->path, v->mark,
          fmt::format("expected a list of label names (e.g. [target]), got {}", describe(v->node)));
    }
  }
  return rule;
}

void decode_heartbeat(Context& ctx, const Value& value, HeartbeatConfig& out) {
  MapReader map(ctx, value, kHeartbeatKeys);
  if (!map.is_mapping()) return;
  const SecretRead url = read_secret(ctx, map, "url", /*allow_inline=*/true);
  if (url.secret) {
    check_url(ctx, *url.given, *url.secret, false, "");
    out.url = url.secret;
  }
  if (auto v = map.get("interval"))
    assign(read_duration(ctx, *v, bounds::kHeartbeatInterval), out.interval);
  if (auto v = map.get("watchdog_alert")) assign(read_bool(ctx, *v), out.watchdog_alert);
}

}  // namespace

void decode_alerting(Context& ctx, const Value& value, AlertingConfig& out) {
  MapReader map(ctx, value, kAlertingKeys);
  if (!map.is_mapping()) return;
  if (auto v = map.get("external_labels")) {
    constexpr std::string_view kSetByRules[] = {"alertname", "severity"};
    read_label_map(ctx, *v, kSetByRules, "is set by each rule and cannot be an external label",
                   out.external_labels);
  }
  if (auto v = map.get("external_url")) {
    if (std::optional<std::string> s = read_string(ctx, *v)) {
      if (!s->empty() && !split_url(*s)) {
        ctx.error(v->path, v->mark,
                  fmt::format("\"{}\" is not an http:// or https:// URL with a host", *s));
      } else {
        out.external_url = std::move(*s);
      }
    }
  }
  if (auto v = map.get("repeat_interval")) {
    assign(read_duration(ctx, *v, bounds::kRepeatInterval), out.repeat_interval);
  }
  if (auto v = map.get("builtin_inhibit_rules"))
    assign(read_bool(ctx, *v), out.builtin_inhibit_rules);
  if (auto v = map.get("inhibit_release_delay")) {
    assign(read_duration(ctx, *v, bounds::kInhibitReleaseDelay), out.inhibit_release_delay);
  }
  // Receivers first: routes and default_receiver refer to them.
  if (auto v = map.get("receivers")) decode_receivers(ctx, *v, out.receivers);
  if (auto v = map.get("routes")) {
    for (const Value& item : read_sequence(ctx, *v)) {
      out.routes.push_back(decode_route(ctx, item, out.receivers));
    }
  }
  if (auto v = map.get("default_receiver")) {
    if (std::optional<std::string> name = read_nonempty_string(ctx, *v)) {
      check_receiver_reference(ctx, *v, *name, out.receivers);
      out.default_receiver = std::move(*name);
    }
  } else if (!out.receivers.empty()) {
    ctx.error(child_path(map.path(), "default_receiver"), map.mark(),
              "is required when receivers are defined: an alert that no route matches must "
              "still reach someone");
  }
  if (auto v = map.get("inhibit_rules")) {
    for (const Value& item : read_sequence(ctx, *v)) {
      out.inhibit_rules.push_back(decode_inhibit_rule(ctx, item));
    }
  }
  if (auto v = map.get("heartbeat")) decode_heartbeat(ctx, *v, out.heartbeat);
}

}  // namespace qw::config::detail
