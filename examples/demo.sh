#!/usr/bin/env bash
# make demo: builds examples/demo/demo.c against the shared library and runs
# the demo stack on the local engine, then takes it down.
set -euo pipefail
cd "$(dirname "$0")/.."
# The demo stack runs on the Docker Engine (where make test-image put the
# image): say so, since detection prefers podman on Linux when it is installed.
export PERRY_CONTAINER_BACKEND=${PERRY_CONTAINER_BACKEND:-docker}
port=${DEMO_PORT:-18080}
gcc -O2 -std=c11 -D_GNU_SOURCE -Iinclude examples/demo/demo.c -Lbuild -lperrycontainer \
  -Wl,-rpath,"$PWD/build" -lpthread -o build/demo
DEMO_PORT=$port build/demo examples/demo/compose.yaml "$port"
