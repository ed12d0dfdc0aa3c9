#!/usr/bin/python3
"""resource_check.py - judge one vipcheck run from its strace and valgrind logs.

    resource_check.py strace STRACE_LOG
        strace -f -y log of a run: every open is read-only, every write goes to
        fd 1, fd 2 or a socket, no call creates, removes, renames or changes a
        file, and no process or thread is started.
    resource_check.py fds VALGRIND_LOG
        valgrind --track-fds=yes log: no descriptor the run opened itself is
        still open at exit (inherited ones are the parent's business).

Prints each violation and exits 1 if there was any.
"""
import re
import sys

# %file calls that only look.
READ_ONLY_FILE_CALLS = {
    "execve", "access", "faccessat", "faccessat2", "stat", "lstat", "fstat", "newfstatat", "statx",
    "readlink", "readlinkat", "statfs", "getcwd", "open", "openat", "openat2",
}
WRITE_FLAGS = ("O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND", "O_TMPFILE")
WRITE_CALLS = {"write", "writev", "pwrite64", "pwritev", "pwritev2", "sendfile", "splice", "copy_file_range"}
NEW_TASK_CALLS = {"clone", "clone3", "fork", "vfork"}

LINE = re.compile(r"^(?:\[pid\s+)?(\d+)\]?\s+(\w+)\((.*)$")


def check_strace(path):
    bad = []
    pids = set()
    for line in open(path, errors="replace"):
        m = LINE.match(line)
        if not m:
            continue
        pids.add(m.group(1))
        call, args = m.group(2), m.group(3)
        if call in WRITE_CALLS:
            fd = re.match(r"(\d+)(<[^>]*>)?", args)
            target = fd.group(2) or "" if fd else ""
            if not fd or not (fd.group(1) in ("1", "2") or target.startswith(("<socket:", "<NETLINK", "<PACKET",
                                                                                 "<UNIX", "<UDP", "<TCP"))):
                bad.append(f"write outside stdout/stderr: {line.strip()[:200]}")
        elif call in NEW_TASK_CALLS:
            bad.append(f"starts a process or thread: {line.strip()[:200]}")
        elif call in ("open", "openat", "openat2", "creat"):
            if call == "creat" or any(f in args for f in WRITE_FLAGS):
                bad.append(f"opens a file for writing: {line.strip()[:200]}")
        elif call not in READ_ONLY_FILE_CALLS and call not in WRITE_CALLS:
            bad.append(f"changes the file system: {line.strip()[:200]}")
    if len(pids) > 1:
        bad.append(f"{len(pids)} processes or threads in the trace, want 1")
    if not pids:
        bad.append("empty strace log (did strace run?)")
    return bad


def check_fds(path):
    bad = []
    lines = [re.sub(r"^==\d+==\s?", "", l.rstrip("\n")) for l in open(path, errors="replace")]
    for i, l in enumerate(lines):
        m = re.match(r"Open (?:file descriptor (\d+)|(\S+ socket) (\d+))", l)
        if not m:
            continue
        fd = m.group(1) or m.group(3)
        nxt = " ".join(lines[i + 1:i + 3])
        # fds 0-2 belong to the caller; so does whatever the caller left open.
        if fd in ("0", "1", "2") or "<inherited from parent>" in nxt:
            continue
        bad.append(f"descriptor {fd} still open at exit: {l.strip()} {nxt.strip()}"[:200])
    if not any(l.startswith("FILE DESCRIPTORS:") for l in lines):
        bad.append("no FILE DESCRIPTORS summary in the valgrind log (did valgrind run?)")
    return bad


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("strace", "fds"):
        print(__doc__, file=sys.stderr)
        return 2
    bad = check_strace(sys.argv[2]) if sys.argv[1] == "strace" else check_fds(sys.argv[2])
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
