package engine

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/fake"
	"github.com/perryts/perry-container/core"
	"github.com/perryts/perry-container/internal/testenv"
)

// Tests of what perry-compose needed from the engine: create without start
// (create, up --no-start), volume recreation (up -y), PullAndBuild (pull,
// build), one-off specs (run) and docker compose's handling of an
// optional service_healthy dependency without a healthcheck.

func TestUpNoStartCreatesWithoutStarting(t *testing.T) {
	b := newFake()
	e, _ := newEngine(t, b, load(t, `
services:
  db: {image: busybox, command: [sleep, "1000"], healthcheck: {test: [CMD, "true"]}}
  web:
    image: busybox
    command: [sleep, "1000"]
    depends_on: {db: {condition: service_healthy}}
  other: {image: busybox, command: [sleep, "1000"]}
`))
	if err := e.Up(ctxT(t), UpOptions{Services: []string{"web"}, NoStart: true, Wait: true}); err != nil {
		t.Fatal(err)
	}
	if n := len(callsOf(b, "Start")); n != 0 {
		t.Fatalf("NoStart started %d containers", n)
	}
	ids := containerIDs(t, b)
	if ids["demo-web-1"] == "" || ids["demo-db-1"] == "" || ids["demo-other-1"] != "" {
		t.Fatalf("containers %v: want web and its dependency db only", ids)
	}
	list, _ := b.List(ctxT(t), backend.ListOptions{All: true})
	for _, c := range list {
		if c.State != "created" {
			t.Fatalf("%s is %s, want created", c.Name, c.State)
		}
	}
	// A later start starts them, dependency first.
	if err := e.Start(ctxT(t), []string{"web"}, nil); err != nil {
		t.Fatal(err)
	}
	calls := b.Calls()
	if i, j := indexOf(calls, "Start", ids["demo-db-1"]), indexOf(calls, "Start", ids["demo-web-1"]); i < 0 || j < i {
		t.Fatalf("start order: %v", calls)
	}
}

func TestUpRecreatesChangedVolumeOnlyWhenAsked(t *testing.T) {
	b := newFake()
	y := `
services:
  app: {image: busybox, command: [sleep, "1000"], volumes: ["data:/data"]}
volumes:
  data: {labels: {foo: bar}}
`
	e, _ := newEngine(t, b, load(t, y))
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	app := containerIDs(t, b)["demo-app-1"]
	changed := load(t, strings.Replace(y, "foo: bar", "foo: zot", 1))

	// Without RecreateVolumes: kept, with a warning naming the volume.
	e2, log := newEngine(t, b, changed)
	if err := e2.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	if v, _ := b.InspectVolume(ctxT(t), "demo_data"); v.Labels["foo"] != "bar" {
		t.Fatalf("volume changed without RecreateVolumes: %v", v.Labels)
	}
	if w := log.find(StatusWarning, "demo"); len(w) == 0 || !strings.Contains(w[0].Text, "demo_data") {
		t.Fatalf("no warning about the volume: %v", w)
	}
	if containerIDs(t, b)["demo-app-1"] != app {
		t.Fatal("container recreated without RecreateVolumes")
	}

	// With it: the container is removed, the volume recreated, a new
	// container created on it.
	e3, _ := newEngine(t, b, changed)
	if err := e3.Up(ctxT(t), UpOptions{RecreateVolumes: true}); err != nil {
		t.Fatal(err)
	}
	if v, _ := b.InspectVolume(ctxT(t), "demo_data"); v.Labels["foo"] != "zot" {
		t.Fatalf("volume not recreated: %v", v.Labels)
	}
	now := containerIDs(t, b)["demo-app-1"]
	if now == "" || now == app {
		t.Fatalf("container not recreated on the new volume: %q", now)
	}
	calls := b.Calls()
	if i, j := indexOf(calls, "Remove", app), indexOf(calls, "RemoveVolume", "demo_data"); i < 0 || j < i {
		t.Fatalf("the volume was removed before its container: %v", calls)
	}
	// Converged: a further up changes nothing.
	b.ResetCalls()
	e4, _ := newEngine(t, b, changed)
	if err := e4.Up(ctxT(t), UpOptions{RecreateVolumes: true}); err != nil {
		t.Fatal(err)
	}
	if n := len(callsOf(b, "RemoveVolume")) + len(callsOf(b, "Create")); n != 0 {
		t.Fatalf("second up changed things: %v", b.Calls())
	}
}

// TestUpRecreatesWhenAVolumesNameChanges: the config hash covers a
// service's volume keys, not the names they resolve to; an external volume
// swapped for another (or a volume's name: changed) recreates the
// containers mounting it, as docker compose does, and nothing else.
func TestUpRecreatesWhenAVolumesNameChanges(t *testing.T) {
	b := newFake()
	for _, v := range []string{"store-a", "store-b"} {
		if err := b.CreateVolume(ctxT(t), v, core.VolumeConfig{}); err != nil {
			t.Fatal(err)
		}
	}
	y := `
services:
  app: {image: busybox, command: [sleep, "1000"], volumes: ["data:/data"]}
  other: {image: busybox, command: [sleep, "1000"]}
volumes:
  data: {external: true, name: store-a}
`
	e, _ := newEngine(t, b, load(t, y))
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	before := containerIDs(t, b)
	e2, _ := newEngine(t, b, load(t, y))
	if err := e2.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	if again := containerIDs(t, b); again["demo-app-1"] != before["demo-app-1"] {
		t.Fatal("an unchanged volume recreated the container")
	}
	e3, _ := newEngine(t, b, load(t, strings.Replace(y, "store-a", "store-b", 1)))
	if err := e3.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	after := containerIDs(t, b)
	if after["demo-app-1"] == "" || after["demo-app-1"] == before["demo-app-1"] {
		t.Fatal("the container was not recreated on the other volume")
	}
	if after["demo-other-1"] != before["demo-other-1"] {
		t.Fatal("a service without the volume was recreated")
	}
	info, err := b.Inspect(ctxT(t), after["demo-app-1"])
	if err != nil || info.Labels[LabelVolumes] != "store-b" {
		t.Fatalf("labels %v %v", info.Labels, err)
	}
}

func TestPullAndBuildOnlyObtainsImages(t *testing.T) {
	b := newFake()
	p := load(t, `
services:
  app: {build: {context: .}, command: [sleep, "1000"]}
  cache: {image: redis:7, command: [sleep, "1000"]}
`)
	e, _ := newEngine(t, b, p)
	if err := e.PullAndBuild(ctxT(t), UpOptions{Build: true, NoDeps: true, Services: []string{"app"}}); err != nil {
		t.Fatal(err)
	}
	if got := callsOf(b, "Build"); len(got) != 1 {
		t.Fatalf("builds %v", got)
	}
	if err := e.PullAndBuild(ctxT(t), UpOptions{Pull: "always", Services: []string{"cache"}}); err != nil {
		t.Fatal(err)
	}
	if got := callsOf(b, "PullImage"); len(got) != 1 || got[0] != "redis:7" {
		t.Fatalf("pulls %v", got)
	}
	if n := len(callsOf(b, "Create")) + len(callsOf(b, "CreateNetwork")); n != 0 {
		t.Fatalf("PullAndBuild created resources: %v", b.Calls())
	}
}

// TestOneOffStateDirIsReleased: a one-off with a secret on a project with
// no running container gets a new private directory; release removes it
// once the container is gone (a run --rm), keeps it while one mounts it
// (a run --detach), and never removes the directory the project's
// containers already use.
func TestOneOffStateDirIsReleased(t *testing.T) {
	const y = `
services:
  app:
    image: busybox
    command: [sleep, "1000"]
    secrets: [token]
secrets:
  token: {environment: TOKEN}
`
	tests := []struct {
		name     string
		upFirst  bool // the project's service is up, so its directory exists
		keep     bool // the one-off container is still there at release
		wantGone bool
	}{
		{"run --rm on a project that is down", false, false, true},
		{"run --detach keeps its container", false, true, false},
		{"the project's own directory stays", true, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			b := &featureBackend{Backend: newFake(), name: "x", noWriteFiles: true}
			e, _ := newEngine(t, b, loadEnv(t, y, map[string]string{"TOKEN": "s3cret"}), WithStateDir(root))
			if tt.upFirst {
				if err := e.Up(ctxT(t), UpOptions{}); err != nil {
					t.Fatal(err)
				}
			} else if err := e.EnsureResources(ctxT(t), []string{"app"}); err != nil {
				t.Fatal(err)
			}
			spec, release, err := e.OneOffSpec(ctxT(t), "app", OneOffOptions{Slug: "0123456789ab"})
			if err != nil {
				t.Fatal(err)
			}
			dir := spec.Labels[LabelStateDir]
			if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
				t.Fatalf("state directory %q: %v", dir, err)
			}
			h, err := b.Create(ctxT(t), spec)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.keep {
				if err := b.Remove(ctxT(t), h.ID, true); err != nil {
					t.Fatal(err)
				}
			}
			release()
			_, err = os.Stat(dir)
			if gone := os.IsNotExist(err); gone != tt.wantGone {
				t.Errorf("state directory removed: %v, want %v (%v)", gone, tt.wantGone, err)
			}
		})
	}
}

func TestOneOffSpec(t *testing.T) {
	b := newFake()
	e, _ := newEngine(t, b, load(t, `
services:
  app: {image: busybox, container_name: fixed, command: [echo, hi], environment: {A: "1"}}
`))
	spec, release, err := e.OneOffSpec(ctxT(t), "app", OneOffOptions{Slug: "0123456789ab"})
	defer release()
	if err != nil {
		t.Fatal(err)
	}
	if spec.Name != "demo-app-run-0123456789ab" {
		t.Fatalf("name %q", spec.Name)
	}
	if spec.Labels[LabelOneoff] != "True" || spec.Labels[LabelSlug] != "0123456789ab" || spec.Labels[LabelProject] != "demo" || spec.Labels[LabelService] != "app" {
		t.Fatalf("labels %v", spec.Labels)
	}
	// As docker compose's: the image's id, and no container number.
	img, err := b.InspectImage(ctxT(t), "busybox")
	if err != nil {
		t.Fatal(err)
	}
	if _, numbered := spec.Labels[LabelNumber]; numbered || spec.Labels[LabelImage] != img.ID || img.ID == "" {
		t.Fatalf("labels %v, want %s=%s and no %s", spec.Labels, LabelImage, img.ID, LabelNumber)
	}
	if spec.Env["A"] != "1" || strings.Join(spec.Cmd, " ") != "echo hi" {
		t.Fatalf("spec %+v", spec)
	}
	if _, _, err := e.OneOffSpec(ctxT(t), "nope", OneOffOptions{Slug: "x"}); err == nil {
		t.Fatal("unknown service accepted")
	}
	// One-off containers are not the project's services' containers.
	if err := b.CreateNetwork(context.Background(), "demo_default", core.NetworkConfig{}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Create(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	cs, err := e.Ps(ctxT(t), PsOptions{All: true})
	if err != nil || len(cs) != 0 {
		t.Fatalf("ps lists the one-off container: %v %v", cs, err)
	}
}

func TestOptionalHealthyDependencyWithoutHealthcheck(t *testing.T) {
	b := newFake()
	e, log := newEngine(t, b, load(t, `
services:
  foo:
    image: busybox
    command: [sleep, "1000"]
    depends_on: {bar: {condition: service_healthy, required: false}}
  bar: {image: busybox, command: [sleep, "1000"]}
`))
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatalf("an optional dependency blocked the up: %v", err)
	}
	w := log.find(StatusWarning, "bar")
	if len(w) == 0 || !strings.Contains(w[0].Text, `optional dependency "bar" failed to start`) ||
		!strings.Contains(w[0].Text, "has no healthcheck configured") {
		t.Fatalf("warning %v", w)
	}
	if len(log.find(StatusError, "")) != 0 {
		t.Fatalf("an optional dependency was reported as an error: %v", log.find(StatusError, ""))
	}
	if indexOf(b.Calls(), "Start", "demo-foo-1") < 0 {
		t.Fatal("foo not started")
	}
}

// A dependency without a healthcheck that crashes right after starting
// fails a service_healthy gate (degraded to started, Property 19) instead
// of letting its dependent start.
func TestDegradedHealthyGateFailsOnEarlyCrash(t *testing.T) {
	b := newFake()
	e, log := newEngine(t, b, load(t, `
services:
  db: {image: busybox, command: [sleep, "1000"]}
  web:
    image: busybox
    command: [sleep, "1000"]
    depends_on: {db: {condition: service_healthy}}
`))
	done := make(chan error, 1)
	go func() { done <- e.Up(ctxT(t), UpOptions{KeepOnFailure: true}) }()
	var db string
	testenv.Eventually(t, 5*time.Second, "db to run", func() bool {
		list, _ := b.List(context.Background(), backend.ListOptions{All: true})
		for _, c := range list {
			if c.Name == "demo-db-1" && c.State == "running" {
				db = c.ID
			}
		}
		return db != ""
	})
	if err := b.Exit(db, 1); err != nil {
		t.Fatal(err)
	}
	err := <-done
	wantService(t, err, "db")
	if !strings.Contains(err.Error(), "exited with code 1") {
		t.Fatalf("error %v", err)
	}
	if indexOf(b.Calls(), "Start", "demo-web-1") >= 0 {
		t.Fatal("web started although db crashed")
	}
	if len(log.find(StatusWarning, "db")) == 0 {
		t.Fatal("the degraded condition was not reported")
	}
}

// A dependency without a healthcheck that keeps running satisfies the
// degraded gate after degradeSettle.
func TestDegradedHealthyGateHolds(t *testing.T) {
	b := newFake()
	e, _ := newEngine(t, b, load(t, `
services:
  db: {image: busybox, command: [sleep, "1000"]}
  web:
    image: busybox
    command: [sleep, "1000"]
    depends_on: {db: {condition: service_healthy}}
`))
	start := time.Now()
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < degradeSettle {
		t.Fatalf("the gate held after %s, before %s", d, degradeSettle)
	}
	if indexOf(b.Calls(), "Start", "demo-web-1") < 0 {
		t.Fatal("web not started")
	}
}

// The engine's own extra labels on a volume are not a configuration change.
func TestVolumeWithExtraLabelsIsUnchanged(t *testing.T) {
	b := newFake()
	y := `
services:
  app: {image: busybox, command: [sleep, "1000"], volumes: ["data:/data"]}
volumes:
  data: {}
`
	for i := range 2 {
		e, log := newEngine(t, b, load(t, y), WithLabels(map[string]string{"perry.test": "1"}))
		if err := e.Up(ctxT(t), UpOptions{RecreateVolumes: true}); err != nil {
			t.Fatal(err)
		}
		if w := log.find(StatusWarning, ""); len(w) != 0 {
			t.Fatalf("up %d: warnings %v", i+1, w)
		}
	}
	if n := len(callsOf(b, "RemoveVolume")); n != 0 {
		t.Fatalf("the volume was recreated %d times", n)
	}
}

// lyingStart is a runtime whose start of one container answers success
// and does nothing.
type lyingStart struct {
	*fake.Backend
	name string
}

func (l lyingStart) Start(ctx context.Context, id string) error {
	if info, err := l.Backend.Inspect(ctx, id); err == nil && info.Name == l.name {
		return nil
	}
	return l.Backend.Start(ctx, id)
}

// TestLyingStartFailsTheGate: a dependency whose start "succeeded" but
// that stays created fails its dependents' gate, naming it, instead of
// holding the up until the caller's deadline; the rollback removes all.
func TestLyingStartFailsTheGate(t *testing.T) {
	b := newFake()
	e, _ := newEngine(t, lyingStart{b, "demo-db-1"}, load(t, `
services:
  db: {image: busybox, command: [sleep, "1000"]}
  web:
    image: busybox
    command: [sleep, "1000"]
    depends_on: [db]
`))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	err := e.Up(ctx, UpOptions{})
	wantService(t, err, "db")
	if !strings.Contains(err.Error(), "still created") || ctx.Err() != nil {
		t.Fatalf("error %v (context: %v)", err, ctx.Err())
	}
	if indexOf(b.Calls(), "Start", "demo-web-1") >= 0 {
		t.Fatal("web started although db never ran")
	}
	if list, _ := b.List(ctxT(t), backend.ListOptions{All: true}); len(list) != 0 {
		t.Fatalf("left behind: %+v", list)
	}
}

// TestKillSignalsRunningContainersOnly: kill delivers the signal to the
// running containers of the named services, all at once, and nothing else.
func TestKillSignalsRunningContainersOnly(t *testing.T) {
	b := newFake()
	e, log := newEngine(t, b, load(t, `
services:
  db: {image: busybox, command: [sleep, "1000"]}
  web: {image: busybox, command: [sleep, "1000"], depends_on: [db]}
  job: {image: busybox, command: [sleep, "1000"]}
`))
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := e.Stop(ctxT(t), []string{"job"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := e.Kill(ctxT(t), []string{"web", "job"}, "hup"); err != nil {
		t.Fatal(err)
	}
	var killed []string
	for _, c := range b.Calls() {
		if c.Method == "Kill" {
			killed = append(killed, strings.Join(c.Args, " "))
		}
	}
	ids := containerIDs(t, b)
	if len(killed) != 1 || killed[0] != ids["demo-web-1"]+" HUP" {
		t.Fatalf("Kill calls %q, want web's only, with HUP", killed)
	}
	if len(log.find(StatusKilled, "demo-web-1")) != 1 {
		t.Fatal("no Killed event for demo-web-1")
	}
	if err := e.Kill(ctxT(t), nil, "NOT A SIGNAL"); core.KindOf(err) != core.KindInvalidArgument {
		t.Fatalf("bad signal: %v", err)
	}
	if err := e.Kill(ctxT(t), nil, ""); err != nil {
		t.Fatal(err)
	}
	list, _ := b.List(ctxT(t), backend.ListOptions{All: true})
	for _, c := range list {
		if c.State == "running" {
			t.Errorf("%s still running after kill", c.Name)
		}
	}
}

// TestContainersAreKnownByTheirNameOnTheirNetworks: as docker compose
// does, every container is an alias of its own name on each network it
// joins, before the service name and the declared aliases; a one-off has
// its name only unless asked for the service's aliases (run --use-aliases);
// a container on another's network stack has none.
func TestContainersAreKnownByTheirNameOnTheirNetworks(t *testing.T) {
	e, _ := newEngine(t, newFake(), load(t, `
services:
  web:
    image: busybox
    scale: 2
    networks:
      back: {}
      front: {aliases: [www]}
  db: {image: busybox, container_name: fixed}
  sidecar: {image: busybox, network_mode: host}
networks:
  front: {}
  back: {}
`))
	m, err := e.model(nil)
	if err != nil {
		t.Fatal(err)
	}
	type want struct{ primary, front []string }
	check := func(t *testing.T, spec *core.ContainerSpec, w want) {
		t.Helper()
		var front []string
		for _, n := range spec.Networks {
			if n.Name == "demo_front" {
				front = n.Aliases
			}
		}
		if !slices.Equal(spec.NetworkAliases, w.primary) || !slices.Equal(front, w.front) {
			t.Errorf("%s: aliases %q, on demo_front %q; want %q and %q", spec.Name, spec.NetworkAliases, front, w.primary, w.front)
		}
	}
	for _, tc := range []struct {
		service string
		n       int
		want    want
	}{
		{"web", 1, want{[]string{"demo-web-1", "web"}, []string{"demo-web-1", "web", "www"}}},
		{"web", 2, want{[]string{"demo-web-2", "web"}, []string{"demo-web-2", "web", "www"}}},
		{"db", 1, want{[]string{"fixed", "db"}, nil}},
		{"sidecar", 1, want{nil, nil}},
	} {
		check(t, m.containerSpec(m.services[tc.service], tc.n, "", false), tc.want)
	}
	for _, tc := range []struct {
		name string
		opts OneOffOptions
		want want
	}{
		{"own name only", OneOffOptions{Slug: "0123456789ab"},
			want{[]string{"demo-web-run-0123456789ab"}, []string{"demo-web-run-0123456789ab"}}},
		{"use aliases", OneOffOptions{Slug: "0123456789ab", UseAliases: true},
			want{[]string{"demo-web-run-0123456789ab", "web"}, []string{"demo-web-run-0123456789ab", "web", "www"}}},
		{"named", OneOffOptions{Slug: "0123456789ab", Name: "mine"}, want{[]string{"mine"}, []string{"mine"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec, release, err := e.OneOffSpec(ctxT(t), "web", tc.opts)
			defer release()
			if err != nil {
				t.Fatal(err)
			}
			check(t, spec, tc.want)
		})
	}
	// A recreated network's containers are connected again so.
	if got := m.services["web"].attachTo("demo_front", "demo-web-2").Aliases; !slices.Equal(got, []string{"demo-web-2", "web", "www"}) {
		t.Errorf("reconnect to demo_front with %q", got)
	}
	if got := m.services["web"].attachTo("demo_back", "demo-web-2").Aliases; !slices.Equal(got, []string{"demo-web-2", "web"}) {
		t.Errorf("reconnect to demo_back with %q", got)
	}
	var gone *service // a container of a service no longer in the file
	if got := gone.attachTo("demo_back", "demo-old-1").Aliases; !slices.Equal(got, []string{"demo-old-1"}) {
		t.Errorf("reconnect of an orphan with %q", got)
	}
}
