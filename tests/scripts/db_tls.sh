#!/usr/bin/env bash
# TLS to PostgreSQL as a systemd unit with DynamicUser=yes meets it: HOME is /nonexistent, so
# libpq's default root certificate (~/.postgresql/root.crt) is never there. Against a real
# PostgreSQL 15 of its own with ssl=on and a certificate signed by a CA made here by openssl:
#   - sslmode=verify-full without sslrootcert: down with reason `tls` (not `other`), and the
#     detail names the missing root certificate file;
#   - a root certificate that did not sign the server's: `tls` (certificate verify failed);
#   - a host name the certificate does not name: `tls`;
#   - sslrootcert=<the CA> (what docs/security.md tells DynamicUser units to set): up;
#   - sslmode=require against a server with ssl=off: `tls`.
# Run by ctest with QW_BINARY and QW_SOURCE_DIR.
set -uo pipefail

: "${QW_BINARY:?set QW_BINARY to the queuewatch binary}"
: "${QW_SOURCE_DIR:?set QW_SOURCE_DIR to the source tree}"
# shellcheck source=tests/scripts/lib/harness.sh
source "$QW_SOURCE_DIR/tests/scripts/lib/harness.sh"
# shellcheck source=scripts/lib/pg.sh
source "$QW_SOURCE_DIR/scripts/lib/pg.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/qw-dbtls.XXXXXX")
pgdir=$(pg_tempdir)
pgport=$(pg_free_port)
pid=""

cleanup() {
  pg_cleanup "$pgdir"
  rm -rf "$tmp"
}
trap cleanup EXIT

fatal() {
  echo "FATAL: $*" >&2
  exit 1
}

pg_start "$pgdir" "$pgport" || fatal "cannot start PostgreSQL"

# A CA, and a server certificate it signs for localhost / 127.0.0.1; another CA that signs
# nothing here.
certs() {
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=qw test ca" \
    -keyout "$tmp/ca.key" -out "$tmp/ca.crt" &&
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=qw other ca" \
      -keyout "$tmp/other.key" -out "$tmp/other.crt" &&
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
      -keyout "$tmp/server.key" -out "$tmp/server.csr" &&
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$tmp/server.ext" &&
    openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" \
      -CAcreateserial -days 2 -extfile "$tmp/server.ext" -out "$tmp/server.crt"
}
certs >"$tmp/openssl.log" 2>&1 || { cat "$tmp/openssl.log" >&2; fatal "openssl failed"; }

# A server with ssl=off first: sslmode=require must fail as `tls`.
config="$tmp/queuewatch.yaml"
write_config() {  # write_config DSN
  cat >"$config" <<YAML
state_dir: "$tmp/state"
targets:
  - name: db
    dsn: "$1"
    region: local
    connect_timeout: 5s
queues: []
YAML
}

# check NAME WANT_UP WANT_REASON DETAIL_SUBSTRING DSN: runs `once` as a DynamicUser unit would
# see its home (HOME=/nonexistent) and checks the target's row.
check() {
  local name="$1" want_up="$2" want_reason="$3" want_detail="$4"
  write_config "$5"
  local out
  out=$(HOME=/nonexistent "$QW_BINARY" once --config "$config" --format json 2>"$tmp/$name.err")
  local target
  target=$(jq -c '.targets[0]' <<<"$out" 2>/dev/null)
  if [ -z "$target" ] || [ "$target" = null ]; then
    fail "$name: no target in once's output: $out $(cat "$tmp/$name.err")"
    return
  fi
  local up reason detail
  up=$(jq -r '.up' <<<"$target")
  reason=$(jq -r '.reason' <<<"$target")
  detail=$(jq -r '.detail // ""' <<<"$target")
  [ "$up" = "$want_up" ] || fail "$name: up=$up, want $want_up ($target)"
  if [ "$want_up" = false ]; then
    [ "$reason" = "$want_reason" ] || fail "$name: reason=$reason, want $want_reason ($target)"
    grep -qF -- "$want_detail" <<<"$detail" ||
      fail "$name: detail does not contain '$want_detail': $detail"
  fi
}

base="port=$pgport dbname=postgres user=postgres"
check ssl_off false tls "server does not support SSL" "host=127.0.0.1 $base sslmode=require"

# Now ssl=on with the CA-signed certificate (the server reads its files as its own user).
cp "$tmp/server.crt" "$tmp/server.key" "$pgdir/data/" || fatal "cannot copy the certificate"
chmod 600 "$pgdir/data/server.key"
[ "$(id -u)" -eq 0 ] && chown postgres: "$pgdir/data/server.crt" "$pgdir/data/server.key"
pg_psql "$pgdir" "$pgport" -c "ALTER SYSTEM SET ssl = on" -c "SELECT pg_reload_conf()" >/dev/null ||
  fatal "cannot turn ssl on"
ssl_up() {
  psql -X -At "host=127.0.0.1 $base sslmode=require" -c "SELECT ssl FROM pg_stat_ssl
    WHERE pid = pg_backend_pid()" 2>/dev/null | grep -qx t
}
pid=$$ wait_for "the server to accept TLS" 30 ssl_up || fatal "ssl=on did not take effect"

check no_root_cert false tls "root certificate file \"/nonexistent/.postgresql/root.crt\"" \
  "host=localhost $base sslmode=verify-full"
check wrong_ca false tls "certificate verify failed" \
  "host=localhost $base sslmode=verify-full sslrootcert=$tmp/other.crt"
check wrong_name false tls "does not match host name" \
  "host=db.example.invalid hostaddr=127.0.0.1 $base sslmode=verify-full sslrootcert=$tmp/ca.crt"
check verified true "" "" "host=localhost $base sslmode=verify-full sslrootcert=$tmp/ca.crt"

[ "$failures" -eq 0 ] || exit 1
echo "PASS: TLS failures to PostgreSQL are reported as reason tls; sslrootcert fixes DynamicUser"
