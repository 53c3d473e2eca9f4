#!/usr/bin/env bash
# The data plane from the shell with `cove data`: a collection of movies on a
# Milvus endpoint (here a cove-server), filled from a CSV file and from NumPy
# vectors, searched, queried and cleaned up; then the same schema and rows in
# a local embedded directory, which answers the same search; and a collection
# of binary codes searched by Hamming distance.
#
#   data_cli.sh URI --cove cove
#
# run_with_server.sh starts a fresh cove-server with authentication and passes
# its URI, and the root credentials through COVE_USER and COVE_PASSWORD
# (which `cove data` reads; --password-file FILE|- works as well). Against a
# cluster of the control plane, use --cluster NAME instead of --uri. The
# script exits non-zero as soon as a step does not give what it shows.
# See docs/cli.md#the-data-plane-cove-data.
set -euo pipefail

uri="${1:-}"
shift || true
cove=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --cove) cove="$2" ;;
    *)
      echo "usage: data_cli.sh URI --cove cove" >&2
      exit 2
      ;;
  esac
  shift 2
done
if [[ -z "${uri}" || -z "${cove}" ]]; then
  echo "usage: data_cli.sh URI --cove cove" >&2
  exit 2
fi

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
step() { echo "==> $*"; }
fail() {
  echo "FAILED: $*" >&2
  exit 1
}
# check PYTHON: runs PYTHON with `d` = the JSON on standard input.
check() {
  /usr/bin/python3 -c "import json, sys
d = json.load(sys.stdin)
$1"
}

export COVE_URI="${uri}"

step "connection"
"${cove}" data status

step "a collection from a schema file (HNSW index, L2)"
cat >"${work}/movies.schema.json" <<'EOF'
{"fields": [
   {"name": "id", "type": "INT64", "is_primary_key": true},
   {"name": "title", "type": "VARCHAR", "max_length": 200},
   {"name": "year", "type": "INT32"},
   {"name": "genres", "type": "ARRAY", "element_type": "VARCHAR",
    "max_capacity": 8, "max_length": 32},
   {"name": "embedding", "type": "FLOAT_VECTOR", "dim": 4}],
 "enable_dynamic_field": true,
 "indexes": [{"field_name": "embedding", "index_type": "HNSW",
              "metric_type": "L2", "params": {"M": "16", "efConstruction": "100"}}]}
EOF
"${cove}" data collections create movies --schema "${work}/movies.schema.json"
"${cove}" data collections describe movies

step "rows from CSV (vectors and arrays as JSON text; 'studio' is a dynamic field)"
cat >"${work}/movies.csv" <<'EOF'
id,title,year,genres,embedding,studio
1,Alien,1979,"[""sci-fi"", ""horror""]","[0.9, 0.1, 0.0, 0.2]",Fox
2,Arrival,2016,"[""sci-fi"", ""drama""]","[0.8, 0.3, 0.1, 0.1]",Paramount
3,"Crouching Tiger, Hidden Dragon",2000,"[""action""]","[0.1, 0.9, 0.2, 0.0]",Sony
4,Heat,1995,"[""crime"", ""action""]","[0.2, 0.8, 0.6, 0.1]",Warner
5,Her,2013,"[""drama"", ""sci-fi""]","[0.6, 0.2, 0.1, 0.7]",Annapurna
EOF
"${cove}" data insert movies --file "${work}/movies.csv"

step "more rows from NumPy vectors (float32) with their fields alongside"
/usr/bin/python3 - "${work}/more.npy" <<'EOF'
import struct, sys
rows = [[0.85, 0.2, 0.05, 0.15], [0.15, 0.85, 0.5, 0.05]]
header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), }"
header += " " * (64 - (10 + len(header) + 1) % 64) + "\n"
data = b"".join(struct.pack("<f", x) for row in rows for x in row)
open(sys.argv[1], "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header))
                              + header.encode() + data)
EOF
cat >"${work}/more.jsonl" <<'EOF'
{"id": 6, "title": "Sunshine", "year": 2007, "genres": ["sci-fi"]}
{"id": 7, "title": "Ronin", "year": 1998, "genres": ["action", "crime"]}
EOF
"${cove}" data insert movies --file "${work}/more.npy" \
  --fields "${work}/more.jsonl"
"${cove}" -o json data collections stats movies | check 'assert d["row_count"] == 7, d'

step "search: the films nearest to a sci-fi vector, made since 2000"
query='[0.85, 0.2, 0.05, 0.15]'
"${cove}" data search movies --vector "${query}" --limit 3 \
  --filter 'year >= 2000' --output-fields title,year --param ef=64
"${cove}" -o json data search movies --vector "${query}" --limit 3 \
  --filter 'year >= 2000' --output-fields title,year |
  check 'titles = [h["entity"]["title"] for h in d[0]]
assert titles[0] == "Sunshine" and "Alien" not in titles, titles'

step "search: like 'Heat' (the vector of row 4)"
"${cove}" data search movies --from-id 4 --limit 3 --output-fields title

step "query: sci-fi films, and a count"
"${cove}" data query movies --filter 'array_contains(genres, "sci-fi")' \
  --output-fields title,year,studio
"${cove}" -o json data query movies --filter 'array_contains(genres, "sci-fi")' \
  --count | check 'assert d == [{"count(*)": 4}], d'

step "get by primary key; a missing key exits 3"
"${cove}" data get movies 2 3 --output-fields title,genres
if "${cove}" data get movies 42 >/dev/null 2>"${work}/err"; then
  fail "get of a missing key succeeded"
fi
sed 's/^/    /' "${work}/err"

step "a bad file is refused with its line, and nothing is written"
printf 'id,title,year,genres,embedding\n8,Dune,2021,[],"[0.5, 0.5]"\n' \
  >"${work}/bad.csv"
if "${cove}" data insert movies --file "${work}/bad.csv" 2>"${work}/err"; then
  fail "a 2-d vector was accepted"
fi
sed 's/^/    /' "${work}/err"
grep -q "bad.csv:2: field 'embedding'" "${work}/err" || fail "no line number"

step "delete the films before 1990 (--yes: no terminal to ask on)"
"${cove}" -o json data delete movies --filter 'year < 1990' --yes |
  check 'assert d["delete_count"] == 1, d'

step "the same collection in a local directory (embedded engine)"
"${cove}" -o json data collections describe movies >"${work}/schema.json"
local_dir="${work}/local"
"${cove}" data collections create movies --uri "${local_dir}" \
  --schema "${work}/schema.json"
"${cove}" data insert movies --uri "${local_dir}" --file "${work}/movies.csv"
"${cove}" data insert movies --uri "${local_dir}" --file "${work}/more.npy" \
  --fields "${work}/more.jsonl"
"${cove}" data delete movies --uri "${local_dir}" --filter 'year < 1990' --yes
remote="$("${cove}" -o json data search movies --vector "${query}" --limit 3 |
  check 'print([h["id"] for h in d[0]])')"
local="$("${cove}" -o json data search movies --vector "${query}" --limit 3 \
  --uri "${local_dir}" | check 'print([h["id"] for h in d[0]])')"
echo "    server: ${remote}, local: ${local}"
[[ "${remote}" == "${local}" ]] || fail "the two backends disagree"

step "binary codes: 32-bit fingerprints (4 bytes each), nearest by Hamming distance"
cat >"${work}/codes.json" <<'JSON'
{"fields": [{"name": "id", "type": "INT64", "is_primary_key": true},
            {"name": "code", "type": "BINARY_VECTOR", "dim": 32}],
 "indexes": [{"field_name": "code", "index_type": "BIN_FLAT",
              "metric_type": "HAMMING"}]}
JSON
"${cove}" data collections create codes --schema "${work}/codes.json"
printf '%s\n' '{"id": 1, "code": [255, 0, 15, 1]}' \
  '{"id": 2, "code": [255, 0, 15, 3]}' '{"id": 3, "code": [0, 255, 240, 0]}' \
  >"${work}/codes.jsonl"
"${cove}" data insert codes --file "${work}/codes.jsonl"
"${cove}" data load codes
"${cove}" data search codes --vector '[255, 0, 15, 0]' --limit 2
"${cove}" -o json data search codes --vector '[255, 0, 15, 0]' --limit 2 |
  check 'assert [(h["id"], h["distance"]) for h in d[0]] == [(1, 1), (2, 2)], d'
"${cove}" data collections drop codes --yes

step "clean up"
"${cove}" data collections drop movies --yes
"${cove}" -o json data collections list | check 'assert d == [], d'
echo "done"
