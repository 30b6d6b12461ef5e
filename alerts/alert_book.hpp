#pragma once
// The alert lifecycle, as in Prometheus' rules/alerting.go. Each evaluation receives the complete
// set of conditions active now (anything absent is inactive now) and the time, and moves every
// alert along:
//
//   new and active      -> pending, or firing at once when `for` is 0
//   pending             -> firing once now - active_at >= for
//   pending, cleared    -> forgotten silently: it never fired, so there is nothing to resolve
//   firing, cleared     -> stays firing while now - last_active < keep_firing_for, then resolved
//                          (state inactive, resolved_at set), kept for resolved_retention so the
//                          resolved notice can go out and survive a restart
//   resolved, active    -> a NEW incident: pending again with a new active_at
//
// Value and annotations follow the latest active evaluation; annotations are the rules' final
// text and are never expanded again (data must never become template source). Pure: no I/O, no
// clock.
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "alerts/alert.hpp"
#include "rules/observation.hpp"

namespace qw::alerts {

struct BookOptions {
  Labels external_labels;  // added to every alert (and so to its fingerprint); alert labels win
  // Prometheus' resolvedRetention: how long a resolved alert stays visible after it resolved.
  std::chrono::milliseconds resolved_retention{15 * 60 * 1000};
};

class AlertBook {
 public:
  explicit AlertBook(BookOptions options = {}) : options_(std::move(options)) {}

  // `active`: the conditions that hold. An alert whose condition is absent resolves (after
  // keep_firing_for), unless its fingerprint is in `undecided`: the rules lacked the evidence to
  // judge it (a restart, nothing measured yet), and it is kept exactly as it is.
  std::vector<Transition> evaluate(Time now, const std::vector<rules::ActiveCondition>& active,
                                   const std::set<std::string>& undecided = {});

  // Every alert the book holds (pending, firing, and resolved within retention), by fingerprint.
  std::vector<Alert> alerts() const;

  // Replaces the book's content with alerts read back from the state file.
  void restore(const std::vector<Alert>& alerts);

  // A reload may change external labels or the URL; alerts re-key on their next evaluation.
  void set_options(BookOptions options) { options_ = std::move(options); }

 private:
  // Labels and annotations of one condition as the alert carries them.
  Alert make_snapshot(const rules::ActiveCondition& condition) const;

  BookOptions options_;
  std::map<std::string, Alert> alerts_;  // by fingerprint
};

}  // namespace qw::alerts
