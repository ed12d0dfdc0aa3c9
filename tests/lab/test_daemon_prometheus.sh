#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# test_daemon_prometheus.sh - Debian's Prometheus scrapes vipcheckd in the lab, with
# examples/prometheus/ (its scrape job, a /probe job and the alert rules), and PromQL
# through Prometheus's HTTP API gives the lab's verdicts.
#
#   VIPCHECK_TOOLS=build/tools tests/lab/test_daemon_prometheus.sh
#
# Both run in the director's namespace, on its loopback.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
EX=$HERE/../../examples/prometheus
# shellcheck source=harness.sh
. "$HERE/harness.sh"
lab_tools D=vipcheckd
command -v prometheus >/dev/null || { echo "Bail out! prometheus is not installed (apt-get install prometheus)"; exit 1; }

lab_begin
P=$LAB_TMP/prometheus
mkdir -p "$P/data"
cat >"$LAB_TMP/vipcheckd.yaml" <<EOF
interval: 1s
timeout: 300ms
targets:
  - {name: web-rs1, kind: icmp, vip: $LAB_VIP, rip: $LAB_RS_HEALTHY}
  - {name: web-rs2, kind: icmp, vip: $LAB_VIP, rip: $LAB_RS_NOVIP}
  - {name: "web-rs3", kind: icmp, vip: $LAB_VIP, rip: $LAB_RS_FORWARD}
EOF
ip netns exec "$LAB_DIRECTOR_NS" "$D" --config "$LAB_TMP/vipcheckd.yaml" --listen 127.0.0.1:9105 \
    >"$LAB_TMP/vipcheckd.log" 2>&1 &

# The example, pointed at the lab: scrape every second, alerts without their `for`.
sed -e 's/scrape_interval: 15s/scrape_interval: 1s/' -e 's/evaluation_interval: 15s/evaluation_interval: 1s/' \
    -e 's/director1.example.net:9105/127.0.0.1:9105/' -e '/director2.example.net/d' \
    -e "s|  - vipcheck.rules.yml|  - $P/rules.yml|" "$EX/prometheus.yml" >"$P/prometheus.yml"
sed -e 's/for: [0-9]*m/for: 0s/' "$EX/vipcheck.rules.yml" >"$P/rules.yml"
expect_true "promtool accepts the example scrape config and rules" -- \
    bash -c "promtool check config '$P/prometheus.yml' && promtool check rules '$EX/vipcheck.rules.yml'"
ip netns exec "$LAB_DIRECTOR_NS" prometheus --config.file="$P/prometheus.yml" --storage.tsdb.path="$P/data" \
    --web.listen-address=127.0.0.1:9090 >"$P/log" 2>&1 &

# query EXPR: the API's JSON answer to an instant query.
query() {
    ip netns exec "$LAB_DIRECTOR_NS" curl -s -m 5 --get --data-urlencode "query=$1" http://127.0.0.1:9090/api/v1/query
}
# value_of EXPR TARGET: the sample of series with target=TARGET, or empty.
value_of() {
    query "$1" | /usr/bin/python3 -c '
import json, sys
r = json.load(sys.stdin)
for s in r.get("data", {}).get("result", []):
    if s["metric"].get("target") == sys.argv[1] or sys.argv[1] == "":
        print(s["value"][1]); break
' "$2" 2>/dev/null
}
wait_value() { # wait_value SECONDS EXPR TARGET WANT
    local i
    for ((i = 0; i < $1 * 2; i++)); do
        [[ $(value_of "$2" "$3") == "$4" ]] && return 0
        sleep 0.5
    done
    return 1
}
check_value() { # check_value DESC EXPR TARGET WANT
    if wait_value 60 "$2" "$3" "$4"; then
        lab_pass "$1"
    else
        lab_fail "$1" "PromQL $2 for '$3': '$(value_of "$2" "$3")', want $4" "$(tail -3 "$P/log")"
    fi
}
check_value "PromQL: web-rs1 (VIP on lo) has probe success 1" 'vipcheck_probe_success' web-rs1 1
check_value "PromQL: web-rs2 (no VIP) has probe success 0" 'vipcheck_probe_success' web-rs2 0
check_value "PromQL: web-rs3's verdict is vip-missing" 'vipcheck_probe_verdict{verdict="vip-missing"}' web-rs3 1
check_value "PromQL: runs are counted by verdict" 'vipcheck_probes_total{verdict="no-reply"} > bool 1' web-rs2 1
check_value "PromQL: the /probe job (blackbox_exporter's shape) says up for web-rs1" \
    'probe_success{job="vipcheck-probe"}' "" 1
alert() { # the alerts firing, one "NAME TARGET" a line
    ip netns exec "$LAB_DIRECTOR_NS" curl -s -m 5 http://127.0.0.1:9090/api/v1/alerts | /usr/bin/python3 -c '
import json, sys
for a in json.load(sys.stdin)["data"]["alerts"]:
    if a["state"] == "firing":
        print(a["labels"]["alertname"], a["labels"].get("target", ""))'
}
wait_alert() {
    local i
    for ((i = 0; i < 60; i++)); do
        alert | grep -qx "$1" && return 0
        sleep 0.5
    done
    return 1
}
if wait_alert "VipMissingOnRealserver web-rs2" && wait_alert "VipMissingOnRealserver web-rs3"; then
    lab_pass "alert rules: VipMissingOnRealserver fires for web-rs2 and web-rs3"
else
    lab_fail "alert rules: VipMissingOnRealserver fires for web-rs2 and web-rs3" "$(alert)"
fi
if ! alert | grep -q "web-rs1"; then lab_pass "alert rules: nothing fires for web-rs1"; else lab_fail "alert rules: nothing fires for web-rs1" "$(alert)"; fi

# The VIP goes from web-rs1: Prometheus sees it.
lab_exec healthy ip addr del "$LAB_VIP/32" dev lo
check_value "PromQL: web-rs1 goes to 0 once its VIP is removed" 'vipcheck_probe_success' web-rs1 0
lab_exec healthy ip addr add "$LAB_VIP/32" dev lo
check_value "PromQL: web-rs1 back to 1 with its VIP" 'vipcheck_probe_success' web-rs1 1
lab_end
