#!/usr/bin/env bash
# Formats the C++ tree with clang-format (Google style, see .clang-format).
#   scripts/format.sh          rewrite files in place
#   scripts/format.sh --check  list unformatted files; exit 1 if any
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${root}"
mapfile -t files < <(git ls-files '*.h' '*.cc' | grep -v '^third_party/')
if [[ "${1:-}" == "--check" ]]; then
  bad=0
  for f in "${files[@]}"; do
    if ! clang-format --dry-run --Werror "${f}" >/dev/null 2>&1; then
      echo "not formatted: ${f}"
      bad=1
    fi
  done
  exit "${bad}"
fi
clang-format -i "${files[@]}"
