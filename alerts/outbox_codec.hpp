#pragma once
// The JSON bodies of outbox records (docs/notifiers.md, "Outbox format"):
//   {"type":"enqueue","notification":{...}}
//   {"type":"ack","receiver":"pd","id":"...","result":"success"|"failed"|"dropped"}
// Times are Unix milliseconds: exact, and no time zone to get wrong.
#include <optional>
#include <string>
#include <variant>

#include "alerts/notification.hpp"

namespace qw::alerts {

enum class AckResult { success, failed, dropped };
const char* to_string(AckResult result);

struct EnqueueRecord {
  Notification notification;
};
struct AckRecord {
  std::string receiver;
  std::string id;
  AckResult result = AckResult::success;
};
using OutboxRecord = std::variant<EnqueueRecord, AckRecord>;

std::string encode_record(const OutboxRecord& record);
// std::nullopt when the body is not a record this version understands (reported by the caller).
std::optional<OutboxRecord> decode_record(const std::string& body);

}  // namespace qw::alerts
