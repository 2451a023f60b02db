"""Oracle for tests/algorithms/sep_cmaes_test.cpp: replays xdream::SepCMAES's samples through the
`cmaes` package's SepCMA (0.9.1, Debian's python3-cmaes) and prints its state per generation.

Usage: python3 sep_cmaes_oracle.py INPUT
INPUT: "n lambda sigma0 generations", the initial mean, then per generation lambda rows
"x[0] ... x[n-1] score" (xdream maximizes; SepCMA is told -score).
Output per generation: "mean ...", "sigma s", "variances ..." (repr, round-trip exact).
Exit status 3 when numpy or cmaes cannot be imported.
"""

import sys

try:
    import numpy as np
    from cmaes import SepCMA
except ImportError as error:
    sys.stderr.write(f"sep_cmaes_oracle.py: cannot import numpy and cmaes ({error}); install "
                     "the Debian packages python3-numpy and python3-cmaes (scripts/setup)\n")
    sys.exit(3)


def main() -> None:
    tokens = open(sys.argv[1]).read().split()
    pos = 0

    def take(count):
        nonlocal pos
        values = [float(t) for t in tokens[pos:pos + count]]
        pos += count
        return values

    n, lam, sigma0, generations = take(4)
    n, lam, generations = int(n), int(lam), int(generations)
    es = SepCMA(mean=np.array(take(n)), sigma=sigma0, population_size=lam)
    for _ in range(generations):
        solutions = []
        for _ in range(lam):
            row = take(n + 1)
            solutions.append((np.array(row[:n]), -row[n]))
        es.tell(solutions)  # ask() is never called: the oracle's own draws never enter
        print("mean", " ".join(repr(float(v)) for v in es._mean))
        print("sigma", repr(float(es._sigma)))
        print("variances", " ".join(repr(float(v)) for v in es._C))


if __name__ == "__main__":
    main()
