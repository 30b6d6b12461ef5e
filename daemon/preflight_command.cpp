#include "daemon/preflight_command.hpp"

#include <iostream>
#include <map>
#include <pqxx/pqxx>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "daemon/config_locator.hpp"
#include "daemon/mapping_yaml.hpp"
#include "probes/pg/conninfo.hpp"
#include "probes/pg/pool_set.hpp"
#include "probes/postgres_queue/preflight.hpp"

namespace qw::daemon {

namespace {

using probes::queue::Finding;
using probes::queue::Severity;

// Preflight is a handful of catalog reads and EXPLAINs, but on a partitioned table with many
// partitions planning takes a while: a source gets at least this, or its query_timeout if longer.
constexpr std::chrono::milliseconds kMinPreflightDeadline{10000};

struct TargetResult {
  std::string name;
  bool ok = true;
  probes::FailureReason reason = probes::FailureReason::none;
  std::string detail;
};

struct LocatedFinding {
  Finding finding;
  Location where;
};

struct SourceResult {
  const config::QueueConfig* source = nullptr;
  bool checked = false;  // false: its target could not be reached
  probes::queue::PreflightResult result;
  std::vector<LocatedFinding> findings;
};

std::string file_position(const std::string& file, config::SourceMark mark) {
  if (mark.line == 0) return file;
  return fmt::format("{}:{}:{}", file, mark.line, mark.column);
}

}  // namespace

int explain_mappings(const CliOptions& options, const config::Config& config) {
  const ConfigLocator locator(options.config_path);
  std::cout << fmt::format(
      "# {}: every queue source as queuewatch reads it (presets expanded, defaults filled in).\n"
      "queues:\n",
      options.config_path);
  for (std::size_t i = 0; i < config.queues.size(); ++i)
    std::cout << mapping_yaml(config.queues[i], locator.preset(i));
  return kExitOk;
}

int preflight_sources(const CliOptions& options, const config::Config& config) {
  spdlog::set_level(spdlog::level::off);  // findings are the output; nothing else on stderr
  const ConfigLocator locator(options.config_path);
  probes::pg::PoolSet pools(config);

  // Each target once, so an unreachable one is one finding (and one connect_timeout), not one
  // per source.
  std::vector<TargetResult> targets;
  for (const auto& t : config.targets) {
    TargetResult r{t.name, true, probes::FailureReason::none, ""};
    try {
      pools.get(t.name).with_connection(std::max(t.connect_timeout, kMinPreflightDeadline),
                                        [](pqxx::connection& conn) {
                                          pqxx::nontransaction tx(conn);
                                          tx.exec("SELECT 1");
                                        });
    } catch (const probes::pg::PgError& e) {
      r = {t.name, false, e.reason(), e.what()};
    } catch (const probes::pg::PoolBusy& e) {
      r = {t.name, false, probes::FailureReason::query_timeout, e.what()};
    }
    targets.push_back(std::move(r));
  }
  auto target_ok = [&](const std::string& name) {
    for (const auto& t : targets)
      if (t.name == name) return t.ok;
    return false;
  };

  std::vector<SourceResult> sources;
  for (std::size_t i = 0; i < config.queues.size(); ++i) {
    const auto& q = config.queues[i];
    SourceResult r;
    r.source = &q;
    r.result.relation = q.schema + "." + q.table;
    // A source on a cluster is checked on its first reachable member: the catalog a preflight
    // reads is the same on a standby (docs/clusters.md).
    std::string on = q.target;
    if (const auto* cluster = config.find_cluster(q.target))
      for (const auto& m : cluster->members)
        if (target_ok(m)) {
          on = m;
          break;
        }
    if (target_ok(on)) {
      r.checked = true;
      const auto deadline = std::max(q.query_timeout.value_or(config.probes.queue.query_timeout),
                                     kMinPreflightDeadline);
      try {
        pools.get(on).with_connection(deadline, [&](pqxx::connection& conn) {
          r.result = probes::queue::run_preflight(conn, q);
        });
      } catch (const probes::pg::PgError& e) {
        r.result.findings.push_back({Severity::error,
                                     e.reason(),
                                     "",
                                     "",
                                     fmt::format("preflight failed: {}", e.what()),
                                     {}});
      } catch (const probes::pg::PoolBusy& e) {
        r.result.findings.push_back({Severity::error,
                                     probes::FailureReason::query_timeout,
                                     "",
                                     "",
                                     fmt::format("preflight failed: {}", e.what()),
                                     {}});
      }
      for (const auto& f : r.result.findings)
        r.findings.push_back({f, locator.find(i, f.key, f.value, q.mark)});
    }
    sources.push_back(std::move(r));
  }

  int errors = 0, warnings = 0;
  for (const auto& t : targets) errors += t.ok ? 0 : 1;
  for (const auto& s : sources)
    for (const auto& f : s.findings) (f.finding.severity == Severity::error ? errors : warnings)++;
  const int exit_code = errors ? kExitErrors : warnings ? kExitWarnings : kExitOk;

  if (options.format == OutputFormat::json) {
    boost::json::array jt, js;
    for (const auto& t : targets) {
      const auto* tc = config.find_target(t.name);
      jt.push_back(boost::json::object{
          {"target", t.name},
          {"endpoint", tc ? probes::pg::describe_endpoint(tc->dsn) : std::string("?")},
          {"ok", t.ok},
          {"reason", probes::to_string(t.reason)},
          {"detail", t.detail}});
    }
    for (const auto& s : sources) {
      boost::json::array findings;
      for (const auto& lf : s.findings) {
        const auto& f = lf.finding;
        boost::json::object o{{"severity", probes::queue::to_string(f.severity)},
                              {"reason", probes::to_string(f.reason)},
                              {"key", f.key},
                              {"value", f.value},
                              {"line", lf.where.mark.line},
                              {"column", lf.where.mark.column},
                              {"message", f.message},
                              {"fixes", boost::json::value_from(f.fixes)}};
        o["preset"] =
            lf.where.preset ? boost::json::value(*lf.where.preset) : boost::json::value(nullptr);
        findings.push_back(std::move(o));
      }
      js.push_back(boost::json::object{{"target", s.source->target},
                                       {"source", s.source->name},
                                       {"relation", s.result.relation},
                                       {"relkind", s.result.relkind},
                                       {"checked", s.checked},
                                       {"ok", s.checked && s.result.first_error() == nullptr},
                                       {"counts_completions", s.result.counts_deletes},
                                       {"explained", boost::json::value_from(s.result.explained)},
                                       {"findings", std::move(findings)}});
    }
    std::cout << boost::json::serialize(boost::json::object{{"file", options.config_path},
                                                            {"errors", errors},
                                                            {"warnings", warnings},
                                                            {"exit_code", exit_code},
                                                            {"targets", std::move(jt)},
                                                            {"sources", std::move(js)}})
              << "\n";
    return exit_code;
  }

  // One line per finding, file:line:column first (editors and CI annotate it), then the
  // severity, target/source and the message; fixes indented below.
  const std::string& file = options.config_path;
  for (const auto& t : targets) {
    if (t.ok) continue;
    const auto* tc = config.find_target(t.name);
    int skipped = 0;
    for (const auto& q : config.queues) skipped += q.target == t.name ? 1 : 0;
    std::cout << fmt::format(
        "{}: error: {}: cannot connect to {} ({}): {}; {} source(s) not checked\n",
        file_position(file, tc ? tc->mark : config::SourceMark{}), t.name,
        tc ? probes::pg::describe_endpoint(tc->dsn) : "?", probes::to_string(t.reason), t.detail,
        skipped);
  }
  for (const auto& s : sources) {
    if (!s.checked) continue;
    const std::string who = s.source->target + "/" + s.source->name;
    for (const auto& lf : s.findings) {
      const auto& f = lf.finding;
      std::cout << fmt::format(
          "{}: {}: {}: {}{}\n", file_position(file, lf.where.mark),
          probes::queue::to_string(f.severity), who, f.message,
          lf.where.preset ? fmt::format(" (from preset {})", *lf.where.preset) : "");
      for (const auto& fix : f.fixes) std::cout << "    fix: " << fix << "\n";
    }
    if (s.findings.empty())
      std::cout << fmt::format("{}: ok: {}: {} {}, {} statements explained\n",
                               file_position(file, s.source->mark), who, s.result.relkind,
                               s.result.relation, s.result.explained.size());
  }
  std::cout << fmt::format("{}: {} error(s), {} warning(s) in {} source(s) on {} target(s)\n", file,
                           errors, warnings, sources.size(), targets.size());
  return exit_code;
}

}  // namespace qw::daemon
