#!/usr/bin/env python3
"""Recomputes every generation's scores of a session scored by a population pattern, from its
responses.csv alone (numpy, independently of the C++), and compares them with the scores the
optimizer was told (the journal's OPTIMIZER_TOLD). Prints one line; exit 1 on a mismatch.

    /usr/bin/python3 tests/rig/pattern_check.py RUN_DIR LABELS MEASURE (--target-reference NAME |
        --target V,V,...) [--zscore]
"""
import argparse
import collections
import csv
import json
import math
import sys

import numpy as np


def measure_of(name):
    def cosine(r, t):
        n = np.linalg.norm(r) * np.linalg.norm(t)
        return float(r @ t / n) if n > 0 else math.nan

    def correlation(r, t):
        rc, tc = r - r.mean(), t - t.mean()
        n = np.linalg.norm(rc) * np.linalg.norm(tc)
        return float(rc @ tc / n) if n > 0 else math.nan

    return {"cosine": cosine, "correlation": correlation, "dot": lambda r, t: float(r @ t),
            "negative-mse": lambda r, t: -float(np.mean((r - t) ** 2))}[name]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("run")
    p.add_argument("labels")
    p.add_argument("measure")
    p.add_argument("--target-reference")
    p.add_argument("--target")
    p.add_argument("--zscore", action="store_true")
    a = p.parse_args()
    labels = a.labels.split(",")
    compare = measure_of(a.measure)
    session = json.load(open(f"{a.run}/config.json"))["session"]
    told = [e for e in map(json.loads, open(f"{a.run}/rig/journal.jsonl"))
            if e["kind"] == "OPTIMIZER_TOLD"]
    presentations = collections.defaultdict(dict)
    for r in csv.DictReader(open(f"{a.run}/responses.csv")):
        key = (int(r["generation"]), int(r["attempt"]), int(r["block"]), r["stim_id"], r["kind"],
               int(r["rep"]))
        presentations[key][r["channel"]] = float(r["value"]) if r["outcome"] == "valid" else math.nan
    checked = mismatches = 0
    for e in told:
        g, attempt = e["generation"], e["attempt"]
        vectors = [(k, np.array([d.get(label, math.nan) for label in labels]))
                   for k, d in presentations.items() if k[0] == g and k[1] == attempt]
        vectors = [(k, v) for k, v in vectors if np.all(np.isfinite(v))]
        references = np.array([v for k, v in vectors if k[4] == "reference"])
        mean, std = np.zeros(len(labels)), np.ones(len(labels))
        if a.zscore:
            mean, std = references.mean(0), references.std(0)
            std[std == 0] = 1.0
        if a.target_reference:
            target = np.array([v for k, v in vectors if k[3] == "ref-" + a.target_reference]).mean(0)
        else:
            target = np.array([float(x) for x in a.target.split(",")])
        z = lambda v: (v - mean) / std
        for i, told_score in enumerate(e["scores"]):
            values = [compare(z(v), z(target)) for k, v in vectors if k[3] == f"{session}-g{g}-{i}"]
            values = [x for x in values if not math.isnan(x)]
            expected = float(np.mean(values)) if values else math.nan
            got = math.nan if told_score is None else told_score
            same = (math.isnan(expected) and math.isnan(got)) or \
                math.isclose(expected, got, rel_tol=1e-9, abs_tol=1e-9)
            checked += 1
            if not same:
                mismatches += 1
                if mismatches <= 5:
                    print(f"generation {g} image {i}: told {got}, recomputed {expected}")
    print(f"pattern: {checked} scores of {len(told)} generations recomputed from responses.csv; "
          f"{mismatches} differ")
    return 1 if mismatches or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
