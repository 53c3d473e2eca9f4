#!/usr/bin/env bash
# Command 1 of the README: installs what is missing, builds the library and
# the quickstart example (Release), and runs the example on the embedded
# engine.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${COVE_BUILD_DIR:-${root}/build/release}"

"${root}/scripts/install-deps.sh" build
jobs="$(nproc 2>/dev/null || echo 2)"
cmake -S "${root}" -B "${build}" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCOVE_BUILD_TESTS=OFF -DCOVE_BUILD_EXAMPLES=ON
cmake --build "${build}" --target quickstart -j "${jobs}"
echo "== running the quickstart example =="
"${build}/examples/quickstart"
