#!/usr/bin/env bash
# The per-generation overhead comparison of docs/benchmarks.md ("Algorithms: overhead per
# generation at n = 4096, lambda = 40"): runs the C++ benchmark (every xdream algorithm, the
# draw floor, pagmo2's cmaes and xnes) and then python3-cmaes' SepCMA and CMA, back to back on
# this machine, and prints one table with the ratios and the targets. Builds nothing.
#
# Usage:
#   bench/run_overhead.sh <path/to/algorithms_overhead_bench> [--quick] [--repetitions N]
#                         [--out DIR]
#
#   --quick          a smoke run of a few seconds (short timings, no n >= 1024 peers, no full
#                    CMA-ES at 4096): checks the pipeline, not the numbers
#   --repetitions N  Google Benchmark repetitions of the fast benchmarks (default 5; the long
#                    ones fix their own, see bench/algorithms_overhead_bench.cpp)
#   --out DIR        keep the raw results there (default: a temporary directory, printed)
#
# The binary must come from a Release build:
#   cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release -DXDREAM_BUILD_TESTS=OFF
#   cmake --build build/bench -j2 --target algorithms_overhead_bench
#   bench/run_overhead.sh build/bench/bench/algorithms_overhead_bench
# A full run takes about 15 minutes of CPU (the full CMA-ES runs and pagmo2 at n = 1024, 2048).
# Needs /usr/bin/python3 with numpy and cmaes (Debian: python3-numpy, python3-cmaes).
set -euo pipefail

usage() { sed -n '7,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

binary=""
quick=0
repetitions=5
out=""
while (($#)); do
  case "$1" in
    --quick) quick=1 ;;
    --repetitions) repetitions="${2:?--repetitions needs a number}"; shift ;;
    --out) out="${2:?--out needs a directory}"; shift ;;
    -h|--help) usage ;;
    -*) echo "run_overhead.sh: unknown option $1" >&2; usage ;;
    *) [[ -z "$binary" ]] || usage; binary="$1" ;;
  esac
  shift
done
[[ -n "$binary" ]] || usage
if [[ ! -x "$binary" ]]; then
  echo "run_overhead.sh: $binary is not an executable (build the algorithms_overhead_bench target)" >&2
  exit 2
fi
python=/usr/bin/python3
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if ! "$python" -c 'import numpy, cmaes' 2>/dev/null; then
  echo "run_overhead.sh: $python cannot import numpy and cmaes (apt-get install python3-numpy python3-cmaes)" >&2
  exit 2
fi
if [[ -z "$out" ]]; then out="$(mktemp -d /tmp/xdream-overhead.XXXXXX)"; fi
mkdir -p "$out"

# One thread everywhere (pagmo's Eigen and NumPy's BLAS included).
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

load() { cut -d' ' -f1-3 /proc/loadavg; }

cpp_args=(--benchmark_repetitions="$repetitions" --benchmark_report_aggregates_only=true
          --benchmark_out="$out/cpp.json" --benchmark_out_format=json)
python_args=(--json "$out/python.json")
if ((quick)); then
  cpp_args+=(--benchmark_min_time=0.05 --benchmark_repetitions=2
             --benchmark_filter='(Generation|Floor|Evaluation)/code:(256|4096)$|Run75/code:256$|CholeskyCMAESRun75')
  python_args+=(--quick)
fi

echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), $(getconf _NPROCESSORS_ONLN) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), load average $(load)" | tee "$out/machine.txt"
echo "== C++: $binary ${cpp_args[*]}" >&2
load_before_cpp="$(load)"
"$binary" "${cpp_args[@]}" | tee "$out/cpp.txt" >&2
load_after_cpp="$(load)"
echo "== Python: $python $here/python/cmaes_overhead.py ${python_args[*]}" >&2
"$python" "$here/python/cmaes_overhead.py" "${python_args[@]}" | tee "$out/python.txt" >&2
load_after_python="$(load)"
echo "== load average (1, 5, 15 min): before C++ $load_before_cpp; after C++ $load_after_cpp; after Python $load_after_python" | tee -a "$out/machine.txt"
echo "== raw results in $out"
echo

"$python" - "$out/cpp.json" "$out/python.json" <<'PYTHON' | tee "$out/table.md"
import json
import math
import re
import statistics
import sys

cpp = json.load(open(sys.argv[1]))
py = json.load(open(sys.argv[2]))
LIBCMAES_SEP_MS = 5.0  # libcmaes sep-CMA, lambda 40, n 4096: ~5 ms (as measured on this machine type)

# (family, n) -> {"ms": median CPU ms per generation, "cv": coefficient of variation or None}
runs = {}
for b in cpp["benchmarks"]:
    if "time/gen" not in b:
        continue
    family = b["name"].split("/")[0]
    m = re.search(r"/code:(\d+)", b["name"])
    key = (family, int(m.group(1)) if m else None)
    entry = runs.setdefault(key, {"samples": [], "median": None, "cv": None})
    if b.get("run_type") == "aggregate":
        if b.get("aggregate_name") == "median":
            entry["median"] = 1e3 * b["time/gen"]
        elif b.get("aggregate_name") == "cv":
            entry["cv"] = b["time/gen"]
    else:
        entry["samples"].append(1e3 * b["time/gen"])
for entry in runs.values():
    if entry["median"] is None and entry["samples"]:
        entry["median"] = statistics.median(entry["samples"])


def ms(family, n=4096):
    entry = runs.get((family, n))
    return None if entry is None else entry["median"]


def spread(family, n=4096):
    entry = runs.get((family, n))
    if entry is None or entry["cv"] is None:
        return ""
    return f" (cv {100 * entry['cv']:.0f}%)"


def fmt(x, digits=None):
    if x is None:
        return "n/a"
    if digits is None or x >= 100:
        digits = 3 if x < 1 else 2 if x < 10 else 1 if x < 100 else 0
    return f"{x:,.{digits}f}"


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def pagmo_cmaes_interval(n, lam):
    """Generations between pagmo2 cmaes' decompositions (its evolve: counteval - eigeneval >
    lam / (c1 + cmu) / n / 10)."""
    mu = lam // 2
    w = [math.log(mu + 0.5) - math.log(i + 1) for i in range(mu)]
    mueff = 1 / sum((x / sum(w)) ** 2 for x in w)
    c1 = 2 / ((n + 1.3) ** 2 + mueff)
    cmu = 2 * (mueff - 2 + 1 / mueff) / ((n + 2) ** 2 + mueff)
    return math.floor(lam / (c1 + cmu) / n / 10 / lam) + 1


def fit(points):
    """Least-squares log-log slope through (n, t) points."""
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(t) for _, t in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


floor = ms("BM_NormalDrawFloor")
py_sep = py["SepCMA"]["cpu_ms"]
py_cma = py["CMA"].get("cpu_ms")
n = py["n"]

# pagmo2: per-generation time minus its lambda fitness evaluations, fitted and extrapolated.
pagmo = {}
for family, label in (("BM_PagmoCMAESGeneration", "pagmo2 cmaes"),
                      ("BM_PagmoXNESGeneration", "pagmo2 xnes")):
    points = []
    for (f, size), entry in sorted(runs.items(), key=lambda kv: kv[0][1] or 0):
        if f == family and entry["median"] is not None:
            evaluation = ms("BM_PagmoEvaluation", size) or 0.0
            points.append((size, entry["median"] - evaluation))
    if not points:
        continue
    n_max, t_max = points[-1]
    tail = points[-2:]
    exponent = fit(tail) if len(tail) >= 2 else 3.0
    exponent_all = fit(points) if len(points) >= 2 else 3.0
    pagmo[label] = {"points": points, "exponent": exponent, "exponent_all": exponent_all,
                    "at_n": t_max * (n / n_max) ** exponent, "at_n_cubic": t_max * (n / n_max) ** 3,
                    "n_max": n_max, "fit_sizes": [p[0] for p in tail]}

# pagmo2 cmaes' own decompositions: (generation with one due) - (generation without) at the
# largest size measured, scaled by n^3, spread over its lazy interval at n.
decomposition = None
for size in sorted({s for (f, s) in runs if f == "BM_PagmoCMAESDecomposingGeneration"}, reverse=True):
    with_d, without = ms("BM_PagmoCMAESDecomposingGeneration", size), ms("BM_PagmoCMAESGeneration", size)
    if with_d is not None and without is not None:
        cost = max(with_d - without, 0.0) * (n / size) ** 3
        every = pagmo_cmaes_interval(n, py["lambda"])
        decomposition = {"size": size, "measured": with_d - without, "at_n": cost, "every": every}
        break

# (label, benchmark, target, compared with the sep-CMA peers)
rows = [
    ("draw floor: lambda n N(0,1) doubles", "BM_NormalDrawFloor", ""),
    ("GA, paper fc6 settings, pop 40", "BM_GeneticPaperGeneration", ""),
    ("GA, Wang & Ponce lab settings (40, 10 elites)", "BM_GeneticWangPonceLabGeneration", ""),
    ("SepCMAES", "BM_SepCMAESGeneration", "<= 2x floor, >= 3x faster than SepCMA peers"),
    ("SphereCMA (40 + centre)", "BM_SphereCMAGeneration", "<= 2x floor, >= 3x faster than SepCMA peers"),
    ("FDGD", "BM_FDGDGeneration", "<= 2x floor, >= 3x faster than SepCMA peers"),
    ("NES", "BM_NESGeneration", "<= 2x floor, >= 3x faster than SepCMA peers"),
    ("LMMAES (m = 28)", "BM_LMMAESGeneration", ""),
    ("CholeskyCMAES, 75-generation run, amortized", "BM_CholeskyCMAESRun75", "<= 100 ms"),
    ("CMAES (full), 75-generation run, amortized", "BM_CMAESRun75", "<= 1000 ms"),
]

print(f"### n = {n}, lambda = {py['lambda']}, one thread: CPU ms per generation (median)")
print()
print("| algorithm | ms/gen | / draw floor | python3-cmaes SepCMA ÷ this | libcmaes sep-CMA (~5 ms) ÷ this | target |")
print("|---|---:|---:|---:|---:|---|")
for label, family, target in rows:
    t = ms(family)
    sep = family != "BM_CMAESRun75"  # full CMA-ES is compared with the full peers below
    print(f"| xdream {label} | {fmt(t)}{spread(family)} | {fmt(ratio(t, floor), 2)} | "
          f"{fmt(ratio(py_sep, t), 1) if sep else ''} | "
          f"{fmt(ratio(LIBCMAES_SEP_MS, t), 1) if sep else ''} | {target} |")
print(f"| python3-cmaes {py['cmaes_version']} SepCMA (measured) | {fmt(py_sep)} | "
      f"{fmt(ratio(py_sep, floor), 2)} | 1 | | |")
print(f"| libcmaes sep-CMA (measured earlier) | ~{LIBCMAES_SEP_MS:.0f} | "
      f"{fmt(ratio(LIBCMAES_SEP_MS, floor), 1)} | | 1 | |")
c = py["CMA"]
if c.get("extrapolated"):
    how = (f"extrapolated: n^{c['fit_exponent']:.2f} from n = {c['fit_sizes']} "
           f"(n^3: {fmt(c['cpu_ms_cubic'], 0)})")
else:
    how = "measured"
print(f"| python3-cmaes CMA, {how} | {fmt(py_cma, 0)} | {fmt(ratio(py_cma, floor), 0)} | | | |")
for label, p in pagmo.items():
    what = "generation without decomposition" if label == "pagmo2 cmaes" else "generation"
    print(f"| {label}, {what}, extrapolated: n^{p['exponent']:.2f} from n = "
          f"{p['fit_sizes']} (n^3: {fmt(p['at_n_cubic'], 0)}) | {fmt(p['at_n'], 0)} | "
          f"{fmt(ratio(p['at_n'], floor), 0)} | | | |")
    if label == "pagmo2 cmaes" and decomposition is not None:
        amortized = p["at_n"] + decomposition["at_n"] / decomposition["every"]
        p["amortized"] = amortized
        print(f"| pagmo2 cmaes with its lazy decompositions, amortized: + one decomposition "
              f"({fmt(decomposition['measured'])} ms at n = {decomposition['size']}, x n^3: "
              f"{fmt(decomposition['at_n'], 0)}) every {decomposition['every']} generations | "
              f"{fmt(amortized, 0)} | {fmt(ratio(amortized, floor), 0)} | | | |")

cmaes_ms = ms("BM_CMAESRun75")
print()
pagmo_cmaes = pagmo.get("pagmo2 cmaes", {})
print(f"Full CMA-ES at n = {n} (extrapolated peers ÷ measured xdream CMAES): python3-cmaes CMA "
      f"{fmt(ratio(py_cma, cmaes_ms), 0)}x; pagmo2 cmaes "
      f"{fmt(ratio(pagmo_cmaes.get('amortized', pagmo_cmaes.get('at_n')), cmaes_ms), 0)}x; "
      f"pagmo2 xnes {fmt(ratio(pagmo.get('pagmo2 xnes', {}).get('at_n'), cmaes_ms), 0)}x. "
      f"pagmo2 times are net of its {py['lambda']} fitness evaluations "
      f"({fmt(ms('BM_PagmoEvaluation', n), 4)} ms).")

# Like-for-like at the sizes the peers were measured at.
sizes = sorted({s for (f, s) in runs if f in ("BM_PagmoCMAESGeneration", "BM_CMAESRun75") and s}
               | {int(s) for s in c["sizes"]})
print()
print("### Full CMA-ES, measured at the peers' sizes: CPU ms per generation")
print()
print("| n | xdream CMAES (75-gen run, amortized) | pagmo2 cmaes gen | pagmo2 cmaes gen with decomposition | pagmo2 decomposition every (gens) | pagmo2 xnes gen | pagmo2 evaluation (lambda calls) | python3-cmaes CMA gen | pagmo2 cmaes ÷ xdream | python3-cmaes CMA ÷ xdream |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
interval = {}
for b in cpp["benchmarks"]:
    if (b["name"].startswith("BM_PagmoCMAESGeneration/") and "decomposition_every" in b
            and b.get("aggregate_name") in (None, "median")):
        interval[int(re.search(r"/code:(\d+)", b["name"]).group(1))] = b["decomposition_every"]
for size in sizes:
    ours = ms("BM_CMAESRun75", size)
    pg = ms("BM_PagmoCMAESGeneration", size)
    pgd = ms("BM_PagmoCMAESDecomposingGeneration", size)
    px = ms("BM_PagmoXNESGeneration", size)
    ev = ms("BM_PagmoEvaluation", size)
    pc = c["sizes"].get(str(size), {}).get("cpu_ms")
    every = interval.get(size)
    print(f"| {size} | {fmt(ours)} | {fmt(pg)} | {fmt(pgd)} | {fmt(every, 0)} | {fmt(px)} | "
          f"{fmt(ev, 4)} | {fmt(pc)} | {fmt(ratio(pg, ours), 1)} | {fmt(ratio(pc, ours), 1)} |")

print()
print("### Targets")
print()
for label, family in (("SepCMAES", "BM_SepCMAESGeneration"), ("SphereCMA", "BM_SphereCMAGeneration"),
                      ("FDGD", "BM_FDGDGeneration"), ("NES", "BM_NESGeneration")):
    t = ms(family)
    if t is None or floor is None:
        print(f"- {label}: not measured")
        continue
    checks = [("<= 2x its draws", t / floor <= 2.0, f"{t / floor:.2f}x"),
              (">= 3x faster than python3-cmaes SepCMA", py_sep / t >= 3.0, f"{py_sep / t:.1f}x"),
              (">= 3x faster than libcmaes sep-CMA (~5 ms, cited)", LIBCMAES_SEP_MS / t >= 3.0,
               f"{LIBCMAES_SEP_MS / t:.1f}x")]
    print(f"- {label} ({fmt(t)} ms): " + "; ".join(
        f"{what}: {'PASS' if ok else 'MISS'} ({value})" for what, ok, value in checks))
for label, family, limit in (("CholeskyCMAES", "BM_CholeskyCMAESRun75", 100.0),
                             ("CMAES", "BM_CMAESRun75", 1000.0)):
    t = ms(family)
    if t is None:
        print(f"- {label}: not measured at n = {n}")
    else:
        print(f"- {label} amortized over 75 generations <= {limit:.0f} ms: "
              f"{'PASS' if t <= limit else 'MISS'} ({fmt(t)} ms{spread(family)})")
PYTHON
