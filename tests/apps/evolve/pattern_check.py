#!/usr/bin/python3
"""Recomputes a population-pattern run of xdream-evolve from its record, with Debian's torch
and numpy only (not the program's code): the network's tap activations to the final population's
images (codes.npy through the generator), to the best code's image and to the reference images,
then the pattern measure by its definition. Checks that

  - the z statistics and the target recorded in config.json are the reference set's (the
    channels' mean and std with ddof 0 over the first M test images; the target is the named
    reference image's response),
  - the final generation's best and mean in scores.csv, the best code's score in summary.json
    and the best reference image's score and index are the recomputed ones,
  - the margin over the best reference image is final best - reference best, and no ratio is
    reported,
  - the score improved: the last generation's mean is above the first's.

    pattern_check.py RUN_DIR MODELS_DIR DATA_DIR

Prints one line per check ("ok   ..." or "FAIL ...") and the largest difference found.
"""
import csv
import gzip
import json
import os
import sys

import numpy as np
import torch

# The program's forward passes are LibTorch's, these are Python torch's (the same library, other
# threads): float32 activations agree to ~1e-6 relative, and the measures are smooth in them.
RTOL = 1e-5


def measure(name, r, t):
    """The pattern measure of response vectors r (images x channels) against target t."""
    if name == "cosine":
        return r @ t / (np.linalg.norm(r, axis=1) * np.linalg.norm(t))
    if name == "correlation":
        rc = r - r.mean(axis=1, keepdims=True)
        tc = t - t.mean()
        return rc @ tc / (np.linalg.norm(rc, axis=1) * np.linalg.norm(tc))
    if name == "dot":
        return r @ t
    if name == "negative-mse":
        return -np.mean((r - t) ** 2, axis=1)
    raise ValueError(name)


def idx_images(path, count):
    with gzip.open(path, "rb") as f:
        data = f.read()
    n, h, w = (int.from_bytes(data[k:k + 4], "big") for k in (4, 8, 12))
    pixels = np.frombuffer(data, np.uint8, count * h * w, 16)
    return pixels.reshape(count, 1, h, w).astype(np.float32) / 255.0


def main():
    run, models, data = sys.argv[1:4]
    config = json.load(open(os.path.join(run, "config.json")))
    summary = json.load(open(os.path.join(run, "summary.json")))
    pattern = config["pattern"]
    settings = config["settings"]
    channels = pattern["channels"]
    generator = torch.jit.load(os.path.join(models, "generator.pt")).eval()
    network = torch.jit.load(os.path.join(models, "classifier.pt")).eval()
    failures = []
    largest = 0.0

    def check(name, ok, detail=""):
        print(("ok   " if ok else "FAIL ") + name + (f": {detail}" if detail else ""))
        if not ok:
            failures.append(name)

    def close(name, got, expected):
        nonlocal largest
        got, expected = np.asarray(got, float), np.asarray(expected, float)
        diff = float(np.max(np.abs(got - expected))) if got.size else 0.0
        largest = max(largest, diff)
        check(name, got.shape == expected.shape and np.allclose(got, expected, rtol=RTOL,
                                                                  atol=RTOL * 1e-2),
              f"largest difference {diff:.3g}")

    def responses(images):
        """The tap's channels at the recorded position, images x all channels, float64."""
        with torch.no_grad():
            tap = network(torch.from_numpy(images))[pattern["tap"]]
        if tap.dim() == 4:
            tap = tap[:, :, pattern["y"], pattern["x"]]
        return tap.double().numpy()

    def scores(all_channels):
        r = all_channels[:, channels]
        t = np.asarray(pattern["target"])
        if pattern["zscore"]:
            mean, std = np.asarray(pattern["zscore_mean"]), np.asarray(pattern["zscore_std"])
            r, t = (r - mean) / std, (t - mean) / std
        return measure(pattern["measure"], r, t)

    # The reference set: its statistics, the target, its best image.
    count = settings["reference_count"]
    reference = responses(idx_images(os.path.join(data, "t10k-images-idx3-ubyte.gz"), count))
    if pattern["zscore"]:
        sd = reference[:, channels].std(axis=0)
        close("z statistics: mean over the reference set", pattern["zscore_mean"],
              reference[:, channels].mean(axis=0))
        close("z statistics: std over the reference set (ddof 0)", pattern["zscore_std"],
              np.where(sd > 0, sd, 1.0))
    if "target_reference_image" in pattern:
        close("target = reference image %d's response" % pattern["target_reference_image"],
              pattern["target"], reference[pattern["target_reference_image"], channels])
    else:
        close("target = the --pattern-target values", pattern["target"],
              settings["pattern_target"])
    reference_scores = scores(reference)
    close("best reference image's pattern score", summary["reference_max"],
          reference_scores.max())
    check("best reference image's index", summary["reference_best_index"] ==
          int(np.argmax(reference_scores)),
          f"{summary['reference_best_index']} vs {int(np.argmax(reference_scores))}")

    # The final population and the best code, through the generator.
    codes = np.load(os.path.join(run, "codes.npy"))
    with torch.no_grad():
        images = generator(torch.from_numpy(codes)).numpy()
        best_image = generator(torch.from_numpy(np.load(os.path.join(run, "best_code.npy"))[None])
                               ).numpy()
    final = scores(responses(images))
    rows = list(csv.DictReader(open(os.path.join(run, "scores.csv"))))
    close("final generation's best (scores.csv)", float(rows[-1]["best"]), final.max())
    close("final generation's mean (scores.csv)", float(rows[-1]["mean"]), final.mean())
    close("final best in summary.json", summary["final_best_clean"], final.max())
    close("best code's score (summary.json best_score_ever)", summary["best_score_ever"],
          scores(responses(best_image))[0])
    check("margin over the best reference image = final best - reference best",
          summary["margin_over_reference"] == summary["final_best_clean"] -
          summary["reference_max"])
    check("no ratio reported for a pattern",
          not any(k in summary for k in ("relative_activation", "brute_force_relative",
                                         "relative_to_test_set")))
    check("the score improved (last generation's mean above the first's)",
          float(rows[-1]["mean"]) > float(rows[0]["mean"]),
          f"{rows[0]['mean']} -> {rows[-1]['mean']}")
    print(f"largest difference {largest:.3g}; {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
