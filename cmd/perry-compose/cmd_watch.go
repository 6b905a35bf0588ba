package main

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/spf13/cobra"

	"github.com/perryts/perry-container/cmd/perry-compose/internal/progress"
	"github.com/perryts/perry-container/compose/engine"
	"github.com/perryts/perry-container/compose/watch"
)

type watchFlags struct {
	noUp, prune, quiet bool
}

func (a *app) watchCmd() *cobra.Command {
	f := &watchFlags{}
	cmd := &cobra.Command{
		Use:   "watch [SERVICE...]",
		Short: "Watch the build context for services and rebuild/refresh containers when files are updated",
		Long: `Bring the project up (unless --no-up), then watch the paths of each
service's develop.watch rules. After changes settle, each rule's action
runs: sync copies the changed files into the service's running containers
(deleted ones are removed there), rebuild builds the image and recreates
the service, restart restarts it, sync+restart and sync+exec sync and then
restart or run a command. Ignore patterns use .dockerignore's syntax,
relative to the rule's path; the build context's .dockerignore applies too.

Ctrl-C stops watching and leaves the project running, as docker compose
does.`,
		RunE: func(cmd *cobra.Command, args []string) error { return a.runWatch(cmd, f, args) },
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.noUp, "no-up", false, "Do not build & start services before watching")
	fl.BoolVar(&f.prune, "prune", true, "Prune dangling images on rebuild")
	fl.BoolVar(&f.quiet, "quiet", false, "Hide build output")
	return cmd
}

// actionRenderer shows the engine's progress of one watch action at a
// time: a renderer is made at the action's first event and closed when the
// action ends, so that the watch's own lines come between the blocks.
type actionRenderer struct {
	mu  sync.Mutex
	cur progress.Renderer
	mk  func() progress.Renderer
}

func (r *actionRenderer) event(ev engine.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cur == nil {
		r.cur = r.mk()
	}
	r.cur.Event(ev)
}

func (r *actionRenderer) done() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cur != nil {
		r.cur.Close()
		r.cur = nil
	}
}

// renderedActions closes the progress block after each action.
type renderedActions struct {
	watch.Actions
	r *actionRenderer
}

func (x renderedActions) Sync(ctx context.Context, service string, ops []watch.FileOp) error {
	defer x.r.done()
	return x.Actions.Sync(ctx, service, ops)
}

func (x renderedActions) Rebuild(ctx context.Context, services []string) error {
	defer x.r.done()
	return x.Actions.Rebuild(ctx, services)
}

func (x renderedActions) Restart(ctx context.Context, service string) error {
	defer x.r.done()
	return x.Actions.Restart(ctx, service)
}

func (x renderedActions) Exec(ctx context.Context, service string, hook types.ServiceHook) error {
	defer x.r.done()
	return x.Actions.Exec(ctx, service, hook)
}

// watcher is a ready watch: its rules, actions and output.
type watcher struct {
	a     *app
	rules []watch.Rule
	acts  watch.Actions
	rend  *actionRenderer
	e     *engine.Engine
}

// eventRelay passes the watch engine's events to a hook set later (up
// --watch: the attached up's, so that it follows the containers a rebuild
// recreates).
type eventRelay struct {
	mu   sync.Mutex
	hook func(engine.Event)
}

func (r *eventRelay) set(h func(engine.Event)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hook = h
}

func (r *eventRelay) event(ev engine.Event) {
	r.mu.Lock()
	h := r.hook
	r.mu.Unlock()
	if h != nil {
		h(ev)
	}
}

// newWatcher reads the rules and checks that the backend can carry them
// out, before anything starts. relay, when not nil, is given the engine's
// events too.
func (a *app) newWatcher(ctx context.Context, p *types.Project, services []string, prune, quiet bool, relay *eventRelay) (*watcher, error) {
	rules, err := watch.Rules(p, services)
	if err != nil {
		return nil, err
	}
	rend := &actionRenderer{mk: func() progress.Renderer {
		if quiet {
			return progress.New(a.stderr, progress.Options{Mode: progress.ModeQuiet})
		}
		return a.renderer("Running")
	}}
	e, b, err := a.newEngine(ctx, p, func(ev engine.Event) {
		rend.event(ev)
		if relay != nil {
			relay.event(ev)
		}
	})
	if err != nil {
		return nil, err
	}
	ea := &watch.EngineActions{Engine: e, Backend: b, Prune: prune}
	if err := ea.CheckSync(rules); err != nil {
		return nil, err
	}
	return &watcher{a: a, rules: rules, acts: renderedActions{Actions: ea, r: rend}, rend: rend, e: e}, nil
}

// run watches until ctx ends.
func (w *watcher) run(ctx context.Context) error {
	var mu sync.Mutex
	return watch.Run(ctx, watch.Options{
		Rules:   w.rules,
		Actions: w.acts,
		Log: func(s string) {
			w.rend.done()
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintln(w.a.stdout, s)
		},
	})
}

func (a *app) runWatch(cmd *cobra.Command, f *watchFlags, services []string) error {
	ctx := cmd.Context()
	p, err := a.loadProject(ctx, services)
	if err != nil {
		return err
	}
	w, err := a.newWatcher(ctx, p, services, f.prune, f.quiet, nil)
	if err != nil {
		return err
	}
	if !f.noUp {
		err := w.e.Up(ctx, engine.UpOptions{Services: services, KeepOnFailure: true})
		w.rend.done()
		if err != nil {
			return withLastLogs(ctx, w.e, err)
		}
	}
	// Ctrl-C ends the watch; the project stays up.
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	a.setSignalHandler(func(os.Signal) {
		if !a.markInterrupted() {
			a.exit(exitInterrupted)
		}
		stop()
	})
	return w.run(wctx)
}

// upWatch is up --watch: up, then watch while attached to the containers'
// output as up is; Ctrl-C stops both (and the stack, as an attached up
// does).
func (a *app) upWatch(cmd *cobra.Command, f *upFlags, uo engine.UpOptions, p *types.Project) error {
	if f.detach {
		return usageErr(cmd, "--watch is incompatible with --detach and --wait")
	}
	ctx := cmd.Context()
	relay := &eventRelay{}
	w, err := a.newWatcher(ctx, p, uo.Services, true, false, relay)
	if err != nil {
		return err
	}
	// Up first, so that the watch acts on running containers; the attached
	// up then finds nothing to change and follows the output.
	err = w.e.Up(ctx, uo)
	w.rend.done()
	if err != nil {
		return withLastLogs(ctx, w.e, err)
	}
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- w.run(wctx) }()
	uo.Build, uo.ForceRecreate, uo.Pull = false, false, "never"
	f.attached = relay.set // the containers a rebuild recreates are followed too
	err = a.upAttached(ctx, f, uo, p)
	stop()
	if werr := <-done; err == nil && werr != nil {
		err = werr
	}
	return err
}
