// `queuewatch once`: every probe runs once, in order, and what it saw is printed. Runbooks use
// it to answer "what does queuewatch see right now?" without Prometheus.
#include <iostream>
#include <mutex>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "config/loader.hpp"
#include "daemon/app.hpp"
#include "probes/pg/conninfo.hpp"
#include "probes/pg/pool_set.hpp"
#include "probes/registry.hpp"
#include "probes/sample_visit.hpp"

namespace qw::daemon {

namespace {

class CollectingSink : public probes::SampleSink {
 public:
  void publish(const probes::Sample& sample) override {
    std::lock_guard lock(mutex_);
    samples.push_back(sample);
  }
  std::vector<probes::Sample> samples;

 private:
  std::mutex mutex_;
};

std::string age(const std::optional<double>& seconds) {
  return seconds ? fmt::format("{:.1f}s", *seconds) : "-";
}

void print_target(const probes::TargetHealthSample& h, const config::Config& config) {
  const auto* t = config.find_target(h.target);
  std::cout << fmt::format(
      "{:<20} {:<26} {:<5} {:<22} {:>9} {:<8} {}\n", h.target,
      t ? probes::pg::describe_endpoint(t->dsn) : "?", h.up ? "yes" : "NO",
      h.up ? (h.in_recovery.value_or(false) ? "(standby)" : "") : probes::to_string(h.reason),
      h.query_seconds ? fmt::format("{:.1f}ms", *h.query_seconds * 1000) : "-", h.server_version,
      h.detail);
}

void print_source(const probes::QueueProbeSample& q) {
  if (!q.ok) {
    std::cout << fmt::format("{:<20} {:<20} {:>9} {:>10} {:>9} {:>10} {:>10} {:>6}  {}: {}\n",
                             q.source, "-", "-", "-", "-", "-", "-", "-",
                             probes::to_string(q.reason), q.detail);
    return;
  }
  for (const auto& x : q.queues)
    std::cout << fmt::format(
        "{:<20} {:<20} {:>9} {:>10} {:>9} {:>10} {:>10} {:>6}  ok\n", q.source, x.queue,
        fmt::format("{}{}", x.ready, x.ready_capped ? "+" : ""), age(x.oldest_ready_age_seconds),
        fmt::format("{}{}", x.running, x.running_capped ? "+" : ""),
        age(x.oldest_running_age_seconds), age(x.oldest_heartbeat_age_seconds), x.stuck);
}

// One table per kind of sample, each after its header: the samples are walked once per table.
void print_table(const std::vector<probes::Sample>& samples, const config::Config& config) {
  std::cout << fmt::format("{:<20} {:<26} {:<5} {:<22} {:>9} {:<8} {}\n", "TARGET", "ENDPOINT",
                           "UP", "REASON", "LATENCY", "VERSION", "DETAIL");
  for (const auto& s : samples)
    probes::visit_sample(s,
                         qw::overloaded{
                             [&](const probes::TargetHealthSample& h) { print_target(h, config); },
                             [](const probes::QueueProbeSample&) {},      // the next table
                             [](const probes::QueueHistorySample&) {},    // once reads none
                             [](const probes::ProviderStatusSample&) {},  // a later table
                             [](const probes::ReplicationSample&) {},     // the last table
                         });
  std::cout << "\n"
            << fmt::format("{:<20} {:<20} {:>9} {:>10} {:>9} {:>10} {:>10} {:>6}  {}\n", "SOURCE",
                           "QUEUE", "READY", "READY_AGE", "RUNNING", "RUN_AGE", "HEARTBEAT",
                           "STUCK", "STATUS");
  for (const auto& s : samples)
    probes::visit_sample(s, qw::overloaded{
                                [](const probes::TargetHealthSample&) {},  // the table above
                                [](const probes::QueueProbeSample& q) { print_source(q); },
                                [](const probes::QueueHistorySample&) {},    // once reads none
                                [](const probes::ProviderStatusSample&) {},  // the next table
                                [](const probes::ReplicationSample&) {},     // the last table
                            });
  bool any_provider = false;
  for (const auto& s : samples)
    probes::visit_sample(
        s, qw::overloaded{
               [](const probes::TargetHealthSample&) {},  // the first table
               [](const probes::QueueProbeSample&) {},    // the second table
               [](const probes::QueueHistorySample&) {},  // once reads none
               [&](const probes::ProviderStatusSample& p) {
                 if (!any_provider)
                   std::cout << "\n"
                             << fmt::format("{:<20} {:<5} {:<12} {:>9}  {}\n", "PROVIDER", "UP",
                                            "REASON", "INCIDENTS", "DETAIL");
                 any_provider = true;
                 std::cout << fmt::format(
                     "{:<20} {:<5} {:<12} {:>9}  {}\n", p.provider, p.up ? "yes" : "no",
                     p.up ? "" : probes::provider::to_string(p.failure),
                     p.known ? std::to_string(p.incidents.size()) : "-", p.detail);
               },
               [](const probes::ReplicationSample&) {},  // the next table
           });
  bool any_replication = false;
  for (const auto& s : samples)
    probes::visit_sample(
        s, qw::overloaded{
               [](const probes::TargetHealthSample&) {},    // the first table
               [](const probes::QueueProbeSample&) {},      // the second table
               [](const probes::QueueHistorySample&) {},    // once reads none
               [](const probes::ProviderStatusSample&) {},  // the table above
               [&](const probes::ReplicationSample& r) {
                 if (!any_replication)
                   std::cout << "\n"
                             << fmt::format("{:<20} {:<8} {:<10} {:>9} {:>12} {:>7}  {}\n",
                                            "MEMBER", "ROLE", "RECEIVER", "LAG_S", "LAG_BYTES",
                                            "SENDERS", "DETAIL");
                 any_replication = true;
                 const bool standby = r.in_recovery.value_or(false);
                 std::cout << fmt::format(
                     "{:<20} {:<8} {:<10} {:>9} {:>12} {:>7}  {}\n", r.target,
                     !r.up     ? "-"
                     : standby ? "standby"
                               : "primary",
                     standby ? (r.receiver_status.empty() ? "none" : r.receiver_status) : "-",
                     r.replay_lag_seconds ? fmt::format("{:.1f}", *r.replay_lag_seconds) : "-",
                     r.receive_replay_bytes ? fmt::format("{:.0f}", *r.receive_replay_bytes) : "-",
                     r.up ? std::to_string(r.senders.size()) : "-",
                     r.up ? "" : fmt::format("{}: {}", probes::to_string(r.reason), r.detail));
               },
           });
}

boost::json::value opt(const std::optional<double>& v) {
  return v ? boost::json::value(*v) : boost::json::value(nullptr);
}

void print_json(const std::vector<probes::Sample>& samples) {
  boost::json::array targets, sources, providers, replication;
  for (const auto& s : samples) {
    probes::visit_sample(
        s,
        qw::overloaded{
            [&](const probes::TargetHealthSample& h) {
              boost::json::object o{{"target", h.target},
                                    {"up", h.up},
                                    {"reason", probes::to_string(h.reason)},
                                    {"detail", h.detail},
                                    {"connect_seconds", opt(h.connect_seconds)},
                                    {"query_seconds", opt(h.query_seconds)},
                                    {"server_version", h.server_version}};
              o["in_recovery"] =
                  h.in_recovery ? boost::json::value(*h.in_recovery) : boost::json::value(nullptr);
              targets.push_back(std::move(o));
            },
            [&](const probes::QueueProbeSample& q) {
              boost::json::array queues;
              for (const auto& x : q.queues)
                queues.push_back(boost::json::object{
                    {"queue", x.queue},
                    {"ready", x.ready},
                    {"ready_capped", x.ready_capped},
                    {"oldest_ready_age_seconds", opt(x.oldest_ready_age_seconds)},
                    {"running", x.running},
                    {"running_capped", x.running_capped},
                    {"oldest_running_age_seconds", opt(x.oldest_running_age_seconds)},
                    {"oldest_heartbeat_age_seconds", opt(x.oldest_heartbeat_age_seconds)},
                    {"stuck", x.stuck},
                    {"stuck_job_ids", boost::json::value_from(x.stuck_job_ids)}});
              sources.push_back(boost::json::object{{"target", q.target},
                                                    {"source", q.source},
                                                    {"ok", q.ok},
                                                    {"reason", probes::to_string(q.reason)},
                                                    {"detail", q.detail},
                                                    {"queues", std::move(queues)}});
            },
            [](const probes::QueueHistorySample&) {},  // once never asks for history
            [&](const probes::ProviderStatusSample& p) {
              boost::json::array incidents;
              for (const auto& i : p.incidents)
                incidents.push_back(boost::json::object{
                    {"id", i.id}, {"title", i.title}, {"impact", i.impact}, {"link", i.link}});
              providers.push_back(
                  boost::json::object{{"provider", p.provider},
                                      {"up", p.up},
                                      {"reason", probes::provider::to_string(p.failure)},
                                      {"detail", p.detail},
                                      {"incidents", std::move(incidents)}});
            },
            [&](const probes::ReplicationSample& r) {
              boost::json::array senders;
              for (const auto& w : r.senders)
                senders.push_back(boost::json::object{{"application_name", w.application_name},
                                                      {"state", w.state},
                                                      {"replay_bytes", opt(w.replay_bytes)},
                                                      {"replay_seconds", opt(w.replay_seconds)}});
              boost::json::array slots;
              for (const auto& slot : r.slots)
                slots.push_back(boost::json::object{{"slot", slot.name},
                                                    {"slot_type", slot.type},
                                                    {"active", slot.active},
                                                    {"retained_bytes", opt(slot.retained_bytes)}});
              replication.push_back(boost::json::object{
                  {"target", r.target},
                  {"up", r.up},
                  {"reason", probes::to_string(r.reason)},
                  {"detail", r.detail},
                  {"in_recovery", r.in_recovery ? boost::json::value(*r.in_recovery)
                                                : boost::json::value(nullptr)},
                  {"receiver_status", r.receiver_status},
                  {"replay_lag_seconds", opt(r.replay_lag_seconds)},
                  {"receive_replay_bytes", opt(r.receive_replay_bytes)},
                  {"senders", std::move(senders)},
                  {"slots", std::move(slots)}});
            },
        });
  }
  std::cout << boost::json::serialize(boost::json::object{{"targets", std::move(targets)},
                                                          {"sources", std::move(sources)},
                                                          {"providers", std::move(providers)},
                                                          {"replication", std::move(replication)}})
            << "\n";
}

}  // namespace

int run_once(const CliOptions& options) {
  auto loaded = config::load_file(options.config_path);
  if (!loaded.ok()) {
    for (const auto& e : loaded.errors) std::cerr << e.to_string() << "\n";
    return kExitUsage;
  }
  spdlog::set_level(spdlog::level::warn);  // the table is the output; logs only for trouble
  const auto& config = loaded.config;
  probes::pg::PoolSet pools(config);
  CollectingSink sink;
  bool all_ok = true;
  for (auto& probe : probes::make_all_probes(config)) {
    // Health probes run first (probes/registry.cpp): a cluster's source then finds its primary.
    const auto pool = pools.for_probe(probe->target());
    if (!pool) throw std::out_of_range("unknown target " + probe->target());
    probes::ProbeContext ctx{*pool};
    all_ok = probe->run(ctx, sink) == probes::FailureReason::none && all_ok;
  }
  if (options.format == OutputFormat::json)
    print_json(sink.samples);
  else
    print_table(sink.samples, config);
  return all_ok ? kExitOk : kExitFailure;
}

}  // namespace qw::daemon
