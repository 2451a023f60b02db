"""Oracle for tests/algorithms/cmaes_test.cpp: replays xdream::CMAES's samples through the
`cmaes` package's CMA (0.9.1, Debian's python3-cmaes) and prints its state after each generation.

Usage: python3 cmaes_oracle.py INPUT

INPUT (whitespace-separated numbers, written by the C++ test):
    n lambda sigma0 generations
    mean0[0] ... mean0[n-1]
    then per generation, lambda rows: x[0] ... x[n-1] score
Scores are maximized by xdream; cmaes minimizes, so it is told -score.

Output, per generation g = 1 ... generations, one line each, numbers as repr (round-trip exact):
    mean m[0] ... m[n-1]
    sigma s
    path_sigma p[0] ... p[n-1]
    path_c p[0] ... p[n-1]
    covariance C[0,0] C[0,1] ... C[n-1,n-1]    (row-major)

Exit status 3 with a message on stderr when numpy or cmaes cannot be imported.
"""

import sys

try:
    import numpy as np
    from cmaes import CMA
except ImportError as error:
    sys.stderr.write(
        f"cmaes_oracle.py: cannot import numpy and cmaes ({error}); install the Debian packages "
        "python3-numpy and python3-cmaes (scripts/setup)\n"
    )
    sys.exit(3)


def main() -> None:
    with open(sys.argv[1]) as f:
        tokens = f.read().split()
    pos = 0

    def take(count: int) -> list[float]:
        nonlocal pos
        values = [float(t) for t in tokens[pos : pos + count]]
        pos += count
        return values

    n, lam, sigma0, generations = take(4)
    n, lam, generations = int(n), int(lam), int(generations)
    mean0 = np.array(take(n))
    optimizer = CMA(mean=mean0, sigma=sigma0, population_size=lam)

    def line(name: str, values) -> None:
        print(name, " ".join(repr(float(v)) for v in np.ravel(values)))

    for _ in range(generations):
        solutions = []
        for _ in range(lam):
            row = take(n + 1)
            solutions.append((np.array(row[:n]), -row[n]))
        # tell() decomposes C itself when ask() has not; ask() is not called, so the oracle's own
        # random draws never enter.
        optimizer.tell(solutions)
        line("mean", optimizer._mean)
        line("sigma", [optimizer._sigma])
        line("path_sigma", optimizer._p_sigma)
        line("path_c", optimizer._pc)
        line("covariance", optimizer._C)


if __name__ == "__main__":
    main()
