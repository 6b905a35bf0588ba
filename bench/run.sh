#!/usr/bin/env bash
# Benchmarks: figures and ratios taken in one run (never timed assertions).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build/bench
echo "== FFI"
gcc -O2 -std=c11 -D_GNU_SOURCE -Iinclude -Itests/c tests/c/bench_ffi.c -Lbuild -lperrycontainer \
  -Wl,-rpath,"$PWD/build" -lpthread -o build/bench/bench_ffi
PERRY_CONTAINER_BACKEND=fake build/bench/bench_ffi | tee build/bench/ffi.txt
