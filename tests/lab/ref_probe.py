#!/usr/bin/python3
"""Reference probe: checks the lab topology independently of vipcheck.

Run inside the director namespace:
    ip netns exec "$LAB_DIRECTOR_NS" /usr/bin/python3 tests/lab/ref_probe.py VIP RIP_MAC SRC [TTL]

Sends one ICMP echo request to VIP inside a frame addressed to RIP_MAC (TTL 1
by default), waits up to 1 s and prints what came back: `echo-reply`,
`time-exceeded FROM`, `unreachable FROM` or `nothing`.  It never ARPs for the
VIP (the destination MAC is given) and never uses the VIP as a source.  It
exists so the lab can be verified before, and independently of, the C++ code.
"""
import os
import sys

from scapy.all import ICMP, IP, Ether, conf, get_if_hwaddr, srp1

conf.verb = 0


def main() -> int:
    if len(sys.argv) not in (4, 5):
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 1
    vip, mac, src = sys.argv[1:4]
    ttl = int(sys.argv[4]) if len(sys.argv) == 5 else 1
    ident = os.getpid() & 0xFFFF
    # The source MAC must be set: scapy leaves it zero when it finds no route
    # to the VIP, and a bridge drops frames with an invalid source MAC.
    pkt = (Ether(src=get_if_hwaddr("eth0"), dst=mac) / IP(src=src, dst=vip, ttl=ttl)
           / ICMP(type=8, id=ident, seq=1) / b"vcl-ref-probe")
    ans = srp1(pkt, iface="eth0", timeout=1)
    if ans is None or IP not in ans or ICMP not in ans:
        print("nothing")
        return 1
    icmp = ans[ICMP]
    if icmp.type == 0 and ans[IP].src == vip and icmp.id == ident:
        print("echo-reply")
        return 0
    if icmp.type == 11:
        print(f"time-exceeded {ans[IP].src}")
    elif icmp.type == 3:
        print(f"unreachable {ans[IP].src}")
    else:
        print(f"other type={icmp.type} from {ans[IP].src}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
