package engine

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/fake"
	"github.com/perryts/perry-container/core"
)

const commitYAML = `
services:
  app:
    image: busybox
    command: [sleep, "1000"]
    deploy: {replicas: 2}
`

// upCommitStack is commitYAML's two replicas up on the fake.
func upCommitStack(t *testing.T) (*fake.Backend, *Engine, *eventLog) {
	t.Helper()
	b := newFake()
	e, log := newEngine(t, b, load(t, commitYAML))
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	return b, e, log
}

// Commit takes the service's first container that is up, or --index's,
// passes docker commit's options on and reports the image's id; a stopped
// container is not taken, as docker compose lists only those that are up.
func TestCommitPicksTheContainerUp(t *testing.T) {
	b, e, log := upCommitStack(t)
	ctx := ctxT(t)
	if err := b.WriteFile("demo-app-2", "/note", "two\n"); err != nil {
		t.Fatal(err)
	}
	opts := backend.CommitOptions{Reference: "snap:2", Author: "Ann", Message: "why", Changes: []string{"ENV A=1"}, NoPause: true}
	id, err := e.Commit(ctx, "app", CommitOptions{CommitOptions: opts, Index: 2})
	if err != nil {
		t.Fatal(err)
	}
	cm, ok := b.CommitOf("snap:2")
	if !ok || cm.Files["/note"] != "two\n" || cm.Author != "Ann" || cm.Message != "why" || !cm.NoPause || len(cm.Changes) != 1 {
		t.Fatalf("the commit of replica 2: %+v %v", cm, ok)
	}
	if evs := log.find(StatusCommitted, "demo-app-2"); len(evs) != 1 || evs[0].Text != id || len(log.find(StatusCommitting, "demo-app-2")) != 1 {
		t.Fatalf("events: %+v", log.evs)
	}
	if err := e.Stop(ctx, []string{"app"}, nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		index int
		want  string
	}{{0, `service "app" is not running`}, {2, `service "app" is not running container #2`}} {
		_, err := e.Commit(ctx, "app", CommitOptions{Index: tc.index})
		if core.KindOf(err) != core.KindNotFound || err.Error() != tc.want {
			t.Errorf("commit of a stopped service (--index %d): %v", tc.index, err)
		}
	}
	if _, err := e.Commit(ctx, "nope", CommitOptions{}); !errors.Is(err, core.ErrNotFound) || core.AsError(err).Details["service"] != "nope" {
		t.Errorf("commit of an unknown service: %v", err)
	}
}

// A dry run finds the container and reports the commit, and makes none; a
// bad image name is refused before the runtime is asked.
func TestCommitDryRunAndBadReference(t *testing.T) {
	b, e, log := upCommitStack(t)
	ctx := ctxT(t)
	b.ResetCalls()
	id, err := e.Commit(ctx, "app", CommitOptions{DryRun: true, CommitOptions: backend.CommitOptions{Reference: "snap"}})
	if err != nil || id != "" || len(callsOf(b, "Commit")) != 0 || len(log.find(StatusCommitted, "demo-app-1")) != 1 {
		t.Fatalf("dry run: %q %v, calls %v", id, err, b.Methods())
	}
	for _, ref := range []string{"Bad:Name", "snap@sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"} {
		if _, err := e.Commit(ctx, "app", CommitOptions{CommitOptions: backend.CommitOptions{Reference: ref}}); core.KindOf(err) != core.KindInvalidArgument || len(callsOf(b, "Commit")) != 0 {
			t.Errorf("commit to %q: %v", ref, err)
		}
	}
}

// Export writes the container's archive to the writer opened once the
// container is found; nothing is opened for a service that is not up, and
// a dry run opens (its checks) but writes nothing.
func TestExportOpensOnceTheContainerIsFound(t *testing.T) {
	b, e, log := upCommitStack(t)
	ctx := ctxT(t)
	if err := b.WriteFile("demo-app-1", "/etc/motd", "hi\n"); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	opened := 0
	open := func() (io.Writer, error) { opened++; return &out, nil }
	if err := e.Export(ctx, "app", ExportOptions{}, open); err != nil {
		t.Fatal(err)
	}
	h, err := tar.NewReader(&out).Next()
	if err != nil || h.Name != "etc/" || opened != 1 || len(log.find(StatusExported, "demo-app-1")) != 1 {
		t.Fatalf("export: %+v %v, opened %d, events %+v", h, err, opened, log.evs)
	}
	out.Reset()
	if err := e.Export(ctx, "app", ExportOptions{DryRun: true}, open); err != nil || out.Len() != 0 || opened != 2 {
		t.Fatalf("dry run: %v, %d bytes, opened %d", err, out.Len(), opened)
	}
	if err := e.Export(ctx, "app", ExportOptions{Index: 3}, open); err == nil || err.Error() != `service "app" is not running container #3` || opened != 2 {
		t.Fatalf("--index 3: %v, opened %d", err, opened)
	}
	refused := errors.New("refused")
	if err := e.Export(ctx, "app", ExportOptions{}, func() (io.Writer, error) { return nil, refused }); !errors.Is(err, refused) {
		t.Fatalf("open's error: %v", err)
	}
}

// A runtime that refuses (nerdctl 2.0 has no export) is reported as it
// says, still Unsupported.
func TestExportRefusedByTheRuntime(t *testing.T) {
	b, e, _ := upCommitStack(t)
	ctx := ctxT(t)
	b.Inject(fake.Fault{Method: "Export", Err: backend.Unsupported(b, "export")})
	err := e.Export(ctx, "app", ExportOptions{}, func() (io.Writer, error) { return io.Discard, nil })
	if !isUnsupported(err) || err.Error() != "fake cannot export" || core.AsError(err).Details["service"] != "app" {
		t.Fatalf("export refused by the runtime: %#v", err)
	}
}

// A backend without the interfaces is Unsupported, before anything else.
func TestCommitExportUnsupported(t *testing.T) {
	type plain struct{ backend.Backend } // the fake without Commit and Export
	e, _ := newEngine(t, plain{newFake()}, load(t, commitYAML))
	ctx := ctxT(t)
	if _, err := e.Commit(ctx, "app", CommitOptions{}); core.AsError(err).Details["unsupported"] != true || err.Error() != "fake cannot commit" {
		t.Errorf("commit: %v", err)
	}
	if err := e.Export(ctx, "app", ExportOptions{}, nil); core.AsError(err).Details["unsupported"] != true || err.Error() != "fake cannot export" {
		t.Errorf("export: %v", err)
	}
}
