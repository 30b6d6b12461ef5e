# Shared by the shell tests (sourced; not a test itself: ctest runs tests/scripts/*.sh only).
# The sourcing script defines `cleanup` (its EXIT trap) and `fatal` (stop at once, with its logs),
# and keeps the pid of the process under test in $pid.

failures=0

# fail MESSAGE: records a failed check and goes on; the script exits 1 at the end if any failed.
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# bash skips the EXIT trap when a signal kills it (ctest's timeout): exit normally instead.
trap 'exit 130' INT
trap 'exit 143' TERM

# wait_for DESCRIPTION SECONDS COMMAND...: polls COMMAND every 0.1 s for at most SECONDS, and
# stops the test (fatal) if the process in $pid exits meanwhile: tests wait on conditions, not
# on sleeps, and a dead daemon would otherwise look like a slow one.
wait_for() {
  local what="$1" tries=$(($2 * 10)) i
  shift 2
  for ((i = 0; i < tries; i++)); do
    "$@" && return 0
    kill -0 "${pid:-}" 2>/dev/null || fatal "the process under test exited while waiting for $what"
    sleep 0.1
  done
  return 1
}

# stop_processes PID...: kills each process that is still running (empty arguments are skipped)
# and reaps it, so an EXIT trap leaves nothing behind whatever state the test stopped in.
stop_processes() {
  local p
  for p in "$@"; do
    if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
      kill -KILL "$p" 2>/dev/null
      wait "$p" 2>/dev/null
    fi
  done
}

# start_webhook_receiver [PORT]: starts scripts/lib/webhook_receiver.py on PORT (default: a free
# one), logging one JSON payload per line to $tmp/hooks.jsonl (its own output in
# $tmp/receiver.out), waits until it answers, and sets hook_port and receiver_pid; the caller's
# cleanup stops it. The log starts empty once the receiver is up (the readiness probe's POST is
# not a payload). Needs $tmp, pg_free_port (scripts/lib/pg.sh) and `fatal`.
start_webhook_receiver() {
  hook_port="${1:-$(pg_free_port)}"
  : >"$tmp/hooks.jsonl"
  python3 "$QW_SOURCE_DIR/scripts/lib/webhook_receiver.py" "$hook_port" --log "$tmp/hooks.jsonl" \
    >"$tmp/receiver.out" 2>&1 &
  receiver_pid=$!
  pid=$receiver_pid wait_for "the webhook receiver" 10 receiver_up ||
    fatal "the webhook receiver did not start: $(cat "$tmp/receiver.out")"
  : >"$tmp/hooks.jsonl"
}

# receiver_up: whether the webhook receiver on $hook_port answers.
receiver_up() { curl -s -o /dev/null --max-time 2 -X POST -d '{}' "http://127.0.0.1:$hook_port/"; }

# promtool_check_metrics FILE: `promtool check metrics` has nothing to say about a scrape saved in
# FILE (names, HELP, label sets); a complaint or a missing promtool is a failed check.
promtool_check_metrics() {
  local lint
  command -v promtool >/dev/null || { fail "promtool not found (scripts/install-deps)"; return; }
  if ! lint=$(promtool check metrics <"$1" 2>&1) || [ -n "$lint" ]; then
    fail "promtool check metrics complained about $1:"$'\n'"$lint"
  fi
}
