#pragma once
// The probe interface. A probe observes one thing (a target's health, one job table) and
// publishes samples. The scheduler owns timing, overlap and backoff; the probe owns only SQL.
#include <memory>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "probes/failure_reason.hpp"
#include "probes/samples.hpp"

namespace qw::probes {

namespace pg {
class TargetPool;
}

// What a run may use. The pool is the target's: probes never open connections themselves.
struct ProbeContext {
  pg::TargetPool& pool;
};

class Probe {
 public:
  virtual ~Probe() = default;
  virtual std::string_view kind() const = 0;  // "postgres_queue"; the `probe` label
  virtual const std::string& id() const = 0;  // unique, e.g. "postgres_queue/primary/app_jobs"
  virtual const std::string& target() const = 0;
  virtual config::Duration interval() const = 0;
  virtual config::Duration max_backoff() const = 0;

  // One round, blocking. Runs on a worker thread, never concurrently with itself. Publishes its
  // samples (also on failure: "cannot measure" is data) and returns why it failed, or none.
  virtual FailureReason run(ProbeContext& ctx, SampleSink& sink) = 0;

  // Reload (as Prometheus reloads rule groups): true when this probe, built from the new
  // configuration, observes exactly what `running` (same id) does, so `running` carries on with
  // its in-memory state (watermarks, learnt schema, warm start) instead of starting over. The
  // default starts over.
  virtual bool same_observation(const Probe& running) const {
    static_cast<void>(running);
    return false;
  }
  // Called on a carried-over probe with the new configuration's instance: takes the settings
  // that do not touch its state (e.g. rule thresholds). On the event loop, possibly while run()
  // is going on a worker.
  virtual void take_settings(const Probe& fresh) { static_cast<void>(fresh); }
};

using ProbeList = std::vector<std::unique_ptr<Probe>>;

}  // namespace qw::probes
