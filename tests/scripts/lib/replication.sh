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
