#!/usr/bin/env bash
# Installs the Debian 12 packages that building and testing Cove needs.
#
# Idempotent: packages that are already installed are not touched, and when
# nothing is missing the script does not call apt at all. It prints what it
# installs and fails with a clear message where it cannot install (no apt, not
# root and no sudo).
#
# Usage: scripts/install-deps.sh [build|test|bench]
#   build  what the quickstart needs (compiler, CMake, gRPC, protobuf, ...)
#   test   build + what the full test command needs (Python, clang, Node ...)
#   bench  test + the peers and data sets of the benchmarks
set -euo pipefail

profile="${1:-build}"

build_pkgs=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libssl-dev libsqlite3-dev nlohmann-json3-dev libhwy-dev
  libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev libcpp-httplib-dev
  libicu-dev libstemmer-dev
)
test_pkgs=(
  python3 python3-dev python3-venv python3-numpy python3-pytest pybind11-dev
  python3-setuptools python3-wheel python3-grpcio
  python3-protobuf python3-pandas python3-ujson python3-dotenv python3-scipy
  clang libclang-rt-14-dev llvm openssl curl
  chromium chromium-driver python3-selenium libjs-chart.js
)
bench_pkgs=(
  libhnswlib-dev libfaiss-dev dataset-fashion-mnist python3-matplotlib
  libxapian-dev wordnet-base
)

case "${profile}" in
  build) wanted=("${build_pkgs[@]}") ;;
  test) wanted=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
  bench) wanted=("${build_pkgs[@]}" "${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
  *)
    echo "install-deps: unknown profile '${profile}' (expected build, test or bench)" >&2
    exit 2
    ;;
esac

missing=()
for pkg in "${wanted[@]}"; do
  status="$(dpkg-query -W -f='${db:Status-Status}' "${pkg}" 2>/dev/null || true)"
  if [[ "${status}" != "installed" ]]; then
    missing+=("${pkg}")
  fi
done
# npm is needed to fetch the pinned Milvus protos. Node.js from another source
# may already ship npm; only ask Debian for it when the command is absent.
if ! command -v npm >/dev/null 2>&1; then
  missing+=(npm)
fi

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#wanted[@]} '${profile}' packages are present"
  exit 0
fi

echo "install-deps: installing ${#missing[@]} missing package(s): ${missing[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-deps: apt-get not found; this script supports Debian 12." >&2
  echo "install-deps: install these packages by hand: ${missing[*]}" >&2
  exit 1
fi
sudo_cmd=()
if [[ "$(id -u)" -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null || command -v sudo >/dev/null 2>&1; then
    sudo_cmd=(sudo)
  else
    echo "install-deps: not root and sudo is not available;" >&2
    echo "install-deps: run as root, or install: ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
if ! "${sudo_cmd[@]}" apt-get update -q; then
  echo "install-deps: 'apt-get update' failed; check the network and apt sources" >&2
  exit 1
fi
if ! "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"; then
  echo "install-deps: 'apt-get install' failed for: ${missing[*]}" >&2
  exit 1
fi
echo "install-deps: done"
