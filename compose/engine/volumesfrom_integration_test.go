package engine

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/perryts/perry-container/backend"
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
// one) and reader taking them read-only; dataMode and appMode change the
// two services' configuration.
func volumesFromRealYAML(dataMode, appMode string) string {
	return `
services:
  data:
    image: ` + testImage + `
    pull_policy: never
    command: ` + sleeper + `
    environment: {MODE: ` + dataMode + `}
    volumes: ["store:/store", "/scratch"]
  app:
    image: ` + testImage + `
    pull_policy: never
    command: ` + sleeper + `
    environment: {MODE: ` + appMode + `}
    volumes_from: [data]
  reader:
    image: ` + testImage + `
    pull_policy: never
    command: ` + sleeper + `
    volumes_from: ["data:ro"]
volumes:
  store: {}
`
}

// volumesFrom: a file the source service writes into its named and its
// anonymous volume is there in the dependent; a read-only dependent reads
// it and cannot write; replacing the dependent alone leaves the source's
// anonymous volume in place (nerdctl's --volumes-from would have made it
// the dependent's, removed with it); a changed source replaces the
// dependents, which then still see the named volume's data; down leaves
// nothing.
func (r *realEngine) volumesFrom() {
	t := r.t
	ctx := r.ctx()
	up := func(dataMode, appMode string) *Engine {
		t.Helper()
		e := r.engine(r.load(volumesFromRealYAML(dataMode, appMode)))
		if err := e.Up(ctx, UpOptions{Wait: true, WaitTimeout: time.Minute}); err != nil {
			t.Fatal(err)
		}
		return e
	}
	e := up("one", "one")
	exec := func(service, script string) string {
		t.Helper()
		out, err := e.Exec(ctx, service, ExecOptions{ExecOptions: backend.ExecOptions{Cmd: []string{"sh", "-c", script}}})
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
	got := exec("reader", "cat /store/f; touch /store/y 2>/dev/null && echo writable || echo read-only")
	if got != "shared\nread-only\n" {
		t.Fatalf("reader (data:ro) reads %q, want the file and a refused write", got)
	}

	before := r.ids(ctx, e)
	e = up("one", "two")
	after := r.ids(ctx, e)
	app, data := r.project+"-app-1", r.project+"-data-1"
	if after[app] == before[app] || after[data] != before[data] {
		t.Fatalf("changing app alone: app %s -> %s, data %s -> %s; want app alone replaced", before[app], after[app], before[data], after[data])
	}
	if got := exec("data", "cat /scratch/g"); got != "anon\n" {
		t.Fatalf("after app was replaced data reads %q from its anonymous volume, want \"anon\"", got)
	}
	if got := exec("app", "cat /scratch/g"); got != "anon\n" {
		t.Fatalf("the new app reads %q from data's anonymous volume", got)
	}

	before = r.ids(ctx, e)
	e = up("two", "two")
	after = r.ids(ctx, e)
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
