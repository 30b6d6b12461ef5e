# Shared by the tests that run a real job library from npm (sourced; not a test itself).
#
# npm_lib_install NAME VERSION: installs NAME@VERSION (pinned: never a range) into
#   ${XDG_CACHE_HOME:-$HOME/.cache}/queuewatch-npm/NAME@VERSION unless it is already there, and
#   sets NPM_LIB_DIR to that directory (give it to node as NODE_PATH=$NPM_LIB_DIR/node_modules).
#   A re-run reuses the directory and costs no download. When npm cannot install it (no network
#   to the npm registry, no node or npm), it prints why and returns 1: the test must then FAIL,
#   not skip, since scripts/install-deps is meant to provide everything a test needs.
# docs_yaml_block FILE MARKER: prints the ```yaml block that follows the first line of FILE
#   containing MARKER, so a test runs exactly the mapping the docs show.
# docs_states_are_labels BLOCK LABELS TYPE: every state value a yaml BLOCK lists (ready, running,
#   completed, failed) is one of LABELS (comma-separated), the labels of the enum TYPE; records a
#   failed check (fail, harness.sh) for each that is not, and one if BLOCK lists none.

npm_lib_install() {
  local name="$1" version="$2"
  local cache="${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/queuewatch-npm"
  NPM_LIB_DIR="$cache/$name@$version"
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "npm_lib_install: node and npm are needed to run $name@$version (scripts/install-deps)" >&2
    return 1
  fi
  # The versions the tests pin were checked on Node.js 20 (their engines field asks for 22: see
  # DEVELOPERS.md); Debian 12's own Node.js 18 fails in ways that would look like our bugs.
  if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
    echo "npm_lib_install: node $(node --version) is too old for $name@$version (need 20 or later)" >&2
    return 1
  fi
  local installed
  installed=$(node -p "require('$NPM_LIB_DIR/node_modules/$name/package.json').version" 2>/dev/null)
  if [ "$installed" = "$version" ]; then
    echo "using $name@$version from $NPM_LIB_DIR (node $(node --version))" >&2
    return 0
  fi
  # Installed beside the cache entry, then renamed: an interrupted install leaves no half entry.
  mkdir -p "$cache" || return 1
  local tmp
  tmp=$(mktemp -d "$cache/.install.XXXXXX") || return 1
  echo "installing $name@$version with npm into $NPM_LIB_DIR" >&2
  if ! (cd "$tmp" && echo '{"private": true}' >package.json &&
    npm install --no-audit --no-fund --save-exact --loglevel=error "$name@$version" >&2); then
    rm -rf "$tmp"
    echo "npm_lib_install: npm could not install $name@$version: is the npm registry reachable?" >&2
    return 1
  fi
  rm -rf "$NPM_LIB_DIR"
  mv "$tmp" "$NPM_LIB_DIR" || return 1
  echo "installed $name@$version (node $(node --version); its engines field says" \
    "$(node -p "JSON.stringify(require('$NPM_LIB_DIR/node_modules/$name/package.json').engines)"))" >&2
}

docs_yaml_block() {
  awk -v marker="$2" '
    !found && index($0, marker) { found = 1; next }
    found == 1 && /^```yaml/ { found = 2; next }
    found == 2 && /^```/ { exit }
    found == 2 { print }' "$1"
}

# docs_test_config HTTP_PORT DSN STATE_DIR BLOCK...: the config the real-library tests run, the
# docs' source blocks (BLOCK...) under a target named `primary`, as the docs blocks expect.
docs_states_are_labels() {
  local values v
  values=$(printf '%s\n' "$1" | sed -n 's/^ *\(ready\|running\|completed\|failed\): *\[\([^]]*\)\].*/\2/p' |
    tr ',' '\n' | tr -d ' ')
  [ -n "$values" ] || fail "found no state values in the docs block"
  for v in $values; do
    [[ ",$2," == *",$v,"* ]] || fail "state value '$v' of the docs mapping is not a label of $3"
  done
}

docs_test_config() {
  local http_port="$1" dsn="$2" state_dir="$3"
  shift 3
  cat <<YAML
http:
  listen: "127.0.0.1:$http_port"
state_dir: "$state_dir"
probes:
  postgres_health: {interval: 1s, query_timeout: 2s, max_backoff: 2s}
  postgres_queue: {interval: 1s, query_timeout: 2s, max_backoff: 2s}
rules:
  defaults:
    stuck_in_progress: {running_for: 1s}
targets:
  - name: primary
    region: local
    dsn: "$dsn"
queues:
YAML
  printf '%s\n' "$@" | sed 's/^/  /'
}
