// Package api is the Engine API backend (docs/design.md, Two execution strategies): it talks to any
// Docker-compatible socket — Docker, a podman service, OrbStack, Colima —
// through github.com/moby/moby/client instead of exec'ing a CLI per call.
//
// The client negotiates the API version with the engine on first use, so one
// binary speaks to engines from API 1.40 (Docker 19.03) up to the client's
// maximum. A ContainerSpec field the negotiated version cannot express is
// rejected with InvalidArgument naming the field; nothing is dropped silently.
package api

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
	"github.com/moby/moby/client/pkg/versions"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// Backend is a backend.Backend over the Engine API. It is safe for
// concurrent use; the zero value is not usable, call New.
type Backend struct {
	cli  *client.Client
	name string
	host string // the DOCKER_HOST-style URL actually dialled

	// mu guards version: the negotiated API version, read once after the
	// first successful negotiation so that version-gated fields (e.g.
	// healthcheck start_interval) can be checked without a ping per call.
	mu      sync.Mutex
	version string
}

var _ backend.Backend = (*Backend)(nil)

// New connects to the engine at host, a DOCKER_HOST-style URL
// ("unix:///var/run/docker.sock", "tcp://127.0.0.1:2375"). An empty host
// takes everything from the environment (DOCKER_HOST, DOCKER_TLS_VERIFY,
// DOCKER_CERT_PATH, DOCKER_API_VERSION) the way the docker CLI does. name is
// the runtime name Name() reports ("docker", "podman", "orbstack", …).
//
// New does no I/O: an engine that does not answer is reported by Check or by
// the first call. The caller should Close the backend when done.
func New(host, name string) (*Backend, error) {
	if name == "" {
		name = "docker"
	}
	var opts []client.Opt
	if host == "" {
		opts = append(opts, client.FromEnv)
	} else {
		u, err := client.ParseHostURL(host)
		if err != nil {
			return nil, core.InvalidArgument("host", "%v", err)
		}
		if u.Scheme == "ssh" {
			// The Go client cannot dial ssh:// (it needs the docker CLI's
			// connhelper); the CLI strategy handles those hosts.
			return nil, core.InvalidArgument("host", "%s: ssh:// hosts are not supported by the API backend; use the CLI strategy", host)
		}
		if u.Scheme == "tcp" || u.Scheme == "http" || u.Scheme == "https" {
			// TLS settings only make sense for TCP; the option replaces the
			// HTTP client, so it must come before WithHost configures it.
			opts = append(opts, client.WithTLSClientConfigFromEnv())
		}
		opts = append(opts, client.WithHost(host), client.WithAPIVersionFromEnv())
	}
	cli, err := client.New(opts...)
	if err != nil {
		if host == "" {
			return nil, core.Errorf(core.KindInvalidConfiguration, "docker environment (DOCKER_HOST, DOCKER_CERT_PATH, DOCKER_API_VERSION): %v", err)
		}
		return nil, core.InvalidArgument("host", "%v", err)
	}
	return &Backend{cli: cli, name: name, host: cli.DaemonHost()}, nil
}

// Close releases the client's idle connections. Streams still open (a
// FollowLogs in progress) end when their contexts do.
func (b *Backend) Close() error { return b.cli.Close() }

// Name is the runtime name given to New.
func (b *Backend) Name() string { return b.name }

// Check pings the engine and negotiates the API version.
func (b *Backend) Check(ctx context.Context) error {
	_, err := b.apiVersion(ctx)
	return err
}

// Info describes the engine: its version, whether it is local (a unix socket
// or named pipe) or remote (TCP), and how it is reached.
func (b *Backend) Info(ctx context.Context) (core.BackendInfo, error) {
	v, err := b.cli.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		return core.BackendInfo{}, b.engineError(err, "", "")
	}
	return core.BackendInfo{
		Name:           b.name,
		Available:      true,
		Version:        v.Version,
		Mode:           modeOf(b.host),
		IsolationLevel: core.IsolationContainer,
		Strategy:       "api",
		Endpoint:       b.host,
	}, nil
}

// modeOf is "local" for sockets and pipes on this machine, "remote" for
// anything reached over the network — even a TCP port on 127.0.0.1, since
// bind mounts and build contexts then go through the wire, not the disk.
func modeOf(host string) string {
	u, err := url.Parse(host)
	if err != nil {
		return "remote"
	}
	switch u.Scheme {
	case "unix", "npipe", "fd":
		return "local"
	}
	return "remote"
}

// Supports reports the version-dependent features of the engine, and what
// podman's Docker-compatible API cannot do.
func (b *Backend) Supports(ctx context.Context, feature string) bool {
	switch feature {
	case backend.FeatureUnsetEnv:
		return !b.podman()
	case backend.FeatureClassicBuild:
		return true // Build sends no builder version: the daemon's classic one
	case backend.FeatureWriteFiles:
		return true
	}
	v, err := b.apiVersion(ctx)
	if err != nil || v == "" {
		return true // unknown: let Create say what the engine refuses
	}
	switch feature {
	case backend.FeatureHealthStartInterval:
		return !versions.LessThan(v, "1.44")
	}
	return true
}

// apiVersion negotiates once and returns the API version in use.
func (b *Backend) apiVersion(ctx context.Context) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.version != "" {
		return b.version, nil
	}
	if _, err := b.cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		return "", b.engineError(err, "", "")
	}
	b.version = b.cli.ClientVersion()
	return b.version, nil
}

// engineError converts an error of the moby client into a *core.Error. kind
// and id name the object the call was about: the engine's 404 becomes
// core.NotFound(kind, id) so the message names what the caller asked for.
// Other engine failures are BackendErrors carrying the engine's own message.
func (b *Backend) engineError(err error, kind, id string) error {
	if err == nil {
		return nil
	}
	var ce *core.Error
	if errors.As(err, &ce) {
		return ce
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return core.AsError(err)
	}
	msg := engineMessage(err)
	switch {
	case kind != "" && cerrdefs.IsNotFound(err):
		// A 404 may be about another object than the one asked for: the
		// engine (before API 1.44) checks networks only when a container
		// starts, and says "network X not found".
		if n, ok := backend.MissingNetwork(msg); ok && kind != "network" {
			kind, id = "network", n
		}
		nf := core.NotFound(kind, id).With("engineMessage", msg).With("backend", b.name)
		nf.Err = err
		return nf
	case client.IsErrConnectionFailed(err):
		e := &core.Error{Kind: core.KindBackendNotAvailable, Message: fmt.Sprintf("%s engine at %s is not available: %s", b.name, b.host, msg), Err: err}
		return e.With("backend", b.name).With("endpoint", b.host)
	}
	e := (&core.Error{Kind: core.KindBackendError, Message: msg, Err: err}).With("backend", b.name)
	if cerrdefs.IsConflict(err) && id != "" {
		e = e.With("conflict", id)
	}
	return e
}

// engineMessage is the engine's message without the client's decoration.
func engineMessage(err error) string {
	return strings.TrimPrefix(err.Error(), "Error response from daemon: ")
}

// requireID refuses an empty id before the client rejects it with a less
// useful "value is empty".
func requireID(kind, id string) error { return backend.RequireID(kind, id) }
