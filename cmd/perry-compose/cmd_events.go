package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/perryts/perry-container/compose/engine"
)

func (a *app) eventsCmd() *cobra.Command {
	var (
		asJSON       bool
		since, until string
	)
	cmd := &cobra.Command{
		Use:   "events [flags] [SERVICE...]",
		Short: "Receive real time events from containers",
		Long: `Stream the events of the project's containers (of services, all when none
is named) until interrupted, one per line as docker compose prints them:
"TIME container ACTION ID (ATTRIBUTES)", or with --json one JSON object
per line with time, type, service, id, action and attributes. --since
replays past events, --until ends the stream (a Unix or RFC 3339 time, or
a duration before now).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			s, err := a.open(ctx, args, true, "")
			if err != nil {
				return err
			}
			defer s.r.Close()
			var mu sync.Mutex
			var werr error
			err = s.e.Events(ctx, engine.EventsOptions{Services: args, Since: since, Until: until}, func(ev engine.ContainerEvent) {
				mu.Lock()
				defer mu.Unlock()
				if werr == nil {
					werr = printEvent(a.stdout, ev, asJSON)
				}
			})
			if err == nil {
				err = werr
			}
			if ctx.Err() != nil {
				return nil
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "Output events as a stream of json objects")
	cmd.Flags().StringVar(&since, "since", "", "Show all events created since timestamp")
	cmd.Flags().StringVar(&until, "until", "", "Stream events until this timestamp")
	return cmd
}

// printEvent writes one event as docker compose does: its text form (the
// time to the microsecond, attributes as k=v, then an empty line), or JSON.
func printEvent(w io.Writer, ev engine.ContainerEvent, asJSON bool) error {
	if asJSON {
		data, err := json.Marshal(map[string]any{
			"time":       ev.Time,
			"type":       "container",
			"service":    ev.Service,
			"id":         ev.Container,
			"action":     ev.Action,
			"attributes": ev.Attributes,
		})
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(w, string(data))
		return err
	}
	attrs := make([]string, 0, len(ev.Attributes))
	for _, k := range slices.Sorted(maps.Keys(ev.Attributes)) {
		attrs = append(attrs, k+"="+ev.Attributes[k])
	}
	_, err := fmt.Fprintf(w, "%s container %s %s (%s)\n\n", ev.Time.Format("2006-01-02 15:04:05.000000"), ev.Action, ev.Container, strings.Join(attrs, ", "))
	return err
}
