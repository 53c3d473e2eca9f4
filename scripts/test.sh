#!/usr/bin/env bash
# Command 2 of the README: installs what is missing, builds everything and
# runs every test:
#   1. Release build: all C++ tests and examples through ctest;
#   2. install into a staging prefix, then configure and build the example
#      consumer project (examples/consumer) against the installed package;
#   3. Python: a venv (Debian's python3, system site packages), the package
#      pip-installed from python/ (reusing the Release build), then pytest;
#   4. ASan+UBSan build: the C++ unit tests again.
# Ends with a summary line per stage and a total 'N passed, N failed' line.
#
# Environment: COVE_BUILD_DIR (default build/), COVE_SKIP_SANITIZE=1 skips 3.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${COVE_BUILD_DIR:-${root}/build}"
jobs="$(nproc 2>/dev/null || echo 2)"

"${root}/scripts/install-deps.sh" test || exit 1

passed=0
failed=0
summary=()

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

# build_unit_tests <build dir>: builds only the unit-test executables (the
# sanitizer stage needs nothing else).
build_unit_tests() {
  local dir="$1" targets
  mapfile -t targets < <(ninja -C "${dir}" -t targets all |
    sed -n 's/^\([a-z_]*_test\): phony$/\1/p' | grep -v -e '^cmake_' -e '^mock_example_test$')
  if [[ "${#targets[@]}" -eq 0 ]]; then
    echo "no unit-test targets in ${dir}" >&2
    return 1
  fi
  cmake --build "${dir}" -j "${jobs}" --target "${targets[@]}"
}

# 1. Release build and tests.
rel="${build}/release"
if step "configure (Release)" cmake -S "${root}" -B "${rel}" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release -DCOVE_BUILD_TESTS=ON -DCOVE_BUILD_EXAMPLES=ON \
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
if [[ -x "${rel}/src/server/cove-server" ]]; then
  venv="${build}/venv"
  rm -rf "${venv}"
  if step "python venv" /usr/bin/python3 -m venv --system-site-packages "${venv}" &&
    step "pip install ./python" env COVE_PYTHON_BUILD_DIR="${rel}" \
      CMAKE_BUILD_PARALLEL_LEVEL="${jobs}" PIP_NO_INDEX=1 \
      "${venv}/bin/pip" install --no-build-isolation --quiet "${root}/python"; then
    log="${build}/pytest.log"
    (cd "${root}" && env COVE_SERVER_BIN="${rel}/src/server/cove-server" \
      COVE_CLOUD_BIN="${rel}/src/cloud/cove-cloud" \
      "${venv}/bin/python" -m pytest tests/python -q -rs -p no:cacheprovider) 2>&1 |
      tee "${log}"
    line="$(grep -E '^=*\s*[0-9]+ (passed|failed)' "${log}" | tail -1)"
    if [[ -z "${line}" ]]; then
      summary+=("pytest: did not run")
      failed=$((failed + 1))
    else
      np="$(grep -oE '[0-9]+ passed' <<<"${line}" | grep -oE '[0-9]+' || echo 0)"
      nf="$(grep -oE '[0-9]+ failed' <<<"${line}" | grep -oE '[0-9]+' || echo 0)"
      ne="$(grep -oE '[0-9]+ errors?' <<<"${line}" | grep -oE '[0-9]+' || echo 0)"
      passed=$((passed + np))
      failed=$((failed + nf + ne))
      summary+=("pytest: ${np} passed, $((nf + ne)) failed")
    fi
  fi
fi

# 4. ASan + UBSan build of the unit tests.
if [[ "${COVE_SKIP_SANITIZE:-0}" != "1" ]]; then
  asan="${build}/asan"
  if step "configure (ASan+UBSan)" cmake -S "${root}" -B "${asan}" -G Ninja \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCOVE_SANITIZE=ON \
      -DCOVE_BUILD_TESTS=ON -DCOVE_BUILD_EXAMPLES=OFF \
      -DCOVE_MILVUS_PROTO_DIR="${rel}/_deps/milvus-proto" &&
    step "build (ASan+UBSan)" build_unit_tests "${asan}"; then
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
      UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      run_ctest "ctest (ASan+UBSan)" "${asan}" -L unit -j "${jobs}"
  fi
fi

echo
echo "== summary (total $((SECONDS / 60))m$((SECONDS % 60))s) =="
for line in "${summary[@]}"; do echo "${line}"; done
echo "${passed} passed, ${failed} failed"
[[ "${failed}" -eq 0 ]]
