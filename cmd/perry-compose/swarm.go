package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/perryts/perry-container/backend"
	cswarm "github.com/perryts/perry-container/compose/swarm"
	"github.com/perryts/perry-container/core"
)

// The Swarm target (docs/design.md, Swarm target): --target swarm, or
// PERRY_COMPOSE_TARGET / PERRY_CONTAINER_TARGET = swarm, runs up, down, ps,
// logs and exec on the swarm of the Docker engine (DOCKER_HOST) instead of
// on the local engine; config is the same on both. The default target is
// the local engine.

const (
	targetLocal = "local"
	targetSwarm = "swarm"
)

// targetFlags holds each app's --target value (the global flag is defined
// on the root and, hidden, on every command, all bound to one string).
var targetFlags sync.Map // *app → *string

func (a *app) targetFlag() *string {
	v, _ := targetFlags.LoadOrStore(a, new(string))
	return v.(*string)
}

// target is --target, else PERRY_COMPOSE_TARGET, else
// PERRY_CONTAINER_TARGET, else the local engine.
func (a *app) target() (string, error) {
	t, from := *a.targetFlag(), "--target"
	if t == "" {
		t, from = a.env("PERRY_COMPOSE_TARGET"), "PERRY_COMPOSE_TARGET"
	}
	if t == "" {
		t, from = a.env("PERRY_CONTAINER_TARGET"), "PERRY_CONTAINER_TARGET"
	}
	switch strings.ToLower(t) {
	case "", targetLocal, "engine":
		return targetLocal, nil
	case targetSwarm:
		return targetSwarm, nil
	}
	if from == "--target" {
		return "", core.InvalidArgument(from, "%q is not one of local, swarm", t)
	}
	return "", core.Errorf(core.KindInvalidConfiguration, "%s=%q is not one of local, swarm", from, t)
}

// swarmCommands are the commands the Swarm target runs itself; every other
// command except config refuses the target.
var swarmCommands = map[string]func(a *app, cmd *cobra.Command, args []string) error{
	"up":   (*app).swarmUp,
	"down": (*app).swarmDown,
	"ps":   (*app).swarmPs,
	"logs": (*app).swarmLogs,
	"exec": (*app).swarmExec,
}

// routeTargets makes the root's commands honour --target: up, down, ps,
// logs and exec run on the swarm, config is target-independent, and the
// other commands say they are not available on the swarm.
func (a *app) routeTargets(root *cobra.Command) {
	for _, c := range root.Commands() {
		name := c.Name()
		if name == "config" || name == "version" || name == "help" || c.RunE == nil {
			continue
		}
		local := c.RunE
		swarmRun := swarmCommands[name]
		c.RunE = func(cmd *cobra.Command, args []string) error {
			t, err := a.target()
			if err != nil {
				return err
			}
			if t == targetLocal {
				return local(cmd, args)
			}
			if swarmRun == nil {
				return core.InvalidArgument("--target", "%s is not available on the swarm target (up, down, ps, logs, exec and config are)", name)
			}
			return swarmRun(a, cmd, args)
		}
	}
}

// refuseFlags fails when one of the named flags was given: they have no
// meaning on the swarm target.
func refuseFlags(cmd *cobra.Command, names ...string) error {
	for _, n := range names {
		if f := cmd.Flags().Lookup(n); f != nil && f.Changed {
			return usageErr(cmd, "--%s is not supported with --target swarm", n)
		}
	}
	return nil
}

func (a *app) swarmTarget(ctx context.Context) (*cswarm.Target, error) {
	return cswarm.New(ctx, "")
}

// swarmProject is the stack's name: the compose file's project, else -p or
// COMPOSE_PROJECT_NAME (down, ps, logs and exec work without the file).
func (a *app) swarmProject(ctx context.Context) (string, error) {
	p, err := a.loadProject(ctx, nil)
	if err == nil {
		return p.Name, nil
	}
	name := a.g.projectName
	if name == "" {
		name = a.env("COMPOSE_PROJECT_NAME")
	}
	if name == "" {
		return "", err
	}
	return name, nil
}

func (a *app) swarmUp(cmd *cobra.Command, args []string) error {
	if err := refuseFlags(cmd, "no-start", "abort-on-container-exit", "abort-on-container-failure", "exit-code-from",
		"no-deps", "build", "force-recreate", "no-recreate", "scale", "attach-dependencies"); err != nil {
		return err
	}
	fl := cmd.Flags()
	detach, _ := fl.GetBool("detach")
	wait, _ := fl.GetBool("wait")
	if !detach && !wait {
		return usageErr(cmd, "--target swarm runs detached: use -d (or --wait), then logs -f to follow the output")
	}
	waitTimeout, _ := fl.GetInt("wait-timeout")
	rollback, _ := fl.GetBool("rollback")
	ctx := cmd.Context()
	p, err := a.loadProject(ctx, args)
	if err != nil {
		return err
	}
	t, err := a.swarmTarget(ctx)
	if err != nil {
		return err
	}
	defer t.Close()
	removeOrphans, _ := fl.GetBool("remove-orphans")
	opts := cswarm.UpOptions{Wait: wait, KeepOnFailure: !rollback, RemoveOrphans: removeOrphans, Services: args, Progress: a.stderr}
	if waitTimeout > 0 {
		opts.Timeout = time.Duration(waitTimeout) * time.Second
	}
	return t.Up(ctx, p, opts)
}

func (a *app) swarmDown(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErr(cmd, "--target swarm removes the whole stack; service arguments are not supported")
	}
	if err := refuseFlags(cmd, "rmi"); err != nil {
		return err
	}
	volumes, _ := cmd.Flags().GetBool("volumes")
	ctx := cmd.Context()
	name, err := a.swarmProject(ctx)
	if err != nil {
		return err
	}
	t, err := a.swarmTarget(ctx)
	if err != nil {
		return err
	}
	defer t.Close()
	return t.Down(ctx, name, cswarm.DownOptions{Volumes: volumes})
}

func (a *app) swarmPs(cmd *cobra.Command, args []string) error {
	if err := refuseFlags(cmd, "status", "filter", "services"); err != nil {
		return err
	}
	fl := cmd.Flags()
	all, _ := fl.GetBool("all")
	quiet, _ := fl.GetBool("quiet")
	format, _ := fl.GetString("format")
	ctx := cmd.Context()
	name, err := a.swarmProject(ctx)
	if err != nil {
		return err
	}
	t, err := a.swarmTarget(ctx)
	if err != nil {
		return err
	}
	defer t.Close()
	tasks, err := t.Ps(ctx, name)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, s := range args {
		want[s] = true
	}
	shown := tasks[:0]
	for _, tk := range tasks {
		if len(want) > 0 && !want[tk.Service] {
			continue
		}
		if !all && tk.DesiredState != "running" && tk.DesiredState != "complete" {
			continue // history: a replaced or failed task
		}
		shown = append(shown, tk)
	}
	return writeTasks(a.stdout, shown, quiet, format)
}

func writeTasks(w io.Writer, tasks []cswarm.Task, quiet bool, format string) error {
	switch {
	case quiet:
		for _, tk := range tasks {
			fmt.Fprintln(w, tk.ID)
		}
		return nil
	case format == "json":
		enc := json.NewEncoder(w)
		for _, tk := range tasks {
			if err := enc.Encode(tk); err != nil {
				return err
			}
		}
		return nil
	case format != "" && format != "table":
		return core.InvalidArgument("--format", "%q: --target swarm prints table or json", format)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSERVICE\tIMAGE\tNODE\tDESIRED STATE\tCURRENT STATE\tHEALTH\tERROR")
	for _, tk := range tasks {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", tk.Name, tk.Service, tk.Image, tk.Node, tk.DesiredState, tk.State, tk.Health, tk.Error)
	}
	return tw.Flush()
}

func (a *app) swarmLogs(cmd *cobra.Command, args []string) error {
	if err := refuseFlags(cmd, "since", "timestamps"); err != nil {
		return err
	}
	follow, _ := cmd.Flags().GetBool("follow")
	tail, _ := cmd.Flags().GetString("tail")
	noPrefix, _ := cmd.Flags().GetBool("no-log-prefix")
	ctx := cmd.Context()
	name, err := a.swarmProject(ctx)
	if err != nil {
		return err
	}
	t, err := a.swarmTarget(ctx)
	if err != nil {
		return err
	}
	defer t.Close()
	err = t.LogsWith(ctx, name, cswarm.LogsOptions{Services: args, Follow: follow, Tail: tail, NoPrefix: noPrefix}, a.stdout)
	if err != nil && ctx.Err() != nil {
		return nil // Ctrl-C ends a followed log
	}
	return err
}

func (a *app) swarmExec(cmd *cobra.Command, args []string) error {
	if err := refuseFlags(cmd, "detach", "privileged"); err != nil {
		return err
	}
	fl := cmd.Flags()
	envPairs, _ := fl.GetStringArray("env")
	workdir, _ := fl.GetString("workdir")
	user, _ := fl.GetString("user")
	index, _ := fl.GetInt("index")
	envMap, err := parseEnv(envPairs, func(k string) (string, bool) { return os.LookupEnv(k) })
	if err != nil {
		return usageErr(cmd, "%v", err)
	}
	ctx := cmd.Context()
	name, err := a.swarmProject(ctx)
	if err != nil {
		return err
	}
	t, err := a.swarmTarget(ctx)
	if err != nil {
		return err
	}
	defer t.Close()
	res, err := t.Exec(ctx, name, args[0], index, backend.ExecOptions{Cmd: args[1:], Env: envMap, Workdir: workdir, User: user})
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
