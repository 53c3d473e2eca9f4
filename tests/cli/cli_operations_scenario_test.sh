#!/usr/bin/env bash
# BYOC operations (issue 19) through the `cove` CLI against a real cove-cloud
# started with a release catalog (--release), with real data planes:
#   cli_operations_scenario_test.sh <cove-cloud> <cove>
# - `releases list` (table and JSON); `emulator settings update --release`
#   adds a release and the price flags change what `clusters estimate-cost`
#   multiplies (bad values exit 2 naming the flag or field);
# - `clusters upgrade --wait` to a broken release: exit 7, rolled back (same
#   version, rows intact), then to a good one;
# - maintenance windows (`set|get|clear`, project and cluster) and a
#   scheduled upgrade on the emulator's manual clock: `--schedule`,
#   `--defer` (not run in the deferred window), `--run-now`;
# - alerts `create|list|get|test|silence|update|delete` with the audit
#   channel, one firing after its `--for` on the manual clock and resolving;
# - support access: `emulator support-principal create`, `support-access
#   request|list|approve|get|revoke`, the principal using the cluster (control
#   and data plane) while the grant is ACTIVE and not after, and
#   `audit list --filter support_grant=...`.
set -uo pipefail
cloud="$1"
cove="$2"
# shellcheck source=scenario_lib.sh
source "$(dirname "$0")/scenario_lib.sh"
out_has() { [[ "${out}" == *"$1"* ]] || fail "stdout lacks '$1': ${out}"; }
# The value of COLUMN in the table row whose first column is KEY.
cell() {
  "${py}" -c "import sys
lines = sys.stdin.read().splitlines()
head = lines[0]
cols = [c for c in head.split('  ') if c.strip()]
starts = [head.index(c.strip()) for c in cols]
i = [c.strip() for c in cols].index(sys.argv[2])
for line in lines[1:]:
    if line.split()[0] == sys.argv[1]:
        end = starts[i + 1] if i + 1 < len(starts) else len(line)
        print(line[starts[i]:end].strip())
        break
else:
    sys.exit('no row ' + sys.argv[1])" "$1" "$2" <<<"${out}" ||
    fail "no cell $1/$2 in: ${out}"
}

admin_key="ops-admin-key-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
"${cloud}" --state-dir "${tmp}/state" --listen 127.0.0.1:0 \
  --admin-key "${admin_key}" --transition-delay-ms 20 \
  --release 2.5.0:default --release 2.6.0:2.5.0 \
  --release 2.6.1:2.5.0:broken --release 2.7.0:2.6.0 \
  >"${tmp}/cloud.log" 2>&1 &
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
  COVE_PROFILE XDG_CONFIG_HOME COVE_CLUSTER COVE_PASSWORD
export COVE_CONFIG="${tmp}/home/.config/cove/config.json"
export COVE_CLOUD_ENDPOINT="http://${address}" COVE_API_KEY="${admin_key}"

run 0 organizations create acme
run 0 --org acme projects create web --region us-east-1
export COVE_ORG=acme COVE_PROJECT=web
run 0 environments create aws --cloud-account-id 123456789012 \
  --region us-east-1 --vpc-id vpc-0123abcd --bucket "${tmp}/bucket" \
  --role-arn arn:aws:iam::123456789012:role/cove-byoc

# ---- the release catalog ------------------------------------------------------
run 0 releases list
[[ "$(sed -n 1p <<<"${out}")" == "2.5.0  (default)  upgrades from: -" ]] ||
  fail "first release line: ${out}"
out_has "2.6.1  (broken)  upgrades from: 2.5.0"
out_has "2.7.0  upgrades from: 2.6.0"
run 0 -o json releases list
json 'assert [r["version"] for r in d] == ["2.5.0", "2.6.0", "2.6.1", "2.7.0"], d
assert [r["version"] for r in d if r["default"]] == ["2.5.0"], d
assert [r["version"] for r in d if r["broken"]] == ["2.6.1"], d'

# emulator settings update: a release (the syntax of cove-cloud's flag) and
# the price table.
run 0 -o json emulator settings update --release 2.8.0:2.7.0,2.6.0 \
  --currency EUR --cu-hour performance=0.2 --storage-gib-month 0.05 \
  --region-factor us-east-1=1.5 --hours-per-month 720
json 'p = d["price_table"]
assert p["currency"] == "EUR" and p["cu_hour"]["performance"] == 0.2, p
assert p["cu_hour"]["capacity"] == 0.12, p  # unchanged
assert p["storage_gib_month"] == 0.05 and p["hours_per_month"] == 720, p
assert p["region_factor"] == {"us-east-1": 1.5}, p
r = [r for r in d["releases"] if r["version"] == "2.8.0"]
assert len(r) == 1 and r[0]["upgrades_from"] == ["2.7.0", "2.6.0"], d
assert not r[0]["default"] and not r[0]["broken"] and "2.8.0" in r[0]["release_notes"], r'
run 0 -o json emulator settings get
json 'assert d["price_table"]["currency"] == "EUR", d
assert [r["version"] for r in d["releases"]] == ["2.5.0", "2.6.0", "2.6.1", "2.7.0", "2.8.0"], d'
run 0 -o json releases list
json 'assert [r["version"] for r in d][-1] == "2.8.0", d'
# EstimateCost multiplies the new prices: 2 CUs x 0.2 x 1.5 an hour, 10 GiB
# x 0.05 x 1.5 a month, 720 hours a month.
run 0 -o json clusters estimate-cost --cu-size 2 --storage-gib 10
json 'assert d["currency"] == "EUR" and d["hours_per_month"] == 720, d
c, s = d["items"]
assert abs(c["per_hour"] - 2 * 0.2 * 1.5) < 1e-9, c
assert abs(s["per_month"] - 10 * 0.05 * 1.5) < 1e-9, s
assert abs(d["per_month"] - (0.6 * 720 + 0.75)) < 1e-6, d'
# Bad values: refused before anything is sent, or by the server naming the
# field; nothing changes.
run 2 emulator settings update --release :2.5.0
err_has "--release: expected VERSION[:FROM,FROM...][:default][:broken]"
run 2 emulator settings update --release 2.9.0:2.5.0:nightly
err_has "unknown part 'nightly'"
run 2 emulator settings update --cu-hour performance=-1
err_has "--cu-hour performance: expected a number >= 0, got '-1'"
run 2 emulator settings update --region-factor eu=0
err_has "--region-factor eu: expected a number > 0"
run 2 emulator settings update --storage-gib-month cheap
err_has "--storage-gib-month"
run 2 emulator settings update --cu-hour gpu=1
err_has "price_table.cu_hour: expected cu_type performance or capacity (got 'gpu')"
run 2 emulator settings update --release "2.9.0 beta"
err_has "releases[0].version"
run 0 -o json emulator settings get
json 'assert d["price_table"]["cu_hour"] == {"performance": 0.2, "capacity": 0.12}, d
assert len(d["releases"]) == 5, d'
# The settings are the vendor's: a project key may not change them.
run 0 -o json api-keys create editor --role roles/project.admin --scope organizations/acme/projects/web
editor="$(json 'print(d["secret"])')"
COVE_API_KEY="${editor}" run 5 emulator settings update --release 3.0.0

# ---- a cluster with rows; an upgrade rolled back, then a good one -------------
"${cove}" -o json clusters create shop --environment aws --cu-size 1 --wait -q \
  >"${tmp}/out" 2>"${tmp}/err" </dev/null ||
  fail "clusters create: $(<"${tmp}/err")"
out="$(<"${tmp}/out")"
json 'assert d["state"] == "RUNNING" and d["version"] == "2.5.0", d
assert d["available_upgrades"] == ["2.6.0", "2.6.1"], d'
(umask 077 && json 'print(d["admin_password"])' >"${tmp}/shop-password")
"${py}" -c "
with open('${tmp}/rows.jsonl', 'w') as f:
    for i in range(3):
        f.write('{\"id\": %d, \"vector\": [%d.0, 1.0]}\n' % (i, i))"
run 0 data collections create docs --dim 2 --cluster shop \
  --password-file "${tmp}/shop-password"
run 0 -o json data insert docs --file "${tmp}/rows.jsonl" --cluster shop \
  --password-file "${tmp}/shop-password"
json 'assert d["insert_count"] == 3, d'
run 0 -o json releases list --cluster shop
json 'assert [r["version"] for r in d] == ["2.6.0", "2.6.1"], d'

run 7 clusters upgrade shop --version 2.6.1 --wait
err_has "to release '2.6.1' failed"
err_has "rolled back to release '2.5.0'"
err_has "UNAVAILABLE"
run 0 -o json clusters get shop
json 'assert d["state"] == "RUNNING" and d["version"] == "2.5.0", d
assert "rolled back" in d["state_message"], d'
run 0 -o json data query docs --count --cluster shop \
  --password-file "${tmp}/shop-password"
json 'assert d == [{"count(*)": 3}], d'
run 6 clusters upgrade shop --version 2.7.0 --wait   # not from 2.5.0
err_has "release '2.7.0' upgrades from '2.6.0' (available upgrades: 2.6.0, 2.6.1)"
run 2 clusters upgrade shop --version 2.6.0 --defer --run-now
err_has "--schedule, --defer, --run-now: expected at most one"
run 0 -o json clusters upgrade shop --version 2.6.0 --wait
json 'assert d["version"] == "2.6.0" and d["state"] == "RUNNING", d
assert d["available_upgrades"] == ["2.7.0", "2.8.0"], d'
run 0 -o json data query docs --count --cluster shop \
  --password-file "${tmp}/shop-password"
json 'assert d == [{"count(*)": 3}], d'
# Accepted (the rollback is the operation's), refused, accepted.
run 0 -o json audit list --action clusters.upgrade --cluster shop
json 'assert [e["outcome"] for e in d] == ["SUCCEEDED", "FAILED", "SUCCEEDED"], d'

# ---- maintenance windows and a scheduled upgrade (manual clock) ---------------
# Friday 2027-01-15 08:00 UTC.
run 0 emulator clock set --time 2027-01-15T08:00:00Z
run 0 -o json clusters maintenance-window get shop
json 'assert d["window"] is None and d["next_start_time"] is None, d'
# The project's window: Saturdays 02:00-04:00 in Paris (01:00 UTC in January).
run 0 -o json clusters maintenance-window set --day saturday --start 02:00 \
  --duration 2h --time-zone Europe/Paris
json 'assert d["name"] == "organizations/acme/projects/web", d
w = d["window"]
assert w["day_of_week"] == "SATURDAY" and w["start_time"] == "02:00", w
assert w["time_zone"] == "Europe/Paris", w
assert d["next_start_time"] == "2027-01-16T01:00:00Z", d'
run 0 -o json clusters maintenance-window get shop
json 'assert d["source"] == "project" and d["next_start_time"] == "2027-01-16T01:00:00Z", d'
# The cluster's own window wins over the project's; cleared, the project's
# applies again.
run 0 -o json clusters maintenance-window set shop --day sunday --start 03:00
json 'assert d["source"] == "cluster" and d["next_start_time"] == "2027-01-17T03:00:00Z", d'
run 0 clusters maintenance-window get shop
grep -qx 'source: *cluster' <<<"${out}" || fail "no 'source: cluster' line: ${out}"
grep -qx 'window.day_of_week: *SUNDAY' <<<"${out}" || fail "no day line: ${out}"
run 0 -o json clusters maintenance-window clear shop
json 'assert d["window"] is None and d["source"] == "", d  # what was set'
run 0 -o json clusters maintenance-window get shop
json 'assert d["source"] == "project" and d["window"]["day_of_week"] == "SATURDAY", d'
run 2 clusters maintenance-window set shop --day funday --start 03:00
err_has "day_of_week"
run 2 clusters maintenance-window set shop --day monday --start 03:00 \
  --time-zone Mars/Olympus
err_has "window.time_zone"

run 0 -o json clusters upgrade shop --version 2.7.0 --schedule
json 'assert d["name"].startswith("operations/") and d["done"] is False, d'
upgrade_op="$(json 'print(d["name"])')"
run 0 -o json clusters get shop
json 'u = d["scheduled_upgrade"]
assert u["version"] == "2.7.0" and u["start_time"] == "2027-01-16T01:00:00Z", d
assert d["state"] == "RUNNING" and d["version"] == "2.6.0", d'
run 6 clusters upgrade shop --version 2.7.0
err_has "already has an upgrade to '2.7.0'"
run 0 -o json clusters upgrade shop --defer
run 0 -o json clusters get shop
json 'u = d["scheduled_upgrade"]
assert u["start_time"] == "2027-01-23T01:00:00Z" and u["deferrals"] == 1, d'
# Inside Saturday's window: deferred, so nothing runs.
run 0 emulator clock advance 18h
run 0 -o json operations get "${upgrade_op}"
json 'assert d["done"] is False, d'
run 0 -o json clusters get shop
json 'assert d["version"] == "2.6.0", d'
# Run now, outside any window.
run 0 -o json clusters upgrade shop --run-now
run 0 emulator clock advance 1s
run 0 -o json operations wait "${upgrade_op}"
json 'assert d["done"] is True and d["error_code"] == "OK", d'
run 0 -o json clusters get shop
json 'assert d["version"] == "2.7.0" and d["scheduled_upgrade"] is None, d'
run 0 -o json data query docs --count --cluster shop \
  --password-file "${tmp}/shop-password"
json 'assert d == [{"count(*)": 3}], d'
run 0 -o json clusters maintenance-window clear
json 'assert d["window"] is None, d'

# ---- alerts (audit channel, manual clock) -------------------------------------
# 3 rows of a 1-CU cluster holding 10: CU usage 0.3.
run 0 emulator settings update --vectors-per-cu performance=10
run 0 -o json alerts create full --cluster shop --metric cu-usage \
  --threshold 0.2 --for 60s --audit --label team=search
json 'assert d["name"] == "organizations/acme/projects/web/alertRules/full", d
assert d["cluster"] == "organizations/acme/projects/web/clusters/shop", d
assert d["metric"] == "CU_USAGE" and d["threshold"] == 0.2 and d["for_duration"] == "60s", d
assert d["audit"] is True and d["webhook"] is None and d["state"] == "INACTIVE", d'
run 2 alerts create bad --cluster shop --metric cpu
err_has "--metric: expected qps"
run 2 alerts create bad --cluster shop --metric qps
err_has "at least one channel"
run 0 emulator clock advance 0s
run 0 -o json alerts get full
json 'assert d["state"] == "PENDING" and abs(d["value"] - 0.3) < 1e-9, d'
run 0 emulator clock advance 59s
run 0 -o json alerts get full
json 'assert d["state"] == "PENDING", d'
run 0 emulator clock advance 1s
run 0 alerts list
[[ "$(cell organizations/acme/projects/web/alertRules/full STATE)" == FIRING ]] ||
  fail "alerts list: ${out}"
[[ "$(cell organizations/acme/projects/web/alertRules/full METRIC)" == CU_USAGE ]] ||
  fail "alerts list: ${out}"
[[ "$(cell organizations/acme/projects/web/alertRules/full FOR)" == 60s ]] ||
  fail "alerts list: ${out}"
run 0 -o json alerts list --filter state=FIRING
json 'assert [r["name"].rsplit("/", 1)[1] for r in d] == ["full"], d'
run 0 -o json audit list --action alerts.firing
json 'assert len(d) == 1 and d[0]["resource"].endswith("/alertRules/full"), d
assert "CU_USAGE = 0.3 > 0.2" in d[0]["message"], d'
run 0 -o json alerts test full
json 'assert d["channels"] == ["audit"] and d["notification_id"], d'
test_id="$(json 'print(d["notification_id"])')"
run 0 -o json audit list --action alerts.test
json 'assert len(d) == 1 and "'"${test_id}"'" in d[0]["message"], d'
# Silenced (until an emulator-clock time): still evaluated, not notified.
run 0 -o json alerts silence full --until 2027-01-20T00:00:00Z
json 'assert d["silenced_until"] == "2027-01-20T00:00:00Z" and d["state"] == "FIRING", d'
run 2 alerts silence full
err_has "--until/--off: give exactly one of them"
run 0 -o json alerts silence full --off
json 'assert d["silenced_until"] is None, d'
# More capacity per CU: usage 0.003, resolved.
run 0 emulator settings update --vectors-per-cu performance=1000
run 0 emulator clock advance 0s
run 0 -o json alerts get full
json 'assert d["state"] == "RESOLVED" and d["value"] < 0.2, d'
run 0 -o json audit list --resource organizations/acme/projects/web/alertRules/full
json 'actions = [e["action"] for e in d]
assert actions[0] == "alertRules.create", actions
assert [a for a in actions if a.startswith("alerts.")] == ["alerts.firing", "alerts.test", "alerts.resolved"], actions'
run 0 -o json alerts update full --threshold 0.001 --for 0s
json 'assert d["threshold"] == 0.001 and d["for_duration"] == "0s" and d["state"] == "INACTIVE", d'
run 0 emulator clock advance 0s
run 0 -o json alerts get full
json 'assert d["state"] == "FIRING", d'
run 2 alerts update full
err_has "expected at least one field to change"
run 0 alerts delete full --yes
run 3 alerts get full
run 0 -o json alerts list
json 'assert d == [], d'

# ---- support access -------------------------------------------------------------
run 0 -o json emulator support-principal create alice --display-name "Alice (support)"
json 'assert d["name"] == "supportPrincipals/alice" and d["secret"], d'
alice="$(json 'print(d["secret"])')"
run 0 -o json api-keys create owner --role roles/organization.owner --scope organizations/acme
owner="$(json 'print(d["secret"])')"
# No standing access.
COVE_API_KEY="${alice}" run 5 clusters get shop
COVE_API_KEY="${alice}" run 0 -o json support-access request shop \
  --reason "ticket 4711" --duration 2h
json 'assert d["state"] == "PENDING" and d["requester"] == "supportPrincipals/alice", d
assert d["cluster"] == "organizations/acme/projects/web/clusters/shop", d
assert d["duration_seconds"] == 7200 and "data_plane_password" not in d, d'
grant="$(json 'print(d["name"])')"
grant_id="${grant##*/}"
COVE_API_KEY="${alice}" run 5 support-access approve "${grant}"
COVE_API_KEY="${alice}" run 5 clusters get shop
COVE_API_KEY="${owner}" run 0 support-access list --state PENDING
[[ "$(cell "${grant}" STATE)" == PENDING ]] || fail "list: ${out}"
[[ "$(cell "${grant}" REQUESTER)" == supportPrincipals/alice ]] ||
  fail "list: ${out}"
COVE_API_KEY="${owner}" run 0 -o json support-access approve "${grant_id}"
json 'from datetime import datetime
t = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))
assert d["state"] == "ACTIVE" and d["approve_time"].startswith("2027-01-"), d
assert (t(d["expire_time"]) - t(d["approve_time"])).total_seconds() == 7200, d
assert "data_plane_password" not in d, d  # the owner never sees it'
COVE_API_KEY="${owner}" run 0 -o json support-access list --state PENDING
json 'assert d == [], d'
COVE_API_KEY="${alice}" run 0 -o json support-access list --mine
json 'assert [g["name"] for g in d] == ["'"${grant}"'"] and d[0]["state"] == "ACTIVE", d'
COVE_API_KEY="${alice}" run 0 -o json support-access get "${grant}"
json 'assert d["state"] == "ACTIVE" and d["data_plane_user"] == "@support/'"${grant_id}"'", d
assert d["data_plane_password"], d'
support_user="$(json 'print(d["data_plane_user"])')"
(umask 077 && json 'print(d["data_plane_password"])' >"${tmp}/support-password")
# Used: its cluster through the control plane (read only) and the data plane.
COVE_API_KEY="${alice}" run 0 -o json clusters get shop
json 'assert d["name"].endswith("/clusters/shop") and not d.get("admin_password"), d'
COVE_API_KEY="${alice}" run 5 clusters suspend shop
COVE_API_KEY="${alice}" run 0 -o json data collections list --cluster shop \
  --user "${support_user}" --password-file "${tmp}/support-password"
out_has "docs"
COVE_API_KEY="${owner}" run 0 -o json support-access revoke "${grant_id}" \
  --reason "ticket closed"
json 'assert d["state"] == "REVOKED" and d["revoked_by"], d'
COVE_API_KEY="${alice}" run 5 clusters get shop
COVE_API_KEY="${alice}" run 0 -o json support-access get "${grant}"
json 'assert d["state"] == "REVOKED" and "data_plane_password" not in d, d'
# Audited under the support principal, with the grant (the data plane's
# events are drained by the clock).
run 0 emulator clock advance 1s
run 0 -o json audit list --filter "support_grant=${grant}"
json 'actions = [e["action"] for e in d]
assert all(e["support_grant"] == "'"${grant}"'" for e in d), d
for a in ["supportAccess.request", "clusters.get", "dataPlane.ShowCollections"]:
    assert a in actions, (a, actions)
for e in d:
    if e["action"] in ("clusters.get", "dataPlane.ShowCollections", "supportAccess.request"):
        assert e["actor"] == "supportPrincipals/alice", e'
run 0 -o json audit list --action supportAccess.approve
json 'assert [e["outcome"] for e in d] == ["DENIED", "SUCCEEDED"], d'
run 0 -o json audit list --action supportAccess.revoke
json 'assert len(d) == 1 and d[0]["outcome"] == "SUCCEEDED", d'
echo "cli operations scenario: OK"
