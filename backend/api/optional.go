package api

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// The optional operations of backend/optional.go, over the Engine API.
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

// Commit is the engine's commit (POST /commit), which podman's
// Docker-compatible service answers too: podman 4.3 fails one without a
// body ("Decode(): EOF"), so it is sent an empty config, which changes
// nothing of the container's (measured: its command and environment are
// kept, the changes applied).
func (b *Backend) Commit(ctx context.Context, id string, opts backend.CommitOptions) (string, error) {
	if err := requireID("container", id); err != nil {
		return "", err
	}
	o := client.ContainerCommitOptions{Reference: opts.Reference, Author: opts.Author, Comment: opts.Message,
		Changes: opts.Changes, NoPause: opts.NoPause}
	if b.podman() {
		o.Config = &container.Config{}
	}
	res, err := b.cli.ContainerCommit(ctx, id, o)
	if err != nil {
		return "", b.engineError(err, "container", id)
	}
	return backend.ImageID(res.ID), nil
}

// Export streams the engine's export of the container's filesystem (GET
// /containers/{id}/export) to w.
func (b *Backend) Export(ctx context.Context, id string, w io.Writer) error {
	if err := requireID("container", id); err != nil {
		return err
	}
	res, err := b.cli.ContainerExport(ctx, id, client.ContainerExportOptions{})
	if err != nil {
		return b.engineError(err, "container", id)
	}
	defer res.Close()
	if _, err := io.Copy(w, res); err != nil {
		if ctx.Err() != nil {
			return core.AsError(ctx.Err())
		}
		return core.Errorf(core.KindBackendError, "export of container %s: %v", id, err).With("backend", b.name)
	}
	return nil
}

// PushImage pushes ref with the credentials `docker login` stored for its
// registry (none when there are none: a registry that needs none).
func (b *Backend) PushImage(ctx context.Context, ref string) error {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return core.InvalidArgument("reference", "%q: %v", ref, err)
	}
	res, err := b.cli.ImagePush(ctx, reference.FamiliarString(named), client.ImagePushOptions{RegistryAuth: registryAuth(named)})
	if err != nil {
		return b.engineError(err, "image", ref)
	}
	defer res.Close()
	return b.readStream(ctx, res, "push of "+ref)
}

func (b *Backend) Restart(ctx context.Context, id string, timeout *int) error {
	if err := requireID("container", id); err != nil {
		return err
	}
	_, err := b.cli.ContainerRestart(ctx, id, client.ContainerRestartOptions{Timeout: timeout})
	return b.engineError(err, "container", id)
}

func (b *Backend) Pause(ctx context.Context, id string) error {
	if err := requireID("container", id); err != nil {
		return err
	}
	_, err := b.cli.ContainerPause(ctx, id, client.ContainerPauseOptions{})
	return b.engineError(err, "container", id)
}

func (b *Backend) Unpause(ctx context.Context, id string) error {
	if err := requireID("container", id); err != nil {
		return err
	}
	_, err := b.cli.ContainerUnpause(ctx, id, client.ContainerUnpauseOptions{})
	return b.engineError(err, "container", id)
}

// Top is the engine's container top with its default ps arguments (-ef).
func (b *Backend) Top(ctx context.Context, id string) (backend.Processes, error) {
	if err := requireID("container", id); err != nil {
		return backend.Processes{}, err
	}
	res, err := b.cli.ContainerTop(ctx, id, client.ContainerTopOptions{})
	if err != nil {
		return backend.Processes{}, b.engineError(err, "container", id)
	}
	if len(res.Titles) == 1 && strings.ContainsAny(strings.TrimSpace(res.Titles[0]), " \t") {
		// podman's Docker-compatible API runs ps in the container when it
		// has one and answers its lines unsplit, one column.
		lines := res.Titles
		for _, p := range res.Processes {
			lines = append(lines, strings.Join(p, " "))
		}
		return backend.ParseTop(strings.Join(lines, "\n")), nil
	}
	return backend.Processes{Titles: res.Titles, Processes: res.Processes}, nil
}

// Events streams the engine's container events, filtered by label there;
// the podman service's stream is followed again if it ends early (see
// backend.FollowEvents).
func (b *Backend) Events(ctx context.Context, opts backend.EventsOptions, sink func(backend.ContainerEvent)) error {
	f := client.Filters{}.Add("type", "container")
	for k, v := range opts.Labels {
		if v == "" {
			f = f.Add("label", k)
		} else {
			f = f.Add("label", k+"="+v)
		}
	}
	return backend.FollowEvents(ctx, opts, b.name == "podman", func(ctx context.Context, since string, sink func(backend.ContainerEvent)) error {
		return b.followEvents(ctx, opts, f, since, sink)
	}, sink)
}

// followEvents is one stream of the engine's events from since.
func (b *Backend) followEvents(ctx context.Context, opts backend.EventsOptions, f client.Filters, since string, sink func(backend.ContainerEvent)) error {
	res := b.cli.Events(ctx, client.EventsListOptions{Filters: f, Since: since, Until: opts.Until})
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-res.Err:
			if ctx.Err() != nil || errors.Is(err, io.EOF) {
				return nil
			}
			return b.engineError(err, "", "")
		case m := <-res.Messages:
			if m.Type != "container" || !backend.MatchLabels(m.Actor.Attributes, opts.Labels) {
				continue
			}
			t := time.Unix(m.Time, 0)
			if m.TimeNano != 0 {
				t = time.Unix(0, m.TimeNano)
			}
			attrs := make(map[string]string, len(m.Actor.Attributes))
			for k, v := range m.Actor.Attributes {
				attrs[k] = v
			}
			sink(backend.ContainerEvent{Time: t, Action: backend.EventAction(string(m.Action)), ID: m.Actor.ID, Attributes: attrs})
		}
	}
}

// CopyFrom copies src out of the container (the engine sends a tar whose
// root entry is src's base name) to dst on the host: into dst when it is a
// directory, else as dst. With FollowLink a link is copied as what it
// points to, under its own name; with Archive the files keep their owners.
func (b *Backend) CopyFrom(ctx context.Context, id, src, dst string, opts backend.CopyOptions) error {
	if err := requireID("container", id); err != nil {
		return err
	}
	if src == "" || dst == "" {
		return core.InvalidArgument("path", "source and destination are required")
	}
	name := path.Base(path.Clean(src))
	if opts.FollowLink {
		st, err := b.cli.ContainerStatPath(ctx, id, client.ContainerStatPathOptions{Path: src})
		if err != nil {
			return b.pathError(ctx, err, id, src)
		}
		if st.Stat.Mode&fs.ModeSymlink != 0 && st.Stat.LinkTarget != "" {
			src = st.Stat.LinkTarget
		}
	}
	res, err := b.cli.CopyFromContainer(ctx, id, client.CopyFromContainerOptions{SourcePath: src})
	if err != nil {
		return b.pathError(ctx, err, id, src)
	}
	defer res.Content.Close()
	srcDir := res.Stat.Mode.IsDir()
	dir, rename := dst, ""
	if res.Stat.Name != name {
		rename = name // a followed link keeps the link's name
	}
	switch fi, err := os.Stat(dst); {
	case err == nil && fi.IsDir():
		// into it, under the source's name
	case err == nil && srcDir:
		return core.InvalidArgument("destination", "cannot copy a directory to the file %s", dst)
	case err == nil || errors.Is(err, fs.ErrNotExist):
		if strings.HasSuffix(dst, string(filepath.Separator)) && !srcDir {
			return core.InvalidArgument("destination", "directory %s does not exist", dst)
		}
		dir, rename = filepath.Dir(filepath.Clean(dst)), filepath.Base(filepath.Clean(dst))
	default:
		return core.Errorf(core.KindInvalidArgument, "destination %s: %v", dst, err)
	}
	return extractTar(res.Content, dir, res.Stat.Name, rename, opts.Archive)
}

// extractTar writes the archive into dir, its root entry (named root)
// renamed to rename when set, with the entries' owners when owners. Every
// path stays inside dir: an entry that would leave it (.., absolute,
// through a symlink) fails the copy.
func extractTar(r io.Reader, dir, root, rename string, owners bool) error {
	rt, err := os.OpenRoot(dir)
	if err != nil {
		return core.Errorf(core.KindInvalidArgument, "destination directory %s: %v", dir, err)
	}
	defer rt.Close()
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return core.Errorf(core.KindBackendError, "reading the copied archive: %v", err)
		}
		name := path.Clean(strings.TrimPrefix(h.Name, "./"))
		if rename != "" && root != "" {
			if name == root {
				name = rename
			} else if rest, ok := strings.CutPrefix(name, root+"/"); ok {
				name = rename + "/" + rest
			}
		}
		if !filepath.IsLocal(name) {
			return core.Errorf(core.KindBackendError, "copied archive: entry %q leaves the destination", h.Name)
		}
		mode := fs.FileMode(h.Mode).Perm()
		switch h.Typeflag {
		case tar.TypeDir:
			if err := rt.MkdirAll(name, 0o755); err != nil {
				return copyError(name, err)
			}
			_ = rt.Chmod(name, mode)
		case tar.TypeReg:
			if err := rt.MkdirAll(path.Dir(name), 0o755); err != nil {
				return copyError(name, err)
			}
			_ = rt.Remove(name) // a symlink there is replaced, not followed
			f, err := rt.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_TRUNC|os.O_EXCL, mode)
			if err != nil {
				return copyError(name, err)
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return copyError(name, err)
			}
		case tar.TypeSymlink:
			if err := rt.MkdirAll(path.Dir(name), 0o755); err != nil {
				return copyError(name, err)
			}
			_ = rt.Remove(name)
			if err := rt.Symlink(h.Linkname, name); err != nil {
				return copyError(name, err)
			}
		default:
			// Devices, fifos and hard links are not copied.
			continue
		}
		if owners {
			if err := rt.Lchown(name, h.Uid, h.Gid); err != nil {
				return copyError(name, err)
			}
		}
	}
}

// pathError is the error of a copy: a 404 is about the path when the
// container exists.
func (b *Backend) pathError(ctx context.Context, err error, id, p string) error {
	if cerrdefs.IsNotFound(err) {
		if _, ierr := b.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{}); ierr == nil {
			return core.NotFound("path", p).With("container", id).With("engineMessage", engineMessage(err))
		}
	}
	return b.engineError(err, "container", id)
}

func copyError(name string, err error) error {
	return core.Errorf(core.KindInvalidArgument, "copying %s: %v", name, err)
}

// CopyTo copies src on the host into the container: into dst when it is a
// directory there, else as dst (the tar's root entry is named after it).
// With FollowLink a link is copied as what it points to, under its own
// name; Archive is the engine's CopyUIDGID.
func (b *Backend) CopyTo(ctx context.Context, id, src, dst string, opts backend.CopyOptions) error {
	if err := requireID("container", id); err != nil {
		return err
	}
	if src == "" || dst == "" {
		return core.InvalidArgument("path", "source and destination are required")
	}
	target, name := dst, filepath.Base(filepath.Clean(src))
	if opts.FollowLink {
		resolved, err := filepath.EvalSymlinks(src)
		if err != nil {
			return core.Errorf(core.KindInvalidArgument, "source %s: %v", src, err)
		}
		src = resolved
	}
	fi, err := os.Lstat(src)
	if err != nil {
		return core.Errorf(core.KindInvalidArgument, "source %s: %v", src, err)
	}
	st, err := b.cli.ContainerStatPath(ctx, id, client.ContainerStatPathOptions{Path: dst})
	switch {
	case err == nil && st.Stat.Mode.IsDir():
	case err == nil && fi.IsDir():
		return core.InvalidArgument("destination", "cannot copy a directory to the file %s", dst)
	default:
		if err != nil && !cerrdefs.IsNotFound(err) {
			return b.engineError(err, "container", id)
		}
		if strings.HasSuffix(dst, "/") && !fi.IsDir() {
			return core.InvalidArgument("destination", "directory %s does not exist", dst)
		}
		target, name = path.Dir(path.Clean(dst)), path.Base(path.Clean(dst))
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writeTar(pw, src, name)) }()
	_, err = b.cli.CopyToContainer(ctx, id, client.CopyToContainerOptions{DestinationPath: target, Content: pr, CopyUIDGID: opts.Archive})
	pr.CloseWithError(err)
	return b.engineError(err, "container", id)
}

// WriteFiles uploads files as one archive extracted at the container's
// root, keeping the archive's owners: Docker with copyUIDGID (without,
// they are root's), podman without it (with, the container user's).
func (b *Backend) WriteFiles(ctx context.Context, id string, files []backend.File) error {
	if err := requireID("container", id); err != nil {
		return err
	}
	archive, err := backend.FilesArchive(files)
	if err != nil {
		return err
	}
	keep := backend.KeepsOwners(files) && !b.podman()
	_, err = b.cli.CopyToContainer(ctx, id, client.CopyToContainerOptions{DestinationPath: "/", Content: archive, CopyUIDGID: keep})
	return b.engineError(err, "container", id)
}

// writeTar archives src (a file, directory or symlink, not followed) with
// its root entry named name.
func writeTar(w io.Writer, src, name string) error {
	tw := tar.NewWriter(w)
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		return writeTarEntry(tw, p, d, path.Join(name, filepath.ToSlash(rel)), false)
	})
	if err != nil {
		return fmt.Errorf("archiving %s: %w", src, err)
	}
	return tw.Close()
}

var _ backend.FileWriter = (*Backend)(nil)
