#pragma once
// One decoder per section of the file. Each reads its part of the tree into Config, recording
// errors in the Context and keeping defaults where a value is missing or wrong. Internal to
// config/; the entry points are in loader.hpp.
#include "config/config.hpp"
#include "config/loader.hpp"
#include "config/yaml_reader.hpp"

namespace qw::config::detail {

void decode_root(Context& ctx, const Value& root, Config& out, Sections sections);
void decode_http(Context& ctx, const Value& value, HttpConfig& out);
void decode_probes(Context& ctx, const Value& value, ProbesConfig& out);
void decode_providers(Context& ctx, const Value& value, std::vector<ProviderConfig>& out);
// Needs the decoded providers: a target's `provider` must name one of them.
void decode_targets(Context& ctx, const Value& value, const std::vector<ProviderConfig>& providers,
                    std::vector<TargetConfig>& out);
// Needs the decoded targets: a cluster's members are targets.
void decode_clusters(Context& ctx, const Value& value, const std::vector<TargetConfig>& targets,
                     std::vector<ClusterConfig>& out);
// Needs the decoded targets: a queue must name one of them.
void decode_queues(Context& ctx, const Value& value, const std::vector<TargetConfig>& targets,
                   std::vector<QueueConfig>& out);
// Parts of a queue: how its rows tell their state, and which columns hold its timestamps.
// `completed_rows` decides whether `completed` may be empty: deleted rows have no state to list.
void decode_state(Context& ctx, const Value& value, CompletedRows completed_rows,
                  StateMapping& out);
void decode_timestamps(Context& ctx, const Value& value, TimestampMapping& out);
// Issue 3 sections (decode_rules.cpp, decode_alerting.cpp).
void decode_rules(Context& ctx, const Value& value, RulesConfig& out);
void decode_alerting(Context& ctx, const Value& value, AlertingConfig& out);

// The first element named `name`, for duplicate checks; nullptr if none.
template <typename T>
const T* find_by_name(const std::vector<T>& items, const std::string& name) {
  for (const T& item : items)
    if (item.name == name) return &item;
  return nullptr;
}

}  // namespace qw::config::detail
