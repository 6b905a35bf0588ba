#!/usr/bin/env bash
# Runs the test layers. With no argument: all of them. Layers: go, symbols,
# c (CTest: C harness, static and Python hosts), node, perry.
# Engine tests run unless PERRY_SKIP_ENGINE_TESTS=1; they fail clearly when
# the engine does not answer.
#
# Around the run, the engine's containers, networks and volumes are listed
# (labelled or not): anything the run created and did not remove fails it.
# Every skipped test is listed at the end with its reason.
set -uo pipefail
cd "$(dirname "$0")/.."
layers=${*:-go symbols c node perry}
mkdir -p build
skips=build/test-skips.txt
: >"$skips"

# The tests that mean Docker say so: auto-detection prefers podman on Linux
# when it is installed. Tests of detection set their own environment.
export PERRY_CONTAINER_BACKEND=${PERRY_CONTAINER_BACKEND:-docker}

engine_up=0
[ "${PERRY_SKIP_ENGINE_TESTS:-}" != 1 ] && docker info >/dev/null 2>&1 && engine_up=1

# snapshot prints one line per container, network and volume on Docker, and
# on podman and nerdctl when they are installed.
snapshot() {
  docker ps -aq --no-trunc | sed 's/^/container /'
  docker network ls --no-trunc --format '{{.ID}} {{.Name}}' | sed 's/^/network /'
  docker volume ls -q | sed 's/^/volume /'
  if [ "$(docker info --format '{{.Swarm.ControlAvailable}}' 2>/dev/null)" = true ]; then
    docker service ls -q | sed 's/^/swarm-service /'
    docker secret ls -q | sed 's/^/swarm-secret /'
    docker config ls -q | sed 's/^/swarm-config /'
  fi
  if command -v podman >/dev/null && podman info >/dev/null 2>&1; then
    podman ps -aq --no-trunc | sed 's/^/podman-container /'
    podman network ls -q | sed 's/^/podman-network /'
    podman volume ls -q | sed 's/^/podman-volume /'
  fi
  if command -v nerdctl >/dev/null && nerdctl --namespace perrytest info >/dev/null 2>&1; then
    nerdctl --namespace perrytest ps -aq | sed 's/^/nerdctl-container /'
    # nerdctl writes its default "bridge" network the first time a
    # container needs it, so on a fresh machine it appears during the
    # first run: it is the runtime's own, not something a test left.
    nerdctl --namespace perrytest network ls --format '{{.ID}}|{{.Name}}' |
      awk -F'|' '$1 != "" && $2 != "bridge" {print "nerdctl-network " $1}'
    nerdctl --namespace perrytest volume ls -q | sed 's/^/nerdctl-volume /'
  fi
}
before=build/engine-before.txt
[ $engine_up = 1 ] && snapshot | sort >"$before"

# The Swarm suites make the engine a single-node swarm manager when it is in
# no swarm (they never touch a swarm that exists). The engine is left as it
# was found: a swarm the run created is left again at the end, with the
# docker_gwbridge network its init made.
swarm_before=$(docker info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null || true)
gwbridge_before=$(docker network ls -q --filter name=^docker_gwbridge$ 2>/dev/null || true)
restore_swarm() {
  [ "$swarm_before" = inactive ] || return 0
  [ "$(docker info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null)" = active ] || return 0
  docker swarm leave --force >/dev/null && echo "left the single-node swarm the tests created"
  [ -z "$gwbridge_before" ] || return 0
  # For a few seconds after the leave the engine still counts the ingress
  # sandbox's endpoint on docker_gwbridge and refuses to remove it.
  local i
  for i in $(seq 1 60); do
    docker network rm docker_gwbridge >/dev/null 2>&1 && return 0
    docker network inspect docker_gwbridge >/dev/null 2>&1 || return 0
    sleep 0.5 # polling the engine's state, not synchronising with a test
  done
  echo "warning: docker_gwbridge (made by the tests' swarm init) could not be removed: the engine still holds an endpoint on it" >&2
}

trap 'bash tests/sweep.sh; bash tests/runtimes/sweep.sh; restore_swarm' EXIT
rc=0
for layer in $layers; do
  echo "=== layer: $layer"
  case $layer in
    go)
      # The differential suite (tests/diff, 20 sampled scenarios here; `make
      # test-diff` runs all) compares perry-compose with docker compose v5.6.0,
      # built once from the Go module proxy.
      if [ $engine_up = 1 ]; then bash bench/build-peer.sh || rc=1; fi
      # -race where it matters: the ffi, the backends and the engines.
      # The fault-injection matrix (tests/fault) runs apart, sampling every
      # 5th failure point (-short), to keep CI well inside its time budget;
      # run it in full with: go test -race ./tests/fault/
      go test -json -race -count=1 -timeout 20m $(go list ./... | grep -v '/tests/fault$') 2>&1 |
        python3 tests/gotest-summary.py "$skips" || rc=1
      go test -json -race -count=1 -short -timeout 25m ./tests/fault/ 2>&1 |
        python3 tests/gotest-summary.py "$skips" || rc=1 ;;
    symbols)
      bash tests/check-symbols.sh build/libperrycontainer.so include/perry_container.h || rc=1 ;;
    c|hosts)
      cmake -S . -B build/ctest -DPERRY_PREBUILT_DIR="$PWD/build" >/dev/null &&
        cmake --build build/ctest -j2 >/dev/null &&
        (cd build/ctest && ctest --output-on-failure) 2>&1 | tee build/ctest.log || rc=1
      grep -sE '\*\*\*Skipped|\*\*\*Not Run' build/ctest.log | sed 's/^/ctest: /' >>"$skips" ;;
    node)
      # The TypeScript module through the Node-API addon: every function over
      # the fake, 10,000 concurrent promises, then the usage examples on the
      # engine.
      bash tests/node/run.sh fake || rc=1
      bash tests/node/run.sh engine || rc=1 ;;
    perry)
      # The Perry package's C adapter against the model of Perry's runtime.
      bash packaging/perry/test/run.sh all || rc=1 ;;
    *) echo "unknown layer $layer" >&2; rc=1 ;;
  esac
done

# Every test removes what it created. What is left now leaked: it is named,
# swept (labelled perry.test=1), and the run fails.
if [ $engine_up = 1 ]; then
  after=build/engine-after.txt
  snapshot | sort >"$after"
  # The networks of a swarm the run created go with the swarm, below.
  [ "$swarm_before" = inactive ] && sed -i -E '/^network \S+ (ingress|docker_gwbridge)$/d' "$after"
  leaked=$(comm -13 "$before" "$after")
  if [ -n "$leaked" ]; then
    echo "error: the tests left these on the engine:" >&2
    while read -r kind id _; do
      case $kind in
        container) desc=$(docker inspect -f '{{.Name}} image={{.Config.Image}} labels={{json .Config.Labels}}' "$id" 2>/dev/null) ;;
        network) desc=$(docker network inspect -f '{{.Name}} labels={{json .Labels}}' "$id" 2>/dev/null) ;;
        volume) desc=$(docker volume inspect -f '{{.Name}} labels={{json .Labels}}' "$id" 2>/dev/null) ;;
        swarm-service) desc=$(docker service inspect -f '{{.Spec.Name}} labels={{json .Spec.Labels}}' "$id" 2>/dev/null) ;;
        *) desc="" ;;
      esac
      echo "  $kind $id ${desc:-}" >&2
    done <<<"$leaked"
    rc=1
  fi
fi
bash tests/sweep.sh
bash tests/runtimes/sweep.sh
restore_swarm

if [ -s "$skips" ]; then
  echo "=== skipped tests ($(wc -l <"$skips")):"
  sed 's/^/  /' "$skips"
else
  echo "=== skipped tests: none"
fi
exit $rc
