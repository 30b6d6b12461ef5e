#!/usr/bin/env bash
# bench/backtest-report --quick (issue 9's acceptance instrument) on the shared datasets:
#  - it produces its tables and one acceptance line per target;
#  - the ALERTS.csv it scores holds the backtest's own firing transitions (one injected copy is
#    replayed again here and compared);
#  - the shared scorer was really used: the stalls it reports caught by a `zero` alert equal a
#    count made here from the kept events and ALERTS.csv with the scorer's definition (an alert
#    starting in [onset - 1 h, end]), and there is at least one, for queuewatch and the reference.
# The datasets and the scoring kit live beside the clone (../shared) or in /work/shared; without
# them this test FAILS.
set -uo pipefail

: "${QW_BINARY:?QW_BINARY must point at the queuewatch binary}"
: "${QW_SOURCE_DIR:?QW_SOURCE_DIR must point at the source tree}"

# shellcheck source=tests/scripts/lib/harness.sh
source "$QW_SOURCE_DIR/tests/scripts/lib/harness.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/qw-report-smoke.XXXXXX")
trap 'rm -rf "$work"' EXIT
fatal() {
  echo "FATAL: $*" >&2
  exit 1
}

python3 "$QW_SOURCE_DIR/bench/backtest-report" --quick --binary "$QW_BINARY" --jobs 2 \
  --keep "$work/kept" --json "$work/report.json" >"$work/report.txt" 2>"$work/report.err" ||
  fatal "backtest-report --quick failed: $(cat "$work/report.err")"
cat "$work/report.txt"

for heading in "REAL SERIES" "INJECTED COPIES per series" "INJECTED COPIES per scale" "POOLED, injected copies" \
  "ACCEPTANCE (issue 9"; do
  grep -qF "$heading" "$work/report.txt" || fail "the report has no '$heading' section"
done
for series in nab/art_daily_jumpsdown nab/Twitter_volume_CRM mscloud/purchase-03; do
  [ "$(grep -c "^$series " "$work/report.txt")" = 2 ] || fail "$series is not in both the real and the injected table"
done
[ "$(grep -cE '^  (PASS|FAIL|n/a )  ' "$work/report.txt")" -ge 8 ] || fail "fewer than 8 acceptance lines"

# The scored alerts are the backtest's transitions: replay one injected copy.
copy=$(ls "$work"/kept/inj/nab_Twitter_volume_CRM-x10-s1.csv 2>/dev/null)
[ -n "$copy" ] || fatal "the report kept no injected copy of Twitter_volume_CRM at scale 10"
# With the default thresholds, as the report runs it: no config at all.
"$QW_BINARY" backtest --queue q --series "$copy" >"$work/replay.csv" ||
  fatal "the replay of $copy failed"
python3 - "$work" "$copy" <<'PY' || fail "the scored ALERTS.csv does not hold the backtest's firing transitions"
import csv, glob, sys
work, copy = sys.argv[1], sys.argv[2]
# The scorer's kinds, as the report assigns them: `zero` = no_throughput or a *collapse* rule.
kind = {"no_throughput": "zero", "throughput_collapse": "zero", "below_baseline": "lower"}
want = {(r["time"].replace("T", " ").rstrip("Z"), kind[r["alertname"]])
        for r in csv.DictReader(open(work + "/replay.csv"))
        if r["state"] == "firing" and r["alertname"] in kind}
got = set()
for f in glob.glob(work + "/kept/injected-*-queuewatch.alerts.csv"):
    got |= {(r["start"], r["kind"]) for r in csv.DictReader(open(f)) if r["series"] == copy}
print(f"replayed {copy}: {len(want)} firings, {len(got)} scored alerts")
sys.exit(0 if want and want == got else 1)
PY

# The scorer's count of stalls caught by a zero alert, against one made here.
python3 - "$work" <<'PY' || fail "the report's stall numbers are not the scorer's"
import csv, datetime as dt, glob, json, sys
work = sys.argv[1]
report = json.load(open(work + "/report.json"))
ts = lambda s: dt.datetime.fromisoformat(s.replace("T", " ")[:19])
for det in ("queuewatch", "reference"):
    caught = 0
    for ev_file in glob.glob(work + "/kept/injected-*.events.json"):
        warmup = ev_file.rsplit("-", 1)[1].split(".")[0]
        alerts = {}
        for r in csv.DictReader(open(ev_file.replace(".events.json", f"-{det}.alerts.csv"))):
            if r["kind"] == "zero":
                alerts.setdefault(r["series"], []).append(ts(r["start"]))
        for e in json.load(open(ev_file))["events"]:
            if e["type"] != "stall":
                continue
            first = ts(open(e["series"]).readlines()[1].split(",")[0])
            on, end = ts(e["onset"]), ts(e["end"])
            if end < first + dt.timedelta(days=int(warmup)):
                continue
            if any(on - dt.timedelta(hours=1) <= a <= end and a >= first + dt.timedelta(days=int(warmup))
                   for a in alerts.get(e["series"], [])):
                caught += 1
    scored = report["pooled"][det]["stalls_zero"]
    print(f"{det}: stalls caught by a zero alert: scorer {scored}, counted here {caught}")
    if caught != scored or caught < 1:
        sys.exit(1)
PY

if [ "$failures" -gt 0 ]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "backtest_report_smoke: the report ran and its numbers are the scorer's"
