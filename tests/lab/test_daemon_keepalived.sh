#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# test_daemon_keepalived.sh - Debian's keepalived takes realservers in and out of the
# pool from vipcheckd's state files (FILE_CHECK / track_file of weight 0), with the
# configuration of examples/keepalived/vipcheckd-keepalived.conf, in the lab.
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

# vipcheckd first (as vipcheckd.service orders it): every file says 1 before keepalived reads it.
ip netns exec "$LAB_DIRECTOR_NS" "$D" --config "$K/vipcheckd.yaml" --state-dir "$K/state" >"$K/vipcheckd.log" 2>&1 &
D_PID=$!
wait_log "$K/vipcheckd.log" "web-rs1 up" 10 || lab_fail "vipcheckd proves web-rs1 up" "$(cat "$K/vipcheckd.log")"

LOG=$K/keepalived.log
: >"$K/ipvs.log"
ip netns exec "$LAB_DIRECTOR_NS" unshare --mount --propagation private \
    bash -c 'mount --bind "$1" /run && shift && exec "$@"' _ "$K/run" \
    strace -f -qq -e trace=fork,vfork,clone,clone3,execve -o "$K/strace" \
    env LD_PRELOAD="$SHIM" VIPCHECK_IPVS_LOG="$K/ipvs.log" \
    keepalived --dont-fork --log-console --log-detail --no-syslog --check \
    --use-file "$K/keepalived.conf" --pid "$K/keepalived.pid" --checkers_pid "$K/checkers.pid" \
    --vrrp_pid "$K/vrrp.pid" --bfd_pid "$K/bfd.pid" >"$LOG" 2>&1 &
KA_PID=$!

H="$LAB_VIP:80 -> $LAB_RS_HEALTHY:80"
expect_log "ipvs: web-rs1 (VIP proven) enters the pool" "$K/ipvs.log" "ADDDEST tcp $H weight 100" 20
creations() { grep -cE '(fork|clone|clone3|vfork)\(' "$K/strace"; }
started=$(creations)
sleep 2
expect_no_log "ipvs: web-rs2 (no VIP) never enters the pool" "$K/ipvs.log" "-> $LAB_RS_NOVIP:80"

lab_exec healthy ip addr del "$LAB_VIP/32" dev lo
t0=$(date +%s%N)
expect_log "VIP removed from web-rs1: vipcheckd writes 1" "$K/vipcheckd.log" "web-rs1 no-reply" 10
expect_log "VIP removed from web-rs1: keepalived removes it" "$K/ipvs.log" "DELDEST tcp $H" 10
ms=$((($(date +%s%N) - t0) / 1000000))
echo "# removed from the pool ${ms} ms after the VIP went (interval 1 s, timeout 500 ms)"
lab_exec healthy ip addr add "$LAB_VIP/32" dev lo
expect_log "VIP back on web-rs1: keepalived adds it again" "$K/ipvs.log" "ADDDEST tcp $H weight 100" 10 2
n=$(creations)
if ((n == started)); then
    lab_pass "keepalived created no process for the checks ($n since its start-up, all before the first check)"
else
    lab_fail "keepalived created no process for the checks" "$started at the first ADDDEST, $n now:" "$(tail -5 "$K/strace")"
fi
expect_no_log "keepalived ran no check program" "$K/strace" "execve\\(\"[^\"]*(vip|check)"

# A restart of vipcheckd: its files say 1 until proven again, so nothing flaps up.
kill -TERM "$D_PID"; wait "$D_PID"; D_PID=
ip netns exec "$LAB_DIRECTOR_NS" "$D" --config "$K/vipcheckd.yaml" --state-dir "$K/state" >>"$K/vipcheckd.log" 2>&1 &
D_PID=$!
sleep 2
expect_no_log "vipcheckd restarted: web-rs2 still never entered the pool" "$K/ipvs.log" "-> $LAB_RS_NOVIP:80"
lab_end
