-- The indexes queuewatch recommends for a generic job table (docs/indexes.md explains each one,
-- and gives the equivalents for River, Oban, pg-boss, GoodJob, Que, graphile-worker and
-- Delayed::Job). Written for this shape, the one config/examples/demo.yaml maps:
--
--   public.jobs (queue text, state text, run_at timestamptz, started_at timestamptz,
--                finished_at timestamptz, ...)
--   ready: state = 'ready'   running: state = 'running'   finished: state IN ('done', 'failed')
--
-- Rename the table, columns and state values to yours. Each index is partial, so it holds only
-- the rows its queries read: the ready and running indexes stay as small as the live backlog
-- however much history the table keeps, and nothing is added to the cost of writing finished
-- rows except the one index the completion counter needs.
--
-- CONCURRENTLY builds without blocking the job system's writes (it cannot run inside a
-- transaction: run this file with psql in autocommit mode, the default). If a build fails it
-- leaves an INVALID index behind: DROP INDEX CONCURRENTLY it and run the statement again.
-- bench/run-probe-bench creates exactly these indexes on its 10-million-row table.

-- Ready rows, per queue, in the order they became runnable.
-- Serves: the capped ready count, the oldest-ready min(run_at) (the first entry of the queue's
-- range), and discovery's skip scan over the distinct queue values.
CREATE INDEX CONCURRENTLY IF NOT EXISTS jobs_qw_ready_idx
  ON public.jobs (queue, run_at) WHERE state = 'ready';

-- Running rows, per queue, in the order they started.
-- Serves: the capped running count, the oldest-running min(started_at), the oldest heartbeat
-- (a filter over this small index; see docs/indexes.md) and discovery's second skip scan.
CREATE INDEX CONCURRENTLY IF NOT EXISTS jobs_qw_running_idx
  ON public.jobs (queue, started_at) WHERE state = 'running';

-- Finished rows, by the time they finished.
-- Serves: the completions count, a range scan over the rows finished since the previous round.
CREATE INDEX CONCURRENTLY IF NOT EXISTS jobs_qw_finished_idx
  ON public.jobs (finished_at) WHERE state IN ('done', 'failed');
