#!/usr/bin/env bash
# bench/nab-validation-datasets assembles a datasets directory that bench/backtest-report reads:
# from a NAB work tree and from a bare git directory (what `fetch` gives), every series it names
# lands under OUT/nab with its bytes unchanged, with NAB's combined windows as
# labelled_windows.json; a NAB tree missing a series is an error, not a silently smaller set.
# The NAB here is made up (the shared tweet series under NAB's paths): no network in tests.
set -uo pipefail

: "${QW_SOURCE_DIR:?QW_SOURCE_DIR must point at the source tree}"

# shellcheck source=tests/scripts/lib/harness.sh
source "$QW_SOURCE_DIR/tests/scripts/lib/harness.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/qw-nab-validation.XXXXXX")
trap 'rm -rf "$work"' EXIT
fatal() {
  echo "FATAL: $*" >&2
  exit 1
}

tool="$QW_SOURCE_DIR/bench/nab-validation-datasets"
series="realTweets/Twitter_volume_AAPL realTweets/Twitter_volume_AMZN realTweets/Twitter_volume_FB
  realTweets/Twitter_volume_GOOG realTweets/Twitter_volume_KO realKnownCause/nyc_taxi
  realAWSCloudwatch/ec2_network_in_257a54 realAWSCloudwatch/ec2_network_in_5abac7"
nab="$work/NAB"
mkdir -p "$nab/labels"
i=0
for s in $series; do
  mkdir -p "$nab/data/$(dirname "$s")"
  printf 'timestamp,value\n2015-01-01 00:00:00,%d\n2015-01-01 00:05:00,7\n' "$i" >"$nab/data/$s.csv"
  i=$((i + 1))
done
echo '{"realTweets/Twitter_volume_KO.csv": [["2015-01-01 00:00:00.000000", "2015-01-01 01:00:00.000000"]]}' \
  >"$nab/labels/combined_windows.json"

check_out() {  # check_out DIR HOW
  local out="$1" how="$2" s
  for s in $series; do
    cmp -s "$nab/data/$s.csv" "$out/nab/$(basename "$s").csv" ||
      fail "$how: $(basename "$s").csv is missing or changed"
  done
  cmp -s "$nab/labels/combined_windows.json" "$out/nab/labelled_windows.json" ||
    fail "$how: labelled_windows.json is not NAB's combined windows"
  [ "$(find "$out/nab" -name '*.csv' | wc -l)" = 8 ] || fail "$how: not exactly the 8 series"
}

python3 "$tool" "$nab" "$work/from-tree" >"$work/tree.log" 2>&1 || fatal "from a work tree: $(cat "$work/tree.log")"
check_out "$work/from-tree" "work tree"

if ! { git -C "$nab" init -q && git -C "$nab" add -A &&
  git -C "$nab" -c user.name=t -c user.email=t@t commit -qm nab; }; then
  fatal "git commit failed"
fi
git clone -q --bare "$nab" "$work/NAB.git" || fatal "git clone --bare failed"
python3 "$tool" "$work/NAB.git" "$work/from-git" >"$work/git.log" 2>&1 || fatal "from a bare git directory: $(cat "$work/git.log")"
check_out "$work/from-git" "bare git"

rm "$nab/data/realKnownCause/nyc_taxi.csv"
if python3 "$tool" "$nab" "$work/short" >"$work/short.log" 2>&1; then
  fail "a NAB without nyc_taxi was assembled without an error"
fi
grep -q "has no data/realKnownCause/nyc_taxi.csv" "$work/short.log" ||
  fail "the error does not name the missing series: $(cat "$work/short.log")"
grep -q Traceback "$work/short.log" && fail "the error is a Python traceback: $(cat "$work/short.log")"

[ "$failures" -eq 0 ] || exit 1
echo "PASS: nab-validation-datasets"
