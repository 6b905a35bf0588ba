#!/usr/bin/env bash
# Compiles the Node tests (TypeScript, tsc) into build/node-tests and runs a
# suite with Node's test runner. Needs node/build.sh first (make node).
#   tests/node/run.sh fake     every function over the fake backend, the
#                              followed streams, and 10,000 concurrent
#                              promises (--expose-gc)
#   tests/node/run.sh engine   the usage examples and followed logs end to
#                              end on the Docker Engine
#                              (PERRY_CONTAINER_BACKEND=docker)
#   tests/node/run.sh bench    the round-trip and throughput figures
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$root/build}
out=$build/node-tests
[ -f "$build/node/index.js" ] || { echo "tests/node/run.sh: build/node is missing: run make node first" >&2; exit 1; }
tsc -p "$root/tests/node/tsconfig.json" --outDir "$out"
cd "$out"
case "${1:-fake}" in
fake)
  # Two malloc arenas: concurrency.test.js judges leaks by RSS, and glibc
  # otherwise grows an arena per busy thread in steps of tens of MiB at
  # moments of its own (on a loaded machine, mid-run), which look like a leak.
  MALLOC_ARENA_MAX=2 PERRY_CONTAINER_BACKEND=fake node --expose-gc --test fake.test.js stream.test.js types.test.js worker.test.js concurrency.test.js ;;
engine)
  if [ "${PERRY_SKIP_ENGINE_TESTS:-}" = 1 ]; then echo "node engine tests skipped (PERRY_SKIP_ENGINE_TESTS=1)"; exit 0; fi
  PERRY_CONTAINER_BACKEND=${PERRY_CONTAINER_BACKEND:-docker} node --test engine.test.js ;;
bench)
  PERRY_CONTAINER_BACKEND=fake node --expose-gc bench.js ;;
*) echo "usage: tests/node/run.sh fake|engine|bench" >&2; exit 2 ;;
esac
