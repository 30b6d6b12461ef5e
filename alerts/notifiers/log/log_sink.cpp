#include "alerts/notifiers/log/log_sink.hpp"

#include <spdlog/spdlog.h>

#include "alerts/notifiers/log/log_encoder.hpp"

namespace qw::alerts::notifiers {

SendResult LogSink::send(const Notification& n) {
  spdlog::info("{}", log_line(n, receiver_));
  return {};
}

}  // namespace qw::alerts::notifiers
