#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# test_daemon_judge_keepalived.sh - Debian's keepalived pools a service's realservers
# from the files of vipcheckd's judge (DIR/SERVICE.RIP and DIR/SERVICE.RIP.proven,
# vipcheckd(8) STATE FILES), with examples/keepalived/vipcheckd-services-keepalived.conf
# and examples/vipcheckd/vipcheckd-services.yaml, in the lab: nothing in before
# vipcheckd runs; the healthy realserver in once it is up, the one without the VIP
# never; out when its VIP goes (after fall rounds), in again when it returns; kept in
# while min_up holds it; out for good when a reload removes it.
#
#   VIPCHECK_TOOLS=build/tools tests/lab/test_daemon_judge_keepalived.sh build/tests/libipvs_shim.so
#
# As test_daemon_keepalived.sh: ipvs_shim.so (LD_PRELOAD) stands in for ip_vs and logs
# each IPVS command; /run is a private bind of a temporary directory.
set -uo pipefail
if (($# != 1)); then
    echo "usage: $0 PATH/TO/ipvs_shim.so" >&2
    exit 1
fi
SHIM=$(realpath -e -- "$1") || exit 1
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
EXAMPLE=$HERE/../../examples/keepalived/vipcheckd-services-keepalived.conf
EXAMPLE_YAML=$HERE/../../examples/vipcheckd/vipcheckd-services.yaml
# shellcheck source=harness.sh
. "$HERE/harness.sh"
lab_tools D=vipcheckd
# shellcheck source=../daemons/common.sh
. "$HERE/../daemons/common.sh"
command -v keepalived >/dev/null || { echo "Bail out! keepalived is not installed (apt-get install keepalived)"; exit 1; }

lab_begin
K=$(daemon_dir vcl-judge-ka) || exit 1
KA_PID='' D_PID=''
stop_keepalived() {
    local ka
    ka=$(cat "$K/keepalived.pid" 2>/dev/null)
    [[ -n $ka ]] && kill -TERM "$ka" 2>/dev/null
    if [[ -n $KA_PID ]]; then
        wait "$KA_PID" 2>/dev/null
    fi
    KA_PID=''
    rm -f "$K/keepalived.pid"
}
cleanup() {
    stop_keepalived
    if [[ -n $D_PID ]]; then
        kill -TERM "$D_PID" 2>/dev/null
        wait "$D_PID" 2>/dev/null
    fi
    rm -rf "$K"
}
trap 'cleanup; _lab_harness_exit' EXIT
mkdir -p "$K/run" "$K/state"
lab_tcp_listen healthy 0.0.0.0 80 "$LAB_TMP/listener.log" || lab_fail "TCP listener on healthy"

# The examples with the lab's addresses (the RIPs are the lab's already: 192.0.2.11
# healthy, 192.0.2.12 without the VIP) and the lab's pace. min_up: 50% of the example
# would hold the last realserver up in the pool; it comes in with a reload below.
sed -e "s/192\.0\.2\.100/$LAB_VIP/g" -e "s/^interval: 5s/interval: 500ms/" -e "s/^timeout: 1s/timeout: 250ms/" \
    "$EXAMPLE_YAML" >"$K/example.yaml"
grep -q "^interval: 500ms" "$K/example.yaml" && grep -q "min_up: 50%" "$K/example.yaml" ||
    { echo "Bail out! the YAML example did not take the substitutions"; exit 1; }
sed -e '/min_up:/d' "$K/example.yaml" >"$K/no-min-up.yaml"
sed -e "/rip: $LAB_RS_HEALTHY/d" "$K/no-min-up.yaml" >"$K/removed.yaml"
cp "$K/no-min-up.yaml" "$K/vipcheckd.yaml"
expect_true "vipcheckd --check accepts the YAML example (lab addresses)" -- \
    in_director "$D" --check --config "$K/example.yaml"
sed -e "s/192\.0\.2\.100/$LAB_VIP/g" -e "s|/run/vipcheckd/|$K/state/|g" -e "s/delay_loop 5/delay_loop 1/" \
    "$EXAMPLE" >"$K/keepalived.conf"
grep -q "$K/state/web.$LAB_RS_HEALTHY.proven" "$K/keepalived.conf" ||
    { echo "Bail out! the keepalived example did not take the substitutions"; exit 1; }
expect_true "keepalived -t accepts the example (lab addresses)" -- \
    unshare --pid --fork keepalived -t -f "$K/keepalived.conf"

LOG=$K/keepalived.log
IPVS=$K/ipvs.log
DLOG=$K/vipcheckd.log
: >"$IPVS" >"$DLOG"
H="$LAB_VIP:80 -> $LAB_RS_HEALTHY:80"
count() { grep -cE -- "$1" "$IPVS"; }
start_keepalived() {
    ip netns exec "$LAB_DIRECTOR_NS" unshare --mount --propagation private \
        bash -c 'mount --bind "$1" /run && shift && exec "$@"' _ "$K/run" \
        env LD_PRELOAD="$SHIM" VIPCHECK_IPVS_LOG="$IPVS" \
        keepalived --dont-fork --log-console --log-detail --no-syslog --check \
        --use-file "$K/keepalived.conf" --pid "$K/keepalived.pid" --checkers_pid "$K/checkers.pid" \
        --vrrp_pid "$K/vrrp.pid" --bfd_pid "$K/bfd.pid" >>"$LOG" 2>&1 &
    KA_PID=$!
}
start_vipcheckd() {
    ip netns exec "$LAB_DIRECTOR_NS" "$D" --config "$K/vipcheckd.yaml" --state-dir "$K/state" >>"$DLOG" 2>&1 &
    D_PID=$!
}
reload_vipcheckd() { # reload_vipcheckd FILE N: the Nth reload
    cp "$1" "$K/vipcheckd.yaml"
    kill -HUP "$D_PID"
    wait_log "$DLOG" "^vipcheckd: reloaded " 10 "$2" || lab_fail "vipcheckd reloads $1" "$(tail -3 "$DLOG")"
}

# keepalived first, vipcheckd never started: nothing may enter the pool. The state
# directory is there, empty (the package's tmpfiles.d makes it at boot): keepalived 2.2.7
# drops a track_file whose directory is missing, which is why a service's files are
# flat, SERVICE.RIP, beside the targets' (vipcheckd(8), STATE FILES).
start_keepalived
expect_log "keepalived is up and has read its config" "$IPVS" "^ipvs ADD tcp $LAB_VIP:80" 20
sleep 3 # three of keepalived's delay_loops
expect_no_log "$K/state empty (vipcheckd never started): nothing enters the pool" "$IPVS" "ADDDEST"
if grep -qE "Track file directory .* does not exist" "$LOG"; then
    lab_fail "keepalived tracks every file of the example" "$(grep -E 'Track file directory' "$LOG" | head -2)"
fi

start_vipcheckd
expect_log "vipcheckd: web $LAB_RS_HEALTHY learning -> up" "$DLOG" "^vipcheckd: web $LAB_RS_HEALTHY learning -> up: healthy: " 10
expect_log "keepalived pools $LAB_RS_HEALTHY" "$IPVS" "ADDDEST tcp $H weight 100" 10
expect_true "both files of web.$LAB_RS_HEALTHY say pooled" -- \
    bash -c "[[ \$(<'$K/state/web.$LAB_RS_HEALTHY') == 0 && \$(<'$K/state/web.$LAB_RS_HEALTHY.proven') == 1 ]]"
sleep 2
expect_no_log "$LAB_RS_NOVIP (no VIP) never enters the pool" "$IPVS" "-> $LAB_RS_NOVIP:80"
expect_true "both files of web.$LAB_RS_NOVIP say not pooled" -- \
    bash -c "[[ \$(<'$K/state/web.$LAB_RS_NOVIP') == 1 && \$(<'$K/state/web.$LAB_RS_NOVIP.proven') == 0 ]]"

# Its VIP goes: down after fall (3) failing rounds, then out of the pool; back in
# after rise (2) good rounds once it returns.
lab_exec healthy ip addr del "$LAB_VIP/32" dev lo
t0=$(date +%s%N)
expect_log "VIP removed from $LAB_RS_HEALTHY: vipcheckd says up -> down" "$DLOG" "^vipcheckd: web $LAB_RS_HEALTHY up -> down: vip-silent: " 10
expect_log "VIP removed from $LAB_RS_HEALTHY: keepalived takes it out" "$IPVS" "DELDEST tcp $H" 10
echo "# out of the pool $((($(date +%s%N) - t0) / 1000000)) ms after the VIP went (interval 500 ms, fall 3, timeout 250 ms)"
lab_exec healthy ip addr add "$LAB_VIP/32" dev lo
expect_log "VIP back on $LAB_RS_HEALTHY: vipcheckd says down -> up" "$DLOG" "^vipcheckd: web $LAB_RS_HEALTHY down -> up: healthy: " 10
expect_log "VIP back on $LAB_RS_HEALTHY: keepalived adds it again" "$IPVS" "ADDDEST tcp $H weight 100" 10 2

# min_up 50% (the example as it is): the only realserver up stays pooled when its VIP
# goes, held, and keepalived keeps it.
reload_vipcheckd "$K/example.yaml" 1
lab_exec healthy ip addr del "$LAB_VIP/32" dev lo
expect_log "min_up 50%, VIP removed from $LAB_RS_HEALTHY: vipcheckd says up -> held" "$DLOG" "^vipcheckd: web $LAB_RS_HEALTHY up -> held" 10
sleep 2 # keepalived reads the files meanwhile
expect_true "held: keepalived keeps $LAB_RS_HEALTHY in the pool, its files say pooled" -- \
    bash -c "(( \$(grep -c 'DELDEST tcp $H' '$IPVS') == 1 )) && [[ \$(<'$K/state/web.$LAB_RS_HEALTHY') == 0 && \$(<'$K/state/web.$LAB_RS_HEALTHY.proven') == 1 ]]"
lab_exec healthy ip addr add "$LAB_VIP/32" dev lo
expect_log "VIP back: vipcheckd says held -> up" "$DLOG" "^vipcheckd: web $LAB_RS_HEALTHY held -> up" 10

# A reload that removes it: its files say not pooled for good, keepalived takes it out.
reload_vipcheckd "$K/removed.yaml" 2
expect_log "vipcheckd's reload removes $LAB_RS_HEALTHY: keepalived takes it out" "$IPVS" "DELDEST tcp $H" 10 2
expect_true "its files say not pooled" -- \
    bash -c "[[ \$(<'$K/state/web.$LAB_RS_HEALTHY') == 1 && \$(<'$K/state/web.$LAB_RS_HEALTHY.proven') == 0 ]]"
expect_no_log "$LAB_RS_NOVIP never entered the pool" "$IPVS" "-> $LAB_RS_NOVIP:80"
lab_end
