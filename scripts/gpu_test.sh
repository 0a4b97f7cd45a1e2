#!/usr/bin/env bash
# The CUDA backend on a machine with an NVIDIA GPU: the CUDA test suites (the device round trip
# and everything that runs without a device), the differential corpus on the device, and the
# W1-W5 benchmarks on gpu(0) next to the CPU ones, as one table.
#
#   bash scripts/gpu_test.sh            # builds what it needs in build/release (BUILD_DIR=...)
#
# Without a GPU every device case prints "skipped: no CUDA device" and the script still exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build/release}
if [[ ! -f "$build/CMakeCache.txt" ]]; then
  cmake --preset release >/dev/null
fi
# Incremental: brings the binaries up to date with the checkout.
cmake --build "$build" --target cuda_tests ndjit_bench
echo "== CUDA tests (device cases skip without a GPU)"
"$build/tests/cuda_tests"
echo "== Differential corpus on the device"
"$build/tests/cuda_tests" --gtest_filter='CudaDevice*'
echo "== W1-W5 on gpu(0) and on the CPU"
"$build/bench/ndjit_bench" --benchmark_filter='^W[1-5]/(ndjit|ndjit_cuda|hand)(/|$)' \
  --benchmark_min_time=0.2
