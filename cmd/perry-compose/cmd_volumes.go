package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/perryts/perry-container/compose/engine"
	"github.com/perryts/perry-container/core"
)

// volumeRow is what a volumes --format template sees: docker's volume
// fields. The JSON keys and their order are docker compose's (its CLI
// marshals them sorted). A runtime's volumes outside a cluster have local
// scope and no cluster fields; the runtimes report no usage data here.
type volumeRow struct {
	Availability string
	Driver       string
	Group        string
	Labels       string
	Links        string
	Mountpoint   string
	Name         string
	Scope        string
	Size         string
	Status       string
	labels       map[string]string
}

// Label is the value of one label, "" when it is not set.
func (r volumeRow) Label(name string) string { return r.labels[name] }

func newVolumeRow(v core.VolumeInfo) volumeRow {
	return volumeRow{Availability: "N/A", Driver: v.Driver, Group: "N/A", Labels: engine.JoinLabels(v.Labels), Links: "N/A",
		Mountpoint: v.Mountpoint, Name: v.Name, Scope: "local", Size: "N/A", Status: "N/A", labels: v.Labels}
}

// volumeHeaders are the column titles of a "table ..." template, docker's.
var volumeHeaders = map[string]string{
	"ID": "ID", "Name": "VOLUME NAME", "Group": "GROUP", "Driver": "DRIVER", "Scope": "SCOPE",
	"Availability": "AVAILABILITY", "Mountpoint": "MOUNTPOINT", "Labels": "LABELS", "Links": "LINKS",
	"Size": "SIZE", "Status": "STATUS",
}

func (a *app) volumesCmd() *cobra.Command {
	var (
		quiet  bool
		format string
	)
	cmd := &cobra.Command{
		Use:   "volumes [flags] [SERVICE...]",
		Short: "List the project's volumes",
		Long: `List the volumes the project created (external volumes are not its own).
With services, only the volumes their running containers mount.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			s, err := a.open(ctx, args, true, "")
			if err != nil {
				return err
			}
			defer s.r.Close()
			vols, err := s.e.Volumes(ctx, args)
			if err != nil {
				return err
			}
			if quiet {
				for _, v := range vols {
					fmt.Fprintln(a.stdout, v.Name)
				}
				return nil
			}
			switch strings.TrimSpace(format) {
			case "table", "":
				format = "table {{.Driver}}\t{{.Name}}"
			case "json":
				format = "{{json .}}"
			}
			rows := make([]any, len(vols))
			for i, v := range vols {
				rows[i] = newVolumeRow(v)
			}
			return printTemplate(a.stdout, format, volumeHeaders, rows)
		},
	}
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "Only display volume names")
	cmd.Flags().StringVar(&format, "format", "table", `Format the output: "table" (default), "json", "table TEMPLATE" or a Go template`)
	return cmd
}
