#!/usr/bin/env bash
# Runs the ANN benchmark (Cove vs hnswlib vs FAISS) and writes a table, a JSON
# report and a recall/QPS plot under build/bench/.
#   scripts/bench.sh [ann_benchmark options...]
# e.g. scripts/bench.sh --sets fashion-mnist,glove100k --reps 5
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${COVE_BUILD_DIR:-${root}/build}/bench"
"${root}/scripts/install-deps.sh" bench
cmake -S "${root}" -B "${build}" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCOVE_BUILD_TESTS=OFF -DCOVE_BUILD_EXAMPLES=OFF -DCOVE_BUILD_BENCHMARKS=ON
cmake --build "${build}" --target ann_benchmark
data="${root}/build/bench-data"
shared="${root}/../shared/data"
/usr/bin/python3 "${root}/benchmarks/prepare_data.py" "${data}" "${shared}"
"${build}/benchmarks/ann_benchmark" --data "${data}" \
  --json "${build}/ann.json" "$@" | tee "${build}/ann.txt"
/usr/bin/python3 "${root}/benchmarks/plot.py" "${build}/ann.json" "${build}/ann.png"
