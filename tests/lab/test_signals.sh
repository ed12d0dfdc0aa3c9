#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# test_signals.sh - SIGTERM / SIGINT / SIGHUP in the middle of a run.
#
#   VIPCHECK_TOOLS=build/tools tests/lab/test_signals.sh
#
# vipcheck(7), EXIT STATUS: keepalived sends SIGTERM on misc_timeout, ldirectord on
# checktimeout,
# and ldirectord reads a check killed by a signal as *up*.  So each signal must
# end the run within 50 ms with status 1, leaving no child, thread, packet
# socket or namespace behind.  signal_timer.py sends each signal only once the
# probe is provably asleep in ppoll (after its trace shows the step), times
# kill -> waitpid with a monotonic clock, and bounds the slowest of the runs.
set -uo pipefail

# shellcheck source=harness.sh
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
# shellcheck source=trust.sh
. "$(dirname "${BASH_SOURCE[0]}")/trust.sh"
lab_tools BIN_ICMP=vip-icmp-check BIN_SYN=vip-syn-check BIN_ARP=vip-arp-check \
    BIN_VIP_HTTP=vip-http-check

TIMER=$LAB_HARNESS_DIR/signal_timer.py
RUNS=${VIPCHECK_SIGNAL_RUNS:-10}

lab_begin

# timed DESC SIGNAL WAIT_FOR -- BIN ARGS...: one signal_timer.py series.
timed() {
    local desc=$1 sig=$2 wait_for=$3 out
    shift 3
    [[ $1 == -- ]] && shift
    local rc=0
    out=$(timeout -k 2 120 /usr/bin/python3 "$TIMER" --ns "$LAB_DIRECTOR_NS" --signal "$sig" --runs "$RUNS" \
        --ns-prefix "$LAB_PREFIX" --wait-for "$wait_for" -- "$@") || rc=$?
    grep -v '^summary:' <<<"$out" | grep PROBLEMS
    local summary
    summary=$(grep '^summary:' <<<"$out")
    echo "# $desc: ${summary#summary: }"
    if ((rc == 0)); then
        lab_pass "$desc: exit 1 on the signal, nothing left behind"
    else
        lab_fail "$desc: exit 1 on the signal, nothing left behind" "${summary:-no summary}"
    fi
}

# Long deadlines, so only the signal can end the run early.
for sig in TERM INT HUP; do
    # Waiting for an echo reply that never comes (the RIP resolves, the VIP is absent).
    timed "icmp SIG$sig while waiting for a reply" "$sig" "send " -- \
        "$BIN_ICMP" --timeout 10s "$LAB_VIP" "$LAB_RS_NOVIP"
done
# Waiting for an ARP answer that never comes.
timed "icmp SIGTERM while resolving" TERM "resolve " -- "$BIN_ICMP" --timeout 10s "$LAB_VIP" "$LAB_RS_ABSENT"

for sig in TERM INT; do
    timed "syn SIG$sig while waiting for a SYN-ACK" "$sig" "send " -- \
        "$BIN_SYN" --timeout 10s "$LAB_VIP" 80 "$LAB_RS_NOVIP"
done

# The user-space TCP's SYN, retransmitted, never answered.
timed "vip-http SIGTERM while waiting for a SYN-ACK" TERM "send " -- \
    "$BIN_VIP_HTTP" --timeout 10s "http://$LAB_VIP/" "$LAB_RS_NOVIP"

expect_no_vip_leaks "no frame on the switch asked for or claimed the VIP"

# After the watch's count: vip-arp-check's unicast question about the VIP is one the
# switch's watch counts (vipcheck(7), SAFETY allows it; it is what the check asks).
# Listening for a leak that a healthy realserver never lets out.
timed "arp SIGTERM while listening for a leak" TERM "send " -- \
    "$BIN_ARP" --timeout 10s "$LAB_VIP" "$LAB_RS_HEALTHY"
lab_end
