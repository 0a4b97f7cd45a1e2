#!/usr/bin/env bash
# The long differential sweep of the CPU JIT against the interpreter (not part of CI): random
# graphs weighted toward row kernels and multi-output kernels, in shards side by side.
# Usage: scripts/sweep.sh [graphs=100000] [jobs=2] [first seed=1]
# Failing graphs are shrunk into build/sweep/shard*/ (copy them into tests/data/jit_regressions/);
# the exit status is non-zero when any graph disagreed.
set -euo pipefail
cd "$(dirname "$0")/.."
graphs=${1:-100000}
jobs=${2:-2}
first=${3:-1}
bash scripts/bootstrap.sh
cmake --preset release >/dev/null
cmake --build --preset release --target jit_sweep
per=$(( (graphs + jobs - 1) / jobs ))
status=0
pids=()
for ((j = 0; j < jobs; ++j)); do
  out=build/sweep/shard$j
  mkdir -p "$out"
  start=$(( first + j * per ))
  count=$(( graphs - j * per < per ? graphs - j * per : per ))
  build/release/tests/jit_sweep --graphs="$count" --first="$start" --out="$out" \
    >"$out/summary.txt" 2>"$out/log.txt" &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
for ((j = 0; j < jobs; ++j)); do
  echo "shard $j: $(tr '\n' ' ' < build/sweep/shard$j/summary.txt)"
  grep '^seed' "build/sweep/shard$j/log.txt" || true
done
exit $status
