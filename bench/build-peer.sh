#!/usr/bin/env bash
# Builds the docker compose peer (the current docker compose, v5) from the Go
# module proxy into build/peers/docker-compose, in a throwaway module, once:
# nothing is done when the binary exists. It is never committed (build/ is
# ignored). docker compose v5.6.0 needs Go >= 1.26.10, so the go command
# fetches the go1.27.3 toolchain from the proxy; if that fails, v2.40.3 is
# built with this machine's Go instead. `go install pkg@version` refuses the
# module (it has exclude directives), hence go get + go build. The build
# takes ~10 minutes on 2 cores and gives a ~100 MB binary.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="$PWD/build/peers/docker-compose"
# A built peer is kept in a per-user cache too, so a fresh clone (CI runs in
# one) copies it instead of building it again.
CACHE=${PERRY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/perry-container}/peers/docker-compose
if [ -x "$OUT" ]; then
  echo "docker compose peer present: $OUT ($("$OUT" version --short 2>/dev/null || echo '?'))"
  exit 0
fi
mkdir -p build/peers
if [ -x "$CACHE" ]; then
  cp "$CACHE" "$OUT"
  echo "docker compose peer copied from $CACHE ($("$OUT" version --short 2>/dev/null || echo '?'))"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)
build() { # module package toolchain
  rm -f "$tmp/go.mod" "$tmp/go.sum"
  (cd "$tmp" && GOTOOLCHAIN=$3 GOFLAGS=-mod=mod go mod init peerbuild >/dev/null 2>&1 &&
    GOTOOLCHAIN=$3 GOFLAGS=-mod=mod go get "$1@$2" &&
    GOTOOLCHAIN=$3 GOFLAGS=-mod=mod go build -o "$OUT.tmp" "$1")
}
echo "building docker compose v5.6.0 from the Go module proxy (≈10 min, once) …"
if ! build github.com/docker/compose/v5/cmd v5.6.0 go1.27.3; then
  echo "v5.6.0 could not be built (toolchain go1.27.3 unavailable?); building v2.40.3 with $(go env GOVERSION)"
  build github.com/docker/compose/v2/cmd v2.40.3 local
fi
mv "$OUT.tmp" "$OUT"
mkdir -p "$(dirname "$CACHE")" && cp "$OUT" "$CACHE.tmp" && mv "$CACHE.tmp" "$CACHE"
echo "built $OUT ($("$OUT" version --short 2>/dev/null || echo '?')) in $(( $(date +%s) - start )) s"
