#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# test_keepalived.sh - Debian's keepalived drives vip-icmp-check with a configuration
# generated from examples/keepalived/keepalived.conf, in the lab's director namespace.
#
#   VIPCHECK_TOOLS=build/tools tests/lab/test_keepalived.sh build/tests/libipvs_shim.so \
#       build/examples/keepalived/keepalived.conf /usr/local/sbin
#
# The example is the build tree's configured copy, which names the binaries in SBINDIR
# (the configured install directory); the lab replaces that path with its own copies.
#
# The kernel has no ip_vs: ipvs_shim.so (LD_PRELOAD) answers keepalived's IPVS socket
# options and logs each command. keepalived's pid files, log and the shim's log live
# in a temporary directory; /run is a private bind of it, so nothing of the host's
# keepalived is touched. Shows: a realserver enters the pool only once its VIP is
# proven (alpha), leaves it when its VIP or its service goes away, and comes back;
# and the traps the example avoids (exec failure = success, unsafe path = check
# dropped, misc_dynamic reading 2..255 as success).
set -uo pipefail
if (($# != 3)); then
    echo "usage: $0 PATH/TO/ipvs_shim.so CONFIGURED/keepalived.conf SBINDIR" >&2
    exit 1
fi
SHIM=$(realpath -e -- "$1") EXAMPLE=$(realpath -e -- "$2") || exit 1
SBINDIR=$3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=harness.sh
. "$HERE/harness.sh"
lab_tools BIN=vip-icmp-check HTTP_BIN=vip-http-check
# shellcheck source=../daemons/user.sh
. "$HERE/../daemons/user.sh"
# shellcheck source=../daemons/common.sh
. "$HERE/../daemons/common.sh"
command -v keepalived >/dev/null || { echo "Bail out! keepalived is not installed (apt-get install keepalived)"; exit 1; }

lab_begin
K=$(daemon_dir vcl-keepalived) || exit 1
KA_PID=
stop_keepalived() {
    [[ -n $KA_PID ]] || return 0
    kill -TERM "$KA_PID" 2>/dev/null
    wait "$KA_PID" 2>/dev/null
    KA_PID=
}
cleanup_keepalived() {
    stop_keepalived
    http_down healthy "$K/www"
    http_down novip "$K/www"
    rm -rf "$K"
    test_user_remove
}
trap 'cleanup_keepalived; _lab_harness_exit' EXIT
test_user_ensure || { echo "Bail out! cannot create $TEST_USER"; exit 1; }
install_capable_probe "$BIN" "$K" || { echo "Bail out! cannot install a capable probe in $K"; exit 1; }
install_capable_probe "$HTTP_BIN" "$K" || { echo "Bail out! cannot install a capable probe in $K"; exit 1; }
PROBE=$K/sbin/vip-icmp-check
mkdir -p "$K/www" "$K/run" && echo ok >"$K/www/healthz"

# start_keepalived CONF LOG: keepalived -n (as Debian's unit runs it) with only the
# checker, console logging, everything under $K.
start_keepalived() {
    local conf=$1 log=$2
    : >"$log"
    ip netns exec "$LAB_DIRECTOR_NS" unshare --mount --propagation private \
        bash -c 'mount --bind "$1" /run && shift && exec "$@"' _ "$K/run" \
        env LD_PRELOAD="$SHIM" VIPCHECK_IPVS_LOG="$K/ipvs.log" \
        keepalived --dont-fork --log-console --log-detail --no-syslog --check \
        --use-file "$conf" --pid "$K/keepalived.pid" --checkers_pid "$K/checkers.pid" \
        --vrrp_pid "$K/vrrp.pid" --bfd_pid "$K/bfd.pid" >"$log" 2>&1 &
    KA_PID=$!
}

# ---- the example, with lab addresses -----------------------------------------------
# Realservers 192.0.2.11/.12 of the example are the lab's healthy and novip hosts.
sed -e "s/192\.0\.2\.100/$LAB_VIP/g" \
    -e "s/192\.0\.2\.11 /$LAB_RS_HEALTHY /g; s/192\.0\.2\.11\"/$LAB_RS_HEALTHY\"/g" \
    -e "s/192\.0\.2\.12 /$LAB_RS_NOVIP /g; s/192\.0\.2\.12\"/$LAB_RS_NOVIP\"/g" \
    -e "s|$SBINDIR/vip-icmp-check|$PROBE|g" \
    -e "s|$SBINDIR/vip-http-check|$K/sbin/vip-http-check|g" \
    -e "s/keepalived_script/$TEST_USER/g" \
    -e "s/delay_loop 5 /delay_loop 1 /" "$EXAMPLE" >"$K/keepalived.conf"
grep -q "$PROBE" "$K/keepalived.conf" || { echo "Bail out! the example did not take the substitutions"; exit 1; }

# keepalived 2.2.7 (Debian 12) kills itself with SIGTERM in --config-test when a check
# has a non-root user (GitHub acassen/keepalived#2617, fixed in 2.2.8): its orphan
# check compares getppid() with a main pid that a config test never sets (0). In a new
# pid namespace getppid() is 0, so the test runs to its end and reports real errors.
expect_true "keepalived -t accepts the example (lab addresses)" -- \
    unshare --pid --fork keepalived -t -f "$K/keepalived.conf"
printf 'virtual_server %s 80 {\n    no_such_keyword 1\n}\n' "$LAB_VIP" >"$K/broken.conf"
lab_run unshare --pid --fork keepalived -t -f "$K/broken.conf"
if ((LAB_RC != 0)); then lab_pass "keepalived -t rejects a broken config (control)"; else lab_fail "keepalived -t rejects a broken config (control)"; fi

http_up healthy "$LAB_RS_HEALTHY" "$K/www" || lab_fail "HTTP server on healthy"
http_up novip "$LAB_RS_NOVIP" "$K/www" || lab_fail "HTTP server on novip"

LOG=$K/keepalived.log
start_keepalived "$K/keepalived.conf" "$LOG"
H="\\[$LAB_RS_HEALTHY\\]:tcp:80"
N="\\[$LAB_RS_NOVIP\\]:tcp:80"
expect_log "keepalived: VIP probe succeeded for healthy" "$LOG" \
    "Misc check for \\[$H VS .*\\] by \\[$PROBE\\] succeeded"
expect_log "keepalived: healthy enters the pool once proven (alpha)" "$LOG" "Adding service $H to VS"
expect_log "ipvs: ADDDEST healthy" "$K/ipvs.log" "ADDDEST tcp $LAB_VIP:80 -> $LAB_RS_HEALTHY:80 weight 100"
sleep 2 # a few more check rounds for novip
expect_no_log "keepalived: novip (no VIP, HTTP fine) never enters the pool" "$LOG" "Adding service $N"
expect_no_log "ipvs: no ADDDEST for novip" "$K/ipvs.log" "-> $LAB_RS_NOVIP:80"

lab_exec healthy ip addr del "$LAB_VIP/32" dev lo
expect_log "VIP removed from healthy: its misc check fails" "$LOG" "Misc check for \\[$H VS .*\\] .*failed"
expect_log "VIP removed from healthy: keepalived removes it" "$LOG" "Removing service $H .*VS"
expect_log "ipvs: DELDEST healthy" "$K/ipvs.log" "DELDEST tcp $LAB_VIP:80 -> $LAB_RS_HEALTHY:80"
lab_exec healthy ip addr add "$LAB_VIP/32" dev lo
expect_log "VIP back on healthy: added again" "$LOG" "Adding service $H to VS" 15 2

http_down healthy "$K/www"
expect_log "HTTP service stopped on healthy: removed again" "$LOG" "Removing service $H .*VS" 20 2
http_up healthy "$LAB_RS_HEALTHY" "$K/www" || lab_fail "HTTP server on healthy restarts"
expect_log "HTTP service back on healthy: added again" "$LOG" "Adding service $H to VS" 20 3
stop_keepalived
# keepalived discards a check's output; the probes' --syslog in the example is what
# tells why (see test_syslog.sh). Here: the check ran as the unprivileged user.
expect_no_log "no unsafe-script or uid/gid complaints about the example" "$LOG" "Unsafe permissions|Failed to set uid|Disabling misc"

# ---- the traps the example and the man page warn about ---------------------------
# 1. A check that cannot be exec'd counts as success: a wrapper script whose
#    interpreter is missing keeps novip (no VIP) in the pool.
printf '#!/nonexistent/sh\n' >"$K/sbin/broken-wrapper"
chmod 755 "$K/sbin/broken-wrapper"
# 2. An unsafe path of a check run as root is dropped under enable_script_security
#    (checks run as another user are not vetted): without alpha the realserver is
#    then in the pool unchecked; with alpha it stays out.
install -d -m 777 "$K/unsafe"
install -m 755 "$PROBE" "$K/unsafe/vip-icmp-check"
# 3. misc_dynamic reads 2..255 as success with weight status-2; vip-icmp-check exits
#    1 even for a usage error, so it fails closed.
printf '#!/bin/sh\nexit 3\n' >"$K/sbin/exit3"
chmod 755 "$K/sbin/exit3"
cat >"$K/traps.conf" <<EOF
global_defs {
    enable_script_security
    script_user $TEST_USER
}
virtual_server $LAB_VIP 81 {
    delay_loop 1
    lb_kind DR
    protocol TCP
    real_server $LAB_RS_NOVIP 81 {
        MISC_CHECK {
            misc_path "$K/sbin/broken-wrapper $LAB_VIP $LAB_RS_NOVIP"
            misc_timeout 3
        }
    }
    real_server $LAB_RS_DROPPED 81 {
        MISC_CHECK {
            misc_path "$K/unsafe/vip-icmp-check --timeout 300ms $LAB_VIP $LAB_RS_DROPPED"
            misc_timeout 3
            user root
        }
    }
}
virtual_server $LAB_VIP 82 {
    delay_loop 1
    lb_kind DR
    protocol TCP
    alpha
    real_server $LAB_RS_DROPPED 82 {
        MISC_CHECK {
            misc_path "$K/unsafe/vip-icmp-check --timeout 300ms $LAB_VIP $LAB_RS_DROPPED"
            misc_timeout 3
            user root
        }
    }
    real_server $LAB_RS_FORWARD 82 {
        weight 10
        MISC_CHECK {
            misc_path "$K/sbin/exit3"
            misc_timeout 3
            misc_dynamic
        }
    }
    real_server $LAB_RS_HEALTHY 82 {
        weight 10
        MISC_CHECK {
            misc_path "$PROBE --timeout 5parsecs $LAB_VIP $LAB_RS_HEALTHY"
            misc_timeout 3
            misc_dynamic
        }
    }
}
EOF
TLOG=$K/traps.log
: >"$K/ipvs.log"
start_keepalived "$K/traps.conf" "$TLOG"
expect_log "trap: an exec failure counts as success (novip, no VIP, is added)" "$TLOG" \
    "Misc check for \\[\\[$LAB_RS_NOVIP\\]:tcp:81 VS .*\\] by \\[$K/sbin/broken-wrapper\\] succeeded"
expect_log "trap: a check in a world-writable directory is disabled" "$TLOG" \
    "Unsafe permissions found for script '$K/unsafe/vip-icmp-check'"
expect_log "trap: without alpha the unchecked realserver is in the pool" "$K/ipvs.log" \
    "ADDDEST tcp $LAB_VIP:81 -> $LAB_RS_DROPPED:81"
expect_log "trap: misc_dynamic reads exit 3 as success, weight 1" "$K/ipvs.log" \
    "(ADDDEST|EDITDEST) tcp $LAB_VIP:82 -> $LAB_RS_FORWARD:82 weight 1\$"
expect_log "vip-icmp-check's usage error fails closed under misc_dynamic" "$TLOG" \
    "Misc check for \\[\\[$LAB_RS_HEALTHY\\]:tcp:82 VS .*\\] .*failed"
sleep 1
expect_no_log "with alpha, the realserver whose check was disabled stays out" "$K/ipvs.log" \
    "-> $LAB_RS_DROPPED:82"
expect_no_log "the usage-error realserver never enters the pool" "$K/ipvs.log" "-> $LAB_RS_HEALTHY:82"
stop_keepalived

lab_end
