#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# test_resources.sh - what a run costs and what it leaves behind.
#
#   VIPCHECK_TOOLS=build/tools tests/lab/test_resources.sh
#
# keepalived runs checks every few seconds for every realserver, often as an
# unprivileged user with a read-only root: a run must write nothing but its
# stdout and stderr (strace), close every descriptor it opened and leak no
# memory (valgrind --track-fds, memcheck), and stay small (peak RSS from
# /usr/bin/time %M, printed).  Each verdict path is covered, since each
# leaves the engine by a different way (proof, deadline, error, exception).
set -uo pipefail

# shellcheck source=harness.sh
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
# shellcheck source=trust.sh
. "$(dirname "${BASH_SOURCE[0]}")/trust.sh"
lab_tools BIN_ICMP=vip-icmp-check BIN_SYN=vip-syn-check BIN_ARP=vip-arp-check \
    BIN_VIP_HTTP=vip-http-check

CHECK=$LAB_HARNESS_DIR/resource_check.py
# The hang guard of each command: a valgrind run has a 5 s deadline and starts slowly
# (several seconds on a busy machine, vip-http-check with OpenSSL most): ten times that.
LAB_CMD_TIMEOUT=60
# Peak RSS bound: the tools link libpcap, libnet, libmnl and libstdc++ and map
# a 64 KiB capture ring; 16 MiB is generous and still catches a runaway buffer.
RSS_BOUND_KIB=${VIPCHECK_RSS_BOUND_KIB:-16384}
for tool in strace valgrind /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "Bail out! $tool missing (scripts/install-deps)"; exit 1; }
done

lab_begin
T=(--timeout 300ms)

RSS_MAX=0 RSS_LIST=()

# one DESC VERDICT -- ARGV...: the three checks for one invocation (VERDICT
# `any` when stdout is not a verdict line: JSON, or an error on stderr).
one() {
    local desc=$1 want=$2 r=() rss first
    shift 2
    [[ $1 == -- ]] && shift
    local bin=$1
    shift

    # 1. Writes: strace the run, judge every file and write call.
    lab_run in_director strace -f -qq -y -o "$LAB_TMP/strace" \
        -e trace=%file,write,writev,pwrite64,pwritev,pwritev2,sendfile,splice,copy_file_range,clone,clone3,fork,vfork \
        "$bin" "${T[@]}" "$@"
    read -r first _ <<<"$LAB_OUT"
    [[ $want == any || $first == "$want" ]] || r+=("under strace the verdict was '$first', want '$want'")
    mapfile -t -O "${#r[@]}" r < <(/usr/bin/python3 "$CHECK" strace "$LAB_TMP/strace")
    _lab_report "$desc: writes only stdout/stderr, starts no process" "${r[@]}"

    # 2. Descriptors and memory: valgrind.  Its own descriptors are > 1000.
    # Under valgrind a run starts slowly (half a second here, several on a busy
    # machine), and the deadline counts from the start: a long one for every
    # verdict, so that the verdict, not valgrind's speed, decides. (1s for the
    # verdicts that wait it out gave rs-unreachable under load, before a request.)
    local tv=(--timeout 5s)
    r=()
    lab_run in_director valgrind -q --log-file="$LAB_TMP/valgrind" --track-fds=yes --leak-check=full \
        --errors-for-leak-kinds=definite --error-exitcode=99 "$bin" "${tv[@]}" "$@"
    read -r first _ <<<"$LAB_OUT"
    ((LAB_RC != 99)) || r+=("valgrind found errors or definite leaks: $(grep -m3 -E 'Invalid|lost|uninit' "$LAB_TMP/valgrind")")
    [[ $want == any || $first == "$want" ]] || r+=("under valgrind the verdict was '$first', want '$want'")
    mapfile -t -O "${#r[@]}" r < <(/usr/bin/python3 "$CHECK" fds "$LAB_TMP/valgrind")
    _lab_report "$desc: no descriptor left open, no memory error or leak" "${r[@]}"

    # 3. Peak RSS.
    r=()
    lab_run in_director /usr/bin/time -o "$LAB_TMP/rss" -f %M "$bin" "${T[@]}" "$@"
    rss=$(tail -n 1 "$LAB_TMP/rss")
    if [[ $rss =~ ^[0-9]+$ ]]; then
        RSS_LIST+=("$desc=${rss}KiB")
        ((rss > RSS_MAX)) && RSS_MAX=$rss
        ((rss <= RSS_BOUND_KIB)) || r+=("peak RSS $rss KiB > $RSS_BOUND_KIB KiB")
    else
        r+=("no RSS figure from /usr/bin/time: $(cat "$LAB_TMP/rss")")
    fi
    echo "# peak RSS $desc: ${rss:-?} KiB"
    _lab_report "$desc: peak RSS under $RSS_BOUND_KIB KiB" "${r[@]}"
}

one "icmp up" up -- "$BIN_ICMP" "$LAB_VIP" "$LAB_RS_HEALTHY"
one "icmp up --json --syslog" any -- "$BIN_ICMP" --json --syslog "$LAB_VIP" "$LAB_RS_HEALTHY"
one "icmp no-reply" no-reply -- "$BIN_ICMP" "$LAB_VIP" "$LAB_RS_NOVIP"
one "icmp vip-missing" vip-missing -- "$BIN_ICMP" "$LAB_VIP" "$LAB_RS_FORWARD"
one "icmp rs-unreachable" rs-unreachable -- "$BIN_ICMP" "$LAB_VIP" "$LAB_RS_ABSENT"
one "icmp error (bad RIP)" any -- "$BIN_ICMP" "$LAB_VIP" 192.0.2.300
one "icmp error (no route)" any -- "$BIN_ICMP" "$LAB_VIP" 198.51.100.200
trust_listen healthy "$LAB_VIP" 80 || lab_fail "listener on the healthy realserver"
one "syn up" up -- "$BIN_SYN" "$LAB_VIP" 80 "$LAB_RS_HEALTHY"
one "syn port-closed" port-closed -- "$BIN_SYN" "$LAB_VIP" 81 "$LAB_RS_HEALTHY"
# Silence is its up: the run lasts its whole deadline, asking three times.
one "arp up" up -- "$BIN_ARP" "$LAB_VIP" "$LAB_RS_HEALTHY"
one "arp rs-unreachable" rs-unreachable -- "$BIN_ARP" "$LAB_VIP" "$LAB_RS_ABSENT"
printf 'vipcheck lab\n' >"$LAB_TMP/index.html"
lab_spawn healthy "$LAB_TMP/http.log" /usr/bin/python3 "$LAB_HARNESS_DIR/http_server.py" --port 8080 \
    --body "$LAB_TMP/index.html"
lab_wait_tcp healthy 8080 10 || lab_fail "HTTP server on the healthy realserver"
# libcurl with OpenSSL, lwIP's pools and the relay's 4 MiB stream ring: a bound of its own.
RSS_BOUND_KIB=32768 one "vip-http up" up -- "$BIN_VIP_HTTP" "http://$LAB_VIP:8080/" "$LAB_RS_HEALTHY"
RSS_BOUND_KIB=32768 one "vip-http no-reply" no-reply -- "$BIN_VIP_HTTP" "http://$LAB_VIP:8080/" "$LAB_RS_NOVIP"

echo "# peak RSS: max ${RSS_MAX} KiB over ${#RSS_LIST[@]} runs (bound $RSS_BOUND_KIB KiB, vip-http-check 32768 KiB)"
lab_end
