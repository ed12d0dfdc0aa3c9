#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# test_daemon_services.sh - vipcheckd's services in the standard lab.
#
#   VIPCHECK_TOOLS=build/tools tests/lab/test_daemon_services.sh
#
# A service over every lab realserver with the planes vip-icmp, vip-syn and arp: --once
# prints one line per realserver with that round's state and the diagnosis codes that
# realserver's fault must give (vipcheckd(8), SERVICES), and --once --json one object
# each with the documented members; a closed port is service-down-on-vip; an
# ARP-leaking realserver stays up (arp informs, never depools) with code arp-leak; the
# exit status is 1 since not every realserver is up, 0 when all are. Resident, each
# (realserver, plane) target keeps its own state file, and each realserver one judged
# from its planes together.
set -uo pipefail
# shellcheck source=harness.sh
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
lab_tools D=vipcheckd

lab_begin
C=$LAB_TMP/conf
mkdir -p "$C"
lab_tcp_listen healthy 0.0.0.0 80 "$LAB_TMP/listener.log" || lab_fail "TCP listener on healthy"
# Healthy but for ARP: it answers who-has for the VIP (arp_ignore=0).
RS_ARPLEAK=192.0.2.15
: "${LAB_SWITCH:=sw}" # lab_begin leaves only the env file: name the switch again
{ lab_add_host arpleak "$RS_ARPLEAK" && lab_vip_on_lo arpleak "$LAB_VIP" &&
    lab_sysctl arpleak net.ipv4.conf.all.arp_ignore=0 net.ipv4.conf.eth0.arp_ignore=0 \
        net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.eth0.arp_announce=2 &&
    lab_tcp_listen arpleak 0.0.0.0 80 "$LAB_TMP/arpleak.log"; } || lab_fail "the ARP-leaking realserver"

# What each realserver's fault must give: STATE CODES (vipcheckd(8), SERVICES).
declare -A WANT=(
    ["web $LAB_RS_HEALTHY"]="up healthy"
    ["web $LAB_RS_NOVIP"]="down vip-silent"
    ["web $LAB_RS_DROPPED"]="down vip-silent"
    ["web $LAB_RS_FORWARD"]="down vip-not-configured"
    ["web $LAB_RS_ABSENT"]="down rs-unreachable"
    ["web $RS_ARPLEAK"]="up arp-leak"
    ["closed $LAB_RS_HEALTHY"]="down service-down-on-vip"
)
cat >"$C/services.yaml" <<EOF
timeout: 500ms
interval: 1s
services:
  - name: web
    vip: $LAB_VIP
    port: 80
    planes: [vip-icmp, vip-syn, arp]
    realservers:
      - rip: $LAB_RS_HEALTHY
      - rip: $LAB_RS_NOVIP
      - rip: $LAB_RS_DROPPED
      - rip: $LAB_RS_FORWARD
      - rip: $LAB_RS_ABSENT
      - rip: $RS_ARPLEAK
  - name: closed
    vip: $LAB_VIP
    port: 81
    planes: [vip-icmp, vip-syn]
    realservers:
      - rip: $LAB_RS_HEALTHY
EOF

lab_run in_director "$D" --config "$C/services.yaml" --once
ONCE=$LAB_OUT
if ((LAB_RC == 1)) && [[ $(grep -c '' <<<"$ONCE") == "${#WANT[@]}" ]]; then
    lab_pass "--once: one line per realserver of each service, exit 1 (not all up)"
else
    lab_fail "--once: one line per realserver of each service, exit 1 (not all up)" \
        "exit $LAB_RC, $(grep -c '' <<<"$ONCE") lines for ${#WANT[@]} realservers"
    _lab_show_capture
fi
for key in "${!WANT[@]}"; do
    line=$(awk -v s="${key% *}" -v r="${key#* }" '$1 == s && $2 == r' <<<"$ONCE")
    # SERVICE RIP STATE CODES: SENTENCE
    got=$(awk '{ sub(/:$/, "", $4); print $3, $4 }' <<<"$line")
    if [[ $got == "${WANT[$key]}" && $line == *": "?* ]]; then
        lab_pass "--once: $key is ${WANT[$key]} ($line)"
    else
        lab_fail "--once: $key is ${WANT[$key]}" "line: '$line'"
    fi
done

lab_run in_director "$D" --config "$C/services.yaml" --once --json
if ((LAB_RC == 1)) && /usr/bin/python3 -c '
import json, sys
want = dict(l.split("=", 1) for l in sys.argv[1].split(";"))
lines = sys.stdin.read().splitlines()
assert len(lines) == len(want), len(lines)
for l in lines:
    o = json.loads(l)
    assert sorted(o) == sorted(["service", "vip", "port", "rip", "state", "planes", "diagnosis", "detail"]), l
    state, codes = want.pop(o["service"] + " " + o["rip"]).split(" ")
    assert o["state"] == state and o["diagnosis"] == codes.split(","), l
    assert o["port"] == (80 if o["service"] == "web" else 81) and o["detail"], l
    planes = ["vip-icmp", "vip-syn", "arp"] if o["service"] == "web" else ["vip-icmp", "vip-syn"]
    assert list(o["planes"]) == planes, l
    assert o["state"] == ("up" if all(o["planes"][p] == "up" for p in ("vip-icmp", "vip-syn")) else "down"), l
assert not want, want
' "$(for k in "${!WANT[@]}"; do printf '%s=%s;' "$k" "${WANT[$k]}"; done | sed 's/;$//')" <<<"$LAB_OUT"; then
    lab_pass "--once --json: one object per realserver with service, vip, port, rip, state, planes, diagnosis, detail"
else
    lab_fail "--once --json: one object per realserver with the documented members and codes"
    _lab_show_capture
fi

# Targets beside services keep their own lines; all up is exit 0.
cat >"$C/up.yaml" <<EOF
timeout: 500ms
targets:
  - {name: h4, kind: icmp, vip: $LAB_VIP, rip: $LAB_RS_HEALTHY}
services:
  - name: web
    vip: $LAB_VIP
    port: 80
    planes: [vip-icmp, vip-syn]
    realservers:
      - rip: $LAB_RS_HEALTHY
EOF
expect_match "--once: targets and realservers together, exit 0 when all are up" 0 "^h4 up .*
web $LAB_RS_HEALTHY up healthy: [^
]+\$" -- in_director "$D" --config "$C/up.yaml" --once

# An arp plane behind encap is refused at its line, before anything is sent.
printf 'services:\n  - name: tun\n    vip: %s\n    encap: ipip\n    planes: [vip-icmp, arp]\n    realservers:\n      - rip: %s\n' \
    "$LAB_VIP" "$LAB_RS_HEALTHY" >"$C/tun.yaml"
expect_usage_error "an arp plane with encap is a config error" -- in_director "$D" --config "$C/tun.yaml" --once
if [[ $LAB_ERR == *"tun.yaml:4: service 'tun' realserver $LAB_RS_HEALTHY plane arp: kind arp is the ARP-leak test"* ]]; then
    lab_pass "the refusal names the line of encap, the service, the realserver and the plane"
else
    lab_fail "the refusal names the line of encap, the service, the realserver and the plane" "stderr: $LAB_ERR"
fi
# Resident, a service's targets have their state files one by one, as targets do, and
# each realserver its own, SERVICE.RIP, from the judge (vipcheckd(8), STATE FILES).
S=$LAB_TMP/states
mkdir -p "$S"
ip netns exec "$LAB_DIRECTOR_NS" "$D" --config "$C/services.yaml" --state-dir "$S" \
    >"$LAB_TMP/d.out" 2>"$LAB_TMP/d.err" &
DPID=$!
state_is() { [[ -f $S/$1 && $(<"$S/$1") == "$2" ]]; }
if wait_for 10 state_is "web.$LAB_RS_HEALTHY.vip-syn" 0 && wait_for 10 state_is "web.$RS_ARPLEAK.arp" 1 &&
    wait_for 10 state_is "web.$LAB_RS_FORWARD.vip-icmp" 1 && wait_for 10 state_is "closed.$LAB_RS_HEALTHY.vip-syn" 1 &&
    state_is "closed.$LAB_RS_HEALTHY.vip-icmp" 0; then
    lab_pass "resident: one state file per realserver and plane, SERVICE.RIP.PLANE"
else
    lab_fail "resident: one state file per realserver and plane" "$(head -v "$S"/* 2>&1 | tr '\n' ' ')" "$(cat "$LAB_TMP/d.err")"
fi
# rise 2 at an interval of 1s: pooled after its second good round. An ARP leak informs.
pooled_files() { state_is "$1.$2" 0 && state_is "$1.$2.proven" 1; }
out_files() { state_is "$1.$2" 1 && state_is "$1.$2.proven" 0; }
if wait_for 20 pooled_files web "$LAB_RS_HEALTHY" && wait_for 20 pooled_files web "$RS_ARPLEAK" &&
    out_files web "$LAB_RS_NOVIP" && out_files web "$LAB_RS_FORWARD" && out_files web "$LAB_RS_ABSENT" &&
    out_files closed "$LAB_RS_HEALTHY"; then
    lab_pass "resident: SERVICE.RIP pooled for the healthy and the ARP-leaking realserver, not for the others"
else
    lab_fail "resident: SERVICE.RIP per realserver" "$(head -v "$S"/* 2>&1 | tr '\n' ' ')" "$(cat "$LAB_TMP/d.err")"
fi
if grep -q "^vipcheckd: web $LAB_RS_HEALTHY learning -> up: healthy: " "$LAB_TMP/d.err" &&
    ! grep -q "web $LAB_RS_NOVIP learning ->" "$LAB_TMP/d.err"; then
    lab_pass "resident: the log says when a learner is up, and a failing learner stays learning"
else
    lab_fail "resident: one log line per change of a realserver's state" "$(cat "$LAB_TMP/d.err")"
fi
kill -TERM "$DPID"
rc=0
wait "$DPID" || rc=$?
if ((rc == 0)); then lab_pass "resident with services: SIGTERM exits 0"; else lab_fail "resident with services: SIGTERM exits 0" "exit $rc"; fi
lab_end
