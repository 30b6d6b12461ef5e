// `targets`: the databases queuewatch connects to, each key one row (config/schema.hpp).
#include <fmt/format.h>

#include <cctype>
#include <filesystem>

#include "config/decoders.hpp"
#include "config/dsn_check.hpp"
#include "config/password_file.hpp"
#include "config/schema.hpp"

namespace qw::config::detail {
namespace {

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

std::vector<Field<TargetDecode>> make_target_rows() {
  auto of_target = [](auto row) { return lift_field(std::move(row), &TargetDecode::target); };
  using T = TargetConfig;
  return {
      of_target(required(
          field("name", &T::name, name_reader(), "unique among targets; the `target` label"))),
      // Read after the others, as password_file needs to know whether the dsn holds a password.
      later(required(
          Field<TargetDecode>{"dsn", "a libpq connection string, checked with libpq's parser",
                              [](Context& ctx, const Value& v, TargetDecode& out) {
                                if (std::optional<std::string> dsn = read_nonempty_string(ctx, v)) {
                                  out.dsn = check_dsn(*dsn);
                                  if (out.dsn.error.empty()) {
                                    out.target.dsn = std::move(*dsn);
                                  } else {
                                    ctx.error(v.path, v.mark, out.dsn.error);
                                  }
                                }
                              },
                              [](const TargetDecode&) { return std::string(); },
                              "`key=value ...` or a `postgresql://` URI", false, "", 0})),
      later(Field<TargetDecode>{
          "password_file", "a file whose first line is the password",
          [](Context& ctx, const Value& v, TargetDecode& out) {
            if (std::optional<std::string> path = read_nonempty_string(ctx, v)) {
              const std::string resolved = resolve(ctx, *path);
              // Read now only to fail at load time; the connection code reads it again on each
              // connect.
              const PasswordFileResult read = read_password_file(resolved);
              if (!read.ok()) {
                ctx.error(v.path, v.mark, read.error);
              } else if (out.dsn.has_password) {
                ctx.error(v.path, v.mark,
                          "the dsn already holds a password: keep it in one place (remove it "
                          "from the dsn, or drop password_file)");
              } else {
                out.target.password_file = resolved;
              }
            }
          },
          [](const TargetDecode&) { return std::string("none"); }, "a readable file", false, "",
          0}),
      // Optional: a single-region setup has nothing to say in it. Unset, alerts and metrics carry
      // no `region` label at all (never an empty one); `alerting.external_labels` can add one.
      of_target(default_text(
          field("region", &T::region, nonempty_string_reader(), "the `region` label"), "none")),
      of_target(field("expect", &T::expect, enum_reader(kRoles),
                      "the role the server must have, or it is reported down")),
      custom_field<TargetDecode>(
          "facts", "a mapping of name: value",
          "what you declare about the server (vcpu, memory_gb, tier): replica_parity compares it "
          "between a cluster's members",
          [](Context& ctx, const Value& v, TargetDecode& out) {
            read_label_map(ctx, v, {}, "", out.target.facts);
          },
          "none"),
      custom_field<TargetDecode>(
          "facts_query", "an SQL query returning rows of (name, value)",
          "more facts, read from the server by the health round: replica_parity compares them "
          "with the declared ones, which they replace",
          [](Context& ctx, const Value& v, TargetDecode& out) {
            std::optional<std::string> sql = read_nonempty_string(ctx, v);
            if (!sql) return;
            // It runs as a subquery (probes/postgres_health/facts_query.hpp), where a closing
            // `;` is a syntax error: the habit of ending SQL with one is forgiven here.
            while (!sql->empty() &&
                   (std::isspace(static_cast<unsigned char>(sql->back())) || sql->back() == ';'))
              sql->pop_back();
            if (sql->empty()) {
              ctx.error(v.path, v.mark, "must hold a query, e.g. SELECT 'tier', 'GP_Gen5_8'");
              return;
            }
            out.target.facts_query = std::move(*sql);
          },
          "none"),
      // libpq counts whole seconds (and treats 1 as 2): sub-second values would be a promise the
      // connection code cannot keep.
      of_target(field("connect_timeout", &T::connect_timeout,
                      duration_reader(bounds::kConnectTimeout), "libpq's connect_timeout")),
      of_target(field("max_connections", &T::max_connections,
                      integer_reader(bounds::kTargetMaxConnections),
                      "the most connections queuewatch opens to this server")),
      Field<TargetDecode>{"provider", "the provider (a `providers` name) this database runs at",
                          [](Context& ctx, const Value& v, TargetDecode& out) {
                            std::optional<std::string> name = read_name(ctx, v);
                            if (!name) return;
                            if (!out.providers || !find_by_name(*out.providers, *name)) {
                              ctx.error(
                                  v.path, v.mark,
                                  fmt::format("no provider named \"{}\" in providers", *name));
                              return;
                            }
                            out.target.provider = std::move(*name);
                          },
                          [](const TargetDecode&) { return std::string("none"); },
                          "a provider's name", false, "", 0},
      later(Field<TargetDecode>{
          "provider_components",
          "substrings of the provider's component names or incident titles that concern this "
          "database (its service, its region)",
          [](Context& ctx, const Value& v, TargetDecode& out) {
            std::optional<std::vector<std::string>> list = read_string_list(ctx, v);
            if (!list) return;
            if (out.target.provider.empty()) {
              ctx.error(v.path, v.mark, "needs provider: it narrows that provider's incidents");
              return;
            }
            out.target.provider_components = std::move(*list);
          },
          [](const TargetDecode&) { return std::string("every incident"); }, "a list of strings",
          false, "", 0}),
  };
}

TargetConfig decode_target(Context& ctx, const Value& value,
                           const std::vector<ProviderConfig>& providers) {
  TargetDecode out;
  out.providers = &providers;
  out.target.mark = value.mark;
  MapReader map(ctx, value, keys_of(target_fields()));
  decode_fields(ctx, map, target_fields(), out);
  return out.target;
}

}  // namespace

const std::vector<Field<TargetDecode>>& target_fields() {
  static const std::vector<Field<TargetDecode>> rows = make_target_rows();
  return rows;
}

void decode_targets(Context& ctx, const Value& value, const std::vector<ProviderConfig>& providers,
                    std::vector<TargetConfig>& out) {
  const std::vector<Value> items = read_sequence(ctx, value);
  if (items.empty() && (value.node.IsNull() || value.node.IsSequence())) {
    ctx.error(value.path, value.mark, "at least one target is required");
    return;
  }
  for (const Value& item : items) {
    TargetConfig target = decode_target(ctx, item, providers);
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
