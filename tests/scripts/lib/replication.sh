# shellcheck shell=bash
# Shared by the shell tests that need real streaming replication (sourced after scripts/lib/pg.sh
# and harness.sh; not a test itself: ctest runs tests/scripts/*.sh only).

# start_replicated_pair PRIMARY_DIR PRIMARY_PORT STANDBY_DIR STANDBY_PORT [--slot NAME]
#     [--primary NAME=VALUE]... [--standby NAME=VALUE]...
# Stages a primary and a streaming standby made from its base backup with scripts/lib/pg.sh:
# the primary starts with the --primary settings, the standby is created (replicating through
# the physical slot NAME when given) and started with the --standby settings, and the function
# returns once the standby streams and has replayed everything the primary wrote. A failure
# says which step failed on stderr and returns 1: the caller stops with `fatal`, whose logs show
# why (each server writes DIR/postgres.log).
start_replicated_pair() {
  if [ $# -lt 4 ]; then
    echo "usage: start_replicated_pair PDIR PPORT SDIR SPORT [--slot NAME]" \
      "[--primary NAME=VALUE]... [--standby NAME=VALUE]..." >&2
    return 2
  fi
  local pdir="$1" pport="$2" sdir="$3" sport="$4" slot=""
  local primary_settings=() standby_settings=()
  shift 4
  while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || { echo "start_replicated_pair: $1 needs a value" >&2; return 2; }
    case "$1" in
      --slot) slot="$2" ;;
      --primary) primary_settings+=("$2") ;;
      --standby) standby_settings+=("$2") ;;
      *)
        echo "start_replicated_pair: unknown argument '$1'" >&2
        return 2
        ;;
    esac
    shift 2
  done
  pg_start_primary "$pdir" "$pport" "${primary_settings[@]}" ||
    { echo "start_replicated_pair: cannot start the primary (port $pport)" >&2; return 1; }
  pg_create_standby "$pdir" "$pport" "$sdir" ${slot:+"$slot"} ||
    { echo "start_replicated_pair: cannot create the standby from the primary" >&2; return 1; }
  pg_start_standby "$sdir" "$sport" "${standby_settings[@]}" ||
    { echo "start_replicated_pair: cannot start the standby (port $sport)" >&2; return 1; }
  pg_wait_streaming "$sdir" "$sport" ||
    { echo "start_replicated_pair: the standby (port $sport) is not streaming" >&2; return 1; }
  pg_wait_caught_up "$pdir" "$pport" "$sdir" "$sport" ||
    { echo "start_replicated_pair: the standby (port $sport) did not catch up" >&2; return 1; }
}

# pair_test_setup NAME
# The frame every pair test starts from: $tmp (a scratch directory qw-NAME.*), the two servers'
# directories and free ports ($adir $aport for pg-a, $bdir $bport for pg-b), and $pid,
# $receiver_pid and $extra_pid (empty until the test starts a daemon, a receiver or anything
# else, such as a load). An EXIT trap stops those processes and removes both servers and $tmp.
# `fatal MESSAGE` prints the message, the daemon log ($tmp/daemon.log), the logged payloads
# ($tmp/hooks.jsonl), what the test's own `dump_extra` prints if it defines one, and the tail of
# each server's log, then exits 1.
# shellcheck disable=SC2034 # these are the sourcing test's variables
pair_test_setup() {
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/qw-$1.XXXXXX")
  adir=$(pg_tempdir)
  aport=$(pg_free_port)
  bdir=$(pg_tempdir)
  bport=$(pg_free_port)
  pid=""
  receiver_pid=""
  extra_pid=""
  trap pair_test_cleanup EXIT
}

pair_test_cleanup() {
  stop_processes "$extra_pid" "$pid" "$receiver_pid"
  pg_cleanup "$bdir"
  pg_cleanup "$adir"
  rm -rf "$tmp"
}

dump_logs() {
  echo "--- daemon log:" >&2
  tail -n 60 "$tmp/daemon.log" >&2
  echo "--- payloads:" >&2
  cat "$tmp/hooks.jsonl" >&2
  if declare -F dump_extra >/dev/null; then dump_extra; fi
  for log in "$adir/postgres.log" "$bdir/postgres.log"; do
    [ -f "$log" ] && { echo "--- $log" >&2; tail -n 20 "$log" >&2; }
  done
}

fatal() {
  echo "FATAL: $*" >&2
  dump_logs
  exit 1
}
