#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# test_syslog.sh - --syslog sends the verdict line to syslog with ident = the binary's
# name and facility daemon, read back from a /dev/log socket the test serves
# (syslog_capture.sh), never the host's syslog.
#
#   VIPCHECK_TOOLS=build/tools tests/lab/test_syslog.sh
set -uo pipefail
# shellcheck source=harness.sh
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
lab_tools BIN=vip-icmp-check
CAPTURE=$LAB_HARNESS_DIR/syslog_capture.sh

lab_begin
T=(--timeout 300ms)
# in_director is a shell function; syslog_capture.sh needs a command.
IN_DIRECTOR=(timeout -k 2 "$LAB_CMD_TIMEOUT" ip netns exec "$LAB_DIRECTOR_NS")

# expect_syslog DESC SEVERITY WANT_EXIT REGEX -- ARGS...: run the probe with ARGS, want exactly one message: <PRI> with facility daemon (3) and SEVERITY,
# ident vip-icmp-check[PID], text matching REGEX.
expect_syslog() {
    _lab_split "$@" || return 1
    local desc=${_lab_args[0]} sev=${_lab_args[1]} want=${_lab_args[2]} re=${_lab_args[3]} r=() log
    log=$LAB_TMP/syslog.$RANDOM
    : >"$log"
    lab_run "$CAPTURE" "$log" "${IN_DIRECTOR[@]}" "$BIN" "${_lab_cmd[@]}"
    LAB_OUT+=$'\n'"syslog: $(<"$log")"
    local n msg pri
    n=$(grep -c '' "$log")
    msg=$(head -1 "$log")
    [[ $n == 1 ]] || r+=("$n syslog messages, want 1")
    if [[ $msg =~ ^\<([0-9]+)\>[A-Z][a-z]{2}\ [\ 0-9][0-9]\ [0-9:]{8}\ vip-icmp-check\[[0-9]+\]:\ (.*)$ ]]; then
        pri=${BASH_REMATCH[1]}
        ((pri >> 3 == 3)) || r+=("facility $((pri >> 3)), want 3 (daemon)")
        (((pri & 7) == sev)) || r+=("severity $((pri & 7)), want $sev")
        [[ ${BASH_REMATCH[2]} =~ $re ]] || r+=("message does not match /$re/")
    else
        r+=("not a syslog line from ident vip-icmp-check[PID]: '$msg'")
    fi
    [[ $LAB_RC == "$want" ]] || r+=("exit status $LAB_RC, want $want")
    _lab_report "$desc" "${r[@]}"
}

re_vip=${LAB_VIP//./\\.}
expect_syslog "up: daemon.info, ident vip-icmp-check, the verdict line" 6 0 \
    "^up $re_vip on ${LAB_RS_HEALTHY//./\\.} .*echo reply in" -- --syslog "${T[@]}" "$LAB_VIP" "$LAB_RS_HEALTHY"
expect_syslog "no-reply: daemon.warning with the why" 4 1 \
    "^no-reply $re_vip on ${LAB_RS_NOVIP//./\\.} .*no echo reply within 300ms" -- --syslog "${T[@]}" "$LAB_VIP" "$LAB_RS_NOVIP"
expect_syslog "vip-missing: daemon.warning" 4 1 "^vip-missing " -- --syslog "${T[@]}" "$LAB_VIP" "$LAB_RS_FORWARD"
expect_syslog "local error: daemon.warning naming the bad input" 4 1 "^error.*nosuch0" -- \
    --syslog "${T[@]}" -i nosuch0 "$LAB_VIP" "$LAB_RS_HEALTHY"
# The option may come from the config file, as under ldirectord.
printf '[vip-icmp-check]\nsyslog = true\ntimeout = 300ms\n' >"$LAB_TMP/vipcheck.conf"
expect_syslog "syslog = true in the config file works the same" 6 0 "^up " -- \
    --config "$LAB_TMP/vipcheck.conf" "$LAB_VIP" "$LAB_RS_HEALTHY"
# Control: without --syslog nothing is logged, so the checks above cannot pass by accident.
log=$LAB_TMP/syslog.none
: >"$log"
lab_run "$CAPTURE" "$log" "${IN_DIRECTOR[@]}" "$BIN" "${T[@]}" "$LAB_VIP" "$LAB_RS_HEALTHY"
if [[ $LAB_RC == 0 && ! -s $log ]]; then
    lab_pass "without --syslog: no message"
else
    lab_fail "without --syslog: no message" "exit $LAB_RC, syslog: $(<"$log")"
fi
lab_end
