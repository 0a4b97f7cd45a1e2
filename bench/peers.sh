#!/usr/bin/env bash
# Peers in the same run (issue #19): the fusion workloads W1-W5 in NumPy, numexpr, JAX, MLX,
# tinygrad and MXNet 1.9.1, each timed beside ndjit_bench's hand-written loop (the same source,
# bench/hand_loops.cc, built as libndjit_hand.so) in one Python process, round-robin, with the
# ratio to the hand loop taken per round (bench/peers.py). Prints one table of median ratios.
#
#   bash bench/peers.sh [peers.py options: --rounds N, --only W1,W4, --peers numpy,jax,
#                        --quick (small sizes, 3 rounds), --json FILE, --tol X]
#
# Environment:
#   NDJIT_PEERS_VENV    virtual environment of the peers (default: build/peers-venv); created on
#                       first use and filled from PyPI with numpy, numexpr, jax[cpu], mlx[cpu] and
#                       tinygrad, each on its own (one that fails to install is reported and
#                       skipped); reused afterwards, and a peer missing from it is tried again
#   NDJIT_PEERS_PYTHON  interpreter that creates it (default: python3)
#   NDJIT_HAND_LIB      the hand loops' library (default: build/release/bench/libndjit_hand.so;
#                       build it with `cmake --preset release &&
#                       cmake --build --preset release --target ndjit_hand`)
#   NDJIT_MXNET_VENV    MXNet 1.9.1's environment, shared with bench/mxnet_peer.sh (default:
#                       build/mxnet-venv); peers.py runs a second time in it with --peers mxnet
#   NDJIT_MXNET_PYTHON  interpreter that creates it (default: python3; must be Python 3.8-3.11)
#   NDJIT_PEERS_MXNET   0 to leave MXNet out
#
# Progress and diagnostics go to stderr, the table to stdout. A peer that cannot be installed or
# imported, and MXNet's environment when it cannot be made, are reported and left out (exit 0);
# a missing hand library, a failed setup of the main environment or a failed run exits non-zero.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${NDJIT_PEERS_VENV:-$repo/build/peers-venv}"
base_python="${NDJIT_PEERS_PYTHON:-python3}"
hand_lib="${NDJIT_HAND_LIB:-$repo/build/release/bench/libndjit_hand.so}"
mxnet_venv_dir="${NDJIT_MXNET_VENV:-$repo/build/mxnet-venv}"
mxnet_python="${NDJIT_MXNET_PYTHON:-python3}"

log() { echo "peers: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}
source "$repo/bench/venv.sh"

# Each requirement is installed on its own: "requirement distribution", the distribution being the
# name whose metadata says it is installed (mlx[cpu] installs mlx and the CPU build, mlx-cpu).
peer_requirements=(
  "numpy numpy"
  "numexpr numexpr"
  "jax[cpu] jaxlib"
  "mlx[cpu] mlx-cpu"
  "tinygrad tinygrad"
)

# ---- the arguments: --json goes to the merged table, --peers decides whether MXNet runs ----

json_out=""
peers_arg=""
args=()
while (($#)); do
  case "$1" in
    --json)
      (($# >= 2)) || die "--json needs a file name"
      json_out="$2"
      shift 2
      ;;
    --json=*)
      json_out="${1#--json=}"
      shift
      ;;
    --peers)
      (($# >= 2)) || die "--peers needs a list"
      peers_arg="$2"
      args+=("$1" "$2")
      shift 2
      ;;
    --peers=*)
      peers_arg="${1#--peers=}"
      args+=("$1")
      shift
      ;;
    *)
      args+=("$1")
      shift
      ;;
  esac
done
want_mxnet=1
[[ "${NDJIT_PEERS_MXNET:-1}" == 0 ]] && want_mxnet=0
[[ -n "$peers_arg" && ",$peers_arg," != *,mxnet,* ]] && want_mxnet=0

# ---- the hand loops ----

[[ -f "$hand_lib" ]] || die "$hand_lib not found: build it with
  cmake --preset release && cmake --build --preset release --target ndjit_hand
(or set NDJIT_HAND_LIB to a libndjit_hand.so built from bench/hand_loops.cc)"

# ---- the peers' environment ----

venv_create "$venv" "$base_python" 9 99 ||
  die "could not create $venv (NDJIT_PEERS_PYTHON picks the interpreter)"
py="$venv/bin/python"
for entry in "${peer_requirements[@]}"; do
  read -r requirement dist <<<"$entry"
  # Package metadata, not an import: a broken import is peers.py's to report, not pip's to retry.
  "$py" -c "from importlib.metadata import version; version('$dist')" 2>/dev/null && continue
  log "installing $requirement into $venv (from PyPI)"
  "$py" -m pip install --quiet --disable-pip-version-check "$requirement" >&2 ||
    log "pip could not install $requirement: left out (pip's messages are above)"
done

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# ---- the runs ----

log "running bench/peers.py ${args[*]} in $venv"
"$py" "$repo/bench/peers.py" --lib "$hand_lib" "${args[@]}" --json "$tmp/peers.json" \
  >"$tmp/peers.txt" || die "bench/peers.py failed"
runs=("$tmp/peers.json")

merge_args=()
if ((want_mxnet)); then
  if mxnet_venv "$mxnet_venv_dir" "$mxnet_python"; then
    log "running bench/peers.py ${args[*]} --peers mxnet in $mxnet_venv_dir"
    # The last --peers wins (argparse), so MXNet's run times only the hand loop and MXNet.
    if "$mxnet_venv_dir/bin/python" "$repo/bench/peers.py" --lib "$hand_lib" "${args[@]}" \
      --peers mxnet --json "$tmp/mxnet.json" >"$tmp/mxnet.txt"; then
      runs+=("$tmp/mxnet.json")
    else
      log "bench/peers.py failed in MXNet's environment: MXNet left out"
      merge_args+=(--missing "mxnet=bench/peers.py failed in $mxnet_venv_dir (see the log)")
    fi
  else
    log "no MXNet environment (see above): MXNet left out"
    merge_args+=(--missing "mxnet=no MXNet 1.9.1 environment (see the log; needs Python 3.8-3.11)")
  fi
fi

# ---- the table ----

merge_args+=(--merge "${runs[@]}")
[[ -n "$json_out" ]] && merge_args+=(--json "$json_out")
"$py" "$repo/bench/peers.py" "${merge_args[@]}"
