#!/usr/bin/env bash
# The .so's dynamic symbol table is exactly the header's API: every function
# declared in the header is exported, and nothing else is (ffi/exports.map,
# the linker version script, hides the Go runtime's and cgo's internals, so
# they cannot clash with a host's symbols). The only other defined entry is
# the version node PERRY_CONTAINER_1 itself (an absolute symbol, type A).
set -euo pipefail
so=$1 header=$2
defined=$(nm -D --defined-only "$so" | awk '{sub(/@.*/, "", $3); print $2, $3}')
exported=$(echo "$defined" | awk '$1=="T"{print $2}' | sort -u)
others=$(echo "$defined" | awk '$1!="T" && !($1=="A" && $2=="PERRY_CONTAINER_1"){print $1, $2}')
declared=$(grep -oE 'PERRY_EXTERN\([^)]*\) *(js_|perry_)[A-Za-z0-9_]+' "$header" | sed -E 's/.*\) *//' | sort -u)
missing=$(comm -13 <(echo "$exported") <(echo "$declared"))
undeclared=$(comm -23 <(echo "$exported") <(echo "$declared"))
[ -z "$missing" ] || { echo "declared in $header but not exported by $so:"; echo "$missing"; exit 1; }
[ -z "$undeclared" ] || { echo "exported by $so but not declared in $header (built without ffi/exports.map?):"; echo "$undeclared" | head -20; exit 1; }
[ -z "$others" ] || { echo "$so exports non-function symbols:"; echo "$others" | head -20; exit 1; }
echo "symbols: $(echo "$declared" | wc -l) declared, all exported; nothing else exported"
