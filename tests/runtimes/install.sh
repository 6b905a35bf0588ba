#!/usr/bin/env bash
# Installs and configures podman and nerdctl beside the Docker Engine, so the
# contract and engine suites can run live on three runtimes. Idempotent: a
# second run only checks (a few seconds). It never touches the Docker
# Engine's own state: nerdctl talks to Docker's containerd in a namespace of
# its own ("perrytest"), never in "moby".
#
#   bash tests/runtimes/install.sh            # podman + nerdctl
#   RUNTIMES=podman bash tests/runtimes/install.sh
#
# Measured limits of this kind of machine, and what they force:
#   - the hard open-files limit is 20000 and CAP_SYS_RESOURCE is missing, so
#     podman's default rlimits (1048576) are refused: default_ulimits = [];
#   - crun cannot run on the hybrid cgroup v1 host: runtime = "runc";
#   - there is no systemd: cgroupfs and a file events logger.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/usr/local/go/bin"

RUNTIMES=${RUNTIMES:-podman nerdctl}
NERDCTL_VERSION=${NERDCTL_VERSION:-v2.0.3}
NERDCTL_BIN=${NERDCTL_BIN:-/usr/local/bin/nerdctl}
NERDCTL_NAMESPACE=perrytest
CONTAINERD_SOCK=${CONTAINERD_SOCK:-/var/run/docker/containerd/containerd.sock}
PODMAN_SOCK=/run/podman/podman.sock
IMAGE=perry-test/busybox:latest
STATE=${PERRY_RUNTIMES_STATE:-/var/lib/perry-runtimes}   # logs of the podman API service

SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
log() { echo "runtimes: $*"; }

apt_install() {
  local need=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
  [ ${#need[@]} -eq 0 ] && return 0
  log "installing ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}

# docker_id prints the local test image's id (sha256:…), or fails.
docker_id() { docker image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null; }

install_podman() {
  apt_install podman runc catatonit slirp4netns uidmap aardvark-dns netavark
  # A drop-in of our own, so an administrator's containers.conf stays theirs.
  $SUDO mkdir -p /etc/containers/containers.conf.d
  local conf=/etc/containers/containers.conf.d/50-perry-tests.conf
  local want
  want=$(cat <<'EOF'
# Written by perry-container's tests/runtimes/install.sh (see its header).
[containers]
default_ulimits = []

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
)
  if [ "$(cat "$conf" 2>/dev/null)" != "$want" ]; then
    printf '%s\n' "$want" | $SUDO tee "$conf" >/dev/null
    log "wrote $conf"
  fi
  # Docker pulls from registries on loopback addresses over plain HTTP;
  # podman's CLI is told per pull, its API service only by this file.
  local reg=/etc/containers/registries.conf.d/50-perry-tests.conf restart=""
  want=$(cat <<'EOF'
# Written by perry-container's tests/runtimes/install.sh: registries on
# loopback addresses speak plain HTTP, as Docker assumes by default.
[[registry]]
location = "127.0.0.1"
insecure = true

[[registry]]
location = "localhost"
insecure = true
EOF
)
  $SUDO mkdir -p "$(dirname "$reg")"
  if [ "$(cat "$reg" 2>/dev/null)" != "$want" ]; then
    printf '%s\n' "$want" | $SUDO tee "$reg" >/dev/null
    log "wrote $reg"
    restart=1
  fi
  podman info >/dev/null || { echo "error: podman info fails after configuration" >&2; return 1; }

  local id
  if id=$(docker_id); then
    if [ "$(podman image inspect -f '{{.Id}}' "localhost/$IMAGE" 2>/dev/null)" != "${id#sha256:}" ]; then
      log "loading $IMAGE into podman"
      docker save "$IMAGE" | podman load -q >/dev/null
    fi
  else
    log "warning: $IMAGE is not in Docker (make test-image); podman has no test image"
  fi

  # The Docker-compatible API socket (backend/api runs its suite against it).
  # The service reads the registries configuration once: restart ours when
  # it changed.
  local pidfile=$STATE/podman-service.pid
  # conmon starts in the service's working directory: a service started from
  # a directory removed since (an earlier CI copy) fails every container
  # start with "write child: broken pipe". Restart such a service.
  if [ -z "$restart" ] && [ -s "$pidfile" ] && [[ "$(readlink "/proc/$(cat "$pidfile")/cwd" 2>/dev/null)" == *" (deleted)" ]]; then
    restart="its working directory was removed"
  fi
  if [ -n "$restart" ] && [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    log "restarting podman system service (${restart/#1/configuration changed})"
    kill "$(cat "$pidfile")"
    for _ in $(seq 1 50); do kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 0.1; done
  fi
  if ! curl -fsS --max-time 2 --unix-socket "$PODMAN_SOCK" http://d/_ping >/dev/null 2>&1; then
    $SUDO mkdir -p "$(dirname "$PODMAN_SOCK")" "$STATE"
    rm -f "$PODMAN_SOCK"
    log "starting podman system service on $PODMAN_SOCK"
    # From /, which outlives any checkout (see above).
    (cd / && exec setsid nohup podman system service -t 0 "unix://$PODMAN_SOCK" >"$STATE/podman-service.log" 2>&1 </dev/null) &
    echo $! >"$pidfile"
    for _ in $(seq 1 50); do
      curl -fsS --max-time 1 --unix-socket "$PODMAN_SOCK" http://d/_ping >/dev/null 2>&1 && break
      sleep 0.2
    done
    curl -fsS --max-time 2 --unix-socket "$PODMAN_SOCK" http://d/_ping >/dev/null \
      || { echo "error: podman API socket does not answer; see $STATE/podman-service.log" >&2; return 1; }
  fi
  log "podman $(podman version -f '{{.Client.Version}}') ready (API unix://$PODMAN_SOCK)"
}

install_nerdctl() {
  apt_install containernetworking-plugins iptables
  if ! "$NERDCTL_BIN" --version 2>/dev/null | grep -q "${NERDCTL_VERSION#v}"; then
    log "building nerdctl $NERDCTL_VERSION from the Go module proxy (about a minute)"
    local mod src tmp
    mod=github.com/containerd/nerdctl/v2@$NERDCTL_VERSION
    src=$(GOFLAGS=-mod=mod go mod download -json "$mod" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    [ -d "$src" ] || { echo "error: go mod download $mod gave no directory" >&2; return 1; }
    tmp=$(mktemp -d)
    # The RETURN trap outlives this function: clear it as it runs, or it
    # fires again where $tmp is unset (set -u) once a caller returns.
    trap 'rm -rf "$tmp"; trap - RETURN' RETURN
    cp -r "$src/." "$tmp/"
    chmod -R u+w "$tmp"
    (cd "$tmp" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/containerd/nerdctl/v2/pkg/version.Version=$NERDCTL_VERSION" -o nerdctl ./cmd/nerdctl)
    $SUDO install -m 0755 "$tmp/nerdctl" "$NERDCTL_BIN"
  fi
  $SUDO mkdir -p /etc/nerdctl
  local conf=/etc/nerdctl/nerdctl.toml want
  want=$(cat <<EOF
# Written by perry-container's tests/runtimes/install.sh: Docker's own
# containerd, in a namespace of ours (Docker's is "moby" and stays untouched).
address = "unix://$CONTAINERD_SOCK"
namespace = "$NERDCTL_NAMESPACE"
cni_path = "/usr/lib/cni"
EOF
)
  if [ "$(cat "$conf" 2>/dev/null)" != "$want" ]; then
    printf '%s\n' "$want" | $SUDO tee "$conf" >/dev/null
    log "wrote $conf"
  fi
  "$NERDCTL_BIN" info >/dev/null || { echo "error: nerdctl info fails (containerd at $CONTAINERD_SOCK?)" >&2; return 1; }

  local id
  if id=$(docker_id); then
    if [ "$("$NERDCTL_BIN" image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null)" != "$id" ]; then
      log "loading $IMAGE into nerdctl (namespace $NERDCTL_NAMESPACE)"
      docker save "$IMAGE" | "$NERDCTL_BIN" load -q >/dev/null
    fi
  else
    log "warning: $IMAGE is not in Docker (make test-image); nerdctl has no test image"
  fi
  log "nerdctl $("$NERDCTL_BIN" --version | awk '{print $3}') ready (namespace $NERDCTL_NAMESPACE)"
}

for r in $RUNTIMES; do
  case $r in
    podman) install_podman ;;
    nerdctl) install_nerdctl ;;
    *) echo "error: unknown runtime $r (podman, nerdctl)" >&2; exit 2 ;;
  esac
done
