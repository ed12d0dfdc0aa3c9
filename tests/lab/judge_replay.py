#!/usr/bin/python3
"""Replay a realserver's rounds, read off the wire, through rise and fall, for the lab.

    judge_replay.py RISE FALL TIMEOUT PACKETS TRANSITIONS

PACKETS: one line per ICMP echo frame to or from the VIP a capture saw at the
realserver, as `tshark -T fields -e frame.time_epoch -e icmp.type -e icmp.ident -e
icmp.seq` prints them (type 8 a request, 0 a reply; more fields may follow). Each request is one round of a realserver that
has one plane (vip-icmp) and one attempt: good when its reply left within TIMEOUT
seconds. TRANSITIONS: the daemon's state changes of that realserver, one `FROM TO` a
line, in the order it logged them.

The judge of judge.hpp, written again here, not taken from libvipcheck: learning and
down become up after RISE good rounds in a row, up becomes down after FALL failing
ones, a learner that fails stays learning. The daemon may not have judged the last
request or two (it stopped first): its transitions must be the model's over the
rounds it judged, so one of the last three prefixes must match exactly. Prints the
figures as `# ` lines; exit status 0 on a match, 1 otherwise.
"""
import sys


def rounds_from(packets: str, timeout: float) -> list[bool]:
    requests: list[tuple[float, tuple[str, str]]] = []
    replies: dict[tuple[str, str], float] = {}
    for line in packets.splitlines():
        f = line.split("\t")
        if len(f) < 4 or not f[0]:
            continue
        t, kind, key = float(f[0]), f[1], (f[2], f[3])
        if kind == "8":
            requests.append((t, key))
        elif kind == "0":
            replies.setdefault(key, t)
    requests.sort()
    return [key in replies and replies[key] - t <= timeout for t, key in requests]


def model(rounds: list[bool], rise: int, fall: int) -> list[tuple[str, str, int]]:
    state, good_run, bad_run, out = "learning", 0, 0, []
    for i, good in enumerate(rounds):
        good_run, bad_run = (good_run + 1, 0) if good else (0, bad_run + 1)
        new = state
        if state in ("learning", "down") and good_run >= rise:
            new = "up"
        elif state == "up" and bad_run >= fall:
            new = "down"
        if new != state:
            out.append((state, new, i))
            state = new
    return out


def main() -> int:
    if len(sys.argv) != 6:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 1
    rise, fall, timeout = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    with open(sys.argv[4]) as f:
        rounds = rounds_from(f.read(), timeout)
    with open(sys.argv[5]) as f:
        logged = [tuple(line.split()) for line in f if line.strip()]
    n = len(rounds)
    changes = sum(1 for a, b in zip(rounds, rounds[1:]) if a != b)
    print(f"# rounds on the wire: {n}, good {sum(rounds)}, failing {n - sum(rounds)}, "
          f"rounds with a changed verdict {changes}, state transitions logged {len(logged)}")
    print("# verdicts: " + "".join("+" if g else "-" for g in rounds))
    for k in range(n, max(n - 3, -1), -1):
        want = model(rounds[:k], rise, fall)
        if [(a, b) for a, b, _ in want] == logged:
            # Failing runs shorter than FALL while up: each a flip a naive judge would make.
            marks = {i: b for _, b, i in want}
            state, run, short = "learning", 0, 0
            for i, good in enumerate(rounds[:k]):
                if good and 0 < run < fall and state == "up":
                    short += 1
                run = 0 if good else run + 1
                state = marks.get(i, state)
            print(f"# the model over the {k} rounds judged gives the same {len(want)} transition(s), at rounds "
                  f"{[i + 1 for _, _, i in want]}; failing runs shorter than fall={fall} while up: {short}, "
                  "none of them a transition")
            return 0
    print(f"# no prefix of the last three matches; the model over all {n}: "
          f"{[(a, b, i + 1) for a, b, i in model(rounds, rise, fall)]}; logged: {logged}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
