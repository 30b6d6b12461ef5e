#!/usr/bin/env bash
# The ecosystem files in deploy/ as the tools that load them see them:
#   - the Prometheus rules: promtool check rules, a prometheus.yml with scrape.yml's job and the
#     rules passes promtool check config, and the unit tests in data/queuewatch-rules.test.yml
#     (each alert fires on a broken series and not on a healthy one);
#   - the Alertmanager example: amtool check-config, routing (amtool config routes test), and its
#     inhibit rules in a real Alertmanager (database_unavailable silences that target's queue
#     alerts, not another target's);
#   - the Grafana dashboard: valid JSON, its structure, and every PromQL expression parsed by
#     promtool;
#   - every queuewatch_* metric named in the rules and the dashboard is documented in
#     docs/metrics.md (which another test keeps equal to a live /metrics), so renaming a metric
#     breaks this test instead of silently emptying a panel or disarming an alert.
# Run by ctest with QW_SOURCE_DIR (QW_BINARY is not needed). Tools: scripts/install-deps.
# shellcheck disable=SC2016  # jq filters, sed scripts and PromQL in single quotes are literal on purpose
set -uo pipefail

: "${QW_SOURCE_DIR:?set QW_SOURCE_DIR to the source tree}"

rules="$QW_SOURCE_DIR/deploy/prometheus/queuewatch-rules.yml"
scrape="$QW_SOURCE_DIR/deploy/prometheus/scrape.yml"
rules_test="$QW_SOURCE_DIR/tests/scripts/data/queuewatch-rules.test.yml"
am_config="$QW_SOURCE_DIR/deploy/alertmanager/alertmanager.yml"
dashboard="$QW_SOURCE_DIR/deploy/grafana/queuewatch-dashboard.json"
metrics_doc="$QW_SOURCE_DIR/docs/metrics.md"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/qw-deploy.XXXXXX")
am_pid=""

cleanup() {
  if [ -n "$am_pid" ] && kill -0 "$am_pid" 2>/dev/null; then
    kill "$am_pid" 2>/dev/null
    wait "$am_pid" 2>/dev/null
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# shellcheck source=tests/scripts/lib/harness.sh
source "$QW_SOURCE_DIR/tests/scripts/lib/harness.sh"

# check DESCRIPTION COMMAND...: runs COMMAND; on failure reports it with its output.
check() {
  local what="$1" out
  shift
  if ! out=$("$@" 2>&1); then
    fail "$what: \`$*\` failed:"$'\n'"$out"
    return 1
  fi
}

am_bin=$(command -v prometheus-alertmanager || command -v alertmanager)
for tool in promtool amtool jq python3 curl "${am_bin:-prometheus-alertmanager}"; do
  command -v "$tool" >/dev/null || {
    echo "FAIL: $tool not found (scripts/install-deps installs it)" >&2
    exit 1
  }
done

# --- Prometheus -----------------------------------------------------------------------------

check "rules file" promtool check rules "$rules"

# The rules say up{job="queuewatch"}: that is scrape.yml's job name, or QueuewatchDown would
# fire (absent) on every working setup.
grep -Eq '^[[:space:]]*-[[:space:]]*job_name:[[:space:]]*"?queuewatch"?[[:space:]]*$' "$scrape" ||
  fail "scrape.yml's job is not named queuewatch, which the rules' up{job=\"queuewatch\"} expects"

# A prometheus.yml as the README tells operators to assemble it: scrape.yml's job plus the rules.
{
  printf 'rule_files:\n  - %s\n' "$rules"
  printf 'alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ["127.0.0.1:9093"]\n'
  cat "$scrape"
} >"$tmp/prometheus.yml"
check "prometheus.yml with scrape.yml and the rules" promtool check config "$tmp/prometheus.yml"

check "rule unit tests ($rules_test)" promtool test rules "$rules_test"

# --- Alertmanager ---------------------------------------------------------------------------

# route_to RECEIVER LABEL=VALUE...: the alert with these labels goes to RECEIVER (and only it).
route_to() {
  local want="$1"
  shift
  check "routing of {$*} to $want" \
    amtool config routes test --config.file="$am_config" --verify.receivers="$want" "$@"
}

# wait_for SECONDS COMMAND...: polls COMMAND every 0.2 s for at most SECONDS, while Alertmanager
# runs.
wait_for() {
  local tries=$(($1 * 5)) i
  shift
  for ((i = 0; i < tries; i++)); do
    "$@" && return 0
    kill -0 "$am_pid" 2>/dev/null || return 1
    sleep 0.2
  done
  return 1
}

am_ready() { curl -fs -o /dev/null "$am_url/-/ready" 2>/dev/null; }
am_states() {  # one line per alert: alertname target state
  curl -fsS "$am_url/api/v2/alerts" |
    jq -r '.[] | "\(.labels.alertname) \(.labels.target) \(.status.state)"' | sort
}
states_are() { [ "$(am_states 2>/dev/null)" = "$1" ]; }
alert_json() {  # alert_json ALERTNAME SEVERITY TARGET [QUEUE]: one alert as queuewatch posts it
  printf '{"labels": {"alertname": "%s", "severity": "%s", "target": "%s", "source": "jobs"%s}}' \
    "$1" "$2" "$3" "${4:+, \"queue\": \"$4\"}"
}

# Inhibition in a real Alertmanager: the alerts queuewatch would push while the primary is down,
# plus a queue alert on another target that must NOT be silenced.
alertmanager_inhibits() {
  local payload expected
  am_port=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()')
  am_url="http://127.0.0.1:$am_port"
  # --cluster.listen-address= : no gossip port, so parallel runs do not collide.
  "$am_bin" --config.file="$am_config" --storage.path="$tmp/alertmanager" \
    --web.listen-address="127.0.0.1:$am_port" --cluster.listen-address= \
    >"$tmp/alertmanager.log" 2>&1 &
  am_pid=$!
  if ! wait_for 30 am_ready; then
    fail "Alertmanager did not become ready; its log:"$'\n'"$(cat "$tmp/alertmanager.log")"
    return
  fi
  payload="[$(alert_json database_unavailable critical primary),
    $(alert_json no_throughput critical primary mailers),
    $(alert_json cannot_measure warning primary mailers),
    $(alert_json QueuewatchProbeFailing warning primary),
    $(alert_json no_throughput critical replica mailers)]"
  check "posting alerts to Alertmanager" curl -fsS -X POST -H 'Content-Type: application/json' \
    --data "$payload" "$am_url/api/v2/alerts" || return
  expected='QueuewatchProbeFailing primary suppressed
cannot_measure primary suppressed
database_unavailable primary active
no_throughput primary suppressed
no_throughput replica active'
  # Inhibition is computed as alerts arrive: poll until the states are the expected ones.
  wait_for 20 states_are "$expected" ||
    fail "Alertmanager inhibition: want (alertname target state)"$'\n'"$expected"$'\n'"got"$'\n'"$(am_states)"
}

# Routing and inhibition only make sense on a config Alertmanager loads.
if check "alertmanager.yml" amtool check-config "$am_config"; then
  route_to pagerduty alertname=no_throughput severity=critical target=primary queue=mailers
  route_to pagerduty alertname=QueuewatchDown severity=critical job=queuewatch
  route_to default-webhook alertname=queue_latency severity=warning target=primary queue=mailers
  route_to default-webhook alertname=QueuewatchProbeFailing severity=warning target=primary
  route_to deadmans-switch alertname=Watchdog severity=none
  alertmanager_inhibits
fi

# --- Grafana dashboard ----------------------------------------------------------------------

if ! jq -e . "$dashboard" >/dev/null 2>"$tmp/jq.err"; then
  fail "dashboard is not valid JSON: $(cat "$tmp/jq.err")"
else
  # jq_check DESCRIPTION FILTER: FILTER must yield true on the dashboard.
  jq_check() {
    jq -e "$2" "$dashboard" >/dev/null || fail "dashboard: $1 (jq: $2)"
  }
  jq_check "schemaVersion 36 or later" '.schemaVersion >= 36'
  jq_check "a Prometheus datasource variable" \
    'any(.templating.list[]; .name == "datasource" and .type == "datasource" and .query == "prometheus")'
  for v in target source queue; do
    jq_check "a $v variable from label_values" \
      "any(.templating.list[]; .name == \"$v\" and (.query | test(\"^label_values\\\\(\")))"
  done
  jq_check "panel ids unique" '[.. | objects | select(has("gridPos")) | .id] | length == (unique | length)'
  jq_check "every query uses the datasource variable" \
    '[.. | objects | select(has("expr")) | .datasource.uid] | length > 0 and all(. == "${datasource}")'
  for row in Databases Queues Alerts "queuewatch itself"; do
    jq_check "a \"$row\" row" "any(.panels[]; .type == \"row\" and .title == \"$row\")"
  done

  # Every expression parses as PromQL: promtool checks them as recording rules, with Grafana's
  # $__rate_interval (not PromQL) replaced by a duration.
  {
    echo 'groups:'
    echo '  - name: dashboard'
    echo '    rules:'
    jq -r '.. | objects | select(has("expr")) | .expr' "$dashboard" |
      sed 's/\$__rate_interval/5m/g' |
      jq -Rr '"      - record: dashboard_expr\n        expr: \(. | tojson)"'
  } >"$tmp/dashboard-exprs.yml"
  check "dashboard PromQL" promtool check rules "$tmp/dashboard-exprs.yml"
fi

# --- Metric names ---------------------------------------------------------------------------

# Documented metrics; a histogram also exports NAME_bucket, NAME_sum and NAME_count.
documented="$tmp/documented"
sed -nE 's/^\| `(queuewatch_[a-z_]+)` \| ([a-z]+) \|.*/\1 \2/p' "$metrics_doc" |
  while read -r name type; do
    echo "$name"
    [ "$type" = histogram ] && printf '%s\n' "${name}_bucket" "${name}_sum" "${name}_count"
  done | sort -u >"$documented"
[ "$(wc -l <"$documented")" -ge 20 ] ||
  fail "could not read the metric table of docs/metrics.md (found $(wc -l <"$documented") names)"

# check_names FILE TEXT: every queuewatch_* metric name in TEXT is documented. Recording-rule names
# (level:metric:operations, with colons) are not exported metrics and are checked separately.
check_names() {
  local file="$1" name
  grep -oE '[A-Za-z0-9_:]+' <<<"$2" | grep -E '^queuewatch_' | grep -v ':' | sort -u |
    while read -r name; do
      grep -qxF "$name" "$documented" || echo "$name"
    done >"$tmp/unknown"
  [ -s "$tmp/unknown" ] &&
    fail "$file names metrics that docs/metrics.md does not document: $(tr '\n' ' ' <"$tmp/unknown")"
}

# The rules: expressions and annotations alike (an annotation that points the on-call at a
# metric that does not exist is a broken runbook). Comment lines are prose; group names are names.
check_names deploy/prometheus/queuewatch-rules.yml \
  "$(grep -Ev '^[[:space:]]*(#|-?[[:space:]]*name:)' "$rules")"
# The dashboard: every string (expressions, variable queries, panel descriptions).
check_names deploy/grafana/queuewatch-dashboard.json "$(jq -r '.. | strings' "$dashboard" 2>/dev/null)"

# Recording-rule names the dashboard uses must be recorded by the rules file.
recorded=$(sed -nE 's/^[[:space:]]*-?[[:space:]]*record:[[:space:]]*([^[:space:]]+).*/\1/p' "$rules")
for name in $(jq -r '.. | strings' "$dashboard" 2>/dev/null | grep -oE '[A-Za-z0-9_:]*:queuewatch_[A-Za-z0-9_:]+' | sort -u); do
  grep -qxF "$name" <<<"$recorded" ||
    fail "the dashboard uses recording rule $name, which queuewatch-rules.yml does not record"
done

if [ "$failures" -ne 0 ]; then
  echo "deploy_files: $failures failure(s)" >&2
  exit 1
fi
echo "deploy_files: ok"
