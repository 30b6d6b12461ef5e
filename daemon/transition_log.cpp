#include "daemon/transition_log.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "daemon/log_format.hpp"
#include "probes/sample_visit.hpp"

namespace qw::daemon {

void TransitionLogger::publish(const probes::Sample& sample) {
  std::string key, what, detail, target, source;
  probes::FailureReason reason = probes::FailureReason::none;
  const bool transitions = probes::visit_sample(
      sample, qw::overloaded{
                  [&](const probes::TargetHealthSample& h) {
                    key = "target/" + h.target;
                    what = "target " + h.target;
                    target = h.target;
                    reason = h.up ? probes::FailureReason::none : h.reason;
                    detail = h.detail;
                    return true;
                  },
                  [&](const probes::QueueProbeSample& q) {
                    key = "source/" + q.source;
                    what = "queue source " + q.source + " (target " + q.target + ")";
                    target = q.target;
                    source = q.source;
                    reason = q.ok ? probes::FailureReason::none : q.reason;
                    detail = q.detail;
                    return true;
                  },
                  // A warm start's outcome is logged by the alerting pipeline, once per source.
                  [](const probes::QueueHistorySample&) { return false; },
                  [&](const probes::ProviderStatusSample& p) {
                    key = "provider/" + p.provider;
                    what = "provider feed " + p.provider;
                    // Its own reasons are not database ones: the detail names it.
                    reason = p.up ? probes::FailureReason::none : probes::FailureReason::other;
                    detail =
                        fmt::format("{}: {}", probes::provider::to_string(p.failure), p.detail);
                    return true;
                  },
                  [&](const probes::ReplicationSample& r) {
                    key = "replication/" + r.target;
                    what = "replication probe of " + r.target;
                    target = r.target;
                    reason = r.up ? probes::FailureReason::none : r.reason;
                    detail = r.detail;
                    return true;
                  },
              });
  if (!transitions) return;
  std::lock_guard lock(mutex_);
  const auto it = last_.find(key);
  const bool first = it == last_.end();
  const auto before = first ? probes::FailureReason::none : it->second;
  last_[key] = reason;
  if (reason == before) return;
  // For log pipelines (logfmt, json): what the line is about, and why, as keys of their own.
  std::vector<std::pair<std::string, std::string>> fields;
  if (!target.empty()) fields.emplace_back("target", target);
  if (!source.empty()) fields.emplace_back("source", source);
  if (reason != probes::FailureReason::none)
    fields.emplace_back("reason", std::string(probes::to_string(reason)));
  const LogFields scope(std::move(fields));
  if (reason == probes::FailureReason::none)
    spdlog::info("{} recovered", what);
  else
    spdlog::error("{} failing: {} ({})", what, probes::describe(reason), detail);
}

}  // namespace qw::daemon
