#!/usr/bin/env bash
# bench/ldirectord.sh - what `arp-leak = true` costs a round of ldirectord, side by side
# in one run: Debian's ldirectord drives vip-icmp-check with examples/ldirectord
# (addresses adapted, checkinterval 1), once without and once with the ARP-leak test.
#
#   bench/ldirectord.sh BUILD_DIR [REALSERVERS (4)] [SECONDS (30)]
#
# ldirectord checks the realservers of a virtual service one after another, and a
# healthy vip-icmp-check with --arp-leak listens for a leak until its whole timeout has
# passed (vip-arp-check(8)): a round of N healthy realservers then takes at least N
# timeouts. A lab of its own: a director and REALSERVERS healthy LVS-DR realservers
# (VIP on lo, ARP-hidden). A one-line wrapper between ldirectord and the probe stamps
# each check's start; a round is the time between two checks of the first
# realserver. Prints the median round and the median check for each setting, and their
# ratio.
set -euo pipefail
BUILD=$(realpath -e -- "${1:?usage: $0 BUILD_DIR [REALSERVERS] [SECONDS]}")
N=${2:-4}
SECONDS_EACH=${3:-30}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../tests/lab/lab.sh
. "$HERE/../tests/lab/lab.sh"
((EUID == 0)) || { echo "bench/ldirectord.sh: run as root (network namespaces)" >&2; exit 1; }
command -v ldirectord >/dev/null || { echo "bench/ldirectord.sh: ldirectord is not installed" >&2; exit 1; }
PROBE_BIN=$BUILD/tools/vip-icmp-check
[[ -x $PROBE_BIN ]] || { echo "bench/ldirectord.sh: no $PROBE_BIN (build first)" >&2; exit 1; }
# The examples as the build configured them (they name the installed binaries).
EXAMPLES=$BUILD/examples/ldirectord
[[ -f $EXAMPLES/ldirectord.cf ]] || { echo "bench/ldirectord.sh: no $EXAMPLES/ldirectord.cf (configure first)" >&2; exit 1; }

VIP=198.51.100.10
TMP=$(mktemp -d /var/tmp/vcl-bench-ld.XXXXXX)
chmod 755 "$TMP"
LD_PID=
stop_ldirectord() {
    [[ -n $LD_PID ]] || return 0
    kill -TERM "$LD_PID" 2>/dev/null || true
    wait "$LD_PID" 2>/dev/null || true
    LD_PID=
}
trap 'stop_ldirectord; lab_down "$TMP/lab" >/dev/null; [[ -n ${KEEP:-} ]] || rm -rf "$TMP"' EXIT
lab_init "$TMP/lab" >/dev/null
lab_add_switch sw >/dev/null
lab_add_host director 192.0.2.2 >/dev/null
for ((i = 1; i <= N; i++)); do
    lab_add_host "rs$i" "192.0.2.$((20 + i))" >/dev/null
    lab_vip_on_lo "rs$i" "$VIP"
    lab_arp_hide "rs$i"
done
DIRECTOR_NS=$(lab_ns director)

# The probe, root-owned in a directory only root writes (as keepalived and ldirectord
# expect), and the wrapper that stamps each check: ldirectord execs it as it would
# the probe, with VIP VPORT RIP RPORT.
install -d -m 755 "$TMP/sbin"
install -m 755 "$PROBE_BIN" "$TMP/sbin/vip-icmp-check"
cat >"$TMP/sbin/stamp" <<WRAP
#!/bin/sh
echo "\$(date +%s.%N) \$3" >>"$TMP/stamps.\$VCL_SETTING"
exec "$TMP/sbin/vip-icmp-check" "\$@"
WRAP
chmod 755 "$TMP/sbin/stamp"

# run SETTING ARP_LEAK: ldirectord with the example for SECONDS_EACH seconds.
run() {
    local setting=$1 leak=$2 d=$TMP/$1 i
    mkdir -p "$d/work" "$d/run" "$d/etc-up" "$d/etc-work"
    install -m 755 "$HERE/../tests/daemons/ipvsadm" "$d/work/ipvsadm"
    {
        sed -e "s/192\.0\.2\.100/$VIP/g" -e "s|^\(\tcheckcommand=\"\).*/vip-icmp-check\"|\1$TMP/sbin/stamp\"|" \
            -e "s/^checkinterval=.*/checkinterval=1/" -e "s/^logfile=.*//" \
            -e "/^\treal=/d" "$EXAMPLES/ldirectord.cf"
    } >"$d/ldirectord.cf"
    # The realservers, in place of the example's two.
    local reals=""
    for ((i = 1; i <= N; i++)); do reals+="\treal=192.0.2.$((20 + i)):80 gate\n"; done
    sed -i "s|^virtual=$VIP:80\$|&\n${reals%\\n}|" "$d/ldirectord.cf"
    sed -e "s/^arp-leak = .*/arp-leak = $leak/" -e "s/^syslog = .*/syslog = false/" \
        "$EXAMPLES/vipcheck.conf" >"$d/etc-up/vipcheck.conf"
    (cd "$d/work" && exec env VCL_SETTING="$setting" ip netns exec "$DIRECTOR_NS" \
        unshare --mount --propagation private bash -c '
        mount -t overlay vcl-etc -o lowerdir=/etc,upperdir="$1/etc-up",workdir="$1/etc-work" /etc &&
        mount --bind "$1/run" /run && exec ldirectord -d "$2" start' _ "$d" "$d/ldirectord.cf" \
        >"$d/ldirectord.log" 2>&1) &
    LD_PID=$!
    sleep "$SECONDS_EACH"
    stop_ldirectord
}

# median: of the numbers on standard input.
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# rounds SETTING: the gaps between consecutive checks of the first realserver.
rounds() { awk -v rs=192.0.2.21 '$2 == rs { if (t) print $1 - t; t = $1 }' "$TMP/stamps.$1" | median; }
# checks SETTING: the gaps between consecutive checks within a round (one check's time).
checks() { awk -v last="192.0.2.$((20 + N))" '{ if (t && prev != last) print $1 - t; t = $1; prev = $2 }' "$TMP/stamps.$1" | median; }

echo "ldirectord, $N healthy realservers, checkinterval 1, timeout 1s (examples/ldirectord), ${SECONDS_EACH}s each"
run plain false
run leak true
plain_round=$(rounds plain) leak_round=$(rounds leak)
printf '%-22s %12s %12s %8s\n' "" "median round" "median check" "rounds"
printf '%-22s %11.3fs %11.3fs %8d\n' "arp-leak = false" "$plain_round" "$(checks plain)" \
    "$(awk -v rs=192.0.2.21 '$2 == rs' "$TMP/stamps.plain" | wc -l)"
printf '%-22s %11.3fs %11.3fs %8d\n' "arp-leak = true" "$leak_round" "$(checks leak)" \
    "$(awk -v rs=192.0.2.21 '$2 == rs' "$TMP/stamps.leak" | wc -l)"
awk -v a="$leak_round" -v b="$plain_round" 'BEGIN { printf "round with arp-leak / without: %.2f\n", a / b }'
if grep -qvE '^up ' <(grep -hE '^(up|no-reply|vip-missing|arp-leak|rs-unreachable|error) ' "$TMP"/*/ldirectord.log); then
    echo "bench/ldirectord.sh: a check was not up (see above): the figures are not of healthy rounds" >&2
    grep -hvE '^up ' <(grep -hE '^(up|no-reply|vip-missing|arp-leak|rs-unreachable|error) ' "$TMP"/*/ldirectord.log) | head -3 >&2
    exit 1
fi
