#!/usr/bin/env bash
# replica_parity against a real primary and its streaming standby (scripts/lib/pg.sh), the
# "consistent replica tier" check of issue 11: the standby runs with a smaller shared_buffers and
# fewer max_connections than its primary, and the daemon, watching both as the cluster `main`,
# must send replica_parity naming both settings with both values, in the words the health
# probe's normalisation gives them (docs/clusters.md).
#
# PostgreSQL 15 refuses to start a standby below its primary's max_connections (DEVELOPERS.md,
# "Real replication in tests"), so the lower value is staged the way it happens in production:
# the primary at 50, the standby made and started at 50 (with shared_buffers 16MB against pg.sh's
# 32MB), then the primary restarted at 100. The standby stays up and streaming, its replay paused.
# Also: the settings in base units and the standby's saturation on /metrics.
#
# Facts from a facts_query (docs/clusters.md#parity): the standby also runs with random_page_cost
# 1.1 against the primary's 4, which a facts_query on both reads, and replica_parity names it with
# both values; a queried fact replaces a stale declared one. Then a second daemon, where the
# standby's facts_query runs past the deadline: the failure is on /metrics, the health round
# stays up, and replica_parity names only the settings (no verdict on any fact, not even a stale
# declared one), saying that pg-b's facts were not compared.
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

pair_test_setup parity

on_b() { pg_psql "$bdir" "$bport" -At -c "$1"; }
alerts() {
  jq -c --arg s "$1" --arg a "$2" '.alerts[] | select(.status == $s and .labels.alertname == $a)' \
    "$tmp/hooks.jsonl" 2>/dev/null
}
has_alert() { [ -n "$(alerts "$@")" ]; }
metrics() { curl -s --max-time 5 "http://127.0.0.1:$http_port/metrics"; }
# The page is read whole before grep: `metrics | grep -q` fails under pipefail when grep stops at
# the match and curl, still writing, dies of SIGPIPE.
metric_is() { grep -qxF "$1" <<<"$(metrics)"; }
metric_like() { grep -q "$1" <<<"$(metrics)"; }

# The staging: see the header.
start_replicated_pair "$adir" "$aport" "$bdir" "$bport" --primary max_connections=50 \
  --standby max_connections=50 --standby shared_buffers=16MB --standby random_page_cost=1.1 ||
  fatal "cannot stage pg-a and its streaming standby pg-b"
pg_stop "$adir" || fatal "cannot stop pg-a"
pg_start_primary "$adir" "$aport" max_connections=100 || fatal "cannot restart pg-a at 100"
pg_wait_streaming "$bdir" "$bport" || fatal "pg-b does not stream from the restarted pg-a"
[ "$(on_b "SELECT current_setting('max_connections') || ' ' || current_setting('shared_buffers')")" = "50 16MB" ] ||
  fatal "pg-b does not run with max_connections 50 and shared_buffers 16MB"

http_port=$(pg_free_port)
start_webhook_receiver

# Declared facts: one both sides share (not a difference), one named like a read setting, which
# the server's own value replaces, and on pg-b a stale one (data_checksums) that its facts_query
# replaces (docs/clusters.md#parity). Each facts_query is given in $facts_a / $facts_b.
# (Each starts with a newline: it follows `facts_query: |` in the YAML.)
facts_query=$(cat <<'SQL'

      SELECT 'random_page_cost', current_setting('random_page_cost')
      UNION ALL SELECT 'data_checksums', current_setting('data_checksums')
      UNION ALL SELECT 'system_identifier', system_identifier::text FROM pg_control_system()
SQL
)
slow_query=$(cat <<'SQL'

      SELECT 'random_page_cost', pg_sleep(10)::text
SQL
)
write_config() {
  cat >"$tmp/queuewatch.yaml" <<YAML
http:
  listen: "127.0.0.1:$http_port"
state_dir: "$tmp/state"
probes:
  postgres_health: {interval: 1s, query_timeout: 2s, max_backoff: 2s}
targets:
  - name: pg-a
    dsn: "host=127.0.0.1 port=$aport dbname=postgres user=postgres connect_timeout=2"
    region: west
    facts: {tier: gp, max_connections: 50}
    facts_query: |$facts_a
  - name: pg-b
    dsn: "host=127.0.0.1 port=$bport dbname=postgres user=postgres connect_timeout=2"
    region: north
    facts: {tier: gp, $facts_b_declared}
    facts_query: |$facts_b
clusters:
  - {name: main, members: [pg-a, pg-b]}
rules:
  evaluation_interval: 1s
  replica_parity: {for: 2s}
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
facts_a=$facts_query facts_b=$facts_query facts_b_declared='data_checksums: "on"' write_config

"$QW_BINARY" run --config "$tmp/queuewatch.yaml" >"$tmp/daemon.log" 2>&1 &
pid=$!

# The settings as read, in base units, on /metrics.
wait_for "pg-b's shared_buffers on /metrics" 30 \
  metric_is 'queuewatch_target_setting{region="north",setting="shared_buffers",target="pg-b"} 16777216' ||
  fail "pg-b's shared_buffers is not 16 MiB in bytes on /metrics"
# Each member's health round runs on its own: pg-a's may come after pg-b's.
wait_for "pg-a's shared_buffers on /metrics" 30 \
  metric_is 'queuewatch_target_setting{region="west",setting="shared_buffers",target="pg-a"} 33554432' ||
  fail "pg-a's shared_buffers is not 32 MiB in bytes on /metrics"
wait_for "pg-a's max_connections on /metrics" 30 \
  metric_is 'queuewatch_target_setting{region="west",setting="max_connections",target="pg-a"} 100' ||
  fail "pg-a's max_connections is not 100 on /metrics"

# Saturation is read on the standby too (pg_stat_activity is per server), by a superuser here.
wait_for "pg-b's saturation on /metrics" 30 \
  metric_is 'queuewatch_target_activity_visible{region="north",target="pg-b"} 1' ||
  fail "pg-b's activity is not visible on /metrics"
# Waited on, not read once: it failed once right after activity_visible read 1 (one scrape in a
# loaded run; not reproduced). A round that never exports it still fails here.
wait_for "pg-b's connections on /metrics" 30 \
  metric_like '^queuewatch_target_connections{region="north",target="pg-b"} [1-9]' ||
  fail "pg-b's connections are not on /metrics"

# Both facts_queries work, and left no row out.
for member in 'region="west",target="pg-a"' 'region="north",target="pg-b"'; do
  wait_for "$member's facts_query" 30 metric_is "queuewatch_target_facts_query_up{$member} 1" ||
    fail "the facts_query of {$member} is not up on /metrics"
  metric_is "queuewatch_target_facts_query_rejected_rows{$member} 0" ||
    fail "the facts_query of {$member} left rows out"
done

wait_for "replica_parity" 60 has_alert firing replica_parity || fatal "replica_parity never fired"
alert=$(alerts firing replica_parity | head -n 1)
diffs=$(jq -r .annotations.differences <<<"$alert")
summary=$(jq -r .annotations.summary <<<"$alert")
# Exactly the two settings and the queried fact, each with both values: the shared facts and the
# equal settings are not differences, pg-a's declared max_connections 50 is replaced by the 100
# it reports, and pg-b's stale declared data_checksums "on" by the "off" its query reads.
[ "$diffs" = "max_connections 50 (primary 100), random_page_cost 1.1 (primary 4), shared_buffers 16 MB (primary 32 MB)" ] ||
  fail "replica_parity's differences are '$diffs'"
[ "$summary" = "main: standby pg-b differs from primary pg-a: $diffs" ] ||
  fail "replica_parity's summary is '$summary'"
jq -e '.labels.target == "pg-b" and .labels.cluster == "main" and .labels.region == "north"' \
  <<<"$alert" >/dev/null || fail "replica_parity's labels do not name pg-b in main: $alert"
jq -r .annotations.description <<<"$alert" | grep -qF "pg-b (region north)" ||
  fail "replica_parity's description does not name pg-b's region: $alert"

# The second daemon: pg-b's facts_query sleeps past query_timeout (2s), and pg-b declares a stale
# random_page_cost 2 that differs from pg-a's queried 4. Fresh state, so the alert is news again.
stop_processes "$pid"
pid=""
: >"$tmp/hooks.jsonl"
rm -rf "$tmp/state"
facts_a=$facts_query facts_b=$slow_query facts_b_declared='random_page_cost: "2"' write_config
"$QW_BINARY" run --config "$tmp/queuewatch.yaml" >"$tmp/daemon.log" 2>&1 &
pid=$!

wait_for "pg-b's facts_query failure on /metrics" 30 \
  metric_is 'queuewatch_target_facts_query_failure{reason="query_timeout",region="north",target="pg-b"} 1' ||
  fail "pg-b's facts_query timeout is not on /metrics"
metric_is 'queuewatch_target_facts_query_up{region="north",target="pg-b"} 0' ||
  fail "pg-b's facts_query is not down on /metrics: $(metrics | grep '^queuewatch_target_facts')"
metric_is 'queuewatch_target_up{region="north",target="pg-b"} 1' ||
  fail "pg-b's failing facts_query failed its health round"
metric_like '^queuewatch_target_facts_query_rejected_rows{region="north",target="pg-b"}' &&
  fail "pg-b's rejected rows are on /metrics while its facts_query fails"
metric_is 'queuewatch_target_facts_query_up{region="west",target="pg-a"} 1' ||
  fail "pg-a's facts_query is not up in the second daemon"
# The scrape with the facts series of both kinds (up 1 and 0, a failure reason, rejected rows).
metrics >"$tmp/metrics.txt"
promtool_check_metrics "$tmp/metrics.txt"

wait_for "replica_parity (second daemon)" 60 has_alert firing replica_parity ||
  fatal "replica_parity never fired in the second daemon"
alert=$(alerts firing replica_parity | head -n 1)
diffs=$(jq -r .annotations.differences <<<"$alert")
[ "$diffs" = "max_connections 50 (primary 100), shared_buffers 16 MB (primary 32 MB)" ] ||
  fail "with pg-b's facts not measured, replica_parity's differences are '$diffs'"
jq -r .annotations.description <<<"$alert" |
  grep -qF "Facts not compared: pg-b's facts_query failed (query_timeout)." ||
  fail "replica_parity's description does not say pg-b's facts were not compared: $alert"
grep -qF "target pg-b: facts_query failed (query_timeout: " "$tmp/daemon.log" ||
  fail "the daemon did not log pg-b's facts_query failure"

if [ "$failures" -gt 0 ]; then
  dump_logs
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "replica_parity_real: all checks passed"
