package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/docker/go-units"
	"github.com/spf13/cobra"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/imageref"
	"github.com/perryts/perry-container/cmd/perry-compose/internal/logprint"
	"github.com/perryts/perry-container/compose/engine"
	"github.com/perryts/perry-container/compose/loader"
	"github.com/perryts/perry-container/core"
)

// psStates are the states ps --status accepts.
var psStates = []string{"paused", "restarting", "removing", "running", "dead", "created", "exited"}

func (a *app) psCmd() *cobra.Command {
	var (
		all, quiet, servicesOnly, noTrunc, orphans bool
		status                                     []string
		format, filter                             string
	)
	cmd := &cobra.Command{
		Use:   "ps [flags] [SERVICE...]",
		Short: "List containers",
		Long: `List the project's containers: running ones, or all with -a.
--format json prints one JSON object per line (NDJSON, as docker compose
2.21 and later), with docker compose's keys; any other --format is a Go
template ("table ..." adds a header), as in docker compose.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if filter != "" {
				key, val, ok := strings.Cut(filter, "=")
				switch {
				case !ok:
					return usageErr(cmd, "arguments to --filter should be in form KEY=VAL")
				case key != "status":
					return usageErr(cmd, "unknown filter %s", key)
				}
				status = append(status, val)
			}
			for _, s := range status {
				if !slices.Contains(psStates, s) {
					return usageErr(cmd, "invalid --status value %q: use %s", s, strings.Join(psStates, ", "))
				}
			}
			ctx := cmd.Context()
			s, err := a.open(ctx, args, true, "")
			if err != nil {
				return err
			}
			defer s.r.Close()
			cs, err := s.e.Ps(ctx, engine.PsOptions{All: all || len(status) > 0, Services: args})
			if err != nil {
				return err
			}
			if len(status) > 0 {
				cs = slices.DeleteFunc(cs, func(c engine.Container) bool { return !slices.Contains(status, c.State) })
			}
			if !orphans && len(args) == 0 {
				cs = slices.DeleteFunc(cs, func(c engine.Container) bool {
					_, ok := s.p.Services[c.Service]
					return !ok
				})
			}
			// docker compose sorts by name.
			sort.SliceStable(cs, func(i, j int) bool { return cs[i].Name < cs[j].Name })
			return printPs(a.stdout, cs, psOutput{format: format, quiet: quiet, services: servicesOnly, noTrunc: noTrunc}, time.Now())
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&all, "all", "a", false, "Show all stopped containers (including those created by the run command)")
	fl.BoolVarP(&quiet, "quiet", "q", false, "Only display IDs")
	fl.BoolVar(&servicesOnly, "services", false, "Display services")
	fl.StringArrayVar(&status, "status", nil, "Filter services by status: "+strings.Join(psStates, ", ")+" (repeatable)")
	fl.StringVar(&filter, "filter", "", "Filter services by a property (supported filters: status)")
	fl.StringVar(&format, "format", "table", `Format the output: table, json, or a Go template ("table TEMPLATE" adds a header)`)
	fl.BoolVar(&noTrunc, "no-trunc", false, "Don't truncate output")
	fl.BoolVar(&orphans, "orphans", true, "Include orphaned services (not declared by project)")
	return cmd
}

// psOutput is how ps prints.
type psOutput struct {
	format                   string
	quiet, services, noTrunc bool
}

// printPs writes ps output.
func printPs(w io.Writer, cs []engine.Container, o psOutput, now time.Time) error {
	switch {
	case o.quiet:
		for _, c := range cs {
			fmt.Fprintln(w, c.ID)
		}
		return nil
	case o.services:
		var seen []string
		for _, c := range cs {
			if !slices.Contains(seen, c.Service) {
				seen = append(seen, c.Service)
				fmt.Fprintln(w, c.Service)
			}
		}
		return nil
	case o.format == "json":
		for _, c := range cs {
			e := c.PsJSON()
			e.RunningFor = runningFor(c.Created, now)
			e.Command = psCommand(c.Command, o.noTrunc)
			if err := printJSON(w, e); err != nil {
				return err
			}
		}
		return nil
	case o.format != "table" && o.format != "":
		rows := make([]any, 0, len(cs))
		for _, c := range cs {
			e := c.PsJSON()
			e.RunningFor = runningFor(c.Created, now)
			e.Status = psStatus(c)
			e.Command = psCommand(c.Command, o.noTrunc)
			if !o.noTrunc {
				e.ID = shortID(e.ID)
			}
			rows = append(rows, psRow{PsEntry: e, labels: c.Labels})
		}
		return printTemplate(w, o.format, psHeaders, rows)
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "NAME\tIMAGE\tCOMMAND\tSERVICE\tCREATED\tSTATUS\tPORTS")
	for _, c := range cs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.Name, c.Image, psCommand(c.Command, o.noTrunc), c.Service, runningFor(c.Created, now), psStatus(c), strings.Join(c.Ports, ", "))
	}
	return tw.Flush()
}

// psCommand is the command as docker compose's ps prints it in every
// format: Go-quoted, cut to 20 columns unless --no-trunc.
func psCommand(command string, noTrunc bool) string {
	if !noTrunc {
		command = ellipsis(command, 20)
	}
	return strconv.Quote(command)
}

// psStatus is the runtime's human status, or one made from the state.
func psStatus(c engine.Container) string {
	if c.Status != "" {
		return c.Status
	}
	s := c.State
	if c.State == "exited" {
		s = fmt.Sprintf("exited (%d)", c.ExitCode)
	}
	if c.Health != "" {
		s += " (" + c.Health + ")"
	}
	return s
}

// runningFor is docker's "5 minutes ago".
func runningFor(created string, now time.Time) string {
	t, err := time.Parse(time.RFC3339Nano, created)
	if err != nil || t.IsZero() {
		return created
	}
	return units.HumanDuration(now.Sub(t)) + " ago"
}

func (a *app) logsCmd() *cobra.Command {
	var (
		follow, timestamps, noColor, noPrefix bool
		tail, since                           string
	)
	cmd := &cobra.Command{
		Use:   "logs [flags] [SERVICE...]",
		Short: "View output from containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			var tailN *int
			if tail != "all" && tail != "" {
				n, err := strconv.Atoi(tail)
				if err != nil || n < 0 {
					return usageErr(cmd, "invalid --tail value %q: use a number of lines or \"all\"", tail)
				}
				tailN = &n
			}
			ctx := cmd.Context()
			s, err := a.open(ctx, args, true, "")
			if err != nil {
				return err
			}
			defer s.r.Close()
			printer := logprint.New(a.stdout, logprint.Options{Color: a.colorStdout() && !noColor, NoPrefix: noPrefix})
			cs, err := s.e.Ps(ctx, engine.PsOptions{All: true, Services: args})
			if err != nil {
				return err
			}
			for _, c := range cs {
				printer.Register(logprint.Name(s.p.Name, c.Name))
			}
			err = s.e.Logs(ctx, engine.LogsOptions{Services: args, Tail: tailN, Since: since, Timestamps: timestamps, Follow: follow},
				func(service, container, stream, line string) {
					printer.Line(logprint.Name(s.p.Name, container), line)
				})
			if err != nil && follow && ctx.Err() != nil {
				return nil // Ctrl-C ends a follow: exit 130 without an error
			}
			if err == nil && follow {
				// The follow ended because the containers stopped: say how,
				// as docker compose does.
				// A log stream can end just before the engine marks its
				// container exited: wait for the exit (briefly).
				wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				defer cancel()
				if cs, perr := s.e.Ps(ctx, engine.PsOptions{All: true, Services: args}); perr == nil {
					for _, c := range cs {
						if c.State == "created" {
							continue
						}
						if code, werr := s.b.Wait(wctx, c.ID); werr == nil {
							printer.Status(logprint.Name(s.p.Name, c.Name), fmt.Sprintf("exited with code %d", code))
						}
					}
				}
			}
			return err
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&follow, "follow", "f", false, "Follow log output")
	fl.StringVarP(&tail, "tail", "n", "all", "Number of lines to show from the end of the logs for each container")
	fl.BoolVarP(&timestamps, "timestamps", "t", false, "Show timestamps")
	fl.StringVar(&since, "since", "", "Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)")
	fl.BoolVar(&noColor, "no-color", false, "Produce monochrome output")
	fl.BoolVar(&noPrefix, "no-log-prefix", false, "Don't print prefix in logs")
	return cmd
}

// parseEnv reads -e KEY=VALUE and bare -e KEY (looked up with lookup; left
// out when it has no value anywhere).
func parseEnv(pairs []string, lookup func(string) (string, bool)) (map[string]string, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if k == "" {
			return nil, fmt.Errorf("invalid environment variable %q: use KEY=VALUE or KEY", p)
		}
		if !ok {
			if v, ok = lookup(k); !ok {
				continue
			}
		}
		out[k] = v
	}
	return out, nil
}

func (a *app) configCmd() *cobra.Command {
	var (
		format                                           string
		services, volumes, profiles, images, quiet, noIn bool
		hash, output                                     string
	)
	cmd := &cobra.Command{
		Use:     "config [flags] [SERVICE...]",
		Aliases: []string{"convert"},
		Short:   "Parse, resolve and render compose file in canonical format",
		Long: `Validate the compose files and print the resolved, merged model in
docker compose's canonical YAML (or JSON), or one of the listings.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "yaml" && format != "json" {
				return usageErr(cmd, "invalid --format value %q: use yaml or json", format)
			}
			ctx := cmd.Context()
			co := loader.ConfigOptions{Format: format, Services: services, Volumes: volumes, Profiles: profiles, Images: images, NoInterpolate: noIn}
			if cmd.Flags().Changed("hash") {
				co.Hash = true
				if hash != "*" && hash != "" {
					co.HashServices = strings.Split(hash, ",")
				}
			}
			opts := a.loaderOptions()
			opts.NoInterpolate = noIn
			// Without interpolation docker compose prints compose-go's model
			// as it is, not a project (so does --services); its other
			// listings still load a project, uninterpolated.
			if noIn && (services || !(volumes || co.Hash || profiles || images)) {
				if len(args) > 0 && !services {
					fmt.Fprintln(a.stderr, "Warning: service filtering is not applied when --no-interpolate is set, the full model will be rendered")
				}
				m, err := loader.LoadModel(ctx, opts)
				if err != nil || quiet {
					return err
				}
				out, err := loader.ConfigModel(m, co)
				if err != nil {
					return err
				}
				return a.writeConfig(out, output)
			}
			p, err := loader.Load(ctx, opts)
			if err == nil {
				p, err = enableServices(p, args)
			}
			if err != nil {
				return err
			}
			// docker compose's --services, --volumes and --profiles list the
			// whole project, whatever services are named.
			if len(args) > 0 && !services && !volumes && !profiles {
				if p, err = p.WithSelectedServices(args); err != nil {
					return core.Errorf(core.KindInvalidArgument, "%v", err)
				}
			}
			if quiet {
				return nil
			}
			out, err := loader.Config(p, co)
			if err != nil {
				return err
			}
			return a.writeConfig(out, output)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&format, "format", "yaml", "Format the output: yaml or json")
	fl.BoolVar(&services, "services", false, "Print the service names, one per line")
	fl.BoolVar(&volumes, "volumes", false, "Print the volume names, one per line")
	fl.BoolVar(&profiles, "profiles", false, "Print the profile names, one per line")
	fl.BoolVar(&images, "images", false, "Print the image names, one per line")
	fl.StringVar(&hash, "hash", "", `Print the service config hash, one per line ("*" for all, or service names comma-separated)`)
	fl.BoolVarP(&quiet, "quiet", "q", false, "Only validate the configuration, don't print anything")
	fl.StringVarP(&output, "output", "o", "", "Save to file (default to stdout)")
	fl.BoolVar(&noIn, "no-interpolate", false, "Don't interpolate environment variables")
	return cmd
}

// writeConfig writes config's output to the file given by -o, else stdout.
func (a *app) writeConfig(out []byte, file string) error {
	if file != "" {
		return os.WriteFile(file, out, 0o644)
	}
	_, err := a.stdout.Write(out)
	return err
}

// lsEntry is one project of ls --format json.
type lsEntry struct {
	Name        string
	Status      string
	ConfigFiles string
}

func (a *app) lsCmd() *cobra.Command {
	var (
		all, quiet bool
		format     string
		filters    []string
	)
	cmd := &cobra.Command{
		Use:   "ls [flags]",
		Short: "List running compose projects",
		Long:  "List the compose projects found on the runtime by their labels: those with running containers, or all with -a.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "table" && format != "json" {
				return usageErr(cmd, "invalid --format value %q: use table or json", format)
			}
			nameFilter := ""
			for _, f := range filters {
				k, v, _ := strings.Cut(f, "=")
				if k != "name" {
					return usageErr(cmd, "invalid --filter %q: only name=NAME is supported", f)
				}
				nameFilter = v
			}
			ctx := cmd.Context()
			b, err := a.backend(ctx)
			if err != nil {
				return err
			}
			list, err := b.List(ctx, backend.ListOptions{All: true, Labels: map[string]string{engine.LabelProject: ""}})
			if err != nil {
				return err
			}
			entries := projectsOf(list, all)
			if nameFilter != "" {
				entries = slices.DeleteFunc(entries, func(e lsEntry) bool { return !strings.Contains(e.Name, nameFilter) })
			}
			return printLs(a.stdout, entries, format, quiet)
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&all, "all", "a", false, "Show all stopped Compose projects")
	fl.BoolVarP(&quiet, "quiet", "q", false, "Only display project names")
	fl.StringVar(&format, "format", "table", "Format the output: table or json")
	fl.StringArrayVar(&filters, "filter", nil, "Filter output based on conditions provided (name=NAME)")
	return cmd
}

// projectsOf groups containers by project: docker compose's ls. Without
// all, only running containers count, so projects without one are left out.
func projectsOf(list []core.ContainerInfo, all bool) []lsEntry {
	type proj struct {
		states map[string]int
		files  string
	}
	projects := map[string]*proj{}
	for _, c := range list {
		name := c.Labels[engine.LabelProject]
		if name == "" || c.Labels[engine.LabelOneoff] == "True" || (!all && c.State != "running") {
			continue
		}
		p := projects[name]
		if p == nil {
			p = &proj{states: map[string]int{}}
			projects[name] = p
		}
		state := c.State
		if state == "" {
			state = "unknown"
		}
		p.states[state]++
		if p.files == "" {
			p.files = c.Labels[engine.LabelConfigFiles]
		}
	}
	out := []lsEntry{}
	for name, p := range projects {
		if !all && p.states["running"] == 0 {
			continue
		}
		var parts []string
		for _, st := range slices.Sorted(maps.Keys(p.states)) {
			parts = append(parts, fmt.Sprintf("%s(%d)", st, p.states[st]))
		}
		out = append(out, lsEntry{Name: name, Status: strings.Join(parts, ", "), ConfigFiles: p.files})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// printJSON writes v as one line of JSON (encoding/json's bytes).
func printJSON(w io.Writer, v any) error { return json.NewEncoder(w).Encode(v) }

// newTable is the column layout of docker compose's tables.
func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 0, 3, ' ', 0) }

func printLs(w io.Writer, entries []lsEntry, format string, quiet bool) error {
	switch {
	case quiet:
		for _, e := range entries {
			fmt.Fprintln(w, e.Name)
		}
		return nil
	case format == "json":
		return printJSON(w, entries)
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "NAME\tSTATUS\tCONFIG FILES")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", e.Name, e.Status, e.ConfigFiles)
	}
	return tw.Flush()
}

// imageEntry is one line of images --format json.
type imageEntry struct {
	ID            string
	ContainerName string
	Repository    string
	Tag           string
	Platform      string
	Size          int64
	Created       *time.Time `json:",omitempty"`
}

func (a *app) imagesCmd() *cobra.Command {
	var (
		quiet  bool
		format string
	)
	cmd := &cobra.Command{
		Use:   "images [flags] [SERVICE...]",
		Short: "List images used by the created containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "table" && format != "json" {
				return usageErr(cmd, "invalid --format value %q: use table or json", format)
			}
			ctx := cmd.Context()
			s, err := a.open(ctx, args, true, "")
			if err != nil {
				return err
			}
			defer s.r.Close()
			cs, err := s.e.Ps(ctx, engine.PsOptions{All: true, Services: args})
			if err != nil {
				return err
			}
			entries := []imageEntry{}
			for _, c := range cs {
				info, err := s.b.InspectImage(ctx, c.Image)
				if err != nil {
					if core.KindOf(err) == core.KindNotFound {
						continue
					}
					return core.AsError(err).With("service", c.Service)
				}
				repo, tag := info.Repository, info.Tag
				if repo == "" {
					repo, tag = imageref.Split(c.Image)
				}
				// docker compose writes an unknown platform so.
				e := imageEntry{ID: info.ID, ContainerName: c.Name, Repository: repo, Tag: tag, Platform: cmp.Or(info.Platform, "unknown"), Size: info.Size}
				if t, err := time.Parse(time.RFC3339Nano, info.Created); err == nil {
					e.Created = &t
				}
				entries = append(entries, e)
			}
			sort.SliceStable(entries, func(i, j int) bool { return entries[i].ContainerName < entries[j].ContainerName })
			switch {
			case quiet:
				// docker compose prints each id once, without its algorithm.
				var seen []string
				for _, e := range entries {
					id := e.ID
					if _, hex, ok := strings.Cut(id, ":"); ok {
						id = hex
					}
					if !slices.Contains(seen, id) {
						seen = append(seen, id)
						fmt.Fprintln(a.stdout, id)
					}
				}
				return nil
			case format == "json":
				return printJSON(a.stdout, entries)
			}
			now := time.Now()
			tw := newTable(a.stdout)
			fmt.Fprintln(tw, "CONTAINER\tREPOSITORY\tTAG\tPLATFORM\tIMAGE ID\tSIZE\tCREATED")
			for _, e := range entries {
				created := "N/A"
				if e.Created != nil {
					created = units.HumanDuration(now.Sub(*e.Created)) + " ago"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ContainerName, e.Repository, e.Tag, e.Platform, shortID(e.ID),
					units.HumanSizeWithPrecision(float64(e.Size), 3), created)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "Only display IDs")
	cmd.Flags().StringVar(&format, "format", "table", "Format the output: table or json")
	return cmd
}

// shortID is an id as docker's tables show it: 12 hex digits.
func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func (a *app) versionCmd() *cobra.Command {
	var (
		format string
		short  bool
	)
	cmd := &cobra.Command{
		Use:   "version [flags]",
		Short: "Show the perry-compose version information",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case short:
				fmt.Fprintln(a.stdout, version)
			case format == "json":
				_ = printJSON(a.stdout, map[string]string{"version": version})
			default: // docker compose prints any other format as pretty
				fmt.Fprintf(a.stdout, "perry-compose version %s\n", version)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "", "Format the output. Values: [pretty | json]")
	cmd.Flags().BoolVar(&short, "short", false, "Shows only the version number")
	return cmd
}
