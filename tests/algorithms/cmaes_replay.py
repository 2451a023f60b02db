"""The replay both oracles (cmaes_oracle.py, sep_cmaes_oracle.py) run: reads the run a C++ test
wrote (tests/support/python_oracle.hpp), tells it to one of the `cmaes` package's optimizers and
prints the optimizer's state after each generation.

INPUT (whitespace-separated numbers):
    n lambda sigma0 generations
    mean0[0] ... mean0[n-1]
    then per generation, lambda rows: x[0] ... x[n-1] score
Scores are maximized by xdream; cmaes minimizes, so it is told -score. Its ask() is never
called, so the oracle's own random draws never enter.
"""

import numpy as np


def line(name: str, values) -> None:
    """Prints `name` and the values as repr (round-trip exact)."""
    print(name, " ".join(repr(float(v)) for v in np.ravel(values)))


def replay(path: str, make, report) -> None:
    """make(mean0, sigma0, lam) builds the optimizer; report(optimizer) prints its state."""
    with open(path) as f:
        tokens = f.read().split()
    pos = 0

    def take(count: int) -> list[float]:
        nonlocal pos
        values = [float(t) for t in tokens[pos : pos + count]]
        pos += count
        return values

    n, lam, sigma0, generations = take(4)
    n, lam, generations = int(n), int(lam), int(generations)
    optimizer = make(np.array(take(n)), sigma0, lam)
    for _ in range(generations):
        solutions = []
        for _ in range(lam):
            row = take(n + 1)
            solutions.append((np.array(row[:n]), -row[n]))
        optimizer.tell(solutions)
        report(optimizer)
