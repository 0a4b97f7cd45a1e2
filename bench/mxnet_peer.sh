#!/usr/bin/env bash
# Peer comparison of the MXNet tutorial's training loop: MXNet 1.9.1 (bench/mxnet_train.py) against
# ndjit's C++ loop (the `TrainLoop/*` cases of bench/ndjit_bench), both in steps per second, from
# one invocation on one machine.
#
#   bash bench/mxnet_peer.sh [mxnet_train.py options, e.g. --epochs 50]
#
# Environment:
#   NDJIT_MXNET_VENV    virtual environment for MXNet (default: build/mxnet-venv); created and
#                       filled from PyPI on first use, reused afterwards
#   NDJIT_MXNET_PYTHON  interpreter that creates it (default: python3; must be Python 3.8-3.11)
#   NDJIT_BENCH         ndjit's benchmark binary (default: build/release/bench/ndjit_bench; build
#                       it with `cmake --preset release && cmake --build --preset release`)
#
# Progress and diagnostics go to stderr, the table to stdout. A missing ndjit binary or TrainLoop
# case is reported and the MXNet figure still printed (exit 0); a failed setup, a failed MXNet run,
# or an ndjit run that crashes or reports an error exits non-zero.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${NDJIT_MXNET_VENV:-$repo/build/mxnet-venv}"
base_python="${NDJIT_MXNET_PYTHON:-python3}"
bench="${NDJIT_BENCH:-$repo/build/release/bench/ndjit_bench}"
bench_filter='^TrainLoop/'

log() { echo "mxnet_peer: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# ---- the virtual environment (bench/venv.sh) ----

source "$repo/bench/venv.sh"
mxnet_venv "$venv" "$base_python" ||
  die "no MXNet environment (see above; NDJIT_MXNET_PYTHON picks the interpreter, Python 3.8-3.11)"
py="$venv/bin/python"

# ---- the two runs ----

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

log "running bench/mxnet_train.py --json $*"
"$py" "$repo/bench/mxnet_train.py" --json "$@" >"$tmp/mxnet.json" ||
  die "bench/mxnet_train.py failed"

# ndjit_status: ok, or why there is no ndjit figure (missing: not an error; crashed: an error).
ndjit_status=ok
if [[ ! -x "$bench" ]]; then
  ndjit_status="binary not found: $bench (build the release preset, or set NDJIT_BENCH)"
  log "$ndjit_status"
else
  log "running $bench --benchmark_filter='$bench_filter' --benchmark_format=json"
  rc=0
  "$bench" --benchmark_filter="$bench_filter" --benchmark_format=json >"$tmp/ndjit.json" || rc=$?
  if ((rc != 0)); then
    ndjit_status="crashed: $bench exited with status $rc"
    log "$ndjit_status"
  fi
fi

# ---- the table ----

# The parser distinguishes a missing case (exit 0) from a case that reported an error (exit 1).
python3 - "$tmp/mxnet.json" "$tmp/ndjit.json" "$ndjit_status" "$(printf '%q ' "$0" "$@")" "$(date -Is)" "$(nproc)" <<'EOF'
import json
import statistics
import sys

mxnet_path, ndjit_path, ndjit_status, command, date, nproc = sys.argv[1:]
command = command.strip()

with open(mxnet_path) as f:
    mx = json.load(f)

# The TrainLoop cases, one row each: a case's median aggregate when it ran with
# --benchmark_repetitions, otherwise the median of its runs (one run without repetitions).
rows, errors = [], []
if ndjit_status == "ok":
    try:
        with open(ndjit_path) as f:
            text = f.read()
        # Google Benchmark writes nothing to stdout when the filter matches no case.
        runs = json.loads(text)["benchmarks"] if text.strip() else []
    except (ValueError, KeyError) as e:
        errors.append(f"could not parse the benchmark's JSON output: {e}")
        runs = []
    iterations, medians = {}, {}
    for run in runs:
        name = run.get("run_name", run["name"])
        if not name.startswith("TrainLoop/"):
            continue
        if run.get("error_occurred"):
            errors.append(f"{name}: {run.get('error_message', 'error')}")
        elif "items_per_second" not in run:
            errors.append(f"{name}: no items_per_second (the case calls no SetItemsProcessed)")
        elif run.get("run_type") == "aggregate":
            if run.get("aggregate_name") == "median":
                medians[name] = run["items_per_second"]
        else:
            iterations.setdefault(name, []).append(run["items_per_second"])
    # TrainLoop/ndjit first, then any other variants by name.
    names = sorted(set(iterations) | set(medians), key=lambda n: (n.split("/")[1] != "ndjit", n))
    for name in names:
        rate = medians[name] if name in medians else statistics.median(iterations[name])
        # "TrainLoop/ndjit/min_time:1.000/real_time" -> "ndjit"; another variant is named.
        variant = name.split("/")[1]
        rows.append(("ndjit" if variant == "ndjit" else f"ndjit ({variant})", rate))
    if not rows and not errors:
        ndjit_status = "the benchmark binary has no TrainLoop/ case (TrainLoop/ndjit not built yet?)"

mx_rate = mx["steps_per_second"]
print(f"command: {command}")
print(f"date:    {date}")
print(f"nproc:   {nproc}")
print(f"MXNet {mx['mxnet_version']} (numpy {mx['numpy_version']}, Python {mx['python_version']}): "
      f"{mx['steps']} steps over {mx['epochs']} epochs after {mx['warmup_epochs']} warmup, "
      f"last delayed loss {mx['last_loss']}")
print()
print(f"{'system':<24} {'steps/s':>12} {'ndjit/MXNet':>12}")
print(f"{'MXNet ' + mx['mxnet_version']:<24} {mx_rate:>12.1f} {'':>12}")
for name, rate in rows:
    print(f"{name:<24} {rate:>12.1f} {rate / mx_rate:>12.2f}")
if ndjit_status != "ok":
    print(f"ndjit: no figure: {ndjit_status}")
for error in errors:
    print(f"ndjit: error: {error}")

sys.exit(1 if errors or ndjit_status.startswith("crashed") else 0)
EOF
