#!/usr/bin/env bash
# Runs every Go fuzz target briefly (FUZZTIME, default 10s each; `make fuzz`).
# Run one long: go test -run '^$' -fuzz '^FuzzName$' -fuzztime 1h ./pkg/
#   (or FUZZTIME=1h bash tests/fuzz.sh for all of them, one after another).
# Targets: compose/loader (FuzzLoadYAML, FuzzLoadInlineJSON, FuzzInterpolation,
# FuzzNormalizeProjectName), ffi (FuzzArgDecoders, FuzzOpsOnFake), backend/cli
# (FuzzParseDocker, FuzzParseApple, FuzzParseLima), backend/detect
# (FuzzColimaStatus), core (FuzzDecodeStrict, FuzzDecodeContainerSpec).
# Seed corpora are committed under each package's testdata/fuzz/<Target>/;
# a crash the fuzzer finds is written there too: keep it as a regression
# case (plain `go test` replays every file) after fixing the bug.
set -euo pipefail
cd "$(dirname "$0")/.."
t=${FUZZTIME:-10s}
for pkg in $(go list ./...); do
  for f in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
    echo "== $pkg $f"
    go test -run '^$' -fuzz "^$f\$" -fuzztime "$t" "$pkg"
  done
done
