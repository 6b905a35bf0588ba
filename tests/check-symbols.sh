#!/usr/bin/env bash
# Every function declared in the header is exported by the .so, and every
# exported js_/perry_ symbol is declared in the header.
set -euo pipefail
so=$1 header=$2
exported=$(nm -D --defined-only "$so" | awk '$2=="T"{print $3}' | grep -E '^(js_|perry_)' | sort -u)
declared=$(grep -oE 'PERRY_EXTERN\([^)]*\) *(js_|perry_)[A-Za-z0-9_]+' "$header" | sed -E 's/.*\) *//' | sort -u)
missing=$(comm -13 <(echo "$exported") <(echo "$declared"))
undeclared=$(comm -23 <(echo "$exported") <(echo "$declared"))
[ -z "$missing" ] || { echo "declared in $header but not exported by $so:"; echo "$missing"; exit 1; }
[ -z "$undeclared" ] || { echo "exported by $so but not declared in $header:"; echo "$undeclared"; exit 1; }
echo "symbols: $(echo "$declared" | wc -l) declared, all exported; no undeclared exports"
