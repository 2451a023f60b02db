#!/usr/bin/python3
"""Times one generation of XDream's genetic algorithm in NumPy.

THIS IS A RE-IMPLEMENTATION, NOT THE ORIGINAL. It follows the published rules as written in
docs/genetic.md (the exact rules) so that the C++ GA can be compared with a NumPy
version of the same step on the same machine. The original XDream Python code was not available
here; its own per-generation time (6.1 / 11.9 ms at n = 4096, population 20 / 40) was measured
on this machine type and is what the project's target refers to.

One generation, given the scores of the current population (NaN = no response):
  1. NaN-scored individuals are carried over unchanged;
  2. kT = max(std(s) / selectivity, 1e-8) (ddof 0, before clipping); the sorted valid scores
     are clipped from above at their 95th percentile (linear); F = exp((s - s_max) / kT);
  3. the best n_conserve are copied unchanged;
  4. each child: two parents drawn independently with replacement with p = F / sum(F); each
     gene from parent 1 with probability heritability (h < 0.5 mirrored), else parent 2;
  5. each gene of a child mutates with probability mutation_rate by + N(0, mutation_size^2).

Two variants are timed: `per_child` breeds child by child (one parent pair, one crossover mask,
one mutation mask per child, as a direct transcription of the rules), `vectorized` breeds all
children with whole-array operations. Evaluation is not included (as in the C++ benchmark).

Times are CPU time of this process (time.process_time; NumPy runs these operations on one
thread) and wall time, so that they compare with the C++ benchmarks' CPU time.

Usage: /usr/bin/python3 bench/python/xdream_ga_step.py [--repeats 200]
"""

import argparse
import platform
import time

import numpy as np


def fitness_probabilities(valid_scores, selectivity):
    kT = max(np.std(valid_scores) / selectivity, 1e-8)
    order = np.argsort(-valid_scores, kind="stable")
    sorted_scores = valid_scores[order]
    ceiling = np.percentile(sorted_scores, 95)
    clipped = np.minimum(sorted_scores, ceiling)
    fitness = np.exp((clipped - clipped.max()) / kT)
    return order, fitness / fitness.sum()


def step_per_child(codes, scores, rng, selectivity=2.0, heritability=0.5, mutation_rate=0.5,
                   mutation_size=0.5, n_conserve=0):
    n, d = codes.shape  # one code per row, as XDream's Python code holds them
    heritability = max(heritability, 1.0 - heritability)
    valid = np.flatnonzero(~np.isnan(scores))
    missing = np.flatnonzero(np.isnan(scores))
    order, p = fitness_probabilities(scores[valid], selectivity)
    ranked = valid[order]
    new = np.empty_like(codes)
    slot = 0
    for i in ranked[:n_conserve]:
        new[slot] = codes[i]
        slot += 1
    for _ in range(n - n_conserve - len(missing)):
        p1, p2 = ranked[rng.choice(len(ranked), size=2, replace=True, p=p)]
        from_first = rng.random_sample(d) < heritability
        child = np.where(from_first, codes[p1], codes[p2])
        mutate = rng.random_sample(d) < mutation_rate
        child[mutate] += rng.normal(0.0, mutation_size, size=int(mutate.sum())).astype(codes.dtype)
        new[slot] = child
        slot += 1
    for i in missing:
        new[slot] = codes[i]
        slot += 1
    return new


def step_vectorized(codes, scores, rng, selectivity=2.0, heritability=0.5, mutation_rate=0.5,
                    mutation_size=0.5, n_conserve=0):
    n, d = codes.shape
    heritability = max(heritability, 1.0 - heritability)
    valid = np.flatnonzero(~np.isnan(scores))
    missing = np.flatnonzero(np.isnan(scores))
    order, p = fitness_probabilities(scores[valid], selectivity)
    ranked = valid[order]
    n_children = n - n_conserve - len(missing)
    parents = ranked[rng.choice(len(ranked), size=(n_children, 2), replace=True, p=p)]
    from_first = rng.random_sample((n_children, d)) < heritability
    children = np.where(from_first, codes[parents[:, 0]], codes[parents[:, 1]])
    mutate = rng.random_sample((n_children, d)) < mutation_rate
    children[mutate] += rng.normal(0.0, mutation_size, size=int(mutate.sum())).astype(codes.dtype)
    return np.concatenate([codes[ranked[:n_conserve]], children, codes[missing]])


def time_step(step, d, n, repeats, seed=0):
    rng = np.random.RandomState(seed)
    codes = rng.standard_normal((n, d)).astype(np.float32)
    scores = rng.standard_normal(n)
    for _ in range(5):  # warm up
        codes = step(codes, scores, rng)
    cpu, wall = [], []
    for _ in range(repeats):
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        codes = step(codes, scores, rng)
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start_wall)
    return np.median(cpu), np.min(cpu), np.median(wall)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    print(f"python {platform.python_version()}, numpy {np.__version__}; "
          f"{args.repeats} generations; NumPy RE-IMPLEMENTATION, not the original")
    print("variant     code   pop  CPU median   CPU min  wall median")
    for name, step in (("per_child", step_per_child), ("vectorized", step_vectorized)):
        for n in (20, 40):
            for d in (4096,):
                cpu_median, cpu_min, wall_median = time_step(step, d, n, args.repeats)
                print(f"{name:11s} {d:5d} {n:5d} {cpu_median * 1e3:8.3f} ms {cpu_min * 1e3:6.3f} ms "
                      f"{wall_median * 1e3:8.3f} ms")


if __name__ == "__main__":
    main()
