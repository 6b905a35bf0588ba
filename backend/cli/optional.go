package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// The optional operations of backend/optional.go, through the runtime's
// CLI. apple/container has none of them; nerdctl's events carry no labels,
// so it cannot stream a project's events.
var (
	_ backend.Pauser    = (*Backend)(nil)
	_ backend.Topper    = (*Backend)(nil)
	_ backend.Eventer   = (*Backend)(nil)
	_ backend.Copier    = (*Backend)(nil)
	_ backend.Restarter = (*Backend)(nil)
	_ backend.Pusher    = (*Backend)(nil)
	_ backend.Committer = (*Backend)(nil)
	_ backend.Exporter  = (*Backend)(nil)
)

// Commit runs `<cli> commit` and reads the new image's id, the last word
// of its output. apple/container has no commit.
func (b *Backend) Commit(ctx context.Context, id string, opts backend.CommitOptions) (string, error) {
	if err := requireID("id", id); err != nil {
		return "", err
	}
	if b.proto.apple() {
		return "", backend.Unsupported(b, "commit")
	}
	args, err := b.proto.CommitArgs(id, opts)
	if err != nil {
		return "", err
	}
	out, err := b.call(ctx, target{"container", id}, args)
	if err != nil {
		return "", err
	}
	words := strings.Fields(string(out.stdout))
	if len(words) == 0 {
		return "", parseErr(b.name, "commit", fmt.Errorf("no image id in %q", out.stdout))
	}
	return backend.ImageID(words[len(words)-1]), nil
}

// Export streams `<cli> export` to w. apple/container has no export, nor
// has a nerdctl without the command (see ExportArgs).
func (b *Backend) Export(ctx context.Context, id string, w io.Writer) error {
	if err := requireID("id", id); err != nil {
		return err
	}
	if b.proto.apple() {
		return backend.Unsupported(b, "export")
	}
	args := b.proto.ExportArgs(id)
	out, err := b.runWith(ctx, args, w, nil)
	if err != nil {
		return err
	}
	if out.code != 0 {
		if b.proto.Flavor == FlavorNerdctl && strings.Contains(out.stderr, "unknown subcommand") {
			return backend.Unsupported(b, "export") // a nerdctl without export
		}
		return b.failure(args, out, target{"container", id})
	}
	return nil
}

// PushImage is the runtime's push, with its own stored credentials.
func (b *Backend) PushImage(ctx context.Context, ref string) error {
	return b.transfer(ctx, ref, b.proto.PushArgs(ref))
}

// Restart is `restart [-t N] -- id` (docker, podman, nerdctl).
func (b *Backend) Restart(ctx context.Context, id string, timeout *int) error {
	if err := requireID("id", id); err != nil {
		return err
	}
	if b.proto.apple() {
		return backend.Unsupported(b, "restart")
	}
	args := []string{"restart"}
	if timeout != nil {
		args = append(args, "-t", strconv.Itoa(*timeout))
	}
	_, err := b.call(ctx, target{"container", id}, append(args, "--", id))
	return err
}

func (b *Backend) Pause(ctx context.Context, id string) error {
	return b.pauseOrUnpause(ctx, "pause", id)
}

func (b *Backend) Unpause(ctx context.Context, id string) error {
	return b.pauseOrUnpause(ctx, "unpause", id)
}

func (b *Backend) pauseOrUnpause(ctx context.Context, op, id string) error {
	if err := requireID("id", id); err != nil {
		return err
	}
	if b.proto.apple() {
		return backend.Unsupported(b, op)
	}
	_, err := b.call(ctx, target{"container", id}, []string{op, "--", id})
	return err
}

// Top runs `<cli> top`: a table whose last column (the command) may hold
// spaces, the others not.
func (b *Backend) Top(ctx context.Context, id string) (backend.Processes, error) {
	if err := requireID("id", id); err != nil {
		return backend.Processes{}, err
	}
	if b.proto.apple() {
		return backend.Processes{}, backend.Unsupported(b, "top")
	}
	out, err := b.call(ctx, target{"container", id}, []string{"top", "--", id})
	if err != nil {
		return backend.Processes{}, err
	}
	return backend.ParseTop(string(out.stdout)), nil
}

// Events runs `<cli> events` with JSON lines, filtered by type and labels,
// until ctx ends; a podman follower that ends early is resumed (see
// backend.FollowEvents).
func (b *Backend) Events(ctx context.Context, opts backend.EventsOptions, sink func(backend.ContainerEvent)) error {
	if b.proto.apple() || b.proto.Flavor == FlavorNerdctl {
		return backend.Unsupported(b, "stream events")
	}
	return backend.FollowEvents(ctx, opts, b.proto.Flavor == FlavorPodman,
		func(ctx context.Context, since string, sink func(backend.ContainerEvent)) error {
			return b.followEvents(ctx, opts, since, sink)
		}, sink)
}

// followEvents is one `<cli> events` from since (opts.Since's form).
func (b *Backend) followEvents(ctx context.Context, opts backend.EventsOptions, since string, sink func(backend.ContainerEvent)) error {
	args := []string{"events", "--format", "{{json .}}", "--filter", "type=container"}
	a := &argList{}
	for _, k := range slices.Sorted(maps.Keys(opts.Labels)) {
		if opts.Labels[k] == "" {
			a.value("labels", "--filter", "label="+k)
		} else {
			a.value("labels", "--filter", "label="+k+"="+opts.Labels[k])
		}
	}
	a.opt("since", "--since", since)
	a.opt("until", "--until", opts.Until)
	if a.err != nil {
		return a.err
	}
	args = append(args, a.args...)
	if b.proto.Flavor == FlavorPodman {
		args[2] = "json"
	}
	pr, pw := io.Pipe()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			if ev, ok := parseEvent(sc.Bytes()); ok && backend.MatchLabels(ev.Attributes, opts.Labels) {
				sink(ev)
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	out, err := b.runWith(ctx, args, pw, nil)
	_ = pw.Close()
	wg.Wait()
	if ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return err
	}
	if out.code != 0 {
		return b.failure(args, out, target{})
	}
	return nil
}

// parseEvent reads one event line: docker's (Action, Actor.ID,
// Actor.Attributes, time and timeNano) or podman's (Status, ID, Name,
// Image, Attributes, Time as RFC 3339 or Unix seconds).
func parseEvent(line []byte) (backend.ContainerEvent, bool) {
	var e struct {
		Type, Action, Status, ID, Name, Image string
		Actor                                 struct {
			ID         string
			Attributes map[string]string
		}
		Attributes map[string]string
		Time       json.RawMessage `json:"time"`
		TimeNano   int64           `json:"timeNano"`
	}
	if json.Unmarshal(line, &e) != nil {
		return backend.ContainerEvent{}, false
	}
	ev := backend.ContainerEvent{Action: e.Action, ID: e.Actor.ID, Attributes: map[string]string{}}
	for k, v := range e.Actor.Attributes {
		ev.Attributes[k] = v
	}
	if ev.Action == "" {
		ev.Action = e.Status
	}
	ev.Action = backend.EventAction(ev.Action)
	if ev.ID == "" {
		ev.ID = e.ID
	}
	for k, v := range e.Attributes {
		ev.Attributes[k] = v
	}
	if e.Name != "" {
		ev.Attributes["name"] = e.Name
	}
	if e.Image != "" {
		ev.Attributes["image"] = e.Image
	}
	switch {
	case e.TimeNano != 0:
		ev.Time = time.Unix(0, e.TimeNano)
	case len(e.Time) > 0:
		var s string
		if json.Unmarshal(e.Time, &s) == nil {
			ev.Time, _ = time.Parse(time.RFC3339Nano, s)
		} else if n, err := strconv.ParseInt(string(e.Time), 10, 64); err == nil {
			ev.Time = time.Unix(n, 0)
		}
	}
	if ev.Action == "" || ev.ID == "" {
		return backend.ContainerEvent{}, false
	}
	return ev, true
}

// CopyFrom runs `<cli> cp CONTAINER:SRC DST`.
func (b *Backend) CopyFrom(ctx context.Context, id, src, dst string, opts backend.CopyOptions) error {
	return b.copy(ctx, id, id+":"+src, hostPath(dst), opts)
}

// CopyTo runs `<cli> cp SRC CONTAINER:DST`.
func (b *Backend) CopyTo(ctx context.Context, id, src, dst string, opts backend.CopyOptions) error {
	return b.copy(ctx, id, hostPath(src), id+":"+dst, opts)
}

func (b *Backend) copy(ctx context.Context, id, from, to string, opts backend.CopyOptions) error {
	if err := requireID("id", id); err != nil {
		return err
	}
	if b.proto.apple() {
		return backend.Unsupported(b, "copy files")
	}
	if strings.ContainsRune(from+to, 0) {
		return core.InvalidArgument("path", "must not contain NUL")
	}
	args := []string{"cp"}
	if opts.Archive {
		args = append(args, "--archive")
	}
	if opts.FollowLink {
		args = append(args, "--follow-link")
	}
	_, err := b.call(ctx, target{"container", id}, append(args, "--", from, to))
	return err
}

// WriteFiles runs `<cli> cp - CONTAINER:/` with the files' tar on stdin.
// docker keeps the archive's owners with --archive (without, root's);
// podman keeps them without it (with, the container user's). nerdctl's cp
// reads no tar from stdin and apple/container has no cp.
func (b *Backend) WriteFiles(ctx context.Context, id string, files []backend.File) error {
	if err := requireID("id", id); err != nil {
		return err
	}
	if !b.writesFiles() {
		return backend.Unsupported(b, "write files into a container")
	}
	archive, err := backend.FilesArchive(files)
	if err != nil {
		return err
	}
	args := []string{"cp"}
	switch {
	case b.proto.Flavor == FlavorPodman:
		args = append(args, "--archive=false")
	case backend.KeepsOwners(files):
		args = append(args, "--archive")
	}
	_, err = b.callInput(ctx, target{"container", id}, append(args, "--", "-", id+":/"), archive)
	if err != nil && core.KindOf(err) != core.KindNotFound {
		// docker's cp reads a missing container as a destination that is
		// no directory: say what it is.
		if _, ierr := b.Inspect(ctx, id); core.KindOf(ierr) == core.KindNotFound {
			return ierr
		}
	}
	return err
}

// writesFiles reports whether the CLI's cp reads a tar from stdin.
func (b *Backend) writesFiles() bool {
	return b.proto.Flavor == FlavorDocker || b.proto.Flavor == FlavorPodman
}

// hostPath is a host path the CLIs cannot read as CONTAINER:PATH: one with
// a colon is made absolute (they take a path starting with / or . as
// local).
func hostPath(p string) string {
	if strings.Contains(p, ":") && !strings.HasPrefix(p, "/") && !strings.HasPrefix(p, ".") {
		if abs, err := filepath.Abs(p); err == nil {
			return abs
		}
		return "./" + p
	}
	return p
}

var _ backend.StatsReader = (*Backend)(nil)

// statsFormat asks docker, podman and nerdctl alike for the columns of
// `docker stats`, by the template names the three share, one container a
// line.
const statsFormat = "{{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}"

// Stats is one `stats --no-stream` of ids, read in the runtime's own
// words and units.
func (b *Backend) Stats(ctx context.Context, ids []string) ([]backend.ContainerStats, error) {
	for _, id := range ids {
		if err := requireID("container", id); err != nil {
			return nil, err
		}
	}
	if b.proto.apple() {
		return nil, backend.Unsupported(b, "stats")
	}
	if len(ids) == 0 {
		return nil, nil
	}
	args := append([]string{"stats", "--no-stream", "--no-trunc", "--format", statsFormat, "--"}, ids...)
	out, err := b.call(ctx, target{}, args)
	if err != nil {
		return nil, err
	}
	st, err := parseStats(string(out.stdout), ids)
	if err != nil && core.KindOf(err) != core.KindNotFound {
		return nil, parseErr(b.name, "stats", err)
	}
	return st, err
}

// parseStats reads statsFormat lines and returns them in the order of ids,
// matched by id (or id prefix) or name.
func parseStats(s string, ids []string) ([]backend.ContainerStats, error) {
	var rows []backend.ContainerStats
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if strings.TrimSpace(l) == "" {
			continue
		}
		f := strings.Split(l, "\t")
		if len(f) != 8 {
			return nil, fmt.Errorf("stats line %q has %d fields, want 8", l, len(f))
		}
		rows = append(rows, backend.ContainerStats{ID: f[0], Name: strings.TrimPrefix(f[1], "/"), CPUPerc: f[2], MemUsage: f[3],
			MemPerc: f[4], NetIO: f[5], BlockIO: f[6], PIDs: f[7]})
	}
	out := make([]backend.ContainerStats, len(ids))
	for i, id := range ids {
		j := slices.IndexFunc(rows, func(r backend.ContainerStats) bool {
			return r.ID != "" && (strings.HasPrefix(r.ID, id) || strings.HasPrefix(id, r.ID)) || r.Name == id
		})
		if j < 0 {
			return nil, core.NotFound("container", id)
		}
		out[i] = rows[j]
	}
	return out, nil
}

var _ backend.FileWriter = (*Backend)(nil)
