package main

import (
	"io"
	"strings"
	"text/tabwriter"

	"github.com/docker/cli/templates"
	"github.com/mattn/go-runewidth"

	"github.com/perryts/perry-container/compose/engine"
	"github.com/perryts/perry-container/core"
)

// psRow is what a ps --format template sees: docker compose's fields,
// plus .Label "name".
type psRow struct {
	engine.PsEntry
	labels map[string]string
}

// Label is the value of one label, "" when it is not set.
func (r psRow) Label(name string) string { return r.labels[name] }

// psHeaders are the column titles of a "table ..." template, docker
// compose's.
var psHeaders = map[string]string{
	"ID": "CONTAINER ID", "Name": "NAME", "Names": "NAMES", "Project": "PROJECT", "Service": "SERVICE",
	"Image": "IMAGE", "Command": "COMMAND", "CreatedAt": "CREATED AT", "RunningFor": "CREATED",
	"Ports": "PORTS", "State": "STATE", "Status": "STATUS", "Size": "SIZE", "Labels": "LABELS",
	"Health": "HEALTH", "ExitCode": "EXIT CODE", "Networks": "NETWORKS", "Mounts": "MOUNTS",
	"LocalVolumes": "LOCAL VOLUMES", "Publishers": "PUBLISHERS",
}

// printTemplate renders rows through a Go template as docker's CLIs do:
// `\t` and `\n` in the template are a tab and a newline, each row ends
// with a newline, and a "table " prefix adds a header row and aligns the
// columns.
func printTemplate(w io.Writer, format string, headers map[string]string, rows []any) error {
	format = strings.TrimSpace(format)
	table := strings.HasPrefix(format, "table ")
	if table {
		format = format[len("table "):]
	}
	format = strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(format)
	tmpl, err := templates.Parse(format)
	if err != nil {
		return core.InvalidArgument("--format", "template parsing error: %v", err)
	}
	out := w
	var tw *tabwriter.Writer
	if table {
		tw = tabwriter.NewWriter(w, 10, 1, 3, ' ', 0)
		out = tw
		h, err := templates.New("").Funcs(templates.HeaderFunctions).Parse(format)
		if err != nil {
			return core.InvalidArgument("--format", "template parsing error: %v", err)
		}
		if err := h.Execute(out, headers); err != nil {
			return core.InvalidArgument("--format", "template: %v", err)
		}
		io.WriteString(out, "\n")
	}
	for _, r := range rows {
		if err := tmpl.Execute(out, r); err != nil {
			return core.InvalidArgument("--format", "template: %v", err)
		}
		io.WriteString(out, "\n")
	}
	if tw != nil {
		return tw.Flush()
	}
	return nil
}

// ellipsis shortens s to width display columns, its end replaced by "…",
// as docker's tables do (a wide character counts two).
func ellipsis(s string, width int) string {
	return runewidth.Truncate(s, width, "…")
}
