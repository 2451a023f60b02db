#!/usr/bin/python3
"""Plots the scores of a run directory (xdream-evolve, xdream-ga-demo, ...) as scores.png.

Reads DIR/scores.csv (generation, stimuli, best, mean, std, best_clean, missing, seconds) and,
when present, DIR/summary.json, whose reference values are drawn as horizontal lines: the best
natural (reference) image's activation, the best test-set image's, and the brute-force control
(the expected best of as many random reference images as the run presented). For a population
pattern's run the scores and the lines are pattern scores, and the title gives the margin over
the best reference image instead of a relative activation.

    /usr/bin/python3 tools/plot_run.py RUN_DIR [--out FILE] [--quiet]

The programs call it when a run ends; it also works on any run directory afterwards.
"""
import argparse
import csv
import json
import math
import os
import sys
import tempfile


def number(text):
    """A CSV field as a float; an empty field or 'nan' is NaN."""
    try:
        return float(text) if text not in ("", None) else math.nan
    except ValueError:
        return math.nan


def read_scores(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise ValueError(f"{path} has no rows")
    columns = {key: [number(row.get(key)) for row in rows] for key in rows[0]}
    for key in ("generation", "best", "mean"):
        if key not in columns:
            raise ValueError(f"{path} has no column '{key}'")
    return columns


def reference_lines(summary):
    """(value, label, style) of each reference the summary holds."""
    lines = []
    if "reference_max" in summary:
        count = summary.get("reference_count")
        split = summary.get("reference_split", "reference")
        label = f"best of {count} {split} images" if count else "best reference image"
        lines.append((summary["reference_max"], label, dict(color="black", linestyle="--")))
    if "test_set_max" in summary:
        lines.append((summary["test_set_max"], "best test image",
                      dict(color="grey", linestyle="--")))
    if "brute_force_expected_max" in summary:
        lines.append((summary["brute_force_expected_max"],
                      "brute-force control (expected best of as many random images)",
                      dict(color="tab:orange", linestyle=":")))
    return [(v, label, style) for v, label, style in lines
            if isinstance(v, (int, float)) and math.isfinite(v)]


def plot(run_dir, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scores = read_scores(os.path.join(run_dir, "scores.csv"))
    summary = {}
    summary_path = os.path.join(run_dir, "summary.json")
    if os.path.exists(summary_path):
        with open(summary_path) as f:
            summary = json.load(f)

    generation = scores["generation"]
    fig, ax = plt.subplots(figsize=(8, 4.8), dpi=100)
    ax.plot(generation, scores["best"], color="tab:red", label="best of the generation")
    ax.plot(generation, scores["mean"], color="tab:blue", label="mean of the generation")
    clean = scores.get("best_clean")
    if clean and any(not math.isnan(c) and not math.isnan(b) and c != b
                     for c, b in zip(clean, scores["best"])):
        ax.plot(generation, clean, color="tab:green", label="clean best (without noise)")
    for value, label, style in reference_lines(summary):
        ax.axhline(value, label=f"{label}: {value:.4g}", **style)
    ax.set_xlabel("generation")
    pattern = summary.get("objective") == "pattern"
    measure = summary.get("pattern_measure", "")
    ax.set_ylabel(f"pattern score ({measure})" if pattern else "activation (score)")
    title = os.path.basename(os.path.normpath(run_dir))
    if "relative_activation" in summary:
        title += f"  (relative activation {summary['relative_activation']:.3f})"
    # A pattern score can be negative: no ratio, the margin over the best reference image.
    margin = summary.get("margin_over_reference")
    if isinstance(margin, (int, float)) and math.isfinite(margin):
        title += f"  (margin over the best reference image {margin:+.4g})"
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right", fontsize="small")
    fig.tight_layout()

    # Atomically: a temporary file beside the target, then a rename. mkstemp makes the file 0600;
    # the plot gets the mode a plain open() would give it (0666 less the umask).
    directory = os.path.dirname(os.path.abspath(out))
    handle, temporary = tempfile.mkstemp(suffix=".png", dir=directory)
    os.close(handle)
    try:
        fig.savefig(temporary, format="png")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, out)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir", help="a run directory with scores.csv")
    parser.add_argument("--out", help="the image to write (default RUN_DIR/scores.png)")
    parser.add_argument("--quiet", action="store_true", help="print nothing on success")
    args = parser.parse_args()
    out = args.out or os.path.join(args.run_dir, "scores.png")
    try:
        plot(args.run_dir, out)
    except (OSError, ValueError, ImportError) as error:
        print(f"plot_run.py: {error}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
