#include "probes/postgres_health/health_probe.hpp"

#include <chrono>
#include <pqxx/pqxx>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "probes/pg/pg_error.hpp"
#include "probes/pg/target_pool.hpp"
#include "probes/postgres_health/capacity_settings.hpp"
#include "probes/postgres_health/facts_query.hpp"
#include "probes/same_settings.hpp"

namespace qw::probes::health {

namespace {

// One round trip, one scan of pg_settings (it builds all ~350 rows whatever the filter): the
// role, and the capacity settings replica_parity compares. reset_val, not the session value, for
// default_transaction_read_only: our own sessions are read-only by design, the question is
// whether the server would let the application write. The settings are read every round: in
// the same scan they cost nothing measurable (README.md), and a restart with other values is
// seen on the next round without state to keep.
constexpr const char* kHealthQuery =
    "SELECT split_part(current_setting('server_version'), ' ', 1), pg_is_in_recovery(), s.*, a.* "
    "FROM (SELECT bool_or(name = 'default_transaction_read_only' AND reset_val = 'on'), "
    "string_agg(name || ' ' || setting || ' ' || coalesce(unit, ''), ',') "
    "FILTER (WHERE name <> 'default_transaction_read_only') "
    "FROM pg_settings WHERE name IN ('default_transaction_read_only', 'max_connections', "
    "'shared_buffers', 'work_mem', 'effective_cache_size', 'max_worker_processes', "
    "'max_parallel_workers')) s, "
    // Saturation from pg_stat_activity (one row per backend, at most max_connections plus the
    // auxiliary processes). Other users' backend_type, xact_start and wait_event_type read as
    // NULL without pg_read_all_stats, so the first column says whether the rest mean anything.
    // Transactions of client backends only (autovacuum's long ones are not the application's),
    // ours left out; at least 0: one that began after our statement's now() would read negative.
    "(SELECT pg_has_role('pg_read_all_stats', 'USAGE'), "
    "count(*) FILTER (WHERE backend_type = 'client backend'), "
    "greatest(0, coalesce(extract(epoch FROM max(now() - xact_start) "
    "FILTER (WHERE backend_type = 'client backend' AND pid <> pg_backend_pid())), 0))::float8, "
    "count(*) FILTER (WHERE wait_event_type = 'Lock') "
    "FROM pg_stat_activity) a";

// The server cancels the facts_query this long before the round's client-side deadline: a
// statement_timeout leaves the connection usable, the watchdog's cancel does not.
constexpr std::chrono::milliseconds kFactsMargin{100};

// targets[].facts_query, on the health round's connection after the health query: in a
// read-only transaction (PostgreSQL refuses its writes, SQLSTATE 25006) that is rolled back,
// through the extended protocol (one statement only), with what is left of the round's deadline
// as its statement_timeout. Whatever fails is the facts' failure, never the health round's.
QueriedFacts run_facts_query(pqxx::connection& c, const std::string& query,
                             std::chrono::steady_clock::time_point deadline) {
  QueriedFacts out;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now()) -
                    kFactsMargin;
  if (left.count() < 1) {
    out.failure = FactsFailure::query_timeout;
    out.detail = "no time left of query_timeout after the health query";
    return out;
  }
  try {
    pqxx::read_transaction tx(c);
    tx.exec("SET LOCAL statement_timeout = " + std::to_string(left.count()));
    const pqxx::result r = tx.exec_params(facts_query_sql(query));
    tx.abort();  // nothing it did is kept, whatever it was
    std::vector<FactRow> rows;
    for (const auto& row : r) {
      FactRow f;
      if (r.columns() == 2) {
        if (!row[0].is_null()) f.name = row[0].c_str();
        if (!row[1].is_null()) f.value = row[1].c_str();
      }
      rows.push_back(std::move(f));
    }
    return read_fact_rows(r.columns(), rows);
  } catch (const std::exception& e) {
    // What failed is named as everywhere else (pg::classify, with libpqxx 6.4's
    // insufficient_privilege that has no SQLSTATE); a broken connection is `other`, and the
    // pool drops a connection that is not open.
    const pg::PgError error = pg::classify(e);
    out.failure =
        facts_failure(error.reason(), dynamic_cast<const pqxx::sql_error*>(&e) != nullptr);
    out.detail = pg::one_line(e.what());
  }
  return out;
}

}  // namespace

HealthProbe::HealthProbe(const config::TargetConfig& target, const config::ProbeSettings& settings)
    : target_(target), settings_(settings), id_("postgres_health/" + target.name) {}

bool HealthProbe::same_observation(const Probe& running) const {
  const auto* other = dynamic_cast<const HealthProbe*>(&running);
  return other && same_settings(other->target_, target_) && other->settings_ == settings_;
}

FailureReason HealthProbe::run(ProbeContext& ctx, SampleSink& sink) {
  TargetHealthSample sample;
  sample.target = target_.name;
  bool read_only = false;
  try {
    const auto use = ctx.pool.with_connection(settings_.query_timeout, [&](pqxx::connection& c) {
      const auto start = std::chrono::steady_clock::now();
      {
        pqxx::nontransaction tx(c);
        const auto row = tx.exec1(kHealthQuery);
        sample.query_seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        sample.server_version = row[0].as<std::string>();
        sample.in_recovery = row[1].as<bool>();
        read_only = row[2].as<bool>(false);
        sample.settings = parse_settings(row[3].as<std::string>(std::string()));
        sample.activity_visible = row[4].as<bool>(false);
        if (*sample.activity_visible) {
          sample.connections = row[5].as<std::int64_t>();
          sample.oldest_transaction_age_seconds = row[6].as<double>();
          sample.lock_waiting_sessions = row[7].as<std::int64_t>();
        }
      }
      if (!target_.facts_query.empty())
        sample.facts = run_facts_query(c, target_.facts_query, start + settings_.query_timeout);
    });
    if (sample.facts) note_facts(*sample.facts);
    sample.connect_seconds = use.connect_seconds;
    sample.up = true;
    // A primary that turned into a standby or went read-only cannot take the application's
    // writes: for the application it is down, and the alert must say which way.
    if (target_.expect == config::ExpectedRole::primary && sample.in_recovery.value_or(false)) {
      sample.up = false;
      sample.reason = FailureReason::in_recovery;
      sample.detail = "expected a primary, but the server is in recovery (a standby)";
    } else if (target_.expect == config::ExpectedRole::primary && read_only) {
      sample.up = false;
      sample.reason = FailureReason::read_only;
      sample.detail = "expected a primary, but default_transaction_read_only is on";
    } else if (target_.expect == config::ExpectedRole::replica &&
               !sample.in_recovery.value_or(true)) {
      // A replica that was promoted (or a DSN that points at the primary): whatever reads it
      // expects a standby's load and lag, and a second writable copy may be a split brain.
      sample.up = false;
      sample.reason = FailureReason::not_in_recovery;
      sample.detail = "expected a replica, but the server is not in recovery (a primary)";
    }
  } catch (const pg::PgError& e) {
    sample.up = false;
    sample.reason = e.reason();
    sample.detail = e.what();
  } catch (const pg::PoolBusy& e) {
    // Every connection is stuck in a query longer than our deadline: the server is too slow to
    // answer, which is not the same as healthy.
    sample.up = false;
    sample.reason = FailureReason::query_timeout;
    sample.detail = e.what();
  }
  if (sample.in_recovery) sample.read_only = read_only;
  // The role as a cluster's sources need it (PoolSet::for_probe): accepts writes, or why not.
  pg::TargetPool::RoleNote role;
  role.known = true;
  role.writable = sample.in_recovery && !*sample.in_recovery && !read_only;
  role.words = !sample.in_recovery   ? std::string(describe(sample.reason))
               : *sample.in_recovery ? "in recovery"
               : read_only           ? "read-only"
                                     : "primary";
  ctx.pool.note_role(std::move(role));
  sink.publish(sample);
  return sample.reason;
}

void HealthProbe::note_facts(const QueriedFacts& facts) {
  // Once per change, not every round: the metric says it is still failing.
  const std::string now =
      facts.ok ? std::string() : fmt::format("{}: {}", to_string(facts.failure), facts.detail);
  if (now == last_facts_failure_) return;
  if (now.empty())
    spdlog::info("target {}: facts_query works again", target_.name);
  else
    spdlog::warn("target {}: facts_query failed ({}); its facts are not compared", target_.name,
                 now);
  last_facts_failure_ = now;
}

ProbeList make_health_probes(const config::Config& config) {
  ProbeList out;
  for (const auto& t : config.targets)
    out.push_back(std::make_unique<HealthProbe>(t, config.probes.health));
  return out;
}

}  // namespace qw::probes::health
