package engine

import (
	"slices"
	"strings"
	"testing"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/fake"
)

const copiedFilesYAML = `
services:
  web:
    image: busybox
    command: [sleep, "1000"]
    secrets:
      - source: token
        uid: "1000"
        mode: 0400
    configs: [greeting]
  ro:
    image: busybox
    command: [sleep, "1000"]
    read_only: true
    configs: [greeting]
secrets:
  token: {environment: TOKEN}
configs:
  greeting: {content: hello}
`

// Secrets and configs with inline or environment content are written into
// the container between its create and its start, as docker compose
// does: nothing bound, nothing on the host, the mode and owner asked for.
// A read-only service and a one-off container bind them.
func TestInlineFilesAreCopiedAtStart(t *testing.T) {
	root := t.TempDir()
	b := newFake()
	e, _ := newEngine(t, b, loadEnv(t, copiedFilesYAML, map[string]string{"TOKEN": "s3cret"}), WithStateDir(root))
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	spec, _ := b.ContainerSpec("demo-web-1")
	if len(spec.Volumes) != 0 || spec.Labels[LabelStateDir] != "" || spec.Labels[LabelCopiedFiles] == "" {
		t.Fatalf("web binds %v (labels %v), want its files copied", spec.Volumes, spec.Labels)
	}
	want := []string{"demo-web-1", "/run/secrets/token 0400 1000:0", "/greeting 0444 0:0"}
	if got := writes(b); len(got) != 1 || !slices.Equal(got[0], want) {
		t.Fatalf("WriteFiles calls %v, want one %v", got, want)
	}
	if i, s := callIndex(b.Calls(), "WriteFiles", "demo-web-1"), callIndex(b.Calls(), "Start", "demo-web-1"); i < 0 || s < i {
		t.Fatalf("files written at call %d, container started at %d: want written first", i, s)
	}
	for path, content := range map[string]string{"/run/secrets/token": "s3cret", "/greeting": "hello"} {
		if got := catFake(t, b, "demo-web-1", path); got != content {
			t.Errorf("%s in web: %q, want %q", path, got, content)
		}
	}
	ro, _ := b.ContainerSpec("demo-ro-1")
	if len(ro.Volumes) != 1 || !strings.HasSuffix(ro.Volumes[0], ":/greeting:ro") || ro.Labels[LabelCopiedFiles] != "" {
		t.Fatalf("read-only service: volumes %v, want its config bound", ro.Volumes)
	}

	// A stopped container gets them again at its start (an environment
	// value may have changed since, as docker compose's start rewrites
	// them too).
	b.ResetCalls()
	if err := e.Stop(ctxT(t), []string{"web"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := e.Start(ctxT(t), []string{"web"}, nil); err != nil {
		t.Fatal(err)
	}
	if got := writes(b); len(got) != 1 || !slices.Equal(got[0][1:], want[1:]) {
		t.Fatalf("start: WriteFiles calls %v, want one %v", got, want[1:])
	}

	// A one-off binds: it may be created and started in one step.
	one, release, err := e.OneOffSpec(ctxT(t), "web", OneOffOptions{Slug: "0123456789ab"})
	defer release()
	if err != nil {
		t.Fatal(err)
	}
	if len(one.Volumes) != 2 || one.Labels[LabelStateDir] == "" || one.Labels[LabelCopiedFiles] != "" {
		t.Fatalf("one-off: volumes %v labels %v, want both files bound", one.Volumes, one.Labels)
	}
	if err := e.Down(ctxT(t), DownOptions{}); err != nil {
		t.Fatal(err)
	}
}

// A container made to bind its files (by an earlier version, or on a
// runtime that could not write them) is given none at its start: its
// binds would shadow, or refuse, the copy.
func TestBoundFilesAreNotCopiedAtStart(t *testing.T) {
	b := &featureBackend{Backend: newFake(), name: "x", noWriteFiles: true}
	p := loadEnv(t, copiedFilesYAML, map[string]string{"TOKEN": "s3cret"})
	old, _ := newEngine(t, b, p)
	if err := old.Up(ctxT(t), UpOptions{Services: []string{"web"}}); err != nil {
		t.Fatal(err)
	}
	if err := old.Stop(ctxT(t), nil, nil); err != nil {
		t.Fatal(err)
	}
	b.noWriteFiles = false
	e, _ := newEngine(t, b, p)
	if err := e.Up(ctxT(t), UpOptions{Services: []string{"web"}}); err != nil {
		t.Fatal(err)
	}
	if got := writes(b.Backend); len(got) != 0 {
		t.Fatalf("files written into a container that binds them: %v", got)
	}
	if info, err := b.Inspect(ctxT(t), "demo-web-1"); err != nil || info.State != "running" {
		t.Fatalf("web: %+v %v", info, err)
	}
}

// A uid that is no number is the service's configuration error, found
// before anything is created.
func TestCopiedFileOwnerMustBeANumber(t *testing.T) {
	b := newFake()
	e, _ := newEngine(t, b, loadEnv(t, strings.Replace(copiedFilesYAML, `uid: "1000"`, `uid: "www"`, 1), map[string]string{"TOKEN": "s3cret"}))
	err := e.Up(ctxT(t), UpOptions{Services: []string{"web"}})
	if err == nil || !strings.Contains(err.Error(), `uid "www" is not a number`) {
		t.Fatalf("up: %v", err)
	}
	if n := len(callsOf(b, "Create")); n != 0 {
		t.Fatalf("%d containers created", n)
	}
}

// writes are the arguments of the fake's WriteFiles calls.
func writes(b *fake.Backend) [][]string {
	var out [][]string
	for _, c := range b.Calls() {
		if c.Method == "WriteFiles" {
			out = append(out, c.Args)
		}
	}
	return out
}

// catFake reads a file of a fake container.
func catFake(t *testing.T, b *fake.Backend, id, path string) string {
	t.Helper()
	out, err := b.Exec(ctxT(t), id, backend.ExecOptions{Cmd: []string{"cat", path}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Stdout
}
