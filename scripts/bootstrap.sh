#!/usr/bin/env bash
# Installs every Debian 12 package that ndjit's build, tests and benchmarks need.
# Idempotent: when everything is present it prints nothing and exits 0. Needs root (or sudo)
# only when something is missing.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config ccache
  llvm-19-dev            # CPU JIT (ORC), linked as the shared libLLVM-19.so
  clang-19               # compiles codegen/cpu's scalar-op library to LLVM bitcode at build time
  libclang-rt-19-dev     # libFuzzer and clang's sanitizer runtimes (tests/fuzz, the fuzz preset)
  libeigen3-dev          # bench/: the Eigen peer of the fusion benchmarks
  libabsl-dev            # Status/StatusOr, strings, hash maps, synchronization
  nlohmann-json3-dev     # writes the profiler's Chrome trace (and tests parse it back)
  libgtest-dev libgmock-dev  # test framework
  libbenchmark-dev       # bench/
  graphviz               # renders the DOT pictures of ndjit-inspect (tested when present)
  python3-numpy          # only for scripts that regenerate committed test data
  python3-venv python3-pip  # bench/mxnet_peer.sh: MXNet 1.9.1 from PyPI in a virtual environment
  libquadmath0 libgomp1  # system libraries the MXNet 1.9.1 wheel links
  clang-format           # formatting check
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "bootstrap: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
