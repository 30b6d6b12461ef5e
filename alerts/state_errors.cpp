#include "alerts/state_errors.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

namespace qw::alerts {

StateErrors::StateErrors() : log_(spdlog::level::err, std::chrono::minutes(1)) {}

StateErrors::StateErrors(prometheus::Registry& registry, std::chrono::milliseconds log_interval)
    : family_(&prometheus::BuildCounter()
                   .Name("queuewatch_state_write_errors_total")
                   .Help("Failed writes of durable state in state_dir, by file (outbox: "
                         "outbox.log, alerts: alerts.json, baselines: baselines.tsv). The "
                         "daemon keeps running and retries; a full disk shows here.")
                   .Register(registry)),
      log_(spdlog::level::err, log_interval) {
  for (const char* file : {kOutbox, kAlerts, kBaselines}) family_->Add({{"file", file}});
}

void StateErrors::failed(const std::string& file, const std::string& message) {
  {
    std::lock_guard lock(mutex_);
    ++counts_[file];
    failing_[file] = true;
  }
  if (family_ != nullptr) family_->Add({{"file", file}}).Increment();
  log_.note(file, "state: " + message + "; the daemon keeps running and retries the write");
}

void StateErrors::succeeded(const std::string& file) {
  {
    std::lock_guard lock(mutex_);
    const auto it = failing_.find(file);
    if (it == failing_.end() || !it->second) return;
    it->second = false;
  }
  log_.flush(true);  // the last failures first, then the recovery
  spdlog::info("state: writing {} works again", file);
}

std::size_t StateErrors::count(const std::string& file) const {
  std::lock_guard lock(mutex_);
  const auto it = counts_.find(file);
  return it == counts_.end() ? 0 : it->second;
}

}  // namespace qw::alerts
