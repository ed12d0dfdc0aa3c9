#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# test_bad_input.sh - a table of wrong invocations of the vipcheck binaries.
#
#   VIPCHECK_TOOLS=build/tools tests/lab/test_bad_input.sh
#
# vipcheck(7), EXIT STATUS: a usage error fails closed.  Every row must exit exactly 1 (never 0,
# never 2..255, which keepalived's misc_dynamic reads as success), print
# exactly one line on stderr that names the bad value, print nothing on
# stdout, and never crash or trip a sanitizer.  Point it at the ASan/UBSan
# build (VIPCHECK_TOOLS=build-asan/tools) to get the sanitizer half of that promise.
# vipcheckd's rows give it a file whose target the tools' own rule refuses: the same
# exit 1 and one line, which names the file's line, and (strace) no packet socket
# opened and nothing sent.
# Runs inside the director of a namespace lab, so the cases that need the
# kernel's view (interface down, RIP behind a gateway, broadcast) are real.
set -uo pipefail

# shellcheck source=harness.sh
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
# shellcheck source=trust.sh
. "$(dirname "${BASH_SOURCE[0]}")/trust.sh"
lab_tools BIN_ICMP=vip-icmp-check BIN_SYN=vip-syn-check \
    BIN_HTTP=mgmt-http-check BIN_ARP=vip-arp-check BIN_VIP_HTTP=vip-http-check BIN_DAEMON=vipcheckd

# Sanitizers: fail hard and loudly, and keep leak checking on.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=66
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=66

lab_begin

# The director gets an Ethernet interface that is down, and a route that puts
# 198.51.100.192/26 behind a gateway (a TUN realserver's network, say).
setup_ok=1
D=$LAB_DIRECTOR_NS
ip -n "$D" link add vdown0 type veth peer name vdown1 || setup_ok=0
ip -n "$D" addr add 198.51.100.129/26 dev vdown0 || setup_ok=0
ip -n "$D" route add 198.51.100.192/26 via "$LAB_RS_FORWARD" || setup_ok=0
((setup_ok)) || { echo "Bail out! could not prepare the director"; exit 1; }

VIP=$LAB_VIP RIP=$LAB_RS_HEALTHY
LONG=$(printf '1%.0s' $(seq 100000))     # near the kernel's 128 KiB per-argument limit
LONG_IF=$(printf 'e%.0s' $(seq 300))
T=(-t 300ms)   # so a case that wrongly starts probing ends soon (and fails)

CASES=0
declare -A PER_TOOL=()

# bad DESC TOOL NEEDLE -- ARGS...: one row of the table.  NEEDLE must appear in
# the stderr line (the bad value, or the option when the value is empty).
bad() {
    local desc=$1 tool=$2 needle=$3 bin r=() n
    shift 3
    [[ $1 == -- ]] && shift
    case $tool in
        icmp) bin=$BIN_ICMP ;;
        syn) bin=$BIN_SYN ;;
        http) bin=$BIN_HTTP ;;
        arp) bin=$BIN_ARP ;;
        vip-http) bin=$BIN_VIP_HTTP ;;
    esac
    CASES=$((CASES + 1))
    PER_TOOL[$tool]=$((${PER_TOOL[$tool]:-0} + 1))
    lab_run in_director "$bin" "$@"
    # The printable command would be 100 kB for the long cases.
    ((${#LAB_CMD} > 300)) && LAB_CMD="${LAB_CMD:0:300}..."
    n=$(printf '%s' "$LAB_ERR" | grep -c '')
    ((LAB_RC == 1)) || r+=("exit status $LAB_RC, want 1")
    ((n == 1)) || r+=("$n lines on stderr, want exactly 1")
    [[ -z $LAB_OUT ]] || r+=("stdout is not empty")
    [[ $LAB_ERR == *"$needle"* ]] || r+=("stderr does not name '${needle:0:60}'")
    if grep -qE 'Sanitizer|runtime error:|terminate called|Segmentation|Aborted' <<<"$LAB_ERR"; then
        r+=("crash or sanitizer report")
    fi
    mapfile -t -O "${#r[@]}" r < <(_lab_timeout_reason)
    # Keep 100 kB of stderr out of the log: the first 300 characters tell.
    LAB_ERR=${LAB_ERR:0:300} LAB_OUT=${LAB_OUT:0:300}
    _lab_report "$tool: $desc" "${r[@]}"
}

# --- addresses -------------------------------------------------------------------
bad "VIP octet over 255" icmp 198.51.100.300 -- "${T[@]}" 198.51.100.300 "$RIP"
bad "RIP is a word" icmp not-an-address -- "${T[@]}" "$VIP" not-an-address
bad "empty VIP" icmp "VIP ''" -- "${T[@]}" "" "$RIP"
bad "empty RIP" icmp "RIP ''" -- "${T[@]}" "$VIP" ""
bad "RIP with a trailing dot" icmp 192.0.2.11. -- "${T[@]}" "$VIP" 192.0.2.11.
bad "RIP with a leading blank" icmp " 192.0.2.11" -- "${T[@]}" "$VIP" " 192.0.2.11"
bad "RIP with a prefix length" icmp 192.0.2.11/24 -- "${T[@]}" "$VIP" 192.0.2.11/24
bad "RIP in hex" icmp 0x7f000001 -- "${T[@]}" "$VIP" 0x7f000001
bad "RIP with a leading zero" icmp 192.0.2.011 -- "${T[@]}" "$VIP" 192.0.2.011
bad "RIP is not UTF-8" icmp $'\xff\xfe' -- "${T[@]}" "$VIP" $'\xff\xfe'
bad "100 kB VIP" icmp "bad VIP" -- "${T[@]}" "$LONG" "$RIP"
bad "IPv6 VIP with an IPv4 RIP" icmp 2001:db8::10 -- "${T[@]}" 2001:db8::10 "$RIP"
bad "bracketed IPv6 VIP (ldirectord) with an IPv4 RIP" icmp 2001:db8::10 -- "${T[@]}" "[2001:db8::10]" "$RIP"
bad "IPv4-mapped IPv6 RIP" icmp ::ffff:192.0.2.11 -- "${T[@]}" "$VIP" ::ffff:192.0.2.11
bad "IPv6 --source with an IPv4 RIP" icmp 2001:db8::2 -- "${T[@]}" -s 2001:db8::2 "$VIP" "$RIP"
bad "VIP equal to RIP" icmp "$RIP" -- "${T[@]}" "$RIP" "$RIP"
bad "multicast VIP" icmp 224.0.0.1 -- "${T[@]}" 224.0.0.1 "$RIP"
bad "limited broadcast VIP" icmp 255.255.255.255 -- "${T[@]}" 255.255.255.255 "$RIP"
bad "subnet broadcast VIP" icmp 192.0.2.255 -- "${T[@]}" 192.0.2.255 "$RIP"
bad "unspecified VIP" icmp 0.0.0.0 -- "${T[@]}" 0.0.0.0 "$RIP"
bad "loopback VIP" icmp 127.0.0.1 -- "${T[@]}" 127.0.0.1 "$RIP"
bad "multicast RIP" icmp 239.1.2.3 -- "${T[@]}" "$VIP" 239.1.2.3
bad "subnet broadcast RIP" icmp 192.0.2.255 -- "${T[@]}" "$VIP" 192.0.2.255
bad "RIP is the director's own address" icmp "$LAB_DIRECTOR_IP" -- "${T[@]}" "$VIP" "$LAB_DIRECTOR_IP"
bad "RIP behind a gateway, no --encap" icmp 198.51.100.200 -- "${T[@]}" "$VIP" 198.51.100.200
bad "--source is the VIP" icmp "$VIP" -- "${T[@]}" -s "$VIP" "$VIP" "$RIP"
bad "--source not an address" icmp bogus-source -- "${T[@]}" -s bogus-source "$VIP" "$RIP"
bad "--source not of this host" icmp 192.0.2.77 -- "${T[@]}" -s 192.0.2.77 "$VIP" "$RIP"
bad "--mac is multicast" icmp 01:00:5e:00:00:01 -- "${T[@]}" --mac 01:00:5e:00:00:01 "$VIP" "$RIP"
bad "--mac all zero" icmp 00:00:00:00:00:00 -- "${T[@]}" --mac 00:00:00:00:00:00 "$VIP" "$RIP"
bad "--mac too short" icmp 02:00:00:00:11 -- "${T[@]}" --mac 02:00:00:00:11 "$VIP" "$RIP"
bad "fwmark VIP without --vip" icmp "'80'" -- "${T[@]}" 80 0 "$RIP" 80
bad "--vip contradicts the VIP" icmp 198.51.100.11 -- "${T[@]}" --vip 198.51.100.11 "$VIP" 0 "$RIP" 0

# --- ports (ldirectord form) -------------------------------------------------------
bad "VPORT 70000" icmp 70000 -- "${T[@]}" "$VIP" 70000 "$RIP" 80
bad "RPORT -1" icmp "'-1'" -- "${T[@]}" "$VIP" 80 "$RIP" -1

# --- durations and counts ---------------------------------------------------------
bad "negative timeout" icmp "'-1s'" -- -t -1s "$VIP" "$RIP"
bad "zero timeout" icmp "'0'" -- -t 0 "$VIP" "$RIP"
bad "timeout over an hour" icmp 2h -- -t 2h "$VIP" "$RIP"
bad "huge timeout" icmp 99999999999999999999 -- -t 99999999999999999999 "$VIP" "$RIP"
bad "timeout in exponent form" icmp 1e3 -- -t 1e3 "$VIP" "$RIP"
bad "timeout below a microsecond" icmp 0.0000001 -- -t 0.0000001 "$VIP" "$RIP"
bad "timeout in parsecs" icmp 5parsecs -- -t 5parsecs "$VIP" "$RIP"
bad "empty timeout" icmp "--timeout ''" -- --timeout "" "$VIP" "$RIP"
bad "zero attempts" icmp "attempts 0" -- "${T[@]}" -a 0 "$VIP" "$RIP"
bad "negative attempts" icmp "attempts -3" -- "${T[@]}" -a -3 "$VIP" "$RIP"
bad "attempts overflowing an int" icmp 99999999999 -- "${T[@]}" -a 99999999999 "$VIP" "$RIP"
bad "attempts is a word" icmp many -- "${T[@]}" -a many "$VIP" "$RIP"
bad "TTL 0" icmp "ttl 0" -- "${T[@]}" --ttl 0 "$VIP" "$RIP"
bad "TTL 256" icmp "ttl 256" -- "${T[@]}" --ttl 256 "$VIP" "$RIP"

# --- interfaces -------------------------------------------------------------------
bad "unknown interface" icmp nosuch0 -- "${T[@]}" -i nosuch0 "$VIP" "$RIP"
bad "interface down" icmp vdown0 -- "${T[@]}" -i vdown0 "$VIP" "$RIP"
bad "loopback interface" icmp "lo " -- "${T[@]}" -i lo "$VIP" "$RIP"
bad "empty interface" icmp "--interface ''" -- "${T[@]}" -i "" "$VIP" "$RIP"
bad "300-character interface" icmp "$LONG_IF" -- "${T[@]}" -i "$LONG_IF" "$VIP" "$RIP"
bad "interface with a slash" icmp eth0/1 -- "${T[@]}" -i eth0/1 "$VIP" "$RIP"

# --- the command line itself --------------------------------------------------------
bad "unknown option" icmp --frobnicate -- "${T[@]}" --frobnicate "$VIP" "$RIP"
bad "duplicate --timeout" icmp --timeout -- -t 1s --timeout 2s "$VIP" "$RIP"
bad "--quiet with --json" icmp --quiet -- "${T[@]}" --quiet --json "$VIP" "$RIP"
bad "no arguments" icmp "0 arguments" -- "${T[@]}"
bad "RIP missing" icmp "1 argument" -- "${T[@]}" "$VIP"
bad "three positionals" icmp "3 arguments" -- "${T[@]}" "$VIP" "$RIP" extra
bad "missing config file" icmp /nonexistent/vipcheck.conf -- "${T[@]}" --config /nonexistent/vipcheck.conf "$VIP" "$RIP"
bad "empty --vip" icmp "--vip ''" -- "${T[@]}" --vip "" "$VIP" "$RIP"

# --- vip-syn-check: VIP PORT RIP [RPORT] -------------------------------------------
bad "port 0" syn "PORT 0" -- "${T[@]}" "$VIP" 0 "$RIP"
bad "port 70000" syn 70000 -- "${T[@]}" "$VIP" 70000 "$RIP"
bad "port -1" syn "'-1'" -- "${T[@]}" "$VIP" -1 "$RIP"
bad "port is a service name" syn http -- "${T[@]}" "$VIP" http "$RIP"
bad "empty port" syn "PORT ''" -- "${T[@]}" "$VIP" "" "$RIP"
bad "RPORT 70000" syn 70000 -- "${T[@]}" "$VIP" 80 "$RIP" 70000
bad "port missing" syn "2 arguments" -- "${T[@]}" "$VIP" "$RIP"
bad "IPv6 VIP with an IPv4 RIP" syn 2001:db8::10 -- "${T[@]}" 2001:db8::10 80 "$RIP"
bad "VIP equal to RIP" syn "$RIP" -- "${T[@]}" "$RIP" 80 "$RIP"
bad "multicast VIP" syn 239.1.2.3 -- "${T[@]}" 239.1.2.3 80 "$RIP"
bad "unknown interface" syn nosuch0 -- "${T[@]}" -i nosuch0 "$VIP" 80 "$RIP"
bad "negative timeout" syn "'-5ms'" -- -t -5ms "$VIP" 80 "$RIP"
bad "RIP behind a gateway, no --encap" syn 198.51.100.200 -- "${T[@]}" "$VIP" 80 198.51.100.200

# --- mgmt-http-check: URL ----------------------------------------------------------------
bad "empty URL" http "''" -- "${T[@]}" ""
bad "URL without a scheme" http not-a-url -- "${T[@]}" not-a-url
bad "ftp URL" http ftp://192.0.2.11/ -- "${T[@]}" ftp://192.0.2.11/
bad "URL port 70000" http 70000 -- "${T[@]}" "http://$RIP:70000/"
bad "URL port 0" http "http://$RIP:0/" -- "${T[@]}" "http://$RIP:0/"
bad "unterminated IPv6 literal" http "[2001:db8::11" -- "${T[@]}" "http://[2001:db8::11/"
bad "ldirectord form with port 70000" http 70000 -- "${T[@]}" "$VIP" 80 "$RIP" 70000
bad "negative timeout" http "'-1s'" -- -t -1s "http://$RIP/"
bad "unknown option" http --frobnicate -- "${T[@]}" --frobnicate "http://$RIP/"
bad "100 kB URL port" http "http://$RIP:" -- "${T[@]}" "http://$RIP:$LONG/"

# --- vip-arp-check: VIP RIP, no --encap, no --arp-leak (it is the test) -----------------
bad "VIP equal to RIP" arp "$RIP" -- "${T[@]}" "$RIP" "$RIP"
bad "multicast VIP" arp 224.0.0.1 -- "${T[@]}" 224.0.0.1 "$RIP"
bad "IPv6 VIP with an IPv4 RIP" arp 2001:db8::10 -- "${T[@]}" 2001:db8::10 "$RIP"
bad "--source is the VIP" arp "$VIP" -- "${T[@]}" -s "$VIP" "$VIP" "$RIP"
bad "--mac is multicast" arp 01:00:5e:00:00:01 -- "${T[@]}" --mac 01:00:5e:00:00:01 "$VIP" "$RIP"
bad "RIP behind a gateway" arp 198.51.100.200 -- "${T[@]}" "$VIP" 198.51.100.200
bad "--encap" arp --encap -- "${T[@]}" --encap ipip "$VIP" "$RIP"
bad "--arp-leak" arp --arp-leak -- "${T[@]}" --arp-leak "$VIP" "$RIP"
bad "zero attempts" arp "attempts 0" -- "${T[@]}" -a 0 "$VIP" "$RIP"
bad "unknown interface" arp nosuch0 -- "${T[@]}" -i nosuch0 "$VIP" "$RIP"

# --- vip-http-check: URL RIP ---------------------------------------------------------------
bad "ftp URL" vip-http ftp://198.51.100.10/ -- "${T[@]}" "ftp://$VIP/" "$RIP"
bad "URL port 70000" vip-http 70000 -- "${T[@]}" "http://$VIP:70000/" "$RIP"
bad "URL host equal to RIP" vip-http "$RIP" -- "${T[@]}" "http://$RIP/" "$RIP"
bad "multicast URL host" vip-http 224.0.0.1 -- "${T[@]}" "http://224.0.0.1/" "$RIP"
bad "RIP is a word" vip-http not-an-address -- "${T[@]}" "http://$VIP/" not-an-address
bad "RIP missing" vip-http "1 argument" -- "${T[@]}" "http://$VIP/"
bad "--source is the VIP" vip-http "$VIP" -- "${T[@]}" -s "$VIP" "http://$VIP/" "$RIP"
bad "unknown interface" vip-http nosuch0 -- "${T[@]}" -i nosuch0 "http://$VIP/" "$RIP"
bad "negative timeout" vip-http "'-1s'" -- -t -1s "http://$VIP/" "$RIP"
bad "--expect-status 600" vip-http 600 -- "${T[@]}" --expect-status 600 "http://$VIP/" "$RIP"

# --- vipcheckd: a target the tools' rule refuses is a config error, nothing sent ------
# bad_config DESC NEEDLE YAML: `vipcheckd --config FILE --once` refuses FILE; NEEDLE
# (with FILE: in front) must appear in the stderr line. A second run under strace
# shows that no packet socket was opened and nothing sent (LeakSanitizer cannot run
# under ptrace: the plain run checks for leaks, the traced one does not).
bad_config() {
    local desc=$1 needle=$2 file trace r=() n
    CASES=$((CASES + 1))
    PER_TOOL[vipcheckd]=$((${PER_TOOL[vipcheckd]:-0} + 1))
    file=$LAB_TMP/config-$CASES.yaml trace=$LAB_TMP/strace-$CASES
    printf '%s' "$3" >"$file"
    ASAN_OPTIONS=$ASAN_OPTIONS:detect_leaks=0 in_director strace -f -qq -o "$trace" \
        -e trace=socket,sendto,sendmsg,sendmmsg "$BIN_DAEMON" --config "$file" --once >/dev/null 2>&1
    lab_run in_director "$BIN_DAEMON" --config "$file" --once
    n=$(printf '%s' "$LAB_ERR" | grep -c '')
    ((LAB_RC == 1)) || r+=("exit status $LAB_RC, want 1")
    ((n == 1)) || r+=("$n lines on stderr, want exactly 1")
    [[ -z $LAB_OUT ]] || r+=("stdout is not empty")
    [[ $LAB_ERR == *"$file:$needle"* ]] || r+=("stderr does not name '$file:${needle:0:60}'")
    if grep -qE 'Sanitizer|runtime error:|terminate called|Segmentation|Aborted' <<<"$LAB_ERR"; then
        r+=("crash or sanitizer report")
    fi
    if [[ ! -e $trace ]]; then
        r+=("strace wrote no trace")
    elif grep -qE 'socket\(AF_PACKET|send(to|msg|mmsg)\(' "$trace"; then
        r+=("it opened a packet socket or sent: $(grep -E 'AF_PACKET|send' "$trace" | head -3 | tr '\n' ' ')")
    fi
    mapfile -t -O "${#r[@]}" r < <(_lab_timeout_reason)
    _lab_report "vipcheckd: $desc" "${r[@]}"
}

TARGET="targets:
  - name: a
"
bad_config "kind arp with encap" "5: target 'a': kind arp is the ARP-leak test, which asks a realserver on this link" \
    "$TARGET    kind: arp
    vip: $VIP
    encap: ipip
    rip: $RIP
"
bad_config "arp_leak with encap" "7: target 'a': arp_leak: the ARP-leak test asks a realserver on this link" \
    "$TARGET    kind: icmp
    vip: $VIP
    rip: $RIP
    encap: gre
    arp_leak: true
"
bad_config "arp_leak with encap on a syn target" "9: target 'a': arp_leak: the ARP-leak test" \
    "$TARGET    kind: syn
    vip: $VIP
    rip: $RIP
    port: 80
    encap: gue
    encap_port: 6080
    arp_leak: yes
"
bad_config "arp_leak on kind arp" "5: target 'a': kind arp is the ARP-leak test itself" \
    "$TARGET    kind: arp
    vip: $VIP
    arp_leak: true
    rip: $RIP
"
# The trace above would see a probe: the same file without the refused field opens
# the packet socket (the verdict does not matter here).
printf '%s' "$TARGET    kind: arp
    vip: $VIP
    rip: $RIP
" >"$LAB_TMP/config-good.yaml"
ASAN_OPTIONS=$ASAN_OPTIONS:detect_leaks=0 lab_run in_director strace -f -qq -o "$LAB_TMP/strace-good" \
    -e trace=socket,sendto,sendmsg,sendmmsg "$BIN_DAEMON" --config "$LAB_TMP/config-good.yaml" --once
if grep -q 'socket(AF_PACKET' "$LAB_TMP/strace-good"; then
    lab_pass "vipcheckd: the trace sees the packet socket of an accepted kind arp target"
else
    lab_fail "vipcheckd: the trace sees the packet socket of an accepted kind arp target" \
        "exit $LAB_RC, no socket(AF_PACKET in the trace: $(head -c 300 "$LAB_TMP/strace-good")"
fi

# --- vipcheckd: a VIP the kernel routes as a broadcast is an error verdict -----------
# The subnet's own broadcast (a route of the local table) and the address of a
# broadcast route added to the main table: vipcheckd lists the broadcast routes of
# every table and asks the kernel about each VIP inside one of them, a VIP outside all
# of them (the lab's own) not at all.
ip -n "$D" route add broadcast 198.51.100.77 dev eth0 table main || { echo "Bail out! no broadcast route"; exit 1; }
printf 'timeout: 300ms\ntargets:\n%s' "  - {name: subnet, kind: icmp, vip: 192.0.2.255, rip: $RIP}
  - {name: main, kind: icmp, vip: 198.51.100.77, rip: $RIP}
  - {name: unicast, kind: icmp, vip: $VIP, rip: $RIP}
" >"$LAB_TMP/config-broadcast.yaml"
lab_run in_director "$BIN_DAEMON" --config "$LAB_TMP/config-broadcast.yaml" --once
r=()
for name in subnet main; do
    grep -q "^$name error .*the kernel routes it as a broadcast address" <<<"$LAB_OUT" ||
        r+=("no broadcast refusal for target $name")
done
grep -q '^unicast up ' <<<"$LAB_OUT" || r+=("target unicast is not up")
mapfile -t -O "${#r[@]}" r < <(_lab_timeout_reason)
_lab_report "vipcheckd: a VIP routed as a broadcast, local or main table, is an error verdict" "${r[@]}"
ip -n "$D" route del broadcast 198.51.100.77 dev eth0 table main

echo "# bad-input cases: $CASES run ($(for t in "${!PER_TOOL[@]}"; do printf '%s=%s ' "$t" "${PER_TOOL[$t]}"; done))"
if ((CASES < 40)); then
    lab_fail "at least 40 bad-input cases ran" "only $CASES"
fi
lab_end
