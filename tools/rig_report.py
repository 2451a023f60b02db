#!/usr/bin/python3
"""What happened in an xdream-rig session, from its run directory: generations, blocks, the share
of images with a response, every fault and how it was handled, alarms, the turnaround, and the
evolved images' response against the best reference image's.

    /usr/bin/python3 tools/rig_report.py RUN_DIR [--fakerig-log FILE]

With the simulated rig's log (xdream-fakerig --log) it also checks that nothing was lost: every
response the rig produced is in responses.csv exactly once, or journaled as rejected (duplicate,
conflict, late, unknown) with its reason, or was in a file xdream quarantined.
"""
import argparse
import collections
import csv
import json
import math
import os
import sys


def read_journal(path):
    entries = []
    with open(path) as f:
        for line in f:
            if line.endswith("\n"):
                entries.append(json.loads(line))
    return entries


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir")
    parser.add_argument("--fakerig-log", help="the simulated rig's log, to check nothing was lost")
    args = parser.parse_args()
    journal = read_journal(os.path.join(args.run_dir, "rig", "journal.jsonl"))
    kinds = collections.Counter(e["kind"] for e in journal)
    closed = [e for e in journal if e["kind"] == "BLOCK_CLOSED"]
    # A resumed session journals again the generation it takes up: each counts once (the last).
    told = list({(e.get("thread", ""), e["generation"]): e
                 for e in journal if e["kind"] == "OPTIMIZER_TOLD"}.values())
    reissues = len({(e.get("thread", ""), e["generation"], e["attempt"])
                    for e in journal if e["kind"] == "REISSUE"})
    reshows = len({e["block"] for e in journal if e["kind"] == "BLOCK_SUBMITTED" and e.get("reshow")})
    valid = sum(e["valid"] for e in told)
    total = sum(e["total"] for e in told)
    print(f"session: {len(told)} generations told, {len(closed)} blocks "
          f"({reshows} re-shows, {reissues} re-issues), "
          f"{valid}/{total} images with a response ({100.0 * valid / max(total, 1):.1f} %)")
    threads = list(dict.fromkeys(e["thread"] for e in told if "thread" in e))
    for name in threads:
        mine = [e for e in told if e.get("thread") == name]
        print(f"  thread {name}: {len(mine)} generations told, "
              f"{sum(e['valid'] for e in mine)}/{sum(e['total'] for e in mine)} images with a response")
    print(f"  blocks closed complete: {sum(e['reason'] == 'complete' for e in closed)}, "
          f"after the hard deadline: {sum(e['reason'] == 'timeout' for e in closed)}; "
          f"resumed {kinds['SESSION_RESUMED']} times; {kinds['BLOCK_REATTACHED']} blocks taken up again")
    turnaround = sorted(e["turnaround_s"] for e in journal if "turnaround_s" in e)
    if turnaround:
        print(f"  turnaround (responses in -> next block journaled): median {1e3 * turnaround[len(turnaround) // 2]:.1f} ms, "
              f"max {1e3 * turnaround[-1]:.1f} ms")

    print("faults and how they were handled:")
    handled = collections.Counter()
    for e in journal:
        if e["kind"] in ("FAULT", "REJECTED", "WAITING", "ALARM", "RESHOW", "REISSUE"):
            reason = e.get("reason", "")
            key = reason.split(":")[0] if e["kind"] in ("FAULT", "REJECTED") else e["kind"]
            handled[(e["kind"], key)] += 1
    what = {
        ("FAULT", "quarantined"): "moved to quarantine/ with its reason; the block waited on",
        ("FAULT", "parse_retry"): "read again once stable (a file still being written)",
        ("FAULT", "transposed"): "read in the other orientation, journaled",
        ("REJECTED", "duplicate"): "counted once (re-sent responses)",
        ("REJECTED", "conflict"): "the first value kept, the conflict journaled",
        ("REJECTED", "late"): "journaled, not counted (the generation was already told)",
        ("REJECTED", "unknown"): "dropped (names no stimulus of the block)",
        ("REJECTED", "channels"): "refused: the scored channel is missing",
        ("RESHOW", "RESHOW"): "the images without a response shown again",
        ("REISSUE", "REISSUE"): "the generation shown again (too few responses)",
        ("WAITING", "WAITING"): "the operator told why the block waits",
        ("ALARM", "ALARM"): "the operator alarmed; the session went on",
    }
    if not handled:
        print("  none")
    for (kind, key), n in sorted(handled.items()):
        name = kind if key == kind else f"{kind} {key}"
        print(f"  {n:4d} x {name}: {what.get((kind, key), 'journaled')}")

    best_ref, best_syn = -math.inf, -math.inf
    per_stimulus = collections.defaultdict(list)
    with open(os.path.join(args.run_dir, "responses.csv")) as f:
        rows = list(csv.DictReader(f))
    config = json.load(open(os.path.join(args.run_dir, "config.json")))["settings"]

    def scored_channels(settings):
        if settings.get("score_pattern"):
            return set()  # a pattern's score is not one channel's response: no comparison here
        if settings.get("score_mean"):
            return set(settings["score_mean"])
        return {settings.get("score") or (settings.get("channels") or ["0"])[0]}

    # Each optimizer's channels ("" = a session of one); a thread's own score settings, if any.
    scored = {"": scored_channels(config)}
    for thread in json.loads(config.get("optimizer_threads") or "[]"):
        own = any(k in thread for k in ("score", "score_mean", "score_pattern"))
        base = {k: v for k, v in config.items()
                if not (own and k in ("score", "score_mean", "score_pattern"))}
        scored[thread["name"]] = scored_channels({**base, **thread})
    for r in rows:
        thread = r.get("thread", "")
        for name, channels in scored.items():
            if r["outcome"] == "valid" and r["channel"] in channels and thread in ("", name) and \
                    (r["kind"] == "reference" or thread == name):
                per_stimulus[(name, r["kind"], r["stim_id"])].append(float(r["value"]))
    for name in scored:
        best_ref = max((sum(v) / len(v) for (n, kind, _), v in per_stimulus.items()
                        if n == name and kind == "reference"), default=-math.inf)
        best_syn = max((sum(v) / len(v) for (n, kind, _), v in per_stimulus.items()
                        if n == name and kind == "synthetic"), default=-math.inf)
        if best_ref > -math.inf and best_syn > -math.inf:
            who = f"thread {name}: " if name else ""
            print(f"evolved vs natural: {who}the best evolved image's response {best_syn:.4g}, the best reference "
                  f"image's {best_ref:.4g} (ratio {best_syn / best_ref if best_ref else math.nan:.3f})")

    if args.fakerig_log:
        lost = check_nothing_lost(args.run_dir, journal, rows, args.fakerig_log)
        return 1 if lost else 0
    return 0


def loose(name):
    """A rig's name for an image as a stimulus id: the last path component, without the
    extension and the blockNNN_MMM_ prefix (docs/rig-files.md, matching)."""
    name = name.replace("\\", "/").split("/")[-1]
    if "." in name:
        name = name[:name.rindex(".")]
    parts = name.split("_", 2)
    if len(parts) == 3 and parts[0].startswith("block") and parts[0][5:].isdigit() and parts[1].isdigit():
        name = parts[2]
    return name


def check_nothing_lost(run_dir, journal, rows, log_path):
    """Every response the fake rig produced: in responses.csv once, or rejected with a reason,
    or in a quarantined file. Returns the number lost or counted twice."""
    accepted = collections.Counter((int(r["block"]), r["stim_id"], int(r["rep"]), r["channel"]) for r in rows)
    rejected = set()
    for e in journal:
        if e["kind"] == "REJECTED":
            for row in e.get("rows", []):
                rejected.add((e.get("block", 0), row[0], row[2], row[3]))
                rejected.add((e.get("block", 0), loose(row[0]), row[2], row[3]))
    # A quarantined file excuses what it held, but only responses that never arrived another way:
    # another session's (a stale file), or this session's when no file of that name was taken for
    # that block (a file damaged for good). A file of the same name accepted later is checked.
    quarantined = {os.path.basename(e.get("source", "")) for e in journal
                   if e["kind"] == "FAULT" and e.get("reason", "").startswith("quarantined")}
    taken = {(e.get("block", 0), os.path.basename(e.get("source", ""))) for e in journal
             if e["kind"] == "RESULT_RECEIVED"}
    config = json.load(open(os.path.join(run_dir, "config.json")))
    ours = config.get("session", "") + "-"
    produced = []
    with open(log_path) as f:
        for line in f:
            if line.strip():
                produced.append(json.loads(line))
    lost = twice = 0
    for p in produced:
        key = (p["block"], p["stim_id"], p["rep"], p["channel"])
        n = accepted.get(key, 0)
        if n > 1:
            twice += 1
        elif n == 0 and key not in rejected:
            name = os.path.basename(p.get("file", ""))
            foreign = not p["stim_id"].startswith(ours) and not p["stim_id"].startswith("ref-")
            excused = name in quarantined and (foreign or (p["block"], name) not in taken)
            lost += 0 if excused else 1
    counted_twice = sum(1 for n in accepted.values() if n > 1)
    print(f"nothing lost: {len(produced)} responses produced by the rig; {lost} lost, "
          f"{counted_twice} counted twice in responses.csv")
    return lost + counted_twice


if __name__ == "__main__":
    sys.exit(main())
