# Sourced by the rig session tests (session_test.sh, socket_session_test.sh), after `src` is set:
# a temporary directory, the processes and mounts a test starts (stopped by pid and unmounted on
# exit, even when it fails), pass/fail, and the queries of a run's journal.
work=$(mktemp -d)
pids=() mounted=()
cleanup() {  # stops what the test started, by pid, then removes the temporary directory
  for pid in "${pids[@]}"; do kill -9 "$pid" 2> /dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2> /dev/null; done
  for mount in "${mounted[@]}"; do umount "$mount" 2> /dev/null; done
  if [[ -n ${XDREAM_TEST_KEEP:-} ]]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
failures=0 passes=0
pass() { passes=$((passes + 1)); echo "ok   $*"; }
fail() { failures=$((failures + 1)); echo "FAIL $*"; }
py=/usr/bin/python3

journal_count() {  # journal_count NAME KIND [REASON-PREFIX]: entries of $work/NAME's journal
  $py - "$work/$1/run/rig/journal.jsonl" "$2" "${3:-}" << 'PY'
import json, sys
path, kind, prefix = sys.argv[1], sys.argv[2], sys.argv[3]
print(sum(1 for line in open(path) for e in [json.loads(line)]
          if e["kind"] == kind and e.get("reason", "").startswith(prefix)))
PY
}
nothing_lost() {  # nothing_lost NAME: rig_report's check against the fake rig's log
  $py "$src/tools/rig_report.py" "$work/$1/run" --fakerig-log "$work/$1/fakerig.jsonl" \
    > "$work/$1/report.txt" 2>&1
}
blocks() {  # blocks JOURNAL: each block's number, generation and valid count, as last closed (a
  # resumed session closes again the blocks it takes up from the journal)
  $py -c "import json,sys; b={e['block']:(e['generation'],e['valid']) for e in map(json.loads, open(sys.argv[1])) if e['kind']=='BLOCK_CLOSED'}; print(sorted(b.items()))" "$1"
}
# kill_and_resume KILLS ROUNDS COMMAND...: runs COMMAND (xdream-rig starting a session in
# $work/killed/run), killed with SIGKILL after a journal entry drawn from a stream seeded by
# XDREAM_TEST_SEED (printed), then `--resume`s it, killed again, until KILLS kills (then it runs
# to its end) or ROUNDS resumes. Sets kills, rounds and rc (the last run's exit code).
kill_and_resume() {
  local most=$1 limit=$2 seed=${XDREAM_TEST_SEED:-$RANDOM} drawn
  shift 2
  echo "crash: kill points drawn with seed $seed"
  draw() { seed=$(((seed * 1103515245 + 12345) % 2147483648)); drawn=$((seed % $1 + 1)); }
  kills=0 rounds=0
  draw 12
  XDREAM_RIG_KILL_AT_ENTRY=$drawn "$@"
  rc=$?
  while ((rc != 0 && rounds < limit)); do
    rounds=$((rounds + 1))
    ((rc == 137)) && kills=$((kills + 1))
    draw 15
    XDREAM_RIG_KILL_AT_ENTRY=$((kills < most ? drawn : 1000000)) timeout 180 "$rig" \
      --resume "$work/killed/run" > "$work/killed/rig.out" 2> "$work/killed/rig.err"
    rc=$?
  done
}
