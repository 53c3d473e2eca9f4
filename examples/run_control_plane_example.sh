#!/usr/bin/env bash
# Runs the control-plane example against a fresh cove-cloud emulator:
#   run_control_plane_example.sh <cove-cloud> <control_plane> [example args...]
# Starts the emulator on a free loopback port over a temporary state
# directory with a fixed admin key and fast transitions, passes the endpoint
# and key to the example (--endpoint, --api-key; its bucket goes under the
# same temporary directory), and stops the emulator afterwards.
set -euo pipefail
cloud="$1"
example="$2"
shift 2
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
admin_key="example-admin-key-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
"${cloud}" --state-dir "${tmp}/state" --listen 127.0.0.1:0 \
  --admin-key "${admin_key}" --transition-delay-ms 50 >"${tmp}/cloud.log" 2>&1 &
pid=$!
address=""
for _ in $(seq 1 400); do
  address="$(sed -n 's/^cove-cloud listening on \([0-9.]*:[0-9]*\).*/\1/p' \
    "${tmp}/cloud.log" | head -1)"
  if [[ -n "${address}" ]]; then break; fi
  if ! kill -0 "${pid}" 2>/dev/null; then
    echo "run_control_plane_example: cove-cloud exited" >&2
    cat "${tmp}/cloud.log" >&2
    exit 1
  fi
  sleep 0.05
done
if [[ -z "${address}" ]]; then
  echo "run_control_plane_example: cove-cloud did not start" >&2
  cat "${tmp}/cloud.log" >&2
  exit 1
fi
"${example}" --endpoint "http://${address}" --api-key "${admin_key}" \
  --bucket "${tmp}/bucket" "$@"
