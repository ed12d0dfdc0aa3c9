# shellcheck shell=bash
# shellcheck source-path=SCRIPTDIR
# trust.sh - shared bits of the "trust under fire" lab tests (issue 7).  Source
# it after harness.sh.
#
#   trust_tools "$@"     reads --icmp PATH [--syn PATH] [--http PATH] [--arp PATH]
#                        [--vip-http PATH] [--daemon PATH]: sets BIN_ICMP, BIN_SYN,
#                        BIN_HTTP, BIN_ARP, BIN_VIP_HTTP, BIN_DAEMON (empty when not
#                        given).
#                        A tool not built yet on this branch is simply not
#                        passed by CMake, and its cases are reported as skipped.
#   trust_listen NAME ADDR PORT
#                        a TCP listener inside lab host NAME (for SYN-ACKs);
#                        lab teardown ends it with the namespace.

trust_tools() {
    BIN_ICMP= BIN_SYN= BIN_HTTP= BIN_ARP= BIN_VIP_HTTP= BIN_DAEMON=
    local flag path
    while (($#)); do
        flag=$1 path=${2:-}
        (($# >= 2)) || { echo "Bail out! $flag needs a path"; exit 1; }
        shift 2
        path=$(realpath -e -- "$path" 2>/dev/null) || path=
        if [[ -z $path || ! -x $path ]]; then
            echo "Bail out! $flag: not an executable"
            exit 1
        fi
        case $flag in
            --icmp) BIN_ICMP=$path ;;
            --syn) BIN_SYN=$path ;;
            --http) BIN_HTTP=$path ;;
            --arp) BIN_ARP=$path ;;
            --vip-http) BIN_VIP_HTTP=$path ;;
            --daemon) BIN_DAEMON=$path ;;
            *) echo "Bail out! unknown argument $flag"; exit 1 ;;
        esac
    done
    if [[ -z $BIN_ICMP ]]; then
        echo "Bail out! usage: $0 --icmp PATH [--syn PATH] [--http PATH]"
        exit 1
    fi
    [[ -n $BIN_SYN ]] || echo "# vip-syn-check not built on this branch: its cases are skipped"
    [[ -n $BIN_HTTP ]] || echo "# mgmt-http-check not built on this branch: its cases are skipped"
}

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
