#!/usr/bin/python3
"""docs/results.md and its plots from the gathered experiment table.

    /usr/bin/python3 tools/results/make_results.py [--csv docs/results/experiments.csv]
        [--runs .] [--paper-data ../shared/paper-data] [--out docs/results.md]

--csv: the table xdream-experiments gathers (one row per cell: settings + summary.json).
--runs: the folder the table's run_dir column is relative to (images of evolved and natural
        stimuli are read from the run directories when they are there; otherwise skipped).
--paper-data: the XDream paper's per-unit CSVs (Xiao & Kreiman 2020, figure_data); not part of
        this repository; the comparison columns and distributions are left out without it.
Plots are PNG (matplotlib, Agg) in docs/results/. Nothing here runs an experiment.
"""
import argparse
import csv
import math
import os
import statistics
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
LAYERS = ["conv1", "conv2", "conv3", "fc6", "fc7", "fc8"]
PAPER_LAYERS = ["conv2", "conv4", "fc6", "fc8"]  # CaffeNet layers of the paper's figures

EXPERIMENTS = ["main", "generators", "noise", "init", "sweep"]


def fnum(x):
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def med(v):
    v = [x for x in v if x is not None]
    return statistics.median(v) if v else None


def frac(v, pred):
    v = [x for x in v if x is not None]
    return sum(1 for x in v if pred(x)) / len(v) if v else None


def f2(x, d=2):
    return "–" if x is None else f"{x:.{d}f}"


def pct(x):
    return "–" if x is None else f"{100 * x:.0f} %"


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


KEEP = ["experiment", "grid", "cell", "status", "wall_seconds", "algorithm", "generator", "generator_sha256",
        "network_sha256", "init", "population", "mutation_rate", "mutation_size", "selectivity", "heritability",
        "n_conserve", "noise", "noise_level", "seed", "stimuli", "tap", "unit", "device", "reference_count",
        "brute_force_pool", "reference_split", "relative_activation", "brute_force_relative", "relative_to_test_set",
        "test_set_max", "run_dir", "final_best_clean", "best_clean_ever",
        "best_score_ever", "reference_max", "reference_best_index", "brute_force_expected_max", "seconds",
        "ms_per_generation", "result_generations"]


def short(v, column=""):
    """Numbers to 6 significant digits (the committed table stays small); hashes stay as they are."""
    if column.endswith("sha256"):
        return v
    try:
        f = float(v)
    except ValueError:
        return v
    if v.lstrip("-").isdigit():
        return v
    return f"{f:.6g}"


def trim_csv(src, dst):
    """The committed table: the columns the results use (the runner's table has every setting)."""
    with open(src, newline="") as f:
        rd = csv.DictReader(f)
        cols = [c for c in rd.fieldnames if c.startswith("axis_")]
        cols = KEEP[:5] + cols + [c for c in KEEP[5:] if c in rd.fieldnames]
        rows = list(rd)
    os.makedirs(os.path.dirname(os.path.abspath(dst)), exist_ok=True)
    with open(dst + ".tmp", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        w.writerows({k: short(v, k) for k, v in r.items()} for r in rows)
    os.replace(dst + ".tmp", dst)


def load_rows(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        # A unit whose best reference image drives it to <= 0 (a unit silent on natural images) has
        # no meaningful relative activation (nor Poisson rate): left out of every ratio below.
        ref = fnum(r.get("reference_max"))
        r["valid"] = ref is not None and ref > 0
        r["rel"] = fnum(r.get("relative_activation")) if r["valid"] else None
        r["bf"] = fnum(r.get("brute_force_relative")) if r["valid"] else None
        test = fnum(r.get("test_set_max"))
        r["rel_test"] = fnum(r.get("relative_to_test_set")) if test is not None and test > 0 else None
        r["clean"] = fnum(r.get("final_best_clean"))
        # Every statistic here is over the paper's reference (the 60,000 training images): a run
        # made against another reference set (an older protocol) is left out, and counted.
        if r["status"] == "done" and r.get("reference_split") != "training":
            r["status"] = "other reference"
    return rows


def load_paper(folder, name):
    p = os.path.join(folder, name)
    if not folder or not os.path.exists(p):
        return []
    with open(p, newline="") as f:
        return list(csv.DictReader(f))


def per_unit_mean(rows, key="rel"):
    """(tap, unit) -> mean over seeds of key."""
    acc = defaultdict(list)
    for r in rows:
        if r[key] is not None:
            acc[(r["tap"], r["unit"])].append(r[key])
    return {k: sum(v) / len(v) for k, v in acc.items()}


def boxplot(ax, groups, labels, colors, title, ylabel, hline=1.0):
    data = [[x for x in g if x is not None] or [float("nan")] for g in groups]
    parts = ax.boxplot(data, labels=labels, showfliers=False, patch_artist=True, widths=0.6)
    for patch, c in zip(parts["boxes"], colors):
        patch.set_facecolor(c)
        patch.set_alpha(0.45)
    for i, g in enumerate(data, start=1):
        xs = [i + 0.18 * ((j * 0.6180339) % 1 - 0.5) for j in range(len(g))]
        ax.scatter(xs, g, s=6, color="k", alpha=0.5, zorder=3)
    if hline is not None:
        ax.axhline(hline, color="grey", lw=0.8, ls="--")
    ax.set_title(title, fontsize=9)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.tick_params(labelsize=7)


def savefig(fig, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ---------------------------------------------------------------------------------------------

def section_status(rows, md):
    by = defaultdict(list)
    for r in rows:
        by[r["experiment"]].append(r)
    out = []
    for ex in EXPERIMENTS:
        rs = by.get(ex, [])
        done = [r for r in rs if r["status"] == "done"]
        walls = [fnum(r.get("seconds")) for r in done]
        walls = [w for w in walls if w is not None]
        stim = sorted({r.get("stimuli", "") for r in done})
        planned = len(rs)  # the gathered table has a row for every cell of the config, run or not
        state = ("not in the table" if not rs else "complete" if len(done) >= planned else
                 "not run" if not done else f"partial ({len(done)} of {planned} cells)")
        out.append([ex, planned, len(done), state, ", ".join(stim) or "–",
                    f2(med(walls), 1) if walls else "–", f2(sum(walls) / 60, 1) if walls else "–"])
    md.append(table(["experiment", "cells planned", "cells done", "state", "stimuli per run",
                     "median s per run (evolution)", "sum of run minutes"], out))
    other = [r for r in rows if r["status"] == "other reference"]
    if other:
        md.append(f"\n{len(other)} finished runs were made against another reference set than the 60,000 "
                  "training images (an older protocol) and are left out; `scripts/experiments` re-runs them.")
    nets = sorted({r.get("network_sha256", "") for r in rows if r["status"] == "done"} - {""})
    gens = sorted({(os.path.basename(r.get("generator", "")), r.get("generator_sha256", "")) for r in rows
                   if r["status"] == "done" and r.get("generator_sha256")})
    md.append("\nModels of these runs (sha256, first 16 hex digits): classifier " + ", ".join(nets) + "; generators " +
              ", ".join(f"{g} {h}" for g, h in gens) + ". Seconds per run are the evolution's own wall time "
              "(summary.json `seconds`), measured with as many runs in parallel as the notes say.")
    bad = sorted({(r["tap"], int(r["unit"]), fnum(r["reference_max"])) for r in rows
                  if r["status"] == "done" and not r["valid"] and r.get("tap")})
    if bad:
        md.append("\nUnits left out of every relative-activation statistic because the best reference "
                  "image drives them to <= 0 (silent on natural images: the ratio has no meaning; Poisson noise, "
                  "scaled to the reference maximum, cannot be defined for them and xdream-evolve refuses it): " +
                  ", ".join(f"{t}[{u}] (max {m:.3g})" for t, u, m in bad) + ".")


def main_row(label, rs):
    """A row of the main table: runs and unit means (over seeds) of one layer, or of all."""
    units = per_unit_mean(rs)
    tests = per_unit_mean(rs, "rel_test")
    bf = {(r["tap"], r["unit"]): r["bf"] for r in rs if r["bf"] is not None}
    rel = [r["rel"] for r in rs]
    beats = [r["rel"] > r["bf"] for r in rs if r["rel"] is not None and r["bf"] is not None]
    unit_beats = [v > bf[k] for k, v in units.items() if k in bf]
    return [label, len(units), len(rs), f2(med(rel)), pct(frac(rel, lambda x: x > 1)),
            f2(med(list(units.values()))), pct(frac(list(units.values()), lambda x: x > 1)),
            pct(frac(list(tests.values()), lambda x: x > 1)), f2(med([r["bf"] for r in rs])),
            pct(sum(beats) / len(beats) if beats else None),
            pct(sum(unit_beats) / len(unit_beats) if unit_beats else None)]


def section_main(rows, paper, md, figdir, runs_root):
    main = [r for r in rows if r["experiment"] == "main" and r["status"] == "done"]
    if not main:
        md.append("_Not run yet._")
        return
    fig2 = [r for r in paper.get("fig_2", []) if r["Classifier"] == "caffenet"]
    out = []
    for layer in LAYERS:
        rs = [r for r in main if r["tap"] == layer]
        if not rs:
            continue
        out.append(main_row(layer, rs))
    out.append(main_row("**all**", main))
    md.append("**Ours** (Fashion-MNIST classifier, bundled fc6 generator, GA fc6 settings; reference: the "
              "60,000 training images; test: the best of the 10,000 test images instead):\n")
    md.append(table(["layer", "units", "runs", "median rel. act. (runs)", "P(>1) (runs)",
                     "median rel. act. (unit means)", "P(>1) (units)", "P(>1) vs test set (units)",
                     "brute force (median)", "runs beating brute force", "units beating brute force"], out))
    md.append("\nA unit beats brute force when the mean of its seeds' relative activations exceeds its "
              "brute-force control (the control does not depend on the seed).")
    if fig2:
        pout = []
        for layer in PAPER_LAYERS:
            rs = [r for r in fig2 if r["Layer"] == layer]
            rel = [fnum(r["Rel_act"]) for r in rs]
            bf = [fnum(r["Rel_exp_max"]) for r in rs]
            beats = [a > b for a, b in zip(rel, bf) if a is not None and b is not None]
            pout.append([layer, len(rs), f2(med(rel)), pct(frac(rel, lambda x: x > 1)), f2(med(bf)),
                         pct(sum(beats) / len(beats) if beats else None)])
        md.append("\n**The paper** (CaffeNet, DeePSiM fc6, 10,000 stimuli; per-unit data of its Fig. 2):\n")
        md.append(table(["layer", "units", "median rel. act.", "P(>1)", "brute force (median)",
                         "units beating brute force"], pout))

    # distributions beside the paper's
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), gridspec_kw={"width_ratios": [6, 4]})
    groups = [[r["rel"] for r in main if r["tap"] == l] for l in LAYERS]
    bfs = [[r["bf"] for r in main if r["tap"] == l] for l in LAYERS]
    boxplot(axes[0], groups, LAYERS, ["tab:blue"] * 6,
            "ours: relative activation per layer (dots: runs); red: brute force", "relative activation")
    for i, b in enumerate(bfs, start=1):
        b = [x for x in b if x is not None]
        if b:
            axes[0].plot([i - 0.3, i + 0.3], [statistics.median(b)] * 2, color="tab:red", lw=2)
    axes[0].set_yscale("log")
    axes[0].set_title("ours: relative activation per layer (log scale; dots: runs); red: brute force", fontsize=9)
    if fig2:
        pg = [[fnum(r["Rel_act"]) for r in fig2 if r["Layer"] == l] for l in PAPER_LAYERS]
        pb = [[fnum(r["Rel_exp_max"]) for r in fig2 if r["Layer"] == l] for l in PAPER_LAYERS]
        boxplot(axes[1], pg, PAPER_LAYERS, ["tab:orange"] * 4, "paper (CaffeNet, Fig. 2 data)",
                "relative activation")
        for i, b in enumerate(pb, start=1):
            axes[1].plot([i - 0.3, i + 0.3], [med(b)] * 2, color="tab:red", lw=2)
        axes[1].set_yscale("log")
    else:
        axes[1].set_axis_off()
    savefig(fig, os.path.join(figdir, "main_relative_activation.png"))
    md.append("\n![relative activation per layer](results/main_relative_activation.png)\n")

    # evolved vs brute force, per run
    fig, ax = plt.subplots(figsize=(5, 4))
    for layer, c in zip(LAYERS, plt.cm.viridis([i / 5 for i in range(6)])):
        rs = [r for r in main if r["tap"] == layer and r["rel"] is not None and r["bf"] is not None]
        ax.scatter([r["bf"] for r in rs], [r["rel"] for r in rs], s=8, color=c, label=layer)
    # A unit nearly silent on natural images (best response just above 0) has huge ratios and a
    # negative control: such runs are counted, not drawn, so that the rest stays readable.
    xlim, ylim = (0.4, 1.1), (0.3, 8.0)
    out = sum(1 for r in main if r["rel"] is not None and r["bf"] is not None and
              not (xlim[0] <= r["bf"] <= xlim[1] and ylim[0] <= r["rel"] <= ylim[1]))
    ax.plot(xlim, xlim, color="grey", lw=0.8, ls="--")
    ax.set_xlim(*xlim)
    ax.set_yscale("log")
    ax.set_ylim(*ylim)
    if out:
        ax.text(0.02, 0.98, f"{out} runs outside the axes", transform=ax.transAxes, fontsize=7, va="top")
    ax.set_xlabel("brute force (expected best of as many random images) / reference max", fontsize=7)
    ax.set_ylabel("evolved / reference max", fontsize=8)
    ax.legend(fontsize=7)
    ax.set_title("every run of the main experiment: evolved vs brute force", fontsize=9)
    savefig(fig, os.path.join(figdir, "main_vs_brute_force.png"))
    md.append("![evolved vs brute force](results/main_vs_brute_force.png)\n")

    # images: every unit's final evolved stimulus next to its best natural image (seed 0)
    section_images(main, md, figdir, runs_root)


def final_image(r, runs_root):
    """(run directory, final generation's best image by clean score) of a row, or None."""
    d = os.path.join(runs_root, r.get("run_dir") or
                     os.path.join("runs", "experiments", r["experiment"], "runs", r["cell"]))
    gens = fnum(r.get("result_generations"))
    if gens is None:
        return None
    img = os.path.join(d, "images", f"gen{int(gens) - 1:04d}.png")
    if not (os.path.exists(img) and os.path.exists(os.path.join(d, "reference_best.png"))):
        return None
    return d, img


def section_images(main, md, figdir, runs_root):
    path = os.path.join(figdir, "main_images.png")
    per_layer = []
    for layer in LAYERS:
        rs = sorted([r for r in main if r["tap"] == layer and r.get("seed") == "0"], key=lambda r: int(r["unit"]))
        found = [(r, final_image(r, runs_root)) for r in rs]
        per_layer.append((layer, [(r, f) for r, f in found if f]))
    pairs = sum(len(p) for _, p in per_layer)
    caption = ("Every unit of the main experiment (seed 0): the best image of the final generation (right of "
               "each pair, with its relative activation) next to the unit's best natural image (left: the best "
               "of the 60,000 training images); grey titles: units without a meaningful ratio:\n")
    if pairs == 0:
        print(f"make_results: no run directories under {runs_root}: {path} is not redrawn", file=sys.stderr)
        if os.path.exists(path):
            md.append(caption.replace(":\n", " (drawn from the run directories of the last full run):\n"))
            md.append("![evolved and natural images](results/main_images.png)\n")
        return
    per_row = 10
    rows_needed = sum(max(1, math.ceil(len(p) / per_row)) for _, p in per_layer if p)
    fig, axes = plt.subplots(rows_needed, 2 * per_row, figsize=(2 * per_row * 0.55, rows_needed * 0.85),
                             squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    row = 0
    for layer, p in per_layer:
        if not p:
            continue
        for i, (r, (d, img)) in enumerate(p):
            rr, k = row + i // per_row, i % per_row
            ratio = f"{r['rel']:.2f}x" if r["rel"] is not None else "n/a"
            for j, fn in enumerate([os.path.join(d, "reference_best.png"), img]):
                ax = axes[rr, 2 * k + j]
                ax.imshow(plt.imread(fn), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
                ax.set_title(f"{layer}[{r['unit']}]" if j == 0 else ratio, fontsize=4.5, pad=1,
                             color="black" if r["rel"] is not None else "grey")
        row += max(1, math.ceil(len(p) / per_row))
    savefig(fig, path)
    md.append(caption)
    md.append("![evolved and natural images](results/main_images.png)\n")


def section_generators(rows, paper, md, figdir):
    gen = [r for r in rows if r["experiment"] == "generators" and r["status"] == "done"]
    if not gen:
        md.append("_Not run yet._")
        return
    names = [g for g in ["fc6", "fc7", "raw_pixel"] if any(r["axis_generator"] == g for r in gen)]
    out = []
    for layer in LAYERS:
        cells = [layer]
        for g in names:
            rel = [r["rel"] for r in gen if r["tap"] == layer and r["axis_generator"] == g]
            cells.append(f"{f2(med(rel))} ({pct(frac(rel, lambda x: x > 1))} > 1, n={len(rel)})" if rel else "–")
        # paired: learned fc6 vs raw pixel per unit
        a = {r["unit"]: r["rel"] for r in gen if r["tap"] == layer and r["axis_generator"] == "fc6"}
        b = {r["unit"]: r["rel"] for r in gen if r["tap"] == layer and r["axis_generator"] == "raw_pixel"}
        common = [u for u in a if u in b and a[u] is not None and b[u] is not None]
        cells.append(pct(sum(a[u] > b[u] for u in common) / len(common)) if common else "–")
        out.append(cells)
    md.append(table(["layer"] + [f"{g}: median rel. act." for g in names] + ["fc6 beats raw pixels (units)"], out))
    f5 = [r for r in paper.get("fig_5", []) if r["Classifier"] == "caffenet"]
    if f5:
        pout = []
        pnames = ["deepsim-fc6", "deepsim-fc7", "raw_pixel"]
        for layer in ["conv2", "fc6", "fc8"]:
            pout.append([layer] + [f2(med([fnum(r["Rel_act"]) for r in f5 if r["Layer"] == layer and r["Generator"] == g]))
                                   for g in pnames])
        md.append("\nThe paper (CaffeNet, its Fig. 5 data, median relative activation):\n")
        md.append(table(["layer"] + pnames, pout))
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), gridspec_kw={"width_ratios": [6, 3]})
    colors = {"fc6": "tab:blue", "fc7": "tab:green", "raw_pixel": "tab:grey"}
    w = 0.8 / max(len(names), 1)
    for k, g in enumerate(names):
        data = [[r["rel"] for r in gen if r["tap"] == l and r["axis_generator"] == g and r["rel"] is not None] or [float("nan")]
                for l in LAYERS]
        pos = [i + (k - (len(names) - 1) / 2) * w for i in range(len(LAYERS))]
        bp = axes[0].boxplot(data, positions=pos, widths=w * 0.9, showfliers=False, patch_artist=True)
        for p in bp["boxes"]:
            p.set_facecolor(colors[g])
            p.set_alpha(0.5)
        axes[0].plot([], [], color=colors[g], lw=6, alpha=0.5, label=g)
    axes[0].set_xticks(range(len(LAYERS)))
    axes[0].set_xticklabels(LAYERS, fontsize=7)
    axes[0].axhline(1, color="grey", ls="--", lw=0.8)
    axes[0].legend(fontsize=7)
    axes[0].set_title("ours: generator comparison (GA, 5,000 stimuli)", fontsize=9)
    axes[0].set_ylabel("relative activation", fontsize=8)
    if f5:
        pn = ["deepsim-fc6", "deepsim-fc7", "raw_pixel"]
        data = [[fnum(r["Rel_act"]) for r in f5 if r["Generator"] == g and r["Layer"] in ("conv2", "fc6", "fc8")] for g in pn]
        boxplot(axes[1], data, ["fc6", "fc7", "raw"], ["tab:blue", "tab:green", "tab:grey"],
                "paper (CaffeNet conv2/fc6/fc8, Fig. 5)", "relative activation")
    else:
        axes[1].set_axis_off()
    savefig(fig, os.path.join(figdir, "generators.png"))
    md.append("\n![generator comparison](results/generators.png)\n")


NOISE_ORDER = ["none", "poisson-250", "poisson-100", "poisson-50", "poisson-20", "poisson-10", "poisson-5",
               "mult-0.2", "mult-0.5"]
ALGOS = ["ga", "fdgd", "nes", "sep-cmaes", "cholesky-cmaes", "sphere-cma"]


def section_noise(rows, paper, md, figdir):
    nz = [r for r in rows if r["experiment"] == "noise" and r["status"] == "done"]
    if not nz:
        md.append("_Not run yet._")
        return
    # normalized clean max: per unit, the best final clean activation of any run of this experiment
    best = defaultdict(float)
    for r in nz:
        if r["clean"] is not None:
            best[(r["tap"], r["unit"])] = max(best[(r["tap"], r["unit"])], r["clean"])
    for r in nz:
        b = best.get((r["tap"], r["unit"]))
        r["norm"] = r["clean"] / b if r["clean"] is not None and b and b > 0 else None
    conds = [c for c in NOISE_ORDER if any(r["axis_noise"] == c for r in nz)]
    algos = [a for a in ALGOS if any(r["algorithm"] == a for r in nz)]
    out, out2 = [], []
    for a in algos:
        row, row2 = [a], [a]
        for c in conds:
            rs = [r for r in nz if r["algorithm"] == a and r["axis_noise"] == c]
            row.append(f"{f2(med([r['rel'] for r in rs]))} (n={len(rs)})" if rs else "–")
            row2.append(f2(med([r["norm"] for r in rs])) if rs else "–")
        out.append(row)
        out2.append(row2)
    md.append("Median relative activation (clean activation of the final generation's best / best reference image), "
              "all layers pooled:\n")
    md.append(table(["algorithm"] + conds, out))
    md.append("\nMedian normalized clean max (Wang & Ponce's measure: the run's final clean best / the best any run "
              "of this experiment reached for that unit):\n")
    md.append(table(["algorithm"] + conds, out2))
    f6 = [r for r in paper.get("fig_6o", []) if r["Classifier"] == "caffenet"]
    if f6:
        pout = []
        for o in ["genetic", "FDGD", "NES"]:
            pout.append([o] + [f2(med([fnum(r["Rel_act"]) for r in f6 if r["Optimizer"] == o and r["Noisy"] == n]))
                               for n in ("False", "True")])
        md.append("\nThe paper (CaffeNet, its Fig. 6 data: median relative activation, noise-free and Poisson "
                  "noise of ~20 spikes):\n")
        md.append(table(["optimizer", "noise-free", "noisy"], pout))
    # The GA by Poisson level L, ours beside the paper's curve (its Fig. 6 stochasticity scales).
    ss = [r for r in paper.get("fig_6s", []) if r["Classifier"] == "caffenet"]
    ga = [r for r in nz if r["algorithm"] == "ga"]
    ours = {fnum(r.get("noise_level")) for r in ga if r.get("noise") == "poisson"}
    levels = sorted(ours | {fnum(r["Stoch_scale"]) for r in ss if r["Stoch_scale"]} - {None})
    if levels:
        def paper_at(level):
            v = [fnum(r["Rel_act"]) for r in ss if (fnum(r["Stoch_scale"]) == level if level else not r["Stoch_scale"])]
            return f2(med(v)) if v else "–"

        def ours_at(level):
            v = [r["rel"] for r in ga if (r.get("noise") == "poisson" and fnum(r.get("noise_level")) == level
                                          if level else r.get("noise") == "none")]
            return f2(med(v)) if v else "–"
        md.append("\nThe GA under Poisson noise by expected spikes L at the reference maximum (median relative "
                  "activation; the paper: CaffeNet, its Fig. 6 data):\n")
        md.append(table(["L"] + [f"{l:g}" for l in levels] + ["noise-free"],
                        [["ours"] + [ours_at(l) for l in levels] + [ours_at(None)],
                         ["paper"] + [paper_at(l) for l in levels] + [paper_at(None)]]))
    md.append("\nWang & Ponce (AlexNet, DeePSiM fc6, 3,000 evaluations, normalized clean max): "
              "noise 0: GA 0.37, CholeskyCMA 0.73, sep-CMA 0.70, SphereCMA 0.86; multiplicative 0.2: 0.34 / 0.52 / "
              "0.56 / 0.53; 0.5: 0.29 / 0.42 / 0.43 / 0.40.\n")
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    for a, c in zip(algos, plt.cm.tab10(range(len(algos)))):
        ys = [med([r["rel"] for r in nz if r["algorithm"] == a and r["axis_noise"] == k]) for k in conds]
        axes[0].plot(range(len(conds)), [y if y is not None else float("nan") for y in ys], "o-", color=c, label=a)
        ys = [med([r["norm"] for r in nz if r["algorithm"] == a and r["axis_noise"] == k]) for k in conds]
        axes[1].plot(range(len(conds)), [y if y is not None else float("nan") for y in ys], "o-", color=c, label=a)
    for ax, t in zip(axes, ["median relative activation (clean)", "median normalized clean max"]):
        ax.set_xticks(range(len(conds)))
        ax.set_xticklabels(conds, fontsize=7)
        ax.set_title(t, fontsize=9)
        ax.legend(fontsize=7)
    axes[0].axhline(1, color="grey", ls="--", lw=0.8)
    savefig(fig, os.path.join(figdir, "noise.png"))
    md.append("![noise robustness](results/noise.png)\n")


def section_init(rows, paper, md, figdir):
    it = [r for r in rows if r["experiment"] == "init" and r["status"] == "done"]
    if not it:
        md.append("_Not run yet (needs `--init reference-best` in xdream-evolve)._")
        return
    out = []
    for layer in LAYERS:
        a = {(r["unit"], r["seed"]): r["rel"] for r in it if r["tap"] == layer and r["init"] == "random"}
        b = {(r["unit"], r["seed"]): r["rel"] for r in it if r["tap"] == layer and r["init"] == "reference-best"}
        common = [k for k in a if k in b and a[k] is not None and b[k] is not None]
        out.append([layer, f2(med(list(a.values()))), f2(med(list(b.values()))),
                    pct(sum(b[k] > a[k] for k in common) / len(common)) if common else "–", len(common)])
    md.append(table(["layer", "random: median rel. act.", "reference-best: median rel. act.",
                     "reference-best > random (paired runs)", "pairs"], out))
    pi = paper.get("fig_4", [])
    if pi:
        md.append("\nThe paper (CaffeNet, its Fig. 4 data, median relative activation): " + ", ".join(
            f"{n}: {f2(med([fnum(r['Rel_act']) for r in pi if r['Init_name'] == n]))}"
            for n in ["rand", "best_ivt", "best_opt", "worst_opt"]) +
            " (best_ivt/best_opt: initialized from the codes of the unit's best natural images by inversion/"
            "optimization).")
    fig, ax = plt.subplots(figsize=(8, 3.4))
    for k, (name, c) in enumerate([("random", "tab:blue"), ("reference-best", "tab:purple")]):
        data = [[r["rel"] for r in it if r["tap"] == l and r["init"] == name and r["rel"] is not None] or [float("nan")]
                for l in LAYERS]
        bp = ax.boxplot(data, positions=[i + (k - 0.5) * 0.35 for i in range(6)], widths=0.3, showfliers=False,
                        patch_artist=True)
        for p in bp["boxes"]:
            p.set_facecolor(c)
            p.set_alpha(0.5)
        ax.plot([], [], color=c, lw=6, alpha=0.5, label=name)
    ax.set_xticks(range(6))
    ax.set_xticklabels(LAYERS, fontsize=7)
    ax.axhline(1, color="grey", ls="--", lw=0.8)
    ax.legend(fontsize=7)
    ax.set_title("initialization: random vs the unit's best reference images (GA, 3,000 stimuli)", fontsize=9)
    savefig(fig, os.path.join(figdir, "init.png"))
    md.append("\n![initialization](results/init.png)\n")


SWEEP = ["default", "population-10", "population-40", "rate-0.25", "rate-0.75", "size-0.25", "size-1.0",
         "selectivity-1", "selectivity-4"]


def section_sweep(rows, md, figdir):
    sw = [r for r in rows if r["experiment"] == "sweep" and r["status"] == "done"]
    if not sw:
        md.append("_Not run yet._")
        return
    settings = [s for s in SWEEP if any(r["axis_setting"] == s for r in sw)]
    out = []
    for s in settings:
        row = [s]
        for layer in LAYERS:
            row.append(f2(med([r["rel"] for r in sw if r["axis_setting"] == s and r["tap"] == layer])))
        row.append(f2(med([r["rel"] for r in sw if r["axis_setting"] == s])))
        out.append(row)
    md.append(table(["setting"] + LAYERS + ["all layers"], out))
    fig, ax = plt.subplots(figsize=(9, 3.4))
    data = [[r["rel"] for r in sw if r["axis_setting"] == s and r["rel"] is not None] or [float("nan")] for s in settings]
    boxplot(ax, data, settings, ["tab:blue"] * len(settings),
            "GA sweep around the fc6 settings (all layers, 3,000 stimuli)", "relative activation")
    ax.tick_params(axis="x", labelsize=6)
    savefig(fig, os.path.join(figdir, "sweep.png"))
    md.append("\n![GA sweep](results/sweep.png)\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--csv", default=os.path.join(REPO, "docs", "results", "experiments.csv"))
    ap.add_argument("--runs", default=REPO)
    ap.add_argument("--paper-data", default=os.path.join(REPO, "..", "shared", "paper-data"))
    ap.add_argument("--out", default=os.path.join(REPO, "docs", "results.md"))
    ap.add_argument("--notes", default=os.path.join(REPO, "docs", "results", "notes.md"),
                    help="hand-written comments inserted after the generated status table (optional)")
    ap.add_argument("--trim-to", help="also write the table with the columns used here to this file "
                                      "(scripts/experiments: docs/results/experiments.csv) and read that")
    args = ap.parse_args()
    if args.trim_to:
        trim_csv(args.csv, args.trim_to)
        args.csv = args.trim_to
    rows = load_rows(args.csv)
    if not os.path.isdir(args.paper_data):
        print(f"make_results: no paper data in {args.paper_data}: the paper's columns are left out "
              "(give --paper-data DIR)", file=sys.stderr)
    paper = {k: load_paper(args.paper_data, f) for k, f in [
        ("fig_2", "fig_2.csv"), ("fig_5", "fig_5-repr_depth.csv"), ("fig_6o", "fig_6-optimizers.csv"),
        ("fig_6s", "fig_6-stoch_scales.csv"), ("fig_4", "fig_4-per_neuron_init.csv")]}
    figdir = os.path.join(os.path.dirname(args.out), "results")
    md = ["# Results: the XDream paper's in-silico findings on the bundled test bed", "",
          "_Generated by `tools/results/make_results.py` from `docs/results/experiments.csv` (gathered by "
          "`xdream-experiments`); regenerate everything with `scripts/experiments` (docs/experiments.md). "
          "Do not edit by hand: hand-written comments live in `docs/results/notes.md`._", "",
          "Relative activation = the clean activation of the best stimulus of the final generation / the best "
          "of the reference set, the 60,000 Fashion-MNIST training images; brute force = the expected best of as "
          "many random images of that set as the run presented stimuli, / the same maximum (the paper's "
          "definitions). The main table also judges against the best of the 10,000 test "
          "images. Units are pre-ReLU; "
          "conv units are at the centre of the feature map.", "", "## Status", ""]
    section_status(rows, md)
    if args.notes and os.path.exists(args.notes):
        md += ["", open(args.notes).read().strip()]
    for title, fn in [("## 1. Relative activation per layer, brute-force control (main)",
                       lambda: section_main(rows, paper, md, figdir, args.runs)),
                      ("## 2. Generators: learned fc6, learned fc7, raw pixels",
                       lambda: section_generators(rows, paper, md, figdir)),
                      ("## 3. Noise: GA, FDGD, NES and the CMA family", lambda: section_noise(rows, paper, md, figdir)),
                      ("## 4. Initialization: random vs the unit's best natural images",
                       lambda: section_init(rows, paper, md, figdir)),
                      ("## 5. GA hyperparameter sweep", lambda: section_sweep(rows, md, figdir))]:
        md += ["", title, ""]
        fn()
    with open(args.out + ".tmp", "w") as f:
        f.write("\n".join(md) + "\n")
    os.replace(args.out + ".tmp", args.out)
    print(f"wrote {args.out} and plots in {figdir}")


if __name__ == "__main__":
    main()
