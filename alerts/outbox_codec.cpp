#include "alerts/outbox_codec.hpp"

#include <charconv>
#include <cmath>

#include <boost/json.hpp>

namespace qw::alerts {

namespace json = boost::json;

namespace {

const char* kind_word(NotificationKind kind) {
  switch (kind) {
    case NotificationKind::firing:
      return "firing";
    case NotificationKind::repeat:
      return "repeat";
    case NotificationKind::resolved:
      return "resolved";
  }
  return "firing";
}

std::optional<NotificationKind> kind_of(std::string_view word) {
  if (word == "firing") return NotificationKind::firing;
  if (word == "repeat") return NotificationKind::repeat;
  if (word == "resolved") return NotificationKind::resolved;
  return std::nullopt;
}

std::optional<AckResult> result_of(std::string_view word) {
  if (word == "success") return AckResult::success;
  if (word == "failed") return AckResult::failed;
  if (word == "dropped") return AckResult::dropped;
  return std::nullopt;
}

json::object to_object(const std::map<std::string, std::string>& map) {
  json::object out;
  for (const auto& [k, v] : map) out[k] = v;
  return out;
}

std::map<std::string, std::string> to_map(const json::object& object) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : object) out[std::string(k)] = std::string(v.as_string());
  return out;
}

Time time_of(const json::value& v) {
  return Time{std::chrono::milliseconds{v.to_number<std::int64_t>()}};
}

std::int64_t millis(Time t) {
  return t.time_since_epoch().count();
}

// Boost.JSON 1.81 (Debian 12) parses doubles imprecisely (off by an ulp or two; its
// parse_options has no precise-number setting), so a value read back from its JSON number is
// not the value written, and every rewrite of the outbox would drift it. "value_text" carries the
// shortest exact form (std::to_chars/from_chars round-trip exactly); "value" stays a number for
// people and for older readers. The fuzzer found the drift (tests/fuzz/outbox_record.cpp).
std::string exact_text(double v) {
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc{} ? std::string(buf, end) : std::string{};
}

std::optional<double> exact_value(const json::string& text) {
  double v = 0;
  const char* first = text.data();
  const char* last = first + text.size();
  const auto [end, ec] = std::from_chars(first, last, v);
  if (ec != std::errc{} || end != last) return std::nullopt;
  return v;
}

}  // namespace

const char* to_string(AckResult result) {
  switch (result) {
    case AckResult::success:
      return "success";
    case AckResult::failed:
      return "failed";
    case AckResult::dropped:
      return "dropped";
  }
  return "success";
}

std::string encode_record(const OutboxRecord& record) {
  json::object out;
  if (const auto* enqueue = std::get_if<EnqueueRecord>(&record)) {
    const Notification& n = enqueue->notification;
    json::object body;
    body["id"] = n.id;
    body["receiver"] = n.receiver;
    body["kind"] = kind_word(n.kind);
    body["fingerprint"] = n.fingerprint;
    body["labels"] = to_object(n.labels);
    body["annotations"] = to_object(n.annotations);
    body["starts_at"] = millis(n.starts_at);
    if (n.ends_at) body["ends_at"] = millis(*n.ends_at);
    // JSON has no NaN or infinity; null stands for "not a number" and must not lose the record.
    if (std::isfinite(n.value)) {
      body["value"] = n.value;
      body["value_text"] = exact_text(n.value);
    } else {
      body["value"] = nullptr;
    }
    body["created_at"] = millis(n.created_at);
    out["type"] = "enqueue";
    out["notification"] = std::move(body);
  } else {
    const auto& ack = std::get<AckRecord>(record);
    out["type"] = "ack";
    out["receiver"] = ack.receiver;
    out["id"] = ack.id;
    out["result"] = to_string(ack.result);
  }
  return json::serialize(out);
}

std::optional<OutboxRecord> decode_record(const std::string& body) {
  try {
    const json::object record = json::parse(body).as_object();
    const auto type = record.at("type").as_string();
    if (type == "enqueue") {
      const json::object& o = record.at("notification").as_object();
      Notification n;
      n.id = std::string(o.at("id").as_string());
      n.receiver = std::string(o.at("receiver").as_string());
      const auto kind = kind_of(o.at("kind").as_string());
      if (!kind) return std::nullopt;
      n.kind = *kind;
      n.fingerprint = std::string(o.at("fingerprint").as_string());
      n.labels = to_map(o.at("labels").as_object());
      n.annotations = to_map(o.at("annotations").as_object());
      n.starts_at = time_of(o.at("starts_at"));
      if (const auto* ends = o.if_contains("ends_at")) n.ends_at = time_of(*ends);
      const json::value& value = o.at("value");
      if (const auto* text = o.if_contains("value_text")) {
        const auto exact = exact_value(text->as_string());
        if (!exact) return std::nullopt;
        n.value = *exact;
      } else {
        n.value = value.is_null() ? std::nan("") : value.to_number<double>();
      }
      n.created_at = time_of(o.at("created_at"));
      return EnqueueRecord{std::move(n)};
    }
    if (type == "ack") {
      AckRecord ack;
      ack.receiver = std::string(record.at("receiver").as_string());
      ack.id = std::string(record.at("id").as_string());
      const auto result = result_of(record.at("result").as_string());
      if (!result) return std::nullopt;
      ack.result = *result;
      return ack;
    }
  } catch (const std::exception&) {
    // Wrong shape or a value out of range: not a record we understand.
  }
  return std::nullopt;
}

}  // namespace qw::alerts
