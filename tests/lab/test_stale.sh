#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# test_stale.sh - stale L2 state between runs.
#
#   VIPCHECK_TOOLS=build/tools tests/lab/test_stale.sh
#
# A realserver's NIC is swapped (new MAC) while the director's neighbour cache
# still holds the old one: the next run must resolve afresh, find the new MAC
# and say up; the old MAC, given by hand, must prove nothing.  Then a second
# host starts answering ARP for the same RIP (a duplicate address): every run
# must refuse to guess and say mac-conflict, naming both MACs.
set -uo pipefail

# shellcheck source=harness.sh
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
# shellcheck source=trust.sh
. "$(dirname "${BASH_SOURCE[0]}")/trust.sh"
lab_tools BIN_ICMP=vip-icmp-check BIN_SYN=vip-syn-check D=vipcheckd

lab_begin
# Hosts added after `lab.sh up` go on the standard lab's switch.
: "${LAB_SWITCH:=sw}"
T=(--timeout 300ms)
RUNS=20
OLD_MAC=$LAB_MAC_HEALTHY NEW_MAC=02:00:00:00:77:11 TWIN_MAC=02:00:00:00:99:11

trust_listen healthy "$LAB_VIP" 80 || lab_fail "listener on the healthy realserver"

# series DESC TOKEN EXIT NEEDLE -- CMD...: RUNS runs, each must give TOKEN,
# exit EXIT and mention NEEDLE (a MAC) on stdout.  Prints the tally.
series() {
    local desc=$1 token=$2 want=$3 needle=$4 i right=0 first bad=""
    shift 4
    [[ $1 == -- ]] && shift
    for ((i = 0; i < RUNS; i++)); do
        lab_run "$@"
        read -r first _ <<<"$LAB_OUT"
        if [[ $first == "$token" && $LAB_RC == "$want" && $LAB_OUT == *"$needle"* ]]; then
            right=$((right + 1))
        elif [[ -z $bad ]]; then
            bad="exit $LAB_RC: $LAB_OUT $LAB_ERR"
        fi
    done
    echo "# $desc: $right/$RUNS right"
    if ((right == RUNS)); then
        lab_pass "$desc ($right/$RUNS)"
    else
        lab_fail "$desc ($right/$RUNS)" "first wrong run: ${bad:0:300}"
    fi
}

series "before the swap: up at the old MAC" up 0 "[$OLD_MAC]" -- \
    in_director "$BIN_ICMP" "${T[@]}" "$LAB_VIP" "$LAB_RS_HEALTHY"

# Fill the director's kernel neighbour cache with the old MAC, then swap the
# realserver's NIC.  Linux sends no gratuitous ARP for a new MAC (arp_notify
# is 0), so the cache stays stale: the control below proves it.
lab_exec director ping -n -q -c 1 -W 1 "$LAB_RS_HEALTHY" >/dev/null
lab_exec healthy ip link set dev eth0 address "$NEW_MAC"
neigh=$(lab_exec director ip neigh show "$LAB_RS_HEALTHY" dev "$LAB_DIRECTOR_IF")
echo "# director's neighbour cache after the swap: $neigh"
if [[ $neigh == *"$OLD_MAC"* ]]; then
    lab_pass "control: the director's neighbour cache still holds the old MAC"
else
    lab_fail "control: the director's neighbour cache still holds the old MAC" "cache says: $neigh"
fi

series "after the swap, stale cache: up at the new MAC" up 0 "[$NEW_MAC]" -- \
    in_director "$BIN_ICMP" "${T[@]}" "$LAB_VIP" "$LAB_RS_HEALTHY"
series "the old MAC given with --mac: no-reply, never up" no-reply 1 "[$OLD_MAC]" -- \
    in_director "$BIN_ICMP" "${T[@]}" --mac "$OLD_MAC" "$LAB_VIP" "$LAB_RS_HEALTHY"
series "syn after the swap: up at the new MAC" up 0 "[$NEW_MAC]" -- \
    in_director "$BIN_SYN" "${T[@]}" "$LAB_VIP" 80 "$LAB_RS_HEALTHY"

# A second host claims the RIP (it answers ARP for it, from another MAC).
lab_add_host twin --mac "$TWIN_MAC" "$LAB_RS_HEALTHY/24" || lab_fail "twin host holding the RIP"
series "a second host answers ARP for the RIP: mac-conflict" mac-conflict 1 "$TWIN_MAC" -- \
    in_director "$BIN_ICMP" "${T[@]}" "$LAB_VIP" "$LAB_RS_HEALTHY"
expect_match "the conflict line names both MACs" 1 "$NEW_MAC.*$TWIN_MAC|$TWIN_MAC.*$NEW_MAC" -- \
    in_director "$BIN_ICMP" "${T[@]}" "$LAB_VIP" "$LAB_RS_HEALTHY"
series "syn with a second host answering ARP: mac-conflict" mac-conflict 1 "$TWIN_MAC" -- \
    in_director "$BIN_SYN" "${T[@]}" "$LAB_VIP" 80 "$LAB_RS_HEALTHY"
# vipcheckd's judge of that realserver: down, diagnosis mac-conflict (vipcheckd(8), SERVICES).
printf 'timeout: 500ms\nservices:\n  - name: web\n    vip: %s\n    port: 80\n    planes: [vip-icmp, vip-syn]\n    realservers:\n      - rip: %s\n' \
    "$LAB_VIP" "$LAB_RS_HEALTHY" >"$LAB_TMP/services.yaml"
expect_match "vipcheckd --once: a realserver whose RIP two MACs answer is down, mac-conflict" 1 \
    "^web $LAB_RS_HEALTHY down mac-conflict: " -- in_director "$D" --config "$LAB_TMP/services.yaml" --once

# The duplicate goes away: the next run is up again, at the realserver's MAC.
lab_exec twin ip addr flush dev eth0
series "duplicate gone: up again at the new MAC" up 0 "[$NEW_MAC]" -- \
    in_director "$BIN_ICMP" "${T[@]}" "$LAB_VIP" "$LAB_RS_HEALTHY"

expect_no_vip_leaks "no frame on the switch asked for or claimed the VIP"
lab_end
