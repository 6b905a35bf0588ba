package detect

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"path/filepath"
	"strings"
)

// Where a Docker host came from (DockerHost's source).
const (
	SourceDockerHost = "DOCKER_HOST"
	SourceDefault    = "default"
	// A context source is "context <name>".
)

// DockerHost resolves the Docker endpoint the docker CLI itself would use,
// with the same precedence as docker/cli's resolveContextName: DOCKER_HOST,
// then DOCKER_CONTEXT, then currentContext in $DOCKER_CONFIG/config.json
// (default ~/.docker), then the platform default socket. The Go client's
// FromEnv reads only DOCKER_HOST, yet OrbStack, Colima, Rancher Desktop and
// Docker Desktop configure a context, so without this the library would miss
// the engine the user's own docker CLI talks to.
//
// A context that is named but cannot be read is an error, as it is for the
// docker CLI: silently falling back to the default socket could pick a
// different engine than the one the user chose.
func DockerHost(sys System) (host, source string, err error) {
	if h := sys.Getenv("DOCKER_HOST"); h != "" {
		return h, SourceDockerHost, nil
	}
	dir, err := dockerConfigDir(sys)
	if err != nil {
		return "", "", err
	}
	name := sys.Getenv("DOCKER_CONTEXT")
	if name == "" {
		data, err := sys.ReadFile(filepath.Join(dir, "config.json"))
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return "", "", fmt.Errorf("docker config: %w", err)
		default:
			var cfg struct {
				CurrentContext string `json:"currentContext"`
			}
			if err := json.Unmarshal(data, &cfg); err != nil {
				return "", "", fmt.Errorf("docker config %s: %w", filepath.Join(dir, "config.json"), err)
			}
			name = cfg.CurrentContext
		}
	}
	if name == "" || name == "default" {
		return defaultDockerHost(sys.GOOS()), SourceDefault, nil
	}
	h, err := contextHost(sys, dir, name)
	if err != nil {
		return "", "", err
	}
	return h, "context " + name, nil
}

func dockerConfigDir(sys System) (string, error) {
	if d := sys.Getenv("DOCKER_CONFIG"); d != "" {
		return d, nil
	}
	home, err := sys.HomeDir()
	if err != nil {
		return "", fmt.Errorf("home directory: %w", err)
	}
	return filepath.Join(home, ".docker"), nil
}

// contextHost reads the docker endpoint of a named context. The docker CLI
// stores each context under contexts/meta/<sha256(name)>/meta.json so that
// any name is a safe directory name.
func contextHost(sys System, configDir, name string) (string, error) {
	sum := sha256.Sum256([]byte(name))
	path := filepath.Join(configDir, "contexts", "meta", hex.EncodeToString(sum[:]), "meta.json")
	data, err := sys.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("docker context %q: %w", name, err)
	}
	var meta struct {
		Endpoints map[string]struct {
			Host string `json:"Host"`
		} `json:"Endpoints"`
	}
	if err := json.Unmarshal(data, &meta); err != nil {
		return "", fmt.Errorf("docker context %q: %s: %w", name, path, err)
	}
	h := meta.Endpoints["docker"].Host
	if h == "" {
		return "", fmt.Errorf("docker context %q has no docker endpoint", name)
	}
	return h, nil
}

func defaultDockerHost(goos string) string {
	if goos == "windows" {
		return "npipe:////./pipe/docker_engine"
	}
	return "unix:///var/run/docker.sock"
}

// IsRemoteHost reports whether a Docker/Podman host URL reaches the daemon
// over the network (tcp, http, https, ssh). Such a host is "remote" in
// BackendInfo.Mode even when it points at 127.0.0.1: that is what a
// forwarded daemon socket looks like. unix and npipe
// are local.
func IsRemoteHost(host string) bool {
	switch scheme(host) {
	case "tcp", "http", "https", "ssh":
		return true
	}
	return false
}

func scheme(host string) string {
	if i := strings.Index(host, "://"); i > 0 {
		return strings.ToLower(host[:i])
	}
	return ""
}

func modeOf(host string) string {
	if IsRemoteHost(host) {
		return ModeRemote
	}
	return ModeLocal
}

// hostAddr turns a Docker host URL into what Dial takes.
func hostAddr(host string) (network, addr string, err error) {
	switch scheme(host) {
	case "unix":
		return "unix", host[len("unix://"):], nil
	case "npipe":
		// npipe:////./pipe/docker_engine → \\.\pipe\docker_engine
		return "npipe", strings.ReplaceAll(host[len("npipe://"):], "/", `\`), nil
	case "tcp", "http", "https":
		u, err := url.Parse(host)
		if err != nil {
			return "", "", fmt.Errorf("docker host %q: %w", host, err)
		}
		h := u.Host
		if u.Port() == "" {
			port := "2375"
			if u.Scheme == "https" {
				port = "2376"
			}
			h = net.JoinHostPort(u.Hostname(), port)
		}
		return "tcp", h, nil
	case "ssh":
		return "", "", fmt.Errorf("docker host %q: ssh hosts are reached through the docker CLI, not dialled", host)
	}
	return "", "", fmt.Errorf("docker host %q: unsupported scheme (want unix://, tcp://, npipe:// or ssh://)", host)
}

// unixHost is the Docker host URL of a socket path.
func unixHost(path string) string { return "unix://" + path }
