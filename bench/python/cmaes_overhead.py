#!/usr/bin/python3
"""Times one generation of the `cmaes` package's SepCMA and CMA (Debian's python3-cmaes).

A generation is what a user's loop around the package does besides evaluating: lambda calls of
ask() and one tell() with the lambda (x, score) pairs. Scores come from a fixed cycle of random
vectors drawn before the timing, as in bench/algorithms_overhead_bench.cpp (no objective is
timed). The peer of xdream's SepCMAES / CMAES in docs/benchmarks.md, "Algorithms: overhead per
generation at n = 4096, lambda = 40".

- SepCMA runs at n (4096) directly: its generation is O(lambda n).
- CMA is O(lambda n^3) per generation in cmaes 0.9.1: each ask() forms B.dot(np.diag(D)), a
  dense n x n product, and each tell() runs np.linalg.eigh on C (no lazy schedule) and builds
  lambda n x n outer products (40 x 128 MiB at n = 4096). So CMA is timed at smaller sizes
  (--cma-sizes) and extrapolated to n with the exponent of a log-log fit over the two largest
  sizes (printed), and with the exponent 3 that the operation count predicts.

Times are CPU time of this process (time.process_time) and wall time. NumPy's BLAS is asked for
one thread (the variables below are set before NumPy is imported), so that the times compare
with the C++ benchmarks' single-thread CPU time; Debian 12's default BLAS (netlib reference,
libblas3) is single-threaded anyway.

Usage: /usr/bin/python3 bench/python/cmaes_overhead.py [--json FILE] [--quick]
"""

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                  "BLIS_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import cmaes  # noqa: E402


class ScoreCycle:
    """A cycle of 64 random score vectors, drawn once."""

    def __init__(self, population, seed=12345):
        rng = np.random.default_rng(seed)
        self.cycle = [rng.standard_normal(population) for _ in range(64)]
        self.next_index = 0

    def next(self):
        scores = self.cycle[self.next_index % len(self.cycle)]
        self.next_index += 1
        return scores


def generation(optimizer, lam, scores):
    solutions = [optimizer.ask() for _ in range(lam)]
    optimizer.tell([(x, float(s)) for x, s in zip(solutions, scores.next())])


def time_generations(optimizer, lam, generations, repeats, warm_up):
    """Median over `repeats` of the CPU and wall seconds per generation (each repeat times
    `generations` consecutive generations of one run)."""
    scores = ScoreCycle(lam)
    for _ in range(warm_up):
        generation(optimizer, lam, scores)
    cpu, wall = [], []
    for _ in range(repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        for _ in range(generations):
            generation(optimizer, lam, scores)
        cpu.append((time.process_time() - c0) / generations)
        wall.append((time.perf_counter() - w0) / generations)
    return {"cpu_ms": 1e3 * statistics.median(cpu), "wall_ms": 1e3 * statistics.median(wall),
            "cpu_ms_min": 1e3 * min(cpu), "cpu_ms_max": 1e3 * max(cpu),
            "generations": generations, "repeats": repeats}


def fit_exponent(points):
    """Least-squares slope of log(time) over log(n) through the given (n, ms) points."""
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(t) for _, t in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=4096, help="code size (default 4096)")
    parser.add_argument("--lam", type=int, default=40, help="population size (default 40)")
    parser.add_argument("--sep-generations", type=int, default=20,
                        help="SepCMA generations per repeat (default 20)")
    parser.add_argument("--repeats", type=int, default=5, help="repeats (default 5)")
    parser.add_argument("--cma-sizes", default="256,512,1024",
                        help="code sizes CMA is timed at (default 256,512,1024)")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: 2 generations, 2 repeats, CMA at 64 and 128")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args()
    if args.quick:
        args.sep_generations, args.repeats, args.cma_sizes = 2, 2, "64,128"
    cma_sizes = sorted(int(s) for s in args.cma_sizes.split(","))
    n, lam = args.n, args.lam

    results = {"n": n, "lambda": lam, "cmaes_version": getattr(cmaes, "__version__", "?"),
               "numpy_version": np.__version__, "python": platform.python_version()}

    sep = cmaes.SepCMA(mean=np.zeros(n), sigma=1.0, seed=1, population_size=lam)
    results["SepCMA"] = time_generations(sep, lam, args.sep_generations, args.repeats, warm_up=2)

    # CMA: one warm-up generation, then single generations (each is seconds at n = 1024).
    cma_points = {}
    for size in cma_sizes:
        cma = cmaes.CMA(mean=np.zeros(size), sigma=1.0, seed=1, population_size=lam)
        repeats = max(1, min(args.repeats, 3 if size <= 512 else 1))
        cma_points[size] = time_generations(cma, lam, 1, repeats, warm_up=1)
    results["CMA"] = {"sizes": {str(k): v for k, v in cma_points.items()}}
    if n in cma_points:
        results["CMA"]["cpu_ms"] = cma_points[n]["cpu_ms"]
        results["CMA"]["extrapolated"] = False
    else:
        largest = cma_sizes[-2:] if len(cma_sizes) >= 2 else cma_sizes
        n_max = cma_sizes[-1]
        t_max = cma_points[n_max]["cpu_ms"]
        exponent = (fit_exponent([(s, cma_points[s]["cpu_ms"]) for s in largest])
                    if len(largest) >= 2 else 3.0)
        results["CMA"].update({
            "extrapolated": True,
            "fit_sizes": largest,
            "fit_exponent": exponent,
            "cpu_ms": t_max * (n / n_max) ** exponent,
            "cpu_ms_cubic": t_max * (n / n_max) ** 3,
        })

    print(f"python3-cmaes {results['cmaes_version']} (NumPy {results['numpy_version']}, "
          f"Python {results['python']}), lambda = {lam}, CPU ms per generation "
          f"(lambda asks + tell), median")
    s = results["SepCMA"]
    print(f"  SepCMA  n = {n:5d}: {s['cpu_ms']:10.2f} ms  (wall {s['wall_ms']:.2f}; "
          f"{s['repeats']} x {s['generations']} generations, range {s['cpu_ms_min']:.2f} .. "
          f"{s['cpu_ms_max']:.2f})")
    for size, point in cma_points.items():
        print(f"  CMA     n = {size:5d}: {point['cpu_ms']:10.1f} ms  (wall {point['wall_ms']:.1f}; "
              f"{point['repeats']} x 1 generation)")
    c = results["CMA"]
    if c["extrapolated"]:
        print(f"  CMA     n = {n:5d}: {c['cpu_ms']:10.0f} ms  extrapolated: t ~ n^"
              f"{c['fit_exponent']:.2f} (log-log fit over n = {c['fit_sizes']}); "
              f"with n^3: {c['cpu_ms_cubic']:.0f} ms")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=1)


if __name__ == "__main__":
    main()
