// Package detect finds the container runtime to use (docs/design.md,
// Detection and Two execution strategies).
//
// Candidates are probed in the platform's priority order (PlatformCandidates)
// but concurrently, each probe bounded by a timeout (2 s by default), and the
// highest-priority available candidate wins as soon as every candidate above
// it has failed. Environment settings, read once per detection:
//
//	PERRY_CONTAINER_BACKEND   apple/container | orbstack | colima | rancher-desktop |
//	                          lima | podman | nerdctl | docker | fake
//	                          probe only that backend (fake: the in-memory engine)
//	PERRY_CONTAINER_MODE      local-first (default) | server-first
//	PERRY_CONTAINER_STRATEGY  cli | api (default: api when the runtime exposes a
//	                          reachable Docker API socket, else cli)
//
// Every contact with the machine goes through System, so tests can simulate
// any platform and any set of installed runtimes.
package detect

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/installer"
	"github.com/perryts/perry-container/core"
)

// DefaultProbeTimeout bounds each probe: a hung runtime must not hold up
// detection of the others.
const DefaultProbeTimeout = 2 * time.Second

// Selection is the chosen runtime and how to reach it.
type Selection struct {
	Info core.BackendInfo `json:"info"`
	// Driver is the canonical backend name (the BackendDriver
	// variant): "docker", "apple/container", "lima", "fake", …
	Driver string `json:"driver"`
	// Strategy is "api" (Docker Engine API at Host), "cli" (the CLI at Bin)
	// or "memory" (the fake).
	Strategy string `json:"strategy"`
	// Bin is the runtime CLI's path. With the api strategy it is only
	// informative (and may be empty).
	Bin string `json:"bin,omitempty"`
	// Host is the Docker host URL: the API endpoint for the api strategy;
	// for the cli strategy, the daemon the CLI talks to when known.
	Host string `json:"host,omitempty"`
	// Instance is the Lima instance for the lima driver.
	Instance string `json:"instance,omitempty"`
}

// Report is the outcome of one detection.
type Report struct {
	// Selected is nil when detection failed.
	Selected *Selection `json:"selected,omitempty"`
	// Candidates has one entry per probe, in priority order. Candidates
	// below the winner whose probes had not finished when it won are
	// reported unavailable with a "not probed to completion" reason.
	Candidates []core.BackendInfo `json:"candidates"`
}

func (r Report) clone() Report {
	c := Report{Candidates: append([]core.BackendInfo(nil), r.Candidates...)}
	if r.Selected != nil {
		s := *r.Selected
		c.Selected = &s
	}
	return c
}

// Factory builds a backend for a selection. DefaultFactory is used unless
// WithFactory gives another.
type Factory func(Selection) (backend.Backend, error)

// Option configures a Detector.
type Option func(*Detector)

// WithFactory sets how Backend turns the selection into a backend.
func WithFactory(f Factory) Option { return func(d *Detector) { d.factory = f } }

// WithProbeTimeout bounds each probe (default DefaultProbeTimeout).
func WithProbeTimeout(t time.Duration) Option {
	return func(d *Detector) {
		if t > 0 {
			d.timeout = t
		}
	}
}

// WithLogger receives each probe's result at debug level. The default is slog.Default().
func WithLogger(l *slog.Logger) Option { return func(d *Detector) { d.log = l } }

// Detector detects once and remembers: a library context holds one,
// and two Detectors share nothing (Property 16).
//
// Caching: a successful detection (and the backend built from it) is kept for
// the Detector's lifetime, so later changes to the environment do not move a
// running program to another runtime (property P2).
// Concurrent callers share one in-flight detection. A failed detection is
// returned to everyone who waited for it but is not kept: the next call
// detects again, because the usual fix for NoBackendFound is to start a
// runtime, and a program should not need a restart to notice it.
type Detector struct {
	sys     System
	factory Factory
	timeout time.Duration
	log     *slog.Logger

	flight singleflight.Group // "detect" and "backend" calls in progress

	// probes counts probe goroutines, including those abandoned after a
	// winner or a timeout, so tests can wait until the system is quiet.
	probes sync.WaitGroup

	mu      sync.Mutex // guards report and backend
	report  *Report
	backend backend.Backend
}

// New returns a Detector over sys (nil means OS()).
func New(sys System, opts ...Option) *Detector {
	if sys == nil {
		sys = OS()
	}
	d := &Detector{sys: sys, factory: DefaultFactory, timeout: DefaultProbeTimeout}
	for _, o := range opts {
		o(d)
	}
	if d.log == nil {
		d.log = slog.Default()
	}
	return d
}

var (
	defaultOnce     sync.Once
	defaultDetector *Detector
)

// Default is the process-global Detector over the real system (the default
// library context).
func Default() *Detector {
	defaultOnce.Do(func() { defaultDetector = New(OS()) })
	return defaultDetector
}

// Detect returns the cached report, detecting first if needed. ctx bounds
// only this caller's wait: the detection itself is shared with concurrent
// callers and so is not cancelled when one of them gives up (each probe is
// bounded by its own timeout anyway).
func (d *Detector) Detect(ctx context.Context) (Report, error) {
	if r := d.cachedReport(); r != nil {
		return r.clone(), nil
	}
	ch := d.flight.DoChan("detect", func() (any, error) {
		// Double-checked: a caller that missed the cache may arrive just
		// after the previous flight stored it.
		if r := d.cachedReport(); r != nil {
			return *r, nil
		}
		r, err := d.detect(context.WithoutCancel(ctx), false)
		if err == nil {
			d.mu.Lock()
			d.report = &r
			d.mu.Unlock()
		}
		return r, err
	})
	select {
	case res := <-ch:
		return res.Val.(Report).clone(), res.Err
	case <-ctx.Done():
		return Report{}, core.AsError(fmt.Errorf("backend detection: %w", ctx.Err()))
	}
}

func (d *Detector) cachedReport() *Report {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.report
}

// Backend returns the backend of the selection, built once by the factory.
// A factory error is returned and not cached.
func (d *Detector) Backend(ctx context.Context) (backend.Backend, error) {
	d.mu.Lock()
	b := d.backend
	d.mu.Unlock()
	if b != nil {
		return b, nil
	}
	rep, err := d.Detect(ctx)
	if err != nil {
		return nil, err
	}
	ch := d.flight.DoChan("backend", func() (any, error) {
		d.mu.Lock()
		b := d.backend
		d.mu.Unlock()
		if b != nil {
			return b, nil
		}
		b, err := d.factory(*rep.Selected)
		if err != nil {
			if _, ok := err.(*core.Error); ok {
				return nil, err
			}
			return nil, core.Errorf(core.KindBackendNotAvailable, "%s: %w", rep.Selected.Driver, err)
		}
		d.mu.Lock()
		d.backend = b
		d.mu.Unlock()
		return b, nil
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		return res.Val.(backend.Backend), nil
	case <-ctx.Done():
		return nil, core.AsError(fmt.Errorf("backend detection: %w", ctx.Err()))
	}
}

// ProbeAll probes every candidate to completion and reports them all,
// without selecting early and without touching the cache: it backs
// detectBackend(), which lists every runtime.
// PERRY_CONTAINER_BACKEND still restricts it to one backend.
func (d *Detector) ProbeAll(ctx context.Context) (Report, error) {
	return d.detect(ctx, true)
}

// config is the environment of one detection.
type config struct {
	backend, mode, strategy string
}

func readConfig(sys System) (config, error) {
	c := config{
		backend:  strings.TrimSpace(sys.Getenv(EnvBackend)),
		mode:     strings.TrimSpace(sys.Getenv(EnvMode)),
		strategy: strings.TrimSpace(sys.Getenv(EnvStrategy)),
	}
	if c.backend != "" && !isAcceptedBackend(c.backend) {
		return c, invalidSetting(EnvBackend, c.backend, AcceptedBackends())
	}
	switch c.mode {
	case "":
		c.mode = ModeLocalFirst
	case ModeLocalFirst, ModeServerFirst:
	default:
		return c, invalidSetting(EnvMode, c.mode, []string{ModeLocalFirst, ModeServerFirst})
	}
	switch c.strategy {
	case "", StrategyCLI, StrategyAPI:
	default:
		return c, invalidSetting(EnvStrategy, c.strategy, []string{StrategyCLI, StrategyAPI})
	}
	return c, nil
}

func invalidSetting(name, value string, accepted []string) *core.Error {
	return core.Errorf(core.KindInvalidConfiguration, "%s=%q is not valid; accepted values: %s",
		name, value, strings.Join(accepted, ", ")).
		With("variable", name).With("value", value).With("accepted", accepted)
}

// probeSpec is one entry of the probe plan.
type probeSpec struct {
	name string
	fn   probeFunc
}

// detect runs one detection. waitAll makes it probe every candidate to the
// end instead of stopping at the winner.
func (d *Detector) detect(ctx context.Context, waitAll bool) (Report, error) {
	cfg, err := readConfig(d.sys)
	if err != nil {
		return Report{}, err
	}
	goos := d.sys.GOOS()
	p := &prober{sys: d.sys, goos: goos, strategy: cfg.strategy}

	switch cfg.backend {
	case "":
	case Fake:
		sel := fakeSelection()
		return Report{Selected: &sel, Candidates: []core.BackendInfo{sel.Info}}, nil
	default:
		// An explicit choice: the named backend only, no probing of others.
		results, winner := d.runProbes(ctx, []probeSpec{{cfg.backend, p.probeFor(cfg.backend)}}, true)
		rep := Report{Candidates: infos(results)}
		if winner < 0 {
			return rep, core.Errorf(core.KindBackendNotAvailable, "%s=%s: %s is not available: %s",
				EnvBackend, cfg.backend, cfg.backend, results[0].info.Reason).
				With("backend", cfg.backend).With("probes", rep.Candidates)
		}
		rep.Selected = results[winner].sel
		return rep, nil
	}

	results, winner := d.runProbes(ctx, d.plan(p, cfg.mode), waitAll)
	rep := Report{Candidates: infos(results)}
	if winner < 0 {
		return rep, noBackendFound(goos, rep.Candidates)
	}
	rep.Selected = results[winner].sel
	return rep, nil
}

// plan orders the probes. local-first is the platform order. server-first
// puts remote daemons first: the docker engine when
// DOCKER_HOST or the current docker context names a tcp/ssh host, and a
// remote CONTAINER_HOST (podman's) — in the order DOCKER_HOST,
// CONTAINER_HOST, docker context. With no remote configured, server-first
// is local-first: there is nothing to prefer.
func (d *Detector) plan(p *prober, mode string) []probeSpec {
	var front []probeSpec
	movedDocker := false
	if mode == ModeServerFirst {
		host, source, err := DockerHost(d.sys)
		dockerRemote := err == nil && IsRemoteHost(host)
		if dockerRemote && source == SourceDockerHost {
			front = append(front, probeSpec{Docker, p.docker})
		}
		if ch := d.sys.Getenv("CONTAINER_HOST"); IsRemoteHost(ch) {
			front = append(front, probeSpec{Podman, p.remotePodman(ch)})
		}
		if dockerRemote && source != SourceDockerHost {
			front = append(front, probeSpec{Docker, p.docker})
		}
		movedDocker = dockerRemote
	}
	specs := front
	for _, name := range PlatformCandidates(p.goos) {
		if name == Docker && movedDocker {
			continue // already first: the docker probe is the remote probe
		}
		specs = append(specs, probeSpec{name, p.probeFor(name)})
	}
	return specs
}

// runProbes starts every probe at once and returns their results in plan
// order with the index of the winner (-1 if none). The winner is the first
// available candidate once every candidate before it has failed; unless
// waitAll, the remaining probes are then cancelled, so a slow low-priority
// probe never delays the choice.
func (d *Detector) runProbes(ctx context.Context, specs []probeSpec, waitAll bool) ([]probeResult, int) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type done struct {
		i int
		r probeResult
	}
	ch := make(chan done, len(specs)) // buffered: abandoned probes never block
	for i, s := range specs {
		d.probes.Add(1)
		go func() {
			defer d.probes.Done()
			ch <- done{i, d.probeOne(ctx, s)}
		}()
	}
	results := make([]probeResult, len(specs))
	finished := make([]bool, len(specs))
	winner, next := -1, 0
	for remaining := len(specs); remaining > 0 && (winner < 0 || waitAll); remaining-- {
		x := <-ch
		results[x.i], finished[x.i] = x.r, true
		for next < len(specs) && finished[next] && results[next].sel == nil {
			next++
		}
		if winner < 0 && next < len(specs) && finished[next] {
			winner = next
		}
	}
	for i, s := range specs {
		if !finished[i] {
			results[i] = unavailable(s.name, fmt.Sprintf("not probed to completion: %s has higher priority and is available", specs[winner].name))
		}
	}
	return results, winner
}

// probeOne runs a probe under the per-probe timeout. It waits for the probe
// in a separate goroutine so that a System call that ignores ctx still
// cannot hold detection past the timeout (the abandoned call finishes on
// its own), and it turns a panic into an unavailable result, since a panic
// on a detection goroutine would take the whole host process down.
func (d *Detector) probeOne(ctx context.Context, s probeSpec) probeResult {
	pctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	ch := make(chan probeResult, 1)
	d.probes.Add(1)
	go func() {
		defer d.probes.Done()
		defer func() {
			if v := recover(); v != nil {
				ch <- unavailable(s.name, fmt.Sprintf("probe failed: panic: %v", v))
			}
		}()
		ch <- s.fn(pctx)
	}()
	var r probeResult
	select {
	case r = <-ch:
	case <-pctx.Done():
		if ctx.Err() != nil {
			r = unavailable(s.name, "probe cancelled")
		} else {
			r = unavailable(s.name, fmt.Sprintf("probe timed out after %v", d.timeout))
		}
	}
	d.log.LogAttrs(ctx, slog.LevelDebug, "perry-container: backend probe",
		slog.String("backend", s.name), slog.Bool("available", r.sel != nil),
		slog.String("reason", r.info.Reason), slog.String("version", r.info.Version),
		slog.String("strategy", r.info.Strategy), slog.String("endpoint", r.info.Endpoint))
	return r
}

func infos(results []probeResult) []core.BackendInfo {
	out := make([]core.BackendInfo, len(results))
	for i, r := range results {
		out[i] = r.info
	}
	return out
}

// noBackendFound lists every probe with its reason, then the platform's
// install hint, so the user sees why each runtime was passed over.
func noBackendFound(goos string, probes []core.BackendInfo) *core.Error {
	var b strings.Builder
	fmt.Fprintf(&b, "no container runtime found (platform %s); probed:", goos)
	for _, p := range probes {
		fmt.Fprintf(&b, "\n  - %s: %s", p.Name, p.Reason)
	}
	b.WriteString("\n")
	// The install advice only: the library offers no installer prompt
	// (perry-compose does, and says how to silence it there).
	b.WriteString(installer.Hint(goos, ""))
	return core.Errorf(core.KindNoBackendFound, "%s", b.String()).
		With("probes", probes).With("platform", goos)
}

func fakeSelection() Selection {
	info := core.BackendInfo{
		Name:           Fake,
		Available:      true,
		Mode:           ModeLocal,
		IsolationLevel: IsolationFor(Fake),
		Strategy:       StrategyMemory,
	}
	return Selection{Info: info, Driver: Fake, Strategy: StrategyMemory}
}
