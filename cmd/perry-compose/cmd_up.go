package main

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/spf13/cobra"

	"github.com/perryts/perry-container/cmd/perry-compose/internal/logprint"
	"github.com/perryts/perry-container/cmd/perry-compose/internal/progress"
	"github.com/perryts/perry-container/compose/engine"
	"github.com/perryts/perry-container/core"
)

// createFlags are shared by up and create.
type createFlags struct {
	build, noBuild            bool
	pull                      string
	forceRecreate, noRecreate bool
	removeOrphans             bool
	scale                     []string
	yes                       bool
	quietPull                 bool
}

func (f *createFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&f.build, "build", false, "Build images before starting containers")
	fl.BoolVar(&f.noBuild, "no-build", false, "Don't build an image, even if it's missing")
	fl.StringVar(&f.pull, "pull", "", `Pull images before running: "always", "missing", "never" or "build" (default: each service's pull_policy)`)
	fl.BoolVar(&f.forceRecreate, "force-recreate", false, "Recreate containers even if their configuration and image haven't changed")
	fl.BoolVar(&f.noRecreate, "no-recreate", false, "If containers already exist, don't recreate them")
	fl.BoolVar(&f.removeOrphans, "remove-orphans", false, "Remove containers for services not defined in the compose file")
	fl.StringArrayVar(&f.scale, "scale", nil, "Scale SERVICE to NUM instances (SERVICE=NUM, repeatable); overrides the compose file's scale")
	fl.BoolVarP(&f.yes, "yes", "y", false, `Assume "yes" as answer to all prompts: recreate volumes whose configuration changed`)
	fl.BoolVar(&f.quietPull, "quiet-pull", false, "Pull without printing progress information")
}

// options checks the flags and fills the engine's options.
func (f *createFlags) options(cmd *cobra.Command, a *app, services []string) (engine.UpOptions, error) {
	o := engine.UpOptions{Services: services}
	if f.build && f.noBuild {
		return o, usageErr(cmd, "--build and --no-build are incompatible")
	}
	if f.forceRecreate && f.noRecreate {
		return o, usageErr(cmd, "--force-recreate and --no-recreate are incompatible")
	}
	switch f.pull {
	case "", "always", "missing", "never", "build":
	default:
		return o, usageErr(cmd, "invalid --pull value %q: use always, missing, never or build", f.pull)
	}
	scale, err := parseScale(f.scale)
	if err != nil {
		return o, usageErr(cmd, "%v", err)
	}
	o.Build, o.NoBuild, o.Pull = f.build, f.noBuild, f.pull
	o.ForceRecreate, o.NoRecreate = f.forceRecreate, f.noRecreate
	o.RemoveOrphans = f.removeOrphans || isTrue(a.env("COMPOSE_REMOVE_ORPHANS"))
	o.Scale = scale
	o.RecreateVolumes = f.yes
	// A failed create or up leaves what it made, as docker compose does
	// (the library's own default is to roll back); up's --rollback opts in.
	o.KeepOnFailure = true
	return o, nil
}

func isTrue(s string) bool {
	b, err := strconv.ParseBool(s)
	return err == nil && b
}

// parseScale reads SERVICE=NUM pairs.
func parseScale(pairs []string) (map[string]int, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	out := map[string]int{}
	for _, p := range pairs {
		name, num, ok := strings.Cut(p, "=")
		n, err := strconv.Atoi(num)
		if !ok || name == "" || err != nil || n < 0 {
			return nil, fmt.Errorf("invalid scale %q: use SERVICE=NUM with NUM >= 0", p)
		}
		out[name] = n
	}
	return out, nil
}

// checkServices reports a --scale or --exit-code-from naming no service.
func checkScale(scale map[string]int, services map[string]bool) error {
	for s := range scale {
		if !services[s] {
			return core.NotFound("service", s).With("service", s)
		}
	}
	return nil
}

type upFlags struct {
	createFlags
	detach, noDeps, wait bool
	waitTimeout          int
	abortOnExit          bool
	abortOnFailure       bool
	exitCodeFrom         string
	timeout              int
	rollback, noRollback bool
	noStart              bool
	noColor, noLogPrefix bool
	timestamps           bool
	attachDependencies   bool
	menu                 bool
	watch                bool
	// attached, when set (up --watch), is given the attacher's hook once
	// it follows the containers, for containers another engine starts.
	attached func(started func(engine.Event))
}

func (a *app) upCmd() *cobra.Command {
	f := &upFlags{}
	cmd := &cobra.Command{
		Use:   "up [flags] [SERVICE...]",
		Short: "Create and start containers",
		Long: `Create and start the project's containers (networks and volumes first),
each service as soon as its dependencies meet their depends_on conditions.
A second up with nothing changed changes nothing.

Without -d, up stays attached: it prints every container's output behind
its name and returns when all containers have exited. Ctrl-C stops the
stack gracefully (a second Ctrl-C kills it) and exits 130.

If up fails, what it created is left as it is, as docker compose does, so
that the failing containers' logs can be read (the error shows the last
lines of the failing service's output); --rollback removes it instead.`,
		RunE: func(cmd *cobra.Command, args []string) error { return a.runUp(cmd, f, args) },
	}
	f.register(cmd)
	fl := cmd.Flags()
	fl.BoolVarP(&f.detach, "detach", "d", false, "Detached mode: run containers in the background")
	fl.BoolVar(&f.noDeps, "no-deps", false, "Don't start linked services")
	fl.BoolVar(&f.wait, "wait", false, "Wait for services to be running|healthy (one-shot services: completed). Implies detached mode")
	fl.IntVar(&f.waitTimeout, "wait-timeout", 0, "Maximum duration in seconds to wait for the project to be running|healthy")
	fl.BoolVar(&f.abortOnExit, "abort-on-container-exit", false, "Stop all containers if any container was stopped. Incompatible with -d")
	fl.BoolVar(&f.abortOnFailure, "abort-on-container-failure", false, "Stop all containers if any container exited with failure. Incompatible with -d")
	fl.StringVar(&f.exitCodeFrom, "exit-code-from", "", "Return the exit code of the selected service container. Implies --abort-on-container-exit")
	fl.IntVarP(&f.timeout, "timeout", "t", 0, "Use this timeout in seconds for container shutdown when attached or when containers are already running (default: each service's stop_grace_period, else 10)")
	fl.BoolVar(&f.rollback, "rollback", false, "Remove what a failed up created (default: keep it, as docker compose does)")
	fl.BoolVar(&f.noRollback, "no-rollback", false, "Keep what a failed up created (the default)")
	_ = fl.MarkHidden("no-rollback")
	fl.BoolVar(&f.noStart, "no-start", false, "Don't start the services after creating them")
	fl.BoolVar(&f.noColor, "no-color", false, "Produce monochrome output")
	fl.BoolVar(&f.noLogPrefix, "no-log-prefix", false, "Don't print prefix in logs")
	fl.BoolVar(&f.timestamps, "timestamps", false, "Show timestamps")
	fl.BoolVar(&f.attachDependencies, "attach-dependencies", false, "Show logs from dependencies of the services named")
	fl.BoolVarP(&f.watch, "watch", "w", false, "Watch source code and rebuild/refresh containers when files are updated (develop.watch, see perry-compose watch)")
	fl.BoolVar(&f.menu, "menu", false, "Accepted for docker compose compatibility; perry-compose has no interactive menu")
	return cmd
}

func (a *app) runUp(cmd *cobra.Command, f *upFlags, services []string) error {
	if f.exitCodeFrom != "" {
		f.abortOnExit = true
	}
	if f.abortOnExit && f.abortOnFailure {
		return usageErr(cmd, "--abort-on-container-exit and --abort-on-container-failure are incompatible")
	}
	if f.wait {
		f.detach = true
	}
	if f.detach && (f.abortOnExit || f.abortOnFailure) {
		return usageErr(cmd, "--abort-on-container-exit, --abort-on-container-failure and --exit-code-from are incompatible with --detach and --wait")
	}
	if f.noStart && (f.wait || f.abortOnExit || f.abortOnFailure) {
		return usageErr(cmd, "--no-start is incompatible with --wait, --abort-on-container-exit and --abort-on-container-failure")
	}
	if f.rollback && f.noRollback {
		return usageErr(cmd, "--rollback and --no-rollback are incompatible")
	}
	if f.waitTimeout < 0 {
		return usageErr(cmd, "--wait-timeout must not be negative")
	}
	uo, err := f.options(cmd, a, services)
	if err != nil {
		return err
	}
	uo.NoDeps = f.noDeps
	uo.Wait = f.wait
	uo.WaitTimeout = time.Duration(f.waitTimeout) * time.Second
	uo.KeepOnFailure = !f.rollback
	uo.Timeout = timeoutPtr(cmd, "timeout", f.timeout)
	uo.NoStart = f.noStart

	ctx := cmd.Context()
	p, err := a.loadProject(ctx, services)
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for name := range p.Services {
		known[name] = true
	}
	if err := checkScale(uo.Scale, known); err != nil {
		return err
	}
	if f.exitCodeFrom != "" && !known[f.exitCodeFrom] {
		return core.NotFound("service", f.exitCodeFrom).With("service", f.exitCodeFrom)
	}
	if f.watch {
		return a.upWatch(cmd, f, uo, p) // cmd_watch.go
	}
	if f.detach || f.noStart {
		s, err := a.session(ctx, p, "Running")
		if err != nil {
			return err
		}
		defer s.r.Close()
		if err := s.e.Up(ctx, uo); err != nil {
			if uo.KeepOnFailure {
				return withLastLogs(ctx, s.e, err)
			}
			return err
		}
		return nil
	}
	return a.upAttached(ctx, f, uo, p)
}

// lastLogLines is how much of a failing service's output a failed up shows.
const lastLogLines = 10

// withLastLogs adds the last lines of the failing service's output to a
// failed up's error, so that the cause is on screen (docker compose shows
// none; the containers were kept, so logs can still be read in full).
func withLastLogs(ctx context.Context, e *engine.Engine, err error) error {
	ce := core.AsError(err)
	svc, _ := ce.Details["service"].(string)
	if svc == "" || ce.Kind == core.KindCancelled {
		return err
	}
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	n := lastLogLines
	var lines []string
	_ = e.Logs(lctx, engine.LogsOptions{Services: []string{svc}, Tail: &n}, func(_, container, _, line string) {
		lines = append(lines, container+"  | "+line)
	})
	if len(lines) == 0 {
		return err
	}
	return ce.With("lastLogs", lines)
}

// swappable is a progress renderer that can be replaced while the engine
// sends it events (attached up: one block for starting, one for stopping).
type swappable struct {
	mu  sync.Mutex
	cur progress.Renderer
}

func (s *swappable) get() progress.Renderer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur
}

func (s *swappable) swap(r progress.Renderer) {
	s.mu.Lock()
	old := s.cur
	s.cur = r
	s.mu.Unlock()
	if old != nil {
		old.Close()
	}
}

// upAttached runs up and stays attached to the containers' output. It
// returns when every attached container has exited, after an abort
// (--abort-on-container-exit/-failure) or after Ctrl-C, having stopped
// the stack.
func (a *app) upAttached(ctx context.Context, f *upFlags, uo engine.UpOptions, p *types.Project) error {
	rend := &swappable{cur: a.renderer("Running")}
	defer func() { rend.get().Close() }()
	printer := logprint.NewFunc(func(s string) { rend.get().Print(a.stdout, s) },
		logprint.Options{Color: a.colorStdout() && !f.noColor, NoPrefix: f.noLogPrefix})

	logCtx, stopLogs := context.WithCancel(context.WithoutCancel(ctx))
	defer stopLogs()
	var attachTo []string
	if len(uo.Services) > 0 && !f.attachDependencies {
		attachTo = uo.Services
	}
	// The names are known before any output: the prefixes line up from the
	// first line, as docker compose's do.
	for _, name := range slices.Sorted(maps.Keys(p.Services)) {
		if attachTo != nil && !slices.Contains(attachTo, name) {
			continue
		}
		svc := p.Services[name]
		if svc.ContainerName != "" {
			printer.Register(svc.ContainerName)
			continue
		}
		n := svc.GetScale()
		if sc, ok := uo.Scale[name]; ok {
			n = sc
		}
		for i := 1; i <= n; i++ {
			printer.Register(fmt.Sprintf("%s-%d", name, i))
		}
	}
	b, err := a.backend(ctx)
	if err != nil {
		return err
	}
	at := newAttacher(logCtx, b, p.Name, printer, attachTo, f.timestamps)
	if f.attached != nil {
		f.attached(at.started)
	}
	// A lifecycle hook's output goes with the logs, under
	// "<container> ->" as docker compose shows it.
	hookOutput := engine.WithHookOutput(func(_, container, _, line string) {
		printer.Line(logprint.Name(p.Name, container)+" ->", line)
	})
	e, _, err := a.newEngine(ctx, p, func(ev engine.Event) {
		rend.get().Event(ev)
		at.started(ev)
	}, hookOutput)
	if err != nil {
		return err
	}

	// Signals: the first Ctrl-C stops the stack gracefully, the second
	// kills it, a third exits at once.
	sigs := make(chan os.Signal, 4)
	a.setSignalHandler(func(s os.Signal) {
		a.markInterrupted()
		select {
		case sigs <- s:
		default:
		}
	})
	upCtx, cancelUp := context.WithCancel(ctx)
	defer cancelUp()
	upDone := make(chan error, 1)
	go func() { upDone <- e.Up(upCtx, uo) }()

	var (
		upRunning   = true
		upErr       error
		finished    int
		exitCode    int
		codeFromSet bool
		aborting    bool // stop requested (abort or Ctrl-C)
		pendingStop bool // requested while up was still running
		stopDone    chan struct{}
		interrupts  int // the second one kills
	)
	zero := 0
	stopCtx, cancelStop := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelStop()
	startStop := func(kill bool) {
		kill = kill || interrupts >= 2
		rend.swap(a.renderer("Stopping"))
		done := make(chan struct{})
		stopDone = done
		go func() {
			defer close(done)
			var err error
			if kill {
				err = e.Stop(context.WithoutCancel(ctx), nil, &zero)
			} else {
				err = e.Stop(stopCtx, nil, uo.Timeout)
			}
			if err != nil && !kill && stopCtx.Err() == nil {
				rend.get().Print(a.stderr, "Error: stopping: "+errorText(err)+"\n")
			}
		}()
	}
	requestStop := func() {
		aborting = true
		if upRunning {
			pendingStop = true
			return
		}
		startStop(false)
	}
loop:
	for {
		// With --watch, containers a rebuild replaces come back: only a
		// stop ends the attached up.
		if !upRunning && stopDone == nil && !pendingStop && finished >= at.count() && (!f.watch || aborting) {
			break
		}
		var logsEnded <-chan struct{}
		if !upRunning && stopDone == nil {
			logsEnded = logCtx.Done()
		}
		select {
		case <-logsEnded:
			break loop
		case err := <-upDone:
			upRunning, upErr = false, err
			if err != nil && !a.wasInterrupted() {
				// A failed up: the engine kept (or rolled back, with
				// --rollback) what it created. Nothing to follow.
				stopLogs()
				return err
			}
			rend.get().Close()
			if cs, perr := e.Ps(context.WithoutCancel(ctx), engine.PsOptions{All: true}); perr == nil {
				at.sync(cs)
			}
			if pendingStop || a.wasInterrupted() {
				pendingStop = false
				startStop(false)
			}
		case ex := <-at.exits:
			if ex.restarting {
				if !aborting {
					printer.Status(ex.name, fmt.Sprintf("exited with code %d (restarting)", ex.code))
				}
				continue
			}
			finished++
			if ex.gone {
				continue
			}
			if !aborting {
				printer.Status(ex.name, fmt.Sprintf("exited with code %d", ex.code))
			}
			if f.exitCodeFrom != "" && ex.service == f.exitCodeFrom && !codeFromSet {
				exitCode, codeFromSet = ex.code, true
			}
			if aborting {
				continue
			}
			if (f.abortOnFailure && ex.code != 0) || f.abortOnExit {
				if f.exitCodeFrom == "" {
					exitCode = ex.code
				}
				// docker compose's words, which scripts wait for.
				rend.get().Print(a.stderr, "Aborting on container exit...\n")
				requestStop()
			}
		case <-sigs:
			interrupts++
			switch {
			case interrupts == 1:
				rend.get().Print(a.stderr, "Gracefully stopping... (press Ctrl+C again to force)\n")
				aborting = true
				if upRunning {
					cancelUp() // then stop what it started
					pendingStop = true
				} else if stopDone == nil {
					startStop(false)
				}
			case interrupts == 2:
				rend.get().Print(a.stderr, "Killing...\n")
				cancelStop()
				if !upRunning {
					startStop(true)
				}
			default:
				a.exit(exitInterrupted)
			}
		case <-stopDone: // nil (never ready) until a stop runs
			stopDone = nil
			// Followers end as their containers stop; give the last ones a
			// moment, then stop following.
			if finished < at.count() {
				go func() {
					time.Sleep(2 * time.Second)
					stopLogs()
				}()
			}
		}
	}
	rend.get().Close()
	if a.wasInterrupted() {
		if upErr != nil && core.KindOf(upErr) != core.KindCancelled {
			return upErr
		}
		return nil // exit 130
	}
	if upErr != nil {
		return upErr
	}
	if exitCode != 0 {
		return &statusError{code: exitCode}
	}
	return nil
}
