"""Checks a session of several optimizers ("threads") from its run directory:
- each thread was told exactly its generations (OPTIMIZER_TOLD entries named by thread);
- every first block of a generation holds the images of exactly the threads still running, with
  ids that name the thread and the generation, and the reference images, shuffled together;
- every score a thread was told is the mean of its own channel's valid responses in
  responses.csv (whose thread column names the thread of every synthetic image): responses were
  routed back by id;
- each block's codes were recorded per thread, and each thread has its own record.

Usage: threads_check.py RUN_DIR NAME:GENERATIONS:CHANNEL...
"""
import collections
import csv
import json
import math
import os
import sys

import numpy as np


def main():
    run = sys.argv[1]
    threads = {}
    for spec in sys.argv[2:]:
        name, generations, channel = spec.split(":")
        threads[name] = (int(generations), channel)
    config = json.load(open(os.path.join(run, "config.json")))
    session = config["session"]
    journal = [json.loads(line) for line in open(os.path.join(run, "rig", "journal.jsonl"))]
    problems = []

    told = collections.defaultdict(list)
    for e in journal:
        if e["kind"] == "OPTIMIZER_TOLD":
            told[e.get("thread", "")].append(e)
    for name, (generations, _) in threads.items():
        gens = sorted({e["generation"] for e in told[name]})
        if gens != list(range(generations)):
            problems.append(f"thread {name} was told generations {gens}, not 0..{generations - 1}")

    mixed = 0
    first_blocks = 0
    for e in journal:
        if e["kind"] != "BLOCK_SUBMITTED" or e["attempt"] != 1 or e["reshow"]:
            continue
        first_blocks += 1
        ids = [s[0] for s in e["stimuli"]]
        g = e["generation"]
        kinds = [next((n for n in threads if i.startswith(f"{session}-{n}-g")), None)
                 for i in ids if not i.startswith("ref-")]
        for name, (generations, _) in threads.items():
            mine = [i for i in ids if i.startswith(f"{session}-{name}-g{g}-")]
            if bool(mine) != (g < generations):
                problems.append(f"block {e['block']} (generation {g}) holds {len(mine)} images of "
                                f"thread {name}, which runs {generations} generations")
        if None in kinds:
            problems.append(f"block {e['block']} holds an image of no thread")
        if not any(i.startswith("ref-") for i in ids):
            problems.append(f"block {e['block']} holds no reference image")
        # Shuffled together: the threads' images alternate somewhere in the block.
        if len(set(kinds)) > 1 and any(a != b for a, b in zip(kinds, kinds[1:])) and \
                sum(a != b for a, b in zip(kinds, kinds[1:])) > 1:
            mixed += 1
        codes = [f for f in os.listdir(os.path.join(run, "rig", "blocks", f"{e['block']:03d}"))
                 if f.startswith("codes_")]
        expected = sorted(f"codes_{n}.npy" for n, (gens, _) in threads.items() if g < gens)
        if sorted(codes) != expected:
            problems.append(f"block {e['block']}: codes {sorted(codes)}, expected {expected}")
    two_thread_blocks = sum(1 for g in range(max(gens for gens, _ in threads.values()))
                            if sum(g < gens for gens, _ in threads.values()) > 1)
    if mixed < two_thread_blocks // 2:
        problems.append(f"only {mixed} of {two_thread_blocks} shared blocks interleave the threads")

    rows = list(csv.DictReader(open(os.path.join(run, "responses.csv"))))
    values = collections.defaultdict(list)  # (thread, stim, attempt) -> its channel's values
    for r in rows:
        if r["kind"] != "synthetic":
            continue
        owner = next((n for n in threads if r["stim_id"].startswith(f"{session}-{n}-g")), None)
        if r["thread"] != owner:
            problems.append(f"responses.csv: {r['stim_id']} has thread '{r['thread']}'")
            continue
        if r["outcome"] == "valid" and r["channel"] == threads[owner][1]:
            values[(owner, r["stim_id"], int(r["attempt"]))].append(float(r["value"]))
    checked = differ = 0
    for name, entries in told.items():
        if name not in threads:
            continue
        for e in entries:
            for i, score in enumerate(e["scores"]):
                v = values.get((name, f"{session}-{name}-g{e['generation']}-{i}", e["attempt"]))
                expected = sum(v) / len(v) if v else None
                checked += 1
                if (score is None) != (expected is None) or \
                        (score is not None and not math.isclose(score, expected, rel_tol=1e-12)):
                    differ += 1
    if differ:
        problems.append(f"{differ} of {checked} scores differ from their thread's responses")

    for name, (generations, _) in threads.items():
        record = os.path.join(run, "threads", name)
        for f in ("codes.npy", "best_code.npy", "best.png", "scores.csv", "summary.json"):
            if not os.path.isfile(os.path.join(record, f)):
                problems.append(f"thread {name}: no {f} in {record}")
        lines = open(os.path.join(record, "scores.csv")).read().strip().splitlines()
        if len(lines) - 1 != generations:
            problems.append(f"thread {name}: scores.csv has {len(lines) - 1} generations")
        np.load(os.path.join(record, "codes.npy"))

    if os.path.exists(os.path.join(run, "images")):
        problems.append("an images/ folder at the run directory's root (each thread has its own)")

    if problems:
        print("\n".join(problems))
        return 1
    print(f"{len(threads)} threads; {first_blocks} blocks, {mixed} shared ones interleaved; "
          f"{checked} scores routed to their thread and recomputed from responses.csv, 0 differ")
    return 0


if __name__ == "__main__":
    sys.exit(main())
