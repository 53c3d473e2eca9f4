#!/bin/sh
# Runs the Node client scenario against a cove-server started on port 0.
# Usage: run_node_interop.sh COVE_SERVER WORK_DIR SCENARIO_JS
# Installs @zilliz/milvus2-sdk-node@2.5.6 into WORK_DIR on first use.
set -eu
server_bin=$1
work=$2
scenario=$3
mkdir -p "$work"
# A package.json of its own keeps npm from installing into a parent folder.
[ -f "$work/package.json" ] || printf '{"private": true}\n' > "$work/package.json"
if [ ! -d "$work/node_modules/@zilliz/milvus2-sdk-node" ]; then
  (cd "$work" && npm install --no-audit --no-fund --silent \
     @zilliz/milvus2-sdk-node@2.5.6)
fi
password="interop-root-pw"
printf '%s\n' "$password" > "$work/root-password"
log="$work/cove-server.log"
: > "$log"
"$server_bin" --data :memory: --listen 127.0.0.1:0 --auth \
  --root-password-file "$work/root-password" > "$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
address=""
i=0
while [ $i -lt 100 ]; do
  address=$(sed -n 's/^cove-server listening on \([^ ]*\).*/\1/p' "$log")
  [ -n "$address" ] && break
  kill -0 $pid 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.1
  i=$((i + 1))
done
[ -n "$address" ] || { echo "cove-server did not start"; cat "$log"; exit 1; }
cd "$work"
NODE_PATH="$work/node_modules" node "$scenario" "$address" "$password"
