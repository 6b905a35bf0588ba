package engine

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/contracttest"
	"github.com/perryts/perry-container/core"
)

// commit and export on live runtimes: the Docker engine through its API
// and its CLI, then podman and nerdctl (runtimes_test.go).

func TestIntegrationCommitExport(t *testing.T) {
	onDocker(t, func(r *realEngine, _ int) { r.commitExport() })
}

func TestRuntimesCommitExport(t *testing.T) {
	onRuntimes(t, func(t *testing.T, r *realEngine) { r.commitExport() })
}

// commitExport: a file written in the service's container is in the image
// its commit makes, whose container runs the command a --change gave it;
// it is in the container's export too. A runtime without an operation must
// say so (Unsupported).
func (r *realEngine) commitExport() {
	t := r.t
	ctx := r.ctx()
	e := r.engine(r.load(optionalOpsYAML))
	if err := e.Up(ctx, UpOptions{}); err != nil {
		t.Fatal(err)
	}
	write := ExecOptions{ExecOptions: backend.ExecOptions{Cmd: []string{"sh", "-c", "mkdir -p /perry && echo committed > /perry/note"}}}
	if out, err := e.Exec(ctx, "app", write); err != nil || out.ExitCode == nil || *out.ExitCode != 0 {
		t.Fatalf("writing the file: %+v %v", out, err)
	}
	unsupported := func(err error) bool { return err != nil && core.AsError(err).Details["unsupported"] == true }

	ref := r.project + "-snap:v1"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = r.b.RemoveImage(ctx, ref, true)
	})
	id, err := e.Commit(ctx, "app", CommitOptions{Index: 1, CommitOptions: backend.CommitOptions{Reference: ref, Author: "perry test",
		Message: "commitExport", Changes: []string{`CMD ["cat", "/perry/note"]`}}})
	switch {
	case unsupported(err):
		t.Logf("%s: %v", r.b.Name(), err)
	case err != nil:
		t.Fatalf("commit: %v", err)
	default:
		if !strings.HasPrefix(id, "sha256:") {
			t.Errorf("image id %q", id)
		}
		spec := &core.ContainerSpec{Image: ref, Name: r.project + "-snap", Labels: map[string]string{LabelProject: r.project, "perry.test": "1"}}
		h, err := r.b.Run(ctx, spec)
		if err != nil {
			t.Fatalf("a container of the committed image: %v", err)
		}
		if code, err := r.b.Wait(ctx, h.ID); err != nil || code != 0 {
			t.Fatalf("its command (the --change): exit %d, %v", code, err)
		}
		if logs, err := r.b.Logs(ctx, h.ID, backend.LogsOptions{}); err != nil || logs.Stdout != "committed\n" {
			t.Fatalf("its output: %+v %v", logs, err)
		}
	}

	var archive bytes.Buffer
	err = e.Export(ctx, "app", ExportOptions{}, func() (io.Writer, error) { return &archive, nil })
	switch {
	case unsupported(err):
		t.Logf("%s: %v", r.b.Name(), err)
	case err != nil:
		t.Fatalf("export: %v", err)
	default:
		found, err := contracttest.TarFile(&archive, "perry/note")
		if err != nil {
			t.Fatalf("reading the export: %v", err)
		}
		if found != "committed\n" {
			t.Fatalf("perry/note in the export: %q", found)
		}
	}
	if _, err := e.Commit(ctx, "app", CommitOptions{Index: 2}); err == nil || err.Error() != `service "app" is not running container #2` {
		t.Errorf("commit --index 2 of one replica: %v", err)
	}
}
