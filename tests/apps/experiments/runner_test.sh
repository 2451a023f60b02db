#!/usr/bin/env bash
# experiments.runner: xdream-experiments' restart logic with a stub xdream-evolve (stub_evolve.sh;
# no LibTorch, a few seconds): a grid runs and is gathered; DONE cells are skipped; a cell whose
# options or model files changed runs again from the start, and if that run fails or is stopped
# before it gets far, the old result is neither reported as done nor resumed (also from the record
# of an earlier runner); an interrupted cell is resumed; a failed cell is reported and makes the exit
# status non-zero; a stop (SIGTERM) or the runner's death ends its runs; --dry-run creates nothing.
# usage: runner_test.sh XDREAM_EXPERIMENTS SOURCE_DIR WORK_DIR
set -euo pipefail
exe=$1 src=$2 work=$3
stub=$src/tests/apps/experiments/stub_evolve.sh
py=/usr/bin/python3
rm -rf "$work"
mkdir -p "$work/pids"
cd "$work"
export STUB_LOG=$work/stub.log STUB_PIDS=$work/pids
unset STUB_FAIL
: > "$STUB_LOG"
echo generator-1 > gen.pt

cleanup() { # the test's runs, should a check fail while one sleeps
  local f pid
  for f in "$work"/pids/*.pid; do
    [[ -f $f ]] || continue
    pid=$(< "$f")
    if grep -q stub_evolve "/proc/$pid/cmdline" 2> /dev/null; then kill "$pid" 2> /dev/null || true; fi
  done
  for pid in $(jobs -p); do kill "$pid" 2> /dev/null || true; done
}
trap cleanup EXIT
fail() {
  echo "FAIL $*"
  [[ -f runner.out ]] && sed 's/^/  runner: /' runner.out
  exit 1
}
config() { # config NOTE: 2 units x 2 seeds, the option note=NOTE in every cell
  cat > grid.json << EOF
{"name": "grid", "out": "out", "options": {"note": "$1", "generator": "gen.pt", "stimuli": 100},
 "axes": [{"unit": {"range": [0, 2]}}, {"seed": [0, 1]}]}
EOF
}
runner() { # runner ARGS...: exit status in $rc, output in runner.out
  rc=0
  "$exe" grid.json --evolve "$stub" --jobs 2 "$@" > runner.out 2>&1 || rc=$?
}
expect_rc() { [[ $rc == "$1" ]] || fail "$2: exit status $rc, expected $1"; }
runs() { grep -c "^$1 ${2:-.*}\$" "$STUB_LOG" || true; } # runs fresh|resume [CELL]: how many so far
col() {                                                    # col CELL COLUMN: the gathered value
  "$py" - "$1" "$2" << 'EOF'
import csv, os, sys
if not os.path.exists("out/results.csv"):
    sys.exit(print("<no out/results.csv>"))
rows = [r for r in csv.DictReader(open("out/results.csv", newline="")) if r["cell"] == sys.argv[1]]
print(rows[0].get(sys.argv[2], "<no column>") if len(rows) == 1 else "<%d rows>" % len(rows))
EOF
}
expect_col() { # expect_col CELL COLUMN VALUE
  local v
  v=$(col "$1" "$2")
  [[ $v == "$3" ]] || fail "$1: $2 = '$v', expected '$3'"
}
listed() { "$exe" grid.json --evolve "$stub" --list | sed -n "s|^grid/$1 ||p"; }
expect_listed() { local s; s=$(listed "$1"); [[ $s == "$2" ]] || fail "$1: --list says '$s', expected '$2'"; }
wait_for() { # wait_for COMMAND...: up to 10 s
  for _ in $(seq 100); do "$@" && return 0; sleep 0.1; done
  return 1
}
start_sleeping() { # start_sleeping CELL JOBS: a runner in the background whose CELL sleeps;
  # sets runner_pid and stub_pid (the sleeping run's)
  rm -f pids/*
  STUB_FAIL=$1:sleep "$exe" grid.json --evolve "$stub" --jobs "$2" > runner.out 2>&1 &
  runner_pid=$!
  wait_for test -s "pids/$1.pid" || fail "the sleeping cell did not start"
  stub_pid=$(< "pids/$1.pid")
}
gone() { # gone PID: ended (a zombie counts: its parent may not be there to reap it)
  ! kill -0 "$1" 2> /dev/null || [[ $(cut -d' ' -f3 "/proc/$1/stat" 2> /dev/null) == Z ]]
}
cells=(unit-0_seed-0 unit-0_seed-1 unit-1_seed-0 unit-1_seed-1)

echo "1. a grid runs and is gathered"
config "a,b"
runner
expect_rc 0 "first call"
[[ $(runs fresh) == 4 ]] || fail "first call: $(runs fresh) runs, expected 4"
rows=$("$py" -c 'import csv; print(len(list(csv.DictReader(open("out/results.csv", newline="")))))')
[[ $rows == 4 ]] || fail "results.csv has $rows rows, expected 4"
for c in "${cells[@]}"; do
  expect_col "$c" status "done"
  expect_col "$c" last_state "done"
  expect_col "$c" last_exit 0
  expect_col "$c" note "a,b"
  expect_col "$c" relative_activation 1.5
done
expect_col unit-1_seed-0 axis_unit 1
expect_col unit-1_seed-0 axis_seed 0
grep -q '"a,b"' out/results.csv || fail "a value with a comma is not quoted in results.csv"

echo "2. a second call skips the DONE cells"
runner
expect_rc 0 "second call"
[[ $(runs fresh) == 4 && $(runs resume) == 0 ]] || fail "second call ran cells again"
grep -q "4 cells done already, 0 to run" runner.out || fail "second call: not all cells were done"

echo "3. changed options: the cells run again; one fails early, its old result is gone"
config "c,d"
for c in "${cells[@]}"; do expect_listed "$c" stale; done
STUB_FAIL=unit-0_seed-0:early runner
expect_rc 2 "a failed cell"
[[ $(runs fresh) == 8 ]] || fail "changed options: $(runs fresh) runs, expected 8"
expect_col unit-0_seed-0 status failed
expect_col unit-0_seed-0 last_state failed
expect_col unit-0_seed-0 last_exit 3
expect_col unit-0_seed-0 note ""
[[ ! -e out/runs/unit-0_seed-0 ]] || fail "the old run directory of a restarted cell is still there"
expect_col unit-1_seed-1 note "c,d"
! grep -q '"a,b"' out/results.csv || fail "results.csv still reports results of the old options"
runner
expect_rc 0 "after the failure"
[[ $(runs fresh unit-0_seed-0) == 3 && $(runs resume) == 0 ]] || fail "the failed cell was not run again from the start"
expect_col unit-0_seed-0 status "done"

echo "4. changed options: a stop (SIGTERM) while the new run starts leaves no old result behind"
config "e,f"
start_sleeping unit-0_seed-1 2
for fd in /proc/"$stub_pid"/fd/*; do
  [[ $(readlink "$fd") != */out/.lock ]] || fail "a run inherited the runner's lock file"
done
rc=0
"$exe" grid.json --evolve "$stub" --list > second.out 2>&1 || rc=$?
expect_rc 0 "--list beside a running runner"
rc=0
"$exe" grid.json --evolve "$stub" --gather-only --csv second.csv > second.out 2>&1 || rc=$?
expect_rc 0 "--gather-only beside a running runner"
rc=0
"$exe" grid.json --evolve "$stub" > second.out 2>&1 || rc=$?
grep -q "in use by another" second.out || fail "a second runner did not stop at the lock (exit $rc)"
kill -TERM "$runner_pid"
wait_for gone "$runner_pid" || fail "the runner did not stop within 10 s of SIGTERM"
rc=0
wait "$runner_pid" || rc=$?
expect_rc 130 "a stopped runner"
wait_for gone "$stub_pid" || fail "the runner left its run behind"
grep -q '"state": "stopped"' out/cells/unit-0_seed-1.json || fail "the stopped cell is not recorded as stopped"
expect_listed unit-0_seed-1 "to run"
runner --gather-only
expect_col unit-0_seed-1 status missing
runner
expect_rc 0 "after the stop"
for c in "${cells[@]}"; do expect_col "$c" status "done"; expect_col "$c" note "e,f"; done

echo "5. the record of an earlier runner stopped while the new run started"
config "g,h"
# What an earlier runner left when it was stopped before xdream-evolve replaced the old directory:
# the new arguments as "args", state running, and the old run's files.
"$exe" grid.json --evolve "$stub" --dry-run > dry.out 2>&1
"$py" - << 'EOF'
import json
for line in open("dry.out"):
    words = line.split()
    if "--out" in words and words[words.index("--out") + 1].endswith(("unit-1_seed-0", "unit-1_seed-1")):
        cell = words[words.index("--out") + 1].rsplit("/", 1)[1]
        json.dump({"args": words[1:words.index("--threads")], "state": "running"}, open("out/cells/%s.json" % cell, "w"))
EOF
grep -q "g,h" out/cells/unit-1_seed-0.json || fail "could not write the earlier runner's record"
rm out/runs/unit-1_seed-0/DONE # unfinished: config.json and checkpoint.bin of the old options
expect_listed unit-1_seed-1 stale
expect_listed unit-1_seed-0 stale
runner --gather-only
expect_col unit-1_seed-1 status stale
expect_col unit-1_seed-0 status stale
[[ $(col unit-1_seed-1 relative_activation) != 1.5 ]] || fail "a stale cell's result is reported"
runner
expect_rc 0 "after an earlier runner's record"
[[ $(runs resume) == 0 ]] || fail "a run of the old options was resumed"
expect_col unit-1_seed-0 note "g,h"
expect_col unit-1_seed-1 note "g,h"

echo "6. --dry-run prints the commands and creates nothing"
config "i,j"
before=$(runs fresh)
runner --dry-run --root dry
expect_rc 0 "--dry-run"
[[ ! -e dry ]] || fail "--dry-run created $(find dry | head -3)"
grep -q -- "--note i,j --seed 1 --stimuli 100 --unit 0 --threads 1 --quiet --out dry/grid/runs/unit-0_seed-1 --force" runner.out ||
  fail "--dry-run does not print the launch command"
[[ $(runs fresh) == "$before" ]] || fail "--dry-run ran something"

echo "7. an interrupted cell is resumed; stale staging directories are removed"
STUB_FAIL=unit-1_seed-1:late runner
expect_rc 2 "a cell failing after its checkpoint"
expect_col unit-1_seed-1 status failed
expect_col unit-1_seed-1 last_exit 4
expect_listed unit-1_seed-1 resumable
mkdir -p out/runs/unit-1_seed-1.partial-99999 out/runs/unit-1_seed-1.partial-x
runner
expect_rc 0 "the resume"
[[ $(runs resume unit-1_seed-1) == 1 && $(runs resume) == 1 ]] || fail "the interrupted cell was not resumed"
expect_col unit-1_seed-1 status "done"
expect_col unit-1_seed-1 resumed true
expect_col unit-1_seed-1 note "i,j"
[[ ! -e out/runs/unit-1_seed-1.partial-99999 ]] || fail "a stale staging directory was left"
[[ -e out/runs/unit-1_seed-1.partial-x ]] || fail "a directory that is no staging directory was removed"

echo "8. a changed model file makes every cell stale"
echo generator-2 > gen.pt
for c in "${cells[@]}"; do expect_listed "$c" stale; done
runner --gather-only
for c in "${cells[@]}"; do expect_col "$c" status stale; done
before=$(runs fresh)
runner
expect_rc 0 "after the model change"
[[ $(runs fresh) == $((before + 4)) ]] || fail "the cells of a changed model file did not run again"

echo "9. the runs end with the runner (SIGKILL)"
config "k,l"
start_sleeping unit-0_seed-0 1
kill -KILL "$runner_pid"
{ wait "$runner_pid"; } 2> /dev/null || true # no "Killed" notice
wait_for gone "$stub_pid" || fail "a run outlived its runner"
runner
expect_rc 0 "after the runner's death"
for c in "${cells[@]}"; do expect_col "$c" status "done"; expect_col "$c" note "k,l"; done
[[ $(runs resume) == 1 ]] || fail "a cell was resumed after the runner's death"

echo "experiments.runner: OK"
