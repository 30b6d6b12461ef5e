#!/usr/bin/env bash
# The first deploy, as far as it can run without systemd as PID 1: build the .deb, unpack it into
# a scratch root, lay out the credentials exactly as the installed unit's LoadCredential= lines
# would, and run the installed unit's ExecStartPre command line (paths moved into the scratch
# root) against the installed config and against config/examples/production.yaml. An example
# that cannot start (a credential the unit does not load, a config the check refuses) fails here.
# Also checks the package itself: layout, stripped binary with its dbgsym, conffile, Depends.
#
# The package is built from a RelWithDebInfo tree of its own (build/pkg; -g is what the dbgsym
# package is made of), only the queuewatch target, through ccache. QW_PACKAGE_BUILD_DIR names
# another tree to package instead, used as it is configured (a CI lane that already builds
# RelWithDebInfo with the prefix /usr); it must be one. Run by ctest with QW_SOURCE_DIR set.
set -uo pipefail

: "${QW_SOURCE_DIR:?set QW_SOURCE_DIR to the source tree}"
src=$QW_SOURCE_DIR
build=${QW_PACKAGE_BUILD_DIR:-$src/build/pkg}
own_tree=1
[ -n "${QW_PACKAGE_BUILD_DIR:-}" ] && own_tree=0

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=tests/scripts/lib/harness.sh
source "$src/tests/scripts/lib/harness.sh"
fatal() {
  echo "FATAL: $*" >&2
  exit 1
}

# --- build the package ---------------------------------------------------------------------
# Debian's build flags with every hardening feature (fortify, stack protector, relro, bind now),
# as dpkg-buildpackage would give them: lintian checks the binary for them.
if [ "$own_tree" = 1 ]; then
  flags=$(cd "$src" && DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --export=sh) ||
    fatal "dpkg-buildflags failed (scripts/install-deps installs dpkg-dev)"
  eval "$flags"
  cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
    -DQW_BUILD_TESTS=OFF -DCMAKE_CXX_FLAGS="$CPPFLAGS $CXXFLAGS" -DCMAKE_EXE_LINKER_FLAGS="$LDFLAGS" \
    >"$tmp/configure.log" 2>&1 || { cat "$tmp/configure.log" >&2; fatal "cmake configure failed"; }
else
  grep -q '^CMAKE_BUILD_TYPE:STRING=RelWithDebInfo$' "$build/CMakeCache.txt" 2>/dev/null ||
    fatal "QW_PACKAGE_BUILD_DIR=$build is not a RelWithDebInfo tree (the dbgsym package needs -g)"
fi
cmake --build "$build" -j"$(nproc)" --target queuewatch >"$tmp/build.log" 2>&1 ||
  { tail -50 "$tmp/build.log" >&2; fatal "building queuewatch failed"; }
(cd "$build" && cpack -G DEB -B "$tmp/out") >"$tmp/cpack.log" 2>&1 ||
  { cat "$tmp/cpack.log" >&2; fatal "cpack failed"; }
version=$(sed -nE 's/^project\(queuewatch VERSION ([0-9.]+).*/\1/p' "$src/CMakeLists.txt")
deb="$tmp/out/queuewatch_${version}-1_amd64.deb"
ddeb="$tmp/out/queuewatch-dbgsym_${version}-1_amd64.ddeb"
[ -f "$deb" ] || fatal "no $deb; cpack made: $(ls "$tmp/out")"
[ -f "$ddeb" ] || fail "no debug-symbols package $ddeb"
echo "package: $(basename "$deb") $(stat -c %s "$deb") bytes, installed size $(dpkg-deb -f "$deb" Installed-Size) KiB" >&2

# --- the package's metadata ----------------------------------------------------------------
depends=$(dpkg-deb -f "$deb" Depends)
# dpkg-shlibdeps' result: the libraries the binary links, by their Debian package names.
for lib in libpqxx libyaml-cpp libspdlog libfmt libsystemd0 libc6; do
  grep -q "$lib" <<<"$depends" || fail "Depends lacks $lib: $depends"
done
dpkg-deb -e "$deb" "$tmp/control"
grep -qx /etc/queuewatch/queuewatch.yaml "$tmp/control/conffiles" 2>/dev/null ||
  fail "/etc/queuewatch/queuewatch.yaml is not a conffile"

# --- install into a scratch root -----------------------------------------------------------
root="$tmp/root"
dpkg -x "$deb" "$root"
for f in usr/bin/queuewatch lib/systemd/system/queuewatch.service etc/queuewatch/queuewatch.yaml \
  usr/share/man/man8/queuewatch.8.gz usr/share/bash-completion/completions/queuewatch \
  usr/share/doc/queuewatch/copyright usr/share/doc/queuewatch/changelog.Debian.gz \
  usr/share/doc/queuewatch/examples/production.yaml; do
  [ -e "$root/$f" ] || fail "the package does not install /$f"
done
[ -d "$root/etc/queuewatch/credentials" ] && [ "$(stat -c %a "$root/etc/queuewatch/credentials")" = 700 ] ||
  fail "/etc/queuewatch/credentials is not a directory of mode 700"
cmp -s "$root/lib/systemd/system/queuewatch.service" "$src/deploy/systemd/queuewatch.service" ||
  fail "the installed unit differs from deploy/systemd/queuewatch.service"
cmp -s "$root/usr/share/doc/queuewatch/examples/production.yaml" "$src/config/examples/production.yaml" ||
  fail "the installed production example differs from config/examples/production.yaml"

# Stripped, with its debug info in the dbgsym package under the binary's build id.
bin="$root/usr/bin/queuewatch"
readelf -S "$bin" 2>/dev/null | grep -q '\.debug_info' && fail "/usr/bin/queuewatch is not stripped"
build_id=$(readelf -n "$bin" 2>/dev/null | sed -nE 's/.*Build ID: ([0-9a-f]+).*/\1/p')
[ -n "$build_id" ] || fail "/usr/bin/queuewatch has no build id"
if [ -f "$ddeb" ] && [ -n "$build_id" ]; then
  dpkg -x "$ddeb" "$tmp/dbg"
  debug="$tmp/dbg/usr/lib/debug/.build-id/${build_id:0:2}/${build_id:2}.debug"
  [ -f "$debug" ] && readelf -S "$debug" 2>/dev/null | grep -q '\.debug_info' ||
    fail "the dbgsym package has no debug info at ${debug#"$tmp/dbg"}"
  # dpkg and debsums check files by these paths (cmake/package_fix_dbgsym.cmake repairs them).
  dpkg-deb -I "$ddeb" md5sums | grep -qE '^[0-9a-f]{32}  usr/lib/debug/\.build-id/' ||
    fail "the dbgsym package's md5sums does not name its file by its path in the package"
fi
"$bin" --version | grep -qF "$version" || fail "the installed binary does not say version $version"

# --- the unit's credentials, as systemd would lay them out ---------------------------------
unit="$root/lib/systemd/system/queuewatch.service"
# LoadCredential=ID:PATH: systemd copies PATH to $CREDENTIALS_DIRECTORY/ID at each start.
mapfile -t creds < <(sed -nE 's/^LoadCredential=([^:]+):(.*)$/\1 \2/p' "$unit")
[ ${#creds[@]} -gt 0 ] || fatal "the unit loads no credential"
creds_dir="$root/run/credentials/queuewatch.service"
mkdir -p "$creds_dir"
ids=()
for c in "${creds[@]}"; do
  id=${c%% *} path=${c#* }
  ids+=("$id")
  case $path in
    /etc/queuewatch/credentials/*) ;;
    *) fail "LoadCredential=$id reads $path, outside /etc/queuewatch/credentials (where the docs say)" ;;
  esac
  printf 'not-a-real-password\n' >"$creds_dir/$id"
done
chmod 500 "$creds_dir"

# Every credential a shipped file or doc names must be one the unit loads: one spelling. A doc
# may also name one it tells you to add in a drop-in, with its LoadCredential= line in the same
# file; a config file may not (it must start with the unit as shipped). (NAME in capitals is a
# placeholder; \- is how the man page writes a hyphen.)
while IFS=: read -r file name; do
  [[ $name =~ ^[A-Z]+$ ]] && continue
  printf '%s\n' "${ids[@]}" | grep -qxF -- "$name" && continue
  [[ $file != *.yaml ]] && grep -qF -- "LoadCredential=$name:" "$src/$file" && continue
  fail "$file names the credential \"$name\", which the unit does not load (it loads: ${ids[*]})"
done < <(cd "$src" && grep -roE --include='*.md' --include='*.yaml' --include='*.service' --include='*.8' \
  '(CREDENTIALS_DIRECTORY(:-[^}]*)?\}?|/etc/queuewatch/credentials|/run/credentials/queuewatch\.service)/[A-Za-z0-9_.\\-]+' \
  README.md docs deploy config/examples probes | sed -E 's#:.*/#:#; s#\\##g' | sort -u)

# --- the unit's ExecStartPre, against the installed config ---------------------------------
mapfile -t pre < <(sed -nE 's/^ExecStartPre=(.*)$/\1/p' "$unit")
[ ${#pre[@]} -eq 1 ] || fatal "expected one ExecStartPre= line, got ${#pre[@]}"
# The command line as systemd splits it (no quotes or specifiers here: fail if that changes),
# without the prefixes systemd strips (-, @, +, !), absolute paths moved into the scratch root.
cmdline=${pre[0]}
case $cmdline in *[\"\'%\$\\]*) fatal "ExecStartPre uses quoting, specifiers or variables: teach this test" ;; esac
read -ra words <<<"$cmdline"
words[0]=${words[0]##[-@+!]}
config_word=-1
for i in "${!words[@]}"; do
  w=${words[$i]}
  if [[ $w == /* ]]; then
    [ -e "$root$w" ] || fatal "ExecStartPre names $w, which the package does not install"
    words[$i]="$root$w"
    [ "$w" = /etc/queuewatch/queuewatch.yaml ] && config_word=$i
  fi
done
[ "$config_word" -ge 0 ] || fatal "ExecStartPre does not check /etc/queuewatch/queuewatch.yaml"

# run_pre NAME: the command line in systemd's clean environment plus CREDENTIALS_DIRECTORY.
run_pre() {
  out=$(env -i PATH=/usr/bin:/bin CREDENTIALS_DIRECTORY="$creds_dir" "${words[@]}" 2>&1)
  rc=$?
  printf -- '--- %s (exit %d): %s\n%s\n' "$1" "$rc" "${words[*]}" "$out" >&2
}

run_pre installed-config
[ "$rc" -eq 0 ] || fail "ExecStartPre refuses the installed /etc/queuewatch/queuewatch.yaml (exit $rc)"

# The production example, with the same credentials.
words[$config_word]="$root/usr/share/doc/queuewatch/examples/production.yaml"
run_pre production-example
[ "$rc" -eq 0 ] || fail "ExecStartPre refuses config/examples/production.yaml (exit $rc)"

# And the check that makes this test worth having: a credential the unit does not provide
# (the first deploy's bug) stops the start, naming the file.
chmod 700 "$creds_dir"
rm -f "$creds_dir/${ids[0]}"
run_pre production-without-credential
[ "$rc" -eq 2 ] && grep -q "password file" <<<"$out" ||
  fail "without the credential ${ids[0]}, ExecStartPre should exit 2 naming the password file (exit $rc)"

if [ "$failures" -ne 0 ]; then
  echo "package_install: $failures failure(s)" >&2
  exit 1
fi
echo "package_install: ok"
