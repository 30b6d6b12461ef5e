# shellcheck shell=bash
# Helpers to run a throwaway PostgreSQL 15 for tests, the demo and benchmarks.
# Source this file (from any directory); it defines functions and changes no shell options.
#
#   source scripts/lib/pg.sh
#   dir=$(pg_tempdir); port=$(pg_free_port)
#   pg_start "$dir" "$port"        # superuser "postgres", no password, 127.0.0.1 and a socket in $dir
#   ...
#   pg_cleanup "$dir"
#
# PostgreSQL refuses to run as root, so when we are root every server-side command runs as the
# "postgres" system user (runuser) and the directory is handed to that user.

: "${QW_PG_BINDIR:=/usr/lib/postgresql/15/bin}"

# Runs a PostgreSQL server-side binary, as "postgres" when we are root.
_pg_run() {
  local bin="$1"
  shift
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$QW_PG_BINDIR/$bin" "$@"
  else
    "$QW_PG_BINDIR/$bin" "$@"
  fi
}

# Prints a new private directory suitable for pg_start.
pg_tempdir() {
  mktemp -d "${TMPDIR:-/tmp}/qw-pg.XXXXXX"
}

# Prints a TCP port that is free on 127.0.0.1 right now. The kernel picks it (bind to port 0);
# another process could still take it before us, which is rare enough for tests.
pg_free_port() {
  python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# _pg_own_dir DIR: creates DIR for a server (owned by "postgres" when we are root, mode 700).
_pg_own_dir() {
  local dir="$1"
  mkdir -p "$dir" || return 1
  # Unix socket paths are limited to 107 bytes; fail clearly rather than with a cryptic log line.
  if [ "${#dir}" -gt 80 ]; then
    echo "pg_start: directory path too long for a Unix socket: $dir" >&2
    return 1
  fi
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$dir" || return 1
  fi
  chmod 700 "$dir"
}

# pg_start DIR PORT: creates a cluster in DIR/data (unless one is there) and starts it.
# The server listens on 127.0.0.1:PORT and on a Unix socket in DIR; its log is DIR/postgres.log.
pg_start() {
  local dir="$1" port="$2"
  if [ -z "$dir" ] || [ -z "$port" ]; then
    echo "usage: pg_start DIR PORT" >&2
    return 2
  fi
  _pg_init "$dir" || return 1
  # The port is given on the command line so a restart may move the cluster to another port.
  if ! _pg_run pg_ctl -D "$dir/data" -l "$dir/postgres.log" -w -t 60 -o "-p $port" start \
    >/dev/null; then
    echo "pg_start: PostgreSQL did not start on port $port; its log:" >&2
    cat "$dir/postgres.log" >&2 2>/dev/null
    return 1
  fi
}

# _pg_init DIR: runs initdb into DIR/data unless a cluster is there already.
_pg_init() {
  local dir="$1"
  _pg_own_dir "$dir" || return 1
  local data="$dir/data"
  if [ ! -f "$data/PG_VERSION" ]; then
    if ! _pg_run initdb -D "$data" -A trust -U postgres --no-sync --encoding=UTF8 \
      --locale=C.UTF-8 >"$dir/initdb.log" 2>&1; then
      echo "pg_start: initdb failed:" >&2
      cat "$dir/initdb.log" >&2
      return 1
    fi
    # Tuned for throwaway speed, not durability: nothing here must survive a crash.
    cat >>"$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 32MB
max_connections = 100
log_min_messages = warning
CONF
  fi
}

# pg_stop DIR: fast shutdown (clients are disconnected). Succeeds if the server is not running.
pg_stop() {
  local dir="$1"
  [ -f "$dir/data/postmaster.pid" ] || return 0
  _pg_run pg_ctl -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 ||
    [ ! -f "$dir/data/postmaster.pid" ]
}

# pg_cleanup DIR: stops the server and removes DIR entirely.
pg_cleanup() {
  local dir="$1"
  [ -n "$dir" ] && [ -d "$dir" ] || return 0
  pg_stop "$dir"
  rm -rf "$dir"
}

# pg_psql DIR PORT [psql args...]: psql as the superuser over the cluster's Unix socket.
pg_psql() {
  local dir="$1" port="$2"
  shift 2
  psql -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres "$@"
}

# --- Streaming replication (a primary and standbys made with pg_basebackup -R) -----------------
#
#   pdir=$(pg_tempdir); pport=$(pg_free_port); sdir=$(pg_tempdir); sport=$(pg_free_port)
#   pg_start_primary "$pdir" "$pport"
#   pg_create_standby "$pdir" "$pport" "$sdir" [SLOT]   # pg_basebackup -R, as role "replicator"
#   pg_start_standby "$sdir" "$sport" max_connections=50 shared_buffers=16MB
#   pg_wait_streaming "$sdir" "$sport"                   # the WAL receiver is streaming
#   pg_wait_caught_up "$pdir" "$pport" "$sdir" "$sport"  # replay reached the primary's LSN
#   pg_promote "$sdir" "$sport"                          # returns once it accepts writes
#   pg_cleanup "$sdir"; pg_cleanup "$pdir"
#
# Settings given as NAME=VALUE go to DIR/data/qw_overrides.conf, which postgresql.conf includes
# last (postgresql.auto.conf, ALTER SYSTEM's file, still wins): each start rewrites it, so a
# restart with other settings needs no new standby. PostgreSQL 15 refuses to start a standby
# whose max_connections, max_worker_processes, max_wal_senders, max_prepared_transactions or
# max_locks_per_transaction is below the primary's (see DEVELOPERS.md): stage lower settings on
# the primary's side instead.

# _pg_write_overrides DIR NAME=VALUE...: replaces DIR/data/qw_overrides.conf.
_pg_write_overrides() {
  local dir="$1" kv
  shift
  {
    echo "# written by scripts/lib/pg.sh at each start: the settings this test asked for"
    for kv in "$@"; do
      case "$kv" in
        *=*) echo "${kv%%=*} = '${kv#*=}'" ;;
        *) echo "pg.sh: setting '$kv' is not NAME=VALUE" >&2; return 2 ;;
      esac
    done
  } >"$dir/data/qw_overrides.conf" || return 1
  [ "$(id -u)" -ne 0 ] || chown postgres: "$dir/data/qw_overrides.conf"
}

# _pg_ctl_start DIR PORT WHO: starts the cluster in DIR/data on PORT, waiting until it accepts
# connections (a hot standby does once it reached consistency).
_pg_ctl_start() {
  local dir="$1" port="$2" who="$3"
  if ! _pg_run pg_ctl -D "$dir/data" -l "$dir/postgres.log" -w -t 60 -o "-p $port" start \
    >/dev/null; then
    echo "$who: PostgreSQL did not start on port $port; its log:" >&2
    cat "$dir/postgres.log" >&2 2>/dev/null
    return 1
  fi
}

# pg_start_primary DIR PORT [NAME=VALUE...]: pg_start, configured to feed streaming standbys:
# wal_level=replica, WAL senders and slots, and a role "replicator" (REPLICATION, no password)
# that pg_hba.conf lets in over 127.0.0.1 and the socket.
pg_start_primary() {
  local dir="$1" port="$2"
  if [ -z "$dir" ] || [ -z "$port" ]; then
    echo "usage: pg_start_primary DIR PORT [NAME=VALUE...]" >&2
    return 2
  fi
  shift 2
  local fresh=0
  [ -f "$dir/data/PG_VERSION" ] || fresh=1
  _pg_init "$dir" || return 1
  if [ "$fresh" -eq 1 ]; then
    cat >>"$dir/data/postgresql.conf" <<CONF
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
hot_standby = on
include_if_exists = 'qw_overrides.conf'
CONF
    # First match wins in pg_hba.conf: these lines go on top.
    local hba="$dir/data/pg_hba.conf"
    { printf 'local replication replicator trust\nhost replication replicator 127.0.0.1/32 trust\n'
      cat "$hba"; } >"$hba.new" && mv "$hba.new" "$hba" || return 1
    [ "$(id -u)" -ne 0 ] || chown postgres: "$hba"
  fi
  _pg_write_overrides "$dir" "$@" || return 1
  _pg_ctl_start "$dir" "$port" pg_start_primary || return 1
  if [ "$fresh" -eq 1 ]; then
    pg_psql "$dir" "$port" -c "CREATE ROLE replicator WITH LOGIN REPLICATION" >/dev/null ||
      return 1
  fi
}

# pg_create_standby PRIMARY_DIR PRIMARY_PORT DIR [SLOT]: a base backup of the running primary
# into DIR/data with -R (standby.signal and primary_conninfo), streaming the WAL it needs. With
# SLOT, a physical replication slot of that name is created on the primary and used.
pg_create_standby() {
  local pdir="$1" pport="$2" dir="$3" slot="${4:-}"
  if [ -z "$pdir" ] || [ -z "$pport" ] || [ -z "$dir" ]; then
    echo "usage: pg_create_standby PRIMARY_DIR PRIMARY_PORT DIR [SLOT]" >&2
    return 2
  fi
  if ! pg_psql "$pdir" "$pport" -c "SELECT 1" >/dev/null; then
    echo "pg_create_standby: the primary on port $pport does not answer" >&2
    return 1
  fi
  _pg_own_dir "$dir" || return 1
  local args=(-D "$dir/data" -h 127.0.0.1 -p "$pport" -U replicator -R -X stream
    --checkpoint=fast --no-sync)
  [ -z "$slot" ] || args+=(-C -S "$slot")
  if ! _pg_run pg_basebackup "${args[@]}" >"$dir/basebackup.log" 2>&1; then
    echo "pg_create_standby: pg_basebackup failed:" >&2
    cat "$dir/basebackup.log" >&2
    return 1
  fi
  # The copy carries the primary's postgresql.conf: the standby needs its own socket directory.
  # A lost primary is retried every second rather than every 5 s: tests wait on reconnection.
  printf "unix_socket_directories = '%s'\nwal_retrieve_retry_interval = 1s\n" "$dir" \
    >>"$dir/data/postgresql.conf"
}

# pg_start_standby DIR PORT [NAME=VALUE...]: starts (or restarts with new settings, after
# pg_stop) the standby made by pg_create_standby.
pg_start_standby() {
  local dir="$1" port="$2"
  if [ -z "$dir" ] || [ -z "$port" ] || [ ! -f "$dir/data/standby.signal" ]; then
    echo "usage: pg_start_standby DIR PORT [NAME=VALUE...] (DIR from pg_create_standby)" >&2
    return 2
  fi
  shift 2
  _pg_write_overrides "$dir" "$@" || return 1
  _pg_ctl_start "$dir" "$port" pg_start_standby
}

# _pg_poll SECONDS COMMAND...: runs COMMAND every 0.1 s until it succeeds (0) or time is up (1).
_pg_poll() {
  local tries=$(($1 * 10)) i
  shift
  for ((i = 0; i < tries; i++)); do
    "$@" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

_pg_query_is() {  # _pg_query_is DIR PORT WANT SQL
  [ "$(pg_psql "$1" "$2" -At -c "$4")" = "$3" ]
}

# pg_wait_streaming DIR PORT [SECONDS]: waits until the standby's WAL receiver is streaming.
pg_wait_streaming() {
  _pg_poll "${3:-60}" _pg_query_is "$1" "$2" streaming \
    "SELECT status FROM pg_stat_wal_receiver" && return 0
  echo "pg_wait_streaming: the standby on port $2 is not streaming; its log:" >&2
  tail -n 20 "$1/postgres.log" >&2
  return 1
}

# pg_wait_caught_up PRIMARY_DIR PRIMARY_PORT DIR PORT [SECONDS]: waits until the standby has
# replayed everything the primary had written when this was called.
pg_wait_caught_up() {
  local pdir="$1" pport="$2" dir="$3" port="$4" lsn
  lsn=$(pg_psql "$pdir" "$pport" -At -c "SELECT pg_current_wal_insert_lsn()") || return 1
  _pg_poll "${5:-60}" _pg_query_is "$dir" "$port" t \
    "SELECT pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn" && return 0
  echo "pg_wait_caught_up: the standby on port $port did not replay up to $lsn" >&2
  return 1
}

# pg_promote DIR PORT [SECONDS]: promotes the standby and returns once pg_is_in_recovery() is
# false, i.e. it accepts writes.
pg_promote() {
  local dir="$1" port="$2"
  if ! _pg_run pg_ctl -D "$dir/data" -w -t "${3:-60}" promote >/dev/null; then
    echo "pg_promote: pg_ctl promote failed; the log:" >&2
    tail -n 20 "$dir/postgres.log" >&2
    return 1
  fi
  _pg_poll "${3:-60}" _pg_query_is "$dir" "$port" f "SELECT pg_is_in_recovery()" && return 0
  echo "pg_promote: the server on port $port is still in recovery" >&2
  return 1
}
