#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# test_daemon.sh - vipcheckd in the standard lab.
#
#   VIPCHECK_TOOLS=build/tools tests/lab/test_daemon.sh
#
# --once over every lab realserver, IPv4 and IPv6, icmp, syn and arp, must give each
# target the verdict the one-shot tool gives it; --json is NDJSON with the documented
# members; bad configuration files are one line naming the target and the field;
# --check checks a file and opens no socket; resident mode writes state files, keeps
# unchanged targets' state across SIGHUP, keeps the old configuration when the new
# file is bad (and says so in /metrics), and exits 0 on SIGTERM.
set -uo pipefail
# shellcheck source=harness.sh
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
lab_tools D=vipcheckd ICMP=vip-icmp-check SYN=vip-syn-check ARP=vip-arp-check

lab_begin
C=$LAB_TMP/conf
mkdir -p "$C"
# vipcheck(7), SAFETY, from the director: the VIP as ARP sender or IP source, or a
# broadcast question about it. (The lab's own watch also counts the ARP-leak test's
# unicast question, which SAFETY allows and the arp kind asks.)
lab_nft sw <<EOF || lab_fail "nft watch on the switch"
table bridge vcldaemon {
    counter never { }
    chain watch {
        type filter hook forward priority 0; policy accept;
        iifname "p-director" arp saddr ip $LAB_VIP counter name never
        iifname "p-director" ether daddr ff:ff:ff:ff:ff:ff arp daddr ip $LAB_VIP counter name never
        iifname "p-director" ip saddr $LAB_VIP counter name never
        iifname "p-director" ip6 saddr $LAB_VIP6 counter name never
    }
}
EOF
lab_tcp_listen healthy 0.0.0.0 80 "$LAB_TMP/listener.log" || lab_fail "TCP listener on healthy"
# Healthy but for ARP: it answers who-has for the VIP (arp_ignore=0). In one round its
# arp target asks about the VIP and gets that answer; its icmp and syn targets, which
# did not ask, must still give their probes' verdicts, as the one-shot tools do.
RS_ARPLEAK=192.0.2.15
: "${LAB_SWITCH:=sw}" # lab_begin leaves only the env file: name the switch again
{ lab_add_host arpleak "$RS_ARPLEAK" && lab_vip_on_lo arpleak "$LAB_VIP" &&
    lab_sysctl arpleak net.ipv4.conf.all.arp_ignore=0 net.ipv4.conf.eth0.arp_ignore=0 \
        net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.eth0.arp_announce=2 &&
    lab_tcp_listen arpleak 0.0.0.0 80 "$LAB_TMP/arpleak.log"; } || lab_fail "the ARP-leaking realserver"

# ---- configuration errors: exit 1, one line naming the target and the field ------------
bad() { # bad NAME REGEX YAML: the file is refused with one stderr line matching REGEX
    local name=$1 re=$2
    printf '%s' "$3" >"$C/$name.yaml"
    expect_usage_error "config error: $name" -- in_director "$D" --config "$C/$name.yaml" --once
    if [[ $LAB_ERR =~ $re ]]; then
        lab_pass "config error: $name names what is wrong"
    else
        lab_fail "config error: $name names what is wrong" "stderr: $LAB_ERR" "want /$re/"
    fi
}
T="targets:
  - name: rs1
"
bad unknown-key "unknown-key.yaml:6: target 'rs1': unknown field 'colour'" "$T    kind: icmp
    vip: $LAB_VIP
    rip: $LAB_RS_HEALTHY
    colour: red
"
bad unknown-kind "unknown-kind.yaml:3: target 'rs1': field 'kind': unknown kind 'ping'" "$T    kind: ping
    vip: $LAB_VIP
    rip: $LAB_RS_HEALTHY
"
bad bad-address "bad-address.yaml:5: target 'rs1': field 'rip': '192.0.2.300' is not an IPv4 or IPv6 address" "$T    kind: icmp
    vip: $LAB_VIP
    rip: 192.0.2.300
"
bad duplicate "duplicate.yaml:6: target 'rs1': field 'name': duplicate name" "$T    kind: icmp
    vip: $LAB_VIP
    rip: $LAB_RS_HEALTHY
  - name: rs1
    kind: icmp
    vip: $LAB_VIP
    rip: $LAB_RS_NOVIP
"
bad missing "missing.yaml:2: target 'rs1': missing field 'rip'" "$T    kind: icmp
    vip: $LAB_VIP
"
bad syn-port "syn-port.yaml:2: target 'rs1': missing field 'port'" "$T    kind: syn
    vip: $LAB_VIP
    rip: $LAB_RS_HEALTHY
"
expect_usage_error "no such config file" -- in_director "$D" --config "$C/nonexistent.yaml" --once
expect_usage_error "--json without --once is a usage error" -- in_director "$D" --config "$C/missing.yaml" --json
expect_usage_error "no --config is a usage error" -- in_director "$D" --once

# ---- --once: the one-shot tools' verdicts --------------------------------------------
declare -A ARGS KIND
add() { # add NAME KIND VIP RIP [PORT [MORE-YAML]]
    KIND[$1]=$2
    if [[ $2 == syn ]]; then ARGS[$1]="$3 $5 $4"; else ARGS[$1]="$3 $4"; fi
    printf '  - {name: %s, kind: %s, vip: "%s", rip: "%s"%s%s}\n' "$1" "$2" "$3" "$4" "${5:+, port: $5}" "${6:-}" >>"$C/all.yaml"
}
printf 'timeout: 500ms\ntargets:\n' >"$C/all.yaml"
for host in healthy novip dropped forward absent; do
    key=${host^^}
    rip4=LAB_RS_$key rip6=LAB_RS6_$key
    add "$host-icmp" icmp "$LAB_VIP" "${!rip4}"
    add "$host-syn" syn "$LAB_VIP" "${!rip4}" 80
    add "$host-icmp6" icmp "$LAB_VIP6" "${!rip6}"
    add "$host-syn6" syn "$LAB_VIP6" "${!rip6}" 80
    add "$host-closed" syn "$LAB_VIP" "${!rip4}" 81
    add "$host-arp" arp "$LAB_VIP" "${!rip4}"
    add "$host-arp6" arp "$LAB_VIP6" "${!rip6}"
    add "$host-leak" icmp "$LAB_VIP" "${!rip4}" "" ", arp_leak: true"
    ARGS[$host-leak]="--arp-leak ${ARGS[$host-leak]}"
done
add arpleak-icmp icmp "$LAB_VIP" "$RS_ARPLEAK"
add arpleak-syn syn "$LAB_VIP" "$RS_ARPLEAK" 80
add arpleak-arp arp "$LAB_VIP" "$RS_ARPLEAK"
add arpleak-leak icmp "$LAB_VIP" "$RS_ARPLEAK" "" ", arp_leak: true"
ARGS[arpleak-leak]="--arp-leak ${ARGS[arpleak-leak]}"
lab_run in_director "$D" --config "$C/all.yaml" --once
if ((LAB_RC == 1)) && [[ $(grep -c '' <<<"$LAB_OUT") == "${#KIND[@]}" ]]; then
    lab_pass "--once: one line per target, exit 1 (not all up)"
else
    lab_fail "--once: one line per target, exit 1 (not all up)" "exit $LAB_RC, $(grep -c '' <<<"$LAB_OUT") lines for ${#KIND[@]} targets"
    _lab_show_capture
fi
ONCE=$LAB_OUT
same=0 differ=()
declare -A SEEN
for name in "${!KIND[@]}"; do
    got=$(awk -v n="$name" '$1 == n { print $2 }' <<<"$ONCE")
    tool=$ICMP
    [[ ${KIND[$name]} == syn ]] && tool=$SYN
    [[ ${KIND[$name]} == arp ]] && tool=$ARP
    # shellcheck disable=SC2086 # ARGS holds words
    want=$(in_director "$tool" --timeout 500ms ${ARGS[$name]} | awk '{ print $1 }')
    SEEN[$want]=1
    if [[ -n $got && $got == "$want" ]]; then same=$((same + 1)); else differ+=("$name: vipcheckd '$got', tool '$want'"); fi
done
if ((${#differ[@]} == 0)); then
    lab_pass "--once gives every one of ${#KIND[@]} targets the one-shot tool's verdict ($(printf '%s ' "${!SEEN[@]}"))"
else
    lab_fail "--once gives every target the one-shot tool's verdict" "${differ[@]}"
fi
# The verdicts are not all alike: the comparison covers every path.
for token in up no-reply vip-missing rs-unreachable port-closed arp-leak; do
    if [[ -n ${SEEN[$token]:-} ]]; then lab_pass "the lab yields $token"; else lab_fail "the lab yields $token"; fi
done

printf 'targets:\n  - {name: h4, kind: icmp, vip: %s, rip: %s}\n  - {name: h6, kind: icmp, vip: "%s", rip: "%s"}\n' \
    "$LAB_VIP" "$LAB_RS_HEALTHY" "$LAB_VIP6" "$LAB_RS6_HEALTHY" >"$C/up.yaml"
expect_match "--once: exit 0 when every target is up" 0 '^h4 up .*
h6 up ' -- in_director "$D" --config "$C/up.yaml" --once
lab_run in_director "$D" --config "$C/all.yaml" --once --json
if /usr/bin/python3 -c '
import json, sys
lines = sys.stdin.read().splitlines()
assert len(lines) == int(sys.argv[1]), len(lines)
for l in lines:
    o = json.loads(l)
    for k in ("name", "kind", "verdict", "vip", "rip", "rtt_ms", "detail"):
        assert k in o, (k, l)
    assert o["name"] and o["kind"] in ("icmp", "syn", "arp"), l
' "${#KIND[@]}" <<<"$LAB_OUT"; then
    lab_pass "--json: NDJSON, one object per target with name, kind, verdict, vip, rip, rtt_ms, detail"
else
    lab_fail "--json: NDJSON with the documented members"
    _lab_show_capture
fi

# ---- --check: the whole file checked, one summary line, nothing sent -------------------
# keepalived -t's use: the unit's ExecReload runs it first, so a bad file fails the
# reload visibly. strace shows every socket it opens: none (vipcheckd(8), --check).
command -v strace >/dev/null || lab_fail "strace is installed (the --check section needs it)"
sockets() { grep -c 'socket(' "$C/strace"; }
icmp=0 syn=0 arp=0 leak=0
for name in "${!KIND[@]}"; do
    case ${KIND[$name]} in icmp) icmp=$((icmp + 1)) ;; syn) syn=$((syn + 1)) ;; arp) arp=$((arp + 1)) ;; esac
    [[ ${ARGS[$name]} == --arp-leak* ]] && leak=$((leak + 1))
done
want="vipcheckd: $C/all.yaml: ${#KIND[@]} targets ($icmp icmp, $syn syn, $arp arp; $leak with arp_leak) on 11 realservers and 2 VIPs, every 5s, timeout 500ms"
rm -f "$C/strace"
lab_run in_director strace -f -qq -e trace=socket -o "$C/strace" "$D" --check --config "$C/all.yaml" \
    --listen 127.0.0.1:9105 --state-dir "$C"
if ((LAB_RC == 0)) && [[ $LAB_OUT == "$want" && -z $LAB_ERR ]]; then
    lab_pass "--check: a valid file is exit 0 and one summary line ($LAB_OUT)"
else
    lab_fail "--check: a valid file is exit 0 and one summary line" "want: $want"
    _lab_show_capture
fi
if [[ -e $C/strace && $(sockets) == 0 ]]; then
    lab_pass "--check of a valid file opens no socket (no capture, no listener)"
else
    lab_fail "--check of a valid file opens no socket" "$(grep 'socket(' "$C/strace")"
fi
rm -f "$C/strace"
lab_run in_director strace -f -qq -e trace=socket -o "$C/strace" "$D" --check --config "$C/bad-address.yaml"
if ((LAB_RC == 1)) && [[ $LAB_ERR =~ ^vipcheckd:\ .*/bad-address.yaml:5:\ target\ \'rs1\':\ field\ \'rip\' && -z $LAB_OUT ]] &&
    [[ $(grep -c '' <<<"$LAB_ERR") == 1 && -e $C/strace && $(sockets) == 0 ]]; then
    lab_pass "--check: a bad file is exit 1, one line with FILE:LINE, no socket ($LAB_ERR)"
else
    lab_fail "--check: a bad file is exit 1, one line with FILE:LINE, no socket" "$(grep 'socket(' "$C/strace")"
    _lab_show_capture
fi
# The same trace of --once does see the capture: the two checks above can fail.
printf 'targets:\n  - {name: h4, kind: icmp, vip: %s, rip: %s}\n' "$LAB_VIP" "$LAB_RS_HEALTHY" >"$C/one.yaml"
rm -f "$C/strace"
lab_run in_director strace -f -qq -e trace=socket -o "$C/strace" "$D" --config "$C/one.yaml" --once
if grep -q 'socket(AF_PACKET' "$C/strace"; then
    lab_pass "strace sees --once open its AF_PACKET capture"
else
    lab_fail "strace sees --once open its AF_PACKET capture" "$(cat "$C/strace")"
fi
expect_usage_error "--check with --once is a usage error" -- in_director "$D" --config "$C/all.yaml" --check --once

# ---- resident: state files, SIGHUP, SIGTERM -------------------------------------------
S=$LAB_TMP/vipcheckd-state
mkdir -p "$S"
cat >"$C/run.yaml" <<EOF
interval: 300ms
timeout: 200ms
targets:
  - {name: keep, kind: icmp, vip: $LAB_VIP, rip: $LAB_RS_HEALTHY}
  - {name: change, kind: icmp, vip: $LAB_VIP, rip: $LAB_RS_NOVIP}
  - {name: drop, kind: icmp, vip: $LAB_VIP, rip: $LAB_RS_FORWARD}
  - {name: gone, kind: icmp, vip: $LAB_VIP, rip: $LAB_RS_HEALTHY}
EOF
PORT=9105
ip netns exec "$LAB_DIRECTOR_NS" "$D" --config "$C/run.yaml" --state-dir "$S" --listen "127.0.0.1:$PORT" \
    >"$LAB_TMP/d.out" 2>"$LAB_TMP/d.err" &
DPID=$!
metric() { # metric NAME TARGET: the sample's value, or empty
    ip netns exec "$LAB_DIRECTOR_NS" curl -s -m 5 "http://127.0.0.1:$PORT/metrics" |
        awk -v m="$1" -v t="target=\"$2\"" 'index($0, m "{") == 1 && index($0, t) { print $2; exit }'
}
state_is() { [[ -f $S/$1 && $(<"$S/$1") == "$2" ]]; }
has_metric() { [[ -n $(metric "$1" "$2") ]]; }
if wait_for 10 state_is keep 0 && wait_for 10 state_is gone 0 && wait_for 10 state_is change 1 && state_is drop 1; then
    lab_pass "state files: keep 0 (up), change and drop 1"
else
    lab_fail "state files: keep 0 (up), change and drop 1" "$(head -v "$S"/* 2>&1 | tr '\n' ' ')" "$(cat "$LAB_TMP/d.err")"
fi
wait_for 10 has_metric vipcheck_probes_total change
gauge() { # gauge NAME: the value of a sample without labels, or empty
    ip netns exec "$LAB_DIRECTOR_NS" curl -s -m 5 "http://127.0.0.1:$PORT/metrics" | awk -v m="$1" '$1 == m { print $2; exit }'
}
later() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && b != "" && b + 0 > a + 0) }'; }
build=$(ip netns exec "$LAB_DIRECTOR_NS" curl -s -m 5 "http://127.0.0.1:$PORT/metrics" | grep -E '^vipcheck_build_info\{version="[^"]+"\} 1$')
if [[ -n $build && $(gauge vipcheckd_config_last_reload_successful) == 1 ]]; then
    lab_pass "/metrics: $build, the configuration taken (last_reload_successful 1)"
else
    lab_fail "/metrics: build_info and last_reload_successful 1" "build '$build', reload '$(gauge vipcheckd_config_last_reload_successful)'"
fi
keep_runs=$(metric vipcheck_runs_total keep) keep_failed=$(metric vipcheck_failed_runs_total keep)
change_failed=$(metric vipcheck_failed_runs_total change)
if [[ -n $keep_runs && $keep_failed == 0 && -n $change_failed ]] && ((keep_runs > 0 && change_failed > 0)); then
    lab_pass "/metrics: runs and failed runs per target (keep $keep_runs runs, 0 failed; change $change_failed failed)"
else
    lab_fail "/metrics: runs and failed runs per target" "keep '$keep_runs' runs, '$keep_failed' failed; change '$change_failed' failed"
fi
if has_metric vipcheck_rtt_seconds keep && ! has_metric vipcheck_rtt_seconds change; then
    lab_pass "/metrics: a reply time for the target that replied ($(metric vipcheck_rtt_seconds keep) s), none for no-reply"
else
    lab_fail "/metrics: a reply time for the target that replied, none for no-reply" "keep '$(metric vipcheck_rtt_seconds keep)', change '$(metric vipcheck_rtt_seconds change)'"
fi
reload_at=$(gauge vipcheckd_config_last_reload_success_timestamp_seconds)
# change's no-reply runs: counted before the reload, gone after it (a new target).
no_replies() {
    ip netns exec "$LAB_DIRECTOR_NS" curl -s -m 5 "http://127.0.0.1:$PORT/metrics" |
        awk '/^vipcheck_probes_total\{target="change",.*verdict="no-reply"\}/ { print $2 }'
}
keep_before=$(metric vipcheck_probes_total keep) change_before=$(no_replies)
sed -e "s/rip: $LAB_RS_NOVIP/rip: $LAB_RS_HEALTHY/" -e '/name: drop/d' -e '/name: gone/d' "$C/run.yaml" >"$C/run2.yaml"
cp "$C/run2.yaml" "$C/run.yaml"
kill -HUP "$DPID"
if wait_for 10 grep -q "reloaded" "$LAB_TMP/d.err"; then lab_pass "SIGHUP reloads"; else lab_fail "SIGHUP reloads" "$(cat "$LAB_TMP/d.err")"; fi
reloaded_at=$(gauge vipcheckd_config_last_reload_success_timestamp_seconds)
if [[ $(gauge vipcheckd_config_last_reload_successful) == 1 ]] && later "$reload_at" "$reloaded_at"; then
    lab_pass "SIGHUP: last_reload_successful 1, its time moved ($reload_at -> $reloaded_at)"
else
    lab_fail "SIGHUP: last_reload_successful 1, its time moved" "'$(gauge vipcheckd_config_last_reload_successful)', '$reload_at' -> '$reloaded_at'"
fi
keep_after=$(metric vipcheck_probes_total keep) change_after=$(no_replies)
if [[ -n $keep_before && -n $keep_after ]] && ((keep_after >= keep_before)); then
    lab_pass "SIGHUP: the unchanged target keeps its counters ($keep_before -> $keep_after runs)"
else
    lab_fail "SIGHUP: the unchanged target keeps its counters" "before '$keep_before', after '$keep_after'"
fi
if [[ -n $change_before && -z $change_after ]]; then
    lab_pass "SIGHUP: the changed target starts afresh (its $change_before no-reply runs are gone)"
else
    lab_fail "SIGHUP: the changed target starts afresh" "before '$change_before', after '$change_after'"
fi
if wait_for 10 state_is change 0; then lab_pass "SIGHUP: the changed target (now healthy) goes up in its state file"; else lab_fail "SIGHUP: the changed target's state file says 0"; fi
if ! has_metric vipcheck_probe_success drop; then lab_pass "SIGHUP: the removed target left /metrics"; else lab_fail "SIGHUP: the removed target left /metrics"; fi
# keepalived would go on reading a removed target's last value: an up one must say 1.
if state_is gone 1; then lab_pass "SIGHUP: the removed target's state file says 1"; else lab_fail "SIGHUP: the removed target's state file says 1" "$(head -v "$S"/* 2>&1 | tr '\n' ' ')"; fi

printf 'targets:\n  - {name: keep, kind: icmp, vip: %s, rip: 192.0.2.300}\n' "$LAB_VIP" >"$C/run.yaml"
kill -HUP "$DPID"
if wait_for 10 grep -q "reload failed, keeping the previous configuration: .*target 'keep': field 'rip': '192.0.2.300' is not an IPv4 or IPv6 address" "$LAB_TMP/d.err"; then
    lab_pass "SIGHUP with a bad file: logged, naming the target and the field"
else
    lab_fail "SIGHUP with a bad file: logged" "$(cat "$LAB_TMP/d.err")"
fi
if [[ $(gauge vipcheckd_config_last_reload_successful) == 0 &&
    $(gauge vipcheckd_config_last_reload_success_timestamp_seconds) == "$reloaded_at" ]]; then
    lab_pass "SIGHUP with a bad file: last_reload_successful 0, the time of the configuration in use kept"
else
    lab_fail "SIGHUP with a bad file: last_reload_successful 0" "'$(gauge vipcheckd_config_last_reload_successful)', time '$(gauge vipcheckd_config_last_reload_success_timestamp_seconds)' (was '$reloaded_at')"
fi
k1=$(metric vipcheck_probes_total keep) r1=$(gauge vipcheckd_last_result_timestamp_seconds)
sleep 1
k2=$(metric vipcheck_probes_total keep) r2=$(gauge vipcheckd_last_result_timestamp_seconds)
if later "$r1" "$r2"; then
    lab_pass "/metrics: the newest result's time moves on ($r1 -> $r2)"
else
    lab_fail "/metrics: the newest result's time moves on" "'$r1' -> '$r2'"
fi
if [[ -n $k1 && -n $k2 ]] && ((k2 > k1)) && has_metric vipcheck_probe_success change; then
    lab_pass "SIGHUP with a bad file: the previous configuration goes on ($k1 -> $k2 runs)"
else
    lab_fail "SIGHUP with a bad file: the previous configuration goes on" "keep '$k1' -> '$k2'"
fi

expect_match "/probe?target= answers in blackbox_exporter's shape" 0 'probe_success 1.*vipcheck_probe_verdict\{verdict="up"\} 1' -- \
    in_director curl -s -m 5 "http://127.0.0.1:$PORT/probe?target=keep"
expect_match "/probe of an unconfigured target: 404, nothing sent" 0 '^404$' -- \
    in_director curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/probe?target=$LAB_RS_HEALTHY"

start=$(date +%s%N)
kill -TERM "$DPID"
rc=0
wait "$DPID" || rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
if ((rc == 0 && ms < 1000)); then lab_pass "SIGTERM: exit 0 within a second (${ms} ms)"; else lab_fail "SIGTERM: exit 0 within a second" "exit $rc after $ms ms"; fi

# SIGINT too, in the middle of a round.
ip netns exec "$LAB_DIRECTOR_NS" "$D" --config "$C/run2.yaml" >/dev/null 2>&1 &
DPID=$!
sleep 0.4
start=$(date +%s%N)
kill -INT "$DPID"
rc=0
wait "$DPID" || rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
if ((rc == 0 && ms < 1000)); then lab_pass "SIGINT: exit 0 within a second (${ms} ms)"; else lab_fail "SIGINT: exit 0 within a second" "exit $rc after $ms ms"; fi

# ---- an interface that vanishes: its targets get error, the others go on ---------------
# A second segment (TEST-NET-3) on the director's eth1 with one healthy realserver.
FAR=203.0.113.11
{ lab_add_switch sw2 && lab_link director eth1 --switch sw2 203.0.113.2/24 &&
    lab_add_host far --switch sw2 "$FAR/24" && lab_vip_on_lo far "$LAB_VIP" && lab_arp_hide far; } ||
    lab_fail "the second segment"
cat >"$C/two.yaml" <<EOF
interval: 300ms
timeout: 200ms
targets:
  - {name: near, kind: icmp, vip: $LAB_VIP, rip: $LAB_RS_HEALTHY}
  - {name: far, kind: icmp, vip: $LAB_VIP, rip: $FAR}
EOF
ip netns exec "$LAB_DIRECTOR_NS" "$D" --config "$C/two.yaml" --listen "127.0.0.1:$PORT" \
    >"$LAB_TMP/two.out" 2>"$LAB_TMP/two.err" &
DPID=$!
verdict_of() { # the target's current verdict in /metrics
    ip netns exec "$LAB_DIRECTOR_NS" curl -s -m 5 "http://127.0.0.1:$PORT/metrics" |
        awk -v t="target=\"$1\"" 'index($0, "vipcheck_probe_verdict{") == 1 && index($0, t) && $2 == 1 {
            match($0, /verdict="[^"]*"/); print substr($0, RSTART + 9, RLENGTH - 10) }'
}
verdict_is() { [[ $(verdict_of "$1") == "$2" ]]; }
if wait_for 10 verdict_is near up && wait_for 10 verdict_is far up; then
    lab_pass "two interfaces: both targets up"
else
    lab_fail "two interfaces: both targets up" "near '$(verdict_of near)', far '$(verdict_of far)'" "$(cat "$LAB_TMP/two.err")"
fi
ip -n "$LAB_DIRECTOR_NS" link del eth1
if wait_for 10 verdict_is far error; then
    lab_pass "the target whose interface vanished is error: $(grep -m1 "far.*error" "$LAB_TMP/two.err")"
else
    lab_fail "the target whose interface vanished is error" "far '$(verdict_of far)'" "$(cat "$LAB_TMP/two.err")"
fi
n1=$(metric vipcheck_probes_total near)
sleep 1
n2=$(metric vipcheck_probes_total near)
if kill -0 "$DPID" 2>/dev/null && verdict_is near up && [[ -n $n1 && -n $n2 ]] && ((n2 > n1)); then
    lab_pass "the other target goes on, up ($n1 -> $n2 runs)"
else
    lab_fail "the other target goes on, up" "near '$(verdict_of near)', runs '$n1' -> '$n2'" "$(cat "$LAB_TMP/two.err")"
fi
kill -TERM "$DPID"
wait "$DPID" || true

never=$(ip netns exec "$LAB_SWITCH_NS" nft list counter bridge vcldaemon never | awk '/packets/ { print $2 }')
if [[ $never == 0 ]]; then
    lab_pass "the director never claimed the VIP nor broadcast a question about it"
else
    lab_fail "the director never claimed the VIP nor broadcast a question about it" "$never frames"
fi
lab_end
