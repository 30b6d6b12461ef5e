#!/usr/bin/env bash
# What the daemon says about itself (issue 10, item 5), on the real binary against the shared
# test PostgreSQL:
#  - the reload series (queuewatch_config_last_reload_successful and its timestamp): 1 after the
#    start, 0 after a refused SIGHUP with the timestamp kept, 1 again after a good one;
#  - the unit's ExecReload= lines, run as systemd runs them (one after the other, the first
#    failure failing the reload): a broken file fails the reload and never reaches the daemon;
#  - process_* from /proc, compared with what /proc says of the daemon's pid;
#  - rule evaluation's duration histogram, and missed evaluations after a SIGSTOP;
#  - log_format / log_level from the file, applied again on reload: every line before the reload
#    is a JSON object, every line after it logfmt, and `debug` logs each probe run;
#  - an alert transition's line names its alertname, target and queue.
# Run by ctest with QW_BINARY and QW_SOURCE_DIR; scripts/test exports QW_TEST_PG_*.
set -uo pipefail

: "${QW_BINARY:?set QW_BINARY to the queuewatch binary}"
: "${QW_SOURCE_DIR:?set QW_SOURCE_DIR to the source tree}"
: "${QW_TEST_PG_DSN:?QW_TEST_PG_DSN is unset: run through scripts/test, which starts PostgreSQL}"
# shellcheck source=tests/scripts/lib/harness.sh
source "$QW_SOURCE_DIR/tests/scripts/lib/harness.sh"

tmp=$(mktemp -d)
table="self_observability_$$"
unit="$QW_SOURCE_DIR/deploy/systemd/queuewatch.service"
pid=""
notify_pid=""

sql() { psql -X -q -v ON_ERROR_STOP=1 -At "$QW_TEST_PG_DSN" -c "$1"; }

cleanup() {
  [ -n "$pid" ] && kill -CONT "$pid" 2>/dev/null
  stop_processes "$pid" "$notify_pid"
  sql "DROP TABLE IF EXISTS $table" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT

fatal() {
  echo "FATAL: $*" >&2
  echo "--- daemon log:" >&2
  cat "$tmp/daemon.log" >&2
  exit 1
}

free_port() {
  python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
port=$(free_port)
down_port=$(free_port)  # nothing listens there: a target that is down (connection_refused)

# One job running for an hour: stuck_in_progress fires within a round or two.
sql "CREATE TABLE $table (id bigserial PRIMARY KEY, queue text NOT NULL, state text NOT NULL,
       enqueued_at timestamptz NOT NULL DEFAULT now(), started_at timestamptz,
       finished_at timestamptz);
     INSERT INTO $table (queue, state, enqueued_at, started_at)
       VALUES ('mail', 'running', now() - interval '61 minutes', now() - interval '1 hour')" ||
  fatal "cannot create the job table"

config="$tmp/queuewatch.yaml"
write_config() {  # write_config LOG_LEVEL LOG_FORMAT
  cat >"$config" <<YAML
http:
  listen: "127.0.0.1:$port"
state_dir: "$tmp/state"
log_level: $1
log_format: $2
probes:
  postgres_health: {interval: 1s, query_timeout: 2s, max_backoff: 2s}
  postgres_queue: {interval: 1s, query_timeout: 2s, max_backoff: 2s}
targets:
  - name: testdb
    dsn: "$QW_TEST_PG_DSN"
    region: local
  - name: downdb
    dsn: "host=127.0.0.1 port=$down_port dbname=x user=postgres connect_timeout=2"
    region: local
queues:
  - name: jobs
    target: testdb
    table: $table
    queue_column: queue
    queue_names: [mail]
    state: {column: state, ready: [ready], running: [running], completed: [done]}
    timestamps: {enqueued: enqueued_at, started: started_at, finished: finished_at}
    settle_delay: 1s
rules:
  evaluation_interval: 1s
  defaults:
    stuck_in_progress: {running_for: 5s}
YAML
}

scrape() { curl -s --max-time 5 "http://127.0.0.1:$port/metrics"; }
# metric NAME: the value of the series NAME without labels (or the first one), empty if absent.
metric() { scrape | awk -v n="$1" '$1 == n || index($1, n "{") == 1 { print $2; exit }'; }
metric_is() { [ "$(metric "$1")" = "$2" ]; }
lines() { wc -l <"$tmp/daemon.log"; }
sighups() { grep -c "SIGHUP: reloading" "$tmp/daemon.log"; }

# run_exec_reload: the unit's ExecReload= lines with this test's binary, config and pid, run the
# way systemd runs them: in order, stopping at the first that fails; returns its status.
run_exec_reload() {
  local line argv
  while IFS= read -r line; do
    line=${line#ExecReload=}
    case "$line" in [-@:+!]*) echo "ExecReload prefix in '$line' not understood by this test" >&2; return 99 ;; esac
    line=${line//\/usr\/bin\/queuewatch/$QW_BINARY}
    line=${line//\/etc\/queuewatch\/queuewatch.yaml/$config}
    line=${line//\$MAINPID/$pid}
    read -ra argv <<<"$line"
    "${argv[@]}" >>"$tmp/exec_reload.out" 2>&1 || return $?
  done < <(grep '^ExecReload=' "$unit")
}

# systemd's notify socket, played by a datagram socket that writes each message on a line.
python3 - "$tmp/notify.sock" "$tmp/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as log:
    while True:
        log.write(s.recv(4096).decode().replace("\n", " | ") + "\n")
        log.flush()
PY
notify_pid=$!
notify_up() { [ -S "$tmp/notify.sock" ]; }
for ((i = 0; i < 50; i++)); do notify_up && break; sleep 0.1; done
notify_up || fatal "the notify socket did not appear"
notified() { grep -q "$1" "$tmp/notify.log" 2>/dev/null; }

write_config info json
NOTIFY_SOCKET="$tmp/notify.sock" "$QW_BINARY" run --config "$config" >"$tmp/daemon.log" 2>&1 &
pid=$!
ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$port/-/ready")" = 200 ]; }
wait_for "/-/ready" 30 ready || fatal "/-/ready never answered 200"
started_at=$(date +%s)

# --- the reload series after the start -------------------------------------------------------
[ "$(metric queuewatch_config_last_reload_successful)" = 1 ] ||
  fail "last_reload_successful is '$(metric queuewatch_config_last_reload_successful)' after the start, want 1"
t0=$(metric queuewatch_config_last_reload_success_timestamp_seconds)
python3 -c "import sys; sys.exit(0 if abs(float('$t0') - $started_at) < 30 else 1)" ||
  fail "last_reload_success_timestamp_seconds is '$t0', want about $started_at"

# --- process_* against /proc/<pid> ----------------------------------------------------------
scrape >"$tmp/metrics.txt"
python3 - "$pid" "$tmp/metrics.txt" <<'PY' || fail "process_* do not describe the daemon (above)"
import os, sys, time
pid, path = sys.argv[1], sys.argv[2]
values = {}
for line in open(path):
    if line.startswith("process_"):
        name, value = line.split()
        values[name] = float(value)
want = ["process_cpu_seconds_total", "process_open_fds", "process_max_fds",
        "process_virtual_memory_bytes", "process_virtual_memory_max_bytes",
        "process_resident_memory_bytes", "process_start_time_seconds"]
missing = [n for n in want if n not in values]
if missing:
    sys.exit(f"missing: {missing}")
stat = open(f"/proc/{pid}/stat").read()
fields = stat[stat.rindex(")") + 2:].split()
hz = os.sysconf("SC_CLK_TCK")
btime = next(int(l.split()[1]) for l in open("/proc/stat") if l.startswith("btime "))
start = btime + int(fields[19]) / hz
rss_kb = next(int(l.split()[1]) for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS:"))
fds = len(os.listdir(f"/proc/{pid}/fd"))
soft_fds = next(l.split()[3] for l in open(f"/proc/{pid}/limits") if l.startswith("Max open files"))
errors = []
# btime is whole seconds; the daemon derives the boot time from two clocks instead.
if abs(values["process_start_time_seconds"] - start) > 1.5:
    errors.append(f"start_time {values['process_start_time_seconds']} vs /proc {start}")
if not 0.5 < values["process_resident_memory_bytes"] / (rss_kb * 1024) < 2:
    errors.append(f"rss {values['process_resident_memory_bytes']} vs VmRSS {rss_kb} kB")
if abs(values["process_open_fds"] - fds) > 3:
    errors.append(f"open_fds {values['process_open_fds']} vs {fds} in /proc/{pid}/fd")
if values["process_max_fds"] != float(soft_fds):
    errors.append(f"max_fds {values['process_max_fds']} vs {soft_fds}")
if values["process_cpu_seconds_total"] <= 0:
    errors.append("no CPU time")
for e in errors:
    print(e, file=sys.stderr)
sys.exit(1 if errors else 0)
PY
lint=$(promtool check metrics <"$tmp/metrics.txt" 2>&1)
[ $? -eq 0 ] && [ -z "$lint" ] || fail "promtool check metrics complained:"$'\n'"$lint"

# --- rule evaluation -------------------------------------------------------------------------
evaluated() { [ "$(metric queuewatch_rule_evaluation_duration_seconds_count)" -ge 2 ] 2>/dev/null; }
wait_for "two rule evaluations" 10 evaluated ||
  fail "queuewatch_rule_evaluation_duration_seconds_count is '$(metric queuewatch_rule_evaluation_duration_seconds_count)'"
[ "$(metric queuewatch_rule_evaluations_missed_total)" = 0 ] ||
  fail "missed evaluations before any stall: '$(metric queuewatch_rule_evaluations_missed_total)'"

# --- an alert transition names its alertname, target and queue ------------------------------
transition() {  # transition TO: a JSON line of stuck_in_progress going to TO, naming its queue
  python3 - "$tmp/daemon.log" "$1" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if (e.get("alertname") == "stuck_in_progress" and e.get("target") == "testdb"
            and e.get("queue") == "mail" and e.get("source") == "jobs"
            and "queue mail" in e["msg"] and e["msg"].endswith(sys.argv[2])):
        sys.exit(0)
sys.exit(1)
PY
}
wait_for "the stuck_in_progress transition in the log" 20 transition "-> firing (value 1)" ||
  fail "no JSON line with alertname, target, source and queue for stuck_in_progress firing"
# Resolved: the alert is gone from the alert list by then, and its line must still name it.
sql "UPDATE $table SET state = 'done', finished_at = now()"
wait_for "stuck_in_progress resolved in the log" 20 transition "-> resolved (value 1)" ||
  fail "no JSON line with alertname, target, source and queue for stuck_in_progress resolved"

# A target going down: its line and its alert's carry the target (and the reason), and no empty
# source or queue keys.
target_lines() {
  python3 - "$tmp/daemon.log" <<'PY'
import json, sys
failing = alert = False
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if (e.get("target") == "downdb" and e.get("reason") == "connection_refused"
            and e["msg"].startswith("target downdb failing")):
        failing = True
    if (e.get("alertname") == "database_unavailable" and e.get("target") == "downdb"
            and "source" not in e and "queue" not in e):
        alert = True
sys.exit(0 if failing and alert else 1)
PY
}
wait_for "the down target's lines" 20 target_lines ||
  fail "no JSON lines with target and reason for downdb failing and its database_unavailable alert"

# --- missed evaluations: the process stopped for 3.5 intervals --------------------------------
kill -STOP "$pid"
sleep 3.5  # the stimulus, not a wait: how long the event loop is held
kill -CONT "$pid"
missed() { [ "$(metric queuewatch_rule_evaluations_missed_total)" -ge 2 ] 2>/dev/null; }
wait_for "missed evaluations" 10 missed ||
  fail "after a 3.5 s stop at a 1 s interval, missed_total is '$(metric queuewatch_rule_evaluations_missed_total)', want >= 2"

# --- a broken file: ExecReload fails and the daemon is not signalled --------------------------
cp "$config" "$tmp/good.yaml"
printf 'targets: [\n  - this is: not valid\n' >"$config"
hups=$(sighups)
run_exec_reload
rc=$?
[ "$rc" -ne 0 ] || fail "the unit's ExecReload= succeeded on a broken config"
[ "$(sighups)" = "$hups" ] || fail "the unit's ExecReload= signalled the daemon with a broken config"
grep -q "error" "$tmp/exec_reload.out" || fail "ExecReload's check-config said nothing: $(cat "$tmp/exec_reload.out")"

# --- the same file by SIGHUP directly: refused, and the metric says so -------------------------
kill -HUP "$pid"
wait_for "the refused reload metric" 10 metric_is queuewatch_config_last_reload_successful 0 ||
  fail "after a refused reload last_reload_successful is '$(metric queuewatch_config_last_reload_successful)', want 0"
[ "$(metric queuewatch_config_last_reload_success_timestamp_seconds)" = "$t0" ] ||
  fail "a refused reload moved the success timestamp from $t0"
kill -0 "$pid" || fatal "the daemon died on a refused reload"
# `systemctl status` shows the refusal (STATUS=), and systemd hears the reload end (READY=1).
wait_for "the refusal in the notify STATUS" 10 notified "^STATUS=reload of .* refused; running the previous configuration$" ||
  fail "no STATUS= about the refused reload on the notify socket: $(cat "$tmp/notify.log")"
ready_after_refusal() { sed -n '/refused; running the previous configuration/{n;p;}' "$tmp/notify.log" | grep -qx "READY=1"; }
wait_for "READY=1 after the refusal" 10 ready_after_refusal ||
  fail "the refused reload did not end with READY=1: $(cat "$tmp/notify.log")"

# --- a good file through ExecReload: debug and logfmt from now on -----------------------------
write_config debug logfmt
before=$(lines)
run_exec_reload || fail "the unit's ExecReload= failed on a valid config: $(cat "$tmp/exec_reload.out")"
wait_for "the successful reload metric" 10 metric_is queuewatch_config_last_reload_successful 1 ||
  fail "after a good reload last_reload_successful is '$(metric queuewatch_config_last_reload_successful)', want 1"
t1=$(metric queuewatch_config_last_reload_success_timestamp_seconds)
python3 -c "import sys; sys.exit(0 if float('$t1') > float('$t0') else 1)" ||
  fail "a good reload did not move the success timestamp ($t0 -> $t1)"
notified_after_refusal() {
  sed -n '/refused; running the previous configuration/,$p' "$tmp/notify.log" |
    grep -qx "STATUS=watching 1 queue source(s)"
}
wait_for "the STATUS after a good reload" 10 notified_after_refusal ||
  fail "a good reload did not restore the STATUS line: $(cat "$tmp/notify.log")"
# Both kinds: the check of every line below needs a health run logged after the reload too, and
# the two kinds' rounds are not in step (on a loaded machine one can come well after the other).
probe_logged() {
  grep -q 'level=debug msg="probe postgres_queue/' "$tmp/daemon.log" &&
    grep -q 'level=debug msg="probe postgres_health/.*result=ok' "$tmp/daemon.log"
}
wait_for "a debug line per probe run of each kind" 20 probe_logged ||
  fail "log_level debug from a reload logs no probe run"

# --- every line: JSON objects up to the reload, logfmt after it --------------------------------
kill -TERM "$pid"
wait "$pid"
pid=""
python3 - "$tmp/daemon.log" "$before" <<'PY' || fail "the log is not JSON then logfmt, one event per line (above)"
import json, re, sys
path, before = sys.argv[1], int(sys.argv[2])
value = r'(?:[^\s="\\]+|"(?:[^"\\]|\\.)*")'
logfmt = re.compile(r'^ts=\S+ level=(?:trace|debug|info|warning|error|critical) msg=' + value +
                    r'(?: [a-z_]+=' + value + r')*$')
lines = open(path, encoding="utf-8").read().split("\n")
assert lines[-1] == "", "the log does not end with a newline"
lines = lines[:-1]
kinds = []
for n, line in enumerate(lines, 1):
    try:
        e = json.loads(line)
        if not isinstance(e, dict) or not {"ts", "level", "msg"} <= e.keys():
            sys.exit(f"line {n}: a JSON value but not a log object: {line}")
        kinds.append("json")
    except ValueError:
        if not logfmt.match(line):
            sys.exit(f"line {n} is neither JSON nor logfmt: {line!r}")
        kinds.append("logfmt")
switch = kinds.index("logfmt") if "logfmt" in kinds else len(kinds)
if "json" in kinds[switch:]:
    sys.exit(f"a JSON line after the switch to logfmt at line {switch + 1}")
if switch < before or switch > before + 5:
    sys.exit(f"the format changed at line {switch + 1}, not at the reload (after line {before})")
if not any('probe postgres_health/' in l and 'result=ok' in l for l in lines[switch:]):
    sys.exit("no debug line for a health probe run with result=ok")
PY

if [ "$failures" -gt 0 ]; then
  echo "--- daemon log:" >&2
  cat "$tmp/daemon.log" >&2
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "self_observability: all checks passed"
