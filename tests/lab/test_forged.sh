#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# test_forged.sh - forged answers raced against every probe.
#
#   VIPCHECK_TOOLS=build/tools tests/lab/test_forged.sh
#
# forger.py (scapy, independent of libvipcheck) sits on the director's bridge
# port in the switch namespace and answers every probe at once with forged
# echo replies and SYN-ACKs: wrong cookie, id, sequence, ack or port, right
# fields from the wrong MAC or the wrong source, right fields on a second
# director interface.  The target realserver has no VIP, so nothing real ever
# answers: not one of 200 runs may say up.  A control series first lets the
# forger send the perfect answer, which must say up: that proves its frames
# are well-formed and in time, so the zero below means something.
# Prints the forged-up count and how many forgeries were sent, by kind.
# Then vipcheckd --once runs the same probes BATCH targets at a time, all in
# flight together on one capture: a forged answer must not count for any of them.
set -uo pipefail

# shellcheck source=harness.sh
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
# shellcheck source=trust.sh
. "$(dirname "${BASH_SOURCE[0]}")/trust.sh"
lab_tools BIN_ICMP=vip-icmp-check BIN_SYN=vip-syn-check BIN_DAEMON=vipcheckd

RUNS=${VIPCHECK_FORGED_RUNS:-200}
# Small batches: the forger (python) must keep up, so forgeries land while runs still listen.
BATCH=20
CONTROL_RUNS=5
A=(-v --attempts 3 --timeout 1s)
FORGER=$LAB_HARNESS_DIR/forger.py
/usr/bin/python3 -c 'import scapy' 2>/dev/null || { echo "Bail out! python3-scapy missing (scripts/install-deps)"; exit 1; }

lab_begin
: "${LAB_SWITCH:=sw}"
# The director's second interface, on the same switch (the wrong-if forgeries
# are written straight into its port).
lab_link director eth1 --port p-dir1 198.51.100.129/26 || { echo "Bail out! no second director interface"; exit 1; }

FORGER_PID=
forger_start() {
    local mode=$1 i
    rm -f "$LAB_TMP/forger.stats"
    ip netns exec "$LAB_SWITCH_NS" /usr/bin/python3 "$FORGER" --sniff p-director --wrong-if p-dir1 \
        --vip "$LAB_VIP" --rip "$LAB_RS_NOVIP" --stranger-mac "$LAB_MAC_HEALTHY" \
        --stats "$LAB_TMP/forger.stats" --mode "$mode" 2>"$LAB_TMP/forger.err" &
    FORGER_PID=$!
    for i in $(seq 100); do
        grep -q ready "$LAB_TMP/forger.stats" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "# forger did not start: $(cat "$LAB_TMP/forger.err")"
    return 1
}

# forger_stop: TERM, and the totals land in forger.stats.
forger_stop() {
    [[ -n $FORGER_PID ]] || return 0
    kill -TERM "$FORGER_PID" 2>/dev/null
    wait "$FORGER_PID" 2>/dev/null
    FORGER_PID=
}
trap 'forger_stop; _lab_harness_exit' EXIT

stat_of() { awk -v k="$1" '$1 == k { print $2 }' "$LAB_TMP/forger.stats"; }

# runs N BATCH -- CMD...: N runs, BATCH at a time; tallies verdict tokens
# into TALLY and the frames each run ignored (its -v trace) into IGNORED.
declare -A TALLY
IGNORED=0
runs() {
    local n=$1 batch=$2 i j dir=$LAB_TMP/runs token k
    shift 2
    [[ $1 == -- ]] && shift
    rm -rf "$dir" && mkdir -p "$dir"
    local pids
    for ((i = 0; i < n; i += batch)); do
        pids=()
        for ((j = i; j < i + batch && j < n; j++)); do
            in_director "$@" >"$dir/$j.out" 2>"$dir/$j.err" &
            pids+=($!)
        done
        # Not a bare `wait`: that would wait for the forger too.
        wait "${pids[@]}"
    done
    TALLY=() IGNORED=0
    for ((i = 0; i < n; i++)); do
        read -r token _ <"$dir/$i.out" || token=empty
        TALLY[$token]=$((${TALLY[$token]:-0} + 1))
        k=$(grep -o '[0-9]* frames\? did not match' "$dir/$i.err" | cut -d' ' -f1)
        IGNORED=$((IGNORED + ${k:-0}))
    done
}
show() { local k s=""; for k in "${!TALLY[@]}"; do s+="$k=${TALLY[$k]} "; done; echo "$s"; }

# series TOOL_DESC CMD...: control, then the forged race.
series() {
    local desc=$1
    shift
    # Control: the perfect answer proves the forger is well-formed and fast.
    if forger_start control; then
        runs "$CONTROL_RUNS" "$CONTROL_RUNS" -- "$@"
        forger_stop
        echo "# $desc control: $(show)"
        if ((${TALLY[up]:-0} == CONTROL_RUNS)); then
            lab_pass "$desc control: the forger's perfect answer says up ($CONTROL_RUNS/$CONTROL_RUNS)"
        else
            lab_fail "$desc control: the forger's perfect answer says up" "$(show)"
        fi
    else
        lab_fail "$desc control: forger started"
    fi

    if ! forger_start forge; then
        lab_fail "$desc: forger started"
        return
    fi
    runs "$RUNS" "$BATCH" -- "$@"
    forger_stop
    local up=${TALLY[up]:-0} probes forged kinds
    probes=$(stat_of probes) forged=$(stat_of forged)
    kinds=$(awk '$1 == "kind" { printf "%s=%s ", $2, $3 }' "$LAB_TMP/forger.stats")
    echo "# $desc forged: up $up/$RUNS; verdicts: $(show)"
    echo "# $desc forgeries: ${forged:-0} sent for ${probes:-0} probes ($kinds); frames that reached the runs' captures and their matchers rejected: $IGNORED"
    if ((up == 0)); then
        lab_pass "$desc: no run of $RUNS said up under forged answers"
    else
        lab_fail "$desc: no run of $RUNS said up under forged answers" "$up runs said up"
    fi
    if ((${TALLY[no-reply]:-0} == RUNS)); then
        lab_pass "$desc: every run says no-reply"
    else
        lab_fail "$desc: every run says no-reply" "$(show)"
    fi
    # Every run probed at least once, and every probe was raced.
    if ((${probes:-0} >= RUNS && ${forged:-0} >= 5 * ${probes:-0})); then
        lab_pass "$desc: every probe was raced by forgeries"
    else
        lab_fail "$desc: every probe was raced by forgeries" "probes ${probes:-0}, forgeries ${forged:-0}"
    fi
}

series "icmp" "$BIN_ICMP" "${A[@]}" "$LAB_VIP" "$LAB_RS_NOVIP"
series "syn" "$BIN_SYN" "${A[@]}" "$LAB_VIP" 80 "$LAB_RS_NOVIP"

# daemon_rounds N KINDS...: N --once rounds of vipcheckd, each one target per KIND
# repeated to BATCH targets (all to the realserver without the VIP); tallies the verdict
# tokens of every target into TALLY.
daemon_rounds() {
    local n=$1 i j k conf=$LAB_TMP/daemon.yaml token
    shift
    local kinds=("$@")
    TALLY=()
    for ((i = 0; i < n; i++)); do
        printf 'timeout: 1s\ntargets:\n' >"$conf"
        for ((j = 0; j < BATCH; j++)); do
            k=${kinds[j % ${#kinds[@]}]}
            printf '  - {name: t%d-%s, kind: %s, vip: %s, rip: %s%s}\n' "$j" "$k" "$k" "$LAB_VIP" "$LAB_RS_NOVIP" \
                "$([[ $k == syn ]] && echo ', port: 80')" >>"$conf"
        done
        in_director "$BIN_DAEMON" --config "$conf" --once >"$LAB_TMP/daemon.out" 2>"$LAB_TMP/daemon.err"
        while read -r _ token _; do
            TALLY[$token]=$((${TALLY[$token]:-0} + 1))
        done <"$LAB_TMP/daemon.out"
    done
}

kinds=(icmp syn)
BATCH_SAVED=$BATCH
if forger_start control; then
    BATCH=$CONTROL_RUNS
    daemon_rounds 1 "${kinds[@]}"
    forger_stop
    echo "# vipcheckd control: $(show)"
    if ((${TALLY[up]:-0} == CONTROL_RUNS)); then
        lab_pass "vipcheckd control: the forger's perfect answer says up ($CONTROL_RUNS/$CONTROL_RUNS)"
    else
        lab_fail "vipcheckd control: the forger's perfect answer says up" "$(show)"
    fi
else
    lab_fail "vipcheckd control: forger started"
fi
BATCH=$BATCH_SAVED
if forger_start forge; then
    daemon_rounds $((RUNS / BATCH)) "${kinds[@]}"
    forger_stop
    up=${TALLY[up]:-0} probes=$(stat_of probes) forged=$(stat_of forged)
    echo "# vipcheckd forged: up $up/$RUNS; verdicts: $(show)"
    echo "# vipcheckd forgeries: ${forged:-0} sent for ${probes:-0} probes"
    if ((up == 0)); then
        lab_pass "vipcheckd: no target of $RUNS ($BATCH in flight at once) said up under forged answers"
    else
        lab_fail "vipcheckd: no target said up under forged answers" "$up said up"
    fi
    if ((${TALLY[no-reply]:-0} == RUNS)); then
        lab_pass "vipcheckd: every target says no-reply"
    else
        lab_fail "vipcheckd: every target says no-reply" "$(show)"
    fi
    if ((${probes:-0} >= RUNS && ${forged:-0} >= 5 * ${probes:-0})); then
        lab_pass "vipcheckd: every probe was raced by forgeries"
    else
        lab_fail "vipcheckd: every probe was raced by forgeries" "probes ${probes:-0}, forgeries ${forged:-0}"
    fi
else
    lab_fail "vipcheckd: forger started"
fi

expect_no_vip_leaks "no frame on the switch asked for or claimed the VIP"
lab_end
