#!/usr/bin/env bash
# The provider_status probe end to end, against a local feed server (tests/scripts/lib/
# feed_server.py: the fixtures of tests/fixtures/provider_status, never the internet). One daemon
# watches eight providers, one per case, and /metrics must say for each what an operator needs:
#   a. a Statuspage summary, filtered by components: up, its open incidents by impact;
#   b. an RSS feed (Azure's form) and an Atom feed: up, incidents with impact "unknown";
#   c. a malformed feed, a response slower than the timeout, a 500, a body over max_bytes and a
#      port nobody listens on: up 0 and the failure counted under its own reason;
#   d. the second round (interval 1m, the minimum) sends If-None-Match, gets a 304 and keeps
#      the incidents; a feed that turns malformed keeps its last known incidents with up 0.
# No PostgreSQL: the probe never touches a database.
set -uo pipefail

: "${QW_BINARY:?set QW_BINARY to the queuewatch binary}"
: "${QW_SOURCE_DIR:?set QW_SOURCE_DIR to the source tree}"

# shellcheck source=scripts/lib/pg.sh
source "$QW_SOURCE_DIR/scripts/lib/pg.sh"
# shellcheck source=tests/scripts/lib/harness.sh
source "$QW_SOURCE_DIR/tests/scripts/lib/harness.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/qw-provider.XXXXXX")
pid=""
feed_pid=""
feed_port=$(pg_free_port)
http_port=$(pg_free_port)
dead_port=$(pg_free_port)  # nothing listens here: the "connect" case

cleanup() {
  stop_processes "$pid" "$feed_pid"
  rm -rf "$tmp"
}
trap cleanup EXIT

dump_logs() {
  echo "--- daemon log:" >&2
  tail -n 80 "$tmp/daemon.log" >&2
  echo "--- feed server requests:" >&2
  cat "$tmp/feed.jsonl" >&2
  echo "--- provider series:" >&2
  metrics | grep '^queuewatch_provider' >&2
}
fatal() {
  echo "FATAL: $*" >&2
  dump_logs
  exit 1
}

metrics() { curl -s --max-time 5 "http://127.0.0.1:$http_port/metrics"; }
# value NAME LABEL=VALUE...: the value of the series of NAME with these labels (any order).
value() {
  local name="$1"
  shift
  metrics | awk -v name="$name" -v want="$*" '
    index($0, name "{") == 1 {
      n = split(want, w, " "); ok = 1
      for (i = 1; i <= n; i++) {
        split(w[i], kv, "="); if (index($0, kv[1] "=\"" kv[2] "\"") == 0) ok = 0
      }
      if (ok) { print $NF; exit }
    }'
}
# is NAME LABELS... EXPECTED: the series exists and has this value.
is() {
  local expected="${*: -1}"
  local got
  got=$(value "${@:1:$#-1}")
  [ -n "$got" ] && awk -v a="$got" -v b="$expected" 'BEGIN { exit !(a + 0 == b + 0) }'
}
# check DESCRIPTION NAME LABELS... EXPECTED
check() {
  local what="$1"
  shift
  is "$@" || fail "$what: expected ${*: -1}, got '$(value "${@:1:$#-1}")' for $*"
}

# --- the feed server ---------------------------------------------------------------------------
: >"$tmp/feed.jsonl"
python3 "$QW_SOURCE_DIR/tests/scripts/lib/feed_server.py" "$feed_port" \
  --fixtures "$QW_SOURCE_DIR/tests/fixtures/provider_status" --log "$tmp/feed.jsonl" \
  --slow 4 --big 1048576 >"$tmp/feed.out" 2>&1 &
feed_pid=$!
feed_up() { curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$feed_port/status500"; }
for ((i = 0; i < 50; i++)); do feed_up && break; sleep 0.1; done
feed_up || fatal "the feed server did not start"
: >"$tmp/feed.jsonl"

feed="http://127.0.0.1:$feed_port"
cat >"$tmp/queuewatch.yaml" <<YAML
http:
  listen: "127.0.0.1:$http_port"
state_dir: "$tmp/state"
log_level: debug
probes:
  postgres_health: {interval: 1s, query_timeout: 2s, max_backoff: 2s}
providers:
  - {name: cloud, kind: statuspage, url: "$feed/summary.json", components: [SQL Database],
     interval: 1m, timeout: 3s}
  - {name: azure, kind: rss, url: "$feed/azure.xml", interval: 1m, timeout: 3s, max_age: 2d}
  - {name: atomic, kind: atom, url: "$feed/atom.xml", interval: 1m, timeout: 3s, max_age: 2d}
  - {name: broken, kind: rss, url: "$feed/malformed.xml", interval: 1m, timeout: 3s}
  - {name: slow, kind: statuspage, url: "$feed/slow", interval: 1m, timeout: 1s}
  - {name: erring, kind: statuspage, url: "$feed/status500", interval: 1m, timeout: 3s}
  - {name: huge, kind: statuspage, url: "$feed/big", interval: 1m, timeout: 3s, max_bytes: 4096}
  - {name: gone, kind: statuspage, url: "http://127.0.0.1:$dead_port/summary.json",
     interval: 1m, timeout: 3s}
targets:
  - name: primary-db
    dsn: "host=127.0.0.1 port=$dead_port dbname=app user=queuewatch connect_timeout=2"
    provider: azure
    provider_components: [SQL Database, West Europe]
YAML

"$QW_BINARY" run --config "$tmp/queuewatch.yaml" >"$tmp/daemon.log" 2>&1 &
pid=$!
ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$http_port/-/ready")" = 200 ]; }
wait_for "/-/ready" 30 ready || fatal "/-/ready never answered 200 within 30 s"

# --- a, b, c: the first round of every provider ---------------------------------------------------
first_round() {
  local p
  for p in cloud azure atomic broken slow erring huge gone; do
    [ -n "$(value queuewatch_provider_up provider=$p)" ] || return 1
  done
}
wait_for "every provider's first round" 20 first_round ||
  fatal "not every provider published queuewatch_provider_up within 20 s"

# a. components [SQL Database]: the SQL incident (major) counts, the Storage one (minor) does not.
check "cloud up" queuewatch_provider_up provider=cloud 1
check "cloud major" queuewatch_provider_incidents provider=cloud impact=major 1
check "cloud minor (filtered out)" queuewatch_provider_incidents provider=cloud impact=minor 0
[ -n "$(value queuewatch_provider_last_success_timestamp_seconds provider=cloud)" ] ||
  fail "cloud has no last success timestamp"
# b. RSS: two open items (the "[RESOLVED]" one is not); Atom: the fixture's two entries.
check "azure up" queuewatch_provider_up provider=azure 1
check "azure incidents" queuewatch_provider_incidents provider=azure impact=unknown 2
check "atom up" queuewatch_provider_up provider=atomic 1
check "atom incidents" queuewatch_provider_incidents provider=atomic impact=unknown 2
# c. each failure under its own reason; never read, so no incident count at all.
for case in broken:malformed slow:timeout erring:http_status huge:too_large gone:connect; do
  p=${case%%:*}
  reason=${case#*:}
  check "$p up" queuewatch_provider_up provider=$p 0
  check "$p $reason" queuewatch_provider_fetch_failures_total provider=$p reason=$reason 1
  [ -z "$(value queuewatch_provider_incidents provider=$p impact=unknown)" ] ||
    fail "$p was never read, yet has an incident count"
done
check "malformed is not a timeout" queuewatch_provider_fetch_failures_total provider=broken \
  reason=timeout 0

# --- d. the second round: a 304 keeps the incidents; a failed round keeps the last known ones ----
curl -s -o /dev/null --max-time 2 "$feed/control?path=/azure.xml&file=malformed.xml" ||
  fatal "cannot switch azure's feed to the malformed document"
conditional_304() {
  jq -e -s 'any(.[]; .path == "/summary.json" and .status == 304 and .if_none_match != null)' \
    "$tmp/feed.jsonl" >/dev/null 2>&1
}
wait_for "the second round's 304" 90 conditional_304 ||
  fail "the second request for /summary.json was not a conditional one answered 304"
second_round() {
  is queuewatch_provider_fetches_total provider=cloud result=not_modified 1 &&
    is queuewatch_provider_fetch_failures_total provider=azure reason=malformed 1
}
wait_for "the second round's metrics" 20 second_round ||
  fail "no not_modified fetch for cloud or no malformed round for azure after the second round"
check "cloud up after 304" queuewatch_provider_up provider=cloud 1
check "cloud major kept by 304" queuewatch_provider_incidents provider=cloud impact=major 1
check "azure down once malformed" queuewatch_provider_up provider=azure 0
check "azure keeps its last incidents" queuewatch_provider_incidents provider=azure impact=unknown 2
jq -e -s 'any(.[]; .path == "/summary.json" and .if_modified_since != null)' "$tmp/feed.jsonl" \
  >/dev/null || fail "the conditional request carried no If-Modified-Since"

[ "$failures" -eq 0 ] || { dump_logs; exit 1; }
echo "provider_status: all checks passed"
