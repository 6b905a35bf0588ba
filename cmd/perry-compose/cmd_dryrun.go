package main

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// --dry-run (docker compose's global flag): up and down print what they
// would do, from the engine's plans, and change nothing; commit and export
// find their container and report, making no image and writing no
// archive; the commands that change nothing anyway run as usual; the
// others refuse the flag rather than act.

const dryRunFlag = "dry-run"

// dryRunFlagOn defines --dry-run on fs (each flag set its own value: the
// root's before the command, the command's after it).
func dryRunFlagOn(fs *pflag.FlagSet) {
	fs.Bool(dryRunFlag, false, "Execute command in dry run mode: print what up or down would do, change nothing")
}

// readOnlyCommands change nothing: --dry-run runs them as usual.
var readOnlyCommands = map[string]bool{
	"config": true, "ps": true, "ls": true, "images": true, "version": true, "top": true,
	"port": true, "logs": true, "events": true, "volumes": true,
}

// ownDryRun are the commands that read --dry-run themselves (dryRun).
var ownDryRun = map[string]bool{"commit": true, "export": true}

// dryRun reports whether --dry-run was given, before or after the command.
func dryRun(cmd *cobra.Command) bool {
	for c := cmd; c != nil; c = c.Parent() {
		if on, err := c.Flags().GetBool(dryRunFlag); err == nil && on {
			return true
		}
	}
	return false
}

// routeDryRun sends up and down to their dry runs when --dry-run is given.
func (a *app) routeDryRun(root *cobra.Command) {
	for _, c := range root.Commands() {
		name, run := c.Name(), c.RunE
		if run == nil || name == "help" {
			continue
		}
		c.RunE = func(cmd *cobra.Command, args []string) error {
			switch {
			case !dryRun(cmd) || readOnlyCommands[name] || ownDryRun[name]:
				return run(cmd, args)
			case name == "up":
				return a.dryRunUp(cmd, args)
			case name == "down":
				return a.dryRunDown(cmd, args)
			}
			return usageErr(cmd, "--dry-run is supported by up, down, commit and export (and by the commands that change nothing), not by %s", name)
		}
	}
}

func (a *app) dryRunUp(cmd *cobra.Command, services []string) error {
	fl := cmd.Flags()
	on := func(n string) bool { v, _ := fl.GetBool(n); return v }
	f := createFlags{build: on("build"), noBuild: on("no-build"), forceRecreate: on("force-recreate"),
		noRecreate: on("no-recreate"), removeOrphans: on("remove-orphans")}
	f.pull, _ = fl.GetString("pull")
	f.scale, _ = fl.GetStringArray("scale")
	uo, err := f.options(cmd, a, services)
	if err != nil {
		return err
	}
	uo.NoDeps, uo.NoStart = on("no-deps"), on("no-start")
	ctx := cmd.Context()
	p, err := a.loadProject(ctx, services)
	if err != nil {
		return err
	}
	s, err := a.session(ctx, p, "Running")
	if err != nil {
		return err
	}
	defer s.r.Close()
	return s.e.DryRunUp(ctx, uo)
}

func (a *app) dryRunDown(cmd *cobra.Command, services []string) error {
	if len(services) > 0 {
		return usageErr(cmd, "--dry-run down takes no service names")
	}
	ctx := cmd.Context()
	s, err := a.downSession(ctx, nil)
	if err != nil {
		return err
	}
	defer s.r.Close()
	return s.e.DryRunDown(ctx, a.downOptions(cmd))
}
