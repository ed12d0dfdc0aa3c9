#!/usr/bin/python3
"""LVS-TUN realserver emulator for the lab, independent of libvipcheck.

Run inside a realserver namespace:
    tunnel_responder.py --iface eth0 --rip RIP [--rip RIP6] --vip VIP [--vip VIP6]
                        [--gue-port 5555] [--listen PORT...]

This kernel has no ipip/gre/fou modules, so this stands in for a Linux
realserver with the VIP on tunl0 (or gre0 / a GUE fou port).  It captures IPIP
(IPv4 protocol 4 / 41, IPv6 next header 4 / 41), GRE (protocol 47, no
checksum/key/sequence) and GUE version 0 (UDP to --gue-port) addressed to one
of its RIPs, decapsulates, and if the inner packet is addressed to a VIP it
holds, answers as Linux would: an ICMP/ICMPv6 echo reply, or a SYN-ACK for a
listening port / RST-ACK for any other.  The answer leaves directly, from the
VIP, not encapsulated, routed by this namespace's kernel (a raw socket with
the header included), so the kernel picks the next hop and resolves its MAC
exactly as it would for a real reply.  For a VIP it does not hold it stays
silent (a Linux realserver with forwarding off drops such a packet).

The namespace's own stack must not answer the tunnel packets itself (protocol
or port unreachable): the lab drops them in nftables' input hook, which runs
after this AF_PACKET capture has seen them.
Prints "ready" on stdout once capturing, then one line per answer.
"""
import argparse
import random
import socket
import sys

from scapy.all import ICMP, IP, TCP, Ether, conf, sniff
from scapy.layers.inet6 import IPv6, ICMPv6EchoReply, ICMPv6EchoRequest

conf.verb = 0


def reply_for(inner, vips, listen):
    """The packet a Linux realserver holding `vips` sends for `inner`, or None."""
    if isinstance(inner, IP):
        if inner.dst not in vips:
            return None
        if inner.proto == 1 and ICMP in inner and inner[ICMP].type == 8:
            i = inner[ICMP]
            return IP(src=inner.dst, dst=inner.src, ttl=64) / ICMP(type=0, id=i.id, seq=i.seq) / bytes(i.payload)
        if inner.proto == 6 and TCP in inner:
            return tcp_answer(IP(src=inner.dst, dst=inner.src, ttl=64), inner[TCP], listen)
        return None
    if isinstance(inner, IPv6):
        if inner.dst not in vips:
            return None
        if ICMPv6EchoRequest in inner:
            i = inner[ICMPv6EchoRequest]
            return IPv6(src=inner.dst, dst=inner.src, hlim=64) / ICMPv6EchoReply(id=i.id, seq=i.seq, data=i.data)
        if TCP in inner:
            return tcp_answer(IPv6(src=inner.dst, dst=inner.src, hlim=64), inner[TCP], listen)
    return None


def tcp_answer(ip, t, listen):
    if t.flags & 0x04:  # RST: nothing to answer
        return None
    if (t.flags & 0x12) != 0x02:  # only a SYN is answered here
        return None
    if t.dport in listen:
        return ip / TCP(sport=t.dport, dport=t.sport, seq=random.getrandbits(32), ack=t.seq + 1,
                        flags="SA", window=64240, options=[("MSS", 1460)])
    return ip / TCP(sport=t.dport, dport=t.sport, seq=0, ack=t.seq + 1, flags="RA", window=0)


def inner_of(pkt, rips, gue_port):
    """(tunnel type, inner packet) if `pkt` is a tunnel packet to one of our RIPs."""
    outer = pkt[IP] if IP in pkt and isinstance(pkt.payload, IP) else (
        pkt[IPv6] if IPv6 in pkt and isinstance(pkt.payload, IPv6) else None)
    if outer is None or outer.dst not in rips:
        return None
    proto = outer.proto if isinstance(outer, IP) else outer.nh
    data = bytes(outer.payload)
    if isinstance(outer, IP):
        data = data[: outer.len - outer.ihl * 4]
    else:
        data = data[: outer.plen]
    if proto in (4, 41):
        return "ipip", data, proto
    if proto == 47 and len(data) >= 4:
        if data[0] != 0 or data[1] != 0:  # checksum/key/sequence/version: not what LVS sends
            return None
        etype = int.from_bytes(data[2:4], "big")
        return "gre", data[4:], {0x0800: 4, 0x86DD: 41}.get(etype)
    if proto == 17 and len(data) >= 12:
        if int.from_bytes(data[2:4], "big") != gue_port:
            return None
        gue = data[8:12]
        if gue[0] >> 6 != 0 or gue[0] & 0x1F:  # version 0, no options
            return None
        return "gue", data[12:], gue[1]
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iface", default="eth0")
    ap.add_argument("--rip", action="append", required=True)
    ap.add_argument("--vip", action="append", default=[])
    ap.add_argument("--gue-port", type=int, default=5555)
    ap.add_argument("--listen", type=int, action="append", default=[])
    a = ap.parse_args()
    rips = set(a.rip)
    vips = set(a.vip)
    listen = set(a.listen)
    raw4 = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    raw6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)

    def handle(pkt):
        found = inner_of(pkt, rips, a.gue_port)
        if not found:
            return
        kind, data, proto = found
        if proto == 4:
            inner = IP(data)
        elif proto == 41:
            inner = IPv6(data)
        else:
            return
        answer = reply_for(inner, vips, listen)
        if answer is None:
            print(f"silent {kind} {inner.summary()}", flush=True)
            return
        wire = bytes(answer)
        if isinstance(answer, IP):
            raw4.sendto(wire, (answer.dst, 0))
        else:
            raw6.sendto(wire, (answer.dst, 0))
        print(f"answered {kind} {answer.summary()}", flush=True)

    # No BPF filter (scapy would need tcpdump to compile one): inner_of() filters.
    sniff(iface=a.iface, prn=handle, store=False, started_callback=lambda: print("ready", flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
