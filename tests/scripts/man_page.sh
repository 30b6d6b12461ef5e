#!/usr/bin/env bash
# The man page and the bash completion follow `queuewatch --help`: every command and flag the
# binary lists is in queuewatch(8), the page renders without a groff warning at 80 columns (what
# lintian checks), and bash completion offers each command and, after it, each of its flags.
# A flag added to the CLI without its documentation fails here. Run by ctest with QW_BINARY and
# QW_SOURCE_DIR set.
set -uo pipefail

: "${QW_BINARY:?set QW_BINARY to the queuewatch binary}"
: "${QW_SOURCE_DIR:?set QW_SOURCE_DIR to the source tree}"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=tests/scripts/lib/harness.sh
source "$QW_SOURCE_DIR/tests/scripts/lib/harness.sh"

help=$("$QW_BINARY" --help 2>&1) || fail "queuewatch --help exited non-zero"
# The usage lines: "  queuewatch COMMAND ...", each with its continuation lines ("      [--flag]").
mapfile -t usage < <(awk '/^  queuewatch [a-z]/ { if (u) print u; u = $0; next }
  u && /^ +\[/ { sub(/^ +/, " "); u = u $0; next }
  { if (u) print u; u = "" }
  END { if (u) print u }' <<<"$help")
[ ${#usage[@]} -ge 4 ] || fail "found only ${#usage[@]} usage lines in --help"
mapfile -t flags < <(grep -oE -- '--[a-z][a-z0-9.-]*[a-z0-9]' <<<"$help" | sort -u)
[ ${#flags[@]} -ge 5 ] || fail "found only ${#flags[@]} flags in --help"

# --- the man page --------------------------------------------------------------------------
page="$tmp/queuewatch.8"
sed 's/@QW_VERSION@/0.0.0/' "$QW_SOURCE_DIR/deploy/man/queuewatch.8" >"$page"
warnings=$(LC_ALL=C MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
[ -z "$warnings" ] || fail "groff warns about queuewatch.8: $warnings"
text=$(LC_ALL=C MANWIDTH=200 man -l "$page" 2>/dev/null | col -bx)
[ -n "$text" ] || fail "queuewatch.8 renders to nothing"
for flag in "${flags[@]}"; do
  grep -qE -- "(^|[^a-z-])$flag([^a-z0-9.-]|$)" <<<"$text" ||
    fail "--help lists $flag, the man page (deploy/man/queuewatch.8) does not"
done
for line in "${usage[@]}"; do
  cmd=$(awk '{print $2}' <<<"$line")
  [[ $cmd == -* ]] && continue
  grep -qE "^       $cmd" <<<"$text" || fail "the man page has no entry for the command $cmd"
done

# --- bash completion -----------------------------------------------------------------------
completion="$QW_SOURCE_DIR/deploy/bash-completion/queuewatch"
bash -n "$completion" || fail "bash cannot parse $completion"
if [ ! -f /usr/share/bash-completion/bash_completion ]; then
  fail "bash-completion is not installed (scripts/install-deps installs it)"
else
  # complete WORDS...: what the completion offers for the last (partial) word.
  complete_words() {
    bash -c 'source /usr/share/bash-completion/bash_completion; source "$1"; shift
      COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
      _queuewatch queuewatch "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
      printf "%s\n" "${COMPREPLY[@]}"' _ "$completion" "$@"
  }
  commands=$(complete_words queuewatch "")
  for line in "${usage[@]}"; do
    cmd=$(awk '{print $2}' <<<"$line")
    [[ $cmd == -* ]] && continue
    grep -qx -- "$cmd" <<<"$commands" || fail "completion does not offer the command $cmd"
    offered=$(complete_words queuewatch "$cmd" --)
    for flag in $(grep -oE -- '--[a-z][a-z0-9.-]*[a-z0-9]' <<<"$line"); do
      grep -qx -- "$flag" <<<"$offered" || fail "completion does not offer $flag after $cmd"
    done
  done
  [ "$(complete_words queuewatch run --log-level de)" = debug ] ||
    fail "completion does not offer the log level debug after --log-level"
fi

if [ "$failures" -ne 0 ]; then
  echo "man_page: $failures failure(s)" >&2
  exit 1
fi
echo "man_page: ok"
