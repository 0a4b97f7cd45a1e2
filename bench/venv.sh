# shellcheck shell=bash
# Virtual environments of the peer scripts (bench/mxnet_peer.sh, bench/peers.sh): sourced, not run.
#
#   source "$repo/bench/venv.sh"
#   venv_create VENV BASE_PYTHON [MIN_MINOR MAX_MINOR]   # python3.MIN_MINOR-3.MAX_MINOR
#   mxnet_venv VENV BASE_PYTHON                          # the MXNet 1.9.1 environment
#
# The caller defines log (one line to stderr with its own prefix). Each function reports what went
# wrong through log ("error: ...") and returns 1, so that the caller decides whether a failure is
# fatal (bench/mxnet_peer.sh) or skips one peer (bench/peers.sh).

# Creates VENV with BASE_PYTHON unless it has an interpreter already (reused as it is). A failed
# creation leaves nothing behind, or the next run would take it for a working environment.
venv_create() {
  local venv="$1" base_python="$2" min_minor="${3:-0}" max_minor="${4:-99}"
  [[ -x "$venv/bin/python" ]] && return 0
  if ! command -v "$base_python" >/dev/null; then
    log "error: '$base_python' not found"
    return 1
  fi
  if ! "$base_python" - "$min_minor" "$max_minor" <<'EOF'; then
import sys
low, high = int(sys.argv[1]), int(sys.argv[2])
sys.exit(0 if sys.version_info[0] == 3 and low <= sys.version_info[1] <= high else 1)
EOF
    log "error: this environment needs Python 3.$min_minor-3.$max_minor;" \
      "'$base_python' is $("$base_python" --version 2>&1)"
    return 1
  fi
  log "creating the virtual environment $venv ($("$base_python" --version 2>&1))"
  mkdir -p "$(dirname "$venv")"
  if ! "$base_python" -m venv "$venv"; then
    rm -rf "$venv"
    log "error: '$base_python -m venv' failed (on Debian: apt-get install python3-venv)"
    return 1
  fi
}

# MXNet 1.9.1 is the last 1.x release and ships one py3-none manylinux wheel. It uses `np.bool`,
# which numpy 1.24 removed (`import mxnet` then fails with AttributeError), hence numpy < 1.24; and
# numpy 1.23, the last such series, has no wheels for Python 3.12+, hence Python <= 3.11.
mxnet_requirements=("mxnet==1.9.1" "numpy<1.24")

# Creates (first use) or reuses VENV with MXNet 1.9.1, then imports it once, so that a broken
# environment gets a precise message before anything is timed.
mxnet_venv() {
  local venv="$1" base_python="$2"
  venv_create "$venv" "$base_python" 8 11 || return 1
  local py="$venv/bin/python"
  # Installed versions are read from the package metadata, which loads neither library, so a
  # broken import is diagnosed below rather than answered by a reinstall on every run.
  if ! "$py" - <<'EOF' 2>/dev/null; then
import sys
from importlib.metadata import version
mxnet_ok = version("mxnet") == "1.9.1"
numpy_ok = tuple(int(p) for p in version("numpy").split(".")[:2]) < (1, 24)
sys.exit(0 if mxnet_ok and numpy_ok else 1)
EOF
    log "installing ${mxnet_requirements[*]} into $venv (from PyPI, about 50 MB)"
    if ! "$py" -m pip install --quiet --disable-pip-version-check "${mxnet_requirements[@]}" \
      >&2; then
      log "error: pip could not install ${mxnet_requirements[*]} (is PyPI reachable? pip's" \
        "messages are above)"
      return 1
    fi
  fi
  # The wheel bundles libopenblas and libgfortran.so.3 but links the system's libquadmath and
  # libgomp.
  local import_err
  if ! import_err="$("$py" -c 'import mxnet' 2>&1)"; then
    echo "$import_err" >&2
    case "$import_err" in
      *libquadmath*) log "error: 'import mxnet' failed: install the Debian package libquadmath0" ;;
      *libgomp*) log "error: 'import mxnet' failed: install the Debian package libgomp1" ;;
      *"has no attribute"*)
        log "error: 'import mxnet' failed: numpy too new for MXNet 1.9.1 (need numpy<1.24)"
        ;;
      *) log "error: 'import mxnet' failed (see above)" ;;
    esac
    return 1
  fi
}
