#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# test_daemon_vip_http_resident.sh - vipcheckd resident with kind http: the exchange with
# the VIP at one realserver's MAC through the daemon's own lwIP stack, round after round.
#
#   VIPCHECK_TOOLS=build/tools tests/lab/test_daemon_vip_http_resident.sh
#
# The director holds the VIP on lo, as an active director does. Three realservers serve
# tests/lab/http_server.py on port 8080 for the VIP and their own address: healthy, rs2
# (its virtual host broken on the VIP only: 500 there, 200 on management) and rs3 (its
# server stopped and started again while vipcheckd runs). One service, web, with the
# planes vip-icmp, vip-http and mgmt-http over the three, and two targets of their own,
# t-ok and t-500 (a 500, refused by the default expect_status). Resident, every 500 ms:
#  - web's realservers: healthy pooled, rs2 never (app-broken-on-vip), in /status.json,
#    /metrics and the state files SERVICE.RIP and .proven;
#  - rs3's server stopped: its vip-http verdict flips, it leaves the pool no sooner than
#    fall rounds after its last good one, its files say not pooled; started again, it is
#    back no sooner than rise rounds (each counted from /status.json samples, 0.1 s apart);
#  - one packet socket, for the vip-icmp and vip-http planes both;
#  - /probe?target=NAME of kind http answers the verdict vip-http-check gives (its
#    answer holds no line), and a plane's verdict and detail on /status.json are the
#    tool's line but for the URL, RIP and MAC the page's row already names;
#  - a SIGHUP that changes t-500's expect_status to 500: t-500 up under the new rule, its
#    counters started again, the others' vipcheck_probes_total and states kept;
#  - vipcheckd's open descriptors after 20 rounds of t-ok, breaks and reloads in between,
#    are as many as after 3 (the fewest of ten samples, between rounds: a count);
#  - stopped (SIGTERM), no connection from the director is left on any realserver but
#    TIME-WAIT; started again on the same state directory, then killed (SIGKILL): the
#    files keep what was proven, rs2 never reads as pooled.
# Every wait is a hang guard, ten times what it expects; nothing is timed.
set -uo pipefail

for tool in /usr/bin/python3 curl; do
    command -v "$tool" >/dev/null || { echo "Bail out! $tool is missing"; exit 1; }
done
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=harness.sh
. "$HERE/harness.sh"
lab_tools D=vipcheckd BIN=vip-http-check

lab_begin
: "${LAB_SWITCH:=sw}" # lab_begin leaves only the env file: name the switch again
VIP=$LAB_VIP
RS1=$LAB_RS_HEALTHY RS2=192.0.2.21 RS3=192.0.2.22
WORK=$LAB_TMP/dviphttpres
S=$WORK/state
mkdir -p "$WORK/www" "$S"
PORT=9111
FALL=3 RISE=2

# --- the realservers' applications -------------------------------------------------
for rs in rs2 rs3; do
    lab_add_realserver "$rs" "$([[ $rs == rs2 ]] && echo "$RS2" || echo "$RS3")" ||
        { echo "Bail out! realserver $rs"; exit 1; }
done
printf 'vipcheck lab index\nstatus: ready\n' >"$WORK/www/index.html"
SERVER=(/usr/bin/python3 "$HERE/http_server.py" --port 8080 --body "$WORK/www/index.html")
lab_spawn healthy "$WORK/healthy.log" "${SERVER[@]}"
lab_spawn rs2 "$WORK/rs2.log" "${SERVER[@]}" --broken-on "$VIP"
lab_spawn rs3 "$WORK/rs3.log" "${SERVER[@]}"
RS3_SERVER=$LAB_SPAWNED_PID
for rs in healthy rs2 rs3; do
    lab_wait_tcp "$rs" 8080 10 || { echo "Bail out! server on $rs did not start"; cat "$WORK/$rs.log"; exit 1; }
done

# --- the configuration: t-500's rule is what the reload changes ----------------------
config() { # config EXPECT_STATUS_OF_T500 (empty: the default)
    printf 'interval: 500ms\ntimeout: 500ms\ntargets:\n'
    printf '  - {name: t-ok, kind: http, rip: %s, url: "http://%s:8080/"}\n' "$RS1" "$VIP"
    printf '  - {name: t-500, kind: http, rip: %s, url: "http://%s:8080/status/500"%s}\n' "$RS1" "$VIP" \
        "${1:+, expect_status: $1}"
    cat <<EOF
services:
  - name: web
    vip: $VIP
    port: 8080
    planes: [vip-icmp, vip-http, mgmt-http]
    vip_http: {path: /}
    mgmt_http: {url: "http://{rip}:8080/"}
    rise: $RISE
    fall: $FALL
    realservers:
      - rip: $RS1
      - rip: $RS2
      - rip: $RS3
EOF
}
CONF=$WORK/running.yaml
config "" >"$CONF"
expect_match "--check: 11 targets, 2 http of targets: and 9 from the service" 0 \
    "11 targets \\(.*5 http.*9 from 1 service" -- in_director "$D" --check --config "$CONF"

# --- the daemon under test -----------------------------------------------------------
DPID='' L=''
start_d() { # start_d LOG: resident in the director on $CONF, $S and $PORT
    L=$1
    ip netns exec "$LAB_DIRECTOR_NS" "$D" --config "$CONF" --state-dir "$S" --listen "127.0.0.1:$PORT" \
        >"$WORK/d.out" 2>"$L" &
    DPID=$!
    wait_for 10 grep -qs '^vipcheckd: probing ' "$L" || { lab_fail "vipcheckd starts" "$(cat "$L")"; lab_end; }
}
SAMPLER=''
stop_all() {
    [[ -n $SAMPLER ]] && touch "$WORK/stop" && wait "$SAMPLER"
    [[ -n $DPID ]] && kill -TERM "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
    _lab_harness_exit
}
trap stop_all EXIT

get() { in_director curl -sf --max-time 5 "http://127.0.0.1:$PORT$1"; }
# says NAME pooled|out: both state files of NAME say so (pooled: 0, and 1 in .proven).
says() {
    local a b
    a=$(cat "$S/$1" 2>/dev/null) b=$(cat "$S/$1.proven" 2>/dev/null)
    if [[ $2 == pooled ]]; then [[ $a == 0 && $b == 1 ]]; else [[ $a == 1 && $b == 0 ]]; fi
}
files() { local f; for f in "$@"; do printf '%s=%s/%s ' "$f" "$(cat "$S/$f" 2>&1)" "$(cat "$S/$f.proven" 2>&1)"; done; }
# rs RIP: web's realserver RIP as `STATE ROUNDS VIP-HTTP-VERDICT DIAGNOSIS`, from /status.json.
rs() {
    get /status.json | /usr/bin/python3 -c '
import json, sys
for s in json.load(sys.stdin)["services"]:
    for r in s["realservers"]:
        if s["name"] == "web" and r["rip"] == sys.argv[1]:
            plane = (r["planes"] or {}).get("vip-http") or {"verdict": "none"}
            print(r["state"], r["rounds"], plane["verdict"], ",".join(r["diagnosis"]))' "$1"
}
in_state() { local x; x=$(rs "$1") && [[ ${x%% *} == "$2" ]]; }
# metric NAME LABELS: the value of the /metrics series NAME{...} whose labels hold LABELS.
metric() { get /metrics | awk -v n="$1{" -v l="$2" 'index($0, n) == 1 && index($1, l) { print $2 }'; }
runs() { local n; n=$(metric vipcheck_runs_total "target=\"$1\""); echo "${n:-0}"; }
runs_past() { (($(runs "$1") >= $2)); }
# fds: vipcheckd's open descriptors, the fewest of ten samples 0.1 s apart: between two
# rounds, with no transfer and no scrape in flight, so what is counted is what stays.
fds() {
    local i n min=
    for ((i = 0; i < 10; i++)); do
        n=$(find "/proc/$DPID/fd" -mindepth 1 -maxdepth 1 | wc -l)
        [[ -z $min ]] || ((n < min)) && min=$n
        sleep 0.1
    done
    echo "$min"
}

start_d "$WORK/d1.err"

# --- 1. the service: healthy pooled, rs2 app-broken-on-vip ---------------------------
if wait_for 20 in_state "$RS1" up && wait_for 20 says "web.$RS1" pooled; then
    lab_pass "web $RS1 learning -> up, its files say pooled ($(rs "$RS1"))"
else
    lab_fail "web $RS1 up and pooled" "$(rs "$RS1")" "$(files "web.$RS1")" "$(tail -3 "$L")"
fi
wait_for 20 in_state "$RS3" up || lab_fail "web $RS3 up" "$(rs "$RS3")"
x=$(rs "$RS2")
if [[ $x == "learning "*" http-status app-broken-on-vip" ]] && says "web.$RS2" out &&
    says "web.$RS2.vip-http" out && says "web.$RS2.mgmt-http" pooled && says "web.$RS2.vip-icmp" pooled; then
    lab_pass "web $RS2: vip-http http-status, mgmt-http up: app-broken-on-vip, never pooled ($x; $(files "web.$RS2"))"
else
    lab_fail "web $RS2: app-broken-on-vip, never pooled" "$x" \
        "$(files "web.$RS2" "web.$RS2.vip-http" "web.$RS2.mgmt-http" "web.$RS2.vip-icmp")"
fi
m=$(get /metrics)
if grep -qx "vipcheck_realserver_up{service=\"web\",vip=\"$VIP\",port=\"8080\",rip=\"$RS1\"} 1" <<<"$m" &&
    grep -qx "vipcheck_realserver_up{service=\"web\",vip=\"$VIP\",port=\"8080\",rip=\"$RS2\"} 0" <<<"$m" &&
    grep -qx "vipcheck_realserver_diagnosis{service=\"web\",vip=\"$VIP\",port=\"8080\",rip=\"$RS2\",code=\"app-broken-on-vip\"} 1" <<<"$m" &&
    grep -qx "vipcheck_probe_verdict{target=\"web.$RS2.vip-http\",kind=\"http\",vip=\"$VIP\",rip=\"$RS2\",verdict=\"http-status\"} 1" <<<"$m"; then
    lab_pass "/metrics: vipcheck_realserver_up 1 and 0, app-broken-on-vip, the vip-http plane's verdict"
else
    lab_fail "/metrics: the realservers and the vip-http plane" "$(grep -E "realserver_up|app-broken|$RS2.vip-http.*verdict" <<<"$m")"
fi
if wait_for 20 says t-ok pooled && wait_for 20 says t-500 out; then
    lab_pass "targets: t-ok's files say up, t-500's (a 500 against the default expect_status) down"
else
    lab_fail "targets: t-ok up, t-500 down" "$(files t-ok t-500)"
fi

# --- 2. one capture for every kind ------------------------------------------------------
# The vip-icmp plane's echoes and the vip-http plane's connections go out and come back
# on one interface: vipcheckd holds one packet socket for both (/proc/net/packet of its
# namespace lists every packet socket by inode; its descriptors name theirs).
packet_sockets() {
    local inodes
    inodes=$(find "/proc/$DPID/fd" -mindepth 1 -maxdepth 1 -printf '%l\n' | sed -nE 's/^socket:\[([0-9]+)\]$/\1/p')
    awk -v list="$inodes" 'BEGIN { n = split(list, a, "\n"); for (i = 1; i <= n; i++) mine[a[i]] = 1 }
        NR > 1 && ($9 in mine) { count++ } END { print count + 0 }' "/proc/$DPID/net/packet"
}
x=$(packet_sockets)
if [[ $x == 1 ]]; then
    lab_pass "one packet socket for the vip-icmp and vip-http planes on one interface"
else
    lab_fail "one packet socket for every kind on one interface" "$x" "$(cat "/proc/$DPID/net/packet")"
fi

# --- 4a. descriptors after 3 rounds -----------------------------------------------------
wait_for 20 runs_past t-ok 3 || lab_fail "t-ok has 3 runs" "$(runs t-ok)"
FDS3=$(fds)
RUNS3=$(runs t-ok)

# --- 3. /probe and the tool --------------------------------------------------------------
tool() { in_director "$BIN" --timeout 500ms "$@"; }
for c in "t-ok|up|http://$VIP:8080/|$RS1" "t-500|http-status|http://$VIP:8080/status/500|$RS1" \
    "web.$RS2.vip-http|http-status|http://$VIP:8080/|$RS2"; do
    IFS='|' read -r name want url rip <<<"$c"
    answer=$(get "/probe?target=$name")
    tool_line=$(tool "$url" "$rip")
    success=$([[ $want == up ]] && echo 1 || echo 0)
    if [[ $answer == *$'\nprobe_success '"$success"$'\n'* && $answer == *"vipcheck_probe_verdict{verdict=\"$want\"} 1"* &&
        ${tool_line%% *} == "$want" ]]; then
        lab_pass "/probe?target=$name: $want, as vip-http-check says"
    else
        lab_fail "/probe?target=$name: $want, as vip-http-check says" "$(grep -v '^#' <<<"$answer" | tr '\n' ' ')" \
            "vip-http-check: $tool_line"
    fi
done
detail=$(get /status.json | /usr/bin/python3 -c '
import json, sys
s = json.load(sys.stdin)["services"][0]
r = next(r for r in s["realservers"] if r["rip"] == sys.argv[1])
p = r["planes"]["vip-http"]
print(p["verdict"], p["detail"])' "$RS2")
tool_line=$(tool "http://$VIP:8080/" "$RS2")
# The tool's line is VERDICT URL on RIP [MAC] via IF src ADDR: DETAIL; the page's plane
# holds the verdict and DETAIL, its row naming the realserver.
if [[ $(_lab_timeless <<<"$tool_line") == "${detail%% *} http://$VIP:8080/ on $RS2 ["*"] via $LAB_DIRECTOR_IF src $LAB_DIRECTOR_IP: $(_lab_timeless <<<"${detail#* }")" ]]; then
    lab_pass "/status.json: web $RS2's vip-http verdict and detail are vip-http-check's ($detail)"
else
    lab_fail "/status.json: web $RS2's vip-http verdict and detail are vip-http-check's" \
        "vipcheckd: $detail" "vip-http-check: $tool_line"
fi

# --- 2. rs3's server stopped, then started again ---------------------------------------
# Every 0.1 s, rs3's `STATE ROUNDS VIP-HTTP-VERDICT DIAGNOSIS` from /status.json.
# It stops at its next turn once $WORK/stop exists, so that no sample is still being
# written when the samples are read.
(while [[ ! -e $WORK/stop ]]; do rs "$RS3"; sleep 0.1; done) >"$WORK/rs3.samples" 2>/dev/null &
SAMPLER=$!
kill "$RS3_SERVER"
if wait_for 20 in_state "$RS3" down && wait_for 10 says "web.$RS3" out; then
    lab_pass "rs3's server stopped: web $RS3 down, its files say not pooled ($(rs "$RS3"); $(files "web.$RS3"))"
else
    lab_fail "rs3's server stopped: web $RS3 down, not pooled" "$(rs "$RS3")" "$(files "web.$RS3")"
fi
down_verdict=$(rs "$RS3" | awk '{ print $3 }')
if [[ $down_verdict == port-closed ]] && says "web.$RS3.vip-http" out &&
    [[ $(metric vipcheck_realserver_up "rip=\"$RS3\"") == 0 ]]; then
    lab_pass "its vip-http target flipped to port-closed, vipcheck_realserver_up 0"
else
    lab_fail "its vip-http target flipped to port-closed, vipcheck_realserver_up 0" \
        "verdict $down_verdict, $(files "web.$RS3.vip-http")" "$(metric vipcheck_realserver_up "rip=\"$RS3\"")"
fi
lab_spawn rs3 "$WORK/rs3.log" "${SERVER[@]}"
lab_wait_tcp rs3 8080 10 || lab_fail "rs3's server starts again"
if wait_for 20 in_state "$RS3" up && wait_for 10 says "web.$RS3" pooled; then
    lab_pass "started again: web $RS3 back up, its files say pooled ($(rs "$RS3"))"
else
    lab_fail "started again: web $RS3 back up and pooled" "$(rs "$RS3")" "$(files "web.$RS3")"
fi
sampled_back() { grep -q '^down ' "$WORK/rs3.samples" && [[ $(tail -1 "$WORK/rs3.samples") == "up "* ]]; }
wait_for 10 sampled_back || lab_fail "the sampler saw web $RS3 down and back up" "$(tail -3 "$WORK/rs3.samples")"
touch "$WORK/stop"
wait "$SAMPLER"
SAMPLER=''
# Rounds are counted, not timed. The last sample with vip-http up is no later than the
# last good round G, and leaving the pool takes round G + fall, so the first sample that
# says down has at least that sample's rounds + fall; the same for rise on the way back.
# A judge that departed from fall or rise would show a smaller gap in samples 0.1 s apart;
# a slow sampler can only widen it.
read -r last_good first_down last_bad first_up < <(awk '
    $1 == "up" && $3 == "up" && !down { good = $2 }
    $1 == "down" && !down { down = $2 }
    down && $3 != "up" { bad = $2 }
    down && $1 == "up" && !up { up = $2 }
    END { print good + 0, down + 0, bad + 0, up + 0 }' "$WORK/rs3.samples")
if ((first_down >= last_good + FALL && last_good > 0)); then
    lab_pass "down no sooner than fall ($FALL) rounds after the last good one: rounds $last_good, then down at $first_down"
else
    lab_fail "down no sooner than fall ($FALL) rounds after the last good one" \
        "last good at $last_good, down at $first_down" "$(uniq -c "$WORK/rs3.samples" | head -30 | xargs -d "\n" printf "%s; ")"
fi
if ((first_up >= last_bad + RISE && last_bad > 0)); then
    lab_pass "up again no sooner than rise ($RISE) rounds after the last failing one: rounds $last_bad, then up at $first_up"
else
    lab_fail "up again no sooner than rise ($RISE) rounds after the last failing one" \
        "last failing at $last_bad, up at $first_up" "$(uniq -c "$WORK/rs3.samples" | tail -30 | xargs -d "\n" printf "%s; ")"
fi
if [[ $(grep -c "^vipcheckd: web $RS3 up -> down: " "$L") == 1 && $(grep -c "^vipcheckd: web $RS3 down -> up: " "$L") == 1 ]]; then
    lab_pass "one 'up -> down' and one 'down -> up' line for web $RS3"
else
    lab_fail "one 'up -> down' and one 'down -> up' line for web $RS3" "$(grep "web $RS3" "$L")"
fi

# --- 5. SIGHUP: t-500's expect_status becomes 500 --------------------------------------
up_probes() { local n; n=$(get /metrics | awk -v t="target=\"$1\"" 'index($1, "vipcheck_probes_total{") == 1 && index($1, t) && index($1, "verdict=\"up\"") { print $2 }'); echo "${n:-0}"; }
declare -A BEFORE
KEPT=(t-ok "web.$RS1.vip-http" "web.$RS1.mgmt-http" "web.$RS3.vip-http")
for t in "${KEPT[@]}"; do BEFORE[$t]=$(up_probes "$t"); done
bad500=$(metric vipcheck_probes_total 'target="t-500"')
rs1_before=$(get /status.json | /usr/bin/python3 -c '
import json, sys
r = next(r for r in json.load(sys.stdin)["services"][0]["realservers"] if r["rip"] == sys.argv[1])
print(r["state"], r["transitions"])' "$RS1")
config 500 >"$CONF"
kill -HUP "$DPID"
wait_for 10 grep -q '^vipcheckd: reloaded ' "$L" || lab_fail "vipcheckd reloads" "$(tail -3 "$L")"
# Read at once: a counter started again would be a round or two, below what it was.
declare -A AFTER
for t in "${KEPT[@]}"; do AFTER[$t]=$(up_probes "$t"); done
if wait_for 20 says t-500 pooled; then
    lab_pass "SIGHUP, t-500's expect_status 500: its files say up"
else
    lab_fail "SIGHUP, t-500's expect_status 500: its files say up" "$(files t-500)" "$(tail -3 "$L")"
fi
m=$(get /metrics)
if grep -q '^vipcheck_probes_total{target="t-500",.*verdict="up"} [1-9]' <<<"$m" &&
    ! grep -q '^vipcheck_probes_total{target="t-500",.*verdict="http-status"}' <<<"$m"; then
    lab_pass "t-500 started again: vipcheck_probes_total counts up, its http-status series ($bad500 before) gone"
else
    lab_fail "t-500 started again under the new rule" "$(grep 'vipcheck_probes_total{target="t-500"' <<<"$m")"
fi
grown() { (($(up_probes "$1") > AFTER[$1])); }
ok=true
for t in "${KEPT[@]}"; do
    if ((AFTER[$t] < BEFORE[$t])) || ! wait_for 10 grown "$t"; then
        ok=false
        lab_fail "SIGHUP keeps $t's vipcheck_probes_total{verdict=\"up\"}, which goes on" \
            "${BEFORE[$t]} before, ${AFTER[$t]} just after, $(up_probes "$t") now"
    fi
done
$ok && lab_pass "SIGHUP keeps the unchanged targets' counters, which go on: $(for t in "${KEPT[@]}"; do
    printf '%s %s -> %s -> %s; ' "$t" "${BEFORE[$t]}" "${AFTER[$t]}" "$(up_probes "$t")"
done)"
rs1_after=$(get /status.json | /usr/bin/python3 -c '
import json, sys
r = next(r for r in json.load(sys.stdin)["services"][0]["realservers"] if r["rip"] == sys.argv[1])
print(r["state"], r["transitions"])' "$RS1")
if [[ $rs1_before == "up 1" && $rs1_after == "$rs1_before" ]] && says "web.$RS1" pooled; then
    lab_pass "SIGHUP keeps web $RS1's standing (state and transitions: $rs1_after)"
else
    lab_fail "SIGHUP keeps web $RS1's standing" "before: $rs1_before, after: $rs1_after"
fi

# --- 4b. descriptors after 20 rounds, and what is left on the realservers -------------
wait_for 30 runs_past t-ok 20 || lab_fail "t-ok has 20 runs" "$(runs t-ok)"
FDS20=$(fds)
RUNS20=$(runs t-ok)
if ((FDS20 == FDS3)); then
    lab_pass "vipcheckd's descriptors: $FDS3 after $RUNS3 runs of t-ok, $FDS20 after $RUNS20 (a stopped server, a reload between)"
else
    lab_fail "vipcheckd's descriptors bounded" "$FDS3 after $RUNS3 runs of t-ok, $FDS20 after $RUNS20:" \
        "$(find "/proc/$DPID/fd" -mindepth 1 -maxdepth 1 -printf '%l\n' | sed -E 's/[0-9]+/N/g' | sort | uniq -c | xargs)"
fi
rc=0
kill -TERM "$DPID"
wait "$DPID" || rc=$?
DPID=''
if ((rc == 0)); then lab_pass "SIGTERM: exit 0"; else lab_fail "SIGTERM: exit 0" "exit $rc"; fi
left() { # the director's connections on every realserver, but TIME-WAIT
    local rs
    for rs in healthy rs2 rs3; do
        { lab_tcp_conns "$rs" "[::ffff:$LAB_DIRECTOR_IP]"; lab_tcp_conns "$rs" "$LAB_DIRECTOR_IP"; } |
            grep -v '^TIME-WAIT ' | sed "s/^/$rs: /"
    done
}
no_conn_left() { [[ -z $(left) ]]; }
if wait_for 10 no_conn_left; then
    lab_pass "stopped: no connection from the director left on healthy, rs2 or rs3 but TIME-WAIT"
else
    lab_fail "stopped: no connection from the director left on the realservers but TIME-WAIT" "$(left)"
fi

# --- 6. restarted on the same files, then SIGKILL -----------------------------------------
# Fail static (vipcheckd(8), STATE FILES): a learner keeps what its files said, and a
# killed vipcheckd leaves them as they were; rs2, never proven, never reads as pooled.
# This is lab-daemon-keepalived's restart for the frame kinds, once here for kind http.
start_d "$WORK/d2.err"
if says "web.$RS1" pooled && says "web.$RS2" out && says t-500 pooled; then
    lab_pass "restarted: web $RS1 still pooled while it learns, web $RS2 still not ($(rs "$RS1" | cut -d' ' -f1))"
else
    lab_fail "restarted: the files keep what was proven" "$(files "web.$RS1" "web.$RS2" t-500)"
fi
wait_for 20 runs_past t-ok 2 || lab_fail "t-ok has 2 runs after the restart" "$(runs t-ok)"
kill -KILL "$DPID"
wait "$DPID" 2>/dev/null
DPID=''
if says "web.$RS1" pooled && says "web.$RS3" pooled && says "web.$RS2" out && says "web.$RS2.vip-http" out &&
    says t-ok pooled; then
    lab_pass "SIGKILL: the files keep their values, rs2 not pooled ($(files "web.$RS1" "web.$RS2"))"
else
    lab_fail "SIGKILL: the files keep their values" "$(files "web.$RS1" "web.$RS3" "web.$RS2" "web.$RS2.vip-http" t-ok)"
fi
expect_no_vip_leaks "no frame for or from the VIP on the switch"

lab_end
