#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# test_loss.sh - verdicts on a lossy network.
#
#   VIPCHECK_TOOLS=build/tools tests/lab/test_loss.sh
#
# The switch drops 30 % of the frames to and from a realserver (nftables
# `numgen random mod 10 < 3`, each direction, ARP included).  With
# `--attempts 5 --timeout 1s`, 200 runs against the healthy realserver must
# mostly say up (the up-rate is printed), and runs against broken ones
# must never say up (100 runs each).  Runs go in parallel batches to stay time-bounded.
#
# On the bound: a probe round trip survives with 0.7 * 0.7 = 0.49, so any
# engine that sends 5 probes fails at least 0.51^5 = 3.5 % of runs, whatever
# it does: an up-rate of 99 % or more would need 7 or more round trips.  ARP retries run on
# their own, faster schedule and the probes are spread over what is left of the
# deadline once the RIP resolves, so the engine reaches that ceiling: expected
# up-rate 1 - 0.51^5 = 96.5 % (less the ~0.1 % of runs whose ten ARP requests
# all fail), for the SYN probe as for the echo once the two things below are set
# aside.  VIPCHECK_LOSS_MIN_UP (percent, default 88, the ceiling of the old engine
# that spent a probe per ARP request) sits over six standard deviations of a
# 200-run sample (1.3 %) under that: it catches a retry logic that wastes attempts
# without flaking.
#
# Two things of the healthy realserver's own would make the runs neither independent
# nor worth five round trips each, and are set aside, since what is measured is the
# engine:
#  - its neighbour entry for the director, which every run in flight shares: when
#    its ARP probes are lost (30 % each way), the replies wait for resolution and
#    the runs in flight can fail together (inferred from the spread, not traced).
#    The entry is pinned (nud permanent). Without it, the SYN up-rate of 200 runs
#    went from 86 % to 94.5 % between runs, and one CI run fell under the bound;
#  - Linux's rate limit on a retransmitted SYN (net.ipv4.tcp_invalid_ratelimit,
#    500 ms): after the first retransmission, a SYN sooner than 500 ms after the
#    last answered one earns no SYN-ACK, so attempts 200 ms apart are not five
#    round trips (a model of it gives 92.3 %, and 92 % was measured with the pin
#    alone). It is 0 here: with both, 95.5-96.5 % in three runs of 200.
#    vip-syn-check(8) tells operators of the limit.
set -uo pipefail

# shellcheck source=harness.sh
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
# shellcheck source=trust.sh
. "$(dirname "${BASH_SOURCE[0]}")/trust.sh"
lab_tools BIN_ICMP=vip-icmp-check BIN_SYN=vip-syn-check

RUNS=${VIPCHECK_LOSS_RUNS:-200}
BATCH=${VIPCHECK_LOSS_BATCH:-25}
BROKEN_RUNS=${VIPCHECK_LOSS_BROKEN_RUNS:-100}
MIN_UP=${VIPCHECK_LOSS_MIN_UP:-88}
A=(--attempts 5 --timeout 1s)

lab_begin

# Loss on the bridge, for the healthy and two broken realservers.  Early
# priority, so the VIP watch counters still see what passes.
lab_nft sw <<'EOF' || { echo "Bail out! cannot install the loss rules"; exit 1; }
table bridge vclloss {
    chain forward {
        type filter hook forward priority -10; policy accept;
        iifname { "p-healthy", "p-novip", "p-forward" } numgen random mod 10 < 3 counter drop
        oifname { "p-healthy", "p-novip", "p-forward" } numgen random mod 10 < 3 counter drop
    }
}
EOF
trust_listen healthy "$LAB_VIP" 80 || lab_fail "listener on the healthy realserver"
director_mac=$(lab_mac director "$LAB_DIRECTOR_IF")
{
    lab_exec healthy ip neigh replace "$LAB_DIRECTOR_IP" lladdr "$director_mac" dev eth0 nud permanent &&
        lab_sysctl healthy net.ipv4.tcp_invalid_ratelimit=0
} || { echo "Bail out! cannot pin the healthy realserver's neighbour or lift its SYN rate limit"; exit 1; }

# tally DESC N BATCH -- CMD...: run CMD N times, BATCH at a time, in the
# director; leaves the count of each verdict token in TALLY.
declare -A TALLY
tally() {
    local n=$2 batch=$3 i j dir=$LAB_TMP/tally pids
    shift 3
    [[ $1 == -- ]] && shift
    rm -rf "$dir" && mkdir -p "$dir"
    for ((i = 0; i < n; i += batch)); do
        pids=()
        for ((j = i; j < i + batch && j < n; j++)); do
            in_director "$@" >"$dir/$j" 2>&1 &
            pids+=($!)
        done
        # Not a bare `wait`: that would also wait for trust_listen's listener.
        wait "${pids[@]}"
    done
    TALLY=()
    local token
    for ((i = 0; i < n; i++)); do
        read -r token _ <"$dir/$i" || token=empty
        TALLY[$token]=$((${TALLY[$token]:-0} + 1))
    done
}

show() { local k s=""; for k in "${!TALLY[@]}"; do s+="$k=${TALLY[$k]} "; done; echo "$s"; }

# up_rate DESC TOOL-ARGS...: RUNS runs against the healthy realserver.
up_rate() {
    local desc=$1
    shift
    tally "$desc" "$RUNS" "$BATCH" -- "$@"
    local up=${TALLY[up]:-0}
    local pct=$((up * 100 / RUNS)) permille=$((up * 1000 / RUNS))
    echo "# $desc: up-rate $up/$RUNS = $((permille / 10)).$((permille % 10)) % ($(show))"
    if ((pct >= MIN_UP)); then
        lab_pass "$desc: up-rate at least $MIN_UP %"
    else
        lab_fail "$desc: up-rate at least $MIN_UP %" "$up/$RUNS up ($(show))"
    fi
}

# never_up DESC TOOL-ARGS...: RUNS runs against a broken realserver.
never_up() {
    local desc=$1
    shift
    tally "$desc" "$BROKEN_RUNS" 50 -- "$@"
    echo "# $desc: $(show)"
    if ((${TALLY[up]:-0} == 0)); then
        lab_pass "$desc: never up in $BROKEN_RUNS runs"
    else
        lab_fail "$desc: never up in $BROKEN_RUNS runs" "${TALLY[up]} runs said up"
    fi
}

up_rate "icmp healthy, 30 % loss" "$BIN_ICMP" "${A[@]}" "$LAB_VIP" "$LAB_RS_HEALTHY"
never_up "icmp no VIP, 30 % loss" "$BIN_ICMP" "${A[@]}" "$LAB_VIP" "$LAB_RS_NOVIP"
never_up "icmp forwarding, no VIP, 30 % loss" "$BIN_ICMP" "${A[@]}" "$LAB_VIP" "$LAB_RS_FORWARD"
up_rate "syn healthy, 30 % loss" "$BIN_SYN" "${A[@]}" "$LAB_VIP" 80 "$LAB_RS_HEALTHY"
never_up "syn no VIP, 30 % loss" "$BIN_SYN" "${A[@]}" "$LAB_VIP" 80 "$LAB_RS_NOVIP"

# The loss rule really dropped frames (else the up-rate above proves nothing).
drops=$(ip netns exec "$LAB_SWITCH_NS" nft list table bridge vclloss | awk '/counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") n += $(i + 1) } END { print n + 0 }')
echo "# frames dropped by the loss rule: $drops"
if ((drops > RUNS)); then
    lab_pass "the loss rule dropped frames ($drops)"
else
    lab_fail "the loss rule dropped frames" "only $drops"
fi
expect_no_vip_leaks "no frame on the switch asked for or claimed the VIP"
lab_end
