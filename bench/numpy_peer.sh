#!/usr/bin/env bash
# Peer comparison of the running sum: NumPy's cumsum (Debian's python3-numpy, which the
# bootstrap script installs) against ndjit's `Scan/cumsum` cases of bench/ndjit_bench, from one
# invocation on one machine. Both scan the same size of float32 vector (2^24 elements).
#
#   bash bench/numpy_peer.sh
#
# Environment:
#   NDJIT_BENCH         ndjit's benchmark binary (default: build/release/bench/ndjit_bench; build
#                       it with `cmake --preset release && cmake --build --preset release`)
#   NDJIT_NUMPY_PYTHON  the interpreter with NumPy (default: Debian's /usr/bin/python3, where the
#                       bootstrap script installs python3-numpy, else python3 on PATH)
#
# The table goes to stdout. A missing binary or NumPy is an error (exit 1).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench="${NDJIT_BENCH:-$repo/build/release/bench/ndjit_bench}"
die() {
  echo "numpy_peer: error: $*" >&2
  exit 1
}
[[ -x "$bench" ]] || die "$bench not found (build the release benchmark first)"
py="${NDJIT_NUMPY_PYTHON:-}"
if [[ -z "$py" ]]; then
  for candidate in /usr/bin/python3 python3; do
    if "$candidate" -c 'import numpy' 2>/dev/null; then
      py="$candidate"
      break
    fi
  done
fi
[[ -n "$py" ]] && "$py" -c 'import numpy' 2>/dev/null ||
  die "no python3 with NumPy found (bash scripts/bootstrap.sh, or set NDJIT_NUMPY_PYTHON)"

# NumPy: the best of 10 runs of np.cumsum into a preallocated output (one thread, in order).
numpy_ms=$("$py" - <<'EOF'
import time
import numpy as np
n = 1 << 24
x = np.random.default_rng(1).random(n, dtype=np.float32)
out = np.empty_like(x)
best = float("inf")
for _ in range(10):
    t = time.perf_counter()
    np.cumsum(x, out=out)
    best = min(best, time.perf_counter() - t)
print(f"{best * 1e3:.2f} {np.__version__}")
EOF
)
read -r numpy_time numpy_version <<<"$numpy_ms"

# ndjit and the hand-written scan: real time per iteration, in ms, from the console table.
ndjit_out=$("$bench" --benchmark_filter='^Scan/cumsum/' --benchmark_format=csv 2>/dev/null) ||
  die "the benchmark binary failed"
case_ms() {
  # csv: name,iterations,real_time,cpu_time,time_unit,...; names carry "/min_time:..." suffixes
  awk -F, -v name="\"$1/" 'index($1, name) == 1 { t = $3; u = $5;
    if (u == "us") t /= 1e3; else if (u == "ns") t /= 1e6; else if (u == "s") t *= 1e3;
    printf "%.2f", t }' <<<"$ndjit_out"
}
ndjit_time=$(case_ms "Scan/cumsum/ndjit")
hand_time=$(case_ms "Scan/cumsum/hand")
[[ -n "$ndjit_time" && -n "$hand_time" ]] || die "no Scan/cumsum cases in the benchmark's output"

echo "| cumsum of 2^24 float32 | ms | / ndjit |"
echo "|---|---|---|"
awk -v n="$ndjit_time" -v h="$hand_time" -v p="$numpy_time" -v v="$numpy_version" 'BEGIN {
  printf "| ndjit (`nd::cumsum(x).wait_to_read()`, 2 threads) | %.2f | 1.00 |\n", n
  printf "| hand-written two-pass OpenMP scan (2 threads) | %.2f | %.2f |\n", h, h / n
  printf "| NumPy %s `np.cumsum(x, out=y)` (1 thread) | %.2f | %.2f |\n", v, p, p / n
}'
