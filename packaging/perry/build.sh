#!/usr/bin/env bash
# Assembles the Perry package in build/perry/package/: package.json, the
# TypeScript module (js/ with src/native.ts in place of the Node one) and
# prebuilt/linux/ (the adapter's archive and libperrycontainer.a). The
# module is type-checked with tsc against the adapter's declared natives.
# macOS archives must be built on macOS (same commands); they are not here.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$root/build}
pkg=$root/packaging/perry
out=$build/perry/package
[ -f "$build/libperrycontainer.a" ] || { echo "packaging/perry/build.sh: $build/libperrycontainer.a is missing: run make all first" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out/src" "$out/prebuilt/linux"
cp "$pkg/package.json" "$out/"
for f in "$root"/js/*.ts; do
  case $(basename "$f") in native.ts | node-globals.d.ts | conformance.ts) ;; *) cp "$f" "$out/src/" ;; esac
done
cp "$pkg/src/native.ts" "$out/src/"
# The module's declarations come with it.
mkdir -p "$out/include" && cp -r "$root/include/types" "$out/include/"

cc=${CC:-cc}
$cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -Wall -Wextra -Werror -fPIC -I"$root/include" -I"$root/node" -I"$pkg/adapter" \
  -c "$pkg/adapter/perry_container_perry.c" -o "$build/perry/perry_container_perry.o"
ar rcs "$out/prebuilt/linux/libperrycontainer_perry.a" "$build/perry/perry_container_perry.o"
cp "$build/libperrycontainer.a" "$out/prebuilt/linux/"

# Type-check the package's module as a Perry program sees it (no Node types).
cat >"$out/tsconfig.json" <<'JSON'
{
  "compilerOptions": { "strict": true, "noEmit": true, "target": "es2022", "lib": ["es2022"], "module": "commonjs",
    "moduleResolution": "node", "types": [] },
  "include": ["src/*.ts"]
}
JSON
tsc -p "$out/tsconfig.json"
echo "built $out"
