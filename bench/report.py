#!/usr/bin/env python3
"""report.py OUTDIR - turns bench/run's raw measurements into the markdown table
(stdout), OUTDIR/summary.md, and the gnuplot data + script for OUTDIR/wall.png.

Reads OUTDIR/series.csv (measure series), OUTDIR/load.txt (measure load),
OUTDIR/ping.txt (ping -c 50 -i 0.01 output), OUTDIR/meta.txt (key=value)."""
import csv
import math
import re
import sys
from collections import defaultdict
from pathlib import Path

out = Path(sys.argv[1])
meta = dict(l.split("=", 1) for l in (out / "meta.txt").read_text().splitlines() if "=" in l)
deadline_ms = float(meta.get("deadline_ms", "200"))


def pct(xs, p):
    """Nearest-rank percentile: a value that was really measured."""
    s = sorted(xs)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]


runs = defaultdict(list)
with open(out / "series.csv") as f:
    for row in csv.DictReader(f):
        runs[row["label"]].append(row)

stats = {}
for label, rows in runs.items():
    wall = [float(r["wall_us"]) / 1000 for r in rows]
    cpu = [float(r["cpu_us"]) / 1000 for r in rows]
    rss = [float(r["maxrss_kib"]) / 1024 for r in rows]
    stats[label] = {
        "n": len(rows),
        "ok": sum(int(r["ok"]) for r in rows),
        "wall": (pct(wall, 50), pct(wall, 95)),
        "cpu": (pct(cpu, 50), pct(cpu, 95)),
        "rss": (pct(rss, 50), pct(rss, 95)),
        "walls": sorted(wall),
    }

rtts = [float(m) for m in re.findall(r"time=([0-9.]+) ms", (out / "ping.txt").read_text())]
load = dict(kv.split("=") for kv in (out / "load.txt").read_text().split())
load_baseline = None
if (out / "load-baseline.txt").exists():
    load_baseline = dict(kv.split("=") for kv in (out / "load-baseline.txt").read_text().split())

# Which vipcheck contender each row is compared with.
compare = {
    "recipe-icmp": "icmp-up", "recipe-icmp-delay1ms": "icmp-up",
    "recipe-syn": "syn-up", "recipe-syn-delay1ms": "syn-up",
    "recipe-icmp-novip": "icmp-noreply", "recipe-icmp-novip-delay1ms": "icmp-noreply",
    "arping-T": "icmp-up", "arping-T-C1": "icmp-up",
    "exec-static": "icmp-up", "exec-dynamic": "icmp-up", "exec-libpcap": "icmp-up", "pcap-open": "icmp-up",
}
descr = {
    "icmp-up": "vip-icmp-check, healthy RS (`up`)",
    "syn-up": "vip-syn-check :80, healthy RS (`up`)",
    "icmp-noreply": "vip-icmp-check --timeout 200ms, RS without VIP (`no-reply`)",
    "syn-noreply": "vip-syn-check --timeout 200ms, RS without VIP (`no-reply`)",
    "arp-up": "vip-arp-check --timeout 200ms, healthy RS (`up`: silent until the deadline)",
    "arp-leak": "vip-arp-check --timeout 200ms, RS with arp_ignore=0 (`arp-leak`)",
    "recipe-icmp": "recipe, ICMP, nping defaults",
    "recipe-icmp-delay1ms": "recipe, ICMP, `--delay 1ms`",
    "recipe-syn": "recipe, TCP :80, nping defaults",
    "recipe-syn-delay1ms": "recipe, TCP :80, `--delay 1ms`",
    "recipe-icmp-novip": "recipe, ICMP, RS without VIP, defaults",
    "recipe-icmp-novip-delay1ms": "recipe, ICMP, RS without VIP, `--delay 1ms`",
    "arping-T": "`arping -T VIP -c 1 MAC` (as documented)",
    "arping-T-C1": "`arping -T VIP -c 1 -C 1 MAC` (exits on the reply)",
    "exec-static": "floor: fork+exec+wait of a static `return 0`",
    "exec-dynamic": "floor: the same, dynamic (libc only)",
    "exec-libpcap": "floor: the same, dynamic, linked to Debian's libpcap (and its dbus/systemd chain)",
    "pcap-open": "floor: that, opening and closing the probe's capture (`bench/pcap_floor.c`)",
}
# BENCH_BASELINE: the same probes from another build, each compared with this build's.
for label in ("icmp-up", "syn-up", "icmp-noreply"):
    descr[f"{label}-baseline"] = "baseline build: " + descr[label]
    compare[f"{label}-baseline"] = label


def f(x):
    return f"{x:.3f}" if x < 10 else f"{x:.1f}" if x < 1000 else f"{x:.0f}"


lines = []
p = lines.append
p(f"Load average at start: {meta.get('load_start', '?')}, at end: {meta.get('load_end', '?')}; "
  f"{meta.get('cpus', '?')} CPUs; kernel {meta.get('kernel', '?')}.")
p("")
p("| contender | runs (right) | wall ms median / p95 | CPU ms median / p95 | peak RSS MiB median / p95 | vipcheck / this (wall median) |")
p("|---|---|---|---|---|---|")
for label in sorted(stats, key=lambda l: list(descr).index(l) if l in descr else 99):
    s = stats[label]
    ratio = ""
    if label in compare and compare[label] in stats:
        r = stats[compare[label]]["wall"][0] / s["wall"][0]
        slower = f"{1 / r:.2f}" if 1 / r < 10 else f"{1 / r:.0f}"
        ratio = f"{r:.4f} (this is {slower}x slower)" if r < 1 else f"{r:.2f}"
    p(f"| {descr.get(label, label)} | {s['n']} ({s['ok']}) | {f(s['wall'][0])} / {f(s['wall'][1])} | "
      f"{f(s['cpu'][0])} / {f(s['cpu'][1])} | {s['rss'][0]:.2f} / {s['rss'][1]:.2f} | {ratio} |")
if rtts:
    p(f"| floor: `ping -c 50 -i 0.01` RTT to the RS | {len(rtts)} | {f(pct(rtts, 50))} / {f(pct(rtts, 95))} | | | |")
p(f"| keepalived-like: {load['runs']} checks, {meta.get('inflight', '?')} in flight | 1 ({int(load['runs']) - int(load['wrong'])} right) | "
  f"{f(float(load['total_ms']))} total | | | |")
if load_baseline:
    p(f"| baseline build: the same load | 1 ({int(load_baseline['runs']) - int(load_baseline['wrong'])} right) | "
      f"{f(float(load_baseline['total_ms']))} total | | | |")
p("")

# Past-the-deadline and the targets.
past = {}
for label in ("icmp-noreply", "syn-noreply", "arp-up"):
    if label in stats:
        w = stats[label]["walls"]
        past[label] = (pct(w, 50) - deadline_ms, pct(w, 95) - deadline_ms)
        p(f"- {label}: exits {f(past[label][0])} ms (median) / {f(past[label][1])} ms (p95) past the "
          f"{deadline_ms:.0f} ms deadline")
up = stats.get("icmp-up")
if up:
    floor = stats.get("exec-static")
    if floor:
        p(f"- vipcheck / floor (exec of a static binary): {up['wall'][0] / floor['wall'][0]:.1f}x; "
          f"minus that floor, an `up` costs {f(up['wall'][0] - floor['wall'][0])} ms")
    pcap_floor = stats.get("pcap-open") or stats.get("exec-libpcap")
    if pcap_floor:
        p(f"- minus the libpcap floor (a program that only opens and closes the probe's capture: {f(pcap_floor['wall'][0])} ms wall, "
          f"{f(pcap_floor['cpu'][0])} ms CPU, {pcap_floor['rss'][0]:.2f} MiB), an `up` costs "
          f"{f(up['wall'][0] - pcap_floor['wall'][0])} ms wall, {f(up['cpu'][0] - pcap_floor['cpu'][0])} ms CPU, "
          f"{up['rss'][0] - pcap_floor['rss'][0]:.2f} MiB")
    if rtts:
        p(f"- vipcheck / floor (ping RTT): {up['wall'][0] / pct(rtts, 50):.0f}x")
for label in ("icmp-up", "syn-up", "icmp-noreply"):
    b, s = stats.get(f"{label}-baseline"), stats.get(label)
    if b and s:
        p(f"- {label}, this build against the baseline build (medians): wall {f(b['wall'][0])} -> {f(s['wall'][0])} ms "
          f"({100 * (s['wall'][0] / b['wall'][0] - 1):+.1f} %), CPU {f(b['cpu'][0])} -> {f(s['cpu'][0])} ms "
          f"({100 * (s['cpu'][0] / b['cpu'][0] - 1):+.1f} %), peak RSS {b['rss'][0]:.2f} -> {s['rss'][0]:.2f} MiB")
p("")

def met(ok):
    return "met" if ok else "**not met**"

if up:
    syn = stats.get("syn-up")
    p("| target | measured (medians) | |")
    p("|---|---|---|")
    for name, s in (("vip-icmp-check", up), ("vip-syn-check", syn)):
        if not s:
            continue
        p(f"| {name} `up` wall <= 2 ms | {f(s['wall'][0])} ms | {met(s['wall'][0] <= 2)} |")
        p(f"| {name} `up` CPU <= 1 ms | {f(s['cpu'][0])} ms | {met(s['cpu'][0] <= 1)} |")
        p(f"| {name} `up` peak RSS <= 4 MiB | {s['rss'][0]:.2f} MiB | {met(s['rss'][0] <= 4)} |")
    for rl, vl in (("recipe-icmp", "icmp-up"), ("recipe-icmp-delay1ms", "icmp-up"),
                   ("recipe-syn", "syn-up"), ("recipe-syn-delay1ms", "syn-up")):
        if rl in stats and vl in stats:
            x = stats[rl]["wall"][0] / stats[vl]["wall"][0]
            p(f"| >= 500x faster than {rl} | {x:.0f}x | {met(x >= 500)} |")
    for al in ("arping-T", "arping-T-C1"):
        if al in stats:
            a = stats[al]["wall"][0]
            p(f"| no slower than {al} | {f(up['wall'][0])} vs {f(a)} ms | {met(up['wall'][0] <= a)} |")
    for label, (med, _) in past.items():
        p(f"| {label} exits within deadline + 5 ms | +{f(med)} ms | {met(med <= 5)} |")
    total = float(load["total_ms"])
    p(f"| {load['runs']} checks, {meta.get('inflight', '?')} in flight, all right, < 3 s | "
      f"{f(total)} ms, {load['wrong']} wrong | {met(total < 3000 and load['wrong'] == '0')} |")

text = "\n".join(lines) + "\n"
(out / "summary.md").write_text(text)
print(text, end="")

# Chart: the distribution (CDF) of each contender's wall time, log scale.
# gnuplot's default cycle has 8 colours; there are more contenders than that.
palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf", "#000000", "#393b79", "#ad494a", "#637939"]
plots = []
for i, (label, s) in enumerate(sorted(stats.items(), key=lambda kv: kv[1]["wall"][0])):
    dat = out / f"cdf-{label}.dat"
    n = len(s["walls"])
    dat.write_text("".join(f"{w} {(k + 1) / n}\n" for k, w in enumerate(s["walls"])))
    plots.append(f"'{dat}' using 1:2 with steps lw 2 lc rgb '{palette[i % len(palette)]}' dt {1 + i // len(palette)} title '{label} (median {f(s['wall'][0])} ms)'")
(out / "wall.gp").write_text(f"""set terminal pngcairo size 1200,700 font 'sans,11'
set output '{out / "wall.png"}'
set title 'Per-check wall time, fork to exit (CDF over runs; load {meta.get("load_start", "?")})'
set logscale x
set xlabel 'wall time per check [ms], log scale'
set ylabel 'fraction of runs'
set yrange [0:1.02]
set grid xtics mxtics ytics
set key outside right center
plot {", ".join(plots)}
""")
