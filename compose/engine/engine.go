// Package engine is perry-container's compose engine: it brings a loaded
// compose project (compose-go's *types.Project) up and down over any
// backend.Backend.
//
// Every command follows docker compose's convergence design: observe the
// project's resources by label, plan
// a DAG of single backend operations with a pure planner (plan.go,
// reconcile.go), then execute the DAG in parallel (executor.go). A service
// starts as soon as its own dependencies satisfy their conditions; there are
// no level barriers. A failed up removes exactly what it created. Names and
// labels are docker compose's, and healthchecks are emulated through exec on
// runtimes that do not run them. docs/design.md (Scheduling, Rollback, Names
// and labels, Healthchecks everywhere) says why.
package engine

import (
	"maps"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// Engine runs one compose project on one backend. Its methods are safe for
// concurrent use; the project must not be modified while the engine lives.
type Engine struct {
	backend backend.Backend
	project *types.Project

	parallel     int
	events       func(Event)
	eventsMu     sync.Mutex // serialises the hook so implementations need no locking
	extraLabels  map[string]string
	pollInterval time.Duration
	healthMode   HealthEmulation
	stateDir     string
	rollbackTime time.Duration
	shared       *Recorder     // WithRecorder
	lockTimeout  time.Duration // WithLockTimeout; 0: PERRY_COMPOSE_LOCK_TIMEOUT or DefaultLockTimeout (lock.go)

	infoOnce sync.Once
	infoName string // the backend's Info().Name, for podman under HealthEmulationAuto

	health *healthTracker // emulated health states, by container id

	featuresOnce sync.Once
	features     map[string]bool // backend.Supports, by feature (supports)

	hookOutput func(service, container, stream, line string) // WithHookOutput; nil: dropped
}

// Option configures an Engine.
type Option func(*Engine)

// WithParallel bounds how many backend operations run at once; n <= 0 means
// unlimited. It overrides COMPOSE_PARALLEL_LIMIT. Waiting for a dependency
// never holds a slot, so a limit of 1 cannot deadlock.
func WithParallel(n int) Option { return func(e *Engine) { e.parallel = n } }

// WithEvents sets the progress hook. Calls are serialised; fn must not call
// back into the engine.
func WithEvents(fn func(Event)) Option {
	return func(e *Engine) {
		if fn != nil {
			e.events = fn
		}
	}
}

// WithLabels adds labels to every container, network and volume the engine
// creates (tests mark their resources this way). Compose labels win over
// these on conflict.
func WithLabels(labels map[string]string) Option {
	return func(e *Engine) {
		maps.Copy(e.extraLabels, labels)
	}
}

// WithPollInterval sets how often container states are polled while waiting
// for a dependency; it is capped at 100 ms (docs/design.md, Scheduling).
func WithPollInterval(d time.Duration) Option {
	return func(e *Engine) {
		if d > 0 && d < maxPollInterval {
			e.pollInterval = d
		}
	}
}

// HealthEmulation selects when the engine runs healthchecks itself (docs/design.md, Healthchecks everywhere).
type HealthEmulation int

const (
	// HealthEmulationAuto emulates when the backend reports no healthcheck
	// support (apple/container, nerdctl and lima) and on podman on a Linux
	// host without systemd, whenever the runtime reports no health or
	// "starting" for a container whose service has a healthcheck.
	HealthEmulationAuto HealthEmulation = iota
	// HealthEmulationAlways emulates whenever the runtime reports no health
	// for a container whose service has a healthcheck.
	HealthEmulationAlways
	// HealthEmulationNever trusts the runtime only.
	HealthEmulationNever
)

// WithHealthEmulation selects the healthcheck emulation mode.
func WithHealthEmulation(m HealthEmulation) Option { return func(e *Engine) { e.healthMode = m } }

// WithStateDir sets the directory under which each project's private state
// directory is made (default: the system's temporary directory). That
// directory holds the files the engine writes before bind-mounting them or
// handing them to the runtime (secret and config files with inline or
// environment content, inline seccomp profiles); Down removes it.
func WithStateDir(dir string) Option { return func(e *Engine) { e.stateDir = dir } }

// WithRollbackTimeout bounds the rollback of a failed up (default 2 min).
func WithRollbackTimeout(d time.Duration) Option {
	return func(e *Engine) {
		if d > 0 {
			e.rollbackTime = d
		}
	}
}

const (
	maxPollInterval     = 100 * time.Millisecond
	defaultRollbackTime = 2 * time.Minute
)

// New returns an engine for project p over backend b. The project is read,
// never modified. Errors in the project (cycles, unsupported fields) are
// reported by the commands, which all validate first.
func New(b backend.Backend, p *types.Project, opts ...Option) *Engine {
	e := &Engine{
		backend:      b,
		project:      p,
		parallel:     parallelFromEnv(),
		events:       func(Event) {},
		extraLabels:  map[string]string{},
		pollInterval: maxPollInterval,
		rollbackTime: defaultRollbackTime,
		health:       newHealthTracker(),
	}
	for _, o := range opts {
		o(e)
	}
	return e
}

// parallelFromEnv reads COMPOSE_PARALLEL_LIMIT (docker compose's variable);
// unset or invalid means unlimited, as in docker compose.
func parallelFromEnv() int {
	n, err := strconv.Atoi(strings.TrimSpace(os.Getenv("COMPOSE_PARALLEL_LIMIT")))
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

// Project returns the engine's project.
func (e *Engine) Project() *types.Project { return e.project }

func (e *Engine) emit(ev Event) {
	e.eventsMu.Lock()
	defer e.eventsMu.Unlock()
	e.events(ev)
}

// Event reports progress on one resource, in the shape of docker compose's
// --progress json events.
type Event struct {
	Resource ResourceKind `json:"resource"`
	ID       string       `json:"id"` // the resource's name: container, network, volume, image or service
	Status   EventStatus  `json:"status"`
	// From is a renamed resource's previous name (StatusRenamed).
	From string `json:"from,omitempty"`
	Text string `json:"text,omitempty"`
}

// ResourceKind names the kind of resource an event is about.
type ResourceKind string

const (
	ResourceContainer ResourceKind = "container"
	ResourceNetwork   ResourceKind = "network"
	ResourceVolume    ResourceKind = "volume"
	ResourceImage     ResourceKind = "image"
	ResourceService   ResourceKind = "service"
)

// EventStatus is docker compose's progress status word.
type EventStatus string

const (
	StatusCreating   EventStatus = "Creating"
	StatusCreated    EventStatus = "Created"
	StatusRecreate   EventStatus = "Recreate"
	StatusStarting   EventStatus = "Starting"
	StatusRestarting EventStatus = "Restarting"
	StatusStarted    EventStatus = "Started"
	StatusWaiting    EventStatus = "Waiting"
	StatusHealthy    EventStatus = "Healthy"
	StatusExited     EventStatus = "Exited"
	StatusStopping   EventStatus = "Stopping"
	StatusStopped    EventStatus = "Stopped"
	StatusKilling    EventStatus = "Killing"
	StatusKilled     EventStatus = "Killed"
	StatusRemoving   EventStatus = "Removing"
	StatusRemoved    EventStatus = "Removed"
	StatusRenamed    EventStatus = "Renamed"
	StatusPulling    EventStatus = "Pulling"
	StatusPulled     EventStatus = "Pulled"
	StatusBuilding   EventStatus = "Building"
	StatusBuilt      EventStatus = "Built"
	StatusPushing    EventStatus = "Pushing"
	StatusPushed     EventStatus = "Pushed"
	StatusSkipped    EventStatus = "Skipped" // nothing to push for a service
	StatusWarning    EventStatus = "Warning"
	StatusError      EventStatus = "Error"
)

// UpOptions tune Up; the zero value is docker compose's `up -d`.
type UpOptions struct {
	// Services restricts the up to these services (and their dependencies,
	// unless NoDeps). Empty means all.
	Services []string
	NoDeps   bool
	// ForceRecreate recreates containers even when unchanged; NoRecreate
	// never recreates (changed containers are left as they are).
	ForceRecreate, NoRecreate bool
	// RemoveOrphans removes containers of services no longer in the project.
	RemoveOrphans bool
	// Build builds images before starting; NoBuild never builds.
	Build, NoBuild bool
	// Pull overrides every service's pull_policy: always | missing | never.
	Pull string
	// Wait blocks until every service is running or healthy (one-shot
	// services: exited 0), bounded by WaitTimeout (0: no bound).
	Wait        bool
	WaitTimeout time.Duration
	// KeepOnFailure keeps what a failed up created, for debugging.
	KeepOnFailure bool
	// Timeout (seconds) for stopping containers that are recreated or
	// removed; nil uses each service's stop_grace_period.
	Timeout *int
	// Scale overrides services' scale.
	Scale map[string]int
	// NoStart creates the containers without starting them (docker
	// compose's create and up --no-start); Wait is then ignored.
	NoStart bool
	// RecreateVolumes removes and creates again a named volume whose
	// driver or labels no longer match the project (up -y): the containers
	// of the selected services that mount it are removed first and
	// created anew. Without it such a volume is kept, with a warning.
	RecreateVolumes bool
}

// DownOptions tune Down.
type DownOptions struct {
	Volumes       bool // also remove the project's named, non-external volumes
	RemoveOrphans bool
	Timeout       *int   // seconds; nil uses each service's stop_grace_period
	RemoveImages  string // "" | "local" (images without a custom tag) | "all"
}

// PsOptions tune Ps.
type PsOptions struct {
	All      bool // include stopped containers
	Services []string
}

// LogsOptions tune Logs.
type LogsOptions struct {
	Services   []string
	Tail       *int
	Since      string
	Timestamps bool
	Follow     bool
}

// ExecOptions tune Exec: which of the service's containers, and the
// command as the backend runs it.
type ExecOptions struct {
	Index int // container number; 0 means 1
	backend.ExecOptions
}

// DetailBuildExitCode is the detail of an up's or build's error that holds
// the exit code of the build step that failed (a RUN exiting 9), when the
// backend reports it: docker compose exits with that code.
const DetailBuildExitCode = "buildExitCode"

// serviceError builds a *core.Error naming a service in Details["service"].
func serviceError(kind core.Kind, service string, cause error, format string, args ...any) *core.Error {
	e := core.Errorf(kind, format, args...)
	if cause != nil && e.Err == nil {
		e.Err = cause
	}
	return e.With("service", service)
}
