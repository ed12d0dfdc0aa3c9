#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# test_daemon_http.sh - vipcheckd's kind mgmt-http and plane mgmt-http in the standard lab.
#
#   VIPCHECK_TOOLS=build/tools tests/lab/test_daemon_http.sh LATE_REQUEST_SHIM
#
# Needs root and openssl. The healthy realserver runs the HTTP and TLS servers of
# test_http.sh (tests/lab/http_server.py, a test CA made here). Every scenario is one
# target of one vipcheckd --once round and one mgmt-http-check run with the same
# settings; each must give the verdict the scenario wants, and the two lines must be the
# same but for the times. A round of all of them at once takes about as long as its
# slowest check: the transfers run side by side on one poll. Last, a service with the
# planes vip-icmp, vip-syn and mgmt-http: a realserver whose management HTTP fails
# while its VIP serves stays up with the code mgmt-down. LATE_REQUEST_SHIM
# (tests/lab/late_request_shim.c, built by cmake) makes the director send its request
# only after the server's reset: the server that wants a client certificate must still
# be told by its alert, not by the load of the machine.
set -uo pipefail

for tool in openssl /usr/bin/python3 md5sum; do
    command -v "$tool" >/dev/null || { echo "Bail out! $tool is missing"; exit 1; }
done
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LATE=$(realpath -e -- "${1:-}") || { echo "Bail out! usage: $0 LATE_REQUEST_SHIM"; exit 1; }
# shellcheck source=harness.sh
. "$HERE/harness.sh"
lab_tools D=vipcheckd BIN=mgmt-http-check

lab_begin
RS=$LAB_RS_HEALTHY
RS6=$LAB_RS6_HEALTHY
WORK=$LAB_TMP/dhttp

# The realserver's applications: a test CA and certificates in $PKI, servers on 8080
# (index), 8082 (hangs), 8443 (TLS), 8444 (client certificate), 8445 (a stranger's).
PKI=$WORK/pki
lab_http_realserver "$WORK"
md5=$(md5sum <"$WORK/www/index.html" | cut -d' ' -f1)

# NAME|VERDICT|RIP|URL|OPTIONS: OPTIONS are mgmt-http-check's, each --opt value pair
# becoming `opt: value` in the target (a flag: `opt: true`); `~` in a value is a space.
CASES=(
    "ok|up|$RS|http://{rip}:8080/|"
    "s500|http-status|$RS|http://{rip}:8080/status/500|"
    "s503-accepted|up|$RS|http://{rip}:8080/status/503|--expect-status 200,500-599"
    "redirect|http-status|$RS|http://{rip}:8080/redirect|"
    "redirect-followed|up|$RS|http://{rip}:8080/redirect|--follow"
    "head|up|$RS|http://{rip}:8080/|--method HEAD"
    "body-ok|up|$RS|http://{rip}:8080/|--expect-body ^status:~ready\$"
    "body-wrong|body-mismatch|$RS|http://{rip}:8080/|--expect-body ^status:~degraded\$"
    "digest-ok|up|$RS|http://{rip}:8080/|--digest $md5"
    "digest-wrong|digest-mismatch|$RS|http://{rip}:8080/|--digest 0123456789abcdef0123456789abcdef"
    "big-length|body-mismatch|$RS|http://{rip}:8080/big/2097152|"
    "big-chunked|body-mismatch|$RS|http://{rip}:8080/chunked/2097152|"
    "chunked-over|body-mismatch|$RS|http://{rip}:8080/chunked/1001|--max-body 1000"
    "chunked-exact|up|$RS|http://{rip}:8080/chunked/1000|--max-body 1000"
    "chunked-4m|up|$RS|http://{rip}:8080/chunked/2097152|--max-body 4M"
    "refused|refused|$RS|http://{rip}:8081/|"
    "hang|no-reply|$RS|http://{rip}:8082/|--timeout 600ms"
    "absent|no-reply|$LAB_RS_ABSENT|http://{rip}:8080/|--timeout 500ms"
    "tls-untrusted|tls-error|$RS|https://{rip}:8443/|"
    "tls-ca|up|$RS|https://{rip}:8443/|--ca $PKI/ca.pem"
    "tls-insecure|up|$RS|https://{rip}:8443/|--insecure"
    "tls-stranger|tls-error|$RS|https://{rip}:8445/|--ca $PKI/ca.pem"
    "tls-host|up|$RS|https://{rip}:8443/host|--ca $PKI/ca.pem --host www.example.test --expect-body ^host=www\\.example\\.test:8443~sni=www\\.example\\.test\$"
    "tls-host-wrong|tls-error|$RS|https://{rip}:8443/host|--ca $PKI/ca.pem --host other.example.test"
    "tls-no-client-cert|tls-error|$RS|https://{rip}:8444/|--ca $PKI/ca.pem"
    "tls-client-cert|up|$RS|https://{rip}:8444/|--ca $PKI/ca.pem --cert $PKI/client.pem --key $PKI/client.key"
    "tls-on-plain|tls-error|$RS|https://{rip}:8080/|--ca $PKI/ca.pem"
    "header|up|$RS|http://{rip}:8080/|--header X-Check:~vipcheckd"
    "source|up|$RS|http://{rip}:8080/|--source $LAB_DIRECTOR_IP"
    "v6-ok|up|$RS6|http://{rip}:8080/|"
    "v6-tls|up|$RS6|https://{rip}:8443/|--ca $PKI/ca.pem"
    "v6-refused|refused|$RS6|http://{rip}:8081/|"
)

# The file and each tool's command line from the table.
conf=$WORK/targets.yaml
printf 'timeout: 2s\ntargets:\n' >"$conf"
declare -A CLI WANT
for c in "${CASES[@]}"; do
    IFS='|' read -r name want rip url opts <<<"$c"
    WANT[$name]=$want
    printf '  - name: %s\n    kind: mgmt-http\n    rip: "%s"\n    url: "%s"\n' "$name" "$rip" "$url" >>"$conf"
    args=()
    read -r -a words <<<"$opts"
    for ((i = 0; i < ${#words[@]}; i++)); do
        opt=${words[$i]#--}
        case $opt in
            follow | insecure)
                printf '    %s: true\n' "$opt" >>"$conf"
                args+=("--$opt")
                ;;
            *)
                value=${words[$((i + 1))]//\~/ }
                i=$((i + 1))
                # Single-quoted YAML: a backslash is itself, a quote is doubled.
                printf "    %s: '%s'\n" "${opt//-/_}" "${value//\'/\'\'}" >>"$conf"
                args+=("--$opt" "$value")
                ;;
        esac
    done
    host=$rip
    [[ $rip == *:* ]] && host="[$rip]"
    # The file's timeout, unless the scenario gives its own.
    [[ $opts == *--timeout* ]] || args=(--timeout 2s "${args[@]}")
    CLI[$name]=$(printf '%q ' "${args[@]}" "${url//\{rip\}/$host}")
done

# Where only the verdict is compared, and why. absent: nobody answers ARP, and
# libcurl's words depend on the neighbour entry the run before left (timed out, or
# unreachable at once). hang: the last attempt's own timeout and the check's deadline
# fall on the same instant, so mgmt-http-check itself says either "no reply within" or
# libcurl's "Operation timed out", whichever fires first.
declare -A VERDICT_ONLY=([absent]=1 [hang]=1)
lab_round_vs_tool mgmt-http mgmt-http-check

# The server that wants a client certificate sends its alert, then resets (the client's
# Finished is unread). A director that sends its request only after the reset fails on
# the send; the alert is read when libcurl closes. The verdict and the line are the
# alert's, from both, as when the request went out in time.
late_conf=$WORK/late.yaml
printf 'timeout: 2s\ntargets:\n  - {name: tls-no-client-cert, kind: mgmt-http, rip: "%s", url: "https://{rip}:8444/", ca: "%s"}\n' \
    "$RS" "$PKI/ca.pem" >"$late_conf"
lab_run in_director env LD_PRELOAD="$LATE" "$D" --config "$late_conf" --once
late_daemon=$(awk '$1 == "tls-no-client-cert" { sub(/^[^ ]+ /, ""); print }' <<<"$LAB_OUT")
eval "args=(${CLI[tls-no-client-cert]})"
lab_run in_director env LD_PRELOAD="$LATE" "$BIN" --verbose "${args[@]}"
late_tool=$LAB_OUT
# The trace (--verbose) shows the order was the one wanted: the request's send met the reset.
if [[ $LAB_ERR != *"Send failure: Connection reset by peer"* ]]; then
    lab_fail "the late request met the server's reset" "$(grep -E 'curl|result' <<<"$LAB_ERR" | tail -5)"
elif [[ ${late_daemon%% *} == tls-error && $(_lab_timeless <<<"$late_daemon") == "$(_lab_timeless <<<"$late_tool")" &&
    $late_tool == *"the server sent the TLS alert certificate_required (116)"* ]]; then
    lab_pass "tls-no-client-cert, request sent after the server's reset: tls-error from vipcheckd and mgmt-http-check, the same line"
else
    lab_fail "tls-no-client-cert, request sent after the server's reset: tls-error from vipcheckd and mgmt-http-check, the same line" \
        "vipcheckd: $late_daemon" "mgmt-http-check: $late_tool (exit $LAB_RC)"
fi

# JSON: the tool's members, with the target's name and kind first.
lab_run in_director "$D" --config "$conf" --once --json
if /usr/bin/python3 -c '
import json, sys
objs = {o["name"]: o for o in map(json.loads, sys.stdin.read().splitlines())}
o = objs["digest-ok"]
assert o["kind"] == "mgmt-http" and o["verdict"] == "up" and o["status"] == 200 and o["md5"] == sys.argv[1], o
assert objs["hang"]["attempts"] == 3 and objs["hang"]["status"] is None, objs["hang"]
' "$md5" <<<"$LAB_OUT"; then
    lab_pass "--once --json: mgmt-http-check's members (status, md5, attempts) with name and kind"
else
    lab_fail "--once --json: mgmt-http-check's members with name and kind"
    _lab_show_capture
fi

# --- the plane -----------------------------------------------------------------
lab_tcp_listen healthy 0.0.0.0 80 "$LAB_TMP/listener.log" || lab_fail "TCP listener on healthy"
cat >"$WORK/services.yaml" <<EOF
timeout: 1s
services:
  - name: web
    vip: $LAB_VIP
    port: 80
    planes: [vip-icmp, vip-syn, mgmt-http]
    mgmt_http: {url: "http://{rip}:8080/", expect_body: "^status: ready\$"}
    realservers:
      - rip: $RS
  - name: mgmtbad
    vip: $LAB_VIP
    port: 80
    planes: [vip-icmp, vip-syn, mgmt-http]
    mgmt_http: {url: "http://{rip}:8080/status/500"}
    realservers:
      - rip: $RS
  - name: nomgmt
    vip: $LAB_VIP
    port: 80
    planes: [vip-icmp, vip-syn, mgmt-http]
    mgmt_http: {url: "http://{rip}:8081/"}
    realservers:
      - rip: $RS
EOF
lab_run in_director "$D" --config "$WORK/services.yaml" --once
for want in "web $RS up healthy" "mgmtbad $RS up mgmt-down" "nomgmt $RS up mgmt-down"; do
    service=${want%% *}
    line=$(awk -v s="$service" '$1 == s' <<<"$LAB_OUT")
    got=$(awk '{ sub(/:$/, "", $4); print $1, $2, $3, $4 }' <<<"$line")
    if [[ $got == "$want" ]]; then
        lab_pass "plane mgmt-http: $want ($line)"
    else
        lab_fail "plane mgmt-http: $want" "line: '$line'"
        _lab_show_capture
    fi
done
if ((LAB_RC == 0)); then
    lab_pass "--once: exit 0, mgmt-http informs and never depools"
else
    lab_fail "--once: exit 0, mgmt-http informs and never depools" "exit $LAB_RC"
fi
lab_run in_director "$D" --config "$WORK/services.yaml" --once --json
if /usr/bin/python3 -c '
import json, sys
objs = {o["service"]: o for o in map(json.loads, sys.stdin.read().splitlines())}
assert objs["web"]["planes"] == {"vip-icmp": "up", "vip-syn": "up", "mgmt-http": "up"}, objs["web"]
assert objs["mgmtbad"]["planes"]["mgmt-http"] == "http-status", objs["mgmtbad"]
assert objs["nomgmt"]["planes"]["mgmt-http"] == "refused", objs["nomgmt"]
' <<<"$LAB_OUT"; then
    lab_pass "--once --json: the mgmt-http plane's verdict beside the VIP planes'"
else
    lab_fail "--once --json: the mgmt-http plane's verdict beside the VIP planes'"
    _lab_show_capture
fi

# Resident: the HTTP checks write state files, feed the judge, answer /metrics and
# /probe like the other kinds, and a reload that leaves them unchanged keeps them going.
{
    printf 'interval: 1s\ntimeout: 500ms\ntargets:\n'
    printf '  - {name: mgmt-ok, kind: mgmt-http, rip: %s, url: "http://{rip}:8080/"}\n' "$RS"
    printf '  - {name: mgmt-hang, kind: mgmt-http, rip: %s, url: "http://{rip}:8082/"}\n' "$RS"
    sed -n '/^services:/,$p' "$WORK/services.yaml"
} >"$WORK/resident.yaml"
S=$WORK/state
mkdir -p "$S"
ip netns exec "$LAB_DIRECTOR_NS" "$D" --config "$WORK/resident.yaml" --state-dir "$S" --listen 127.0.0.1:9108 \
    >"$WORK/resident.out" 2>"$WORK/resident.err" &
DPID=$!
scrape() { ip netns exec "$LAB_DIRECTOR_NS" curl -s -m 10 "http://127.0.0.1:9108$1"; }
says() { [[ -f $S/$1 && $(<"$S/$1") == "$2" && -f $S/$1.proven && $(<"$S/$1.proven") == "$3" ]]; }
if wait_for 20 says mgmt-ok 0 1 && wait_for 20 says mgmt-hang 1 0; then
    lab_pass "resident: mgmt-ok's state files say up, mgmt-hang's down"
else
    lab_fail "resident: mgmt-http state files" "$(head -v "$S"/mgmt-* 2>&1 | tr '\n' ' ')" "$(cat "$WORK/resident.err")"
fi
if wait_for 20 says "web.$RS" 0 1 && wait_for 20 says "nomgmt.$RS" 0 1 && wait_for 20 says "mgmtbad.$RS" 0 1; then
    lab_pass "resident: each service's realserver pooled, mgmt-http down or not (it informs)"
else
    lab_fail "resident: realservers with a mgmt-http plane" "$(head -v "$S"/*."$RS" 2>&1 | tr '\n' ' ')"
fi
metrics=$(scrape /metrics)
if grep -qx "vipcheck_probe_success{target=\"mgmt-ok\",kind=\"mgmt-http\",vip=\"\",rip=\"$RS\"} 1" <<<"$metrics" &&
    grep -q "^vipcheck_realserver_diagnosis{service=\"nomgmt\",.*,code=\"mgmt-down\"} 1\$" <<<"$metrics"; then
    lab_pass "/metrics: a mgmt-http target (no VIP label) and the mgmt-down code of its realserver"
else
    lab_fail "/metrics: mgmt-http series" "$(grep -E 'mgmt-ok|nomgmt' <<<"$metrics" | head -8)"
fi
if [[ $(scrape '/probe?target=mgmt-ok') == *$'\nprobe_success 1\n'* ]]; then
    lab_pass "/probe?target=mgmt-ok runs the check and answers probe_success 1"
else
    lab_fail "/probe?target=mgmt-ok" "$(scrape '/probe?target=mgmt-ok')"
fi
runs() { scrape /metrics | awk -v t="target=\"$1\"" 'index($0, "vipcheck_runs_total{" t) == 1 { print $2 }'; }
before=$(runs mgmt-ok)
kill -HUP "$DPID"
reloaded() { grep -q "^vipcheckd: reloaded " "$WORK/resident.err"; }
grown() { (($(runs mgmt-ok) > before)); }
if wait_for 10 reloaded && wait_for 20 grown; then
    lab_pass "SIGHUP with the same file: mgmt-ok keeps its counters ($before runs, then $(runs mgmt-ok))"
else
    lab_fail "SIGHUP with the same file keeps mgmt-ok's counters" "runs $before, then $(runs mgmt-ok)" \
        "$(tail -3 "$WORK/resident.err")"
fi
kill -TERM "$DPID"
rc=0
wait "$DPID" || rc=$?
if ((rc == 0)); then lab_pass "resident with mgmt-http: SIGTERM exits 0"; else lab_fail "resident: SIGTERM exits 0" "exit $rc"; fi

lab_end
