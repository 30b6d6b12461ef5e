// The queue probe's SQL text: identifiers quoted, values only ever bound, shapes as documented.
#include <gtest/gtest.h>

#include <algorithm>

#include "probes/postgres_queue/queue_sql.hpp"

namespace qw::probes::queue {
namespace {

config::QueueConfig multi_queue() {
  config::QueueConfig q;
  q.name = "jobs";
  q.target = "db";
  q.schema = "public";
  q.table = "jobs";
  q.queue_column = "queue";
  q.state.column = "state";
  q.state.ready = {"available"};
  q.state.running = {"running"};
  q.state.completed = {"completed"};
  q.state.failed = {"failed", "discarded"};
  q.timestamps.enqueued = "created_at";
  q.timestamps.run_at = "scheduled_at";
  q.timestamps.started = "attempted_at";
  q.timestamps.finished = "finalized_at";
  q.timestamps.heartbeat = "heartbeat_at";
  return q;
}

bool has(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(QueueSql, QuotesEveryIdentifier) {
  auto q = multi_queue();
  q.schema = "My Schema";
  q.table = "jobs\"; DROP TABLE victim; --";
  q.queue_column = "que\"ue";
  const auto sql = build_queue_sql(q, {});
  EXPECT_TRUE(has(sql.snapshot.sql, R"("My Schema"."jobs""; DROP TABLE victim; --")"))
      << sql.snapshot.sql;
  EXPECT_TRUE(has(sql.snapshot.sql, R"("que""ue" = q.name::text)"));
  EXPECT_FALSE(has(sql.snapshot.sql, "jobs\"; DROP"));  // never unquoted
}

TEST(QueueSql, StateValuesAreBoundNeverSpliced) {
  auto q = multi_queue();
  q.state.ready = {"'; DROP TABLE x; --"};
  const auto sql = build_queue_sql(q, {});
  for (const auto* st : {&sql.snapshot, &sql.completions, &sql.discovery}) {
    EXPECT_FALSE(has(st->sql, "DROP TABLE")) << st->sql;
  }
  ASSERT_FALSE(sql.snapshot.fixed_params.empty());
  EXPECT_TRUE(std::any_of(sql.snapshot.fixed_params.begin(), sql.snapshot.fixed_params.end(),
                          [](const std::string& p) { return has(p, "DROP TABLE x"); }));
}

TEST(QueueSql, SnapshotCapsCountsAndFiltersScheduledJobs) {
  auto q = multi_queue();
  q.count_cap = 5000;
  const auto sql = build_queue_sql(q, {});
  EXPECT_EQ(sql.snapshot.runtime_params, 4);
  EXPECT_TRUE(has(sql.snapshot.sql, "LIMIT $4"));
  EXPECT_TRUE(has(sql.snapshot.sql, R"("scheduled_at" <= now())"));
  // The oldest ready job is measured from when it became runnable.
  EXPECT_TRUE(has(sql.snapshot.sql, R"(min("scheduled_at"))"));
  EXPECT_TRUE(has(sql.snapshot.sql, R"(min("heartbeat_at"))"));
}

TEST(QueueSql, StuckJobsUsePerQueueThresholdsAndListTheOldestIds) {
  const auto sql = build_queue_sql(multi_queue(), {});
  EXPECT_TRUE(has(sql.snapshot.sql, "unnest($1::text[], $2::float8[], $3::float8[])"));
  EXPECT_TRUE(has(sql.snapshot.sql,
                  R"(("attempted_at" < now() - make_interval(secs => q.stuck_after) OR )"
                  R"("heartbeat_at" < now() - make_interval(secs => q.heartbeat_timeout)))"));
  EXPECT_TRUE(has(sql.snapshot.sql, R"(SELECT "id"::text AS id, "attempted_at" AS ord)"));
  EXPECT_TRUE(has(sql.snapshot.sql, "ORDER BY 2 LIMIT 10"));
}

TEST(QueueSql, CountBudgetIsSharedByTheQueuesWithAFloor) {
  EXPECT_EQ(per_queue_count_limit(50000, 1), 50000);
  EXPECT_EQ(per_queue_count_limit(50000, 100), 500);
  EXPECT_EQ(per_queue_count_limit(50000, 10000), 100);  // the floor
  EXPECT_EQ(per_queue_count_limit(50, 10), 50);         // never above the whole budget
  EXPECT_EQ(per_queue_count_limit(50000, 0), 50000);
}

TEST(QueueSql, NaiveUtcTimestampsCompareWithUtcNow) {
  auto q = multi_queue();
  q.timestamps.kind = config::TimestampKind::timestamp_utc;
  const auto sql =
      build_queue_sql(q, {"text", "timestamp without time zone", "timestamp without time zone"});
  EXPECT_TRUE(has(sql.snapshot.sql, "(now() AT TIME ZONE 'UTC')"));
  EXPECT_TRUE(has(sql.watermark.sql, "::timestamp without time zone::text"));
  EXPECT_TRUE(has(sql.completions.sql, "$1::timestamp without time zone"));
}

TEST(QueueSql, OneRangeScanCountsBothOutcomesWhenTheyShareAColumn) {
  const auto sql = build_queue_sql(multi_queue(), {});
  EXPECT_TRUE(sql.counts_completions);
  EXPECT_FALSE(has(sql.completions.sql, "UNION ALL"));
  EXPECT_TRUE(has(sql.completions.sql, R"("finalized_at" > $1)"));
  EXPECT_TRUE(has(sql.completions.sql, R"("finalized_at" <= $2)"));
}

TEST(QueueSql, SeparateFailureColumnGetsItsOwnScan) {
  auto q = multi_queue();
  q.timestamps.failed = "discarded_at";
  const auto sql = build_queue_sql(q, {});
  EXPECT_TRUE(has(sql.completions.sql, "UNION ALL"));
  EXPECT_TRUE(has(sql.completions.sql, R"("discarded_at" > $1)"));
}

TEST(QueueSql, DeletedModeWithoutFailureStampsCountsNothingByTimestamp) {
  auto q = multi_queue();
  q.completed_rows = config::CompletedRows::deleted;
  q.timestamps.finished.reset();
  q.state.completed.clear();
  const auto sql = build_queue_sql(q, {});
  EXPECT_FALSE(sql.counts_completions);
  EXPECT_FALSE(sql.counts_failures);  // no counter that would stay 0 as if measured
  EXPECT_TRUE(has(sql.deletes.sql, "pg_stat_get_tuples_deleted"));
}

// Delayed::Job and Que keep failed rows, stamped, while deleting finished ones: failures are
// counted per queue even though completions are not.
TEST(QueueSql, DeletedModeCountsFailuresByTheirStamp) {
  auto q = multi_queue();
  q.completed_rows = config::CompletedRows::deleted;
  q.timestamps.finished.reset();
  q.timestamps.failed = "failed_at";
  const auto sql = build_queue_sql(q, {});
  EXPECT_TRUE(sql.counts_failures);
  EXPECT_TRUE(has(sql.completions.sql, R"("failed_at" > $1)"));
}

TEST(QueueSql, NoFailedStateMeansFailuresAreNotCounted) {
  auto q = multi_queue();
  q.state.failed.clear();
  const auto sql = build_queue_sql(q, {});
  EXPECT_TRUE(sql.counts_completions);
  EXPECT_FALSE(sql.counts_failures);
}

TEST(QueueSql, ExpressionMappingIsParenthesised) {
  auto q = multi_queue();
  q.state = {};
  q.state.ready_when = "finished_at IS NULL AND performed_at IS NULL";
  q.state.running_when = "performed_at IS NOT NULL AND finished_at IS NULL";
  q.state.completed_when = "finished_at IS NOT NULL AND error IS NULL";
  q.state.failed_when = "finished_at IS NOT NULL AND error IS NOT NULL";
  const auto sql = build_queue_sql(q, {});
  EXPECT_TRUE(has(sql.snapshot.sql, "(finished_at IS NULL AND performed_at IS NULL)"));
  EXPECT_TRUE(sql.snapshot.fixed_params.empty());  // no value lists
}

// Solid Queue's preset: a failure touches no column of the job row, so failed_when is "false",
// and failures are then not counted at all (no failure counter is exported).
TEST(QueueSql, FalseExpressionMeansTheStateIsNotCounted) {
  auto q = multi_queue();
  q.state = {};
  q.state.ready_when = "finished_at IS NULL";
  q.state.running_when = "false";
  q.state.completed_when = "finished_at IS NOT NULL";
  q.state.failed_when = "false";
  const auto sql = build_queue_sql(q, {});
  EXPECT_TRUE(sql.counts_completions);
  EXPECT_FALSE(sql.counts_failures);
  q.state.failed_when = "error IS NOT NULL";
  EXPECT_TRUE(build_queue_sql(q, {}).counts_failures);
}

TEST(QueueSql, DiscoveryOnlyForMultiQueueTables) {
  auto q = multi_queue();
  EXPECT_TRUE(has(build_queue_sql(q, {}).discovery.sql, "WITH RECURSIVE"));
  q.queue_column.reset();
  EXPECT_TRUE(build_queue_sql(q, {}).discovery.sql.empty());
}

TEST(QueueSql, QueueParameterIsCastToTheColumnType) {
  const auto sql = build_queue_sql(
      multi_queue(),
      {"character varying(64)", "timestamp with time zone", "timestamp with time zone"});
  EXPECT_TRUE(has(sql.snapshot.sql, R"("queue" = q.name::character varying(64))"));
}

// Progress is observed only where completions cannot be counted per queue, by primary key
// lookups of a bound id array and per-queue heads bounded by LIMIT; never where rows are kept.
TEST(QueueSql, ProgressStatementsOnlyForDeletedMultiQueueTables) {
  auto q = multi_queue();
  EXPECT_TRUE(build_queue_sql(q, {}).progress.sql.empty());
  q.completed_rows = config::CompletedRows::deleted;
  auto single = q;
  single.queue_column.reset();
  EXPECT_TRUE(build_queue_sql(single, {}).tracked.sql.empty());
  const auto sql = build_queue_sql(q, {});
  EXPECT_TRUE(has(sql.tracked.sql, R"(WHERE "id" = ANY($1))")) << sql.tracked.sql;
  EXPECT_EQ(sql.tracked.runtime_params, 1);
  EXPECT_EQ(sql.progress.runtime_params, 5);
  EXPECT_TRUE(has(sql.progress.sql, R"(ORDER BY "scheduled_at", "id" LIMIT $2)"))
      << sql.progress.sql;
  EXPECT_TRUE(has(sql.progress.sql, R"(ORDER BY "attempted_at" DESC, "id" LIMIT $2)"));
  EXPECT_TRUE(has(sql.progress.sql, R"("attempted_at" > $3 AND NOT ("id" = ANY($4)) LIMIT $5)"));
  // State values stay bound parameters.
  EXPECT_FALSE(has(sql.tracked.sql, "available"));
  EXPECT_FALSE(has(sql.progress.sql, "available"));
  // Without a started timestamp claims cannot be told: NULL, not 0. The statement still names
  // the parameters a round binds (PostgreSQL refuses a bind of more than it names).
  q.timestamps.started.reset();
  const std::string no_started = build_queue_sql(q, {}).progress.sql;
  EXPECT_TRUE(has(no_started, "THEN NULL END)::bigint AS claims")) << no_started;
  for (const char* param : {"$3", "$4", "$5"}) EXPECT_TRUE(has(no_started, param)) << param;
}

}  // namespace
}  // namespace qw::probes::queue
