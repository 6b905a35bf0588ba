package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/cli"
	"github.com/perryts/perry-container/internal/testenv"
)

// The engine's integration scenarios on the other runtimes of a Linux
// machine: podman (its CLI and its Docker-compatible API socket) and nerdctl
// (tests/runtimes/install.sh installs both and loads the test image). Both
// leave healthchecks to the engine here: podman without systemd never runs
// them (a container stays "starting"), nerdctl 2.0 has none. A runtime that
// is not installed is skipped with the reason.

type liveRuntime struct {
	name string
	open func(t *testing.T) backend.Backend
}

var liveRuntimes = []liveRuntime{
	{"podman-cli", func(t *testing.T) backend.Backend {
		return checkRuntime(t, cli.Docker("podman", testenv.RequireCLI(t, "podman")))
	}},
	{"podman-api", func(t *testing.T) backend.Backend { return testenv.RequirePodmanAPI(t) }},
	{"nerdctl", func(t *testing.T) backend.Backend {
		return checkRuntime(t, cli.Docker("nerdctl", testenv.RequireCLI(t, "nerdctl")))
	}},
}

// checkRuntime fails when an installed runtime does not answer or lacks
// the test image.
func checkRuntime(t *testing.T, b backend.Backend) backend.Backend {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := b.Check(ctx); err != nil {
		t.Fatalf("%s is installed but does not answer: %v", b.Name(), err)
	}
	if _, err := b.InspectImage(ctx, testImage); err != nil {
		t.Fatalf("test image %s is missing on %s (bash tests/runtimes/install.sh loads it): %v", testImage, b.Name(), err)
	}
	return b
}

// onRuntimes runs test once per runtime, in parallel, with a fresh project.
func onRuntimes(t *testing.T, test func(t *testing.T, r *runtimeEngine)) {
	for _, rt := range liveRuntimes {
		t.Run(rt.name, func(t *testing.T) {
			t.Parallel()
			b := rt.open(t)
			var suffix [4]byte
			_, _ = rand.Read(suffix[:])
			r := &runtimeEngine{b: b, project: &realEngine{t: t, project: "perrytest" + hex.EncodeToString(suffix[:]), dir: t.TempDir()}}
			t.Cleanup(r.cleanup)
			test(t, r)
		})
	}
}

// runtimeEngine is a project on one runtime; project loads its YAML.
type runtimeEngine struct {
	b       backend.Backend
	project *realEngine
}

func (r *runtimeEngine) engine(yaml string) *Engine {
	p := r.project
	return New(r.b, p.load(yaml), WithLabels(map[string]string{"perry.test": "1"}), WithStateDir(p.dir+"/state"),
		WithEvents(func(ev Event) { p.t.Logf("event %s %s %s %s", ev.Resource, ev.ID, ev.Status, ev.Text) }))
}

// left counts what still carries the project's label.
func (r *runtimeEngine) left(ctx context.Context) (int, error) {
	labels := map[string]string{LabelProject: r.project.project}
	cs, err := r.b.List(ctx, backend.ListOptions{All: true, Labels: labels})
	if err != nil {
		return 0, err
	}
	ns, err := r.b.ListNetworks(ctx, labels)
	if err != nil {
		return 0, err
	}
	vs, err := r.b.ListVolumes(ctx, labels)
	return len(cs) + len(ns) + len(vs), err
}

// cleanup takes the project down whatever the test left.
func (r *runtimeEngine) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	zero := 0
	e := New(r.b, r.project.load("services: {}"))
	if err := e.Down(ctx, DownOptions{Volumes: true, RemoveOrphans: true, Timeout: &zero}); err != nil {
		r.project.t.Errorf("cleanup: down: %v", err)
	}
}

func (r *runtimeEngine) ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func (r *runtimeEngine) ids(t *testing.T, ctx context.Context, e *Engine) map[string]string {
	t.Helper()
	ps, err := e.Ps(ctx, PsOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, c := range ps {
		out[c.Name] = c.ID
	}
	return out
}

// TestRuntimesHealthGatedChain: db → api → web gated on health comes up on
// runtimes that do not run healthchecks (the engine probes), a second up
// changes nothing, an edited service alone is recreated, down leaves
// nothing.
func TestRuntimesHealthGatedChain(t *testing.T) {
	onRuntimes(t, func(t *testing.T, r *runtimeEngine) {
		ctx := r.ctx(t)
		e := r.engine(chainRealYAML)
		if err := e.Up(ctx, UpOptions{Wait: true, WaitTimeout: time.Minute}); err != nil {
			t.Fatal(err)
		}
		st, err := e.Status(ctx)
		if err != nil || !st.Healthy || len(st.Services) != 3 {
			t.Fatalf("status %+v %v", st, err)
		}

		before := r.ids(t, ctx, e)
		if len(before) != 3 {
			t.Fatalf("containers %v", before)
		}
		if err := r.engine(chainRealYAML).Up(ctx, UpOptions{}); err != nil {
			t.Fatal(err)
		}
		if after := r.ids(t, ctx, e); !mapsEqual(before, after) {
			t.Fatalf("second up changed ids: %v -> %v", before, after)
		}

		e2 := r.engine(strings.Replace(chainRealYAML, "MODE: one", "MODE: two", 1))
		if err := e2.Up(ctx, UpOptions{Wait: true, WaitTimeout: time.Minute}); err != nil {
			t.Fatal(err)
		}
		after := r.ids(t, ctx, e2)
		for name, id := range before {
			if changed := after[name] != id; changed != strings.HasSuffix(name, "-api-1") {
				t.Fatalf("%s changed=%v: %v -> %v", name, changed, before, after)
			}
		}
		out, err := e2.Exec(ctx, "api", ExecOptions{Cmd: []string{"sh", "-c", "echo $MODE"}})
		if err != nil || strings.TrimSpace(out.Stdout) != "two" {
			t.Fatalf("exec %+v %v", out, err)
		}

		if err := e2.Down(ctx, DownOptions{Volumes: true}); err != nil {
			t.Fatal(err)
		}
		if n, err := r.left(ctx); err != nil || n != 0 {
			t.Fatalf("down left %d resources (%v)", n, err)
		}
	})
}

// initJobYAML: app waits for a one-shot init to succeed.
const initJobYAML = `
services:
  init:
    image: ` + testImage + `
    pull_policy: never
    command: ["sh", "-c", "echo init done"]
  app:
    image: ` + testImage + `
    pull_policy: never
    command: ` + sleeper + `
    depends_on: {init: {condition: service_completed_successfully}}
`

// unhealthyDBYAML: web waits for a db whose healthcheck always fails.
const unhealthyDBYAML = `
services:
  db:
    image: ` + testImage + `
    pull_policy: never
    command: ` + sleeper + `
    healthcheck: {test: ["CMD", "false"], interval: 200ms, retries: 2}
    volumes: ["data:/data"]
  web:
    image: ` + testImage + `
    pull_policy: never
    command: ` + sleeper + `
    depends_on: {db: {condition: service_healthy}}
volumes:
  data: {}
`

// TestRuntimesInitJob: a service gated on a one-shot's success starts after
// it, and the one-shot's output is in its logs.
func TestRuntimesInitJob(t *testing.T) {
	onRuntimes(t, func(t *testing.T, r *runtimeEngine) {
		ctx := r.ctx(t)
		e := r.engine(initJobYAML)
		if err := e.Up(ctx, UpOptions{Wait: true, WaitTimeout: time.Minute}); err != nil {
			t.Fatal(err)
		}
		var lines []string
		if err := e.Logs(ctx, LogsOptions{Services: []string{"init"}}, func(service, container, stream, line string) {
			lines = append(lines, service+": "+line)
		}); err != nil {
			t.Fatal(err)
		}
		if len(lines) != 1 || lines[0] != "init: init done" {
			t.Fatalf("logs %q", lines)
		}
		st, err := e.Status(ctx)
		if err != nil || !st.Healthy {
			t.Fatalf("status %+v %v", st, err)
		}
	})
}

// TestRuntimesUnhealthyDependencyRollsBack: the engine's probes find the
// dependency unhealthy, up fails fast naming it, and the rollback leaves
// nothing behind.
func TestRuntimesUnhealthyDependencyRollsBack(t *testing.T) {
	onRuntimes(t, func(t *testing.T, r *runtimeEngine) {
		ctx := r.ctx(t)
		e := r.engine(unhealthyDBYAML)
		err := e.Up(ctx, UpOptions{})
		wantService(t, err, "db")
		if !strings.Contains(err.Error(), "unhealthy") || ctx.Err() != nil {
			t.Fatalf("error %v (context: %v)", err, ctx.Err())
		}
		if n, err := r.left(ctx); err != nil || n != 0 {
			t.Fatalf("rollback left %d resources (%v)", n, err)
		}
	})
}

// TestHealthEmulationOnPodmanFollowsSystemd: podman runs healthchecks only
// through systemd timers, so the engine probes exactly where systemd is
// absent.
func TestHealthEmulationOnPodmanFollowsSystemd(t *testing.T) {
	e := New(&namedBackend{Backend: newFake(), name: "podman"}, load(t, "services: {a: {image: busybox}}"))
	_, err := os.Stat("/run/systemd/system")
	if got, want := e.emulateHealth(context.Background()), runtime.GOOS == "linux" && err != nil; got != want {
		t.Errorf("podman with systemd=%v: emulate %v, want %v", err == nil, got, want)
	}
}
