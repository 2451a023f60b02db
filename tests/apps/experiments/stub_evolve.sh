#!/usr/bin/env bash
# A stand-in for xdream-evolve in runner_test.sh: it writes a run directory the way xdream-evolve
# does (config.json with "settings" and "models" through a CELL.partial-PID staging directory, then
# checkpoint.bin, summary.json, DONE) in a moment, without LibTorch.
#   xdream-evolve-stub --help | [--KEY VALUE ...] --out DIR [--force] | --resume DIR
# Every --KEY VALUE becomes settings.KEY (dashes as underscores); --generator FILE is also recorded
# under "models" with its sha256. Environment:
#   STUB_LOG    a line per run is appended: "fresh CELL" or "resume CELL"
#   STUB_FAIL   "CELL:MODE ..." makes the run of CELL fail: early (exit 3 before it touches the run
#               directory), late (exit 4 after config.json and checkpoint.bin), sleep (wait 60 s
#               before it touches the run directory; SIGTERM ends it)
#   STUB_PIDS   a directory: the stub writes CELL.pid there
set -euo pipefail
if [[ ${1:-} == --help ]]; then
  echo "xdream-evolve (stub for tests/apps/experiments/runner_test.sh): --out DIR --force --resume DIR"
  exit 0
fi
out='' resume='' settings='' generator=''
while (($#)); do
  case $1 in
    --out) out=$2; shift 2 ;;
    --resume) resume=$2; shift 2 ;;
    --force | --quiet) shift ;;
    --threads) shift 2 ;;
    --*)
      key=${1#--}
      settings+="${settings:+, }\"${key//-/_}\": \"$2\""
      [[ $1 == --generator ]] && generator=$2
      shift 2 ;;
    *) echo "stub: unexpected argument '$1'" >&2; exit 2 ;;
  esac
done
dir=${resume:-$out}
[[ -n $dir ]] || { echo "stub: --out or --resume expected" >&2; exit 2; }
cell=$(basename "$dir")
kind=fresh resumed=false
[[ -n $resume ]] && kind=resume resumed=true
[[ -n ${STUB_PIDS:-} ]] && echo $$ > "$STUB_PIDS/$cell.pid"
echo "$kind $cell" >> "${STUB_LOG:-/dev/null}"
mode=''
for f in ${STUB_FAIL:-}; do if [[ ${f%%:*} == "$cell" ]]; then mode=${f#*:}; fi; done
case $mode in
  early) echo "stub: failing early" >&2; exit 3 ;;
  sleep)
    trap 'kill $sleeper 2> /dev/null; exit 143' TERM
    sleep 60 & sleeper=$!
    wait $sleeper ;;
esac
if [[ -n $resume ]]; then
  [[ -f $dir/config.json && -f $dir/checkpoint.bin ]] || { echo "stub: nothing to resume" >&2; exit 5; }
  [[ -f $dir/DONE ]] && exit 0
else
  models=''
  if [[ -n $generator ]]; then
    sha=$(sha256sum "$generator" | cut -c1-64)
    models="\"generator\": {\"file\": \"$generator\", \"sha256\": \"$sha\"}"
  fi
  staging=$dir.partial-$$
  rm -rf "$staging"
  mkdir -p "$staging"
  echo "{\"program\": \"xdream-evolve-stub\", \"settings\": {$settings}, \"models\": {$models}}" > "$staging/config.json"
  rm -rf "$dir"
  mv "$staging" "$dir"
  echo checkpoint > "$dir/checkpoint.bin"
fi
if [[ $mode == late ]]; then echo "stub: failing late" >&2; exit 4; fi
echo "{\"relative_activation\": 1.5, \"resumed\": $resumed}" > "$dir/summary.json"
touch "$dir/DONE"
