package engine

import (
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// volumesFromYAML: app takes the volumes of data (read-only) and of a
// container outside the project; data writes into its named and its
// anonymous volume.
const volumesFromYAML = `
services:
  data:
    image: busybox
    command: [sleep, "1000"]
    volumes: ["store:/store", "/scratch"]
  app:
    image: busybox
    command: [sleep, "1000"]
    volumes_from: ["data:ro"]
volumes:
  store: {}
`

// volumes_from names the first container of a service (container_name when
// it has one), keeps the mode, and passes container: references through.
func TestVolumesFromConvert(t *testing.T) {
	e, _ := newEngine(t, newFake(), load(t, `
services:
  data: {image: busybox, scale: 2}
  named: {image: busybox, container_name: the-named}
  app:
    image: busybox
    volumes_from: [data, "named:rw", "container:outside", "container:legacy:ro"]
  plain: {image: busybox}
`))
	m, app := convertedService(t, e, "app")
	want := []string{"demo-data-1", "the-named:rw", "outside", "legacy:ro"}
	if !slices.Equal(app.spec.VolumesFrom, want) {
		t.Errorf("volumes_from = %q, want %q", app.spec.VolumesFrom, want)
	}
	if got := app.volumesFromServices(); !slices.Equal(got, []string{"data", "named"}) {
		t.Errorf("volumesFromServices = %q", got)
	}
	if m.services["plain"].spec.VolumesFrom != nil {
		t.Errorf("a service without volumes_from: %q", m.services["plain"].spec.VolumesFrom)
	}
	// Every replica and a one-off take the same volumes.
	if spec := m.containerSpec(app, 1, "", false); !slices.Equal(spec.VolumesFrom, want) {
		t.Errorf("container spec volumes_from = %q", spec.VolumesFrom)
	}
}

// A reference to a service the project lacks, or an entry no runtime takes,
// fails the up before anything is created, naming the service.
func TestVolumesFromBadEntryIsAnError(t *testing.T) {
	for _, tc := range []struct {
		name    string
		project func(t *testing.T) *types.Project
		want    string
	}{
		{"an undefined service", func(t *testing.T) *types.Project {
			// compose-go refuses it when loading (the implied depends_on);
			// a project built in code reaches the engine.
			app := types.ServiceConfig{Name: "app"}
			app.Image, app.VolumesFrom = "busybox", []string{"nosuch:ro"}
			return &types.Project{Name: "demo", Services: types.Services{"app": app}}
		}, `service "nosuch"`},
		{"a mode other than ro or rw", func(t *testing.T) *types.Project {
			return load(t, "services:\n  data: {image: busybox}\n  app: {image: busybox, volumes_from: [\"data:z\"]}\n")
		}, `volumes_from[0] "data:z": the mode "z" must be ro or rw`},
		{"a container name no runtime takes", func(t *testing.T) *types.Project {
			return load(t, "services:\n  app: {image: busybox, volumes_from: [\"container:my data\"]}\n")
		}, `volumes_from[0] "container:my data": "my data" is not a container name or id`},
		{"an empty container name", func(t *testing.T) *types.Project {
			return load(t, "services:\n  app: {image: busybox, volumes_from: [\"container:\"]}\n")
		}, `the container name is empty`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newFake()
			e, _ := newEngine(t, b, tc.project(t))
			ce := wantKind(t, e.Up(ctxT(t), UpOptions{}), core.KindInvalidConfig)
			if ce.Details["service"] != "app" || !strings.Contains(ce.Message, tc.want) {
				t.Fatalf("error %v %v, want one naming app and %q", ce, ce.Details, tc.want)
			}
			if len(b.Calls()) != 0 {
				t.Fatalf("backend called before validation: %v", b.Calls())
			}
		})
	}
}

// compose-go itself refuses a volumes_from service the file does not
// define (it becomes a depends_on): the user's file never reaches the up.
func TestVolumesFromUndefinedServiceInAFile(t *testing.T) {
	dir := t.TempDir()
	_, err := loader.LoadWithContext(t.Context(), types.ConfigDetails{WorkingDir: dir,
		ConfigFiles: []types.ConfigFile{{Filename: dir + "/compose.yaml", Content: []byte("services:\n  app: {image: busybox, volumes_from: [nosuch]}\n")}}},
		func(o *loader.Options) { o.SetProjectName("demo", true) })
	if err == nil || !strings.Contains(err.Error(), "nosuch") {
		t.Fatalf("loading: %v, want an error naming nosuch", err)
	}
}

// Up creates the dependent after its source runs and gives it the source's
// mounts: a file the source writes into its named or anonymous volume is
// there in the dependent; the mounts are read-only with ":ro".
func TestUpVolumesFromSharesTheSourcesVolumes(t *testing.T) {
	b := newFake()
	e, _ := newEngine(t, b, load(t, volumesFromYAML))
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	calls := b.Calls()
	// The dependent is created after its source has started.
	startData, createApp := -1, -1
	for i, c := range calls {
		if c.Method == "Start" && c.Args[0] == "demo-data-1" && startData < 0 {
			startData = i
		}
		if c.Method == "Create" && len(c.Args) > 1 && c.Args[1] == "demo-app-1" {
			createApp = i
		}
	}
	if startData < 0 || createApp < startData {
		t.Fatalf("app created (call %d) before data started (call %d): %v", createApp, startData, calls)
	}
	ids := containerIDs(t, b)
	mounts, err := b.Mounts(ids["demo-app-1"])
	if err != nil {
		t.Fatal(err)
	}
	var dests []string
	for _, m := range mounts {
		dests = append(dests, m.Destination)
		if m.RW {
			t.Errorf("mount %+v is read-write, want read-only (data:ro)", m)
		}
	}
	if !slices.Equal(dests, []string{"/scratch", "/store"}) || mounts[1].Source != "demo_store" {
		t.Fatalf("app's mounts %+v, want data's /scratch and /store (demo_store)", mounts)
	}
	if _, err := e.Exec(ctxT(t), "data", ExecOptions{ExecOptions: backend.ExecOptions{Cmd: []string{"sh", "-c", "echo kept > /store/f; echo anon > /scratch/g"}}}); err != nil {
		t.Fatal(err)
	}
	out, err := e.Exec(ctxT(t), "app", ExecOptions{ExecOptions: backend.ExecOptions{Cmd: []string{"cat", "/store/f", "/scratch/g"}}})
	if err != nil || out.Stdout != "kept\nanon\n" {
		t.Fatalf("app reads %+v, %v", out, err)
	}
	// A second up changes nothing.
	b.ResetCalls()
	e2, _ := newEngine(t, b, load(t, volumesFromYAML))
	if err := e2.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := len(callsOf(b, "Create")) + len(callsOf(b, "Remove")); n != 0 {
		t.Fatalf("the second up changed things: %v", b.Calls())
	}
	// Down removes everything, the anonymous volume too.
	if err := e2.Down(ctxT(t), DownOptions{Volumes: true}); err != nil {
		t.Fatal(err)
	}
	if vols, _ := b.ListVolumes(ctxT(t), nil); len(vols) != 0 {
		t.Fatalf("volumes left after down -v: %+v", vols)
	}
}

// appCause is why the next up would replace app's container ("" when it
// keeps it).
func appCause(t *testing.T, e *Engine) string {
	t.Helper()
	plans, err := e.PlanUp(ctxT(t), UpOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range plans {
		for _, op := range p.Ops {
			if op.Type == OpCreateContainer && op.Service == "app" {
				return op.Cause
			}
		}
	}
	return ""
}

// The dependent is recreated when its source's container is: in the same
// up (the source changed), and in a later up when an earlier one replaced
// the source alone, as docker compose does (its config hash covers the
// source container's id). A changed volumes_from recreates it too.
func TestVolumesFromRecreatesTheDependent(t *testing.T) {
	b := newFake()
	e, _ := newEngine(t, b, load(t, volumesFromYAML))
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	before := containerIDs(t, b)

	changed := load(t, strings.Replace(volumesFromYAML, `    volumes: ["store:/store", "/scratch"]`,
		`    volumes: ["store:/store", "/scratch"]`+"\n    environment: {V: \"2\"}", 1))
	e2, _ := newEngine(t, b, changed)
	if got := appCause(t, e2); got != "volumes_from service:data was recreated" {
		t.Fatalf("cause %q", got)
	}
	if err := e2.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	mid := containerIDs(t, b)
	if mid["demo-data-1"] == before["demo-data-1"] || mid["demo-app-1"] == before["demo-app-1"] {
		t.Fatalf("data and app not both recreated: %v -> %v", before, mid)
	}

	// data alone, forced: app keeps the old mounts until the next up.
	e3, _ := newEngine(t, b, changed)
	if err := e3.Up(ctxT(t), UpOptions{Services: []string{"data"}, ForceRecreate: true}); err != nil {
		t.Fatal(err)
	}
	if containerIDs(t, b)["demo-app-1"] != mid["demo-app-1"] {
		t.Fatal("an up of data alone recreated app")
	}
	e4, _ := newEngine(t, b, changed)
	if got := appCause(t, e4); got != "volumes_from service:data was recreated" {
		t.Fatalf("after data was replaced alone, cause %q", got)
	}
	if err := e4.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := appCause(t, e4); got != "" {
		t.Fatalf("converged, yet app would be recreated: %q", got)
	}

	// The mode is part of the service's configuration.
	e5, _ := newEngine(t, b, load(t, strings.Replace(volumesFromYAML, `"data:ro"`, `"data:rw"`, 1)))
	if got := appCause(t, e5); got != "configuration changed" {
		t.Fatalf("a changed mode: cause %q", got)
	}
}

// up -y recreating a volume removes the containers that have it through
// volumes_from too (the engine refuses to remove a volume in use), down the
// chain, before the volume.
func TestRecreatedVolumeReleasesVolumesFromDependents(t *testing.T) {
	y := `
services:
  data: {image: busybox, command: [sleep, "1000"], volumes: ["store:/store"]}
  app: {image: busybox, command: [sleep, "1000"], volumes_from: [data]}
  log: {image: busybox, command: [sleep, "1000"], volumes_from: ["app:ro"]}
volumes:
  store: {labels: {v: "1"}}
`
	b := newFake()
	e, _ := newEngine(t, b, load(t, y))
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	before := containerIDs(t, b)
	e2, _ := newEngine(t, b, load(t, strings.Replace(y, `v: "1"`, `v: "2"`, 1)))
	if err := e2.Up(ctxT(t), UpOptions{RecreateVolumes: true}); err != nil {
		t.Fatal(err)
	}
	after := containerIDs(t, b)
	calls := b.Calls()
	rmVol := indexOf(calls, "RemoveVolume", "demo_store")
	for _, name := range []string{"demo-data-1", "demo-app-1", "demo-log-1"} {
		if after[name] == "" || after[name] == before[name] {
			t.Errorf("%s not recreated: %q -> %q", name, before[name], after[name])
		}
		if i := indexOf(calls, "Remove", before[name]); i < 0 || i > rmVol {
			t.Errorf("%s removed at call %d, the volume at %d", name, i, rmVol)
		}
	}
	if v, _ := b.InspectVolume(ctxT(t), "demo_store"); v.Labels["v"] != "2" {
		t.Fatalf("volume not recreated: %v", v.Labels)
	}
}

// A dependent brought up without its source (--no-deps, or a source scaled
// to 0) needs the source's container: without one the up fails before
// creating anything, naming both services.
func TestVolumesFromNeedsTheSourcesContainer(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts UpOptions
		want string
	}{
		{"--no-deps without the source's container", UpOptions{Services: []string{"app"}, NoDeps: true}, "has no container"},
		{"the source scaled to 0", UpOptions{Scale: map[string]int{"data": 0}}, "is scaled to 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newFake()
			e, _ := newEngine(t, b, load(t, volumesFromYAML))
			ce := wantKind(t, e.Up(ctxT(t), tc.opts), core.KindInvalidConfig)
			if ce.Details["service"] != "app" || ce.Details["dependency"] != "data" || !strings.Contains(ce.Message, tc.want) {
				t.Fatalf("error %v %v", ce, ce.Details)
			}
			if n := len(callsOf(b, "Create")); n != 0 {
				t.Fatalf("containers created: %v", b.Calls())
			}
		})
	}
	// With the source's container there, --no-deps brings the dependent up.
	b := newFake()
	e, _ := newEngine(t, b, load(t, volumesFromYAML))
	if err := e.Up(ctxT(t), UpOptions{Services: []string{"data"}}); err != nil {
		t.Fatal(err)
	}
	if err := e.Up(ctxT(t), UpOptions{Services: []string{"app"}, NoDeps: true}); err != nil {
		t.Fatal(err)
	}
	if list, _ := b.List(ctxT(t), backend.ListOptions{}); len(list) != 2 {
		t.Fatalf("running: %+v", list)
	}
}
