#include "daemon/alerting_pipeline.hpp"

#include <map>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "alerts/inhibitor.hpp"
#include "daemon/log_format.hpp"
#include "daemon/state_files.hpp"
#include "probes/pg/conninfo.hpp"
#include "probes/postgres_health/capacity_settings.hpp"
#include "probes/sample_visit.hpp"
#include "rules/baseline_store.hpp"
#include "rules/rule_table.hpp"
#include "rules/zoneinfo_file.hpp"

namespace qw::daemon {

rules::Timezone load_timezone_or_throw(const std::string& name) {
  auto parsed = rules::load_zoneinfo(name);
  if (!parsed.zone) throw std::runtime_error("rules.timezone " + name + ": " + parsed.error);
  return *parsed.zone;
}

namespace {
std::vector<rules::ClusterMembers> cluster_members(const config::Config& config) {
  std::vector<rules::ClusterMembers> out;
  for (const auto& c : config.clusters) out.push_back({c.name, c.members});
  return out;
}

std::vector<std::string> provider_names(const config::Config& config) {
  std::vector<std::string> out;
  for (const auto& p : config.providers) out.push_back(p.name);
  return out;
}

rules::ProviderTick provider_tick(const probes::ProviderStatusSample& p, rules::Time at) {
  rules::ProviderTick t;
  t.provider = p.provider;
  t.at = at;
  t.up = p.up;
  t.known = p.known;
  if (!p.up) {
    t.failure = std::string(probes::provider::to_string(p.failure));
    if (!p.detail.empty()) t.failure += ": " + p.detail;
  }
  for (const auto& i : p.incidents) {
    rules::ProviderIncidentInfo r;
    r.id = i.id;
    r.title = i.title;
    r.link = i.link;
    r.status = i.status;
    r.impact = i.impact;
    r.components = i.components;
    if (i.started_at) r.started_at = rules::Time{std::chrono::seconds{*i.started_at}};
    r.summary = i.summary;
    t.incidents.push_back(std::move(r));
  }
  return t;
}
}  // namespace

AlertingPipeline::AlertingPipeline(const config::Config& config, prometheus::Registry& registry)
    : config_(config),
      baselines_path_(config.state_dir + "/baselines.tsv"),
      state_errors_(std::make_unique<alerts::StateErrors>(registry)),
      expectation_metrics_(registry) {
  if (auto problem = prepare_state_dir(config.state_dir); !problem.empty())
    throw std::runtime_error(problem);
  engine_ =
      std::make_unique<rules::Engine>(config.rules, load_timezone_or_throw(config.rules.timezone));
  engine_->set_clusters(cluster_members(config));
  engine_->set_providers(provider_names(config));
  if (auto text = read_whole_file(baselines_path_)) {
    const auto restored = rules::restore_baselines(*engine_, *text);
    for (const auto& e : restored.errors) spdlog::warn("{}: {}", baselines_path_, e);
    spdlog::info("restored the baselines of {} queue(s) from {}", restored.restored,
                 baselines_path_);
  }
  alerts::DispatcherOptions dispatch;
  dispatch.outbox.errors = state_errors_.get();
  dispatcher_ =
      std::make_unique<alerts::Dispatcher>(config.alerting, config.state_dir, registry, dispatch);
  service_ = std::make_unique<alerts::AlertService>(
      config.alerting, config.state_dir + "/alerts.json", *dispatcher_, registry);
  // Every rule's series at 0 before its first alert (absent is not zero for PromQL).
  for (const rules::RuleDef& rule : rules::rule_table())
    service_->declare(std::string(rule.name), rules::default_severity(rule));
  if (auto problem = service_->restore(); !problem.empty()) spdlog::warn("{}", problem);
  // alerts.json says what was notified; damaged outbox records may have held exactly that.
  if (dispatcher_->outbox().replay_report().records_lost()) {
    service_->outbox_lost_records(dispatcher_->outbox().standing_fingerprints());
  }
}

AlertingPipeline::~AlertingPipeline() {
  stop();
}

void AlertingPipeline::start() {
  dispatcher_->start();
}

void AlertingPipeline::stop() {
  if (!dispatcher_) return;
  save_baselines();
  dispatcher_->stop();
}

void AlertingPipeline::save_baselines() {
  std::string text;
  {
    std::lock_guard lock(mutex_);
    text = rules::save_baselines(*engine_);
  }
  if (auto problem = write_file_atomically(baselines_path_, text); !problem.empty()) {
    state_errors_->failed(alerts::StateErrors::kBaselines, "baselines not saved: " + problem);
  } else {
    state_errors_->succeeded(alerts::StateErrors::kBaselines);
  }
}

rules::QueueTick AlertingPipeline::to_tick(const probes::QueueProbeSample& source,
                                           const probes::QueueSample* q, rules::Time at) const {
  rules::QueueTick t;
  t.key = {source.target, source.source, q ? q->queue : source.source};
  const auto* target = config_.find_target(source.target);
  t.region = target ? target->region : "";
  t.at = at;
  t.measured = source.ok;
  if (!source.ok) {
    t.error = fmt::format("{}: {}", probes::to_string(source.reason), source.detail);
    return t;
  }
  t.ready = q->ready;
  t.oldest_ready_age_seconds = q->oldest_ready_age_seconds;
  t.running = q->running;
  t.oldest_running_age_seconds = q->oldest_running_age_seconds;
  t.oldest_heartbeat_age_seconds = q->oldest_heartbeat_age_seconds;
  t.completions_known = q->completions_known;
  t.completed = static_cast<double>(q->completed_delta);
  t.failed = static_cast<double>(q->failed_delta);
  t.last_completion_age_seconds = q->last_completion_age_seconds;
  if (q->progress_observed) t.progress = static_cast<double>(*q->progress_observed);
  t.drained_age_seconds = q->drained_age_seconds;
  t.stuck = q->stuck;
  t.stuck_job_ids = q->stuck_job_ids;
  return t;
}

void AlertingPipeline::publish(const probes::Sample& sample) {
  const auto at =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  std::lock_guard lock(mutex_);
  probes::visit_sample(sample,
                       qw::overloaded{
                           [&](const probes::TargetHealthSample& h) {
                             rules::TargetTick t;
                             t.target = h.target;
                             const auto* target = config_.find_target(h.target);
                             t.region = target ? target->region : "";
                             t.endpoint = target ? probes::pg::describe_endpoint(target->dsn) : "";
                             t.at = at;
                             t.up = h.up;
                             t.reason = h.up ? "" : std::string(probes::to_string(h.reason));
                             t.detail = h.detail;
                             t.in_recovery = h.in_recovery;
                             t.read_only = h.read_only.value_or(false);
                             if (const auto* c = config_.cluster_of(h.target)) t.cluster = c->name;
                             if (target) {
                               t.declared_facts = target->facts;
                               t.provider = target->provider;
                               t.provider_components = target->provider_components;
                             }
                             if (h.facts && h.facts->ok) t.queried_facts = h.facts->facts;
                             if (h.facts && !h.facts->ok)
                               t.facts_query_failure = probes::health::to_string(h.facts->failure);
                             if (!h.server_version.empty())
                               t.capacity["server_version"] = h.server_version;
                             for (const auto& setting : h.settings)
                               t.capacity[setting.name] = probes::health::format_setting(setting);
                             engine_->ingest(t);
                           },
                           [&](const probes::QueueHistorySample& history) { warm_start(history); },
                           [&](const probes::QueueProbeSample& s) { ingest_queues(s, at); },
                           [&](const probes::ProviderStatusSample& p) {
                             // A provider that left the config (a reload) is not revived.
                             if (config_.find_provider(p.provider) != nullptr)
                               engine_->ingest(provider_tick(p, at));
                           },
                           [&](const probes::ReplicationSample& r) { ingest_replication(r, at); },
                       });
}

void AlertingPipeline::ingest_queues(const probes::QueueProbeSample& s, rules::Time at) {
  auto& known = last_queues_[{s.target, s.source}];
  if (s.ok) {
    known.clear();
    for (const auto& q : s.queues) {
      known.push_back(q.queue);
      engine_->ingest(to_tick(s, &q, at));
    }
  } else if (known.empty()) {
    engine_->ingest(to_tick(s, nullptr, at));  // never measured: the source itself
  } else {
    for (const auto& name : known) {
      auto t = to_tick(s, nullptr, at);
      t.key.queue = name;
      engine_->ingest(t);
    }
  }
}

void AlertingPipeline::ingest_replication(const probes::ReplicationSample& s, rules::Time at) {
  rules::ReplicationTick t;
  t.target = s.target;
  t.at = at;
  t.up = s.up;
  t.in_recovery = s.in_recovery;
  t.stats_visible = s.stats_visible;
  for (const auto& w : s.senders)
    t.senders.push_back({w.application_name, w.state, w.replay_bytes, w.replay_seconds});
  t.receiver_status = s.receiver_status;
  t.application_name = s.application_name;
  t.replay_lag_seconds = s.replay_lag_seconds;
  t.receive_replay_bytes = s.receive_replay_bytes;
  t.replay_paused = s.replay_paused;
  engine_->ingest(t);
}

probes::HistoryAnswer AlertingPipeline::wants_history(const std::string& target,
                                                      const std::string& source) {
  using probes::HistoryAnswer;
  std::lock_guard lock(mutex_);
  if (history_settled_.contains({target, source})) return HistoryAnswer::no;
  if (history_stopped_.contains(target) || engine_->has_history(target, source)) {
    history_settled_.insert({target, source});
    return HistoryAnswer::no;
  }
  if (history_reading_.contains(target)) return HistoryAnswer::later;
  history_reading_[target] = source;
  history_settled_.insert({target, source});
  return HistoryAnswer::yes;
}

void AlertingPipeline::warm_start(const probes::QueueHistorySample& h) {
  history_reading_.erase(h.target);
  // Warm starts are one connection's work for a while after a start; on a target with many
  // sources over big tables that could go on for hours. Past this budget the rest learn live.
  constexpr double kBudgetSeconds = 120;
  if ((history_seconds_[h.target] += h.seconds) >= kBudgetSeconds &&
      history_stopped_.insert(h.target).second) {
    spdlog::warn(
        "{}: warm starts have read history for {:.0f} s, the budget per target; the "
        "remaining sources learn their baselines live",
        h.target, history_seconds_[h.target]);
  }
  if (!h.ok) {
    spdlog::warn("{}/{}: warm start skipped ({}: {}); the baseline is learned live", h.target,
                 h.source, probes::to_string(h.reason), h.detail);
    if ((h.reason == probes::FailureReason::query_timeout ||
         h.reason == probes::FailureReason::too_many_connections) &&
        history_stopped_.insert(h.target).second) {
      // The database is slow or full: reading more history would only add to it.
      spdlog::warn("{}: no further warm starts on this target", h.target);
    }
    return;
  }
  std::map<std::string, std::vector<rules::HourlyCount>> by_queue;
  for (const auto& row : h.hours) {
    by_queue[row.queue].push_back(
        {rules::Time{std::chrono::seconds{row.hour_start}}, static_cast<double>(row.completed)});
  }
  const rules::Time until{std::chrono::seconds{h.until}};
  for (const auto& [queue, rows] : by_queue) {
    engine_->warm_start({h.target, h.source, queue}, rules::complete_hours(rows, until), until);
  }
  spdlog::info("{}/{}: warm start read {} hour(s) with completions, {} queue(s), from the table",
               h.target, h.source, h.hours.size(), by_queue.size());
}

void AlertingPipeline::evaluate(rules::Time now) {
  std::vector<rules::ActiveCondition> active;
  std::set<std::string> undecided;
  // The labels of alerts that may end in this evaluation (then gone from service_->alerts()),
  // for the transition log.
  std::map<std::string, alerts::Labels> labels_of;
  {
    std::lock_guard lock(mutex_);
    active = engine_->evaluate(now);
    // The expectations change hourly at most (a level refresh, a new hour, an excluded one):
    // every 15 s is plenty, and spares a daemon of 10,000 queues a walk over all of them on
    // most ticks (bench/rules_eval_bench: 15% of an evaluation's instructions).
    if (now - expectation_updated_ >= std::chrono::seconds{15} || now < expectation_updated_) {
      expectation_metrics_.update(*engine_, now);
      expectation_updated_ = now;
    }
    // An alert resolves on evidence only: one the rules could not judge (restored after a
    // restart and not yet measured, or whose evidence the restart erased) is kept as it is,
    // unless its source or target has left the configuration. So is a firing one whose
    // incident goes on under a rule it holds back (a silent queue still collapsed).
    const std::vector<alerts::Alert> alerts = service_->alerts();
    const std::set<std::string> kept_open = alerts::holders_kept_open(alerts);
    for (const alerts::Alert& a : alerts) {
      labels_of.emplace(a.fingerprint, a.labels);
      if (a.state != alerts::AlertState::inactive && still_configured(a.labels) &&
          (engine_->undecided(a.labels) || kept_open.contains(a.fingerprint)))
        undecided.insert(a.fingerprint);
    }
  }
  const auto result = service_->evaluate(now, active, undecided);
  if (!result.step.transitions.empty()) log_transitions(result.step.transitions, labels_of);
  // An enqueue error is the outbox's write error, counted and logged there; the engine rolled
  // back and plans the same notifications next time.
  if (!result.enqueue_error.empty())
    spdlog::debug("notifications not accepted: {}", result.enqueue_error);
  if (result.saved) {
    if (!result.save_error.empty()) {
      state_errors_->failed(alerts::StateErrors::kAlerts,
                            "alert state not saved: " + result.save_error);
    } else {
      state_errors_->succeeded(alerts::StateErrors::kAlerts);
    }
  }
}

// The fingerprint alone sends the reader to alerts.json: each line names what the alert is about
// (target, source, queue), in the message for people and as fields for log pipelines.
void AlertingPipeline::log_transitions(const std::vector<alerts::Transition>& transitions,
                                       std::map<std::string, alerts::Labels> labels_of) const {
  for (const alerts::Alert& a : service_->alerts()) labels_of.emplace(a.fingerprint, a.labels);
  for (const auto& t : transitions) {
    const bool resolved =
        t.from == alerts::AlertState::firing && t.to == alerts::AlertState::inactive;
    const auto found = labels_of.find(t.fingerprint);
    const auto label = [&](const char* name) -> std::string {
      if (found == labels_of.end()) return "";
      const auto it = found->second.find(name);
      return it == found->second.end() ? "" : it->second;
    };
    const std::string target = label("target"), source = label("source"), queue = label("queue");
    const std::string provider = label("provider"), incident = label("incident");
    std::string about = target.empty() && !provider.empty()
                            ? "provider " + provider + ", incident " + incident
                            : "target " + target;
    if (!source.empty()) about += ", source " + source;
    if (!queue.empty()) about += ", queue " + queue;
    std::vector<std::pair<std::string, std::string>> pairs = {{"alertname", t.alertname}};
    // A target's alert has no source or queue: no empty keys that look like a value.
    if (!target.empty()) pairs.emplace_back("target", target);
    if (!source.empty()) pairs.emplace_back("source", source);
    if (!queue.empty()) pairs.emplace_back("queue", queue);
    if (target.empty() && !provider.empty()) {
      pairs.emplace_back("provider", provider);
      pairs.emplace_back("incident", incident);
    }
    pairs.emplace_back("fingerprint", t.fingerprint);
    const LogFields fields(std::move(pairs));
    spdlog::log(t.to == alerts::AlertState::firing ? spdlog::level::warn : spdlog::level::info,
                "alert {} ({}) {} -> {} (value {})", t.alertname, about, alerts::to_string(t.from),
                resolved ? "resolved" : alerts::to_string(t.to), t.value);
  }
}

bool AlertingPipeline::still_configured(const alerts::Labels& labels) const {
  const auto label = [&labels](const char* name) {
    const auto it = labels.find(name);
    return it == labels.end() ? std::string() : it->second;
  };
  const std::string target = label("target"), source = label("source");
  // A provider's alerts name the provider, not a target.
  if (labels.contains("provider") && !labels.contains("target"))
    return config_.find_provider(label("provider")) != nullptr;
  // A cluster's alerts, and its sources', name the cluster as their target.
  if (config_.find_target(target) == nullptr && config_.find_cluster(target) == nullptr)
    return false;
  if (!labels.contains("source")) return true;  // a target's alert
  for (const auto& q : config_.queues)
    if (q.target == target && q.name == source) return true;
  return false;
}

void AlertingPipeline::reconfigure(const config::Config& config) {
  {
    std::lock_guard lock(mutex_);
    config_ = config;
    engine_->reconfigure(config.rules, load_timezone_or_throw(config.rules.timezone));
    engine_->set_clusters(cluster_members(config));
    engine_->set_providers(provider_names(config));
  }
  service_->reconfigure(config.alerting);
  dispatcher_->reconfigure(config.alerting);
}

}  // namespace qw::daemon
