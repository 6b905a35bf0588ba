package workload

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/api"
	"github.com/perryts/perry-container/compose/engine"
	"github.com/perryts/perry-container/core"
	"github.com/perryts/perry-container/internal/testenv"
)

// Integration tests on the real Docker engine through the Engine API
// backend. They use the local image perry-test/busybox:latest
// only (never a pull from a registry; docs/design.md, Tests never need the internet), name every graph
// perrytest<random>, label everything perry.test=1, and clean up with Down
// and a label sweep. PERRY_SKIP_ENGINE_TESTS=1 skips them.

type realGraph struct {
	t       *testing.T
	b       *api.Backend
	name    string
	handles []*Handle
}

func newRealGraph(t *testing.T) *realGraph {
	t.Helper()
	b := testenv.RequireEngine(t)
	var suffix [4]byte
	_, _ = rand.Read(suffix[:])
	r := &realGraph{t: t, b: b, name: "perrytest" + hex.EncodeToString(suffix[:])}
	t.Cleanup(r.cleanup)
	return r
}

// A sleeper that exits at once on SIGTERM.
var realSleeper = []string{"sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"}

func realNode(id string, deps ...string) core.WorkloadNode {
	return core.WorkloadNode{ID: id, Image: testImage, Cmd: realSleeper, DependsOn: deps}
}

func (r *realGraph) opts() []Option {
	return []Option{WithLabels(map[string]string{"perry.test": "1"}), WithStateDir(r.t.TempDir()),
		WithEvents(func(ev engine.Event) { r.t.Logf("event %s %s %s %s", ev.Resource, ev.ID, ev.Status, ev.Text) })}
}

func (r *realGraph) run(g core.WorkloadGraph, o core.RunGraphOptions) (*Handle, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	h, err := Run(ctx, r.b, g, o, r.opts()...)
	if h != nil {
		r.handles = append(r.handles, h)
	}
	return h, err
}

func (r *realGraph) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	r.t.Cleanup(cancel)
	return ctx
}

// leftovers lists what carries the graph's project label.
func (r *realGraph) leftovers(ctx context.Context) []string {
	r.t.Helper()
	labels := map[string]string{engine.LabelProject: ProjectName(r.name)}
	var out []string
	cs, err := r.b.List(ctx, backend.ListOptions{All: true, Labels: labels})
	if err != nil {
		r.t.Fatal(err)
	}
	for _, c := range cs {
		out = append(out, "container "+c.Name)
	}
	ns, _ := r.b.ListNetworks(ctx, labels)
	for _, n := range ns {
		out = append(out, "network "+n.Name)
	}
	vs, _ := r.b.ListVolumes(ctx, labels)
	for _, v := range vs {
		out = append(out, "volume "+v.Name)
	}
	return out
}

func (r *realGraph) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, h := range r.handles {
		_ = h.Down(ctx, true)
	}
	labels := map[string]string{engine.LabelProject: ProjectName(r.name), "perry.test": "1"}
	cs, _ := r.b.List(ctx, backend.ListOptions{All: true, Labels: labels})
	for _, c := range cs {
		_ = r.b.Remove(ctx, c.ID, true)
	}
	ns, _ := r.b.ListNetworks(ctx, labels)
	for _, n := range ns {
		_ = r.b.RemoveNetwork(ctx, n.Name)
	}
	vs, _ := r.b.ListVolumes(ctx, labels)
	for _, v := range vs {
		_ = r.b.RemoveVolume(ctx, v.Name, true)
	}
}

// A 3-node graph with references and a healthy edge: the references are in
// the dependent's environment (exec env), status, exec, and down leaves
// nothing.
func TestIntegrationThreeNodeGraph(t *testing.T) {
	r := newRealGraph(t)
	db := realNode("db")
	db.Cmd = []string{"sh", "-c", "trap 'exit 0' TERM; sleep 1; touch /tmp/ready; sleep 1000 & wait"}
	db.Ports = []string{"5432"} // published on a random host port
	db.Healthcheck = &core.Healthcheck{Test: []string{"CMD", "test", "-f", "/tmp/ready"}, Interval: "300ms", Retries: 20}
	api := realNode("api")
	api.DependsOnConditions = map[string]string{"db": "healthy"}
	api.Env = map[string]core.WorkloadEnvValue{"DB_URL": ref("db", "internalUrl", "5432"), "DB_EP": ref("db", "endpoint", "5432"),
		"DB_IP": ref("db", "ip", ""), "MODE": lit("prod")}
	web := realNode("web", "api")
	g := graphOf(r.name, db, api, web)

	before, err := Inspect(r.ctx(), r.b, g)
	if err != nil || before.Healthy || before.Nodes["db"] != core.StatePending {
		t.Fatalf("inspect before: %+v %v", before, err)
	}
	h, err := r.run(g, core.RunGraphOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := r.ctx()
	st, err := h.Status(ctx)
	if err != nil || !st.Healthy || len(st.Nodes) != 3 {
		t.Fatalf("status: %+v %v", st, err)
	}
	ps, err := h.Ps(ctx)
	if err != nil || len(ps) != 3 {
		t.Fatalf("ps: %+v %v", ps, err)
	}
	dbInfo, err := r.b.Inspect(ctx, ps[0].ContainerID)
	if err != nil || ps[0].NodeID != "db" || dbInfo.IPAddress == "" || dbInfo.Health != "healthy" {
		t.Fatalf("db: %+v %v", dbInfo, err)
	}
	// The references are the container's environment, from its first instruction.
	out, err := h.Exec(ctx, "api", []string{"env"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"DB_URL=http://" + dbInfo.IPAddress + ":5432", "DB_IP=" + dbInfo.IPAddress, "MODE=prod"}
	for _, w := range want {
		if !strings.Contains(out.Stdout, w+"\n") {
			t.Fatalf("exec env lacks %s:\n%s", w, out.Stdout)
		}
	}
	ep, _ := ResolveRef(core.WorkloadRef{NodeID: "db", Projection: "endpoint", Port: "5432"}, dbInfo)
	if !strings.HasPrefix(ep, "127.0.0.1:") || !strings.Contains(out.Stdout, "DB_EP="+ep+"\n") || h.Resolved()["api"]["DB_EP"] != ep {
		t.Fatalf("endpoint %q; env:\n%s", ep, out.Stdout)
	}
	// api was created after db became healthy: its env holds db's real address.
	apiInfo, _ := r.b.Inspect(ctx, ps[1].ContainerID)
	if apiInfo.Created < dbInfo.Created {
		t.Fatalf("api created %s before db %s", apiInfo.Created, dbInfo.Created)
	}
	res, err := h.Exec(ctx, "web", []string{"sh", "-c", "exit 3"})
	if err != nil || res.ExitCode == nil || *res.ExitCode != 3 {
		t.Fatalf("exec exit code: %+v %v", res, err)
	}
	if err := h.Down(ctx, true); err != nil {
		t.Fatal(err)
	}
	if left := r.leftovers(ctx); len(left) > 0 {
		t.Fatalf("down left %v", left)
	}
}

// A bad image: rollback-all removes everything; partial-continue starts the
// independent node and skips the dependent of the failed one.
func TestIntegrationFailurePolicies(t *testing.T) {
	r := newRealGraph(t)
	bad := realNode("bad")
	bad.Image = "127.0.0.1:1/perry-test/no-such-image:latest" // a registry that refuses at once
	g := graphOf(r.name, realNode("a"), bad, realNode("child", "bad"), realNode("indep"))

	_, err := r.run(g, core.RunGraphOptions{})
	if ce := wantKind(t, err, core.KindServiceStartupFailed); ce.Details["node"] != "bad" {
		t.Fatalf("error %v", ce.Details)
	}
	ctx := r.ctx()
	if left := r.leftovers(ctx); len(left) > 0 {
		t.Fatalf("rollback left %v", left)
	}

	h, err := r.run(g, core.RunGraphOptions{OnFailure: "partial-continue", Strategy: "max-parallel"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := h.Status(ctx)
	if err != nil || st.Healthy || st.Nodes["a"] != core.StateRunning || st.Nodes["indep"] != core.StateRunning ||
		st.Nodes["bad"] != core.StateFailed || st.Nodes["child"] != core.StatePending {
		t.Fatalf("status: %+v %v", st, err)
	}
	if err := h.Down(ctx, false); err != nil {
		t.Fatal(err)
	}
	if left := r.leftovers(ctx); len(left) > 0 {
		t.Fatalf("down left %v", left)
	}
}

// isolated really has no network; hardened's root really is read-only, with
// the strict seccomp profile, no capabilities and no new privileges.
func TestIntegrationPolicies(t *testing.T) {
	r := newRealGraph(t)
	iso := realNode("iso")
	iso.Policy.Tier = "isolated"
	hard := realNode("hard")
	hard.Policy.Tier = "hardened"
	plain := realNode("plain")
	h, err := r.run(graphOf(r.name, iso, hard, plain), core.RunGraphOptions{Strategy: "parallel-safe", LevelDelayMs: zero()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := r.ctx()
	out, err := h.Exec(ctx, "iso", []string{"ls", "/sys/class/net"})
	if err != nil || strings.TrimSpace(out.Stdout) != "lo" {
		t.Fatalf("isolated interfaces: %q %v", out.Stdout, err)
	}
	out, err = h.Exec(ctx, "iso", []string{"wget", "-q", "-T", "2", "-O", "-", "http://1.1.1.1/"})
	if err != nil || out.ExitCode == nil || *out.ExitCode == 0 {
		t.Fatalf("wget from an isolated node: %+v %v", out, err)
	}
	out, err = h.Exec(ctx, "plain", []string{"ls", "/sys/class/net"})
	if err != nil || !strings.Contains(out.Stdout, "eth0") {
		t.Fatalf("default node interfaces: %q %v", out.Stdout, err)
	}

	out, err = h.Exec(ctx, "hard", []string{"touch", "/x"})
	if err != nil || out.ExitCode == nil || *out.ExitCode == 0 || !strings.Contains(out.Stderr, "Read-only") {
		t.Fatalf("touch / in a hardened node: %+v %v", out, err)
	}
	out, err = h.Exec(ctx, "plain", []string{"touch", "/x"})
	if err != nil || out.ExitCode == nil || *out.ExitCode != 0 {
		t.Fatalf("touch / in a default node: %+v %v", out, err)
	}
	// The strict profile denies unshare (Docker's default profile allows it
	// to root with CAP_SYS_ADMIN; here there is neither).
	out, err = h.Exec(ctx, "hard", []string{"unshare", "-n", "true"})
	if err != nil || out.ExitCode == nil || *out.ExitCode == 0 {
		t.Fatalf("unshare in a hardened node: %+v %v", out, err)
	}
	out, err = h.Exec(ctx, "hard", []string{"grep", "-E", "^(CapEff|NoNewPrivs|Seccomp):", "/proc/self/status"})
	if err != nil || !strings.Contains(out.Stdout, "CapEff:\t0000000000000000") || !strings.Contains(out.Stdout, "NoNewPrivs:\t1") ||
		!strings.Contains(out.Stdout, "Seccomp:\t2") {
		t.Fatalf("hardened process status:\n%s %v", out.Stdout, err)
	}
	ps, _ := h.Ps(ctx)
	names := []string{}
	for _, p := range ps {
		names = append(names, p.Name)
	}
	if !slices.Contains(names, ProjectName(r.name)+"-hard-1") {
		t.Fatalf("ps names: %v", names)
	}
	if err := h.Down(ctx, false); err != nil {
		t.Fatal(err)
	}
	if left := r.leftovers(ctx); len(left) > 0 {
		t.Fatalf("down left %v", left)
	}
}

// TestIntegrationStrategyWallTimes is the measurement, run only with
// PERRY_WORKLOAD_BENCH=1: a 12-node graph in 3 levels of 4 (each node
// depending on two of the level before), brought up with each strategy in
// one run, against the critical path of raw engine calls (create + start of
// three containers in a row, through the same backend).
func TestIntegrationStrategyWallTimes(t *testing.T) {
	if os.Getenv("PERRY_WORKLOAD_BENCH") != "1" {
		t.Skip("a measurement, not a test: set PERRY_WORKLOAD_BENCH=1 to run it")
	}
	r := newRealGraph(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	// The critical path: three containers created and started one after another.
	var raw time.Duration
	for i := 0; i < 3; i++ {
		start := time.Now()
		h, err := r.b.Create(ctx, &core.ContainerSpec{Image: testImage, Cmd: realSleeper,
			Name: r.name + "-raw-" + string(rune('a'+i)), Labels: map[string]string{"perry.test": "1", engine.LabelProject: ProjectName(r.name)}})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.b.Start(ctx, h.ID); err != nil {
			t.Fatal(err)
		}
		raw += time.Since(start)
		defer func() { _ = r.b.Remove(context.Background(), h.ID, true) }()
	}
	var nodes []core.WorkloadNode
	for level := 0; level < 3; level++ {
		for i := 0; i < 4; i++ {
			n := realNode(string(rune('a'+level)) + string(rune('0'+i)))
			if level > 0 {
				prev := string(rune('a' + level - 1))
				n.DependsOn = []string{prev + string(rune('0'+i)), prev + string(rune('0'+(i+1)%4))}
			}
			nodes = append(nodes, n)
		}
	}
	g := graphOf(r.name, nodes...)
	t.Logf("critical path of raw engine calls (3 x create+start): %v", raw.Round(time.Millisecond))
	for _, s := range strategies {
		start := time.Now()
		h, err := r.run(g, core.RunGraphOptions{Strategy: s})
		if err != nil {
			t.Fatal(err)
		}
		wall := time.Since(start)
		t.Logf("%-17s %8v  %.1fx the critical path", s, wall.Round(time.Millisecond), float64(wall)/float64(raw))
		if err := h.Down(ctx, false); err != nil {
			t.Fatal(err)
		}
	}
}
