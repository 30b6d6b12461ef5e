#pragma once
// One Sink per configured receiver: the receiver kind picks the encoder and the URL shape.
#include <memory>
#include <string>

#include "alerts/notifiers/sink.hpp"
#include "config/alerting_config.hpp"

namespace qw::alerts::notifiers {

// alertmanager's url is the base ("http://am:9093"); /api/v2/alerts is appended.
std::unique_ptr<Sink> make_sink(const config::ReceiverConfig& receiver,
                                const std::string& external_url);

}  // namespace qw::alerts::notifiers
