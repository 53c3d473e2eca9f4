#!/usr/bin/env bash
# libcove.so exports only the public API: every defined dynamic symbol is a
# name declared in include/cove (in cove:: or cove::control::), none of the
# internal namespaces (cove::internal, cove::engine, cove::auth), none of the
# generated cove.control.v1 protos (cove::control::v1), nothing outside
# cove:: (protobuf, gRPC, std:: instances); and the API applications call is
# there. cmake/cove.map decides; this test keeps it true.
#   exports_test.sh <libcove.so> <include/cove>
set -euo pipefail
lib="$1"
headers="$2"
syms="$(nm -D --defined-only "${lib}" | awk '{print $3}')"
names="$(echo "${syms}" | c++filt)"
fail=0
while IFS=$'\t' read -r mangled name; do
  # typeinfo/vtable/VTT of a class: the class name.
  name="${name#typeinfo name for }"
  name="${name#typeinfo for }"
  name="${name#vtable for }"
  name="${name#VTT for }"
  case "${name}" in
    cove::internal::* | cove::engine::* | cove::auth::* | cove::control::v1::*)
      echo "internal symbol exported: ${name}"
      fail=1
      continue
      ;;
    cove::*) ;;
    *)
      echo "symbol outside cove:: exported: ${name} (${mangled})"
      fail=1
      continue
      ;;
  esac
  # The first name after cove:: (or cove::control::) must be declared in a
  # public header.
  first="$(echo "${name}" | sed -E 's/^cove::(control::)?//; s/[^A-Za-z0-9_].*//')"
  if [[ -n "${first}" ]] && ! grep -rqw -- "${first}" "${headers}"; then
    echo "exported name not in include/cove: ${name}"
    fail=1
  fi
done < <(paste <(echo "${syms}") <(echo "${names}"))
for want in 'cove::Client::Open(' 'cove::ControlClient::Connect(' \
            'cove::Value::' 'cove::control::ToString' \
            'typeinfo for cove::ControlConnection' 'vtable for cove::Connection'; do
  # A here-string, not a pipe: grep -q exits at the first match, and under
  # pipefail the writer's SIGPIPE would fail the check at random.
  if ! grep -qF -- "${want}" <<<"${names}"; then
    echo "public API missing from the exports: ${want}"
    fail=1
  fi
done
count="$(echo "${syms}" | wc -l)"
echo "libcove.so exports ${count} symbols"
exit "${fail}"
