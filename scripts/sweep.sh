#!/usr/bin/env bash
# The long differential sweep of the CPU JIT against the interpreter (not part of CI): random
# graphs weighted toward row kernels and multi-output kernels, in shards side by side.
# Usage: scripts/sweep.sh [graphs=100000] [jobs=2] [first seed=1]
# Each shard runs its seeds in batches of 5,000 graphs per process: one process that compiles
# about 48,000 kernels exhausts the JIT's memory mappings (see README, Status). Failing graphs
# are shrunk into build/sweep/shard*/ (copy them into tests/data/jit_regressions/); the exit
# status is non-zero when any graph disagreed.
set -euo pipefail
cd "$(dirname "$0")/.."
graphs=${1:-100000}
jobs=${2:-2}
first=${3:-1}
batch=5000
bash scripts/bootstrap.sh
cmake --preset release >/dev/null
cmake --build --preset release --target jit_sweep
per=$(( (graphs + jobs - 1) / jobs ))
shard() {
  local j=$1 out=build/sweep/shard$1 status=0
  mkdir -p "$out"
  : >"$out/summary.txt"
  local start=$(( first + j * per ))
  local end=$(( first + (j + 1) * per < first + graphs ? first + (j + 1) * per : first + graphs ))
  for ((s = start; s < end; s += batch)); do
    local n=$(( end - s < batch ? end - s : batch ))
    build/release/tests/jit_sweep --graphs="$n" --first="$s" --out="$out" \
      >>"$out/summary.txt" 2>>"$out/log.txt" || status=1
  done
  return $status
}
status=0
pids=()
for ((j = 0; j < jobs; ++j)); do
  shard "$j" &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
for ((j = 0; j < jobs; ++j)); do
  echo "shard $j:"
  cat "build/sweep/shard$j/summary.txt"
  grep '^seed' "build/sweep/shard$j/log.txt" || true
done
exit $status
