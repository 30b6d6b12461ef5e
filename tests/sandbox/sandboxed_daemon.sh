#!/usr/bin/env bash
# The daemon works inside the sandbox deploy/systemd/queuewatch.service gives it. systemd is not
# PID 1 on our test machines, so qw_sandbox_exec (tests/tools/sandbox_exec.cpp) applies what of
# the unit can be applied to one process: the system-call allow list (SystemCallFilter=, its
# groups expanded by this machine's `systemd-analyze syscall-filter`, so the test follows the
# unit), RestrictAddressFamilies=, MemoryDenyWriteExecute=, RestrictNamespaces=,
# LockPersonality=, RestrictSUIDSGID=, ProcSubset=pid with ProtectProc=invisible, UMask=, and,
# as root, an unprivileged user without capabilities (DynamicUser=, CapabilityBoundingSet=).
# A call outside the allow list kills the daemon with SIGSYS (the unit would answer EPERM).
# deploy/README.md ("Hardening") lists what is not applied here, and why.
#
# First it checks that the sandbox bites (a call of @resources is killed, a netlink socket and a
# writable+executable mapping are refused), then runs the daemon through what it does in
# production: check-config (ExecStartPre), start with sd_notify READY=1 and watchdog pings, a
# probe round against the shared PostgreSQL, a scrape (process_* included), a stuck job paged to
# a webhook through the outbox in its state directory, a reload by the unit's ExecReload= lines
# that adds a queue, and SIGTERM: exit 0.
# Run by ctest (release.sandboxed_daemon) with QW_BINARY (a Release build's daemon: sanitizer
# runtimes make calls of their own, such as setrlimit), QW_SANDBOX_EXEC, QW_SOURCE_DIR and
# scripts/test's QW_TEST_PG_DSN.
set -uo pipefail

: "${QW_BINARY:?set QW_BINARY to the queuewatch binary (a Release build)}"
: "${QW_SANDBOX_EXEC:?set QW_SANDBOX_EXEC to qw_sandbox_exec}"
: "${QW_SOURCE_DIR:?set QW_SOURCE_DIR to the source tree}"
: "${QW_TEST_PG_DSN:?run through scripts/test: QW_TEST_PG_DSN names the test PostgreSQL}"

# shellcheck source=scripts/lib/pg.sh
source "$QW_SOURCE_DIR/scripts/lib/pg.sh"
# shellcheck source=tests/scripts/lib/harness.sh
source "$QW_SOURCE_DIR/tests/scripts/lib/harness.sh"

unit="${QW_UNIT:-$QW_SOURCE_DIR/deploy/systemd/queuewatch.service}"
[ -x "$QW_SANDBOX_EXEC" ] || {
  echo "FAIL: $QW_SANDBOX_EXEC not built (libseccomp-dev missing? scripts/install-deps)" >&2
  exit 1
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/qw-sandbox.XXXXXX")
db="qw_sandbox_$$"
pid="" receiver_pid="" notify_pid=""

cleanup() {
  stop_processes "$pid" "$receiver_pid" "$notify_pid"
  psql -X -q "$QW_TEST_PG_DSN" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT

dump_logs() {
  local f
  for f in daemon.log receiver.out notify.log; do
    echo "--- $f:" >&2
    # The watchdog pings, once a second, say nothing after the first.
    awk '$0 != "WATCHDOG=1" || !seen++' "$tmp/$f" >&2 2>/dev/null
  done
}

# explain_exit STATUS: what the daemon's exit status says.
explain_exit() {
  case $1 in
    0) ;;
    $((128 + 31))) echo "the daemon was killed by SIGSYS: it made a system call the unit's SystemCallFilter= does not allow (strace -f it under qw_sandbox_exec to see which)" ;;
    *) echo "the daemon exited with status $1" ;;
  esac
}

fatal() {
  echo "FATAL: $*" >&2
  if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid"
    echo "FATAL: $(explain_exit $?)" >&2
    pid=""
  fi
  dump_logs
  exit 1
}

# --- the unit's sandbox, as qw_sandbox_exec options ------------------------------------------

# unit_values KEY: the values of every KEY= line of the unit's [Service], in order.
unit_values() { sed -nE "s/^$1=(.*)$/\1/p" "$unit"; }

# expand NAME: the system calls NAME stands for; a @group is expanded recursively.
expand() {
  local entry
  if [[ "$1" != @* ]]; then
    echo "$1"
    return
  fi
  # `systemd-analyze syscall-filter @g` prints the group's name, a "# help" line, then one
  # member a line; members may be groups themselves.
  systemd-analyze syscall-filter "$1" | tail -n +2 | sed -E 's/^[[:space:]]+//; /^#/d; /^$/d' |
    while read -r entry; do expand "$entry"; done
}

command -v systemd-analyze >/dev/null ||
  fatal "systemd-analyze not found (scripts/install-deps installs systemd)"

# SystemCallFilter=: the first line is an allow list; a later "~" line takes calls out again.
# Like systemd, an allow list always includes @default.
allowed="$tmp/allowed-syscalls"
filters=$(unit_values SystemCallFilter)
[ -n "$filters" ] || fatal "the unit has no SystemCallFilter= line"
[[ "$(head -n 1 <<<"$filters")" != "~"* ]] ||
  fatal "this test knows allow lists only: the unit's first SystemCallFilter= starts with ~"
expand @default | sort -u >"$allowed"
while read -r line; do
  if [[ "$line" == "~"* ]]; then
    for g in ${line#\~}; do expand "$g"; done | sort -u >"$tmp/deny"
    comm -23 "$allowed" "$tmp/deny" >"$tmp/next" && mv "$tmp/next" "$allowed"
  else
    { cat "$allowed"; for g in $line; do expand "$g"; done; } | sort -u >"$tmp/next" &&
      mv "$tmp/next" "$allowed"
  fi
done <<<"$filters"
[ "$(wc -l <"$allowed")" -ge 100 ] || fatal "expanding SystemCallFilter= gave only: $(cat "$allowed")"
grep -qx setrlimit "$allowed" && fatal "the expanded allow list still has setrlimit (@resources)"

sandbox=(--allow-syscalls "$allowed")
families=$(unit_values RestrictAddressFamilies | tr ' ' ',')
[ -n "$families" ] && sandbox+=(--address-families "$families")
[ "$(unit_values MemoryDenyWriteExecute)" = yes ] && sandbox+=(--memory-deny-write-execute)
[ "$(unit_values RestrictNamespaces)" = yes ] && sandbox+=(--restrict-namespaces)
[ "$(unit_values LockPersonality)" = yes ] && sandbox+=(--lock-personality)
[ "$(unit_values RestrictSUIDSGID)" = yes ] && sandbox+=(--restrict-suid-sgid)
umask_value=$(unit_values UMask)
[ -n "$umask_value" ] && sandbox+=(--umask "$umask_value")
if [ "$(id -u)" -eq 0 ]; then
  # Mounting a /proc and switching users need root; CI runs as root.
  [ "$(unit_values ProcSubset)" = pid ] && sandbox+=(--proc-subset-pid)
  [ "$(unit_values DynamicUser)" = yes ] && sandbox+=(--user nobody)
  # The unprivileged user reads the config and writes the state directory.
  chmod 755 "$tmp"
else
  echo "sandboxed_daemon: not root: ProcSubset= and DynamicUser= are not applied" >&2
fi
sandboxed() { "$QW_SANDBOX_EXEC" "${sandbox[@]}" -- "$@"; }

# --- the sandbox bites ------------------------------------------------------------------------

# nice(1) calls setpriority(), of @resources, which the unit takes out of @system-service.
sandboxed nice -n 1 true 2>/dev/null
rc=$?
[ "$rc" -eq $((128 + 31)) ] ||
  fail "a call outside the allow list (setpriority) did not kill with SIGSYS: exit status $rc"
probe=$(sandboxed python3 - <<'PY' 2>&1
import errno, mmap, socket
try:
    socket.socket(socket.AF_NETLINK, socket.SOCK_RAW)
    print("netlink: allowed")
except OSError as e:
    print("netlink:", errno.errorcode[e.errno])
try:
    mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    print("wx: allowed")
except OSError as e:
    print("wx:", errno.errorcode[e.errno])
PY
)
grep -qx "netlink: EAFNOSUPPORT" <<<"$probe" ||
  fail "RestrictAddressFamilies= not applied: an AF_NETLINK socket gave: $probe"
grep -qx "wx: EPERM" <<<"$probe" ||
  fail "MemoryDenyWriteExecute= not applied: a writable, executable mapping gave: $probe"

# --- PostgreSQL, the webhook receiver, the notify socket --------------------------------------

psql -X -q -v ON_ERROR_STOP=1 "$QW_TEST_PG_DSN" -c "CREATE DATABASE $db" >/dev/null ||
  fatal "cannot create database $db"
dsn="${QW_TEST_PG_DSN/dbname=queuewatch_test/dbname=$db} connect_timeout=3"
sql() { psql -X -q -v ON_ERROR_STOP=1 -At "$dsn" -c "$1"; }
sql "CREATE TABLE jobs (id bigserial PRIMARY KEY, queue text NOT NULL, state text NOT NULL,
       enqueued_at timestamptz NOT NULL DEFAULT now(), started_at timestamptz,
       finished_at timestamptz);
     INSERT INTO jobs (queue, state) VALUES ('flow', 'ready'), ('second', 'ready')" || fatal "cannot create the job table"

hook_port=$(pg_free_port)
http_port=$(pg_free_port)
: >"$tmp/hooks.jsonl"
python3 "$QW_SOURCE_DIR/scripts/lib/webhook_receiver.py" "$hook_port" --log "$tmp/hooks.jsonl" \
  >"$tmp/receiver.out" 2>&1 &
receiver_pid=$!

# Type=notify with WatchdogSec=: systemd's side of sd_notify is a datagram socket.
python3 - "$tmp/notify.sock" >"$tmp/notify.log" 2>&1 <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o777)  # the daemon runs as another user
while True:
    print(s.recv(4096).decode(), flush=True)
PY
notify_pid=$!
for ((i = 0; i < 100; i++)); do [ -S "$tmp/notify.sock" ] && break; sleep 0.1; done
[ -S "$tmp/notify.sock" ] || fatal "the notify socket was not created"

# --- the daemon, as the unit runs it ----------------------------------------------------------

write_config() {  # write_config QUEUE...: the queues the probe watches
  local names
  names=$(printf '%s, ' "$@")
  cat >"$tmp/queuewatch.yaml" <<YAML
http:
  listen: "127.0.0.1:$http_port"
state_dir: "$tmp/state"
log_level: info
probes:
  postgres_health: {interval: 1s, query_timeout: 2s, max_backoff: 2s}
  postgres_queue: {interval: 1s, query_timeout: 2s, max_backoff: 2s}
targets:
  - name: sandbox
    dsn: "$dsn"
    region: local
queues:
  - name: jobs
    target: sandbox
    table: public.jobs
    id_column: id
    queue_column: queue
    queue_names: [${names%, }]
    state: {column: state, ready: [ready], running: [running], completed: [done], failed: [failed]}
    timestamps: {enqueued: enqueued_at, started: started_at, finished: finished_at}
    completed_rows: kept
    settle_delay: 1s
rules:
  timezone: UTC
  evaluation_interval: 1s
  defaults:
    stuck_in_progress: {running_for: 5s, heartbeat_timeout: 5s}
alerting:
  default_receiver: hook
  receivers:
    - name: hook
      type: webhook
      url: "http://127.0.0.1:$hook_port/alerts"
      timeout: 5s
YAML
  chmod 644 "$tmp/queuewatch.yaml"
}
write_config flow
mkdir -m 750 "$tmp/state"  # StateDirectory=, StateDirectoryMode=0750
[ "$(id -u)" -eq 0 ] && chown nobody: "$tmp/state"

out=$(sandboxed "$QW_BINARY" check-config "$tmp/queuewatch.yaml" 2>&1) ||
  fail "check-config (the unit's ExecStartPre) failed in the sandbox: $out"

# WATCHDOG_PID must be the daemon's own pid: the shell's, which exec hands on to the daemon.
NOTIFY_SOCKET="$tmp/notify.sock" WATCHDOG_USEC=2000000 \
  sh -c 'export WATCHDOG_PID=$$; exec "$@"' sh "$QW_SANDBOX_EXEC" "${sandbox[@]}" -- \
  "$QW_BINARY" run --config "$tmp/queuewatch.yaml" >"$tmp/daemon.log" 2>&1 &
pid=$!

notified() { grep -qx "$1" "$tmp/notify.log"; }
wait_for "READY=1" 30 notified READY=1 || fatal "no READY=1 on the notify socket within 30 s"
wait_for "a watchdog ping" 30 notified WATCHDOG=1 || fail "no WATCHDOG=1 within 30 s"

metrics() { curl -fsS --max-time 5 "http://127.0.0.1:$http_port/metrics" 2>/dev/null; }
# has_metric REGEX: a sample line of /metrics matches REGEX. (Not `metrics | grep -q`: grep
# leaves at the first match, and under pipefail curl's broken pipe would fail the check.)
has_metric() {
  local out
  out=$(metrics) && grep -Eq "$1" <<<"$out"
}
wait_for "a probe round" 30 has_metric '^queuewatch_target_up\{[^}]*target="sandbox"[^}]*\} 1$' ||
  fail "queuewatch_target_up{target=\"sandbox\"} never became 1: the health probe failed"
wait_for "a queue probe round" 30 \
  has_metric '^queuewatch_queue_ready_jobs\{[^}]*queue="flow"[^}]*\} 1$' ||
  fail "queuewatch_queue_ready_jobs for queue flow never showed its ready job"

# A stuck job: paged through the outbox (files in the state directory) to the webhook.
sql "INSERT INTO jobs (queue, state, enqueued_at, started_at)
     VALUES ('flow', 'running', now() - interval '1 hour', now() - interval '1 hour')" ||
  fatal "cannot insert the stuck job"
paged() {
  jq -e -s 'any(.[]; .alerts[0].status == "firing"
      and .alerts[0].labels.alertname == "stuck_in_progress")' "$tmp/hooks.jsonl" >/dev/null 2>&1
}
wait_for "the stuck_in_progress page" 60 paged ||
  fail "no firing stuck_in_progress notification reached the webhook within 60 s"

# UMask=0077: nothing the daemon wrote is readable by others.
loose=$(find "$tmp/state" -mindepth 1 -perm /077 2>/dev/null)
[ -z "$loose" ] || fail "UMask=0077 not honoured, readable by others: $loose"

# process_* come from /proc/self, all that ProcSubset=pid and ProtectProc=invisible leave.
for m in process_start_time_seconds process_open_fds process_resident_memory_bytes; do
  has_metric "^$m " || fail "/metrics has no $m inside the sandbox"
done

# A reload that adds a queue, by the unit's own ExecReload= lines, each in the sandbox as
# systemd runs them (the binary, the config and \$MAINPID put in): its new probe runs there too.
write_config flow second
reloads=$(unit_values ExecReload)
[ -n "$reloads" ] || fatal "the unit has no ExecReload= line"
while read -r line; do
  line=${line//\/usr\/bin\/queuewatch/$QW_BINARY}
  line=${line//\/etc\/queuewatch\/queuewatch.yaml/$tmp/queuewatch.yaml}
  line=${line//\$MAINPID/$pid}
  read -ra command <<<"$line"
  out=$(sandboxed "${command[@]}" 2>&1) || fail "ExecReload=$line failed in the sandbox: $out"
done <<<"$reloads"
wait_for "the reload" 30 has_metric '^queuewatch_config_last_reload_successful 1$' ||
  fail "queuewatch_config_last_reload_successful did not become 1 after the reload"
wait_for "the reloaded queue" 30 \
  has_metric '^queuewatch_queue_ready_jobs\{[^}]*queue="second"[^}]*\} 1$' ||
  fail "after SIGHUP, queue second was never probed"

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=""
[ "$rc" -eq 0 ] || fail "after SIGTERM: $(explain_exit "$rc")"

if [ "$failures" -ne 0 ]; then
  dump_logs
  echo "sandboxed_daemon: $failures failure(s)" >&2
  exit 1
fi
echo "sandboxed_daemon: ok ($(wc -l <"$allowed") system calls allowed)"
