#!/usr/bin/env bash
# test_install.sh BUILD_DIR SOURCE_DIR - `cmake --install` into a temporary prefix,
# once straight (--prefix) and once staged (DESTDIR), checks the layout and that every
# installed example and the unit name that install's binaries, builds and runs a
# consumer with find_package(vipcheck) and another with pkg-config, and proves that the
# uninstall target leaves nothing of vipcheck's behind.
set -uo pipefail
build=$(realpath -e "$1") src=$(realpath -e "$2") || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vcl-install.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { # check DESC CMD...
    local desc=$1 out
    shift
    if out=$("$@" 2>&1); then
        echo "ok - $desc"
        pass=$((pass + 1))
    else
        echo "not ok - $desc"
        printf '#   %s\n' "$out" | tail -20
        fail=$((fail + 1))
    fi
}

prefix=$tmp/prefix
check "cmake --install --prefix" cmake --install "$build" --prefix "$prefix"
libdir=$(sed -n 's/^libdir=${prefix}\///p' "$prefix"/lib*/pkgconfig/vipcheck.pc 2>/dev/null | head -1)
check "binaries in sbin" test -x "$prefix/sbin/vip-icmp-check" -a -x "$prefix/sbin/vip-syn-check" \
    -a -x "$prefix/sbin/vip-arp-check" -a -x "$prefix/sbin/mgmt-http-check" -a -x "$prefix/sbin/vipcheckd"
check "every man page in share/man/man8" bash -c "for p in '$src'/man/*.8; do test -f '$prefix/share/man/man8/'\$(basename \$p) || exit 1; done"
check "vipcheck(7) in share/man/man7" test -f "$prefix/share/man/man7/vipcheck.7"
check "no header of the uninstalled vipcheck-http" bash -c "! ls '$prefix'/include/vipcheck/http_* 2>/dev/null"
check "headers and the generated version.hpp" \
    test -f "$prefix/include/vipcheck/engine.hpp" -a -f "$prefix/include/vipcheck/version.hpp"
check "examples in the doc dir" test -f "$prefix/share/doc/vipcheck/examples/keepalived/keepalived.conf"
# The build was configured for another prefix: the installed copies must still name
# this one (keepalived drops a check whose binary does not exist, and says so only in
# its log).
# names_sbindir DIR SBINDIR: every example and unit under DIR that names a binary names
# it in SBINDIR, and no template is left unconfigured.
names_sbindir() {
    local dir=$1 sbindir=$2 f bad=0
    for f in keepalived/keepalived.conf ldirectord/ldirectord.cf ldirectord/vipcheck.conf systemd/vipcheckd.service; do
        grep -q "$sbindir/vip" "$dir/$f" || { echo "$f does not name $sbindir"; bad=1; }
    done
    grep -rnE '@[A-Z_]+@' "$dir" && bad=1
    find "$dir" -name '*.in' | grep . && bad=1
    grep -rnoE '[^ "=]*sbin/(vip|mgmt)[a-z-]*' "$dir" | grep -v ":$sbindir/" && bad=1
    return "$bad"
}
check "installed examples name $prefix/sbin" names_sbindir "$prefix/share/doc/vipcheck/examples" "$prefix/sbin"
check "the vipcheckd unit in lib/systemd/system runs $prefix/sbin/vipcheckd" \
    grep -qx "ExecStart=$prefix/sbin/vipcheckd .*" "$prefix/lib/systemd/system/vipcheckd.service"
# A reload checks the file before the daemon sees it: systemd runs the ExecReload= lines
# in order and stops at the first that fails, so the installed unit's first one must
# refuse a bad file (and take a good one) and its last be the SIGHUP.
reload_checks_first() {
    local unit=$1 conf=/etc/vipcheck/vipcheckd.yaml lines first
    mapfile -t lines < <(sed -n 's/^ExecReload=//p' "$unit")
    ((${#lines[@]} >= 2)) || { echo "want two ExecReload= lines, have ${#lines[@]}"; return 1; }
    [[ ${lines[-1]} == *'kill -HUP $MAINPID' ]] || { echo "the last ExecReload= is not the SIGHUP: ${lines[-1]}"; return 1; }
    [[ ${lines[0]} == *" $conf"* ]] || { echo "the first ExecReload= does not read $conf: ${lines[0]}"; return 1; }
    printf 'targets:\n  - {name: a, kind: icmp, vip: 192.0.2.100}\n' >"$tmp/bad.yaml"
    first=${lines[0]//$conf/$tmp/bad.yaml}
    if $first; then echo "'$first' took a file without a rip"; return 1; fi
    first=${lines[0]//$conf/$prefix/share/doc/vipcheck/examples/vipcheckd/vipcheckd.yaml}
    $first || { echo "'$first' refused the sample configuration"; return 1; }
}
check "the installed unit's reload runs vipcheckd --check first: a bad file fails the reload" \
    reload_checks_first "$prefix/lib/systemd/system/vipcheckd.service"
# systemd's own judgement of the installed unit: "Command ... is not executable" is how
# a unit naming a path the install does not fill fails. Where systemd is not installed
# (a minimal root) there is nothing to ask: said as a skip, not passed.
if command -v systemd-analyze >/dev/null; then
    unit=$prefix/lib/systemd/system/vipcheckd.service
    check "systemd-analyze verify accepts the installed unit" systemd-analyze verify --man=no "$unit"
    # The control: the same unit naming a binary that is not there fails the same check.
    sed "s|^ExecStart=$prefix/sbin/|ExecStart=$tmp/nowhere/|" "$unit" >"$tmp/vipcheckd.service"
    check "systemd-analyze verify refuses a unit whose binary is missing (control)" \
        bash -c "! systemd-analyze verify --man=no '$tmp/vipcheckd.service'"
else
    echo "ok - systemd-analyze verify of the installed unit # SKIP systemd is not installed here"
fi
check "libvipcheck.so.0 with SONAME libvipcheck.so.0" \
    bash -c "objdump -p '$prefix/$libdir/libvipcheck.so.0' | grep -qE 'SONAME +libvipcheck\.so\.0\$'"
check "development symlink libvipcheck.so" test -L "$prefix/$libdir/libvipcheck.so"
check "CMake package config" test -f "$prefix/$libdir/cmake/vipcheck/vipcheckConfig.cmake"
# The tools carry the library inside: a binary with file capabilities runs in secure-
# execution mode, where the loader would ignore \$ORIGIN and LD_LIBRARY_PATH anyway.
check "installed tools need neither libvipcheck.so nor a RUNPATH" \
    bash -c "for t in vip-icmp-check vip-syn-check vip-arp-check mgmt-http-check vipcheckd; do
                 objdump -p '$prefix/sbin/'\$t | grep -qE 'NEEDED +libvipcheck|RUNPATH|RPATH' && exit 1
             done; exit 0"

check "find_package(vipcheck) consumer configures" \
    cmake -S "$src/tests/install/consumer" -B "$tmp/consumer" -DCMAKE_PREFIX_PATH="$prefix"
check "find_package(vipcheck) consumer builds" cmake --build "$tmp/consumer"
check "find_package(vipcheck) consumer runs against the installed library" \
    bash -c "out=\$('$tmp/consumer/consumer') && [[ \$out == 'vipcheck 0.1.0 300ms vip-missing' ]] &&
             ldd '$tmp/consumer/consumer' | grep -q '$prefix/$libdir/libvipcheck.so.0'"

check "pkg-config consumer builds and runs" bash -c "
    export PKG_CONFIG_PATH='$prefix/$libdir/pkgconfig'
    g++ -std=c++20 -o '$tmp/pc-consumer' '$src/tests/install/consumer/main.cpp' \$(pkg-config --cflags --libs vipcheck) \
        -Wl,-rpath,'$prefix/$libdir' && '$tmp/pc-consumer' | grep -qx 'vipcheck 0.1.0 300ms vip-missing'"

# nothing_left PREFIX: no file, link or directory of vipcheck's under PREFIX; empty
# shared directories (sbin, share/man/man8) may stay, and so does PREFIX itself.
nothing_left() {
    local left
    left=$(find "$1" -mindepth 1 \( ! -type d -o -name '*vipcheck*' \))
    [[ -z $left ]] || { echo "left behind: $left"; return 1; }
}
check "the uninstall target removes the --prefix install" cmake --build "$build" --target uninstall
check "nothing of the --prefix install is left" nothing_left "$prefix"

# DESTDIR: nothing may land outside it, and the staged .pc file still works.
check "DESTDIR install" env DESTDIR="$tmp/stage" cmake --install "$build" --prefix /opt/vipcheck-test
check "DESTDIR install stayed inside DESTDIR" bash -c "[[ ! -e /opt/vipcheck-test ]] && test -x '$tmp/stage/opt/vipcheck-test/sbin/vip-icmp-check'"
check "staged examples name /opt/vipcheck-test/sbin" \
    names_sbindir "$tmp/stage/opt/vipcheck-test/share/doc/vipcheck/examples" /opt/vipcheck-test/sbin
check "staged pkg-config file finds the staged tree" bash -c "
    PKG_CONFIG_PATH='$tmp/stage/opt/vipcheck-test/$libdir/pkgconfig' pkg-config --cflags vipcheck |
        grep -q -- '-I$tmp/stage/opt/vipcheck-test/$libdir/pkgconfig/../../include'"
check "the uninstall target removes the staged install" \
    env DESTDIR="$tmp/stage" cmake --build "$build" --target uninstall
check "nothing of the staged install is left" nothing_left "$tmp/stage/opt/vipcheck-test"

echo "$pass passed, $fail failed"
((fail == 0))
