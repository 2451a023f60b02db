#!/usr/bin/env bash
# Behaviour pinned across refactorings: xdream-evolve in four fixed settings (GA, sep-CMA-ES
# under Poisson noise, Cholesky-CMA under multiplicative noise, the GA from the unit's best
# reference images: --init works with the GA only) and the example
# programs must give byte-identical results (codes.npy, best_code.npy, scores.csv without its
# timing column, the examples' printed results without their timings) to the outputs recorded
# in tests/data/golden/.
#
# LibTorch's kernels are chosen per CPU (OpenBLAS, oneDNN, ATen): the variables below pin them to
# the AVX2 ones, and one LibTorch thread is used, so the forward passes round the same way on any
# x86-64 machine with AVX2.
#
# Usage: golden_test.sh APPS_DIR EXAMPLES_DIR MODELS_DIR GOLDEN_DIR [--record]
#   APPS_DIR holds xdream-evolve, EXAMPLES_DIR xdream-ga-demo, xdream-blackbox and
#   xdream-minimal-concepts; --record writes the outputs into GOLDEN_DIR instead of comparing.
set -uo pipefail
apps=$1 examples=$2 models=$3 golden=$4 record=${5:-}
export OPENBLAS_CORETYPE=Haswell DNNL_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2 OMP_NUM_THREADS=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
common=(--threads 1 --reference-count 1000 --brute-force-pool 0 --quiet
        --generator "$models/generator.pt" --network "$models/classifier.pt")
settings=(
  "ga|--generations 40 --seed 3"
  "sep-cmaes-poisson|--algorithm sep-cmaes --noise poisson --noise-level 20 --tap conv3 --unit 5 --generations 30 --seed 4"
  "cholesky-cmaes-multiplicative|--algorithm cholesky-cmaes --noise multiplicative --tap fc7 --unit 2 --generations 20 --seed 5"
  "ga-reference-best|--init reference-best --tap fc6 --unit 7 --generations 25 --seed 6"
)

# One text per run: the hashes of the code files and scores.csv without the seconds column.
fingerprint_run() {
  local dir=$1
  (cd "$dir" && sha256sum codes.npy best_code.npy) && cut -d, -f1-7 "$dir/scores.csv"
}
# An example's printed lines, with the timings ("0.12 s", "1.23 s;") taken out.
strip_timings() { sed -E 's/[0-9]+\.[0-9]+ s\b/<s>/g'; }

check() {  # name, file with the new output
  local name=$1 file=$2
  if [[ $record == --record ]]; then
    cp "$file" "$golden/$name.txt"
    echo "recorded $name"
  elif diff -u "$golden/$name.txt" "$file" > "$work/$name.diff"; then
    echo "ok   $name: identical to the recorded output"
  else
    failures=$((failures + 1))
    echo "FAIL $name: differs from tests/data/golden/$name.txt"
    head -20 "$work/$name.diff"
  fi
}

for setting in "${settings[@]}"; do
  name=evolve-${setting%%|*}
  read -r -a options <<< "${setting#*|}"
  if "$apps/xdream-evolve" "${common[@]}" "${options[@]}" --out "$work/$name" \
       > "$work/$name.log" 2>&1; then
    fingerprint_run "$work/$name" > "$work/$name.txt"
    check "$name" "$work/$name.txt"
  else
    failures=$((failures + 1))
    echo "FAIL $name: exit $? ($(tail -1 "$work/$name.log"))"
  fi
done

if "$examples/xdream-ga-demo" --generations 60 --seed 2 --out "$work/ga-demo" > "$work/ga-demo.log"; then
  { fingerprint_run "$work/ga-demo"; strip_timings < "$work/ga-demo.log" | grep -v -e 'results in' -e 'plot the scores'; } \
    > "$work/ga-demo.txt"
  check example-ga-demo "$work/ga-demo.txt"
else
  failures=$((failures + 1)); echo "FAIL example-ga-demo: exit $?"
fi
for example in blackbox minimal-concepts; do
  if "$examples/xdream-$example" > "$work/$example.log"; then
    strip_timings < "$work/$example.log" > "$work/$example.txt"
    check "example-$example" "$work/$example.txt"
  else
    failures=$((failures + 1)); echo "FAIL example-$example: exit $?"
  fi
done

((failures == 0)) || { echo "$failures golden comparisons failed"; exit 1; }
