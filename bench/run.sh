#!/usr/bin/env bash
# Benchmarks: figures and ratios taken in one run, never timed
# assertions. `make bench` runs this after building the library and the test
# image. Builds what is missing (the docker compose peer: ≈10 min, once),
# then runs bench/cmd/perrybench, which prints one table and writes
# bench/results.md. BENCH_RUNS (default 5) sets the runs per figure,
# BENCH_ONLY a comma-separated subset (up10,up50,up50p4,health,ps,logs,
# config,detect,ffi,swarm,node), BENCH_FULL=1 adds our CLI strategy and docker-compose
# v1 on the 50-service stacks, BENCH_PROFILE=1 also profiles our engine.
# On an idle 2-core machine the suite takes ≈20 min (plus the peer build
# once); under load it takes longer.
set -euo pipefail
cd "$(dirname "$0")/.."
# The suite measures the Docker Engine unless told otherwise: detection
# prefers podman on Linux when it is installed.
export PERRY_CONTAINER_BACKEND=${PERRY_CONTAINER_BACKEND:-docker}
mkdir -p build/bench
t0=$(date +%s)

bash bench/build-peer.sh || echo "warning: the docker compose peer could not be built; its rows will be missing" >&2

# perry-compose is measured when it builds (it may be mid-rewrite).
if ! make -s build/perry-compose; then
  echo "warning: cmd/perry-compose does not build; the perry-compose rows are skipped" >&2
  rm -f build/perry-compose
fi

echo "== building the benchmarks"
gcc -O2 -std=c11 -D_GNU_SOURCE -Iinclude -Itests/c tests/c/bench_ffi.c -Lbuild -lperrycontainer \
  -Wl,-rpath,"$PWD/build" -lpthread -o build/bench/bench_ffi
gcc -O2 -std=c11 -D_GNU_SOURCE tests/c/bench_dlopen.c -ldl -o build/bench/bench_dlopen
go build -o build/bench/perrybench ./bench/cmd/perrybench

# Whatever happens, leave nothing behind.
trap 'build/bench/perrybench clean >/dev/null 2>&1 || true' EXIT

full=false
[ "${BENCH_FULL:-}" = 1 ] && full=true
build/bench/perrybench suite -v -runs "${BENCH_RUNS:-5}" -only "${BENCH_ONLY:-}" -full=$full -out bench/results.md
if [ "${BENCH_PROFILE:-}" = 1 ]; then
  build/bench/perrybench profile -out build/bench/profile
fi
# The Node host: async round trip (JS call → promise settled) and throughput
# with 1,000 in flight, raw addon vs the TypeScript layer, and a followed
# log's lines/s (medians and ratios taken in one run, on the fake).
if [ -z "${BENCH_ONLY:-}" ] || [[ ",${BENCH_ONLY}," == *",node,"* ]]; then
  echo "== node"
  if make -s node >/dev/null; then
    bash tests/node/run.sh bench | tee build/bench/node.txt
  else
    echo "warning: make node failed; the Node figures are skipped" >&2
  fi
fi
if [ -z "${BENCH_ONLY:-}" ] || [[ ",${BENCH_ONLY}," == *",runtimes,"* ]]; then bash bench/runtimes.sh | tee build/bench/runtimes.txt || echo "warning: bench/runtimes.sh (podman, nerdctl) failed" >&2; fi
echo "bench: $(( $(date +%s) - t0 )) s in all"
