#pragma once
// Alerting (issue 3): routing, inhibition, receivers, heartbeat. Plain data; decode_alerting.cpp
// reads it, alerts/ acts on it. Secrets are referenced (env or file), never inlined in logs.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace qw::config {

using Duration = std::chrono::milliseconds;

// Alertmanager-style matcher: label, operator (=, !=, =~, !~), value (regex fully anchored).
struct LabelMatcher {
  std::string label;
  enum class Op { equal, not_equal, regex, not_regex } op = Op::equal;
  std::string value;
};

struct InhibitRule {
  std::vector<LabelMatcher> source_matchers;
  std::vector<LabelMatcher> target_matchers;
  std::vector<std::string> equal;  // labels that must match between source and target
};

struct Route {
  std::vector<LabelMatcher> matchers;  // empty: matches every alert
  std::string receiver;
  bool continue_matching = false;           // Alertmanager's `continue`
  std::optional<Duration> repeat_interval;  // reminder while firing; default from the root
};

// A secret given as `X_file: path` or `X_env: NAME`, or (discouraged) inline; resolved at load.
struct Secret {
  std::string value;   // never log this
  std::string source;  // "file /path", "env NAME", "inline" or "default", for messages
};

enum class ReceiverKind { webhook, alertmanager, pagerduty, slack, log };

struct ReceiverConfig {
  std::string name;
  ReceiverKind kind = ReceiverKind::log;
  // webhook, alertmanager (base URL), slack, pagerduty (events URL, defaulted to PagerDuty's
  // Events API v2); empty for log receivers.
  Secret url;
  std::optional<Secret> routing_key;  // pagerduty (routing_key_file / routing_key_env only)
  Duration timeout{10000};            // one HTTP attempt
  bool tls_verify = true;             // certificates are verified unless explicitly off
  std::optional<std::string> ca_file;
  Duration max_backoff{300000};     // retry delay ceiling
  Duration resend_interval{60000};  // alertmanager: re-post firing alerts (keeps endsAt ahead)
};

struct HeartbeatConfig {
  std::optional<Secret> url;  // dead-man's switch (healthchecks.io style), pinged every interval
  Duration interval{60000};
  bool watchdog_alert = false;  // an always-firing "Watchdog" alert through the routes
};

struct AlertingConfig {
  std::map<std::string, std::string> external_labels;  // added to every alert
  Duration repeat_interval{4 * 3600000};               // default reminder interval while firing
  std::vector<Route> routes;                           // first match wins unless `continue`
  std::string default_receiver;  // when no route matches; required once receivers are defined
  std::vector<ReceiverConfig> receivers;
  std::vector<InhibitRule> inhibit_rules;
  // Adds the built-in rule to inhibit_rules: database_unavailable holds back the queue alerts of
  // the same target (equal: [target]). One page names the cause instead of ten naming symptoms.
  bool builtin_inhibit_rules = true;
  // How long a source alert keeps inhibiting after it resolved. When PostgreSQL comes back, the
  // queue probes need a round or two to measure again, and their alerts would page in between;
  // Alertmanager absorbs that with group_wait, which queuewatch does not have. 0 = Alertmanager.
  Duration inhibit_release_delay{60000};
  HeartbeatConfig heartbeat;
  std::string external_url;  // generatorURL base in payloads
};

}  // namespace qw::config
