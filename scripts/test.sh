#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite: the dev preset, then the asan-ubsan preset.
# Usage: scripts/test.sh [preset...]   (default: dev asan-ubsan)
# In CI (CI=true) warnings are errors.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh

presets=("$@")
[ ${#presets[@]} -eq 0 ] && presets=(dev asan-ubsan)
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON

for preset in "${presets[@]}"; do
  echo "== ${preset}: configure, build, test"
  cmake --preset "${preset}" -DNDJIT_WERROR="${werror}" >/dev/null
  cmake --build --preset "${preset}"
  ctest --preset "${preset}" -j2
done
