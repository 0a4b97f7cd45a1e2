#!/usr/bin/env bash
# Sets up, builds and runs the demo (examples/demo.cc).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
cmake --preset dev >/dev/null
cmake --build --preset dev --target ndjit_demo
./build/dev/examples/ndjit_demo
