package detect

import (
	"github.com/perryts/perry-container/core"
)

// Canonical backend names. They are what PERRY_CONTAINER_BACKEND accepts,
// what BackendInfo.Name and Backend.Name() report, and the
// BackendDriver variants.
const (
	AppleContainer = "apple/container"
	OrbStack       = "orbstack"
	Colima         = "colima"
	RancherDesktop = "rancher-desktop"
	Lima           = "lima"
	Podman         = "podman"
	Nerdctl        = "nerdctl"
	Docker         = "docker"
	// Fake is the in-memory engine of backend/fake. It is never probed and
	// never auto-selected; only PERRY_CONTAINER_BACKEND=fake picks it.
	Fake = "fake"
)

// Environment variables read by detection.
const (
	EnvBackend  = "PERRY_CONTAINER_BACKEND"
	EnvMode     = "PERRY_CONTAINER_MODE"
	EnvStrategy = "PERRY_CONTAINER_STRATEGY"
)

// Values of PERRY_CONTAINER_MODE and PERRY_CONTAINER_STRATEGY.
const (
	ModeLocalFirst  = "local-first"
	ModeServerFirst = "server-first"

	StrategyCLI = "cli"
	StrategyAPI = "api"
	// StrategyMemory is the fake backend's strategy (it matches fake's Info).
	StrategyMemory = "memory"
)

// BackendInfo.Mode values.
const (
	ModeLocal  = "local"
	ModeRemote = "remote"
)

var (
	darwinOrder = []string{AppleContainer, OrbStack, Colima, RancherDesktop, Lima, Podman, Nerdctl, Docker}
	otherOrder  = []string{Podman, Nerdctl, Docker}
)

// PlatformCandidates returns the probe order for a GOOS value, highest
// priority first (docs/design.md, Detection): darwin and ios share the macOS
// list; linux and windows probe podman, nerdctl, docker. Any other GOOS
// (freebsd, …) gets the Linux list, since those runtimes are the only ones
// that exist outside macOS. The result is a fresh slice the caller may keep.
func PlatformCandidates(goos string) []string {
	switch goos {
	case "darwin", "ios":
		return append([]string(nil), darwinOrder...)
	default:
		return append([]string(nil), otherOrder...)
	}
}

// AcceptedBackends lists every value PERRY_CONTAINER_BACKEND accepts: the
// eight runtimes in macOS priority order, then "fake".
func AcceptedBackends() []string {
	return append(append([]string(nil), darwinOrder...), Fake)
}

func isAcceptedBackend(name string) bool {
	for _, n := range AcceptedBackends() {
		if n == name {
			return true
		}
	}
	return false
}

// IsolationFor is the isolation a backend provides: apple/container runs each
// container in its own lightweight VM; every other runtime (and the fake,
// which imitates them) shares a kernel between containers. Unknown names get
// Container too, since every other runtime we could reach is OCI/runc-like;
// the result is therefore always a valid level.
func IsolationFor(name string) core.IsolationLevel {
	if name == AppleContainer {
		return core.IsolationMicroVM
	}
	return core.IsolationContainer
}
