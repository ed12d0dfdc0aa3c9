#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# test_ipv6.sh - lab test of the VIP probes over IPv6 (neighbour discovery,
# ICMPv6, link-local and %IF scoped RIPs).
#
#   VIPCHECK_TOOLS=build/tools tests/lab/test_ipv6.sh
#
# Needs root.  Uses the standard lab's IPv6 plane (tests/lab/lab.sh): the same
# realserver cases as IPv4.  Removes the lab on every way out.
set -uo pipefail

# shellcheck source=harness.sh
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
lab_tools ICMP=vip-icmp-check SYN=vip-syn-check

lab_begin

T=(--timeout 300ms)

# --- vip-icmp-check: every realserver case, over IPv6 ----------------------
expect_verdict "v6 healthy realserver answers for the VIP: up" up 0 -- \
    in_director "$ICMP" "${T[@]}" "$LAB_VIP6" "$LAB_RS6_HEALTHY"
expect_verdict "v6 realserver without the VIP: no-reply" no-reply 1 -- \
    in_director "$ICMP" "${T[@]}" "$LAB_VIP6" "$LAB_RS6_NOVIP"
expect_verdict "v6 realserver whose firewall drops the VIP: no-reply" no-reply 1 -- \
    in_director "$ICMP" "${T[@]}" "$LAB_VIP6" "$LAB_RS6_DROPPED"
expect_verdict "v6 forwarding realserver without the VIP: vip-missing (ICMPv6 time exceeded)" vip-missing 1 -- \
    in_director "$ICMP" "${T[@]}" "$LAB_VIP6" "$LAB_RS6_FORWARD"
expect_verdict "v6 nobody holds the RIP: rs-unreachable" rs-unreachable 1 -- \
    in_director "$ICMP" "${T[@]}" "$LAB_VIP6" "$LAB_RS6_ABSENT"

# Without any route for the VIP, Linux answers ICMPv6 "no route to destination"
# even when not forwarding: positive evidence that the VIP is not there.
lab_exec novip ip -6 route del default
expect_match "v6 realserver without the VIP and without a route to it: vip-missing (no route)" 1 \
    '^vip-missing .*: no route to destination from ' -- \
    in_director "$ICMP" "${T[@]}" "$LAB_VIP6" "$LAB_RS6_NOVIP"
lab_exec novip ip -6 route add default via "$LAB_DIRECTOR_IP6"

re_mac=$LAB_MAC_HEALTHY
expect_match "v6 line names the VIP, RIP and the MAC neighbour discovery found" 0 \
    "^up $LAB_VIP6 on $LAB_RS6_HEALTHY \\[$re_mac\\] via eth0 src $LAB_DIRECTOR_IP6: echo reply in " -- \
    in_director "$ICMP" "${T[@]}" "$LAB_VIP6" "$LAB_RS6_HEALTHY"
expect_match "ldirectord's bracketed form '[VIP] 80 [RIP] 80': up" 0 '^up ' -- \
    in_director "$ICMP" "[$LAB_VIP6]" 80 "[$LAB_RS6_HEALTHY]" 80

# -v shows the solicitation and what the answer must come from.
lab_run in_director "$ICMP" "${T[@]}" -v "$LAB_VIP6" "$LAB_RS6_HEALTHY"
if [[ $LAB_ERR == *"ND who-has $LAB_RS6_HEALTHY tell $LAB_DIRECTOR_IP6"* &&
      $LAB_ERR == *"replies must come from $LAB_MAC_HEALTHY"* ]]; then
    lab_pass "-v traces the neighbour solicitation and the expected MAC"
else
    lab_fail "-v traces the neighbour solicitation and the expected MAC"
    _lab_show_capture
fi

# --- link-local RIPs: the scope is required ---------------------------------
ll=$(lab_exec healthy ip -6 -o addr show dev eth0 scope link | awk '{ sub("/.*", "", $4); print $4; exit }')
if [[ -n $ll ]]; then
    expect_verdict "link-local RIP scoped as $ll%eth0: up" up 0 -- \
        in_director "$ICMP" "${T[@]}" "$LAB_VIP6" "$ll%eth0"
    expect_verdict "link-local RIP with -i eth0: up" up 0 -- \
        in_director "$ICMP" "${T[@]}" -i eth0 "$LAB_VIP6" "$ll"
    expect_usage_error "link-local RIP without a scope: error naming the fix" -- \
        in_director "$ICMP" "${T[@]}" "$LAB_VIP6" "$ll"
    if [[ $LAB_ERR == *"%IF"* ]]; then lab_pass "the error says how to scope it"; else lab_fail "the error says how to scope it" "$LAB_ERR"; fi
else
    lab_fail "healthy has a link-local address" "none found"
fi

# --- --mac skips neighbour discovery ------------------------------------------
# The healthy realserver stops answering solicitations; only --mac still works.
lab_nft healthy <<'NFT'
table inet vclnond {
    chain input {
        type filter hook input priority 0; policy accept;
        icmpv6 type nd-neighbor-solicit drop
    }
}
NFT
lab_exec director ip -6 neigh flush dev eth0
expect_verdict "RIP ignoring ND, no --mac: rs-unreachable (control)" rs-unreachable 1 -- \
    in_director "$ICMP" "${T[@]}" "$LAB_VIP6" "$LAB_RS6_HEALTHY"
expect_verdict "RIP ignoring ND, --mac given: up without resolution" up 0 -- \
    in_director "$ICMP" "${T[@]}" --mac "$LAB_MAC_HEALTHY" "$LAB_VIP6" "$LAB_RS6_HEALTHY"
lab_exec healthy nft delete table inet vclnond

# --- a direct-routing probe uses one family ------------------------------------
expect_usage_error "IPv4 VIP with an IPv6 RIP: error" -- \
    in_director "$ICMP" "${T[@]}" "$LAB_VIP" "$LAB_RS6_HEALTHY"
expect_usage_error "IPv6 VIP with an IPv4 RIP: error" -- \
    in_director "$ICMP" "${T[@]}" "$LAB_VIP6" "$LAB_RS_HEALTHY"

# --- vip-syn-check over IPv6 ------------------------------------------------------
lab_exec healthy /usr/bin/python3 -c '
import socket, sys, os
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", 80)); s.listen(16)
os.closerange(0, 3)
while True:
    c, _ = s.accept(); c.close()
' </dev/null >/dev/null 2>&1 &
sleep 0.3
expect_verdict "v6 SYN: healthy realserver listening on the VIP: up" up 0 -- \
    in_director "$SYN" "${T[@]}" "$LAB_VIP6" 80 "$LAB_RS6_HEALTHY"
expect_verdict "v6 SYN: closed port: port-closed" port-closed 1 -- \
    in_director "$SYN" "${T[@]}" "$LAB_VIP6" 81 "$LAB_RS6_HEALTHY"
expect_verdict "v6 SYN: realserver without the VIP: no-reply" no-reply 1 -- \
    in_director "$SYN" "${T[@]}" "$LAB_VIP6" 80 "$LAB_RS6_NOVIP"
expect_verdict "v6 SYN: forwarding realserver: vip-missing" vip-missing 1 -- \
    in_director "$SYN" "${T[@]}" "$LAB_VIP6" 80 "$LAB_RS6_FORWARD"
expect_verdict "v6 SYN: absent RIP: rs-unreachable" rs-unreachable 1 -- \
    in_director "$SYN" "${T[@]}" "$LAB_VIP6" 80 "$LAB_RS6_ABSENT"

# --- never solicit the VIP nor send from it ---------------------------------------
n=$(lab_vip6_leaks)
if [[ $n == 0 ]]; then
    lab_pass "no frame on the switch solicited or claimed the IPv6 VIP"
else
    lab_fail "no frame on the switch solicited or claimed the IPv6 VIP" "$n frame(s) seen"
fi
expect_no_vip_leaks "no frame on the switch asked for or claimed the IPv4 VIP"

lab_end
