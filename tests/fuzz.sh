#!/usr/bin/env bash
# Runs every Go fuzz target briefly (FUZZTIME, default 10s each).
# Run one long: go test -run '^$' -fuzz '^FuzzName$' -fuzztime 1h ./pkg/
set -euo pipefail
cd "$(dirname "$0")/.."
t=${FUZZTIME:-10s}
for pkg in $(go list ./...); do
  for f in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
    echo "== $pkg $f"
    go test -run '^$' -fuzz "^$f\$" -fuzztime "$t" "$pkg"
  done
done
