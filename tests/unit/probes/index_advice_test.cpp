// The CREATE INDEX preflight suggests is the one docs/indexes.md gives for the mapping: same
// columns, and a predicate the probe's queries imply (the mapping's own values or expression).
#include <gtest/gtest.h>

#include "probes/postgres_queue/index_advice.hpp"

namespace qw::probes::queue {
namespace {

config::QueueConfig generic() {
  config::QueueConfig q;
  q.name = "jobs";
  q.table = "jobs";
  q.queue_column = "queue";
  q.state.column = "state";
  q.state.ready = {"ready"};
  q.state.running = {"running"};
  q.state.completed = {"done"};
  q.state.failed = {"failed"};
  q.timestamps.enqueued = "enqueued_at";
  q.timestamps.run_at = "run_at";
  q.timestamps.started = "started_at";
  q.timestamps.finished = "finished_at";
  return q;
}

TEST(IndexAdvice, TheGenericTableGetsTheThreeIndexesOfTheDocs) {
  const auto q = generic();
  // docs/indexes.md, "CREATE INDEX CONCURRENTLY jobs_qw_ready_idx ON jobs (queue, run_at) ..."
  EXPECT_EQ(suggested_index(q, IndexFor::ready),
            "CREATE INDEX CONCURRENTLY jobs_qw_ready_idx ON jobs (queue, run_at) WHERE state = "
            "'ready';");
  EXPECT_EQ(suggested_index(q, IndexFor::running),
            "CREATE INDEX CONCURRENTLY jobs_qw_running_idx ON jobs (queue, started_at) WHERE "
            "state = 'running';");
  EXPECT_EQ(suggested_index(q, IndexFor::finished),
            "CREATE INDEX CONCURRENTLY jobs_qw_finished_idx ON jobs (finished_at) WHERE state IN "
            "('done', 'failed');");
  EXPECT_EQ(suggested_index(q, IndexFor::failed), "") << "failures share the finished column";
  EXPECT_EQ(suggested_indexes(q, "snapshot").size(), 2u);
  EXPECT_EQ(suggested_indexes(q, "watermark").size(), 0u);
}

TEST(IndexAdvice, FailuresStampedElsewhereAndExpressionsAndQuotedNames) {
  auto q = generic();
  q.schema = "Jobs";
  q.table = "oban jobs";
  q.timestamps.failed = "discarded_at";
  EXPECT_EQ(suggested_index(q, IndexFor::finished),
            "CREATE INDEX CONCURRENTLY oban_jobs_qw_finished_idx ON \"Jobs\".\"oban jobs\" "
            "(finished_at) WHERE state = 'done';");
  EXPECT_EQ(suggested_index(q, IndexFor::failed),
            "CREATE INDEX CONCURRENTLY oban_jobs_qw_failed_idx ON \"Jobs\".\"oban jobs\" "
            "(discarded_at) WHERE state = 'failed';");

  config::QueueConfig g;
  g.schema = "graphile_worker";
  g.table = "_private_jobs";
  g.state.ready_when = "is_available";
  g.state.running_when = "locked_at IS NOT NULL";
  g.state.completed_when = "false";
  g.state.failed_when = "locked_at IS NULL AND attempts >= max_attempts";
  g.timestamps.run_at = "run_at";
  g.timestamps.started = "locked_at";
  g.completed_rows = config::CompletedRows::deleted;
  EXPECT_EQ(suggested_index(g, IndexFor::running),
            "CREATE INDEX CONCURRENTLY _private_jobs_qw_running_idx ON "
            "graphile_worker._private_jobs (locked_at) WHERE locked_at IS NOT NULL;");
  EXPECT_EQ(suggested_index(g, IndexFor::finished), "") << "deleted rows: nothing finished kept";
  EXPECT_EQ(suggested_index(g, IndexFor::failed), "") << "no column stamps the failures";
}

}  // namespace
}  // namespace qw::probes::queue
