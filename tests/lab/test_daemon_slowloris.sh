#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# test_daemon_slowloris.sh - slow clients cannot blind vipcheckd's endpoint: during a
# slowloris of 2,000 connections from one address, /metrics answers another client,
# and at once after it; probing and state files go on undelayed meanwhile
# (vipcheckd(8), HTTP ENDPOINT).
#
#   VIPCHECK_TOOLS=build/tools tests/lab/test_daemon_slowloris.sh
#
# vipcheckd listens on the director's 127.0.0.1:9105; slowloris.py attacks from
# 127.0.0.2, curl scrapes from 127.0.0.1. Every scrape has a 10 s hang guard.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=harness.sh
. "$HERE/harness.sh"
lab_tools D=vipcheckd

CONNECTIONS=2000
HOLD=30
lab_begin
S=$LAB_TMP/vipcheckd-state
mkdir -p "$S"
cat >"$LAB_TMP/vipcheckd.yaml" <<EOF
interval: 1s
timeout: 300ms
targets:
  - {name: web-rs1, kind: icmp, vip: $LAB_VIP, rip: $LAB_RS_HEALTHY}
  - {name: web-rs2, kind: icmp, vip: $LAB_VIP, rip: $LAB_RS_NOVIP}
  - {name: slow, kind: icmp, vip: $LAB_VIP, rip: $LAB_RS_DROPPED, timeout: 7s, interval: 300s}
EOF
ip netns exec "$LAB_DIRECTOR_NS" "$D" --config "$LAB_TMP/vipcheckd.yaml" --listen 127.0.0.1:9105 \
    --state-dir "$S" >"$LAB_TMP/vipcheckd.log" 2>&1 &

# scrape: /metrics into $LAB_TMP/metrics; prints "HTTP_CODE SECONDS" (000 when curl gave up).
scrape() {
    rm -f "$LAB_TMP/metrics"
    ip netns exec "$LAB_DIRECTOR_NS" curl -s -m 10 -o "$LAB_TMP/metrics" -w '%{http_code} %{time_total}' \
        http://127.0.0.1:9105/metrics
}
# runs TARGET: the probes run for TARGET so far (vipcheck_runs_total) in the last scrape.
runs() {
    [[ -s $LAB_TMP/metrics ]] || { echo 0; return; }
    awk -v t="target=\"$1\"" '/^vipcheck_runs_total\{/ && index($0, t) { n += $NF } END { print n + 0 }' \
        "$LAB_TMP/metrics"
}
# wait_file FILE WANT SECONDS: FILE holds WANT within SECONDS.
wait_file() {
    local i
    for ((i = 0; i < $3 * 10; i++)); do
        [[ $(cat "$1" 2>/dev/null) == "$2" ]] && return 0
        sleep 0.1
    done
    return 1
}
# attacker_conns: the attacker's connections vipcheckd holds, and those still waiting in
# its accept queue (the listening socket's Recv-Q).
attacker_conns() {
    local established queued
    established=$(ip netns exec "$LAB_DIRECTOR_NS" ss -Htn state established '( sport = :9105 and dst 127.0.0.2 )' |
        grep -c '')
    queued=$(ip netns exec "$LAB_DIRECTOR_NS" ss -Hltn '( sport = :9105 )' | awk '{ print $2; exit }')
    echo "$((established - ${queued:-0})) accepted, ${queued:-0} in the accept queue"
}

if wait_file "$S/web-rs1" 0 20 && wait_file "$S/web-rs2" 1 20 && [[ $(scrape) == 200* ]]; then
    lab_pass "before the attack: state files say web-rs1 up, web-rs2 down, /metrics answers"
else
    lab_fail "before the attack: state files say web-rs1 up, web-rs2 down, /metrics answers" \
        "$(tail -3 "$LAB_TMP/vipcheckd.log")"
    lab_end
fi

# The attack: bounded in count and time, it stops by itself.
ip netns exec "$LAB_DIRECTOR_NS" /usr/bin/python3 "$HERE/slowloris.py" 127.0.0.1 9105 127.0.0.2 \
    "$CONNECTIONS" "$HOLD" "$LAB_TMP/attack-ready" >"$LAB_TMP/attack.log" 2>&1 &
ATTACK=$!
for ((i = 0; i < 200; i++)); do
    [[ -s $LAB_TMP/attack-ready ]] && break
    sleep 0.1
done
read -r _ opened <"$LAB_TMP/attack-ready" 2>/dev/null
if ((${opened:-0} >= CONNECTIONS * 9 / 10)); then
    lab_pass "slowloris: $opened of $CONNECTIONS connections open from 127.0.0.2"
else
    lab_fail "slowloris: $opened of $CONNECTIONS connections open from 127.0.0.2" "$(cat "$LAB_TMP/attack.log")"
fi

attacking() { kill -0 "$ATTACK" 2>/dev/null; }
# scrape_check DESC: /metrics must answer (a 200) within the hang guard while the
# attack is still on.
scrape_check() {
    local got
    got=$(scrape)
    if [[ $got == 200* ]] && attacking; then
        lab_pass "$1 (${got#* } s)"
    elif ! attacking; then
        lab_fail "$1" "the attack ended before the scrape was answered: it proves nothing (curl: $got)"
    else
        lab_fail "$1" "curl: code and seconds '$got', want 200 within the 10 s hang guard" \
            "attacker connections: $(attacker_conns)"
    fi
}
scrape_check "during the attack: /metrics answers another client"
before=$(runs web-rs1)

# A VIP goes while the attack runs: the state file flips within a few intervals.
lab_exec healthy ip addr del "$LAB_VIP/32" dev lo
if wait_file "$S/web-rs1" 1 10 && attacking; then
    lab_pass "during the attack: web-rs1's state file says down once its VIP is removed"
else
    lab_fail "during the attack: web-rs1's state file says down once its VIP is removed" \
        "state file: '$(cat "$S/web-rs1")'; attack running: $(attacking && echo yes || echo no)"
fi
lab_exec healthy ip addr add "$LAB_VIP/32" dev lo
if wait_file "$S/web-rs1" 0 10 && attacking; then
    lab_pass "during the attack: web-rs1's state file says up again with its VIP"
else
    lab_fail "during the attack: web-rs1's state file says up again with its VIP" "state file: '$(cat "$S/web-rs1")'"
fi

scrape_check "during the attack: /metrics answers again"
after=$(runs web-rs1)
if ((after > before)); then
    lab_pass "during the attack: web-rs1's runs went on ($before, then $after)"
else
    lab_fail "during the attack: web-rs1's runs went on" "runs $before, then $after"
fi
held=$(attacker_conns)
if attacking; then
    echo "# attacker connections: $held"
else
    lab_fail "the attack lasted through the checks" "it ended early: $(cat "$LAB_TMP/attack.log")"
fi

# After the attack: answered at once (the hang guard bounds "at once"; the old endpoint
# left the attacker's closed connections queued for tens of seconds).
wait "$ATTACK"
echo "# slowloris: $(cat "$LAB_TMP/attack.log")"
got=$(scrape)
if [[ $got == 200* ]]; then
    lab_pass "after the attack: /metrics answers at once (${got#* } s)"
else
    lab_fail "after the attack: /metrics answers at once" "curl: code and seconds '$got'"
fi
# A /probe waits, silent, for as long as its probe runs: the idle timeout that lets slow
# clients go must not cut it (a probe of 7 s against a 5 s idle timeout).
got=$(ip netns exec "$LAB_DIRECTOR_NS" curl -s -m 70 -w '%{http_code} %{time_total}' \
    'http://127.0.0.1:9105/probe?target=slow')
# (Its scheduled run came at the start; this /probe starts one of its own.)
if [[ $got == *'verdict="no-reply"'*200* ]] && awk -v t="${got##* }" 'BEGIN { exit !(t >= 5) }'; then
    lab_pass "a /probe that takes 7 s is answered (${got##* } s)"
else
    lab_fail "a /probe that takes 7 s is answered" "curl: '$got', want no-reply, 200, after 5 s or more"
fi
# A client that stops half-way through its request is let go by the endpoint: the
# connection is closed by the server (the idle timeout of vipcheckd(8), HTTP ENDPOINT,
# 5 s; 50 s is the hang guard, so this proves there is a timeout, not its value).
got=$(ip netns exec "$LAB_DIRECTOR_NS" /usr/bin/python3 -c '
import socket, time
s = socket.create_connection(("127.0.0.1", 9105), timeout=50)
s.sendall(b"GET /metrics HTTP/1.1\r\nHost: vipcheckd\r\n")
start = time.monotonic()
try:
    data = s.recv(4096)
    print("closed" if data == b"" else "answered", round(time.monotonic() - start, 1))
except socket.timeout:
    print("open", round(time.monotonic() - start, 1))
except ConnectionResetError:
    print("closed", round(time.monotonic() - start, 1))
')
if [[ $got == closed* ]]; then
    lab_pass "a client silent half-way through its request is closed by the endpoint (after ${got#* } s)"
else
    lab_fail "a client silent half-way through its request is closed by the endpoint" "got: '$got'"
fi
if grep -q "error\|exception" "$LAB_TMP/vipcheckd.log"; then
    lab_fail "vipcheckd logged no error" "$(tail -3 "$LAB_TMP/vipcheckd.log")"
else
    lab_pass "vipcheckd logged no error"
fi
lab_end
