#!/usr/bin/env bash
# Agent mode with the `cove` command line tool: an environment whose clusters
# run in the customer's network, under `cove-agent`, which dials out to the
# control plane (nothing connects in to it but data-plane clients).
#
#   agent_mode.sh --endpoint URL --api-key KEY --bucket DIR \
#                 --agent cove-agent --cove cove [--data-example remote_search]
#
# run_control_plane_example.sh starts a fresh cove-cloud and passes the first
# three. The script logs in, creates an organization, a project and an
# agent-mode environment (its one-time agent token is printed once), starts
# cove-agent with that token over DIR/agent (the customer's bucket), waits
# for the environment to become CONNECTED, creates a cluster in it, uses the
# cluster through its data plane (the remote_search example, with the
# cluster's root password), scales it, lets it go idle and wakes it
# (auto-idle) and shows the audit trail. It exits non-zero as soon as a step does not give what it shows.
# See docs/control-plane.md#agent-mode and docs/cli.md.
set -euo pipefail

endpoint="" api_key="" bucket="" agent="" cove="" data_example=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --endpoint) endpoint="$2" ;;
    --api-key) api_key="$2" ;;
    --bucket) bucket="$2" ;;
    --agent) agent="$2" ;;
    --cove) cove="$2" ;;
    --data-example) data_example="$2" ;;
    *)
      echo "usage: agent_mode.sh --endpoint URL --api-key KEY --bucket DIR" \
        "--agent cove-agent --cove cove [--data-example remote_search]" >&2
      exit 2
      ;;
  esac
  shift 2
done
for v in endpoint api_key bucket agent cove; do
  if [[ -z "${!v}" ]]; then
    echo "agent_mode.sh: --${v//_/-} is required" >&2
    exit 2
  fi
done

work="$(mktemp -d)"
agent_pid=""
cleanup() {
  if [[ -n "${agent_pid}" ]]; then
    kill "${agent_pid}" 2>/dev/null || true
    wait "${agent_pid}" 2>/dev/null || true
  fi
  rm -rf "${work}"
}
trap cleanup EXIT

step() { echo "==> $*"; }
fail() {
  echo "FAILED: $*" >&2
  if [[ -f "${work}/agent.log" ]]; then
    echo "--- cove-agent log ---" >&2
    cat "${work}/agent.log" >&2
  fi
  exit 1
}
# field FILE EXPR: a value out of a JSON file written by `cove -o json`.
field() { /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

# A config file of our own (mode 0600, created by `cove login`).
export COVE_CONFIG="${work}/config.json"

step "log in to ${endpoint}"
"${cove}" login --endpoint "${endpoint}" --api-key - <<<"${api_key}"

step "organization acme, project web"
"${cove}" organizations create acme --display-name "Acme Corp"
"${cove}" config set organization acme
"${cove}" projects create web --plan standard
"${cove}" config set project web

step "agent-mode environment 'edge' (the agent token is shown once)"
"${cove}" -o json environments create edge --mode agent >"${work}/edge.json"
state="$(field "${work}/edge.json" 'd["state"]')"
token="$(field "${work}/edge.json" 'd["agent_token"]')"
echo "    state ${state}, agent token ${token:0:16}..."
[[ "${state}" == AWAITING_AGENT && -n "${token}" ]] || fail "environment ${state}"

step "start cove-agent in the customer's network (bucket ${bucket}/agent)"
# The token goes in a file only we can read (or --token-file - and standard
# input): on the command line, other users would see it in the process list.
(umask 077 && printf '%s\n' "${token}" >"${work}/agent-token")
"${agent}" --control-plane "${endpoint}" --token-file "${work}/agent-token" \
  --bucket "${bucket}/agent" >"${work}/agent.log" 2>&1 &
agent_pid=$!
for _ in $(seq 1 300); do
  "${cove}" -o json environments get edge >"${work}/edge.json"
  state="$(field "${work}/edge.json" 'd["state"]')"
  # The environment's state, and the agent's own word for it.
  [[ "${state}" == CONNECTED ]] &&
    grep -q 'cove-agent connected' "${work}/agent.log" && break
  kill -0 "${agent_pid}" 2>/dev/null || fail "cove-agent exited"
  sleep 0.1
done
[[ "${state}" == CONNECTED ]] || fail "environment still ${state}"
"${cove}" environments get edge | grep -E '^(name|mode|state|state_message):'
grep 'cove-agent connected' "${work}/agent.log" | sed 's/^/    /'

step "the token was spent: a second agent with it is refused"
if "${agent}" --control-plane "${endpoint}" --token-file - \
  --bucket "${work}/other" <"${work}/agent-token" >"${work}/agent2.log" 2>&1; then
  fail "a second registration with the same token was accepted"
fi
sed 's/^/    /' "${work}/agent2.log" | tail -1

step "create cluster 'shop' in the agent's environment"
"${cove}" -o json clusters create shop --environment edge --cu-size 1 --wait \
  -q >"${work}/shop.json"
cluster_state="$(field "${work}/shop.json" 'd["state"]')"
data_endpoint="$(field "${work}/shop.json" 'd["endpoint"]')"
password="$(field "${work}/shop.json" 'd["admin_password"]')"
echo "    ${cluster_state}, endpoint ${data_endpoint}"
[[ "${cluster_state}" == RUNNING && -n "${password}" ]] ||
  fail "cluster ${cluster_state}"
[[ -d "${bucket}/agent/clusters/shop" ]] ||
  fail "no data directory ${bucket}/agent/clusters/shop: the agent did not create it"
echo "    its data lives in the customer's bucket: ${bucket}/agent/clusters/shop"

if [[ -n "${data_example}" ]]; then
  step "use it through its data plane ($(basename "${data_example}"))"
  COVE_USER=root COVE_PASSWORD="${password}" "${data_example}" \
    "${data_endpoint}" | sed 's/^/    /'
fi

step "scale it to 2 CU (the agent carries the command out)"
"${cove}" clusters scale shop --cu-size 2 --wait -q |
  grep -E '^(state|cu_size|capacity_vectors):'
cu="$("${cove}" -o json clusters get shop >"${work}/shop.json" &&
  field "${work}/shop.json" 'd["cu_size"]')"
[[ "${cu}" == 2 ]] || fail "cu_size ${cu} after scaling"

step "auto-idle: after 60 s without a request the agent releases the compute"
# The emulator's manual clock makes the minute pass at once (the agent's
# heartbeats report the data plane's request count; the control plane times
# the idleness on its clock and sends the idle command).
"${cove}" emulator clock set >/dev/null
"${cove}" clusters update shop --idle-timeout 60 >/dev/null
for _ in $(seq 1 300); do
  "${cove}" emulator clock advance 61s >/dev/null
  "${cove}" -o json clusters get shop >"${work}/shop.json"
  cluster_state="$(field "${work}/shop.json" 'd["state"]')"
  [[ "${cluster_state}" == IDLE ]] && break
  sleep 0.1
done
[[ "${cluster_state}" == IDLE ]] || fail "cluster ${cluster_state} after its idle timeout"
[[ "$(field "${work}/shop.json" 'd["endpoint"]')" == "${data_endpoint}" ]] ||
  fail "the endpoint changed when the cluster went idle"
echo "    IDLE, endpoint ${data_endpoint} kept"

step "the first call wakes it on the agent (the client retries UNAVAILABLE)"
COVE_URI="${data_endpoint}" COVE_USER=root COVE_PASSWORD="${password}" \
  "${cove}" data status | sed 's/^/    /'
for _ in $(seq 1 300); do
  "${cove}" -o json clusters get shop >"${work}/shop.json"
  cluster_state="$(field "${work}/shop.json" 'd["state"]')"
  [[ "${cluster_state}" == RUNNING ]] && break
  sleep 0.1
done
[[ "${cluster_state}" == RUNNING ]] || fail "cluster ${cluster_state} after the wake"
echo "    RUNNING again"
"${cove}" emulator clock set --real >/dev/null

step "audit trail"
"${cove}" audit list --action environments.agentConnect
"${cove}" audit list --action clusters.scale
"${cove}" audit list --action clusters.idle
"${cove}" audit list --action clusters.wake

echo "done"
