#!/usr/bin/env bash
# Startup: how long the tutorial's training program (examples/gluon_train) takes from the start of
# main() to its first loss, in fresh processes. Each round runs, one after another:
#   serial    no disk cache, NDJIT_NUM_THREADS=1 (the step's kernels compile one at a time)
#   parallel  no disk cache, NDJIT_NUM_THREADS=2 (independent kernels of a graph compile at once)
#   cold      the disk cache on, empty (compiles, in parallel, and stores)
#   warm      the disk cache on, filled by `cold` (loads every kernel)
# and reports the median of each over the rounds, with the ratios the README quotes:
# parallel/serial (parallel compilation) and warm/cold (the second start against the first).
#
#   bash bench/startup.sh [ROUNDS]      (default 7)
#
# Environment: NDJIT_TRAIN, the example's binary (default: build/release/examples/ndjit_gluon_train;
# build it with `cmake --preset release && cmake --build --preset release`).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
train="${NDJIT_TRAIN:-$repo/build/release/examples/ndjit_gluon_train}"
rounds="${1:-7}"
die() {
  echo "startup: error: $*" >&2
  exit 1
}
[[ -x "$train" ]] || die "$train not found (build the release preset first)"
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer, got '$rounds'"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT

# Runs the example with the given environment; prints "<ms to first loss> <compiled> <loaded>".
measure() {
  local out ms kernels
  out="$(env "$@" "$train")" || die "the example failed with $*"
  ms="$(sed -n 's/^first loss after \([0-9.]*\) ms.*/\1/p' <<<"$out")"
  kernels="$(sed -n 's/^kernels compiled or loaded: \([0-9]*\) in the first step (\([0-9]*\) from the disk cache).*/\1 \2/p' <<<"$out")"
  [[ -n "$ms" && -n "$kernels" ]] || die "unexpected output of the example:\n$out"
  read -r total loaded <<<"$kernels"
  echo "$ms $((total - loaded)) $loaded"
}

declare -A times counts
for ((r = 0; r < rounds; r++)); do
  rm -rf "$dir/cache"
  for mode in serial parallel cold warm; do
    case "$mode" in
      serial) m="$(measure NDJIT_CACHE=0 NDJIT_NUM_THREADS=1)" ;;
      parallel) m="$(measure NDJIT_CACHE=0 NDJIT_NUM_THREADS=2)" ;;
      cold) m="$(measure NDJIT_CACHE=1 NDJIT_CACHE_DIR="$dir/cache" NDJIT_NUM_THREADS=2)" ;;
      warm) m="$(measure NDJIT_CACHE=1 NDJIT_CACHE_DIR="$dir/cache" NDJIT_NUM_THREADS=2)" ;;
    esac
    read -r ms compiled loaded <<<"$m"
    times[$mode]+="$ms "
    counts[$mode]="$compiled compiled, $loaded loaded"
  done
done

median() { tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
declare -A med
printf '%-9s %12s  %s\n' "start" "first loss" "first step's kernels"
for mode in serial parallel cold warm; do
  med[$mode]="$(median "${times[$mode]}")"
  printf '%-9s %9.1f ms  %s\n' "$mode" "${med[$mode]}" "${counts[$mode]}"
done
awk -v p="${med[parallel]}" -v s="${med[serial]}" -v w="${med[warm]}" -v c="${med[cold]}" -v n="$rounds" 'BEGIN {
  printf "parallel/serial %.2f, warm/cold %.2f (medians of %d rounds)\n", p / s, w / c, n }'
