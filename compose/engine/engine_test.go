package engine

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/fake"
	"github.com/perryts/perry-container/core"
)

// Functional tests on the fake engine: what a user sees of each command,
// without a runtime.

const chainYAML = `
services:
  a:
    image: busybox
    command: ["sleep", "1000"]
    volumes: ["data:/data"]
  b:
    image: busybox
    command: ["sleep", "1000"]
    depends_on: [a]
  c:
    image: busybox
    command: ["sleep", "1000"]
    depends_on: [b]
volumes:
  data: {}
`

func TestUpCreatesNetworksAndVolumesBeforeContainers(t *testing.T) {
	b := newFake()
	e, _ := newEngine(t, b, load(t, chainYAML))
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	calls := b.Calls()
	net, vol := indexOf(calls, "CreateNetwork", "demo_default"), indexOf(calls, "CreateVolume", "demo_data")
	if net < 0 || vol < 0 {
		t.Fatalf("network or volume not created: %v", calls)
	}
	for i, c := range calls {
		if c.Method == "Create" && (i < net || i < vol) {
			t.Fatalf("container created (call %d) before the network (%d) or the volume (%d)", i, net, vol)
		}
	}
	// Labels (docs/design.md, Names and labels) on every resource.
	n, _ := b.InspectNetwork(context.Background(), "demo_default")
	if n.Labels[LabelProject] != "demo" || n.Labels[LabelNetwork] != "default" || n.Labels[LabelManaged] != "1" {
		t.Fatalf("network labels: %v", n.Labels)
	}
	v, _ := b.InspectVolume(context.Background(), "demo_data")
	if v.Labels[LabelProject] != "demo" || v.Labels[LabelVolume] != "data" {
		t.Fatalf("volume labels: %v", v.Labels)
	}
	info, err := b.Inspect(context.Background(), "demo-b-1")
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		LabelProject: "demo", LabelService: "b", LabelNumber: "1", LabelOneoff: "False",
		LabelDependsOn: "a:service_started:false", LabelManaged: "1", LabelVersion: Version,
	} {
		if info.Labels[k] != want {
			t.Errorf("label %s = %q, want %q", k, info.Labels[k], want)
		}
	}
	for _, k := range []string{LabelConfigHash, LabelWorkingDir, LabelConfigFiles, LabelImage} {
		if info.Labels[k] == "" {
			t.Errorf("label %s missing", k)
		}
	}
}

func TestUpStartsServicesInDependencyOrder(t *testing.T) {
	b := newFake()
	e, _ := newEngine(t, b, load(t, `
services:
  web: {image: busybox, command: [sleep, "1"], depends_on: [api, cache]}
  api: {image: busybox, command: [sleep, "1"], depends_on: [db]}
  cache: {image: busybox, command: [sleep, "1"]}
  db: {image: busybox, command: [sleep, "1"]}
`))
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	starts := callsOf(b, "Start")
	pos := func(s string) int { return slices.Index(starts, "demo-"+s+"-1") }
	for _, edge := range [][2]string{{"web", "api"}, {"web", "cache"}, {"api", "db"}} {
		if pos(edge[0]) < 0 || pos(edge[1]) < 0 || pos(edge[0]) < pos(edge[1]) {
			t.Fatalf("%s started before its dependency %s: %v", edge[0], edge[1], starts)
		}
	}
}

func TestUpRollbackOnThirdServiceFailure(t *testing.T) {
	b := newFake()
	b.Inject(fake.Fault{Method: "Start", Match: "demo-c-1", Err: core.Errorf(core.KindBackendError, "boom")})
	// One call at a time, so that the call log's order is the creation order.
	e, log := newEngine(t, b, load(t, chainYAML), WithParallel(1))
	err := e.Up(ctxT(t), UpOptions{})
	wantService(t, err, "c")
	if !strings.Contains(err.Error(), "boom") {
		t.Fatalf("the cause is lost: %v", err)
	}
	calls := b.Calls()
	for _, name := range []string{"demo-a-1", "demo-b-1"} {
		if indexOf(calls, "Start", name) < 0 {
			t.Fatalf("%s was not started before the failure", name)
		}
	}
	list, _ := b.List(context.Background(), backend.ListOptions{All: true})
	if len(list) != 0 {
		t.Fatalf("rollback left containers: %v", list)
	}
	// a and b were running: each is stopped, then removed; c (created) too.
	stops, removes := callsOf(b, "Stop"), callsOf(b, "Remove")
	if len(stops) != 3 || len(removes) != 3 || !slices.Equal(stops, removes) {
		t.Fatalf("want the 3 created containers stopped and removed, in reverse order: stops %v removes %v", stops, removes)
	}
	// Containers are created concurrently; the rollback reverses the order
	// in which they were actually created.
	var createdOrder, removedOrder []string
	for _, c := range calls {
		if c.Method == "Create" {
			createdOrder = append([]string{c.Args[1]}, createdOrder...)
		}
	}
	for _, ev := range log.find(StatusRemoved, "demo-") {
		removedOrder = append(removedOrder, ev.ID)
	}
	if !slices.Equal(createdOrder, removedOrder) {
		t.Fatalf("rollback order %v, want the reverse of the creation order %v", removedOrder, createdOrder)
	}
	if _, err := b.InspectNetwork(context.Background(), "demo_default"); !errors.Is(err, core.ErrNotFound) {
		t.Fatalf("the created network was not removed: %v", err)
	}
	if _, err := b.InspectVolume(context.Background(), "demo_data"); !errors.Is(err, core.ErrNotFound) {
		t.Fatalf("the created volume was not removed: %v", err)
	}
	// Reverse order: the network goes last.
	calls = b.Calls()
	if indexOf(calls, "RemoveNetwork", "demo_default") < indexOf(calls, "RemoveVolume", "demo_data") {
		t.Fatal("network removed before the volume: not reverse creation order")
	}
	if len(log.find(StatusRemoved, "demo-a-1")) == 0 {
		t.Fatal("no rollback event")
	}
}

func TestUpKeepOnFailureLeavesResources(t *testing.T) {
	b := newFake()
	b.Inject(fake.Fault{Method: "Start", Match: "demo-c-1", Err: core.Errorf(core.KindBackendError, "boom")})
	e, _ := newEngine(t, b, load(t, chainYAML))
	wantService(t, e.Up(ctxT(t), UpOptions{KeepOnFailure: true}), "c")
	ids := containerIDs(t, b)
	for _, n := range []string{"demo-a-1", "demo-b-1", "demo-c-1"} {
		if ids[n] == "" {
			t.Fatalf("%s was removed despite KeepOnFailure", n)
		}
	}
	if _, err := b.InspectNetwork(context.Background(), "demo_default"); err != nil {
		t.Fatal(err)
	}
	st, err := e.Status(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if st.Healthy || st.Services[2].Service != "c" || st.Services[2].State != core.StatePending {
		t.Fatalf("status after a failed up: %+v", st)
	}
}

func TestRollbackKeepsWhatExistedBefore(t *testing.T) {
	b := newFake()
	// A network the user made, and a container of a first, partial up.
	if err := b.CreateNetwork(context.Background(), "demo_default", core.NetworkConfig{}); err != nil {
		t.Fatal(err)
	}
	e, _ := newEngine(t, b, load(t, chainYAML))
	if err := e.Up(ctxT(t), UpOptions{Services: []string{"a"}}); err != nil {
		t.Fatal(err)
	}
	before := containerIDs(t, b)
	b.Inject(fake.Fault{Method: "Start", Match: "demo-c-1", Err: core.Errorf(core.KindBackendError, "boom")})
	wantService(t, e.Up(ctxT(t), UpOptions{}), "c")
	after := containerIDs(t, b)
	if after["demo-a-1"] != before["demo-a-1"] {
		t.Fatal("rollback removed a container that existed before the up")
	}
	if after["demo-b-1"] != "" || after["demo-c-1"] != "" {
		t.Fatalf("rollback kept created containers: %v", after)
	}
	if _, err := b.InspectNetwork(context.Background(), "demo_default"); err != nil {
		t.Fatal("rollback removed the pre-existing network")
	}
	if _, err := b.InspectVolume(context.Background(), "demo_data"); err != nil {
		t.Fatal("rollback removed the volume the first up created")
	}
}

func TestRollbackAfterCancel(t *testing.T) {
	b := newFake()
	b.Health = func(c core.ContainerInfo) string { return "starting" } // never healthy
	e, _ := newEngine(t, b, load(t, `
services:
  db: {image: busybox, command: [sleep, "1"], healthcheck: {test: ["CMD", "true"]}}
  web: {image: busybox, command: [sleep, "1"], depends_on: {db: {condition: service_healthy}}}
`))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := e.Up(ctx, UpOptions{})
	if k := core.KindOf(err); k != core.KindTimeout && k != core.KindCancelled {
		t.Fatalf("want a timeout, got %v", err)
	}
	if ids := containerIDs(t, b); len(ids) != 0 {
		t.Fatalf("a cancelled up did not roll back: %v", ids)
	}
}

// flakyInspect fails the next `fail` Inspect calls with a runtime error, as
// a runtime that loses its connection for a moment does.
type flakyInspect struct {
	*fake.Backend
	fail, failed atomic.Int32
}

func (f *flakyInspect) Inspect(ctx context.Context, id string) (core.ContainerInfo, error) {
	if f.fail.Add(-1) >= 0 {
		f.failed.Add(1)
		return core.ContainerInfo{}, core.Errorf(core.KindBackendError, "inspect %s: connection reset", id)
	}
	return f.Backend.Inspect(ctx, id)
}

func TestWaitRidesOutAFailedLook(t *testing.T) {
	b := &flakyInspect{Backend: newFake()}
	e, _ := newEngine(t, b, load(t, `
services:
  db: {image: busybox, command: [sleep, "1"], healthcheck: {test: ["CMD", "true"]}}
  web: {image: busybox, command: [sleep, "1"], depends_on: {db: {condition: service_healthy}}}
`))
	b.fail.Store(2) // two in a row; a third would fail the up
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatalf("two failed looks at db failed the up: %v", err)
	}
	if n := b.failed.Load(); n != 2 {
		t.Fatalf("%d looks failed, want 2: the wait was not exercised", n)
	}
	if ids := containerIDs(t, b.Backend); ids["demo-db-1"] == "" || ids["demo-web-1"] == "" {
		t.Fatalf("containers %v", ids)
	}

	// A runtime that keeps failing still fails the up, naming the call.
	b2 := &flakyInspect{Backend: newFake()}
	e, _ = newEngine(t, b2, load(t, `
services:
  db: {image: busybox, command: [sleep, "1"], healthcheck: {test: ["CMD", "true"]}}
  web: {image: busybox, command: [sleep, "1"], depends_on: {db: {condition: service_healthy}}}
`))
	b2.fail.Store(1 << 20)
	err := e.Up(ctxT(t), UpOptions{})
	if err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("a runtime that keeps failing: %v", err)
	}
}

func TestDown(t *testing.T) {
	for _, volumes := range []bool{false, true} {
		b := newFake()
		e, _ := newEngine(t, b, load(t, chainYAML))
		if err := e.Up(ctxT(t), UpOptions{}); err != nil {
			t.Fatal(err)
		}
		b.ResetCalls()
		if err := e.Down(ctxT(t), DownOptions{Volumes: volumes}); err != nil {
			t.Fatal(err)
		}
		if ids := containerIDs(t, b); len(ids) != 0 {
			t.Fatalf("down left containers: %v", ids)
		}
		if _, err := b.InspectNetwork(context.Background(), "demo_default"); !errors.Is(err, core.ErrNotFound) {
			t.Fatal("down left the network")
		}
		_, err := b.InspectVolume(context.Background(), "demo_data")
		if volumes != errors.Is(err, core.ErrNotFound) {
			t.Fatalf("volumes=%v: volume err %v", volumes, err)
		}
		if len(callsOf(b, "Stop")) != 3 || len(callsOf(b, "Remove")) != 3 {
			t.Fatalf("calls %v", b.Methods())
		}
	}
}

func TestDownStopsDependentsFirst(t *testing.T) {
	b := newFake()
	e, log := newEngine(t, b, load(t, chainYAML))
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := e.Down(ctxT(t), DownOptions{}); err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, ev := range log.find(StatusStopping, "demo-") {
		order = append(order, ev.ID)
	}
	if !slices.Equal(order, []string{"demo-c-1", "demo-b-1", "demo-a-1"}) {
		t.Fatalf("stop order %v", order)
	}
}

func TestSecondUpChangesNothing(t *testing.T) {
	b := newFake()
	p := load(t, chainYAML)
	e, _ := newEngine(t, b, p)
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	before := containerIDs(t, b)
	b.ResetCalls()
	e2, _ := newEngine(t, b, load(t, chainYAML)) // a fresh load of the same file
	if err := e2.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, c := range b.Calls() {
		switch c.Method {
		case "Create", "Start", "Stop", "Remove", "Rename", "CreateNetwork", "CreateVolume", "PullImage", "Build":
			t.Fatalf("second up called %s", c)
		}
	}
	if after := containerIDs(t, b); !mapsEqual(before, after) {
		t.Fatalf("ids changed: %v -> %v", before, after)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestChangedServiceIsRecreatedAlone(t *testing.T) {
	b := newFake()
	e, _ := newEngine(t, b, load(t, chainYAML))
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	before := containerIDs(t, b)
	b.ResetCalls()
	changed := strings.Replace(chainYAML, "    depends_on: [a]\n", "    depends_on: [a]\n    environment: {MODE: changed}\n", 1)
	e2, log := newEngine(t, b, load(t, changed))
	if err := e2.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	after := containerIDs(t, b)
	if after["demo-a-1"] != before["demo-a-1"] || after["demo-c-1"] != before["demo-c-1"] {
		t.Fatal("an unchanged service was recreated")
	}
	if after["demo-b-1"] == before["demo-b-1"] || after["demo-b-1"] == "" {
		t.Fatal("the changed service was not recreated")
	}
	info, _ := b.Inspect(context.Background(), "demo-b-1")
	if info.Labels[LabelReplace] != "b-1" {
		t.Fatalf("replace label %q", info.Labels[LabelReplace])
	}
	if len(after) != 3 {
		t.Fatalf("containers: %v", after)
	}
	want := []string{"Create", "Stop", "Remove", "Rename", "Start"}
	var got []string
	for _, c := range b.Calls() {
		if slices.Contains(want, c.Method) {
			got = append(got, c.Method)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("recreate calls %v, want %v", got, want)
	}
	if len(log.find(StatusRecreate, "demo-b-1")) == 0 {
		t.Fatal("no Recreate event")
	}
	// The rename names the replacement's temporary name in a field of its own.
	renamed := log.find(StatusRenamed, "demo-b-1")
	if len(renamed) != 1 || renamed[0].ID != "demo-b-1" || !strings.HasSuffix(renamed[0].From, "_demo-b-1") {
		t.Fatalf("Renamed events %+v, want one from the temporary name to demo-b-1", renamed)
	}
}

func TestOrphans(t *testing.T) {
	b := newFake()
	e, _ := newEngine(t, b, load(t, chainYAML))
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	smaller := load(t, `
services:
  a: {image: busybox, command: ["sleep", "1000"], volumes: ["data:/data"]}
volumes: {data: {}}
`)
	e2, log := newEngine(t, b, smaller)
	if err := e2.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	if len(log.find(StatusWarning, "demo-b-1")) == 0 || len(log.find(StatusWarning, "demo-c-1")) == 0 {
		t.Fatalf("orphans not reported: %v", log.evs)
	}
	if ids := containerIDs(t, b); ids["demo-b-1"] == "" {
		t.Fatal("orphan removed without RemoveOrphans")
	}
	if err := e2.Up(ctxT(t), UpOptions{RemoveOrphans: true}); err != nil {
		t.Fatal(err)
	}
	ids := containerIDs(t, b)
	if ids["demo-b-1"] != "" || ids["demo-c-1"] != "" || ids["demo-a-1"] == "" {
		t.Fatalf("after RemoveOrphans: %v", ids)
	}
}

func TestScaleNames(t *testing.T) {
	b := newFake()
	y := `
services:
  web: {image: busybox, command: [sleep, "1"], scale: 3}
  worker: {image: busybox, command: [sleep, "1"], deploy: {replicas: 2}}
`
	e, _ := newEngine(t, b, load(t, y))
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	ps, err := e.Ps(ctxT(t), PsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range ps {
		names = append(names, c.Name)
	}
	want := []string{"demo-web-1", "demo-web-2", "demo-web-3", "demo-worker-1", "demo-worker-2"}
	if !slices.Equal(names, want) {
		t.Fatalf("names %v, want %v", names, want)
	}
	if ps[2].Number != 3 || ps[2].Service != "web" {
		t.Fatalf("container %+v", ps[2])
	}
	// Scale down through the option.
	if err := e.Up(ctxT(t), UpOptions{Scale: map[string]int{"web": 1}}); err != nil {
		t.Fatal(err)
	}
	ids := containerIDs(t, b)
	if ids["demo-web-2"] != "" || ids["demo-web-3"] != "" || ids["demo-web-1"] == "" {
		t.Fatalf("scale down: %v", ids)
	}
}

func TestContainerNameWithScaleIsAnError(t *testing.T) {
	b := newFake()
	// compose-go's loader rejects this too; Go literal projects reach the engine unchecked.
	p := projectOf("demo", map[string][]string{"web": nil})
	web := p.Services["web"]
	web.ContainerName, web.Scale = "theweb", new(int)
	*web.Scale = 2
	p.Services["web"] = web
	e, _ := newEngine(t, b, p)
	err := e.Up(ctxT(t), UpOptions{})
	ce := wantKind(t, err, core.KindInvalidConfig)
	if ce.Details["service"] != "web" || !strings.Contains(ce.Message, "container_name") {
		t.Fatalf("error %v", err)
	}
	if len(b.Calls()) != 0 {
		t.Fatalf("backend called: %v", b.Calls())
	}
	// Scale 1: the name is used as is.
	e, _ = newEngine(t, b, load(t, `
services:
  web: {image: busybox, container_name: theweb, command: [sleep, "1"]}
`))
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	if containerIDs(t, b)["theweb"] == "" {
		t.Fatal("container_name not used")
	}
}

const initYAML = `
services:
  init:
    image: busybox
    command: ["sh", "-c", "exit %s"]
  app:
    image: busybox
    command: ["sleep", "1000"]
    depends_on:
      init: {condition: service_completed_successfully}
`

func TestServiceCompletedSuccessfully(t *testing.T) {
	b := newFake()
	e, _ := newEngine(t, b, load(t, strings.Replace(initYAML, "%s", "0", 1)))
	if err := e.Up(ctxT(t), UpOptions{Wait: true, WaitTimeout: 5 * time.Second}); err != nil {
		t.Fatal(err)
	}
	calls := b.Calls()
	if indexOf(calls, "Start", "demo-app-1") < indexOf(calls, "Start", "demo-init-1") {
		t.Fatal("app started before init")
	}
	st, err := e.Status(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if !st.Healthy {
		t.Fatalf("a completed init job must count as ok: %+v", st)
	}
	if st.Services[0].Service != "init" || st.Services[0].State != core.StateStopped || st.Services[1].State != core.StateRunning {
		t.Fatalf("status %+v", st)
	}
}

func TestFailingInitJobFailsUp(t *testing.T) {
	b := newFake()
	e, _ := newEngine(t, b, load(t, strings.Replace(initYAML, "%s", "1", 1)))
	err := e.Up(ctxT(t), UpOptions{})
	wantService(t, err, "init")
	if code := core.AsError(err).Details["exitCode"]; code != 1 {
		t.Fatalf("exit code %v: %v", code, err)
	}
	if indexOf(b.Calls(), "Start", "demo-app-1") >= 0 {
		t.Fatal("app was started")
	}
	if ids := containerIDs(t, b); len(ids) != 0 {
		t.Fatalf("not rolled back: %v", ids)
	}
}

func TestUnhealthyDependencyFailsFast(t *testing.T) {
	b := newFake()
	b.Health = func(c core.ContainerInfo) string {
		if c.Labels[LabelService] == "db" {
			return "unhealthy"
		}
		return ""
	}
	e, _ := newEngine(t, b, load(t, `
services:
  db:
    image: busybox
    command: [sleep, "1000"]
    healthcheck: {test: ["CMD", "true"], interval: 1h}
  cache: {image: busybox, command: [sleep, "1000"]}
  web:
    image: busybox
    command: [sleep, "1000"]
    depends_on:
      cache: {condition: service_started}
      db: {condition: service_healthy}
`))
	start := time.Now()
	err := e.Up(ctxT(t), UpOptions{})
	wantService(t, err, "db")
	if !strings.Contains(err.Error(), "unhealthy") || core.AsError(err).Details["dependent"] != "web" {
		t.Fatalf("error %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v: not fail-fast", d)
	}
	if indexOf(b.Calls(), "Start", "demo-web-1") >= 0 {
		t.Fatal("web started")
	}
}

func TestDependencyExitingFailsFast(t *testing.T) {
	b := newFake()
	e, _ := newEngine(t, b, load(t, `
services:
  db: {image: busybox, command: [sh, -c, "exit 3"], healthcheck: {test: ["CMD", "true"]}}
  web: {image: busybox, command: [sleep, "1"], depends_on: {db: {condition: service_healthy}}}
`))
	err := e.Up(ctxT(t), UpOptions{})
	wantService(t, err, "db")
	if core.AsError(err).Details["exitCode"] != 3 {
		t.Fatalf("error %v", err)
	}
}

func TestOptionalDependency(t *testing.T) {
	b := newFake()
	e, log := newEngine(t, b, load(t, `
services:
  migrate: {image: busybox, command: [sh, -c, "exit 3"]}
  app:
    image: busybox
    command: [sleep, "1000"]
    depends_on:
      migrate: {condition: service_completed_successfully, required: false}
      metrics: {condition: service_started, required: false}
  metrics: {image: busybox, profiles: [monitoring]}
`))
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatalf("an optional dependency blocked the up: %v", err)
	}
	if containerIDs(t, b)["demo-app-1"] == "" || indexOf(b.Calls(), "Start", "demo-app-1") < 0 {
		t.Fatal("app not started")
	}
	if len(log.find(StatusWarning, "migrate")) == 0 {
		t.Fatal("the failed optional dependency was not reported")
	}
	if containerIDs(t, b)["demo-metrics-1"] != "" {
		t.Fatal("a disabled service was started")
	}
}

func TestRestartTrueFollowsRecreatedDependency(t *testing.T) {
	b := newFake()
	y := `
services:
  db: {image: busybox, command: [sleep, "1"], environment: {V: "1"}}
  web: {image: busybox, command: [sleep, "1"], depends_on: {db: {condition: service_started, restart: true}}}
`
	e, _ := newEngine(t, b, load(t, y))
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	web := containerIDs(t, b)["demo-web-1"]
	b.ResetCalls()
	e2, _ := newEngine(t, b, load(t, strings.Replace(y, `V: "1"`, `V: "2"`, 1)))
	if err := e2.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	calls := b.Calls()
	if indexOf(calls, "Stop", web) < 0 || indexOf(calls, "Start", web) < indexOf(calls, "Start", "demo-db-1") {
		t.Fatalf("web not restarted after db: %v", calls)
	}
	if containerIDs(t, b)["demo-web-1"] != web {
		t.Fatal("web was recreated, not restarted")
	}
}

func TestExternalNetworkMustExist(t *testing.T) {
	b := newFake()
	y := `
services:
  web: {image: busybox, command: [sleep, "1"], networks: [shared]}
networks:
  shared: {external: true, name: corp_net}
`
	e, _ := newEngine(t, b, load(t, y))
	err := e.Up(ctxT(t), UpOptions{})
	ce := wantKind(t, err, core.KindNotFound)
	if !strings.Contains(ce.Message, "corp_net") {
		t.Fatalf("error does not name the network: %v", err)
	}
	if len(callsOf(b, "Create")) != 0 {
		t.Fatal("created a container")
	}
	if err := b.CreateNetwork(context.Background(), "corp_net", core.NetworkConfig{}); err != nil {
		t.Fatal(err)
	}
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	if len(callsOf(b, "CreateNetwork")) != 1 { // ours above only
		t.Fatal("an external network was created by the engine")
	}
	if err := e.Down(ctxT(t), DownOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.InspectNetwork(context.Background(), "corp_net"); err != nil {
		t.Fatal("down removed an external network")
	}
}

func TestUnsupportedFieldIsAnError(t *testing.T) {
	b := newFake()
	e, _ := newEngine(t, b, load(t, `
services:
  web: {image: busybox, cgroup_parent: perry}
`))
	ce := wantKind(t, e.Up(ctxT(t), UpOptions{}), core.KindInvalidConfig)
	if ce.Details["field"] != "cgroup_parent" || ce.Details["service"] != "web" {
		t.Fatalf("error %v %v", ce, ce.Details)
	}
	if len(b.Calls()) != 0 {
		t.Fatal("backend called before validation")
	}
}

// A cgroup, blkio, swappiness, MAC address or annotation value no runtime
// would take fails the up before anything is created, naming the service
// and the field.
func TestBadCgroupValueIsAnError(t *testing.T) {
	for _, tc := range []struct{ name, service, want string }{
		{"cpu_quota below -1", `{image: busybox, cpu_quota: -5}`, "cpu_quota must be ≥ -1, got -5"},
		{"a cpuset that is no CPU list", `{image: busybox, cpuset: "all"}`, `cpuset "all" is not a CPU list`},
		{"a CDI device", `{image: busybox, devices: ["vendor.example/gpu=all"]}`, `devices[0].source "vendor.example/gpu=all" is a CDI device name: CDI devices are not supported`},
		{"mem_swappiness above 100", `{image: busybox, mem_swappiness: 101}`, "mem_swappiness must be between 0 and 100, got 101"},
		{"a blkio weight below 10", `{image: busybox, blkio_config: {weight: 5}}`, "blkio_config.weight must be between 10 and 1000, got 5"},
		{"a device weight above 1000", `{image: busybox, blkio_config: {weight_device: [{path: /dev/sda, weight: 2000}]}}`,
			"blkio_config.weight_device[0].weight must be between 10 and 1000, got 2000"},
		{"a relative device path", `{image: busybox, blkio_config: {device_read_bps: [{path: sda, rate: 1mb}]}}`,
			`blkio_config.device_read_bps[0].path "sda" must be an absolute path`},
		{"a MAC address that does not parse", `{image: busybox, mac_address: "92:d0:c6"}`, `mac_address "92:d0:c6" is not a MAC address`},
		{"a MAC address with network_mode host", `{image: busybox, network_mode: host, mac_address: "92:d0:c6:0a:29:33"}`,
			`mac_address cannot be set with network mode "host"`},
		{"an annotation key with '='", `{image: busybox, annotations: {"a=b": c}}`, `annotations key "a=b" is empty or contains '='`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newFake()
			e, _ := newEngine(t, b, load(t, "services:\n  web: "+tc.service+"\n"))
			ce := wantKind(t, e.Up(ctxT(t), UpOptions{}), core.KindInvalidConfig)
			if ce.Details["service"] != "web" || !strings.Contains(ce.Message, `service "web": `+tc.want) {
				t.Fatalf("error %v %v", ce, ce.Details)
			}
			if len(b.Calls()) != 0 {
				t.Fatalf("backend called before validation: %v", b.Calls())
			}
		})
	}
}

// mem_swappiness, oom_kill_disable, blkio_config, cgroup, runtime,
// userns_mode, mac_address, storage_opt and annotations reach the spec as
// written, and an up with them succeeds.
func TestMoreServiceFieldsReachTheSpec(t *testing.T) {
	b := newFake()
	e, _ := newEngine(t, b, load(t, `
services:
  web:
    image: busybox
    mem_swappiness: 10
    oom_kill_disable: true
    blkio_config:
      weight: 300
      weight_device: [{path: /dev/sda, weight: 400}]
      device_read_bps: [{path: /dev/sda, rate: 1mb}]
      device_read_iops: [{path: /dev/sdb, rate: 100}]
      device_write_bps: [{path: /dev/sda, rate: 2048}]
      device_write_iops: [{path: /dev/sdb, rate: 200}]
    cgroup: private
    runtime: runc
    userns_mode: host
    mac_address: 92:D0:C6:0A:29:33
    storage_opt: {size: 1G}
    annotations: [com.example.a=1, com.example.b=x=y]
  plain:
    image: busybox
    mem_swappiness: 0
`))
	m, s := convertedService(t, e, "web")
	spec := s.spec
	check := func(what string, ok bool) {
		t.Helper()
		if !ok {
			t.Errorf("%s: %+v", what, spec)
		}
	}
	check("mem_swappiness", spec.MemSwappiness != nil && *spec.MemSwappiness == 10)
	check("oom_kill_disable", spec.OomKillDisable)
	check("blkio_config", reflect.DeepEqual(spec.Blkio, &core.Blkio{Weight: 300,
		WeightDevice:  []core.WeightDevice{{Path: "/dev/sda", Weight: 400}},
		DeviceReadBps: []core.ThrottleDevice{{Path: "/dev/sda", Rate: 1 << 20}}, DeviceReadIOps: []core.ThrottleDevice{{Path: "/dev/sdb", Rate: 100}},
		DeviceWriteBps: []core.ThrottleDevice{{Path: "/dev/sda", Rate: 2048}}, DeviceWriteIOps: []core.ThrottleDevice{{Path: "/dev/sdb", Rate: 200}}}))
	check("namespaces and runtime", spec.Cgroup == "private" && spec.UsernsMode == "host" && spec.Runtime == "runc")
	check("mac_address", spec.MacAddress == "92:D0:C6:0A:29:33")
	check("storage_opt", maps.Equal(spec.StorageOpt, map[string]string{"size": "1G"}))
	check("annotations", maps.Equal(spec.Annotations, map[string]string{"com.example.a": "1", "com.example.b": "x=y"}))
	// compose-go reads mem_swappiness 0 as absent; docker compose sends
	// none then, and so does the spec.
	plain := m.services["plain"].spec
	if plain.MemSwappiness != nil || plain.Blkio != nil || plain.OomKillDisable || plain.Annotations != nil || plain.StorageOpt != nil {
		t.Errorf("a service without the fields: %+v", plain)
	}
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestStartIntervalWithoutStartPeriodIsAnError(t *testing.T) {
	b := newFake()
	e, _ := newEngine(t, b, load(t, `
services:
  web:
    image: busybox
    healthcheck: {test: ["CMD", "true"], start_interval: 1s}
`))
	ce := wantKind(t, e.Up(ctxT(t), UpOptions{}), core.KindInvalidConfig)
	if ce.Details["service"] != "web" || !strings.Contains(ce.Message, "healthcheck.start_interval requires healthcheck.start_period to be set") {
		t.Fatalf("error %v %v", ce, ce.Details)
	}
	if len(b.Calls()) != 0 {
		t.Fatalf("backend called before validation: %v", b.Calls())
	}
	// With a start period it is taken.
	e, _ = newEngine(t, b, load(t, `
services:
  web:
    image: busybox
    command: [sleep, "1"]
    healthcheck: {test: ["CMD", "true"], start_period: 5s, start_interval: 1s}
`))
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestCycleIsDependencyCycle(t *testing.T) {
	e, _ := newEngine(t, newFake(), projectOf("demo", map[string][]string{"a": {"b"}, "b": {"c"}, "c": {"a"}}))
	_, err := e.Graph()
	ce := wantKind(t, err, core.KindDependencyCycle)
	if !strings.Contains(ce.Message, "a -> b -> c -> a") {
		t.Fatalf("message %q", ce.Message)
	}
	wantKind(t, e.Up(ctxT(t), UpOptions{}), core.KindDependencyCycle)
}

func TestGraph(t *testing.T) {
	e, _ := newEngine(t, newFake(), load(t, chainYAML))
	g, err := e.Graph()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(g.Nodes, []string{"a", "b", "c"}) || len(g.Edges) != 2 || g.Edges[0] != (core.Edge{From: "b", To: "a"}) {
		t.Fatalf("graph %+v", g)
	}
}

func TestStopStartRestart(t *testing.T) {
	b := newFake()
	e, log := newEngine(t, b, load(t, chainYAML))
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	ids := containerIDs(t, b)
	if err := e.Stop(ctxT(t), nil, nil); err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, ev := range log.find(StatusStopping, "demo-") {
		order = append(order, ev.ID)
	}
	if !slices.Equal(order, []string{"demo-c-1", "demo-b-1", "demo-a-1"}) {
		t.Fatalf("stop order %v", order)
	}
	st, _ := e.Status(ctxT(t))
	if st.Healthy || st.Services[0].State != core.StateStopped {
		t.Fatalf("status after stop %+v", st)
	}
	b.ResetCalls()
	if err := e.Start(ctxT(t), []string{"c"}, nil); err != nil { // with its dependencies
		t.Fatal(err)
	}
	calls := b.Calls()
	if !(indexOf(calls, "Start", ids["demo-a-1"]) < indexOf(calls, "Start", ids["demo-b-1"]) &&
		indexOf(calls, "Start", ids["demo-b-1"]) < indexOf(calls, "Start", ids["demo-c-1"])) {
		t.Fatalf("start order: %v", calls)
	}
	st, _ = e.Status(ctxT(t))
	if !st.Healthy {
		t.Fatalf("status after start %+v", st)
	}
	b.ResetCalls()
	if err := e.Restart(ctxT(t), []string{"b"}, nil); err != nil {
		t.Fatal(err)
	}
	// One restart call, which the runtime reports as a restart.
	if got := callsOf(b, "Restart"); !slices.Equal(got, []string{ids["demo-b-1"]}) || len(callsOf(b, "Stop")) != 0 {
		t.Fatalf("restart b: %v", b.Calls())
	}
	if containerIDs(t, b)["demo-b-1"] != ids["demo-b-1"] {
		t.Fatal("restart recreated")
	}
	if err := e.Start(ctxT(t), []string{"nope"}, nil); !errors.Is(err, core.ErrNotFound) {
		t.Fatalf("unknown service: %v", err)
	}
}

// TestRestartWithoutTheRuntimesRestart: a backend without a restart of its
// own (apple/container) restarts a service as a stop then a start; with
// one, the progress says Restarting then Started, as docker compose's does.
func TestRestartWithoutTheRuntimesRestart(t *testing.T) {
	const y = `
services:
  web: {image: busybox, command: [sleep, "1000"]}
  done: {image: busybox, command: [echo, hi]}
`
	type plain struct{ backend.Backend } // the fake without its Restart
	b := newFake()
	e, _ := newEngine(t, plain{b}, load(t, y))
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	ids := containerIDs(t, b)
	b.ResetCalls()
	if err := e.Restart(ctxT(t), nil, nil); err != nil {
		t.Fatal(err)
	}
	if got := callsOf(b, "Stop"); len(got) != 2 {
		t.Fatalf("stops %v", b.Calls())
	}
	for _, id := range []string{ids["demo-web-1"], ids["demo-done-1"]} {
		if indexOf(b.Calls(), "Stop", id) > indexOf(b.Calls(), "Start", id) {
			t.Fatalf("not stopped then started: %v", b.Calls())
		}
	}

	e2, log := newEngine(t, b, load(t, y))
	if err := e2.Restart(ctxT(t), []string{"web"}, nil); err != nil {
		t.Fatal(err)
	}
	if len(log.find(StatusRestarting, "demo-web-1")) != 1 || len(log.find(StatusStarted, "demo-web-1")) != 1 {
		t.Fatalf("progress %+v", log.evs)
	}
}

func TestPsLogsExec(t *testing.T) {
	b := newFake()
	e, _ := newEngine(t, b, load(t, `
services:
  hello: {image: busybox, command: [echo, hi, there]}
  web: {image: busybox, command: [sleep, "1000"], environment: {GREETING: hello}, ports: ["8080:80"]}
`))
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	ps, err := e.Ps(ctxT(t), PsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || ps[0].Service != "web" {
		t.Fatalf("running: %+v", ps)
	}
	all, _ := e.Ps(ctxT(t), PsOptions{All: true})
	if len(all) != 2 || all[0].State != "exited" || all[0].ExitCode != 0 {
		t.Fatalf("all: %+v", all)
	}
	j := ps[0].PsJSON()
	if j.Project != "demo" || j.Service != "web" || j.Name != "demo-web-1" || !strings.Contains(j.Labels, LabelProject+"=demo") ||
		len(j.Publishers) != 1 || j.Publishers[0].PublishedPort != 8080 || j.Publishers[0].TargetPort != 80 {
		t.Fatalf("ps json %+v", j)
	}
	var lines []string
	err = e.Logs(ctxT(t), LogsOptions{Services: []string{"hello"}}, func(service, container, stream, line string) {
		lines = append(lines, service+"|"+container+"|"+stream+"|"+line)
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(lines, []string{"hello|demo-hello-1|stdout|hi there"}) {
		t.Fatalf("logs %q", lines)
	}
	lines = nil
	if err := e.Logs(ctxT(t), LogsOptions{Follow: true, Services: []string{"hello"}}, func(service, container, stream, line string) {
		lines = append(lines, line)
	}); err != nil || len(lines) != 1 {
		t.Fatalf("follow: %v %q", err, lines)
	}
	out, err := e.Exec(ctxT(t), "web", ExecOptions{ExecOptions: backend.ExecOptions{Cmd: []string{"env"}, Env: map[string]string{"X": "1"}}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.Stdout, "GREETING=hello") || !strings.Contains(out.Stdout, "X=1") || *out.ExitCode != 0 {
		t.Fatalf("exec %+v", out)
	}
	if _, err := e.Exec(ctxT(t), "web", ExecOptions{Index: 2, ExecOptions: backend.ExecOptions{Cmd: []string{"true"}}}); !errors.Is(err, core.ErrNotFound) {
		t.Fatalf("index 2: %v", err)
	}
	if _, err := e.Exec(ctxT(t), "hello", ExecOptions{ExecOptions: backend.ExecOptions{Cmd: []string{"true"}}}); err == nil {
		t.Fatal("exec in an exited container")
	}
}

func TestServiceFieldsReachTheSpec(t *testing.T) {
	b := newFake()
	dir := t.TempDir()
	p := loadEnv(t, `
services:
  web:
    image: busybox
    command: [sleep, "1"]
    entrypoint: [/bin/sh, -c]
    environment: {A: "1"}
    ports: ["127.0.0.1:8080:80/udp", "9000"]
    volumes:
      - data:/data:ro
      - /srv:/srv
      - {type: tmpfs, target: /scratch, tmpfs: {size: 1048576}}
    networks:
      front: {aliases: [www], ipv4_address: 10.5.0.5}
      back: {}
    healthcheck: {test: ["CMD-SHELL", "true"], interval: 2s, retries: 5, start_interval: 50ms, start_period: 1s}
    restart: unless-stopped
    labels: {team: x}
    hostname: h
    user: "1000"
    working_dir: /w
    privileged: true
    read_only: true
    cap_add: [NET_ADMIN]
    cap_drop: [ALL]
    security_opt: ["no-new-privileges:true"]
    sysctls: {net.core.somaxconn: "1024"}
    ulimits: {nofile: {soft: 10, hard: 20}, nproc: 5}
    tmpfs: [/run]
    shm_size: 64m
    mem_limit: 256m
    cpus: 0.5
    memswap_limit: 512m
    cpu_shares: 512
    cpu_period: 100000
    cpu_quota: 50000
    cpuset: "0-1"
    oom_score_adj: -100
    group_add: [audio, "100"]
    devices: ["/dev/null:/dev/perrynull:rw", {source: /dev/zero, target: /dev/z}]
    extra_hosts: ["db:10.0.0.1"]
    dns: [1.1.1.1]
    init: true
    stop_signal: SIGINT
    stop_grace_period: 3s
    pid: host
    expose: ["7000"]
    logging: {driver: json-file, options: {max-size: 1m}}
    secrets: [token]
    configs: [{source: conf, target: /etc/app.conf}]
networks:
  front: {ipam: {config: [{subnet: 10.5.0.0/16}]}}
  back: {internal: true}
volumes:
  data: {}
secrets:
  token: {environment: TOKEN}
configs:
  conf: {content: "a=1"}
`, map[string]string{"TOKEN": "s3cret"})
	e, _ := newEngine(t, b, p, WithStateDir(dir))
	m, s := convertedService(t, e, "web")
	spec := s.spec
	check := func(what string, ok bool) {
		t.Helper()
		if !ok {
			t.Errorf("%s: %+v", what, spec)
		}
	}
	check("cmd", slices.Equal(spec.Cmd, []string{"sleep", "1"}) && slices.Equal(spec.Entrypoint, []string{"/bin/sh", "-c"}))
	check("env", spec.Env["A"] == "1")
	check("ports", slices.Equal(spec.Ports, []string{"127.0.0.1:8080:80/udp", "9000/tcp"}))
	check("volumes", slices.Contains(spec.Volumes, "demo_data:/data:ro") && slices.Contains(spec.Volumes, "/srv:/srv"))
	check("tmpfs", slices.Contains(spec.Tmpfs, "/scratch:size=1048576") && slices.Contains(spec.Tmpfs, "/run"))
	// Equal priorities: by name, so back is the primary network.
	check("network", spec.Network == "demo_back" && slices.Equal(spec.NetworkAliases, []string{"web"}))
	check("networks", len(spec.Networks) == 1 && spec.Networks[0].Name == "demo_front" &&
		slices.Equal(spec.Networks[0].Aliases, []string{"web", "www"}) && spec.Networks[0].IPv4Address == "10.5.0.5")
	check("healthcheck", spec.Healthcheck != nil && spec.Healthcheck.Interval == "2s" && spec.Healthcheck.Retries == 5 &&
		spec.Healthcheck.StartInterval == "50ms" && spec.Healthcheck.Test[0] == "CMD-SHELL")
	check("restart", spec.Restart == "unless-stopped")
	check("labels", spec.Labels["team"] == "x")
	check("misc", spec.Hostname == "h" && spec.User == "1000" && spec.Workdir == "/w" && spec.Privileged && spec.ReadOnly)
	check("caps", slices.Equal(spec.CapAdd, []string{"NET_ADMIN"}) && slices.Equal(spec.CapDrop, []string{"ALL"}))
	check("security", slices.Equal(spec.SecurityOpt, []string{"no-new-privileges:true"}) && spec.Sysctls["net.core.somaxconn"] == "1024")
	check("ulimits", len(spec.Ulimits) == 2 && spec.Ulimits[0] == core.Ulimit{Name: "nofile", Soft: 10, Hard: 20} && spec.Ulimits[1] == core.Ulimit{Name: "nproc", Soft: 5, Hard: 5})
	check("resources", spec.ShmSize == 64<<20 && spec.Memory == 256<<20 && spec.CPUs == 0.5)
	check("cgroup", spec.MemorySwap == 512<<20 && spec.CPUShares == 512 && spec.CPUPeriod == 100000 && spec.CPUQuota == 50000 &&
		spec.CPUSet == "0-1" && spec.OomScoreAdj == -100 && slices.Equal(spec.GroupAdd, []string{"audio", "100"}))
	check("devices", slices.Equal(spec.Devices, []core.Device{{Source: "/dev/null", Target: "/dev/perrynull", Permissions: "rw"}, {Source: "/dev/zero", Target: "/dev/z"}}))
	check("hosts", slices.Equal(spec.ExtraHosts, []string{"db:10.0.0.1"}) && slices.Equal(spec.DNS, []string{"1.1.1.1"}))
	check("process", spec.Init && spec.StopSignal == "SIGINT" && *spec.StopTimeout == 3 && spec.Pid == "host")
	check("expose", slices.Equal(spec.Expose, []string{"7000"}))
	check("logging", spec.LogDriver == "json-file" && spec.LogOpts["max-size"] == "1m")
	m.stateDir = "/state"
	full := m.containerSpec(s, 1, "", false)
	check("secret", slices.Contains(full.Volumes, "/state/web/secrets/0-token:/run/secrets/token:ro"))
	check("config", slices.Contains(full.Volumes, "/state/web/configs/0-conf:/etc/app.conf:ro"))
	check("state label", full.Labels[LabelStateDir] == "/state" && len(spec.Volumes) == 2)
	check("network config", m.networks["front"].cfg.IPAM.Config[0].Subnet == "10.5.0.0/16" && m.networks["back"].cfg.Internal)

	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	info, err := b.Inspect(ctxT(t), "demo-web-1")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range s.files {
		data, err := readFile(filepath.Join(info.Labels[LabelStateDir], f.rel))
		if err != nil {
			t.Fatal(err)
		}
		if (f.name == "token" && data != "s3cret") || (f.name == "conf" && data != "a=1") {
			t.Fatalf("%s content %q", f.name, data)
		}
	}
}

func TestParallelLimitOneDoesNotDeadlock(t *testing.T) {
	b := newFake()
	var inflight, peak atomic.Int32
	b.Health = func(c core.ContainerInfo) string { return "healthy" }
	y := `
services:
  a: {image: busybox, command: [sleep, "1"], healthcheck: {test: [CMD, "true"]}}
  b: {image: busybox, command: [sleep, "1"], depends_on: {a: {condition: service_healthy}}}
  c: {image: busybox, command: [sleep, "1"], depends_on: {a: {condition: service_healthy}}}
  d: {image: busybox, command: [sleep, "1"], depends_on: {b: {condition: service_started}, c: {condition: service_started}}}
`
	counting := &countingBackend{Backend: b, inflight: &inflight, peak: &peak}
	e, _ := newEngine(t, counting, load(t, y), WithParallel(1))
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	if peak.Load() != 1 {
		t.Fatalf("peak concurrency %d with a limit of 1", peak.Load())
	}
}

// countingBackend measures concurrent Create/Start calls.
type countingBackend struct {
	*fake.Backend
	inflight, peak *atomic.Int32
}

func (c *countingBackend) track() func() {
	n := c.inflight.Add(1)
	for {
		p := c.peak.Load()
		if n <= p || c.peak.CompareAndSwap(p, n) {
			break
		}
	}
	// A slow call, not a wait: it holds its slot long enough that a call
	// the limit wrongly let through would overlap it and raise the peak.
	time.Sleep(time.Millisecond)
	return func() { c.inflight.Add(-1) }
}

func (c *countingBackend) Create(ctx context.Context, spec *core.ContainerSpec) (core.ContainerHandle, error) {
	defer c.track()()
	return c.Backend.Create(ctx, spec)
}

func (c *countingBackend) Start(ctx context.Context, id string) error {
	defer c.track()()
	return c.Backend.Start(ctx, id)
}

func TestHealthEmulation(t *testing.T) {
	for _, tc := range []struct {
		test    string
		wantErr bool
	}{{"true", false}, {"false", true}} {
		t.Run(tc.test, func(t *testing.T) {
			b := newFake()
			b.Health = func(core.ContainerInfo) string { return "" } // a runtime without healthchecks
			e, _ := newEngine(t, b, load(t, `
services:
  db:
    image: busybox
    command: [sleep, "1000"]
    healthcheck: {test: ["CMD", "`+tc.test+`"], interval: 10ms, retries: 2}
  web: {image: busybox, command: [sleep, "1"], depends_on: {db: {condition: service_healthy}}}
`), WithHealthEmulation(HealthEmulationAlways))
			err := e.Up(ctxT(t), UpOptions{})
			if len(callsOf(b, "Exec")) == 0 {
				t.Fatal("the healthcheck was not run through exec")
			}
			if !tc.wantErr {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantService(t, err, "db")
			if !strings.Contains(err.Error(), "unhealthy") {
				t.Fatalf("error %v", err)
			}
		})
	}
}

// TestHealthEmulationAutoFollowsTheBackend: the engine runs a healthcheck
// itself exactly when the backend says the runtime has none, whatever the
// runtime is called (lima and rancher-desktop drive nerdctl under their own
// names); the container then carries no healthcheck, and a service_healthy
// dependent still starts once the probe through exec succeeds.
func TestHealthEmulationAutoFollowsTheBackend(t *testing.T) {
	tests := []struct {
		name        string
		runtime     string
		unsupported bool
	}{
		{"lima without healthchecks", "lima", true},
		{"rancher-desktop on nerdctl", "rancher-desktop", true},
		{"nerdctl", "nerdctl", true},
		{"docker runs its own", "docker", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &featureBackend{Backend: newFake(), name: tt.runtime, noHealthcheck: tt.unsupported}
			e, _ := newEngine(t, b, load(t, `
services:
  db:
    image: busybox
    command: [sleep, "1000"]
    healthcheck: {test: ["CMD", "true"], interval: 10ms}
  web: {image: busybox, command: [sleep, "1000"], depends_on: {db: {condition: service_healthy}}}
`))
			if got := e.emulateHealth(context.Background()); got != tt.unsupported {
				t.Fatalf("emulate %v, want %v", got, tt.unsupported)
			}
			if err := e.Up(ctxT(t), UpOptions{Wait: true, WaitTimeout: 10 * time.Second}); err != nil {
				t.Fatal(err)
			}
			probed := len(callsOf(b.Backend, "Exec")) > 0
			if probed != tt.unsupported {
				t.Errorf("probed through exec: %v, want %v", probed, tt.unsupported)
			}
			list, err := b.List(ctxT(t), backend.ListOptions{All: true, Labels: map[string]string{"com.docker.compose.service": "db"}})
			if err != nil || len(list) != 1 {
				t.Fatalf("db containers %+v %v", list, err)
			}
			// The fake reports a health only for a container created with a healthcheck.
			if carries := list[0].Health != ""; carries == tt.unsupported {
				t.Errorf("container health %q with the runtime's healthcheck support %v", list[0].Health, !tt.unsupported)
			}
		})
	}
}

// TestFeaturesAskedOncePerEngine: the backend's answer may cost a round
// trip to the runtime, so each feature is asked once, however many
// commands the engine runs.
func TestFeaturesAskedOncePerEngine(t *testing.T) {
	b := &featureBackend{Backend: newFake(), name: "docker", asked: map[string]int{}}
	e, _ := newEngine(t, b, load(t, `
services:
  db: {image: busybox, command: [sleep, "1000"], healthcheck: {test: ["CMD", "true"], interval: 10ms}}
`))
	for range 3 {
		if err := e.Up(ctxT(t), UpOptions{Wait: true, WaitTimeout: 10 * time.Second}); err != nil {
			t.Fatal(err)
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, f := range engineFeatures {
		if n := b.asked[f]; n != 1 {
			t.Errorf("Supports(%s) asked %d times, want once", f, n)
		}
	}
}

// featureBackend is a fake under another runtime's name that may report
// healthchecks or removing an image's variable as unsupported, counting
// the questions when asked is set.
type featureBackend struct {
	*fake.Backend
	name          string
	noHealthcheck bool
	noUnsetEnv    bool
	notClassic    bool // builds with another builder than the classic one
	noWriteFiles  bool // cannot write files into a container (nerdctl)
	mu            sync.Mutex
	asked         map[string]int
}

func (f *featureBackend) Info(ctx context.Context) (core.BackendInfo, error) {
	return core.BackendInfo{Name: f.name}, nil
}

func (f *featureBackend) Supports(ctx context.Context, feature string) bool {
	f.mu.Lock()
	if f.asked != nil {
		f.asked[feature]++
	}
	f.mu.Unlock()
	switch feature {
	case backend.FeatureHealthcheck:
		return !f.noHealthcheck
	case backend.FeatureUnsetEnv:
		return !f.noUnsetEnv
	case backend.FeatureClassicBuild:
		return !f.notClassic
	case backend.FeatureWriteFiles:
		return !f.noWriteFiles
	}
	return true
}

func TestWaitTimeout(t *testing.T) {
	b := newFake()
	b.Health = func(core.ContainerInfo) string { return "starting" }
	e, _ := newEngine(t, b, load(t, `
services:
  db: {image: busybox, command: [sleep, "1000"], healthcheck: {test: ["CMD", "true"]}}
`))
	err := e.Up(ctxT(t), UpOptions{Wait: true, WaitTimeout: 50 * time.Millisecond})
	ce := wantKind(t, err, core.KindTimeout)
	if !strings.Contains(ce.Message, "not healthy") {
		t.Fatal(ce)
	}
}

func TestBuildAndPull(t *testing.T) {
	b := fake.New()
	e, _ := newEngine(t, b, load(t, `
services:
  app: {build: {context: ., args: {V: "1"}}}
  cache: {image: redis:7}
  tool: {image: redis:7, pull_policy: never}
`))
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := callsOf(b, "Build"); !slices.Equal(got, []string{"demo-app"}) {
		t.Fatalf("builds %v", got)
	}
	if got := callsOf(b, "PullImage"); !slices.Equal(got, []string{"redis:7"}) {
		t.Fatalf("pulls %v", got)
	}
	b.ResetCalls()
	if err := e.Up(ctxT(t), UpOptions{Build: true}); err != nil {
		t.Fatal(err)
	}
	if len(callsOf(b, "Build")) != 1 {
		t.Fatal("--build did not build")
	}
	// A rebuilt image is a new image id: the container is recreated.
	if len(callsOf(b, "Rename")) != 1 {
		t.Fatalf("app not recreated after a rebuild: %v", b.Methods())
	}
}

func TestParallelLimitFromEnvironment(t *testing.T) {
	t.Setenv("COMPOSE_PARALLEL_LIMIT", "2")
	p := load(t, "services: {a: {image: busybox}}")
	if n := New(newFake(), p).parallel; n != 2 {
		t.Fatalf("parallel %d", n)
	}
	if n := New(newFake(), p, WithParallel(5)).parallel; n != 5 {
		t.Fatalf("option does not override the environment: %d", n)
	}
}

func TestGoLiteralProject(t *testing.T) {
	// Not normalized by a loader: no default network, no names.
	b := newFake()
	e, _ := newEngine(t, b, projectOf("lit", map[string][]string{"app": {"db"}, "db": nil}))
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	info, err := b.Inspect(context.Background(), "lit-app-1")
	if err != nil || info.Networks[0] != "lit_default" {
		t.Fatalf("%+v %v", info, err)
	}
	if err := e.Down(ctxT(t), DownOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.InspectNetwork(context.Background(), "lit_default"); !errors.Is(err, core.ErrNotFound) {
		t.Fatal("network left")
	}
}

func TestNetworkModeService(t *testing.T) {
	b := newFake()
	y := `
services:
  vpn: {image: busybox, command: [sleep, "1"], environment: {V: "1"}}
  app: {image: busybox, command: [sleep, "1"], network_mode: "service:vpn"}
`
	e, _ := newEngine(t, b, load(t, y))
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	info, _ := b.Inspect(context.Background(), "demo-app-1")
	if !slices.Equal(info.Networks, []string{"container:demo-vpn-1"}) {
		t.Fatalf("networks %v", info.Networks)
	}
	app := info.ID
	// Recreating vpn recreates app: its network namespace is vpn's container.
	e2, _ := newEngine(t, b, load(t, strings.Replace(y, `V: "1"`, `V: "2"`, 1)))
	b.ResetCalls()
	if err := e2.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	if containerIDs(t, b)["demo-app-1"] == app {
		t.Fatal("app kept the old vpn's network namespace")
	}
	calls := b.Calls()
	created := slices.IndexFunc(calls, func(c fake.Call) bool { return c.Method == "Create" && strings.HasSuffix(c.Args[1], "demo-app-1") })
	if created < indexOf(calls, "Start", "demo-vpn-1") {
		t.Fatal("app created before the new vpn container runs")
	}
}

// TestUpObservesEachNetworkAndVolumeOnce: services sharing a network and a
// volume cost one inspect of each, not one per service.
func TestUpObservesEachNetworkAndVolumeOnce(t *testing.T) {
	b := newFake()
	e, _ := newEngine(t, b, load(t, `
services:
  a: {image: busybox, command: [sleep, "1000"], volumes: ["data:/d"]}
  b: {image: busybox, command: [sleep, "1000"], volumes: ["data:/d"]}
  c: {image: busybox, command: [sleep, "1000"], volumes: ["data:/d"], networks: [default, back]}
  d: {image: busybox, command: [sleep, "1000"], networks: [back]}
volumes:
  data: {}
networks:
  back: {}
`))
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	count := func(method, arg string) (n int) {
		for _, a := range callsOf(b, method) {
			if a == arg {
				n++
			}
		}
		return n
	}
	for _, c := range []struct{ method, arg string }{
		{"InspectNetwork", "demo_default"}, {"InspectNetwork", "demo_back"}, {"InspectVolume", "demo_data"},
	} {
		if n := count(c.method, c.arg); n != 1 {
			t.Errorf("%s(%s) called %d times during up, want 1", c.method, c.arg, n)
		}
	}
}

// The files the engine writes live in a private directory per project:
// mode 0700, an unpredictable name under the state root, reused by later
// ups, never shared by two projects, removed by down and by a failed up
// that made it. (A runtime that cannot write into a container is given its
// secrets so too.)
func TestStateDirIsPrivateAndRemovedByDown(t *testing.T) {
	const y = `
services:
  web:
    image: busybox
    command: [sleep, "1000"]
    secrets: [token]
    security_opt: ['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}']
secrets:
  token: {environment: TOKEN}
`
	root := t.TempDir()
	b := &featureBackend{Backend: newFake(), name: "x", noWriteFiles: true}
	stateOf := func(project string) string {
		t.Helper()
		info, err := b.Inspect(ctxT(t), project+"-web-1")
		if err != nil {
			t.Fatal(err)
		}
		dir := info.Labels[LabelStateDir]
		fi, err := os.Lstat(dir)
		if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 || filepath.Dir(dir) != root ||
			!strings.HasPrefix(filepath.Base(dir), "perry-compose-"+project+"-") || filepath.Base(dir) == "perry-compose-"+project+"-" {
			t.Fatalf("state directory %q of %s: %v %v", dir, project, fi, err)
		}
		return dir
	}
	up := func(project string) *Engine {
		t.Helper()
		p := loadEnv(t, "name: "+project+"\n"+y, map[string]string{"TOKEN": "s3cret-" + project})
		e, _ := newEngine(t, b, p, WithStateDir(root))
		if err := e.Up(ctxT(t), UpOptions{}); err != nil {
			t.Fatal(err)
		}
		return e
	}
	up("one")
	up("two")
	one, two := stateOf("one"), stateOf("two")
	if one == two {
		t.Fatalf("two projects share the state directory %s", one)
	}
	if data, err := readFile(filepath.Join(one, "web", "secrets", "0-token")); err != nil || data != "s3cret-one" {
		t.Fatalf("secret: %q %v", data, err)
	}
	if data, err := readFile(filepath.Join(one, "web", "seccomp", "0.json")); err != nil || data != `{"defaultAction":"SCMP_ACT_ALLOW"}` {
		t.Fatalf("inline seccomp profile: %q %v", data, err)
	}
	e := up("one") // a later up, as from another process, finds the directory again
	if stateOf("one") != one {
		t.Fatal("a second up made another state directory")
	}
	if entries, _ := os.ReadDir(root); len(entries) != 2 {
		t.Fatalf("state root holds %d entries, want 2", len(entries))
	}
	if err := e.Down(ctxT(t), DownOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(one); !os.IsNotExist(err) {
		t.Fatalf("down left the state directory %s: %v", one, err)
	}
	if _, err := os.Lstat(two); err != nil {
		t.Fatalf("down of one removed two's state directory: %v", err)
	}

	// A failed up removes the directory it made.
	b.Inject(fake.Fault{Method: "Start", Match: "three-web-1", Err: core.Errorf(core.KindBackendError, "boom")})
	p := loadEnv(t, "name: three\n"+y, map[string]string{"TOKEN": "x"})
	e3, _ := newEngine(t, b, p, WithStateDir(root))
	if err := e3.Up(ctxT(t), UpOptions{}); err == nil {
		t.Fatal("up succeeded")
	}
	if entries, _ := os.ReadDir(root); len(entries) != 1 {
		t.Fatalf("a failed up left its state directory: %d entries", len(entries))
	}

	// A down that removes the containers but fails later (a network that
	// will not go) removes the directory all the same: no label is left
	// to find it by.
	b.Inject(fake.Fault{Method: "RemoveNetwork", Match: "two_", Err: core.Errorf(core.KindBackendError, "network busy")})
	p = loadEnv(t, "name: two\n"+y, map[string]string{"TOKEN": "s3cret-two"})
	e2, _ := newEngine(t, b, p, WithStateDir(root))
	if err := e2.Down(ctxT(t), DownOptions{}); err == nil {
		t.Fatal("down succeeded with its network's removal failing")
	}
	if ids := containerIDs(t, b.Backend); ids["two-web-1"] != "" {
		t.Fatalf("the down left two's container: %v", ids)
	}
	if _, err := os.Lstat(two); !os.IsNotExist(err) {
		t.Fatalf("a partial down left the state directory %s of removed containers: %v", two, err)
	}
}

// TestRollbackForgetsWhatItRemoved: a shared recorder's Rollback removes
// what the Ups made once; a second Rollback finds nothing to do and
// reports no removal again.
func TestRollbackForgetsWhatItRemoved(t *testing.T) {
	b := newFake()
	r := &Recorder{}
	var e *Engine
	var log *eventLog
	for _, svc := range []string{"db", "web"} {
		p := load(t, `
services:
  `+svc+`: {image: busybox, command: [sleep, "1000"]}
`)
		e, log = newEngine(t, b, p, WithRecorder(r))
		if err := e.Up(ctxT(t), UpOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if failures := e.Rollback(ctxT(t), r); len(failures) != 0 {
		t.Fatalf("rollback: %v", failures)
	}
	if ids := containerIDs(t, b); len(ids) != 0 {
		t.Fatalf("left after rollback: %v", ids)
	}
	removed := len(log.find(StatusRemoved, ""))
	if removed == 0 {
		t.Fatal("the rollback reported no removal")
	}
	if failures := e.Rollback(ctxT(t), r); len(failures) != 0 {
		t.Fatalf("second rollback: %v", failures)
	}
	if again := len(log.find(StatusRemoved, "")) - removed; again != 0 {
		t.Errorf("the second rollback reported %d removals of what was already gone", again)
	}
	if calls := callsOf(b, "Remove"); len(calls) != 2 {
		t.Errorf("Remove calls %q, want one per container", calls)
	}
}
