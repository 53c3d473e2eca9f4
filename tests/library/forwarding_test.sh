#!/bin/sh
# Every virtual method of cove::Connection is forwarded by the cloud's
# CapacityConnection (the wrapper around each hosted cluster's engine): a
# method it does not override answers "not supported" on every hosted
# cluster although the engine has it (AlterCollection was lost so once).
# Usage: forwarding_test.sh SOURCE_DIR
set -eu
src=$1
virtuals=$(grep -oE 'virtual [^;{]*[^A-Za-z_]([A-Z][A-Za-z]+)\(' \
             "$src/include/cove/connection.h" |
           grep -oE '[A-Z][A-Za-z]+\($' | tr -d '(' | sort -u)
[ -n "$virtuals" ] || { echo "no virtual methods found in connection.h"; exit 1; }
missing=""
for m in $virtuals; do
  case $m in Connection) continue ;; esac  # the destructor
  if ! grep -qE "[^A-Za-z_]$m\(" "$src/src/hosting/capacity_connection.h"; then
    missing="$missing $m"
  fi
done
if [ -n "$missing" ]; then
  echo "CapacityConnection does not forward:$missing"
  exit 1
fi
echo "CapacityConnection forwards all $(echo "$virtuals" | wc -l) methods"
