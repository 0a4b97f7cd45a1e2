#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite: the dev preset, then the asan-ubsan preset, then
# each libFuzzer target for 60 seconds on its corpus (scripts/fuzz.sh; longer campaigns run it
# by hand).
# Usage: scripts/test.sh [preset...]   (default: dev asan-ubsan, then the fuzz targets; named
# presets run alone)
# In CI (CI=true) warnings are errors.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh

presets=("$@")
fuzz=0
if [ ${#presets[@]} -eq 0 ]; then
  presets=(dev asan-ubsan)
  fuzz=1
fi
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON

for preset in "${presets[@]}"; do
  echo "== ${preset}: configure, build, test"
  cmake --preset "${preset}" -DNDJIT_WERROR="${werror}" >/dev/null
  cmake --build --preset "${preset}"
  ctest --preset "${preset}" -j2
done

if [ $fuzz -eq 1 ]; then
  for target in $(bash scripts/fuzz.sh --targets); do
    bash scripts/fuzz.sh "$target" 60
  done
fi
