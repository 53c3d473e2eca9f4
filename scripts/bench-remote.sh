#!/usr/bin/env bash
# Runs the data-plane benchmark: embedded vs remote (cove-server on loopback)
# vs the official Node client against the same server. Writes
# build/bench/remote.txt and build/bench/remote.json.
#   scripts/bench-remote.sh [remote_benchmark options...]
# e.g. scripts/bench-remote.sh --rows 20000 --inflight 1,4,16,64
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${COVE_BUILD_DIR:-${root}/build}/bench"
"${root}/scripts/install-deps.sh" bench
cmake -S "${root}" -B "${build}" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCOVE_BUILD_TESTS=OFF -DCOVE_BUILD_EXAMPLES=OFF -DCOVE_BUILD_BENCHMARKS=ON
cmake --build "${build}" --target remote_benchmark
node_dir="${build}/node"
node_args=()
if command -v node >/dev/null && command -v npm >/dev/null; then
  mkdir -p "${node_dir}"
  [[ -f "${node_dir}/package.json" ]] || echo '{"private": true}' >"${node_dir}/package.json"
  if [[ ! -d "${node_dir}/node_modules/@zilliz/milvus2-sdk-node" ]]; then
    (cd "${node_dir}" && npm install --no-audit --no-fund --silent \
      @zilliz/milvus2-sdk-node@2.5.6) || echo "bench-remote: npm install failed; Node client skipped"
  fi
  if [[ -d "${node_dir}/node_modules/@zilliz/milvus2-sdk-node" ]]; then
    node_args=(--node-script "${root}/benchmarks/node_remote_bench.js"
               --node-modules "${node_dir}/node_modules")
  fi
else
  echo "bench-remote: node/npm not found; the Node client is skipped"
fi
"${build}/benchmarks/remote_benchmark" "${node_args[@]}" \
  --json "${build}/remote.json" "$@" | tee "${build}/remote.txt"
