#!/usr/bin/python3
"""Turns Google Benchmark JSON output of genetic_bench / peers_bench into the Markdown tables
and ratios of docs/benchmarks.md.

Run the benchmarks with repetitions and aggregates (docs/benchmarks.md), then:
    /usr/bin/python3 bench/summarize.py genetic.json peers.json

Times are the medians, and the minima, over repetitions. Single-threaded benchmarks are compared
on CPU time (robust when other processes share the machine); real (wall) time is shown beside
it. The threads = 2 benchmarks run with UseRealTime: for them the wall time is what counts.
Ratios are given on both the median and the minimum CPU time (the fastest repetition is the best
estimate of the cost itself on a machine shared with other work).
"""

import json
import sys

# The original XDream Python GA at n = 4096, population 20 / 40 (as measured on this machine type), ms.
ORIGINAL_PYTHON_MS = {20: 6.1, 40: 11.9}
TARGET_SPEEDUP = 15.0
TARGET_FLOOR_RATIO = 2.0


def load(paths):
    medians = {}
    context = None
    for path in paths:
        with open(path) as f:
            data = json.load(f)
        context = context or data["context"]
        for b in data["benchmarks"]:
            if b.get("aggregate_name") not in ("median", "min"):
                continue
            name = b["run_name"]
            unit = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[b["time_unit"]]
            entry = medians.setdefault(name, {})
            if b["aggregate_name"] == "median":
                entry.update(cpu_ms=b["cpu_time"] * unit, real_ms=b["real_time"] * unit,
                             items_per_second=b.get("items_per_second"),
                             allocs=b.get("allocs/iter"))
            else:
                entry.update(cpu_min_ms=b["cpu_time"] * unit, real_min_ms=b["real_time"] * unit)
    return {k: v for k, v in medians.items() if "cpu_ms" in v}, context


def fmt_time(ms):
    if ms >= 1.0:
        return f"{ms:.3f} ms"
    if ms >= 1e-3:
        return f"{ms * 1e3:.2f} µs"
    return f"{ms * 1e6:.1f} ns"


def fmt_rate(r):
    if r is None:
        return ""
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if r >= scale:
            return f"{r / scale:.1f} {suffix}/s"
    return f"{r:.1f} /s"


def fmt_allocs(a):
    if a is None:
        return "n/a"
    return f"{a:.0f}" if a >= 0.5 or a == 0 else f"{a:.3f}"


def natural_key(name):
    """Orders `BM_X/code:64/pop:20` by name, then population, then code size."""
    parts = name.split("/")
    numbers = {}
    for part in parts[1:]:
        key, _, value = part.partition(":")
        if value.isdigit():
            numbers[key] = int(value)
    return (parts[0], numbers.get("pop", 0), numbers.get("code", 0), numbers.get("draws", 0))


def table(medians, prefix, title):
    rows = sorted(((k, v) for k, v in medians.items() if k.startswith(prefix)),
                  key=lambda kv: natural_key(kv[0]))
    if not rows:
        return
    print(f"\n#### {title}\n")
    print("| benchmark | CPU median | CPU min | wall median | items/s (median) | allocs/iter |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, v in rows:
        cpu_min = fmt_time(v["cpu_min_ms"]) if "cpu_min_ms" in v else "n/a"
        print(f"| `{name}` | {fmt_time(v['cpu_ms'])} | {cpu_min} | {fmt_time(v['real_ms'])} | "
              f"{fmt_rate(v['items_per_second'])} | {fmt_allocs(v['allocs'])} |")


def ratios(medians, ga_prefix, floor_prefix, peers):
    """One row per quantity, one column per population; each cell 'median (min)'."""
    def get(prefix, pop):
        return medians.get(f"{prefix}/code:4096/pop:{pop}")

    def both(f):
        cells = []
        for pop in (20, 40):
            try:
                median = f(pop, "cpu_ms")
            except (KeyError, TypeError):
                cells.append("n/a")
                continue
            try:
                cells.append(f"{median} ({f(pop, 'cpu_min_ms')})")
            except (KeyError, TypeError):
                cells.append(median)
        return " | ".join(cells)

    def peer_ms(prefix, evaluation, pop, key):
        ms = get(prefix, pop)[key]
        if evaluation and get(evaluation, pop):
            ms -= get(evaluation, pop)[key]
        return ms

    print("\n#### Ratios at n = 4096, CPU time: median (min)\n")
    print("| quantity | pop 20 | pop 40 |")
    print("|---|---:|---:|")
    print("| xdream GA generation | " +
          both(lambda p, k: fmt_time(get(ga_prefix, p)[k])) + " |")
    print("| random-draw floor | " +
          both(lambda p, k: fmt_time(get(floor_prefix, p)[k])) + " |")
    print("| GA / floor (target <= 2) | " +
          both(lambda p, k: f"{get(ga_prefix, p)[k] / get(floor_prefix, p)[k]:.2f}") + " |")
    print("| original Python (6.1 / 11.9 ms) / GA (target >= 15) | " +
          both(lambda p, k: f"{ORIGINAL_PYTHON_MS[p] / get(ga_prefix, p)[k]:.1f}") + " |")
    for label, prefix, evaluation in peers:
        if not any(k.startswith(prefix + "/") for k in medians):
            continue
        print(f"| {label} | " + both(lambda p, k: fmt_time(peer_ms(prefix, evaluation, p, k)))
              + " |")
        print(f"| {label} / GA | " + both(
            lambda p, k: f"{peer_ms(prefix, evaluation, p, k) / get(ga_prefix, p)[k]:.2f}") + " |")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    medians, context = load(sys.argv[1:])
    caches = ", ".join(f"L{c['level']} {c['type']} {c['size'] // 1024} KiB" for c in
                       context.get("caches", []))
    print(f"Machine: {context.get('num_cpus')} CPUs at {context.get('mhz_per_cpu')} MHz; {caches}; "
          f"load average at start {context.get('load_avg')}; "
          f"library build type {context.get('library_build_type')}; date {context.get('date')}")
    table(medians, "BM_MakeStream", "Random primitives: stream seeding")
    table(medians, "BM_EngineDraw", "Random primitives: mt19937_64 draws")
    table(medians, "BM_NormalDraw", "Random primitives: normal_distribution<float> draws")
    table(medians, "BM_Selection", "Selection (prepare + 2 parents x N children)")
    table(medians, "BM_Crossover", "Crossover (one child)")
    table(medians, "BM_Mutation", "Mutation (one child)")
    table(medians, "BM_GeneticGeneration/", "One generation, 1 thread")
    table(medians, "BM_GeneticGenerationThreads2", "One generation, 2 threads (wall time counts)")
    table(medians, "BM_RandomDrawFloor", "Random-draw floor of one generation")
    table(medians, "BM_Peer_", "Peers, n = 4096 (one run)")
    if any(k.startswith("BM_GeneticGeneration/") for k in medians):
        ratios(medians, "BM_GeneticGeneration", "BM_RandomDrawFloor", [])
    if any(k.startswith("BM_Peer_XDream/") for k in medians):
        ratios(medians, "BM_Peer_XDream", "BM_Peer_XDreamRandomDrawFloor", [
            ("pagmo2 sga, XDream-like, minus evaluation", "BM_Peer_PagmoSga",
             "BM_Peer_PagmoEvaluation"),
            ("pagmo2 sga, defaults, minus evaluation", "BM_Peer_PagmoSgaDefaults",
             "BM_Peer_PagmoEvaluation"),
            ("GAlib GASimpleGA, XDream-like, minus evaluation", "BM_Peer_GAlibSimpleGA",
             "BM_Peer_GAlibEvaluation"),
            ("GAlib GASimpleGA, defaults, minus evaluation", "BM_Peer_GAlibSimpleGADefaults",
             "BM_Peer_GAlibEvaluation"),
        ])


if __name__ == "__main__":
    main()
