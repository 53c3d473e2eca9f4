# Helpers of the CLI scenarios, sourced after `cove` is set:
# a temporary directory removed at exit with the cove-cloud of $pid, and
#   fail MESSAGE          exits 1 with the message and cove-cloud's log tail;
#   run WANT_EXIT ARGS... runs `cove ARGS`, stdout in $out, stderr in $err;
#   json PYTHON           runs PYTHON with `d` = the JSON of the last stdout.
py=/usr/bin/python3
tmp="$(mktemp -d)"
pid=""
cleanup() {
  if [[ -n "${pid}" ]]; then
    kill "${pid}" 2>/dev/null || true
    wait "${pid}" 2>/dev/null || true
  fi
  rm -rf "${tmp}"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  [[ -f "${tmp}/cloud.log" ]] && tail -20 "${tmp}/cloud.log" >&2
  exit 1
}

run() {
  local want="$1"
  shift
  "${cove}" "$@" >"${tmp}/out" 2>"${tmp}/err" </dev/null
  local got=$?
  out="$(<"${tmp}/out")"
  err="$(<"${tmp}/err")"
  [[ "${got}" == "${want}" ]] ||
    fail "cove $*: exit code ${got}, expected ${want}
stdout: ${out}
stderr: ${err}"
}
json() {
  "${py}" -c "import json, sys
d = json.loads(sys.stdin.read())
$1" <<<"${out}" || fail "JSON check failed: $1
stdout: ${out}"
}
err_has() { [[ "${err}" == *"$1"* ]] || fail "stderr lacks '$1': ${err}"; }
