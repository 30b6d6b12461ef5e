#!/usr/bin/env bash
# The daemon as an SRE runs it: `queuewatch run` against the shared test PostgreSQL, scraped over
# HTTP. Checks readiness, the metrics a queue produces (and that promtool accepts them), the
# HTTP error codes, SIGHUP with a broken and with a changed config, and a clean SIGTERM.
# Run by ctest with QW_BINARY and QW_SOURCE_DIR; scripts/test exports QW_TEST_PG_*.
set -uo pipefail

: "${QW_BINARY:?set QW_BINARY to the queuewatch binary}"
: "${QW_SOURCE_DIR:?set QW_SOURCE_DIR to the source tree}"
: "${QW_TEST_PG_DSN:?QW_TEST_PG_DSN is unset: run through scripts/test, which starts PostgreSQL}"
# shellcheck source=tests/scripts/lib/harness.sh
source "$QW_SOURCE_DIR/tests/scripts/lib/harness.sh"

tmp=$(mktemp -d)
table="daemon_http_$$"
table2="daemon_http_second_$$"
pid=""

sql() { psql -X -q -v ON_ERROR_STOP=1 -At "$QW_TEST_PG_DSN" -c "$1"; }

cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  fi
  sql "DROP TABLE IF EXISTS $table, $table2" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT

# Stops the test at once, with the daemon's log: later steps would only fail confusingly.
fatal() {
  echo "FATAL: $*" >&2
  echo "--- daemon log:" >&2
  cat "$tmp/daemon.log" >&2
  exit 1
}

http_code() {  # http_code [curl args...] URL
  curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@"
}

# metric_value NAME LABEL_MATCH...: the value of the first series of NAME whose labels contain
# every LABEL_MATCH (e.g. 'queue="mail"'), from a fresh scrape; empty when absent.
metric_value() {
  local name="$1"
  shift
  curl -s --max-time 5 "http://127.0.0.1:$port/metrics" |
    awk -v name="$name" -v want="$*" '
      index($0, name "{") == 1 {
        n = split(want, parts, " ")
        for (i = 1; i <= n; i++) if (index($0, parts[i]) == 0) next
        print $NF
        exit
      }'
}

metric_is() {  # metric_is WANT NAME LABEL_MATCH...
  local want="$1"
  shift
  [ "$(metric_value "$@")" = "$want" ]
}

# --- a job table: 4 waiting jobs and 1 running in queue "mail" --------------------------------
sql "CREATE TABLE $table (id bigserial PRIMARY KEY, queue text NOT NULL, state text NOT NULL,
       enqueued_at timestamptz NOT NULL DEFAULT now(), started_at timestamptz,
       finished_at timestamptz)" || fatal "cannot create the test table"
sql "INSERT INTO $table (queue, state, started_at) VALUES ('mail', 'ready', NULL),
       ('mail', 'ready', NULL), ('mail', 'ready', NULL), ('mail', 'ready', NULL),
       ('mail', 'running', now())" || fatal "cannot fill the test table"
sql "CREATE TABLE $table2 (id bigserial PRIMARY KEY, state text NOT NULL,
       enqueued_at timestamptz NOT NULL DEFAULT now());
     INSERT INTO $table2 (state) VALUES ('ready'), ('ready')" || fatal "cannot create table 2"

port=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
config="$tmp/queuewatch.yaml"

# write_config [EXTRA_QUEUE_YAML [EXTRA_HTTP_YAML]]
write_config() {
  cat >"$config" <<YAML
http:
  listen: "127.0.0.1:$port"
${2:-}
state_dir: "$tmp/state"
log_level: info
probes:
  postgres_health: {interval: 1s, query_timeout: 2s, max_backoff: 5s}
  postgres_queue: {interval: 1s, query_timeout: 2s, max_backoff: 5s}
targets:
  - name: testdb
    dsn: "$QW_TEST_PG_DSN"
    region: local
queues:
  - name: jobs
    target: testdb
    table: $table
    queue_column: queue
    state: {column: state, ready: [ready], running: [running], completed: [done], failed: [failed]}
    timestamps: {enqueued: enqueued_at, started: started_at, finished: finished_at}
    settle_delay: 1s
${1:-}
YAML
}
write_config

# --- start, and wait until every probe has run once (/-/ready) ----------------------------------
"$QW_BINARY" run --config "$config" >"$tmp/daemon.log" 2>&1 &
pid=$!
ready() { [ "$(http_code "http://127.0.0.1:$port/-/ready")" = 200 ]; }
wait_for "/-/ready" 30 ready || fatal "/-/ready never answered 200 within 30 s"

# --- /metrics ------------------------------------------------------------------------------------
curl -s --max-time 5 "http://127.0.0.1:$port/metrics" >"$tmp/metrics.txt" ||
  fatal "GET /metrics failed"
got=$(metric_value queuewatch_queue_ready_jobs 'queue="mail"' 'source="jobs"' 'target="testdb"')
[ "$got" = 4 ] || fail "queuewatch_queue_ready_jobs{queue=mail} is '$got', want 4"
got=$(metric_value queuewatch_queue_running_jobs 'queue="mail"' 'source="jobs"')
[ "$got" = 1 ] || fail "queuewatch_queue_running_jobs{queue=mail} is '$got', want 1"
got=$(metric_value queuewatch_target_up 'target="testdb"')
[ "$got" = 1 ] || fail "queuewatch_target_up{target=testdb} is '$got', want 1"

lint=$(promtool check metrics <"$tmp/metrics.txt" 2>&1)
lint_rc=$?
[ "$lint_rc" -eq 0 ] || fail "promtool check metrics exited $lint_rc"
[ -z "$lint" ] || fail "promtool check metrics complained:"$'\n'"$lint"

# The exporter follows the table: one more waiting job shows up on a later scrape.
sql "INSERT INTO $table (queue, state) VALUES ('mail', 'ready')"
wait_for "ready_jobs 5" 10 metric_is 5 queuewatch_queue_ready_jobs 'queue="mail"' ||
  fail "queuewatch_queue_ready_jobs{queue=mail} never became 5"

# --- HTTP errors ---------------------------------------------------------------------------------
code=$(http_code "http://127.0.0.1:$port/nope")
[ "$code" = 404 ] || fail "GET /nope answered $code, want 404"
code=$(http_code -X POST "http://127.0.0.1:$port/metrics")
[ "$code" = 405 ] || fail "POST /metrics answered $code, want 405"

# --- SIGHUP with a broken config: refused, logged, and the old config keeps serving ------------
cp "$config" "$tmp/good.yaml"
printf 'targets: [\n  - this is: not valid\n' >"$config"
kill -HUP "$pid"
logged_refusal() { grep -q "reload refused" "$tmp/daemon.log"; }
wait_for "the reload refusal" 10 logged_refusal || fail "a broken config was not reported in the log"
kill -0 "$pid" 2>/dev/null || fatal "the daemon died on a broken config"
code=$(http_code "http://127.0.0.1:$port/metrics")
[ "$code" = 200 ] || fail "after a refused reload /metrics answered $code"
got=$(metric_value queuewatch_queue_ready_jobs 'queue="mail"')
[ "$got" = 5 ] || fail "after a refused reload ready_jobs{queue=mail} is '$got', want 5"

# --- SIGHUP with a valid config that adds a source: it is reported ----------------------------
# The same reload lowers http.max_request_bytes, which applies to the next connections.
padded=(-H "X-Pad: $(printf 'x%.0s' {1..2000})")
code=$(http_code "${padded[@]}" "http://127.0.0.1:$port/metrics")
[ "$code" = 200 ] || fail "a 2 kB request answered $code before the reload, want 200"
write_config "  - name: second
    target: testdb
    table: $table2
    state: {column: state, ready: [ready], running: [running], completed: []}
    timestamps: {enqueued: enqueued_at}
    completed_rows: deleted" "  max_request_bytes: 1024"
kill -HUP "$pid"
wait_for "the second source" 10 metric_is 2 queuewatch_queue_ready_jobs 'source="second"' ||
  fail "after a reload that added source \"second\", its ready_jobs never became 2"
code=$(http_code "${padded[@]}" "http://127.0.0.1:$port/metrics")
[ "$code" = 431 ] || fail "after a reload to max_request_bytes 1024 a 2 kB request answered $code, want 431"
got=$(metric_value queuewatch_queue_ready_jobs 'queue="mail"')
[ "$got" = 5 ] || fail "after the reload ready_jobs{queue=mail} is '$got', want 5"

# --- SIGTERM: exits 0 within two seconds (the promise systemd's stop relies on) ----------------
kill -TERM "$pid"
for ((i = 0; i < 20; i++)); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$pid" 2>/dev/null; then
  fail "still running 2 s after SIGTERM"
else
  wait "$pid"
  rc=$?
  [ "$rc" -eq 0 ] || fail "exit status after SIGTERM is $rc, want 0"
fi
pid=""

if [ "$failures" -gt 0 ]; then
  echo "--- daemon log:" >&2
  cat "$tmp/daemon.log" >&2
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "daemon_http: all checks passed"
