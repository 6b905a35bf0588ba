#!/usr/bin/env bash
# Runs every rapid property test (TestProperty*, and every test whose name
# says Property) with $1 checks each, and prints one line per property with
# the count rapid reports. Committed failure files under each package's
# testdata/rapid/ are replayed by the tests themselves.
set -uo pipefail
cd "$(dirname "$0")/.."
checks=${1:-10000}
export PERRY_CONTAINER_BACKEND=${PERRY_CONTAINER_BACKEND:-docker}
pkgs=$(go list -f '{{.ImportPath}} {{join .TestImports " "}} {{join .XTestImports " "}}' ./... | awk '/pgregory[.]net[/]rapid/ {print $1}')
log=$(mktemp)
trap 'rm -f "$log"' EXIT
go test -count=1 -timeout 3h -v $pkgs -run Property -rapid.checks="$checks" >"$log" 2>&1
rc=$?
# "--- PASS: TestPropertyX (1.2s)" is preceded by rapid's
# "[rapid] OK, passed N tests (…)" line of the same test.
awk '/\[rapid\] OK, passed/ {n=$0; sub(/.*passed /,"",n); sub(/ tests.*/,"",n); last=n}
     /^[[:space:]]*--- (PASS|FAIL): .*Propert/ {name=$3; st=$2; sub(/:/,"",st); printf "%-5s %-70s %s checks\n", st, name, (last==""?"?":last); last=""}
     /^(FAIL|ok)[[:space:]]/ {print}' "$log"
grep -E '^\s*--- FAIL|\[rapid\] (FAIL|failed)|panic:' "$log" | head -40
props=$(grep -cE '^\s*--- PASS: .*Propert' "$log")
fails=$(grep -cE '^\s*--- FAIL: .*Propert' "$log")
echo "props: $props passed, $fails failed, $checks checks each"
exit $rc
