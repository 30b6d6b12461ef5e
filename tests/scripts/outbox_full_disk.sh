#!/usr/bin/env bash
# The issue's crash loop: with state_dir full, the first delivery could not write its ack, the
# exception escaped the delivery thread and the daemon died (exit 134), then re-sent the same
# page on every restart. Here state_dir is a real tmpfs, filled while the receiver holds the
# daemon's POST, so that the ack is written to a full disk. Checks: the daemon stays up and
# serves /metrics, queuewatch_state_write_errors_total{file="outbox"} goes up, the receiver gets
# the page exactly once while the disk is full, and once space is freed the ack is written.
#
# tmpfs allocates whole pages, and a write into the unused end of the log's last page succeeds
# even on a full disk. So a first run measures the two records (the page, its ack), and the
# second run starts from a log padded with a harmless record so that the page's record ends just
# short of a page boundary: its ack then needs a new page, which the full disk refuses.
#
# Needs to mount a tmpfs: as root (CI), or in a user namespace (`unshare -rm`) otherwise.
# Run by ctest with QW_BINARY and QW_SOURCE_DIR. Needs no PostgreSQL (the target is a dead port).
set -uo pipefail

: "${QW_BINARY:?set QW_BINARY to the queuewatch binary}"
: "${QW_SOURCE_DIR:?set QW_SOURCE_DIR to the source tree}"

if [ "$(id -u)" != 0 ] && [ -z "${QW_IN_USERNS:-}" ]; then
  QW_IN_USERNS=1 exec unshare -rm bash "$0" "$@"
fi

# shellcheck source=scripts/lib/pg.sh
source "$QW_SOURCE_DIR/scripts/lib/pg.sh"
# shellcheck source=tests/scripts/lib/harness.sh
source "$QW_SOURCE_DIR/tests/scripts/lib/harness.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/qw-fulldisk.XXXXXX")
state="$tmp/state"
pid=""
receiver_pid=""
mounted=""

cleanup() {
  stop_processes "$pid" "$receiver_pid"
  [ -n "$mounted" ] && umount "$state" 2>/dev/null
  [ -n "${QW_KEEP_TMP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT

fatal() {
  echo "FAIL: $*" >&2
  echo "--- daemon logs:" >&2
  cat "$tmp"/daemon*.log >&2
  echo "--- received payloads:" >&2
  cat "$tmp/hooks.jsonl" >&2 2>/dev/null
  echo "--- state_dir:" >&2
  ls -la "$state" >&2
  df -k "$state" >&2
  exit 1
}

mkdir -p "$state"
mount -t tmpfs -o size=1m,mode=0700 tmpfs "$state" || fatal "cannot mount a tmpfs on $state"
mounted=1

hook_port=$(pg_free_port)
http_port=$(pg_free_port)
dead_port=$(pg_free_port) # nothing listens: database_unavailable fires

# A webhook receiver that logs each payload at once and answers only when $tmp/gate exists.
cat >"$tmp/receiver.py" <<'PY'
import os, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
port, log, gate = int(sys.argv[1]), sys.argv[2], sys.argv[3]
class H(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with open(log, "a") as f:
            f.write(body.decode("utf-8", "replace") + "\n")
        deadline = time.time() + 120
        while not os.path.exists(gate) and time.time() < deadline:
            time.sleep(0.05)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
PY

cat >"$tmp/queuewatch.yaml" <<YAML
http:
  listen: "127.0.0.1:$http_port"
state_dir: "$state"
probes:
  postgres_health: {interval: 1s}
targets:
  - name: db
    dsn: "host=127.0.0.1 port=$dead_port dbname=x user=x connect_timeout=2"
    region: local
rules:
  evaluation_interval: 1s
  database_unavailable: {for: 1s}
alerting:
  default_receiver: hook
  receivers:
    - name: hook
      type: webhook
      url: "http://127.0.0.1:$hook_port/alerts"
      timeout: 60s
      max_backoff: 1s
YAML

metric() { # metric NAME LABELS: the value of one series on /metrics, 0 when absent
  curl -s --max-time 5 "http://127.0.0.1:$http_port/metrics" |
    awk -v series="$1{$2}" 'index($0, series " ") == 1 { v = $2 } END { print v + 0 }'
}
metrics_served() { curl -sf --max-time 5 -o /dev/null "http://127.0.0.1:$http_port/metrics"; }
ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$http_port/-/ready")" = 200 ]; }
received() { [ -f "$tmp/hooks.jsonl" ] && grep -c '"database_unavailable"' "$tmp/hooks.jsonl" || echo 0; }
got_page() { [ "$(received)" -ge 1 ]; }
acks_in_log() { grep -a -o '"type":"ack"' "$state/outbox.log" 2>/dev/null | wc -l; }
# record_size N: the size of the Nth record (1-based) of outbox.log, header included.
record_size() {
  python3 - "$state/outbox.log" "$1" <<'PY'
import struct, sys
data, at = open(sys.argv[1], "rb").read(), 0
for _ in range(int(sys.argv[2]) - 1):
    at += 8 + struct.unpack_from("<I", data, at)[0]
print(8 + struct.unpack_from("<I", data, at)[0])
PY
}

start_receiver() {
  python3 "$tmp/receiver.py" "$hook_port" "$tmp/hooks.jsonl" "$tmp/gate" >"$tmp/receiver.out" 2>&1 &
  receiver_pid=$!
}
start_daemon() {
  "$QW_BINARY" run --config "$tmp/queuewatch.yaml" >"$tmp/daemon$1.log" 2>&1 &
  pid=$!
  wait_for "/-/ready" 30 ready || fatal "/-/ready never answered 200"
}
stop_daemon() {
  kill -TERM "$pid"
  wait "$pid" || fatal "the daemon did not exit cleanly on SIGTERM"
  pid=""
}

# --- run 1, disk not full: measure the page's record and its ack ---------------------------------
touch "$tmp/gate"
start_receiver
start_daemon 1
acked() { [ "$(acks_in_log)" -ge 1 ]; }
wait_for "the page to be delivered and acked" 60 acked || fatal "no ack in outbox.log"
page_size=$(record_size 1)
ack_size=$(record_size 2)
stop_daemon
rm -f "$state"/* "$tmp/hooks.jsonl" "$tmp/gate"

# --- run 2: pad the log so that the page ends ack_size/2 short of a page boundary ---------------
pad=$(((8192 - page_size - ack_size / 2) % 4096))
[ "$pad" -ge 200 ] || pad=$((pad + 4096))
python3 - "$state/outbox.log" "$pad" <<'PY'
import json, struct, sys, zlib
path, size = sys.argv[1], int(sys.argv[2])
# An ack of an id nobody enqueued: replay ignores it.
body = {"type": "ack", "receiver": "hook", "id": "", "result": "success"}
body["id"] = "p" * (size - 8 - len(json.dumps(body, separators=(",", ":"))))
raw = json.dumps(body, separators=(",", ":")).encode()
assert len(raw) + 8 == size
open(path, "wb").write(struct.pack("<II", len(raw), zlib.crc32(raw)) + raw)
PY
start_daemon 2
wait_for "the page to reach the receiver" 60 got_page || fatal "the receiver got no page"
# The receiver holds the POST: fill the disk, then let it answer.
dd if=/dev/zero of="$state/fill" bs=4k >/dev/null 2>&1
errors_before=$(metric queuewatch_state_write_errors_total 'file="outbox"')
touch "$tmp/gate"

ack_failed() { [ "$(metric queuewatch_state_write_errors_total 'file="outbox"')" -gt "$errors_before" ]; }
wait_for "the ack to fail on the full disk" 30 ack_failed ||
  fatal "no outbox write error counted: the ack found room (page $page_size, ack $ack_size, pad $pad)"
# The unwritten ack is retried every second: three more failures are three more seconds in
# which a re-send loop would have shown itself.
retried() { [ "$(metric queuewatch_state_write_errors_total 'file="outbox"')" -ge $((errors_before + 4)) ]; }
wait_for "the ack to be retried" 30 retried || fatal "the unwritten ack was not retried"
kill -0 "$pid" 2>/dev/null || fatal "the daemon died on the full disk"
metrics_served || fail "/metrics is not served while the disk is full"
[ "$(received)" = 1 ] || fail "the receiver got the page $(received) times while the disk was full"
[ "$(metric queuewatch_notifications_total 'receiver="hook",result="success"')" = 1 ] ||
  fail "queuewatch_notifications_total{result=\"success\"} is not 1"
[ "$(acks_in_log)" = 1 ] || fail "an ack reached outbox.log on a full disk?"
lines=$(grep -c 'state: ' "$tmp/daemon2.log")
[ "$lines" -le 2 ] || fail "$lines log lines about state errors: not rate-limited"

# --- space is freed: the ack is written, and the state file again --------------------------------
rm -f "$state/fill"
acks_written() { [ "$(acks_in_log)" -ge 2 ]; }
wait_for "the ack to reach outbox.log" 30 acks_written || fail "the ack was not written after space was freed"
grep -q 'writing outbox works again' "$tmp/daemon2.log" || fail "no log line says writing works again"
stop_daemon

# A restart finds the page acked: nothing is sent again.
start_daemon 3
# (The outbox logs what it replayed as pending before /-/ready answers.)
! grep -q 'pending from before the restart' "$tmp/daemon3.log" || fail "the page is pending again after the restart"
stop_daemon
[ "$(received)" = 1 ] || fail "the receiver got the page $(received) times"

[ "$failures" = 0 ] || exit 1
echo "outbox_full_disk: page $page_size B, ack $ack_size B, pad $pad B: the ack failed on a full tmpfs, the daemon kept serving, one delivery, the ack written once space was back"
