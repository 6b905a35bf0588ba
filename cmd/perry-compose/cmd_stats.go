package main

import (
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/perryts/perry-container/backend"
)

// statsHeaders are the column titles of a "table ..." stats template,
// docker's.
var statsHeaders = map[string]string{
	"Container": "CONTAINER", "ID": "CONTAINER ID", "Name": "NAME", "CPUPerc": "CPU %", "MemUsage": "MEM USAGE / LIMIT",
	"MemPerc": "MEM %", "NetIO": "NET I/O", "BlockIO": "BLOCK I/O", "PIDs": "PIDS",
}

// statsTable is docker stats' default table.
const statsTable = `table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}`

// statsRow is what a stats --format template sees: docker's fields.
type statsRow struct {
	backend.ContainerStats
	Container string
}

// statsInterval is the least time between two refreshes of a streamed
// table (docker's: a sample takes about a second anyway).
const statsInterval = time.Second

func (a *app) statsCmd() *cobra.Command {
	var (
		all, noStream, noTrunc bool
		format                 string
	)
	cmd := &cobra.Command{
		Use:   "stats [flags] [SERVICE]",
		Short: "Display a live stream of container(s) resource usage statistics",
		Long: `Show the CPU, memory, network and block I/O use and the process count of the
project's running containers (of SERVICE only, when named), as docker stats
shows them, refreshed until interrupted; --no-stream shows one sample.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			// Not the service: docker compose filters by its label, so a
			// service without containers shows an empty table.
			s, err := a.open(ctx, nil, true, "")
			if err != nil {
				return err
			}
			defer s.r.Close()
			if format == "" || format == "table" {
				format = statsTable
			}
			for {
				next := time.Now().Add(statsInterval)
				st, err := s.e.Stats(ctx, args, all)
				if err != nil {
					if ctx.Err() != nil && !noStream {
						return nil // interrupted: the table shown is the answer
					}
					return err
				}
				if !noStream {
					io.WriteString(a.stdout, "\033[2J\033[H") // docker clears the screen before each table
				}
				if err := printStats(a.stdout, st, format, noTrunc); err != nil || noStream {
					return err
				}
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(time.Until(next)):
				}
			}
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&all, "all", "a", false, "Show all containers (default shows just running)")
	fl.StringVar(&format, "format", "", "Format output: table (default), json, or a Go template ('table TEMPLATE' adds headers)")
	fl.BoolVar(&noStream, "no-stream", false, "Disable streaming stats and only pull the first result")
	fl.BoolVar(&noTrunc, "no-trunc", false, "Do not truncate output")
	return cmd
}

// printStats writes one sample as docker stats does: ids of 12 digits
// unless noTrunc; json is one object a line.
func printStats(w io.Writer, st []backend.ContainerStats, format string, noTrunc bool) error {
	rows := make([]any, 0, len(st))
	for _, s := range st {
		r := statsRow{ContainerStats: s, Container: s.ID}
		if !noTrunc {
			r.ID = shortID(r.ID)
		}
		rows = append(rows, r)
	}
	if format == "json" {
		for _, r := range rows {
			if err := printJSON(w, r); err != nil {
				return err
			}
		}
		return nil
	}
	return printTemplate(w, format, statsHeaders, rows)
}
