#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# test_daemon_judge.sh - vipcheckd's resident judge of services in the lab (vipcheckd(8),
# SERVICES and STATE FILES; the rules of lib/src/daemon/judge.hpp).
#
#   VIPCHECK_TOOLS=build/tools tests/lab/test_daemon_judge.sh
#
# Each realserver's state files DIR/SERVICE.RIP and DIR/SERVICE.RIP.proven, its state
# changes on stderr (`vipcheckd: SERVICE RIP FROM -> TO: CODES: SENTENCE`) and
# /status.json, through:
#  - faults: the healthy realserver learns, then is up; the broken ones are never
#    pooled; a realserver new to the files says not pooled at once, and a learner that
#    fails stays learning;
#  - flapping: nftables drops half of a realserver's VIP probes at random; its rounds,
#    read off the wire, replayed through rise and fall (judge_replay.py) give exactly
#    the transitions the daemon logged: no flip from a failing run shorter than fall;
#  - reloads: a realserver added learns (not pooled) until rise good rounds, one
#    removed says not pooled for good, the others keep their state and transitions;
#  - min_up: four realservers, min_up 50%; three broken leave exactly two pooled (one
#    up, one held), the fourth broken too two held; healed, all up again (by whatever
#    path their interleaved rounds take);
#  - 500 newcomers that never answer join a service (a reload): its realservers keep
#    their states and get their rounds at no less than half the rate they had, and
#    the learners do not raise min_up's floor.
# Every wait is a hang guard, ten times what it expects; what is asserted is counted
# (rounds, lines, files), never timed.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=harness.sh
. "$HERE/harness.sh"
lab_tools D=vipcheckd
command -v tshark >/dev/null || { echo "Bail out! tshark is not installed"; exit 1; }
command -v curl >/dev/null || { echo "Bail out! curl is not installed"; exit 1; }

lab_begin
: "${LAB_SWITCH:=sw}" # lab_begin leaves only the env file: name the switch again
C=$LAB_TMP/conf
mkdir -p "$C"
PORT=9105
INTERVAL=300ms TIMEOUT=250ms

# ---------------------------------------------------------------------------
# the daemon under test, one at a time: DPID, its state dir S and its stderr L

DPID='' S='' L=''
# start_d NAME CONFIG: vipcheckd resident in the director, --state-dir and --listen.
start_d() {
    local dir=$LAB_TMP/$1
    mkdir -p "$dir/state"
    S=$dir/state L=$dir/log
    ip netns exec "$LAB_DIRECTOR_NS" "$D" --config "$2" --state-dir "$S" --listen "127.0.0.1:$PORT" \
        >"$dir/out" 2>"$L" &
    DPID=$!
    if ! wait_for 10 grep -qs '^vipcheckd: probing ' "$L"; then
        lab_fail "vipcheckd starts with $2" "$(cat "$L")"
        lab_end
    fi
}
# stop_d DESC: SIGTERM, exit status 0.
stop_d() {
    local rc=0
    kill -TERM "$DPID"
    wait "$DPID" || rc=$?
    DPID=
    if ((rc == 0)); then lab_pass "$1: SIGTERM exits 0"; else lab_fail "$1: SIGTERM exits 0" "exit $rc"; fi
}
# reload CONFIG: copy it over the running config, SIGHUP, wait for the Nth reload line.
RELOADS=0
reload() {
    cp "$1" "$CONF"
    kill -HUP "$DPID"
    RELOADS=$((RELOADS + 1))
    if ! wait_for 10 eval '(($(grep -c "^vipcheckd: reloaded " "$L") >= RELOADS))'; then
        lab_fail "vipcheckd reloads $1" "$(tail -5 "$L")"
    fi
}
stop_all() {
    [[ -n $DPID ]] && kill -TERM "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
    [[ -n ${SAMPLER:-} ]] && kill "$SAMPLER" 2>/dev/null
    _lab_harness_exit
}
trap stop_all EXIT

# says SERVICE RIP pooled|out: both files of the realserver, SERVICE.RIP (an IPv6 RIP
# with - for :), say so (pooled: 0 and 1 in .proven; out: 1 and 0).
says() {
    local f=$S/$1.${2//:/-} a b
    a=$(cat "$f" 2>/dev/null) b=$(cat "$f.proven" 2>/dev/null)
    if [[ $3 == pooled ]]; then [[ $a == 0 && $b == 1 ]]; else [[ $a == 1 && $b == 0 ]]; fi
}
# changes SERVICE RIP: its state changes logged so far, `FROM TO` a line.
changes() {
    awk -v s="$1" -v r="$2" '$1 == "vipcheckd:" && $2 == s && $3 == r && $5 == "->" {
        to = $6; sub(/:$/, "", to); print $4, to }' "$L"
}
nchanges() { changes "$@" | grep -c ''; }
# rs SERVICE RIP: the realserver's `STATE TRANSITIONS ROUNDS`, from /status.json, or
# where that page is not served from /metrics (vipcheck_realserver_*).
status() { in_director curl -sf --max-time 5 "http://127.0.0.1:$PORT/status.json"; }
rs() {
    local j
    if j=$(status); then
        /usr/bin/python3 -c '
import json, sys
for s in json.load(sys.stdin)["services"]:
    for r in s["realservers"]:
        if s["name"] == sys.argv[1] and r["rip"] == sys.argv[2]:
            print(r["state"], r["transitions"], r["rounds"])' "$1" "$2" <<<"$j"
    else
        in_director curl -sf --max-time 5 "http://127.0.0.1:$PORT/metrics" | awk -v l="service=\"$1\"" -v r="rip=\"$2\"" '
            index($0, l) && index($0, r) {
                if ($1 ~ /^vipcheck_realserver_state\{/ && $2 == 1) { match($1, /state="[a-z]+"/); st = substr($1, RSTART + 7, RLENGTH - 8) }
                if ($1 ~ /^vipcheck_realserver_transitions_total\{/) tr = $2
                if ($1 ~ /^vipcheck_realserver_rounds_total\{/) ro = $2 }
            END { if (st != "") print st, tr, ro }'
    fi
}
rounds() { local x; x=$(rs "$@"); x=${x##* }; echo "${x:-0}"; }
# state SERVICE RIP: `STATE TRANSITIONS`.
state() { local x; x=$(rs "$@"); echo "${x% *}"; }
# rounds_past SERVICE RIP N: it has had at least N rounds.
rounds_past() { (($(rounds "$1" "$2") >= $3)); }
# hold NAME / release NAME: every VIP packet dropped at realserver NAME, or not.
hold() {
    lab_nft "$1" <<EOF
table inet vclhold {
    chain input {
        type filter hook input priority 0; policy accept;
        ip daddr $LAB_VIP drop
    }
}
EOF
}
release() { lab_exec "$1" nft delete table inet vclhold; }

# ---------------------------------------------------------------------------
# 1. faults, and 3. reloads
echo "# ${SECONDS} s: faults and reloads"

lab_tcp_listen healthy 0.0.0.0 80 "$LAB_TMP/healthy.log" || lab_fail "TCP listener on healthy"
RS2=192.0.2.21
{ lab_add_realserver rs2 "$RS2" && lab_tcp_listen rs2 0.0.0.0 80 "$LAB_TMP/rs2.log"; } || lab_fail "realserver rs2"
BROKEN=("$LAB_RS_NOVIP" "$LAB_RS_DROPPED" "$LAB_RS_FORWARD" "$LAB_RS_ABSENT")
web() { # web RIP...: the service web over the lab's realservers
    printf 'interval: %s\ntimeout: %s\nservices:\n  - name: web\n    vip: %s\n    port: 80\n' "$INTERVAL" "$TIMEOUT" "$LAB_VIP"
    printf '    planes: [vip-icmp, vip-syn, arp]\n    realservers:\n'
    printf '      - rip: %s\n' "$@"
}
web "$LAB_RS_HEALTHY" "${BROKEN[@]}" >"$C/web.yaml"
web "$LAB_RS_HEALTHY" "${BROKEN[@]}" "$RS2" >"$C/web-add.yaml"
web "$LAB_RS_HEALTHY" "$LAB_RS_DROPPED" "$LAB_RS_FORWARD" "$LAB_RS_ABSENT" >"$C/web-remove.yaml"
CONF=$C/running.yaml
cp "$C/web.yaml" "$CONF"

# The healthy realserver starts held off (its VIP traffic dropped), so that what its
# files say before it is proven is seen, not raced.
hold healthy
start_d web "$CONF"
# Every 0.1 s, any broken realserver whose files say pooled (none may, ever).
(while :; do
    for r in "${BROKEN[@]}"; do
        [[ $(cat "$S/web.$r" 2>/dev/null) == 0 || $(cat "$S/web.$r.proven" 2>/dev/null) == 1 ]] &&
            echo "$(date +%T.%N) $r"
    done
    sleep 0.1
done) >"$LAB_TMP/pooled-broken" 2>/dev/null &
SAMPLER=$!
ok=true
for r in "$LAB_RS_HEALTHY" "${BROKEN[@]}"; do
    wait_for 10 rounds_past web "$r" 3 || { ok=false; lab_fail "web $r has 3 rounds within 10 s"; }
done
if $ok; then
    lab_pass "every realserver of web has had 3 rounds"
fi
for r in "$LAB_RS_HEALTHY" "${BROKEN[@]}"; do
    if says web "$r" out && [[ $(nchanges web "$r") == 0 ]]; then
        lab_pass "first start, failing rounds: web $r says not pooled and is still learning (no state change logged)"
    else
        lab_fail "first start, failing rounds: web $r says not pooled and is still learning" \
            "files: $(cat "$S/web.$r" "$S/web.$r.proven" 2>&1 | tr '\n' ' ')" "$(changes web "$r")"
    fi
    st=$(state web "$r")
    [[ $st == "learning 0" ]] || lab_fail "web $r is learning, 0 transitions" "$st"
done

release healthy
expect_line() {
    if wait_for "$3" grep -qE -- "$2" "$L"; then lab_pass "$1"; else
        lab_fail "$1" "no line /$2/ within $3 s:" "$(tail -5 "$L")"
    fi
}
expect_line "healthy released: web $LAB_RS_HEALTHY learning -> up, with its codes" \
    "^vipcheckd: web $LAB_RS_HEALTHY learning -> up: healthy: " 10
if says web "$LAB_RS_HEALTHY" pooled && [[ $(changes web "$LAB_RS_HEALTHY") == "learning up" ]]; then
    lab_pass "web $LAB_RS_HEALTHY: files say pooled, one state change"
else
    lab_fail "web $LAB_RS_HEALTHY: files say pooled, one state change" "$(changes web "$LAB_RS_HEALTHY")"
fi

# 3. A reload that adds rs2 (held off at first), then one that removes rs2 and novip.
hold rs2
reload "$C/web-add.yaml"
if wait_for 10 rounds_past web "$RS2" 3 && says web "$RS2" out && [[ $(nchanges web "$RS2") == 0 ]]; then
    lab_pass "reload adds $RS2: its files say not pooled, it learns through failing rounds"
else
    lab_fail "reload adds $RS2: its files say not pooled, it learns through failing rounds" \
        "rounds $(rounds web "$RS2"), files: $(cat "$S/web.$RS2" "$S/web.$RS2.proven" 2>&1 | tr '\n' ' ')" \
        "$(changes web "$RS2")"
fi
release rs2
expect_line "rs2 released: web $RS2 learning -> up" "^vipcheckd: web $RS2 learning -> up: healthy: " 10
if says web "$RS2" pooled && [[ $(changes web "$RS2") == "learning up" ]]; then
    lab_pass "web $RS2: files say pooled, one state change"
else
    lab_fail "web $RS2: files say pooled, one state change" "$(changes web "$RS2")"
fi
before=$(rounds web "$LAB_RS_HEALTHY")
reload "$C/web-remove.yaml"
for r in "$RS2" "$LAB_RS_NOVIP"; do
    if wait_for 10 says web "$r" out; then
        lab_pass "reload removes $r: its files say not pooled"
    else
        lab_fail "reload removes $r: its files say not pooled" "$(cat "$S/web.$r" "$S/web.$r.proven" 2>&1 | tr '\n' ' ')"
    fi
done
wait_for 10 rounds_past web "$LAB_RS_HEALTHY" $((before + 3)) ||
    lab_fail "web $LAB_RS_HEALTHY goes on with its rounds after the reloads"
sleep 1 # the removed ones' files must stay so: a run of theirs in flight is not theirs anymore
if says web "$RS2" out && says web "$LAB_RS_NOVIP" out; then
    lab_pass "the removed realservers' files still say not pooled"
else
    lab_fail "the removed realservers' files still say not pooled"
fi
st=$(state web "$LAB_RS_HEALTHY")
if says web "$LAB_RS_HEALTHY" pooled && [[ $(changes web "$LAB_RS_HEALTHY") == "learning up" ]] &&
    [[ $st == "up 1" ]]; then
    lab_pass "through both reloads web $LAB_RS_HEALTHY stayed up: one state change, pooled, 1 transition"
else
    lab_fail "through both reloads web $LAB_RS_HEALTHY stayed up" "status: $st" "$(changes web "$LAB_RS_HEALTHY")"
fi
kill "$SAMPLER"
wait "$SAMPLER" 2>/dev/null
SAMPLER=
if [[ ! -s $LAB_TMP/pooled-broken ]] && ! grep -qE "^vipcheckd: web ($(
    IFS='|'
    echo "${BROKEN[*]//./\\.}"
)) .* -> (up|held):" "$L"; then
    lab_pass "novip, dropped, forward, absent: never pooled (files sampled every 0.1 s, no state change to up or held)"
else
    lab_fail "novip, dropped, forward, absent: never pooled" "$(head -5 "$LAB_TMP/pooled-broken")" \
        "$(grep -E ' -> (up|held):' "$L" | head -5)"
fi
stop_d "web"

# ---------------------------------------------------------------------------
# 2. flapping: half of the VIP probes dropped at random
echo "# ${SECONDS} s: flapping"

RISE=2 FALL=3 N=40
FLAP=192.0.2.41
lab_add_realserver flap "$FLAP" || lab_fail "realserver flap"
lab_nft flap <<EOF || lab_fail "the random drop at flap"
table inet vclflap {
    counter probes { }
    chain input {
        type filter hook input priority 0; policy accept;
        ip daddr $LAB_VIP icmp type echo-request counter name probes
        ip daddr $LAB_VIP icmp type echo-request numgen random mod 2 0 drop
    }
}
EOF
probes() { lab_exec flap nft list counter inet vclflap probes | awk '$1 == "packets" { print $2 }'; }
probes_past() { (($(probes) >= $1)); }
# One plane and one attempt: each round is one echo request, good when its reply left.
cat >"$C/flap.yaml" <<EOF
interval: $INTERVAL
timeout: $TIMEOUT
services:
  - name: flap
    vip: $LAB_VIP
    planes: [vip-icmp]
    attempts: 1
    rise: $RISE
    fall: $FALL
    realservers:
      - rip: $FLAP
EOF
# The capture, one line a frame as it comes (-l): time, type, ident, seq, source.
CAP=$LAB_TMP/flap.capture
ip netns exec "$(lab_ns flap)" tshark -l -i eth0 -f icmp -T fields -e frame.time_epoch -e icmp.type \
    -e icmp.ident -e icmp.seq -e ip.src -e ip.dst >"$CAP" 2>"$LAB_TMP/tshark.log" &
TSHARK=$!
# It holds every frame from before the daemon starts to after it stops: a ping of the
# RIP (not the VIP) from the director, before and after, seen in it (pinged again each
# second until seen: tshark may say it captures a moment before it does).
marks() { awk -v rip="$FLAP" '$2 == 0 && $5 == rip' "$CAP" | grep -c ''; }
marks_past() { (($(marks) > $1)); }
mark_ping() {
    local n i
    n=$(marks)
    for ((i = 0; i < 10; i++)); do
        lab_exec director ping -n -q -c 1 -W 1 "$FLAP" >/dev/null
        wait_for 1 marks_past "$n" && return 0
    done
    lab_fail "the capture at flap sees a ping $1" "$(cat "$LAB_TMP/tshark.log")"
}
wait_for 10 grep -qs "Capturing on" "$LAB_TMP/tshark.log" || lab_fail "tshark captures at flap" "$(cat "$LAB_TMP/tshark.log")"
mark_ping before
CONF=$C/flap.yaml
start_d flap "$CONF"
# N rounds at 300 ms: 12 s; the guard ten times that.
wait_for 120 probes_past "$N" || lab_fail "flap: $N rounds within 120 s" "$(probes) so far"
stop_d "flap"
mark_ping after
kill -INT "$TSHARK"
wait "$TSHARK" 2>/dev/null
awk -v vip="$LAB_VIP" '($2 == 8 && $6 == vip) || ($2 == 0 && $5 == vip)' "$CAP" >"$LAB_TMP/flap.fields"
echo "# echo requests to the VIP: $(probes) reached flap's input hook, $(awk '$2 == 8' "$LAB_TMP/flap.fields" | grep -c '') captured"
changes flap "$FLAP" >"$LAB_TMP/flap.transitions"
lab_run /usr/bin/python3 "$HERE/judge_replay.py" "$RISE" "$FALL" 0.25 "$LAB_TMP/flap.fields" "$LAB_TMP/flap.transitions"
printf '%s\n' "$LAB_OUT"
if ((LAB_RC == 0)); then
    lab_pass "flapping: the transitions logged are exactly rise $RISE / fall $FALL over the rounds on the wire"
else
    lab_fail "flapping: the transitions logged are exactly rise $RISE / fall $FALL over the rounds on the wire" "$LAB_ERR"
fi
# The lab, not the daemon: the drop flapped the verdicts (fewer than 4 changes in 40
# fair rounds has a chance of 2e-8).
vchanges=$(sed -n 's/.*rounds with a changed verdict \([0-9]*\),.*/\1/p' <<<"$LAB_OUT")
ntrans=$(grep -c '' "$LAB_TMP/flap.transitions")
if ((${vchanges:-0} >= 4)); then
    lab_pass "flapping: $vchanges rounds changed the verdict, $ntrans changed the state"
else
    lab_fail "flapping: the random drop flapped the verdicts" "${vchanges:-no} changes"
fi

# ---------------------------------------------------------------------------
# 4. min_up, and 5. 500 newcomers that never answer
echo "# ${SECONDS} s: min_up"

POOL=(192.0.2.51 192.0.2.52 192.0.2.53 192.0.2.54)
POOL6=(2001:db8::51 2001:db8::52 2001:db8::53 2001:db8::54) # the same hosts over IPv6, for 5.
for i in 0 1 2 3; do
    { lab_add_realserver "p$i" "${POOL[i]}" && lab_vip_on_lo "p$i" "$LAB_VIP6" &&
        ip -n "$(lab_ns "p$i")" -6 addr add "${POOL6[i]}/64" dev eth0 nodad &&
        lab_tcp_listen "p$i" :: 80 "$LAB_TMP/p$i.log"; } || lab_fail "realserver p$i"
done
pool() { # pool EXTRA_RIPS_FILE: the service pool (min_up 50%) and its extra realservers
    printf 'interval: %s\ntimeout: %s\nservices:\n  - name: pool\n    vip: %s\n    port: 80\n' "$INTERVAL" "$TIMEOUT" "$LAB_VIP"
    printf '    planes: [vip-icmp, vip-syn]\n    min_up: 50%%\n    realservers:\n'
    printf '      - rip: %s\n' "${POOL[@]}"
}
pool >"$C/pool.yaml"
CONF=$C/running.yaml RELOADS=0
cp "$C/pool.yaml" "$CONF"
start_d pool "$CONF"
up_lines() { grep -cE "^vipcheckd: pool [0-9.]+ [a-z]+ -> up:" "$L"; }
if wait_for 10 eval '(($(up_lines) >= 4))'; then
    lab_pass "pool: all four realservers up"
else
    lab_fail "pool: all four realservers up" "$(grep ' -> ' "$L")"
fi
# count_says pooled|out RIP...: how many of them say so.
count_says() {
    local want=$1 r n=0
    shift
    for r in "$@"; do says pool "$r" "$want" && n=$((n + 1)); done
    echo "$n"
}
# settled RIP...: each has had 3 rounds more than it had when called last (in $MARK).
declare -A MARK
mark() { local r; for r in "${POOL[@]}"; do MARK[$r]=$(rounds pool "$r"); done; }
settled() {
    local r
    for r in "${POOL[@]}"; do wait_for 10 rounds_past pool "$r" $((MARK[$r] + FALL + 1)) || return 1; done
}
# lines_since N: the state changes logged after the first N.
lines_since() { grep -E "^vipcheckd: [^ ]+ [^ ]+ [a-z]+ -> [a-z]+:" "$L" | tail -n +$(($1 + 1)); }
nlines() { grep -cE "^vipcheckd: [^ ]+ [^ ]+ [a-z]+ -> [a-z]+:" "$L"; }
vip_off() { local i; for i in "$@"; do lab_exec "p$i" ip addr del "$LAB_VIP/32" dev lo; done; }
vip_on() { local i; for i in "$@"; do lab_exec "p$i" ip addr add "$LAB_VIP/32" dev lo; done; }
P012="${POOL[0]}|${POOL[1]}|${POOL[2]}"
P012=${P012//./\\.}

SINCE=$(nlines)
vip_off 0 1 2
wait_for 10 eval '(($(lines_since $SINCE | grep -cE "^vipcheckd: pool ($P012) up -> down:") >= 2 &&
    $(lines_since $SINCE | grep -cE "^vipcheckd: pool ($P012) up -> held:") >= 1))' ||
    lab_fail "three broken: two down and one held within 10 s" "$(grep ' -> ' "$L")"
mark
settled || lab_fail "pool: rounds go on"
n_in=$(count_says pooled "${POOL[@]:0:3}") n_out=$(count_says out "${POOL[@]:0:3}")
if ((n_in == 1 && n_out == 2)) && says pool "${POOL[3]}" pooled && (($(lines_since "$SINCE" | grep -c '') == 3)); then
    lab_pass "min_up 50%, three of four broken: exactly two pooled (${POOL[3]} up, one held), two down, no more changes"
else
    lab_fail "min_up 50%, three of four broken: exactly two pooled" "pooled $n_in, out $n_out of the broken" \
        "$(grep ' -> ' "$L")"
fi
HELD=$(grep -E "^vipcheckd: pool ($P012) up -> held:" "$L" | awk '{ print $3 }')
[[ -n $HELD ]] && echo "# held: $HELD"

vip_off 3
expect_line "the fourth broken too: ${POOL[3]} up -> held" "^vipcheckd: pool ${POOL[3]//./\\.} up -> held:" 10
mark
settled || lab_fail "pool: rounds go on"
n_in=$(count_says pooled "${POOL[@]}")
if ((n_in == 2)) && says pool "${POOL[3]}" pooled && says pool "$HELD" pooled && (($(lines_since "$SINCE" | grep -c '') == 4)); then
    lab_pass "all four broken: exactly two pooled, both held ($HELD and ${POOL[3]}), the same ones round after round"
else
    lab_fail "all four broken: exactly two pooled, both held" "pooled $n_in" "$(grep ' -> ' "$L")"
fi
for r in "${POOL[@]}"; do
    st=$(state pool "$r")
    want=down
    [[ $r == "$HELD" || $r == "${POOL[3]}" ]] && want=held
    [[ ${st% *} == "$want" ]] || lab_fail "pool $r is $want" "$st"
done

SINCE=$(nlines)
vip_on 0 1 2 3
# Healing, the realservers' rounds interleave as they come: one already up may lift the
# floor before a held one is proven, which then goes held -> down -> up. So what is
# asserted is where each ends, not the path: up, both files pooled.
all_pooled() { (($(count_says pooled "${POOL[@]}") == 4)); }
last_to() { changes pool "$1" | tail -n 1 | awk '{ print $2 }'; }
if wait_for 10 all_pooled; then
    ends=""
    for r in "${POOL[@]}"; do ends+="$(last_to "$r") "; done
    if [[ $ends == "up up up up " ]]; then
        lab_pass "healed: all four back up, every file says pooled"
    else
        lab_fail "healed: all four back up" "last states: $ends" "$(grep ' -> ' "$L")"
    fi
else
    lab_fail "healed: every file says pooled" "$(grep ' -> ' "$L")"
fi

# 5. 500 realservers nobody holds join the four in their service, pool6: the same
# hosts over IPv6, where the lab's subnet has room (2001:db8::1:0-1f3, on-link). Each of
# their rounds lasts a whole timeout (rs-unreachable).
pool6() { # pool6 RIP...
    printf '  - name: pool6\n    vip: %s\n    port: 80\n    planes: [vip-icmp, vip-syn]\n    min_up: 50%%\n' "$LAB_VIP6"
    printf '    realservers:\n'
    printf '      - rip: %s\n' "$@"
}
NEW=()
for i in $(seq 0 499); do NEW+=("$(printf '2001:db8::1:%x' "$i")"); done
{ pool && pool6 "${POOL6[@]}"; } >"$C/pool6.yaml"
{ pool && pool6 "${POOL6[@]}" "${NEW[@]}"; } >"$C/crowd.yaml"
reload "$C/pool6.yaml"
SINCE=$(nlines)
if wait_for 10 eval '(($(lines_since $SINCE | grep -c "^vipcheckd: pool6 .* learning -> up:") >= 4))'; then
    lab_pass "pool6: the four up over IPv6"
else
    lab_fail "pool6: the four up over IPv6" "$(lines_since "$SINCE")"
fi
echo "# ${SECONDS} s: 500 newcomers"
# rate: pool6's rounds per second, summed over its four realservers, over 3 s (in
# rounds per 1000 s).
rate() {
    local a=0 b=0 t0 t1 r
    for r in "${POOL6[@]}"; do a=$((a + $(rounds pool6 "$r"))); done
    t0=$(date +%s%N)
    sleep 3
    for r in "${POOL6[@]}"; do b=$((b + $(rounds pool6 "$r"))); done
    t1=$(date +%s%N)
    echo "$(((b - a) * 1000000000000 / (t1 - t0)))"
}
SINCE=$(nlines)
rate_before=$(rate)
reload "$C/crowd.yaml"
# Under way: the first and the last newcomer have had a round.
wait_for 10 rounds_past pool6 "${NEW[0]}" 1 && wait_for 10 rounds_past pool6 "${NEW[-1]}" 1 ||
    lab_fail "the newcomers have had a round within 10 s"
rate_after=$(rate)
printf '# pool6 rounds per second, its four realservers together: %d.%03d before the 500 newcomers, %d.%03d after\n' \
    $((rate_before / 1000)) $((rate_before % 1000)) $((rate_after / 1000)) $((rate_after % 1000))
if ((rate_before > 0 && rate_after * 2 >= rate_before)); then
    lab_pass "500 newcomers that never answer: the four's rounds go on at no less than half their rate"
else
    lab_fail "500 newcomers that never answer: the four's rounds go on at no less than half their rate" \
        "$rate_before before, $rate_after after (rounds per 1000 s)"
fi
n_out=0
for r in "${NEW[@]}"; do says pool6 "$r" out && n_out=$((n_out + 1)); done
p6=0
for r in "${POOL6[@]}"; do says pool6 "$r" pooled && p6=$((p6 + 1)); done
if (($(nlines) == SINCE && $(count_says pooled "${POOL[@]}") == 4 && p6 == 4 && n_out == 500)); then
    lab_pass "500 newcomers: not one state change logged, the four still pooled (both services), the 500 say not pooled"
else
    lab_fail "500 newcomers: no state change, the four pooled, the 500 not" \
        "$n_out of 500 say not pooled, $p6 of pool6's four pooled" "$(lines_since "$SINCE" | head -5)"
fi
# The learners are left out of min_up's base: three of the four broken leave two
# pooled, not four (50% of 504 would hold every one).
SINCE=$(nlines)
for i in 0 1 2; do lab_exec "p$i" ip addr del "$LAB_VIP6/128" dev lo; done
wait_for 10 eval '(($(lines_since $SINCE | grep -c "^vipcheckd: pool6 .* -> down:") >= 2))' ||
    lab_fail "with 500 learners, three broken: two go down within 10 s" "$(lines_since "$SINCE")"
declare -A MARK6
for r in "${POOL6[@]}"; do MARK6[$r]=$(rounds pool6 "$r"); done
for r in "${POOL6[@]}"; do wait_for 10 rounds_past pool6 "$r" $((MARK6[$r] + FALL + 1)) || lab_fail "pool6: rounds go on"; done
p6=0
for r in "${POOL6[@]}"; do says pool6 "$r" pooled && p6=$((p6 + 1)); done
if ((p6 == 2)); then
    lab_pass "with 500 learners in pool6, three broken: exactly two pooled (the learners do not raise min_up's floor)"
else
    lab_fail "with 500 learners in pool6, three broken: exactly two pooled" "$p6 pooled" "$(lines_since "$SINCE")"
fi
stop_d "pool with 500 newcomers"
echo "# ${SECONDS} s: done"
lab_end
