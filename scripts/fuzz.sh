#!/usr/bin/env bash
# Fuzzes one libFuzzer target of tests/fuzz for SECONDS: builds it with the fuzz preset (clang-19,
# libFuzzer, AddressSanitizer + UndefinedBehaviorSanitizer) and runs it on its committed corpus.
#
#   bash scripts/fuzz.sh TARGET SECONDS      TARGET: a tests/fuzz/TARGET_fuzz.cc (ir_parser)
#   bash scripts/fuzz.sh --targets           lists them
#
# The inputs libFuzzer finds that reach new code go to build/fuzz/corpus/TARGET, which later runs
# start from (the committed tests/fuzz/corpus/TARGET is read, never written). A finding (a crash,
# a sanitizer report, an input slower than 10 s or larger than 2 GiB of memory) stops the run,
# leaves its input in build/fuzz/artifacts/TARGET/ and exits non-zero; once it is fixed, commit
# the input to tests/fuzz/corpus/TARGET/ so that every preset's ctest replays it.
set -euo pipefail
cd "$(dirname "$0")/.."

targets=()
for source in tests/fuzz/*_fuzz.cc; do
  name=$(basename "$source")
  targets+=("${name%_fuzz.cc}")
done
if [ "${1:-}" = "--targets" ]; then
  echo "${targets[*]}"
  exit 0
fi
usage="usage: scripts/fuzz.sh TARGET SECONDS   (TARGET: ${targets[*]})"
[ $# -eq 2 ] || { echo "$usage" >&2; exit 2; }
target=$1
seconds=$2
known=0
for t in "${targets[@]}"; do [ "$t" = "$target" ] && known=1; done
[ $known -eq 1 ] || { echo "fuzz: unknown target '$target'; $usage" >&2; exit 2; }
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz: SECONDS must be a positive integer; $usage" >&2; exit 2; }

bash scripts/bootstrap.sh
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --target "fuzz_${target}"

work=build/fuzz/corpus/${target}
artifacts=build/fuzz/artifacts/${target}
mkdir -p "$work" "$artifacts"
echo "== fuzz ${target}: ${seconds} s on tests/fuzz/corpus/${target} (new inputs: ${work})"
"build/fuzz/tests/fuzz/fuzz_${target}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="${artifacts}/" "$work" "tests/fuzz/corpus/${target}"
