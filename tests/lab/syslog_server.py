#!/usr/bin/env python3
"""syslog_server.py SOCKET OUTFILE READYFILE - a test's own syslog daemon.

Binds a unix datagram socket (glibc's syslog() writes to /dev/log with SOCK_DGRAM),
writes each message it receives as one line to OUTFILE, and touches READYFILE once it
listens. Runs until killed.
"""
import os
import signal
import socket
import sys

path, out, ready = sys.argv[1:4]
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
if os.path.exists(path):
    os.unlink(path)
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(path)
os.chmod(path, 0o666)  # unprivileged probes log too
with open(ready, "w"):
    pass
with open(out, "a", buffering=1) as f:
    while True:
        data = sock.recv(65536).decode("utf-8", "replace").rstrip("\n\0")
        f.write(data.replace("\n", " ") + "\n")
