#!/usr/bin/env bash
# provider_incident and the quote in database_unavailable, end to end: the daemon polls a local
# feed server (tests/scripts/lib/feed_server.py, the fixtures of tests/fixtures/provider_status,
# never the internet) and pages a real webhook receiver (scripts/lib/webhook_receiver.py).
#   a. a Statuspage feed with an open incident: a provider_incident alert per incident arrives,
#      with the incident's title and link (two providers serve the same summary: cloud, without
#      a components filter, and flaky, with one); /metrics counts flaky's incidents under each
#      configured term they match (the component label) and cloud's without that label, and
#      promtool check metrics accepts the scrape;
#   b. a target on a port nobody listens on, linked to `cloud` with provider_components that the
#      SQL incident matches (added by a reload once the feed was read, so the page's first
#      notice can quote it): its database_unavailable summary quotes the provider's incident;
#      a target without a provider is not quoted;
#   c. cloud's feed drops the SQL incident (resolved): its alert resolves, the other stays;
#      flaky's feed turns into a 500: its alerts keep firing (an unreadable feed is not news) and
#      its incident series keep their last known counts;
#   d. the same change posts a new incident (Compute – North Europe): north-db, down and paged
#      before it, is paged again (a repeat) with the provider's words.
# No PostgreSQL: nothing listens on the targets' port. Interval 1m (the minimum): ~80 s.
set -uo pipefail

: "${QW_BINARY:?set QW_BINARY to the queuewatch binary}"
: "${QW_SOURCE_DIR:?set QW_SOURCE_DIR to the source tree}"

# shellcheck source=scripts/lib/pg.sh
source "$QW_SOURCE_DIR/scripts/lib/pg.sh"
# shellcheck source=tests/scripts/lib/harness.sh
source "$QW_SOURCE_DIR/tests/scripts/lib/harness.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/qw-provider-incident.XXXXXX")
pid=""
feed_pid=""
receiver_pid=""
feed_port=$(pg_free_port)
http_port=$(pg_free_port)
dead_port=$(pg_free_port)  # nothing listens here: the targets are down

cleanup() {
  stop_processes "$pid" "$feed_pid" "$receiver_pid"
  rm -rf "$tmp"
}
trap cleanup EXIT

dump_logs() {
  echo "--- daemon log:" >&2
  tail -n 60 "$tmp/daemon.log" >&2
  echo "--- feed server requests:" >&2
  cat "$tmp/feed.jsonl" >&2
  echo "--- webhook payloads (alert, status, labels, summary):" >&2
  jq -c '.alerts[] | [.labels.alertname, .status, .labels.provider // .labels.target,
                      .labels.incident, .annotations.summary]' "$tmp/hooks.jsonl" >&2
}
fatal() {
  echo "FATAL: $*" >&2
  dump_logs
  exit 1
}

metrics() { curl -s --max-time 5 "http://127.0.0.1:$http_port/metrics"; }
# metric SERIES: the value of one series written exactly as /metrics prints it (labels sorted).
metric() { metrics | awk -v s="$1" 'index($0, s " ") == 1 { print $NF; exit }'; }

# alerts STATUS ALERTNAME KEY VALUE [INCIDENT]: the alerts of the logged payloads with this
# status, alertname and label KEY=VALUE (and incident label), one JSON object per line.
alerts() {
  jq -c --arg s "$1" --arg a "$2" --arg k "$3" --arg v "$4" --arg i "${5:-}" \
    '.alerts[] | select(.status == $s and .labels.alertname == $a and .labels[$k] == $v
                        and ($i == "" or .labels.incident == $i))' "$tmp/hooks.jsonl" 2>/dev/null
}
has_alert() { [ -n "$(alerts "$@" | head -n 1)" ]; }

# --- the feed server and the receiver -------------------------------------------------------------
: >"$tmp/feed.jsonl"
python3 "$QW_SOURCE_DIR/tests/scripts/lib/feed_server.py" "$feed_port" \
  --fixtures "$QW_SOURCE_DIR/tests/fixtures/provider_status" --log "$tmp/feed.jsonl" \
  >"$tmp/feed.out" 2>&1 &
feed_pid=$!
feed="http://127.0.0.1:$feed_port"
feed_up() { curl -s -o /dev/null --max-time 2 "$feed/status500"; }
for ((i = 0; i < 50; i++)); do feed_up && break; sleep 0.1; done
feed_up || fatal "the feed server did not start"
control() { curl -s -o /dev/null --max-time 2 "$feed/control?$1" || fatal "feed control $1 failed"; }
control "path=/flaky.json&file=statuspage_summary.json"  # a second provider, same summary

start_webhook_receiver  # sets hook_port and receiver_pid
: >"$tmp/feed.jsonl"

# write_config [TARGET...]: the daemon's config, with these extra targets (YAML flow mappings).
write_config() {
  {
    cat <<YAML
http:
  listen: "127.0.0.1:$http_port"
state_dir: "$tmp/state"
log_level: info
probes:
  postgres_health: {interval: 1s, query_timeout: 2s, max_backoff: 2s}
providers:
  - {name: cloud, kind: statuspage, url: "$feed/summary.json", interval: 1m, timeout: 3s}
  - {name: flaky, kind: statuspage, url: "$feed/flaky.json", interval: 1m, timeout: 3s,
     components: [West Europe, SQL Database, Storage, North Europe]}
targets:
  - {name: other-db, dsn: "host=127.0.0.1 port=$dead_port dbname=app user=qw connect_timeout=2"}
YAML
    for t in "$@"; do echo "  - $t"; done
    cat <<YAML
rules:
  timezone: UTC
  evaluation_interval: 1s
  database_unavailable: {for: 2s}
alerting:
  default_receiver: hook
  repeat_interval: 24h
  receivers:
    - {name: hook, type: webhook, url: "http://127.0.0.1:$hook_port/alerts", timeout: 5s}
YAML
  } >"$tmp/queuewatch.yaml"
}
write_config

"$QW_BINARY" run --config "$tmp/queuewatch.yaml" >"$tmp/daemon.log" 2>&1 &
pid=$!
ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$http_port/-/ready")" = 200 ]; }
wait_for "/-/ready" 30 ready || fatal "/-/ready never answered 200 within 30 s"

# --- a. an open incident pages, with its title and link ------------------------------------------
incidents_paged() {
  has_alert firing provider_incident provider cloud inc0sqlweu01 &&
    has_alert firing provider_incident provider cloud inc0stoeus01 &&
    has_alert firing provider_incident provider flaky inc0sqlweu01
}
wait_for "the provider_incident pages" 30 incidents_paged ||
  fatal "no firing provider_incident for each open incident of cloud and flaky within 30 s"
sql=$(alerts firing provider_incident provider cloud inc0sqlweu01 | head -n 1)
[ "$(jq -r '.annotations.title' <<<"$sql")" = "SQL Database – West Europe – degraded" ] ||
  fail "the alert's title annotation is '$(jq -r '.annotations.title' <<<"$sql")'"
[ "$(jq -r '.annotations.link' <<<"$sql")" = "http://stspg.io/qwsql01" ] ||
  fail "the alert's link annotation is '$(jq -r '.annotations.link' <<<"$sql")'"
[ "$(jq -r '.annotations.impact' <<<"$sql")" = major ] || fail "impact is not major: $sql"
[ "$(jq -r '.labels.severity' <<<"$sql")" = warning ] || fail "severity is not warning: $sql"
jq -e '.annotations.summary | contains("SQL Database – West Europe – degraded")' <<<"$sql" \
  >/dev/null || fail "the summary does not carry the title: $sql"

# The incident series of both: flaky's by the configured term each incident matched (the SQL
# incident is in the West Europe group: it counts under both terms; nothing is in North Europe:
# 0), never a name from the feed ("East US"); cloud has no filter and no component label.
flaky_counts=(
  'component="West Europe",impact="major",provider="flaky"} 1'
  'component="SQL Database",impact="major",provider="flaky"} 1'
  'component="Storage",impact="minor",provider="flaky"} 1'
  'component="Storage",impact="major",provider="flaky"} 0'
  'component="North Europe",impact="major",provider="flaky"} 0'
  'component="North Europe",impact="minor",provider="flaky"} 0'
)
# has_series LINE...: each `queuewatch_provider_incidents{LINE` is in the scrape saved in $1.
has_series() {
  local file="$1" line
  shift
  for line in "$@"; do grep -qxF "queuewatch_provider_incidents{$line" "$file" || return 1; done
}
scraped_counts() { metrics >"$tmp/metrics.txt" && has_series "$tmp/metrics.txt" "${flaky_counts[@]}"; }
wait_for "flaky's incidents by component" 20 scraped_counts ||
  fail "flaky's incidents by component are not as configured:"$'\n'"$(grep '^queuewatch_provider_incidents' "$tmp/metrics.txt")"
components=$(grep -oP '^queuewatch_provider_incidents\{component="\K[^"]*' "$tmp/metrics.txt" | sort | uniq -c |
  awk '{ $1 = $1 } 1')
want_components=$'6 North Europe\n6 SQL Database\n6 Storage\n6 West Europe'
[ "$components" = "$want_components" ] ||
  fail "component values (series each) are '$components', want only flaky's four terms with 6 impacts each"
has_series "$tmp/metrics.txt" 'impact="major",provider="cloud"} 1' 'impact="minor",provider="cloud"} 1' ||
  fail "cloud (no filter) has no incident series without a component label"
grep '^queuewatch_provider_incidents{' "$tmp/metrics.txt" | grep 'provider="cloud"' | grep -q 'component=' &&
  fail "cloud has no components filter, yet a series with a component label"
promtool_check_metrics "$tmp/metrics.txt"

# --- b. a linked target that is down quotes the provider ----------------------------------------
wait_for "other-db's page" 20 has_alert firing database_unavailable target other-db ||
  fatal "database_unavailable for other-db (port $dead_port) never arrived"
alerts firing database_unavailable target other-db | jq -e '.annotations.summary |
  contains("provider reports") | not' >/dev/null ||
  fail "other-db names no provider, yet its page quotes one"

down_dsn="host=127.0.0.1 port=$dead_port dbname=app user=qw connect_timeout=2"
write_config "{name: primary-db, dsn: \"$down_dsn\", provider: cloud, provider_components: [SQL Database, West Europe]}" \
  "{name: north-db, dsn: \"$down_dsn\", provider: cloud, provider_components: [Compute, North Europe]}"
kill -HUP "$pid"
wait_for "primary-db's page" 30 has_alert firing database_unavailable target primary-db ||
  fatal "database_unavailable for primary-db never arrived after the reload"
page=$(alerts firing database_unavailable target primary-db | head -n 1)
want="primary-db (127.0.0.1:$dead_port): connection refused; provider reports 'SQL Database – West Europe – degraded' since 07:10 UTC"
[ "$(jq -r '.annotations.summary' <<<"$page")" = "$want" ] ||
  fail "primary-db's summary is '$(jq -r '.annotations.summary' <<<"$page")', want '$want'"
[ "$(jq -r '.annotations.provider_incident_link' <<<"$page")" = "http://stspg.io/qwsql01" ] ||
  fail "primary-db's page has no provider_incident_link: $page"
wait_for "north-db's page" 30 has_alert firing database_unavailable target north-db ||
  fatal "database_unavailable for north-db never arrived after the reload"
alerts firing database_unavailable target north-db | jq -e '.annotations.summary |
  contains("provider reports") | not' >/dev/null ||
  fail "north-db's first page quotes an incident that its provider has not posted yet"

# --- c. resolved on the feed: resolves; a 500: keeps firing -------------------------------------
control "path=/summary.json&file=statuspage_sql_resolved.json"
control "path=/flaky.json&status=500"
wait_for "cloud's SQL incident to resolve" 90 \
  has_alert resolved provider_incident provider cloud inc0sqlweu01 ||
  fatal "provider_incident for cloud's SQL incident did not resolve within 90 s of the change"
flaky_failed() {
  [ "$(metric 'queuewatch_provider_fetch_failures_total{provider="flaky",reason="http_status"}')" = 1 ]
}
wait_for "flaky's 500" 30 flaky_failed || fatal "flaky's feed was not read as a 500"
evaluations() { metric queuewatch_rule_evaluation_duration_seconds_count; }
seen=$(evaluations)
evaluated_since() { [ "$(evaluations)" -ge $((seen + 3)) ] 2>/dev/null; }
wait_for "three evaluations after flaky's 500" 20 evaluated_since ||
  fatal "the rules did not evaluate three times in 20 s"
has_alert resolved provider_incident provider flaky &&
  fail "a feed that answered 500 resolved its incidents"
has_alert resolved provider_incident provider cloud inc0stoeus01 &&
  fail "cloud's Storage incident is still open, yet resolved"
metrics >"$tmp/metrics.txt"
has_series "$tmp/metrics.txt" "${flaky_counts[@]}" ||
  fail "flaky's feed answered 500 and its incident series lost their last known counts:"$'\n'"$(grep '^queuewatch_provider_incidents' "$tmp/metrics.txt")"
firing=$(metric 'queuewatch_alerts{alertname="provider_incident",severity="warning",state="firing"}')
[ "$firing" = 4 ] ||
  fail "$firing provider_incident alerts firing, want 4 (flaky's two, cloud's Storage and Compute)"

# --- d. the provider speaks after the page went out: the page is sent again with its words ------
north_quoted() {
  alerts firing database_unavailable target north-db | jq -e 'select(.annotations.summary |
    contains("; provider reports '"'"'Compute – North Europe – degraded'"'"' since 08:00 UTC"))' \
    >/dev/null
}
wait_for "north-db's page quoting the new incident" 20 north_quoted ||
  fail "north-db was not paged again with cloud's new Compute – North Europe incident"

[ "$failures" -eq 0 ] || { dump_logs; exit 1; }
echo "provider_incident: all checks passed"
