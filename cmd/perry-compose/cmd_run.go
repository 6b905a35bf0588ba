package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"sort"

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
	detach, rm, noDeps, servicePorts, build, noTTY, interactive bool
	env, labels, publish                                        []string
	workdir, user, name, entrypoint, pull                       string
}

func (a *app) runCmd() *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "run [flags] SERVICE [COMMAND] [ARGS...]",
		Short: "Run a one-off command on a service",
		Long: `Create and start a one-off container of a service ({project}-{service}-run-{id}),
after starting its dependencies (unless --no-deps), print its output and
exit with its exit code. No TTY is allocated and stdin is not attached.
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
	fl.BoolVar(&f.build, "build", false, "Build image before starting container")
	fl.StringVar(&f.pull, "pull", "", `Pull image before running ("always", "missing", "never")`)
	fl.BoolVarP(&f.noTTY, "no-TTY", "T", false, "Disable pseudo-TTY allocation (always the case)")
	fl.BoolVarP(&f.interactive, "interactive", "i", true, "Keep STDIN open (accepted; stdin is not attached)")
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
	spec, release, err := s.e.OneOffSpec(ctx, service, hex.EncodeToString(slug[:]))
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
	maps.Copy(spec.Labels, labels)
	if f.workdir != "" {
		spec.Workdir = f.workdir
	}
	if f.user != "" {
		spec.User = f.user
	}
	if f.name != "" {
		spec.Name = f.name
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
	if f.detach {
		fmt.Fprintln(a.stdout, h.ID)
		return nil
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
	return nil
}
