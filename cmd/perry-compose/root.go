package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/perryts/perry-container/backend/detect"
	"github.com/perryts/perry-container/core"
)

func (a *app) newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "perry-compose",
		Short: "Define and run multi-container applications on any container runtime",
		Long: `perry-compose runs compose projects (compose.yaml) on Docker, Podman,
nerdctl, apple/container, Lima, Colima, OrbStack or Rancher Desktop, with
docker compose's commands, flags, names, labels and JSON formats.`,
		Version:           version,
		SilenceUsage:      true,
		SilenceErrors:     true,
		DisableAutoGenTag: true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
		// Global flags are the root's own, parsed before the command
		// (docker compose's way), and accepted after it too, except where a
		// command uses the same letter (logs -f is --follow, run -p is
		// --publish).
		TraverseChildren: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			a.cmd = cmd
			return a.validateGlobals()
		},
		// A bare "perry-compose" shows the help, as docker compose does.
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return core.InvalidArgument("command", "unknown command %q for %q", args[0], "perry-compose")
			}
			return cmd.Help()
		},
		Args: cobra.ArbitraryArgs,
	}
	root.SetVersionTemplate("perry-compose version {{.Version}}\n")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return core.InvalidArgument("flags", "%v\nRun '%s --help' for usage.", err, cmd.CommandPath())
	})
	a.globalFlags(root.Flags(), nil)
	root.Flags().BoolP("version", "v", false, "Show the perry-compose version and exit")

	root.AddGroup(&cobra.Group{ID: "lifecycle", Title: "Lifecycle commands:"},
		&cobra.Group{ID: "inspect", Title: "Inspection commands:"},
		&cobra.Group{ID: "images", Title: "Image commands:"})
	add := func(group string, cmds ...*cobra.Command) {
		for _, c := range cmds {
			c.GroupID = group
			root.AddCommand(c)
		}
	}
	add("lifecycle", a.upCmd(), a.downCmd(), a.createCmd(), a.startCmd(), a.stopCmd(), a.restartCmd(),
		a.killCmd(), a.rmCmd(), a.scaleCmd(), a.runCmd(), a.execCmd(), a.waitCmd())
	add("lifecycle", a.attachCmd(), a.pauseCmd(), a.unpauseCmd(), a.cpCmd(), a.watchCmd())
	add("inspect", a.topCmd(), a.statsCmd(), a.eventsCmd(), a.exportCmd())
	add("inspect", a.psCmd(), a.logsCmd(), a.portCmd(), a.configCmd(), a.lsCmd(), a.volumesCmd(), a.versionCmd())
	add("images", a.imagesCmd(), a.pullCmd(), a.pushCmd(), a.buildCmd(), a.commitCmd())
	root.SetHelpCommandGroupID("inspect")
	for _, c := range root.Commands() {
		a.globalFlags(c.Flags(), c)
		c.SetUsageTemplate(c.UsageTemplate() + globalFlagsNote)
	}
	a.routeTargets(root) // --target swarm (swarm.go)
	a.routeDryRun(root)  // --dry-run (cmd_dryrun.go)
	return root
}

const globalFlagsNote = `
Global flags (-f/--file, -p/--project-name, --project-directory, --env-file,
--profile, --parallel, --progress, --ansi, --backend) go before the command,
or after it (in their long form where the command uses the letter itself,
as logs -f for --follow and run -p for --publish); see "perry-compose --help".
`

// globalFlags defines the global flags on fs. On a command (cmd != nil)
// they are hidden copies bound to the same options, without the
// shorthands the command uses itself.
func (a *app) globalFlags(fs *pflag.FlagSet, cmd *cobra.Command) {
	short := func(s string) string {
		if cmd != nil && cmd.Flags().ShorthandLookup(s) != nil {
			return ""
		}
		return s
	}
	fs.VarP(&appendValue{p: &a.g.files}, "file", short("f"), "Compose configuration files (repeatable; later files override earlier ones)")
	fs.StringVarP(&a.g.projectName, "project-name", short("p"), "", "Project name")
	fs.StringVar(&a.g.projectDir, "project-directory", "", "Alternate working directory (default: the directory of the first compose file)")
	fs.Var(&appendValue{p: &a.g.envFiles}, "env-file", "Alternate environment files (repeatable)")
	fs.Var(&appendValue{p: &a.g.profiles}, "profile", "Profiles to enable (repeatable)")
	fs.IntVar(&a.g.parallel, "parallel", -1, "Maximum number of engine operations at once (-1: no limit)")
	fs.StringVar(&a.g.progress, "progress", "auto", "Progress output: auto, tty, plain, json or quiet")
	fs.StringVar(&a.g.ansi, "ansi", "auto", `Control ANSI sequences: "never", "always" or "auto"`)
	fs.StringVar(&a.g.backend, "backend", "", "Container runtime to use, as PERRY_CONTAINER_BACKEND: "+strings.Join(detect.AcceptedBackends(), ", "))
	fs.StringVar(a.targetFlag(), "target", "", "Where stacks run: local (the container runtime, default) or swarm (Docker Swarm; as PERRY_COMPOSE_TARGET)")
	dryRunFlagOn(fs)
	if cmd != nil {
		for _, n := range []string{"file", "project-name", "project-directory", "env-file", "profile", "parallel", "progress", "ansi", "backend", "target", dryRunFlag} {
			_ = fs.MarkHidden(n)
		}
	}
}

// appendValue is a repeatable string flag that always appends, so that
// values given before and after the command add up.
type appendValue struct{ p *[]string }

func (v *appendValue) String() string {
	if len(*v.p) == 0 {
		return "" // no "(default [])" in the help
	}
	return "[" + strings.Join(*v.p, ",") + "]"
}
func (v *appendValue) Set(s string) error { *v.p = append(*v.p, s); return nil }
func (v *appendValue) Type() string       { return "stringArray" }

// usageErr is a wrong use of a command's arguments or flags.
func usageErr(cmd *cobra.Command, format string, args ...any) error {
	return core.Errorf(core.KindInvalidArgument, "%s\nRun '%s --help' for usage.", fmt.Sprintf(format, args...), cmd.CommandPath())
}
