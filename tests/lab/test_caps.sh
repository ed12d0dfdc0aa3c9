#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# test_caps.sh - file capabilities instead of root or setuid.
#
#   VIPCHECK_TOOLS=build/tools tests/lab/test_caps.sh BUILD_DIR
#
# An unprivileged user (vipcheck-test, created here if missing and removed again)
# runs a copy of the probe carrying cap_net_raw+ep to `up`; a copy without it fails
# with one line naming the exact setcap command, and that very command fixes it. A
# running probe holds no capability at all, as root too, and when the capability came
# as an ambient one (systemd AmbientCapabilities=). VIPCHECK_SETCAP at install
# time sets the capability, and under DESTDIR says why it does not.
set -uo pipefail

if (($# != 1)); then
    echo "usage: $0 BUILD_DIR" >&2
    exit 1
fi
BUILD=$(realpath -e -- "$1") || exit 1

# shellcheck source=harness.sh
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
lab_tools BIN=vip-icmp-check
# shellcheck source=../daemons/user.sh
. "$(dirname "${BASH_SOURCE[0]}")/../daemons/user.sh"

lab_begin
# Not /tmp by default: it may be a tmpfs without the security.* xattrs setcap needs.
CAPS_DIR=$(mktemp -d "${VIPCHECK_XATTR_DIR:-/var/tmp}/vcl-caps.XXXXXX") || exit 1
cleanup_caps() {
    rm -rf "$CAPS_DIR"
    test_user_remove
}
# lab_begin armed its own EXIT trap; extend it.
trap 'cleanup_caps; _lab_harness_exit' EXIT
test_user_ensure || { echo "Bail out! cannot create the test user"; exit 1; }
chmod 755 "$CAPS_DIR"
mkdir -m 755 "$CAPS_DIR/capable" "$CAPS_DIR/plain" "$CAPS_DIR/ambient"
install -m 755 "$BIN" "$CAPS_DIR/capable/vip-icmp-check"
install -m 755 "$BIN" "$CAPS_DIR/plain/vip-icmp-check"
install -m 755 "$BIN" "$CAPS_DIR/ambient/vip-icmp-check"
if ! setcap cap_net_raw+ep "$CAPS_DIR/capable/vip-icmp-check" 2>"$CAPS_DIR/err"; then
    echo "Bail out! setcap failed in $CAPS_DIR ($(<"$CAPS_DIR/err")): set VIPCHECK_XATTR_DIR to a filesystem with xattrs"
    exit 1
fi
# The user must be able to reach and run the copies.
if ! setpriv --reuid="$TEST_USER" --regid="$TEST_USER" --init-groups "$CAPS_DIR/plain/vip-icmp-check" --version >/dev/null 2>&1; then
    echo "Bail out! $TEST_USER cannot run $CAPS_DIR/plain/vip-icmp-check (is the build tree readable by others?)"
    exit 1
fi


# as_user CMD...: in the director namespace, as the unprivileged user, no inherited caps.
as_user() {
    in_director setpriv --reuid="$TEST_USER" --regid="$TEST_USER" --init-groups --inh-caps=-all "$@"
}
T=(--timeout 500ms)

expect_verdict "unprivileged user, binary with cap_net_raw+ep: up" up 0 -- \
    as_user "$CAPS_DIR/capable/vip-icmp-check" "${T[@]}" "$LAB_VIP" "$LAB_RS_HEALTHY"
expect_verdict "unprivileged user, binary with cap_net_raw+ep, no VIP: no-reply" no-reply 1 -- \
    as_user "$CAPS_DIR/capable/vip-icmp-check" "${T[@]}" "$LAB_VIP" "$LAB_RS_NOVIP"

plain=$CAPS_DIR/plain/vip-icmp-check
expect_usage_error "without the capability: one line on stderr, exit 1" -- \
    as_user "$plain" "${T[@]}" "$LAB_VIP" "$LAB_RS_HEALTHY"
want="setcap cap_net_raw+ep $plain"
if [[ $LAB_ERR == *"$want" && -z $LAB_OUT ]]; then
    lab_pass "the line ends with the exact command: $want"
else
    lab_fail "the line ends with the exact command: $want" "stderr: $LAB_ERR" "stdout: $LAB_OUT"
fi
# Run what the message says, word for word, and the same user now gets `up`.
fix=${LAB_ERR##*root: }
if [[ $fix == "setcap "* ]]; then
    # shellcheck disable=SC2086 # the message is one command line, split as a shell would
    expect_true "running the suggested '$fix' as root succeeds" -- $fix
else
    lab_fail "the message names a setcap command" "stderr: $LAB_ERR"
fi
expect_verdict "after the suggested command the same user gets up" up 0 -- \
    as_user "$plain" "${T[@]}" "$LAB_VIP" "$LAB_RS_HEALTHY"

# While the probe waits for a reply that never comes, its socket is open: it must hold
# no capability by then, whoever started it.
caps_while_running() { # caps_while_running DESC BINARY RUNNER...
    local desc=$1 bin=$2 pid status="" i
    shift 2
    "$@" "$bin" --timeout 3s "$LAB_VIP" "$LAB_RS_DROPPED" >/dev/null 2>&1 &
    pid=$!
    for i in $(seq 40); do
        status=$(cat "/proc/$pid/status" 2>/dev/null)
        [[ $status == *$'NoNewPrivs:\t1'* ]] && break
        sleep 0.05
    done
    kill -TERM "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    local eff prm inh amb nnp
    eff=$(awk '/^CapEff/ {print $2}' <<<"$status") prm=$(awk '/^CapPrm/ {print $2}' <<<"$status")
    inh=$(awk '/^CapInh/ {print $2}' <<<"$status") amb=$(awk '/^CapAmb/ {print $2}' <<<"$status")
    nnp=$(awk '/^NoNewPrivs/ {print $2}' <<<"$status")
    if [[ $eff == 0000000000000000 && $prm == 0000000000000000 && $inh == 0000000000000000 &&
        $amb == 0000000000000000 && $nnp == 1 ]]; then
        lab_pass "$desc"
    else
        lab_fail "$desc" "CapEff=$eff CapPrm=$prm CapInh=$inh CapAmb=$amb NoNewPrivs=$nnp"
    fi
}
# No timeout wrapper here: $! must be the probe itself (ip netns exec and setpriv exec).
caps_while_running "capable user's probe holds no capability once its socket is open" "$CAPS_DIR/capable/vip-icmp-check" \
    ip netns exec "$LAB_DIRECTOR_NS" setpriv --reuid="$TEST_USER" --regid="$TEST_USER" --init-groups --inh-caps=-all
caps_while_running "root's probe holds no capability once its socket is open" "$CAPS_DIR/capable/vip-icmp-check" \
    ip netns exec "$LAB_DIRECTOR_NS"
# As systemd's AmbientCapabilities=CAP_NET_RAW starts it: the plain binary gets the
# capability from the ambient set, which it must clear too (it would survive an exec).
# A copy without file capabilities: exec of one with them clears the ambient set itself.
caps_while_running "a probe given CAP_NET_RAW as an ambient capability holds none once its socket is open" \
    "$CAPS_DIR/ambient/vip-icmp-check" \
    ip netns exec "$LAB_DIRECTOR_NS" setpriv --reuid="$TEST_USER" --regid="$TEST_USER" --init-groups \
    --inh-caps=+net_raw --ambient-caps=+net_raw

# VIPCHECK_SETCAP, read again at install time by the install script.
expect_true "install with VIPCHECK_SETCAP=ON sets cap_net_raw+ep" -- bash -c "
    cmake -DVIPCHECK_SETCAP=ON -DCMAKE_INSTALL_PREFIX='$CAPS_DIR/prefix' -P '$BUILD/cmake_install.cmake' >/dev/null &&
    getcap '$CAPS_DIR/prefix/sbin/vip-icmp-check' | grep -q 'cap_net_raw=ep'"
expect_true "under DESTDIR it sets nothing and names the command for the target" -- bash -c "
    out=\$(DESTDIR='$CAPS_DIR/stage' cmake -DVIPCHECK_SETCAP=ON -DCMAKE_INSTALL_PREFIX=/usr -P '$BUILD/cmake_install.cmake') &&
    grep -q 'on the target run: setcap cap_net_raw+ep /usr/sbin/vip-icmp-check' <<<\"\$out\" &&
    [[ -z \$(getcap '$CAPS_DIR/stage/usr/sbin/vip-icmp-check') ]]"

lab_end
