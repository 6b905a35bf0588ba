package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/spf13/cobra"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/cmd/perry-compose/internal/progress"
	"github.com/perryts/perry-container/compose/engine"
	"github.com/perryts/perry-container/core"
)

// session is what a command that drives the engine needs.
type session struct {
	p *types.Project
	e *engine.Engine
	b backend.Backend
	r progress.Renderer
}

// open loads the project (existing: also from labels, for commands that act
// on a running stack) and builds its engine with a progress renderer.
func (a *app) open(ctx context.Context, services []string, existing bool, title string) (*session, error) {
	var (
		p   *types.Project
		err error
	)
	if existing {
		p, err = a.existingProject(ctx, services)
	} else {
		p, err = a.loadProject(ctx, services)
	}
	if err != nil {
		return nil, err
	}
	return a.session(ctx, p, title)
}

// session builds the engine of a loaded project with a progress renderer;
// the caller closes s.r.
// downSession is the session of a down (or its dry run): the existing
// project with every profile, so that containers of inactive profiles go
// too.
func (a *app) downSession(ctx context.Context, args []string) (*session, error) {
	p, err := a.existingProject(ctx, args)
	if err != nil {
		return nil, err
	}
	if all, err := p.WithProfiles([]string{"*"}); err == nil {
		p = all
	}
	return a.session(ctx, p, "Running")
}

// downOptions are down's flags (cmd's) as the engine takes them.
func (a *app) downOptions(cmd *cobra.Command) engine.DownOptions {
	fl := cmd.Flags()
	volumes, _ := fl.GetBool("volumes")
	removeOrphans, _ := fl.GetBool("remove-orphans")
	rmi, _ := fl.GetString("rmi")
	timeout, _ := fl.GetInt("timeout")
	return engine.DownOptions{Volumes: volumes, RemoveOrphans: removeOrphans || isTrue(a.env("COMPOSE_REMOVE_ORPHANS")),
		Timeout: timeoutPtr(cmd, "timeout", timeout), RemoveImages: rmi}
}

func (a *app) session(ctx context.Context, p *types.Project, title string) (*session, error) {
	r := a.renderer(title)
	e, b, err := a.newEngine(ctx, p, r.Event)
	if err != nil {
		r.Close()
		return nil, err
	}
	return &session{p: p, e: e, b: b, r: r}, nil
}

func (a *app) downCmd() *cobra.Command {
	var (
		volumes, removeOrphans bool
		rmi                    string
		timeout                int
	)
	cmd := &cobra.Command{
		Use:   "down [flags] [SERVICE...]",
		Short: "Stop and remove containers, networks",
		Long: `Stop and remove the project's containers (dependents first), then its
networks; with -v its named volumes, with --rmi its images. External
networks and volumes, and anything without the project's label, are never
removed. Containers of services in inactive profiles are removed too.
With service names, only the containers of those services and of the
services depending on them are stopped and removed.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if rmi != "" && rmi != "local" && rmi != "all" {
				return usageErr(cmd, "invalid --rmi value %q: use local or all", rmi)
			}
			ctx := cmd.Context()
			s, err := a.downSession(ctx, args)
			if err != nil {
				return err
			}
			defer s.r.Close()
			if len(args) > 0 {
				return downServices(ctx, s, args, timeoutPtr(cmd, "timeout", timeout))
			}
			return s.e.Down(ctx, a.downOptions(cmd))
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&volumes, "volumes", "v", false, "Remove named volumes declared in the \"volumes\" section of the compose file")
	fl.BoolVar(&removeOrphans, "remove-orphans", false, "Remove containers for services not defined in the compose file")
	fl.StringVar(&rmi, "rmi", "", `Remove images used by services: "local" removes only images that don't have a custom tag, "all" removes all`)
	fl.IntVarP(&timeout, "timeout", "t", 0, "Shutdown timeout in seconds (default: each service's stop_grace_period, else 10)")
	return cmd
}

// downServices stops and removes the containers of services and of the
// services that depend on them, as docker compose's down SERVICE does; the
// networks and volumes stay for the other services.
func downServices(ctx context.Context, s *session, services []string, timeout *int) error {
	selected := map[string]bool{}
	for _, n := range services {
		selected[n] = true
	}
	for changed := true; changed; {
		changed = false
		for name, svc := range s.p.Services {
			if selected[name] {
				continue
			}
			for dep := range svc.DependsOn {
				if selected[dep] {
					selected[name], changed = true, true
					break
				}
			}
		}
	}
	names := slices.Sorted(maps.Keys(selected))
	if err := s.e.Stop(ctx, names, timeout); err != nil {
		return err
	}
	cs, err := s.e.Ps(ctx, engine.PsOptions{All: true, Services: names})
	if err != nil {
		return err
	}
	for _, c := range cs {
		if err := removeContainer(ctx, s, c, true); err != nil {
			return err
		}
	}
	return nil
}

func (a *app) createCmd() *cobra.Command {
	f := &createFlags{}
	cmd := &cobra.Command{
		Use:   "create [flags] [SERVICE...]",
		Short: "Create containers for a service",
		Long: `Create the networks, volumes and containers of services (all when none is
named) and of their dependencies, without starting them.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			uo, err := f.options(cmd, a, args)
			if err != nil {
				return err
			}
			uo.NoStart = true
			s, err := a.open(cmd.Context(), args, false, "Running")
			if err != nil {
				return err
			}
			defer s.r.Close()
			return s.e.Up(cmd.Context(), uo)
		},
	}
	f.register(cmd)
	return cmd
}

func (a *app) startCmd() *cobra.Command {
	var timeout int
	cmd := &cobra.Command{
		Use:   "start [flags] [SERVICE...]",
		Short: "Start services",
		Long:  "Start the existing containers of services (all when none is named) and of their dependencies, in dependency order.",
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.open(cmd.Context(), args, true, "Running")
			if err != nil {
				return err
			}
			defer s.r.Close()
			return s.e.Start(cmd.Context(), args, timeoutPtr(cmd, "timeout", timeout))
		},
	}
	cmd.Flags().IntVarP(&timeout, "timeout", "t", 0, "Timeout in seconds for stopping containers, when a restart is needed")
	return cmd
}

func (a *app) stopCmd() *cobra.Command {
	var timeout int
	cmd := &cobra.Command{
		Use:   "stop [flags] [SERVICE...]",
		Short: "Stop services",
		Long:  "Stop the running containers of services (all when none is named), dependents first, without removing them.",
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.open(cmd.Context(), args, true, "Stopping")
			if err != nil {
				return err
			}
			defer s.r.Close()
			return s.e.Stop(cmd.Context(), args, timeoutPtr(cmd, "timeout", timeout))
		},
	}
	cmd.Flags().IntVarP(&timeout, "timeout", "t", 0, "Specify a shutdown timeout in seconds (default: each service's stop_grace_period, else 10)")
	return cmd
}

func (a *app) restartCmd() *cobra.Command {
	var timeout int
	cmd := &cobra.Command{
		Use:   "restart [flags] [SERVICE...]",
		Short: "Restart service containers",
		Long:  "Stop and start the containers of services (all when none is named), and of the services depending on them with restart: true.",
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.open(cmd.Context(), args, true, "Restarting")
			if err != nil {
				return err
			}
			defer s.r.Close()
			return s.e.Restart(cmd.Context(), args, timeoutPtr(cmd, "timeout", timeout))
		},
	}
	cmd.Flags().IntVarP(&timeout, "timeout", "t", 0, "Specify a shutdown timeout in seconds (default: each service's stop_grace_period, else 10)")
	return cmd
}

func (a *app) killCmd() *cobra.Command {
	var signal string
	var removeOrphans bool
	cmd := &cobra.Command{
		Use:   "kill [flags] [SERVICE...]",
		Short: "Force stop service containers",
		Long: `Send a signal (SIGKILL by default) to the running containers of services
(all when none is named), all at once. A signal is delivered, not a stop:
one other than SIGKILL may leave a container running.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := backend.CheckSignal(signal); err != nil {
				return usageErr(cmd, "%s", core.AsError(err).Message)
			}
			s, err := a.open(cmd.Context(), args, true, "Killing")
			if err != nil {
				return err
			}
			defer s.r.Close()
			if err := s.e.Kill(cmd.Context(), args, signal); err != nil {
				return err
			}
			if removeOrphans {
				return killOrphans(cmd.Context(), s, signal)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&signal, "signal", "s", "SIGKILL", "SIGNAL to send to the container")
	cmd.Flags().BoolVar(&removeOrphans, "remove-orphans", false, "Also kill the containers of services not defined in the compose file")
	return cmd
}

// killOrphans sends the signal to the project's running containers whose
// service is not in the project: docker compose's kill --remove-orphans,
// which kills them and removes nothing.
func killOrphans(ctx context.Context, s *session, signal string) error {
	cs, err := s.e.Ps(ctx, engine.PsOptions{})
	if err != nil {
		return err
	}
	for _, c := range cs {
		if _, ok := s.p.Services[c.Service]; ok {
			continue
		}
		if _, ok := s.p.DisabledServices[c.Service]; ok {
			continue
		}
		s.r.Event(engine.Event{Resource: engine.ResourceContainer, ID: c.Name, Status: engine.StatusKilling})
		if err := s.b.Kill(ctx, c.ID, signal); err != nil && core.KindOf(err) != core.KindNotFound {
			return core.AsError(err).With("service", c.Service)
		}
		s.r.Event(engine.Event{Resource: engine.ResourceContainer, ID: c.Name, Status: engine.StatusKilled})
	}
	return nil
}

func removeContainer(ctx context.Context, s *session, c engine.Container, force bool) error {
	s.r.Event(engine.Event{Resource: engine.ResourceContainer, ID: c.Name, Status: engine.StatusRemoving})
	if err := s.b.Remove(ctx, c.ID, force); err != nil && core.KindOf(err) != core.KindNotFound {
		s.r.Event(engine.Event{Resource: engine.ResourceContainer, ID: c.Name, Status: engine.StatusError, Text: err.Error()})
		return core.AsError(err).With("service", c.Service)
	}
	s.r.Event(engine.Event{Resource: engine.ResourceContainer, ID: c.Name, Status: engine.StatusRemoved})
	return nil
}

func (a *app) rmCmd() *cobra.Command {
	var force, stop, volumes bool
	cmd := &cobra.Command{
		Use:   "rm [flags] [SERVICE...]",
		Short: "Removes stopped service containers",
		Long: `Remove the stopped containers of services (all when none is named).
Running containers are kept unless -s stops them first. perry-compose never
asks for confirmation, so -f is accepted and changes nothing.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			s, err := a.open(ctx, args, true, "Removing")
			if err != nil {
				return err
			}
			defer s.r.Close()
			if stop {
				if err := s.e.Stop(ctx, args, nil); err != nil {
					return err
				}
			}
			// The project's lock, as the engine's changing commands take
			// it (after the stop, which takes it itself).
			unlock, err := s.e.Lock(ctx)
			if err != nil {
				return err
			}
			defer unlock()
			cs, err := s.e.Ps(ctx, engine.PsOptions{All: true, Services: args})
			if err != nil {
				return err
			}
			removed := 0
			for _, c := range cs {
				if c.State == "running" || c.State == "restarting" || c.State == "paused" {
					continue
				}
				if err := removeContainer(ctx, s, c, false); err != nil {
					return err
				}
				removed++
			}
			if removed == 0 {
				fmt.Fprintln(a.stderr, "No stopped containers")
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&force, "force", "f", false, "Don't ask to confirm removal (perry-compose never asks)")
	fl.BoolVarP(&stop, "stop", "s", false, "Stop the containers, if required, before removing")
	fl.BoolVarP(&volumes, "volumes", "v", false, "Remove any anonymous volumes attached to containers (accepted; the runtime keeps them)")
	return cmd
}

func (a *app) scaleCmd() *cobra.Command {
	var noDeps bool
	cmd := &cobra.Command{
		Use:   "scale [flags] SERVICE=REPLICAS...",
		Short: "Scale services",
		Long: `Set the number of containers of services: replicas are added, or removed
from the highest number down; the others are left as they are.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			scale, err := parseScale(args)
			if err != nil {
				return usageErr(cmd, "%v", err)
			}
			var services []string
			for s := range scale {
				services = append(services, s)
			}
			s, err := a.open(cmd.Context(), services, false, "Running")
			if err != nil {
				return err
			}
			defer s.r.Close()
			return s.e.Up(cmd.Context(), engine.UpOptions{Services: services, Scale: scale, NoRecreate: true, NoDeps: noDeps, KeepOnFailure: true})
		},
	}
	cmd.Flags().BoolVar(&noDeps, "no-deps", false, "Don't start linked services")
	return cmd
}

func (a *app) waitCmd() *cobra.Command {
	var downProject bool
	cmd := &cobra.Command{
		Use:   "wait [flags] SERVICE [SERVICE...]",
		Short: "Block until containers of all (or specified) services stop.",
		Long:  "Block until the containers of the services stop, then exit with the exit code of the last one to stop.",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			s, err := a.open(ctx, args, true, "Running")
			if err != nil {
				return err
			}
			defer s.r.Close()
			cs, err := s.e.Ps(ctx, engine.PsOptions{All: true, Services: args})
			if err != nil {
				return err
			}
			if len(cs) == 0 {
				return core.Errorf(core.KindNotFound, "no containers for services %s", strings.Join(args, ", ")).With("service", args[0])
			}
			// With --down-project the first exit ends the wait.
			wctx, cancel := context.WithCancel(ctx)
			defer cancel()
			var (
				mu       sync.Mutex
				last     int
				firstErr error
				wg       sync.WaitGroup
			)
			for _, c := range cs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					code, err := s.b.Wait(wctx, c.ID)
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						if firstErr == nil && wctx.Err() == nil {
							firstErr = core.AsError(err).With("service", c.Service)
						}
						return
					}
					fmt.Fprintf(a.stdout, "container %q exited with status code %d\n", c.Name, code)
					last = code
					if downProject {
						cancel()
					}
				}()
			}
			wg.Wait()
			if firstErr != nil {
				return firstErr
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if downProject {
				if err := s.e.Down(ctx, engine.DownOptions{}); err != nil {
					return err
				}
			}
			if last != 0 {
				return &statusError{code: last}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&downProject, "down-project", false, "Drops project when the first container stops")
	return cmd
}
