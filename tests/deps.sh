#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need, when missing.
set -euo pipefail
need=()
command -v cmake >/dev/null || need+=(cmake)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v gcc >/dev/null || need+=(gcc)
command -v python3 >/dev/null || need+=(python3)
command -v curl >/dev/null || need+=(curl)
dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
command -v tsc >/dev/null || need+=(node-typescript)  # the d.ts type check
command -v node >/dev/null && [ -f /usr/include/node/node_api.h ] || need+=(nodejs) # the Node host
command -v tmux >/dev/null || need+=(tmux)            # the installer's terminal tests
command -v docker-compose >/dev/null || need+=(docker-compose) # reference client in tests
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
command -v go >/dev/null || { echo "error: Go is not installed (need Go >= 1.26)" >&2; exit 1; }
