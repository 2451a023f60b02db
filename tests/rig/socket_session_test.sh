#!/usr/bin/env bash
# xdream-rig against the simulated rig (xdream-fakerig --connect) and the Python reference
# client over the socket protocol (docs/rig-protocol.md), on loopback only, bounded in time
# (ctest label `rig`). Parts:
#   zmq     a whole session over ZeroMQ with the socket faults on (fixation breaks, a pause, the
#           rig's crash and restart, a network partition, a duplicated RESULT, RESULT before
#           ACK, a clock offset); nothing lost; every message valid against the JSON Schemas
#   tcp     the same over TCP (JSON lines)
#   hang    a rig that hangs mid-block (silent, deaf) is lost after 10 s and the block is
#           shown again when it is back
#   crash   xdream-rig killed with SIGKILL mid-session and resumed (ZeroMQ): the rig goes on,
#           nothing lost or counted twice, final codes bit-identical to an uninterrupted session
#   python  examples/rig/client.py (python3-zmq) runs a whole session against xdream-rig
#   pattern a session scored by a population pattern (z-scored, toward a reference image's
#           responses), with fixation breaks; every score recomputed from responses.csv
#   threads two optimizers in one session (a GA scored on one channel for 6 generations,
#           sep-CMA-ES on the other for 3): over TCP, and over ZeroMQ killed with SIGKILL and
#           resumed; blocks shared and shuffled, responses routed by id, the done thread stops
#           showing images, each thread's final codes bit-identical to an uninterrupted session
#
# Usage: socket_session_test.sh XDREAM_RIG XDREAM_FAKERIG SOURCE_DIR [part]
set -uo pipefail
rig=$1 fakerig=$2 src=$3 part=${4:-all}
source "$src/tests/rig/session_common.sh"

quick=(--expected-block-s 0.2 --soft-min-s 0.5 --hard-deadline-s 30 --poll-s 0.01 --seed 1 --quiet)
# Reference images: Fashion-MNIST test images (28x28 grey, what the bundled generator draws).
mkdir -p "$work/refs"
$py "$src/tools/fashion_mnist_references.py" "$work/refs" 4
free_port() { $py -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }

recorded=(--channels 2 --labels unit,noise)
start_fakerig() {  # start_fakerig NAME SOCKET ENDPOINT ARGS...
  local name=$1 socket=$2 endpoint=$3; shift 3
  mkdir -p "$work/$name"
  "$fakerig" --connect "$endpoint" --socket "$socket" --seed 7 --speed 1000 --synthetic \
    "${recorded[@]}" --idle-timeout-s 90 --log "$work/$name/fakerig.jsonl" \
    --quiet "$@" > "$work/$name/fakerig.out" 2>&1 &
  fakerig_pid=$!
  pids+=("$fakerig_pid")
}
scoring=(--channels unit,noise --score unit)
run_rig() {  # run_rig NAME GENERATIONS TRANSPORT ENDPOINT ARGS...: returns xdream-rig's exit code
  local name=$1 generations=$2 transport=$3 endpoint=$4; shift 4
  mkdir -p "$work/$name/images"
  timeout 180 "$rig" --transport "$transport" --listen "$endpoint" "${scoring[@]}" \
    --references "$work/refs" --generations "$generations" \
    --out "$work/$name/run" "${quick[@]}" "$@" \
    > "$work/$name/rig.out" 2> "$work/$name/rig.err"
}
schema_valid() {  # schema_valid NAME: every message of the session against the JSON Schemas
  $py "$src/tests/rig/protocol_schema_test.py" "$work/$1/run/rig/protocol.jsonl" \
    > "$work/$1/schema.txt" 2>&1
}

whole_session() {  # whole_session PART SOCKET ENDPOINT EXTRA-RIG-ARGS...
  local name=$1 socket=$2 endpoint=$3; shift 3
  start_fakerig "$name" "$socket" "$endpoint" --fixation-break 0.1 --pause-block 3 --pause-s 1 \
    --crash-block 4 --partition-block 6 --partition-s 2 --duplicate-block 2 \
    --result-before-ack --clock-offset-s 7200
  if run_rig "$name" 10 "$socket" "$endpoint" "$@" && [[ -f $work/$name/run/DONE ]]; then
    if nothing_lost "$name"; then
      pass "$name: 10 generations; $(grep -E 'nothing lost' "$work/$name/report.txt")"
    else
      fail "$name: $(cat "$work/$name/report.txt")"
    fi
    if schema_valid "$name"; then
      pass "$name: every message valid ($(tail -1 "$work/$name/schema.txt"))"
    else
      fail "$name: a message breaks the schema: $(grep -m3 -i 'fail\|invalid' "$work/$name/schema.txt")"
    fi
    # RESULT before ACK and the rig's clock 2 h ahead: seen in the messages, handled (the
    # session completed, nothing lost).
    if $py - "$work/$name/run/rig/protocol.jsonl" << 'PY'; then
import datetime, json, sys
msgs = [json.loads(line) for line in open(sys.argv[1])]
first = {}
for m in msgs:
    if m["dir"] == "in" and m["msg"]["type"] in ("RESULT", "ACK"):
        first.setdefault((m["msg"]["block_id"], m["msg"]["type"]), len(first))
reordered = [b for (b, t), i in first.items() if t == "ACK" and first.get((b, "RESULT"), 1e9) < i]
t = lambda m: datetime.datetime.fromisoformat(m["msg"]["t_wall"].replace("Z", "+00:00"))
rig = next(m for m in msgs if m["dir"] == "in")
ours = next(m for m in msgs if m["dir"] == "out")
offset = (t(rig) - t(ours)).total_seconds()
assert reordered and 7000 < offset < 7400, (reordered, offset)
print(f"{len(reordered)} blocks answered RESULT before ACK; rig clock {offset:.0f} s ahead")
PY
      pass "$name: reordering and the clock offset were in the session and handled"
    else
      fail "$name: no RESULT before ACK, or no clock offset, in the messages"
    fi
    (($(journal_count "$name" PEER_UP) >= 2)) &&
      pass "$name: the rig's restart and the partition seen ($(journal_count "$name" PEER_UP) PEER_UP)" ||
      fail "$name: fewer than 2 PEER_UP entries"
    (($(journal_count "$name" REJECTED duplicate) + $(journal_count "$name" REJECTED late) >= 1)) &&
      pass "$name: the duplicated RESULT counted once" ||
      fail "$name: the duplicated RESULT was not journaled as a duplicate or late"
    for f in best.png codes.npy summary.json; do
      [[ -s $work/$name/run/$f ]] || fail "$name: no $f in the run directory"
    done
  else
    fail "$name: exit $? ($(tail -2 "$work/$name/rig.err"))"
  fi
  kill "$fakerig_pid" 2> /dev/null
}

if [[ $part == all || $part == zmq ]]; then
  whole_session zmq zmq "tcp://127.0.0.1:$(free_port)" --dir "$work/zmq/images" --inline-images
fi

if [[ $part == all || $part == tcp ]]; then
  mkdir -p "$work/tcp/images"
  whole_session tcp tcp "127.0.0.1:$(free_port)" --dir "$work/tcp/images"
fi

if [[ $part == all || $part == hang ]]; then
  endpoint="tcp://127.0.0.1:$(free_port)"
  start_fakerig hang zmq "$endpoint" --hang-block 2 --hang-s 12
  if run_rig hang 3 zmq "$endpoint" --inline-images && [[ -f $work/hang/run/DONE ]]; then
    (($(journal_count hang PEER_DOWN) >= 1)) &&
      pass "hang: the silent rig was lost ($(journal_count hang PEER_DOWN) PEER_DOWN) and came back" ||
      fail "hang: no PEER_DOWN for a rig silent for 12 s"
    nothing_lost hang && pass "hang: $(grep 'nothing lost' "$work/hang/report.txt")" ||
      fail "hang: $(cat "$work/hang/report.txt")"
  else
    fail "hang: exit $? ($(tail -2 "$work/hang/rig.err"))"
  fi
  kill "$fakerig_pid" 2> /dev/null
fi

if [[ $part == all || $part == crash ]]; then
  generations=8
  endpoint="tcp://127.0.0.1:$(free_port)"
  start_fakerig whole zmq "$endpoint" --fixation-break 0.1
  run_rig whole "$generations" zmq "$endpoint" --inline-images --session sock-crash ||
    fail "crash: the uninterrupted session failed: $(tail -1 "$work/whole/rig.err")"
  kill "$fakerig_pid" 2> /dev/null
  endpoint="tcp://127.0.0.1:$(free_port)"
  start_fakerig killed zmq "$endpoint" --fixation-break 0.1
  kill_and_resume 6 30 run_rig killed "$generations" zmq "$endpoint" --inline-images \
    --session sock-crash
  kill "$fakerig_pid" 2> /dev/null
  if ((kills >= 5)) && [[ -f $work/killed/run/DONE ]]; then
    pass "crash: $kills kills with SIGKILL, resumed $rounds times over ZeroMQ, completed"
  else
    fail "crash: $kills kills, $rounds resumes, exit $rc ($(tail -1 "$work/killed/rig.err"))"
  fi
  if cmp -s "$work/whole/run/codes.npy" "$work/killed/run/codes.npy" &&
     cmp -s "$work/whole/run/best_code.npy" "$work/killed/run/best_code.npy"; then
    pass "crash: final codes bit-identical to the uninterrupted session"
  else
    fail "crash: the final codes differ from the uninterrupted session's"
  fi
  if [[ "$(blocks "$work/whole/run/rig/journal.jsonl")" == "$(blocks "$work/killed/run/rig/journal.jsonl")" ]]; then
    pass "crash: the same blocks ($(blocks "$work/whole/run/rig/journal.jsonl" | tr -d ' ' | head -c 80))"
  else
    fail "crash: blocks $(blocks "$work/killed/run/rig/journal.jsonl") vs $(blocks "$work/whole/run/rig/journal.jsonl")"
  fi
  nothing_lost killed && pass "crash: $(tail -1 "$work/killed/report.txt")" ||
    fail "crash: $(cat "$work/killed/report.txt")"
fi

if [[ $part == all || $part == python ]]; then
  endpoint="tcp://127.0.0.1:$(free_port)"
  mkdir -p "$work/python"
  timeout 120 $py "$src/examples/rig/client.py" --connect "$endpoint" \
    --state "$work/python/client-state.json" --channels unit,noise \
    > "$work/python/client.out" 2>&1 &
  client_pid=$!
  pids+=("$client_pid")
  if run_rig python 5 zmq "$endpoint" --inline-images && [[ -f $work/python/run/DONE ]]; then
    wait "$client_pid"
    client_rc=$?
    ((client_rc == 0)) && pass "python: examples/rig/client.py ran 5 generations and left on BYE" ||
      fail "python: the client exited $client_rc ($(tail -2 "$work/python/client.out"))"
    schema_valid python && pass "python: every message valid ($(tail -1 "$work/python/schema.txt"))" ||
      fail "python: $(grep -m3 -i 'fail\|invalid' "$work/python/schema.txt")"
  else
    fail "python: exit $? ($(tail -2 "$work/python/rig.err"); client: $(tail -2 "$work/python/client.out"))"
  fi
fi

if [[ $part == all || $part == pattern ]]; then
  endpoint="127.0.0.1:$(free_port)"
  mkdir -p "$work/pattern/images"
  recorded=(--channels 3 --labels unit,copy,noise --correlated 1)
  start_fakerig pattern tcp "$endpoint" --fixation-break 0.1
  scoring=(--channels unit,copy,noise --score-pattern unit,copy,noise --pattern-measure
    negative-mse --pattern-reference fmnist2 --pattern-zscore)
  if run_rig pattern 6 tcp "$endpoint" --dir "$work/pattern/images" &&
     [[ -f $work/pattern/run/DONE ]]; then
    if $py "$src/tests/rig/pattern_check.py" "$work/pattern/run" unit,copy,noise negative-mse \
         --target-reference fmnist2 --zscore > "$work/pattern/check.txt" 2>&1; then
      pass "pattern: $(tail -1 "$work/pattern/check.txt")"
    else
      fail "pattern: $(cat "$work/pattern/check.txt")"
    fi
  else
    fail "pattern: exit $? ($(tail -2 "$work/pattern/rig.err"))"
  fi
  kill "$fakerig_pid" 2> /dev/null
fi

if [[ $part == all || $part == threads ]]; then
  cat > "$work/threads.json" << 'JSON'
[{"name": "ga", "algorithm": "ga", "seed": 11, "score": "unit"},
 {"name": "cma", "algorithm": "sep-cmaes", "seed": 12, "generations": 3, "score": "noise"}]
JSON
  two=(--thread-file "$work/threads.json" --session threads)
  check_threads() {  # check_threads NAME: tests/rig/threads_check.py on $work/NAME/run
    $py "$src/tests/rig/threads_check.py" "$work/$1/run" ga:6:unit cma:3:noise \
      > "$work/$1/threads.txt" 2>&1
  }
  endpoint="127.0.0.1:$(free_port)"
  mkdir -p "$work/tcp-threads/images"
  start_fakerig tcp-threads tcp "$endpoint" --fixation-break 0.1 --duplicate-block 2
  if run_rig tcp-threads 6 tcp "$endpoint" --dir "$work/tcp-threads/images" "${two[@]}" &&
     [[ -f $work/tcp-threads/run/DONE ]]; then
    check_threads tcp-threads && pass "threads (tcp): $(tail -1 "$work/tcp-threads/threads.txt")" ||
      fail "threads (tcp): $(cat "$work/tcp-threads/threads.txt")"
    nothing_lost tcp-threads && pass "threads (tcp): $(tail -1 "$work/tcp-threads/report.txt")" ||
      fail "threads (tcp): $(cat "$work/tcp-threads/report.txt")"
  else
    fail "threads (tcp): exit $? ($(tail -2 "$work/tcp-threads/rig.err"))"
  fi
  kill "$fakerig_pid" 2> /dev/null

  endpoint="tcp://127.0.0.1:$(free_port)"
  start_fakerig whole-threads zmq "$endpoint" --fixation-break 0.1
  run_rig whole-threads 6 zmq "$endpoint" --inline-images "${two[@]}" ||
    fail "threads: the uninterrupted session failed: $(tail -1 "$work/whole-threads/rig.err")"
  kill "$fakerig_pid" 2> /dev/null
  check_threads whole-threads && pass "threads (zmq): $(tail -1 "$work/whole-threads/threads.txt")" ||
    fail "threads (zmq): $(cat "$work/whole-threads/threads.txt")"
  rm -rf "$work/killed"  # the crash part's, when every part runs
  endpoint="tcp://127.0.0.1:$(free_port)"
  start_fakerig killed zmq "$endpoint" --fixation-break 0.1
  kill_and_resume 5 30 run_rig killed 6 zmq "$endpoint" --inline-images "${two[@]}"
  kill "$fakerig_pid" 2> /dev/null
  if ((kills >= 4)) && [[ -f $work/killed/run/DONE ]]; then
    pass "threads: $kills kills with SIGKILL, resumed $rounds times, completed"
  else
    fail "threads: $kills kills, $rounds resumes, exit $rc ($(tail -1 "$work/killed/rig.err"))"
  fi
  for thread in ga cma; do
    if cmp -s "$work/whole-threads/run/threads/$thread/codes.npy" \
         "$work/killed/run/threads/$thread/codes.npy" &&
       cmp -s "$work/whole-threads/run/threads/$thread/best_code.npy" \
         "$work/killed/run/threads/$thread/best_code.npy"; then
      pass "threads: thread $thread's final codes bit-identical to the uninterrupted session"
    else
      fail "threads: thread $thread's final codes differ from the uninterrupted session's"
    fi
  done
  # The summary counts what the session did once, however often it was resumed.
  if $py -c "import json, sys; a, b = (json.load(open(f)) for f in sys.argv[1:]); \
k = ('blocks', 'reshows', 'reissues'); assert [a[x] for x in k] == [b[x] for x in k], (a, b)" \
       "$work/whole-threads/run/summary.json" "$work/killed/run/summary.json"; then
    pass "threads: the summary's blocks, re-shows and re-issues as the uninterrupted session's"
  else
    fail "threads: the summary's counts differ after the kills"
  fi
  if [[ "$(blocks "$work/whole-threads/run/rig/journal.jsonl")" == "$(blocks "$work/killed/run/rig/journal.jsonl")" ]]; then
    pass "threads: the same blocks after the kills"
  else
    fail "threads: blocks $(blocks "$work/killed/run/rig/journal.jsonl") vs $(blocks "$work/whole-threads/run/rig/journal.jsonl")"
  fi
  check_threads killed && pass "threads (resumed): $(tail -1 "$work/killed/threads.txt")" ||
    fail "threads (resumed): $(cat "$work/killed/threads.txt")"
  nothing_lost killed && pass "threads (resumed): $(tail -1 "$work/killed/report.txt")" ||
    fail "threads (resumed): $(cat "$work/killed/report.txt")"
fi

echo "$passes passed, $failures failed"
((failures == 0 && passes > 0))
