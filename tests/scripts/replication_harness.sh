#!/usr/bin/env bash
# The streaming-replication helpers of scripts/lib/pg.sh, which the replication, parity and
# failover tests stand on, against real PostgreSQL 15 servers of their own:
#   - a primary and a standby made by pg_basebackup -R (with a slot) stream: rows written on the
#     primary are replayed on the standby, and pg_stat_replication / pg_replication_slots show it;
#   - the standby runs with the settings it was started with (smaller shared_buffers, work_mem);
#   - PostgreSQL 15 refuses to start a standby whose max_connections is below the primary's, and
#     a running standby pauses replay (still streaming) when the primary raises it: this is how
#     the parity test stages a standby with fewer connections (DEVELOPERS.md); such a standby
#     cannot be promoted (it shuts down instead);
#   - pg_promote returns once the standby accepts writes.
# Run by ctest with QW_SOURCE_DIR.
set -uo pipefail

: "${QW_SOURCE_DIR:?set QW_SOURCE_DIR to the source tree}"
# shellcheck source=tests/scripts/lib/harness.sh
source "$QW_SOURCE_DIR/tests/scripts/lib/harness.sh"
# shellcheck source=scripts/lib/pg.sh
source "$QW_SOURCE_DIR/scripts/lib/pg.sh"

pdir=$(pg_tempdir)
pport=$(pg_free_port)
sdir=$(pg_tempdir)
sport=$(pg_free_port)
pid=$$  # wait_for watches this process: the servers are checked by each condition

cleanup() {
  pg_cleanup "$sdir"
  pg_cleanup "$pdir"
}
trap cleanup EXIT

fatal() {
  echo "FATAL: $*" >&2
  for log in "$pdir/postgres.log" "$sdir/postgres.log"; do
    [ -f "$log" ] && { echo "--- $log" >&2; tail -n 30 "$log" >&2; }
  done
  exit 1
}

on_primary() { pg_psql "$pdir" "$pport" -At -c "$1"; }
on_standby() { pg_psql "$sdir" "$sport" -At -c "$1"; }

# A primary with max_connections 50: the standby's lower bound, raised later.
pg_start_primary "$pdir" "$pport" max_connections=50 || fatal "cannot start the primary"
pg_create_standby "$pdir" "$pport" "$sdir" qw_standby || fatal "cannot create the standby"
pg_start_standby "$sdir" "$sport" max_connections=50 shared_buffers=16MB work_mem=1MB ||
  fatal "cannot start the standby"
pg_wait_streaming "$sdir" "$sport" || fatal "the standby does not stream"

[ "$(on_standby "SELECT pg_is_in_recovery()")" = t ] || fail "the standby is not in recovery"
settings=$(on_standby "SELECT current_setting('shared_buffers') || ' ' ||
  current_setting('work_mem') || ' ' || current_setting('max_connections')")
[ "$settings" = "16MB 1MB 50" ] || fail "the standby's settings are '$settings', want '16MB 1MB 50'"
[ "$(on_primary "SELECT current_setting('shared_buffers')")" = 32MB ] ||
  fail "the primary's shared_buffers is not pg.sh's 32MB"

on_primary "CREATE TABLE harness (n int); INSERT INTO harness SELECT generate_series(1, 1000)" ||
  fatal "cannot write on the primary"
pg_wait_caught_up "$pdir" "$pport" "$sdir" "$sport" || fatal "the standby did not catch up"
[ "$(on_standby "SELECT count(*) FROM harness")" = 1000 ] || fail "the rows did not replicate"

repl=$(on_primary "SELECT state FROM pg_stat_replication")
[ "$repl" = streaming ] || fail "pg_stat_replication on the primary says '$repl'"
slot=$(on_primary "SELECT active FROM pg_replication_slots WHERE slot_name = 'qw_standby'")
[ "$slot" = t ] || fail "the slot qw_standby is not active ('$slot')"

# A standby below the primary's max_connections does not start at all (PostgreSQL 15.x).
pg_stop "$sdir" || fatal "cannot stop the standby"
if pg_start_standby "$sdir" "$sport" max_connections=40 2>/dev/null; then
  fail "a standby with max_connections 40 < the primary's 50 started"
elif ! grep -q "max_connections = 40 is a lower setting than on the primary server" \
  "$sdir/postgres.log"; then
  fail "the refused start does not say why"
fi
pg_start_standby "$sdir" "$sport" max_connections=50 shared_buffers=16MB ||
  fatal "cannot restart the standby"
pg_wait_streaming "$sdir" "$sport" || fatal "the restarted standby does not stream"

# The primary raising max_connections past a running standby's: the standby stays up and keeps
# receiving WAL, but replay pauses at the parameter change.
pg_stop "$pdir" || fatal "cannot stop the primary"
pg_start_primary "$pdir" "$pport" max_connections=100 || fatal "cannot restart the primary"
paused() { [ "$(on_standby "SELECT pg_get_wal_replay_pause_state()")" = paused ]; }
wait_for "replay to pause on the standby" 60 paused ||
  fail "replay did not pause after the primary raised max_connections"
pg_wait_streaming "$sdir" "$sport" || fail "the paused standby stopped streaming"
[ "$(on_standby "SELECT current_setting('max_connections')")" = 50 ] ||
  fail "the paused standby does not run with max_connections 50"

# Nor can it be promoted: PostgreSQL refuses and the standby shuts down. Restarted with the
# primary's value it replays past the change, and then promotes; the promoted server takes writes.
if pg_promote "$sdir" "$sport" 5 2>/dev/null; then
  fail "a standby paused for max_connections 50 < 100 was promoted"
fi
grep -q "promotion is not possible because of insufficient parameter settings" \
  "$sdir/postgres.log" || fail "the refused promotion does not say why"
pg_stop "$sdir"
pg_start_standby "$sdir" "$sport" max_connections=100 || fatal "cannot restart the standby at 100"
pg_wait_caught_up "$pdir" "$pport" "$sdir" "$sport" || fatal "the standby did not catch up"
pg_promote "$sdir" "$sport" || fatal "promotion failed"
on_standby "INSERT INTO harness VALUES (1001)" || fail "the promoted standby refuses writes"

[ "$failures" -eq 0 ] || exit 1
echo "PASS: primary, standby (pg_basebackup -R, slot), settings override, pause, promotion"
