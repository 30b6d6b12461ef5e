#!/usr/bin/env bash
# A notification accepted into the outbox is delivered even after kill -9. The outbox driver
# (tests/tools/outbox_driver.cpp: the real Dispatcher, outbox and webhook sink) enqueues
# notifications for a webhook receiver that is down, keeps retrying, and is killed with SIGKILL.
# Then the receiver comes up, a new driver starts on the same state directory, and every
# notification must reach the receiver (at least once; each fingerprint is checked).
# Run by ctest with QW_BINARY (the driver is built next to it, in <build>/alerts/) or with
# QW_OUTBOX_DRIVER pointing at it.
set -uo pipefail

: "${QW_BINARY:=}"
driver="${QW_OUTBOX_DRIVER:-$(dirname "${QW_BINARY:-.}")/../alerts/qw_outbox_driver}"
if [ ! -x "$driver" ]; then
  echo "FATAL: no outbox driver at $driver (build the qw_outbox_driver target)" >&2
  exit 1
fi
command -v python3 >/dev/null || { echo "FATAL: python3 is needed for the test receiver" >&2; exit 1; }

tmp=$(mktemp -d)
driver_pid=""
receiver_pid=""
count=20

cleanup() {
  for p in $driver_pid $receiver_pid; do
    kill -KILL "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

fatal() {
  echo "FATAL: $*" >&2
  for f in "$tmp"/*.log; do
    echo "--- $f:" >&2
    cat "$f" >&2
  done
  exit 1
}

# Waits up to $2 seconds for the command $1 to succeed (polling a condition, not a fixed sleep).
wait_for() {
  local deadline=$((SECONDS + $2))
  while [ $SECONDS -lt $deadline ]; do
    eval "$1" && return 0
    sleep 0.05
  done
  return 1
}

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port/hook"

# 1. The receiver is down: the driver accepts, fsyncs, and retries.
"$driver" "$tmp/state" "$url" enqueue $count >"$tmp/driver1.log" 2>&1 &
driver_pid=$!
wait_for "grep -q 'enqueued $count' '$tmp/driver1.log'" 30 || fatal "the driver did not enqueue"
wait_for "grep -q 'failed attempt' '$tmp/driver1.log'" 30 || fatal "the driver did not try to deliver"
kill -KILL "$driver_pid"
wait "$driver_pid" 2>/dev/null
driver_pid=""
[ -s "$tmp/state/outbox.log" ] || fatal "no outbox.log after the kill"

# 2. The receiver comes back: it records the fingerprint of every webhook message.
cat >"$tmp/receiver.py" <<'PY'
import http.server, json, sys
class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        message = json.loads(body)
        assert message["version"] == "4"
        with open(sys.argv[2], "a") as f:
            for alert in message["alerts"]:
                f.write(alert["fingerprint"] + "\n")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
open(sys.argv[3], "w").close()
server.serve_forever()
PY
python3 "$tmp/receiver.py" "$port" "$tmp/received.txt" "$tmp/receiver.ready" >"$tmp/receiver.log" 2>&1 &
receiver_pid=$!
wait_for "[ -e '$tmp/receiver.ready' ]" 30 || fatal "the test receiver did not start"

# 3. A new driver on the same state directory delivers everything the first one accepted.
"$driver" "$tmp/state" "$url" drain >"$tmp/driver2.log" 2>&1 || fatal "the restarted driver did not drain the outbox"
grep -q "pending from before the restart" "$tmp/driver2.log" || fatal "the restart did not replay the outbox"

missing=0
for i in $(seq 0 $((count - 1))); do
  grep -qx "fp$i" "$tmp/received.txt" || { echo "FAIL: fp$i was never delivered" >&2; missing=$((missing + 1)); }
done
[ $missing -eq 0 ] || fatal "$missing of $count notifications lost across kill -9"
echo "ok: all $count notifications delivered after kill -9 ($(wc -l <"$tmp/received.txt") deliveries)"
