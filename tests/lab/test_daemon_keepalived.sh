#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# test_daemon_keepalived.sh - Debian's keepalived takes realservers in and out of the
# pool from vipcheckd's state files (two FILE_CHECKs per realserver, vipcheckd(8) STATE
# FILES), with the configuration of examples/keepalived/vipcheckd-keepalived.conf, in
# the lab; and fails closed: keepalived before vipcheckd, vipcheckd never started and a
# deleted state file keep a realserver out; a restart (SIGTERM or SIGKILL) keeps it in.
#
#   VIPCHECK_TOOLS=build/tools tests/lab/test_daemon_keepalived.sh build/tests/libipvs_shim.so
#
# As test_keepalived.sh: ipvs_shim.so (LD_PRELOAD) stands in for ip_vs and logs each
# IPVS command; /run is a private bind of a temporary directory. keepalived runs under
# strace, counting every process it creates: after its own start-up, none.
set -uo pipefail
if (($# != 1)); then
    echo "usage: $0 PATH/TO/ipvs_shim.so" >&2
    exit 1
fi
SHIM=$(realpath -e -- "$1") || exit 1
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
EXAMPLE=$HERE/../../examples/keepalived/vipcheckd-keepalived.conf
# shellcheck source=harness.sh
. "$HERE/harness.sh"
lab_tools D=vipcheckd
# shellcheck source=../daemons/common.sh
. "$HERE/../daemons/common.sh"
command -v keepalived >/dev/null || { echo "Bail out! keepalived is not installed (apt-get install keepalived)"; exit 1; }
command -v strace >/dev/null || { echo "Bail out! strace is not installed"; exit 1; }

lab_begin
K=$(daemon_dir vcl-vipcheckd-ka) || exit 1
KA_PID= D_PID=
cleanup() {
    # keepalived by its own pid: a TERM to strace only detaches it from keepalived.
    local ka
    ka=$(cat "$K/keepalived.pid" 2>/dev/null)
    [[ -n $ka ]] && kill -TERM "$ka" 2>/dev/null
    if [[ -n $KA_PID ]]; then
        wait "$KA_PID" 2>/dev/null
    fi
    if [[ -n $D_PID ]]; then
        kill -TERM "$D_PID" 2>/dev/null
        wait "$D_PID" 2>/dev/null
    fi
    rm -rf "$K"
}
trap 'cleanup; _lab_harness_exit' EXIT
mkdir -p "$K/run" "$K/state"

cat >"$K/vipcheckd.yaml" <<EOF
interval: 1s
timeout: 500ms
targets:
  - {name: web-rs1, kind: icmp, vip: $LAB_VIP, rip: $LAB_RS_HEALTHY}
  - {name: web-rs2, kind: icmp, vip: $LAB_VIP, rip: $LAB_RS_NOVIP}
EOF
sed -e "s/192\.0\.2\.100/$LAB_VIP/g" -e "s/192\.0\.2\.11 /$LAB_RS_HEALTHY /g" -e "s/192\.0\.2\.12 /$LAB_RS_NOVIP /g" \
    -e "s|/run/vipcheckd/|$K/state/|g" -e "s/delay_loop 5/delay_loop 1/" "$EXAMPLE" >"$K/keepalived.conf"
grep -q "$K/state/web-rs1" "$K/keepalived.conf" || { echo "Bail out! the example did not take the substitutions"; exit 1; }
expect_true "keepalived -t accepts the example (lab addresses)" -- \
    unshare --pid --fork keepalived -t -f "$K/keepalived.conf"

start_vipcheckd() {
    ip netns exec "$LAB_DIRECTOR_NS" "$D" --config "$K/vipcheckd.yaml" --state-dir "$K/state" >>"$K/vipcheckd.log" 2>&1 &
    D_PID=$!
}
LOG=$K/keepalived.log
IPVS=$K/ipvs.log
: >"$IPVS" >"$K/vipcheckd.log"
H="$LAB_VIP:80 -> $LAB_RS_HEALTHY:80"
# count RE: how many IPVS commands so far match the ERE.
count() { grep -cE -- "$1" "$IPVS"; }
# pooled RIP: whether keepalived has added RIP more often than it removed it.
pooled() { (($(count "ADDDEST tcp $LAB_VIP:80 -> $1:80") > $(count "DELDEST tcp $LAB_VIP:80 -> $1:80"))); }
# expect_out DESC RIP: RIP is out of the pool, now or within 10 s (a hang guard).
expect_out() {
    local i
    for ((i = 0; i < 100; i++)); do
        pooled "$2" || { lab_pass "$1"; return; }
        sleep 0.1
    done
    lab_fail "$1" "$(grep -- "-> $2:80" "$IPVS" | tail -3)"
}

# keepalived first, with no state file at all: vipcheckd not started yet (or failed to
# start, or /run emptied by a reboot). Nothing may enter the pool.
start_keepalived() {
    ip netns exec "$LAB_DIRECTOR_NS" unshare --mount --propagation private \
        bash -c 'mount --bind "$1" /run && shift && exec "$@"' _ "$K/run" \
        strace -f -qq -e trace=fork,vfork,clone,clone3,execve -o "$K/strace" \
        env LD_PRELOAD="$SHIM" VIPCHECK_IPVS_LOG="$IPVS" \
        keepalived --dont-fork --log-console --log-detail --no-syslog --check \
        --use-file "$K/keepalived.conf" --pid "$K/keepalived.pid" --checkers_pid "$K/checkers.pid" \
        --vrrp_pid "$K/vrrp.pid" --bfd_pid "$K/bfd.pid" >>"$LOG" 2>&1 &
    KA_PID=$!
}
start_keepalived
expect_log "keepalived is up and has read its config" "$IPVS" "^ipvs ADD tcp $LAB_VIP:80" 20
sleep 3 # three of keepalived's delay_loops
expect_no_log "no state file yet (vipcheckd never started): nothing enters the pool" "$IPVS" "ADDDEST"

start_vipcheckd
expect_log "vipcheckd proves web-rs1: it enters the pool" "$IPVS" "ADDDEST tcp $H weight 100" 20
creations() { grep -cE '(fork|clone|clone3|vfork)\(' "$K/strace"; }
started=$(creations)
expect_true "both state files of web-rs1 say up" -- \
    bash -c "[[ \$(<'$K/state/web-rs1') == 0 && \$(<'$K/state/web-rs1.proven') == 1 ]]"
sleep 2
expect_no_log "web-rs2 (no VIP) never enters the pool" "$IPVS" "-> $LAB_RS_NOVIP:80"

# A state file deleted while both run: out of the pool at once, back with its target's
# next result (interval 1 s; the bound is a hang guard).
rm "$K/state/web-rs1.proven"
expect_log "web-rs1.proven deleted: keepalived takes web-rs1 out" "$IPVS" "DELDEST tcp $H" 10 1
expect_log "web-rs1.proven deleted: vipcheckd writes it again, web-rs1 back in" "$IPVS" "ADDDEST tcp $H weight 100" 10 2
rm -f "$K/state/"*
expect_log "every state file deleted (rm -r /run/vipcheckd/*): web-rs1 out" "$IPVS" "DELDEST tcp $H" 10 2
expect_log "every state file deleted: all back within an interval, web-rs1 in" "$IPVS" "ADDDEST tcp $H weight 100" 10 3
# keepalived 2.2.7's limit (vipcheckd(8), STATE FILES): web-rs2 has been down ever since
# keepalived started, so its first file alone held it out, and it may be pooled until
# vipcheckd writes that file again with web-rs2's next result.
expect_out "every state file deleted: web-rs2 (down since keepalived started) out within an interval" "$LAB_RS_NOVIP"
if (($(count "ADDDEST tcp $LAB_VIP:80 -> $LAB_RS_NOVIP:80") > 0)); then
    echo "# keepalived pooled web-rs2 meanwhile, until vipcheckd wrote its file again (the documented limit)"
fi
lab_exec healthy ip addr del "$LAB_VIP/32" dev lo
t0=$(date +%s%N)
expect_log "VIP removed from web-rs1: vipcheckd sees it" "$K/vipcheckd.log" "web-rs1 no-reply" 10
expect_log "VIP removed from web-rs1: keepalived removes it" "$IPVS" "DELDEST tcp $H" 10 3
ms=$((($(date +%s%N) - t0) / 1000000))
echo "# removed from the pool ${ms} ms after the VIP went (interval 1 s, timeout 500 ms)"
# A realserver that was up since keepalived started and is down now stays out when its
# files are deleted: its .proven changed to 0, which keepalived judges right.
rm -f "$K/state/"*
sleep 2
expect_true "web-rs1 down, every state file deleted: web-rs1 stays out" -- \
    test "$(count "DELDEST tcp $H")" -eq 3 -a "$(count "ADDDEST tcp $H")" -eq 3
expect_true "web-rs1 down, every state file deleted: both back, saying down" -- \
    bash -c "[[ \$(<'$K/state/web-rs1') == 1 && \$(<'$K/state/web-rs1.proven') == 0 ]]"
lab_exec healthy ip addr add "$LAB_VIP/32" dev lo
expect_log "VIP back on web-rs1: keepalived adds it again" "$IPVS" "ADDDEST tcp $H weight 100" 10 4
n=$(creations)
if ((n == started)); then
    lab_pass "keepalived created no process for the checks ($n since its start-up, all before the first check)"
else
    lab_fail "keepalived created no process for the checks" "$started at the first ADDDEST, $n now:" "$(tail -5 "$K/strace")"
fi
expect_no_log "keepalived ran no check program" "$K/strace" "execve\\(\"[^\"]*(vip|check)"

# Fail static through a restart, planned (SIGTERM) or not (SIGKILL): the files keep
# what was proven, so web-rs1 stays pooled, and the new vipcheckd resumes at once.
for signal in TERM KILL; do
    dels=$(count "DELDEST tcp $H") adds=$(count "ADDDEST tcp $H")
    kill -"$signal" "$D_PID"
    wait "$D_PID" 2>/dev/null
    D_PID=
    sleep 2 # keepalived reads the files meanwhile
    start_vipcheckd
    sleep 2
    if (($(count "DELDEST tcp $H") == dels)); then
        lab_pass "vipcheckd stopped by SIG$signal and started again: web-rs1 stayed in the pool"
    else
        lab_fail "vipcheckd stopped by SIG$signal and started again: web-rs1 stayed in the pool" "$(tail -3 "$IPVS")"
    fi
    expect_out "after SIG$signal: web-rs2 out" "$LAB_RS_NOVIP"
    lab_exec healthy ip addr del "$LAB_VIP/32" dev lo
    expect_log "after SIG$signal: the new vipcheckd takes web-rs1 out when its VIP goes" "$IPVS" "DELDEST tcp $H" 10 $((dels + 1))
    lab_exec healthy ip addr add "$LAB_VIP/32" dev lo
    expect_log "after SIG$signal: and back in" "$IPVS" "ADDDEST tcp $H weight 100" 10 $((adds + 1))
done

# keepalived restarted while vipcheckd runs: `init_file 0 overwrite` sets every
# .proven file to 0 and the first files decide, so web-rs1 is back in the pool at once;
# vipcheckd's next result sets web-rs1.proven back to 1, and from then on deleting it
# takes web-rs1 out again. A reload (SIGHUP) keeps the pool.
kill -TERM "$(cat "$K/keepalived.pid")"
wait "$KA_PID" 2>/dev/null
: >"$IPVS"
start_keepalived
expect_log "keepalived restarted: web-rs1 back in the pool" "$IPVS" "ADDDEST tcp $H weight 100" 20
expect_log "keepalived restarted: vipcheckd sets web-rs1.proven back to 1" "$K/state/web-rs1.proven" "^1$" 10
sleep 2
expect_no_log "keepalived restarted: web-rs2 still out" "$IPVS" "-> $LAB_RS_NOVIP:80"
rm "$K/state/web-rs1.proven"
expect_log "keepalived restarted, web-rs1.proven deleted: web-rs1 out" "$IPVS" "DELDEST tcp $H" 10
expect_log "keepalived restarted, web-rs1.proven deleted: back in" "$IPVS" "ADDDEST tcp $H weight 100" 10 2
kill -HUP "$(cat "$K/keepalived.pid")"
sleep 3
expect_true "keepalived reloaded: web-rs1 stayed in the pool" -- test "$(count "DELDEST tcp $H")" -eq 1
expect_out "keepalived reloaded: web-rs2 still out" "$LAB_RS_NOVIP"
lab_end
