"""Oracle for tests/algorithms/sep_cmaes_test.cpp: replays xdream::SepCMAES's samples through the
`cmaes` package's SepCMA (0.9.1, Debian's python3-cmaes) and prints its state per generation.

Usage: python3 sep_cmaes_oracle.py INPUT
INPUT: as cmaes_replay.py reads it (xdream maximizes; SepCMA is told -score).
Output per generation: "mean ...", "sigma s", "variances ..." (repr, round-trip exact).
Exit status 3 when numpy or cmaes cannot be imported.
"""

import sys

try:
    import numpy  # noqa: F401 (only checked here: cmaes_replay uses it)
    from cmaes import SepCMA
except ImportError as error:
    sys.stderr.write(f"sep_cmaes_oracle.py: cannot import numpy and cmaes ({error}); install "
                     "the Debian packages python3-numpy and python3-cmaes (scripts/setup)\n")
    sys.exit(3)

from cmaes_replay import line, replay  # noqa: E402 (after the check that numpy and cmaes exist)


def report(es) -> None:
    line("mean", es._mean)
    line("sigma", [es._sigma])
    line("variances", es._C)


def main() -> None:
    replay(sys.argv[1],
           lambda mean, sigma, lam: SepCMA(mean=mean, sigma=sigma, population_size=lam), report)


if __name__ == "__main__":
    main()
