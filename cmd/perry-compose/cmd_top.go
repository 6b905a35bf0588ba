package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/perryts/perry-container/compose/engine"
)

func (a *app) topCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "top [SERVICE...]",
		Short: "Display the running processes",
		Long: `Display the processes of the running containers of services (all when none
is named) in one table, as docker compose prints it: SERVICE and the
replica number (#), then the runtime's process columns, CMD last.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			s, err := a.open(ctx, args, true, "")
			if err != nil {
				return err
			}
			defer s.r.Close()
			cs, err := s.e.Top(ctx, args)
			if err != nil {
				return err
			}
			return printTop(a.stdout, cs)
		},
	}
}

// printTop writes docker compose's top table: the columns in the order
// first seen, after SERVICE and #, with CMD moved last; "-" where a
// container's runtime lacks a column. Nothing when there is no process.
func printTop(w io.Writer, cs []engine.ContainerProcesses) error {
	titles := []string{"SERVICE", "#"}
	index := map[string]int{"SERVICE": 0, "#": 1}
	var rows []map[string]string
	for _, c := range cs {
		for _, proc := range c.Processes.Processes {
			row := map[string]string{"SERVICE": c.Service, "#": strconv.Itoa(c.Number)}
			for i, t := range c.Titles {
				if _, ok := index[t]; !ok {
					index[t] = len(titles)
					titles = append(titles, t)
				}
				if i < len(proc) {
					row[t] = proc[i]
				}
			}
			rows = append(rows, row)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	if i, ok := index["CMD"]; ok {
		titles = append(append(titles[:i:i], titles[i+1:]...), "CMD")
	}
	tw := tabwriter.NewWriter(w, 4, 1, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(titles, "\t"))
	for _, row := range rows {
		cells := make([]string, len(titles))
		for i, t := range titles {
			if v, ok := row[t]; ok {
				cells[i] = v
			} else {
				cells[i] = "-"
			}
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}
