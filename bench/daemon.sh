#!/usr/bin/env bash
# bench/daemon.sh - one vipcheckd --once round of many targets against the same checks
# as separate one-shot processes, side by side: what one process saves.
#
#   bench/daemon.sh BUILD_DIR [PER_RS] [PROCESS_SAMPLE]
#       KIND=icmp (the default): PER_RS (2500) VIPs per realserver, each an icmp target,
#       against PROCESS_SAMPLE (1000) vip-icmp-check processes.
#       KIND=mgmt-http: PER_RS (250) mgmt-http targets per realserver, each fetching /
#       from one HTTP server per realserver, against PROCESS_SAMPLE (200)
#       mgmt-http-check processes.
#       KIND=http: PER_RS (250) VIPs per realserver (also on the director's lo: the kind
#       needs a director that holds its VIPs, as an active one does), each a kind http
#       target fetching / from the VIP through one HTTP server per realserver answering
#       every VIP, against PROCESS_SAMPLE (200) vip-http-check processes.
#   SOAK=600 bench/daemon.sh BUILD_DIR [PER_RS]
#       the soak instead, for any KIND: vipcheckd resident for SOAK seconds, every target
#       every 5 s. Every 10 s: its RSS, its descriptors and, for the HTTP kinds, the TCP
#       connections on the realservers' port in any state but TIME-WAIT; with gdb
#       installed, also the bytes its heap has in use (glibc's malloc_stats(), called
#       through gdb, which stops vipcheckd for a moment), and its RSS after
#       malloc_trim(0) at the end: vipcheckd keeps freed memory in its heap (mallopt in
#       its main), so RSS can grow while what is in use does not. At the end: runs by
#       verdict, the targets with a run not up, and the realservers' connections 3 s
#       after vipcheckd stopped (a connection left half-open stays ESTABLISHED or
#       CLOSE-WAIT there).
#
# A lab of its own: a director and four realservers, each with the same PER_RS VIPs
# (198.18.0.0/15, the benchmarking range) on lo, ARP-hidden. The processes run 4 at a
# time (all 10,000 icmp checks take minutes of CPU on a 2-core machine); their CPU per
# check is the comparison. Prints wall, CPU (user+sys) per target and peak RSS for both,
# and how many verdicts were `up`.
set -euo pipefail
BUILD=$(realpath -e -- "${1:?usage: $0 BUILD_DIR [PER_RS] [PROCESS_SAMPLE]}")
KIND=${KIND:-icmp}
case $KIND in
icmp) PER_RS=${2:-2500} SAMPLE=${3:-1000} ;;
http | mgmt-http) PER_RS=${2:-250} SAMPLE=${3:-200} ;;
*) echo "bench/daemon.sh: KIND is icmp, http or mgmt-http, not '$KIND'" >&2; exit 1 ;;
esac
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../tests/lab/lab.sh
. "$HERE/../tests/lab/lab.sh"
((EUID == 0)) || { echo "bench/daemon.sh: run as root (network namespaces)" >&2; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vcl-bench.XXXXXX")
trap 'lab_down "$TMP/lab"; rm -rf "$TMP"' EXIT
lab_init "$TMP/lab" >/dev/null
lab_add_switch sw >/dev/null
lab_add_host director 192.0.2.2 >/dev/null
vips=()
for ((i = 0; i < PER_RS; i++)); do vips+=("198.18.$((i / 250)).$((i % 250 + 1))"); done
for n in 1 2 3 4; do
    lab_add_host "rs$n" "192.0.2.2$n" >/dev/null
    lab_arp_hide "rs$n"
    printf 'addr add %s/32 dev lo\n' "${vips[@]}" | ip -n "$(lab_ns "rs$n")" -batch -
done
total=$((4 * PER_RS))
ns=$(lab_ns director)
conf=$TMP/targets.yaml
port=8080

# The targets, and the same checks as one-shot command lines ($TMP/all-checks).
{
    echo "interval: 5s"
    if [[ $KIND == icmp ]]; then echo "timeout: 500ms"; else echo "timeout: 2s"; fi
    echo "targets:"
    for n in 1 2 3 4; do
        for ((i = 0; i < PER_RS; i++)); do
            v=${vips[$i]}
            case $KIND in
            icmp) echo "  - {name: rs$n-$v, kind: icmp, vip: $v, rip: 192.0.2.2$n}" ;;
            http) echo "  - {name: rs$n-$v, kind: http, rip: 192.0.2.2$n, url: \"http://$v:$port/\"}" ;;
            mgmt-http) echo "  - {name: rs$n-$i, kind: mgmt-http, rip: 192.0.2.2$n, url: \"http://{rip}:$port/\"}" ;;
            esac
        done
    done
} >"$conf"
for n in 1 2 3 4; do
    for v in "${vips[@]}"; do
        case $KIND in
        icmp) echo "$v 192.0.2.2$n" ;;
        http) echo "http://$v:$port/ 192.0.2.2$n" ;;
        mgmt-http) echo "http://192.0.2.2$n:$port/" ;;
        esac
    done
done >"$TMP/all-checks"
case $KIND in
icmp) tool=vip-icmp-check timeout=500ms what="icmp targets (4 realservers x $PER_RS VIPs)" ;;
http) tool=vip-http-check timeout=2s what="kind http targets (4 realservers x $PER_RS VIPs)" ;;
mgmt-http) tool=mgmt-http-check timeout=2s what="mgmt-http targets (4 realservers x $PER_RS)" ;;
esac

if [[ $KIND != icmp ]]; then
    # The director holds the VIPs, as an active director does: its kernel then drops the
    # realservers' answers from them as martians instead of resetting the connections.
    [[ $KIND == http ]] && printf 'addr add %s/32 dev lo\n' "${vips[@]}" | ip -n "$ns" -batch -
    # One threaded HTTP server per realserver, on :: (every VIP), 1024 backlog.
    for n in 1 2 3 4; do
        ip netns exec "$(lab_ns "rs$n")" /usr/bin/python3 "$HERE/../tests/lab/http_server.py" --port "$port" \
            >"$TMP/http-rs$n.log" 2>&1 &
    done
    for n in 1 2 3 4; do
        for _ in $(seq 50); do
            ip netns exec "$(lab_ns "rs$n")" ss -Hltn "sport = :$port" | grep -q . && break
            sleep 0.1
        done
    done
fi

# The TCP connections on the realservers' HTTP port in any state but TIME-WAIT and
# LISTEN: what a check left behind, or one in flight.
realserver_connections() {
    local n count=0
    for n in 1 2 3 4; do
        count=$((count + $(ip netns exec "$(lab_ns "rs$n")" ss -Htn state all "( sport = :$port )" |
            awk '$1 != "TIME-WAIT" && $1 != "LISTEN"' | wc -l)))
    done
    echo "$count"
}

if [[ -n ${SOAK:-} ]]; then
    # RSS and descriptors sampled every 10 s must stay flat, and every run of every
    # target must say up (vipcheck_probes_total by verdict, at the end).
    echo "# soak: $total $what every 5 s for ${SOAK} s"
    ip netns exec "$ns" "$BUILD/tools/vipcheckd" --config "$conf" --listen 127.0.0.1:9105 2>"$TMP/soak.err" &
    pid=$!
    for ((t = 10; t <= SOAK; t += 10)); do
        sleep 10
        kill -0 "$pid" || { echo "vipcheckd died: $(tail -3 "$TMP/soak.err")"; exit 1; }
        line="t=${t}s rss_kib=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status") fds=$(ls "/proc/$pid/fd" | wc -l)"
        [[ $KIND != icmp ]] && line+=" realserver_connections=$(realserver_connections)"
        if command -v gdb >/dev/null; then
            # malloc_stats() writes to vipcheckd's stderr; its last line is the total.
            gdb -p "$pid" -batch -ex 'call (void)malloc_stats()' >/dev/null 2>&1
            line+=" heap_in_use=$(grep -a 'in use bytes' "$TMP/soak.err" | tail -n 1 | awk '{ print $NF }')"
        fi
        echo "$line"
    done
    if command -v gdb >/dev/null; then
        gdb -p "$pid" -batch -ex 'call (int)malloc_trim(0)' >/dev/null 2>&1
        echo "rss_kib after malloc_trim(0): $(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")"
    fi
    ip netns exec "$ns" curl -s http://127.0.0.1:9105/metrics >"$TMP/metrics"
    kill -TERM "$pid"
    wait "$pid" || true
    # Runs by verdict, and which targets had any other than up.
    awk '/^vipcheck_probes_total/ { match($0, /verdict="[^"]*"/); v = substr($0, RSTART + 9, RLENGTH - 10); n[v] += $2
            if (v != "up" && $2 > 0) { match($0, /target="[^"]*"/); bad[substr($0, RSTART + 8, RLENGTH - 9)] += $2 } }
         END { for (v in n) printf "runs %s: %d\n", v, n[v]; k = 0; for (t in bad) if (k++ < 20) printf "  %s: %d not up\n", t, bad[t]
               printf "targets with a run not up: %d\n", k }' "$TMP/metrics"
    # Its log has a line per verdict change: the first 20 that are not up.
    awk '/^vipcheckd: / && $3 != "up" && !/^vipcheckd: probing/ && n++ < 20' "$TMP/soak.err"
    if [[ $KIND != icmp ]]; then
        sleep 3
        echo "realserver connections 3 s after vipcheckd stopped (not TIME-WAIT): $(realserver_connections)"
    fi
    exit 0
fi

# measure CMD...: "wall_s cpu_s maxrss_kib" of CMD (GNU time, whose last line has them:
# a non-zero exit adds a line before), its stdout to $TMP/out.
measure() { /usr/bin/time -f '%e %U %S %M' -o "$TMP/time" "$@" >"$TMP/out" 2>"$TMP/err" || true; read -r w u s m < <(tail -n 1 "$TMP/time"); echo "$w $(echo "$u + $s" | bc -l) $m"; }

echo "# vipcheckd --once: $total $what, timeout $timeout"
read -r w c m < <(measure ip netns exec "$ns" "$BUILD/tools/vipcheckd" --config "$conf" --once)
up=$(awk '$2 == "up"' "$TMP/out" | wc -l)
printf 'vipcheckd: wall %.3f s, CPU %.3f s (%.1f us per target), peak RSS %.1f MiB, up %d/%d\n' \
    "$w" "$c" "$(echo "$c * 1000000 / $total" | bc -l)" "$(echo "$m / 1024" | bc -l)" "$up" "$total"
awk '$2 != "up"' "$TMP/out" | head -5
daemon_cpu_per=$(echo "$c / $total" | bc -l)
if [[ $KIND == icmp ]]; then
    # The configuration alone: the same file with one more, bad, target makes vipcheckd
    # read and check all of it and exit before probing.
    cp "$conf" "$TMP/parse-only.yaml"
    echo "  - {name: zz-bad, kind: none, vip: 198.18.0.1, rip: 192.0.2.21}" >>"$TMP/parse-only.yaml"
    read -r w c m < <(measure "$BUILD/tools/vipcheckd" --config "$TMP/parse-only.yaml" --once)
    printf 'of which reading the YAML config alone: wall %.3f s, CPU %.3f s, peak RSS %.1f MiB\n' \
        "$w" "$c" "$(echo "$m / 1024" | bc -l)"
else
    echo "connections left on the realservers (not TIME-WAIT): $(realserver_connections)"
fi

echo "# the same checks as separate $tool processes: $SAMPLE of them, 4 at a time"
shuf -n "$SAMPLE" "$TMP/all-checks" >"$TMP/checks"
read -r w c m < <(measure ip netns exec "$ns" xargs -P 4 -L 1 "$BUILD/tools/$tool" --timeout "$timeout" <"$TMP/checks")
up=$(grep -c '^up ' "$TMP/out" || true)
per=$(echo "$c / $SAMPLE" | bc -l)
printf 'processes: wall %.3f s for %d (%.1f ms each), CPU %.3f s (%.1f us per check), peak RSS %.1f MiB each, up %d/%d\n' \
    "$w" "$SAMPLE" "$(echo "$w * 1000 / $SAMPLE" | bc -l)" "$c" "$(echo "$per * 1000000" | bc -l)" \
    "$(echo "$m / 1024" | bc -l)" "$up" "$SAMPLE"
printf 'CPU per check: processes / vipcheckd = %.0fx\n' "$(echo "$per / $daemon_cpu_per" | bc -l)"
