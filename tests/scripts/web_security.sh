#!/usr/bin/env bash
# --web.config.file, end to end, with the real clients: curl and Prometheus 2.42.
# Certificates are made here by openssl (a CA, a server certificate, a client certificate it
# signs, and a client certificate from another CA); bcrypt hashes by libxcrypt through Python's
# crypt module ($2b$) plus a fixed htpasswd-style $2y$ hash. The web config is checked by
# `promtool check web-config` too, so the file is the format Prometheus' exporters read.
#   - TLS with RequireAndVerifyClientCert: no client certificate, or one from another CA, gets
#     no HTTP answer at all; plain HTTP to the TLS port neither;
#   - every endpoint (/metrics, /-/healthy, /-/ready, /, an unknown path) answers 401 with
#     `WWW-Authenticate: Basic` and nothing else without credentials, with a wrong password and
#     with an unknown user; 200 with the right ones (twice: the second from the cache);
#   - the configured X-Frame-Options header is on every response;
#   - a real Prometheus scrapes /metrics through TLS + client certificate + basic auth (target
#     up), and a job with a wrong password sees 401;
#   - SIGHUP rereads the web config: a removed user is refused from then on;
#   - keys queuewatch does not implement, and a bad hash, are load errors with line:column.
# Run by ctest with QW_BINARY and QW_SOURCE_DIR.
set -uo pipefail

: "${QW_BINARY:?set QW_BINARY to the queuewatch binary}"
: "${QW_SOURCE_DIR:?set QW_SOURCE_DIR to the source tree}"
# shellcheck source=tests/scripts/lib/harness.sh
source "$QW_SOURCE_DIR/tests/scripts/lib/harness.sh"
# shellcheck source=scripts/lib/pg.sh
source "$QW_SOURCE_DIR/scripts/lib/pg.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/qw-websec.XXXXXX")
pid=""
prom_pid=""

cleanup() {
  stop_processes "$pid" "$prom_pid"
  rm -rf "$tmp"
}
trap cleanup EXIT

fatal() {
  echo "FATAL: $*" >&2
  [ -f "$tmp/daemon.log" ] && { echo "--- daemon log:" >&2; tail -50 "$tmp/daemon.log" >&2; }
  [ -f "$tmp/prometheus.log" ] && { echo "--- prometheus log:" >&2; tail -30 "$tmp/prometheus.log" >&2; }
  exit 1
}

for tool in openssl curl jq promtool prometheus python3; do
  command -v "$tool" >/dev/null || fatal "$tool is missing (scripts/install-deps installs it)"
done

# --- certificates -------------------------------------------------------------------------
certs() {
  cd "$tmp" || return 1
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=qw web ca" -keyout ca.key -out ca.crt &&
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=rogue ca" -keyout rogue-ca.key \
      -out rogue-ca.crt &&
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr &&
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >server.ext &&
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
      -extfile server.ext -out server.crt &&
    printf 'extendedKeyUsage=clientAuth\n' >client.ext &&
    openssl req -newkey rsa:2048 -nodes -subj "/CN=prometheus" -keyout client.key -out client.csr &&
    openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
      -extfile client.ext -out client.crt &&
    openssl req -newkey rsa:2048 -nodes -subj "/CN=prometheus" -keyout rogue.key -out rogue.csr &&
    openssl x509 -req -in rogue.csr -CA rogue-ca.crt -CAkey rogue-ca.key -CAcreateserial -days 2 \
      -extfile client.ext -out rogue.crt
}
(certs) >"$tmp/openssl.log" 2>&1 || { cat "$tmp/openssl.log" >&2; fatal "openssl failed"; }

# alice: $2b$ made now by libxcrypt (cost 4: the test is not about bcrypt's cost). prom: the
# $2y$ hash of "fakepassword" (exporter-toolkit's own, as `htpasswd -nBC 10` writes them).
alice_hash=$(python3 -W ignore -c 'import crypt
print(crypt.crypt("alice-s3cret", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))')
[[ "$alice_hash" == '$2b$04$'* ]] || fatal "cannot make a bcrypt hash: $alice_hash"
prom_hash='$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi'

# Paths relative to the web config's directory, as exporter-toolkit resolves them.
mkdir -p "$tmp/web"
cp "$tmp"/{server.crt,server.key,ca.crt} "$tmp/web/"
web="$tmp/web/web.yml"
write_web() {  # write_web USERS_YAML
  cat >"$web" <<YAML
tls_server_config:
  cert_file: server.crt
  key_file: server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
  min_version: TLS12
http_server_config:
  headers:
    X-Frame-Options: deny
basic_auth_users:
$1
YAML
}
write_web "  alice: '$alice_hash'
  prom: '$prom_hash'"

promtool check web-config "$web" >"$tmp/promtool.log" 2>&1 ||
  fail "promtool check web-config refuses our web config: $(cat "$tmp/promtool.log")"

port=$(pg_free_port)
config="$tmp/queuewatch.yaml"
cat >"$config" <<YAML
http:
  listen: "127.0.0.1:$port"
state_dir: "$tmp/state"
targets:
  - name: db
    dsn: "${QW_TEST_PG_DSN:-host=127.0.0.1 port=1 dbname=none user=none sslmode=disable}"
    region: local
queues: []
YAML

out=$("$QW_BINARY" check-config "$config" --web.config.file "$web" 2>&1) ||
  fatal "check-config refuses the web config: $out"
grep -qF "web.yml: OK (TLS, basic auth)" <<<"$out" || fail "check-config did not report the web config: $out"

# The same file named by http.web_config_file, relative to the config's directory.
sed 's|^http:$|http:\n  web_config_file: web/web.yml|' "$config" >"$tmp/with-key.yaml"
out=$("$QW_BINARY" check-config "$tmp/with-key.yaml" 2>&1) ||
  fail "check-config refuses http.web_config_file: $out"
grep -qF "$web: OK (TLS, basic auth)" <<<"$out" || fail "http.web_config_file was not loaded: $out"

"$QW_BINARY" run --config "$config" --web.config.file "$web" >"$tmp/daemon.log" 2>&1 &
pid=$!

url="https://localhost:$port"
tls=(--cacert "$tmp/ca.crt" --cert "$tmp/client.crt" --key "$tmp/client.key")
# status CURL_ARGS...: the HTTP status (000 when there was no HTTP answer), headers in
# $tmp/headers and the body in $tmp/body.
status() {
  curl -s -o "$tmp/body" -D "$tmp/headers" -w '%{http_code}' --max-time 10 "$@" 2>"$tmp/curl.err"
}
listening() { [ "$(status "${tls[@]}" -u alice:alice-s3cret "$url/-/healthy")" = 200 ]; }
wait_for "the daemon to answer over TLS" 30 listening || fatal "no TLS answer on port $port"

ready() { [ "$(status "${tls[@]}" -u alice:alice-s3cret "$url/-/ready")" = 200 ]; }
wait_for "/-/ready" 30 ready || fail "/-/ready never answered 200 with credentials"

# --- basic auth on every endpoint ---------------------------------------------------------
expect_401() {  # expect_401 WHAT CURL_ARGS...
  local what="$1"
  shift
  local code
  code=$(status "$@")
  [ "$code" = 401 ] || { fail "$what: status $code, want 401"; return; }
  grep -qi '^WWW-Authenticate: Basic' "$tmp/headers" || fail "$what: no WWW-Authenticate: Basic"
  [ "$(cat "$tmp/body")" = "Unauthorized" ] || fail "$what: the 401 says more: $(cat "$tmp/body")"
  grep -qi '^X-Frame-Options: deny' "$tmp/headers" || fail "$what: no X-Frame-Options on the 401"
}
for path in /metrics /-/healthy /-/ready / /no-such-page; do
  expect_401 "no credentials, $path" "${tls[@]}" "$url$path"
  expect_401 "wrong password, $path" "${tls[@]}" -u alice:wrong "$url$path"
  expect_401 "unknown user, $path" "${tls[@]}" -u mallory:alice-s3cret "$url$path"
done
expect_401 "a password that is a prefix" "${tls[@]}" -u alice:alice-s3cre "$url/metrics"
expect_401 "not basic" "${tls[@]}" -H "Authorization: Bearer abc" "$url/metrics"

for round in first cached; do
  code=$(status "${tls[@]}" -u alice:alice-s3cret "$url/metrics")
  [ "$code" = 200 ] || fail "$round: right credentials: status $code, want 200"
  grep -q '^queuewatch_build_info' "$tmp/body" || fail "$round: /metrics has no queuewatch_build_info"
  grep -qi '^X-Frame-Options: deny' "$tmp/headers" || fail "$round: no X-Frame-Options"
done
code=$(status "${tls[@]}" -u prom:fakepassword "$url/metrics")
[ "$code" = 200 ] || fail "the \$2y\$ user: status $code, want 200"

# --- TLS: the client certificate is required and verified -----------------------------------
no_http() {  # no_http WHAT CURL_ARGS...: the connection must end before any HTTP answer
  local what="$1"
  shift
  local code
  code=$(status "$@")
  [ "$code" = 000 ] || fail "$what: got HTTP status $code, want no HTTP answer"
}
no_http "no client certificate" --cacert "$tmp/ca.crt" -u alice:alice-s3cret "$url/metrics"
no_http "a client certificate from another CA" --cacert "$tmp/ca.crt" --cert "$tmp/rogue.crt" \
  --key "$tmp/rogue.key" -u alice:alice-s3cret "$url/metrics"
no_http "plain HTTP to the TLS port" -u alice:alice-s3cret "http://127.0.0.1:$port/metrics"
# The server is verified too: curl refuses it without our CA.
no_http "a client that does not know the server's CA" --cert "$tmp/client.crt" \
  --key "$tmp/client.key" -u alice:alice-s3cret "$url/metrics"
no_http "TLS 1.1 (min_version TLS12)" "${tls[@]}" --tlsv1.1 --tls-max 1.1 -u alice:alice-s3cret \
  "$url/metrics"

# --- a real Prometheus scrapes through TLS + client certificate + basic auth ---------------
prom_port=$(pg_free_port)
cat >"$tmp/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: queuewatch
    scheme: https
    tls_config: {ca_file: $tmp/ca.crt, cert_file: $tmp/client.crt, key_file: $tmp/client.key}
    basic_auth: {username: prom, password: fakepassword}
    static_configs: [{targets: ["localhost:$port"]}]
  - job_name: wrong_password
    scheme: https
    tls_config: {ca_file: $tmp/ca.crt, cert_file: $tmp/client.crt, key_file: $tmp/client.key}
    basic_auth: {username: prom, password: nope}
    static_configs: [{targets: ["localhost:$port"]}]
YAML
promtool check config "$tmp/prometheus.yml" >"$tmp/promtool-config.log" 2>&1 ||
  fatal "promtool check config: $(cat "$tmp/promtool-config.log")"
prometheus --config.file "$tmp/prometheus.yml" --storage.tsdb.path "$tmp/prom-data" \
  --web.listen-address "127.0.0.1:$prom_port" >"$tmp/prometheus.log" 2>&1 &
prom_pid=$!
target_health() {  # target_health JOB: "up" or "down" and the last error, from Prometheus' API
  curl -s "http://127.0.0.1:$prom_port/api/v1/targets" |
    jq -r --arg job "$1" '.data.activeTargets[] | select(.labels.job == $job) |
      "\(.health) \(.lastError)"' 2>/dev/null
}
scraped() { [[ "$(target_health queuewatch)" == up* ]]; }
refused() { [[ "$(target_health wrong_password)" == *401* ]]; }
wait_for "Prometheus to scrape queuewatch through TLS and basic auth" 60 scraped ||
  fail "Prometheus's queuewatch target is not up: $(target_health queuewatch)"
wait_for "Prometheus's wrong password to be refused" 60 refused ||
  fail "the wrong_password job did not meet 401: $(target_health wrong_password)"
query_up() {
  curl -s "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode \
    'query=queuewatch_build_info' | jq -e '.data.result | length == 1' >/dev/null
}
wait_for "queuewatch_build_info in Prometheus" 30 query_up ||
  fail "Prometheus stored no queuewatch_build_info from the scrape"
stop_processes "$prom_pid"
prom_pid=""

# --- SIGHUP rereads the web config ----------------------------------------------------------
write_web "  prom: '$prom_hash'"
kill -HUP "$pid"
alice_gone() { [ "$(status "${tls[@]}" -u alice:alice-s3cret "$url/metrics")" = 401 ]; }
wait_for "the removed user to be refused after SIGHUP" 30 alice_gone ||
  fail "alice still gets in after she was removed and SIGHUP"
code=$(status "${tls[@]}" -u prom:fakepassword "$url/metrics")
[ "$code" = 200 ] || fail "after SIGHUP: prom gets $code, want 200"
# A broken web config is refused on reload and the running one kept.
printf 'basic_auth_users:\n  prom: not-a-hash\n' >"$web"
kill -HUP "$pid"
refused_logged() { grep -q "web config reload refused" "$tmp/daemon.log"; }
wait_for "the broken web config to be refused" 30 refused_logged ||
  fail "a broken web config on SIGHUP was not refused in the log"
code=$(status "${tls[@]}" -u prom:fakepassword "$url/metrics")
[ "$code" = 200 ] || fail "after a refused reload: prom gets $code, want 200 (kept config)"
stop_processes "$pid"
pid=""

# --- load errors name the key and its line:column -------------------------------------------
load_error() {  # load_error WHAT EXPECTED-SUBSTRING: check-config must exit 2 and say it
  local what="$1" want="$2" rc
  out=$("$QW_BINARY" check-config "$config" --web.config.file "$web" 2>&1)
  rc=$?
  [ "$rc" -eq 2 ] || fail "$what: check-config exited $rc, want 2: $out"
  grep -qF -- "$want" <<<"$out" || fail "$what: no '$want' in: $out"
}
printf 'basic_auth_users:\n  prom: not-a-hash\n' >"$web"
load_error "a hash that is not bcrypt" "web.yml:2:3: basic_auth_users.prom: expected a bcrypt hash"
grep -q "not-a-hash" <<<"$out" && fail "the error quotes the hash"
printf 'rate_limit:\n  interval: 1s\n  burst: 5\n' >"$web"
load_error "rate_limit" "web.yml:1:1: rate_limit: not supported by queuewatch"
printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_allowed_sans: [prometheus]\n' >"$web"
load_error "client_allowed_sans" "web.yml:4:3: tls_server_config.client_allowed_sans: not supported"
printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n' >"$web"
load_error "cipher_suites" "web.yml:4:3: tls_server_config.cipher_suites: not supported"
printf 'tls_server_config:\n  cert_file: missing.crt\n  key_file: server.key\n' >"$web"
load_error "a missing certificate" "web.yml:2:3: tls_server_config.cert_file: cannot load"
printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n' >"$web"
load_error "verification without a CA" "tls_server_config.client_auth_type: verifying client certificates needs client_ca_file"
printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  clientauth: x\n' >"$web"
load_error "a misspelt key" "web.yml:4:3: tls_server_config.clientauth: unknown key"
# The daemon refuses to start on one, rather than serve without what was asked.
"$QW_BINARY" run --config "$config" --web.config.file "$web" >"$tmp/refused.log" 2>&1
rc=$?
[ "$rc" -eq 2 ] || fail "run with a bad web config exited $rc, want 2"

[ "$failures" -eq 0 ] || exit 1
echo "PASS: TLS with verified client certificates and bcrypt basic auth guard every endpoint"
