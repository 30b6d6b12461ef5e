#include "probes/postgres_queue/queue_probe.hpp"

#include <algorithm>
#include <map>
#include <pqxx/pqxx>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "probes/pg/pg_error.hpp"
#include "probes/pg/sql_text.hpp"
#include "probes/pg/target_pool.hpp"
#include "probes/postgres_queue/preflight.hpp"
#include "probes/same_settings.hpp"
#include "rules/thresholds.hpp"

namespace qw::probes::queue {

namespace {

// Discovery walks the ready/running indexes once per queue; once a minute keeps it cheap,
// while completions reveal active queues every round anyway.
constexpr auto kDiscoveryEvery = std::chrono::seconds(60);
// A discovered queue that has been empty and silent this long stops being reported.
constexpr auto kForgetAfter = std::chrono::hours(1);

using ReadOnlyTx = pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>;

pqxx::result exec(pqxx::transaction_base& tx, const Statement& st,
                  std::vector<std::string> runtime) {
  runtime.insert(runtime.end(), st.fixed_params.begin(), st.fixed_params.end());
  return tx.exec_params(st.sql, pqxx::prepare::make_dynamic_params(runtime));
}

std::string seconds_text(config::Duration d) {
  return fmt::format("{:.3f}", std::chrono::duration<double>(d).count());
}

// The snapshot joins stuck job ids with the ASCII unit separator, which ids never contain.
std::vector<std::string> split_ids(const std::string& joined) {
  std::vector<std::string> ids;
  std::size_t start = 0;
  for (;;) {
    const auto end = joined.find('\x1f', start);
    ids.push_back(joined.substr(start, end - start));
    if (end == std::string::npos) return ids;
    start = end + 1;
  }
}

std::optional<double> opt_double(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return std::max(0.0, f.as<double>());  // clock skew between writers must not give negatives
}

}  // namespace

QueueProbe::QueueProbe(const config::QueueConfig& queue, const config::ProbeSettings& defaults,
                       const config::RulesConfig& rules)
    : config_(queue),
      id_(fmt::format("postgres_queue/{}/{}", queue.target, queue.name)),
      interval_(queue.interval.value_or(defaults.interval)),
      query_timeout_(queue.query_timeout.value_or(defaults.query_timeout)),
      max_backoff_(defaults.max_backoff),
      rules_(std::make_shared<const config::RulesConfig>(rules)),
      queues_(queue.queue_column ? queue.queue_names : std::vector<std::string>{queue.name},
              std::chrono::duration_cast<std::chrono::seconds>(kForgetAfter)) {}

void QueueProbe::inspect_schema(pqxx::connection& conn) {
  // The same checks as `check-config --connect` (preflight.hpp): a mapping that does not fit
  // the table fails here, naming what is wrong, instead of failing a statement every round.
  auto checked = run_preflight(conn, config_);
  for (const auto& f : checked.findings)
    if (f.severity == Severity::warning)
      spdlog::warn("{}: {}{}", id_, f.message,
                   f.fixes.empty() ? "" : " (" + fmt::format("{}", fmt::join(f.fixes, " ")) + ")");
  if (const Finding* e = checked.first_error()) throw pg::PgError(e->reason, e->message);
  sql_ = std::move(checked.sql);
  counts_deletes_ = checked.counts_deletes;
}

void QueueProbe::observe(pqxx::connection& conn, QueueProbeSample& sample) {
  if (!sql_) inspect_schema(conn);
  const auto now = QueueSet::Clock::now();
  ReadOnlyTx tx(conn);

  // A queue discovered now had no ready or running rows at the previous discovery.
  const std::optional<QueueSet::Clock::time_point> previous_discovery = last_discovery_;
  bool discovered = false;
  if (queues_.discovers() && now >= next_discovery_) {
    for (const auto& row : exec(tx, sql_->discovery, {}))
      queues_.seen(row[0].as<std::string>(), now);
    next_discovery_ = now + kDiscoveryEvery;
    discovered = true;
  }

  // Completions since the watermark, up to a new one settle_delay in the past.
  struct Finished {
    std::uint64_t completed = 0, failed = 0;
    std::optional<double> completed_age;  // the newest completion's, seconds
  };
  std::map<std::string, Finished> finished;
  std::optional<std::string> new_watermark;
  if (sql_->counts_completions) {
    new_watermark = exec(tx, sql_->watermark, {std::to_string(config_.settle_delay.count())})[0][0]
                        .as<std::string>();
    // The first round counts an empty window (lower = upper): nothing, but the statement runs,
    // so a mapping it cannot run fails in round 1 (and in `once`), not one interval later.
    {
      const std::string& lower = watermark_ ? *watermark_ : *new_watermark;
      for (const auto& row : exec(tx, sql_->completions, {lower, *new_watermark})) {
        const std::string queue = config_.queue_column ? row[0].as<std::string>("") : config_.name;
        Finished& f = finished[queue];
        f.completed += row[1].as<std::uint64_t>();
        f.failed += row[2].as<std::uint64_t>();
        if (const auto age = opt_double(row[3]))
          f.completed_age = std::min(*age, f.completed_age.value_or(*age));
        queues_.seen(queue, now);
      }
    }
  }
  std::optional<std::int64_t> deletes_total;
  const bool deleted_mode = config_.completed_rows == config::CompletedRows::deleted;
  // A view or a partitioned parent has no delete counter of its own (preflight warns).
  if (deleted_mode && counts_deletes_)
    deletes_total =
        exec(tx, sql_->deletes, {pg::quote_qualified(config_.schema, config_.table)})[0][0]
            .as<std::int64_t>(0);

  const auto names = queues_.current(now);
  const std::int64_t limit = per_queue_count_limit(config_.count_cap, names.size());
  std::vector<std::string> stuck_after, heartbeat_timeout;
  const auto rules_now = rules();
  for (const auto& name : names) {
    const auto resolved = rules::resolve(*rules_now, config_.name, name).stuck_in_progress;
    stuck_after.push_back(seconds_text(resolved.running_for));
    heartbeat_timeout.push_back(seconds_text(resolved.heartbeat_timeout));
  }
  const auto rows = exec(tx, sql_->snapshot,
                         {pg::array_literal(names), pg::array_literal(stuck_after),
                          pg::array_literal(heartbeat_timeout), std::to_string(limit)});
  std::map<std::string, std::uint64_t> progress;
  std::optional<std::pair<std::vector<ProgressTracker::Head>, std::string>> next_tracked;
  if (!sql_->progress.sql.empty()) next_tracked = observe_progress(tx, names, limit, progress);
  tx.commit();

  // The round succeeded: only now do the watermarks move, so a failed round loses nothing.
  if (new_watermark) watermark_ = new_watermark;
  if (deletes_total) sample.table_completed_delta = deletes_.advance(*deletes_total);
  const bool progress_known = next_tracked && progress_.compares();
  if (next_tracked) progress_.advance(next_tracked->first, std::move(next_tracked->second));
  if (discovered) last_discovery_ = now;
  const std::vector<std::string> reported_before = std::exchange(reported_, names);

  for (const auto& row : rows) {
    QueueSample q;
    q.queue = row[0].as<std::string>();
    q.ready = row[1].as<std::int64_t>();
    q.ready_capped = q.ready >= limit;
    q.oldest_ready_age_seconds = opt_double(row[2]);
    q.running = row[3].as<std::int64_t>();
    q.running_capped = q.running >= limit;
    q.oldest_running_age_seconds = opt_double(row[4]);
    q.oldest_heartbeat_age_seconds = opt_double(row[5]);
    q.stuck = row[6].as<std::int64_t>();
    if (!row[7].is_null()) q.stuck_job_ids = split_ids(row[7].as<std::string>());
    if (const auto it = finished.find(q.queue); it != finished.end()) {
      q.completed_delta = deleted_mode ? 0 : it->second.completed;
      q.failed_delta = it->second.failed;
      if (!deleted_mode) q.last_completion_age_seconds = it->second.completed_age;
    }
    q.failures_known = sql_->counts_failures;
    if (deleted_mode) {
      // Deletes cannot be told apart by queue; a single-queue table owns them all.
      q.completions_known = !config_.queue_column && counts_deletes_;
      if (q.completions_known) q.completed_delta = sample.table_completed_delta.value_or(0);
    }
    if (progress_known && !q.completions_known) q.progress_observed = progress[q.queue];
    if (next_tracked && discovered && previous_discovery &&
        !std::binary_search(reported_before.begin(), reported_before.end(), q.queue)) {
      double age = std::chrono::duration<double>(now - *previous_discovery).count();
      if (q.ready > 0 && q.oldest_ready_age_seconds)
        age = std::min(age, *q.oldest_ready_age_seconds);
      q.drained_age_seconds = age;
    }
    if (q.ready > 0 || q.running > 0) queues_.seen(q.queue, now);
    sample.queues.push_back(std::move(q));
  }
}

std::pair<std::vector<ProgressTracker::Head>, std::string> QueueProbe::observe_progress(
    pqxx::transaction_base& tx, const std::vector<std::string>& names, std::int64_t limit,
    std::map<std::string, std::uint64_t>& events) {
  const auto tracked = progress_.tracked_ids();
  std::vector<ProgressTracker::Found> found;
  if (!tracked.empty())
    for (const auto& row : exec(tx, sql_->tracked, {pg::array_literal(tracked)}))
      found.push_back(
          {row[0].as<std::string>(),
           ProgressTracker::signature(row[1].as<std::string>().at(0), row[2].as<std::string>(""))});
  std::vector<ProgressTracker::Head> heads;
  std::string database_now = progress_.previous_now();
  for (const auto& row :
       exec(tx, sql_->progress,
            {pg::array_literal(names), std::to_string(tracked_per_queue(names.size())),
             progress_.previous_now(), pg::array_literal(tracked), std::to_string(limit)})) {
    ProgressTracker::Head h;
    h.queue = row[0].as<std::string>();
    if (!row[1].is_null()) h.ready_ids = split_ids(row[1].as<std::string>());
    if (!row[2].is_null())
      for (const auto& item : split_ids(row[2].as<std::string>())) {
        const auto sep = item.find('\x1e');
        h.running.emplace_back(
            item.substr(0, sep),
            ProgressTracker::signature('x', sep == std::string::npos ? "" : item.substr(sep + 1)));
      }
    if (!row[3].is_null()) h.claims = row[3].as<std::uint64_t>();
    database_now = row[4].as<std::string>();
    heads.push_back(std::move(h));
  }
  events = progress_.observe(found, heads);
  return {std::move(heads), std::move(database_now)};
}

QueueHistorySample QueueProbe::read_history(ProbeContext& ctx) {
  QueueHistorySample out;
  out.target = config_.target;
  out.source = config_.name;
  const auto start = std::chrono::steady_clock::now();
  try {
    ctx.pool.with_connection(config_.warm_start.timeout, [&](pqxx::connection& conn) {
      pqxx::read_transaction tx(conn);
      out.until = exec(tx, sql_->hour_now, {})[0][0].as<std::int64_t>();
      const auto lookback =
          std::chrono::duration_cast<std::chrono::seconds>(config_.warm_start.lookback).count();
      for (const auto& row :
           exec(tx, sql_->history,
                {std::to_string(out.until - lookback), std::to_string(out.until)})) {
        out.hours.push_back({config_.queue_column ? row[0].as<std::string>("") : config_.name,
                             row[1].as<std::int64_t>(), row[2].as<std::uint64_t>()});
      }
      tx.commit();
    });
    out.ok = true;
  } catch (const pg::PgError& e) {
    out.reason = e.reason();
    out.detail = e.what();
  } catch (const pg::PoolBusy& e) {
    out.reason = FailureReason::query_timeout;
    out.detail = e.what();
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

std::shared_ptr<const config::RulesConfig> QueueProbe::rules() const {
  std::lock_guard lock(rules_mutex_);
  return rules_;
}

bool QueueProbe::same_observation(const Probe& running) const {
  const auto* other = dynamic_cast<const QueueProbe*>(&running);
  return other && same_settings(other->config_, config_) && other->interval_ == interval_ &&
         other->query_timeout_ == query_timeout_ && other->max_backoff_ == max_backoff_;
}

void QueueProbe::take_settings(const Probe& fresh) {
  const auto* other = dynamic_cast<const QueueProbe*>(&fresh);
  if (!other) return;
  auto next = other->rules();
  std::lock_guard lock(rules_mutex_);
  rules_ = std::move(next);
}

FailureReason QueueProbe::run(ProbeContext& ctx, SampleSink& sink) {
  QueueProbeSample sample;
  sample.target = config_.target;
  sample.source = config_.name;
  // A source on a cluster runs on whichever member is primary (PoolSet::for_probe). The table's
  // rows were replicated, so the watermark and the tracked jobs carry over to the new primary;
  // the delete counter is the old server's statistics, which are not replicated: a new baseline.
  if (ctx.pool.target().name != member_) {
    if (!member_.empty()) deletes_ = DeleteCounter{};
    member_ = ctx.pool.target().name;
  }
  try {
    ctx.pool.with_connection(query_timeout_,
                             [&](pqxx::connection& conn) { observe(conn, sample); });
    sample.ok = true;
  } catch (const pg::PgError& e) {
    sample.ok = false;
    sample.reason = e.reason();
    sample.detail = e.what();
    sample.queues.clear();
    sample.table_completed_delta.reset();
    // The table may have been migrated: learn the schema again next time.
    if (e.reason() == FailureReason::undefined_table ||
        e.reason() == FailureReason::undefined_column ||
        e.reason() == FailureReason::permission_denied ||
        e.reason() == FailureReason::invalid_mapping)
      sql_.reset();
  } catch (const pg::PoolBusy& e) {
    sample.ok = false;
    sample.reason = FailureReason::query_timeout;
    sample.detail = e.what();
    sample.queues.clear();
  }
  sink.publish(sample);
  // After the first good round (the schema is known to be readable), and only when the rules
  // have no history of this source yet: the scan reads weeks of rows, so it runs at most once.
  // Meanwhile this probe's next rounds are skipped as overruns; the other probes run on.
  if (sample.ok && !history_done_) {
    const bool possible = config_.warm_start.enabled && sql_ && !sql_->history.sql.empty();
    const HistoryAnswer answer =
        possible ? sink.wants_history(config_.target, config_.name) : HistoryAnswer::no;
    if (answer != HistoryAnswer::later) history_done_ = true;  // later: ask again next round
    if (answer == HistoryAnswer::yes) sink.publish(read_history(ctx));
  }
  return sample.reason;
}

ProbeList make_queue_probes(const config::Config& config) {
  ProbeList out;
  for (const auto& q : config.queues)
    out.push_back(std::make_unique<QueueProbe>(q, config.probes.queue, config.rules));
  return out;
}

}  // namespace qw::probes::queue
