// `targets`: the databases queuewatch connects to.
#include <fmt/format.h>

#include <filesystem>

#include "config/decoders.hpp"
#include "config/dsn_check.hpp"
#include "config/password_file.hpp"

namespace qw::config::detail {
namespace {

constexpr std::string_view kTargetKeys[] = {
    "name", "dsn", "password_file", "region", "expect", "connect_timeout", "max_connections"};

constexpr EnumWord<ExpectedRole> kRoles[] = {
    {"any", ExpectedRole::any},
    {"primary", ExpectedRole::primary},
    {"replica", ExpectedRole::replica},
};

std::string resolve(const Context& ctx, const std::string& path) {
  const std::filesystem::path p(path);
  if (p.is_absolute() || ctx.base_dir().empty()) return path;
  return (std::filesystem::path(ctx.base_dir()) / p).lexically_normal().string();
}

TargetConfig decode_target(Context& ctx, const Value& value) {
  TargetConfig t;
  t.mark = value.mark;
  MapReader map(ctx, value, kTargetKeys);
  if (auto v = map.require("name")) assign(read_name(ctx, *v), t.name);
  if (auto v = map.require("region")) assign(read_nonempty_string(ctx, *v), t.region);
  if (auto v = map.get("expect")) assign(read_enum(ctx, *v, kRoles), t.expect);
  if (auto v = map.get("connect_timeout")) {
    // libpq counts whole seconds (and treats 1 as 2): sub-second values would be a promise
    // the connection code cannot keep.
    assign(read_duration(ctx, *v, bounds::kConnectTimeout), t.connect_timeout);
  }
  if (auto v = map.get("max_connections")) {
    assign(read_integer(ctx, *v, bounds::kTargetMaxConnections), t.max_connections);
  }

  DsnCheck dsn_check;
  if (auto v = map.require("dsn")) {
    if (std::optional<std::string> dsn = read_nonempty_string(ctx, *v)) {
      dsn_check = check_dsn(*dsn);
      if (dsn_check.error.empty()) {
        t.dsn = std::move(*dsn);
      } else {
        ctx.error(v->path, v->mark, dsn_check.error);
      }
    }
  }
  if (auto v = map.get("password_file")) {
    if (std::optional<std::string> path = read_nonempty_string(ctx, *v)) {
      const std::string resolved = resolve(ctx, *path);
      // Read now only to fail at load time; the connection code reads it again on each connect.
      const PasswordFileResult read = read_password_file(resolved);
      if (!read.ok()) {
        ctx.error(v->path, v->mark, read.error);
      } else if (dsn_check.has_password) {
        ctx.error(v->path, v->mark,
                  "the dsn already holds a password: keep it in one place (remove it from the "
                  "dsn, or drop password_file)");
      } else {
        t.password_file = resolved;
      }
    }
  }
  return t;
}

}  // namespace

void decode_targets(Context& ctx, const Value& value, std::vector<TargetConfig>& out) {
  const std::vector<Value> items = read_sequence(ctx, value);
  if (items.empty() && (value.node.IsNull() || value.node.IsSequence())) {
    ctx.error(value.path, value.mark, "at least one target is required");
    return;
  }
  for (const Value& item : items) {
    TargetConfig target = decode_target(ctx, item);
    const TargetConfig* first = find_by_name(out, target.name);
    if (!target.name.empty() && first != nullptr) {
      ctx.error(child_path(item.path, "name"), mark_of(item.node["name"].Mark()),
                fmt::format("duplicate target name \"{}\" (first defined at line {})", target.name,
                            first->mark.line));
      continue;
    }
    out.push_back(std::move(target));
  }
}

}  // namespace qw::config::detail
