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

# pg_start DIR PORT: creates a cluster in DIR/data (unless one is there) and starts it.
# The server listens on 127.0.0.1:PORT and on a Unix socket in DIR; its log is DIR/postgres.log.
pg_start() {
  local dir="$1" port="$2"
  if [ -z "$dir" ] || [ -z "$port" ]; then
    echo "usage: pg_start DIR PORT" >&2
    return 2
  fi
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
  local data="$dir/data" log="$dir/postgres.log"
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
  # The port is given on the command line so a restart may move the cluster to another port.
  if ! _pg_run pg_ctl -D "$data" -l "$log" -w -t 60 -o "-p $port" start >/dev/null; then
    echo "pg_start: PostgreSQL did not start on port $port; its log:" >&2
    cat "$log" >&2 2>/dev/null
    return 1
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
