#!/usr/bin/env bash
# xdream-evolve against hostile input (ctest label `hostile`): broken models, damaged files, odd
# paths, bad configs, extreme numbers, a full disk, concurrent runs. Every case asserts the exit
# code, ONE line on stderr that says what is wrong, and what is left on disk:
#   none     the run directory does not exist (and nothing else was made: no .partial-*)
#   removed  the run failed during the run before its first checkpoint: the directory is gone
#   kept     the run failed after a checkpoint: the directory is kept, resumable
#   same     an existing run directory is byte for byte as it was
#   done     the run finished (exit 0, DONE written)
# and that no file under the work directory is half written (*.tmp) or empty (but `lock`).
#
# Usage: hostile_test.sh XDREAM_EVOLVE MODELS_DIR TEST_DATA_DIR
set -uo pipefail
evolve=$1 models=$2 data=$3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d)
mounted=()
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2> /dev/null; done
  for mount in "${mounted[@]}"; do umount "$mount" 2> /dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
failures=0 passes=0
pass() { passes=$((passes + 1)); echo "ok   $*"; }
fail() { failures=$((failures + 1)); echo "FAIL $*"; }
py=/usr/bin/python3
fast=(--reference none --generations 2 --threads 1 --quiet)
small=(--reference-count 100 --brute-force-pool 0 --generations 2 --threads 1 --quiet)

# What a directory holds, with every file's hash: "same" compares two of these.
snapshot() { (cd "$1" && find . -type f ! -name lock -print0 | sort -z | xargs -0 sha256sum); }

# expect NAME CODE TEXT STATE [DIR] -- ARGS...: runs xdream-evolve with ARGS (--out DIR unless
# ARGS has --resume or --out), then checks the exit code (CODE; "nz" = any non-zero), that
# stderr is one line holding TEXT, and STATE of DIR (default $work/out-NAME).
expect() {
  local name=$1 code=$2 text=$3 state=$4; shift 4
  local dir=$work/out-$name
  if [[ $1 != -- ]]; then dir=$1; shift; fi
  shift  # --
  local args=("$@")
  [[ " ${args[*]} " == *" --resume "* || " ${args[*]} " == *" --out "* ]] || args+=(--out "$dir")
  local before=""
  [[ $state == same ]] && before=$(snapshot "$dir")
  timeout 120 "$evolve" "${args[@]}" > "$work/$name.out" 2> "$work/$name.err"
  local got=$?
  local lines; lines=$(wc -l < "$work/$name.err")
  local why=""
  if [[ $code == nz ]]; then
    ((got != 0 && got != 124)) || why="exit $got, expected non-zero"
  elif ((got != code)); then
    why="exit $got, expected $code"
  fi
  if [[ -z $why && $code != 0 ]]; then
    grep -qF -- "$text" "$work/$name.err" || why="stderr lacks '$text'"
    [[ -n $why || $lines == 1 ]] || why="$lines lines on stderr"
  fi
  if [[ -z $why ]]; then
    case $state in
      none | removed) [[ ! -e $dir ]] || why="$dir exists" ;;
      kept) [[ -f $dir/config.json && -f $dir/checkpoint.bin && ! -f $dir/DONE ]] ||
              why="$dir is not a kept, resumable run" ;;
      same) [[ "$(snapshot "$dir")" == "$before" ]] || why="$dir changed" ;;
      done) [[ -f $dir/DONE ]] || why="$dir has no DONE" ;;
    esac
  fi
  if [[ -z $why ]]; then
    local stray
    # (The run the concurrent cases hold open writes its own temporaries meanwhile: not looked at.)
    stray=$(find "$work" -path "$work/busy" -prune -o \( -name '*.partial-*' -o -name '*.tmp' -o \
             \( -type f -empty ! -name lock ! -name DONE ! -name '*.out' ! -name '*.err' \
             ! -name 'empty*' \) \) -print -quit 2> /dev/null)
    [[ -z $stray ]] || why="left behind: $stray"
  fi
  if [[ -z $why ]]; then
    pass "$name: $(head -c 200 "$work/$name.err")"
  else
    fail "$name: $why: $(head -c 300 "$work/$name.err")"
  fi
}

# A finished run to damage, resume and replace (seconds: 4 generations, no reference).
make_run() {  # make_run DIR [ARGS...]
  local dir=$1; shift
  "$evolve" --out "$dir" --reference none --generations 4 --checkpoint-every 2 --threads 1 --quiet \
    "$@" > /dev/null 2>&1
}
# An interrupted run (no DONE) with a checkpoint.
make_interrupted() {
  make_run "$@" && rm -f "$1/DONE" && $py - "$1/config.json" << 'EOF'
import json, sys
path = sys.argv[1]
config = json.load(open(path))
config["settings"]["generations"] = 8
json.dump(config, open(path, "w"), indent=2)
EOF
}
# A config.json with one setting replaced by a JSON value (given as JSON text).
set_setting() {  # set_setting DIR KEY JSON
  $py - "$1/config.json" "$2" "$3" << 'EOF'
import json, sys
path, key, value = sys.argv[1], sys.argv[2], sys.argv[3]
config = json.load(open(path))
if value == "DELETE":
    del config["settings"][key]
else:
    config["settings"][key] = json.loads(value)
json.dump(config, open(path, "w"), indent=2)
EOF
}

echo "--- broken models (made by hostile_models.py with Debian's torch)"
broken=$work/models
$py "$here/hostile_models.py" "$models" "$broken" || { echo "FAIL cannot make the models"; exit 1; }
net() { echo --network "$broken/$1.pt"; }
expect net-doubled-rows nz "returned activations of shape [2, 32, 28, 28]" none -- $(net doubled_rows) "${small[@]}"
expect net-doubled-on-batches nz "shape [200, 10] at tap 'fc8' for 100 images" none -- $(net doubled_on_batches) "${small[@]}"
expect net-doubled-on-generations nz "shape [40, 10] at tap 'fc8' for 20 images" removed -- $(net doubled_on_generations) "${small[@]}"
expect net-nan-reference nz "non-finite activation (nan) on reference image 0" none -- $(net nan_everywhere) "${small[@]}"
expect net-nan-run nz "gave NaN for every image of generation 0" removed -- $(net nan_everywhere) "${fast[@]}"
expect net-nan-after-checkpoints nz "gave NaN for every image of generation 29" kept -- $(net nan_after_30) --reference none --generations 50 --threads 1 --quiet
expect net-int nz "returned Int activations" none -- $(net int_taps) "${small[@]}"
expect net-bool nz "returned Bool activations" none -- $(net bool_taps) "${small[@]}"
expect net-complex nz "returned ComplexFloat activations" none -- $(net complex_taps) "${small[@]}"
expect net-scalar nz "returned activations of shape [] at tap 'output'" none -- $(net scalar_output) --tap output "${small[@]}"
expect net-list nz "returned a GenericList" none -- $(net list_output) "${small[@]}"
expect net-raising nz "this network takes one image at a time" none -- $(net raising) "${small[@]}"
expect net-flipped-weights nz "has changed or is damaged" none -- $(net flipped_weights) "${small[@]}"
expect net-flipped-directory nz "has changed or is damaged" none -- $(net flipped_directory) "${small[@]}"
expect net-truncated nz "is not a TorchScript module" none -- $(net truncated) "${small[@]}"
expect net-empty nz "is not a TorchScript module" none -- $(net empty) "${small[@]}"
expect net-verified 0 "" done -- $(net verified) "${small[@]}"
expect gen-nan-on-batches nz "returned values in [" removed -- --generator "$broken/generator_nan_on_batches.pt" "${fast[@]}"
expect gen-code-size-huge nz "says code_size = 1099511627776; expected [1, 16777216]" none -- --generator "$broken/generator_code_size_huge.pt" "${fast[@]}"
expect gen-code-size-zero nz "says code_size = 0" none -- --generator "$broken/generator_code_size_zero.pt" "${fast[@]}"
expect gen-int nz "returned Int images; expected float32" none -- --generator "$broken/generator_int.pt" "${fast[@]}"
expect gen-bad-encode nz "encode did not return codes [N, 256]" none -- --generator "$broken/generator_bad_encode.pt" --init reference-best "${small[@]}"
mkdir -p "$work/a_directory.pt"
expect net-directory nz "is not a file" none -- --network "$work/a_directory.pt" "${fast[@]}"
mkfifo "$work/fifo.pt"
expect net-fifo nz "is not a file" none -- --network "$work/fifo.pt" "${fast[@]}"

echo "--- damaged files"
$py - "$work" << 'EOF'
import io, sys
import numpy as np
work = sys.argv[1]
def save(name, array):
    np.save(f"{work}/{name}.npy", array)
def header(shape, descr="<f4"):
    b = io.BytesIO()
    np.lib.format.write_array_header_1_0(b, {"descr": descr, "fortran_order": False, "shape": shape})
    return b.getvalue()
open(f"{work}/huge.npy", "wb").write(header((25000000, 8)) + b"\0" * 64)
open(f"{work}/truncated_header.npy", "wb").write(header((20, 256))[:30])
open(f"{work}/not_npy.npy", "wb").write(b"this is not a numpy file at all")
open(f"{work}/negative.npy", "wb").write(header((20, 256)).replace(b"(20, 256)", b"(-2, 256)"))
save("int32", np.zeros((20, 256), np.int32))
save("three_d", np.zeros((2, 20, 256), np.float32))
codes = np.zeros((20, 256), np.float32); codes[3, 7] = np.nan
save("nan_codes", codes)
save("wrong_length", np.zeros((20, 3), np.float32))
open(f"{work}/padded.npy", "wb").write(open(f"{work}/wrong_length.npy", "rb").read() + b"\0" * 8)
EOF
expect npy-huge-shape nz "the shape (25000000, 8) needs" none -- --init "$work/huge.npy" "${fast[@]}"
expect npy-truncated-header nz "truncated header" none -- --init "$work/truncated_header.npy" "${fast[@]}"
expect npy-not-npy nz "not a .npy file" none -- --init "$work/not_npy.npy" "${fast[@]}"
expect npy-negative-shape nz "empty array" none -- --init "$work/negative.npy" "${fast[@]}"
expect npy-int32 nz "dtype '<i4' is not supported" none -- --init "$work/int32.npy" "${fast[@]}"
expect npy-3d nz "shape has 3 dimensions" none -- --init "$work/three_d.npy" "${fast[@]}"
expect npy-nan-codes nz "holds NaN or inf codes" none -- --init "$work/nan_codes.npy" "${fast[@]}"
expect npy-wrong-length nz "the codes have length 3" none -- --init "$work/wrong_length.npy" "${fast[@]}"
expect npy-padded nz "truncated or padded data" none -- --init "$work/padded.npy" "${fast[@]}"
mkfifo "$work/fifo.npy"
expect npy-fifo nz "not a regular file" none -- --init "$work/fifo.npy" "${fast[@]}"

# Fashion-MNIST IDX files: empty, truncated, wrong magic, absurd sizes.
$py - "$work" << 'EOF'
import gzip, os, struct, sys
work = sys.argv[1]
def idx(folder, count, h=28, w=28, magic=0x803, images=None):
    os.makedirs(f"{work}/{folder}", exist_ok=True)
    body = struct.pack(">IIII", magic, count, h, w) + (images if images is not None else b"\0" * (count * h * w))
    for split in ("t10k", "train"):
        with gzip.open(f"{work}/{folder}/{split}-images-idx3-ubyte.gz", "wb") as f:
            f.write(body)
idx("idx_empty", 0)
idx("idx_truncated", 1000, images=b"\7" * (28 * 28 * 10))
idx("idx_magic", 10, magic=0x801)
idx("idx_huge", 2 ** 31 - 1, h=4096, w=4096, images=b"")
idx("idx_size", 10, h=0, w=28)
EOF
for case in empty:"holds no images" truncated:"truncated: image 10" magic:"not an IDX3 file" huge:"truncated: image 0" size:"implausible image size"; do
  expect "idx-${case%%:*}" nz "${case#*:}" none -- --data-dir "$work/idx_${case%%:*}" "${small[@]}"
done
expect idx-missing nz "no such file" none -- --data-dir "$work/no_such_dir" "${small[@]}"

# The reference cache: a damaged or foreign file is measured again, with one warning, and the
# result equals a run without the cache.
with_reference=(--reference-count 200 --brute-force-pool 0 --generations 4 --checkpoint-every 2 --threads 1 --quiet)
"$evolve" --out "$work/nocache" "${with_reference[@]}" > /dev/null 2>&1
mkdir -p "$work/cache"
"$evolve" --out "$work/withcache" "${with_reference[@]}" --reference-cache "$work/cache" > /dev/null 2>&1
cached=$(find "$work/cache" -name '*.npy' | head -1)
$py -c "import numpy, sys; numpy.save(sys.argv[1], numpy.ones((500, 1), numpy.float32))" "$cached"
"$evolve" --out "$work/cache-shape-run" "${with_reference[@]}" --reference-cache "$work/cache" \
  > /dev/null 2> "$work/cache-shape.err"
if grep -q "holds 500 x 1 activations (images x channels), not 200 x 10); measuring again" "$work/cache-shape.err" &&
   [[ $($py -c "import json,sys; print(json.load(open(sys.argv[1]))['reference_max'])" "$work/cache-shape-run/summary.json") == \
      $($py -c "import json,sys; print(json.load(open(sys.argv[1]))['reference_max'])" "$work/nocache/summary.json") ]]; then
  pass "cache-wrong-shape: measured again ($(cat "$work/cache-shape.err")), same best reference"
else
  fail "cache-wrong-shape: $(cat "$work/cache-shape.err")"
fi
echo "garbage" > "$cached"
"$evolve" --out "$work/cache-garbage-run" "${with_reference[@]}" --reference-cache "$work/cache" \
  > /dev/null 2> "$work/cache-garbage.err"
if grep -q "reference cache unreadable" "$work/cache-garbage.err" && [[ -f $work/cache-garbage-run/DONE ]]; then
  pass "cache-garbage: $(cat "$work/cache-garbage.err")"
else
  fail "cache-garbage: $(cat "$work/cache-garbage.err")"
fi

# Checkpoints and config.json of a run to resume.
make_interrupted "$work/run-fifo" && rm "$work/run-fifo/checkpoint.bin" && mkfifo "$work/run-fifo/checkpoint.bin"
expect checkpoint-fifo nz "not a regular file" same "$work/run-fifo" -- --resume "$work/run-fifo"
make_interrupted "$work/run-dir" && rm "$work/run-dir/checkpoint.bin" && mkdir "$work/run-dir/checkpoint.bin"
expect checkpoint-directory nz "not a regular file" same "$work/run-dir" -- --resume "$work/run-dir"
make_interrupted "$work/run-cut" && truncate -s 100 "$work/run-cut/checkpoint.bin"
expect checkpoint-truncated nz "truncated" same "$work/run-cut" -- --resume "$work/run-cut"
make_interrupted "$work/run-flip" && printf '\x01' | dd of="$work/run-flip/checkpoint.bin" bs=1 seek=200 conv=notrunc 2> /dev/null
expect checkpoint-corrupt nz "checksum mismatch" same "$work/run-flip" -- --resume "$work/run-flip"
make_interrupted "$work/run-other" --algorithm sep-cmaes && make_run "$work/run-ga" && cp "$work/run-ga/checkpoint.bin" "$work/run-other/checkpoint.bin"
expect checkpoint-other-algorithm nz "expected 'xdream.checkpoint/sep-cmaes'" same "$work/run-other" -- --resume "$work/run-other"
for setting in generations:-1:"= -1 is not a number (a whole number >= 0)" generations:1.5:"= 1.5 is not a number (a whole number >= 0)" \
               seed:'"7"':"is not a number (a whole number >= 0)" noise_level:1e400:"is not JSON" \
               algorithm:'"annealing"':"'annealing': expected one of" sigma:-2:"option --sigma = -2" \
               mutation_rate:'"high"':"= \"high\" is not a number" threads:0:"option --threads = 0" \
               unknown_key:1:"unknown setting" tap:DELETE:"the setting \"tap\" is missing"; do
  IFS=: read -r key value text <<< "$setting"
  dir=$work/run-json-$key-${value//[^a-z0-9]/_}
  make_interrupted "$dir"
  if [[ $value == 1e400 ]]; then sed -i 's/"noise_level": [0-9.e+-]*/"noise_level": 1e400/' "$dir/config.json"
  else set_setting "$dir" "$key" "$value"; fi
  expect "config-json-$key-${value//[^a-z0-9]/_}" nz "$text" same "$dir" -- --resume "$dir"
done
make_interrupted "$work/run-notjson" && echo "{ not json" > "$work/run-notjson/config.json"
expect config-json-garbage nz "is not JSON" same "$work/run-notjson" -- --resume "$work/run-notjson"
make_interrupted "$work/run-cfifo" && rm "$work/run-cfifo/config.json" && mkfifo "$work/run-cfifo/config.json"
expect config-json-fifo nz "is not a regular file of at most 1 MiB" same "$work/run-cfifo" -- --resume "$work/run-cfifo"
make_interrupted "$work/run-models" && set_setting "$work/run-models" network "\"$broken/verified.pt\""
expect config-json-changed-model nz "the model files changed" same "$work/run-models" -- --resume "$work/run-models"

echo "--- paths"
expect out-under-file nz "is not a writable directory" none "/etc/hostname/run" -- "${fast[@]}"
expect out-not-utf8 nz "option --out: the value is not UTF-8" none "$work/"$'\xff\xfe' -- "${fast[@]}"
expect generator-not-utf8 nz "option --generator: the value is not UTF-8" none -- --generator "$work/"$'\xc3\x28'.pt "${fast[@]}"
mkdir -p "$work/not-a-run" && echo keep > "$work/not-a-run/mine.txt"
expect force-not-a-run nz "is not a run directory" same "$work/not-a-run" -- --out "$work/not-a-run" --force "${fast[@]}"
make_run "$work/existing"
expect out-exists nz "already exists; give --resume" same "$work/existing" -- --out "$work/existing" "${fast[@]}"
expect out-empty nz "option --out = '': expected a directory" none "$work/out-empty-unused" -- --out "" "${fast[@]}"
expect resume-not-a-run nz "has no config.json" none "$work/out-resume-none" -- --resume "$work/not-a-run"
expect resume-with-seed nz "cannot be combined with --resume" same "$work/existing" -- --resume "$work/existing" --seed 3
expect generator-missing nz "does not exist" none -- --generator "$work/none.pt" "${fast[@]}"

echo "--- configuration files"
printf 'seed = 1\nseed = 2\n' > "$work/dup.toml"
expect config-duplicate-key nz "the key 'seed' is given twice (lines 1 and 2)" none -- --config "$work/dup.toml" "${fast[@]}"
printf 'seed = [1, 2]\n' > "$work/list.toml"
expect config-list-for-scalar nz "the key 'seed' (line 1) takes one value, not a list" none -- --config "$work/list.toml" "${fast[@]}"
printf 'mutation_rate = 0.9\n' > "$work/misspelt.toml"
expect config-misspelt-key nz "mutation_rate" none -- --config "$work/misspelt.toml" "${fast[@]}"
mkfifo "$work/fifo.toml"
expect config-fifo nz "not a regular file" none -- --config "$work/fifo.toml" "${fast[@]}"
head -c 2000000 /dev/zero | tr '\0' '#' > "$work/big.toml"
expect config-too-large nz "larger than 1 MiB" none -- --config "$work/big.toml" "${fast[@]}"
printf 'tap = "\xff"\n' > "$work/latin.toml"
expect config-not-utf8 nz "line 1 is not UTF-8" none -- --config "$work/latin.toml" "${fast[@]}"
printf 'algorithm = "annealing"\n' > "$work/enum.toml"
expect config-unknown-algorithm nz "'annealing' is not one of ga, cmaes" none -- --config "$work/enum.toml" "${fast[@]}"

echo "--- numbers"
expect poisson-level-inf nz "--noise-level: Value inf not in range" none -- --noise poisson --noise-level inf "${small[@]}"
expect poisson-level-huge nz "--noise-level: Value 1e308 not in range" none -- --noise poisson --noise-level 1e308 "${small[@]}"
expect multiplicative-inf nz "--noise-level: Value inf not in range" none -- --noise multiplicative --noise-level inf "${fast[@]}"
expect sigma-huge nz "--sigma: Value 1e308 not in range" none -- --algorithm sep-cmaes --sigma 1e308 "${fast[@]}"
expect learning-rate-huge nz "--learning-rate: Value 1e308 not in range" none -- --algorithm nes --learning-rate 1e308 "${fast[@]}"
expect radius-huge nz "--radius: Value 1e308 not in range" none -- --algorithm fdgd --radius 1e308 "${fast[@]}"
expect seed-overflow nz "--seed: expected a whole number >= 0" none -- --seed 18446744073709551616 "${fast[@]}"
expect seed-max nz "is above the maximum 18446744073709551614" none -- --seed 18446744073709551615 "${fast[@]}"
expect seed-negative nz "--seed: expected a whole number >= 0" none -- --seed -1 "${fast[@]}"
expect generations-huge nz "is above the maximum 100000000" none -- --generations 200000000 --reference none --quiet
expect stimuli-zero nz "option --stimuli = 0" none -- --stimuli 0 --reference none --quiet
expect code-size-huge nz "--code-size: Value 1099511627776 not in range" none -- --code-size 1099511627776 "${fast[@]}"
expect mean-nan nz "option --mean = nan" none -- --mean nan "${fast[@]}"
expect std-zero nz "--std: Value 0 not in range" none -- --std 0 "${fast[@]}"
expect std-inf nz "--std: Value inf not in range" none -- --std inf "${fast[@]}"
expect population-one nz "option --population = 1" none -- --population 1 "${fast[@]}"
expect unit-negative nz "--unit: Value -1 not in range 0 to" none -- --unit -1 "${fast[@]}"
expect unit-range nz "channel = 100000 is out of range" none -- --unit 100000 "${fast[@]}"
expect threads-many nz "--threads: Value 5000 not in range" none -- --threads 5000 --reference none --generations 2 --quiet
expect checkpoint-every-zero nz "--checkpoint-every: Value 0 not in range" none -- --checkpoint-every 0 "${fast[@]}"
expect reference-count-zero nz "--reference-count: Value 0 not in range" none -- --reference-count 0 --generations 2 --quiet
expect noise-reps-zero nz "--noise-reps: Value 0 not in range" none -- --noise poisson --noise-reps 0 "${small[@]}"

echo "--- population patterns (--score-pattern)"
$py - "$work" << 'EOF'
import json, sys
import numpy as np
work = sys.argv[1]
for name, values in {"t3": [1, 2, 3], "t2": [1, 2], "zero3": [0, 0, 0], "flat2": [5, 5], "empty": []}.items():
    json.dump(values, open(f"{work}/{name}.json", "w"))
open(f"{work}/nan.json", "w").write("[1, NaN, 2]")
open(f"{work}/text.json", "w").write('[1, "2", 3]')
open(f"{work}/object.json", "w").write('{"target": [1, 2, 3]}')
np.save(f"{work}/nan3.npy", np.array([1.0, np.nan, 2.0]))
np.save(f"{work}/inf3.npy", np.array([1.0, 2.0, np.inf], np.float32))
np.save(f"{work}/matrix.npy", np.ones((2, 3), np.float32))
np.save(f"{work}/ok3.npy", np.array([0.5, -1.0, 2.0]))
EOF
mkfifo "$work/fifo.json"
t3=(--pattern-target "$work/t3.json")
expect pattern-ok 0 "" done -- --score-pattern 0-2 --pattern-target "$work/ok3.npy" --pattern-measure dot "${small[@]}"
expect pattern-target-length nz "option --pattern-target = 2 values: expected 3 (one per --score-pattern channel)" none -- --score-pattern 0-2 --pattern-target "$work/t2.json" "${small[@]}"
expect pattern-channel-range nz "option --score-pattern = 10: expected channels of tap 'fc8', in [0, 9]" none -- --score-pattern 8-10 "${t3[@]}" "${small[@]}"
expect pattern-channel-range-conv nz "option --score-pattern = 32: expected channels of tap 'conv1', in [0, 31]" none -- --tap conv1 --score-pattern 30-32 "${t3[@]}" "${small[@]}"
expect pattern-duplicate 2 "option --score-pattern = 1: expected distinct channels (1 is listed twice)" none -- --score-pattern 0,1,1 "${t3[@]}" "${small[@]}"
expect pattern-duplicate-in-range 2 "(2 is listed twice)" none -- --score-pattern 0-3,2 "${t3[@]}" "${small[@]}"
expect pattern-not-a-channel 2 "option --score-pattern = 'x1': expected channel indices" none -- --score-pattern 0,x1 "${t3[@]}" "${small[@]}"
expect pattern-negative-channel 2 "option --score-pattern = '-3': expected channel indices" none -- --score-pattern=-3 "${t3[@]}" "${small[@]}"
expect pattern-backward-range 2 "option --score-pattern = '5-2': expected" none -- --score-pattern 5-2 "${t3[@]}" "${small[@]}"
expect pattern-huge-range 2 "option --score-pattern = '0-99999999999': expected" none -- --score-pattern 0-99999999999 "${t3[@]}" "${small[@]}"
expect pattern-too-many 2 "at most 1048576 channels in all" none -- --score-pattern 0-2000000 "${t3[@]}" "${small[@]}"
expect pattern-zero-target-cosine nz "option --pattern-target = a zero vector: expected a direction for --pattern-measure cosine" none -- --score-pattern 0-2 --pattern-target "$work/zero3.json" "${small[@]}"
expect pattern-constant-target-correlation nz "option --pattern-target = a constant vector: expected a spread" none -- --score-pattern 3,4 --pattern-target "$work/flat2.json" --pattern-measure correlation "${small[@]}"
expect pattern-correlation-one-channel nz "option --score-pattern = 1 channel: expected at least 2 for --pattern-measure correlation" none -- --score-pattern 3 --pattern-reference 0 --pattern-measure correlation "${small[@]}"
# One reference image: every channel's spread is 0, so its z-scored response is 0 everywhere.
expect pattern-zscored-target-zero nz "option --pattern-reference = 0 (its response is a zero vector after --pattern-zscore)" none -- --score-pattern 0-3 --pattern-reference 0 --pattern-zscore --reference-count 1 --brute-force-pool 0 --generations 2 --threads 1 --quiet
expect pattern-zscore-without-reference nz "option --pattern-zscore = true: expected a reference set to z-score against; --reference none was given" none -- --score-pattern 0-2 "${t3[@]}" --pattern-zscore "${fast[@]}"
expect pattern-reference-without-reference nz "option --pattern-reference = 4: expected a reference set" none -- --score-pattern 0-2 --pattern-reference 4 "${fast[@]}"
expect pattern-reference-out-of-range nz "option --pattern-reference = 100: expected an index into the 100 reference images (--reference-count): [0, 99]" none -- --score-pattern 0-2 --pattern-reference 100 "${small[@]}"
expect pattern-reference-negative 2 "--pattern-reference: Value -2 not in range" none -- --score-pattern 0-2 --pattern-reference -2 "${small[@]}"
expect pattern-target-nan-npy 2 "option --pattern-target: '$work/nan3.npy' holds nan at index 1; expected finite values" none -- --score-pattern 0-2 --pattern-target "$work/nan3.npy" "${small[@]}"
expect pattern-target-inf-npy 2 "holds inf at index 2; expected finite values" none -- --score-pattern 0-2 --pattern-target "$work/inf3.npy" "${small[@]}"
expect pattern-target-nan-json 2 "is not JSON (a .json array of numbers, or a .npy vector; JSON has no NaN or inf)" none -- --score-pattern 0-2 --pattern-target "$work/nan.json" "${small[@]}"
expect pattern-target-matrix 2 "holds 2 vectors of 3 values; expected one vector" none -- --score-pattern 0-2 --pattern-target "$work/matrix.npy" "${small[@]}"
expect pattern-target-empty 2 "holds 0 values; expected 1 to 1048576" none -- --score-pattern 0-2 --pattern-target "$work/empty.json" "${small[@]}"
expect pattern-target-text 2 "holds \"2\", which is not a number" none -- --score-pattern 0-2 --pattern-target "$work/text.json" "${small[@]}"
expect pattern-target-object 2 "is not a JSON array of numbers" none -- --score-pattern 0-2 --pattern-target "$work/object.json" "${small[@]}"
expect pattern-target-fifo 2 "is not a regular file" none -- --score-pattern 0-2 --pattern-target "$work/fifo.json" "${small[@]}"
expect pattern-target-damaged-npy 2 "option --pattern-target: '$work/truncated_header.npy' cannot be read" none -- --score-pattern 0-2 --pattern-target "$work/truncated_header.npy" "${small[@]}"
expect pattern-no-target nz "option --score-pattern = (no target, or two): expected one of --pattern-target FILE and --pattern-reference INDEX" none -- --score-pattern 0-2 "${small[@]}"
expect pattern-two-targets nz "(no target, or two)" none -- --score-pattern 0-2 "${t3[@]}" --pattern-reference 1 "${small[@]}"
expect pattern-setting-alone nz "option --pattern-zscore = true: expected --score-pattern with it" none -- --pattern-zscore "${small[@]}"
expect pattern-target-alone nz "option --pattern-target = (a pattern's target): expected --score-pattern with it" none -- "${t3[@]}" "${small[@]}"
expect pattern-with-noise nz "option --noise = poisson: expected none with --score-pattern" none -- --score-pattern 0-2 "${t3[@]}" --noise poisson "${small[@]}"
expect pattern-with-multiplicative nz "option --noise = multiplicative: expected none with --score-pattern" none -- --score-pattern 0-2 "${t3[@]}" --noise multiplicative "${fast[@]}"
expect pattern-with-unit nz "option --unit cannot be combined with --score-pattern" none -- --score-pattern 0-2 "${t3[@]}" --unit 4 "${small[@]}"
expect pattern-unknown-measure 2 "--pattern-measure: cos not in {cosine,correlation,dot,negative-mse}" none -- --score-pattern 0-2 "${t3[@]}" --pattern-measure cos "${small[@]}"
expect pattern-position-on-fc nz "a fully connected tap has no position (y, x); got (1, -1)" none -- --score-pattern 0-2 "${t3[@]}" --y 1 "${small[@]}"
printf 'score-pattern = [1, 1]\npattern-target = "%s"\n' "$work/t2.json" > "$work/pattern.toml"
expect pattern-config-duplicate 2 "(1 is listed twice)" none -- --config "$work/pattern.toml" "${small[@]}"
# A pattern run's config.json with one setting damaged: refused on --resume, the run untouched.
make_interrupted "$work/run-pattern" --score-pattern 0-2 --pattern-target "$work/t3.json"
for setting in score_pattern:'[0, 1, 1]':"(1 is listed twice)" \
               score_pattern:'[0, 1, 2, 3]':"option --pattern-target = 3 values: expected 4" \
               score_pattern:'[-1, 0, 1]':"option --score-pattern = -1" \
               pattern_target:'[1, 2]':"option --pattern-target = 2 values: expected 3" \
               pattern_target:'[0, 0, 0]':"= a zero vector: expected a direction" \
               pattern_measure:'"cos"':"option --pattern-measure = cos" \
               pattern_zscore:true:"option --pattern-zscore = true: expected a reference set" \
               pattern_reference:-5:"option --score-pattern = (no target, or two)"; do
  IFS=: read -r key value text <<< "$setting"
  dir=$work/run-pattern-$key-${value//[^a-z0-9]/_}
  cp -r "$work/run-pattern" "$dir"
  set_setting "$dir" "$key" "$value"
  expect "config-json-$key-${value//[^a-z0-9]/_}" nz "$text" same "$dir" -- --resume "$dir"
done

echo "--- a full disk"
if mkdir -p "$work/tiny" "$work/small" && mount -t tmpfs -o size=4k tmpfs "$work/tiny" 2> /dev/null; then
  mounted+=("$work/tiny")
  expect disk-full-at-start nz "No space left on device" none "$work/tiny/run" -- "${fast[@]}"
  [[ -z $(ls -A "$work/tiny") ]] && pass "disk-full-at-start: nothing left on the disk" ||
    fail "disk-full-at-start: left $(ls -A "$work/tiny")"
  mount -t tmpfs -o size=300k tmpfs "$work/small" && mounted+=("$work/small")
  expect disk-full-in-run nz "No space left on device" kept "$work/small/run" -- --reference none --generations 300 --threads 1 --quiet
  umount "$work/small" && mount -t tmpfs -o size=80k tmpfs "$work/small"
  expect disk-full-before-checkpoint nz "No space left on device" removed "$work/small/run" -- --reference none --generations 300 --checkpoint-every 1000 --threads 1 --quiet
else
  echo "skip disk-full cases: cannot mount a tmpfs here (needs root and mount rights)"
fi

echo "--- concurrent runs"
"$evolve" --out "$work/busy" --reference none --generations 100000 --threads 1 --quiet > /dev/null 2>&1 &
busy=$!; pids+=("$busy")
for _ in $(seq 100); do [[ -f $work/busy/checkpoint.bin ]] && break; sleep 0.1; done
expect concurrent-force nz "is in use by process $busy" none "$work/out-concurrent-force-unused" -- --out "$work/busy" --force "${fast[@]}"
expect concurrent-resume nz "is in use by process $busy" none "$work/out-concurrent-resume-unused" -- --resume "$work/busy"
expect concurrent-new nz "already exists" none "$work/out-concurrent-new-unused" -- --out "$work/busy" "${fast[@]}"
if kill -0 "$busy" 2> /dev/null && [[ -f $work/busy/config.json ]]; then
  pass "concurrent: the held run is still running, its directory intact"
else
  fail "concurrent: the held run was disturbed"
fi
kill -9 "$busy"; wait "$busy" 2> /dev/null
expect concurrent-after-kill 0 "" done "$work/busy" -- --out "$work/busy" --force "${fast[@]}"
# Two --force runs racing for one directory: exactly one wins, the other says why; no leftovers.
make_run "$work/race"
for k in 1 2; do
  "$evolve" --out "$work/race" --force --reference none --generations 30 --threads 1 --quiet \
    > "$work/race$k.out" 2> "$work/race$k.err" &
  pids+=($!)
done
wait "${pids[-1]}"; rc2=$?; wait "${pids[-2]}"; rc1=$?
if { ((rc1 == 0 && rc2 != 0)) || ((rc1 != 0 && rc2 == 0)) || ((rc1 == 0 && rc2 == 0)); } &&
   [[ -f $work/race/DONE ]] && [[ -z $(find "$work" -maxdepth 1 -name 'race.partial-*') ]]; then
  pass "race-force: exits $rc1/$rc2, one complete run, no leftovers ($(cat "$work/race1.err" "$work/race2.err" | head -c 160))"
else
  fail "race-force: exits $rc1/$rc2: $(cat "$work/race1.err" "$work/race2.err")"
fi

echo "$passes passed, $failures failed"
((failures == 0))
