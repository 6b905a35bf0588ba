#!/usr/bin/env bash
# Builds the Node host into build/node/: the Node-API addon
# (perry_container.node, linked against build/libperrycontainer.so by a
# relative rpath) and the TypeScript module compiled to CommonJS
# (build/node/index.js is perry/container; container, container-compose,
# compose and workloads are its subpaths). Needs `make all` first, Node's
# headers (/usr/include/node) and Debian's tsc (node-typescript).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
out=$build/node
cc=${CC:-cc}

[ -f "$build/libperrycontainer.so" ] || { echo "node/build.sh: $build/libperrycontainer.so is missing: run make all first" >&2; exit 1; }
[ -f /usr/include/node/node_api.h ] || { echo "node/build.sh: Node's headers are missing (/usr/include/node/node_api.h): apt-get install libnode-dev" >&2; exit 1; }
command -v tsc >/dev/null || { echo "node/build.sh: tsc is missing: apt-get install node-typescript" >&2; exit 1; }

mkdir -p "$out"
# The addon: the module name and the N-API version are fixed here, no node-gyp.
$cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -Wall -Wextra -Werror -shared -fPIC \
  -DNODE_GYP_MODULE_NAME=perry_container -I/usr/include/node -I"$root/include" \
  "$root/node/perry_container_node.c" -L"$build" -lperrycontainer -lpthread \
  -Wl,-rpath,'$ORIGIN/..' -o "$out/perry_container.node"

# The module. Its .d.ts files import the declarations from
# ../include/types, so they are copied beside the header.
tsc -p "$root/js/tsconfig.json" --outDir "$out"
mkdir -p "$build/include"
rm -rf "$build/include/types"
cp -r "$root/include/types" "$build/include/types"

cat >"$out/package.json" <<'JSON'
{
  "name": "perry",
  "private": true,
  "description": "perry/container, perry/compose and perry/workloads for Node.js (CommonJS), over libperrycontainer",
  "type": "commonjs",
  "main": "./index.js",
  "types": "./index.d.ts",
  "exports": {
    ".": "./index.js",
    "./container": "./container.js",
    "./container-compose": "./container-compose.js",
    "./compose": "./compose.js",
    "./workloads": "./workloads.js"
  }
}
JSON

# Lets anything under build/ (the compiled tests) import 'perry/container'.
mkdir -p "$build/node_modules"
ln -sfn ../node "$build/node_modules/perry"
echo "built $out (entry index.js, CommonJS)"
