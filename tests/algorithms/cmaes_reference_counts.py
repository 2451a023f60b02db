"""Evaluation counts of the reference CMA-ES (the `cmaes` package's CMA, 0.9.1) on the problems of
tests/algorithms/cmaes_test.cpp's convergence cases, to derive that test's bounds. Not run by the
test suite (it takes minutes); run by hand:  python3 tests/algorithms/cmaes_reference_counts.py
[n ...] (default: 10 20 40).

Same definitions and starts as the C++ test: sphere and ellipsoid (condition 1e6) from the all-ones
mean with sigma 1; Rosenbrock from the zero mean with sigma 0.5; default population size; a run
counts the evaluations until a sample has f < 1e-8 (budget 200,000; a run that ends in
Rosenbrock's local minimum near (-1, 1, ..., 1) reaches no target and counts as a failure).
"""

import math
import sys

import numpy as np
from cmaes import CMA


def sphere(x):
    return float(np.sum(x * x))


def ellipsoid(x):
    n = len(x)
    scale = 1e6 ** (np.arange(n) / (n - 1))
    return float(np.sum(scale * x * x))


def rosenbrock(x):
    return float(np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2))


PROBLEMS = {
    "sphere": (sphere, 1.0, 1.0),
    "ellipsoid": (ellipsoid, 1.0, 1.0),
    "rosenbrock": (rosenbrock, 0.0, 0.5),
}


def run(name, n, seed, target=1e-8, budget=200_000):
    f, start, sigma = PROBLEMS[name]
    optimizer = CMA(mean=np.full(n, start), sigma=sigma, seed=seed)
    evaluations = 0
    while evaluations < budget:
        solutions = []
        for _ in range(optimizer.population_size):
            # Codes are presented as float32 in xdream; score them the same way.
            x = optimizer.ask()
            value = f(x.astype(np.float32).astype(np.float64))
            evaluations += 1
            if value < target:
                return evaluations
            solutions.append((x, value))
        optimizer.tell(solutions)
    return None


def main():
    seeds = range(1, 22)
    sizes = [int(a) for a in sys.argv[1:]] or [10, 20, 40]
    for name in PROBLEMS:
        for n in sizes:
            counts = [run(name, n, s) for s in seeds]
            done = sorted(c for c in counts if c is not None)
            failures = len(counts) - len(done)
            median = done[len(done) // 2] if done else None
            print(f"{name:10s} n={n:2d} median={median} min={done[0] if done else None} "
                  f"max={done[-1] if done else None} failures={failures}/{len(counts)}")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
