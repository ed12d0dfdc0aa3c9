#!/usr/bin/env bash
# syslog_capture.sh OUTFILE CMD... - run CMD with /dev/log served by the test.
#
# In a private mount namespace (nothing changes for the host or its syslog), /dev
# becomes a small tmpfs holding the usual character devices, bound from the real /dev,
# and a /dev/log socket served by syslog_server.py, which appends every message to
# OUTFILE. Exits with CMD's status. Root only.
set -uo pipefail
if [[ ${_VCL_SYSLOG_NS:-} != 1 ]]; then
    _VCL_SYSLOG_NS=1 exec unshare --mount --propagation private "$0" "$@"
fi
out=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/vcl-syslog.XXXXXX") || exit 1
mkdir "$work/dev"
mount --rbind /dev "$work/dev" || exit 1
mount -t tmpfs -o mode=755,size=1m vcl-dev /dev || exit 1
for d in null zero full random urandom tty; do
    touch "/dev/$d" && mount --bind "$work/dev/$d" "/dev/$d" || exit 1
done
ln -s /proc/self/fd /dev/fd
python3 "$here/syslog_server.py" /dev/log "$out" "$work/ready" &
server=$!
for _ in $(seq 100); do
    [[ -e $work/ready ]] && break
    sleep 0.02
done
[[ -e $work/ready ]] || { echo "syslog_capture: the syslog server did not start" >&2; exit 1; }
rc=0
"$@" || rc=$?
# syslog() has sent the datagram before CMD exited; give the server a moment to write.
sleep 0.2
kill "$server"
wait "$server" 2>/dev/null
umount -l "$work/dev"
rm -rf "$work"
exit "$rc"
