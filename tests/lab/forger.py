#!/usr/bin/python3
"""forger.py - races vipcheck's probes with forged answers (a lab test helper).

    forger.py --sniff p-director --wrong-if p-dir1 --vip VIP --rip RIP \
              --stranger-mac MAC --stats FILE [--mode forge|control]

Runs in the lab's switch namespace.  It reads every frame the director sends
into its bridge port and, for each probe (an ICMP echo request or a TCP SYN to
the VIP), at once sends back the answers a liar on the wire would try:

  wrong-cookie  echo reply, payload cookie altered
  wrong-id      echo reply, ICMP id + 1
  wrong-seq     echo reply, sequence number far outside the run's attempts
  wrong-ack     SYN-ACK acknowledging ISN + 2
  wrong-port    SYN-ACK to another source port
  wrong-mac     an otherwise perfect answer from another MAC
  wrong-src     an otherwise perfect answer from the RIP instead of the VIP
  wrong-if      a perfect answer, delivered on a second director interface

None of them may make a run say up.  --mode control sends only the perfect
answer on the right interface: a run must then say up, which proves the
forger's frames are well-formed and fast enough to count (else a forger that
sent garbage would make the test pass for nothing).

Independent of libvipcheck on purpose: scapy builds and parses every frame.
Writes "ready" to --stats once listening, then on SIGTERM/SIGINT the totals:
`probes N`, `forged N`, and one `kind N` line per forgery kind.
"""
import argparse
import collections
import os
import signal
import socket
import sys

from scapy.layers.inet import ICMP, IP, TCP
from scapy.layers.l2 import Ether
from scapy.packet import Raw

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def raw_socket(ifname):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((ifname, 0))
    return s


def answers_to_echo(e, args):
    ip, icmp = e[IP], e[ICMP]
    payload = bytes(icmp.payload)

    def reply(src_mac=e.dst, src_ip=args.vip, ident=icmp.id, seq=icmp.seq, data=payload):
        return (Ether(src=src_mac, dst=e.src) / IP(src=src_ip, dst=ip.src, ttl=64) /
                ICMP(type=0, code=0, id=ident, seq=seq) / Raw(data))

    if args.mode == "control":
        return [("perfect", reply(), False)]
    cookie = bytearray(payload)
    if cookie:
        cookie[0] ^= 0xFF
    return [
        ("wrong-cookie", reply(data=bytes(cookie)), False),
        ("wrong-id", reply(ident=(icmp.id + 1) & 0xFFFF), False),
        ("wrong-seq", reply(seq=(icmp.seq + 1000) & 0xFFFF), False),
        ("wrong-mac", reply(src_mac=args.stranger_mac), False),
        ("wrong-src", reply(src_ip=args.rip), False),
        ("wrong-if", reply(), True),
    ]


def answers_to_syn(e, args):
    ip, tcp = e[IP], e[TCP]

    def synack(src_mac=e.dst, src_ip=args.vip, dport=tcp.sport, ack=tcp.seq + 1):
        return (Ether(src=src_mac, dst=e.src) / IP(src=src_ip, dst=ip.src, ttl=64) /
                TCP(sport=tcp.dport, dport=dport, flags="SA", seq=0x12345678, ack=ack & 0xFFFFFFFF,
                    window=64240, options=[("MSS", 1460)]))

    if args.mode == "control":
        return [("perfect", synack(), False)]
    return [
        ("wrong-ack", synack(ack=tcp.seq + 2), False),
        ("wrong-port", synack(dport=(tcp.sport + 1) & 0xFFFF), False),
        ("wrong-mac", synack(src_mac=args.stranger_mac), False),
        ("wrong-src", synack(src_ip=args.rip), False),
        ("wrong-if", synack(), True),
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sniff", required=True)
    ap.add_argument("--wrong-if", required=True)
    ap.add_argument("--vip", required=True)
    ap.add_argument("--rip", required=True)
    ap.add_argument("--stranger-mac", required=True)
    ap.add_argument("--stats", required=True)
    ap.add_argument("--mode", choices=["forge", "control"], default="forge")
    args = ap.parse_args()

    listen = raw_socket(args.sniff)
    inject = raw_socket(args.sniff)
    inject_wrong_if = raw_socket(args.wrong_if)
    counts = collections.Counter()

    def finish(*_):
        with open(args.stats + ".tmp", "w") as f:
            f.write(f"probes {counts['probes']}\n")
            f.write(f"forged {sum(v for k, v in counts.items() if k != 'probes')}\n")
            for k, v in sorted(counts.items()):
                if k != "probes":
                    f.write(f"kind {k} {v}\n")
        os.replace(args.stats + ".tmp", args.stats)
        sys.exit(0)

    signal.signal(signal.SIGTERM, finish)
    signal.signal(signal.SIGINT, finish)
    with open(args.stats, "w") as f:
        f.write("ready\n")

    while True:
        data, addr = listen.recvfrom(65535)
        if addr[2] == PACKET_OUTGOING:  # our own injections, and frames to the director
            continue
        e = Ether(data)
        if IP not in e or e[IP].dst != args.vip:
            continue
        if ICMP in e and e[ICMP].type == 8:
            answers = answers_to_echo(e, args)
        elif TCP in e and e[TCP].flags == "S":
            answers = answers_to_syn(e, args)
        else:
            continue
        counts["probes"] += 1
        for kind, frame, wrong_if in answers:
            (inject_wrong_if if wrong_if else inject).send(bytes(frame))
            counts[kind] += 1


if __name__ == "__main__":
    main()
