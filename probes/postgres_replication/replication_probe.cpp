#include "probes/postgres_replication/replication_probe.hpp"

#include <algorithm>
#include <pqxx/pqxx>

#include "probes/pg/pg_error.hpp"
#include "probes/pg/target_pool.hpp"
#include "probes/same_settings.hpp"

namespace qw::probes::replication {

namespace {

// One row: the role, whether this role sees the statistics views' details, and a standby's own
// view. The standby columns are under CASE: pg_get_wal_replay_pause_state() raises an error on
// a primary. Nothing is clamped here: greatest(0, NULL) is 0, and NULL means "not known".
constexpr const char* kRoleQuery =
    "SELECT pg_is_in_recovery(), pg_has_role('pg_read_all_stats', 'USAGE'), "
    "CASE WHEN pg_is_in_recovery() THEN "
    "pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::float8 END, "
    // Caught up with what was received: no lag, however long ago the last transaction was
    // replayed (an idle primary sends no transactions, and the time since the last one grows).
    "CASE WHEN pg_is_in_recovery() THEN "
    "CASE WHEN pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn() THEN 0::float8 "
    "ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 END END, "
    "CASE WHEN pg_is_in_recovery() THEN pg_get_wal_replay_pause_state() <> 'not paused' END, "
    "(SELECT status FROM pg_stat_wal_receiver), (SELECT conninfo FROM pg_stat_wal_receiver)";

// The server's own WAL position: what it wrote (a primary), or replayed (a cascading standby,
// where pg_current_wal_lsn() raises an error).
constexpr const char* kPosition =
    "(SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() "
    "ELSE pg_current_wal_lsn() END AS pos) p";

const std::string kSendersQuery = std::string(
                                      "SELECT application_name, coalesce(host(client_addr), ''), "
                                      "coalesce(state, ''), coalesce(sync_state, ''), "
                                      "pg_wal_lsn_diff(p.pos, sent_lsn)::float8, "
                                      "pg_wal_lsn_diff(p.pos, write_lsn)::float8, "
                                      "pg_wal_lsn_diff(p.pos, flush_lsn)::float8, "
                                      "pg_wal_lsn_diff(p.pos, replay_lsn)::float8, "
                                      "CASE WHEN replay_lsn >= p.pos THEN 0::float8 "
                                      "ELSE extract(epoch FROM replay_lag)::float8 END "
                                      "FROM pg_stat_replication, ") +
                                  kPosition + " ORDER BY 1, 2";

const std::string kSlotsQuery =
    std::string(
        "SELECT slot_name, slot_type, coalesce(wal_status, ''), active, "
        "pg_wal_lsn_diff(p.pos, restart_lsn)::float8 FROM pg_replication_slots, ") +
    kPosition + " ORDER BY 1";

// Bytes behind: never below 0 (a position read a moment before another).
std::optional<double> bytes(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return std::max(0.0, f.as<double>());
}

}  // namespace

std::string application_name_of(std::string_view conninfo) {
  // PQconninfo's words: key=value separated by spaces; a value with spaces is single-quoted,
  // with \' and \\ escaped.
  auto value_of = [conninfo](std::string_view key) -> std::optional<std::string> {
    std::size_t i = 0;
    while (i < conninfo.size()) {
      while (i < conninfo.size() && conninfo[i] == ' ') ++i;
      const std::size_t eq = conninfo.find('=', i);
      if (eq == std::string_view::npos) return std::nullopt;
      const std::string_view k = conninfo.substr(i, eq - i);
      std::string v;
      std::size_t j = eq + 1;
      if (j < conninfo.size() && conninfo[j] == '\'') {
        for (++j; j < conninfo.size() && conninfo[j] != '\''; ++j) {
          if (conninfo[j] == '\\' && j + 1 < conninfo.size()) ++j;
          v += conninfo[j];
        }
        ++j;
      } else {
        for (; j < conninfo.size() && conninfo[j] != ' '; ++j) v += conninfo[j];
      }
      if (k == key) return v;
      i = j;
    }
    return std::nullopt;
  };
  if (auto v = value_of("application_name"); v && !v->empty()) return *v;
  return value_of("fallback_application_name").value_or("");
}

ReplicationProbe::ReplicationProbe(const config::TargetConfig& target,
                                   const config::ProbeSettings& settings)
    : target_(target), settings_(settings), id_("postgres_replication/" + target.name) {}

bool ReplicationProbe::same_observation(const Probe& running) const {
  const auto* other = dynamic_cast<const ReplicationProbe*>(&running);
  return other && same_settings(other->target_, target_) && other->settings_ == settings_;
}

FailureReason ReplicationProbe::run(ProbeContext& ctx, SampleSink& sink) {
  ReplicationSample sample;
  sample.target = target_.name;
  try {
    ctx.pool.with_connection(settings_.query_timeout, [&](pqxx::connection& c) {
      // A retry after a dead connection starts over.
      sample = ReplicationSample{};
      sample.target = target_.name;
      pqxx::nontransaction tx(c);
      const auto row = tx.exec1(kRoleQuery);
      sample.in_recovery = row[0].as<bool>();
      sample.stats_visible = row[1].as<bool>(false);
      if (*sample.in_recovery) {
        sample.receive_replay_bytes = bytes(row[2]);
        if (!row[3].is_null()) sample.replay_lag_seconds = std::max(0.0, row[3].as<double>());
        if (!row[4].is_null()) sample.replay_paused = row[4].as<bool>();
        sample.receiver_status = row[5].as<std::string>(std::string());
        sample.application_name = application_name_of(row[6].as<std::string>(std::string()));
      }
      for (const auto& r : tx.exec(kSendersQuery)) {
        ReplicationSender s;
        s.application_name = r[0].as<std::string>(std::string());
        s.client_addr = r[1].as<std::string>();
        s.state = r[2].as<std::string>();
        s.sync_state = r[3].as<std::string>();
        s.sent_bytes = bytes(r[4]);
        s.write_bytes = bytes(r[5]);
        s.flush_bytes = bytes(r[6]);
        s.replay_bytes = bytes(r[7]);
        if (!r[8].is_null()) s.replay_seconds = std::max(0.0, r[8].as<double>());
        sample.senders.push_back(std::move(s));
      }
      for (const auto& r : tx.exec(kSlotsQuery)) {
        ReplicationSlot s;
        s.name = r[0].as<std::string>();
        s.type = r[1].as<std::string>();
        s.wal_status = r[2].as<std::string>();
        s.active = r[3].as<bool>();
        s.retained_bytes = bytes(r[4]);
        sample.slots.push_back(std::move(s));
      }
    });
    sample.up = true;
  } catch (const pg::PgError& e) {
    sample.up = false;
    sample.reason = e.reason();
    sample.detail = e.what();
  } catch (const pg::PoolBusy& e) {
    sample.up = false;
    sample.reason = FailureReason::query_timeout;
    sample.detail = e.what();
  }
  if (!sample.up) {
    // Nothing of a failed round is known (a retry may have read part of it).
    ReplicationSample failed;
    failed.target = sample.target;
    failed.reason = sample.reason;
    failed.detail = std::move(sample.detail);
    sample = std::move(failed);
  }
  sink.publish(sample);
  return sample.reason;
}

ProbeList make_replication_probes(const config::Config& config) {
  ProbeList out;
  for (const auto& c : config.clusters)
    for (const auto& m : c.members)
      if (const auto* t = config.find_target(m))
        out.push_back(std::make_unique<ReplicationProbe>(*t, config.probes.replication));
  return out;
}

}  // namespace qw::probes::replication
