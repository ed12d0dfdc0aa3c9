#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# test_arp.sh - lab test of the ARP-leak test: vip-arp-check, --arp-leak on
# vip-icmp-check / vip-syn-check, and the ARP watch every probe keeps.
#
#   VIPCHECK_TOOLS=build/tools tests/lab/test_arp.sh
#
# Needs root.  Builds the standard lab (tests/lab/lab.sh) and adds one
# realserver per way a Linux realserver speaks for the VIP at layer 2:
#
#   ignore0   192.0.2.21   VIP on lo, arp_ignore=0: answers ARP for the VIP
#   oneth0    192.0.2.22   VIP on eth0, arp_ignore=1: still answers (the VIP is
#             2001:db8::22 on the receiving interface); over IPv6 it answers
#                          the solicitation for the VIP on eth0
#   announce  192.0.2.23   VIP on lo, arp_ignore=1 but arp_announce=0: silent
#                          for who-has, but resolves us *from the VIP*
#   healthy   192.0.2.11   (the standard lab's) arp_ignore=1, arp_announce=2
#
# Every realserver's neighbour cache is flushed before each run, so that the
# announcement shows whenever the realserver would make it.  A capture on the
# switch bridge (tshark) of everything the director sends proves that no frame
# of its asks about the VIP by broadcast or multicast or carries the VIP as a
# sender or source address, and that the unicast questions were on the wire.
# No `set -e`: a failing case must not hide the ones after it.
set -uo pipefail

# shellcheck source=harness.sh
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
lab_tools ARP=vip-arp-check ICMP=vip-icmp-check SYN=vip-syn-check

lab_begin

RS_IGNORE0=192.0.2.21
RS_ONETH0=192.0.2.22
RS_ANNOUNCE=192.0.2.23
RS6_ONETH0=2001:db8::22
RS6_IGNORE0=2001:db8::21
RS_HOSTS=(healthy ignore0 oneth0 announce)

# After `lab.sh up` only its env file is left: name the switch again.
: "${LAB_SWITCH:=sw}"
setup_ok=1
lab_add_host ignore0 "$RS_IGNORE0" "$RS6_IGNORE0" || setup_ok=0
lab_vip_on_lo ignore0 "$LAB_VIP" && lab_vip_on_lo ignore0 "$LAB_VIP6" || setup_ok=0
lab_sysctl ignore0 net.ipv4.conf.all.arp_ignore=0 net.ipv4.conf.eth0.arp_ignore=0 \
    net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.eth0.arp_announce=2 || setup_ok=0

lab_add_host oneth0 "$RS_ONETH0" "$RS6_ONETH0" || setup_ok=0
lab_arp_hide oneth0 || setup_ok=0
# The VIP on the interface instead of lo: the classic half-done realserver.
lab_exec oneth0 ip addr add "$LAB_VIP/32" dev eth0 || setup_ok=0
lab_exec oneth0 ip -6 addr add "$LAB_VIP6/128" dev eth0 nodad || setup_ok=0

lab_add_host announce "$RS_ANNOUNCE" || setup_ok=0
lab_vip_on_lo announce "$LAB_VIP" || setup_ok=0
lab_sysctl announce net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.eth0.arp_ignore=1 \
    net.ipv4.conf.all.arp_announce=0 net.ipv4.conf.eth0.arp_announce=0 || setup_ok=0

lab_tcp_listen healthy "$LAB_VIP" 80 "$LAB_TMP/healthy-80.log" || setup_ok=0
lab_tcp_listen ignore0 "$LAB_VIP" 80 "$LAB_TMP/ignore0-80.log" || setup_ok=0

# Everything the director sends, as the switch sees it.
CAPTURE=$LAB_TMP/director.pcap
DIRECTOR_MAC=$(lab_mac director)
lab_spawn sw "$LAB_TMP/tshark.log" tshark -n -i br0 -f "ether src $DIRECTOR_MAC" -w "$CAPTURE" || setup_ok=0
TSHARK_PID=$LAB_SPAWNED_PID
for _ in $(seq 100); do
    grep -q '^Capturing on' "$LAB_TMP/tshark.log" 2>/dev/null && break
    sleep 0.1
done
grep -q '^Capturing on' "$LAB_TMP/tshark.log" || setup_ok=0
# tshark says "Capturing on" a moment before it captures: the runs start only once a
# mark (a ping of 123 bytes to the healthy realserver) is in the capture, or the
# capture's silence about them would prove nothing.
mark_seen() { tshark -n -r "$CAPTURE" -Y "icmp.type == 8 && ip.len == 151" 2>/dev/null | grep -q .; }
for _ in $(seq 10); do
    lab_exec director ping -n -q -c 1 -W 1 -s 123 "$LAB_RS_HEALTHY" >/dev/null
    wait_for 1 mark_seen && break
done
mark_seen || setup_ok=0
if ((setup_ok != 1)); then
    echo "Bail out! the realservers or the switch capture did not come up"
    cat "$LAB_TMP/tshark.log" 2>/dev/null | sed 's/^/# /'
    exit 1
fi

# Before each run: no realserver remembers the director, so each would have to
# resolve it, and the announcing one does so from the VIP.
fresh() {
    local h
    for h in "${RS_HOSTS[@]}"; do
        lab_exec "$h" ip neigh flush dev eth0 2>/dev/null
        lab_exec "$h" ip -6 neigh flush dev eth0 2>/dev/null
    done
    "$@"
}

T=(--timeout 500ms)

# --- vip-arp-check, IPv4 ------------------------------------------------------
expect_verdict "healthy (arp_ignore=1, arp_announce=2): up" up 0 -- \
    fresh in_director "$ARP" "${T[@]}" "$LAB_VIP" "$LAB_RS_HEALTHY"
expect_match "the up line says what silence was measured" 0 \
    "^up $LAB_VIP on $LAB_RS_HEALTHY \\[$LAB_MAC_HEALTHY\\] via eth0 src $LAB_DIRECTOR_IP: no ARP answer for $LAB_VIP and no announcement of it within 500ms \\(3 questions\\)$" -- \
    fresh in_director "$ARP" "${T[@]}" "$LAB_VIP" "$LAB_RS_HEALTHY"
expect_match "arp_ignore=0, VIP on lo: arp-leak, answered who-has" 1 \
    "^arp-leak $LAB_VIP on $RS_IGNORE0 .*: answered who-has $LAB_VIP from $LAB_MAC_IGNORE0: ARP $LAB_VIP is-at $LAB_MAC_IGNORE0 in " -- \
    fresh in_director "$ARP" "${T[@]}" "$LAB_VIP" "$RS_IGNORE0"
expect_match "arp_ignore=1, VIP on eth0: arp-leak, answered who-has" 1 \
    "^arp-leak $LAB_VIP on $RS_ONETH0 .*: answered who-has $LAB_VIP " -- \
    fresh in_director "$ARP" "${T[@]}" "$LAB_VIP" "$RS_ONETH0"
expect_match "arp_announce=0: arp-leak, announced the VIP as sender" 1 \
    "^arp-leak $LAB_VIP on $RS_ANNOUNCE .*: announced $LAB_VIP as its ARP sender address: ARP who-has $LAB_DIRECTOR_IP tell $LAB_VIP from $LAB_MAC_ANNOUNCE in " -- \
    fresh in_director "$ARP" "${T[@]}" "$LAB_VIP" "$RS_ANNOUNCE"
expect_verdict "nobody holds the RIP: rs-unreachable" rs-unreachable 1 -- \
    fresh in_director "$ARP" "${T[@]}" "$LAB_VIP" "$LAB_RS_ABSENT"
expect_verdict "ldirectord form VIP VPORT RIP RPORT: arp-leak" arp-leak 1 -- \
    fresh in_director "$ARP" "${T[@]}" "$LAB_VIP" 80 "$RS_IGNORE0" 80
expect_match "JSON names the kind of leak and the frame" 1 \
    "^\\{\"verdict\":\"arp-leak\",.*\"arp_leak\":\"announced-sender\",\"leak_frame\":\"ARP who-has $LAB_DIRECTOR_IP tell $LAB_VIP \\($LAB_MAC_ANNOUNCE\\) to ff:ff:ff:ff:ff:ff\",\"questions\":[1-3]," -- \
    fresh in_director "$ARP" "${T[@]}" --json "$LAB_VIP" "$RS_ANNOUNCE"
expect_match "Nagios: a leak is CRITICAL" 2 '^VIPCHECK CRITICAL - arp-leak ' -- \
    fresh in_director "$ARP" "${T[@]}" --nagios "$LAB_VIP" "$RS_IGNORE0"

# -v shows the anonymous resolution and the unicast questions.
lab_run fresh in_director "$ARP" "${T[@]}" -v "$LAB_VIP" "$LAB_RS_HEALTHY"
if [[ $LAB_ERR == *"ARP who-has $LAB_RS_HEALTHY tell 0.0.0.0"* &&
      $LAB_ERR == *"question 3/3 to $LAB_MAC_HEALTHY only: ARP who-has $LAB_VIP tell $LAB_DIRECTOR_IP"* ]]; then
    lab_pass "-v traces the ARP probe for the RIP and three unicast questions"
else
    lab_fail "-v traces the ARP probe for the RIP and three unicast questions"
    _lab_show_capture
fi

# --- vip-arp-check, IPv6 ------------------------------------------------------
expect_verdict "v6 healthy (VIP on lo): up" up 0 -- \
    fresh in_director "$ARP" "${T[@]}" "$LAB_VIP6" "$LAB_RS6_HEALTHY"
expect_verdict "v6 VIP on lo stays silent even where IPv4 leaks (no arp_ignore in IPv6): up" up 0 -- \
    fresh in_director "$ARP" "${T[@]}" "$LAB_VIP6" "$RS6_IGNORE0"
expect_match "v6 VIP on eth0: arp-leak, answered the solicitation" 1 \
    "^arp-leak $LAB_VIP6 on $RS6_ONETH0 .*: answered a neighbour solicitation for $LAB_VIP6 from $LAB_MAC_ONETH0" -- \
    fresh in_director "$ARP" "${T[@]}" "$LAB_VIP6" "$RS6_ONETH0"
expect_verdict "v6 nobody holds the RIP: rs-unreachable" rs-unreachable 1 -- \
    fresh in_director "$ARP" "${T[@]}" "$LAB_VIP6" "$LAB_RS6_ABSENT"

# --- --arp-leak on the other VIP probes -----------------------------------------
expect_match "vip-icmp-check --arp-leak, healthy: up, with the echo and the silence" 0 \
    "^up .*: echo reply in [0-9.]+ ms; no ARP answer for $LAB_VIP and no announcement of it within 500ms \\(3 questions\\)$" -- \
    fresh in_director "$ICMP" "${T[@]}" --arp-leak "$LAB_VIP" "$LAB_RS_HEALTHY"
for rs in "$RS_IGNORE0" "$RS_ONETH0" "$RS_ANNOUNCE"; do
    expect_verdict "vip-icmp-check --arp-leak, $rs: arp-leak although it answers the echo" arp-leak 1 -- \
        fresh in_director "$ICMP" "${T[@]}" --arp-leak "$LAB_VIP" "$rs"
done
expect_verdict "vip-icmp-check --arp-leak, v6 healthy: up" up 0 -- \
    fresh in_director "$ICMP" "${T[@]}" --arp-leak "$LAB_VIP6" "$LAB_RS6_HEALTHY"
expect_verdict "vip-icmp-check --arp-leak, v6 VIP on eth0: arp-leak" arp-leak 1 -- \
    fresh in_director "$ICMP" "${T[@]}" --arp-leak "$LAB_VIP6" "$RS6_ONETH0"
expect_verdict "vip-syn-check --arp-leak, healthy: up" up 0 -- \
    fresh in_director "$SYN" "${T[@]}" --arp-leak "$LAB_VIP" 80 "$LAB_RS_HEALTHY"
expect_verdict "vip-syn-check --arp-leak, arp_ignore=0: arp-leak although it accepts" arp-leak 1 -- \
    fresh in_director "$SYN" "${T[@]}" --arp-leak "$LAB_VIP" 80 "$RS_IGNORE0"
# One SYN per run even while the questions go on: the RST cleaned up after it.
conns=$(lab_tcp_conns ignore0 "$LAB_DIRECTOR_IP")
if [[ -z $conns ]]; then
    lab_pass "no connection left on the realserver after --arp-leak SYN runs"
else
    lab_fail "no connection left on the realserver after --arp-leak SYN runs" "$conns"
fi

# --- the watch every probe keeps ------------------------------------------------
# Without --arp-leak and without resolution (--mac), nothing teaches the
# announcing realserver our MAC: the echo reply makes it announce the VIP.
expect_verdict "vip-icmp-check (no --arp-leak, --mac) sees the VIP announced: arp-leak" arp-leak 1 -- \
    fresh in_director "$ICMP" "${T[@]}" --mac "$LAB_MAC_ANNOUNCE" "$LAB_VIP" "$RS_ANNOUNCE"
expect_verdict "vip-syn-check (no --arp-leak, --mac) on a healthy realserver: up" up 0 -- \
    fresh in_director "$SYN" "${T[@]}" --mac "$LAB_MAC_HEALTHY" "$LAB_VIP" 80 "$LAB_RS_HEALTHY"
expect_usage_error "--arp-leak with --encap is refused, naming why" -- \
    in_director "$ICMP" "${T[@]}" --arp-leak --encap ipip "$LAB_VIP" "$LAB_RS_HEALTHY"

# --- the switch saw nothing forbidden from the director ------------------------
kill -INT "$TSHARK_PID" 2>/dev/null
wait "$TSHARK_PID" 2>/dev/null
count() { tshark -n -r "$CAPTURE" -Y "$1" 2>/dev/null | grep -c ''; }
forbidden="arp.src.proto_ipv4 == $LAB_VIP || (arp.dst.proto_ipv4 == $LAB_VIP && eth.dst.ig == 1)"
forbidden+=" || ip.src == $LAB_VIP || ipv6.src == $LAB_VIP6"
forbidden+=" || (icmpv6.nd.ns.target_address == $LAB_VIP6 && (eth.dst.ig == 1 || ipv6.dst == ff00::/8))"
bad=$(count "$forbidden")
questions4=$(count "arp.opcode == 1 && arp.dst.proto_ipv4 == $LAB_VIP && eth.dst.ig == 0 && arp.src.proto_ipv4 == $LAB_DIRECTOR_IP")
questions6=$(count "icmpv6.nd.ns.target_address == $LAB_VIP6 && eth.dst.ig == 0 && ipv6.dst == $LAB_VIP6 && ipv6.src == $LAB_DIRECTOR_IP6")
total=$(count "frame")
if [[ $bad == 0 ]]; then
    lab_pass "switch capture: none of the director's $total frames asks about the VIP by broadcast/multicast or claims it"
else
    lab_fail "switch capture: none of the director's $total frames asks about the VIP by broadcast/multicast or claims it" \
        "$bad forbidden frame(s):" "$(tshark -n -r "$CAPTURE" -Y "$forbidden" 2>/dev/null | head -5)"
fi
# The capture must have seen the questions, or its silence proves nothing.
if ((questions4 > 0 && questions6 > 0)); then
    lab_pass "switch capture holds the unicast questions ($questions4 ARP, $questions6 ND)"
else
    lab_fail "switch capture holds the unicast questions" "ARP $questions4, ND $questions6 (want > 0 each)"
fi

lab_end
