#pragma once
// The `log` receiver's sink: writes log_line() at INFO and always succeeds.
#include <string>

#include "alerts/notifiers/sink.hpp"

namespace qw::alerts::notifiers {

class LogSink : public Sink {
 public:
  explicit LogSink(std::string receiver) : receiver_(std::move(receiver)) {}
  SendResult send(const Notification& n) override;
  std::string describe() const override { return "log"; }

 private:
  std::string receiver_;
};

}  // namespace qw::alerts::notifiers
