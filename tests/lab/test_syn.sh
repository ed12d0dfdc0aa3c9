#!/usr/bin/env bash
# test_syn.sh - lab test for vip-syn-check.
#
#   VIPCHECK_TOOLS=build/tools tests/lab/test_syn.sh
#
# Needs root.  Builds the standard namespace lab (tests/lab/lab.sh), adds two
# realservers of its own and TCP listeners, runs every case from inside the
# director namespace, and removes the lab on every way out.  (Its wall time is
# measured by bench/run, beside the alternatives, not here.)
# No `set -e`: a failing case must not hide the ones after it.
set -uo pipefail

# shellcheck source=harness.sh
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
lab_tools BIN=vip-syn-check


lab_begin

RS_REJECT=192.0.2.15  # VIP on lo, nftables rejects VIP:80 with admin-prohibited
RS_RIPONLY=192.0.2.16 # VIP on lo, but the service listens on the RIP only
LOG_HEALTHY=$LAB_TMP/healthy-80.log
LOG_RIPONLY=$LAB_TMP/riponly-80.log

setup_ok=1
lab_add_realserver reject "$RS_REJECT" || setup_ok=0
lab_nft reject <<EOF || setup_ok=0
table inet vclreject {
    chain input {
        type filter hook input priority 0; policy accept;
        ip daddr $LAB_VIP tcp dport 80 reject with icmp type admin-prohibited
    }
}
EOF
lab_add_realserver riponly "$RS_RIPONLY" || setup_ok=0
lab_tcp_listen healthy "$LAB_VIP" 80 "$LOG_HEALTHY" || setup_ok=0
lab_tcp_listen healthy "$LAB_VIP" 8080 "$LAB_TMP/healthy-8080.log" || setup_ok=0
lab_tcp_listen riponly "$RS_RIPONLY" 80 "$LOG_RIPONLY" || setup_ok=0
if ((setup_ok != 1)); then
    echo "Bail out! the extra realservers or listeners did not come up"
    exit 1
fi

T=(--timeout 300ms)

# --- verdicts ------------------------------------------------------------------
expect_verdict "listener on VIP:80: up" up 0 -- \
    in_director "$BIN" "${T[@]}" "$LAB_VIP" 80 "$LAB_RS_HEALTHY"
expect_verdict "VIP present, nothing listening on :81: port-closed" port-closed 1 -- \
    in_director "$BIN" "${T[@]}" "$LAB_VIP" 81 "$LAB_RS_HEALTHY"
expect_verdict "realserver without the VIP: no-reply" no-reply 1 -- \
    in_director "$BIN" "${T[@]}" "$LAB_VIP" 80 "$LAB_RS_NOVIP"
expect_verdict "realserver whose firewall drops the VIP: no-reply" no-reply 1 -- \
    in_director "$BIN" "${T[@]}" "$LAB_VIP" 80 "$LAB_RS_DROPPED"
expect_verdict "forwarding realserver without the VIP: vip-missing" vip-missing 1 -- \
    in_director "$BIN" "${T[@]}" "$LAB_VIP" 80 "$LAB_RS_FORWARD"
expect_verdict "nftables reject admin-prohibited on VIP:80: filtered" filtered 1 -- \
    in_director "$BIN" "${T[@]}" "$LAB_VIP" 80 "$RS_REJECT"
expect_verdict "listener bound to the RIP only: port-closed" port-closed 1 -- \
    in_director "$BIN" "${T[@]}" "$LAB_VIP" 80 "$RS_RIPONLY"
expect_verdict "nobody holds the RIP: rs-unreachable" rs-unreachable 1 -- \
    in_director "$BIN" "${T[@]}" "$LAB_VIP" 80 "$LAB_RS_ABSENT"
# Control for the RIP-only case: the listener there does work, on the RIP.
expect_true "control: the RIP-only listener accepts on the RIP" -- \
    in_director /usr/bin/python3 -c 'import socket,sys; socket.create_connection((sys.argv[1], 80), 2).close()' \
    "$RS_RIPONLY"

# --- output formats --------------------------------------------------------------
re_vip=${LAB_VIP//./\\.} re_rip=${LAB_RS_HEALTHY//./\\.} re_src=${LAB_DIRECTOR_IP//./\\.}
expect_match "default line: VIP, RIP, MAC, interface, source, SYN-ACK and rtt" 0 \
    "^up $re_vip on $re_rip \\[$LAB_MAC_HEALTHY\\] via $LAB_DIRECTOR_IF src $re_src: SYN-ACK from port 80 in [0-9]+(\\.[0-9]+)? ms\$" -- \
    in_director "$BIN" "${T[@]}" "$LAB_VIP" 80 "$LAB_RS_HEALTHY"
expect_match "port-closed line names the RST" 1 "^port-closed $re_vip on $re_rip .*: RST from port 81 in " -- \
    in_director "$BIN" "${T[@]}" "$LAB_VIP" 81 "$LAB_RS_HEALTHY"

# json_check DESC PYTHON-EXPR -- CMD...: run CMD, parse its stdout as JSON `d`
# and pass when EXPR holds (`rc` is CMD's exit status).
json_check() {
    local desc=$1 expr=$2
    shift 3
    lab_run "$@"
    if /usr/bin/python3 -c '
import json, sys
d = json.loads(sys.argv[1]); rc = int(sys.argv[2])
sys.exit(0 if eval(sys.argv[3]) else 1)' "$LAB_OUT" "$LAB_RC" "$expr" 2>/dev/null; then
        _lab_report "$desc"
    else
        _lab_report "$desc" "want: $expr"
    fi
}
json_check "--json up: port 80, tcp_flags SA, rtt_ms, exit 0" \
    'd["verdict"] == "up" and d["port"] == 80 and d["tcp_flags"] == "SA" and d["rtt_ms"] > 0 and rc == 0' -- \
    in_director "$BIN" "${T[@]}" --json "$LAB_VIP" 80 "$LAB_RS_HEALTHY"
json_check "--json port-closed: tcp_flags RA, exit 1" \
    'd["verdict"] == "port-closed" and d["port"] == 81 and d["tcp_flags"] == "RA" and rc == 1' -- \
    in_director "$BIN" "${T[@]}" --json "$LAB_VIP" 81 "$LAB_RS_HEALTHY"
json_check "--json no-reply: still port, tcp_flags null, rtt_ms null" \
    'd["verdict"] == "no-reply" and d["port"] == 80 and d["tcp_flags"] is None and d["rtt_ms"] is None and rc == 1' -- \
    in_director "$BIN" "${T[@]}" --json "$LAB_VIP" 80 "$LAB_RS_NOVIP"
json_check "--json filtered: tcp_flags null, exit 1" \
    'd["verdict"] == "filtered" and d["tcp_flags"] is None and rc == 1' -- \
    in_director "$BIN" "${T[@]}" --json "$LAB_VIP" 80 "$RS_REJECT"
expect_match "--nagios up: OK with rtt perfdata" 0 '^VIPCHECK OK - up .*\| rtt=' -- \
    in_director "$BIN" "${T[@]}" --nagios "$LAB_VIP" 80 "$LAB_RS_HEALTHY"
expect_match "--nagios port-closed: CRITICAL, exit 2" 2 '^VIPCHECK CRITICAL - port-closed' -- \
    in_director "$BIN" "${T[@]}" --nagios "$LAB_VIP" 81 "$LAB_RS_HEALTHY"

# -v shows the handshake: our SYN with its options, the SYN-ACK, our RST.
lab_run in_director "$BIN" "${T[@]}" -v "$LAB_VIP" 80 "$LAB_RS_HEALTHY"
r=()
[[ $LAB_ERR =~ send.*TCP\ \[S\]\ seq\ ([0-9]+)\ win\ 64240\ \<mss\ 1460,sackOK,TS\ val\ [0-9]+\ ecr\ 0,nop,wscale\ 7\>,\ ttl\ 1 ]] ||
    r+=("no SYN with Linux's options in the trace")
isn=${BASH_REMATCH[1]:-x}
[[ $LAB_ERR == *"reply "*"TCP [SA] seq "*" ack $(((isn + 1) % 4294967296)) "* ]] || r+=("no SYN-ACK acking ISN+1 in the trace")
[[ $LAB_ERR == *"send "*"TCP [R] seq $(((isn + 1) % 4294967296)) win 0"* ]] || r+=("no RST with seq ISN+1 in the trace")
((LAB_RC == 0)) || r+=("exit status $LAB_RC, want 0")
_lab_report "-v traces the handshake: SYN, SYN-ACK, RST seq ISN+1" "${r[@]}"

# --- ldirectord form and RPORT != VPORT --------------------------------------------
expect_verdict "ldirectord form 'VIP 80 RIP 80': up" up 0 -- \
    in_director "$BIN" "$LAB_VIP" 80 "$LAB_RS_HEALTHY" 80
# RPORT 8080 listens too, on the VIP; the probe must still go to VPORT 80 (DR
# keeps the port) - and say so.  Port 81 (closed) as VPORT proves which is used.
lab_run in_director "$BIN" "${T[@]}" -v "$LAB_VIP" 81 "$LAB_RS_HEALTHY" 8080
r=()
read -r first _ <<<"$LAB_OUT"
[[ $first == port-closed ]] || r+=("verdict '$first', want port-closed (VPORT 81 probed, not RPORT 8080)")
[[ $LAB_ERR == *"RPORT 8080 differs from VPORT 81: probing the virtual port 81"* ]] || r+=("-v does not say that VPORT is probed")
[[ $LAB_ERR == *"> $LAB_VIP.81: TCP [S]"* ]] || r+=("the SYN in the trace is not to port 81")
_lab_report "RPORT != VPORT: VPORT probed, and -v says so" "${r[@]}"

# --- no half-open connection, nothing accepted ------------------------------------
fails=0
for i in $(seq 100); do
    in_director "$BIN" -q "$LAB_VIP" 80 "$LAB_RS_HEALTHY" || fails=$((fails + 1))
done
if ((fails == 0)); then
    lab_pass "100 checks in a row: all up"
else
    lab_fail "100 checks in a row: all up" "$fails of 100 were not up"
fi
conns=$(lab_tcp_conns healthy "$LAB_DIRECTOR_IP")
if [[ -z $(grep -E '^(SYN-RECV|ESTAB)' <<<"$conns") ]]; then
    lab_pass "after 100 checks: no SYN-RECV or ESTABLISHED connection from the director"
else
    lab_fail "after 100 checks: no SYN-RECV or ESTABLISHED connection from the director" "$conns"
fi
accepts=$(grep -c '^accept ' "$LOG_HEALTHY")
if [[ $accepts == 0 ]] && grep -q '^listening ' "$LOG_HEALTHY"; then
    lab_pass "after 100 checks: the listener on VIP:80 accepted no connection"
else
    lab_fail "after 100 checks: the listener on VIP:80 accepted no connection" "$accepts accept(s) logged"
fi

# --- the director's own kernel: martian drop (default) or RST -----------------------
# The director holds the VIP, so a SYN-ACK from it is a martian to its kernel
# (dropped); with accept_local=1 the kernel takes it and, owning no such
# socket, answers with an RST of its own.  Our RST leaves through the packet
# socket, past netfilter, so this counter sees only the kernel's.
lab_nft director <<EOF
table inet vclkrst {
    counter rst { }
    chain output {
        type filter hook output priority 0; policy accept;
        ip saddr $LAB_DIRECTOR_IP tcp flags & rst == rst counter name rst
    }
}
EOF
kernel_rsts() { lab_exec director nft list counter inet vclkrst rst | awk '/packets/ { print $2 }'; }
expect_verdict "director kernel drops the SYN-ACK as martian: up" up 0 -- \
    in_director "$BIN" "${T[@]}" "$LAB_VIP" 80 "$LAB_RS_HEALTHY"
n=$(kernel_rsts)
[[ $n == 0 ]] && lab_pass "control: the director's kernel sent no RST (martian drop)" ||
    lab_fail "control: the director's kernel sent no RST (martian drop)" "it sent $n"
lab_sysctl director net.ipv4.conf.all.accept_local=1 net.ipv4.conf.eth0.accept_local=1
expect_verdict "director kernel answers the SYN-ACK with RST: still up" up 0 -- \
    in_director "$BIN" "${T[@]}" "$LAB_VIP" 80 "$LAB_RS_HEALTHY"
n=$(kernel_rsts)
[[ $n -ge 1 ]] && lab_pass "control: the director's kernel did send an RST ($n)" ||
    lab_fail "control: the director's kernel did send an RST" "counter is '$n'"
lab_sysctl director net.ipv4.conf.all.accept_local=0 net.ipv4.conf.eth0.accept_local=0
lab_exec director nft delete table inet vclkrst

# --- usage errors fail closed ---------------------------------------------------------
expect_usage_error "PORT missing" -- in_director "$BIN" "${T[@]}" "$LAB_VIP" "$LAB_RS_HEALTHY"
expect_usage_error "PORT 0" -- in_director "$BIN" "${T[@]}" "$LAB_VIP" 0 "$LAB_RS_HEALTHY"
expect_usage_error "PORT 65536" -- in_director "$BIN" "${T[@]}" "$LAB_VIP" 65536 "$LAB_RS_HEALTHY"

expect_no_vip_leaks "no frame on the switch asked for or claimed the VIP"

lab_end
