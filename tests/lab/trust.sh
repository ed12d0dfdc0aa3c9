# shellcheck shell=bash
# shellcheck source-path=SCRIPTDIR
# trust.sh - shared bits of the "trust under fire" lab tests (a run's verdict holds
# against bad input, signals, loss, stale state, concurrency and forgery).  Source it
# after harness.sh.
#
#   trust_listen NAME ADDR PORT
#                        a TCP listener inside lab host NAME (for SYN-ACKs);
#                        lab teardown ends it with the namespace.

trust_listen() {
    local name=$1 addr=$2 port=$3 ns i
    ns=$(lab_ns "$name") || return 1
    # A backlog far above the number of concurrent SYNs any test sends, so the
    # kernel never falls back to SYN cookies or drops a SYN for lack of room.
    ip netns exec "$ns" /usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(4096)
time.sleep(3600)
' "$addr" "$port" </dev/null >/dev/null 2>&1 &
    for i in $(seq 50); do
        ip netns exec "$ns" ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && return 0
        sleep 0.1
    done
    _lab_err "no listener on $name $addr:$port"
    return 1
}
