#!/usr/bin/env bash
# A new probes::Sample type must not vanish in a consumer that never heard of it. Every consumer
# reads samples through probes::visit_sample (probes/sample_visit.hpp), which must refuse to
# compile a visitor that lacks an arm for one alternative, or that has a catch-all arm. This
# compiles such visitors and expects the compiler to refuse them (and to accept a complete one,
# so a broken include path cannot pass for a refusal). It also checks that production code has
# no std::get_if on a probes type: a get_if chain is how a type used to be dropped.
# Run by ctest with QW_SOURCE_DIR.
set -uo pipefail
: "${QW_SOURCE_DIR:?set QW_SOURCE_DIR to the source tree}"
cxx=${CXX:-g++}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0

compile() {  # compile NAME BODY: 0 when the snippet compiles
  cat >"$work/$1.cpp" <<EOF
#include "probes/sample_visit.hpp"
using namespace qw::probes;
int main() {
  const Sample sample = TargetHealthSample{};
  $2
}
EOF
  "$cxx" -std=c++20 -fsyntax-only -I "$QW_SOURCE_DIR" "$work/$1.cpp" >"$work/$1.log" 2>&1
}

complete='return visit_sample(sample, qw::overloaded{
    [](const TargetHealthSample&) { return 0; },
    [](const QueueProbeSample&) { return 1; },
    [](const QueueHistorySample&) { return 2; },
    [](const ProviderStatusSample&) { return 3; },
    [](const ReplicationSample&) { return 4; }});'
if ! compile complete "$complete"; then
  echo "FAIL: a visitor with one arm per type does not compile (is this test stale?):" >&2
  cat "$work/complete.log" >&2
  status=1
fi

missing='return visit_sample(sample, qw::overloaded{
    [](const TargetHealthSample&) { return 0; },
    [](const QueueProbeSample&) { return 1; }});'
if compile missing "$missing"; then
  echo "FAIL: a visitor without an arm for QueueHistorySample compiles" >&2
  status=1
elif ! grep -q "no arm for the type" "$work/missing.log"; then
  echo "FAIL: a visitor without an arm is refused, but not by visit_sample's check:" >&2
  cat "$work/missing.log" >&2
  status=1
fi

catch_all='return visit_sample(sample, qw::overloaded{
    [](const TargetHealthSample&) { return 0; },
    [](const auto&) { return 1; }});'
if compile catch_all "$catch_all"; then
  echo "FAIL: a visitor with a catch-all arm compiles" >&2
  status=1
elif ! grep -q "must not have a catch-all arm" "$work/catch_all.log"; then
  echo "FAIL: a catch-all visitor is refused, but not by visit_sample's check:" >&2
  cat "$work/catch_all.log" >&2
  status=1
fi

cd "$QW_SOURCE_DIR" || exit 1
# The scheduler's test is not a consumer: a retired probe's samples are dropped, all but the
# history the pipeline waits for.
chains=$(grep -rnE '(get_if|holds_alternative)<(qw::)?probes::' daemon alerts rules probes |
  grep -v 'daemon/scheduler.cpp:.*holds_alternative<probes::QueueHistorySample>')
if [ -n "$chains" ]; then
  echo "FAIL: production code picks Sample types by hand; use probes::visit_sample:" >&2
  echo "$chains" >&2
  status=1
fi

[ "$status" = 0 ] && echo "sample_visit_exhaustive: missing arms and catch-alls are refused"
exit "$status"
