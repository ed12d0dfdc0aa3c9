#!/usr/bin/python3
"""signal_timer.py - how fast does a vipcheck run end on a signal, and how?

    signal_timer.py --ns NS --signal TERM --runs 10 --wait-for 'send ' -- BIN ARGS...

Each run starts BIN (with -v, so it traces its steps on stderr) inside network
namespace NS, waits until the trace shows the step named by --wait-for and the
process is asleep in ppoll or poll (so the signal provably lands mid-run, not during
start-up), sends the signal, and times kill -> waitpid with time.monotonic().
Per run it checks: exit status exactly 1 (not death by the signal), an
"interrupted" line on stderr, no child process, no thread besides the main
one, and, after the exit, no packet socket left in the namespace.

Prints one line per run and a summary `median=.. max=..` (milliseconds, for the
log: latency is bench/'s to measure); exits 1 if any check failed or a run took
--guard-ms or longer to end, a hang guard far above any machine's wake-up time
yet far below the run's own deadline, so a run that ignored the signal and
ended at its deadline fails.
"""
import argparse
import os
import platform
import select
import signal
import statistics
import subprocess
import sys
import time

# The numbers in /proc/PID/syscall of the checks' blocking calls: ppoll (the engine)
# and poll (vip-http-check's transfer); aarch64 has ppoll only.
WAITS = {"x86_64": {"271", "7"}, "aarch64": {"73"}}.get(platform.machine())


def proc_read(pid, name):
    try:
        with open(f"/proc/{pid}/{name}") as f:
            return f.read()
    except OSError:
        return ""


def asleep_waiting(pid):
    stat = proc_read(pid, "stat")
    state = stat.rsplit(")", 1)[-1].split()[0] if stat else "?"
    if state != "S":
        return False
    if WAITS is None:
        return True
    nr = proc_read(pid, "syscall").split()
    return bool(nr) and nr[0] in WAITS


def packet_sockets(ns):
    out = subprocess.run(["ip", "netns", "exec", ns, "cat", "/proc/net/packet"],
                         capture_output=True, text=True, check=True).stdout
    return len(out.splitlines()) - 1


def one_run(args, sig):
    cmd = ["ip", "netns", "exec", args.ns, args.cmd[0], "-v"] + args.cmd[1:]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    problems = []
    err = b""
    deadline = time.monotonic() + 5
    # 1. The trace reaches the step we want to interrupt.
    while args.wait_for.encode() not in err:
        left = deadline - time.monotonic()
        if left <= 0 or p.poll() is not None:
            p.kill()
            p.wait()
            return None, [f"never traced '{args.wait_for}' (stderr: {err.decode(errors='replace')[-300:]})"]
        r, _, _ = select.select([p.stderr], [], [], left)
        if r:
            chunk = os.read(p.stderr.fileno(), 65536)
            err += chunk
    # `ip netns exec` execs the binary: the pid is the check itself. Compared as the
    # same file (device and inode), not by path, which a chroot or a bind mount changes.
    running, wanted = os.stat(f"/proc/{p.pid}/exe"), os.stat(args.cmd[0])
    if (running.st_dev, running.st_ino) != (wanted.st_dev, wanted.st_ino):
        problems.append(f"pid {p.pid} runs {os.readlink(f'/proc/{p.pid}/exe')}, not the check")
    # 2. It is asleep waiting for frames or the deadline.
    while not asleep_waiting(p.pid):
        if p.poll() is not None:
            out, rest = p.communicate()
            err += rest
            return None, problems + [f"exited ({p.returncode}) before the signal: {(out + err).decode(errors='replace')[-300:]}"]
        if time.monotonic() > deadline:
            problems.append("never seen asleep in ppoll or poll")
            break
        time.sleep(0.001)
    children = proc_read(p.pid, f"task/{p.pid}/children").split()
    threads = len(os.listdir(f"/proc/{p.pid}/task"))
    if children:
        problems.append(f"has child processes {children}")
    if threads != 1:
        problems.append(f"has {threads} threads")
    # 3. Signal and time until the exit status is collected.
    t0 = time.monotonic()
    os.kill(p.pid, sig)
    status = p.wait()
    elapsed_ms = (time.monotonic() - t0) * 1000
    out, rest = p.communicate()
    err += rest
    if status != 1:
        problems.append(f"exit status {status}, want 1" + (" (killed by the signal)" if status < 0 else ""))
    if b"interrupted" not in err:
        problems.append("no 'interrupted' line on stderr")
    if out.strip():
        problems.append(f"printed a verdict on stdout: {out.decode(errors='replace').strip()[:200]}")
    n = packet_sockets(args.ns)
    if n:
        problems.append(f"{n} packet socket(s) left in the namespace")
    return elapsed_ms, problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ns", required=True)
    ap.add_argument("--signal", required=True, choices=["TERM", "INT", "HUP"])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--wait-for", required=True)
    ap.add_argument("--guard-ms", type=float, default=1000.0)
    ap.add_argument("--ns-prefix", default="", help="only namespaces with this prefix are compared")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    if args.cmd and args.cmd[0] == "--":
        args.cmd = args.cmd[1:]
    sig = getattr(signal, "SIG" + args.signal)

    def namespaces():
        # Other labs may come and go on the same machine: look at ours only.
        out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        return sorted(line.split()[0] for line in out.splitlines() if line.startswith(args.ns_prefix))

    namespaces_before = namespaces()
    times, failed = [], 0
    for i in range(args.runs):
        ms, problems = one_run(args, sig)
        if ms is not None:
            times.append(ms)
        if problems:
            failed += 1
        print(f"# SIG{args.signal} run {i + 1}: " + (f"{ms:.2f} ms" if ms is not None else "-") +
              ("" if not problems else "  PROBLEMS: " + "; ".join(problems)))
    if namespaces() != namespaces_before:
        print(f"# PROBLEMS: the lab's network namespaces changed: {namespaces_before} -> {namespaces()}")
        failed += 1
    if not times:
        print("summary: no run measured")
        return 1
    print(f"summary: SIG{args.signal} runs={len(times)} median={statistics.median(times):.2f}ms "
          f"max={max(times):.2f}ms guard={args.guard_ms:g}ms failed={failed}")
    return 0 if failed == 0 and max(times) < args.guard_ms else 1


if __name__ == "__main__":
    sys.exit(main())
