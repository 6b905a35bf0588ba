package workload

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perryts/perry-container/backend"
	cswarm "github.com/perryts/perry-container/compose/swarm"
	"github.com/perryts/perry-container/core"
	"github.com/perryts/perry-container/internal/testenv"
)

// swarmGraph is the graph of the Swarm tests: db (healthy once it listens)
// ← migrate (a one-shot awaited as completed, which reaches db through its
// reference) ← api (references to db's host and URL).
func swarmGraph(name string) core.WorkloadGraph {
	db := core.WorkloadNode{ID: "db", Image: testImage,
		Cmd:         []string{"sh", "-c", "trap 'exit 0' TERM; touch /tmp/ready; while true; do echo pong | nc -l -p 5432 & wait; done"},
		Healthcheck: &core.Healthcheck{Test: []string{"CMD", "test", "-f", "/tmp/ready"}, Interval: "300ms", Retries: 20},
		Resources:   &core.Resources{CPU: "0.5", Memory: "64m"}, Labels: map[string]string{"role": "db"}}
	migrate := core.WorkloadNode{ID: "migrate", Image: testImage,
		// The job's own retry: a dnsrr name is registered when the task runs.
		Cmd: []string{"sh", "-c", `for i in $(seq 1 40); do nslookup "$DB_HOST" >/dev/null 2>&1 && echo hi | nc -w 2 "$DB_HOST" 5432 && exit 0; sleep 0.25; done; exit 1`},
		Env: map[string]core.WorkloadEnvValue{"DB_HOST": ref("db", "ip", "")},
		// dependsOn with a condition, as js_workload_node fills it
		DependsOnConditions: map[string]string{"db": "healthy"}}
	api := core.WorkloadNode{ID: "api", Image: testImage, Cmd: realSleeper,
		Env: map[string]core.WorkloadEnvValue{"DB_HOST": ref("db", "ip", ""), "DB_URL": ref("db", "internalUrl", "5432"),
			"DB_EP": ref("db", "endpoint", "5432"), "MODE": lit("prod")},
		DependsOnConditions: map[string]string{"migrate": "completed"}}
	return graphOf(name, db, migrate, api)
}

// The mapping of a graph with references onto the Swarm project: services
// with dnsrr, references resolved to the service's DNS name, the completed
// dependency a job, resources as deploy limits, ports in mode host, labels
// everywhere; and the Swarm target's converter accepts it.
func TestSwarmProjectMapping(t *testing.T) {
	g := swarmGraph("My Graph")
	g.Nodes["api"] = func(n core.WorkloadNode) core.WorkloadNode { n.Ports = []string{"8080:80"}; return n }(g.Nodes["api"])
	ng, err := Normalize(g)
	if err != nil {
		t.Fatal(err)
	}
	p, refs, err := SwarmProject(context.Background(), ng, map[string]string{"perry.test": "1"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "my_graph" && p.Name != ProjectName("My Graph") {
		t.Fatalf("project %q", p.Name)
	}
	host := ProjectName("My Graph") + "_db"
	want := map[string]map[string]string{
		"migrate": {"DB_HOST": host},
		"api":     {"DB_HOST": host, "DB_URL": "http://" + host + ":5432", "DB_EP": host + ":5432"},
	}
	if a, b := mustJSON(t, refs), mustJSON(t, want); a != b {
		t.Fatalf("resolved %s, want %s", a, b)
	}
	api := p.Services["api"]
	if v := api.Environment["DB_HOST"]; v == nil || *v != host {
		t.Fatalf("api env %v", api.Environment)
	}
	if v := api.Environment["MODE"]; v == nil || *v != "prod" {
		t.Fatalf("api literal env %v", api.Environment)
	}
	for name, s := range p.Services {
		if s.Deploy == nil || s.Deploy.EndpointMode != "dnsrr" || s.Deploy.Labels["perry.test"] != "1" || s.Deploy.Labels[LabelGraph] != "My Graph" {
			t.Fatalf("%s deploy %+v", name, s.Deploy)
		}
		if s.Labels["perry.test"] != "1" {
			t.Fatalf("%s labels %v", name, s.Labels)
		}
	}
	if len(api.Ports) != 1 || api.Ports[0].Mode != "host" || api.Ports[0].Target != 80 || api.Ports[0].Published != "8080" {
		t.Fatalf("api ports %+v", api.Ports)
	}
	db := p.Services["db"]
	if db.Deploy.Labels["role"] != "db" || db.Labels["role"] != "db" {
		t.Fatalf("a node's labels go on its service and its containers: %v %v", db.Deploy.Labels, db.Labels)
	}
	if db.CPUS != 0 || db.MemLimit != 0 || db.Deploy.Resources.Limits == nil ||
		db.Deploy.Resources.Limits.NanoCPUs != 0.5 || db.Deploy.Resources.Limits.MemoryBytes != 64<<20 {
		t.Fatalf("db resources %+v %+v", db.Deploy.Resources, db)
	}
	for k, n := range p.Networks {
		if n.Labels["perry.test"] != "1" {
			t.Fatalf("network %s labels %v", k, n.Labels)
		}
	}
	pl, err := cswarm.Convert(p, func(string) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	if !pl.Services["migrate"].Job || pl.Services["db"].Job || pl.Services["api"].Job {
		t.Fatalf("jobs: migrate %v db %v api %v", pl.Services["migrate"].Job, pl.Services["db"].Job, pl.Services["api"].Job)
	}
	spec := pl.Services["api"].Spec
	if spec.Name != host[:len(host)-len("db")]+"api" || spec.EndpointSpec == nil || spec.EndpointSpec.Mode != "dnsrr" {
		t.Fatalf("api spec %s %+v", spec.Name, spec.EndpointSpec)
	}
	if !slices.Contains(spec.TaskTemplate.ContainerSpec.Env, "DB_HOST="+host) {
		t.Fatalf("api container env %v", spec.TaskTemplate.ContainerSpec.Env)
	}
	if r := pl.Services["db"].Spec.TaskTemplate.Resources; r == nil || r.Limits == nil || r.Limits.NanoCPUs != 5e8 || r.Limits.MemoryBytes != 64<<20 {
		t.Fatalf("db limits %+v", r)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// What Swarm cannot do is refused before any engine call (RunSwarm is given
// no target at all), naming the option or the node's field.
func TestSwarmRefusals(t *testing.T) {
	delay := -1
	node := func(mut func(*core.WorkloadNode)) core.WorkloadGraph {
		g := swarmGraph("refused")
		n := g.Nodes["api"]
		mut(&n)
		g.Nodes["api"] = n
		return g
	}
	cases := []struct {
		name  string
		g     core.WorkloadGraph
		opts  core.RunGraphOptions
		kind  core.Kind
		field string // in the message
	}{
		{"partial-continue", swarmGraph("r"), core.RunGraphOptions{OnFailure: "partial-continue"}, core.KindInvalidArgument, "opts.onFailure"},
		{"partial-continue by level", swarmGraph("r"), core.RunGraphOptions{Strategy: "parallel-safe", OnFailure: "partial-continue"}, core.KindInvalidArgument, "opts.onFailure"},
		{"unknown strategy", swarmGraph("r"), core.RunGraphOptions{Strategy: "fast"}, core.KindInvalidArgument, "opts.strategy"},
		{"negative delay", swarmGraph("r"), core.RunGraphOptions{Strategy: "parallel-safe", LevelDelayMs: &delay}, core.KindInvalidArgument, "opts.levelDelayMs"},
		{"untrusted", node(func(n *core.WorkloadNode) { n.Policy.Tier = TierUntrusted }), core.RunGraphOptions{}, core.KindInvalidArgument, "nodes.api.policy.tier"},
		{"hardened", node(func(n *core.WorkloadNode) { n.Policy.Tier = TierHardened }), core.RunGraphOptions{}, core.KindInvalidArgument, "seccomp"},
		{"seccomp", node(func(n *core.WorkloadNode) { n.Policy.Seccomp = true }), core.RunGraphOptions{}, core.KindInvalidArgument, "policy seccomp"},
		{"isolated", node(func(n *core.WorkloadNode) { n.Policy.Tier = TierIsolated }), core.RunGraphOptions{}, core.KindInvalidArgument, "overlay network"},
		{"noNetwork", node(func(n *core.WorkloadNode) { n.Policy.NoNetwork = true }), core.RunGraphOptions{}, core.KindInvalidArgument, "policy noNetwork"},
		{"microvm", node(func(n *core.WorkloadNode) { n.Runtime.Type = RuntimeMicroVM }), core.RunGraphOptions{}, core.KindInvalidArgument, "nodes.api.runtime.type"},
		{"networkMode", node(func(n *core.WorkloadNode) { n.NetworkMode = "host" }), core.RunGraphOptions{}, core.KindInvalidArgument, "nodes.api.networkMode"},
		{"ref without port", node(func(n *core.WorkloadNode) { n.Env["X"] = ref("db", "internalUrl", "") }), core.RunGraphOptions{}, core.KindWorkloadRefResolutionFailed, "give the reference a port"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, err := RunSwarm(context.Background(), nil, c.g, c.opts)
			if h != nil || core.KindOf(err) != c.kind || !strings.Contains(err.Error(), c.field) {
				t.Fatalf("got %v, %v; want %s naming %q", h, err, c.kind, c.field)
			}
			if verr := ValidateSwarm(c.g, c.opts); verr == nil || verr.Error() != err.Error() {
				t.Fatalf("ValidateSwarm: %v, RunSwarm: %v", verr, err)
			}
			if strings.HasPrefix(c.field, "nodes.") && !strings.Contains(err.Error(), "not available on Swarm") {
				t.Fatalf("%v does not say Swarm", err)
			}
		})
	}
	for _, st := range strategies {
		if err := ValidateSwarm(swarmGraph("ok"), core.RunGraphOptions{Strategy: st, OnFailure: OnFailureHaltGraph}); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
	for _, st := range []string{StrategySequential, StrategyMaxParallel} {
		if err := ValidateSwarm(swarmGraph("ok"), core.RunGraphOptions{Strategy: st, OnFailure: OnFailurePartialContinue}); err != nil {
			t.Fatalf("%s partial-continue: %v", st, err)
		}
	}
	// readOnlyRoot alone maps.
	g := node(func(n *core.WorkloadNode) { n.Policy.ReadOnlyRoot = true })
	ng, _ := Normalize(g)
	p, _, err := SwarmProject(context.Background(), ng, nil)
	if err != nil || !p.Services["api"].ReadOnly {
		t.Fatalf("readOnlyRoot: %v", err)
	}
}

// swarmRun is one real Swarm test's target and graph; everything of the
// stack is removed when the test ends.
type swarmRun struct {
	t      *testing.T
	target *cswarm.Target
	name   string
	mu     sync.Mutex
	ops    []string
	at     map[string]time.Time // op → when it was observed (the last time)
}

func newSwarmRun(t *testing.T) *swarmRun {
	t.Helper()
	c := testenv.RequireSwarm(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tg, err := cswarm.FromClient(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	tg.Poll = 100 * time.Millisecond
	var suffix [4]byte
	_, _ = rand.Read(suffix[:])
	r := &swarmRun{t: t, target: tg, name: "perryswarm" + hex.EncodeToString(suffix[:])}
	r.at = map[string]time.Time{}
	tg.Observe = func(op string) {
		r.mu.Lock()
		r.ops = append(r.ops, op)
		r.at[op] = time.Now()
		r.mu.Unlock()
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := tg.Down(ctx, ProjectName(r.name), cswarm.DownOptions{Volumes: true}); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	return r
}

// creates are the services created since the last call, in order.
func (r *swarmRun) creates() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, op := range r.ops {
		if name, ok := strings.CutPrefix(op, "create service "); ok {
			out = append(out, name)
		}
	}
	r.ops = nil
	return out
}

// createdAt is when service name was created.
func (r *swarmRun) createdAt(name string) time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.at["create service "+name]
}

// leftovers lists the services, networks and containers of the graph's
// stack, found by its namespace label and the test label.
func (r *swarmRun) leftovers(ctx context.Context) []string {
	r.t.Helper()
	c := r.target.Client()
	var out []string
	for _, labels := range []map[string]string{{cswarm.LabelNamespace: ProjectName(r.name)}, {"perry.test": "1", LabelGraph: r.name}} {
		ss, err := c.ListServices(ctx, labels)
		if err != nil {
			r.t.Fatal(err)
		}
		for _, s := range ss {
			out = append(out, "service "+s.Spec.Name)
		}
	}
	ns, err := c.ListNetworks(ctx, map[string]string{cswarm.LabelNamespace: ProjectName(r.name)})
	if err != nil {
		r.t.Fatal(err)
	}
	for _, n := range ns {
		out = append(out, "network "+n.Name)
	}
	cs, err := c.Local().List(ctx, backend.ListOptions{All: true, Labels: map[string]string{cswarm.LabelNamespace: ProjectName(r.name)}})
	if err != nil {
		r.t.Fatal(err)
	}
	for _, k := range cs {
		out = append(out, "container "+k.Name)
	}
	return out
}

// The 3-node graph on the real single-node swarm: deployed in order (db
// healthy, then the job, which reaches db by the name its reference
// resolved to, completed, then api), api's environment holds db's DNS name
// and a task reaches db through it, status/ps/logs see the stack, and down
// leaves nothing with the stack's label.
func TestIntegrationSwarmGraph(t *testing.T) {
	r := newSwarmRun(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	h, err := RunSwarm(ctx, r.target, swarmGraph(r.name), core.RunGraphOptions{}, WithLabels(map[string]string{"perry.test": "1"}))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("graph up on swarm in %v", time.Since(start))
	project := ProjectName(r.name)
	if h.Project() != project || !slices.Equal(h.Nodes(), []string{"db", "migrate", "api"}) {
		t.Fatalf("handle %s %v", h.Project(), h.Nodes())
	}
	if creates := r.creates(); !slices.Equal(creates, []string{project + "_db", project + "_migrate", project + "_api"}) {
		t.Fatalf("creates %v", creates)
	}

	st, err := h.Status(ctx)
	if err != nil || !st.Healthy || st.Nodes["db"] != core.StateRunning || st.Nodes["migrate"] != core.StateStopped || st.Nodes["api"] != core.StateRunning {
		t.Fatalf("status %+v %v", st, err)
	}
	host := project + "_db"
	out, err := h.Exec(ctx, "api", []string{"env"})
	if err != nil || !strings.Contains(out.Stdout, "DB_HOST="+host+"\n") || !strings.Contains(out.Stdout, "DB_URL=http://"+host+":5432\n") {
		t.Fatalf("api env: %v\n%s", err, out.Stdout)
	}
	// From api's task, db's name resolves (dnsrr: to its task) and db answers.
	out, err = h.Exec(ctx, "api", []string{"sh", "-c", "nslookup " + host + " && echo hi | nc -w 2 " + host + " 5432"})
	if err != nil || out.ExitCode == nil || *out.ExitCode != 0 || !strings.Contains(out.Stdout, "pong") {
		t.Fatalf("api → db: %v %v\n%s%s", err, out.ExitCode, out.Stdout, out.Stderr)
	}
	ps, err := h.Ps(ctx)
	if err != nil || len(ps) != 3 || ps[0].NodeID != "db" || !strings.HasPrefix(ps[0].Name, host+".") || ps[0].ContainerID == "" {
		t.Fatalf("ps %+v %v", ps, err)
	}
	// The job reached db (its nc printed db's answer).
	testenv.Eventually(t, 20*time.Second, "the job's logs", func() bool {
		l, err := h.Logs(ctx, "migrate", nil)
		return err == nil && strings.Contains(l.Stdout, "pong")
	})
	if _, err := h.Logs(ctx, "nope", nil); core.KindOf(err) != core.KindNotFound {
		t.Fatalf("unknown node logs: %v", err)
	}

	if err := h.Down(ctx, true); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 30*time.Second, "the stack to be gone", func() bool { return len(r.leftovers(ctx)) == 0 })
}

// rollback-all: a node whose task fails removes what the deploy created;
// halt-graph keeps it and returns the handle with the error naming the
// node.
func TestIntegrationSwarmFailurePolicies(t *testing.T) {
	r := newSwarmRun(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	g := swarmGraph(r.name)
	m := g.Nodes["migrate"]
	m.Cmd = []string{"sh", "-c", "exit 3"}
	g.Nodes["migrate"] = m
	labels := WithLabels(map[string]string{"perry.test": "1"})
	h, err := RunSwarm(ctx, r.target, g, core.RunGraphOptions{}, labels)
	if h != nil || err == nil || core.AsError(err).Details["node"] != "migrate" {
		t.Fatalf("rollback-all: %v %v", h, err)
	}
	testenv.Eventually(t, 30*time.Second, "rollback to remove the stack", func() bool { return len(r.leftovers(ctx)) == 0 })
	// A stepwise run's rollback removes what its earlier steps created too.
	r.creates()
	h, err = RunSwarm(ctx, r.target, g, core.RunGraphOptions{Strategy: StrategySequential}, labels)
	if h != nil || err == nil || core.AsError(err).Details["node"] != "migrate" {
		t.Fatalf("sequential rollback-all: %v %v", h, err)
	}
	if creates := r.creates(); !slices.Contains(creates, ProjectName(r.name)+"_db") {
		t.Fatalf("sequential: db was not created before migrate failed: %v", creates)
	}
	testenv.Eventually(t, 30*time.Second, "the sequential run's rollback to remove the stack", func() bool { return len(r.leftovers(ctx)) == 0 })

	h, err = RunSwarm(ctx, r.target, g, core.RunGraphOptions{OnFailure: OnFailureHaltGraph}, labels)
	if h == nil || err == nil || core.AsError(err).Details["node"] != "migrate" {
		t.Fatalf("halt-graph: %v %v", h, err)
	}
	st, err := h.Status(ctx)
	if err != nil || st.Healthy || st.Nodes["db"] != core.StateRunning || st.Nodes["migrate"] != core.StateFailed || st.Nodes["api"] != core.StatePending {
		t.Fatalf("halt-graph status %+v %v", st, err)
	}
	if err := h.Down(ctx, false); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 30*time.Second, "the stack to be gone", func() bool { return len(r.leftovers(ctx)) == 0 })
}

// partial-continue with the per-node strategies: the failed job stays
// failed, its dependent is skipped, the independent node is deployed, and
// the run returns the handle without an error.
func TestIntegrationSwarmPartialContinue(t *testing.T) {
	for _, strategy := range []string{StrategySequential, StrategyMaxParallel} {
		t.Run(strategy, func(t *testing.T) {
			t.Parallel() // one stack each
			r := newSwarmRun(t)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			g := swarmGraph(r.name)
			m := g.Nodes["migrate"]
			m.Cmd = []string{"sh", "-c", "exit 3"}
			g.Nodes["migrate"] = m
			g.Nodes["side"] = core.WorkloadNode{ID: "side", Image: testImage, Cmd: realSleeper}
			h, err := RunSwarm(ctx, r.target, g, core.RunGraphOptions{Strategy: strategy, OnFailure: OnFailurePartialContinue},
				WithLabels(map[string]string{"perry.test": "1"}))
			if err != nil || h == nil {
				t.Fatalf("partial-continue: %v %v", h, err)
			}
			f := h.Failures()
			if len(f) != 2 || f["migrate"] == "" || !strings.Contains(f["api"], `"migrate"`) {
				t.Fatalf("failures %v", f)
			}
			st, err := h.Status(ctx)
			if err != nil || st.Healthy || st.Nodes["db"] != core.StateRunning || st.Nodes["side"] != core.StateRunning ||
				st.Nodes["migrate"] != core.StateFailed || st.Nodes["api"] != core.StatePending || st.Errors["api"] == "" {
				t.Fatalf("status %+v %v", st, err)
			}
			if err := h.Down(ctx, false); err != nil {
				t.Fatal(err)
			}
			testenv.Eventually(t, 30*time.Second, "the stack to be gone", func() bool { return len(r.leftovers(ctx)) == 0 })
		})
	}
}

// The stepwise strategies on Swarm, with an independent node beside the
// chain: sequential creates one node at a time in topological order,
// parallel-safe pauses levelDelayMs between levels, max-parallel creates
// the chain as its dependencies allow; each run ends with every node up,
// and down leaves nothing.
func TestIntegrationSwarmStrategies(t *testing.T) {
	delay := 700
	for _, o := range []core.RunGraphOptions{{Strategy: StrategySequential}, {Strategy: StrategyParallelSafe, LevelDelayMs: &delay}, {Strategy: StrategyMaxParallel}} {
		t.Run(o.Strategy, func(t *testing.T) {
			t.Parallel() // one stack each
			swarmStrategy(t, o)
		})
	}
}

func swarmStrategy(t *testing.T, o core.RunGraphOptions) {
	r := newSwarmRun(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	g := swarmGraph(r.name)
	g.Nodes["side"] = core.WorkloadNode{ID: "side", Image: testImage, Cmd: realSleeper}
	project := ProjectName(r.name)
	start := time.Now()
	h, err := RunSwarm(ctx, r.target, g, o, WithLabels(map[string]string{"perry.test": "1"}))
	if err != nil {
		t.Fatalf("%s: %v", o.Strategy, err)
	}
	t.Logf("%s: graph up on swarm in %v", o.Strategy, time.Since(start))
	creates := r.creates()
	want := []string{}
	for _, id := range h.Nodes() {
		want = append(want, project+"_"+id)
	}
	switch o.Strategy {
	case StrategySequential:
		if !slices.Equal(creates, want) {
			t.Fatalf("sequential creates %v, want %v", creates, want)
		}
	case StrategyParallelSafe:
		slices.Sort(creates)
		slices.Sort(want)
		if !slices.Equal(creates, want) {
			t.Fatalf("parallel-safe creates %v", creates)
		}
		if gap := r.createdAt(project + "_migrate").Sub(r.createdAt(project + "_db")); gap < time.Duration(*o.LevelDelayMs)*time.Millisecond {
			t.Fatalf("parallel-safe: migrate created %v after db, want ≥ %dms", gap, *o.LevelDelayMs)
		}
	case StrategyMaxParallel:
		if len(creates) != 4 || slices.Index(creates, project+"_db") > slices.Index(creates, project+"_migrate") ||
			slices.Index(creates, project+"_migrate") > slices.Index(creates, project+"_api") {
			t.Fatalf("max-parallel creates %v", creates)
		}
	}
	st, err := h.Status(ctx)
	if err != nil || !st.Healthy || st.Nodes["migrate"] != core.StateStopped || st.Nodes["side"] != core.StateRunning {
		t.Fatalf("%s status %+v %v", o.Strategy, st, err)
	}
	if err := h.Down(ctx, false); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 30*time.Second, "the stack to be gone", func() bool { return len(r.leftovers(ctx)) == 0 })
}

// The same graph's up time on the local engine, to compare with the Swarm
// figure TestIntegrationSwarmGraph logs (PERRY_WORKLOAD_TIMING=1).
func TestIntegrationLocalGraphUpTime(t *testing.T) {
	if os.Getenv("PERRY_WORKLOAD_TIMING") == "" {
		t.Skip("PERRY_WORKLOAD_TIMING=1 measures the local up time")
	}
	r := newRealGraph(t)
	g := swarmGraph(r.name)
	db := g.Nodes["db"]
	db.Ports = []string{"5432"} // the endpoint projection is a published port locally
	g.Nodes["db"] = db
	start := time.Now()
	if _, err := r.run(g, core.RunGraphOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Logf("graph up on the local engine in %v", time.Since(start))
}
