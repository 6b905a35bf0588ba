package backend

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/perryts/perry-container/core"
)

// Optional interfaces: operations not every runtime has. A caller asks for
// one with a type assertion and, when the backend lacks it, reports
// Unsupported. Each is small, so that a backend implements what its
// runtime can do and nothing more.

// Pauser suspends and resumes all processes of a container (docker
// pause/unpause). A paused container's State is "paused".
type Pauser interface {
	Pause(ctx context.Context, id string) error
	Unpause(ctx context.Context, id string) error
}

// Processes is a container's process table, as `docker top` prints it: the
// column titles and one row per process.
type Processes struct {
	Titles    []string   `json:"titles"`
	Processes [][]string `json:"processes"`
}

// ParseTop reads a `top` table (a CLI's, or podman's API answer of one
// column): titles from the first line, then each row split into as many
// fields, the last (the command) taking the rest of the line.
func ParseTop(s string) Processes {
	p := Processes{Titles: []string{}, Processes: [][]string{}}
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) == 0 || strings.TrimSpace(lines[0]) == "" {
		return p
	}
	p.Titles = strings.Fields(lines[0])
	n := len(p.Titles)
	for _, l := range lines[1:] {
		if strings.TrimSpace(l) == "" {
			continue
		}
		fields := strings.Fields(l)
		if len(fields) > n {
			// The command keeps its own spacing: cut the line after the
			// first n-1 fields.
			rest := strings.TrimLeft(l, " \t")
			for range n - 1 {
				i := strings.IndexAny(rest, " \t")
				rest = strings.TrimLeft(rest[i:], " \t")
			}
			fields = append(fields[:n-1], rest)
		}
		p.Processes = append(p.Processes, fields)
	}
	return p
}

// Topper lists the processes running in a container.
type Topper interface {
	Top(ctx context.Context, id string) (Processes, error)
}

// ContainerEvent is one event of a container's life, as the runtimes report
// it: its time, its action (create, start, die, pause, …), the container's
// id and attributes (its labels, name, image, exit code).
type ContainerEvent struct {
	Time       time.Time
	Action     string
	ID         string
	Attributes map[string]string
}

// EventAction is the docker name of a container event's action: podman
// (its CLI and its Docker-compatible API alike) names some otherwise.
func EventAction(action string) string {
	switch action {
	case "died":
		return "die"
	case "exec_died":
		return "exec_die"
	case "remove":
		return "destroy"
	}
	return action
}

// EventsOptions select events.
type EventsOptions struct {
	// Labels must all match the container's labels: a "" value matches
	// any value of the key.
	Labels map[string]string
	// Since replays the events from a time on; Until ends the stream at a
	// time. Each is a Unix time in seconds (fractions allowed), an RFC 3339
	// time or a duration before now ("10m"), as docker events takes them.
	Since, Until string
}

// FollowEvents streams events as Eventer.Events does, through follow (one
// stream of the runtime's events from since, in opts.Since's forms), until
// ctx ends. podman's follower over its file event log can end, exit 0, in
// the middle of a stream (a CI run lost a project's destroy events so,
// around a rotation of the log): with resume, an unbounded stream that ends
// without an error is followed again from the last event given, the events
// of that instant already given left out. Five followers in a row that end
// at once end the stream: that one does not follow at all.
func FollowEvents(ctx context.Context, opts EventsOptions, resume bool,
	follow func(ctx context.Context, since string, sink func(ContainerEvent)) error, sink func(ContainerEvent)) error {
	var (
		resumed bool
		last    time.Time
		atLast  = map[string]bool{} // the events given at instant last
	)
	give := func(ev ContainerEvent) {
		key := ev.ID + " " + ev.Action
		if resumed && (ev.Time.Before(last) || ev.Time.Equal(last) && atLast[key]) {
			return // given before the follower ended
		}
		if !ev.Time.Equal(last) {
			last = ev.Time
			clear(atLast)
		}
		atLast[key] = true
		sink(ev)
	}
	since := opts.Since
	quick := 0
	for {
		began := time.Now()
		if err := follow(ctx, since, give); err != nil || ctx.Err() != nil {
			return err
		}
		if !resume || opts.Until != "" {
			return nil // the engine closed the stream, or a bounded listing ended
		}
		if time.Since(began) < time.Second {
			if quick++; quick == 5 {
				return nil
			}
		} else {
			quick = 0
		}
		resumed = true
		from := began
		if !last.IsZero() {
			from = last
		}
		since = fmt.Sprintf("%d.%09d", from.Unix(), from.Nanosecond())
		select { // not at once: let the rotation finish
		case <-ctx.Done():
			return nil
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Eventer streams container events.
type Eventer interface {
	// Events calls sink for every container event matching opts, in order,
	// from the call (or Since) on until ctx ends or Until passes (then it
	// returns nil), or the stream fails. Calls to sink are serialised.
	Events(ctx context.Context, opts EventsOptions, sink func(ContainerEvent)) error
}

// Copier copies files and directories between the host and a container,
// as `docker cp` does: to an existing directory, the source goes inside it;
// otherwise it is created under the destination's name.
type Copier interface {
	// CopyFrom copies src in the container to dst on the host.
	CopyFrom(ctx context.Context, id, src, dst string, opts CopyOptions) error
	// CopyTo copies src on the host to dst in the container.
	CopyTo(ctx context.Context, id, src, dst string, opts CopyOptions) error
}

// CopyOptions are docker cp's flags.
type CopyOptions struct {
	// Archive is -a: copy all uid/gid information (the Engine API's
	// CopyUIDGID; Docker 20.10 keeps a file's numeric owner without it too).
	Archive bool
	// FollowLink copies what a symbolic link source points to, under the
	// link's name (-L); otherwise the link itself.
	FollowLink bool
}

// CommitOptions are docker commit's flags.
type CommitOptions struct {
	// Reference names the new image, REPOSITORY[:TAG] (tag "latest" when
	// omitted); "" leaves it untagged, known by its id only.
	Reference string
	// Author and Message are recorded in the image (-a, -m).
	Author, Message string
	// Changes are Dockerfile instructions applied to the image's config
	// (-c, repeatable: "ENV K=v", "CMD [\"sh\"]", …), as the runtime
	// takes them.
	Changes []string
	// NoPause leaves the container's processes running while its files
	// are read (--pause=false). The zero value pauses, docker's default:
	// a consistent snapshot of a running container.
	NoPause bool
}

// Committer makes an image of a container's filesystem, its changes on
// top of its image's (docker commit), running or stopped; the files of
// its volumes are not in it. It returns the new image's id.
type Committer interface {
	Commit(ctx context.Context, id string, opts CommitOptions) (imageID string, err error)
}

// Exporter writes a container's filesystem, running or stopped, as one
// tar archive to w (docker export): the whole root, without the files
// of its volumes. A refusal (no such container, no export in the
// runtime) writes nothing.
type Exporter interface {
	Export(ctx context.Context, id string, w io.Writer) error
}

// Restarter restarts a container in one engine call (docker restart):
// stopped within timeout seconds (nil: its own stop timeout) if running,
// then started. The runtime reports it as a restart (a "restart" event),
// which a stop then a start is not.
type Restarter interface {
	Restart(ctx context.Context, id string, timeout *int) error
}

// Pusher uploads a local image to its registry (docker push), with the
// credentials the runtime's own login stored for that registry.
type Pusher interface {
	PushImage(ctx context.Context, ref string) error
}

// ContainerStats is one sample of a container's resource use, in the words
// and units `docker stats` prints them ("0.25%", "1.5MiB / 7.6GiB").
type ContainerStats struct {
	ID       string `json:"ID"`
	Name     string `json:"Name"`
	CPUPerc  string `json:"CPUPerc"`
	MemUsage string `json:"MemUsage"`
	MemPerc  string `json:"MemPerc"`
	NetIO    string `json:"NetIO"`
	BlockIO  string `json:"BlockIO"`
	PIDs     string `json:"PIDs"`
}

// StatsReader samples the resource use of running containers (docker
// stats --no-stream), one entry per container in the order of ids.
type StatsReader interface {
	Stats(ctx context.Context, ids []string) ([]ContainerStats, error)
}

// Unsupported is the error for an optional operation (op: "pause", "top",
// …) the backend's runtime lacks: "<runtime> cannot <op>".
func Unsupported(b Backend, op string) error {
	return core.Errorf(core.KindInternal, "%s cannot %s", b.Name(), op).
		With("operation", op).With("backend", b.Name()).With("unsupported", true)
}

// NetworkConnector attaches a container to a network and detaches it
// (docker network connect/disconnect), without stopping it. The engine uses
// it to move a project's running containers to a network it recreates.
type NetworkConnector interface {
	ConnectNetwork(ctx context.Context, network, container string, attach core.NetworkAttach) error
	DisconnectNetwork(ctx context.Context, network, container string, force bool) error
}
