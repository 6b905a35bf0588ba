#!/usr/bin/env bash
# Builds the Perry adapter's archive into build/perry/ and tests it against
# the model of Perry's runtime (test/perry_model.c): the model's own rules
# first, then the adapter's flows on the fake backend and on the engine.
#   packaging/perry/test/run.sh [fake|engine|all]   (default all)
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
build=${BUILD:-$root/build}
out=$build/perry
pkg=$root/packaging/perry
cc=${CC:-cc}
cflags=(-std=c11 -D_POSIX_C_SOURCE=200809L -O2 -g -Wall -Wextra -Werror -I"$root/include" -I"$root/node" -I"$pkg/adapter" -I"$pkg/test")
[ -f "$build/libperrycontainer.so" ] || { echo "packaging/perry/test/run.sh: $build/libperrycontainer.so is missing: run make all first" >&2; exit 1; }
mkdir -p "$out"

# The adapter archive a Perry package links (targets.linux.prebuilt).
$cc "${cflags[@]}" -fPIC -c "$pkg/adapter/perry_container_perry.c" -o "$out/perry_container_perry.o"
rm -f "$out/libperrycontainer_perry.a"
ar rcs "$out/libperrycontainer_perry.a" "$out/perry_container_perry.o"

$cc "${cflags[@]}" "$pkg/test/model_selftest.c" "$pkg/test/perry_model.c" -lpthread -o "$out/model_selftest"
$cc "${cflags[@]}" "$pkg/test/flows.c" "$pkg/test/perry_model.c" "$out/libperrycontainer_perry.a" \
  -L"$build" -lperrycontainer -lpthread -Wl,-rpath,"$build" -o "$out/flows"

fail=0
# The model enforces Perry's rules: breaking one aborts (status 134).
for c in offthread:134 twice:134 stuck:134 moved:0 ends:0; do
  name=${c%%:*} want=${c##*:}
  set +e; "$out/model_selftest" "$name" 2>/dev/null; got=$?; set -e
  if [ "$got" = "$want" ]; then echo "ok model rule: $name ($got)"; else echo "FAIL model rule: $name: exit $got, want $want"; fail=1; fi
done

mode=${1:-all}
if [ "$mode" = fake ] || [ "$mode" = all ]; then
  PERRY_CONTAINER_BACKEND=fake "$out/flows" fake || fail=1
fi
if [ "$mode" = engine ] || [ "$mode" = all ]; then
  if [ "${PERRY_SKIP_ENGINE_TESTS:-}" = 1 ]; then echo "perry adapter engine flows skipped (PERRY_SKIP_ENGINE_TESTS=1)"
  else
    export PERRY_CONTAINER_BACKEND=${PERRY_CONTAINER_BACKEND:-docker}
    cli=docker; [ "$PERRY_CONTAINER_BACKEND" = podman ] && cli=podman
    "$out/flows" engine || fail=1
    # A program that ends with a stack up: the adapter's exit handler tears it down.
    "$out/flows" leave-up || fail=1
    left=$($cli ps -aq --filter label=com.docker.compose.project=perry-adapter-leave-up)
    if [ -z "$left" ]; then echo "ok exit teardown: nothing left of perry-adapter-leave-up"
    else echo "FAIL exit teardown: left $left"; fail=1; fi
  fi
fi
exit $fail
