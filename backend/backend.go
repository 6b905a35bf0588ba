// Package backend defines the one interface every container runtime is
// reached through, and its implementations: the CLI backend over runtime
// protocols, the Engine API backend, and (in backend/fake) an in-memory
// engine for tests.
package backend

import (
	"context"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/perryts/perry-container/core"
)

// Backend is a container runtime. Every method honours ctx's deadline and
// cancellation. Errors are *core.Error: NotFound for an unknown id,
// BackendError for a failed runtime call (with its exit code and stderr).
// Implementations are safe for concurrent use.
type Backend interface {
	// Name is the runtime's canonical name ("docker", "podman", "fake", …).
	Name() string
	// Check reports whether the runtime answers.
	Check(ctx context.Context) error
	// Info describes the runtime: version, mode, isolation, strategy.
	Info(ctx context.Context) (core.BackendInfo, error)

	// Run creates and starts a container, detached. When it cannot start
	// it, the container is removed again: Run leaves a started container or
	// nothing behind.
	Run(ctx context.Context, spec *core.ContainerSpec) (core.ContainerHandle, error)
	Create(ctx context.Context, spec *core.ContainerSpec) (core.ContainerHandle, error)
	Start(ctx context.Context, id string) error
	// Stop stops a container; timeout is in seconds, nil for the runtime's default.
	Stop(ctx context.Context, id string, timeout *int) error
	// Kill sends signal to a running container's main process: a name
	// ("SIGHUP", "HUP") or a number, "" for SIGKILL (see CheckSignal). A
	// container that is not running is the runtime's BackendError.
	Kill(ctx context.Context, id, signal string) error
	// Remove removes a container with the anonymous volumes the runtime
	// made for it (named volumes stay), as docker compose down does.
	Remove(ctx context.Context, id string, force bool) error
	// Rename renames a container (compose recreate).
	Rename(ctx context.Context, id, newName string) error
	List(ctx context.Context, opts ListOptions) ([]core.ContainerInfo, error)
	Inspect(ctx context.Context, id string) (core.ContainerInfo, error)
	Logs(ctx context.Context, id string, opts LogsOptions) (core.ContainerLogs, error)
	// FollowLogs streams logs into stdout and stderr until the container
	// stops or ctx ends.
	FollowLogs(ctx context.Context, id string, opts LogsOptions, stdout, stderr io.Writer) error
	// Exec runs a command in a running container; the result's ExitCode is set.
	Exec(ctx context.Context, id string, opts ExecOptions) (core.ContainerLogs, error)
	// Wait blocks until the container exits and returns its exit code.
	Wait(ctx context.Context, id string) (int, error)

	Build(ctx context.Context, spec core.BuildSpec, image string) error
	PullImage(ctx context.Context, ref string) error
	ListImages(ctx context.Context) ([]core.ImageInfo, error)
	InspectImage(ctx context.Context, ref string) (core.ImageInfo, error)
	RemoveImage(ctx context.Context, ref string, force bool) error

	CreateNetwork(ctx context.Context, name string, cfg core.NetworkConfig) error
	InspectNetwork(ctx context.Context, name string) (core.NetworkInfo, error)
	ListNetworks(ctx context.Context, labels map[string]string) ([]core.NetworkInfo, error)
	RemoveNetwork(ctx context.Context, name string) error

	CreateVolume(ctx context.Context, name string, cfg core.VolumeConfig) error
	InspectVolume(ctx context.Context, name string) (core.VolumeInfo, error)
	ListVolumes(ctx context.Context, labels map[string]string) ([]core.VolumeInfo, error)
	RemoveVolume(ctx context.Context, name string, force bool) error
}

// ListOptions filter List.
type ListOptions struct {
	All bool // include stopped containers
	// Labels must all match: a "" value matches any value of the key.
	Labels map[string]string
}

// LogsOptions select log output.
type LogsOptions struct {
	Tail       *int   // last n lines; nil for all
	Since      string // RFC 3339 time or a Go duration ("10m")
	Timestamps bool
}

// ExecOptions describe a command to run in a container.
type ExecOptions struct {
	Cmd     []string
	Env     map[string]string
	Workdir string
	User    string
	// Privileged gives the command extended privileges (docker exec
	// --privileged; compose's lifecycle hooks ask for it). A runtime whose
	// exec cannot take it refuses it naming the field.
	Privileged bool
	// Unset are variables the command runs without, though the container
	// sets them: compose's environment entry KEY without a value, which
	// docker compose sends bare ("KEY") and the Docker engine removes. A
	// runtime whose exec cannot remove a variable refuses it naming env.
	Unset []string
}

// Features is implemented by backends whose support for optional fields
// depends on the runtime's version. A backend without it supports every
// field it accepts.
type Features interface {
	Supports(ctx context.Context, feature string) bool
}

// FeatureHealthStartInterval is healthcheck.start_interval (Engine API 1.44).
const FeatureHealthStartInterval = "healthcheck.start_interval"

// FeatureHealthcheck is a container healthcheck the runtime runs itself
// (nerdctl and apple/container run none; the compose engine then probes
// through exec instead).
const FeatureHealthcheck = "healthcheck"

// FeatureUnsetEnv is removing a variable the image sets from a container's
// environment (ContainerSpec.UnsetEnv); nerdctl's and apple/container's run
// cannot, nor can podman's Docker-compatible API.
const FeatureUnsetEnv = "unset_env"

// FeatureClassicBuild is a Build by the classic builder: the Engine API's
// /build without BuildKit, which docker compose uses, and marks on the
// image, when it has no buildx. The CLIs' builders are BuildKit, buildah,
// or not known.
const FeatureClassicBuild = "build.classic"

// Supports reports whether b supports feature.
func Supports(ctx context.Context, b Backend, feature string) bool {
	if f, ok := b.(Features); ok {
		return f.Supports(ctx, feature)
	}
	return true
}

// MatchLabels reports whether labels satisfy the filter of ListOptions.Labels.
func MatchLabels(labels, filter map[string]string) bool {
	for k, v := range filter {
		got, ok := labels[k]
		if !ok || (v != "" && got != v) {
			return false
		}
	}
	return true
}

// signalName is a signal's name, with or without SIG, real-time ones
// included (SIGRTMIN+3).
var signalName = regexp.MustCompile(`^(SIG)?[A-Z][A-Z0-9]*([+-][0-9]+)?$`)

// CheckSignal validates a Kill signal and returns it as the runtimes take
// it: "" becomes SIGKILL, names are upper-cased, numbers must be 1–64.
func CheckSignal(signal string) (string, error) {
	if signal == "" {
		return "SIGKILL", nil
	}
	if strings.Trim(signal, "0123456789") == "" {
		n, _ := strconv.Atoi(signal)
		if n < 1 || n > 64 {
			return "", core.InvalidArgument("signal", "%s is not a signal number (1–64)", signal)
		}
		return signal, nil
	}
	up := strings.ToUpper(signal)
	if !signalName.MatchString(up) || up == "SIG" {
		return "", core.InvalidArgument("signal", "%q is not a signal name (e.g. SIGHUP, TERM) or number", signal)
	}
	return up, nil
}

// Validate checks the options as every backend does before an exec: see
// core.ValidateExec.
func (o ExecOptions) Validate() error {
	if err := core.ValidateExec(o.Cmd, o.Env, o.Workdir, o.User); err != nil {
		return err
	}
	for _, k := range o.Unset {
		if err := core.ValidateEnvKey(k); err != nil {
			return err
		}
		if _, ok := o.Env[k]; ok {
			return core.InvalidArgument("env", "%q is both set and unset", k)
		}
	}
	return nil
}

// RequireID refuses an empty (or blank) id, name or reference with
// InvalidArgument naming the argument, the same on every backend: the
// Engine API would answer a less useful "value is empty", a CLI its usage.
func RequireID(arg, id string) error {
	if strings.TrimSpace(id) == "" {
		return core.InvalidArgument(arg, "is empty")
	}
	return nil
}
