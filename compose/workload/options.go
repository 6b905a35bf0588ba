package workload

import (
	"log/slog"
	"maps"
	"time"

	"github.com/perryts/perry-container/compose/engine"
	"github.com/perryts/perry-container/core"
)

// DefaultLevelDelay is parallel-safe's pause between levels.
const DefaultLevelDelay = 500 * time.Millisecond

// Option configures Run and Inspect.
type Option func(*config)

type config struct {
	labels       map[string]string
	events       func(engine.Event)
	log          *slog.Logger
	pollInterval time.Duration
	info         *core.BackendInfo
	stateDir     string
	healthMode   *engine.HealthEmulation
	rollbackTime time.Duration
}

func newConfig(opts []Option) *config {
	c := &config{labels: map[string]string{}, log: slog.Default()}
	for _, o := range opts {
		o(c)
	}
	return c
}

// WithLabels adds labels to every container, network and volume of the
// graph (tests mark their resources this way); compose's labels win.
func WithLabels(labels map[string]string) Option {
	return func(c *config) { maps.Copy(c.labels, labels) }
}

// WithEvents receives the compose engine's progress events of every node.
// Calls may come from several goroutines at once.
func WithEvents(fn func(engine.Event)) Option { return func(c *config) { c.events = fn } }

// WithLogger sets where the trust-boundary warnings and the advisory edge
// hints (debug) go; the default is slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l != nil {
			c.log = l
		}
	}
}

// WithPollInterval sets how often states are polled while waiting for an
// edge condition (capped at 100 ms by the engine).
func WithPollInterval(d time.Duration) Option { return func(c *config) { c.pollInterval = d } }

// WithBackendInfo gives the backend's description, so that Run does not
// ask the backend (Info) before validating the graph against it.
func WithBackendInfo(info core.BackendInfo) Option { return func(c *config) { c.info = &info } }

// WithStateDir sets the directory under which the graph's private state
// directory (the seccomp profile of the strict tiers) is made; the default
// is the system's temporary directory. Handle.Down removes it.
func WithStateDir(dir string) Option { return func(c *config) { c.stateDir = dir } }

// WithHealthEmulation selects the engine's healthcheck emulation (probes
// through exec on runtimes that do not run healthchecks).
func WithHealthEmulation(m engine.HealthEmulation) Option {
	return func(c *config) { c.healthMode = &m }
}

// WithRollbackTimeout bounds the rollback of a failed rollback-all run
// (default: the engine's, 2 min).
func WithRollbackTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.rollbackTime = d
		}
	}
}

// engineOptions are the options of every engine a run creates.
func (c *config) engineOptions() []engine.Option {
	opts := []engine.Option{engine.WithLabels(c.labels), engine.WithEvents(c.events)}
	if c.pollInterval > 0 {
		opts = append(opts, engine.WithPollInterval(c.pollInterval))
	}
	if c.healthMode != nil {
		opts = append(opts, engine.WithHealthEmulation(*c.healthMode))
	}
	if c.stateDir != "" {
		opts = append(opts, engine.WithStateDir(c.stateDir))
	}
	if c.rollbackTime > 0 {
		opts = append(opts, engine.WithRollbackTimeout(c.rollbackTime))
	}
	return opts
}
