# shellcheck shell=bash
# shellcheck source-path=SCRIPTDIR
# harness.sh - helpers for vipcheck lab tests.  Source it, then:
#
#   lab_tools BIN=vip-icmp-check               # the binary under test, from $VIPCHECK_TOOLS
#   lab_begin                                  # build a lab, arm teardown
#   expect_verdict "healthy is up" up 0 -- in_director "$BIN" "$LAB_VIP" "$LAB_RS_HEALTHY"
#   expect_match   "nagios ok" 0 '^VIPCHECK OK' -- in_director "$BIN" --nagios ...
#   expect_usage_error "bad timeout" -- in_director "$BIN" -t 5parsecs ...
#   lab_end                                    # "N passed, M failed"; exit 1 if M>0
#
# Output is TAP-like: `ok - DESC` / `not ok - DESC`, details as `#` lines.
# LAB_VERBOSE=1 shows the captured output of passing checks too.
# LAB_CMD_TIMEOUT (seconds, default 10) bounds every in_director/in_ns command
# so a hung binary fails its check instead of hanging the suite.
#
# Sourcing sets no shell options; test scripts should not use `set -e`, so
# that one failing expectation does not hide the ones after it.

LAB_HARNESS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_SH=$LAB_HARNESS_DIR/lab.sh
# The lab functions (lab_exec, lab_nft, lab_vip_leaks, ...) are useful in tests.
# shellcheck source=lab.sh
. "$LAB_SH"

LAB_PASS=0
LAB_FAIL=0
LAB_TMP=
: "${LAB_CMD_TIMEOUT:=10}"

# ---------------------------------------------------------------------------
# lab lifetime

# Tear the lab down on every way out.  A refused or failed teardown turns the
# run into a failure and keeps the state dir for inspection.
_lab_harness_exit() {
    if [[ -n ${LAB_WATCHDOG:-} ]]; then
        pkill -P "$LAB_WATCHDOG" 2>/dev/null
        kill "$LAB_WATCHDOG" 2>/dev/null
        LAB_WATCHDOG=
    fi
    [[ -n $LAB_TMP ]] || return 0
    if "$LAB_SH" down "$LAB_TMP"; then
        rm -rf "$LAB_TMP"
        LAB_TMP=
    else
        echo "# lab teardown failed; state kept in $LAB_TMP" >&2
        LAB_TMP=
        exit 1
    fi
}

# ---------------------------------------------------------------------------
# the binaries under test
#
# Every lab finds the binaries it drives one way: VIPCHECK_TOOLS names the directory
# that holds them. ctest sets it to the build's tool directory (tests/CMakeLists.txt);
# by hand:  VIPCHECK_TOOLS=build/tools bash tests/lab/test_icmp.sh
#
# lab_tools VAR=NAME...: set each VAR to the absolute path of tool NAME, or bail out
# naming the tool that is missing (a lab never skips a tool: a skipped case proves
# nothing).
lab_tools() {
    local pair var name dir
    if [[ -z ${VIPCHECK_TOOLS:-} ]]; then
        echo "Bail out! VIPCHECK_TOOLS is not set: export the directory of the tools under test, e.g. VIPCHECK_TOOLS=build/tools"
        exit 1
    fi
    if ! dir=$(realpath -e -- "$VIPCHECK_TOOLS" 2>/dev/null) || [[ ! -d $dir ]]; then
        echo "Bail out! VIPCHECK_TOOLS=$VIPCHECK_TOOLS is not a directory"
        exit 1
    fi
    for pair in "$@"; do
        var=${pair%%=*} name=${pair#*=}
        if [[ ! -f $dir/$name || ! -x $dir/$name ]]; then
            echo "Bail out! $name is not built in $dir (cmake --build BUILD --target $name)"
            exit 1
        fi
        printf -v "$var" '%s' "$dir/$name"
    done
}

# wait_for SECONDS CMD...: until CMD succeeds, polling every 0.1 s; 1 when SECONDS
# pass first (a hang guard, not a timing).
wait_for() {
    local i
    for ((i = 0; i < $1 * 10; i++)); do
        "${@:2}" && return 0
        sleep 0.1
    done
    return 1
}

# expect_sigterm_exit DESC -- CMD...: CMD runs in the director, gets SIGTERM
# 0.3 s into its run, and must exit 1 within a second (never die by the signal:
# ldirectord would read that as up).
expect_sigterm_exit() {
    local desc=$1 pid rc=0 start ms ready=true
    shift
    # --ready CMD: also wait until CMD succeeds (say, the realserver sees the connection).
    [[ $1 == --ready ]] && { ready=$2; shift 2; }
    [[ $1 == -- ]] && shift
    # `ip netns exec` execs the binary, so $! is the check itself.
    ip netns exec "$LAB_DIRECTOR_NS" "$@" >/dev/null 2>&1 &
    pid=$!
    # Mid-run means once the check blocks SIGTERM for its signalfd (SigBlk bit 14 in
    # /proc/PID/status), the first step of its main. Before that a SIGTERM meets a
    # process still loading (a fixed 0.3 s wait was not enough on a busy machine:
    # status 143). And the process must be the check already: bash's child has SIGTERM
    # blocked for a moment between fork and exec too, so the bit alone could be bash's
    # (status 143 again). Its name, not /proc/PID/exe: `ip netns exec` gives the check
    # a mount namespace of its own, from which the exe link's path can read otherwise
    # (it did in a chroot). 10 s is the hang guard, for --ready too.
    local i blk comm
    comm=$(basename -- "$1")
    comm=${comm:0:15} # the kernel keeps 15 characters of a command's name
    for ((i = 0; i < 100; i++)); do
        blk=$(awk '/^SigBlk:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
        [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$comm" ]] && [[ -n $blk ]] &&
            (((16#$blk >> 14) & 1)) && $ready && break
        sleep 0.1
    done
    if ((i == 100)); then
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        lab_fail "$desc" "within 10 s the check never blocked SIGTERM (or its --ready never held)"
        return
    fi
    start=$(date +%s%N)
    kill -TERM "$pid"
    wait "$pid" || rc=$?
    ms=$((($(date +%s%N) - start) / 1000000))
    if ((rc == 1 && ms < 1000)); then
        lab_pass "$desc (${ms} ms)"
    else
        lab_fail "$desc" "exit status $rc after ${ms} ms, want 1 within 1000 ms"
    fi
}

# lab_begin: temp state dir, `lab.sh up`, environment sourced.  Bails out
# (exit 1, after teardown) if the lab does not come up.
lab_begin() {
    if ((EUID != 0)); then
        echo "Bail out! lab tests need root (network namespaces)"
        exit 1
    fi
    LAB_TMP=$(mktemp -d "${TMPDIR:-/tmp}/vcl-lab.XXXXXX") || exit 1
    # Armed before `up`, so even a half-built lab is removed.  Signals become
    # an exit, and the EXIT trap does the actual work exactly once.
    trap _lab_harness_exit EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    # CTest ends a test that overruns its TIMEOUT with SIGKILL, which no trap
    # survives: this watchdog sends TERM first, so the teardown still runs.
    # LAB_DEADLINE (seconds) stays below the 600 s CTest allows a lab test.
    bash -c 'sleep "$1" && kill -TERM "$2"' lab-watchdog "${LAB_DEADLINE:-540}" "$$" \
        </dev/null >/dev/null 2>&1 &
    LAB_WATCHDOG=$!
    if ! "$LAB_SH" up "$LAB_TMP"; then
        echo "Bail out! the lab did not come up"
        exit 1
    fi
    # shellcheck source=/dev/null
    . "$LAB_TMP/env"
    if [[ ${LAB_READY:-} != 1 ]]; then
        echo "Bail out! lab env incomplete"
        exit 1
    fi
}

# lab_end: the closing line, and the exit status.
lab_end() {
    echo "$LAB_PASS passed, $LAB_FAIL failed"
    ((LAB_FAIL == 0)) || exit 1
    exit 0
}

# ---------------------------------------------------------------------------
# running things

# in_director CMD...: run CMD in the director namespace, time-bounded.
in_director() { timeout -k 2 "$LAB_CMD_TIMEOUT" ip netns exec "$LAB_DIRECTOR_NS" "$@"; }

# in_ns NS CMD...: same for any namespace (e.g. "$LAB_NS_HEALTHY").
in_ns() {
    local ns=$1
    shift
    timeout -k 2 "$LAB_CMD_TIMEOUT" ip netns exec "$ns" "$@"
}

# lab_run CMD...: run and capture into LAB_OUT, LAB_ERR, LAB_RC (124 = the
# LAB_CMD_TIMEOUT fired).  LAB_CMD keeps a printable copy of the command.
lab_run() {
    LAB_CMD=$(printf '%q ' "$@")
    LAB_RC=0
    "$@" >"$LAB_TMP/out" 2>"$LAB_TMP/err" || LAB_RC=$?
    LAB_OUT=$(<"$LAB_TMP/out")
    LAB_ERR=$(<"$LAB_TMP/err")
}

# ---------------------------------------------------------------------------
# reporting

# Show captured output as `#` lines (used for failures, or LAB_VERBOSE=1).
_lab_show_capture() {
    local line
    echo "#   cmd: $LAB_CMD"
    echo "#   exit: $LAB_RC"
    while IFS= read -r line; do echo "#   stdout: $line"; done <<<"$LAB_OUT"
    while IFS= read -r line; do echo "#   stderr: $line"; done <<<"$LAB_ERR"
}

# lab_pass DESC / lab_fail DESC [REASON...]: record a result by hand.
lab_pass() {
    LAB_PASS=$((LAB_PASS + 1))
    echo "ok - $1"
}

lab_fail() {
    local desc=$1 r
    shift
    LAB_FAIL=$((LAB_FAIL + 1))
    echo "not ok - $desc"
    for r in "$@"; do echo "#   $r"; done
}

# Report the outcome of a lab_run-based check: no reasons means pass.
_lab_report() {
    local desc=$1
    shift
    if (($# == 0)); then
        lab_pass "$desc"
        [[ ${LAB_VERBOSE:-0} != 1 ]] || _lab_show_capture
    else
        lab_fail "$desc" "$@"
        _lab_show_capture
    fi
}

# Split "DESC ARGS... -- CMD..." for the expect_* functions: the words before
# `--` land in _lab_args, the command in _lab_cmd.
_lab_split() {
    _lab_args=()
    while (($#)) && [[ $1 != -- ]]; do
        _lab_args+=("$1")
        shift
    done
    (($#)) || { echo "harness: missing -- before the command" >&2; return 1; }
    shift
    _lab_cmd=("$@")
}

_lab_timeout_reason() {
    ((LAB_RC == 124)) && echo "timed out after ${LAB_CMD_TIMEOUT}s (LAB_CMD_TIMEOUT)"
}

# expect_verdict DESC TOKEN EXIT -- CMD...
# Pass when the first word of stdout is TOKEN and the exit status is EXIT.
expect_verdict() {
    _lab_split "$@" || return 1
    local desc=${_lab_args[0]} token=${_lab_args[1]} want=${_lab_args[2]} first="" r=()
    lab_run "${_lab_cmd[@]}"
    read -r first _ <<<"$LAB_OUT"
    [[ $first == "$token" ]] || r+=("first word of stdout is '$first', want '$token'")
    [[ $LAB_RC == "$want" ]] || r+=("exit status $LAB_RC, want $want")
    mapfile -t -O "${#r[@]}" r < <(_lab_timeout_reason)
    _lab_report "$desc" "${r[@]}"
}

# expect_match DESC EXIT REGEX -- CMD...
# Pass when the exit status is EXIT and stdout (all of it) matches the ERE.
expect_match() {
    _lab_split "$@" || return 1
    local desc=${_lab_args[0]} want=${_lab_args[1]} re=${_lab_args[2]} r=()
    lab_run "${_lab_cmd[@]}"
    [[ $LAB_OUT =~ $re ]] || r+=("stdout does not match /$re/")
    [[ $LAB_RC == "$want" ]] || r+=("exit status $LAB_RC, want $want")
    mapfile -t -O "${#r[@]}" r < <(_lab_timeout_reason)
    _lab_report "$desc" "${r[@]}"
}

# expect_usage_error DESC [EXIT] -- CMD...
# Pass when the exit status is EXIT (default 1) and stderr is exactly one
# non-empty line (vipcheck(7), VERDICTS: one line on standard error names the bad
# input).
expect_usage_error() {
    _lab_split "$@" || return 1
    local desc=${_lab_args[0]} want=${_lab_args[1]:-1} r=() n
    lab_run "${_lab_cmd[@]}"
    n=$(printf '%s' "$LAB_ERR" | grep -c '')
    [[ $LAB_RC == "$want" ]] || r+=("exit status $LAB_RC, want $want")
    [[ $n == 1 && -n ${LAB_ERR//[[:space:]]/} ]] || r+=("$n lines on stderr, want exactly 1")
    mapfile -t -O "${#r[@]}" r < <(_lab_timeout_reason)
    _lab_report "$desc" "${r[@]}"
}

# expect_true DESC -- CMD...: pass when CMD exits 0 (output is captured).
expect_true() {
    _lab_split "$@" || return 1
    lab_run "${_lab_cmd[@]}"
    if ((LAB_RC == 0)); then
        _lab_report "${_lab_args[0]}"
    else
        _lab_report "${_lab_args[0]}" "command failed"
    fi
}

# expect_no_vip_leaks DESC: nothing so far put an ARP request/reply for the
# VIP, or a director frame with the VIP as source, on the switch (vipcheck(7), SAFETY).
expect_no_vip_leaks() {
    local n
    n=$(lab_vip_leaks)
    if [[ $n == 0 ]]; then
        lab_pass "$1"
    else
        lab_fail "$1" "$n frame(s) with the VIP in ARP or as director source seen on the switch"
    fi
}

# ---------------------------------------------------------------------------
# a test PKI for the TLS cases (openssl's chatter goes to DIR/log)

_lab_pki() { openssl "$@" >>"$LAB_PKI_DIR/log" 2>&1; }
LAB_PKI_NEWKEY=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)

# lab_pki_ca DIR: a CA, DIR/ca.pem and DIR/ca.key.
lab_pki_ca() {
    LAB_PKI_DIR=$1
    mkdir -p "$LAB_PKI_DIR" &&
        _lab_pki req -x509 "${LAB_PKI_NEWKEY[@]}" -keyout "$1/ca.key" -out "$1/ca.pem" -days 2 \
            -subj "/CN=vipcheck lab CA" \
            -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}

# lab_pki_cert DIR NAME SUBJECT EXTENSIONS: DIR/NAME.pem and DIR/NAME.key, signed by
# the CA of lab_pki_ca DIR; EXTENSIONS is the text of an openssl extension file.
lab_pki_cert() {
    local dir=$1 name=$2
    LAB_PKI_DIR=$dir
    printf '%s\n' "$4" >"$dir/$name.ext" &&
        _lab_pki req "${LAB_PKI_NEWKEY[@]}" -keyout "$dir/$name.key" -out "$dir/$name.csr" -subj "$3" &&
        _lab_pki x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
            -out "$dir/$name.pem" -days 2 -extfile "$dir/$name.ext"
}

# lab_http_realserver DIR: the management HTTP of mgmt-http-check's labs on the healthy
# realserver (the IPv6 plane up too): a test CA in DIR/pki with a server certificate for
# its addresses and www.example.test, a client certificate, and a stranger's
# self-signed one; servers (http_server.py, log DIR/server.log) on 8080 (DIR/www's
# index), 8082 (accepts, never answers), 8443 (TLS), 8444 (TLS, client certificate
# required), 8445 (TLS with the stranger's certificate). Bails out when one fails.
lab_http_realserver() {
    local work=$1 pki=$1/pki log=$1/server.log rs=$LAB_RS_HEALTHY rs6=$LAB_RS6_HEALTHY port
    local server=(/usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/http_server.py")
    mkdir -p "$work/www"
    {
        lab_pki_ca "$pki" &&
            lab_pki_cert "$pki" server "/CN=$rs" \
                "$(printf 'subjectAltName=IP:%s,IP:%s,DNS:www.example.test\nextendedKeyUsage=serverAuth' "$rs" "$rs6")" &&
            lab_pki_cert "$pki" client "/CN=director" "extendedKeyUsage=clientAuth" &&
            # Right name, but signed by nobody anyone trusts.
            _lab_pki req -x509 "${LAB_PKI_NEWKEY[@]}" -keyout "$pki/stranger.key" -out "$pki/stranger.pem" -days 2 \
                -subj "/CN=$rs" -addext "subjectAltName=IP:$rs"
    } || { echo "Bail out! openssl could not make the test PKI (see $pki/log)"; cat "$pki/log"; exit 1; }
    printf 'vipcheck lab index\nstatus: ready\n' >"$work/www/index.html"
    lab_spawn healthy "$log" "${server[@]}" --port 8080 --body "$work/www/index.html"
    lab_spawn healthy "$log" "${server[@]}" --port 8082 --hang
    lab_spawn healthy "$log" "${server[@]}" --port 8443 --tls "$pki/server.pem" "$pki/server.key"
    lab_spawn healthy "$log" "${server[@]}" --port 8444 --tls "$pki/server.pem" "$pki/server.key" \
        --client-ca "$pki/ca.pem"
    lab_spawn healthy "$log" "${server[@]}" --port 8445 --tls "$pki/stranger.pem" "$pki/stranger.key"
    for port in 8080 8082 8443 8444 8445; do
        lab_wait_tcp healthy "$port" 10 || { echo "Bail out! server on $port did not start"; cat "$log"; exit 1; }
    done
}

# ---------------------------------------------------------------------------
# vipcheckd's round against the one-shot tool, scenario by scenario

# lab_round_vs_tool KIND TOOL_NAME [RUNNER]: the scenarios of the calling lab, CASES
# (NAME|...), WANT[NAME] (the verdict), CLI[NAME] (the tool's arguments, %q-quoted) and
# VERDICT_ONLY[NAME] (set where only the verdict can be compared; the lab says why),
# configured as targets of kind KIND in $conf: vipcheckd ($D) takes them all (--check),
# proves them in one --once round, and $BIN proves each in turn, both through RUNNER
# (in_director unless given: the namespace they run in). Each must give its
# verdict from both and the same line but for the times, and the round must take less
# than the tool's runs one after the other (a ratio of one run, not a duration).
# Leaves the round's lines in ROUND.
# shellcheck disable=SC2153,SC2154 # conf, CASES, WANT, CLI, VERDICT_ONLY, D and BIN: the calling lab's
lab_round_vs_tool() {
    local kind=$1 tool=$2 run=${3:-in_director} c name daemon_line tool_line t0 start round_ms tool_ms=0 args
    expect_true "vipcheckd --check takes every scenario as a kind $kind target" -- \
        "$run" "$D" --config "$conf" --check
    if [[ $LAB_OUT == *"${#CASES[@]} targets (${#CASES[@]} $kind)"* ]]; then
        lab_pass "--check counts them as $kind"
    else
        lab_fail "--check counts them as $kind" "stdout: $LAB_OUT"
    fi
    start=$(date +%s%N)
    lab_run "$run" "$D" --config "$conf" --once
    round_ms=$((($(date +%s%N) - start) / 1000000))
    ROUND=$LAB_OUT
    if ((LAB_RC == 1)) && [[ $(grep -c '' <<<"$ROUND") == "${#CASES[@]}" ]]; then
        lab_pass "--once: one line per target, exit 1 (not all up)"
    else
        lab_fail "--once: one line per target, exit 1" "exit $LAB_RC, $(grep -c '' <<<"$ROUND") lines"
        _lab_show_capture
    fi
    for c in "${CASES[@]}"; do
        name=${c%%|*}
        daemon_line=$(awk -v n="$name" '$1 == n { sub(/^[^ ]+ /, ""); print }' <<<"$ROUND")
        eval "args=(${CLI[$name]})"
        t0=$(date +%s%N)
        lab_run "$run" "$BIN" "${args[@]}"
        tool_ms=$((tool_ms + ($(date +%s%N) - t0) / 1000000))
        tool_line=$LAB_OUT
        if [[ ${daemon_line%% *} == "${WANT[$name]}" && ${tool_line%% *} == "${WANT[$name]}" &&
            (-n ${VERDICT_ONLY[$name]:-} || $(_lab_timeless <<<"$daemon_line") == "$(_lab_timeless <<<"$tool_line")") ]]; then
            lab_pass "$name: ${WANT[$name]} from vipcheckd and $tool, the same line"
        else
            lab_fail "$name: ${WANT[$name]} from vipcheckd and $tool, the same line" \
                "vipcheckd: $daemon_line" "$tool: $tool_line (exit $LAB_RC)" "tool: $BIN ${CLI[$name]}"
        fi
    done
    if ((round_ms < tool_ms)); then
        lab_pass "the round's checks ran side by side: ${round_ms} ms for the round, ${tool_ms} ms for $tool in turn"
    else
        lab_fail "the round's checks ran side by side" "${round_ms} ms for the round, ${tool_ms} ms for $tool in turn"
    fi
}
# The times differ from run to run; everything else must not.
_lab_timeless() { sed -E 's/[0-9]+\.[0-9]+ ms/T ms/g; s/after [0-9]+ (ms|milliseconds)/after T \1/g'; }
