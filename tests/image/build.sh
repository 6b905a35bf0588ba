#!/usr/bin/env bash
# Builds perry-test/busybox:latest FROM scratch with Debian's busybox-static.
# Idempotent: does nothing when the image exists (set FORCE=1 to rebuild).
set -euo pipefail
IMAGE=${IMAGE:-perry-test/busybox:latest}
if [ -z "${FORCE:-}" ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "test image $IMAGE present"; exit 0
fi
BB=/bin/busybox
if ! [ -x "$BB" ] || ! file -L "$BB" 2>/dev/null | grep -q 'statically linked'; then
  BB=$(dpkg -L busybox-static 2>/dev/null | grep -m1 '/busybox$' || true)
fi
[ -n "$BB" ] && [ -x "$BB" ] || { echo "busybox-static is not installed (apt-get install busybox-static)" >&2; exit 1; }
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cp "$(dirname "$0")/Dockerfile" "$ctx/"
cp "$BB" "$ctx/busybox"
DOCKER_BUILDKIT=0 docker build -q -t "$IMAGE" "$ctx" >/dev/null
echo "built test image $IMAGE"
