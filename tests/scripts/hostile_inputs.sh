#!/usr/bin/env bash
# Inputs that must never crash or spin the daemon (issue 7), with the real binary:
#   a. check-config refuses, at line:column and without crashing, a route regex of 30 000 nested
#      groups (std::regex overflowed the stack), a `1000000d` probe interval (overflowed the
#      timers and busy-looped) and DSNs libpq accepts only until it connects;
#   b. `queuewatch run` against a PRIVATE PostgreSQL whose job table holds a queue named with
#      30 000 characters, with a regex route on `queue`: the daemon keeps running and routes that
#      queue's alert by the regex (std::regex crashed in routing, on every restart); and a queue
#      named like a template arrives verbatim in the page (it was expanded);
#   c. SIGHUP with the regex bomb, and with the huge interval: refused, the daemon keeps serving.
# Run by ctest with QW_BINARY and QW_SOURCE_DIR.
set -uo pipefail

: "${QW_BINARY:?set QW_BINARY to the queuewatch binary}"
: "${QW_SOURCE_DIR:?set QW_SOURCE_DIR to the source tree}"

# shellcheck source=scripts/lib/pg.sh
source "$QW_SOURCE_DIR/scripts/lib/pg.sh"
pgctl="$QW_SOURCE_DIR/scripts/lib/pgctl.sh"
# shellcheck source=tests/scripts/lib/harness.sh
source "$QW_SOURCE_DIR/tests/scripts/lib/harness.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/qw-hostile.XXXXXX")
pgdir=$(pg_tempdir)
pid=""
receiver_pid=""

cleanup() {
  stop_processes "$pid" "$receiver_pid"
  "$pgctl" cleanup "$pgdir" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT

dump_logs() {
  echo "--- daemon log (lines cut at 300 characters):" >&2
  cut -c1-300 "$tmp/daemon.log" >&2
}

fatal() {
  echo "FATAL: $*" >&2
  dump_logs
  exit 1
}

pg_port=$(pg_free_port)
hook_port=$(pg_free_port)
http_port=$(pg_free_port)
dsn="host=127.0.0.1 port=$pg_port dbname=qw_hostile user=postgres connect_timeout=3"
sql() { psql -X -q -v ON_ERROR_STOP=1 -At "$dsn" -c "$1"; }

# 30 000 nested groups: 60 001 bytes of pattern.
bomb=$(printf '%*s' 30000 '' | tr ' ' '(')a$(printf '%*s' 30000 '' | tr ' ' ')')
# A queue name of 30 000 characters, and one written like a template.
huge_queue=$(printf '%*s' 30000 '' | tr ' ' 'q')
# shellcheck disable=SC2016 # the text of a template, never expanded
template_queue='{{ $labels.target }}/{{ $value | humanizeDuration }}'

# write_config FILE ROUTE_REGEX HEALTH_INTERVAL: the daemon's config, with the regex on `queue`
# that routes to receiver "by_regex", and the health probe's interval.
write_config() {
  cat >"$1" <<YAML
http:
  listen: "127.0.0.1:$http_port"
state_dir: "$tmp/state"
probes:
  postgres_health: {interval: $3, query_timeout: 2s, max_backoff: 2s}
  postgres_queue: {interval: 1s, query_timeout: 5s, max_backoff: 2s}
targets:
  - name: db
    dsn: "$dsn"
    region: local
queues:
  - name: jobs
    target: db
    table: public.jobs
    queue_column: queue
    state: {column: state, ready: [ready], running: [running], completed: [done]}
    timestamps: {enqueued: enqueued_at, started: started_at, finished: finished_at}
    completed_rows: kept
    warm_start: false
rules:
  evaluation_interval: 1s
  defaults:
    # The operator's template is expanded once; the label value it inserts never is.
    stuck_in_progress: {running_for: 5s, heartbeat_timeout: 5s, description: 'queue {{ \$labels.queue }} is stuck'}
alerting:
  default_receiver: fallback
  repeat_interval: 24h
  routes:
    - matchers: ['alertname="stuck_in_progress"', 'queue=~"$2"']
      receiver: by_regex
  receivers:
    - {name: by_regex, type: webhook, url: "http://127.0.0.1:$hook_port/regex"}
    - {name: fallback, type: webhook, url: "http://127.0.0.1:$hook_port/fallback"}
YAML
}

# --- a. check-config ------------------------------------------------------------------------------
# check_refused NAME PATTERN: check-config on $tmp/NAME.yaml exits 2 (not a signal) and prints
# PATTERN (an ERE).
check_refused() {
  "$QW_BINARY" check-config --config "$tmp/$1.yaml" >"$tmp/$1.out" 2>&1
  local rc=$?
  [ "$rc" -eq 2 ] || fail "check-config on $1 exited $rc, want 2 (139 is the SIGSEGV of issue 7)"
  grep -Eq -- "$2" "$tmp/$1.out" ||
    fail "check-config on $1 did not print /$2/: $(cut -c1-300 "$tmp/$1.out")"
}

write_config "$tmp/bomb.yaml" "$bomb" 1s
check_refused bomb 'bomb\.yaml:29:51: alerting\.routes\[0\]\.matchers\[1\]: ".{60}\.\.\." is 60001 bytes long; a matcher.s regular expression may have at most 4096'

write_config "$tmp/interval.yaml" 'q+' 1000000d
check_refused interval 'interval\.yaml:5:31: probes\.postgres_health\.interval: must be at most 1h, got 1000000d'

write_config "$tmp/port.yaml" 'q+' 1s
sed -i "s/port=$pg_port/port=notaport/" "$tmp/port.yaml"
check_refused port 'port\.yaml:9:10: targets\[0\]\.dsn: libpq would refuse this connection string: port="notaport"'

write_config "$tmp/sslmode.yaml" 'q+' 1s
sed -i "s/connect_timeout=3/connect_timeout=3 sslmode=bogus/" "$tmp/sslmode.yaml"
check_refused sslmode 'targets\[0\]\.dsn: .*sslmode="bogus"'

write_config "$tmp/good.yaml" '(?i)Q+' 1s
"$QW_BINARY" check-config --config "$tmp/good.yaml" >"$tmp/good.out" 2>&1 ||
  fail "check-config refused a regex with (?i): $(cat "$tmp/good.out")"

# --- b. the daemon, with hostile queue names in the table -----------------------------------------
"$pgctl" start "$pgdir" "$pg_port" || fatal "cannot start the private PostgreSQL"
pg_psql "$pgdir" "$pg_port" -c "CREATE DATABASE qw_hostile" || fatal "cannot create the database"
sql "CREATE TABLE jobs (id bigserial PRIMARY KEY, queue text NOT NULL, state text NOT NULL,
       enqueued_at timestamptz NOT NULL DEFAULT now(), started_at timestamptz,
       finished_at timestamptz)" || fatal "cannot create the job table"
# One job running for an hour in each hostile queue: stuck_in_progress fires for both at once.
sql "INSERT INTO jobs (queue, state, enqueued_at, started_at) VALUES
       (repeat('q', 30000), 'running', now() - interval '61 minutes', now() - interval '1 hour'),
       (\$q\$$template_queue\$q\$, 'running', now() - interval '61 minutes', now() - interval '1 hour')" ||
  fatal "cannot insert the stuck jobs"

start_webhook_receiver "$hook_port"

# Anchored and case-insensitive: the route matches the huge name only if the regex runs over all
# 30 000 characters with (?i).
write_config "$tmp/queuewatch.yaml" '(?i)Q+' 1s
"$QW_BINARY" run --config "$tmp/queuewatch.yaml" >"$tmp/daemon.log" 2>&1 &
pid=$!
ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$http_port/-/ready")" = 200 ]; }
wait_for "/-/ready" 30 ready || fatal "/-/ready never answered 200 within 30 s"

# paged RECEIVER QUEUE: a firing stuck_in_progress payload for QUEUE reached RECEIVER.
paged() {
  jq -e -s --arg r "$1" --arg q "$2" 'any(.[]; .receiver == $r and .alerts[0].status == "firing"
      and .alerts[0].labels.alertname == "stuck_in_progress" and .alerts[0].labels.queue == $q)' \
    "$tmp/hooks.jsonl" >/dev/null 2>&1
}
wait_for "the huge queue's page" 60 paged by_regex "$huge_queue" ||
  fail "no stuck_in_progress page for the 30 000-character queue via the regex route within 60 s"
wait_for "the template queue's page" 30 paged fallback "$template_queue" ||
  fail "no stuck_in_progress page for the template-named queue within 30 s"

# The page quotes the name as it is: nothing in it was expanded as a template.
summary=$(jq -r -s --arg q "$template_queue" 'map(select(.alerts[0].labels.queue == $q))
    | .[0].alerts[0].annotations.summary' "$tmp/hooks.jsonl" 2>/dev/null)
case "$summary" in
  *"jobs/$template_queue:"*) ;;
  *) fail "the summary does not quote the queue name verbatim: '$summary'" ;;
esac
description=$(jq -r -s --arg q "$template_queue" 'map(select(.alerts[0].labels.queue == $q))
    | .[0].alerts[0].annotations.description' "$tmp/hooks.jsonl" 2>/dev/null)
[ "$description" = "queue $template_queue is stuck" ] ||
  fail "the operator's description template did not insert the name verbatim: '$description'"
kill -0 "$pid" 2>/dev/null || fatal "the daemon exited"

# std::regex crashed again on every start while the row existed: restart, and route again.
firing_stuck() {
  curl -s --max-time 5 "http://127.0.0.1:$http_port/metrics" |
    grep -Eq '^queuewatch_alerts\{alertname="stuck_in_progress",severity="critical",state="firing"\} 2$'
}
wait_for "two firing stuck_in_progress alerts" 30 firing_stuck ||
  fail "queuewatch_alerts does not show the two firing stuck_in_progress alerts"
kill -TERM "$pid"
wait "$pid"
"$QW_BINARY" run --config "$tmp/queuewatch.yaml" >>"$tmp/daemon.log" 2>&1 &
pid=$!
wait_for "/-/ready after the restart" 30 ready || fatal "/-/ready never answered 200 after the restart"
wait_for "the alerts after the restart" 30 firing_stuck ||
  fail "after the restart queuewatch_alerts does not show the two firing alerts"

# --- c. SIGHUP with the regex bomb, then with the huge interval: refused, still serving --------
for bad in bomb interval; do
  cp "$tmp/$bad.yaml" "$tmp/queuewatch.yaml"
  refusals=$(grep -c "reload refused" "$tmp/daemon.log")
  kill -HUP "$pid"
  refused() { [ "$(grep -c "reload refused" "$tmp/daemon.log")" -gt "$refusals" ]; }
  wait_for "the $bad reload refusal" 15 refused || fail "SIGHUP with the $bad config was not refused"
  kill -0 "$pid" 2>/dev/null || fatal "the daemon died on SIGHUP with the $bad config"
  ready || fail "after SIGHUP with the $bad config /-/ready does not answer 200"
done

if [ "$failures" -gt 0 ]; then
  dump_logs
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "hostile_inputs: all checks passed"
