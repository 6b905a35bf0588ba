package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/cli"
	"github.com/perryts/perry-container/core"
	"github.com/perryts/perry-container/internal/testenv"
)

// Integration tests on the real Docker engine through the Engine API
// backend. They use the local image perry-test/busybox:latest only (never a
// pull; docs/design.md, Tests never need the internet), name every project perrytest<random>, label everything
// perry.test=1, and clean up with Down and a label sweep.
// PERRY_SKIP_ENGINE_TESTS=1 skips them; an engine that does not answer
// fails them.

const testImage = testenv.Image

// A service that exits at once on SIGTERM (sleep as PID 1 would ignore it
// and make every stop wait for the grace period).
const sleeper = `["sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"]`

// realEngine is one test's project on a live runtime: the Docker engine
// (newRealEngine), or podman and nerdctl (runtimes_test.go).
type realEngine struct {
	t       *testing.T
	b       backend.Backend
	project string
	dir     string
}

func newRealEngine(t *testing.T) *realEngine {
	t.Helper()
	return newProject(t, testenv.RequireEngine(t))
}

// newProject is a fresh project on b, taken down when t ends.
func newProject(t *testing.T, b backend.Backend) *realEngine {
	var suffix [4]byte
	_, _ = rand.Read(suffix[:])
	r := &realEngine{t: t, b: b, project: "perrytest" + hex.EncodeToString(suffix[:]), dir: t.TempDir()}
	t.Cleanup(r.cleanup)
	return r
}

// load loads YAML as this test's project; the file is kept on disk for
// docker-compose.
func (r *realEngine) load(yaml string) *types.Project {
	r.t.Helper()
	file := filepath.Join(r.dir, "compose.yaml")
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		r.t.Fatal(err)
	}
	p, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  r.dir,
		ConfigFiles: []types.ConfigFile{{Filename: file}},
		Environment: types.Mapping{},
	}, func(o *loader.Options) { o.SetProjectName(r.project, true) })
	if err != nil {
		r.t.Fatalf("loading: %v", err)
	}
	p.ComposeFiles = []string{file}
	return p
}

func (r *realEngine) engine(p *types.Project) *Engine {
	return New(r.b, p, WithLabels(map[string]string{"perry.test": "1"}), WithStateDir(filepath.Join(r.dir, "state")),
		WithEvents(func(ev Event) { r.t.Logf("event %s %s %s %s", ev.Resource, ev.ID, ev.Status, ev.Text) }))
}

func (r *realEngine) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	r.t.Cleanup(cancel)
	return ctx
}

// leftovers lists the project's resources by label.
func (r *realEngine) leftovers(ctx context.Context) (cs []core.ContainerInfo, ns []core.NetworkInfo, vs []core.VolumeInfo) {
	r.t.Helper()
	labels := map[string]string{LabelProject: r.project}
	var err error
	if cs, err = r.b.List(ctx, backend.ListOptions{All: true, Labels: labels}); err != nil {
		r.t.Fatal(err)
	}
	if ns, err = r.b.ListNetworks(ctx, labels); err != nil {
		r.t.Fatal(err)
	}
	if vs, err = r.b.ListVolumes(ctx, labels); err != nil {
		r.t.Fatal(err)
	}
	return cs, ns, vs
}

// cleanup runs Down, then removes whatever still carries the project label.
func (r *realEngine) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p := &types.Project{Name: r.project, Services: types.Services{}}
	zero := 0
	if err := New(r.b, p).Down(ctx, DownOptions{Volumes: true, RemoveOrphans: true, Timeout: &zero}); err != nil {
		r.t.Logf("cleanup down: %v", err)
	}
	cs, ns, vs := r.leftovers(ctx)
	for _, c := range cs {
		_ = r.b.Remove(ctx, c.ID, true)
	}
	for _, n := range ns {
		_ = r.b.RemoveNetwork(ctx, n.Name)
	}
	for _, v := range vs {
		_ = r.b.RemoveVolume(ctx, v.Name, true)
	}
}

func (r *realEngine) ids(ctx context.Context, e *Engine) map[string]string {
	r.t.Helper()
	ps, err := e.Ps(ctx, PsOptions{All: true})
	if err != nil {
		r.t.Fatal(err)
	}
	out := map[string]string{}
	for _, c := range ps {
		out[c.Name] = c.ID
	}
	return out
}

const chainRealYAML = `
services:
  db:
    image: ` + testImage + `
    pull_policy: never
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 1; touch /tmp/ready; sleep 1000 & wait"]
    healthcheck: {test: ["CMD", "test", "-f", "/tmp/ready"], interval: 300ms, retries: 20}
    volumes: ["data:/data"]
  api:
    image: ` + testImage + `
    pull_policy: never
    command: ` + sleeper + `
    environment: {MODE: one}
    healthcheck: {test: ["CMD", "true"], interval: 300ms}
    depends_on: {db: {condition: service_healthy}}
  web:
    image: ` + testImage + `
    pull_policy: never
    command: ` + sleeper + `
    depends_on: {api: {condition: service_healthy}}
volumes:
  data: {}
`

func TestIntegrationHealthGatedChain(t *testing.T) {
	r := newRealEngine(t)
	ctx := r.ctx()
	e := r.engine(r.load(chainRealYAML))
	if err := e.Up(ctx, UpOptions{Wait: true, WaitTimeout: time.Minute}); err != nil {
		t.Fatal(err)
	}
	ps, err := e.Ps(ctx, PsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 3 {
		t.Fatalf("ps: %+v", ps)
	}
	for _, c := range ps {
		if c.Labels["perry.test"] != "1" || c.Labels[LabelProject] != r.project || c.Name != r.project+"-"+c.Service+"-1" {
			t.Fatalf("container %+v", c)
		}
	}
	// Start order follows the health gates: web started after api was healthy, api after db.
	infos := map[string]string{}
	for _, c := range ps {
		info, err := r.b.Inspect(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		infos[c.Service] = info.Health
	}
	if infos["db"] != "healthy" || infos["api"] != "healthy" {
		t.Fatalf("health %v", infos)
	}
	st, err := e.Status(ctx)
	if err != nil || !st.Healthy {
		t.Fatalf("status %+v %v", st, err)
	}

	r.secondUpRecreateDown(ctx, e)
}

// secondUpRecreateDown takes the chain brought up by e through a second up
// that changes nothing, an edit that recreates one service (health-gated
// again), and a down that leaves nothing.
func (r *realEngine) secondUpRecreateDown(ctx context.Context, e *Engine) {
	t := r.t
	// Idempotent: a second up changes no container id.
	before := r.ids(ctx, e)
	if err := r.engine(r.load(chainRealYAML)).Up(ctx, UpOptions{}); err != nil {
		t.Fatal(err)
	}
	if after := r.ids(ctx, e); !mapsEqual(before, after) {
		t.Fatalf("second up changed ids: %v -> %v", before, after)
	}

	// Editing one service's environment recreates only that service.
	e2 := r.engine(r.load(strings.Replace(chainRealYAML, "MODE: one", "MODE: two", 1)))
	if err := e2.Up(ctx, UpOptions{Wait: true, WaitTimeout: time.Minute}); err != nil {
		t.Fatal(err)
	}
	after := r.ids(ctx, e2)
	for name, id := range before {
		changed := after[name] != id
		if changed != strings.HasSuffix(name, "-api-1") {
			t.Fatalf("%s changed=%v: %v -> %v", name, changed, before, after)
		}
	}
	out, err := e2.Exec(ctx, "api", ExecOptions{ExecOptions: backend.ExecOptions{Cmd: []string{"sh", "-c", "echo $MODE"}}})
	if err != nil || strings.TrimSpace(out.Stdout) != "two" {
		t.Fatalf("exec %+v %v", out, err)
	}

	if err := e2.Down(ctx, DownOptions{Volumes: true}); err != nil {
		t.Fatal(err)
	}
	r.noneLeft(ctx, "down")
}

func TestIntegrationInitJob(t *testing.T) { newRealEngine(t).initJob() }

// initJob: a service gated on a one-shot's success starts after it, and the
// one-shot's output is in its logs.
func (r *realEngine) initJob() {
	t := r.t
	ctx := r.ctx()
	e := r.engine(r.load(initJobYAML))
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
}

func TestIntegrationUnhealthyDependencyRollsBack(t *testing.T) {
	newRealEngine(t).unhealthyDependencyRollsBack()
}

// unhealthyDependencyRollsBack: up fails fast naming the unhealthy
// dependency, and the rollback leaves nothing behind.
func (r *realEngine) unhealthyDependencyRollsBack() {
	t := r.t
	ctx := r.ctx()
	e := r.engine(r.load(unhealthyDBYAML))
	err := e.Up(ctx, UpOptions{})
	wantService(t, err, "db")
	// Fail-fast: the unhealthy state ended the wait, not the deadline (no
	// timing: this machine's load varies too much for one).
	if !strings.Contains(err.Error(), "unhealthy") || ctx.Err() != nil {
		t.Fatalf("error %v (context: %v)", err, ctx.Err())
	}
	r.noneLeft(ctx, "rollback")
}

func TestIntegrationDockerComposeSeesTheProject(t *testing.T) {
	r := newRealEngine(t)
	ctx := r.ctx()
	yaml := `
services:
  web:
    image: ` + testImage + `
    command: ` + sleeper + `
`
	e := r.engine(r.load(yaml))
	if err := e.Up(ctx, UpOptions{}); err != nil {
		t.Fatal(err)
	}
	bin, err := exec.LookPath("docker-compose")
	if err != nil {
		t.Fatalf("docker-compose (v1) is not installed: %v", err)
	}
	cmd := exec.CommandContext(ctx, bin, "-p", r.project, "-f", filepath.Join(r.dir, "compose.yaml"), "ps")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("docker-compose ps: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), r.project+"-web-1") || !strings.Contains(string(out), "Up") {
		t.Fatalf("docker-compose ps does not list our container:\n%s", out)
	}
}

// TestIntegrationStartIntervalThroughTheCLI: a health-gated chain with
// start_interval comes up through the docker CLI on an engine older than
// API 1.44 (which makes the CLI refuse --health-start-interval): the CLI
// backend says the feature is missing and the engine emulates it.
func TestIntegrationStartIntervalThroughTheCLI(t *testing.T) {
	r := newRealEngine(t)
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("the docker CLI is not in PATH: this test drives the CLI strategy")
	}
	ctx := r.ctx()
	p := r.load(`
services:
  db:
    image: ` + testImage + `
    pull_policy: never
    command: ` + sleeper + `
    healthcheck: {test: ["CMD", "true"], interval: 1h, start_period: 5m, start_interval: 200ms}
  web:
    image: ` + testImage + `
    pull_policy: never
    command: ` + sleeper + `
    depends_on: {db: {condition: service_healthy}}
`)
	e := New(cli.Docker("docker", "docker"), p, WithLabels(map[string]string{"perry.test": "1"}), WithStateDir(filepath.Join(r.dir, "state")))
	// Without start_interval the first probe would come after interval
	// (1 h): healthy within --wait's minute means it was honoured.
	if err := e.Up(ctx, UpOptions{Wait: true, WaitTimeout: time.Minute}); err != nil {
		t.Fatal(err)
	}
	st, err := e.Status(ctx)
	if err != nil || !st.Healthy || len(st.Services) != 2 {
		t.Fatalf("status %+v %v", st, err)
	}
	if err := e.Down(ctx, DownOptions{}); err != nil {
		t.Fatal(err)
	}
}
