#!/usr/bin/python3
"""Turns Google Benchmark JSON output of genetic_bench / peers_bench into the Markdown tables
and ratios of docs/benchmarks.md.

Run the benchmarks with repetitions and aggregates (docs/benchmarks.md), then:
    /usr/bin/python3 bench/summarize.py genetic.json peers.json

Times are the medians over repetitions. Single-threaded benchmarks are compared on CPU time
(robust when other processes share the machine); real (wall) time is shown beside it. The
threads = 2 benchmarks run with UseRealTime and are compared on wall time.
"""

import json
import sys

# The original XDream Python GA at n = 4096, population 20 / 40 (design.md section 11), ms.
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
            if b.get("aggregate_name") != "median":
                continue
            name = b["run_name"]
            unit = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[b["time_unit"]]
            medians[name] = {
                "cpu_ms": b["cpu_time"] * unit,
                "real_ms": b["real_time"] * unit,
                "items_per_second": b.get("items_per_second"),
                "allocs": b.get("allocs/iter"),
            }
    return medians, context


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
    print("| benchmark | CPU time | wall time | items/s | allocs/iter |")
    print("|---|---:|---:|---:|---:|")
    for name, v in rows:
        print(f"| `{name}` | {fmt_time(v['cpu_ms'])} | {fmt_time(v['real_ms'])} | "
              f"{fmt_rate(v['items_per_second'])} | {fmt_allocs(v['allocs'])} |")


def ratios(medians, ga_prefix, floor_prefix, peers):
    print("\n#### Ratios at n = 4096 (CPU time, medians)\n")
    print("| pop | xdream GA | floor | GA / floor (target <= 2) | original Python / GA "
          "(target >= 15) | " + " | ".join(f"{label} / GA" for label, _, _ in peers) + " |")
    print("|---|---:|---:|---:|---:|" + "---:|" * len(peers))
    for pop in (20, 40):
        ga = medians.get(f"{ga_prefix}/code:4096/pop:{pop}")
        floor = medians.get(f"{floor_prefix}/code:4096/pop:{pop}")
        if not ga or not floor:
            continue
        cells = [str(pop), fmt_time(ga["cpu_ms"]), fmt_time(floor["cpu_ms"]),
                 f"{ga['cpu_ms'] / floor['cpu_ms']:.2f}",
                 f"{ORIGINAL_PYTHON_MS[pop] / ga['cpu_ms']:.1f}"]
        for _, prefix, evaluation in peers:
            peer = medians.get(f"{prefix}/code:4096/pop:{pop}")
            if not peer:
                cells.append("n/a")
                continue
            peer_ms = peer["cpu_ms"]
            if evaluation:
                ev = medians.get(f"{evaluation}/code:4096/pop:{pop}")
                if ev:
                    peer_ms -= ev["cpu_ms"]
            cells.append(f"{peer_ms / ga['cpu_ms']:.2f}")
        print("| " + " | ".join(cells) + " |")


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
            ("pagmo sga (XDream-like, minus evaluation)", "BM_Peer_PagmoSga",
             "BM_Peer_PagmoEvaluation"),
            ("pagmo sga (defaults, minus evaluation)", "BM_Peer_PagmoSgaDefaults",
             "BM_Peer_PagmoEvaluation"),
            ("GAlib (XDream-like, minus evaluation)", "BM_Peer_GAlibSimpleGA",
             "BM_Peer_GAlibEvaluation"),
            ("GAlib (defaults, minus evaluation)", "BM_Peer_GAlibSimpleGADefaults",
             "BM_Peer_GAlibEvaluation"),
        ])


if __name__ == "__main__":
    main()
