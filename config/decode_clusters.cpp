// `clusters`: targets that are one database (a primary and its standbys), each key one row
// (config/schema.hpp). Read after `targets`, whose names the members must be, and before
// `queues`, whose `target` may name a cluster.
#include <fmt/format.h>

#include <set>

#include "config/decoders.hpp"
#include "config/schema.hpp"
#include "config/suggest.hpp"

namespace qw::config::detail {
namespace {

std::vector<Field<ClusterDecode>> make_cluster_rows() {
  using C = ClusterConfig;
  return {
      lift_field(required(field("name", &C::name, name_reader(),
                                "unique among targets and clusters; the `cluster` label, and the "
                                "`target` label of the sources that run on it")),
                 &ClusterDecode::cluster),
      required(custom_field<ClusterDecode>(
          "members", "a list of target names, at least two",
          "the targets that are this database: its primary and standbys, in any order",
          [](Context& ctx, const Value& v, ClusterDecode& out) {
            std::optional<std::vector<std::string>> names = read_string_list(ctx, v);
            if (!names) return;
            std::set<std::string> seen;
            for (const std::string& name : *names) {
              if (!seen.insert(name).second) {
                ctx.error(v.path, v.mark, fmt::format("\"{}\" is listed twice", name));
                return;
              }
              const TargetConfig* t = find_by_name(*out.targets, name);
              if (t == nullptr) {
                std::vector<std::string_view> known;
                for (const TargetConfig& k : *out.targets) known.push_back(k.name);
                std::string message = fmt::format("no target named \"{}\"", name);
                if (auto guess = closest_match(name, known))
                  message += fmt::format("; did you mean \"{}\"?", *guess);
                ctx.error(v.path, v.mark, std::move(message));
                return;
              }
              // A member's role changes at a failover by design: the cluster watches it. A
              // fixed `expect` would report the new primary (or the old one) down.
              if (t->expect != ExpectedRole::any) {
                ctx.error(
                    v.path, v.mark,
                    fmt::format("target \"{}\" has `expect: {}`, but a cluster member's role "
                                "changes at a failover: drop `expect` from it (the cluster "
                                "alerts on no_primary and split_brain instead)",
                                name, t->expect == ExpectedRole::primary ? "primary" : "replica"));
                return;
              }
            }
            if (names->size() < 2) {
              ctx.error(v.path, v.mark,
                        "a cluster needs at least two members (one is a plain target)");
              return;
            }
            out.cluster.members = std::move(*names);
          },
          "required")),
  };
}

}  // namespace

const std::vector<Field<ClusterDecode>>& cluster_fields() {
  static const std::vector<Field<ClusterDecode>> rows = make_cluster_rows();
  return rows;
}

void decode_clusters(Context& ctx, const Value& value, const std::vector<TargetConfig>& targets,
                     std::vector<ClusterConfig>& out) {
  for (const Value& item : read_sequence(ctx, value)) {
    ClusterDecode decode;
    decode.targets = &targets;
    decode.cluster.mark = item.mark;
    MapReader map(ctx, item, keys_of(cluster_fields()));
    if (!map.is_mapping()) continue;
    decode_fields(ctx, map, cluster_fields(), decode);
    ClusterConfig& cluster = decode.cluster;
    const Value name_at{item.node["name"], child_path(item.path, "name"),
                        mark_of(item.node["name"].Mark())};
    if (cluster.name.empty()) continue;  // reported already
    if (const ClusterConfig* first = find_by_name(out, cluster.name)) {
      ctx.error(name_at.path, name_at.mark,
                fmt::format("duplicate cluster name \"{}\" (first defined at line {})",
                            cluster.name, first->mark.line));
      continue;
    }
    // A source's `target` may name either: one name must mean one thing.
    if (find_by_name(targets, cluster.name) != nullptr) {
      ctx.error(name_at.path, name_at.mark,
                fmt::format("\"{}\" is already a target's name", cluster.name));
      continue;
    }
    bool shared = false;
    for (const ClusterConfig& other : out)
      for (const std::string& m : cluster.members)
        if (std::find(other.members.begin(), other.members.end(), m) != other.members.end()) {
          ctx.error(
              child_path(item.path, "members"), name_at.mark,
              fmt::format("target \"{}\" is already a member of cluster \"{}\"", m, other.name));
          shared = true;
        }
    if (!shared) out.push_back(std::move(cluster));
  }
}

}  // namespace qw::config::detail
