#!/usr/bin/env bash
# A target whose connect blocks (a server that accepts and never speaks: libpq waits for its
# answer until connect_timeout, and nothing can interrupt it), next to a healthy database.
#   a. SIGHUP while that connect is in flight, changing the blocked target: /metrics keeps
#      answering promptly throughout (the reload used to join the blocked worker on the event
#      loop: 31 s without scrapes, evaluation or watchdog pings), the healthy source is carried
#      over and never reported as failing, and no cannot_measure is raised for it.
#   b. SIGTERM with a connect in flight: the process is gone within the two seconds --help
#      promises (checked with one second of slack; the daemon logs its own stop duration).
# Run by ctest with QW_BINARY and QW_SOURCE_DIR; scripts/test exports QW_TEST_PG_*.
set -uo pipefail

: "${QW_BINARY:?set QW_BINARY to the queuewatch binary}"
: "${QW_SOURCE_DIR:?set QW_SOURCE_DIR to the source tree}"
: "${QW_TEST_PG_DSN:?QW_TEST_PG_DSN is unset: run through scripts/test, which starts PostgreSQL}"
# shellcheck source=tests/scripts/lib/harness.sh
source "$QW_SOURCE_DIR/tests/scripts/lib/harness.sh"

tmp=$(mktemp -d)
table="blocked_connect_$$"
pid=""
hole_pid=""

sql() { psql -X -q -v ON_ERROR_STOP=1 -At "$QW_TEST_PG_DSN" -c "$1"; }

cleanup() {
  stop_processes "$pid" "$hole_pid"
  sql "DROP TABLE IF EXISTS $table" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT

fatal() {
  echo "FATAL: $*" >&2
  echo "--- daemon log:" >&2
  cat "$tmp/daemon.log" >&2
  exit 1
}

free_port() {
  python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
port=$(free_port)
hole_port=$(free_port)

# The black hole: accepts, counts, and never sends a byte. Stops by itself after 5 minutes.
python3 -u - "$hole_port" >"$tmp/hole.log" 2>&1 <<'PY' &
import socket, sys, time
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1])))
srv.listen(64)
srv.settimeout(1.0)
held = []
deadline = time.time() + 300
while time.time() < deadline:
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        continue
    held.append(conn)
    print("accepted", len(held), flush=True)
PY
hole_pid=$!

sql "CREATE TABLE $table (id bigserial PRIMARY KEY, state text NOT NULL,
       enqueued_at timestamptz NOT NULL DEFAULT now(), finished_at timestamptz);
     INSERT INTO $table (state) VALUES ('ready'), ('ready')" || fatal "cannot create the table"

config="$tmp/queuewatch.yaml"
write_config() {  # write_config CONNECT_TIMEOUT_OF_THE_BLOCKED_TARGET
  cat >"$config" <<YAML
http:
  listen: "127.0.0.1:$port"
state_dir: "$tmp/state"
log_level: info
probes:
  postgres_health: {interval: 1s, query_timeout: 2s, max_backoff: 2s}
  postgres_queue: {interval: 1s, query_timeout: 2s, max_backoff: 5s}
targets:
  - name: healthy
    dsn: "$QW_TEST_PG_DSN"
    region: local
  - name: blackhole
    dsn: "host=127.0.0.1 port=$hole_port dbname=none user=none sslmode=disable"
    region: local
    connect_timeout: $1
queues:
  - name: jobs
    target: healthy
    table: $table
    state: {column: state, ready: [ready], running: [running], completed: [done]}
    timestamps: {enqueued: enqueued_at, finished: finished_at}
    settle_delay: 1s
rules:
  evaluation_interval: 1s
  # Any cannot_measure condition at all is raised at once: none may appear for this source.
  defaults: {cannot_measure: {for: 0s, stale_after: 10s}}
YAML
}
write_config 12s

accepted() {
  local n
  n=$(grep -c accepted "$tmp/hole.log" 2>/dev/null)
  echo "${n:-0}"
}
more_accepted_than() { [ "$(accepted)" -gt "$1" ]; }
metric_line() { curl -s --max-time 5 "http://127.0.0.1:$port/metrics" | grep "^$1" >/dev/null; }

"$QW_BINARY" run --config "$config" >"$tmp/daemon.log" 2>&1 &
pid=$!
wait_for "the healthy source's first round" 30 metric_line 'queuewatch_queue_ready_jobs{.*source="jobs"' ||
  fatal "the healthy source was never measured"
wait_for "a connect to the black hole" 30 more_accepted_than 0 ||
  fatal "the daemon never connected to the black hole"

# --- a. SIGHUP with the connect in flight ------------------------------------------------------
write_config 13s # the blocked target changes: its pool is retired with the connect in it
kill -HUP "$pid"
reloaded() { grep -q "reload: .* carried over" "$tmp/daemon.log"; }
# Scrape back to back until the retired connect has returned (up to its 12 s): each scrape must
# be answered, and promptly. 5 s is a correctness bound (the loop was blocked for the whole
# connect_timeout), not a timing target.
returned() { grep -q "previous configuration's last probe returned" "$tmp/daemon.log"; }
scrapes=0
slowest=0
give_up=$((SECONDS + 60))
until returned; do
  kill -0 "$pid" 2>/dev/null || fatal "the daemon exited after SIGHUP"
  out=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 5 \
    "http://127.0.0.1:$port/metrics")
  code=${out%% *}
  took=${out##* }
  scrapes=$((scrapes + 1))
  [ "$code" = 200 ] || fail "scrape $scrapes after SIGHUP answered '$code' in ${took}s"
  slowest=$(awk -v a="$slowest" -v b="$took" 'BEGIN { print (b > a ? b : a) }')
  [ "$SECONDS" -lt "$give_up" ] || fatal "the retired connect never returned"
done
echo "$scrapes scrapes during the blocked connect, the slowest took ${slowest}s"
reloaded || fail "the reload was not logged"
grep -q "reload: 2 probe(s) and 1 connection pool(s) carried over" "$tmp/daemon.log" ||
  fail "the healthy target's probes and pool were not carried over: $(grep 'carried over' "$tmp/daemon.log")"

# Evaluation ran meanwhile, and said nothing about the healthy database.
grep -E "alert cannot_measure|jobs.* failing|healthy.* failing" "$tmp/daemon.log" &&
  fail "the healthy database was reported as failing or unmeasurable"

# --- b. SIGTERM with a connect in flight ------------------------------------------------------
n=$(accepted)
wait_for "the next connect to the black hole" 30 more_accepted_than "$n" ||
  fatal "no new connect to the black hole"
start_ns=$(date +%s%N)
kill -TERM "$pid"
gone() { ! kill -0 "$pid" 2>/dev/null; }
for ((i = 0; i < 100; i++)); do
  gone && break
  sleep 0.03
done
elapsed_ms=$((($(date +%s%N) - start_ns) / 1000000))
if ! gone; then
  fail "still running ${elapsed_ms} ms after SIGTERM"
else
  wait "$pid"
  rc=$?
  [ "$rc" -eq 0 ] || fail "exit status after SIGTERM is $rc, want 0"
fi
pid=""
logged=$(sed -n 's/.*stopped in \([0-9]*\) ms.*/\1/p' "$tmp/daemon.log" | tail -1)
echo "SIGTERM: gone after ${elapsed_ms} ms (measured here), the daemon's own stop took ${logged:-?} ms"
[ -n "$logged" ] || fail "the daemon did not log its stop duration"
[ -n "$logged" ] && [ "$logged" -ge 2000 ] && fail "the daemon's stop took $logged ms; --help promises 2 s"

if [ "$failures" -gt 0 ]; then
  echo "--- daemon log:" >&2
  cat "$tmp/daemon.log" >&2
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "blocked_connect: all checks passed"
