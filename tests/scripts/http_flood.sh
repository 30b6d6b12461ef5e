#!/usr/bin/env bash
# Any local process can open sockets: 64 idle ones, re-opened whenever closed, used to make 78 of
# 80 scrapes fail with 503 (issue 7). Here 2,000 idle sockets and 50 slowloris ones (a byte a
# second) are held against the real daemon from 127.0.0.1, re-opened as soon as the daemon closes
# them, while a real scraper (curl) scrapes /metrics: every scrape must get 200 with metrics.
# Loopback only, bounded in sockets and time (the flood stops by itself).
# Run by ctest with QW_BINARY and QW_SOURCE_DIR; scripts/test exports QW_TEST_PG_*.
set -uo pipefail

: "${QW_BINARY:?set QW_BINARY to the queuewatch binary}"
: "${QW_SOURCE_DIR:?set QW_SOURCE_DIR to the source tree}"
: "${QW_TEST_PG_DSN:?QW_TEST_PG_DSN is unset: run through scripts/test, which starts PostgreSQL}"
# shellcheck source=tests/scripts/lib/harness.sh
source "$QW_SOURCE_DIR/tests/scripts/lib/harness.sh"

tmp=$(mktemp -d)
pid=""
flood_pid=""
idle_sockets=2000
slow_sockets=50
scrapes=30  # at least

cleanup() {
  stop_processes "$flood_pid" "$pid"
  rm -rf "$tmp"
}
trap cleanup EXIT

fatal() {
  echo "FATAL: $*" >&2
  echo "--- daemon log:" >&2
  cat "$tmp/daemon.log" >&2
  exit 1
}

port=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
cat >"$tmp/queuewatch.yaml" <<YAML
http:
  listen: "127.0.0.1:$port"
state_dir: "$tmp/state"
targets:
  - name: testdb
    dsn: "$QW_TEST_PG_DSN"
    region: local
YAML

# The daemon's own descriptors: max_connections (64) plus its pools and files; the default
# limit is plenty, which is the point: the flood must not need the daemon to hold 2,000 sockets.
"$QW_BINARY" run --config "$tmp/queuewatch.yaml" >"$tmp/daemon.log" 2>&1 &
pid=$!
measured() { curl -s --max-time 5 "http://127.0.0.1:$port/metrics" | grep '^queuewatch_target_up{' >/dev/null; }
wait_for "the first health check" 30 measured || fatal "the daemon never measured its target"

python3 "$QW_SOURCE_DIR/tests/scripts/lib/socket_flood.py" "$port" "$idle_sockets" \
  "$slow_sockets" 120 "$tmp/stop" >"$tmp/flood.log" 2>&1 &
flood_pid=$!
flooding() { grep -q "holding" "$tmp/flood.log" 2>/dev/null; }
wait_for "the flood's sockets" 60 flooding || fatal "the flood never got going: $(cat "$tmp/flood.log")"

# At least $scrapes scrapes, and for at least 8 s: the kernel holds silent sockets back for 2 s
# (TCP_DEFER_ACCEPT) before the daemon must deal with them itself; both phases are covered.
ok=0
slowest=0
i=0
flood_start=$SECONDS
while [ "$i" -lt "$scrapes" ] || [ $((SECONDS - flood_start)) -lt 8 ]; do
  i=$((i + 1))
  kill -0 "$flood_pid" 2>/dev/null || fatal "the flood stopped early: $(cat "$tmp/flood.log")"
  out=$(curl -s -o "$tmp/scrape.txt" -w '%{http_code} %{time_total}' --max-time 5 \
    "http://127.0.0.1:$port/metrics")
  code=${out%% *}
  slowest=$(awk -v a="$slowest" -v b="${out##* }" 'BEGIN { print (b > a ? b : a) }')
  if [ "$code" = 200 ] && grep -q '^queuewatch_target_up{' "$tmp/scrape.txt"; then
    ok=$((ok + 1))
  else
    fail "scrape $i during the flood: HTTP '$code' after ${out##* }s"
  fi
done
touch "$tmp/stop"
wait "$flood_pid"
flood_pid=""
grep -q "closed .* idle connection(s) to make room" "$tmp/daemon.log" ||
  fail "the daemon never had to make room: the flood did not fill its connections"
echo "$ok of $i scrapes served during the flood (slowest ${slowest}s); $(cat "$tmp/flood.log")"
kill -0 "$pid" 2>/dev/null || fatal "the daemon died during the flood"

kill -TERM "$pid"
wait "$pid"
pid=""

if [ "$failures" -gt 0 ]; then
  echo "--- daemon log:" >&2
  cat "$tmp/daemon.log" >&2
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "http_flood: all checks passed"
