#!/usr/bin/env bash
# Runs the test layers. With no argument: all of them. Layers: go, symbols, c, hosts.
# Engine tests run unless PERRY_SKIP_ENGINE_TESTS=1; they fail clearly when
# the engine does not answer. Resources labelled perry.test=1 are swept after.
set -uo pipefail
cd "$(dirname "$0")/.."
layers=${*:-go symbols c}
trap 'bash tests/sweep.sh' EXIT
rc=0
for layer in $layers; do
  echo "=== layer: $layer"
  case $layer in
    go)
      # -race where it matters: the ffi, the backends and the engines.
      go test -race -count=1 -timeout 20m ./... || rc=1 ;;
    symbols)
      bash tests/check-symbols.sh build/libperrycontainer.so include/perry_container.h || rc=1 ;;
    c|hosts)
      cmake -S . -B build/ctest -DPERRY_PREBUILT_DIR="$PWD/build" >/dev/null &&
        cmake --build build/ctest -j2 >/dev/null &&
        (cd build/ctest && ctest --output-on-failure) || rc=1 ;;
    *) echo "unknown layer $layer" >&2; rc=1 ;;
  esac
done
bash tests/sweep.sh
left=$(docker ps -aq --filter label=perry.test=1 2>/dev/null | wc -l)
[ "$left" = 0 ] || { echo "error: $left test containers left behind" >&2; rc=1; }
exit $rc
