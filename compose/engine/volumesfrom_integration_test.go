package engine

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/perryts/perry-container/backend/cli"
)

// volumes_from on live runtimes: the Docker engine (Engine API and the
// docker CLI), podman (CLI and API) and nerdctl. PERRY_SKIP_ENGINE_TESTS=1 skips them.

func TestIntegrationVolumesFrom(t *testing.T) { newRealEngine(t).volumesFrom() }

// The same through the docker CLI (--volumes-from).
func TestIntegrationVolumesFromThroughTheCLI(t *testing.T) {
	r := newRealEngine(t)
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("the docker CLI is not in PATH: this test drives the CLI strategy")
	}
	r.b = cli.Docker("docker", "docker")
	r.volumesFrom()
}

func TestRuntimesVolumesFrom(t *testing.T) {
	onRuntimes(t, func(t *testing.T, r *realEngine) { r.volumesFrom() })
}

// volumesFromRealYAML is app taking data's volumes (a named and an anonymous
// one); with readOnly, reader takes them read-only too (nerdctl's
// --volumes-from has no mode: it refuses ":ro").
func volumesFromRealYAML(readOnly bool, mode string) string {
	y := `
services:
  data:
    image: ` + testImage + `
    pull_policy: never
    command: ` + sleeper + `
    environment: {MODE: ` + mode + `}
    volumes: ["store:/store", "/scratch"]
  app:
    image: ` + testImage + `
    pull_policy: never
    command: ` + sleeper + `
    volumes_from: [data]
`
	if readOnly {
		y += `  reader:
    image: ` + testImage + `
    pull_policy: never
    command: ` + sleeper + `
    volumes_from: ["data:ro"]
`
	}
	return y + "volumes:\n  store: {}\n"
}

// volumesFrom: a file the source service writes into its named and its
// anonymous volume is there in the dependent; a read-only dependent reads
// it and cannot write; a changed source replaces the dependent, which then
// still sees the named volume's data; down leaves nothing.
func (r *realEngine) volumesFrom() {
	t := r.t
	ctx := r.ctx()
	readOnly := r.b.Name() != "nerdctl"
	e := r.engine(r.load(volumesFromRealYAML(readOnly, "one")))
	if err := e.Up(ctx, UpOptions{Wait: true, WaitTimeout: time.Minute}); err != nil {
		t.Fatal(err)
	}
	exec := func(service, script string) string {
		t.Helper()
		out, err := e.Exec(ctx, service, ExecOptions{Cmd: []string{"sh", "-c", script}})
		if err != nil {
			t.Fatalf("exec in %s: %v", service, err)
		}
		if out.ExitCode != nil && *out.ExitCode != 0 {
			t.Fatalf("exec in %s exited %d: %q %q", service, *out.ExitCode, out.Stdout, out.Stderr)
		}
		return out.Stdout
	}
	exec("data", "echo shared > /store/f; echo anon > /scratch/g")
	if got := exec("app", "cat /store/f /scratch/g"); got != "shared\nanon\n" {
		t.Fatalf("app reads %q, want data's files", got)
	}
	if readOnly {
		got := exec("reader", "cat /store/f; touch /store/y 2>/dev/null && echo writable || echo read-only")
		if got != "shared\nread-only\n" {
			t.Fatalf("reader (data:ro) reads %q, want the file and a refused write", got)
		}
	}

	before := r.ids(ctx, e)
	e = r.engine(r.load(volumesFromRealYAML(readOnly, "two")))
	if err := e.Up(ctx, UpOptions{Wait: true, WaitTimeout: time.Minute}); err != nil {
		t.Fatal(err)
	}
	after := r.ids(ctx, e)
	for name, id := range before {
		if after[name] == "" || after[name] == id {
			t.Errorf("%s was not replaced with data: %s -> %s", name, id, after[name])
		}
	}
	if got := exec("app", "cat /store/f"); strings.TrimSpace(got) != "shared" {
		t.Fatalf("after the recreate app reads %q", got)
	}

	if err := e.Down(ctx, DownOptions{Volumes: true}); err != nil {
		t.Fatal(err)
	}
	r.noneLeft(ctx, "down -v")
}
