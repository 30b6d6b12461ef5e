#pragma once
// The thresholds one queue is judged by: the defaults, then every matching `overrides` entry in
// file order, each set field replacing the one before (last match wins, per field). The daemon
// uses this too: the queue probe needs the resolved stuck thresholds to count stuck jobs.
#include <string_view>

#include "config/rules_config.hpp"

namespace qw::rules {

using ResolvedQueueRules = config::QueueRules;

// An override applies when one of its `queues` globs matches the queue name and, if it lists
// `sources`, one of those matches the source name.
bool override_matches(const config::RuleOverride& o, std::string_view source,
                      std::string_view queue);

ResolvedQueueRules resolve(const config::RulesConfig& config, std::string_view source,
                           std::string_view queue);

}  // namespace qw::rules
