#!/usr/bin/env bash
# experiments.ci: the short version of the experiment set (experiments/ci.json), asserting only what
# must hold on the bundled test bed (issue 5):
#   1. evolved > best of the reference set (4,000 training images; relative activation > 1) for most
#      units (>= 75 %);
#   2. the GA beats the same-budget brute-force control for >= 75 % of units (the >= 90 % target is
#      judged on the full experiment, docs/results.md: with 8 short runs one unlucky unit is 12 %);
#   3. at fc8 (the deepest layer) the learned fc6 generator beats raw pixels for most units and in median.
# usage: ci_check.sh XDREAM_EXPERIMENTS XDREAM_EVOLVE SOURCE_DIR WORK_DIR
set -euo pipefail
exe=$1 evolve=$2 src=$3 work=$4
cd "$src"
rm -rf "$work"
mkdir -p "$work"
start=$(date +%s)
"$exe" experiments/ci.json --evolve "$evolve" --jobs 2 --root "$work" \
  --set reference-cache="$work/reference-cache" --csv "$work/ci.csv"
echo "experiments.ci: runs took $(( $(date +%s) - start )) s"
awk -F, '
NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
{
  status = $col["status"]; grid = $col["grid"]; tap = $col["tap"]; unit = $col["unit"]
  rel = $col["relative_activation"]; bf = $col["brute_force_relative"]
  if (status != "done") { printf "FAIL cell %s did not finish\n", $col["cell"]; bad = 1; next }
  printf "  %-8s %-5s unit %s: relative activation %.3f, brute force %.3f\n", grid, tap, unit, rel, bf
  if (grid == "learned") {
    n++; if (rel > 1) above++; if (rel > bf) beats++
    if (tap == "fc8") learned[unit] = rel
  } else if (grid == "raw") raw[unit] = rel
}
END {
  if (n == 0) { print "FAIL no runs"; exit 1 }
  printf "evolved > best reference image: %d of %d runs\n", above, n
  printf "GA > brute force: %d of %d runs\n", beats, n
  if (above < 0.75 * n) { print "FAIL evolved stimuli beat the best reference image for fewer than 75 % of units"; bad = 1 }
  if (beats < 0.75 * n) { print "FAIL the GA beat the brute-force control for fewer than 75 % of units"; bad = 1 }
  m = 0; w = 0
  for (u in learned) if (u in raw) { m++; if (learned[u] > raw[u]) w++; printf "  fc8 unit %s: learned %.3f vs raw pixels %.3f\n", u, learned[u], raw[u] }
  printf "learned generator > raw pixels at fc8: %d of %d units\n", w, m
  if (m == 0 || w <= m / 2) { print "FAIL the learned generator did not beat raw pixels at fc8 for most units"; bad = 1 }
  if (bad) exit 1
  print "experiments.ci: OK"
}' "$work/ci.csv"
