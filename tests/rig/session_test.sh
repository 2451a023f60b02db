#!/usr/bin/env bash
# xdream-rig against the simulated rig (xdream-fakerig) through the file exchange, in a temporary
# directory, bounded in time (ctest label `rig`). Parts:
#   session  a whole session with faults on; nothing lost (tools/rig_report.py --fakerig-log)
#   faults   each fault option of the fake rig in a short session, its handling asserted in the
#            journal
#   crash    xdream-rig killed with SIGKILL at journal points (at least 10 kills), resumed each
#            time: the same block numbering, nothing lost or counted twice, and the final codes
#            bit-identical to an uninterrupted session against the same seeded rig
#   config   bad configurations: one line, exit 1 or 2, nothing written
#   threads  two optimizers in one session through the file exchange (a GA on one channel for
#            5 generations, sep-CMA-ES on the other for 2): blocks shared and shuffled, responses
#            routed by id, the done thread stops showing images, nothing lost
#
# Usage: session_test.sh XDREAM_RIG XDREAM_FAKERIG SOURCE_DIR [part]
set -uo pipefail
rig=$1 fakerig=$2 src=$3 part=${4:-all}
source "$src/tests/rig/session_common.sh"

# The settings of every session: quick deadlines for a rig 1000x faster than real time.
quick=(--expected-block-s 0.2 --soft-min-s 0.5 --hard-deadline-s 8 --poll-s 0.01 --seed 1 --quiet)
# Reference images: Fashion-MNIST test images (28x28 grey, what the bundled generator draws).
mkdir -p "$work/refs"
$py "$src/tools/fashion_mnist_references.py" "$work/refs" 4

start_fakerig() {  # start_fakerig NAME ARGS...: the simulated rig on $work/NAME/exchange
  local name=$1; shift
  mkdir -p "$work/$name/exchange"
  "$fakerig" --dir "$work/$name/exchange" --seed 7 --speed 1000 --synthetic --channels 2 \
    --labels unit,noise --idle-timeout-s 60 --log "$work/$name/fakerig.jsonl" --quiet "$@" \
    > "$work/$name/fakerig.out" 2>&1 &
  fakerig_pid=$!
  pids+=("$fakerig_pid")
}
run_rig() {  # run_rig NAME GENERATIONS ARGS...: xdream-rig on $work/NAME, returns its exit code
  local name=$1 generations=$2; shift 2
  timeout 120 "$rig" --dir "$work/$name/exchange" --channels unit,noise --score unit \
    --references "$work/refs" --generations "$generations" --out "$work/$name/run" \
    "${quick[@]}" "$@" > "$work/$name/rig.out" 2> "$work/$name/rig.err"
}

if [[ $part == all || $part == session ]]; then
  start_fakerig session --fixation-break 0.1 --stale-file --partial-block 2 --duplicate-block 4 \
    --pause-block 5 --pause-s 1 --crash-block 7
  if run_rig session 12 && [[ -f $work/session/run/DONE ]]; then
    if nothing_lost session; then
      pass "session: 12 generations; $(grep -E '^session|nothing lost' "$work/session/report.txt" | tr '\n' ' ')"
    else
      fail "session: $(cat "$work/session/report.txt")"
    fi
    # responses.csv reads into numpy; the codes too.
    $py -c "import numpy as n, sys; r = n.genfromtxt(sys.argv[1], delimiter=',', names=True, dtype=None, encoding='utf-8'); \
c = n.load(sys.argv[2]); assert len(r) > 100 and c.shape[1] == 256, (len(r), c.shape)" \
      "$work/session/run/responses.csv" "$work/session/run/codes.npy" &&
      pass "session: responses.csv and codes.npy read by numpy" || fail "session: numpy cannot read the record"
    for kind in SESSION_START BLOCK_SUBMITTED RESULT_RECEIVED BLOCK_CLOSED OPTIMIZER_TOLD SESSION_END; do
      (($(journal_count session "$kind") > 0)) || fail "session: no $kind in the journal"
    done
    for f in best.png reference_best.png codes.npy best_code.npy scores.png summary.json; do
      [[ -s $work/session/run/$f ]] || fail "session: no $f in the run directory"
    done
    (($(journal_count session FAULT quarantined) >= 1)) && pass "session: the stale file quarantined" ||
      fail "session: the stale file was not quarantined"
    # The fake rig sends block 4's file again: journaled, not counted (as a duplicate while the
    # block is open, as late once it closed: which depends on the timing).
    (($(journal_count session REJECTED duplicate) + $(journal_count session REJECTED late) >= 1)) &&
      pass "session: the re-sent block counted once" ||
      fail "session: the re-sent block was not journaled as a duplicate or late"
  else
    fail "session: exit $? ($(tail -2 "$work/session/rig.err"))"
  fi
  kill "$fakerig_pid" 2> /dev/null
fi

if [[ $part == all || $part == faults ]]; then
  # fault_case NAME GENERATIONS "FAKERIG ARGS" CHECK...: each CHECK is KIND:REASON-PREFIX:MIN;
  # $rig_extra holds more options for xdream-rig.
  rig_extra=()
  fault_case() {
    local name=$1 generations=$2 fake=$3; shift 3
    # shellcheck disable=SC2086
    start_fakerig "$name" $fake
    run_rig "$name" "$generations" "${rig_extra[@]}"
    local rc=$? why=""
    kill "$fakerig_pid" 2> /dev/null
    for check in "$@"; do
      IFS=: read -r kind prefix least <<< "$check"
      local n; n=$(journal_count "$name" "$kind" "$prefix")
      ((n >= least)) || why+=" $kind '$prefix': $n < $least;"
    done
    if [[ -z $why ]] && nothing_lost "$name"; then
      pass "fault $name: exit $rc; $(tail -1 "$work/$name/report.txt")"
    else
      fail "fault $name: exit $rc;$why $(tail -3 "$work/$name/report.txt" 2> /dev/null | tr '\n' ' ') $(tail -1 "$work/$name/rig.err")"
    fi
  }
  fault_case fixation-breaks 4 "--fixation-break 0.3" RESHOW::1 OPTIMIZER_TOLD::4
  fault_case never-scored 3 "--never-score-index 2" RESHOW::2 OPTIMIZER_TOLD::3
  fault_case latency 2 "--latency-s 1 --latency-block 1" WAITING::1 OPTIMIZER_TOLD::2
  fault_case pause 2 "--pause-block 1 --pause-s 2" PROGRESS::1 OPTIMIZER_TOLD::2
  fault_case hang 2 "--hang-block 1" BLOCK_CLOSED:timeout:1 OPTIMIZER_TOLD::2
  fault_case lost-block 2 "--lost-block 1" RESHOW::1 OPTIMIZER_TOLD::2
  fault_case partial-write 2 "--partial-block 1 --partial-gap-s 0.5 --in-place" OPTIMIZER_TOLD::2
  fault_case truncated-then-fixed 2 "--truncate-block 1 --truncate-fix-s 1" FAULT:parse_retry:1 OPTIMIZER_TOLD::2
  fault_case truncated-never-fixed 2 "--truncate-block 1 --truncate-fix-s 0" FAULT:quarantined:1 BLOCK_CLOSED:timeout:1
  fault_case schema-missing-variable 2 "--schema-fault missing-variable --schema-block 1" FAULT:quarantined:1
  fault_case schema-row-cell 2 "--schema-fault row-cell --schema-block 1" OPTIMIZER_TOLD::2
  fault_case schema-transposed 2 "--schema-fault transposed --schema-block 1" FAULT:transposed:1 OPTIMIZER_TOLD::2
  fault_case schema-nan 2 "--schema-fault nan --schema-block 1" RESHOW::1 OPTIMIZER_TOLD::2
  # Without re-shows, too few responses re-issue the generation.
  rig_extra=(--max-reshows 0)
  fault_case lost-block-reissued 2 "--lost-block 1" REISSUE::1 OPTIMIZER_TOLD::2
  fault_case schema-nan-reissued 2 "--schema-fault nan --schema-block 1" REISSUE::1 OPTIMIZER_TOLD::2
  rig_extra=()
  fault_case schema-inf 2 "--schema-fault inf --schema-block 1" OPTIMIZER_TOLD::2
  fault_case schema-wrong-channels 2 "--schema-fault wrong-channels --schema-block 1" FAULT:quarantined:1
  fault_case schema-h5py-strings 2 "--schema-fault h5py-strings --schema-block 1" OPTIMIZER_TOLD::2
  fault_case unknown-ids 2 "--unknown-ids 0.1" REJECTED:unknown:1 OPTIMIZER_TOLD::2
  fault_case foreign-file 2 "--unknown-ids 0.5 --unknown-ids-block 1" FAULT:quarantined:1
  fault_case stale-file 2 "--stale-file" FAULT:quarantined:1 OPTIMIZER_TOLD::2
  # A block's file sent again: journaled, not counted; as late once the block closed, which is
  # when it usually arrives, else as a duplicate or a conflict (each asserted on virtual time in
  # tests/rig/objective_test.cpp). rig_report checks that nothing is counted twice.
  fault_case duplicate 3 "--duplicate-block 1" REJECTED::1
  fault_case duplicate-conflict 3 "--duplicate-block 1 --duplicate-conflict" REJECTED::1
  fault_case rig-crash 4 "--crash-block 2" OPTIMIZER_TOLD::4
  fault_case channel-dropout 5 "--dropout-channel 1 --dropout-block 1" ALARM:channel:1
  fault_case unit-loss 9 "--unit-loss-block 7" ALARM:reference:1
  fault_case reorder 2 "--reorder" OPTIMIZER_TOLD::2
  fault_case h5-files 2 "--format h5" OPTIMIZER_TOLD::2
  fault_case json-files 2 "--format json" OPTIMIZER_TOLD::2
  fault_case windows-paths 2 "--names path" OPTIMIZER_TOLD::2
fi

if [[ $part == all || $part == crash ]]; then
  generations=10
  # The uninterrupted session.
  start_fakerig whole --fixation-break 0.1
  # Both sessions carry the same tag: the fake rig's responses depend on the stimulus ids.
  if ! run_rig whole "$generations" --session crash-test; then
    fail "crash: the uninterrupted session failed: $(tail -1 "$work/whole/rig.err")"
    echo "$passes passed, $failures failed"
    exit 1
  fi
  kill "$fakerig_pid" 2> /dev/null
  # The same session, killed with SIGKILL after a random journal entry, resumed, again and again.
  start_fakerig killed --fixation-break 0.1
  kill_and_resume 12 40 run_rig killed "$generations" --session crash-test
  kill "$fakerig_pid" 2> /dev/null
  if ((kills >= 10)) && [[ -f $work/killed/run/DONE ]]; then
    pass "crash: $kills kills with SIGKILL at journal points, resumed $rounds times, completed"
  else
    fail "crash: $kills kills, $rounds resumes, exit $rc ($(tail -1 "$work/killed/rig.err"))"
  fi
  if cmp -s "$work/whole/run/codes.npy" "$work/killed/run/codes.npy" &&
     cmp -s "$work/whole/run/best_code.npy" "$work/killed/run/best_code.npy"; then
    pass "crash: final codes.npy and best_code.npy bit-identical to the uninterrupted session"
  else
    fail "crash: the final codes differ from the uninterrupted session's"
  fi
  if [[ "$(blocks "$work/whole/run/rig/journal.jsonl")" == "$(blocks "$work/killed/run/rig/journal.jsonl")" ]]; then
    pass "crash: the same block numbering ($(blocks "$work/whole/run/rig/journal.jsonl" | tr -d ' ' | head -c 80))"
  else
    fail "crash: block numbering $(blocks "$work/killed/run/rig/journal.jsonl") vs $(blocks "$work/whole/run/rig/journal.jsonl")"
  fi
  if nothing_lost killed; then
    pass "crash: $(tail -1 "$work/killed/report.txt")"
  else
    fail "crash: $(cat "$work/killed/report.txt")"
  fi
fi

if [[ $part == all || $part == config ]]; then
  mkdir -p "$work/cfg/exchange" "$work/cfg/empty-refs"
  bad_config() {  # bad_config NAME TEXT ARGS...: one line with TEXT, non-zero exit, nothing written
    local name=$1 text=$2; shift 2
    timeout 60 "$rig" --out "$work/cfg/out-$name" --quiet "$@" > /dev/null 2> "$work/cfg/$name.err"
    local rc=$? lines; lines=$(wc -l < "$work/cfg/$name.err")
    if ((rc != 0)) && grep -qF -- "$text" "$work/cfg/$name.err" && ((lines == 1)) &&
       [[ ! -e $work/cfg/out-$name ]]; then
      pass "config $name: $(cat "$work/cfg/$name.err")"
    else
      fail "config $name: exit $rc, $lines lines: $(cat "$work/cfg/$name.err")"
    fi
  }
  bad_config missing-dir "does not exist" --dir "$work/cfg/nowhere"
  bad_config no-dir "option --dir = ''" --generations 2
  bad_config unknown-channel "option --score = ch9: expected one of the channels" --dir "$work/cfg/exchange" --channels ch1,ch2 --score ch9
  bad_config impossible-deadline "a block could never finish" --dir "$work/cfg/exchange" --expected-block-s 60 --hard-deadline-s 10
  bad_config empty-references "holds no .png images" --dir "$work/cfg/exchange" --references "$work/cfg/empty-refs"
  bad_config missing-references "is not a directory" --dir "$work/cfg/exchange" --references "$work/cfg/none"
  bad_config both-scores "one of --score, --score-mean and --score-pattern" --dir "$work/cfg/exchange" --channels a,b --score a --score-mean a,b
  bad_config pattern-no-target "one of --pattern-target FILE and --pattern-reference NAME" --dir "$work/cfg/exchange" --channels a,b --score-pattern a,b
  echo '[1, 2, 3]' > "$work/cfg/target.json"
  bad_config pattern-target-length "3 values: expected 2" --dir "$work/cfg/exchange" --channels a,b --score-pattern a,b --pattern-target "$work/cfg/target.json"
  echo '[1, "x"]' > "$work/cfg/bad-target.json"
  bad_config pattern-target-text "holds something that is not a number" --dir "$work/cfg/exchange" --channels a,b --score-pattern a,b --pattern-target "$work/cfg/bad-target.json"
  echo '[1, 2]' > "$work/cfg/target2.json"
  bad_config pattern-zscore-no-references "the pattern needs them" --dir "$work/cfg/exchange" --channels a,b --score-pattern a,b --pattern-target "$work/cfg/target2.json" --pattern-zscore
  bad_config listen-bad "option --listen = nonsense: xdream::rig::TcpLink: 'nonsense' is not HOST:PORT" --transport tcp --listen nonsense --dir "$work/cfg/exchange"
  bad_config listen-file "option --listen = 127.0.0.1:5556: expected no address with --transport file" --dir "$work/cfg/exchange" --listen 127.0.0.1:5556
  bad_config reps-zero "--reps: Value 0 not in range" --dir "$work/cfg/exchange" --reps 0
  bad_config session-chars "--session: expected 1 to 32 letters" --dir "$work/cfg/exchange" --session 'a/b'
  # Bad thread files: each refused naming --thread-file, the thread and the setting.
  echo '{"name": "ga"}' > "$work/cfg/threads-object.json"
  bad_config threads-not-array "is not a JSON array of 1 to 16 threads" --dir "$work/cfg/exchange" --thread-file "$work/cfg/threads-object.json"
  echo '[{"name": "ga"}, {"name": "ga"}]' > "$work/cfg/threads-twice.json"
  bad_config threads-twice "thread 'ga': expected distinct names" --dir "$work/cfg/exchange" --thread-file "$work/cfg/threads-twice.json"
  echo '[{"name": "g a"}]' > "$work/cfg/threads-name.json"
  bad_config threads-name "name 'g a'" --dir "$work/cfg/exchange" --thread-file "$work/cfg/threads-name.json"
  echo '[{"algorithm": "ga"}]' > "$work/cfg/threads-nameless.json"
  bad_config threads-nameless "thread 1: expected an object with a" --dir "$work/cfg/exchange" --thread-file "$work/cfg/threads-nameless.json"
  echo '[{"name": "ga", "reps": 3}]' > "$work/cfg/threads-session-key.json"
  bad_config threads-session-key "setting \"reps\"" --dir "$work/cfg/exchange" --thread-file "$work/cfg/threads-session-key.json"
  echo '[{"name": "ga", "score": "ch9"}]' > "$work/cfg/threads-channel.json"
  bad_config threads-channel "thread 'ga': option --score = ch9" --dir "$work/cfg/exchange" --channels ch1,ch2 --thread-file "$work/cfg/threads-channel.json"
  echo '[{"name": "ga", "generations": 0}]' > "$work/cfg/threads-generations.json"
  bad_config threads-generations "thread 'ga': option --generations = 0" --dir "$work/cfg/exchange" --thread-file "$work/cfg/threads-generations.json"
  echo '[{"name": "ga", "seed": "x"}]' > "$work/cfg/threads-seed.json"
  bad_config threads-seed "thread 'ga': its settings: the setting \"seed\"" --dir "$work/cfg/exchange" --thread-file "$work/cfg/threads-seed.json"
  echo '[{"name": "a", "seed": 1, "name": "b"}]' > "$work/cfg/threads-key-twice.json"
  bad_config threads-key-twice 'gives the key "name" twice' --dir "$work/cfg/exchange" --thread-file "$work/cfg/threads-key-twice.json"
  mkfifo "$work/cfg/threads-fifo.json"
  bad_config threads-fifo "is not a regular file" --dir "$work/cfg/exchange" --thread-file "$work/cfg/threads-fifo.json"
  echo '[{"name": "ga", "generator": "/nonexistent.pt"}]' > "$work/cfg/threads-generator.json"
  bad_config threads-generator "thread 'ga': xdream: generator file '/nonexistent.pt' does not exist" --dir "$work/cfg/exchange" --thread-file "$work/cfg/threads-generator.json"
  # A tag the exchange already has blocks of: their files would be taken for the new session's.
  mkdir -p "$work/cfg/used"
  echo '{"session": "taken", "block": 1, "stimuli": []}' > "$work/cfg/used/block001.manifest.json"
  bad_config session-reused "already holds blocks of a session with this tag" --dir "$work/cfg/used" --session taken
  # An exchange directory another session holds.
  start_fakerig shared
  timeout 60 "$rig" --dir "$work/shared/exchange" --channels unit,noise --score unit --generations 200 \
    --out "$work/cfg/holder" "${quick[@]}" > /dev/null 2>&1 &
  holder=$!; pids+=("$holder")
  for _ in $(seq 100); do [[ -f $work/cfg/holder/rig/journal.jsonl ]] && break; sleep 0.1; done
  bad_config shared-exchange "is used by another session" --dir "$work/shared/exchange"
  kill "$holder" "$fakerig_pid" 2> /dev/null
  wait "$holder" "$fakerig_pid" 2> /dev/null
fi

if [[ $part == all || $part == config ]]; then
  # An operator's SIGINT mid-session: a clean stop (exit 3, SESSION_END operator_abort).
  start_fakerig interrupted
  timeout 120 "$rig" --dir "$work/interrupted/exchange" --channels unit,noise --score unit \
    --generations 2000 --out "$work/interrupted/run" "${quick[@]}" > /dev/null \
    2> "$work/interrupted.err" &
  session=$!; pids+=("$session")
  for _ in $(seq 200); do
    (($(grep -c BLOCK_CLOSED "$work/interrupted/run/rig/journal.jsonl" 2> /dev/null || echo 0) >= 3)) && break
    sleep 0.05
  done
  kill -INT "$session"
  wait "$session"
  rc=$?
  if ((rc == 3)) && [[ $(tail -1 "$work/interrupted/run/rig/journal.jsonl") == *'"ended":"operator_abort"'* ]]; then
    pass "sigint: exit 3, the journal ends with SESSION_END operator_abort"
  else
    fail "sigint: exit $rc ($(tail -1 "$work/interrupted.err"); $(tail -1 "$work/interrupted/run/rig/journal.jsonl"))"
  fi
  kill "$fakerig_pid" 2> /dev/null

  # A full disk under the run directory is a clean stop: exit 3, the reason, how to resume.
  if mkdir -p "$work/small" && mount -t tmpfs -o size=400k tmpfs "$work/small" 2> /dev/null; then
    mounted+=("$work/small")
    start_fakerig full
    timeout 120 "$rig" --dir "$work/full/exchange" --channels unit,noise --score unit \
      --references "$work/refs" --generations 500 --out "$work/small/run" "${quick[@]}" \
      > /dev/null 2> "$work/full.err"
    rc=$?
    if ((rc == 3)) && grep -q "stopped (disk_full" "$work/full.err" && grep -q -- "--resume" "$work/full.err"; then
      pass "disk-full: exit 3, $(head -c 150 "$work/full.err")"
    else
      fail "disk-full: exit $rc ($(tail -2 "$work/full.err"))"
    fi
    kill "$fakerig_pid" 2> /dev/null
  else
    echo "skip disk-full: cannot mount a tmpfs here (needs root and mount rights)"
  fi
fi

if [[ $part == all || $part == threads ]]; then
  # The second thread names its generator itself (the bundled one, by a relative path that the
  # session records as absolute), and a score of another kind than the session's --score.
  cat > "$work/threads.json" << JSON
[{"name": "ga", "algorithm": "ga", "seed": 11, "score": "unit", "population": 12},
 {"name": "cma", "algorithm": "sep-cmaes", "seed": 12, "generations": 2, "score_mean": ["noise"],
  "generator": "$(realpath --relative-to="$PWD" "$src/models/fashion_mnist/generator.pt")"}]
JSON
  start_fakerig threads --fixation-break 0.1 --duplicate-block 2
  if run_rig threads 5 --thread-file "$work/threads.json" && [[ -f $work/threads/run/DONE ]]; then
    $py "$src/tests/rig/threads_check.py" "$work/threads/run" ga:5:unit cma:2:noise \
      > "$work/threads/threads.txt" 2>&1 &&
      pass "threads: $(tail -1 "$work/threads/threads.txt")" ||
      fail "threads: $(cat "$work/threads/threads.txt")"
    nothing_lost threads && pass "threads: $(tail -1 "$work/threads/report.txt")" ||
      fail "threads: $(cat "$work/threads/report.txt")"
    $py -c "import json, os, sys; m = json.load(open(sys.argv[1]))['models']['threads']['cma']; \
assert os.path.isabs(m['file']) and len(m['sha256']) == 64, m" "$work/threads/run/config.json" &&
      pass "threads: the thread's own generator recorded with its sha256" ||
      fail "threads: config.json does not record the thread's generator"
  else
    fail "threads: exit $? ($(tail -2 "$work/threads/rig.err"))"
  fi
  kill "$fakerig_pid" 2> /dev/null
fi

echo "$passes passed, $failures failed"
((failures == 0))
