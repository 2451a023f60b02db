#!/usr/bin/python3
"""Turns the CSV of bench/domain_benchmark into the markdown tables of docs/algorithms.md.

Usage: /usr/bin/python3 bench/domain_table.py RUNS.csv [MORE.csv ...] > table.md

Several CSVs (e.g. the main grid and a separate full-covariance CMA-ES run) are pooled, and the
normalized clean max is recomputed over the pool: each run's best clean activation over the best
clean activation any pooled run reached on the same unit (objective, instance, dimension).

Tables: mean +- sem of the normalized clean max per algorithm x noise level (all units), the same
per objective kind, the ratio best CMA-family / GA at each noise level beside Wang & Ponce's
published numbers and the targets, and the norm of the best codes and the time per run.
"""

import csv
import math
import sys
from collections import defaultdict

import numpy as np

# Wang & Ponce (GECCO 2022), AlexNet units + DeePSiM fc6, 3,000 evaluations, normalized clean max.
PUBLISHED = {
    0.0: {"GA": 0.37, "CholeskyCMAES": 0.73, "SepCMAES": 0.70, "SphereCMA": 0.86},
    0.2: {"GA": 0.34, "CholeskyCMAES": 0.52, "SepCMAES": 0.56, "SphereCMA": 0.53},
    0.5: {"GA": 0.29, "CholeskyCMAES": 0.42, "SepCMAES": 0.43, "SphereCMA": 0.40},
}
# The targets: best CMA-family mean / GA mean.
TARGETS = {0.0: 1.5, 0.5: 1.3}

ORDER = ["GA_fc6", "GA_lab", "SepCMAES", "CholeskyCMAES", "SphereCMA", "CMAES", "LMMAES",
         "FDGD", "NES"]
CMA_FAMILY = ["SepCMAES", "CholeskyCMAES", "SphereCMA", "CMAES", "LMMAES"]
GAS = ["GA_fc6", "GA_lab"]
KIND_ORDER = ["unit_like", "subspace", "angle_contrast", "network"]


def mean_sem(values):
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        return math.nan, math.nan
    sem = v.std(ddof=1) / math.sqrt(v.size) if v.size > 1 else math.nan
    return float(v.mean()), float(sem)


def cell(values, show_n=False):
    if not values:
        return "-"
    m, s = mean_sem(values)
    text = f"{m:.2f}" if math.isnan(s) else f"{m:.2f} ± {s:.2f}"
    return f"{text} (n={len(values)})" if show_n else text


def sort_key(name, order):
    return (order.index(name), name) if name in order else (len(order), name)


def main(paths):
    rows = []
    for path in paths:
        with open(path, newline="") as f:
            rows += list(csv.DictReader(f))
    if not rows:
        sys.exit(f"{', '.join(paths)}: no runs")
    unit_best = defaultdict(float)
    for r in rows:
        r["noise"] = float(r["noise"])
        r["best_clean"] = float(r["best_clean"])
        r["seconds"] = float(r["seconds"])
        r["best_norm"] = float(r["best_norm"])
        r["unit"] = (r["objective"], r["instance"], r.get("dimension", ""))
        if math.isfinite(r["best_clean"]):
            unit_best[r["unit"]] = max(unit_best[r["unit"]], r["best_clean"])
    for r in rows:
        best = unit_best[r["unit"]]
        r["normalized"] = r["best_clean"] / best if best > 0 else math.nan

    algorithms = sorted({r["algorithm"] for r in rows}, key=lambda a: sort_key(a, ORDER))
    noises = sorted({r["noise"] for r in rows})
    kinds = sorted({r["objective"] for r in rows}, key=lambda k: sort_key(k, KIND_ORDER))

    by = defaultdict(list)  # (algorithm, noise) -> normalized
    by_kind = defaultdict(list)  # (algorithm, noise, kind) -> normalized
    norms = defaultdict(list)
    seconds = defaultdict(list)
    for r in rows:
        by[(r["algorithm"], r["noise"])].append(r["normalized"])
        by_kind[(r["algorithm"], r["noise"], r["objective"])].append(r["normalized"])
        norms[r["algorithm"]].append(r["best_norm"])
        seconds[r["algorithm"]].append(r["seconds"])
    full_n = max(len(v) for v in by.values())
    units = sorted({(r["objective"], r["instance"]) for r in rows})
    dimension = rows[0].get("dimension", "?")
    stimuli = sorted({r["stimuli"] for r in rows})

    out = []
    out.append(f"Normalized clean max, mean ± sem over runs ({len(units)} units: "
               f"{', '.join(kinds)}; dimension {dimension}; stimuli per run {', '.join(stimuli)}). "
               "n = runs per cell.\n")
    out.append("| algorithm | " + " | ".join(f"nu = {nu:g}" for nu in noises) + " |")
    out.append("|---|" + "---|" * len(noises))
    for a in algorithms:
        out.append(f"| {a} | " + " | ".join(cell(by[(a, nu)], True) for nu in noises) + " |")
    out.append("")

    for nu in noises:
        out.append(f"Per objective kind, nu = {nu:g} (mean ± sem):\n")
        out.append("| algorithm | " + " | ".join(kinds) + " |")
        out.append("|---|" + "---|" * len(kinds))
        for a in algorithms:
            out.append(f"| {a} | " + " | ".join(cell(by_kind[(a, nu, k)]) for k in kinds) + " |")
        out.append("")

    # Ratios over algorithms with the full set of runs (an algorithm run on fewer seeds or units
    # is not comparable cell by cell).
    out.append("Best CMA-family / GA (means over the full run set; algorithms with fewer runs "
               "left out), beside Wang & Ponce's published numbers:\n")
    out.append("| nu | best CMA-family (ours) | GA_fc6 | GA_lab | ratio vs GA_fc6 | ratio vs GA_lab "
               "| target | published GA / best CMA | published ratio |")
    out.append("|---|---|---|---|---|---|---|---|---|")
    for nu in noises:
        cma = [(mean_sem(by[(a, nu)])[0], a) for a in CMA_FAMILY if len(by[(a, nu)]) == full_n]
        best_value, best_name = max(cma) if cma else (math.nan, "-")
        ga = {g: mean_sem(by[(g, nu)])[0] if by[(g, nu)] else math.nan for g in GAS}
        pub = PUBLISHED.get(round(nu, 3))
        pub_best = max((v, k) for k, v in pub.items() if k != "GA") if pub else None
        target = TARGETS.get(round(nu, 3))
        ratios = {g: best_value / ga[g] if ga[g] > 0 else math.nan for g in GAS}
        target_text = "-"
        if target is not None:
            met = all(r >= target for r in ratios.values())
            target_text = f">= {target:g}: {'met' if met else 'not met'}"
        out.append(
            f"| {nu:g} | {best_value:.2f} ({best_name}) | {ga['GA_fc6']:.2f} | {ga['GA_lab']:.2f} "
            f"| {ratios['GA_fc6']:.2f} | {ratios['GA_lab']:.2f} | {target_text} | "
            + (f"{pub['GA']:.2f} / {pub_best[0]:.2f} ({pub_best[1]}) | {pub_best[0] / pub['GA']:.2f}"
               if pub else "- | -")
            + " |")
    out.append("")

    # Algorithms run on a subset of the grid (full-covariance CMA-ES): every algorithm on the
    # same runs (unit, noise, seed), so that they can be compared.
    for a in algorithms:
        keys = {(r["unit"], r["noise"], r["seed"]) for r in rows if r["algorithm"] == a}
        if sum(len(by[(a, nu)]) for nu in noises) == full_n * len(noises):
            continue
        same = defaultdict(list)
        for r in rows:
            if (r["unit"], r["noise"], r["seed"]) in keys:
                same[r["algorithm"]].append(r["normalized"])
        out.append(f"{a} ran on a subset ({len(keys)} runs: "
                   f"{', '.join(sorted({f'{u[0]}/{u[1]}' for u, _, _ in keys}))}; "
                   f"nu = {', '.join(sorted({f'{nu:g}' for _, nu, _ in keys}))}; "
                   f"seeds {', '.join(sorted({s for _, _, s in keys}))}). Every algorithm on the "
                   "same runs:\n")
        out.append("| " + " | ".join(algorithms) + " |")
        out.append("|" + "---|" * len(algorithms))
        out.append("| " + " | ".join(cell(same[b]) for b in algorithms) + " |")
        out.append("")

    out.append("Norm of the best clean code (median over runs) and seconds per run (mean; "
               "runs shared the cores):\n")
    out.append("| algorithm | median norm | seconds |")
    out.append("|---|---|---|")
    for a in algorithms:
        out.append(f"| {a} | {np.median(norms[a]):.0f} | {np.mean(seconds[a]):.2f} |")
    print("\n".join(out))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
