#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# test_daemon_status.sh - vipcheckd's status page in a real browser.
#
#   VIPCHECK_TOOLS=build/tools tests/lab/test_daemon_status.sh [SCREENSHOT.png]
#
# vipcheckd resident with --listen and two services over the lab's healthy, novip and
# absent realservers (vipcheckd(8), STATUS PAGE): /status.json is JSON with the
# documented members; Debian's chromium, headless, loads / and its DOM has one row per
# realserver with the state the judge gave (the healthy one up, the failing learners
# still learning), that state as a word in its cell, each plane's verdict and the
# diagnosis codes; its screenshot is kept for a person (SCREENSHOT.png, or
# ./lab-daemon-status.png). Without chromium it fails, as a lab does without any tool
# it tests with: scripts/install-deps --test installs it.
set -uo pipefail
# shellcheck source=harness.sh
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
lab_tools D=vipcheckd
SHOT=$(realpath -m -- "${1:-lab-daemon-status.png}")
CHROMIUM=$(command -v chromium) || {
    echo "not ok - chromium is not installed (scripts/install-deps --test installs it)"
    exit 1
}

lab_begin
C=$LAB_TMP/conf
mkdir -p "$C"
lab_tcp_listen healthy 0.0.0.0 80 "$LAB_TMP/listener.log" || lab_fail "TCP listener on healthy"
PORT=9107
BASE=http://127.0.0.1:$PORT

# What each realserver must show, once judged: STATE CODES. A learner that fails stays
# learning (judge.hpp): only being proven up ends learning.
# shellcheck disable=SC2034 # WANT and PLANE are read through pairs' nameref
declare -A WANT=(
    ["web $LAB_RS_HEALTHY"]="up healthy"
    ["web $LAB_RS_NOVIP"]="learning vip-silent"
    ["web $LAB_RS_ABSENT"]="learning rs-unreachable"
    ["closed $LAB_RS_HEALTHY"]="learning service-down-on-vip"
)
# The verdict each plane cell must show: SERVICE RIP PLANE -> verdict.
# shellcheck disable=SC2034
declare -A PLANE=(
    ["web $LAB_RS_HEALTHY vip-icmp"]=up ["web $LAB_RS_HEALTHY vip-syn"]=up ["web $LAB_RS_HEALTHY arp"]=up
    ["web $LAB_RS_NOVIP vip-icmp"]=no-reply ["web $LAB_RS_NOVIP vip-syn"]=no-reply
    ["web $LAB_RS_ABSENT vip-icmp"]=rs-unreachable ["web $LAB_RS_ABSENT arp"]=rs-unreachable
    ["closed $LAB_RS_HEALTHY vip-syn"]=port-closed
)
pairs() { # NAME of an associative array -> "KEY=VALUE;..." for the Python checks
    local -n a=$1
    local k
    for k in "${!a[@]}"; do printf '%s=%s;' "$k" "${a[$k]}"; done | sed 's/;$//'
}
cat >"$C/status.yaml" <<EOF
interval: 1s
timeout: 500ms
services:
  - name: web
    vip: $LAB_VIP
    port: 80
    planes: [vip-icmp, vip-syn, arp]
    rise: 2
    fall: 3
    realservers:
      - rip: $LAB_RS_HEALTHY
      - rip: $LAB_RS_NOVIP
      - rip: $LAB_RS_ABSENT
  - name: closed
    vip: $LAB_VIP
    port: 81
    planes: [vip-icmp, vip-syn]
    min_up: 1
    realservers:
      - rip: $LAB_RS_HEALTHY
EOF

ip netns exec "$LAB_DIRECTOR_NS" "$D" --config "$C/status.yaml" --listen "127.0.0.1:$PORT" \
    >"$LAB_TMP/d.out" 2>"$LAB_TMP/d.err" &
DPID=$!

get() { # PATH [CURL OPTION...]: the page, from inside the director
    ip netns exec "$LAB_DIRECTOR_NS" curl -s -m 5 "${@:2}" "$BASE$1"
}

# Judged: every realserver has had two rounds at least and shows what its fault gives.
# shellcheck disable=SC2317 # called by wait_for
judged() {
    get /status.json | /usr/bin/python3 -c '
import json, sys
want = dict(l.split("=", 1) for l in sys.argv[1].split(";"))
for s in json.load(sys.stdin)["services"]:
    for r in s["realservers"]:
        state, codes = want[s["name"] + " " + r["rip"]].split(" ")
        if r["rounds"] < 2 or r["state"] != state or r["diagnosis"] != codes.split(","):
            sys.exit(1)
' "$(pairs WANT)" 2>/dev/null
}
if wait_for 60 judged; then
    lab_pass "/status.json: the healthy realserver up, the failing learners still learning, each with its codes"
else
    lab_fail "/status.json: every realserver judged as its fault gives" "$(get /status.json)" "$(cat "$LAB_TMP/d.err")"
fi

get /status.json >"$LAB_TMP/status.json"
if /usr/bin/python3 - "$LAB_TMP/status.json" "$(pairs WANT)" "$(pairs PLANE)" "$LAB_VIP" <<'EOF'; then
import json, sys, time
doc = json.load(open(sys.argv[1]))
want = dict(l.split("=", 1) for l in sys.argv[2].split(";"))
plane = dict(l.split("=", 1) for l in sys.argv[3].split(";"))
assert list(doc) == ["version", "generated", "services"], list(doc)
assert isinstance(doc["version"], str) and doc["version"], doc["version"]
assert abs(doc["generated"] - time.time()) < 60, doc["generated"]
assert [s["name"] for s in doc["services"]] == ["web", "closed"]
for s in doc["services"]:
    assert list(s) == ["name", "vip", "port", "planes", "depool_on", "rise", "fall", "min_up", "counts",
                       "realservers"], list(s)
    assert s["vip"] == sys.argv[4] and s["port"] == (80 if s["name"] == "web" else 81), s
    assert s["planes"] == (["vip-icmp", "vip-syn", "arp"] if s["name"] == "web" else ["vip-icmp", "vip-syn"]), s
    assert s["depool_on"] == ["vip-icmp", "vip-syn"], s
    assert (s["rise"], s["fall"]) == (2, 3), s
    assert s["min_up"] == (None if s["name"] == "web" else "1"), s
    states = [r["state"] for r in s["realservers"]]
    assert s["counts"] == {k: states.count(k) for k in ("learning", "up", "down", "held")}, s
    for r in s["realservers"]:
        key = s["name"] + " " + r["rip"]
        assert list(r) == ["rip", "state", "since", "transitions", "rounds", "planes", "diagnosis", "detail"], r
        assert [r["state"], ",".join(r["diagnosis"])] == want.pop(key).split(" "), r
        assert r["since"] <= doc["generated"] and r["detail"], r
        assert r["transitions"] == (1 if r["state"] == "up" else 0), r
        assert list(r["planes"]) == s["planes"], r
        for p, result in r["planes"].items():
            assert list(result) == ["verdict", "detail"], r
            assert result["verdict"] == plane.pop(key + " " + p, result["verdict"]), (p, r)
assert not want and not plane, (want, plane)
EOF
    lab_pass "/status.json: valid JSON with the documented members, counts and plane verdicts"
else
    lab_fail "/status.json: valid JSON with the documented members" "$(cat "$LAB_TMP/status.json")"
fi

# Each page says what it is; an unknown path names the pages there are.
type_of() { get "$1" -o /dev/null -w '%{http_code} %{content_type}'; }
if [[ $(type_of /) == "200 text/html; charset=utf-8" && $(type_of /status.json) == "200 application/json" &&
    $(type_of /metrics) == "200 text/plain; version=0.0.4; charset=utf-8" && $(type_of /nope) == 404\ * &&
    $(get /nope) == *"/status.json"* ]]; then
    lab_pass "content types: / is HTML, /status.json JSON, /metrics Prometheus text; a 404 names the pages"
else
    lab_fail "content types of /, /status.json, /metrics and a 404" \
        "$(type_of /) | $(type_of /status.json) | $(type_of /metrics) | $(type_of /nope) $(get /nope)"
fi

# The browser, in the director where the address is. Its profile and HOME in the lab's
# directory: nothing of root's is read or written. --no-sandbox because CI runs it as
# root in a chroot (no user namespaces for the sandbox); --disable-dev-shm-usage for a
# root without a roomy /dev/shm.
mkdir -p "$LAB_TMP/home"
# shellcheck disable=SC2317 # called by lab_run
browse() {
    HOME=$LAB_TMP/home timeout -k 5 120 ip netns exec "$LAB_DIRECTOR_NS" "$CHROMIUM" --headless --no-sandbox \
        --disable-gpu --disable-dev-shm-usage --no-first-run --user-data-dir="$LAB_TMP/chrome" "$@" "$BASE/"
}
lab_run browse --dump-dom
if /usr/bin/python3 - "$LAB_TMP/out" "$(pairs WANT)" "$(pairs PLANE)" <<'EOF'; then
import sys
from html.parser import HTMLParser
want = dict(l.split("=", 1) for l in sys.argv[2].split(";"))
plane = dict(l.split("=", 1) for l in sys.argv[3].split(";"))

class Rows(HTMLParser):
    """Each <tr data-rip> with its table's service and the text of each cell by class."""
    def __init__(self):
        super().__init__()
        self.rows, self.service, self.row, self.cell, self.refresh = [], None, None, None, None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "meta" and a.get("http-equiv") == "refresh":
            self.refresh = a.get("content")
        if tag == "table":
            self.service = a.get("data-service")
        if tag == "tr" and "data-rip" in a:
            self.row = {"service": self.service, "attrs": a, "cells": []}
            self.rows.append(self.row)
        if tag == "td" and self.row is not None:
            self.cell = {"class": a.get("class", ""), "plane": a.get("data-plane"), "text": ""}
            self.row["cells"].append(self.cell)
    def handle_endtag(self, tag):
        if tag == "td":
            self.cell = None
        if tag == "tr":
            self.row = None
    def handle_data(self, data):
        if self.cell is not None:
            self.cell["text"] += data

p = Rows()
p.feed(open(sys.argv[1]).read())
assert p.refresh == "5", p.refresh
assert len(p.rows) == len(want), [r["attrs"] for r in p.rows]
for r in p.rows:
    key = f'{r["service"]} {r["attrs"]["data-rip"]}'
    state, codes = want.pop(key).split(" ")
    assert r["attrs"]["data-state"] == state and r["attrs"]["data-diagnosis"] == codes, (key, r["attrs"])
    cells = {c["class"].split()[0]: c for c in r["cells"]}
    # Readable without colour: the state is the word in its cell, beside its colour class.
    assert cells["state"]["text"] == state and cells["state"]["class"] == "state " + state, (key, cells["state"])
    assert cells["rip"]["text"] == r["attrs"]["data-rip"], (key, cells["rip"])
    assert cells["codes"]["text"] == codes.replace(",", ", "), (key, cells["codes"])
    assert cells["detail"]["text"], key
    assert "ago" in cells["since"]["text"], (key, cells["since"])
    for c in r["cells"]:
        if c["plane"]:
            assert c["text"] == plane.pop(f'{key} {c["plane"]}', c["text"]), (key, c)
assert not want and not plane, (want, plane)
EOF
    lab_pass "chromium: the DOM of / has a row per realserver with its state (as a word too), verdicts and codes"
else
    lab_fail "chromium: the DOM of / has a row per realserver with its state, verdicts and codes"
    _lab_show_capture
fi

# A screenshot for a person, kept beside the build. A blank or error page is a few KiB
# of one colour; the tables make it far larger.
rm -f "$SHOT"
lab_run browse --screenshot="$LAB_TMP/status.png" --window-size=1280,800
size=$(stat -c %s "$LAB_TMP/status.png" 2>/dev/null || echo 0)
if [[ $(head -c 8 "$LAB_TMP/status.png" 2>/dev/null | od -An -tx1 | tr -d ' ') == 89504e470d0a1a0a ]] &&
    ((size > 20000)) && cp "$LAB_TMP/status.png" "$SHOT"; then
    lab_pass "chromium: a screenshot of / (PNG, $size bytes): $SHOT"
else
    lab_fail "chromium: a screenshot of /" "size $size"
    _lab_show_capture
fi

kill -TERM "$DPID"
rc=0
wait "$DPID" || rc=$?
if ((rc == 0)); then lab_pass "SIGTERM exits 0"; else lab_fail "SIGTERM exits 0" "exit $rc" "$(cat "$LAB_TMP/d.err")"; fi
lab_end
