#!/usr/bin/env bash
# `cove data` scenarios: the data plane from the command line, against real
# servers.
#   cli_data_scenario_test.sh <cove-server> <cove-cloud> <cove>
# 1. A cove-server with authentication: connection and credential rules
#    (files of mode 0600, standard input, environment, a token, a prompt on
#    a terminal; refusals and exit codes), a collection created quickly and
#    its index replaced by FLAT through the CLI, rows inserted from JSON
#    lines, CSV and .npy (with --id-start, with --fields, Fortran order),
#    then search results compared with a brute-force oracle computed here,
#    query/get/count/delete/upsert results as JSON, partitions, databases,
#    a schema file round trip, bad files named by line, terminal escaping.
# 2. The embedded engine through --uri DIR (state kept between runs).
# 3. TLS: a cove-server with a certificate, reached with --data-tls-ca.
# 4. A cove-cloud cluster reached by name (--cluster): endpoint and admin
#    user looked up through the control plane; suspend and resume.
# No password or key ever appears in any output.
set -uo pipefail
server="$1"
cloud="$2"
cove="$3"
py=/usr/bin/python3
tmp="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do
    kill "${p}" 2>/dev/null || true
    wait "${p}" 2>/dev/null || true
  done
  rm -rf "${tmp}"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  for f in "${tmp}"/*.log; do
    [[ -f "${f}" ]] || continue
    echo "--- ${f##*/} (tail) ---" >&2
    tail -15 "${f}" >&2
  done
  exit 1
}

log="${tmp}/outputs.txt"
: >"${log}"
checks=0

# run WANT_EXIT ARGS...: cove with stdin from ${stdin_data} (else
# /dev/null); stdout in $out, stderr in $err.
stdin_data=""
run() {
  local want="$1"
  shift
  local got
  if [[ -n "${stdin_data}" ]]; then
    "${cove}" "$@" >"${tmp}/out" 2>"${tmp}/err" <<<"${stdin_data}"
    got=$?
  else
    "${cove}" "$@" >"${tmp}/out" 2>"${tmp}/err" </dev/null
    got=$?
  fi
  out="$(<"${tmp}/out")"
  err="$(<"${tmp}/err")"
  {
    echo "\$ cove $*"
    cat "${tmp}/out" "${tmp}/err"
  } >>"${log}"
  checks=$((checks + 1))
  [[ "${got}" == "${want}" ]] || fail "cove $*: exit code ${got}, expected ${want}
stdout: ${out}
stderr: ${err}"
}

# tty_run WANT_EXIT PROMPT ANSWER ARGS...: cove on a pseudo-terminal,
# answering ANSWER once PROMPT shows; all output in $out.
tty_run() {
  local want="$1" prompt="$2" answer="$3"
  shift 3
  local got
  "${py}" - "${prompt}" "${answer}" "${cove}" "$@" >"${tmp}/out" 2>&1 <<'PY'
import os, pty, sys
prompt, answer, args = sys.argv[1].encode(), sys.argv[2], sys.argv[3:]
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
    if not sent and prompt in out:
        os.write(fd, answer.encode() + b"\n")
        sent = True
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
PY
  got=$?
  out="$(<"${tmp}/out")"
  {
    echo "\$ (tty, answering at '${prompt}') cove $*"
    cat "${tmp}/out"
  } >>"${log}"
  checks=$((checks + 1))
  [[ "${got}" == "${want}" ]] ||
    fail "tty cove $*: exit code ${got}, expected ${want}: ${out}"
}

json() {
  "${py}" -c "import json, sys
d = json.loads(sys.stdin.read())
$1" <<<"${out}" || fail "JSON check failed: $1
stdout: ${out}"
}
out_has() { [[ "${out}" == *"$1"* ]] || fail "stdout lacks '$1': ${out}"; }
err_has() { [[ "${err}" == *"$1"* ]] || fail "stderr lacks '$1': ${err}"; }

# start_server NAME ARGS...: a cove-server on a free port; sets $address.
start_server() {
  local name="$1"
  shift
  "${server}" --listen 127.0.0.1:0 "$@" >"${tmp}/${name}.log" 2>&1 &
  pids+=($!)
  address=""
  for _ in $(seq 1 400); do
    address="$(sed -n 's/.*listening on \([0-9.]*:[0-9]*\).*/\1/p' \
      "${tmp}/${name}.log" | head -1)"
    [[ -n "${address}" ]] && return
    kill -0 "${pids[-1]}" 2>/dev/null || fail "${name} exited"
    sleep 0.05
  done
  fail "${name} did not start"
}

unset COVE_URI COVE_CLUSTER COVE_USER COVE_PASSWORD COVE_TOKEN COVE_DB_NAME \
  COVE_DATA_CA_FILE COVE_API_KEY COVE_CLOUD_ENDPOINT COVE_CA_FILE COVE_ORG \
  COVE_PROJECT COVE_PROFILE XDG_CONFIG_HOME
export COVE_CONFIG="${tmp}/config/config.json"

# ---- the data: 200 rows of 8-d vectors, and the files ---------------------------
"${py}" - "${tmp}" <<'PY'
import json, math, random, struct, sys
tmp = sys.argv[1]
random.seed(7)
vec = [[round(random.uniform(-1, 1), 4) for _ in range(8)] for _ in range(200)]
json.dump(vec, open(f"{tmp}/vectors.json", "w"))
with open(f"{tmp}/rows.jsonl", "w") as f:          # ids 0..99
    for i in range(100):
        f.write(json.dumps({"id": i, "vector": vec[i], "title": f"doc {i}",
                            "group": i % 3}) + "\n")
        if i == 50:
            f.write("\n")                               # blank lines are fine
with open(f"{tmp}/rows.csv", "w") as f:            # ids 100..149
    f.write("id,vector,title,group\n")
    for i in range(100, 150):
        f.write(f'{i},"{json.dumps(vec[i])}","doc, {i}",{i % 3}\n')
def npy(path, rows, descr="<f4", fortran=False):
    shape = f"({len(rows)}, {len(rows[0])})"
    hdr = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (
        descr, "True" if fortran else "False", shape)
    hdr += " " * (64 - (10 + len(hdr) + 1) % 64) + "\n"
    fmt = "<d" if descr == "<f8" else "<f"
    order = ([rows[r][c] for c in range(len(rows[0])) for r in range(len(rows))]
             if fortran else [x for row in rows for x in row])
    data = b"".join(struct.pack(fmt, x) for x in order)
    open(path, "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) +
                           hdr.encode() + data)
npy(f"{tmp}/v150.npy", vec[150:175])               # ids 150..174 (--id-start)
npy(f"{tmp}/v175.npy", vec[175:200], fortran=True)  # ids 175..199 (--fields)
with open(f"{tmp}/fields175.jsonl", "w") as f:
    for i in range(175, 200):
        f.write(json.dumps({"id": i, "title": f"doc {i}", "group": i % 3}) + "\n")
npy(f"{tmp}/f64.npy", vec[:2], descr="<f8")
npy(f"{tmp}/queries.npy", [vec[3], vec[160]])
PY
[[ -s "${tmp}/rows.jsonl" ]] || fail "could not write the data files"

# top_k QUERY_INDEX K [FILTER_PY]: ids of the K rows most similar (cosine) to
# vector QUERY_INDEX among the ids kept by FILTER_PY (a Python expression on
# i), from the brute-force oracle.
top_k() {
  "${py}" - "${tmp}" "$1" "$2" "${3:-True}" <<'PY'
import json, math, sys
tmp, q, k, keep = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
vec = json.load(open(f"{tmp}/vectors.json"))
def cos(a, b):
    return sum(x * y for x, y in zip(a, b)) / math.sqrt(
        sum(x * x for x in a) * sum(y * y for y in b))
ids = [i for i in range(len(vec)) if eval(keep)]
ids.sort(key=lambda i: (-cos(vec[q], vec[i]), i))
print(",".join(map(str, ids[:k])))
PY
}

# ==== 1. cove-server with authentication ========================================
password="pw-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
(umask 077 && printf '%s\n' "${password}" >"${tmp}/root-password")
start_server server --data "${tmp}/server-data" --auth \
  --root-password-file "${tmp}/root-password"
uri="${address}"

# ---- connection and credentials ------------------------------------------------
run 2 data collections list
err_has "no data plane given: pass --cluster CLUSTER"
run 2 data collections list --uri "${uri}" --cluster prod
err_has "--uri and --cluster: give one or the other"
COVE_URI="${uri}" COVE_CLUSTER=prod run 2 data collections list
err_has "COVE_URI and COVE_CLUSTER are both set"
run 5 data collections list --uri "${uri}"
err_has "UNAUTHENTICATED"
err_has "--password-file FILE|-"
run 5 data collections list --uri "${uri}" --user root
stdin_data="not-the-password" run 5 data collections list --uri "${uri}" \
  --user root --password-file -
[[ "${err}" != *"not-the-password"* ]] || fail "the password is in the error"
cp "${tmp}/root-password" "${tmp}/open-password"
chmod 644 "${tmp}/open-password"
run 6 data collections list --uri "${uri}" --user root \
  --password-file "${tmp}/open-password"
err_has "is readable by others (mode 644)"
run 3 data collections list --uri "${uri}" --user root \
  --password-file "${tmp}/nothing-here"
stdin_data="${password}" run 0 data collections list --uri "${uri}" \
  --user root --password-file -
stdin_data="${password}" run 2 data insert docs --file - --format jsonl \
  --uri "${uri}" --user root --password-file -
err_has "--password-file -: standard input is already read for --file -"
(umask 077 && printf 'root:%s\n' "${password}" >"${tmp}/token")
run 0 data collections list --uri "${uri}" --token-file "${tmp}/token"
COVE_TOKEN="root:${password}" run 0 data collections list --uri "${uri}"
run 2 data collections list --uri "${uri}" --token-file "${tmp}/token" --user root
# A terminal is asked for the password (without echo).
tty_run 0 "Password of root on http://${uri}: " "${password}" \
  data status --uri "${uri}" --user root
[[ "${out}" == *"server_version:"* ]] || fail "status after the prompt: ${out}"
[[ "${out}" != *"${password}"* ]] || fail "the password was echoed"

export COVE_USER=root COVE_PASSWORD="${password}"
run 0 -o json data status --uri "${uri}"
json 'assert d["uri"] == "http://'"${uri}"'" and d["backend"] == "remote" and d["healthy"] is True and d["database"] == "default", d'
# Flags of the group after the verb, global flags anywhere.
run 0 data --uri "${uri}" collections list -o json
json 'assert d == [], d'

# ---- a collection; its index replaced by FLAT (exact results) -----------------
run 0 data collections create docs --dim 8 --uri "${uri}"
out_has "created collection 'docs'"
run 4 data collections create docs --dim 8 --uri "${uri}"
err_has "ALREADY_EXISTS"
run 2 data collections create other --uri "${uri}"
err_has "give --dim N"
run 2 data collections create other --dim 0 --uri "${uri}"
run 0 -o json data collections describe docs --uri "${uri}"
json 'f = {x["name"]: x for x in d["fields"]}
assert f["id"]["is_primary_key"] and f["id"]["type"] == "INT64", f
assert f["vector"]["type"] == "FLOAT_VECTOR" and f["vector"]["dim"] == 8, f
assert d["enable_dynamic_field"] is True and d["load_state"] == "Loaded", d
assert d["indexes"][0]["metric_type"] == "COSINE", d["indexes"]'
run 0 data indexes list docs --uri "${uri}"
out_has "AUTOINDEX"
run 6 data indexes drop docs vector --uri "${uri}"
err_has "release"
run 0 data release docs --uri "${uri}"
run 0 data indexes drop docs vector --uri "${uri}"
run 2 data indexes create docs --type GPU_CAGRA --uri "${uri}"
err_has "--type: expected an index type"
run 0 data indexes create docs --type FLAT --metric COSINE --uri "${uri}"
run 0 data load docs --uri "${uri}"
run 0 -o json data indexes list docs --uri "${uri}"
json 'assert [(i["index_type"], i["metric_type"]) for i in d] == [("FLAT", "COSINE")], d'

# ---- inserts from JSON lines, CSV and .npy --------------------------------------
run 0 -o json data insert docs --file "${tmp}/rows.jsonl" --batch 30 \
  --show-ids --uri "${uri}"
json 'assert d["insert_count"] == 100 and d["batches"] == 4, d
assert d["ids"] == list(range(100)), d["ids"][:5]'
run 0 data insert docs --file "${tmp}/rows.csv" --uri "${uri}"
out_has "inserted 50 rows into 'docs' (1 batch)"
run 2 data insert docs --file "${tmp}/v150.npy" --uri "${uri}"
err_has "give --id-start N"
run 0 -o json data insert docs --file "${tmp}/v150.npy" --id-start 150 \
  --uri "${uri}"
json 'assert d["insert_count"] == 25, d'
run 0 -o json data insert docs --file "${tmp}/v175.npy" \
  --fields "${tmp}/fields175.jsonl" --uri "${uri}"
json 'assert d["insert_count"] == 25, d'
run 0 -o json data collections stats docs --uri "${uri}"
json 'assert d["row_count"] == 200 and d["load_state"] == "Loaded", d'

# The stored vectors are the files' (the Fortran-order file transposed).
run 0 -o json data get docs 3 120 160 190 --output-fields vector --uri "${uri}"
printf '%s' "${out}" >"${tmp}/last.json"
"${py}" - "${tmp}" <<'PY' || fail "stored vectors differ: ${out}"
import json, sys
vec = json.load(open(f"{sys.argv[1]}/vectors.json"))
rows = json.load(open(f"{sys.argv[1]}/last.json"))
assert [r["id"] for r in rows] == [3, 120, 160, 190], rows
for r in rows:
    assert all(abs(a - b) < 1e-6 for a, b in zip(r["vector"], vec[r["id"]])), r
PY

# ---- bad files: nothing written, the place named -------------------------------
printf 'id,vector,title\n500,"[0,0,0,0,0,0,0,1]",ok\n501,"[0,0,0,0,0,0,0,1]",x,extra\n' \
  >"${tmp}/bad.csv"
run 2 data insert docs --file "${tmp}/bad.csv" --uri "${uri}"
err_has "bad.csv:3: expected 3 columns (as the header), got 4"
printf '{"id": 500, "vector": [1,2,3]}\n' >"${tmp}/bad.jsonl"
run 2 data insert docs --file "${tmp}/bad.jsonl" --uri "${uri}"
err_has "bad.jsonl:1: field 'vector': expected a vector of 8 finite numbers, got 3 numbers"
run 2 data insert docs --file "${tmp}/f64.npy" --id-start 500 --uri "${uri}"
err_has "dtype '<f8' (float64) is not supported (expected float32, '<f4')"
# A failure after some batches says how many went in.
{
  printf '{"id": 500, "vector": [0,0,0,0,0,0,0,1]}\n'
  printf '{"id": 501, "vector": [0,0,0,0,0,0,0,1]}\n'
  printf '{"id": 502, "vector": [0,0,0,0,0,0,0,1]\n'
} >"${tmp}/half.jsonl"
run 2 data insert docs --file "${tmp}/half.jsonl" --batch 1 --uri "${uri}"
err_has "half.jsonl:3: invalid JSON"
err_has "(2 rows before it were inserted; the rest of the file was not)"
run 0 -o json data insert docs --file "${tmp}/rows.csv" --dry-run --uri "${uri}"
json 'assert d == {"checked_rows": 50, "dry_run": True}, d'
run 3 data insert nope --file "${tmp}/rows.csv" --uri "${uri}"
run 3 data insert docs --file "${tmp}/missing.csv" --uri "${uri}"
run 2 data insert docs --file "${tmp}/rows.csv" --id-start 1 --uri "${uri}"
err_has ".npy files only"
run 0 -o json data delete docs 500 501 --yes --uri "${uri}"
json 'assert d["delete_count"] == 2, d'

# ---- search, against the brute-force oracle -------------------------------------
run 0 -o json data search docs --vector "$(
  "${py}" -c "import json; print(json.dumps(json.load(open('${tmp}/vectors.json'))[42]))"
)" --limit 5 --output-fields title --uri "${uri}"
want="$(top_k 42 5)"
json 'hits = d[0]
assert ",".join(str(h["id"]) for h in hits) == "'"${want}"'", hits
assert hits[0]["id"] == 42 and abs(hits[0]["distance"] - 1) < 1e-5, hits[0]
assert hits[0]["entity"]["title"] == "doc 42", hits[0]
assert all(a["distance"] >= b["distance"] for a, b in zip(hits, hits[1:])), hits'
run 0 -o json data search docs --from-id 120 --limit 4 \
  --filter 'id >= 100 and group == 0' --uri "${uri}"
# (rows 150..174 came from a .npy without fields: they have no group)
want="$(top_k 120 4 'i >= 100 and i % 3 == 0 and not 150 <= i < 175')"
json 'assert ",".join(str(h["id"]) for h in d[0]) == "'"${want}"'", d'
run 0 -o json data search docs --vector-file "${tmp}/queries.npy" --limit 3 \
  --uri "${uri}"
want3="$(top_k 3 3)"
want160="$(top_k 160 3)"
json 'assert len(d) == 2, d
assert ",".join(str(h["id"]) for h in d[0]) == "'"${want3}"'", d[0]
assert ",".join(str(h["id"]) for h in d[1]) == "'"${want160}"'", d[1]'
run 0 data search docs --vector-file "${tmp}/queries.npy" --limit 2 \
  --output-fields title --uri "${uri}"
out_has "QUERY"
out_has "DISTANCE"
out_has "doc 3"
run 2 data search docs --vector '[1, 2]' --uri "${uri}"
err_has "--vector: expected a vector of 8 finite numbers, got 2 numbers"
run 2 data search docs --uri "${uri}"
err_has "one of --vector, --vector-file, --from-id or --text"
run 3 data search docs --from-id 9999 --uri "${uri}"
err_has "--from-id: no row with primary key 9999"
run 2 data search docs --from-id 1 --filter 'id >' --uri "${uri}"
err_has "filter"
run 2 data search docs --from-id 1 --limit 0 --uri "${uri}"

# ---- query, get, count -------------------------------------------------------------
run 0 -o json data query docs --filter 'id in [5, 105, 155]' \
  --output-fields title,group --uri "${uri}"
json 'assert [(r["id"], r.get("title"), r.get("group")) for r in d] == [(5, "doc 5", 2), (105, "doc, 105", 0), (155, None, None)], d'
run 0 -o json data query docs --count --uri "${uri}"
json 'assert d == [{"count(*)": 200}], d'
run 0 -o json data query docs --count --filter 'group == 1' --uri "${uri}"
json 'assert d == [{"count(*)": len([i for i in range(150) if i % 3 == 1]) + len([i for i in range(175, 200) if i % 3 == 1])}], d'
run 0 -o json data query docs --output-fields id --uri "${uri}"
json 'assert [r["id"] for r in d] == list(range(200)), len(d)'
run 0 -o json data query docs --filter 'id < 50' --limit 5 --offset 10 \
  --output-fields id --uri "${uri}"
json 'assert [r["id"] for r in d] == [10, 11, 12, 13, 14], d'
run 2 data query docs --offset 3 --uri "${uri}"
err_has "--offset: needs --limit"
run 3 data get docs 7 999 --uri "${uri}"
err_has "1 of 2 primary keys not found in 'docs': 999"
out_has "doc 7"
run 2 data get docs seven --uri "${uri}"
err_has "expected an integer primary key"

# ---- upsert, delete ------------------------------------------------------------------
printf '{"id": 7, "vector": [1,0,0,0,0,0,0,0], "title": "seven"}\n' \
  >"${tmp}/up.jsonl"
run 0 -o json data upsert docs --file "${tmp}/up.jsonl" --uri "${uri}"
json 'assert d["upsert_count"] == 1, d'
run 0 -o json data get docs 7 --output-fields title --uri "${uri}"
json 'assert d == [{"id": 7, "title": "seven"}], d'
run 2 data delete docs --filter 'id >= 150' --uri "${uri}"
err_has "needs confirmation: pass --yes"
tty_run 9 "[y/N]" "n" data delete docs --filter 'id >= 150' --uri "${uri}"
[[ "${out}" == *"(50 rows now)"* ]] || fail "the question lacks the count: ${out}"
tty_run 0 "[y/N]" "y" data delete docs --filter 'id >= 190' --uri "${uri}"
run 0 -o json data delete docs --filter 'id >= 150' --yes --uri "${uri}"
json 'assert d["delete_count"] == 40, d'
run 0 -o json data delete docs 0 1 2 --yes --uri "${uri}"
json 'assert d["delete_count"] == 3, d'
run 2 data delete docs --yes --uri "${uri}"
err_has "give primary keys (ID...) or --filter"
run 0 -o json data query docs --count --uri "${uri}"
json 'assert d == [{"count(*)": 147}], d'

# ---- partitions and databases --------------------------------------------------------
run 0 data partitions create docs hot --uri "${uri}"
run 0 -o json data partitions list docs --uri "${uri}"
json 'assert sorted(p["name"] for p in d) == ["_default", "hot"], d'
printf '{"id": 900, "vector": [0,0,0,0,0,0,0,1], "title": "hot one"}\n' \
  >"${tmp}/hot.jsonl"
run 0 data insert docs --file "${tmp}/hot.jsonl" --partition hot --uri "${uri}"
run 0 -o json data search docs --vector '[1,1,1,1,1,1,1,1]' --partition hot \
  --output-fields title --uri "${uri}"
json 'assert [h["id"] for h in d[0]] == [900], d'
run 2 data partitions drop docs hot --uri "${uri}"
run 6 data partitions drop docs hot --yes --uri "${uri}"
err_has "release it first"
run 0 data release docs --uri "${uri}"
run 0 data partitions drop docs hot --yes --uri "${uri}"
run 0 data load docs --uri "${uri}"
run 0 -o json data partitions list docs --uri "${uri}"
json 'assert [p["name"] for p in d] == ["_default"], d'
run 0 data aliases create docs current --uri "${uri}"
run 0 -o json data query current --count --uri "${uri}"
json 'assert d == [{"count(*)": 147}], d'
run 0 -o json data aliases list docs --uri "${uri}"
json 'assert d == [{"name": "current"}], d'
run 0 -o json data aliases describe current --uri "${uri}"
json 'assert d["collection"] == "docs" and d["alias"] == "current", d'
run 0 data aliases drop current --uri "${uri}"
run 3 data aliases describe current --uri "${uri}"
run 0 data databases create analytics --uri "${uri}"
run 0 data collections create events --dim 2 --db analytics --uri "${uri}"
run 0 -o json data collections list --db analytics --uri "${uri}"
json 'assert d == [{"name": "events"}], d'
COVE_DB_NAME=analytics run 0 -o json data collections list --uri "${uri}"
json 'assert d == [{"name": "events"}], d'
run 0 -o json data collections list --uri "${uri}"
json 'assert d == [{"name": "docs"}], d'
run 3 data collections list --db nodb --uri "${uri}"
run 0 data collections drop events --db analytics --yes --uri "${uri}"
run 0 data databases drop analytics --yes --uri "${uri}"

# ---- a schema file, and its round trip through describe ---------------------------
# round_trip_schema FILE NAME: creates NAME from FILE (describe's JSON, on
# standard input) and checks that describing NAME gives FILE back (but for
# the name, id and creation time).
round_trip_schema() {
  stdin_data="$(<"$1")" run 0 data collections create "$2" --schema - --uri "${uri}"
  stdin_data=""
  run 0 -o json data collections describe "$2" --uri "${uri}"
  printf '%s' "${out}" >"${tmp}/last.json"
  "${py}" - "$1" "${tmp}/last.json" <<'PY' || fail "schemas differ"
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
for d in (a, b):
    for k in ("name", "collection_id", "created_timestamp"):
        d.pop(k)
assert a == b, (a, b)
PY
}

cat >"${tmp}/schema.json" <<'EOF'
{"fields": [
  {"name": "sku", "type": "VARCHAR", "is_primary_key": true, "max_length": 16},
  {"name": "qty", "type": "INT16", "default_value": 1},
  {"name": "price", "type": "FLOAT", "nullable": true},
  {"name": "tags", "type": "ARRAY", "element_type": "VARCHAR",
   "max_capacity": 4, "max_length": 8},
  {"name": "emb", "type": "FLOAT_VECTOR", "dim": 3}],
 "description": "items",
 "indexes": [{"field_name": "emb", "index_type": "HNSW", "metric_type": "L2",
              "params": {"M": "8", "efConstruction": "64"}}]}
EOF
run 0 data collections create items --schema "${tmp}/schema.json" --uri "${uri}"
run 0 -o json data collections describe items --uri "${uri}"
printf '%s\n' "${out}" >"${tmp}/items.json"
json 'f = {x["name"]: x for x in d["fields"]}
assert f["sku"]["type"] == "VARCHAR" and f["sku"]["max_length"] == 16, f
assert f["qty"]["default_value"] == 1 and f["price"]["nullable"], f
assert f["tags"]["element_type"] == "VARCHAR" and f["tags"]["max_capacity"] == 4, f
assert d["indexes"][0]["index_type"] == "HNSW" and d["indexes"][0]["params"] == {"M": "8", "efConstruction": "64"}, d'
round_trip_schema "${tmp}/items.json" items2
printf 'sku,qty,price,tags,emb\nA-1,,2.5,"[""red""]","[1,0,0]"\nB-2,7,,[],"[0,1,0]"\n' \
  >"${tmp}/items.csv"
run 0 data insert items --file "${tmp}/items.csv" --uri "${uri}"
run 0 -o json data get items A-1 B-2 --uri "${uri}"
json 'assert [(r["sku"], r["qty"], r["price"], r["tags"]) for r in d] == [("A-1", 1, 2.5, ["red"]), ("B-2", 7, None, [])], d'
printf 'sku,qty,tags,emb\nC-3,40000,[],"[0,0,1]"\n' >"${tmp}/items-bad.csv"
run 2 data insert items --file "${tmp}/items-bad.csv" --uri "${uri}"
err_has "items-bad.csv:2: field 'qty': expected an integer from -32768 to 32767 (INT16), got 40000"
printf '{"fields": [{"name": "a", "type": "INT64", "primary": true}]}' \
  >"${tmp}/bad-schema.json"
run 2 data collections create items3 --schema "${tmp}/bad-schema.json" --uri "${uri}"
err_has "bad-schema.json: fields[0]: primary: unknown key"

# ---- full text: an analyzer, a BM25 function and a partition key in a schema file --
cat >"${tmp}/notes.json" <<'EOF'
{"fields": [
  {"name": "id", "type": "INT64", "is_primary_key": true},
  {"name": "team", "type": "VARCHAR", "max_length": 16, "is_partition_key": true},
  {"name": "body", "type": "VARCHAR", "max_length": 256, "enable_analyzer": true,
   "analyzer_params": {"type": "english"}, "enable_match": true},
  {"name": "sparse", "type": "SPARSE_FLOAT_VECTOR", "is_function_output": true}],
 "num_partitions": 4,
 "functions": [{"name": "bm25", "type": "BM25", "input_field_names": ["body"],
                "output_field_names": ["sparse"]}],
 "indexes": [{"field_name": "sparse", "index_type": "SPARSE_INVERTED_INDEX",
              "metric_type": "BM25"}]}
EOF
run 0 data collections create notes --schema "${tmp}/notes.json" --uri "${uri}"
run 0 -o json data collections describe notes --uri "${uri}"
printf '%s\n' "${out}" >"${tmp}/notes-described.json"
json 'f = {x["name"]: x for x in d["fields"]}
assert f["team"]["is_partition_key"] and d["num_partitions"] == 4, d
assert f["body"]["enable_analyzer"] and f["body"]["enable_match"], f
assert f["body"]["analyzer_params"] == {"type": "english"}, f
assert f["sparse"]["is_function_output"], f
assert d["functions"] == [{"name": "bm25", "description": "", "type": "BM25", "input_field_names": ["body"], "output_field_names": ["sparse"], "params": {}}], d
assert d["indexes"][0]["metric_type"] == "BM25", d'
printf '%s\n' '{"id": 1, "team": "a", "body": "The cats are sleeping on the warm roof"}' \
  '{"id": 2, "team": "b", "body": "Dogs chase cars down the road"}' \
  '{"id": 3, "team": "a", "body": "A cat sleeps; another cat watches the birds"}' \
  >"${tmp}/notes.jsonl"
run 0 data insert notes --file "${tmp}/notes.jsonl" --uri "${uri}"
# "cat" stems to the same term as "cats": the rows about cats, the one that
# says it twice first; the dog row shares no term.
run 0 -o json data search notes --text "cat" --limit 5 --uri "${uri}"
json 'assert [h["id"] for h in d[0]] == [3, 1], d'
run 0 -o json data query notes --filter "TEXT_MATCH(body, 'road') and team == 'b'" \
  --output-fields id --uri "${uri}"
json 'assert [r["id"] for r in d] == [2], d'
round_trip_schema "${tmp}/notes-described.json" notes2
printf '{"fields": [{"name": "id", "type": "INT64", "is_primary_key": true}], "functions": [{"name": "e", "type": "TEXTEMBEDDING"}]}' \
  >"${tmp}/bad-function.json"
run 2 data collections create notes3 --schema "${tmp}/bad-function.json" --uri "${uri}"
err_has "bad-function.json: functions[0]: type: expected BM25"
run 0 data collections drop notes2 --yes --uri "${uri}"
run 0 data collections drop notes --yes --uri "${uri}"

# ---- terminal safety: values are escaped in tables, exact in JSON -----------------
printf '{"id": 901, "vector": [0,0,0,0,0,0,1,1], "title": "\\u001b[31mred\\u0007"}\n' \
  >"${tmp}/esc.jsonl"
run 0 data insert docs --file "${tmp}/esc.jsonl" --uri "${uri}"
run 0 data get docs 901 --output-fields title --uri "${uri}"
out_has '\x1B[31mred\x07'
[[ "${out}" != *$'\x1b'* ]] || fail "an escape sequence reached the terminal"
run 0 -o json data get docs 901 --output-fields title --uri "${uri}"
json 'assert d[0]["title"] == "\x1b[31mred\x07", d'

# ---- binary, float16 and sparse vectors ---------------------------------------------
# Rows from JSON lines and CSV, indexes with the default metric of each type
# (HAMMING, IP), searches by --vector, --vector-file and --from-id compared
# with a brute-force oracle computed here.
cat >"${tmp}/kinds.json" <<'EOF'
{"fields": [{"name": "id", "type": "INT64", "is_primary_key": true},
            {"name": "bits", "type": "BINARY_VECTOR", "dim": 32},
            {"name": "half", "type": "FLOAT16_VECTOR", "dim": 4},
            {"name": "terms", "type": "SPARSE_FLOAT_VECTOR"}]}
EOF
run 0 data collections create kinds --schema "${tmp}/kinds.json" --uri "${uri}"
"${py}" - "${tmp}" <<'PY' || fail "could not write the rows"
import json, random, sys
tmp = sys.argv[1]
rng = random.Random(7)
rows = []
for i in range(60):
    rows.append({"id": i, "bits": [rng.randrange(256) for _ in range(4)],
                 "half": [rng.randrange(-8, 9) / 4 for _ in range(4)],
                 "terms": {str(k): rng.randrange(1, 9) / 2
                           for k in rng.sample(range(40), 3)}})
with open(f"{tmp}/kinds.jsonl", "w") as f:
    for r in rows[:40]:
        f.write(json.dumps(r) + "\n")
with open(f"{tmp}/kinds.csv", "w") as f:
    f.write("id,bits,half,terms\n")
    for r in rows[40:]:
        cells = [json.dumps(r[k]).replace('"', '""')
                 for k in ("bits", "half", "terms")]
        f.write(",".join([str(r["id"])] + ['"%s"' % c for c in cells]) + "\n")
json.dump(rows, open(f"{tmp}/kinds-rows.json", "w"))
PY
run 0 data insert kinds --file "${tmp}/kinds.jsonl" --uri "${uri}"
run 0 data insert kinds --file "${tmp}/kinds.csv" --uri "${uri}"
run 0 data indexes create kinds --field bits --type BIN_FLAT --uri "${uri}"
run 0 data indexes create kinds --field half --type FLAT --metric L2 --uri "${uri}"
run 0 data indexes create kinds --field terms --type SPARSE_INVERTED_INDEX \
  --uri "${uri}"
run 0 -o json data indexes list kinds --uri "${uri}"
json 'm = {i["field_name"]: i["metric_type"] for i in d}
assert m == {"bits": "HAMMING", "half": "L2", "terms": "IP"}, d'
run 0 data load kinds --uri "${uri}"
run 0 -o json data get kinds 41 --output-fields bits,half,terms --uri "${uri}"
json 'import json as j
r = [x for x in j.load(open("'"${tmp}"'/kinds-rows.json")) if x["id"] == 41][0]
assert d[0]["bits"] == r["bits"] and d[0]["half"] == r["half"], (d, r)
assert d[0]["terms"] == r["terms"], (d, r)'
# oracle_check FIELD QUERY: the hits in ${out} (5, JSON) are the nearest
# rows of FIELD to QUERY, with their distances.
oracle_check() {
  "${py}" - "${tmp}/kinds-rows.json" "$1" "$2" "${out}" <<'PY' ||
import json, sys
rows, field = json.load(open(sys.argv[1])), sys.argv[2]
q, got = json.loads(sys.argv[3]), json.loads(sys.argv[4])
def dist(v):
    if field == "bits":
        return sum(bin(a ^ b).count("1") for a, b in zip(v, q))
    if field == "half":
        return sum((a - b) ** 2 for a, b in zip(v, q))
    return sum(w * q.get(k, 0) for k, w in v.items())
larger_is_closer = field == "terms"
scored = sorted(dist(r[field]) for r in rows)
if larger_is_closer:
    scored.reverse()
hits = got[0]
assert len(hits) == 5, got
for h in hits:
    want = dist([r for r in rows if r["id"] == h["id"]][0][field])
    assert abs(h["distance"] - want) < 1e-3, (h, want)
# The 5th best distance bounds every hit (ties may come in either order).
bound = scored[4]
for h in hits:
    assert (h["distance"] >= bound - 1e-3 if larger_is_closer
            else h["distance"] <= bound + 1e-3), (h, bound)
PY
    fail "search of $1 differs from the oracle: ${out}"
}
run 0 -o json data search kinds --anns-field bits --vector '[1, 2, 3, 4]' \
  --limit 5 --uri "${uri}"
oracle_check bits '[1, 2, 3, 4]'
run 0 -o json data search kinds --anns-field half --vector '[0.5, -1, 2, 0]' \
  --limit 5 --uri "${uri}"
oracle_check half '[0.5, -1, 2, 0]'
echo '{"3": 1.5, "17": 2}' >"${tmp}/terms.jsonl"
run 0 -o json data search kinds --anns-field terms --vector-file \
  "${tmp}/terms.jsonl" --limit 5 --uri "${uri}"
oracle_check terms '{"3": 1.5, "17": 2}'
run 0 -o json data search kinds --anns-field bits --from-id 12 --limit 1 \
  --uri "${uri}"
json 'assert d[0][0]["id"] == 12 and d[0][0]["distance"] == 0, d'
run 2 data search kinds --anns-field bits --vector '[1, 2, 300, 4]' --uri "${uri}"
err_has "--vector: expected a binary vector of 4 bytes (32 bits: integers 0 to 255), got 300 at index 2"
run 2 data search kinds --vector '[1, 2, 3, 4]' --uri "${uri}"
err_has "several vector fields (bits, half, terms)"
run 0 data collections drop kinds --yes --uri "${uri}"

run 0 data collections drop items2 --yes --uri "${uri}"
run 0 -o json data collections list --uri "${uri}"
json 'assert sorted(c["name"] for c in d) == ["docs", "items"], d'
unset COVE_USER COVE_PASSWORD

# ==== 2. the embedded engine (--uri DIR) =========================================
local_dir="${tmp}/local"
run 0 data collections create notes --dim 8 --metric L2 --uri "${local_dir}"
run 0 data insert notes --file "${tmp}/rows.jsonl" --uri "${local_dir}"
run 0 -o json data status --uri "${local_dir}"
json 'assert d["backend"] == "embedded", d'
# A later run sees the same data.
run 0 -o json data query notes --count --uri "${local_dir}"
json 'assert d == [{"count(*)": 100}], d'
run 0 -o json data search notes --from-id 42 --limit 1 --uri "${local_dir}"
json 'assert d[0][0]["id"] == 42 and d[0][0]["distance"] == 0, d'
run 0 -o json data collections list --uri :memory:
json 'assert d == [], d'

# ==== 3. TLS =======================================================================
if command -v openssl >/dev/null; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -keyout "${tmp}/tls-key.pem" -out "${tmp}/tls-cert.pem" 2>/dev/null ||
    fail "openssl could not make a certificate"
  start_server tls-server --tls-cert "${tmp}/tls-cert.pem" \
    --tls-key "${tmp}/tls-key.pem"
  run 0 -o json data status --uri "${address}" --data-tls-ca "${tmp}/tls-cert.pem"
  json 'assert d["uri"] == "https://'"${address}"'" and d["healthy"], d'
  COVE_DATA_CA_FILE="${tmp}/tls-cert.pem" run 0 data collections list \
    --uri "https://${address}"
  # Plain text to a TLS port, and TLS without trusting the certificate.
  run 7 --call-timeout 2 data collections list --uri "http://${address}"
  run 7 --call-timeout 2 data collections list --uri "https://${address}"
else
  echo "SKIP: TLS scenario (no openssl command to make a certificate)"
fi

# ==== 4. a cove-cloud cluster, by name ==============================================
admin_key="data-admin-key-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
"${cloud}" --state-dir "${tmp}/cloud-state" --listen 127.0.0.1:0 \
  --admin-key "${admin_key}" --transition-delay-ms 50 >"${tmp}/cloud.log" 2>&1 &
pids+=($!)
cloud_address=""
for _ in $(seq 1 400); do
  cloud_address="$(sed -n 's/^cove-cloud listening on \([0-9.]*:[0-9]*\).*/\1/p' \
    "${tmp}/cloud.log" | head -1)"
  [[ -n "${cloud_address}" ]] && break
  kill -0 "${pids[-1]}" 2>/dev/null || fail "cove-cloud exited"
  sleep 0.05
done
[[ -n "${cloud_address}" ]] || fail "cove-cloud did not start"

run 5 data collections list --cluster prod
err_has "not logged in"
stdin_data="${admin_key}" run 0 login --endpoint "${cloud_address}" --api-key -
stdin_data=""
run 0 organizations create acme
run 0 config set organization acme
run 0 projects create search
run 0 config set project search
run 0 environments create aws --cloud-account-id 123456789012 \
  --region us-east-1 --vpc-id vpc-0123abcd --bucket "${tmp}/bucket" \
  --role-arn arn:aws:iam::123456789012:role/cove-byoc
# (Not through run: its output holds the admin password, shown once.)
"${cove}" -o json clusters create prod --environment aws --wait -q \
  >"${tmp}/out" 2>"${tmp}/err" </dev/null ||
  fail "clusters create: $(<"${tmp}/err")"
out="$(<"${tmp}/out")"
json 'assert d["state"] == "RUNNING" and d["admin_user"] == "root", d'
endpoint="$(json 'print(d["endpoint"])')"
(umask 077 && json 'print(d["admin_password"])' >"${tmp}/prod-password")
cluster_password="$(<"${tmp}/prod-password")"

run 3 data collections list --cluster nope --password-file "${tmp}/prod-password"
err_has "clusters/nope"
run 5 data collections list --cluster prod
err_has "--password-file FILE|-"
run 0 -o json data status --cluster prod --password-file "${tmp}/prod-password"
json 'assert d["uri"] == "'"${endpoint}"'", d
assert d["cluster"] == "organizations/acme/projects/search/clusters/prod", d'
run 0 data collections create docs --dim 8 \
  --cluster organizations/acme/projects/search/clusters/prod \
  --password-file "${tmp}/prod-password"
export COVE_CLUSTER=prod
stdin_data="${cluster_password}" run 0 -o json data insert docs \
  --file "${tmp}/rows.csv" --password-file -
stdin_data=""
json 'assert d["insert_count"] == 50, d'
export COVE_PASSWORD="${cluster_password}"
run 0 -o json data search docs --from-id 120 --limit 3 --output-fields title
want="$(top_k 120 3 '100 <= i < 150')"
json 'assert ",".join(str(h["id"]) for h in d[0]) == "'"${want}"'", (d, "'"${want}"'")
assert d[0][0]["entity"]["title"] == "doc, 120", d'
# Suspended: no data plane; resumed: the same rows.
run 0 clusters suspend prod --wait -q
run 6 data collections list
err_has "has no data plane to connect to (state SUSPENDED): resume it first"
run 0 clusters resume prod --wait -q
run 0 -o json data query docs --count
json 'assert d == [{"count(*)": 50}], d'
unset COVE_CLUSTER COVE_PASSWORD

# ---- --help of every data command -------------------------------------------------
subcommands() {
  "${cove}" "$@" --help | awk '/^Subcommands:/ {s = 1; next}
    s && /^  [a-z]/ {sub(",", "", $1); print $1} s && /^$/ {s = 0}'
}
n=0
for c in $(subcommands data); do
  run 0 data "${c}" --help
  n=$((n + 1))
  for s in $(subcommands data "${c}"); do
    run 0 data "${c}" "${s}" --help
    n=$((n + 1))
  done
done
[[ "${n}" -ge 30 ]] || fail "only ${n} data commands have help"

# ---- no secret in any output ---------------------------------------------------------
for secret in "${password}" "${cluster_password}" "${admin_key}"; do
  if grep -qF -- "${secret}" "${log}"; then
    fail "a secret appears in the output: $(grep -nF -- "${secret}" "${log}" | head -3)"
  fi
done
echo "PASS: ${checks} checks"
