#!/usr/bin/env bash
# Runs an example against a fresh cove-server with authentication on:
#   run_with_server.sh <cove-server> <example> [example args...]
# Starts the server on a free loopback port over a temporary data directory,
# passes the URI as the example's first argument and the root credentials
# through COVE_USER/COVE_PASSWORD, and stops the server afterwards.
set -euo pipefail
server="$1"
example="$2"
shift 2
tmp="$(mktemp -d)"
trap 'kill "${pid}" 2>/dev/null; wait "${pid}" 2>/dev/null; rm -rf "${tmp}"' EXIT
password="example-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s\n' "${password}" >"${tmp}/root-password"
"${server}" --data "${tmp}/data" --listen 127.0.0.1:0 --auth \
  --root-password-file "${tmp}/root-password" >"${tmp}/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 200); do
  if grep -q "listening on" "${tmp}/server.log"; then break; fi
  if ! kill -0 "${pid}" 2>/dev/null; then
    cat "${tmp}/server.log" >&2
    exit 1
  fi
  sleep 0.05
done
address="$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "${tmp}/server.log" | head -1)"
if [[ -z "${address}" ]]; then
  echo "run_with_server: cove-server did not start" >&2
  cat "${tmp}/server.log" >&2
  exit 1
fi
COVE_USER=root COVE_PASSWORD="${password}" "${example}" "http://${address}" "$@"
