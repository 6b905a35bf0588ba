package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/detect"
	"github.com/perryts/perry-container/backend/installer"
	"github.com/perryts/perry-container/cmd/perry-compose/internal/progress"
	"github.com/perryts/perry-container/compose/engine"
	"github.com/perryts/perry-container/compose/loader"
	"github.com/perryts/perry-container/core"
)

// Exit codes, docker compose's.
const (
	exitOK          = 0
	exitError       = 1
	exitInterrupted = 130
)

// globalOptions are the flags every command takes.
type globalOptions struct {
	files       []string
	projectName string
	projectDir  string
	envFiles    []string
	profiles    []string
	parallel    int
	progress    string
	ansi        string
	backend     string
	dryRun      bool
}

// app is one run of perry-compose: its streams, its global options, and
// what the commands share (the backend, the signal routing).
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	stdoutTTY      bool
	stderrTTY      bool
	termSize       func() (int, int)
	getenv         func(string) string

	g    globalOptions
	root *cobra.Command
	cmd  *cobra.Command // the command being run

	// newBackend builds the backend; nil means detection (tests inject a
	// fake).
	newBackend func(ctx context.Context) (backend.Backend, error)
	// engineOptions are added to every engine (tests: fast polling).
	engineOptions []engine.Option

	backendOnce sync.Once
	b           backend.Backend
	bErr        error

	// Signal routing: main feeds signals; the current handler gets them.
	signals     <-chan os.Signal
	sigMu       sync.Mutex
	sigHandler  func(os.Signal)
	interrupted bool
	exit        func(int)
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *app {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv, exit: os.Exit}
	if f, ok := stdout.(*os.File); ok {
		a.stdoutTTY = term.IsTerminal(int(f.Fd()))
	}
	if f, ok := stderr.(*os.File); ok {
		a.stderrTTY = term.IsTerminal(int(f.Fd()))
		a.termSize = func() (int, int) {
			w, h, err := term.GetSize(int(f.Fd()))
			if err != nil {
				return 0, 0
			}
			return w, h
		}
	}
	if a.termSize == nil {
		a.termSize = func() (int, int) { return 0, 0 }
	}
	return a
}

// run executes one command line and returns the process exit code.
func (a *app) run(ctx context.Context, args []string) int {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The default on Ctrl-C: cancel the command (it cleans up and exits
	// 130); a second Ctrl-C exits at once.
	a.setSignalHandler(func(os.Signal) {
		if a.markInterrupted() {
			fmt.Fprintln(a.stderr, "interrupted: a second Ctrl-C exits at once")
			cancel()
			return
		}
		a.exit(exitInterrupted)
	})
	if a.signals != nil {
		done := make(chan struct{})
		defer close(done)
		handle := func(s os.Signal) {
			a.sigMu.Lock()
			h := a.sigHandler
			a.sigMu.Unlock()
			h(s)
		}
		go func() {
			for {
				select {
				case <-done:
					// A signal that came while the command was ending still
					// counts: after a quick first Ctrl-C, the second one
					// still exits at once, as the user asked.
					for {
						select {
						case s := <-a.signals:
							handle(s)
						default:
							return
						}
					}
				case s := <-a.signals:
					handle(s)
				}
			}
		}()
	}
	a.root = a.newRoot()
	a.root.SetArgs(args)
	a.root.SetIn(a.stdin)
	a.root.SetOut(a.stdout)
	a.root.SetErr(a.stderr)
	err := a.root.ExecuteContext(ctx)
	if a.b != nil {
		if c, ok := a.b.(io.Closer); ok {
			_ = c.Close()
		}
	}
	return a.exitCode(err)
}

func (a *app) setSignalHandler(h func(os.Signal)) {
	a.sigMu.Lock()
	defer a.sigMu.Unlock()
	a.sigHandler = h
}

// markInterrupted records an interrupt; it reports whether it is the first.
func (a *app) markInterrupted() bool {
	a.sigMu.Lock()
	defer a.sigMu.Unlock()
	first := !a.interrupted
	a.interrupted = true
	return first
}

func (a *app) wasInterrupted() bool {
	a.sigMu.Lock()
	defer a.sigMu.Unlock()
	return a.interrupted
}

// statusError ends the process with code after printing err (when not nil):
// a container's exit code passed through (exec, run, --exit-code-from).
type statusError struct {
	code int
	err  error
}

func (e *statusError) Error() string {
	if e.err != nil {
		return e.err.Error()
	}
	return fmt.Sprintf("exit status %d", e.code)
}

func (e *statusError) Unwrap() error { return e.err }

// exitCode prints err, if any, and maps it to docker compose's exit codes:
// 0, 1 for every error, 130 when interrupted, or a container's code.
func (a *app) exitCode(err error) int {
	if err == nil {
		if a.wasInterrupted() {
			return exitInterrupted
		}
		return exitOK
	}
	var se *statusError
	if errors.As(err, &se) {
		if se.err != nil {
			a.printError(se.err)
		}
		return se.code
	}
	if a.wasInterrupted() || core.KindOf(err) == core.KindCancelled {
		if !errors.Is(err, context.Canceled) && core.KindOf(err) != core.KindCancelled {
			a.printError(err)
		}
		return exitInterrupted
	}
	a.printError(err)
	// A failed build step's code, as docker compose exits with it.
	if code, ok := core.AsError(err).Details[engine.DetailBuildExitCode].(int); ok && code > 0 && code < 256 {
		return code
	}
	return exitError
}

// printError writes err to stderr: one "Error:" paragraph naming what
// failed, never a Go stack trace.
func (a *app) printError(err error) {
	fmt.Fprintln(a.stderr, "Error: "+errorText(err))
}

// errorText is the message of err with docker compose's wording where
// scripts look for it, the service it is about, and rollback failures.
func errorText(err error) string {
	ce := core.AsError(err)
	msg := ce.Error()
	if _, ok := ce.Details["probes"]; ok {
		return msg // NoBackendFound: already lists every probe and the hint
	}
	if ce.Kind == core.KindServiceStartupFailed {
		if c, ok := ce.Details["container"].(string); ok && c != "" {
			if _, dep := ce.Details["dependent"]; dep {
				switch {
				case strings.Contains(msg, "is unhealthy"):
					msg = fmt.Sprintf("dependency failed to start: container %s is unhealthy\n  %s", c, msg)
				case ce.Details["exitCode"] != nil && strings.Contains(msg, "before becoming healthy"):
					msg = fmt.Sprintf("dependency failed to start: container %s exited (%v)\n  %s", c, ce.Details["exitCode"], msg)
				case ce.Details["exitCode"] != nil && strings.Contains(msg, "did not complete successfully"):
					svc, _ := ce.Details["service"].(string)
					msg = fmt.Sprintf("service %q didn't complete successfully: exit %v\n  %s", svc, ce.Details["exitCode"], msg)
				}
			} else if strings.Contains(msg, "is unhealthy") {
				// up --wait on an unhealthy service
				msg = fmt.Sprintf("container %s is unhealthy\n  %s", c, msg)
			}
		}
	}
	if s, ok := ce.Details["service"].(string); ok && ce.Kind == core.KindNotFound && msg == core.NotFound("service", s).Error() {
		return "no such service: " + s // docker compose's words, which scripts match
	}
	if s, ok := ce.Details["service"].(string); ok && s != "" && !strings.Contains(msg, `"`+s+`"`) && !strings.Contains(msg, s) {
		msg = fmt.Sprintf("service %q: %s", s, msg)
	}
	if ll, ok := ce.Details["lastLogs"].([]string); ok && len(ll) > 0 {
		msg += "\n  last output:\n    " + strings.Join(ll, "\n    ")
	}
	if rb, ok := ce.Details["rollbackErrors"].([]string); ok && len(rb) > 0 {
		msg += "\n  the rollback could not remove:\n    " + strings.Join(rb, "\n    ")
	}
	return msg
}

// globalChanged reports whether a global flag was given, before or after
// the command's name.
func (a *app) globalChanged(name string) bool {
	if a.root != nil && a.root.Flags().Changed(name) {
		return true
	}
	return a.cmd != nil && a.cmd != a.root && a.cmd.Flags().Changed(name)
}

// env reads an environment variable.
func (a *app) env(name string) string { return a.getenv(name) }

// ansiMode is --ansi, else COMPOSE_ANSI, else auto.
func (a *app) ansiMode() string {
	if a.globalChanged("ansi") {
		return a.g.ansi
	}
	if v := a.env("COMPOSE_ANSI"); v != "" {
		return v
	}
	return a.g.ansi
}

// colorStdout says whether log prefixes on stdout get colours.
func (a *app) colorStdout() bool {
	switch a.ansiMode() {
	case "always":
		return true
	case "never":
		return false
	}
	return a.stdoutTTY && a.env("NO_COLOR") == ""
}

// ansiStderr says whether the progress display may use ANSI sequences.
func (a *app) ansiStderr() bool {
	switch a.ansiMode() {
	case "always":
		return true
	case "never":
		return false
	}
	return a.stderrTTY && a.env("TERM") != "dumb"
}

func (a *app) inCI() bool {
	v := strings.ToLower(a.env("CI"))
	return v != "" && v != "false" && v != "0"
}

// progressMode is --progress, else COMPOSE_PROGRESS, resolved to a
// renderer.
func (a *app) progressMode() string {
	mode := a.g.progress
	if !a.globalChanged("progress") && a.env("COMPOSE_PROGRESS") != "" {
		mode = a.env("COMPOSE_PROGRESS")
	}
	return progress.Resolve(mode, a.stderrTTY, a.ansiStderr(), a.inCI())
}

// renderer returns a progress renderer on stderr.
func (a *app) renderer(title string) progress.Renderer {
	w, h := a.termSize()
	return progress.New(a.stderr, progress.Options{Mode: a.progressMode(), Title: title, Width: w, Height: h})
}

// validateGlobals checks the global flags before any work.
func (a *app) validateGlobals() error {
	mode := a.g.progress
	if !a.globalChanged("progress") && a.env("COMPOSE_PROGRESS") != "" {
		mode = a.env("COMPOSE_PROGRESS")
	}
	if !slices.Contains(progress.Modes, mode) {
		return core.InvalidArgument("--progress", "%q is not one of %s", mode, strings.Join(progress.Modes, ", "))
	}
	if m := a.ansiMode(); m != "auto" && m != "never" && m != "always" {
		return core.InvalidArgument("--ansi", "%q is not one of auto, never, always", m)
	}
	if a.g.backend != "" && !slices.Contains(detect.AcceptedBackends(), a.g.backend) {
		return core.InvalidArgument("--backend", "%q is not one of %s", a.g.backend, strings.Join(detect.AcceptedBackends(), ", "))
	}
	if a.g.parallel < -1 || a.g.parallel == 0 {
		return core.InvalidArgument("--parallel", "%d: use a positive number, or -1 for no limit", a.g.parallel)
	}
	return nil
}

// backend detects the runtime once. With no runtime at all, a person at a
// terminal is offered the installer.
func (a *app) backend(ctx context.Context) (backend.Backend, error) {
	a.backendOnce.Do(func() {
		if a.newBackend != nil {
			a.b, a.bErr = a.newBackend(ctx)
			return
		}
		if a.g.backend != "" {
			// detection reads its settings from the environment
			if err := os.Setenv(detect.EnvBackend, a.g.backend); err != nil {
				a.bErr = err
				return
			}
		}
		d := detect.Default()
		b, err := d.Backend(ctx)
		if err != nil && core.KindOf(err) == core.KindNoBackendFound {
			err = installer.MaybeOffer(ctx, installer.DefaultEnv(), err, func(ctx context.Context) error {
				var err2 error
				b, err2 = d.Backend(ctx)
				return err2
			})
		}
		a.b, a.bErr = b, err
	})
	return a.b, a.bErr
}

// loaderOptions are the loader's options from the global flags.
func (a *app) loaderOptions() loader.Options {
	return loader.Options{
		Files:            a.g.files,
		ProjectDirectory: a.g.projectDir,
		ProjectName:      a.g.projectName,
		EnvFiles:         a.g.envFiles,
		Profiles:         a.g.profiles,
	}
}

// loadProject loads the compose project. Services named on the command
// line that sit in an inactive profile are activated, as docker compose
// does ("up -d profiled-service").
func (a *app) loadProject(ctx context.Context, services []string) (*types.Project, error) {
	p, err := loader.Load(ctx, a.loaderOptions())
	if err != nil {
		return nil, err
	}
	return enableServices(p, services)
}

func enableServices(p *types.Project, services []string) (*types.Project, error) {
	var disabled []string
	for _, s := range services {
		if _, ok := p.Services[s]; ok {
			continue
		}
		if _, ok := p.DisabledServices[s]; ok {
			disabled = append(disabled, s)
			continue
		}
		return nil, core.NotFound("service", s).With("service", s)
	}
	if len(disabled) == 0 {
		return p, nil
	}
	return p.WithServicesEnabled(disabled...)
}

// existingProject loads the project for commands that act on a running
// stack (ps, down, logs, stop…). With no compose file but a project name
// (-p or COMPOSE_PROJECT_NAME), the project is rebuilt from the labels of
// its resources, as docker compose does, so `perry-compose -p x down`
// works from anywhere.
func (a *app) existingProject(ctx context.Context, services []string) (*types.Project, error) {
	p, err := a.loadProject(ctx, services)
	if err == nil {
		return p, nil
	}
	name := a.g.projectName
	if name == "" {
		name = a.env("COMPOSE_PROJECT_NAME")
	}
	ce := core.AsError(err)
	if name == "" || len(a.g.files) > 0 || a.env("COMPOSE_FILE") != "" || ce.Kind != core.KindNotFound ||
		!strings.HasPrefix(ce.Message, "no compose file found") {
		return nil, err
	}
	if err := loader.ValidateProjectName(name); err != nil {
		return nil, err
	}
	b, berr := a.backend(ctx)
	if berr != nil {
		return nil, berr
	}
	p, err = projectFromLabels(ctx, b, name)
	if err != nil {
		return nil, err
	}
	for _, s := range services {
		if _, ok := p.Services[s]; !ok {
			return nil, core.NotFound("service", s).With("service", s)
		}
	}
	return p, nil
}

// projectFromLabels rebuilds a project from its containers', networks' and
// volumes' compose labels.
func projectFromLabels(ctx context.Context, b backend.Backend, name string) (*types.Project, error) {
	labels := map[string]string{engine.LabelProject: name}
	cs, err := b.List(ctx, backend.ListOptions{All: true, Labels: labels})
	if err != nil {
		return nil, err
	}
	p := &types.Project{Name: name, Services: types.Services{}, Networks: types.Networks{}, Volumes: types.Volumes{}}
	for _, c := range cs {
		svc := c.Labels[engine.LabelService]
		if svc == "" || c.Labels[engine.LabelOneoff] == "True" {
			continue
		}
		if _, ok := p.Services[svc]; ok {
			continue
		}
		cfg := types.ServiceConfig{Name: svc}
		cfg.Image = c.Image
		if wd := c.Labels[engine.LabelWorkingDir]; wd != "" && p.WorkingDir == "" {
			p.WorkingDir = wd
		}
		if deps := c.Labels[engine.LabelDependsOn]; deps != "" {
			cfg.DependsOn = types.DependsOnConfig{}
			for _, d := range strings.Split(deps, ",") {
				parts := strings.Split(d, ":")
				if len(parts) >= 2 {
					cfg.DependsOn[parts[0]] = types.ServiceDependency{Condition: parts[1], Required: false}
				}
			}
		}
		p.Services[svc] = cfg
	}
	// Dependencies on services without a container are dropped.
	for n, s := range p.Services {
		for d := range s.DependsOn {
			if _, ok := p.Services[d]; !ok {
				delete(s.DependsOn, d)
			}
		}
		p.Services[n] = s
	}
	nets, err := b.ListNetworks(ctx, labels)
	if err != nil {
		return nil, err
	}
	for _, n := range nets {
		key := n.Labels[engine.LabelNetwork]
		if key == "" {
			key = strings.TrimPrefix(n.Name, name+"_")
		}
		p.Networks[key] = types.NetworkConfig{Name: n.Name}
	}
	vols, err := b.ListVolumes(ctx, labels)
	if err != nil {
		return nil, err
	}
	for _, v := range vols {
		key := v.Labels[engine.LabelVolume]
		if key == "" {
			key = strings.TrimPrefix(v.Name, name+"_")
		}
		p.Volumes[key] = types.VolumeConfig{Name: v.Name}
	}
	// Services are attached to every network, so that the default network
	// is not invented when the project has its own.
	for n, s := range p.Services {
		if len(p.Networks) > 0 {
			s.Networks = map[string]*types.ServiceNetworkConfig{}
			for k := range p.Networks {
				s.Networks[k] = nil
			}
		}
		p.Services[n] = s
	}
	return p, nil
}

// newEngine builds the engine for p, its events going to r, with extra
// options.
func (a *app) newEngine(ctx context.Context, p *types.Project, events func(engine.Event), extra ...engine.Option) (*engine.Engine, backend.Backend, error) {
	b, err := a.backend(ctx)
	if err != nil {
		return nil, nil, err
	}
	opts := []engine.Option{engine.WithEvents(events)}
	if a.g.parallel > 0 {
		opts = append(opts, engine.WithParallel(a.g.parallel))
	}
	opts = append(opts, extra...)
	opts = append(opts, a.engineOptions...)
	return engine.New(b, p, opts...), b, nil
}

// timeoutPtr returns &t when the flag was given.
func timeoutPtr(cmd *cobra.Command, name string, t int) *int {
	if cmd.Flags().Changed(name) {
		return &t
	}
	return nil
}
