"""Oracle for tests/algorithms/cmaes_test.cpp: replays xdream::CMAES's samples through the
`cmaes` package's CMA (0.9.1, Debian's python3-cmaes) and prints its state after each generation.

Usage: python3 cmaes_oracle.py INPUT

INPUT: as cmaes_replay.py reads it (written by tests/support/python_oracle.hpp).

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
    import numpy  # noqa: F401 (only checked here: cmaes_replay uses it)
    from cmaes import CMA
except ImportError as error:
    sys.stderr.write(
        f"cmaes_oracle.py: cannot import numpy and cmaes ({error}); install the Debian packages "
        "python3-numpy and python3-cmaes (scripts/setup)\n"
    )
    sys.exit(3)

from cmaes_replay import line, replay  # noqa: E402 (after the check that numpy and cmaes exist)


def report(optimizer) -> None:
    # tell() decomposes C itself when ask() has not.
    line("mean", optimizer._mean)
    line("sigma", [optimizer._sigma])
    line("path_sigma", optimizer._p_sigma)
    line("path_c", optimizer._pc)
    line("covariance", optimizer._C)


def main() -> None:
    replay(sys.argv[1], lambda mean, sigma, lam: CMA(mean=mean, sigma=sigma, population_size=lam),
           report)


if __name__ == "__main__":
    main()
