#include "alerts/delivery_metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "alerts/outbox.hpp"

namespace qw::alerts {

DeliveryMetrics::DeliveryMetrics(prometheus::Registry& registry)
    : notifications_(prometheus::BuildCounter()
                         .Name("queuewatch_notifications_total")
                         .Help("Notification delivery attempts by receiver and result (success, "
                               "retry, failed: rejected by the receiver, dropped: outbox full).")
                         .Register(registry)),
      depth_(prometheus::BuildGauge()
                 .Name("queuewatch_outbox_depth")
                 .Help("Notifications in the durable outbox not yet delivered, by receiver.")
                 .Register(registry)),
      oldest_age_(prometheus::BuildGauge()
                      .Name("queuewatch_outbox_oldest_age_seconds")
                      .Help("Age of the oldest undelivered notification, by receiver (0 when "
                            "none is pending).")
                      .Register(registry)),
      damaged_bytes_(prometheus::BuildCounter()
                         .Name("queuewatch_outbox_damaged_bytes_total")
                         .Help("Bytes of outbox.log found damaged when it was replayed at start, "
                               "skipped (intact records after them kept) and copied to "
                               "outbox.log.damaged-*; every firing alert is then notified again.")
                         .Register(registry)
                         .Add({})) {}

void DeliveryMetrics::declare(const std::string& receiver) {
  for (const char* result : {"success", "retry", "failed", "dropped"}) {
    notifications_.Add({{"receiver", receiver}, {"result", result}});
  }
  depth_.Add({{"receiver", receiver}});
  oldest_age_.Add({{"receiver", receiver}});
}

void DeliveryMetrics::count(const std::string& receiver, const char* result) {
  notifications_.Add({{"receiver", receiver}, {"result", result}}).Increment();
}

void DeliveryMetrics::refresh_outbox(const std::string& receiver, const Outbox& outbox) {
  std::lock_guard lock(refresh_mutex_);
  depth_.Add({{"receiver", receiver}}).Set(static_cast<double>(outbox.depth(receiver)));
  const auto oldest = outbox.oldest(receiver);
  const auto now = std::chrono::system_clock::now();
  // Clamped at 0: created_at comes from the alert core's clock, which may be a little ahead.
  const std::chrono::duration<double> age =
      oldest && now > *oldest ? now - *oldest : std::chrono::system_clock::duration{0};
  oldest_age_.Add({{"receiver", receiver}}).Set(age.count());
}

}  // namespace qw::alerts

namespace qw::alerts {

void DeliveryMetrics::count_damaged_bytes(std::size_t bytes) {
  damaged_bytes_.Increment(static_cast<double>(bytes));
}

}  // namespace qw::alerts
