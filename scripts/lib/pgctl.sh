#!/usr/bin/env bash
# Command-line face of pg.sh for tests that need a private PostgreSQL they can stop and restart
# (for example from C++ with std::system):
#
#   scripts/lib/pgctl.sh start|stop|restart|cleanup DIR PORT
#
# start creates the cluster in DIR on first use; cleanup stops it and deletes DIR.
# Exit status 0 on success, non-zero (with PostgreSQL's log on stderr) on failure.
set -euo pipefail
# shellcheck source=scripts/lib/pg.sh
source "$(dirname "${BASH_SOURCE[0]}")/pg.sh"

usage() {
  echo "usage: $0 start|stop|restart|cleanup DIR [PORT]" >&2
  exit 2
}

[ $# -ge 2 ] || usage
cmd="$1" dir="$2" port="${3:-}"
case "$cmd" in
  start) [ -n "$port" ] || usage; pg_start "$dir" "$port" ;;
  stop) pg_stop "$dir" ;;
  restart) [ -n "$port" ] || usage; pg_stop "$dir"; pg_start "$dir" "$port" ;;
  cleanup) pg_cleanup "$dir" ;;
  *) usage ;;
esac
