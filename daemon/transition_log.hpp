#pragma once
// Logs what an operator reading the journal needs: a target going down (with the reason and the
// server's own words), coming back, and a queue source starting or ceasing to fail. Only
// transitions are logged, so an outage is a few lines, not one per probe run.
#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "probes/samples.hpp"

namespace qw::daemon {

class TransitionLogger : public probes::SampleSink {
 public:
  void publish(const probes::Sample& sample) override;

 private:
  std::mutex mutex_;
  std::map<std::string, probes::FailureReason> last_;  // key -> last reason (none = healthy)
};

// Hands every sample to several sinks (the exporter, the transition log, later the rules).
class FanoutSink : public probes::SampleSink {
 public:
  explicit FanoutSink(std::vector<probes::SampleSink*> sinks) : sinks_(std::move(sinks)) {}
  void publish(const probes::Sample& sample) override {
    for (auto* sink : sinks_) sink->publish(sample);
  }
  probes::HistoryAnswer wants_history(const std::string& target,
                                      const std::string& source) override {
    auto answer = probes::HistoryAnswer::no;  // the most eager answer wins: yes > later > no
    for (auto* sink : sinks_) answer = std::max(answer, sink->wants_history(target, source));
    return answer;
  }

 private:
  std::vector<probes::SampleSink*> sinks_;
};

}  // namespace qw::daemon
