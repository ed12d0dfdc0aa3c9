#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# test_icmp.sh - lab test for vip-icmp-check.
#
#   VIPCHECK_TOOLS=build/tools tests/lab/test_icmp.sh
#
# Needs root.  Builds a private namespace lab (tests/lab/lab.sh), runs every
# case from inside the director namespace, removes the lab on every way out.
# No `set -e`: a failing case must not hide the ones after it.
set -uo pipefail

# shellcheck source=harness.sh
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
lab_tools BIN=vip-icmp-check

lab_begin

# Short deadline: the negative cases wait it out (vip-icmp-check(8), --timeout).
T=(--timeout 300ms)

# --- verdicts per realserver ---------------------------------------------
expect_verdict "healthy realserver answers for the VIP: up" up 0 -- \
    in_director "$BIN" "${T[@]}" "$LAB_VIP" "$LAB_RS_HEALTHY"
expect_verdict "realserver without the VIP: no-reply" no-reply 1 -- \
    in_director "$BIN" "${T[@]}" "$LAB_VIP" "$LAB_RS_NOVIP"
expect_verdict "realserver whose firewall drops the VIP: no-reply" no-reply 1 -- \
    in_director "$BIN" "${T[@]}" "$LAB_VIP" "$LAB_RS_DROPPED"
expect_verdict "forwarding realserver without the VIP: vip-missing" vip-missing 1 -- \
    in_director "$BIN" "${T[@]}" "$LAB_VIP" "$LAB_RS_FORWARD"
expect_verdict "nobody holds the RIP: rs-unreachable" rs-unreachable 1 -- \
    in_director "$BIN" "${T[@]}" "$LAB_VIP" "$LAB_RS_ABSENT"

# --- output formats --------------------------------------------------------
# vipcheck(7), VERDICTS: `up VIP on RIP [MAC] via IF src SRC: echo reply in 0.21 ms`
re_vip=${LAB_VIP//./\\.} re_rip=${LAB_RS_HEALTHY//./\\.} re_src=${LAB_DIRECTOR_IP//./\\.}
expect_match "default line names VIP, RIP, MAC, interface, source and rtt" 0 \
    "^up $re_vip on $re_rip \\[$LAB_MAC_HEALTHY\\] via $LAB_DIRECTOR_IF src $re_src: echo reply in [0-9]+(\\.[0-9]+)? ms\$" -- \
    in_director "$BIN" "${T[@]}" "$LAB_VIP" "$LAB_RS_HEALTHY"

lab_run in_director "$BIN" "${T[@]}" --json "$LAB_VIP" "$LAB_RS_HEALTHY"
json_out=$LAB_OUT json_rc=$LAB_RC
expect_true "--json output is valid JSON" -- \
    /usr/bin/python3 -m json.tool <<<"$json_out"
expect_true "--json has \"verdict\":\"up\" and exit 0" -- \
    /usr/bin/python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if d.get("verdict")=="up" and sys.argv[2]=="0" else 1)' \
    "$json_out" "$json_rc"

expect_match "--nagios healthy: OK line with perfdata, exit 0" 0 '^VIPCHECK OK .*\|.*rtt=' -- \
    in_director "$BIN" "${T[@]}" --nagios "$LAB_VIP" "$LAB_RS_HEALTHY"
expect_match "--nagios novip: CRITICAL, exit 2" 2 '^VIPCHECK CRITICAL' -- \
    in_director "$BIN" "${T[@]}" --nagios "$LAB_VIP" "$LAB_RS_NOVIP"
# The plugin line exactly: state, the verdict line, then perfdata in ms with min 0.
expect_match "--nagios up: one line, perfdata rtt and time" 0 \
    "^VIPCHECK OK - up $re_vip on $re_rip .*: echo reply in [0-9.]+ ms \\| rtt=[0-9]+\\.[0-9]{3}ms;;;0 time=[0-9]+\\.[0-9]{3}ms;;;0\$" -- \
    in_director "$BIN" "${T[@]}" --nagios "$LAB_VIP" "$LAB_RS_HEALTHY"
expect_match "--nagios no reply: CRITICAL with time but no rtt" 2 \
    "^VIPCHECK CRITICAL - no-reply [^|]* \\| time=[0-9]+\\.[0-9]{3}ms;;;0\$" -- \
    in_director "$BIN" "${T[@]}" --nagios "$LAB_VIP" "$LAB_RS_NOVIP"
expect_match "--nagios vip-missing: CRITICAL, exit 2" 2 '^VIPCHECK CRITICAL - vip-missing ' -- \
    in_director "$BIN" "${T[@]}" --nagios "$LAB_VIP" "$LAB_RS_FORWARD"
expect_match "--nagios rs-unreachable: CRITICAL, exit 2" 2 '^VIPCHECK CRITICAL - rs-unreachable ' -- \
    in_director "$BIN" "${T[@]}" --nagios "$LAB_VIP" "$LAB_RS_ABSENT"
expect_match "--nagios local error (no such interface): UNKNOWN, exit 3" 3 '^VIPCHECK UNKNOWN - .*nosuch0' -- \
    in_director "$BIN" "${T[@]}" --nagios -i nosuch0 "$LAB_VIP" "$LAB_RS_HEALTHY"

# --- --mac skips resolution ----------------------------------------------------
# Make the healthy RS ignore ARP requests and forget the director's cached
# entry: without --mac the RIP can no longer resolve, with --mac it must not
# need to.  Only requests are dropped, so the RS still learns the director's
# MAC from replies when it answers.
lab_nft healthy <<'EOF'
table arp vclnoarp {
    chain input {
        type filter hook input priority 0; policy accept;
        arp operation request drop
    }
}
EOF
lab_exec director ip neigh flush dev "$LAB_DIRECTOR_IF"
expect_verdict "RIP ignoring ARP, no --mac: rs-unreachable (control)" rs-unreachable 1 -- \
    in_director "$BIN" "${T[@]}" "$LAB_VIP" "$LAB_RS_HEALTHY"
expect_verdict "RIP ignoring ARP, --mac given: up without resolution" up 0 -- \
    in_director "$BIN" "${T[@]}" --mac "$LAB_MAC_HEALTHY" "$LAB_VIP" "$LAB_RS_HEALTHY"
lab_exec healthy nft delete table arp vclnoarp

# --- ldirectord form -------------------------------------------------------------
# ldirectord passes exactly VIP VPORT RIP RPORT, no options: default deadline.
expect_verdict "ldirectord form 'VIP 80 RIP 80': up" up 0 -- \
    in_director "$BIN" "$LAB_VIP" 80 "$LAB_RS_HEALTHY" 80

# --- SIGTERM ends the run at once with status 1 -------------------------------
expect_sigterm_exit "SIGTERM mid-run: exit 1 at once" -- "$BIN" --timeout 5s "$LAB_VIP" "$LAB_RS_NOVIP"

# --- usage errors fail closed: exit 1, one line on stderr --------------------
expect_usage_error "bad VIP address" -- \
    in_director "$BIN" "${T[@]}" 198.51.100.300 "$LAB_RS_HEALTHY"
expect_usage_error "bad RIP address" -- \
    in_director "$BIN" "${T[@]}" "$LAB_VIP" not-an-address
expect_usage_error "unknown interface -i nosuch0" -- \
    in_director "$BIN" "${T[@]}" -i nosuch0 "$LAB_VIP" "$LAB_RS_HEALTHY"
expect_usage_error "bad duration -t 5parsecs" -- \
    in_director "$BIN" -t 5parsecs "$LAB_VIP" "$LAB_RS_HEALTHY"
expect_usage_error "missing RIP argument" -- \
    in_director "$BIN" "${T[@]}" "$LAB_VIP"
expect_match "--nagios usage error: UNKNOWN, exit 3" 3 '^VIPCHECK UNKNOWN' -- \
    in_director "$BIN" --nagios -t 5parsecs "$LAB_VIP" "$LAB_RS_HEALTHY"

# --- never ARP for the VIP nor use it as source ------------------------------------
expect_no_vip_leaks "no frame on the switch asked for or claimed the VIP"

lab_end
