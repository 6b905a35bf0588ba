package engine

import (
	"context"
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

// onDocker runs test on the Docker engine through its API (i = 0), then
// through its CLI (i = 1), each with a fresh project; i lets a test use
// other addresses on each.
func onDocker(t *testing.T, test func(r *realEngine, i int)) {
	t.Run("docker-api", func(t *testing.T) { test(newRealEngine(t), 0) })
	t.Run("docker-cli", func(t *testing.T) {
		testenv.RequireEngine(t)
		test(newProject(t, checkRuntime(t, cli.Docker("docker", testenv.RequireCLI(t, "docker")))), 1)
	})
}

// onRuntimes runs test once per runtime, one runtime after another, with a
// fresh project: podman's CLI and its API service share one network
// configuration, and creating networks through both at once failed now and
// then ("route ip+net: no such network interface").
func onRuntimes(t *testing.T, test func(t *testing.T, r *realEngine)) {
	for _, rt := range liveRuntimes {
		t.Run(rt.name, func(t *testing.T) {
			test(t, newProject(t, rt.open(t)))
		})
	}
}

// noneLeft fails t when anything still carries the project's label.
func (r *realEngine) noneLeft(ctx context.Context, after string) {
	r.t.Helper()
	if cs, ns, vs := r.leftovers(ctx); len(cs)+len(ns)+len(vs) != 0 {
		r.t.Fatalf("%s left %d containers, %d networks, %d volumes", after, len(cs), len(ns), len(vs))
	}
}

// TestRuntimesHealthGatedChain: db → api → web gated on health comes up on
// runtimes that do not run healthchecks (the engine probes), a second up
// changes nothing, an edited service alone is recreated, down leaves
// nothing.
func TestRuntimesHealthGatedChain(t *testing.T) {
	onRuntimes(t, func(t *testing.T, r *realEngine) {
		ctx := r.ctx()
		e := r.engine(r.load(chainRealYAML))
		if err := e.Up(ctx, UpOptions{Wait: true, WaitTimeout: time.Minute}); err != nil {
			t.Fatal(err)
		}
		st, err := e.Status(ctx)
		if err != nil || !st.Healthy || len(st.Services) != 3 {
			t.Fatalf("status %+v %v", st, err)
		}

		before := r.ids(ctx, e)
		if len(before) != 3 {
			t.Fatalf("containers %v", before)
		}
		// Services find each other by name (podman: aardvark-dns; nerdctl:
		// its hosts files, the alias given as the hostname). ping says the
		// address it resolved even where ICMP is not allowed (podman drops
		// NET_RAW), and "bad address" where it resolved none.
		out, err := e.Exec(ctx, "web", ExecOptions{ExecOptions: backend.ExecOptions{Cmd: []string{"ping", "-c", "1", "-W", "1", "db"}}})
		if err != nil || !strings.Contains(out.Stdout, "PING db (") {
			t.Fatalf("web cannot resolve db: %+v %v", out, err)
		}
		r.secondUpRecreateDown(ctx, e)
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
	onRuntimes(t, func(t *testing.T, r *realEngine) { r.initJob() })
}

// TestRuntimesUnhealthyDependencyRollsBack: the engine's probes find the
// dependency unhealthy, up fails fast naming it, and the rollback leaves
// nothing behind.
func TestRuntimesUnhealthyDependencyRollsBack(t *testing.T) {
	onRuntimes(t, func(t *testing.T, r *realEngine) { r.unhealthyDependencyRollsBack() })
}

// TestHealthEmulationOnPodmanFollowsSystemd: podman runs healthchecks only
// through systemd timers, so the engine probes exactly where systemd is
// absent.
func TestHealthEmulationOnPodmanFollowsSystemd(t *testing.T) {
	e := New(&featureBackend{Backend: newFake(), name: "podman"}, load(t, "services: {a: {image: busybox}}"))
	_, err := os.Stat("/run/systemd/system")
	if got, want := e.emulateHealth(context.Background()), runtime.GOOS == "linux" && err != nil; got != want {
		t.Errorf("podman with systemd=%v: emulate %v, want %v", err == nil, got, want)
	}
}

// failingJobYAML: app waits for a one-shot that exits 1.
const failingJobYAML = `
services:
  job:
    image: ` + testImage + `
    pull_policy: never
    command: ["sh", "-c", "echo job failing; exit 1"]
    volumes: ["data:/data"]
  app:
    image: ` + testImage + `
    pull_policy: never
    command: ` + sleeper + `
    depends_on: {job: {condition: service_completed_successfully}}
volumes:
  data: {}
`

// TestRuntimesFailingServiceRollsBack: a service that exits 1 fails the up
// naming it (its dependent waited on it), and the rollback leaves no
// container, network or volume.
func TestRuntimesFailingServiceRollsBack(t *testing.T) {
	onRuntimes(t, func(t *testing.T, r *realEngine) {
		ctx := r.ctx()
		err := r.engine(r.load(failingJobYAML)).Up(ctx, UpOptions{})
		wantService(t, err, "job")
		if ctx.Err() != nil {
			t.Fatalf("the up ran into its deadline instead of failing fast: %v", err)
		}
		r.noneLeft(ctx, "rollback")
	})
}

// TestRuntimesPsShowsProbedHealth: on runtimes that run no healthchecks
// here, ps shows the health the engine probes — also from a new engine, as
// a `perry-compose ps` in another process is — not the runtime's ""
// (nerdctl, podman's API) or "starting" forever (podman's CLI).
func TestRuntimesPsShowsProbedHealth(t *testing.T) {
	onRuntimes(t, func(t *testing.T, r *realEngine) {
		ctx := r.ctx()
		yaml := `
services:
  db:
    image: ` + testImage + `
    pull_policy: never
    command: ` + sleeper + `
    healthcheck: {test: ["CMD", "true"], interval: 1h}
`
		if err := r.engine(r.load(yaml)).Up(ctx, UpOptions{}); err != nil {
			t.Fatal(err)
		}
		rows, err := r.engine(r.load(yaml)).Ps(ctx, PsOptions{})
		if err != nil || len(rows) != 1 {
			t.Fatalf("ps: %+v %v", rows, err)
		}
		if rows[0].Health != "healthy" || !strings.HasSuffix(rows[0].Status, "(healthy)") {
			t.Errorf("ps shows health %q, status %q; want healthy", rows[0].Health, rows[0].Status)
		}
	})
}
