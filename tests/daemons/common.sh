# shellcheck shell=bash
# common.sh - helpers shared by the keepalived and ldirectord tests. Sourced after
# harness.sh.

# daemon_dir PREFIX: a root-owned 0755 directory for binaries, configs and the
# daemons' pid/log/state files. Not /tmp by default: setcap needs a filesystem with
# security.* xattrs. Every directory above it must be unwritable by others (or
# sticky), or keepalived's enable_script_security refuses the checks in it.
daemon_dir() {
    local d
    d=$(mktemp -d "${VIPCHECK_XATTR_DIR:-/var/tmp}/$1.XXXXXX") || return 1
    chmod 755 "$d" && printf '%s\n' "$d"
}

# install_capable_probe BIN DIR: DIR/sbin/NAME, root:root 0755, cap_net_raw+ep.
install_capable_probe() {
    local bin=$1 dir=$2
    install -d -m 755 "$dir/sbin" &&
        install -m 755 "$bin" "$dir/sbin/$(basename "$bin")" &&
        setcap cap_net_raw+ep "$dir/sbin/$(basename "$bin")"
}

# wait_log FILE REGEX [SECONDS] [COUNT]: wait until FILE has COUNT (default 1) lines
# matching the ERE; returns 1 when SECONDS (default 30) pass first.
wait_log() {
    local file=$1 re=$2 secs=${3:-30} count=${4:-1} i
    for ((i = 0; i < secs * 10; i++)); do
        (($(grep -cE -- "$re" "$file" 2>/dev/null) >= count)) && return 0
        sleep 0.1
    done
    return 1
}

# expect_log DESC FILE REGEX [SECONDS] [COUNT]: wait_log as a test case.
expect_log() {
    local desc=$1 file=$2 re=$3 secs=${4:-30} count=${5:-1}
    if wait_log "$file" "$re" "$secs" "$count"; then
        lab_pass "$desc"
    else
        lab_fail "$desc" "no $count line(s) matching /$re/ in $file within ${secs}s; its tail:"
        tail -n 25 "$file" | sed 's/^/#     /'
    fi
}

# expect_no_log DESC FILE REGEX: FILE has no line matching the ERE (now).
expect_no_log() {
    local desc=$1 file=$2 re=$3
    if grep -qE -- "$re" "$file"; then
        lab_fail "$desc" "found: $(grep -E -- "$re" "$file" | head -3)"
    else
        lab_pass "$desc"
    fi
}

# http_up NAME ADDR DOCROOT: a plain HTTP server on ADDR:80 inside lab host NAME;
# its pid goes to DOCROOT.NAME.pid. http_down NAME DOCROOT stops it.
http_up() {
    local name=$1 addr=$2 root=$3
    # Not lab_exec: a backgrounded function is a subshell, and $! must be the server.
    ip netns exec "$(lab_ns "$name")" python3 -m http.server 80 --bind "$addr" --directory "$root" \
        >/dev/null 2>&1 &
    echo $! >"$root.$name.pid"
    local i
    for i in $(seq 50); do
        lab_exec "$name" bash -c "exec 3<>/dev/tcp/$addr/80" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

http_down() {
    local pidfile=$2.$1.pid
    [[ -s $pidfile ]] || return 0
    kill "$(<"$pidfile")" 2>/dev/null
    wait "$(<"$pidfile")" 2>/dev/null
    rm -f "$pidfile"
}
