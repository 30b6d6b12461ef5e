#!/usr/bin/env bash
# A cluster through a failover, against two real PostgreSQL 15 servers of its own: pg-a, a
# primary, and pg-b, its streaming standby made with pg_basebackup -R (scripts/lib/pg.sh). A
# queue source runs on the cluster `main`. Checks (docs/clusters.md):
#   - the source's series carry target="main" and no region, read from pg-a;
#   - pg-a stops and nothing is promoted: no_primary fires, and pg-a's database_unavailable
#     fires too but is held back (inhibited, never notified while no_primary fires: one page);
#   - pg-b is promoted: failover fires, naming both members and their regions; no_primary
#     resolves; the queue series continue from pg-b under the same labels (a job written on
#     pg-b only shows up in them) and no series appear under pg-b's name; pg-a's
#     database_unavailable is notified once no_primary is over (a lost member is news then);
#   - pg-a starts again as a primary of its own: split_brain fires, naming both, and the source
#     stays on pg-b;
#   - outside a cluster, `expect: replica` is enforced: `once` reports the primary pg-a down with
#     the reason not_in_recovery, and the standby pg-b up.
# Run by ctest with QW_BINARY and QW_SOURCE_DIR. Starts its own servers: no QW_TEST_PG_* needed.
set -uo pipefail

: "${QW_BINARY:?set QW_BINARY to the queuewatch binary}"
: "${QW_SOURCE_DIR:?set QW_SOURCE_DIR to the source tree}"

# shellcheck source=scripts/lib/pg.sh
source "$QW_SOURCE_DIR/scripts/lib/pg.sh"
# shellcheck source=tests/scripts/lib/harness.sh
source "$QW_SOURCE_DIR/tests/scripts/lib/harness.sh"
# shellcheck source=tests/scripts/lib/replication.sh
source "$QW_SOURCE_DIR/tests/scripts/lib/replication.sh"

pair_test_setup failover

on_a() { pg_psql "$adir" "$aport" -d app -At -c "$1"; }
on_b() { pg_psql "$bdir" "$bport" -d app -At -c "$1"; }
# alerts STATUS ALERTNAME: the alerts of that status and name in the logged payloads, one JSON
# object per line.
alerts() {
  jq -c --arg s "$1" --arg a "$2" '.alerts[] | select(.status == $s and .labels.alertname == $a)' \
    "$tmp/hooks.jsonl" 2>/dev/null
}
has_alert() { [ -n "$(alerts "$@")" ]; }
metrics() { curl -s --max-time 5 "http://127.0.0.1:$http_port/metrics"; }
metric_is() { metrics | grep -xF -- "$1" >/dev/null; }

start_replicated_pair "$adir" "$aport" "$bdir" "$bport" ||
  fatal "cannot stage pg-a and its streaming standby pg-b"
# Written after the standby was made: it reaches pg-b through streaming, not the base backup.
pg_psql "$adir" "$aport" -c "CREATE DATABASE app" >/dev/null || fatal "cannot create the database"
on_a "CREATE TABLE jobs (id bigserial PRIMARY KEY, queue text NOT NULL, state text NOT NULL,
        enqueued_at timestamptz NOT NULL DEFAULT now(), started_at timestamptz,
        finished_at timestamptz);
      INSERT INTO jobs (queue, state) SELECT 'flow', 'ready' FROM generate_series(1, 20)" ||
  fatal "cannot create the job table"
pg_wait_caught_up "$adir" "$aport" "$bdir" "$bport" || fatal "pg-b did not catch up"

# expect: replica on each server, outside any cluster.
cat >"$tmp/expect.yaml" <<YAML
state_dir: "$tmp/state-once"
targets:
  - {name: pg-a, dsn: "host=127.0.0.1 port=$aport dbname=app user=postgres", expect: replica}
  - {name: pg-b, dsn: "host=127.0.0.1 port=$bport dbname=app user=postgres", expect: replica}
YAML
"$QW_BINARY" once --config "$tmp/expect.yaml" --format json >"$tmp/once.json" 2>"$tmp/once.err"
jq -e '.. | objects | select(.target == "pg-a" and .up == false and .reason == "not_in_recovery")' \
  "$tmp/once.json" >/dev/null || fail "expect: replica does not report the primary down: $(cat "$tmp/once.json")"
jq -e '.. | objects | select(.target == "pg-b" and .up == true)' "$tmp/once.json" >/dev/null ||
  fail "expect: replica reports the standby down: $(cat "$tmp/once.json")"

http_port=$(pg_free_port)
start_webhook_receiver

cat >"$tmp/queuewatch.yaml" <<YAML
http:
  listen: "127.0.0.1:$http_port"
state_dir: "$tmp/state"
probes:
  postgres_health: {interval: 1s, query_timeout: 2s, max_backoff: 2s}
  postgres_queue: {interval: 1s, query_timeout: 2s, max_backoff: 2s}
targets:
  - {name: pg-a, dsn: "host=127.0.0.1 port=$aport dbname=app user=postgres connect_timeout=2", region: west}
  - {name: pg-b, dsn: "host=127.0.0.1 port=$bport dbname=app user=postgres connect_timeout=2", region: north}
clusters:
  - {name: main, members: [pg-a, pg-b]}
queues:
  - name: jobs
    target: main
    table: public.jobs
    queue_column: queue
    queue_names: [flow]
    state: {column: state, ready: [ready], running: [running], completed: [done], failed: [failed]}
    timestamps: {enqueued: enqueued_at, started: started_at, finished: finished_at}
    settle_delay: 1s
    warm_start: {enabled: false}
rules:
  evaluation_interval: 1s
  database_unavailable: {for: 3s}
  no_primary: {for: 3s}
  split_brain: {for: 2s}
alerting:
  default_receiver: hook
  repeat_interval: 24h
  inhibit_release_delay: 2s
  receivers:
    - name: hook
      type: webhook
      url: "http://127.0.0.1:$hook_port/alerts"
      timeout: 5s
YAML

"$QW_BINARY" run --config "$tmp/queuewatch.yaml" >"$tmp/daemon.log" 2>&1 &
pid=$!
ready_series='queuewatch_queue_ready_jobs{queue="flow",source="jobs",target="main"}'
wait_for "the source's series on main" 30 metric_is "$ready_series 20" ||
  fatal "no ready-jobs series of target main with 20 jobs"

# pg-a stops; nothing promotes pg-b yet.
pg_stop "$adir" || fatal "cannot stop pg-a"
wait_for "no_primary" 30 has_alert firing no_primary || fatal "no_primary never fired"
alerts firing no_primary | jq -r .annotations.summary | grep -q "pg-a (127.0.0.1:$aport): connection refused" ||
  fail "no_primary's summary does not name pg-a's state: $(alerts firing no_primary)"
wait_for "pg-a's database_unavailable inhibited" 10 \
  metric_is 'queuewatch_alerts{alertname="database_unavailable",severity="critical",state="inhibited"} 1' ||
  fail "pg-a's database_unavailable is not held back while no_primary fires"
has_alert firing database_unavailable && fail "database_unavailable paged while no_primary fires"

pg_promote "$bdir" "$bport" || fatal "cannot promote pg-b"
wait_for "failover" 30 has_alert firing failover || fatal "failover never fired"
summary=$(alerts firing failover | jq -r .annotations.summary | head -n 1)
[ "$summary" = "main: primary moved from pg-a (region west) to pg-b (region north)" ] ||
  fail "failover's summary is '$summary'"
wait_for "no_primary resolved" 30 has_alert resolved no_primary || fail "no_primary did not resolve"

# The series continue from pg-b, same labels: a job written on pg-b only is counted in them.
on_b "INSERT INTO jobs (queue, state) SELECT 'flow', 'ready' FROM generate_series(1, 5)" ||
  fatal "cannot write on the promoted pg-b"
wait_for "the series read from pg-b" 30 metric_is "$ready_series 25" ||
  fail "the ready-jobs series of main did not reach 25 from pg-b"
metrics | grep '^queuewatch_queue_ready_jobs{.*target="pg-b"' >/dev/null &&
  fail "the source's series appeared under pg-b's name"
# pg-b's health round sets its writable series, on a schedule of its own: it may come after the
# source's round that read 25.
wait_for "pg-b writable on /metrics" 10 \
  metric_is 'queuewatch_target_writable{region="north",target="pg-b"} 1' ||
  fail "pg-b is not writable in /metrics"

# After no_primary, pg-a being down is news: a lost member, with its cluster label.
wait_for "pg-a's database_unavailable notified" 30 has_alert firing database_unavailable ||
  fail "pg-a's database_unavailable was never notified after the failover"
alerts firing database_unavailable | jq -e 'select(.labels.target == "pg-a" and .labels.cluster == "main")' \
  >/dev/null || fail "database_unavailable does not name pg-a with cluster main"

# pg-a comes back as a primary of its own: two members accept writes.
pg_start "$adir" "$aport" || fatal "cannot start pg-a again"
wait_for "split_brain" 30 has_alert firing split_brain || fatal "split_brain never fired"
alerts firing split_brain | jq -r .annotations.summary | grep -qF "pg-a (region west), pg-b (region north)" ||
  fail "split_brain does not name both members: $(alerts firing split_brain)"
# The source stays on pg-b: pg-a does not have the 5 jobs written on pg-b.
on_a "SELECT 1" >/dev/null || fail "pg-a does not answer"
# Read it for three seconds (three queue rounds): it must show 25 and never pg-a's 20. One read
# alone is not a finding: on a loaded machine a /metrics fetch can time out (curl --max-time).
left_b=0 reads_of_b=0 split_read_from=$SECONDS
series_value() { metrics | awk -v s="$ready_series " 'index($0, s) == 1 { print substr($0, length(s) + 1) }'; }
stays_on_b() {
  local v
  v=$(series_value)
  [ "$v" = 20 ] && left_b=1
  [ "$v" = 25 ] && reads_of_b=$((reads_of_b + 1))
  [ $((SECONDS - split_read_from)) -ge 3 ] && [ "$reads_of_b" -gt 0 ]
}
wait_for "three seconds of the series during the split brain" 30 stays_on_b ||
  fail "the ready-jobs series of main was not read from pg-b during the split brain"
[ "$left_b" = 0 ] || fail "the source left pg-b during the split brain (the series read pg-a's 20)"

if [ "$failures" -gt 0 ]; then
  dump_logs
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "failover: all checks passed"
