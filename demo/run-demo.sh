#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# run-demo.sh - show vipcheck telling the realservers of an LVS-DR lab apart.
#
#   demo/run-demo.sh BUILD_DIR        (as root; e.g. demo/run-demo.sh build)
#
# Builds the namespace lab of tests/lab (one healthy realserver and five
# broken ones, one of them answering ARP for the VIP), runs vip-icmp-check -
# and vip-syn-check / vip-arp-check / vip-http-check / mgmt-http-check when
# they have been built - from the director against every realserver, then
# vipcheckd's one round (--once) over the same checks from one process, prints
# one table row per run, then vipcheckd's judgement of each realserver from its
# planes together (services:), and removes the lab on every way out.  Exit status 0
# when every verdict is the expected one.
#
# Everything happens inside namespaces the lab creates, on TEST-NET addresses.
set -uo pipefail

if (($# != 1)); then
    echo "usage: $0 BUILD_DIR" >&2
    exit 1
fi
TOOLS=$(realpath -e -- "$1/tools" 2>/dev/null) || {
    echo "run-demo: no tools directory in build dir '$1'" >&2
    exit 1
}
ICMP=$TOOLS/vip-icmp-check
SYN=$TOOLS/vip-syn-check
ARP=$TOOLS/vip-arp-check
VIPHTTP=$TOOLS/vip-http-check
HTTP=$TOOLS/mgmt-http-check
DAEMON=$TOOLS/vipcheckd
[[ -x $ICMP ]] || {
    echo "run-demo: $ICMP not built" >&2
    exit 1
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../tests/lab/harness.sh
. "$ROOT/tests/lab/harness.sh"

PY=/usr/bin/python3
SERVICE_PORT=80 # the virtual service, bound to the VIP
MGMT_PORT=8080  # the management/health port, bound to the RIP
TIMEOUT=(--timeout 500ms)

echo "building the lab ..."
lab_begin

# Wait until something listens on ADDR:PORT inside namespace NS (max ~3 s).
wait_listen() {
    local ns=$1 addr=$2 port=$3
    for _ in $(seq 30); do
        ip netns exec "$ns" ss -Hltn "src $addr:$port" | grep -q . && return 0
        sleep 0.1
    done
    echo "run-demo: nothing listens on $addr:$port in $ns" >&2
    return 1
}

# Listeners only on the healthy realserver: it alone serves the VIP.  They
# live in the lab's namespace, so `lab.sh down` kills them with it.
start_listeners() {
    local www=$LAB_TMP/www
    mkdir -p "$www" && echo "vipcheck demo: $LAB_RS_HEALTHY" >"$www/index.html" || return 1
    ip netns exec "$LAB_NS_HEALTHY" "$PY" -m http.server --bind "$LAB_VIP" \
        --directory "$www" "$SERVICE_PORT" >"$LAB_TMP/http-vip.log" 2>&1 &
    ip netns exec "$LAB_NS_HEALTHY" "$PY" -m http.server --bind "$LAB_RS_HEALTHY" \
        --directory "$www" "$MGMT_PORT" >"$LAB_TMP/http-rip.log" 2>&1 &
    wait_listen "$LAB_NS_HEALTHY" "$LAB_VIP" "$SERVICE_PORT" &&
        wait_listen "$LAB_NS_HEALTHY" "$LAB_RS_HEALTHY" "$MGMT_PORT"
}

if [[ -x $SYN || -x $HTTP || -x $VIPHTTP ]]; then
    echo "starting listeners on $LAB_VIP:$SERVICE_PORT and $LAB_RS_HEALTHY:$MGMT_PORT in rs-healthy ..."
    start_listeners || exit 1
fi

# The most common LVS-DR fault: the VIP is on lo but arp_ignore was left at 0, so
# the realserver answers ARP for the VIP and pulls its traffic from the director.
# It answers for the VIP too, so only vip-arp-check (or --arp-leak) tells.
LAB_RS_ARPLEAK=192.0.2.15
: "${LAB_SWITCH:=sw}" # after `lab.sh up` only its env file is left: name the switch again
echo "adding rs-arpleak ($LAB_RS_ARPLEAK): VIP on lo, arp_ignore=0 ..."
{ lab_add_host arpleak "$LAB_RS_ARPLEAK" && lab_vip_on_lo arpleak "$LAB_VIP" &&
    lab_sysctl arpleak net.ipv4.conf.all.arp_ignore=0 net.ipv4.conf.eth0.arp_ignore=0 \
        net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.eth0.arp_announce=2; } || exit 1

# role  RIP  expected verdict of vip-icmp-check, vip-syn-check, vip-arp-check, vip-http-check
RS=(
    "healthy $LAB_RS_HEALTHY up up up up"
    "novip $LAB_RS_NOVIP no-reply no-reply up no-reply"
    "dropped $LAB_RS_DROPPED no-reply no-reply up no-reply"
    "forward $LAB_RS_FORWARD vip-missing vip-missing up vip-missing"
    "arpleak $LAB_RS_ARPLEAK up port-closed arp-leak port-closed"
    "absent $LAB_RS_ABSENT rs-unreachable rs-unreachable rs-unreachable rs-unreachable"
)

FMT='%-12s %-8s %-16s %-15s %-64s %4s  %s\n'
rows=() mismatches=0

# Detail column: what the verdict line says after "VERDICT ...: " (the
# evidence: "echo reply in 0.05 ms", "time exceeded from ..."), else the
# first line of stderr.
detail_of() {
    local out=${1%%$'\n'*} err=${2%%$'\n'*}
    if [[ $out == *": "* ]]; then
        out=${out#*: }
    elif [[ -z $out ]]; then
        out=$err
    fi
    printf '%s\n' "${out:0:64}"
}

# run_row RIP ROLE BINARY-NAME EXPECTED-TOKEN CMD...  (EXPECTED-TOKEN "-":
# only the exit status is judged, 0 on the healthy realserver alone, for checks
# without VIP verdict tokens; otherwise exit 0 goes with `up`)
run_row() {
    local rip=$1 role=$2 name=$3 want=$4 verdict="" mark="" want_rc=1
    shift 4
    if [[ $want == - ]]; then
        [[ $role == healthy ]] && want_rc=0
    elif [[ $want == up ]]; then
        want_rc=0
    fi
    lab_run "$@"
    read -r verdict _ <<<"$LAB_OUT"
    if [[ $LAB_RC != "$want_rc" || ($want != - && $verdict != "$want") ]]; then
        mark="<- expected exit $want_rc"
        [[ $want == - ]] || mark="<- expected $want, exit $want_rc"
        mismatches=$((mismatches + 1))
    fi
    # shellcheck disable=SC2059 # FMT is ours and constant
    rows+=("$(printf "$FMT" "$rip" "$role" "$name" "${verdict:--}" \
        "$(detail_of "$LAB_OUT" "$LAB_ERR")" "$LAB_RC" "$mark")")
}

echo "probing from the director ($LAB_DIRECTOR_IP via $LAB_DIRECTOR_IF), VIP $LAB_VIP ..."
for entry in "${RS[@]}"; do
    read -r role rip want_icmp want_syn want_arp want_viphttp <<<"$entry"
    run_row "$rip" "$role" vip-icmp-check "$want_icmp" \
        in_director "$ICMP" "${TIMEOUT[@]}" "$LAB_VIP" "$rip"
    if [[ -x $SYN ]]; then
        run_row "$rip" "$role" vip-syn-check "$want_syn" \
            in_director "$SYN" "${TIMEOUT[@]}" "$LAB_VIP" "$SERVICE_PORT" "$rip"
    fi
    if [[ -x $ARP ]]; then
        # Silence is its healthy answer, so each realserver's cache is flushed first
        # and the run waits out its deadline.
        [[ $role == absent ]] || lab_exec "$role" ip neigh flush all
        run_row "$rip" "$role" vip-arp-check "$want_arp" \
            in_director "$ARP" "${TIMEOUT[@]}" "$LAB_VIP" "$rip"
    fi
    if [[ -x $VIPHTTP ]]; then
        # The whole HTTP exchange with the VIP, at this realserver only.
        run_row "$rip" "$role" vip-http-check "$want_viphttp" \
            in_director "$VIPHTTP" "${TIMEOUT[@]}" "http://$LAB_VIP:$SERVICE_PORT/" "$rip"
    fi
    if [[ -x $HTTP ]]; then
        run_row "$rip" "$role" mgmt-http-check - \
            in_director "$HTTP" "${TIMEOUT[@]}" "http://$rip:$MGMT_PORT/"
    fi
done

# vipcheckd: the icmp, syn and arp checks of every realserver as targets of one config,
# proven in one round from one process (--once prints "NAME LINE").
daemon_round() {
    local kinds=$1 config=$LAB_TMP/vipcheckd-${1// /-}.yaml entry role rip want_icmp want_syn want_arp kind
    declare -A want=()
    printf 'timeout: 500ms\ntargets:\n' >"$config"
    for entry in "${RS[@]}"; do
        read -r role rip want_icmp want_syn want_arp _ <<<"$entry"
        for kind in $kinds; do
            case $kind in
            icmp) printf '  - {name: %s-icmp, kind: icmp, vip: %s, rip: %s}\n' "$role" "$LAB_VIP" "$rip"
                  want[$role-icmp]=$want_icmp ;;
            syn) printf '  - {name: %s-syn, kind: syn, vip: %s, rip: %s, port: %s}\n' "$role" "$LAB_VIP" "$rip" \
                     "$SERVICE_PORT"
                 want[$role-syn]=$want_syn ;;
            arp) printf '  - {name: %s-arp, kind: arp, vip: %s, rip: %s}\n' "$role" "$LAB_VIP" "$rip"
                 want[$role-arp]=$want_arp ;;
            esac
        done >>"$config"
        [[ $role == absent ]] || lab_exec "$role" ip neigh flush all
    done
    lab_run in_director "$DAEMON" --config "$config" --once
    local name verdict line mark
    while read -r name verdict line; do
        [[ -n $name ]] || continue
        role=${name%-*} mark=""
        rip=$(awk -v r="$role" '$1 == r { print $2 }' <<<"$(printf '%s\n' "${RS[@]}")")
        if [[ $verdict != "${want[$name]:-?}" ]]; then
            mark="<- expected ${want[$name]:-?}"
            mismatches=$((mismatches + 1))
        fi
        unset "want[$name]"
        # shellcheck disable=SC2059
        rows+=("$(printf "$FMT" "$rip" "$role" "vipcheckd:${name##*-}" "$verdict" "$(detail_of "$verdict $line" "")" \
            "-" "$mark")")
    done <<<"$LAB_OUT"
    if ((${#want[@]})); then
        echo "run-demo: vipcheckd --once printed no line for: ${!want[*]} (exit $LAB_RC: $LAB_ERR)" >&2
        mismatches=$((mismatches + ${#want[@]}))
    fi
}
if [[ -x $DAEMON ]]; then
    daemon_round "icmp syn arp"
fi

# vipcheckd's services: the same realservers judged each from its planes together, one
# line per realserver with that round's state and the diagnosis (vipcheckd(8), SERVICES).
declare -A JUDGED=(
    [healthy]="up healthy"
    [novip]="down vip-silent"
    [dropped]="down vip-silent"
    [forward]="down vip-not-configured"
    [arpleak]="down service-down-on-vip,arp-leak"
    [absent]="down rs-unreachable"
)
SFMT='%-12s %-8s %-6s %-34s %s\n'
judged=()
service_round() {
    local config=$LAB_TMP/vipcheckd-services.yaml entry role rip service state codes sentence mark
    {
        printf 'timeout: 500ms\nservices:\n  - name: web\n    vip: %s\n    port: %s\n' "$LAB_VIP" "$SERVICE_PORT"
        printf '    planes: [vip-icmp, vip-syn, arp]\n    realservers:\n'
        for entry in "${RS[@]}"; do
            read -r role rip _ <<<"$entry"
            printf '      - rip: %s\n' "$rip"
        done
    } >"$config"
    for entry in "${RS[@]}"; do
        read -r role _ <<<"$entry"
        [[ $role == absent ]] || lab_exec "$role" ip neigh flush all
    done
    lab_run in_director "$DAEMON" --config "$config" --once
    declare -A seen=()
    while read -r service rip state codes sentence; do
        [[ $service == web ]] || continue
        role=$(awk -v r="$rip" '$2 == r { print $1 }' <<<"$(printf '%s\n' "${RS[@]}")")
        codes=${codes%:} mark=""
        seen[$role]=1
        if [[ "$state $codes" != "${JUDGED[$role]:-?}" ]]; then
            mark="  <- expected ${JUDGED[$role]:-?}"
            mismatches=$((mismatches + 1))
        fi
        # shellcheck disable=SC2059
        judged+=("$(printf "$SFMT" "$rip" "$role" "$state" "$codes" "${sentence:0:90}$mark")")
    done <<<"$LAB_OUT"
    for role in "${!JUDGED[@]}"; do
        [[ -n ${seen[$role]:-} ]] && continue
        echo "run-demo: vipcheckd --once judged no realserver '$role' (exit $LAB_RC: $LAB_ERR)" >&2
        mismatches=$((mismatches + 1))
    done
}
if [[ -x $DAEMON ]]; then
    service_round
fi

echo
# shellcheck disable=SC2059
printf "$FMT" REALSERVER ROLE BINARY VERDICT RTT/DETAIL EXIT ""
# shellcheck disable=SC2059
printf "$FMT" ---------- ---- ------ ------- ---------- ---- ""
printf '%s\n' "${rows[@]}"
echo
if ((${#judged[@]})); then
    echo "vipcheckd --once, service web (planes vip-icmp, vip-syn, arp): each realserver judged from its planes"
    # shellcheck disable=SC2059
    printf "$SFMT" REALSERVER ROLE STATE DIAGNOSIS SENTENCE
    # shellcheck disable=SC2059
    printf "$SFMT" ---------- ---- ----- --------- --------
    printf '%s\n' "${judged[@]}"
    echo
fi
[[ -x $SYN ]] || echo "(vip-syn-check not built: skipped)"
[[ -x $ARP ]] || echo "(vip-arp-check not built: skipped)"
[[ -x $VIPHTTP ]] || echo "(vip-http-check not built: skipped)"
[[ -x $DAEMON ]] || echo "(vipcheckd not built: skipped)"
[[ -x $HTTP ]] || echo "(mgmt-http-check not built: skipped)"
if ((mismatches)); then
    echo "$mismatches run(s) did not give the expected verdict"
    exit 1
fi
echo "every verdict as expected; tearing the lab down"
exit 0
