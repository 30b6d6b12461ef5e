#!/usr/bin/env bash
# The issue's reproducer: one flipped bit in the first record of outbox.log truncated the whole
# log at start, and every pending page was lost; alerts.json said they had been sent, so none
# came until repeat_interval (4 h). Here five alerts fire while the receiver is down (five
# pending pages), the daemon stops, one bit of the first record is flipped, and the daemon
# starts again with the receiver up. Checks: the other four pages survive, the damaged bytes are
# kept aside and counted, and all five alerts are paged, the damaged one included (the outbox
# lost records, so every firing alert is notified again).
# Run by ctest with QW_BINARY and QW_SOURCE_DIR. Needs no PostgreSQL (the targets are a dead port).
set -uo pipefail

: "${QW_BINARY:?set QW_BINARY to the queuewatch binary}"
: "${QW_SOURCE_DIR:?set QW_SOURCE_DIR to the source tree}"

# shellcheck source=scripts/lib/pg.sh
source "$QW_SOURCE_DIR/scripts/lib/pg.sh"
# shellcheck source=tests/scripts/lib/harness.sh
source "$QW_SOURCE_DIR/tests/scripts/lib/harness.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/qw-bitflip.XXXXXX")
pid=""
receiver_pid=""

cleanup() {
  stop_processes "$pid" "$receiver_pid"
  rm -rf "$tmp"
}
trap cleanup EXIT

fatal() {
  echo "FAIL: $*" >&2
  echo "--- daemon logs:" >&2
  cat "$tmp"/daemon*.log >&2
  echo "--- received payloads:" >&2
  cat "$tmp/hooks.jsonl" >&2 2>/dev/null
  exit 1
}

hook_port=$(pg_free_port)
http_port=$(pg_free_port)
dead_port=$(pg_free_port)

{
  cat <<YAML
http:
  listen: "127.0.0.1:$http_port"
state_dir: "$tmp/state"
probes:
  postgres_health: {interval: 1s}
targets:
YAML
  for i in 1 2 3 4 5; do
    printf '  - {name: db%s, region: local, dsn: "host=127.0.0.1 port=%s dbname=x user=x"}\n' "$i" "$dead_port"
  done
  cat <<YAML
rules:
  evaluation_interval: 1s
  database_unavailable: {for: 1s}
alerting:
  default_receiver: hook
  repeat_interval: 4h
  receivers:
    - name: hook
      type: webhook
      url: "http://127.0.0.1:$hook_port/alerts"
      timeout: 2s
      max_backoff: 1s
YAML
} >"$tmp/queuewatch.yaml"

metric() { # metric NAME LABELS: the value of one series on /metrics, 0 when absent
  curl -s --max-time 5 "http://127.0.0.1:$http_port/metrics" |
    awk -v series="$1{$2}" 'index($0, series " ") == 1 { v = $2 } END { print v + 0 }'
}
ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$http_port/-/ready")" = 200 ]; }
start_daemon() {
  "$QW_BINARY" run --config "$tmp/queuewatch.yaml" >"$tmp/daemon$1.log" 2>&1 &
  pid=$!
  wait_for "/-/ready" 30 ready || fatal "/-/ready never answered 200"
}

# --- the receiver is down: five pages wait in the outbox -----------------------------------------
start_daemon 1
five_pending() { [ "$(metric queuewatch_outbox_depth 'receiver="hook"')" = 5 ]; }
wait_for "five pending pages" 60 five_pending || fatal "the outbox never held five pages"
kill -TERM "$pid"
wait "$pid" || fatal "the daemon did not exit cleanly on SIGTERM"
pid=""

# --- one bit of the first record -----------------------------------------------------------------
first_target=$(python3 - "$tmp/state/outbox.log" <<'PY'
import json, struct, sys
data = bytearray(open(sys.argv[1], "rb").read())
length = struct.unpack_from("<I", data, 0)[0]
print(json.loads(bytes(data[8:8 + length]))["notification"]["labels"]["target"])
data[20] ^= 0x04  # inside the first record's JSON ("enqueue" becomes "enqqeue": only the CRC sees it)
open(sys.argv[1], "wb").write(data)
PY
)
[ -n "$first_target" ] || fatal "cannot tell which target's page was damaged"

# --- the receiver is up, the daemon starts again -------------------------------------------------
python3 "$QW_SOURCE_DIR/scripts/lib/webhook_receiver.py" "$hook_port" --log "$tmp/hooks.jsonl" \
  >"$tmp/receiver.out" 2>&1 &
receiver_pid=$!
start_daemon 2
paged() { # paged TARGET: a firing page for database_unavailable on TARGET arrived
  [ -f "$tmp/hooks.jsonl" ] && jq -e -s --arg t "$1" \
    'any(.[]; .alerts[0].labels.target == $t and .alerts[0].status == "firing")' \
    "$tmp/hooks.jsonl" >/dev/null 2>&1
}
all_paged() { for t in db1 db2 db3 db4 db5; do paged "$t" || return 1; done; }
wait_for "a page for each of the five alerts" 60 all_paged ||
  fail "not every alert was paged after the damage (the damaged one was $first_target)"
grep -q 'is damaged' "$tmp/daemon2.log" || fail "the damage was not logged"
ls "$tmp/state"/outbox.log.damaged-* >/dev/null 2>&1 || fail "the damaged bytes were not kept aside"
damaged=$(curl -s --max-time 5 "http://127.0.0.1:$http_port/metrics" |
  awk '$1 == "queuewatch_outbox_damaged_bytes_total" { v = $2 } END { print v + 0 }')
[ "$damaged" -gt 0 ] || fail "queuewatch_outbox_damaged_bytes_total is $damaged"
# The four intact pages were delivered from the outbox, not only re-planned: the log says so.
grep -q 'outbox: 4 notifications pending from before the restart' "$tmp/daemon2.log" ||
  fail "the four intact pages were not replayed"

[ "$failures" = 0 ] || exit 1
echo "outbox_bit_flip: one bit flipped in the first of 5 pending records: 4 replayed, all 5 alerts paged ($first_target again), $damaged damaged bytes kept aside"
