#!/usr/bin/python3
"""A TCP listener that logs every connection it accepts, for the lab tests.

    ip netns exec NS /usr/bin/python3 tests/lab/tcp_listener.py ADDR PORT LOG

Binds ADDR:PORT (IPv4 or IPv6), writes `listening ADDR PORT` to LOG once it
listens, then one line `accept PEER_ADDR PEER_PORT` per accepted connection,
closing each at once.  A probe that leaves the application untouched leaves no
`accept` line.
"""
import socket
import sys


def main() -> int:
    if len(sys.argv) != 4:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 1
    addr, port, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s, open(log, "a", buffering=1) as out:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, port))
        s.listen(128)
        out.write(f"listening {addr} {port}\n")
        while True:
            conn, peer = s.accept()
            out.write(f"accept {peer[0]} {peer[1]}\n")
            conn.close()


if __name__ == "__main__":
    sys.exit(main())
