#!/usr/bin/env bash
# CLI scenarios: the `cove` command line tool against a real cove-cloud.
#   cli_scenario_test.sh <cove-cloud> <cove>
# Starts the emulator on a free loopback port over a temporary state
# directory (fixed admin key, 50 ms transitions), then scripts the BYOC
# lifecycle through the CLI: login (config file mode 0600, insecure file
# refused), organization, project, environment, cluster with --wait, list and
# get as tables and JSON (parsed with python3), metrics after a few raw
# gRPC data-plane calls, autoscaling settings (set, read back, bad values),
# IP access list (set, refused caller, audited, cleared),
# scale, suspend/resume, backups (create, list, get, restore conflict, restore
# into a new cluster with a customer-managed key, policy,
# delete), API keys, roles and bindings, audit, operations, failed and timed-out --wait,
# delete/restore/purge; exit codes for usage errors, not found, conflicts,
# permission denied, failed preconditions and an unreachable endpoint;
# --help on every group and command; and that the admin key never appears
# in any output.
set -uo pipefail
cloud="$1"
cove="$2"
agent="${3:-}"  # cove-agent, for the agent-token scenarios (optional)
py=/usr/bin/python3
tmp="$(mktemp -d)"
pid=""
agent_pid=""
cleanup() {
  for p in "${agent_pid}" "${pid}"; do
    if [[ -n "${p}" ]]; then
      kill "${p}" 2>/dev/null || true
      wait "${p}" 2>/dev/null || true
    fi
  done
  rm -rf "${tmp}"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  if [[ -f "${tmp}/cloud.log" ]]; then
    echo "--- cove-cloud log (tail) ---" >&2
    tail -20 "${tmp}/cloud.log" >&2
  fi
  exit 1
}

# Every CLI output goes here too, to check that no secret leaks.
log="${tmp}/outputs.log"
: >"${log}"
checks=0

# run WANT_EXIT ARGS...: runs cove with stdin from ${stdin:-/dev/null};
# stdout in $out, stderr in $err; fails unless the exit code is WANT_EXIT.
stdin_data=""
run() {
  local want="$1"
  shift
  local got
  local t0="${EPOCHREALTIME}"
  if [[ -n "${stdin_data}" ]]; then
    "${cove}" "$@" >"${tmp}/out" 2>"${tmp}/err" <<<"${stdin_data}"
    got=$?
  else
    "${cove}" "$@" >"${tmp}/out" 2>"${tmp}/err" </dev/null
    got=$?
  fi
  if [[ -n "${CLI_TEST_TIMING:-}" ]]; then
    echo "$(bc <<<"${EPOCHREALTIME} - ${t0}") cove $*" >&2
  fi
  out="$(<"${tmp}/out")"
  err="$(<"${tmp}/err")"
  {
    echo "\$ cove $*"
    cat "${tmp}/out" "${tmp}/err"
  } >>"${log}"
  checks=$((checks + 1))
  if [[ "${got}" != "${want}" ]]; then
    fail "cove $*: exit code ${got}, expected ${want}
stdout: ${out}
stderr: ${err}"
  fi
}

# tty_run WANT_EXIT ANSWER ARGS...: runs cove on a pseudo-terminal (stdin,
# stdout and stderr), answering ANSWER to its [y/N] question; all output in
# $out.
tty_run() {
  local want="$1" answer="$2"
  shift 2
  local got
  "${py}" - "${answer}" "${cove}" "$@" >"${tmp}/out" 2>"${tmp}/err" <<'PY'
import os, pty, sys
answer, args = sys.argv[1], sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(args[0], args)
out, sent = b"", False
while True:
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    out += data
    if not sent and b"[y/N]" in out:
        os.write(fd, answer.encode() + b"\n")
        sent = True
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
PY
  got=$?
  out="$(<"${tmp}/out")"
  err="$(<"${tmp}/err")"
  {
    echo "\$ (tty, answering ${answer}) cove $*"
    cat "${tmp}/out" "${tmp}/err"
  } >>"${log}"
  checks=$((checks + 1))
  [[ "${got}" == "${want}" ]] ||
    fail "tty cove $*: exit code ${got}, expected ${want}: ${out} ${err}"
}

# json PYTHON: runs PYTHON with `d` = the JSON of the last stdout.
json() {
  "${py}" -c "import json, sys
d = json.loads(sys.stdin.read())
$1" <<<"${out}" || fail "JSON check failed: $1
stdout: ${out}"
}

# contains TEXT HAYSTACK-NAME: fails unless the last stdout/stderr has TEXT.
out_has() { [[ "${out}" == *"$1"* ]] || fail "stdout lacks '$1': ${out}"; }
err_has() { [[ "${err}" == *"$1"* ]] || fail "stderr lacks '$1': ${err}"; }
one_error_line() {
  [[ "$(printf '%s\n' "${err}" | grep -c '^cove: error: ')" == 1 ]] ||
    fail "expected one 'cove: error:' line, got: ${err}"
}

# ---- start the emulator ------------------------------------------------------
admin_key="cli-admin-key-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
"${cloud}" --state-dir "${tmp}/state" --listen 127.0.0.1:0 \
  --admin-key "${admin_key}" --transition-delay-ms 50 >"${tmp}/cloud.log" 2>&1 &
pid=$!
address=""
for _ in $(seq 1 400); do
  address="$(sed -n 's/^cove-cloud listening on \([0-9.]*:[0-9]*\).*/\1/p' \
    "${tmp}/cloud.log" | head -1)"
  [[ -n "${address}" ]] && break
  kill -0 "${pid}" 2>/dev/null || fail "cove-cloud exited"
  sleep 0.05
done
[[ -n "${address}" ]] || fail "cove-cloud did not start"

unset COVE_API_KEY COVE_CLOUD_ENDPOINT COVE_CA_FILE COVE_ORG COVE_PROJECT \
  COVE_PROFILE XDG_CONFIG_HOME
export COVE_CONFIG="${tmp}/home/.config/cove/config.json"

# ---- --help everywhere -------------------------------------------------------
# The subcommands listed in a help text.
subcommands() {
  "${cove}" "$@" --help | awk '/^Subcommands:/ {s = 1; next}
    s && /^  [a-z]/ {sub(",", "", $1); print $1} s && /^$/ {s = 0}'
}
run 0 --help
out_has "clusters"
groups="$(subcommands)"
[[ "$(wc -w <<<"${groups}")" -ge 12 ]] || fail "too few groups: ${groups}"
ncommands=0
for g in ${groups}; do
  run 0 "${g}" --help
  for c in $(subcommands "${g}"); do
    run 0 "${g}" "${c}" --help
    [[ -n "${out}" ]] || fail "empty help for ${g} ${c}"
    ncommands=$((ncommands + 1))
    for s in $(subcommands "${g}" "${c}"); do
      run 0 "${g}" "${c}" "${s}" --help
      ncommands=$((ncommands + 1))
    done
  done
done
[[ "${ncommands}" -ge 50 ]] || fail "only ${ncommands} commands have help"
run 0 clusters create --help
out_has "--wait"
out_has "--cu-size"

# ---- usage errors: exit code 2 -------------------------------------------------
run 2
run 2 clusters
one_error_line
run 2 clusters frobnicate
run 2 clusters create
err_has "ID"
run 2 -o yaml organizations list
run 2 clusters scale prod --cu-size notanumber

# ---- not logged in, login, config file ----------------------------------------
run 5 organizations list
err_has "not logged in"
stdin_data="not-the-key" run 5 login --endpoint "${address}" --api-key -
err_has "UNAUTHENTICATED"
[[ ! -e "${COVE_CONFIG}" ]] || fail "a failed login wrote the config"
run 2 login --endpoint "${address}"
err_has "--api-key"
stdin_data="${admin_key}" run 0 login --endpoint "${address}" --api-key -
out_has "Logged in"
[[ "$(stat -c %a "${COVE_CONFIG}")" == 600 ]] ||
  fail "config mode $(stat -c %a "${COVE_CONFIG}"), expected 600"
[[ "$(stat -c %a "$(dirname "${COVE_CONFIG}")")" == 700 ]] ||
  fail "config directory mode is not 700"
chmod 644 "${COVE_CONFIG}"
run 6 organizations list
err_has "too open"
err_has "chmod 600"
chmod 600 "${COVE_CONFIG}"
run 0 -o json config show
json 'assert d["api_key"] == "set" and d["endpoint"] == "http://'"${address}"'", d'

# ---- organization, project, environment ---------------------------------------
run 0 -o json organizations create acme --display-name "Acme Corp"
json 'assert d["name"] == "organizations/acme"; assert d["external_id"].startswith("cove-ext-"), d'
run 4 organizations create acme
err_has "ALREADY_EXISTS"
one_error_line
# The only organization the key sees is used without --org.
run 0 -o json projects create search --plan standard --label team=ml
json 'assert d["name"] == "organizations/acme/projects/search" and d["plan"] == "standard" and d["labels"] == {"team": "ml"}, d'
run 4 projects create search
run 0 config set organization acme
run 0 config set project search
run 0 projects list
out_has "organizations/acme/projects/search"
out_has "PLAN"
run 0 -o json environments create aws --cloud-account-id 123456789012 \
  --region us-east-1 --vpc-id vpc-0123abcd --bucket "${tmp}/bucket" \
  --role-arn arn:aws:iam::123456789012:role/cove-byoc
json 'assert d["state"] == "READY" and d["mode"] == "CROSS_ACCOUNT", d'
run 0 -o json environments validate aws
json 'assert d["valid"] is True and d["problems"] == [], d'
run 0 -o json environments create edge --mode agent
json 'assert d["state"] == "AWAITING_AGENT" and d["agent_token"], d["state"]'
# The cove-agent command to run (on stderr; the token stays out of it).
err_has "cove-agent --control-plane http://${address}"
err_has "--environment organizations/acme/projects/search/environments/edge"
err_has "--token-file TOKEN_FILE"
[[ "${err}" != *"$(json 'print(d["agent_token"])')"* ]] ||
  fail "the agent command carries the token"
run 0 -o json environments list
json 'assert sorted(e["name"].split("/")[-1] for e in d) == ["aws", "edge"], d'

# ---- cluster: create --wait, get, list -----------------------------------------
run 0 -o json clusters create prod --environment aws --cu-size 1 --label tier=gold --wait
json 'assert d["state"] == "RUNNING", d["state"]
assert d["endpoint"].startswith("http://127.0.0.1:"), d["endpoint"]
assert d["admin_password"] and d["cu_size"] == 1 and d["capacity_vectors"] == 10000, d'
err_has "CreateCluster"     # the progress lines (stderr is not a terminal)
err_has "RUNNING"
prod_user="$(json 'print(d["admin_user"])')"
prod_password="$(json 'print(d["admin_password"])')"
prod_address="$(json 'print(d["endpoint"].split("://", 1)[1])')"

# ---- metrics: a fresh cluster, then after a few data-plane calls -------------
run 0 -o json clusters metrics prod
json 'assert list(d) == ["cluster", "time", "serving", "window_seconds", "qps",
    "requests", "errors", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms",
    "kinds", "vector_count", "storage_bytes", "capacity_vectors", "cu_usage",
    "cu_size", "replicas", "metrics_endpoint"], list(d)
assert d["cluster"].endswith("/clusters/prod") and d["serving"] is True, d
assert d["window_seconds"] == 60 and d["vector_count"] == 0 and d["cu_usage"] < 0.001, d
assert d["capacity_vectors"] == 10000 and d["cu_size"] == 1 and d["time"], d
assert d["metrics_endpoint"].endswith("/metrics"), d'
# Milvus calls as raw gRPC (empty messages): 3 authenticated ShowCollections,
# 2 Search calls without credentials (UNAUTHENTICATED: errors).
"${py}" - "${prod_address}" "${prod_user}" "${prod_password}" <<'PY' ||
import base64, sys
import grpc
address, user, password = sys.argv[1:4]
channel = grpc.insecure_channel(address)
auth = [("authorization", base64.b64encode(f"{user}:{password}".encode()).decode())]
show = channel.unary_unary("/milvus.proto.milvus.MilvusService/ShowCollections")
for _ in range(3):
    show(b"", metadata=auth, timeout=20)
search = channel.unary_unary("/milvus.proto.milvus.MilvusService/Search")
for _ in range(2):
    try:
        search(b"", timeout=20)
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.UNAUTHENTICATED, e
    else:
        raise SystemExit("a Search without credentials succeeded")
PY
  fail "data-plane calls to ${prod_address} failed"
run 0 -o json clusters metrics prod --window 5m
json 'assert d["window_seconds"] == 300 and d["requests"] >= 5 and d["errors"] >= 2, d
assert d["qps"] > 0 and d["latency_p99_ms"] >= d["latency_p50_ms"] > 0, d
kinds = {k["kind"]: k for k in d["kinds"]}
assert kinds["search"]["requests"] == 2 and kinds["search"]["errors"] == 2, kinds
assert kinds["other"]["requests"] >= 3 and kinds["other"]["qps"] > 0, kinds
assert set(kinds["search"]) == {"kind", "requests", "errors", "qps",
    "latency_p50_ms", "latency_p95_ms", "latency_p99_ms"}, kinds'
run 0 clusters metrics prod
out_has "vector_count:"
out_has "cu_usage:"
out_has "KIND"
out_has "search"
run 3 clusters metrics nope
err_has "NOT_FOUND"
one_error_line
run 2 clusters metrics prod --window 11m
err_has "--window"

# ---- IP access list: set, enforced on the caller's address, cleared --------
run 2 clusters update prod --ip-allow 10.1.2.3/8
err_has "cluster.ip_access_list[0]"
err_has "10.0.0.0/8"
run 0 -o json clusters update prod --ip-allow 10.0.0.0/8,2001:DB8::/32
json 'assert d["ip_access_list"] == ["10.0.0.0/8", "2001:db8::/32"], d["ip_access_list"]'
"${py}" - "${prod_address}" "${prod_user}" "${prod_password}" <<'PY' ||
import base64, sys
import grpc
address, user, password = sys.argv[1:4]
channel = grpc.insecure_channel(address)
auth = [("authorization", base64.b64encode(f"{user}:{password}".encode()).decode())]
show = channel.unary_unary("/milvus.proto.milvus.MilvusService/ShowCollections")
try:
    show(b"", metadata=auth, timeout=20)
except grpc.RpcError as e:
    assert e.code() == grpc.StatusCode.PERMISSION_DENIED, e
    assert "client address 127.0.0.1 is not allowed by the IP access list" in e.details(), e
else:
    raise SystemExit("a call from 127.0.0.1 passed the list 10.0.0.0/8")
PY
  fail "the IP access list of prod did not refuse 127.0.0.1"
run 0 -o json clusters update prod --ip-allow-all
json 'assert d["ip_access_list"] == [], d["ip_access_list"]'

# ---- private endpoint: on, public off (refused alone), both back ------------
run 6 clusters update prod --public-endpoint off
err_has "cluster.private_endpoint_enabled"
run 0 -o json clusters update prod --private-endpoint on
json 'assert d["private_endpoint"].startswith("http://127.1."), d["private_endpoint"]'
run 0 -o json clusters update prod --public-endpoint off
json 'assert d["endpoint"] == "" and d["public_endpoint_disabled"], d'
run 0 -o json clusters update prod --public-endpoint on --private-endpoint off
json 'assert d["endpoint"] != "" and d["private_endpoint"] == "", d'
run 6 clusters create edge-c --environment edge
err_has "AWAITING_AGENT"
run 0 clusters list
out_has "NAME"
out_has "organizations/acme/projects/search/clusters/prod"
out_has "RUNNING"
run 0 -o json clusters list --label tier=gold --state RUNNING
json 'assert len(d) == 1 and d[0]["name"].endswith("/clusters/prod"), d'
run 0 -o json clusters list --state SUSPENDED
json 'assert d == [], d'
run 0 -o json clusters list --all-projects
json 'assert len(d) == 1, d'
run 0 clusters get prod
out_has "state:"
out_has "RUNNING"
run 0 -o json clusters get organizations/acme/projects/search/clusters/prod
json 'assert d["admin_password"] == "" and d["labels"] == {"tier": "gold"}, d'
# reset-password: a new root password, printed this once.
run 0 -o json clusters reset-password prod --wait
json 'assert d["state"] == "RUNNING" and d["admin_password"], d["state"]'
new_password="$(json 'print(d["admin_password"])')"
[[ "${new_password}" != "${prod_password}" ]] || fail "reset-password kept the password"
prod_password="${new_password}"
run 3 clusters get nope
err_has "NOT_FOUND"
one_error_line
run 0 -o json clusters update prod --display-name Production --remove-label tier --label env=prod
json 'assert d["display_name"] == "Production" and d["labels"] == {"env": "prod"}, d'

# ---- autoscaling settings: set, read back, change one, bad ones ----------------
run 0 -o json clusters update prod --autoscaling on --autoscaling-min-cu 1 \
  --autoscaling-max-cu 4 --autoscaling-min-replicas 1 --autoscaling-max-replicas 2 \
  --scale-up-at 75 --scale-down-below 40 --cooldown 15m \
  --autoscaling-target-qps-per-replica 2.5 \
  --schedule '0 9 * * 1-5|Europe/Paris|1|600' --schedule '30 18 * * 5||1'
autoscaling='{"enabled": True, "min_cu_size": 1, "max_cu_size": 4,
  "min_replicas": 1, "max_replicas": 2, "scale_up_fill_percent": 75,
  "scale_down_fill_percent": 40, "cool_down_seconds": 900,
  "target_qps_per_replica": 2.5, "schedules": [
  {"cron": "0 9 * * 1-5", "time_zone": "Europe/Paris", "min_cu_size": 1, "duration_minutes": 600},
  {"cron": "30 18 * * 5", "time_zone": "", "min_cu_size": 1, "duration_minutes": 0}]}'
json 'assert d["autoscaling"] == '"${autoscaling}"', d["autoscaling"]'
run 0 -o json clusters get prod
json 'assert d["autoscaling"] == '"${autoscaling}"', d["autoscaling"]
assert d["display_name"] == "Production" and d["cu_size"] == 1, d'
run 0 clusters get prod
out_has "autoscaling.enabled:"
out_has "autoscaling.cool_down_seconds:"
out_has "autoscaling.schedules[0].time_zone:"
out_has "Europe/Paris"
# Only the settings given change.
run 0 -o json clusters update prod --scale-up-at 90
json 'a = d["autoscaling"]
assert a["scale_up_fill_percent"] == 90 and a["cool_down_seconds"] == 900, a
assert a["enabled"] and len(a["schedules"]) == 2, a'
# Bad settings: exit 2 naming the field; nothing changes.
run 2 clusters update prod --scale-down-below 95
err_has "cluster.autoscaling.scale_down_fill_percent"
one_error_line
run 2 clusters update prod --schedule '0 9 * * *|Mars/Olympus|1'
err_has "cluster.autoscaling.schedules[0].time_zone"
err_has "Mars/Olympus"
run 2 clusters update prod --schedule '61 9 * * *|UTC|1'
err_has "cluster.autoscaling.schedules[0].cron"
run 2 clusters update prod --schedule '0 9 * * *|UTC'
err_has "--schedule"
run 2 clusters update prod --cooldown soon
err_has "--cooldown"
run 2 clusters update prod --autoscaling-max-replicas 9
err_has "cluster.autoscaling.min_replicas/max_replicas"
run 2 clusters update prod --autoscaling-target-qps-per-replica -1
err_has "cluster.autoscaling.target_qps_per_replica"
one_error_line
run 2 clusters create auto --environment aws --autoscaling on \
  --autoscaling-min-cu 4 --autoscaling-max-cu 2
err_has "cluster.autoscaling.min_cu_size/max_cu_size"
run 2 clusters create auto --environment aws --autoscaling on \
  --autoscaling-min-cu 1 --autoscaling-max-cu 2 --schedule '0 9 * * *|Nowhere/Else|2'
err_has "cluster.autoscaling.schedules[0].time_zone"
run 3 clusters get auto
run 0 -o json clusters get prod
json 'a = d["autoscaling"]
assert a["scale_up_fill_percent"] == 90 and a["scale_down_fill_percent"] == 40, a
assert a["max_replicas"] == 2 and len(a["schedules"]) == 2, a'
run 0 -o json clusters update prod --autoscaling off --clear-schedules
json 'a = d["autoscaling"]
assert a["enabled"] is False and a["schedules"] == [] and a["max_cu_size"] == 4, a'

# ---- auto-idle settings: set, bad, off ------------------------------------------
run 0 -o json clusters update prod --idle-timeout 600
json 'assert d["idle_timeout_seconds"] == 600 and d["state"] == "RUNNING", d'
run 2 clusters update prod --idle-timeout 30
err_has "cluster.idle_timeout"
one_error_line
run 2 clusters update prod --idle-timeout -5
err_has "--idle-timeout"
run 0 -o json clusters update prod --idle-timeout 0
json 'assert d["idle_timeout_seconds"] == 0, d'

# ---- scale without --wait, then operations wait --------------------------------
run 0 -o json clusters scale prod --cu-size 2
json 'assert d["name"].startswith("operations/") and d["verb"] == "ScaleCluster", d'
scale_op="$(json 'print(d["name"])')"
run 0 -o json operations wait "${scale_op}"
json 'assert d["done"] is True and d["error_code"] == "OK", d'
run 0 -o json clusters get prod
json 'assert d["cu_size"] == 2 and d["capacity_vectors"] == 20000 and d["state"] == "RUNNING", d'
run 0 -o json operations get "${scale_op##*/}"
json 'assert d["verb"] == "ScaleCluster" and d["done"], d'

# ---- suspend / resume -----------------------------------------------------------
run 0 -o json clusters suspend prod --wait
json 'assert d["state"] == "SUSPENDED" and d["endpoint"] == "http://'"${prod_address}"'", d'  # the endpoint stays the cluster's
run 6 clusters suspend prod --wait
err_has "FAILED_PRECONDITION"
run 0 -o json clusters metrics prod
json 'assert d["serving"] is False and d["qps"] == 0 and d["vector_count"] == 0, d'
run 0 -q -o json clusters resume prod --wait
json 'assert d["state"] == "RUNNING", d'
[[ -z "${err}" ]] || fail "--quiet printed progress: ${err}"

# On a terminal, --wait redraws one progress line in place.
"${py}" - "${cove}" >"${tmp}/pty.out" <<'PY' || fail "progress on a terminal: $(cat "${tmp}/pty.out")"
import json, os, pty, subprocess, sys
try:
    master, slave = pty.openpty()
except OSError as e:  # no pseudo-terminals in this sandbox
    print("skipped: no pty:", e)
    sys.exit(0)
proc = subprocess.run([sys.argv[1], "-o", "json", "clusters", "suspend", "prod", "--wait"],
                      stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave)
os.close(slave)
tty = b""
while True:
    try:
        chunk = os.read(master, 4096)
    except OSError:
        break
    if not chunk:
        break
    tty += chunk
assert proc.returncode == 0, (proc.returncode, tty)
assert json.loads(proc.stdout)["state"] == "SUSPENDED", proc.stdout
assert b"\r\x1b[K" in tty and b"SuspendCluster" in tty, tty
assert tty.endswith(b"\n") or tty.endswith(b"\r\n"), tty
print("ok")
PY
run 0 clusters resume prod --wait

# ---- a failed operation with --wait; a timeout -----------------------------------
run 0 emulator faults inject --verb ScaleCluster --mode fail \
  --code RESOURCE_EXHAUSTED --message "no capacity left in the zone" --count 1
run 8 clusters scale prod --cu-size 4 --wait
err_has "no capacity left in the zone"
err_has "RESOURCE_EXHAUSTED"
run 0 emulator faults inject --verb SuspendCluster --mode stall
run 7 clusters suspend prod --wait --timeout 1s
err_has "DEADLINE_EXCEEDED"
stalled_op="$(sed -n 's/.*cove operations wait \(operations\/[^)]*\)).*/\1/p' <<<"${err}")"
[[ -n "${stalled_op}" ]] || fail "the timeout message names no operation: ${err}"
run 0 -o json operations list --done false
json 'assert any(o["name"] == "'"${stalled_op}"'" for o in d), d'
run 0 emulator faults clear
run 0 -o json operations wait "${stalled_op}"
json 'assert d["done"] and d["cluster"]["state"] == "SUSPENDED", d'
run 0 clusters resume prod --wait
# Cancelling a stalled operation: exit code 9, the cluster as it was.
run 0 emulator faults inject --verb ScaleCluster --mode stall
run 0 -o json clusters scale prod --cu-size 8
cancel_op="$(json 'print(d["name"])')"
run 9 -o json operations cancel "${cancel_op}" --wait
json 'assert d["done"] and d["error_code"] == "CANCELLED" and d["cancel_requested"], d'
err_has "CANCELLED"
run 0 emulator faults clear --verb ScaleCluster
# A rolling upgrade's fault names the replica whose health check fails.
run 0 emulator faults inject --verb UpgradeCluster --mode fail --replica 2 \
  --message "replica 2 does not come up"
run 0 -o json emulator faults list
json 'assert [(f["verb"], f["replica"]) for f in d] == [("UpgradeCluster", 2)], d'
run 0 emulator faults clear --verb UpgradeCluster
run 0 -o json clusters get prod
json 'assert d["state"] == "RUNNING" and d["cu_size"] == 2, d'
run 2 clusters scale prod --cu-size 4 --wait --timeout soon
err_has "--timeout"

# ---- API keys, roles, bindings, permission denied --------------------------------
run 0 -o json api-keys create reader --scope organizations/acme/projects/search \
  --role roles/project.read_only --display-name "CI reader"
json 'assert d["name"] == "organizations/acme/apiKeys/reader" and d["secret"].startswith("cove_"), d'
reader_key="$(json 'print(d["secret"])')"
run 0 api-keys list
out_has "organizations/acme/apiKeys/reader"
run 0 -o json api-keys get reader
json 'assert d["secret"] == "" and d["role"] == "roles/project.read_only", d'
COVE_API_KEY="${reader_key}" run 0 -o json clusters list
json 'assert len(d) == 1, d'
COVE_API_KEY="${reader_key}" run 5 clusters create other --environment aws --wait
err_has "PERMISSION_DENIED"
one_error_line
COVE_API_KEY="${reader_key}" run 5 clusters delete prod --yes
stdin_data="${reader_key}" run 5 --api-key - api-keys list
run 0 -o json roles list
json 'names = [r["name"] for r in d]
assert "roles/project.read_only" in names and "roles/organization.owner" in names, names'
run 0 -o json roles create viewer --level project \
  --allow clusters.get,clusters.list --deny clusters.get:projects/secret/**
json 'assert d["name"] == "organizations/acme/roles/viewer", d
assert [s["effect"] for s in d["statements"]] == ["ALLOW", "DENY"], d'
run 0 -o json roles get roles/project.admin
json 'assert d["built_in"] is True, d'
run 0 -o json role-bindings create --role viewer --principal reader
json 'assert d["role"] == "organizations/acme/roles/viewer" and d["principal"] == "organizations/acme/apiKeys/reader" and d["scope"] == "organizations/acme/projects/search", d'
binding="$(json 'print(d["name"])')"
run 0 role-bindings list
out_has "${binding}"
run 6 roles delete viewer --yes
run 0 role-bindings delete "${binding}" --yes
run 0 -o json roles delete viewer --yes
json 'assert d == {}, d'
run 0 -o json roles test-permissions organizations/acme/projects/search clusters.create clusters.get
json 'assert d == ["clusters.create", "clusters.get"], d'

# ---- audit and operations ---------------------------------------------------------
run 0 -o json audit list
json 'actions = {e["action"] for e in d}
for a in ["organizations.create", "projects.create", "environments.create",
          "clusters.create", "clusters.scale", "clusters.suspend",
          "clusters.resume", "apiKeys.create", "roles.create"]:
    assert a in actions, (a, sorted(actions))'
run 0 -o json audit list --outcome denied
json 'assert d and all(e["outcome"] == "DENIED" for e in d), d
assert any(e["action"] == "clusters.create" and e["actor"] == "organizations/acme/apiKeys/reader" for e in d), d'
run 0 -o json audit list --action clusters.scale --limit 1
json 'assert len(d) == 1 and d[0]["action"] == "clusters.scale", d'
run 0 audit list --actor admin
out_has "ACTION"
out_has "clusters.create"
# The data plane's refusals (the 2 Search calls without credentials above)
# are audit events of the cluster, with the caller's address.
run 0 -o json audit list --cluster prod --action dataPlane.authenticate
json 'assert len(d) == 2, d
for e in d:
    assert e["actor"] == "anonymous" and e["outcome"] == "DENIED", e
    assert e["resource"].endswith("/clusters/prod") and "127.0.0.1" in e["client_address"], e
    assert "Search" in e["message"], e'
# The IP access list's refusal (above), with the address and the reason.
run 0 -o json audit list --cluster prod --action dataPlane.ipAccessList
json 'assert len(d) == 1 and d[0]["outcome"] == "DENIED", d
assert "127.0.0.1" in d[0]["client_address"] and "not allowed" in d[0]["message"], d'
run 0 -o json audit list --cluster prod
json 'assert all(e["resource"].endswith("/clusters/prod") or "/clusters/prod/" in e["resource"] for e in d), d
assert {"clusters.create", "dataPlane.authenticate"} <= {e["action"] for e in d}, d'
run 0 audit list --cluster prod --outcome denied
out_has "CLIENT"
out_has "ipv4:127.0.0.1"
run 0 -o json operations list
json 'verbs = {o["verb"] for o in d}
assert {"CreateCluster", "ScaleCluster", "SuspendCluster", "ResumeCluster"} <= verbs, verbs'
run 0 -o json operations list --verb CreateCluster --in-project
json 'assert len(d) == 1 and d[0]["done"] and d[0]["target"].endswith("/clusters/prod"), d'
run 3 operations get operations/does-not-exist

# ---- backups: create --wait, list/get, restore conflict, policy, delete ---------------
# One collection in prod, created over raw gRPC (hand-encoded CreateCollection
# and CreateIndex);
# the data plane's address changed when prod was resumed.
run 0 -o json clusters get prod
prod_address="$(json 'print(d["endpoint"].split("://", 1)[1])')"
"${py}" - "${prod_address}" "${prod_user}" "${prod_password}" <<'PY' ||
import base64, sys
import grpc
address, user, password = sys.argv[1:4]
def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])
def field(num, value):  # bytes/str: length-delimited; int: varint
    if isinstance(value, int):
        return varint(num << 3) + varint(value)
    if isinstance(value, str):
        value = value.encode()
    return varint((num << 3) | 2) + varint(len(value)) + value
pk = field(1, 100) + field(2, "id") + field(3, 1) + field(5, 5)
vec = field(1, 101) + field(2, "v") + field(5, 101) + field(6, field(1, "dim") + field(2, "4"))
schema = field(1, "docs") + field(4, pk) + field(4, vec)
request = field(3, "docs") + field(4, schema) + field(5, 1)
channel = grpc.insecure_channel(address)
auth = [("authorization", base64.b64encode(f"{user}:{password}".encode()).decode())]
create = channel.unary_unary("/milvus.proto.milvus.MilvusService/CreateCollection")
reply = create(request, metadata=auth, timeout=20)
# A common.Status: error_code (1) and code (3) absent on success.
assert not reply or reply[0] not in (0x08, 0x18), reply
kv = lambda k, v: field(1, k) + field(2, v)
index = (field(3, "docs") + field(4, "v") + field(5, kv("index_type", "FLAT"))
         + field(5, kv("metric_type", "L2")))
create_index = channel.unary_unary("/milvus.proto.milvus.MilvusService/CreateIndex")
reply = create_index(index, metadata=auth, timeout=20)
assert not reply or reply[0] not in (0x08, 0x18), reply
PY
  fail "CreateCollection on ${prod_address} failed"
run 0 -o json backups create prod --id nightly --expire 7d --wait
json 'assert d["name"] == "organizations/acme/projects/search/clusters/prod/backups/nightly", d
assert d["state"] == "READY" and d["cluster"].endswith("/clusters/prod"), d
assert d["collections"] == ["docs"] and d["expire_time"] and d["scheduled"] is False, d'
err_has "CreateBackup"
err_has "READY"     # the progress line shows the backup's state
backup="$(json 'print(d["name"])')"
run 0 -o json backups list prod
json 'assert [b["name"] for b in d] == ["'"${backup}"'"] and d[0]["state"] == "READY", d'
run 0 -o json backups list --in-project --state READY
json 'assert [b["name"] for b in d] == ["'"${backup}"'"], d'
run 0 backups list prod
out_has "SCHEDULED"
out_has "${backup}"
run 0 -o json backups get prod/nightly
json 'assert d["name"] == "'"${backup}"'" and d["location"], d'
run 0 -o json backups get nightly --cluster prod
json 'assert d["name"] == "'"${backup}"'", d'
run 2 backups get nightly
err_has "--cluster"
run 2 backups list
run 0 -o json backups create prod --collection docs
json 'assert d["name"].startswith("operations/") and d["verb"] == "CreateBackup", d'
run 0 operations wait "$(json 'print(d["name"])')"
# Restoring over an existing collection needs --overwrite.
run 4 backups restore "${backup}" --into prod --wait
err_has "ALREADY_EXISTS"
one_error_line
run 0 -o json backups restore "${backup}" --into prod --overwrite --wait
json 'assert d["name"].endswith("/clusters/prod") and d["state"] == "RUNNING", d'
run 2 backups restore "${backup}" --wait
err_has "--into"
# Into a new cluster, encrypted with a customer-managed key from the
# environment's key store; then removed again.
mkdir -p "${tmp}/bucket/.kms"
od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"${tmp}/bucket/.kms/cmk-one.key"
run 0 -o json backups restore "${backup}" --new-cluster copy --environment aws \
  --encryption-key keys/cmk-one --wait
json 'assert d["name"].endswith("/clusters/copy") and d["state"] == "RUNNING", d
assert d["admin_password"] and d["encryption_key"] == "keys/cmk-one" and d["encryption_key_id"], d'
run 2 backups restore "${backup}" --new-cluster copy2
err_has "--environment"
# On a terminal, delete asks; "y" goes on.
tty_run 0 y clusters delete copy --wait
out_has "delete organizations/acme/projects/search/clusters/copy? [y/N]"
run 0 clusters purge copy --wait --yes
# Scheduled backups.
run 0 -o json backups policy prod --every 6h --keep 3 --max-age 7d
json 'p = d["backup_policy"]
assert p["enabled"] is True and p["interval"] == "21600s" and p["retention_count"] == 3, p
assert p["retention"] == "604800s" and p["next_backup_time"], p'
run 0 -o json clusters get prod
json 'assert d["backup_policy"]["interval"] == "21600s", d["backup_policy"]'
run 0 -o json backups policy prod --off
json 'assert d["backup_policy"]["enabled"] is False, d["backup_policy"]'
run 2 backups policy prod --every soon
err_has "--every"
run 2 backups policy prod --every 10s
err_has "--every"
run 2 backups policy prod --off --keep 2
err_has "--off"
# Delete; then it is gone.
run 0 -o json backups delete "${backup}" --wait --yes
json 'assert d == {}, d'
run 3 backups get "${backup}"
err_has "NOT_FOUND"
run 3 backups get prod/never-made
run 3 backups delete prod/never-made --yes

# ---- confirmation of deletes, request ids, bad numbers -------------------------------
# Without a terminal, delete and purge need --yes (nothing is deleted).
run 2 clusters delete prod
err_has "needs confirmation: pass --yes"
run 2 clusters purge prod
err_has "--yes"
run 2 projects delete search
err_has "--yes"
# On a terminal, anything but y/yes cancels (exit 9), and nothing changes.
tty_run 9 n clusters delete prod
out_has "[y/N]"
out_has "not confirmed: nothing was done"
run 0 -o json clusters get prod
json 'assert d["state"] == "RUNNING", d["state"]'
# A retried create with the same --request-id returns the first result.
run 0 -o json projects create retried --request-id retry-0001
first="$(json 'print(d["create_time"], d["etag"])')"
run 0 -o json projects create retried --request-id retry-0001
[[ "$(json 'print(d["create_time"], d["etag"])')" == "${first}" ]] ||
  fail "the replayed create returned another project"
run 4 projects create retried --request-id retry-0002
run 4 projects create retried
run 0 projects delete retried --yes --request-id retry-0003
# Bad numbers name the flag and the range, in plain digits.
run 2 clusters list --limit -1
err_has "--limit: expected a whole number from 0 to 2147483647, got '-1'"
[[ "${err}" != *"179769"* ]] || fail "a 300-digit range: ${err}"
run 2 clusters scale prod --cu-size -4
err_has "--cu-size: expected a whole number"
run 2 audit list --limit 1e9
err_has "--limit"

# ---- delete, restore, purge ----------------------------------------------------------
run 0 -o json clusters delete prod --wait --yes
json 'assert d["state"] == "DELETED" and d["purge_time"], d'
run 0 -o json clusters list
json 'assert d == [], d'
run 0 -o json clusters list --show-deleted
json 'assert len(d) == 1 and d[0]["state"] == "DELETED", d'
run 0 -o json clusters restore prod --wait
json 'assert d["state"] == "RUNNING", d'
run 6 projects delete search --yes
run 0 clusters delete prod --wait --yes
run 0 -o json clusters purge prod --wait --yes
run 3 clusters get prod

# ---- global options after the command, overrides, unreachable endpoint ---------------
run 0 projects get --org acme --project search -o json
json 'assert d["name"] == "organizations/acme/projects/search", d'
run 7 --endpoint 127.0.0.1:1 --call-timeout 3 organizations list
err_has "UNAVAILABLE"

# ---- --wait outlives a SIGKILL and restart of the control plane (issue 13, item 14) ----
# The create is accepted, then cove-cloud is killed (-9) mid-wait, stays down
# for 3 s (longer than the ~1.5 s a plain call retries) and comes back on the
# same state and port: the wait goes on and prints the RUNNING cluster.
run 0 emulator settings update --transition-delay 3s
"${cove}" -o json clusters create waiter --environment aws --cu-size 1 --wait \
  >"${tmp}/wait.out" 2>"${tmp}/wait.err" </dev/null &
waiter_pid=$!
for _ in $(seq 1 400); do
  grep -q "CREATING" "${tmp}/wait.err" && break
  sleep 0.05
done
grep -q "CREATING" "${tmp}/wait.err" ||
  fail "the create was not accepted: $(cat "${tmp}/wait.err")"
kill -9 "${pid}"
wait "${pid}" 2>/dev/null
sleep 3
kill -0 "${waiter_pid}" 2>/dev/null ||
  fail "cove --wait ended while the control plane was down: $(cat "${tmp}/wait.err")"
"${cloud}" --state-dir "${tmp}/state" --listen "${address}" \
  --admin-key "${admin_key}" --transition-delay-ms 50 >"${tmp}/cloud.log" 2>&1 &
pid=$!
for _ in $(seq 1 400); do
  grep -q "listening on" "${tmp}/cloud.log" && break
  kill -0 "${pid}" 2>/dev/null || fail "cove-cloud did not restart"
  sleep 0.05
done
wait "${waiter_pid}"
waited=$?
out="$(<"${tmp}/wait.out")"
err="$(<"${tmp}/wait.err")"
checks=$((checks + 1))
[[ "${waited}" == 0 ]] ||
  fail "cove --wait across a restart: exit code ${waited}: ${out} ${err}"
json 'assert d["name"].endswith("/clusters/waiter") and d["state"] == "RUNNING", d'
run 0 clusters delete waiter --wait --yes
run 0 clusters purge waiter --wait --yes

# ---- cove-agent takes its token from a file or standard input -------------------------
# start_agent ENV_NAME TOKEN_FILE [STDIN_FILE]: runs cove-agent until it is
# connected, then stops it.
start_agent() {
  local in="${3:-/dev/null}"
  "${agent}" --control-plane "${address}" --bucket "${tmp}/agent-$1" \
    --token-file "$2" <"${in}" >"${tmp}/agent.log" 2>&1 &
  agent_pid=$!
  for _ in $(seq 1 400); do
    grep -q "cove-agent connected" "${tmp}/agent.log" && break
    kill -0 "${agent_pid}" 2>/dev/null ||
      fail "cove-agent exited: $(cat "${tmp}/agent.log")"
    sleep 0.05
  done
  grep -q "cove-agent connected: organizations/acme/projects/search/environments/$1" \
    "${tmp}/agent.log" || fail "cove-agent did not connect: $(cat "${tmp}/agent.log")"
  run 0 -o json environments get "$1"
  json 'assert d["state"] in ("CONNECTED", "READY"), d["state"]'
  kill "${agent_pid}"
  wait "${agent_pid}" 2>/dev/null
  agent_pid=""
}
if [[ -n "${agent}" ]]; then
  run 0 -o json environments create edge-file --mode agent
  (umask 077 && json 'print(d["agent_token"])' >"${tmp}/token-file")
  start_agent edge-file "${tmp}/token-file"
  run 0 -o json environments create edge-stdin --mode agent
  json 'print(d["agent_token"])' >"${tmp}/token-stdin"
  start_agent edge-stdin - "${tmp}/token-stdin"
  # A token file others can read is refused, naming the fix.
  chmod 644 "${tmp}/token-stdin"
  "${agent}" --control-plane "${address}" --bucket "${tmp}/agent-x" \
    --token-file "${tmp}/token-stdin" >"${tmp}/agent.log" 2>&1 &&
    fail "cove-agent accepted a token file readable by others"
  grep -q "chmod 600" "${tmp}/agent.log" || fail "$(cat "${tmp}/agent.log")"
fi

# ---- logout ---------------------------------------------------------------------------
run 0 logout
run 5 organizations list
err_has "not logged in"
[[ "$(stat -c %a "${COVE_CONFIG}")" == 600 ]] || fail "config mode changed"
grep -qF "${admin_key}" "${COVE_CONFIG}" && fail "logout left the key in the config"

# ---- no secret in any output -----------------------------------------------------------
if grep -qF "${admin_key}" "${log}"; then
  fail "the admin API key appears in the CLI output"
fi
# The reader key was printed once, by 'api-keys create', and never again.
[[ "$(grep -cF "${reader_key}" "${log}")" == 1 ]] ||
  fail "the reader key appears $(grep -cF "${reader_key}" "${log}") times"

echo "cli scenarios: ${checks} cove invocations checked (${ncommands} commands with --help)"
