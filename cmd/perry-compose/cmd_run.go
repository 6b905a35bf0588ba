package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"sort"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/mattn/go-shellwords"
	"github.com/spf13/cobra"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/compose/engine"
	"github.com/perryts/perry-container/core"
)

func (a *app) pullCmd() *cobra.Command {
	var ignoreFailures, ignoreBuildable, quiet, includeDeps bool
	cmd := &cobra.Command{
		Use:   "pull [flags] [SERVICE...]",
		Short: "Pull service images",
		Long: `Pull the images of services (all when none is named). Services without an
image (build only) are skipped; a failed pull of an image that a service
can build is only a warning.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if quiet {
				a.g.progress = "quiet"
			}
			s, err := a.open(ctx, args, false, "Pulling")
			if err != nil {
				return err
			}
			defer s.r.Close()
			selected := args
			if len(selected) == 0 {
				selected = slices.Sorted(maps.Keys(s.p.Services))
			} else if includeDeps {
				selected = withDependencies(s.p.Services, selected)
			}
			var pullable, buildable []string
			for _, name := range selected {
				cfg := s.p.Services[name]
				switch {
				case cfg.Image == "":
				case cfg.Build != nil:
					if !ignoreBuildable {
						buildable = append(buildable, name)
					}
				default:
					pullable = append(pullable, name)
				}
			}
			if len(pullable) > 0 {
				err := s.e.PullAndBuild(ctx, engine.UpOptions{Services: pullable, NoDeps: true, Pull: "always", NoBuild: true})
				if err != nil {
					if !ignoreFailures || ctx.Err() != nil {
						return err
					}
					s.r.Event(engine.Event{Resource: engine.ResourceService, ID: s.p.Name, Status: engine.StatusWarning, Text: errorText(err)})
				}
			}
			for _, name := range buildable {
				err := s.e.PullAndBuild(ctx, engine.UpOptions{Services: []string{name}, NoDeps: true, Pull: "always", NoBuild: true})
				if err != nil {
					if ctx.Err() != nil {
						return err
					}
					s.r.Event(engine.Event{Resource: engine.ResourceService, ID: name, Status: engine.StatusWarning,
						Text: "pull failed; the image can be built: " + errorText(err)})
				}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&ignoreFailures, "ignore-pull-failures", false, "Pull what it can and ignores images with pull failures")
	fl.BoolVar(&ignoreBuildable, "ignore-buildable", false, "Ignore images that can be built")
	fl.BoolVarP(&quiet, "quiet", "q", false, "Pull without printing progress information")
	fl.BoolVar(&includeDeps, "include-deps", false, "Also pull services declared as dependencies")
	return cmd
}

func (a *app) pushCmd() *cobra.Command {
	var opts engine.PushOptions
	var quiet bool
	cmd := &cobra.Command{
		Use:   "push [flags] [SERVICE...]",
		Short: "Push service images",
		Long: `Push the images the project builds (services with both build and image) to
their registries, with the credentials the runtime's login stored; other
services are skipped.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if quiet {
				a.g.progress = "quiet"
			}
			s, err := a.open(ctx, args, false, "Pushing")
			if err != nil {
				return err
			}
			defer s.r.Close()
			opts.Services = args
			return s.e.Push(ctx, opts)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&opts.IgnoreFailures, "ignore-push-failures", false, "Push what it can and ignores images with push failures")
	fl.BoolVar(&opts.IncludeDeps, "include-deps", false, "Also push images of services declared as dependencies")
	fl.BoolVarP(&quiet, "quiet", "q", false, "Push without printing progress information")
	return cmd
}

// withDependencies adds the services' transitive dependencies.
func withDependencies(services types.Services, names []string) []string {
	seen := map[string]bool{}
	var out []string
	var add func(string)
	add = func(n string) {
		if seen[n] {
			return
		}
		seen[n] = true
		out = append(out, n)
		for d := range services[n].DependsOn {
			if _, ok := services[d]; ok {
				add(d)
			}
		}
	}
	for _, n := range names {
		add(n)
	}
	sort.Strings(out)
	return out
}

func (a *app) buildCmd() *cobra.Command {
	var (
		noCache, pull, quiet bool
		buildArgs            []string
	)
	cmd := &cobra.Command{
		Use:   "build [flags] [SERVICE...]",
		Short: "Build or rebuild services",
		Long:  "Build the images of the services that have a build section (all when none is named).",
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if quiet {
				a.g.progress = "quiet"
			}
			p, err := a.loadProject(ctx, args)
			if err != nil {
				return err
			}
			selected := args
			if len(selected) == 0 {
				selected = slices.Sorted(maps.Keys(p.Services))
			}
			extra, err := parseEnv(buildArgs, func(string) (string, bool) { return "", false })
			if err != nil {
				return usageErr(cmd, "invalid --build-arg: %v", err)
			}
			var build []string
			for _, name := range selected {
				cfg := p.Services[name]
				if cfg.Build == nil {
					continue
				}
				b := *cfg.Build
				b.NoCache = b.NoCache || noCache
				b.Pull = b.Pull || pull
				if len(extra) > 0 {
					b.Args = maps.Clone(b.Args)
					if b.Args == nil {
						b.Args = map[string]*string{}
					}
					for k, v := range extra {
						b.Args[k] = &v
					}
				}
				cfg.Build = &b
				p.Services[name] = cfg
				build = append(build, name)
			}
			if len(build) == 0 {
				return nil
			}
			s, err := a.session(ctx, p, "Building")
			if err != nil {
				return err
			}
			defer s.r.Close()
			return s.e.PullAndBuild(ctx, engine.UpOptions{Services: build, NoDeps: true, Build: true})
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&noCache, "no-cache", false, "Do not use cache when building the image")
	fl.BoolVar(&pull, "pull", false, "Always attempt to pull a newer version of the image")
	fl.BoolVarP(&quiet, "quiet", "q", false, "Don't print anything to STDOUT")
	fl.StringArrayVar(&buildArgs, "build-arg", nil, "Set build-time variables for services (KEY=VALUE)")
	return cmd
}

type runFlags struct {
	detach, rm, noDeps, servicePorts, build bool
	useAliases                              bool
	env, labels, publish                    []string
	workdir, user, name, entrypoint, pull   string
	attach                                  attachFlags
}

func (a *app) runCmd() *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "run [flags] SERVICE [COMMAND] [ARGS...]",
		Short: "Run a one-off command on a service",
		Long: `Create and start a one-off container of a service ({project}-{service}-run-{id}),
after starting its dependencies (unless --no-deps), print its output and
exit with its exit code. The container is attached to this terminal
before it starts: stdin (-i, the default) and a TTY when stdin and stdout
are a terminal (-T disables it; the detach keys leave it running).
A bare -e NAME takes NAME from the shell, then from the env files.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return a.runRun(cmd, f, args) },
	}
	fl := cmd.Flags()
	fl.SetInterspersed(false)
	fl.BoolVarP(&f.detach, "detach", "d", false, "Run container in background and print container ID")
	fl.BoolVar(&f.rm, "rm", false, "Automatically remove the container when it exits")
	fl.BoolVar(&f.noDeps, "no-deps", false, "Don't start linked services")
	fl.BoolVar(&f.servicePorts, "service-ports", false, "Run command with the service's ports enabled and mapped to the host")
	fl.BoolVar(&f.useAliases, "use-aliases", false, "Use the service's network aliases in the network(s) the container connects to")
	fl.BoolVar(&f.build, "build", false, "Build image before starting container")
	fl.StringVar(&f.pull, "pull", "", `Pull image before running ("always", "missing", "never")`)
	f.attach.register(fl, false)
	fl.StringArrayVarP(&f.env, "env", "e", nil, "Set environment variables (KEY=VALUE, or KEY to take it from the shell or the env files)")
	fl.StringArrayVarP(&f.labels, "label", "l", nil, "Add or override a label (KEY=VALUE)")
	fl.StringVarP(&f.workdir, "workdir", "w", "", "Working directory inside the container")
	fl.StringVarP(&f.user, "user", "u", "", "Run as specified username or uid")
	fl.StringVar(&f.name, "name", "", "Assign a name to the container")
	fl.StringVar(&f.entrypoint, "entrypoint", "", "Override the entrypoint of the image")
	fl.StringArrayVarP(&f.publish, "publish", "p", nil, "Publish a container's port(s) to the host")
	return cmd
}

func (a *app) runRun(cmd *cobra.Command, f *runFlags, args []string) error {
	ctx := cmd.Context()
	service := args[0]
	if _, err := backend.ParseDetachKeys(f.attach.detachKeys); err != nil {
		return usageErr(cmd, "invalid --detach-keys: %v", core.AsError(err).Message)
	}
	tty, explicitTTY, err := a.wantTTY(cmd, &f.attach)
	if err != nil {
		return err
	}
	s, err := a.open(ctx, args[:1], false, "Running")
	if err != nil {
		return err
	}
	defer s.r.Close()
	svc := s.p.Services[service]
	env, err := parseEnv(f.env, func(k string) (string, bool) {
		v, ok := s.p.Environment[k] // the shell, then the env files
		return v, ok
	})
	if err != nil {
		return usageErr(cmd, "%v", err)
	}
	labels, err := parseEnv(f.labels, func(string) (string, bool) { return "", false })
	if err != nil {
		return usageErr(cmd, "invalid --label: %v", err)
	}
	var entrypoint []string
	if cmd.Flags().Changed("entrypoint") {
		if entrypoint, err = shellwords.Parse(f.entrypoint); err != nil {
			return usageErr(cmd, "invalid --entrypoint: %v", err)
		}
	}
	// The image, then the dependencies.
	if err := s.e.PullAndBuild(ctx, engine.UpOptions{Services: []string{service}, NoDeps: true, Build: f.build, Pull: f.pull}); err != nil {
		return err
	}
	if !f.noDeps {
		var deps []string
		for d := range svc.DependsOn {
			if _, ok := s.p.Services[d]; ok {
				deps = append(deps, d)
			}
		}
		if len(deps) > 0 {
			sort.Strings(deps)
			if err := s.e.Up(ctx, engine.UpOptions{Services: deps, KeepOnFailure: true}); err != nil {
				return err
			}
		}
	}
	// Its networks and volumes, when no dependency brought them.
	if err := s.e.EnsureResources(ctx, []string{service}); err != nil {
		return err
	}
	s.r.Close()

	var slug [6]byte
	_, _ = rand.Read(slug[:])
	spec, release, err := s.e.OneOffSpec(ctx, service, engine.OneOffOptions{Slug: hex.EncodeToString(slug[:]), Name: f.name, UseAliases: f.useAliases})
	defer release()
	if err != nil {
		return err
	}
	if len(args) > 1 {
		spec.Cmd = args[1:]
	}
	if entrypoint != nil || cmd.Flags().Changed("entrypoint") {
		spec.Entrypoint = entrypoint
		if len(args) == 1 {
			spec.Cmd = nil // a new entrypoint drops the service's command, as in docker
		}
	}
	if spec.Env == nil {
		spec.Env = map[string]string{}
	}
	maps.Copy(spec.Env, env)
	// A variable -e sets is no longer one the service removes.
	spec.UnsetEnv = slices.DeleteFunc(slices.Clone(spec.UnsetEnv), func(k string) bool { _, set := env[k]; return set })
	maps.Copy(spec.Labels, labels)
	if f.workdir != "" {
		spec.Workdir = f.workdir
	}
	if f.user != "" {
		spec.User = f.user
	}
	if !f.servicePorts {
		spec.Ports = nil
	}
	spec.Ports = append(spec.Ports, f.publish...)
	spec.Restart = "" // a one-off container is never restarted
	spec.Tty, spec.StdinOpen = false, false

	// The container outlives a cancelled ctx only as long as it takes to
	// stop (and with --rm remove) it.
	bg := context.WithoutCancel(ctx)
	// The service's post_start hooks run in the one-off container too, as
	// docker compose's run runs them.
	var postStart func(context.Context, core.ContainerHandle) error
	if len(svc.PostStart) > 0 {
		postStart = func(ctx context.Context, h core.ContainerHandle) error { return s.e.PostStart(ctx, service, h) }
	}
	if !f.detach {
		it, ierr := interactor(s.b, "run with stdin or a TTY attached")
		if ierr == nil {
			return a.runAttached(ctx, it, s.b, spec, service, tty, f, postStart)
		}
		if explicitTTY && tty {
			return ierr
		}
	}
	if f.detach {
		// As docker compose's: stdin kept open (-i, the default) and a TTY
		// when one is wanted, though nothing attaches now (attach may).
		spec.StdinOpen, spec.Tty = f.attach.interactive, tty
	}
	h, err := s.b.Create(ctx, spec)
	if err != nil {
		return core.AsError(err).With("service", service)
	}
	cleanup := func() {
		if f.rm {
			_ = s.b.Remove(bg, h.ID, true)
		}
	}
	if err := s.b.Start(ctx, h.ID); err != nil {
		cleanup()
		return core.AsError(err).With("service", service)
	}
	var hookErr error
	if postStart != nil {
		hookErr = postStart(ctx, h)
	}
	if f.detach {
		fmt.Fprintln(a.stdout, h.ID)
		return hookErr
	}
	ferr := s.b.FollowLogs(ctx, h.ID, backend.LogsOptions{}, a.stdout, a.stderr)
	if ctx.Err() != nil {
		zero := 0
		_ = s.b.Stop(bg, h.ID, &zero)
		cleanup()
		return ctx.Err()
	}
	code, err := s.b.Wait(ctx, h.ID)
	cleanup()
	if err != nil {
		return core.AsError(err).With("service", service)
	}
	if ferr != nil {
		return core.AsError(ferr).With("service", service)
	}
	if code != 0 {
		return &statusError{code: code}
	}
	return hookErr
}

func (a *app) execCmd() *cobra.Command {
	var (
		env                []string
		workdir, user      string
		detach, privileged bool
		index              int
		af                 attachFlags
	)
	cmd := &cobra.Command{
		Use:   "exec [flags] SERVICE COMMAND [ARGS...]",
		Short: "Execute a command in a running container",
		Long: `Run a command in a running container of a service, attached to this
terminal, and exit with the command's exit code. stdin is attached (-i,
the default); a TTY is allocated when stdin and stdout are a terminal
(-T disables it). With a TTY, the detach keys (ctrl-p,ctrl-q) leave the
command running in the container.`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			envMap, err := parseEnv(env, func(k string) (string, bool) { return os.LookupEnv(k) })
			if err != nil {
				return usageErr(cmd, "%v", err)
			}
			if _, err := backend.ParseDetachKeys(af.detachKeys); err != nil {
				return usageErr(cmd, "invalid --detach-keys: %v", core.AsError(err).Message)
			}
			tty, explicitTTY, err := a.wantTTY(cmd, &af)
			if err != nil {
				return err
			}
			s, err := a.open(ctx, args[:1], true, "")
			if err != nil {
				return err
			}
			defer s.r.Close()
			opts := engine.ExecOptions{Index: index, ExecOptions: backend.ExecOptions{Cmd: args[1:], Env: envMap, Workdir: workdir, User: user, Privileged: privileged}}
			it, ierr := interactor(s.b, "exec with stdin or a TTY attached")
			if detach || (ierr != nil && !explicitTTY) {
				// Without attaching: the output comes once the command ends.
				return a.execCollected(ctx, s.e, args[0], opts, detach)
			}
			if ierr != nil {
				return ierr
			}
			id, err := execContainer(ctx, s.e, args[0], index)
			if err != nil {
				return err
			}
			return a.attachSession(ctx, it, tty, &af, func(ctx context.Context, iio backend.InteractiveIO) (int, error) {
				return it.ExecInteractive(ctx, id, opts.ExecOptions, iio)
			})
		},
	}
	fl := cmd.Flags()
	fl.SetInterspersed(false) // flags after SERVICE belong to the command
	fl.StringArrayVarP(&env, "env", "e", nil, "Set environment variables (KEY=VALUE, or KEY to take it from the shell)")
	fl.StringVarP(&workdir, "workdir", "w", "", "Path to workdir directory for this command")
	fl.StringVarP(&user, "user", "u", "", "Run the command as this user")
	fl.BoolVarP(&detach, "detach", "d", false, "Detached mode: run the command in the background (its output is discarded)")
	fl.IntVar(&index, "index", 0, "Index of the container if the service has multiple replicas (default 1)")
	fl.BoolVar(&privileged, "privileged", false, "Give extended privileges to the process")
	af.register(fl, true)
	return cmd
}

// execCollected runs an exec without attaching: -d (it keeps running in
// the background), or a backend that cannot attach.
func (a *app) execCollected(ctx context.Context, e *engine.Engine, service string, opts engine.ExecOptions, detach bool) error {
	if detach {
		done := make(chan error, 1)
		go func() {
			_, err := e.Exec(ctx, service, opts)
			done <- err
		}()
		select {
		case err := <-done:
			return err
		case <-time.After(500 * time.Millisecond):
			return nil // still running: it keeps running in the container
		}
	}
	res, err := e.Exec(ctx, service, opts)
	if err != nil {
		return err
	}
	io.WriteString(a.stdout, res.Stdout)
	io.WriteString(a.stderr, res.Stderr)
	if res.ExitCode != nil && *res.ExitCode != 0 {
		return &statusError{code: *res.ExitCode}
	}
	return nil
}

// runAttached creates the one-off container attached to this terminal,
// starts it and passes its exit code through; with --rm it is removed once
// it exits (not after a detach: it is still running). postStart, when not
// nil, runs the service's post_start hooks once the container runs; its
// failure fails the run when the container's own exit code does not.
func (a *app) runAttached(ctx context.Context, it backend.Interactor, b backend.Backend, spec *core.ContainerSpec, service string, tty bool, f *runFlags,
	postStart func(context.Context, core.ContainerHandle) error) error {
	bg := context.WithoutCancel(ctx)
	var id string
	ended := make(chan struct{})
	var hooks chan error
	created := func(h core.ContainerHandle) {
		id = h.ID
		if id == "" {
			id = h.Name
		}
		if postStart != nil {
			hooks = make(chan error, 1)
			cid := id
			go func() { hooks <- whenRunning(ctx, b, cid, ended, postStart) }()
		}
	}
	err := a.attachSession(ctx, it, tty, &f.attach, func(ctx context.Context, iio backend.InteractiveIO) (int, error) {
		code, err := it.RunInteractive(ctx, spec, iio, created)
		if errors.Is(err, backend.ErrDetached) {
			id = "" // left running
		}
		return code, err
	})
	close(ended)
	var hookErr error
	if hooks != nil {
		hookErr = <-hooks
	}
	if id != "" && ctx.Err() != nil {
		zero := 0
		_ = b.Stop(bg, id, &zero)
	}
	if id != "" && f.rm {
		_ = b.Remove(bg, id, true)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		var se *statusError
		if errors.As(err, &se) {
			return err
		}
		return core.AsError(err).With("service", service)
	}
	return hookErr
}

// whenRunning calls fn with container id once it runs: a runtime's attached
// run starts the container out of this process's hands, so it is watched
// for, as docker compose's run waits for the start event. It gives up,
// calling nothing, when the container ended (or never came) once ended is
// closed, or when ctx ends.
func whenRunning(ctx context.Context, b backend.Backend, id string, ended <-chan struct{}, fn func(context.Context, core.ContainerHandle) error) error {
	last := false // one more look once the session ended (a detach leaves it running)
	for {
		info, err := b.Inspect(ctx, id)
		if err == nil {
			switch info.State {
			case "running":
				return fn(ctx, core.ContainerHandle{ID: info.ID, Name: info.Name})
			case "created":
			default:
				return nil // it ran and ended before a hook could
			}
		}
		if last {
			return nil
		}
		select {
		case <-ended:
			last = true
		case <-ctx.Done():
			return nil
		case <-time.After(50 * time.Millisecond):
		}
	}
}
