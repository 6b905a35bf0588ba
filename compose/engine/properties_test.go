package engine

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"pgregory.net/rapid"

	"github.com/perryts/perry-container/backend/fake"
	"github.com/perryts/perry-container/core"
)

// Property tests (pgregory.net/rapid, 100 cases each by default).

// checkAtLeast100 fails a property that ran fewer than 100 cases (rapid
// stops early near the test deadline; -short runs a fifth).
func checkAtLeast100(t *testing.T, runs *atomic.Int32) {
	t.Helper()
	if !testing.Short() && runs.Load() < 100 {
		t.Fatalf("only %d cases ran", runs.Load())
	}
}

// randomDAG draws a project whose depends_on graph is a DAG: service i may
// depend only on services j < i. One-shot services (`true`) are depended on
// with service_started or service_completed_successfully, long-running ones
// (with a healthcheck) with service_started or service_healthy.
func randomDAG(t *rapid.T, project string) (*types.Project, map[string][]dependency) {
	n := rapid.IntRange(1, 7).Draw(t, "services")
	p := &types.Project{Name: project, Services: types.Services{}}
	oneShot := make([]bool, n)
	deps := map[string][]dependency{}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("s%d", i)
		cfg := types.ServiceConfig{Name: name}
		cfg.Image = "busybox"
		oneShot[i] = rapid.Bool().Draw(t, "oneshot-"+name)
		if oneShot[i] {
			cfg.Command = types.ShellCommand{"true"}
		} else {
			cfg.Command = types.ShellCommand{"sleep", "1000"}
			cfg.HealthCheck = &types.HealthCheckConfig{Test: types.HealthCheckTest{"CMD", "true"}}
		}
		for j := 0; j < i; j++ {
			if !rapid.Bool().Draw(t, fmt.Sprintf("edge-%d-%d", i, j)) {
				continue
			}
			conds := []string{types.ServiceConditionStarted, types.ServiceConditionHealthy}
			if oneShot[j] {
				conds = []string{types.ServiceConditionStarted, types.ServiceConditionCompletedSuccessfully}
			}
			cond := rapid.SampledFrom(conds).Draw(t, fmt.Sprintf("cond-%d-%d", i, j))
			if cfg.DependsOn == nil {
				cfg.DependsOn = types.DependsOnConfig{}
			}
			dep := fmt.Sprintf("s%d", j)
			cfg.DependsOn[dep] = types.ServiceDependency{Condition: cond, Required: true}
			deps[name] = append(deps[name], dependency{service: dep, condition: cond, required: true})
		}
		p.Services[name] = cfg
	}
	return p, deps
}

// Feature: perry-container, Property 7: start order respects dependencies
func TestPropertyStartOrderRespectsDependencies(t *testing.T) {
	var runs atomic.Int32
	rapid.Check(t, func(t *rapid.T) {
		runs.Add(1)
		p, deps := randomDAG(t, "p7")
		b := fake.New("busybox")
		e := New(b, p, WithPollInterval(time.Millisecond), WithParallel(rapid.IntRange(0, 3).Draw(t, "parallel")))
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := e.Up(ctx, UpOptions{}); err != nil {
			t.Fatalf("up: %v", err)
		}
		starts := callsOf(b, "Start")
		if len(starts) != len(p.Services) {
			t.Fatalf("%d starts for %d services: %v", len(starts), len(p.Services), starts)
		}
		pos := func(s string) int { return slices.Index(starts, "p7-"+s+"-1") }
		for svc, ds := range deps {
			for _, d := range ds {
				if pos(svc) < pos(d.service) {
					t.Fatalf("%s started before its dependency %s: %v", svc, d.service, starts)
				}
			}
		}
	})
	checkAtLeast100(t, &runs)
}

// Feature: perry-container, Property 9: generated container names are unique across services and replicas
func TestPropertyContainerNamesUnique(t *testing.T) {
	var runs atomic.Int32
	rapid.Check(t, func(t *rapid.T) {
		runs.Add(1)
		project := rapid.StringMatching(`[a-z0-9][a-z0-9_-]{0,5}`).Draw(t, "project")
		names := rapid.SliceOfNDistinct(rapid.StringMatching(`[a-zA-Z0-9][a-zA-Z0-9_.-]{0,6}`), 1, 6, func(s string) string { return s }).Draw(t, "services")
		p := &types.Project{Name: project, Services: types.Services{}}
		var generated []string
		for _, name := range names {
			cfg := types.ServiceConfig{Name: name}
			cfg.Image = "busybox"
			scale := rapid.IntRange(0, 4).Draw(t, "scale-"+name)
			cfg.Scale = &scale
			if rapid.IntRange(0, 4).Draw(t, "custom-"+name) == 0 {
				// Sometimes a container_name, possibly another service's generated name.
				cfg.ContainerName = rapid.SampledFrom(append(generated, "custom", project+"-"+names[0]+"-1")).Draw(t, "container_name-"+name)
			}
			for n := 1; n <= scale; n++ {
				generated = append(generated, fmt.Sprintf("%s-%s-%d", project, name, n))
			}
			p.Services[name] = cfg
		}
		m, err := buildModel(p, modelOptions{})
		// The reference: the names a correct engine would give.
		var all []string
		for _, name := range names {
			s := p.Services[name]
			for n := 1; n <= *s.Scale; n++ {
				if s.ContainerName != "" {
					all = append(all, s.ContainerName)
				} else {
					all = append(all, fmt.Sprintf("%s-%s-%d", project, name, n))
				}
			}
		}
		dup := len(all) != len(uniq(all))
		scaledCustom := false
		for _, s := range p.Services {
			scaledCustom = scaledCustom || (s.ContainerName != "" && *s.Scale > 1)
		}
		if err != nil {
			if core.KindOf(err) != core.KindInvalidConfig || !(dup || scaledCustom) {
				t.Fatalf("unexpected error %v (names %v)", err, all)
			}
			return
		}
		if dup || scaledCustom {
			t.Fatalf("conflicting names accepted: %v", all)
		}
		var got []string
		for _, name := range m.order {
			s := m.services[name]
			for n := 1; n <= s.scale; n++ {
				got = append(got, m.containerName(s, n))
			}
		}
		if len(got) != len(uniq(got)) {
			t.Fatalf("duplicate names: %v", got)
		}
		slices.Sort(got)
		slices.Sort(all)
		if !slices.Equal(got, all) {
			t.Fatalf("names %v, want %v", got, all)
		}
	})
	checkAtLeast100(t, &runs)
}

func uniq(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// healthGate is a fake whose containers turn healthy after k health
// reports each, and which checks, on every Start, that the service's
// service_healthy dependencies have reported healthy already.
type healthGate struct {
	*fake.Backend
	deps map[string][]dependency

	mu        sync.Mutex
	seen      map[string]int  // container id → health reports so far
	healthy   map[string]bool // service → reported healthy at least once
	violation string
}

func newHealthGate(deps map[string][]dependency, k int) *healthGate {
	g := &healthGate{Backend: fake.New("busybox"), deps: deps, seen: map[string]int{}, healthy: map[string]bool{}}
	g.Health = func(c core.ContainerInfo) string {
		g.mu.Lock()
		defer g.mu.Unlock()
		g.seen[c.ID]++
		if g.seen[c.ID] <= k {
			return "starting"
		}
		g.healthy[c.Labels[LabelService]] = true
		return "healthy"
	}
	return g
}

func (g *healthGate) Start(ctx context.Context, id string) error {
	info, err := g.Backend.Inspect(ctx, id)
	if err == nil {
		svc := info.Labels[LabelService]
		g.mu.Lock()
		for _, d := range g.deps[svc] {
			if d.condition == types.ServiceConditionHealthy && !g.healthy[d.service] && g.violation == "" {
				g.violation = fmt.Sprintf("%s started before %s reported healthy", svc, d.service)
			}
		}
		g.mu.Unlock()
	}
	return g.Backend.Start(ctx, id)
}

// Feature: perry-container, Property 19: a service_healthy dependent never starts before its dependency reports healthy
func TestPropertyHealthyDependentWaits(t *testing.T) {
	var runs atomic.Int32
	rapid.Check(t, func(t *rapid.T) {
		runs.Add(1)
		p, deps := randomDAG(t, "p19")
		k := rapid.IntRange(0, 6).Draw(t, "k")
		g := newHealthGate(deps, k)
		e := New(g, p, WithPollInterval(time.Millisecond))
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := e.Up(ctx, UpOptions{}); err != nil {
			t.Fatalf("up: %v", err)
		}
		if g.violation != "" {
			t.Fatal(g.violation)
		}
	})
	checkAtLeast100(t, &runs)
}
