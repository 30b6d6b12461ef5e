#!/usr/bin/env bash
# Preflight against the real libraries' own schemas (pg-boss 12.38.0 and graphile-worker 0.18.0,
# installed from npm like tests/scripts/pgboss_real.sh and graphile_worker_real.sh do, their
# schemas created by the libraries themselves), and the two mappings issue 8 met in the field:
#   - pg-boss with the old docs' `failed: [failed, expired]`: exit 2, naming the value and the
#     enum (pg-boss 10 and later have no `expired`); the pg-boss preset on the same partitioned
#     table is proven;
#   - graphile-worker's `jobs` view in `completed_rows: deleted`: a warning (exit 1) that
#     completions cannot be counted there; the graphile-worker preset is proven.
# Uses the shared PostgreSQL of scripts/test (QW_TEST_PG_PORT), in databases of its own.
set -uo pipefail

: "${QW_BINARY:?set QW_BINARY to the queuewatch binary}"
: "${QW_SOURCE_DIR:?set QW_SOURCE_DIR to the source tree}"
: "${QW_TEST_PG_PORT:?run through scripts/test (QW_TEST_PG_PORT)}"

PGBOSS_VERSION=12.38.0
GRAPHILE_WORKER_VERSION=0.18.0

# shellcheck source=tests/scripts/lib/harness.sh
source "$QW_SOURCE_DIR/tests/scripts/lib/harness.sh"
# shellcheck source=tests/scripts/lib/npm_lib.sh
source "$QW_SOURCE_DIR/tests/scripts/lib/npm_lib.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/qw-preflight-real.XXXXXX")
pid=""
base="host=127.0.0.1 port=$QW_TEST_PG_PORT user=postgres"
admin() { psql -X -q -v ON_ERROR_STOP=1 "$base dbname=postgres" -c "$1"; }

cleanup() {
  admin "DROP DATABASE IF EXISTS qw_preflight_pgboss WITH (FORCE)" >/dev/null 2>&1
  admin "DROP DATABASE IF EXISTS qw_preflight_graphile WITH (FORCE)" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT
fatal() {
  echo "FATAL: $*" >&2
  exit 1
}

for db in qw_preflight_pgboss qw_preflight_graphile; do
  admin "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 && admin "CREATE DATABASE $db" >/dev/null ||
    fatal "cannot create database $db"
done

# Each library creates its own schema (and pushes a few jobs) with its test driver's `setup`.
npm_lib_install pg-boss "$PGBOSS_VERSION" || fatal "pg-boss@$PGBOSS_VERSION is needed from npm"
NODE_PATH="$NPM_LIB_DIR/node_modules" node "$QW_SOURCE_DIR/tests/scripts/js/pgboss_drive.js" \
  "postgres://postgres@127.0.0.1:$QW_TEST_PG_PORT/qw_preflight_pgboss" setup >/dev/null 2>"$tmp/pgboss.err" ||
  fatal "the pg-boss driver failed: $(cat "$tmp/pgboss.err")"
npm_lib_install graphile-worker "$GRAPHILE_WORKER_VERSION" ||
  fatal "graphile-worker@$GRAPHILE_WORKER_VERSION is needed from npm"
NODE_PATH="$NPM_LIB_DIR/node_modules" node "$QW_SOURCE_DIR/tests/scripts/js/graphile_worker_drive.js" \
  "postgres://postgres@127.0.0.1:$QW_TEST_PG_PORT/qw_preflight_graphile" setup >/dev/null 2>"$tmp/graphile.err" ||
  fatal "the graphile-worker driver failed: $(cat "$tmp/graphile.err")"

header() {
  cat <<YAML
targets:
  - {name: boss, region: test, dsn: "$base dbname=qw_preflight_pgboss"}
  - {name: gw, region: test, dsn: "$base dbname=qw_preflight_graphile"}
queues:
YAML
}

# --- the presets: proven ----------------------------------------------------------------------
{
  header
  echo "  - {name: pgboss, target: boss, preset: pg-boss}"
  echo "  - {name: graphile, target: gw, preset: graphile-worker}"
} >"$tmp/presets.yaml"
out=$("$QW_BINARY" check-config --connect --format json "$tmp/presets.yaml")
rc=$?
[ "$rc" = 0 ] || fail "the presets on the real schemas: exit $rc, want 0: $out"
[ "$(jq -r '.sources[] | select(.source == "pgboss") | "\(.ok) \(.relkind)"' <<<"$out")" = "true partitioned table" ] ||
  fail "pg-boss $PGBOSS_VERSION's pgboss.job is not proven as the partitioned table it is: $out"
[ "$(jq -r '.sources[] | select(.source == "graphile") | "\(.ok) \(.relation)"' <<<"$out")" = \
  "true graphile_worker._private_jobs" ] || fail "the graphile-worker preset is not proven: $out"

# --- pg-boss: the old docs' mapping, caught with the value and the enum named ------------------
{
  header
  cat <<'YAML'
  - name: pgboss_old_docs
    target: boss
    table: pgboss.job
    queue_column: name
    state:
      column: state
      ready: [created]
      running: [active]
      completed: [completed]
      failed: [failed, expired]
    timestamps: {enqueued: created_on, run_at: start_after, started: started_on, finished: completed_on}
YAML
} >"$tmp/old_docs.yaml"
out=$("$QW_BINARY" check-config --connect "$tmp/old_docs.yaml")
rc=$?
[ "$rc" = 2 ] || fail "the old pg-boss mapping: exit $rc, want 2: $out"
grep -qF 'old_docs.yaml:14:24: error: boss/pgboss_old_docs: state value "expired" is not a label of enum pgboss.job_state' <<<"$out" ||
  fail "the old pg-boss mapping's 'expired' is not named with its position: $out"

# --- graphile-worker: the jobs view in deleted mode cannot count completions: a warning --------
{
  header
  cat <<'YAML'
  - name: graphile_view
    target: gw
    table: graphile_worker.jobs
    queue_column: task_identifier
    state:
      ready_when: "locked_at IS NULL AND attempts < max_attempts"
      running_when: "locked_at IS NOT NULL"
      completed_when: "false"
      failed_when: "locked_at IS NULL AND attempts >= max_attempts"
    timestamps: {enqueued: created_at, run_at: run_at, started: locked_at}
    completed_rows: deleted
YAML
} >"$tmp/view.yaml"
out=$("$QW_BINARY" check-config --connect --format json "$tmp/view.yaml")
rc=$?
[ "$rc" = 1 ] || fail "the graphile-worker view in deleted mode: exit $rc, want 1 (a warning): $out"
jq -e '.sources[0] | .relkind == "view" and .counts_completions == false and
       (.findings[0] | .severity == "warning" and .key == "completed_rows" and
        (.message | test("cannot count completions on a view")))' >/dev/null <<<"$out" ||
  fail "the view's warning is not reported as such: $out"

if [ "$failures" -ne 0 ]; then
  echo "preflight_real: $failures failure(s)" >&2
  exit 1
fi
echo "preflight_real: ok (pg-boss $PGBOSS_VERSION, graphile-worker $GRAPHILE_WORKER_VERSION)"
