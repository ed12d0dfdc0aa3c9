#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# test_concurrency.sh - many runs at once, as keepalived starts them.
#
#   VIPCHECK_TOOLS=build/tools tests/lab/test_concurrency.sh
#
# 300 runs start together across every lab realserver (healthy, no VIP,
# firewalled, forwarding, absent), vip-icmp-check and vip-syn-check mixed.
# Every capture sees every other run's replies and ICMP errors, and with 300
# random 16-bit ICMP ids a collision is likely: each run must still give
# exactly its own realserver's verdict, RIP and MAC (--json, checked field by
# field).  Prints right/total.
set -uo pipefail

# shellcheck source=harness.sh
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
# shellcheck source=trust.sh
. "$(dirname "${BASH_SOURCE[0]}")/trust.sh"
lab_tools BIN_ICMP=vip-icmp-check BIN_SYN=vip-syn-check

TOTAL=${VIPCHECK_CONCURRENT_RUNS:-300}
# Generous: 300 processes start on two busy cores, and a slow start must not
# turn a healthy realserver into no-reply.  The negative runs wait it out, in
# parallel, once.
A=(--json --attempts 5 --timeout 5s)
# ...and the harness's per-command bound must not cut a starved run short.
LAB_CMD_TIMEOUT=40

lab_begin
trust_listen healthy "$LAB_VIP" 80 || lab_fail "listener on the healthy realserver"

# name RIP MAC VERDICT for each realserver (MAC empty: never resolves).
TARGETS=(
    "healthy $LAB_RS_HEALTHY $LAB_MAC_HEALTHY up"
    "novip $LAB_RS_NOVIP $LAB_MAC_NOVIP no-reply"
    "dropped $LAB_RS_DROPPED $LAB_MAC_DROPPED no-reply"
    "forward $LAB_RS_FORWARD $LAB_MAC_FORWARD vip-missing"
    "absent $LAB_RS_ABSENT - rs-unreachable"
)
tools=(icmp)
tools+=(syn)

dir=$LAB_TMP/runs
pids=()
mkdir -p "$dir"
start=$(date +%s%N)
for ((i = 0; i < TOTAL; i++)); do
    read -r name rip mac verdict <<<"${TARGETS[i % ${#TARGETS[@]}]}"
    tool=${tools[(i / ${#TARGETS[@]}) % ${#tools[@]}]}
    echo "$tool $name $rip $mac $verdict" >"$dir/$i.want"
    if [[ $tool == icmp ]]; then
        in_director "$BIN_ICMP" "${A[@]}" "$LAB_VIP" "$rip" >"$dir/$i.out" 2>"$dir/$i.err" &
    else
        in_director "$BIN_SYN" "${A[@]}" "$LAB_VIP" 80 "$rip" >"$dir/$i.out" 2>"$dir/$i.err" &
    fi
    pids[i]=$!
done
# The exit status of each run matters too: bash keeps them for `wait PID`.
for ((i = 0; i < TOTAL; i++)); do
    rc=0
    wait "${pids[i]}" || rc=$?
    echo "$rc" >"$dir/$i.rc"
done
wall_ms=$((($(date +%s%N) - start) / 1000000))

summary=$(/usr/bin/python3 - "$dir" "$TOTAL" <<'EOF'
import json, sys
d, total = sys.argv[1], int(sys.argv[2])
right, wrong = 0, []
per = {}
for i in range(total):
    tool, name, rip, mac, verdict = open(f"{d}/{i}.want").read().split()
    rc = open(f"{d}/{i}.rc").read().strip()
    out = open(f"{d}/{i}.out").read()
    key = f"{tool}/{name}"
    per.setdefault(key, [0, 0])
    per[key][1] += 1
    why = []
    try:
        j = json.loads(out)
    except ValueError:
        j = {}
        why.append(f"stdout is not JSON: {out[:120]!r} stderr: {open(f'{d}/{i}.err').read()[:200]!r}")
    if j:
        if j.get("verdict") != verdict:
            why.append(f"verdict {j.get('verdict')}, want {verdict}")
        if j.get("rip") != rip:
            why.append(f"rip {j.get('rip')}, want {rip}")
        if mac != "-" and j.get("mac") != mac:
            why.append(f"mac {j.get('mac')}, want {mac}")
        if mac == "-" and j.get("mac") is not None:
            why.append(f"mac {j.get('mac')} for a RIP nobody holds")
    if rc != ("0" if verdict == "up" else "1"):
        why.append(f"exit status {rc}")
    if why:
        wrong.append(f"run {i} {key}: " + "; ".join(why))
    else:
        right += 1
        per[key][0] += 1
for w in wrong[:10]:
    print(f"# WRONG {w}")
print("# per target: " + " ".join(f"{k}={v[0]}/{v[1]}" for k, v in sorted(per.items())))
print(f"RESULT {right} {total}")
EOF
)
grep -v '^RESULT' <<<"$summary"
read -r _ right total < <(grep '^RESULT' <<<"$summary")
echo "# concurrency: ${right:-0}/${total:-$TOTAL} verdicts right, $TOTAL runs at once in ${wall_ms} ms"
if [[ ${right:-0} == "$TOTAL" ]]; then
    lab_pass "$TOTAL concurrent runs: every verdict, RIP and MAC right"
else
    lab_fail "$TOTAL concurrent runs: every verdict, RIP and MAC right" "${right:-0}/$TOTAL right"
fi
expect_no_vip_leaks "no frame on the switch asked for or claimed the VIP"
lab_end
