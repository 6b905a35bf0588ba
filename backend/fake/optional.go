package fake

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// The optional operations of backend/optional.go on the fake engine.
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

// Commit is what the fake keeps of a committed image: the container it
// was made of, the options given, and the container's own files (those
// outside its volumes), which the containers of the image start with.
type Commit struct {
	Container string // the container's id
	backend.CommitOptions
	Files map[string]string
}

// Commit files a new image made of the container, under opts.Reference
// (moving the tag from the image that had it) or by its id alone.
func (b *Backend) Commit(ctx context.Context, id string, opts backend.CommitOptions) (string, error) {
	if err := b.enter(ctx, "Commit", id, opts.Reference); err != nil {
		return "", err
	}
	defer b.mu.Unlock()
	c, err := b.find(id)
	if err != nil {
		return "", err
	}
	var img core.ImageInfo
	if opts.Reference != "" {
		img = b.addImage(opts.Reference)
	} else {
		img = b.newImage("<none>", "<none>") // untagged: known by its id
		b.images[img.ID] = img
	}
	opts.Changes = slices.Clone(opts.Changes)
	b.commits[img.ID] = Commit{Container: c.info.ID, CommitOptions: opts, Files: b.ownFiles(c)}
	return img.ID, nil
}

// CommitOf returns what was committed into the image ref names (a
// reference or an id).
func (b *Backend) CommitOf(ref string) (Commit, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	img, ok := b.findImage(ref)
	if !ok {
		return Commit{}, false
	}
	cm, ok := b.commits[img.ID]
	cm.Files = maps.Clone(cm.Files)
	return cm, ok
}

// ownFiles are a container's files outside its volumes, what a commit or
// an export takes. Caller holds the lock.
func (b *Backend) ownFiles(c *container) map[string]string {
	out := map[string]string{}
	for p, content := range b.files[c.info.ID] {
		if _, _, ok := volumeAt(c, p); !ok {
			out[path.Clean("/"+p)] = content
		}
	}
	return out
}

// Export writes the container's own files (outside its volumes: WriteFile,
// CopyTo, an image's commit) as a tar archive, in path order, each
// directory before what it holds, all dated at the container's creation:
// the same container exports the same bytes.
func (b *Backend) Export(ctx context.Context, id string, w io.Writer) error {
	if err := b.enter(ctx, "Export", id); err != nil {
		return err
	}
	c, err := b.find(id)
	if err != nil {
		b.mu.Unlock()
		return err
	}
	files, created := b.ownFiles(c), c.created
	b.mu.Unlock()
	if err := writeFilesTar(w, files, created); err != nil {
		return core.Errorf(core.KindBackendError, "export of container %s: %v", id, err)
	}
	return nil
}

// writeFilesTar writes files (path → content) as a tar archive: in path
// order, each directory before what it holds, all dated mtime.
func writeFilesTar(w io.Writer, files map[string]string, mtime time.Time) error {
	tw := tar.NewWriter(w)
	dirs := map[string]bool{}
	for _, p := range slices.Sorted(maps.Keys(files)) {
		rel := strings.TrimPrefix(p, "/")
		parts := strings.Split(rel, "/")
		for i := 1; i < len(parts); i++ {
			dir := strings.Join(parts[:i], "/")
			if dirs[dir] {
				continue
			}
			dirs[dir] = true
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir + "/", Mode: 0o755, ModTime: mtime}); err != nil {
				return err
			}
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: rel, Mode: 0o644, Size: int64(len(files[p])), ModTime: mtime}); err != nil {
			return err
		}
		if _, err := io.WriteString(tw, files[p]); err != nil {
			return err
		}
	}
	return tw.Close()
}

var _ backend.StatsReader = (*Backend)(nil)

// Stats reports a running container's fake process as using a little of
// everything, a stopped one nothing, as `docker stats` shows them.
func (b *Backend) Stats(ctx context.Context, ids []string) ([]backend.ContainerStats, error) {
	if err := b.enter(ctx, "Stats", ids...); err != nil {
		return nil, err
	}
	defer b.mu.Unlock()
	out := make([]backend.ContainerStats, 0, len(ids))
	for _, id := range ids {
		c, err := b.find(id)
		if err != nil {
			return nil, err
		}
		st := backend.ContainerStats{ID: c.info.ID, Name: c.info.Name, CPUPerc: "0.00%", MemUsage: "0B / 0B", MemPerc: "0.00%",
			NetIO: "0B / 0B", BlockIO: "0B / 0B", PIDs: "0"}
		if c.info.State == "running" {
			st.CPUPerc, st.MemUsage, st.MemPerc, st.PIDs = "0.10%", "1MiB / 1GiB", "0.10%", "1"
		}
		out = append(out, st)
	}
	return out, nil
}

// PushImage records the push of a local image; pushing one that is not
// there fails as the engines do.
func (b *Backend) PushImage(ctx context.Context, ref string) error {
	if err := b.enter(ctx, "PushImage", ref); err != nil {
		return err
	}
	defer b.mu.Unlock()
	if _, ok := b.findImage(ref); !ok {
		return core.NotFound("image", ref)
	}
	return nil
}

// Restart stops a running container and starts it again, in one call.
func (b *Backend) Restart(ctx context.Context, id string, timeout *int) error {
	if err := b.enter(ctx, "Restart", id, timeoutArg(timeout)); err != nil {
		return err
	}
	defer b.mu.Unlock()
	c, err := b.find(id)
	if err != nil {
		return err
	}
	if c.info.State == "running" {
		b.exit(c, 137)
	}
	b.startLocked(c)
	return nil
}

// Pause makes a running container paused (as the engines do, pausing one
// that is not running is an error).
func (b *Backend) Pause(ctx context.Context, id string) error {
	return b.setPaused(ctx, "Pause", id, "running", "paused", "Up (Paused)")
}

// Unpause makes a paused container running again.
func (b *Backend) Unpause(ctx context.Context, id string) error {
	return b.setPaused(ctx, "Unpause", id, "paused", "running", "Up")
}

func (b *Backend) setPaused(ctx context.Context, method, id, from, to, status string) error {
	if err := b.enter(ctx, method, id); err != nil {
		return err
	}
	defer b.mu.Unlock()
	c, err := b.find(id)
	if err != nil {
		return err
	}
	if c.info.State != from {
		return core.BackendFailure("fake", []string{strings.ToLower(method), id}, 1,
			"container "+c.info.ID+" is not "+from)
	}
	c.info.State, c.info.Status = to, status
	return nil
}

// Top lists one process, the container's command, in `ps -ef`'s columns.
func (b *Backend) Top(ctx context.Context, id string) (backend.Processes, error) {
	if err := b.enter(ctx, "Top", id); err != nil {
		return backend.Processes{}, err
	}
	defer b.mu.Unlock()
	c, err := b.find(id)
	if err != nil {
		return backend.Processes{}, err
	}
	if c.info.State != "running" && c.info.State != "paused" {
		return backend.Processes{}, core.BackendFailure("fake", []string{"top", id}, 1, "container "+c.info.ID+" is not running")
	}
	cmd := strings.Join(append(append([]string(nil), c.spec.Entrypoint...), c.spec.Cmd...), " ")
	return backend.Processes{
		Titles:    []string{"UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"},
		Processes: [][]string{{"root", "1", "0", "0", c.created.UTC().Format("15:04"), "?", "00:00:00", cmd}},
	}, nil
}

// eventPoll is how often Events looks at the containers.
const eventPoll = 2 * time.Millisecond

// seen is what Events last saw of a container: a new exited channel means
// it stopped and started again since.
type seen struct {
	info   core.ContainerInfo
	exited chan struct{}
}

// Events reports the containers' changes as the engines name them
// (create, start, die, pause, unpause, destroy), by watching the fake's
// state, until ctx ends. It keeps no history: Since is ignored, and with
// Until the stream ends at once.
func (b *Backend) Events(ctx context.Context, opts backend.EventsOptions, sink func(backend.ContainerEvent)) error {
	if err := b.enter(ctx, "Events"); err != nil {
		return err
	}
	prev := b.seenLocked()
	b.mu.Unlock()
	if opts.Until != "" {
		return nil
	}
	tick := time.NewTicker(eventPoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		b.mu.Lock()
		cur := b.seenLocked()
		now := b.Now()
		b.mu.Unlock()
		emit := func(s seen, action string) {
			if !backend.MatchLabels(s.info.Labels, opts.Labels) {
				return
			}
			attrs := map[string]string{"name": s.info.Name, "image": s.info.Image}
			for k, v := range s.info.Labels {
				attrs[k] = v
			}
			if action == "die" && s.info.ExitCode != nil {
				attrs["exitCode"] = strconv.Itoa(*s.info.ExitCode)
			}
			sink(backend.ContainerEvent{Time: now, Action: action, ID: s.info.ID, Attributes: attrs})
		}
		for _, id := range sortedIDs(cur) {
			c, p := cur[id], prev[id]
			old := p.info.State
			if _, ok := prev[id]; !ok {
				emit(c, "create")
				old = "created"
			}
			if p.exited != nil && c.exited != p.exited && old != "exited" {
				// stopped and started again between two looks
				emit(seen{info: withState(c.info, "exited")}, "die")
				old = "exited"
			}
			switch {
			case old == c.info.State:
			case c.info.State == "paused":
				emit(c, "pause")
			case old == "paused" && c.info.State == "running":
				emit(c, "unpause")
			case c.info.State == "running":
				emit(c, "start")
			case c.info.State == "exited" && (old == "running" || old == "paused"):
				emit(c, "die")
			}
		}
		for _, id := range sortedIDs(prev) {
			if _, ok := cur[id]; !ok {
				emit(prev[id], "destroy")
			}
		}
		prev = cur
	}
}

func withState(info core.ContainerInfo, state string) core.ContainerInfo {
	info.State = state
	return info
}

// seenLocked snapshots the containers. Caller holds the lock.
func (b *Backend) seenLocked() map[string]seen {
	out := make(map[string]seen, len(b.containers))
	for id, c := range b.containers {
		info := c.info
		info.Labels = copyMap(c.info.Labels)
		out[id] = seen{info: info, exited: c.exited}
	}
	return out
}

func sortedIDs(m map[string]seen) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int { return strings.Compare(m[a].info.Name+a, m[b].info.Name+b) })
	return ids
}

// CopyFrom copies a file, or a directory (every file under it), of the
// container's files (WriteFile, CopyTo) to the host, as docker cp does:
// into dst when it is a directory, else as dst.
func (b *Backend) CopyFrom(ctx context.Context, id, src, dst string, _ backend.CopyOptions) error {
	if err := b.enter(ctx, "CopyFrom", id, src, dst); err != nil {
		return err
	}
	defer b.mu.Unlock()
	c, err := b.find(id)
	if err != nil {
		return err
	}
	src = path.Clean("/" + src)
	files := map[string]string{} // relative path ("" for src itself) → content
	for p, content := range b.filesOf(c) {
		p = path.Clean("/" + p)
		if p == src {
			files[""] = content
		} else if rest, ok := strings.CutPrefix(p, strings.TrimSuffix(src, "/")+"/"); ok {
			files[rest] = content
		}
	}
	if len(files) == 0 {
		return core.NotFound("path", src).With("container", c.info.ID)
	}
	target := dst
	if fi, err := os.Stat(dst); err == nil && fi.IsDir() {
		target = filepath.Join(dst, path.Base(src))
	}
	for rel, content := range files {
		p := filepath.Join(target, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return core.Errorf(core.KindInvalidArgument, "copying to %s: %v", p, err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return core.Errorf(core.KindInvalidArgument, "copying to %s: %v", p, err)
		}
	}
	return nil
}

// CopyTo copies a host file or directory into the container's files: into
// dst when it is a directory there (some file is under it), else as dst.
func (b *Backend) CopyTo(ctx context.Context, id, src, dst string, _ backend.CopyOptions) error {
	files := map[string]string{}
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if rel == "." {
			rel = ""
		}
		files[filepath.ToSlash(rel)] = string(data)
		return nil
	})
	if err != nil {
		return core.Errorf(core.KindInvalidArgument, "source %s: %v", src, err)
	}
	if err := b.enter(ctx, "CopyTo", id, src, dst); err != nil {
		return err
	}
	defer b.mu.Unlock()
	c, err := b.find(id)
	if err != nil {
		return err
	}
	dst = path.Clean("/" + dst)
	have := b.filesOf(c)
	target := dst
	for p := range have {
		if dst == "/" || strings.HasPrefix(path.Clean("/"+p), dst+"/") {
			target = path.Join(dst, filepath.Base(filepath.Clean(src)))
			break
		}
	}
	copied := map[string]string{}
	for rel, content := range files {
		copied[path.Join(target, rel)] = content
	}
	b.storeFiles(c, copied)
	return nil
}

// WriteFiles stores files among the container's own, their mode and owner
// for stat; the call records each as "PATH MODE UID:GID".
func (b *Backend) WriteFiles(ctx context.Context, id string, files []backend.File) error {
	if err := backend.CheckFiles(files); err != nil {
		return err
	}
	args := []string{id}
	for _, f := range files {
		args = append(args, fmt.Sprintf("%s %04o %d:%d", f.Path, f.Mode, f.UID, f.GID))
	}
	if err := b.enter(ctx, "WriteFiles", args...); err != nil {
		return err
	}
	defer b.mu.Unlock()
	c, err := b.find(id)
	if err != nil {
		return err
	}
	written := map[string]string{}
	if c.modes == nil {
		c.modes = map[string]fileMeta{}
	}
	for _, f := range files {
		written[f.Path] = string(f.Content)
		c.modes[f.Path] = fileMeta{mode: f.Mode, uid: f.UID, gid: f.GID}
	}
	b.storeFiles(c, written)
	return nil
}

var _ backend.FileWriter = (*Backend)(nil)
