-- Schema of the demo workload (bench/qw_workload.cpp, scripts/demo, config/examples/demo.yaml).
-- Idempotent: running it again changes nothing. qw_workload --setup runs this exact text (it is
-- compiled into the binary), and `psql -f deploy/sql/demo_schema.sql` does the same by hand.

-- A queue whose finished rows are kept: the common shape (GoodJob, Oban, Que, ...).
CREATE TABLE IF NOT EXISTS public.demo_jobs (
  id           bigserial PRIMARY KEY,
  queue        text NOT NULL,
  state        text NOT NULL CHECK (state IN ('ready', 'running', 'done', 'failed')),
  enqueued_at  timestamptz NOT NULL DEFAULT now(),
  run_at       timestamptz NOT NULL DEFAULT now(),
  started_at   timestamptz,
  finished_at  timestamptz,
  heartbeat_at timestamptz,
  payload      jsonb
);

-- The partial indexes queuewatch recommends (docs/indexes.md): each of its queries reads only
-- the small slice of the table it needs, however many finished rows accumulate.
CREATE INDEX IF NOT EXISTS demo_jobs_ready_idx
  ON public.demo_jobs (queue, run_at) WHERE state = 'ready';
CREATE INDEX IF NOT EXISTS demo_jobs_running_idx
  ON public.demo_jobs (queue, started_at) WHERE state = 'running';
CREATE INDEX IF NOT EXISTS demo_jobs_finished_idx
  ON public.demo_jobs (finished_at) WHERE state IN ('done', 'failed');

-- A queue whose finished rows are deleted (the other common shape): completions can only be
-- counted from the table's delete statistics.
CREATE TABLE IF NOT EXISTS public.demo_deleted_jobs (
  id          bigserial PRIMARY KEY,
  queue       text NOT NULL DEFAULT 'demo_deleted',
  state       text NOT NULL CHECK (state IN ('ready', 'running', 'failed')),
  enqueued_at timestamptz NOT NULL DEFAULT now(),
  started_at  timestamptz
);

CREATE INDEX IF NOT EXISTS demo_deleted_jobs_ready_idx
  ON public.demo_deleted_jobs (enqueued_at) WHERE state = 'ready';
CREATE INDEX IF NOT EXISTS demo_deleted_jobs_running_idx
  ON public.demo_deleted_jobs (started_at) WHERE state = 'running';

-- Knobs the running generator re-reads every second, so tests and benchmarks can steer it with
-- plain SQL: pause a queue's workers (a stall), throttle them (claims_per_second: workers wedged
-- but for one, which still trickles jobs through; NULL = as fast as they can), or fix its enqueue
-- rate (NULL = the built-in varying rate, 0 = produce nothing).
CREATE TABLE IF NOT EXISTS public.demo_control (
  queue              text PRIMARY KEY,
  workers_paused     boolean NOT NULL DEFAULT false,
  produce_per_second double precision CHECK (produce_per_second >= 0)
);
-- Added after the first release of this schema: older demo databases gain it on --setup.
ALTER TABLE public.demo_control
  ADD COLUMN IF NOT EXISTS claims_per_second double precision CHECK (claims_per_second > 0);

INSERT INTO public.demo_control (queue)
VALUES ('emails'), ('billing'), ('reports'), ('webhooks'), ('demo_deleted')
ON CONFLICT (queue) DO NOTHING;
