#pragma once
// What an encoder may know besides the notification: who receives it, where our UI lives, and
// "now" (injected, so encoders stay pure and tests compare exact JSON).
#include <chrono>
#include <string>

#include "alerts/alert.hpp"

namespace qw::alerts::notifiers {

struct EncodeContext {
  std::string receiver;      // receiver name from config
  std::string external_url;  // alerting.external_url; generatorURL and links
  Time now{};
  std::chrono::milliseconds resend_interval{60000};  // alertmanager: endsAt horizon
};

}  // namespace qw::alerts::notifiers
