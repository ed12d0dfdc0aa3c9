#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# test_ldirectord.sh - Debian's ldirectord drives vip-icmp-check with configurations
# generated from examples/ldirectord/, in the lab's director namespace.
#
#   VIPCHECK_TOOLS=build/tools tests/lab/test_ldirectord.sh build/examples/ldirectord /usr/local/sbin
#
# The examples are the build tree's configured copies, which name the binaries in
# SBINDIR (the configured install directory); the lab replaces that path with its own.
#
# No ip_vs here: ldirectord -d runs ./ipvsadm from its working directory, and the test
# puts the stateful stand-in tests/daemons/ipvsadm there. ldirectord's pid file goes to
# /run, which is a private bind of a temporary directory; /etc is a private overlay so
# that the probe's *default* /etc/vipcheck.conf is the test's, never the host's.
set -uo pipefail
if (($# != 2)); then
    echo "usage: $0 CONFIGURED/ldirectord SBINDIR" >&2
    exit 1
fi
EXAMPLES=$(realpath -e -- "$1") || exit 1
SBINDIR=$2
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=harness.sh
. "$HERE/harness.sh"
lab_tools BIN=vip-icmp-check
# shellcheck source=../daemons/common.sh
. "$HERE/../daemons/common.sh"
command -v ldirectord >/dev/null || { echo "Bail out! ldirectord is not installed (apt-get install ldirectord)"; exit 1; }

lab_begin
L=$(daemon_dir vcl-ldirectord) || exit 1
LD_PID=
stop_ldirectord() {
    [[ -n $LD_PID ]] || return 0
    kill -TERM "$LD_PID" 2>/dev/null
    wait "$LD_PID" 2>/dev/null
    LD_PID=
}
trap 'stop_ldirectord; [[ -n ${KEEP:-} ]] || rm -rf "$L"; _lab_harness_exit' EXIT
install_capable_probe "$BIN" "$L" || { echo "Bail out! cannot install the probe in $L"; exit 1; }
PROBE=$L/sbin/vip-icmp-check

# start_ldirectord NAME: run $L/NAME.cf with $L/NAME.vipcheck.conf as /etc/vipcheck.conf.
start_ldirectord() {
    local name=$1 d=$L/$1
    mkdir -p "$d/work" "$d/run" "$d/etc-up" "$d/etc-work"
    install -m 755 "$HERE/../daemons/ipvsadm" "$d/work/ipvsadm"
    install -m 644 "$L/$name.vipcheck.conf" "$d/etc-up/vipcheck.conf"
    : >"$d/ldirectord.log"
    (cd "$d/work" && exec ip netns exec "$LAB_DIRECTOR_NS" unshare --mount --propagation private bash -c '
        mount -t overlay vcl-etc -o lowerdir=/etc,upperdir="$1/etc-up",workdir="$1/etc-work" /etc &&
        mount --bind "$1/run" /run && exec ldirectord -d "$2" start' _ "$d" "$L/$name.cf" \
        >"$d/ldirectord.log" 2>&1) &
    LD_PID=$!
}

# ---- the examples, with lab addresses and a 1 s interval ----------------------------
sed -e "s/192\.0\.2\.100/$LAB_VIP/g" -e "s/192\.0\.2\.12:/$LAB_RS_NOVIP:/g" -e "s/192\.0\.2\.11:/$LAB_RS_HEALTHY:/g" \
    -e "s|$SBINDIR/vip-icmp-check|$PROBE|" -e "s/^checkinterval=.*/checkinterval=1/" \
    -e "s/^logfile=.*//" "$EXAMPLES/ldirectord.cf" >"$L/example.cf"
# The probe's timeout differs from the default 1s, so its own output in ldirectord's
# log shows that the default config file was read.
sed -e "s/^timeout = .*/timeout = 700ms/" "$EXAMPLES/vipcheck.conf" >"$L/example.vipcheck.conf"
grep -q "$PROBE" "$L/example.cf" || { echo "Bail out! the example did not take the substitutions"; exit 1; }

start_ldirectord example
LOG=$L/example/ldirectord.log
H=${LAB_RS_HEALTHY//./\\.}:80
N=${LAB_RS_NOVIP//./\\.}:80
expect_log "ldirectord runs the probe with VIP VPORT RIP RPORT" "$LOG" \
    "system_timeout\\(3, $PROBE ${LAB_VIP//./\\.} 80 $LAB_RS_HEALTHY 80\\)" 90
# At start ldirectord adds every realserver and at once sets it quiescent, before
# any check: only a later "Restored" is a check's decision.
expect_log "healthy's check succeeds: restored to its weight" "$LOG" "Restored real server: $H .*Weight set to 1"
expect_log "ipvsadm stand-in: healthy's weight set to 1" "$L/example/work/ipvsadm.log" \
    "-e -t $LAB_VIP:80 -x 0 -y 0 -r $LAB_RS_HEALTHY:80 -g -w 1"
expect_log "the probe read /etc/vipcheck.conf (timeout 700ms) without any option" "$LOG" \
    "^no-reply ${LAB_VIP//./\\.} on $LAB_RS_NOVIP .*within 700ms"
expect_log "novip's check runs again and fails again" "$LOG" "^no-reply ${LAB_VIP//./\\.} on $LAB_RS_NOVIP " 30 2
expect_no_log "novip (no VIP) is never restored" "$LOG" "Restored real server: $N"

quiesced=$(grep -c "Quiescent real server: $H" "$LOG")
restored=$(grep -c "Restored real server: $H" "$LOG")
lab_exec healthy ip addr del "$LAB_VIP/32" dev lo
expect_log "VIP removed from healthy: quiescent" "$LOG" "Quiescent real server: $H .*Weight set to 0" 30 $((quiesced + 1))
lab_exec healthy ip addr add "$LAB_VIP/32" dev lo
expect_log "VIP back on healthy: restored" "$LOG" "Restored real server: $H .*Weight set to 1" 30 $((restored + 1))
expect_log "ipvsadm stand-in: healthy's weight back to 1" "$L/example/work/ipvsadm.log" \
    "-e -t $LAB_VIP:80 -x 0 -y 0 -r $LAB_RS_HEALTHY:80 -g -w 1" 30 2
stop_ldirectord

# ---- the signal trap ---------------------------------------------------------------
# ldirectord reads a check killed by a signal as *up*. Control: a check that dies by
# SIGTERM puts novip (no VIP) into the pool. Then the real probe with a deadline
# longer than ldirectord's checktimeout: ldirectord sends SIGTERM, the probe catches
# it, says so on stderr and exits 1, and novip stays out.
printf '#!/bin/sh\nkill -TERM $$\n' >"$L/sbin/dies-by-sigterm"
chmod 755 "$L/sbin/dies-by-sigterm"
cat >"$L/trap.cf" <<EOF
checktimeout=1
checkinterval=1
quiescent=yes
virtual=$LAB_VIP:81
	real=$LAB_RS_NOVIP:81 gate
	scheduler=rr
	protocol=tcp
	checktype=external
	checkcommand="$L/sbin/dies-by-sigterm"
virtual=$LAB_VIP:82
	real=$LAB_RS_NOVIP:82 gate
	scheduler=rr
	protocol=tcp
	checktype=external
	checkcommand="$PROBE"
EOF
printf '[vip-icmp-check]\ntimeout = 5s\n' >"$L/trap.vipcheck.conf"
start_ldirectord trap
TLOG=$L/trap/ldirectord.log
N81=${LAB_RS_NOVIP//./\\.}:81
N82=${LAB_RS_NOVIP//./\\.}:82
expect_log "control: a check killed by SIGTERM counts as up in ldirectord" "$TLOG" \
    "Restored real server: $N81 .*Weight set to 1" 90
expect_log "ldirectord's checktimeout sends SIGTERM to the probe" "$TLOG" \
    "system_timeout\\(1, $PROBE ${LAB_VIP//./\\.} 82 $LAB_RS_NOVIP 82\\) timed out, kill -TERM child"
expect_log "the probe catches SIGTERM and reports it (exit 1, no death by signal)" "$TLOG" \
    "^vip-icmp-check: interrupted by TERM before a verdict"
sleep 2
expect_no_log "novip on the probed service is never restored" "$TLOG" "Restored real server: $N82"
stop_ldirectord

lab_end
