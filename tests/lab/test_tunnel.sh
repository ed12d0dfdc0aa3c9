#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# test_tunnel.sh - lab test of --encap ipip|gue|gre (LVS tunneling).
#
#   VIPCHECK_TOOLS=build/tools tests/lab/test_tunnel.sh
#
# Needs root, /usr/bin/python3 with scapy, and tshark.  This kernel has no
# ipip/gre/fou modules, so the tunnel realservers are tunnel_responder.py
# (scapy, independent of libvipcheck) in their namespaces.  On top of the
# standard lab (tests/lab/lab.sh) this test adds:
#
#   tun     192.0.2.21  2001:db8::21      on-link tunnel realserver, holds the VIPs
#   tunnov  192.0.2.22  2001:db8::22      on-link tunnel realserver, holds another VIP
#   rtr     192.0.2.1   2001:db8::1       router between the two switches
#           203.0.113.1 2001:db8:203::1
#   tunfar  203.0.113.20 2001:db8:203::20 routed tunnel realserver (via rtr), holds the VIPs
#
# and removes everything on every way out.
set -uo pipefail

command -v tshark >/dev/null || { echo "Bail out! tshark is not installed"; exit 1; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=harness.sh
. "$HERE/harness.sh"
lab_tools ICMP=vip-icmp-check SYN=vip-syn-check

lab_begin

GUE_PORT=5555
TUN4=192.0.2.21 TUN6=2001:db8::21
TUNNOV4=192.0.2.22 TUNNOV6=2001:db8::22
FAR4=203.0.113.20 FAR6=2001:db8:203::20
RTR4=192.0.2.1 RTR6=2001:db8::1

# The realserver's kernel must not answer the tunnel packets itself (protocol or
# port unreachable): the responder sees them first, on its packet socket.
quiet_tunnels() {
    lab_nft "$1" <<NFT
table inet vcltun {
    chain input {
        type filter hook input priority 0; policy accept;
        meta l4proto { 4, 41, 47 } drop
        udp dport $GUE_PORT drop
    }
}
NFT
}

# start_responder HOST ARGS...: run tunnel_responder.py in HOST, wait for "ready".
start_responder() {
    local host=$1 log
    shift
    log=$LAB_TMP/responder-$host.log
    lab_exec "$host" /usr/bin/python3 "$HERE/tunnel_responder.py" --gue-port "$GUE_PORT" "$@" \
        </dev/null >"$log" 2>&1 &
    for _ in $(seq 1 100); do
        grep -q '^ready' "$log" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "# responder in $host did not start:" && sed 's/^/#   /' "$log"
    return 1
}

build_tunnel_lab() {
    local d
    d=$(lab_ns director)
    lab_add_ns tun && lab_link tun eth0 --switch sw "$TUN4" "$TUN6" || return 1
    lab_add_ns tunnov && lab_link tunnov eth0 --switch sw "$TUNNOV4" "$TUNNOV6" || return 1
    lab_add_switch sw2 || return 1
    lab_add_ns rtr && lab_link rtr eth0 --switch sw --mac 02:00:00:00:00:01 "$RTR4" "$RTR6" || return 1
    lab_link rtr eth1 --switch sw2 --mac 02:00:00:00:01:01 203.0.113.1 2001:db8:203::1 || return 1
    # The replies come back from the VIP, an address the router has no route
    # for: no reverse-path filter, as on a real LVS network.
    lab_sysctl rtr net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
        net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
        net.ipv4.conf.eth0.rp_filter=0 net.ipv4.conf.eth1.rp_filter=0 || return 1
    lab_add_ns tunfar && lab_link tunfar eth0 --switch sw2 --mac 02:00:00:00:02:20 "$FAR4" "$FAR6" || return 1
    _lab_x ip -n "$(lab_ns tunfar)" route add default via 203.0.113.1 || return 1
    _lab_x ip -n "$(lab_ns tunfar)" -6 route add default via 2001:db8:203::1 || return 1
    _lab_x ip -n "$d" route add 203.0.113.0/24 via "$RTR4" || return 1
    _lab_x ip -n "$d" -6 route add 2001:db8:203::/64 via "$RTR6" || return 1
    for h in tun tunnov tunfar; do quiet_tunnels "$h" || return 1; done
    start_responder tun --rip "$TUN4" --rip "$TUN6" --vip "$LAB_VIP" --vip "$LAB_VIP6" --listen 80 &&
        start_responder tunnov --rip "$TUNNOV4" --rip "$TUNNOV6" --vip 198.51.100.99 --vip 2001:db8:100::99 &&
        start_responder tunfar --rip "$FAR4" --rip "$FAR6" --vip "$LAB_VIP" --vip "$LAB_VIP6" --listen 80 ||
        return 1
    lab_ping_check director "$TUN4" "$TUN6" "$TUNNOV4" "$FAR4" "$FAR6"
}

if ! build_tunnel_lab; then
    echo "Bail out! the tunnel lab did not come up"
    exit 1
fi
RTR_MAC=$(lab_mac rtr eth0)
TUN_MAC=$(lab_mac tun eth0)

T=(--timeout 500ms)
G=(--encap-port "$GUE_PORT")

# --- tshark decodes the crafted frames ------------------------------------------
# One probe per tunnel type (on-link 4in4, routed 6in6) captured on the director's
# eth0 and decoded by tshark: outer and inner headers, checksums verified.
pcap=$LAB_TMP/tunnel.pcap
# tshark says "Capturing on" a moment before it captures: the probes go out only once a
# mark (a ping of 123 bytes to the tunnel realserver, which the filter also takes) is in
# the capture.
ip netns exec "$LAB_DIRECTOR_NS" tshark -q -i eth0 -w "$pcap" \
    -f "ip proto 4 or ip proto 47 or udp dst port $GUE_PORT or ip6 proto 41 or ip6 proto 47 or (ip6 and udp dst port $GUE_PORT) or (icmp and dst host $TUN4 and greater 165)" \
    >"$LAB_TMP/tshark.log" 2>&1 &
tshark_pid=$!
wait_for 10 grep -qs "Capturing on" "$LAB_TMP/tshark.log"
mark_seen() { tshark -r "$pcap" -Y "icmp.type == 8 && ip.len == 151" 2>/dev/null | grep -q .; }
for _ in $(seq 10); do
    lab_exec director ping -n -q -c 1 -W 1 -s 123 "$TUN4" >/dev/null
    wait_for 1 mark_seen && break
done
mark_seen || lab_fail "tshark captures on the director's eth0 (a mark seen)" "$(cat "$LAB_TMP/tshark.log")"
for e in ipip gre gue; do
    extra=()
    [[ $e == gue ]] && extra=("${G[@]}")
    in_director "$ICMP" "${T[@]}" --encap "$e" "${extra[@]}" "$LAB_VIP" "$TUN4" >/dev/null 2>&1
done
in_director "$ICMP" "${T[@]}" --encap gre "$LAB_VIP6" "$FAR6" >/dev/null 2>&1
sleep 0.5
kill -INT "$tshark_pid" 2>/dev/null
wait "$tshark_pid" 2>/dev/null

# ICMP and ICMPv6 checksums are always checked; IP and UDP ones on request.
fields() { tshark -r "$pcap" -o udp.check_checksum:TRUE -o ip.check_checksum:TRUE \
    -T fields -E separator='|' "$@" 2>/dev/null; }

# expect_decoded DESC WANT GOT
expect_decoded() {
    if [[ $3 == "$2" ]]; then lab_pass "$1"; else lab_fail "$1" "tshark: '$3'" "want:   '$2'"; fi
}

got=$(fields -Y "ip.proto == 4" -e eth.dst -e ip.src -e ip.dst -e ip.proto -e ip.ttl -e ip.checksum.status \
    -e icmp.type -e icmp.checksum.status | head -1)
expect_decoded "tshark ipip: to the RIP's MAC; outer 192.0.2.2 -> RIP proto 4; inner -> VIP ttl 1, echo request; checksums good" \
    "$TUN_MAC|$LAB_DIRECTOR_IP,$LAB_DIRECTOR_IP|$TUN4,$LAB_VIP|4,1|64,1|1,1|8|1" "$got"
got=$(fields -Y "ip.proto == 47 && gre.proto == 0x0800" -e eth.dst -e ip.dst -e gre.flags_and_version -e gre.proto \
    -e ip.ttl -e icmp.type | head -1)
expect_decoded "tshark gre: GRE without flags, protocol IPv4, inner to the VIP with ttl 1" \
    "$TUN_MAC|$TUN4,$LAB_VIP|0x0000|0x0800|64,1|8" "$got"
got=$(fields -Y "udp.dstport == $GUE_PORT" -e eth.dst -e ip.dst -e ip.proto -e udp.checksum.status -e udp.payload | head -1)
IFS='|' read -r g_mac g_dst g_proto g_sum g_payload <<<"$got"
expect_decoded "tshark gue: UDP to port $GUE_PORT at the RIP, checksum good, GUE v0 header proto_ctype 4" \
    "$TUN_MAC|$TUN4|17|1|00040000" "$g_mac|$g_dst|$g_proto|$g_sum|${g_payload:0:8}"
# tshark has no GUE dissector: the packet behind the GUE header, decoded on its own.
printf '0000 %s\n' "$(sed 's/../& /g' <<<"${g_payload:8}")" | text2pcap -q -l 101 - "$LAB_TMP/gue-inner.pcap" 2>/dev/null
got=$(tshark -r "$LAB_TMP/gue-inner.pcap" -o ip.check_checksum:TRUE -T fields -E separator='|' \
    -e ip.src -e ip.dst -e ip.ttl -e ip.checksum.status -e icmp.type -e icmp.checksum.status 2>/dev/null)
expect_decoded "tshark gue inner: $LAB_DIRECTOR_IP -> VIP ttl 1, echo request, checksums good" \
    "$LAB_DIRECTOR_IP|$LAB_VIP|1|1|8|1" "$got"
got=$(fields -Y "ipv6.nxt == 47" -e eth.dst -e ipv6.dst -e gre.proto -e ipv6.hlim -e icmpv6.type \
    -e icmpv6.checksum.status | head -1)
expect_decoded "tshark routed 6in6 gre: to the router's MAC, outer to the far RIP, inner to the VIP hop limit 1" \
    "$RTR_MAC|$FAR6,$LAB_VIP6|0x86dd|64,1|128|1" "$got"

# --- on-link tunnel realserver ----------------------------------------------
for e in ipip gue gre; do
    extra=()
    [[ $e == gue ]] && extra=("${G[@]}")
    expect_verdict "$e 4in4 on-link, VIP held: up" up 0 -- \
        in_director "$ICMP" "${T[@]}" --encap "$e" "${extra[@]}" "$LAB_VIP" "$TUN4"
    expect_verdict "$e 6in6 on-link, VIP held: up" up 0 -- \
        in_director "$ICMP" "${T[@]}" --encap "$e" "${extra[@]}" "$LAB_VIP6" "$TUN6"
    expect_verdict "$e 4in4 on-link, VIP not held: no-reply" no-reply 1 -- \
        in_director "$ICMP" "${T[@]}" --encap "$e" "${extra[@]}" "$LAB_VIP" "$TUNNOV4"
    expect_verdict "$e 6in6 on-link, VIP not held: no-reply" no-reply 1 -- \
        in_director "$ICMP" "${T[@]}" --encap "$e" "${extra[@]}" "$LAB_VIP6" "$TUNNOV6"
done
expect_verdict "ipip 4in6 (IPv4 VIP in an IPv6 tunnel): up" up 0 -- \
    in_director "$ICMP" "${T[@]}" --encap ipip "$LAB_VIP" "$TUN6"
expect_verdict "gue 6in4 (IPv6 VIP in an IPv4 tunnel): up" up 0 -- \
    in_director "$ICMP" "${T[@]}" --encap gue "${G[@]}" "$LAB_VIP6" "$TUN4"
expect_verdict "a wrong GUE port: no-reply" no-reply 1 -- \
    in_director "$ICMP" "${T[@]}" --encap gue --encap-port 5556 "$LAB_VIP" "$TUN4"
expect_verdict "a tunnel realserver probed without --encap: no-reply" no-reply 1 -- \
    in_director "$ICMP" "${T[@]}" "$LAB_VIP" "$TUN4"

# --- routed tunnel realserver, through the router -------------------------------
for e in ipip gue gre; do
    extra=()
    [[ $e == gue ]] && extra=("${G[@]}")
    expect_match "$e 4in4 routed: up, the reply from the router's MAC" 0 \
        "^up $LAB_VIP on $FAR4 \\[$RTR_MAC\\] via eth0 src $LAB_DIRECTOR_IP encap $e gateway $RTR4: echo reply" -- \
        in_director "$ICMP" "${T[@]}" --encap "$e" "${extra[@]}" "$LAB_VIP" "$FAR4"
    expect_verdict "$e 6in6 routed: up" up 0 -- \
        in_director "$ICMP" "${T[@]}" --encap "$e" "${extra[@]}" "$LAB_VIP6" "$FAR6"
done
expect_verdict "gre 6in4 routed: up" up 0 -- \
    in_director "$ICMP" "${T[@]}" --encap gre "$LAB_VIP6" "$FAR4"
lab_run in_director "$ICMP" "${T[@]}" -v --encap ipip "$LAB_VIP" "$FAR4"
if [[ $LAB_ERR == *"ARP who-has $RTR4"* && $LAB_ERR == *"replies must come from $RTR_MAC, the MAC of gateway $RTR4"* ]]; then
    lab_pass "-v: resolves the gateway, not the RIP, and says which MAC replies must come from and why"
else
    lab_fail "-v: resolves the gateway and says which MAC replies must come from and why"
    _lab_show_capture
fi
expect_usage_error "routed RIP without --encap: error (direct routing needs the RIP on-link)" -- \
    in_director "$ICMP" "${T[@]}" "$LAB_VIP" "$FAR4"
expect_usage_error "--encap gue without --encap-port: error" -- \
    in_director "$ICMP" "${T[@]}" --encap gue "$LAB_VIP" "$TUN4"
expect_usage_error "--encap vxlan: error" -- \
    in_director "$ICMP" "${T[@]}" --encap vxlan "$LAB_VIP" "$TUN4"

# --- vip-syn-check through the tunnel ---------------------------------------------
for e in ipip gue gre; do
    extra=()
    [[ $e == gue ]] && extra=("${G[@]}")
    expect_verdict "SYN $e on-link, port listening: up" up 0 -- \
        in_director "$SYN" "${T[@]}" --encap "$e" "${extra[@]}" "$LAB_VIP" 80 "$TUN4"
    expect_verdict "SYN $e routed 6in6, port listening: up" up 0 -- \
        in_director "$SYN" "${T[@]}" --encap "$e" "${extra[@]}" "$LAB_VIP6" 80 "$FAR6"
    expect_verdict "SYN $e on-link, closed port: port-closed" port-closed 1 -- \
        in_director "$SYN" "${T[@]}" --encap "$e" "${extra[@]}" "$LAB_VIP" 81 "$TUN4"
    expect_verdict "SYN $e, VIP not held: no-reply" no-reply 1 -- \
        in_director "$SYN" "${T[@]}" --encap "$e" "${extra[@]}" "$LAB_VIP" 80 "$TUNNOV4"
done

# --- never ARP/solicit the VIP nor send from it ------------------------------------
expect_no_vip_leaks "no frame on the switch asked for or claimed the IPv4 VIP"
n=$(lab_vip6_leaks)
if [[ $n == 0 ]]; then lab_pass "no frame on the switch solicited or claimed the IPv6 VIP"
else lab_fail "no frame on the switch solicited or claimed the IPv6 VIP" "$n frame(s)"; fi

lab_end
