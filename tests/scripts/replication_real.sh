#!/usr/bin/env bash
# Replication measured from both ends on a real primary and its streaming standby (issue 11):
# the postgres_replication probe's lag in bytes and seconds, streaming state, replay paused and
# slots on /metrics, and the alerts replica_lag and replica_not_streaming.
#
#  1. caught up and idle: lag 0 from both ends, and still 0 while the time since the standby's
#     last replayed transaction grows (the idle-primary caveat);
#  2. write load on the primary while the standby streams: the lag measured (printed);
#  3. replay paused on the standby, then writes: lag bytes > 0 from both ends, the standby's lag
#     in seconds grows, replay_paused 1, replica_lag fires (max_lag 2s, for 2s); resumed: both
#     ends back to 0 bytes and 0 s, replica_lag resolves;
#  4. the standby's WAL receiver stopped (primary_conninfo to a closed port, reloaded):
#     streaming 0, replica_not_streaming fires naming both ends; restored: it resolves;
#  5. an inactive slot's retained WAL grows with writes; the standby's active slot is there too;
#  6. a role without pg_monitor: the primary's side is not measurable (null, not 0) while the
#     standby's own lag is still measured (`queuewatch once --format json`).
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

pair_test_setup repl

dump_extra() {
  echo "--- replication metrics:" >&2
  metrics | grep '^queuewatch_replication' >&2
}

on_a() { pg_psql "$adir" "$aport" -At -c "$1"; }
on_b() { pg_psql "$bdir" "$bport" -At -c "$1"; }
alerts() {
  jq -c --arg s "$1" --arg a "$2" '.alerts[] | select(.status == $s and .labels.alertname == $a)' \
    "$tmp/hooks.jsonl" 2>/dev/null
}
has_alert() { [ -n "$(alerts "$@")" ]; }
metrics() { curl -s --max-time 5 "http://127.0.0.1:$http_port/metrics"; }
# value NAME LABELS: the value of the series NAME{LABELS} (labels in Prometheus' sorted order).
value() { metrics | awk -v s="$1{$2}" '$1 == s { print $2 }'; }
value_is() { [ "$(value "$1" "$2")" = "$3" ]; }
value_over() { local v; v=$(value "$1" "$2"); [ -n "$v" ] && awk -v v="$v" -v m="$3" 'BEGIN { exit !(v > m) }'; }

A='region="west",target="pg-a"'
B='region="north",target="pg-b"'
# Prometheus orders labels by name: region, side, stage, standby, target.
a_lag() { echo "region=\"west\",side=\"primary\"${1:+,stage=\"$1\"},standby=\"pg-b\",target=\"pg-a\""; }
b_lag() { echo "region=\"north\",side=\"standby\"${1:+,stage=\"$1\"},standby=\"pg-b\",target=\"pg-b\""; }

# A primary and a standby with a slot; cluster_name gives the standby's WAL receiver the
# application name pg-b (pg_basebackup -R writes none: docs/clusters.md).
start_replicated_pair "$adir" "$aport" "$bdir" "$bport" --slot pg_b_slot \
  --standby cluster_name=pg-b || fatal "cannot stage pg-a and its streaming standby pg-b"
on_a "CREATE TABLE load (id bigserial PRIMARY KEY, pad text)" >/dev/null || fatal "no table"
on_a "SELECT pg_create_physical_replication_slot('idle_slot', true)" >/dev/null ||
  fatal "cannot create idle_slot"
on_a "CREATE ROLE mon LOGIN" >/dev/null || fatal "cannot create role mon"
pg_wait_caught_up "$adir" "$aport" "$bdir" "$bport" || fatal "pg-b did not catch up"

hook_port=$(pg_free_port)
http_port=$(pg_free_port)
: >"$tmp/hooks.jsonl"
python3 "$QW_SOURCE_DIR/scripts/lib/webhook_receiver.py" "$hook_port" --log "$tmp/hooks.jsonl" \
  >"$tmp/receiver.out" 2>&1 &
receiver_pid=$!
receiver_up() { curl -s -o /dev/null --max-time 2 -X POST -d '{}' "http://127.0.0.1:$hook_port/"; }
for ((i = 0; i < 50; i++)); do receiver_up && break; sleep 0.1; done
receiver_up || fatal "the webhook receiver did not start"
: >"$tmp/hooks.jsonl"

write_config() {  # write_config FILE USER
  cat >"$1" <<YAML
http:
  listen: "127.0.0.1:$http_port"
state_dir: "$tmp/state"
probes:
  postgres_health: {interval: 1s, query_timeout: 2s, max_backoff: 2s}
  postgres_replication: {interval: 1s, query_timeout: 2s, max_backoff: 2s}
targets:
  - name: pg-a
    dsn: "host=127.0.0.1 port=$aport dbname=postgres user=$2 connect_timeout=2"
    region: west
  - name: pg-b
    dsn: "host=127.0.0.1 port=$bport dbname=postgres user=$2 connect_timeout=2"
    region: north
clusters:
  - {name: main, members: [pg-a, pg-b]}
rules:
  evaluation_interval: 1s
  replica_lag: {max_lag: 2s, for: 2s}
  replica_not_streaming: {for: 2s}
alerting:
  default_receiver: hook
  repeat_interval: 24h
  receivers:
    - name: hook
      type: webhook
      url: "http://127.0.0.1:$hook_port/alerts"
      timeout: 5s
YAML
}
write_config "$tmp/queuewatch.yaml" postgres
"$QW_BINARY" run --config "$tmp/queuewatch.yaml" >"$tmp/daemon.log" 2>&1 &
pid=$!

# --- 1. Caught up and idle: 0 from both ends, and it stays 0 ----------------------------------
wait_for "both members' replication rounds" 30 value_is queuewatch_replication_up "$B" 1 ||
  fatal "pg-b's replication round never succeeded"
wait_for "pg-a's replication round" 30 value_is queuewatch_replication_up "$A" 1 ||
  fatal "pg-a's replication round never succeeded"
wait_for "pg-b streaming, seen from pg-a" 30 \
  value_is queuewatch_replication_streaming "region=\"west\",side=\"primary\",standby=\"pg-b\",target=\"pg-a\"" 1 ||
  fail "pg-a does not show pg-b streaming"
wait_for "pg-b streaming, seen from itself" 30 \
  value_is queuewatch_replication_streaming "region=\"north\",side=\"standby\",standby=\"pg-b\",target=\"pg-b\"" 1 ||
  fail "pg-b does not show its receiver streaming"
wait_for "lag 0 s from pg-b's side" 30 value_is queuewatch_replication_lag_seconds "$(b_lag)" 0 ||
  fail "pg-b's own lag is not 0 s while caught up"
wait_for "lag 0 bytes from pg-a's side" 30 value_is queuewatch_replication_lag_bytes "$(a_lag replay)" 0 ||
  fail "pg-a's replay lag is not 0 bytes while caught up"
# promtool has nothing to say about the replication series (names, HELP, label sets).
if command -v promtool >/dev/null; then
  lint=$(metrics | promtool check metrics 2>&1) || fail "promtool check metrics: $lint"
  [ -z "$lint" ] || fail "promtool check metrics: $lint"
fi
idle_age() { on_b "SELECT extract(epoch FROM now() - pg_last_xact_replay_timestamp())::int"; }
# The idle primary: the time since pg-b's last replayed transaction grows past 6 s, and every
# read of the reported lag meanwhile is 0.
idle_nonzero=""
idle_check() {
  local v
  v=$(value queuewatch_replication_lag_seconds "$(b_lag)")
  [ "$v" = 0 ] || idle_nonzero+=" $v"
  [ "$(idle_age)" -gt 6 ] 2>/dev/null
}
wait_for "pg-b idle for 6 s" 30 idle_check || fail "pg-b's last replayed transaction stays recent"
[ -z "$idle_nonzero" ] || fail "pg-b's lag read$idle_nonzero s while caught up with an idle primary"
echo "idle primary: pg-b's last replayed transaction is $(idle_age) s old, its lag reads 0 s"

# --- 2. Write load while it streams: the lag measured -----------------------------------------
( for ((n = 0; n < 40; n++)); do
    on_a "INSERT INTO load (pad) SELECT repeat('x', 200) FROM generate_series(1, 20000)" >/dev/null
  done ) &
extra_pid=$!  # the load: the EXIT trap stops it if a check fails first
max_bytes=0
max_seconds=0
while kill -0 "$extra_pid" 2>/dev/null; do
  b=$(value queuewatch_replication_lag_bytes "$(a_lag replay)")
  s=$(value queuewatch_replication_lag_seconds "$(b_lag)")
  max_bytes=$(awk -v a="${b:-0}" -v m="$max_bytes" 'BEGIN { print (a > m ? a : m) }')
  max_seconds=$(awk -v a="${s:-0}" -v m="$max_seconds" 'BEGIN { print (a > m ? a : m) }')
  sleep 0.2
done
wait "$extra_pid"
extra_pid=""
echo "write load (40 x 20000 rows of 200 bytes): largest replay lag seen $max_bytes bytes (primary's side), $max_seconds s (standby's side)"
pg_wait_caught_up "$adir" "$aport" "$bdir" "$bport" || fail "pg-b did not catch up after the load"

# --- 3. Replay paused: lag from both ends, replica_lag ----------------------------------------
on_b "SELECT pg_wal_replay_pause()" >/dev/null || fatal "cannot pause pg-b's replay"
on_a "INSERT INTO load (pad) SELECT repeat('y', 200) FROM generate_series(1, 5000)" >/dev/null
wait_for "replay_paused 1" 30 value_is queuewatch_replication_replay_paused "$B" 1 ||
  fail "pg-b's replay_paused is not 1"
wait_for "bytes behind on pg-a's side" 30 value_over queuewatch_replication_lag_bytes "$(a_lag replay)" 0 ||
  fail "pg-a's replay lag in bytes stays 0 while pg-b's replay is paused"
wait_for "bytes received, not replayed, on pg-b's side" 30 \
  value_over queuewatch_replication_lag_bytes "$(b_lag replay)" 0 ||
  fail "pg-b's received-not-replayed bytes stay 0 while paused"
wait_for "nothing unsent on pg-a's side" 30 value_is queuewatch_replication_lag_bytes "$(a_lag sent)" 0 ||
  fail "pg-a's sent lag is not 0 bytes: the standby still receives ($(value queuewatch_replication_lag_bytes "$(a_lag sent)"))"
wait_for "lag seconds over 2 on pg-b's side" 30 value_over queuewatch_replication_lag_seconds "$(b_lag)" 2 ||
  fail "pg-b's lag in seconds does not grow while paused"
wait_for "replica_lag" 30 has_alert firing replica_lag || fatal "replica_lag never fired"
alert=$(alerts firing replica_lag | head -n 1)
jq -e '.labels.target == "pg-b" and .labels.cluster == "main" and .labels.region == "north" and .labels.severity == "warning"' \
  <<<"$alert" >/dev/null || fail "replica_lag's labels: $alert"
jq -r .annotations.description <<<"$alert" | grep -qF "replay is paused" ||
  fail "replica_lag's description does not say replay is paused: $alert"
has_alert firing replica_not_streaming && fail "replica_not_streaming fired for a paused, streaming standby"

on_b "SELECT pg_wal_replay_resume()" >/dev/null || fatal "cannot resume pg-b's replay"
wait_for "replica_lag resolved" 30 has_alert resolved replica_lag || fail "replica_lag did not resolve"
wait_for "0 bytes behind on pg-a's side" 30 value_is queuewatch_replication_lag_bytes "$(a_lag replay)" 0 ||
  fail "pg-a's replay lag is not back to 0 bytes"
wait_for "0 s on pg-b's side" 30 value_is queuewatch_replication_lag_seconds "$(b_lag)" 0 ||
  fail "pg-b's lag is not back to 0 s"
value_is queuewatch_replication_replay_paused "$B" 0 || fail "pg-b's replay_paused is not back to 0"

# --- 4. The WAL receiver stopped: replica_not_streaming -------------------------------------
conninfo=$(on_b "SHOW primary_conninfo")
on_b "ALTER SYSTEM SET primary_conninfo = 'host=127.0.0.1 port=1 user=replicator'" >/dev/null &&
  on_b "SELECT pg_reload_conf()" >/dev/null || fatal "cannot point pg-b elsewhere"
wait_for "pg-b not streaming, seen from itself" 30 \
  value_is queuewatch_replication_streaming "region=\"north\",side=\"standby\",standby=\"pg-b\",target=\"pg-b\"" 0 ||
  fail "pg-b's receiver still reads streaming"
wait_for "replica_not_streaming" 30 has_alert firing replica_not_streaming ||
  fatal "replica_not_streaming never fired"
alert=$(alerts firing replica_not_streaming | head -n 1)
jq -e '.labels.target == "pg-b" and .labels.cluster == "main"' <<<"$alert" >/dev/null ||
  fail "replica_not_streaming's labels: $alert"
reasons=$(jq -r .annotations.reasons <<<"$alert")
[[ "$reasons" == *"it runs no WAL receiver"* || "$reasons" == *"its WAL receiver is"* ]] ||
  fail "replica_not_streaming does not give the standby's end: '$reasons'"
[[ "$reasons" == *"primary pg-a has no WAL sender for \"pg-b\""* ]] ||
  fail "replica_not_streaming does not give the primary's end: '$reasons'"
value_is queuewatch_replication_senders "$A" 0 || fail "pg-a still counts a WAL sender"
on_b "ALTER SYSTEM SET primary_conninfo = '${conninfo//\'/\'\'}'" >/dev/null &&
  on_b "SELECT pg_reload_conf()" >/dev/null || fatal "cannot restore pg-b's primary_conninfo"
pg_wait_streaming "$bdir" "$bport" || fatal "pg-b does not stream again"
wait_for "replica_not_streaming resolved" 30 has_alert resolved replica_not_streaming ||
  fail "replica_not_streaming did not resolve"

# --- 5. Slots --------------------------------------------------------------------------------
slot() { echo "region=\"west\",slot=\"$1\",slot_type=\"physical\",target=\"pg-a\""; }
wait_for "pg-b's slot active" 30 value_is queuewatch_replication_slot_active "$(slot pg_b_slot)" 1 ||
  fail "pg_b_slot is not active on /metrics"
value_is queuewatch_replication_slot_active "$(slot idle_slot)" 0 || fail "idle_slot is not inactive"
before=$(value queuewatch_replication_slot_retained_bytes "$(slot idle_slot)")
[ -n "$before" ] || fail "idle_slot's retained bytes are not on /metrics"
on_a "INSERT INTO load (pad) SELECT repeat('z', 200) FROM generate_series(1, 5000)" >/dev/null
wait_for "idle_slot retains more" 30 value_over queuewatch_replication_slot_retained_bytes "$(slot idle_slot)" "${before:-0}" ||
  fail "idle_slot's retained bytes do not grow with writes"
echo "idle_slot retains $(value queuewatch_replication_slot_retained_bytes "$(slot idle_slot)") bytes (was $before)"

# --- 6. Without pg_monitor: the primary's side is not measurable, never 0 ------------------------
stop_processes "$pid"
pid=""
# pg-b's own lag is 0 only once it has replayed section 5's writes; under load it may not have yet.
pg_wait_caught_up "$adir" "$aport" "$bdir" "$bport" || fatal "pg-b did not catch up after the writes"
write_config "$tmp/mon.yaml" mon
"$QW_BINARY" once --config "$tmp/mon.yaml" --format json >"$tmp/once.json" 2>"$tmp/once.err"
jq -e '.replication[] | select(.target == "pg-a") | .senders[0] | .state == "" and .replay_bytes == null and .replay_seconds == null' \
  "$tmp/once.json" >/dev/null || fail "pg-a's sender is not 'not measurable' for role mon: $(cat "$tmp/once.json")"
jq -e '.replication[] | select(.target == "pg-b") | .replay_lag_seconds == 0 and .receiver_status == ""' \
  "$tmp/once.json" >/dev/null || fail "pg-b's own lag is not measured for role mon: $(cat "$tmp/once.json")"

if [ "$failures" -gt 0 ]; then
  dump_logs
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "replication_real: all checks passed"
