package engine

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// waitService polls a service's containers every pollInterval (≤ 100 ms,
// shorter when the healthcheck's start_interval is) until they satisfy
// w.Condition. It fails as soon as one container exits or turns unhealthy
// in a way the condition forbids, naming the service that failed, not the
// one waiting for it: the user must see which service broke.
func (e *Engine) waitService(ctx context.Context, w *WaitSpec) error {
	interval := e.pollInterval
	if hc := w.Healthcheck; hc != nil && hc.StartInterval != "" {
		if d, err := time.ParseDuration(hc.StartInterval); err == nil && d > 0 && d < interval {
			interval = d
		}
	}
	e.emit(Event{Resource: ResourceService, ID: w.Service, Status: StatusWaiting, Text: w.Condition})
	if w.Condition == types.ServiceConditionHealthy && !w.Optional && (w.Healthcheck == nil || w.Healthcheck.Disable) {
		// Said up front, whatever the container does next (it may be
		// gone before the first look).
		e.emit(Event{Resource: ResourceService, ID: w.Service, Status: StatusWarning,
			Text: fmt.Sprintf("service_healthy: %s has no healthcheck; waiting for it to run instead", w.Service)})
	}
	st := waitState{degraded: map[string]time.Time{}, created: map[string]time.Time{}}
	for {
		all := true
		for _, ref := range w.Containers {
			// A look that fails (a runtime's transient error: nerdctl
			// sometimes loses its containerd connection under load) is
			// tried again: a failed read must not fail the up.
			var info core.ContainerInfo
			err := retry(ctx, func() (err error) {
				info, err = e.backend.Inspect(ctx, ref)
				return err
			})
			if err != nil {
				if isNotFound(err) {
					return e.waitFailure(w, ref, nil, "", "its container %s was removed", ref)
				}
				return err
			}
			ok, err := e.evaluate(ctx, w, info, st)
			if err != nil {
				return err
			}
			all = all && ok
		}
		if all {
			st := StatusStarted
			switch w.Condition {
			case types.ServiceConditionHealthy, conditionReady:
				st = StatusHealthy
			case types.ServiceConditionCompletedSuccessfully:
				st = StatusExited
			}
			e.emit(Event{Resource: ResourceService, ID: w.Service, Status: st})
			return nil
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return core.AsError(ctx.Err())
		case <-t.C:
		}
	}
}

// evaluate reports whether one container satisfies w's condition, or the
// failure that makes waiting pointless.
func (e *Engine) evaluate(ctx context.Context, w *WaitSpec, info core.ContainerInfo, st waitState) (bool, error) {
	if info.State == "created" {
		// Waits begin after the container's start: one still "created"
		// was never started, or its runtime said it started it and did
		// not. Waiting for the caller's deadline would not change that.
		if !heldFor(st.created, info.ID, createdSettle) {
			return false, nil
		}
		return false, e.waitFailure(w, info.Name, nil, "", "container %s is not running: it is still created %v after its start", info.Name, createdSettle)
	}
	code := -1
	if info.ExitCode != nil {
		code = *info.ExitCode
	}
	exited := info.State == "exited" || info.State == "dead" ||
		// a container its restart policy is restarting has exited once
		(info.State == "restarting" && code > 0)
	switch w.Condition {
	case types.ServiceConditionCompletedSuccessfully:
		switch {
		case exited && code == 0 && info.State != "dead":
			return true, nil
		case exited:
			return false, e.waitFailure(w, info.Name, &code, "", "did not complete successfully: container %s exited with code %d", info.Name, code)
		}
		return false, nil
	case types.ServiceConditionStarted:
		switch {
		case info.State == "running":
			return true, nil
		case exited && code == 0 && info.State != "dead":
			return true, nil // a one-shot that already finished has started
		case exited:
			return false, e.waitFailure(w, info.Name, &code, "", "container %s exited with code %d", info.Name, code)
		}
		return false, nil
	}
	// service_healthy and --wait's ready
	if exited {
		if w.Condition == conditionReady && code == 0 && info.State != "dead" {
			return true, nil // a completed one-shot is ready
		}
		return false, e.waitFailure(w, info.Name, &code, "", "container %s exited with code %d before becoming healthy", info.Name, code)
	}
	if info.State != "running" {
		return false, nil
	}
	health, log := info.Health, ""
	if w.Healthcheck != nil && !w.Healthcheck.Disable &&
		((health == "" || health == "starting") && e.emulateHealth(ctx) || health == "starting" && w.EmulateStart) {
		health, log = e.health.probe(ctx, e.backend, info.ID, w.Healthcheck)
	}
	switch health {
	case "healthy":
		return true, nil
	case "unhealthy":
		if log == "" {
			_, log = e.health.last(info.ID)
		}
		msg := "is unhealthy: container " + info.Name
		if log != "" {
			msg += ": " + log
		}
		return false, e.waitFailure(w, info.Name, nil, log, "%s", msg)
	case "":
		if w.Healthcheck == nil || w.Healthcheck.Disable {
			if w.Optional && w.Condition == types.ServiceConditionHealthy {
				// An optional dependency that cannot become healthy is
				// skipped at once with a warning, as docker compose does.
				return false, e.waitFailure(w, info.Name, nil, "", "container %s has no healthcheck configured", info.Name)
			}
			// No healthcheck anywhere: the condition degrades to started
			// (property P19, docs/design.md), with a warning, rather than waiting forever.
			// It must keep running for degradeSettle first: a container that
			// crashes right after starting fails the gate, as it would with
			// a healthcheck, instead of letting its dependents start.
			if w.Condition == types.ServiceConditionHealthy {
				if !heldFor(st.degraded, info.ID, degradeSettle) {
					return false, nil
				}
			}
			return true, nil
		}
	}
	return false, nil // starting
}

// waitFailure builds the ServiceStartupFailed error naming w.Service.
func (e *Engine) waitFailure(w *WaitSpec, container string, code *int, healthLog, format string, args ...any) error {
	msg := fmt.Sprintf("service %q ", w.Service) + fmt.Sprintf(format, args...)
	switch {
	case w.Optional:
		// docker compose's words; the executor reports it as a warning.
		msg = fmt.Sprintf("optional dependency %q failed to start: ", w.Service) + fmt.Sprintf(format, args...)
		if w.Dependent != "" {
			msg += fmt.Sprintf(" (%q starts without it)", w.Dependent)
		}
	case w.Dependent != "":
		msg += fmt.Sprintf(" (required by %q with condition %s)", w.Dependent, w.Condition)
	}
	err := serviceError(core.KindServiceStartupFailed, w.Service, nil, "%s", msg).With("container", container)
	if code != nil {
		err = err.With("exitCode", *code)
	}
	if healthLog != "" {
		err = err.With("healthLog", healthLog)
	}
	if w.Dependent != "" {
		err = err.With("dependent", w.Dependent)
	}
	if !w.Optional {
		e.emit(Event{Resource: ResourceService, ID: w.Service, Status: StatusError, Text: msg})
	}
	return err
}

// waitState is what a wait remembers between polls: when each container
// was first seen running without a healthcheck, and first seen created.
type waitState struct {
	degraded, created map[string]time.Time
}

// heldFor reports whether id has been seen (recorded in since) for at
// least d; the first sighting is recorded and does not count.
func heldFor(since map[string]time.Time, id string, d time.Duration) bool {
	first, seen := since[id]
	if !seen {
		since[id] = time.Now()
		return false
	}
	return time.Since(first) >= d
}

// createdSettle is how long a container may still look "created" after
// its start (a runtime's state may lag its start call for a moment).
const createdSettle = 5 * time.Second

// degradeSettle is how long a dependency without a healthcheck must be
// seen running before service_healthy, degraded to started, holds: docker
// compose's dependency poll interval.
const degradeSettle = 500 * time.Millisecond

// emulateHealth reports whether the engine runs healthchecks itself: on the
// backends that report no healthcheck support (the container then carries
// none, so only the engine can run it), and on podman on a Linux host
// without systemd.
// Podman schedules healthchecks with systemd timers; without systemd (a CI
// container, a sandbox) it accepts the healthcheck, never runs it, and
// reports "starting" forever, so a health-gated stack would hang.
func (e *Engine) emulateHealth(ctx context.Context) bool {
	switch e.healthMode {
	case HealthEmulationAlways:
		return true
	case HealthEmulationNever:
		return false
	}
	if !e.supports(backend.FeatureHealthcheck) {
		return true
	}
	e.infoOnce.Do(func() {
		if info, err := e.backend.Info(ctx); err == nil {
			e.infoName = info.Name
		} else {
			e.infoName = e.backend.Name()
		}
	})
	return e.infoName == "podman" && runtime.GOOS == "linux" && !systemdBooted()
}

// systemdBooted reports whether systemd runs this host, as sd_booted(3)
// tells: its runtime directory exists. Podman on macOS and Windows runs in a
// machine that has systemd. (A remote podman seen from a host without
// systemd gets probes it does not need; they agree with its own.)
var systemdBooted = sync.OnceValue(func() bool {
	fi, err := os.Stat("/run/systemd/system")
	return err == nil && fi.IsDir()
})

// healthTracker emulates docker's health state machine per container for
// runtimes without healthchecks: probes every interval (start_interval
// during start_period), failures in the start period do not count,
// `retries` consecutive failures make it unhealthy, a success healthy.
// Probes run only while someone waits on the container (an up, --wait);
// the last state is kept for Status.
type healthTracker struct {
	mu     sync.Mutex
	states map[string]*probeState
	now    func() time.Time
}

type probeState struct {
	mu       sync.Mutex // serialises probes of one container
	status   string
	failures int
	started  time.Time
	next     time.Time
	log      string
	settled  bool // the start period ended (a success, or its time passed)
}

func newHealthTracker() *healthTracker {
	return &healthTracker{states: map[string]*probeState{}, now: time.Now}
}

type probeTiming struct {
	interval, timeout, startPeriod, startInterval time.Duration
	retries                                       int
}

// Docker's defaults.
func timingOf(hc *core.Healthcheck) probeTiming {
	t := probeTiming{interval: 30 * time.Second, timeout: 30 * time.Second, startInterval: 5 * time.Second, retries: 3}
	parse := func(s string, into *time.Duration) {
		if d, err := time.ParseDuration(s); err == nil && d > 0 {
			*into = d
		}
	}
	parse(hc.Interval, &t.interval)
	parse(hc.Timeout, &t.timeout)
	parse(hc.StartPeriod, &t.startPeriod)
	parse(hc.StartInterval, &t.startInterval)
	if hc.Retries > 0 {
		t.retries = hc.Retries
	}
	return t
}

// probe returns the container's emulated health, running the test through
// exec when a probe is due.
func (h *healthTracker) probe(ctx context.Context, b backend.Backend, id string, hc *core.Healthcheck) (string, string) {
	h.mu.Lock()
	st := h.states[id]
	now := h.now()
	t := timingOf(hc)
	if st == nil {
		// Like docker, the first probe comes one interval after the start.
		st = &probeState{status: "starting", started: now}
		st.next = now.Add(t.nextDelay(st, now))
		h.states[id] = st
	}
	h.mu.Unlock()

	st.mu.Lock()
	defer st.mu.Unlock()
	if now.Before(st.next) {
		return st.status, st.log
	}
	pctx, cancel := context.WithTimeout(ctx, t.timeout)
	res, err := b.Exec(pctx, id, backend.ExecOptions{Cmd: healthCmd(hc.Test)})
	cancel()
	if ctx.Err() != nil {
		return st.status, st.log // the wait was cancelled, not the probe failing
	}
	now = h.now()
	switch {
	case err == nil && res.ExitCode != nil && *res.ExitCode == 0:
		st.status, st.failures, st.settled = "healthy", 0, true
		st.log = strings.TrimSpace(res.Stdout + res.Stderr)
	default:
		if err != nil {
			st.log = err.Error()
		} else {
			st.log = strings.TrimSpace(res.Stdout + res.Stderr)
			if st.log == "" && res.ExitCode != nil {
				st.log = fmt.Sprintf("healthcheck exited with code %d", *res.ExitCode)
			}
		}
		if !st.settled && now.Sub(st.started) < t.startPeriod {
			break // failures in the start period do not count
		}
		st.settled = true
		st.failures++
		if st.failures >= t.retries {
			st.status = "unhealthy"
		}
	}
	st.next = now.Add(t.nextDelay(st, now))
	return st.status, st.log
}

func (t probeTiming) nextDelay(st *probeState, now time.Time) time.Duration {
	if !st.settled && t.startPeriod > 0 && now.Sub(st.started) < t.startPeriod {
		return t.startInterval
	}
	return t.interval
}

// last returns the last emulated health of a container and the output of
// its last failed probe, or "" and "".
func (h *healthTracker) last(id string) (status, log string) {
	h.mu.Lock()
	st := h.states[id]
	h.mu.Unlock()
	if st == nil {
		return "", ""
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.status, st.log
}

// forget drops the state of removed containers.
func (h *healthTracker) forget(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.states, id)
}

// healthCmd turns a healthcheck test into an exec argv.
func healthCmd(test []string) []string {
	if len(test) == 0 {
		return nil
	}
	switch test[0] {
	case "CMD":
		return append([]string(nil), test[1:]...)
	case "CMD-SHELL":
		return []string{"/bin/sh", "-c", strings.Join(test[1:], " ")}
	}
	return append([]string(nil), test...)
}
