package workload

import (
	"bytes"
	"context"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perryts/perry-container/backend/fake"
	"github.com/perryts/perry-container/compose/engine"
	"github.com/perryts/perry-container/core"
	"github.com/perryts/perry-container/internal/testenv"
)

func zero() *int { z := 0; return &z }

// A reference is resolved into the dependent's environment, in
// the ContainerSpec of its create, which comes after the target started.
func TestRefResolvedIntoEnvBeforeCreate(t *testing.T) {
	b := newRec()
	db := node("db")
	db.Ports = []string{"15432:5432"}
	api := node("api")
	api.Env = map[string]core.WorkloadEnvValue{"DB": ref("db", "endpoint", "5432"), "DB_IP": ref("db", "ip", ""),
		"DB_URL": ref("db", "internalUrl", "5432"), "MODE": lit("prod")}
	h, err := Run(ctxT(t), b, graphOf("refs", db, api), core.RunGraphOptions{}, testOpts(t)...)
	if err != nil {
		t.Fatal(err)
	}
	calls := b.Calls()
	if callIndex(calls, "Create", "") < 0 || callIndex(calls, "Start", "refs-db-1") > indexOfCreate(calls, "refs-api-1") {
		t.Fatalf("api created before db started: %v", calls)
	}
	ids := containerIDs(t, b)
	dbInfo, _ := b.Inspect(ctxT(t), ids["refs-db-1"])
	spec := b.spec(t, "refs", "api")
	want := map[string]string{"DB": "127.0.0.1:15432", "DB_IP": dbInfo.IPAddress, "DB_URL": "http://" + dbInfo.IPAddress + ":5432", "MODE": "prod"}
	if !reflect.DeepEqual(spec.Env, want) || dbInfo.IPAddress == "" {
		t.Fatalf("api created with env %v, want %v", spec.Env, want)
	}
	if !reflect.DeepEqual(h.Resolved(), map[string]map[string]string{"api": {"DB": want["DB"], "DB_IP": want["DB_IP"], "DB_URL": want["DB_URL"]}}) {
		t.Fatalf("handle keeps %v", h.Resolved())
	}
	out, err := h.Exec(ctxT(t), "api", []string{"env"})
	if err != nil || !strings.Contains(out.Stdout, "DB=127.0.0.1:15432\n") {
		t.Fatalf("exec env: %+v %v", out, err)
	}
}

func indexOfCreate(calls []fake.Call, name string) int {
	for i, c := range calls {
		if c.Method == "Create" && len(c.Args) > 1 && c.Args[1] == name {
			return i
		}
	}
	return -1
}

func TestUnresolvableRefFailsNamingNodeProjectionReason(t *testing.T) {
	b := newRec()
	db := node("db") // publishes nothing
	api := node("api")
	api.Env = map[string]core.WorkloadEnvValue{"DB": ref("db", "endpoint", "5432")}
	_, err := Run(ctxT(t), b, graphOf("refs", db, api), core.RunGraphOptions{}, testOpts(t)...)
	ce := wantKind(t, err, core.KindWorkloadRefResolutionFailed)
	if ce.Details["node"] != "api" || ce.Details["target"] != "db" || ce.Details["projection"] != "endpoint" || ce.Details["env"] != "DB" ||
		!strings.Contains(ce.Details["reason"].(string), "5432") {
		t.Fatalf("details: %v", ce.Details)
	}
	if left := leftovers(t, b); len(left) > 0 {
		t.Fatalf("rollback left %v", left)
	}
	if indexOfCreate(b.Calls(), "refs-api-1") >= 0 {
		t.Fatal("api was created with an unresolved reference")
	}
}

// A healthy edge (property P19, docs/design.md) waits until the dependency is healthy.
func TestHealthyEdgeWaitsForHealthy(t *testing.T) {
	b := newRec()
	var inspections atomic.Int32
	var healthyAt atomic.Int64
	b.Health = func(c core.ContainerInfo) string {
		if !strings.Contains(c.Name, "-db-") {
			return ""
		}
		if inspections.Add(1) < 6 {
			return "starting"
		}
		healthyAt.CompareAndSwap(0, time.Now().UnixNano())
		return "healthy"
	}
	db := node("db")
	db.Healthcheck = &core.Healthcheck{Test: []string{"CMD", "true"}}
	api := node("api")
	api.DependsOnConditions = map[string]string{"db": "healthy"}
	if _, err := Run(ctxT(t), b, graphOf("hc", db, api), core.RunGraphOptions{}, testOpts(t)...); err != nil {
		t.Fatal(err)
	}
	created, _, ok := b.interval("hc", "api")
	if !ok || healthyAt.Load() == 0 || created.UnixNano() < healthyAt.Load() {
		t.Fatalf("api created at %v, db healthy at %v", created.UnixNano(), healthyAt.Load())
	}
}

// A completed edge (property P19, docs/design.md) waits for exit 0.
func TestCompletedEdgeWaitsForExitZero(t *testing.T) {
	b := newRec()
	job := node("migrate") // runs until the test ends it
	api := node("api")
	api.DependsOnConditions = map[string]string{"migrate": "completed"}
	exited := make(chan time.Time, 1)
	go func() { // migrate exits 0 once it runs
		var at time.Time
		if testenv.Poll(time.Minute, func() bool { return running(b, "done-migrate-1") }) {
			at = time.Now()
			_ = b.Exit("done-migrate-1", 0)
		}
		exited <- at
	}()
	h, err := Run(ctxT(t), b, graphOf("done", job, api), core.RunGraphOptions{}, testOpts(t)...)
	if err != nil {
		t.Fatal(err)
	}
	exitedAt := <-exited
	created, _, _ := b.interval("done", "api")
	if exitedAt.IsZero() || created.Before(exitedAt) {
		t.Fatalf("api created at %v, migrate exited at %v", created, exitedAt)
	}
	st, _ := h.Status(ctxT(t))
	if !st.Healthy || st.Nodes["migrate"] != core.StateStopped || st.Nodes["api"] != core.StateRunning {
		t.Fatalf("status: %+v", st)
	}

	// A job that fails: the dependent never starts and the error names the job.
	b2 := newRec()
	job2 := node("migrate")
	job2.Cmd = []string{"sh", "-c", "exit 3"}
	_, err = Run(ctxT(t), b2, graphOf("done", job2, api), core.RunGraphOptions{}, testOpts(t)...)
	ce := wantKind(t, err, core.KindServiceStartupFailed)
	if ce.Details["node"] != "migrate" || indexOfCreate(b2.Calls(), "done-api-1") >= 0 {
		t.Fatalf("error %v details %v; calls %v", ce, ce.Details, b2.Calls())
	}
}

// Rollback-all removes everything this run created, nothing else, and
// names the failed node.
func TestRollbackAllLeavesNothing(t *testing.T) {
	for _, strategy := range strategies {
		t.Run(strategy, func(t *testing.T) {
			b := newRec()
			b.Inject(fake.Fault{Method: "Start", Match: "rb-bad-1", Err: core.Errorf(core.KindBackendError, "boom")})
			vol := node("a")
			vol.Volumes = []string{"data:/data"}
			g := graphOf("rb", vol, node("b", "a"), node("bad", "a"), node("c", "b"), node("d"))
			_, err := Run(ctxT(t), b, g, core.RunGraphOptions{Strategy: strategy, LevelDelayMs: zero()}, testOpts(t)...)
			ce := wantKind(t, err, core.KindServiceStartupFailed)
			if ce.Details["node"] != "bad" || !strings.Contains(ce.Message, `"bad"`) {
				t.Fatalf("error %v names %v", ce, ce.Details["node"])
			}
			if left := leftovers(t, b); len(left) > 0 {
				t.Fatalf("left after rollback: %v", left)
			}
		})
	}

	// What existed before the run is kept.
	b := newRec()
	if _, err := Run(ctxT(t), b, graphOf("keep", node("a")), core.RunGraphOptions{}, testOpts(t)...); err != nil {
		t.Fatal(err)
	}
	before := leftovers(t, b)
	b.Inject(fake.Fault{Method: "Start", Match: "keep-new-1", Err: core.Errorf(core.KindBackendError, "no space")})
	_, err := Run(ctxT(t), b, graphOf("keep", node("a"), node("new", "a")), core.RunGraphOptions{}, testOpts(t)...)
	if ce := wantKind(t, err, core.KindServiceStartupFailed); ce.Details["node"] != "new" {
		t.Fatalf("error: %v", ce.Details)
	}
	if after := leftovers(t, b); !reflect.DeepEqual(after, before) {
		t.Fatalf("rollback touched what existed before: %v -> %v", before, after)
	}
}

// Rollback-all is the compose engine's rollback: a removal that fails once
// (a transient runtime error) is retried, so nothing is left behind and no
// rollback error is reported.
func TestRollbackAllRetriesAFailedRemoval(t *testing.T) {
	b := newRec()
	b.Inject(fake.Fault{Method: "Start", Match: "rr-bad-1", Err: core.Errorf(core.KindBackendError, "boom")})
	b.Inject(fake.Fault{Method: "RemoveVolume", Match: "rr_data", N: 1, Err: core.Errorf(core.KindBackendError, "volume is busy")})
	vol := node("a")
	vol.Volumes = []string{"data:/data"}
	_, err := Run(ctxT(t), b, graphOf("rr", vol, node("bad", "a")), core.RunGraphOptions{}, testOpts(t)...)
	ce := wantKind(t, err, core.KindServiceStartupFailed)
	if problems, ok := ce.Details["rollbackErrors"]; ok {
		t.Fatalf("rollback errors after a transient failure: %v", problems)
	}
	if left := leftovers(t, b); len(left) > 0 {
		t.Fatalf("left after rollback: %v", left)
	}
	if n := len(slices.DeleteFunc(b.Methods(), func(m string) bool { return m != "RemoveVolume" })); n != 2 {
		t.Fatalf("RemoveVolume called %d times, want 2 (one failure, one retry)", n)
	}
}

// partial-continue skips the failed node's subtree and starts
// the independent rest; the run resolves with a partial handle.
func TestPartialContinue(t *testing.T) {
	for _, strategy := range strategies {
		t.Run(strategy, func(t *testing.T) {
			b := newRec()
			b.Inject(fake.Fault{Method: "Start", Match: "pc-bad-1", Err: core.Errorf(core.KindBackendError, "boom")})
			g := graphOf("pc", node("base"), node("bad", "base"), node("child", "bad"), node("grandchild", "child"), node("indep"), node("sibling", "base"))
			h, err := Run(ctxT(t), b, g, core.RunGraphOptions{Strategy: strategy, OnFailure: "partial-continue", LevelDelayMs: zero()}, testOpts(t)...)
			if err != nil || h == nil {
				t.Fatalf("partial-continue must resolve with a handle: %v", err)
			}
			for _, n := range []string{"child", "grandchild"} {
				if indexOfCreate(b.Calls(), "pc-"+n+"-1") >= 0 {
					t.Fatalf("%s was created although it depends on the failed node", n)
				}
			}
			st, err := h.Status(ctxT(t))
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]core.NodeState{"base": "running", "bad": "failed", "child": "pending", "grandchild": "pending", "indep": "running", "sibling": "running"}
			if !reflect.DeepEqual(st.Nodes, want) || st.Healthy {
				t.Fatalf("status %+v, want %v", st, want)
			}
			if !strings.Contains(st.Errors["bad"], "boom") || !strings.Contains(st.Errors["child"], `"bad"`) || !strings.Contains(st.Errors["grandchild"], `"child"`) {
				t.Fatalf("errors: %v", st.Errors)
			}
			ps, _ := h.Ps(ctxT(t))
			if len(ps) != 6 || ps[0].NodeID != "base" || ps[0].ContainerID == "" {
				t.Fatalf("ps: %+v", ps)
			}
		})
	}
}

// halt-graph starts nothing more, leaves running nodes running,
// rejects, and keeps a handle in partial state.
func TestHaltGraph(t *testing.T) {
	b := newRec()
	b.Inject(fake.Fault{Method: "Start", Match: "halt-b-1", Err: core.Errorf(core.KindBackendError, "boom")})
	h, err := Run(ctxT(t), b, graphOf("halt", node("a"), node("b", "a"), node("c", "b"), node("d", "a")),
		core.RunGraphOptions{Strategy: "sequential", OnFailure: "halt-graph"}, testOpts(t)...)
	ce := wantKind(t, err, core.KindServiceStartupFailed)
	if h == nil || ce.Details["node"] != "b" {
		t.Fatalf("handle %v, error %v", h, ce.Details)
	}
	st, _ := h.Status(ctxT(t))
	want := map[string]core.NodeState{"a": "running", "b": "failed", "c": "pending", "d": "pending"}
	if !reflect.DeepEqual(st.Nodes, want) || st.Healthy {
		t.Fatalf("status %+v, want %v", st, want)
	}
	if !strings.Contains(st.Errors["d"], "halt-graph") {
		t.Fatalf("errors %v", st.Errors)
	}
	if err := h.Down(ctxT(t), false); err != nil {
		t.Fatal(err)
	}
	if left := leftovers(t, b); len(left) > 0 {
		t.Fatalf("down left %v", left)
	}
}

// A dependency failing while a dependent waits on it: the error names the
// dependency (docs/design.md, Rollback), not the waiting node.
func TestErrorNamesTheFailedDependency(t *testing.T) {
	b := newRec()
	b.Health = func(c core.ContainerInfo) string {
		if strings.Contains(c.Name, "-db-") {
			return "unhealthy"
		}
		return ""
	}
	db := node("db")
	db.Healthcheck = &core.Healthcheck{Test: []string{"CMD", "false"}}
	api := node("api")
	api.DependsOnConditions = map[string]string{"db": "healthy"}
	_, err := Run(ctxT(t), b, graphOf("dep", db, api), core.RunGraphOptions{}, testOpts(t)...)
	ce := wantKind(t, err, core.KindServiceStartupFailed)
	if ce.Details["node"] != "db" || ce.Details["dependent"] != "api" {
		t.Fatalf("details %v", ce.Details)
	}
}

// The strategies' observable orders.
func TestStrategyOrders(t *testing.T) {
	// a and b independent, c depends on a; b is much slower to start than a.
	g := graphOf("ord", node("a"), node("b"), node("c", "a"))
	run := func(strategy string, delayMs int) *recBackend {
		b := newRec()
		b.startDelay["a"] = 100 * time.Millisecond
		b.startDelay["b"] = 500 * time.Millisecond
		if strategy == "dependency-aware" {
			// a and b of one level must be starting at once: their starts
			// wait for each other (a sequential run would time out).
			b.together = newBarrier(30*time.Second, "a", "b")
		}
		if _, err := Run(ctxT(t), b, g, core.RunGraphOptions{Strategy: strategy, LevelDelayMs: &delayMs}, testOpts(t)...); err != nil {
			t.Fatal(err)
		}
		return b
	}

	// sequential: creates and starts alternate, in topological order.
	b := run("sequential", 0)
	var seq []string
	for _, c := range b.Calls() {
		if c.Method == "Create" {
			seq = append(seq, "create "+c.Args[1])
		}
		if c.Method == "Start" {
			seq = append(seq, "start "+c.Args[0])
		}
	}
	want := []string{"create ord-a-1", "start ord-a-1", "create ord-b-1", "start ord-b-1", "create ord-c-1", "start ord-c-1"}
	if !slices.Equal(seq, want) {
		t.Fatalf("sequential: %v", seq)
	}

	// dependency-aware: c (level 1) waits for the whole level 0, slow b included.
	b = run("dependency-aware", 0)
	_, bStarted, _ := b.interval("ord", "b")
	cCreated, _, _ := b.interval("ord", "c")
	if cCreated.Before(bStarted) {
		t.Fatalf("dependency-aware: c created %v before level 0 finished (%v)", cCreated, bStarted)
	}
	if calls := b.Calls(); indexOfCreate(calls, "ord-c-1") < callIndex(calls, "Start", "ord-b-1") {
		t.Fatalf("dependency-aware: Create(c) before Start(b) in %v", calls)
	}
	if b.together.timedOut.Load() {
		t.Fatalf("dependency-aware: a and b of one level did not start together")
	}

	// max-parallel: c starts as soon as a has, while b is still starting.
	b = run("max-parallel", 0)
	_, bStarted, _ = b.interval("ord", "b")
	cCreated, _, _ = b.interval("ord", "c")
	if !cCreated.Before(bStarted) {
		t.Fatalf("max-parallel: c created %v only after b started %v", cCreated, bStarted)
	}
	if calls := b.Calls(); indexOfCreate(calls, "ord-c-1") > callIndex(calls, "Start", "ord-b-1") {
		t.Fatalf("max-parallel: Create(c) only after Start(b) in %v", calls)
	}

	// parallel-safe: level barriers plus the delay.
	b = run("parallel-safe", 120)
	_, aStarted, _ := b.interval("ord", "a")
	_, bStarted, _ = b.interval("ord", "b")
	cCreated, _, _ = b.interval("ord", "c")
	last := aStarted
	if bStarted.After(last) {
		last = bStarted
	}
	if gap := cCreated.Sub(last); gap < 120*time.Millisecond {
		t.Fatalf("parallel-safe: c created %v after level 0, want >= 120ms", gap)
	}
}

// max-parallel really overlaps independent nodes; sequential never does.
func TestMaxParallelOverlapsSequentialDoesNot(t *testing.T) {
	g := graphOf("ovl", node("x"), node("y"), node("z"), node("w", "x"))
	measure := func(strategy string) (map[string][2]time.Time, time.Duration) {
		b := newRec()
		for _, n := range []string{"x", "y", "z", "w"} {
			b.startDelay[n] = 200 * time.Millisecond
		}
		if strategy == "max-parallel" {
			// Each node's up first converts its project, which on a loaded
			// machine under -race can take longer than a 200 ms start: the
			// independent nodes' starts are held until all three are
			// starting, so their overlap is shown, not left to timing. A
			// runner that ran them one at a time would never get there.
			b.together = newBarrier(30*time.Second, "x", "y", "z")
		}
		start := time.Now()
		if _, err := Run(ctxT(t), b, g, core.RunGraphOptions{Strategy: strategy}, testOpts(t)...); err != nil {
			t.Fatal(err)
		}
		if b.together != nil && b.together.timedOut.Load() {
			t.Fatalf("%s: x, y and z were never starting at the same time (held 30 s for it)", strategy)
		}
		out := map[string][2]time.Time{}
		for _, n := range []string{"x", "y", "z", "w"} {
			from, to, ok := b.interval("ovl", n)
			if !ok {
				t.Fatalf("%s: no interval for %s", strategy, n)
			}
			out[n] = [2]time.Time{from, to}
		}
		return out, time.Since(start)
	}
	overlap := func(a, b [2]time.Time) bool { return a[0].Before(b[1]) && b[0].Before(a[1]) }

	par, parWall := measure("max-parallel")
	if !overlap(par["x"], par["y"]) || !overlap(par["y"], par["z"]) || !overlap(par["x"], par["z"]) {
		t.Fatalf("max-parallel did not overlap independent nodes: %v", par)
	}
	seq, seqWall := measure("sequential")
	names := []string{"x", "y", "z", "w"}
	for i, a := range names {
		for _, c := range names[i+1:] {
			if overlap(seq[a], seq[c]) {
				t.Fatalf("sequential overlapped %s and %s: %v %v", a, c, seq[a], seq[c])
			}
		}
	}
	if parWall >= seqWall {
		t.Fatalf("max-parallel (%v) not faster than sequential (%v)", parWall, seqWall)
	}
	t.Logf("4 nodes, 200 ms start each: max-parallel %v, sequential %v", parWall, seqWall)
}

// Running an unchanged graph again changes nothing (the engine converges).
func TestRunAgainIsIdempotent(t *testing.T) {
	b := newRec()
	db := node("db")
	db.Ports = []string{"15432:5432"}
	api := node("api")
	api.Env = map[string]core.WorkloadEnvValue{"DB": ref("db", "endpoint", "5432")}
	g := graphOf("again", db, api)
	if _, err := Run(ctxT(t), b, g, core.RunGraphOptions{}, testOpts(t)...); err != nil {
		t.Fatal(err)
	}
	b.ResetCalls()
	h, err := Run(ctxT(t), b, g, core.RunGraphOptions{}, testOpts(t)...)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range b.Methods() {
		if m == "Create" || m == "Start" || m == "Remove" || m == "CreateNetwork" {
			t.Fatalf("second run changed something: %v", b.Calls())
		}
	}
	if h.Resolved()["api"]["DB"] != "127.0.0.1:15432" {
		t.Fatalf("resolved %v", h.Resolved())
	}
}

func TestHandleOperationsAndInspect(t *testing.T) {
	b := newRec()
	g := graphOf("ops", node("db"), node("api", "db"))
	echo := node("job")
	echo.Cmd = []string{"sh", "-c", "echo hello; echo world"}
	g.Nodes["job"] = echo
	st, err := Inspect(ctxT(t), b, g, testOpts(t)...)
	if err != nil || st.Healthy || st.Nodes["db"] != core.StatePending || len(st.Nodes) != 3 {
		t.Fatalf("inspect before: %+v %v", st, err)
	}
	if m := b.Methods(); slices.ContainsFunc(m, func(s string) bool { return s == "Create" || s == "CreateNetwork" }) {
		t.Fatalf("inspect changed something: %v", m)
	}
	var evMu sync.Mutex
	var events []engine.Event
	h, err := Run(ctxT(t), b, g, core.RunGraphOptions{}, append(testOpts(t), WithLabels(map[string]string{"perry.test": "1"}),
		WithEvents(func(e engine.Event) { evMu.Lock(); events = append(events, e); evMu.Unlock() }))...)
	if err != nil {
		t.Fatal(err)
	}
	if h.Project() != "ops" || !slices.Equal(h.Nodes(), []string{"db", "api", "job"}) {
		t.Fatalf("project %q nodes %v", h.Project(), h.Nodes())
	}
	evMu.Lock()
	if len(events) == 0 {
		t.Error("no events")
	}
	evMu.Unlock()
	st, err = Inspect(ctxT(t), b, g, testOpts(t)...)
	if err != nil || !st.Healthy || st.Nodes["api"] != core.StateRunning || st.Nodes["job"] != core.StateStopped {
		t.Fatalf("inspect after: %+v %v", st, err)
	}
	if got := h.Graph(); len(got.Edges) != 1 || got.Edges[0] != (core.WorkloadEdge{From: "api", To: "db", Condition: "started"}) {
		t.Fatalf("graph: %+v", got)
	}
	logs, err := h.Logs(ctxT(t), "job", nil)
	if err != nil || logs.Stdout != "hello\nworld\n" {
		t.Fatalf("logs: %q %v", logs.Stdout, err)
	}
	one := 1
	logs, err = h.Logs(ctxT(t), "", &one)
	if err != nil || logs.Stdout != "job | world\n" {
		t.Fatalf("all logs: %q %v", logs.Stdout, err)
	}
	if _, err := h.Logs(ctxT(t), "nope", nil); core.KindOf(err) != core.KindNotFound {
		t.Fatalf("logs of an unknown node: %v", err)
	}
	out, err := h.Exec(ctxT(t), "api", []string{"sh", "-c", "exit 4"})
	if err != nil || out.ExitCode == nil || *out.ExitCode != 4 {
		t.Fatalf("exec: %+v %v", out, err)
	}
	if _, err := h.Exec(ctxT(t), "nope", []string{"true"}); core.KindOf(err) != core.KindNotFound {
		t.Fatalf("exec in an unknown node: %v", err)
	}
	ps, err := h.Ps(ctxT(t))
	if err != nil || len(ps) != 3 || ps[1].NodeID != "api" || ps[1].Name != "ops-api-1" || ps[1].State != "running" || ps[2].State != "stopped" {
		t.Fatalf("ps: %+v %v", ps, err)
	}
	for _, c := range b.specs {
		if c.Labels["perry.test"] != "1" || c.Labels[LabelGraph] != "ops" || c.Labels[engine.LabelProject] != "ops" {
			t.Fatalf("labels: %v", c.Labels)
		}
	}
	if err := h.Down(ctxT(t), true); err != nil {
		t.Fatal(err)
	}
	if left := leftovers(t, b); len(left) > 0 {
		t.Fatalf("down left %v", left)
	}
}

func TestTrustBoundaryWarning(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	b := newRec()
	b.isolation = core.IsolationMicroVM
	sandbox := node("sandbox", "db")
	sandbox.Policy.Tier = "untrusted"
	ack := node("ack")
	ack.Policy.Tier = "untrusted"
	g := graphOf("trust", node("db"), sandbox, ack)
	g.Edges = []core.WorkloadEdge{{From: "ack", To: "db", TrustBoundary: true, LatencyClass: "batch"}}
	if _, err := Run(ctxT(t), b, g, core.RunGraphOptions{}, append(testOpts(t), WithLogger(logger))...); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "WorkloadGraph trust boundary crossing: untrusted node 'sandbox' depends on trusted node 'db'") {
		t.Fatalf("no warning: %s", out)
	}
	if strings.Contains(out, "untrusted node 'ack'") || !strings.Contains(out, "latencyClass=batch") {
		t.Fatalf("acknowledged crossing warned, or hints not logged: %s", out)
	}
}

func TestRunRejectsBadOptions(t *testing.T) {
	b := newRec()
	for _, o := range []core.RunGraphOptions{{Strategy: "fastest"}, {OnFailure: "ignore"}, {LevelDelayMs: func() *int { n := -1; return &n }()}} {
		if _, err := Run(ctxT(t), b, graphOf("g", node("a")), o, testOpts(t)...); core.KindOf(err) != core.KindInvalidArgument {
			t.Errorf("%+v: %v", o, err)
		}
	}
	if len(b.Calls()) != 0 {
		t.Fatalf("calls: %v", b.Calls())
	}
}

func TestCancelledRunRollsBack(t *testing.T) {
	b := newRec()
	b.startDelay["slow"] = 5 * time.Second
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { // cancelled once fast runs, while slow is starting
		testenv.Poll(time.Minute, func() bool { return ctx.Err() != nil || running(b, "cx-fast-1") })
		cancel()
	}()
	_, err := Run(ctx, b, graphOf("cx", node("fast"), node("slow", "fast")), core.RunGraphOptions{}, testOpts(t)...)
	if k := core.KindOf(err); k != core.KindCancelled {
		t.Fatalf("want Cancelled, got %v", err)
	}
	if left := leftovers(t, b); len(left) > 0 {
		t.Fatalf("left %v", left)
	}
}

// A graph meant for Swarm never runs locally by mistake: Run refuses any
// target but local, before any engine call.
func TestRunRefusesAnotherTarget(t *testing.T) {
	b := newRec()
	for _, target := range []string{"swarm", "kubernetes"} {
		_, err := Run(ctxT(t), b, graphOf("tg", node("a")), core.RunGraphOptions{Target: target}, testOpts(t)...)
		if core.KindOf(err) != core.KindInvalidArgument || !strings.Contains(err.Error(), "opts.target") {
			t.Fatalf("target %q: %v", target, err)
		}
	}
	if _, err := Run(ctxT(t), b, graphOf("tl", node("a")), core.RunGraphOptions{Target: "local"}, testOpts(t)...); err != nil {
		t.Fatalf("target local: %v", err)
	}
}
