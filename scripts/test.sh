#!/usr/bin/env bash
# Command 2 of the README: installs what is missing, builds everything and
# runs every test:
#   1. Release build: the examples, the CLI scenario, the load and fault
#      tests (tests/reliability, run here only) and the Node interop test
#      through ctest (the C++ unit tests run in stage 4; here only when
#      stage 4 is not selected);
#   2. install into a staging prefix, then configure and build the example
#      consumer project (examples/consumer) against the installed package;
#   3. Python: a venv (Debian's python3, system site packages), the package
#      pip-installed from python/ (reusing the Release build), then pytest
#      (tests/python, tests/pymilvus, and tests/console: the web console in
#      headless Chromium against one cove-cloud, screenshots in
#      <build root>/test-artifacts/console);
#   4. one clang build with ASan+UBSan (and libFuzzer's coverage
#      instrumentation): the C++ unit tests;
#   5. fuzz: the libFuzzer targets in tests/fuzz from that same build; each
#      replays its regression inputs, then fuzzes from its seed corpus for
#      COVE_FUZZ_SECONDS (two targets at a time); each target counts as one
#      test;
#   6. TSan build (clang): the concurrency tests (TSAN_TESTS below, one
#      executable) under ThreadSanitizer.
# Ends with a summary line per stage and a total 'N passed, N failed' line.
#
# Environment:
#   COVE_BUILD_DIR       build root (default build/)
#   COVE_STAGES          stages to run, space or comma separated, out of
#                        release (1 and 2), python, asan, fuzz, tsan
#                        (default: all); python needs a release build
#   COVE_SKIP_SANITIZE=1 skips the ASan+UBSan and TSan stages (4, 6)
#   COVE_SKIP_FUZZ=1     skips the fuzz stage (5)
#   COVE_FUZZ_SECONDS    fuzzing time per target (default 30)
#   COVE_UNITY_BUILD=0   builds each source on its own (default: unity
#                        builds of the libraries and programs)
#   COVE_SAN_BUILD_DIR, COVE_TSAN_BUILD_DIR  the build directories of
#                        stages 4-5 and 6 (default <build root>/sanitize,
#                        <build root>/tsan)
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${COVE_BUILD_DIR:-${root}/build}"
jobs="$(nproc 2>/dev/null || echo 2)"

"${root}/scripts/install-deps.sh" test || exit 1

passed=0
failed=0
summary=()

stages="${COVE_STAGES:-release python asan fuzz tsan}"
# The three builds are unity builds (the libraries' and programs' sources
# compiled eight to a unit; tests/CMakeLists.txt keeps the tests apart):
# on 2 cores this takes about half of the command's build time, which is
# most of its time. COVE_UNITY_BUILD=0 builds each source on its own.
unity="-DCMAKE_UNITY_BUILD=ON"
if [[ "${COVE_UNITY_BUILD:-1}" == "0" ]]; then unity="-DCMAKE_UNITY_BUILD=OFF"; fi
# want <stage>: true when the stage is selected.
want() {
  [[ " ${stages//,/ } " == *" $1 "* ]]
}

want_asan=0
want_fuzz=0
if [[ "${COVE_SKIP_SANITIZE:-0}" != "1" ]] && want asan; then want_asan=1; fi
if [[ "${COVE_SKIP_FUZZ:-0}" != "1" ]] && want fuzz; then want_fuzz=1; fi
# The unit tests run once: in the ASan+UBSan build (stage 4), or in the
# Release build when that stage is not selected.
release_unit_tests=ON
if [[ "${want_asan}" == 1 ]]; then release_unit_tests=OFF; fi

# run_ctest <label> <build dir> [ctest args...]: runs ctest, counts results.
run_ctest() {
  local label="$1" dir="$2"
  shift 2
  local log="${dir}/ctest.log"
  (cd "${dir}" && ctest --output-on-failure --timeout 900 "$@") 2>&1 | tee "${log}"
  local line
  line="$(grep -E '[0-9]+% tests passed, [0-9]+ tests failed out of [0-9]+' "${log}" | tail -1)"
  if [[ -z "${line}" ]]; then
    summary+=("${label}: ctest did not run")
    failed=$((failed + 1))
    return
  fi
  local nfail total
  nfail="$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/' <<<"${line}")"
  total="$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\2/' <<<"${line}")"
  passed=$((passed + total - nfail))
  failed=$((failed + nfail))
  summary+=("${label}: $((total - nfail)) passed, ${nfail} failed")
}

# step <label> <command...>: a build step; a failure counts as one failed test.
step() {
  local label="$1"
  shift
  echo "== ${label} (at $((SECONDS / 60))m$((SECONDS % 60))s) =="
  if "$@"; then
    return 0
  fi
  summary+=("${label}: FAILED")
  failed=$((failed + 1))
  return 1
}

# unit_test_targets <build dir>: the unit-test executables (*_test targets,
# but not the example that happens to be one).
unit_test_targets() {
  ninja -C "$1" -t targets all |
    sed -n 's/^\([a-z_]*_test\): phony$/\1/p' |
    grep -v -e '^cmake_' -e '^mock_example_test$'
}

# 1. Release build and tests.
rel="${build}/release"
if want release && step "configure (Release)" cmake -S "${root}" -B "${rel}" -G Ninja "${unity}" \
    -DCMAKE_BUILD_TYPE=Release -DCOVE_BUILD_TESTS=ON \
    -DCOVE_BUILD_UNIT_TESTS="${release_unit_tests}" -DCOVE_BUILD_EXAMPLES=ON \
    -DCOVE_BUILD_PYTHON=ON -DPython_EXECUTABLE=/usr/bin/python3 \
    -DCMAKE_INSTALL_PREFIX="${build}/install" &&
  step "build (Release)" cmake --build "${rel}" -j "${jobs}"; then
  run_ctest "ctest (Release)" "${rel}" -j "${jobs}"

  # 2. Install, then build the consumer project against the package.
  rm -rf "${build}/install" "${build}/consumer"
  if step "install" cmake --install "${rel}" &&
    step "consumer configure" cmake -S "${root}/examples/consumer" \
      -B "${build}/consumer" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_PREFIX_PATH="${build}/install" &&
    step "consumer build" cmake --build "${build}/consumer"; then
    if step "consumer run" env LD_LIBRARY_PATH="${build}/install/lib" \
        "${build}/consumer/consumer"; then
      passed=$((passed + 1))
      summary+=("consumer (find_package + pkg-config): 1 passed, 0 failed")
    fi
  fi
fi

# 3. Python: pip-install the package into a venv and run pytest against it.
if want python && [[ -x "${rel}/src/server/cove-server" ]]; then
  venv="${build}/venv"
  rm -rf "${venv}"
  if step "python venv" /usr/bin/python3 -m venv --system-site-packages "${venv}" &&
    step "pip install ./python" env COVE_PYTHON_BUILD_DIR="${rel}" \
      CMAKE_BUILD_PARALLEL_LEVEL="${jobs}" PIP_NO_INDEX=1 \
      "${venv}/bin/pip" install --no-build-isolation --quiet "${root}/python"; then
    # Two processes: pymilvus' generated protos and those the cove tests
    # load would share protobuf's descriptor pool.
    for suite in python pymilvus console; do
      label="pytest"
      [[ "${suite}" != python ]] && label="pytest (${suite})"
      log="${build}/pytest-${suite}.log"
      (cd "${root}" && env COVE_SERVER_BIN="${rel}/src/server/cove-server" \
        COVE_CLOUD_BIN="${rel}/src/cloud/cove-cloud" \
        COVE_CONSOLE_ARTIFACTS="${build}/test-artifacts/console" \
        "${venv}/bin/python" -m pytest "tests/${suite}" -q -rs -p no:cacheprovider) 2>&1 |
        tee "${log}"
      line="$(grep -E '^=*\s*[0-9]+ (passed|failed|skipped)' "${log}" | tail -1)"
      if [[ -z "${line}" ]]; then
        summary+=("${label}: did not run")
        failed=$((failed + 1))
      else
        np="$(grep -oE '[0-9]+ passed' <<<"${line}" | grep -oE '[0-9]+' || echo 0)"
        nf="$(grep -oE '[0-9]+ failed' <<<"${line}" | grep -oE '[0-9]+' || echo 0)"
        ne="$(grep -oE '[0-9]+ errors?' <<<"${line}" | grep -oE '[0-9]+' || echo 0)"
        ns="$(grep -oE '[0-9]+ skipped' <<<"${line}" | grep -oE '[0-9]+' || echo 0)"
        passed=$((passed + np))
        failed=$((failed + nf + ne))
        summary+=("${label}: ${np} passed, $((nf + ne)) failed, ${ns} skipped")
      fi
    done
  fi
fi

# The Milvus .proto files the Release configure fetched, for the other
# builds (they fetch their own when there is no Release build).
proto_dir=()
if [[ -d "${rel}/_deps/milvus-proto" ]]; then
  proto_dir=(-DCOVE_MILVUS_PROTO_DIR="${rel}/_deps/milvus-proto")
fi

# Fuzzing (stage 5 below): each libFuzzer target replays its regression
# inputs, then fuzzes from its seed corpus for a bounded time, two at a time.
# fuzz_target <binary> <work dir>: one target; its log is <work dir>/log.
fuzz_target() {
  local bin="$1" work="$2" name
  name="$(basename "${bin}")"
  name="${name%_fuzzer}"
  local seeds="${root}/tests/fuzz/corpus/${name}"
  local regressions="${root}/tests/fuzz/regressions/${name}"
  rm -rf "${work}"
  mkdir -p "${work}/corpus" "${work}/artifacts"
  {
    local inputs=()
    if [[ -d "${regressions}" ]]; then
      mapfile -t inputs < <(find "${regressions}" -type f | sort)
    fi
    if [[ "${#inputs[@]}" -gt 0 ]]; then
      echo "== ${name}: ${#inputs[@]} regression inputs"
      "${bin}" -timeout=30 -rss_limit_mb=2048 "${inputs[@]}" || return 1
    fi
    echo "== ${name}: fuzzing for ${COVE_FUZZ_SECONDS:-30}s"
    "${bin}" -max_total_time="${COVE_FUZZ_SECONDS:-30}" -timeout=30 \
      -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1 \
      -artifact_prefix="${work}/artifacts/" "${work}/corpus" "${seeds}"
  } >"${work}/log" 2>&1
}

run_fuzzers() {
  local dir="$1" bins=() pids=() names=() i j
  mapfile -t bins < <(find "${dir}/tests/fuzz" -maxdepth 1 -type f \
    -name '*_fuzzer' -perm -u+x | sort)
  if [[ "${#bins[@]}" -eq 0 ]]; then
    summary+=("fuzz: no fuzz targets built")
    failed=$((failed + 1))
    return
  fi
  local np=0 nf=0 why=()
  for ((i = 0; i < ${#bins[@]}; i += 2)); do
    pids=()
    names=()
    for ((j = i; j < i + 2 && j < ${#bins[@]}; ++j)); do
      names+=("$(basename "${bins[j]}")")
      fuzz_target "${bins[j]}" "${dir}/run/${names[-1]}" &
      pids+=($!)
    done
    for ((j = 0; j < ${#pids[@]}; ++j)); do
      local log="${dir}/run/${names[j]}/log"
      if wait "${pids[j]}"; then
        np=$((np + 1))
        echo "${names[j]}: passed ($(grep -E '^stat::number_of_executed_units' \
          "${log}" | awk '{print $2}') runs)"
      else
        nf=$((nf + 1))
        echo "${names[j]}: FAILED; the end of ${log}:"
        tail -n 60 "${log}"
        echo "(crash inputs, if any: ${dir}/run/${names[j]}/artifacts/)"
        # The summary names the target and its first report line (the
        # summary is what a CI page shows when it cuts the log).
        why+=("${names[j]}: $(grep -m1 -E '^==[0-9]+==(ERROR|WARNING)|^SUMMARY:|deadly signal|out-of-memory|timeout after' \
          "${log}" | cut -c1-200)")
      fi
    done
  done
  passed=$((passed + np))
  failed=$((failed + nf))
  summary+=("fuzz (libFuzzer, ${COVE_FUZZ_SECONDS:-30}s each): ${np} passed, ${nf} failed")
  for ((j = 0; j < ${#why[@]}; ++j)); do
    summary+=("  fuzz FAILED ${why[j]}")
  done
}

# 4 and 5. One clang build with ASan+UBSan (and libFuzzer's coverage
# instrumentation, -fsanitize=fuzzer-no-link) serves both the unit tests and
# the fuzzers: -O1 with line tables only, which is what the reports need.
if [[ "${want_asan}" == 1 || "${want_fuzz}" == 1 ]]; then
  san="${COVE_SAN_BUILD_DIR:-${build}/sanitize}"
  san_targets=()
  # The load and fault tests run once, in the Release build of stage 1
  # (full size, with the memory bound), when that stage is selected.
  san_reliability=ON
  if want release; then san_reliability=OFF; fi
  if step "configure (clang ASan+UBSan)" cmake -S "${root}" -B "${san}" -G Ninja "${unity}" \
      -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
      -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
      -DCOVE_BUILD_FUZZERS=ON -DCOVE_BUILD_TESTS=ON -DCOVE_BUILD_EXAMPLES=OFF \
      -DCOVE_BUILD_RELIABILITY_TESTS="${san_reliability}" \
      "${proto_dir[@]}"; then
    if [[ "${want_asan}" == 1 ]]; then
      mapfile -t san_targets < <(unit_test_targets "${san}")
    fi
    if [[ "${want_fuzz}" == 1 ]]; then
      san_targets+=(cove_fuzzers)
    fi
    if step "build (clang ASan+UBSan: ${#san_targets[@]} targets)" \
        cmake --build "${san}" -j "${jobs}" --target "${san_targets[@]}"; then
      if [[ "${want_asan}" == 1 ]]; then
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
          UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
          run_ctest "ctest (ASan+UBSan)" "${san}" -L unit -j "${jobs}"
      fi
      if [[ "${want_fuzz}" == 1 ]]; then
        echo "== fuzz (at $((SECONDS / 60))m$((SECONDS % 60))s) =="
        run_fuzzers "${san}"
      fi
    fi
  fi
fi

# 6. ThreadSanitizer: the tests that exercise threads (client concurrency,
# async calls and iterators, read sessions, background index builds and
# compactions on the build pool, concurrent index searches), built into one
# executable, tsan_test (tests/CMakeLists.txt), with clang at -O1. The server
# tests are left out: gRPC's threads synchronize inside uninstrumented
# libraries. TSAN_OPTIONS names a suppressions file for races inside
# uninstrumented system libraries (see the file).
TSAN_TESTS='^(ConcurrencyTest|AsyncTest|IteratorTest|SegmentsClientTest|SegmentTest|ReadSessionsTest)\.|ConcurrentSearches'
if [[ "${COVE_SKIP_SANITIZE:-0}" != "1" ]] && want tsan; then
  tsan="${COVE_TSAN_BUILD_DIR:-${build}/tsan}"
  if step "configure (TSan)" cmake -S "${root}" -B "${tsan}" -G Ninja "${unity}" \
      -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
      -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
      -DCOVE_TSAN=ON -DCOVE_BUILD_TESTS=ON -DCOVE_BUILD_EXAMPLES=OFF \
      "${proto_dir[@]}" &&
    step "build (TSan)" cmake --build "${tsan}" -j "${jobs}" --target tsan_test; then
    TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=${root}/tests/tsan/suppressions.txt" \
      run_ctest "ctest (TSan)" "${tsan}" -R "${TSAN_TESTS}" -j "${jobs}"
  fi
fi

echo
echo "== summary (total $((SECONDS / 60))m$((SECONDS % 60))s) =="
for line in "${summary[@]}"; do echo "${line}"; done
echo "${passed} passed, ${failed} failed"
[[ "${failed}" -eq 0 ]]
