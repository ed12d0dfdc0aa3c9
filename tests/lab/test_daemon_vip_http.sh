#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# test_daemon_vip_http.sh - vipcheckd's kind http and plane vip-http in the standard lab.
#
#   VIPCHECK_TOOLS=build/tools tests/lab/test_daemon_vip_http.sh
#
# Needs root, openssl and nft. The healthy realserver runs the servers of
# test_vip_http.sh (tests/lab/http_server.py on every address, the VIP's included; a
# test CA made here). Every scenario of vip-http-check's lab is one target of one
# vipcheckd --once round, all connections at once through the daemon's one lwIP stack,
# and one vip-http-check run with the same settings: each must give the verdict the
# scenario wants, and the two lines must be the same but for the times. Then frame loss
# at the realserver for a round of five big transfers, a service whose realserver's
# virtual host is broken on the VIP only: app-broken-on-vip, and a backup director (one
# without the VIP): its round against the tool there, its nftables elements deleted
# when its connections end or expiring when it is SIGKILLed, and without CAP_NET_ADMIN,
# an error naming the fix.
set -uo pipefail

for tool in openssl /usr/bin/python3 md5sum nft; do
    command -v "$tool" >/dev/null || { echo "Bail out! $tool is missing"; exit 1; }
done
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=harness.sh
. "$HERE/harness.sh"
lab_tools D=vipcheckd BIN=vip-http-check

lab_begin
RS=$LAB_RS_HEALTHY
RS6=$LAB_RS6_HEALTHY
VIP=$LAB_VIP
VIP6=$LAB_VIP6
WORK=$LAB_TMP/dviphttp
mkdir -p "$WORK/www"

# A CA and a certificate for the service's name and the VIPs, as test_vip_http.sh's.
PKI=$WORK/pki
{
    lab_pki_ca "$PKI" &&
        lab_pki_cert "$PKI" server "/CN=www.example.test" \
            "$(printf 'subjectAltName=DNS:www.example.test,IP:%s,IP:%s\nextendedKeyUsage=serverAuth' "$VIP" "$VIP6")"
} || { echo "Bail out! openssl could not make the test PKI"; cat "$PKI/log"; exit 1; }
printf 'vipcheck lab index\nstatus: ready\n' >"$WORK/www/index.html"
SERVER=("/usr/bin/python3" "$HERE/http_server.py")
LOG=$WORK/server.log
lab_spawn healthy "$LOG" "${SERVER[@]}" --port 8080 --body "$WORK/www/index.html"
# A virtual host broken on the VIP only: the management address answers 200.
lab_spawn healthy "$LOG" "${SERVER[@]}" --port 8090 --broken-on "$VIP"
lab_spawn healthy "$LOG" "${SERVER[@]}" --port 8443 --tls "$PKI/server.pem" "$PKI/server.key"
lab_spawn healthy "$LOG" "${SERVER[@]}" --port 8082 --hang
for port in 8080 8090 8443 8082; do
    lab_wait_tcp healthy "$port" 10 || { echo "Bail out! server on $port did not start"; cat "$LOG"; exit 1; }
done
md5=$(md5sum <"$WORK/www/index.html" | cut -d' ' -f1)
big_md5=$(head -c 307200 /dev/zero | tr '\0' x | md5sum | cut -d' ' -f1)
URL=http://$VIP:8080
URL6=http://[$VIP6]:8080

# NAME|VERDICT|RIP|URL|OPTIONS: OPTIONS are vip-http-check's, each --opt value pair
# becoming `opt: value` in the target (a flag: `opt: true`); `~` in a value is a space.
CASES=(
    "ok|up|$RS|$URL/|"
    "head|up|$RS|$URL/|--method HEAD"
    "body-ok|up|$RS|$URL/|--expect-body ^status:~ready\$"
    "body-wrong|body-mismatch|$RS|$URL/|--expect-body ^status:~degraded\$"
    "digest-ok|up|$RS|$URL/|--digest $md5"
    "broken-on-vip|http-status|$RS|http://$VIP:8090/|"
    "big-digest|up|$RS|$URL/big/307200|--digest $big_md5"
    "chunked-digest|up|$RS|$URL/chunked/307200|--digest $big_md5"
    "big-digest-wrong|digest-mismatch|$RS|$URL/big/307200|--digest 0123456789abcdef0123456789abcdef"
    "no-vip|no-reply|$LAB_RS_NOVIP|$URL/|--timeout 600ms"
    "port-closed|port-closed|$RS|http://$VIP:8081/|"
    "forwarder|vip-missing|$LAB_RS_FORWARD|$URL/|"
    "absent|rs-unreachable|$LAB_RS_ABSENT|$URL/|--timeout 600ms"
    "hang|no-reply|$RS|http://$VIP:8082/|--timeout 600ms"
    "tls-host|up|$RS|https://$VIP:8443/host|--ca $PKI/ca.pem --host www.example.test --expect-body ^host=www\\.example\\.test:8443~sni=www\\.example\\.test\$"
    "tls-ca|up|$RS|https://$VIP:8443/|--ca $PKI/ca.pem"
    "tls-wrong-name|tls-error|$RS|https://$VIP:8443/|--ca $PKI/ca.pem --host wrong.example.test"
    "tls-untrusted|tls-error|$RS|https://$VIP:8443/|"
    "v6-ok|up|$RS6|$URL6/|"
    "v6-digest|up|$RS6|$URL6/big/307200|--digest $big_md5"
    "v6-closed|port-closed|$RS6|http://[$VIP6]:8081/|"
)

# write_cases FILE: CASES as the targets of FILE, with WANT and each tool's command line.
declare -A CLI WANT
write_cases() {
    local conf=$1 c name want rip url opts args words opt value i
    printf 'timeout: 2s\ntargets:\n' >"$conf"
    for c in "${CASES[@]}"; do
        IFS='|' read -r name want rip url opts <<<"$c"
        WANT[$name]=$want
        printf '  - name: %s\n    kind: http\n    rip: "%s"\n    url: "%s"\n' "$name" "$rip" "$url" >>"$conf"
        args=()
        read -r -a words <<<"$opts"
        for ((i = 0; i < ${#words[@]}; i++)); do
            opt=${words[$i]#--}
            value=${words[$((i + 1))]//\~/ }
            i=$((i + 1))
            # Single-quoted YAML: a backslash is itself, a quote is doubled.
            printf "    %s: '%s'\n" "${opt//-/_}" "${value//\'/\'\'}" >>"$conf"
            args+=("--$opt" "$value")
        done
        # The file's timeout, unless the scenario gives its own.
        [[ $opts == *--timeout* ]] || args=(--timeout 2s "${args[@]}")
        CLI[$name]=$(printf '%q ' "${args[@]}" "$url" "$rip")
    done
}
conf=$WORK/targets.yaml
write_cases "$conf"

# Where only the verdict is compared, and why. hang: its end is whichever of libcurl's
# timer and the deadline fires first, in the tool as in the daemon. absent: the line
# counts the neighbour requests, one every 100 ms of the 600 ms, and whether the last
# one leaves before the deadline is the scheduler's on a busy machine.
declare -A VERDICT_ONLY=([hang]=1 [absent]=1)
lab_round_vs_tool http vip-http-check

lab_run in_director "$D" --config "$conf" --once --json
if /usr/bin/python3 -c '
import json, sys
objs = {o["name"]: o for o in map(json.loads, sys.stdin.read().splitlines())}
o = objs["digest-ok"]
assert o["kind"] == "http" and o["verdict"] == "up" and o["status"] == 200 and o["md5"] == sys.argv[1], o
assert o["vip"] == sys.argv[2] and o["rip"] == sys.argv[3] and o["port"] == 8080 and o["mac"], o
' "$md5" "$VIP" "$RS" <<<"$LAB_OUT"; then
    lab_pass "--once --json: vip-http-check's members (vip, rip, mac, port, status, md5) with name and kind"
else
    lab_fail "--once --json: vip-http-check's members with name and kind"
    _lab_show_capture
fi

# --- frame loss: 20 % of the realserver's input dropped, five big transfers at once ---
# Every fifth segment of each connection, not one in five at random (see
# test_vip_http.sh: a random drop can back the realserver's RTO off past any deadline).
# The connections of one round interleave, so each has a port, a server and a counter
# of its own: numgen's counter belongs to its rule.
loss_rules=
for i in 1 2 3 4 5; do
    lab_spawn healthy "$LOG" "${SERVER[@]}" --port "810$i" --body "$WORK/www/index.html"
    loss_rules+="        ip saddr $LAB_DIRECTOR_IP tcp dport 810$i numgen inc mod 5 == 0 counter drop"$'\n'
done
for i in 1 2 3 4 5; do
    lab_wait_tcp healthy "810$i" 10 || { echo "Bail out! server on 810$i did not start"; cat "$LOG"; exit 1; }
done
lab_nft healthy <<EOF || lab_fail "loss table on the healthy realserver"
table inet vclloss {
    chain input {
        type filter hook input priority -10; policy accept;
$loss_rules    }
}
EOF
{
    printf 'interval: 10s\ntimeout: 8s\ntargets:\n'
    for i in 1 2 3 4 5; do
        printf '  - {name: loss%s, kind: http, rip: %s, url: "http://%s:810%s/big/307200", digest: %s}\n' \
            "$i" "$RS" "$VIP" "$i" "$big_md5"
    done
} >"$WORK/loss.yaml"
lab_run in_director "$D" --config "$WORK/loss.yaml" --once
# Segments dropped, a count per connection: each must have lost some.
drops=$(lab_exec healthy nft list table inet vclloss | grep -o 'packets [0-9]*' | awk '{ print $2 }' | paste -sd' ')
lab_exec healthy nft delete table inet vclloss
read -ra each <<<"$drops"
unhurt=0
for n in "${each[@]}"; do ((n > 0)) || unhurt=1; done
if ((LAB_RC == 0 && ${#each[@]} == 5 && unhurt == 0)) && [[ $(grep -c '^loss[0-9] up ' <<<"$LAB_OUT") == 5 ]]; then
    lab_pass "20% input loss at the realserver: 5 of 5 connections of one round up (segments dropped: $drops)"
else
    lab_fail "20% input loss at the realserver: 5 of 5 up" "dropped per connection: ${drops:-none}, exit $LAB_RC"
    _lab_show_capture
fi

# --- the plane: a virtual host broken on the VIP while management answers, and an
# application broken on both ---------------------------------------------------------
cat >"$WORK/services.yaml" <<EOF
timeout: 2s
services:
  - name: web
    vip: $VIP
    port: 8080
    planes: [vip-http, mgmt-http]
    vip_http: {path: /, expect_body: "^status: ready\$"}
    mgmt_http: {url: "http://{rip}:8080/"}
    realservers:
      - rip: $RS
  - name: vhost
    vip: $VIP
    port: 8090
    planes: [vip-syn, vip-http, mgmt-http]
    vip_http: {path: /}
    mgmt_http: {url: "http://{rip}:8090/"}
    realservers:
      - rip: $RS
  - name: app
    vip: $VIP
    port: 8080
    planes: [vip-syn, vip-http, mgmt-http]
    vip_http: {path: /status/500}
    mgmt_http: {url: "http://{rip}:8080/status/500"}
    realservers:
      - rip: $RS
EOF
lab_run in_director "$D" --config "$WORK/services.yaml" --once
for want in "web $RS up healthy" "vhost $RS down app-broken-on-vip" "app $RS down app-broken"; do
    service=${want%% *}
    line=$(awk -v s="$service" '$1 == s' <<<"$LAB_OUT")
    got=$(awk '{ sub(/:$/, "", $4); print $1, $2, $3, $4 }' <<<"$line")
    if [[ $got == "$want" ]]; then
        lab_pass "plane vip-http: $want ($line)"
    else
        lab_fail "plane vip-http: $want" "line: '$line'"
        _lab_show_capture
    fi
done
lab_run in_director "$D" --config "$WORK/services.yaml" --once --json
if /usr/bin/python3 -c '
import json, sys
objs = {o["service"]: o for o in map(json.loads, sys.stdin.read().splitlines())}
assert objs["web"]["planes"] == {"vip-http": "up", "mgmt-http": "up"}, objs["web"]
assert objs["vhost"]["planes"] == {"vip-syn": "up", "vip-http": "http-status", "mgmt-http": "up"}, objs["vhost"]
assert objs["vhost"]["diagnosis"] == ["app-broken-on-vip"], objs["vhost"]
assert objs["app"]["planes"] == {"vip-syn": "up", "vip-http": "http-status", "mgmt-http": "http-status"}, objs["app"]
assert objs["app"]["diagnosis"] == ["app-broken"], objs["app"]
' <<<"$LAB_OUT"; then
    lab_pass "--once --json: the vip-http plane's verdict beside mgmt-http's, diagnosis app-broken-on-vip"
else
    lab_fail "--once --json: the vip-http plane's verdict, diagnosis app-broken-on-vip"
    _lab_show_capture
fi

# --- a director that does not hold the VIP: each connection's nftables element ---------
# vip-http-check's scenarios of test_vip_http.sh, a failing path or two beside them, in
# one round of vipcheckd on a second director without the VIP, against the tool there.
# The harness keeps no switch name in this shell; the standard lab's is sw.
: "${LAB_SWITCH:=sw}"
BACKUP_IP=192.0.2.3
if lab_add_host backup "$BACKUP_IP/24"; then
    # shellcheck disable=SC2317 # called through lab_round_vs_tool
    in_backup() { timeout -k 2 "$LAB_CMD_TIMEOUT" ip netns exec "$(lab_ns backup)" "$@"; }
    # The elements in the backup director's set, one line each (none: nothing).
    backup_elements() {
        ip netns exec "$(lab_ns backup)" nft -j list set inet vipcheck http4 2>/dev/null |
            /usr/bin/python3 -c '
import json, sys
text = sys.stdin.read()
for o in (json.loads(text)["nftables"] if text else []):
    for e in o.get("set", {}).get("elem", []):
        print(json.dumps(e))'
    }
    CASES=(
        "b-ok|up|$RS|$URL/|"
        "b-big-digest|up|$RS|$URL/big/307200|--digest $big_md5"
        "b-tls|up|$RS|https://$VIP:8443/|--ca $PKI/ca.pem"
        "b-port-closed|port-closed|$RS|http://$VIP:8081/|"
        "b-no-vip|no-reply|$LAB_RS_NOVIP|$URL/|--timeout 600ms"
        "b-hang|no-reply|$RS|http://$VIP:8082/|--timeout 600ms"
    )
    conf=$WORK/backup.yaml
    write_cases "$conf"
    declare -A VERDICT_ONLY=([b-hang]=1) # as hang above
    lab_round_vs_tool http vip-http-check in_backup

    # The tool's elements live until its runs' deadlines (2 s) and a second; vipcheckd's
    # go when their connections end: none is left right after a round of its own.
    sleep 3.5
    lab_run in_backup "$D" --config "$conf" --once
    left=$(backup_elements)
    if [[ $LAB_RC == 1 && $(grep -c ' up ' <<<"$LAB_OUT") == 3 && -z $left ]]; then
        lab_pass "backup director: no nftables element left right after vipcheckd's round"
    else
        lab_fail "backup director: no nftables element left right after vipcheckd's round" \
            "exit $LAB_RC" "elements: $left"
        _lab_show_capture
    fi

    # SIGKILLed mid-round, vipcheckd deletes nothing: its element expires by itself, at
    # the connection's deadline (2 s) and a second. No connection is left anywhere: the
    # realserver without the VIP never answered.
    printf 'timeout: 2s\ntargets:\n  - {name: k, kind: http, rip: %s, url: "%s/"}\n' "$LAB_RS_NOVIP" "$URL" \
        >"$WORK/killed.yaml"
    ip netns exec "$(lab_ns backup)" "$D" --config "$WORK/killed.yaml" --once >/dev/null 2>&1 &
    killed=$!
    for ((i = 0; i < 20; i++)); do
        [[ -n $(backup_elements) ]] && break
        sleep 0.1
    done
    seen=$(backup_elements)
    kill -KILL "$killed"
    wait "$killed" 2>/dev/null
    for ((i = 0; i < 150; i++)); do
        [[ -z $(backup_elements) ]] && break
        sleep 0.2
    done
    if [[ -n $seen && -z $(backup_elements) ]]; then
        lab_pass "backup director, vipcheckd SIGKILLed: its element ($seen) expired by itself"
    else
        lab_fail "backup director, vipcheckd SIGKILLed: its element expired by itself" \
            "seen: '$seen'" "now: '$(backup_elements)'"
    fi

    # Without CAP_NET_ADMIN: the target's verdict is error, naming the fix.
    printf 'targets:\n  - {name: b, kind: http, rip: %s, url: "%s/"}\n' "$RS" "$URL" >"$WORK/backup1.yaml"
    lab_run in_backup setpriv --inh-caps=-net_admin --bounding-set=-net_admin "$D" --config "$WORK/backup1.yaml" --once
    if ((LAB_RC == 1)) && [[ $LAB_OUT == "b error "*"does not hold the VIP $VIP"*"CAP_NET_ADMIN: give vipcheckd"* ]]; then
        lab_pass "backup director without CAP_NET_ADMIN: verdict error naming the fix"
    else
        lab_fail "backup director without CAP_NET_ADMIN: verdict error naming the fix"
        _lab_show_capture
    fi
else
    lab_fail "a second director namespace without the VIP"
fi

# --- what the rounds left on the realserver ---------------------------------------------
left=$( (lab_tcp_conns healthy "[::ffff:$LAB_DIRECTOR_IP]"; lab_tcp_conns healthy "[::ffff:$BACKUP_IP]"
    lab_tcp_conns healthy "[$LAB_DIRECTOR_IP6]") | grep -v '^TIME-WAIT ')
if [[ -z $left ]]; then
    lab_pass "the realserver holds no connection from the directors but TIME-WAIT"
else
    lab_fail "the realserver holds no connection from the directors but TIME-WAIT" "$left"
fi
expect_no_vip_leaks "no frame for or from the VIP on the switch"

lab_end
