#!/usr/bin/env bash
# Licenses and cost through the `cove` CLI against a real cove-cloud:
#   cli_license_scenario_test.sh <cove-cloud> <cove>
# The vendor (admin key) sets a project's license; a scale past it exits 8
# (RESOURCE_EXHAUSTED) naming the license; `projects license get` shows the
# use; a read-only key reads it and estimates costs but cannot set it (5);
# `clusters estimate-cost` equals the price table's arithmetic.
set -uo pipefail
cloud="$1"
cove="$2"
# shellcheck source=scenario_lib.sh
source "$(dirname "$0")/scenario_lib.sh"

admin_key="lic-admin-key-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
"${cloud}" --state-dir "${tmp}/state" --listen 127.0.0.1:0 \
  --admin-key "${admin_key}" --transition-delay-ms 20 >"${tmp}/cloud.log" 2>&1 &
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
export COVE_CLOUD_ENDPOINT="http://${address}" COVE_API_KEY="${admin_key}"

run 0 organizations create acme
run 0 --org acme projects create web --region us-east-1
export COVE_ORG=acme COVE_PROJECT=web
run 0 environments create aws --cloud-account-id 123456789012 \
  --region us-east-1 --vpc-id vpc-0123abcd --bucket "${tmp}/bucket" \
  --role-arn arn:aws:iam::123456789012:role/cove-byoc

run 0 -o json projects license get
json 'assert d == {"project": "organizations/acme/projects/web", "license": None}, d'
run 0 -o json projects license set --license-id lic-cli --max-cus 8 --max-replicas 2
json 'l = d["license"]; assert l["license_id"] == "lic-cli" and l["max_cus"] == 8 and l["max_replicas"] == 2, d'
run 0 clusters create prod --environment aws --cu-size 4 --wait
run 0 -o json projects license get web
json 'l = d["license"]; assert l["used_cus"] == 4 and l["used_replicas"] == 1 and l["update_time"], d'
run 0 -o json projects get
json 'assert d["license"]["max_cus"] == 8, d'

# The done-when: a scale refused by the license (exit 8), naming it.
run 8 clusters scale prod --cu-size 12
err_has "license 'lic-cli'"
err_has "max_cus 8"
err_has "RESOURCE_EXHAUSTED"
run 0 -o json clusters create stage --environment aws --cu-size 4 --wait
run 8 clusters create extra --environment aws --cu-size 1
err_has "max_cus 8"

# Cost estimates: the price table's arithmetic (defaults of the emulator).
run 0 -o json clusters estimate-cost --cu-size 8 --replicas 2 --storage-gib 100
json 'assert d["currency"] == "USD" and d["region"] == "us-east-1", d
c, s = d["items"]
assert c["item"] == "compute" and abs(c["per_hour"] - 16 * 0.16) < 1e-9, c
assert s["item"] == "storage" and abs(s["per_month"] - 100 * 0.025) < 1e-9, s
assert abs(d["per_month"] - (16 * 0.16 * 730 + 2.5)) < 1e-6, d'
run 2 clusters estimate-cost --cu-size 3
err_has "cu_size"

# A read-only key reads and estimates; setting is the vendor's.
run 0 -o json api-keys create reader --role roles/project.read_only --scope organizations/acme/projects/web
reader="$(json 'print(d["secret"])')"
COVE_API_KEY="${reader}" run 0 -o json projects license get
json 'assert d["license"]["license_id"] == "lic-cli", d'
COVE_API_KEY="${reader}" run 0 clusters estimate-cost --cu-size 1
COVE_API_KEY="${reader}" run 5 projects license set --max-cus 1000
err_has "emulator.setProjectLicense"
run 0 -o json projects license clear
json 'assert d["license"] is None, d'
run 0 clusters scale prod --cu-size 12 --wait
echo "cli license scenario: OK"
