#!/usr/bin/env bash
# test_http.sh - lab test for mgmt-http-check.
#
#   VIPCHECK_TOOLS=build/tools tests/lab/test_http.sh
#
# Needs root and openssl.  Builds a private namespace lab (tests/lab/lab.sh),
# runs a real HTTP server and real TLS servers (tests/lab/http_server.py, with
# a CA and certificates made here) inside the healthy realserver, and runs every
# check from inside the director namespace.  The lab is removed on every way out.
# No `set -e`: a failing case must not hide the ones after it.
set -uo pipefail

for tool in openssl /usr/bin/python3 md5sum ss; do
    command -v "$tool" >/dev/null || { echo "Bail out! $tool is missing"; exit 1; }
done

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=harness.sh
. "$HERE/harness.sh"
lab_tools BIN=mgmt-http-check

lab_begin

RS=$LAB_RS_HEALTHY
# The standard lab's IPv6 plane (lab_up_v6) gives the director and the healthy
# realserver their IPv6 addresses (RS6 is the healthy one).
RS6=$LAB_RS6_HEALTHY
WORK=$LAB_TMP/http

# The realserver's applications: a test CA and certificates in $PKI, servers on 8080
# (index), 8082 (hangs), 8443 (TLS), 8444 (client certificate), 8445 (a stranger's).
PKI=$WORK/pki
lab_http_realserver "$WORK"

URL=http://$RS:8080
TLS=https://$RS:8443
T=(--timeout 2s)
re_rs=${RS//./\\.}

# --- status ---------------------------------------------------------------
expect_verdict "200: up" up 0 -- in_director "$BIN" "${T[@]}" "$URL/"
expect_match "default line: URL, status, bytes and time" 0 \
    "^up http://$re_rs:8080/: 200 OK, 33 bytes in [0-9]+\\.[0-9]+ ms\$" -- \
    in_director "$BIN" "${T[@]}" "$URL/"
expect_verdict "500: http-status" http-status 1 -- in_director "$BIN" "${T[@]}" "$URL/status/500"
expect_match "500: the line names the status and what was expected" 1 \
    "^http-status .*: 500 Internal Server Error in .* ms, expected status 200\$" -- \
    in_director "$BIN" "${T[@]}" "$URL/status/500"
expect_verdict "--expect-status 200,500-599 accepts 503" up 0 -- \
    in_director "$BIN" "${T[@]}" --expect-status 200,500-599 "$URL/status/503"
expect_verdict "--expect-status 204 rejects 200" http-status 1 -- \
    in_director "$BIN" "${T[@]}" --expect-status 204 "$URL/"
expect_verdict "redirect, not followed: http-status" http-status 1 -- \
    in_director "$BIN" "${T[@]}" "$URL/redirect"
expect_verdict "redirect with --follow: up" up 0 -- in_director "$BIN" "${T[@]}" --follow "$URL/redirect"
expect_verdict "--method HEAD: up" up 0 -- in_director "$BIN" "${T[@]}" --method HEAD "$URL/"

# --- body and digest ------------------------------------------------------
md5=$(md5sum <"$WORK/www/index.html" | cut -d' ' -f1)
expect_verdict "--expect-body matching a line: up" up 0 -- \
    in_director "$BIN" "${T[@]}" --expect-body '^status: ready$' "$URL/"
expect_verdict "wrong body: body-mismatch" body-mismatch 1 -- \
    in_director "$BIN" "${T[@]}" --expect-body '^status: degraded$' "$URL/"
expect_verdict "--digest of the body: up" up 0 -- in_director "$BIN" "${T[@]}" --digest "$md5" "$URL/"
expect_verdict "--digest in upper case: up" up 0 -- in_director "$BIN" "${T[@]}" --digest "${md5^^}" "$URL/"
expect_verdict "wrong digest: digest-mismatch" digest-mismatch 1 -- \
    in_director "$BIN" "${T[@]}" --digest 0123456789abcdef0123456789abcdef "$URL/"
expect_match "--print-digest prints exactly the md5sum of the body" 0 "^$md5\$" -- \
    in_director "$BIN" "${T[@]}" --print-digest "$URL/"
lab_run in_director "$BIN" "${T[@]}" --print-digest "$URL/big/300000"
big_md5=$(head -c 300000 /dev/zero | tr '\0' x | md5sum | cut -d' ' -f1)
if [[ $LAB_OUT == "$big_md5" && $LAB_RC == 0 ]]; then
    lab_pass "--print-digest of a 300000-byte body matches md5sum"
else
    lab_fail "--print-digest of a 300000-byte body matches md5sum" "got '$LAB_OUT' (exit $LAB_RC), want $big_md5"
fi

# --- --max-body -----------------------------------------------------------------
expect_verdict "2 MiB body with Content-Length over the default 1 MiB: fails" body-mismatch 1 -- \
    in_director "$BIN" "${T[@]}" "$URL/big/2097152"
expect_verdict "2 MiB chunked body over the default 1 MiB: fails" body-mismatch 1 -- \
    in_director "$BIN" "${T[@]}" "$URL/chunked/2097152"
expect_verdict "chunked body one byte over --max-body 1000: fails" body-mismatch 1 -- \
    in_director "$BIN" "${T[@]}" --max-body 1000 "$URL/chunked/1001"
expect_verdict "chunked body of exactly --max-body 1000: up" up 0 -- \
    in_director "$BIN" "${T[@]}" --max-body 1000 "$URL/chunked/1000"
expect_verdict "2 MiB body with --max-body 4M: up" up 0 -- \
    in_director "$BIN" "${T[@]}" --max-body 4M "$URL/chunked/2097152"

# --- refused and no-reply -----------------------------------------------------------
expect_verdict "closed port: refused" refused 1 -- in_director "$BIN" "${T[@]}" "http://$RS:8081/"
start=$(date +%s%N)
expect_verdict "accepts, never answers: no-reply" no-reply 1 -- \
    in_director "$BIN" --timeout 600ms "http://$RS:8082/"
ms=$((($(date +%s%N) - start) / 1000000))
# Not before the deadline; the upper bound is only a hang guard (ten times it).
if ((ms >= 550 && ms < 6000)); then
    lab_pass "no-reply came at the 600ms deadline (${ms} ms)"
else
    lab_fail "no-reply came at the 600ms deadline" "took ${ms} ms"
fi
lab_run in_director "$BIN" --timeout 600ms --attempts 3 --json "http://$RS:8082/"
expect_true "silent server: 3 attempts within the deadline, JSON says so" -- \
    /usr/bin/python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if d["verdict"]=="no-reply" and d["attempts"]==3 and d["status"] is None else 1)' \
    "$LAB_OUT"
expect_verdict "nobody holds the address: no-reply" no-reply 1 -- \
    in_director "$BIN" --timeout 500ms "http://$LAB_RS_ABSENT:8080/"

# --- TLS ---------------------------------------------------------------------------
expect_verdict "https, CA not trusted: tls-error" tls-error 1 -- in_director "$BIN" "${T[@]}" "$TLS/"
expect_verdict "https with --ca of the test CA: up" up 0 -- \
    in_director "$BIN" "${T[@]}" --ca "$PKI/ca.pem" "$TLS/"
expect_verdict "https with --insecure: up" up 0 -- in_director "$BIN" "${T[@]}" --insecure "$TLS/"
expect_verdict "certificate from an unknown issuer, even with --ca: tls-error" tls-error 1 -- \
    in_director "$BIN" "${T[@]}" --ca "$PKI/ca.pem" "https://$RS:8445/"
expect_verdict "--host: Host header and SNI name the virtual host, verified against it" up 0 -- \
    in_director "$BIN" "${T[@]}" --ca "$PKI/ca.pem" --host www.example.test \
    --expect-body '^host=www\.example\.test:8443 sni=www\.example\.test$' "$TLS/host"
expect_verdict "--host not in the certificate: tls-error" tls-error 1 -- \
    in_director "$BIN" "${T[@]}" --ca "$PKI/ca.pem" --host other.example.test "$TLS/host"
expect_verdict "server wants a client certificate, none given: tls-error" tls-error 1 -- \
    in_director "$BIN" "${T[@]}" --ca "$PKI/ca.pem" "https://$RS:8444/"
expect_verdict "--cert/--key: the server accepts the client certificate" up 0 -- \
    in_director "$BIN" "${T[@]}" --ca "$PKI/ca.pem" --cert "$PKI/client.pem" --key "$PKI/client.key" \
    "https://$RS:8444/"
expect_verdict "https to a plain HTTP port: tls-error" tls-error 1 -- \
    in_director "$BIN" "${T[@]}" --ca "$PKI/ca.pem" "https://$RS:8080/"

# --- the environment's proxy is never used ------------------------------------------
# Nothing listens on 127.0.0.1:9 in the director: a check that took the proxy
# would be refused.
proxy=http://127.0.0.1:9
expect_verdict "http_proxy/HTTP_PROXY/ALL_PROXY set: still reaches the realserver" up 0 -- \
    in_director env http_proxy=$proxy HTTP_PROXY=$proxy ALL_PROXY=$proxy all_proxy=$proxy \
    "$BIN" "${T[@]}" "$URL/"
expect_verdict "https_proxy set: https still reaches the realserver" up 0 -- \
    in_director env https_proxy=$proxy HTTPS_PROXY=$proxy ALL_PROXY=$proxy \
    "$BIN" "${T[@]}" --ca "$PKI/ca.pem" "$TLS/"

# --- ldirectord form and the config file -----------------------------------------
expect_verdict "ldirectord 'VIP VPORT RIP RPORT': http://RIP:RPORT/ is up" up 0 -- \
    in_director "$BIN" "$LAB_VIP" 80 "$RS" 8080
expect_match "ldirectord form fetches from RIP, never the VIP" 0 "^up http://$re_rs:8080/: " -- \
    in_director "$BIN" "$LAB_VIP" 80 "$RS" 8080
expect_verdict "ldirectord form with --scheme/--port/--path" up 0 -- \
    in_director "$BIN" --scheme https --port 8443 --path /host --ca "$PKI/ca.pem" \
    --expect-body '^host=192\.0\.2\.11:8443 ' "$LAB_VIP" 443 "$RS" 443
conf=$WORK/vipcheck.conf
cat >"$conf" <<EOF
[vip-icmp-check]
timeout = 300ms
[mgmt-http-check]
scheme = https
port = 8443
path = /host
ca = $PKI/ca.pem
expect-body = ^host=192\\.0\\.2\\.11:8443
timeout = 2s
EOF
expect_verdict "options from the [mgmt-http-check] config section" up 0 -- \
    in_director "$BIN" --config "$conf" "$LAB_VIP" 443 "$RS" 443
expect_verdict "the command line wins over the config file" http-status 1 -- \
    in_director "$BIN" --config "$conf" --path /status/500 "$LAB_VIP" 443 "$RS" 443
expect_verdict "fwmark service: VIP is a mark, VPORT 0" up 0 -- in_director "$BIN" 7 0 "$RS" 8080

# --- IPv6 ------------------------------------------------------------------------------
expect_verdict "IPv6 literal URL: up" up 0 -- in_director "$BIN" "${T[@]}" "http://[$RS6]:8080/"
expect_verdict "IPv6 https, certificate names the address: up" up 0 -- \
    in_director "$BIN" "${T[@]}" --ca "$PKI/ca.pem" "https://[$RS6]:8443/"
expect_verdict "ldirectord form with bracketed IPv6" up 0 -- \
    in_director "$BIN" "${T[@]}" "[2001:db8::10]" 80 "[$RS6]" 8080
expect_verdict "IPv6 closed port: refused" refused 1 -- in_director "$BIN" "${T[@]}" "http://[$RS6]:8081/"

# --- binding -------------------------------------------------------------------------------
expect_verdict "--source the director's address: up" up 0 -- \
    in_director "$BIN" "${T[@]}" --source "$LAB_DIRECTOR_IP" "$URL/"
expect_verdict "--interface eth0: up" up 0 -- in_director "$BIN" "${T[@]}" --interface eth0 "$URL/"
expect_verdict "--interface eth0 --source: up" up 0 -- \
    in_director "$BIN" "${T[@]}" -i eth0 -s "$LAB_DIRECTOR_IP" "$URL/"
expect_verdict "--interface lo cannot reach the realserver: not up" no-reply 1 -- \
    in_director "$BIN" --timeout 500ms -i lo "$URL/"
expect_usage_error "--source not on this host: error" -- \
    in_director "$BIN" "${T[@]}" --source 192.0.2.77 "$URL/"
expect_usage_error "--interface that does not exist: error" -- \
    in_director "$BIN" "${T[@]}" --interface nosuch0 "$URL/"

# --- output modes ------------------------------------------------------------------------
lab_run in_director "$BIN" "${T[@]}" --json "$URL/"
expect_true "--json: status, bytes, time to first byte, total time" -- \
    /usr/bin/python3 -c '
import json, sys
d = json.loads(sys.argv[1])
ok = (d["verdict"] == "up" and d["status"] == 200 and d["bytes"] == 33 and d["reason"] == "OK"
      and 0 < d["ttfb_ms"] <= d["total_ms"] and d["md5"] == sys.argv[2] and sys.argv[3] == "0")
sys.exit(0 if ok else 1)' "$LAB_OUT" "$md5" "$LAB_RC"
lab_run in_director "$BIN" "${T[@]}" --json "$URL/status/500"
expect_true "--json on 500: verdict http-status, status 500, exit 1" -- \
    /usr/bin/python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if d["verdict"]=="http-status" and d["status"]==500 and sys.argv[2]=="1" else 1)' \
    "$LAB_OUT" "$LAB_RC"
expect_match "--nagios up: OK with perfdata, exit 0" 0 '^VIPCHECK OK - up .*\| rtt=[0-9.]+ms;;;0 time=' -- \
    in_director "$BIN" "${T[@]}" --nagios "$URL/"
expect_match "--nagios 500: CRITICAL, exit 2" 2 '^VIPCHECK CRITICAL - http-status ' -- \
    in_director "$BIN" "${T[@]}" --nagios "$URL/status/500"
expect_match "--nagios bad option: UNKNOWN, exit 3" 3 '^VIPCHECK UNKNOWN' -- \
    in_director "$BIN" --nagios --expect-status 2xx "$URL/"
expect_match "-q prints nothing" 0 '^$' -- in_director "$BIN" "${T[@]}" -q "$URL/"
lab_run in_director "$BIN" "${T[@]}" -v "$URL/"
if [[ $LAB_RC == 0 && $LAB_ERR == *"attempt  1 of 3"* && $LAB_ERR == *"HTTP/1.1 200 OK"* ]]; then
    lab_pass "-v traces the attempt and the response on stderr"
else
    lab_fail "-v traces the attempt and the response on stderr" "exit $LAB_RC, stderr: ${LAB_ERR:0:400}"
fi

# --- usage errors fail closed -------------------------------------------------------------
expect_usage_error "ftp:// URL" -- in_director "$BIN" "ftp://$RS/"
expect_usage_error "missing URL" -- in_director "$BIN"
expect_usage_error "--mac makes no sense here" -- in_director "$BIN" --mac 02:00:00:00:00:11 "$URL/"
expect_usage_error "--ttl makes no sense here" -- in_director "$BIN" --ttl 2 "$URL/"
expect_usage_error "bad --expect-status" -- in_director "$BIN" --expect-status 2xx "$URL/"
expect_usage_error "bad --digest" -- in_director "$BIN" --digest 1234 "$URL/"
expect_usage_error "--ca that does not exist" -- in_director "$BIN" --ca "$WORK/nonexistent.pem" "$TLS/"
expect_usage_error "--path with a URL" -- in_director "$BIN" --path /x "$URL/"

# --- SIGTERM ends the run at once with status 1 --------------------------------------------
expect_sigterm_exit "SIGTERM mid-run: exit 1 at once" -- "$BIN" --timeout 5s "http://$RS:8082/"

expect_no_vip_leaks "no frame on the switch asked for or claimed the VIP"

lab_end
