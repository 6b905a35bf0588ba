package workload

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"maps"
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

const testImage = "perry-test/busybox:latest"

// recBackend is the fake engine plus what the tests observe beyond its call
// log: the ContainerSpec of every Create, timestamps of creates and starts,
// per-node start delays, and the isolation level Info reports.
type recBackend struct {
	*fake.Backend
	isolation core.IsolationLevel // "" keeps the fake's (Container)

	mu         sync.Mutex
	specs      map[string]core.ContainerSpec // container name → spec
	log        []stamp
	startDelay map[string]time.Duration // node id → delay before its start
	// together, when set, holds the starts of its nodes until all of them
	// are starting at once (or it gives up): proof that they overlap which
	// no slow machine can fake.
	together *barrier
}

// barrier lets its nodes' starts through once all of them have arrived, or
// after wait; then timedOut says whether they never were all there.
type barrier struct {
	nodes    []string
	wait     time.Duration
	mu       sync.Mutex
	arrived  map[string]bool
	all      chan struct{}
	timedOut atomic.Bool
}

func newBarrier(wait time.Duration, nodes ...string) *barrier {
	return &barrier{nodes: nodes, wait: wait, arrived: map[string]bool{}, all: make(chan struct{})}
}

// arrive holds the start of the container id until the barrier opens, if
// id is one of its nodes' containers.
func (b *barrier) arrive(ctx context.Context, id string) {
	node := ""
	for _, n := range b.nodes {
		if strings.Contains(id, "-"+n+"-") {
			node = n
		}
	}
	if node == "" {
		return
	}
	b.mu.Lock()
	b.arrived[node] = true
	if len(b.arrived) == len(b.nodes) {
		close(b.all)
	}
	b.mu.Unlock()
	t := time.NewTimer(b.wait)
	defer t.Stop()
	select {
	case <-b.all:
	case <-t.C:
		b.timedOut.Store(true)
	case <-ctx.Done():
	}
}

type stamp struct {
	op   string // create | started
	name string
	at   time.Time
}

func newRec() *recBackend {
	return &recBackend{Backend: fake.New(testImage), specs: map[string]core.ContainerSpec{}, startDelay: map[string]time.Duration{}}
}

var _ backend.Backend = (*recBackend)(nil)

func (r *recBackend) Info(ctx context.Context) (core.BackendInfo, error) {
	info, err := r.Backend.Info(ctx)
	if r.isolation != "" {
		info.IsolationLevel = r.isolation
	}
	return info, err
}

func (r *recBackend) note(op, name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, stamp{op: op, name: name, at: time.Now()})
}

func (r *recBackend) Create(ctx context.Context, spec *core.ContainerSpec) (core.ContainerHandle, error) {
	r.mu.Lock()
	cp := *spec
	r.specs[spec.Name] = cp
	r.mu.Unlock()
	r.note("create", spec.Name)
	return r.Backend.Create(ctx, spec)
}

func (r *recBackend) Start(ctx context.Context, id string) error {
	r.mu.Lock()
	var d time.Duration
	for node, delay := range r.startDelay {
		if strings.Contains(id, "-"+node+"-") {
			d = delay
		}
	}
	together := r.together
	r.mu.Unlock()
	if together != nil {
		together.arrive(ctx, id)
	}
	if d > 0 {
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return core.AsError(ctx.Err())
		}
	}
	err := r.Backend.Start(ctx, id)
	r.note("started", id)
	return err
}

// spec returns the ContainerSpec a node's container was created with.
func (r *recBackend) spec(t testing.TB, project, node string) core.ContainerSpec {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.specs[project+"-"+node+"-1"]
	if !ok {
		t.Fatalf("no container was created for node %s (created: %v)", node, slices.Sorted(maps.Keys(r.specs)))
	}
	return s
}

// interval returns when a node's container was created and when its start
// returned.
func (r *recBackend) interval(project, node string) (time.Time, time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var from, to time.Time
	name := project + "-" + node + "-1"
	for _, s := range r.log {
		if s.name != name {
			continue
		}
		if s.op == "create" && from.IsZero() {
			from = s.at
		}
		if s.op == "started" {
			to = s.at
		}
	}
	return from, to, !from.IsZero() && !to.IsZero()
}

// node is a test node running a long sleep.
func node(id string, deps ...string) core.WorkloadNode {
	return core.WorkloadNode{ID: id, Image: testImage, Cmd: []string{"sleep", "1000"}, DependsOn: deps}
}

func graphOf(name string, nodes ...core.WorkloadNode) core.WorkloadGraph {
	g := core.WorkloadGraph{Name: name, Nodes: map[string]core.WorkloadNode{}}
	for _, n := range nodes {
		g.Nodes[n.ID] = n
	}
	return g
}

func ref(nodeID, projection, port string) core.WorkloadEnvValue {
	return core.WorkloadEnvValue{Ref: &core.WorkloadRef{NodeID: nodeID, Projection: projection, Port: port}}
}

func lit(s string) core.WorkloadEnvValue { return core.WorkloadEnvValue{Literal: &s} }

// quiet discards the trust-boundary warnings.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// testOpts are the options every fake run uses: fast polling, a private
// seccomp directory, no log output.
func testOpts(t testing.TB, extra ...Option) []Option {
	return append([]Option{WithPollInterval(time.Millisecond), WithStateDir(t.TempDir()), WithLogger(quiet)}, extra...)
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// callIndex returns the position of the first call of method whose first
// argument contains arg, or -1.
func callIndex(calls []fake.Call, method, arg string) int {
	for i, c := range calls {
		if c.Method == method && len(c.Args) > 0 && strings.Contains(c.Args[0], arg) {
			return i
		}
	}
	return -1
}

// creates lists the container names of the Create calls, in order.
func creates(calls []fake.Call) []string {
	var out []string
	for _, c := range calls {
		if c.Method == "Create" && len(c.Args) > 1 {
			out = append(out, c.Args[1])
		}
	}
	return out
}

// containerIDs maps the fake's container names to ids.
func containerIDs(t testing.TB, b backend.Backend) map[string]string {
	t.Helper()
	list, err := b.List(context.Background(), backend.ListOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, c := range list {
		out[c.Name] = c.ID
	}
	return out
}

// running reports whether the named container runs (without recording a call).
func running(b *recBackend, name string) bool {
	b.mu.Lock()
	started := false
	for _, s := range b.log {
		if s.op == "started" && s.name == name {
			started = true
		}
	}
	b.mu.Unlock()
	return started
}

// leftovers lists the containers, and networks and volumes other than the
// engine's own, that exist on the fake.
func leftovers(t testing.TB, b backend.Backend) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	cs, err := b.List(ctx, backend.ListOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		out = append(out, "container "+c.Name)
	}
	ns, _ := b.ListNetworks(ctx, nil)
	for _, n := range ns {
		if n.Name != "bridge" && n.Name != "host" && n.Name != "none" {
			out = append(out, "network "+n.Name)
		}
	}
	vs, _ := b.ListVolumes(ctx, nil)
	for _, v := range vs {
		out = append(out, "volume "+v.Name)
	}
	return out
}

func wantKind(t testing.TB, err error, kind core.Kind) *core.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("want a %s error, got nil", kind)
	}
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Kind != kind {
		t.Fatalf("want a %s error, got %T %v", kind, err, err)
	}
	return ce
}
