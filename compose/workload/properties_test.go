package workload

import (
	"strings"
	"sync"
	"time"

	"testing"

	"pgregory.net/rapid"

	"github.com/perryts/perry-container/core"
	"github.com/perryts/perry-container/internal/testenv"
)

// Feature: perry-container, Property 18: RunGraph strategy respects dependency order
//
// For any DAG and any of the four strategies, a node's container is
// created only after every node it depends on (dependsOn, conditions or
// references) was started and seen started: in the recorded backend calls,
// Create(dependent) comes after Start(dependency) and after an Inspect of
// the dependency's container that follows that start.
func TestPropertyStrategyRespectsDependencyOrder(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		b := newRec()
		g := randomGraph(rt)
		// References need something to resolve against.
		for id, n := range g.Nodes {
			n.Ports = []string{"80"}
			for k, v := range n.Env {
				if v.Ref != nil && v.Ref.Projection == ProjectionEndpoint {
					n.Env[k] = lit("no endpoint without a published port")
				}
			}
			g.Nodes[id] = n
		}
		// completed edges need a dependency that exits 0.
		for _, n := range g.Nodes {
			for d, c := range n.DependsOnConditions {
				if c == ConditionCompleted {
					dep := g.Nodes[d]
					dep.Cmd = []string{"sh", "-c", "exit 0"}
					g.Nodes[d] = dep
				}
			}
		}
		// A completed job has no address, and never becomes healthy: every
		// edge to it waits for its completion.
		for id, n := range g.Nodes {
			for k, v := range n.Env {
				if v.Ref != nil && g.Nodes[v.Ref.NodeID].Cmd[0] == "sh" {
					n.Env[k] = lit("job")
				}
			}
			for d := range n.DependsOnConditions {
				if g.Nodes[d].Cmd[0] == "sh" {
					n.DependsOnConditions[d] = ConditionCompleted
				}
			}
			g.Nodes[id] = n
		}
		strategy := rapid.SampledFrom(strategies).Draw(rt, "strategy")
		_, err := Run(ctxT(t), b, g, core.RunGraphOptions{Strategy: strategy, LevelDelayMs: zero()}, testOpts(t)...)
		if err != nil {
			rt.Fatalf("run (%s): %v", strategy, err)
		}
		norm, _ := Normalize(g)
		calls := b.Calls()
		ids := containerIDs(t, b)
		for _, e := range norm.Edges {
			from, to := "prop-"+e.From+"-1", "prop-"+e.To+"-1"
			created := indexOfCreate(calls, from)
			started := callIndex(calls, "Start", to)
			if created < 0 || started < 0 || created < started {
				rt.Fatalf("%s: %s created at call %d, its dependency %s started at %d", strategy, e.From, created, e.To, started)
			}
			seen := false
			for i := started + 1; i < created; i++ {
				if calls[i].Method == "Inspect" && calls[i].Args[0] == ids[to] {
					seen = true
				}
			}
			if !seen {
				rt.Fatalf("%s: %s created before %s was seen started", strategy, e.From, e.To)
			}
		}
	})
}

// Feature: perry-container, Property 19: Edge condition semantics
//
// For an edge app -> dep: "healthy" creates app only after dep's health
// check reported healthy (after a random number of "starting" reports); with
// no healthcheck it degrades to "started"; "completed" creates app only
// after dep exited, and never when dep exited non-zero (the run fails
// naming dep); "started" creates app once dep runs.
func TestPropertyEdgeConditionSemantics(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		b := newRec()
		cond := rapid.SampledFrom(conditions).Draw(rt, "condition")
		withHealthcheck := rapid.Bool().Draw(rt, "healthcheck")
		startingReports := rapid.IntRange(0, 5).Draw(rt, "startingReports")
		exitCode := rapid.SampledFrom([]int{0, 0, 1, 2}).Draw(rt, "exitCode")
		strategy := rapid.SampledFrom(strategies).Draw(rt, "strategy")

		var mu sync.Mutex
		reports := 0
		var healthyAt, exitedAt time.Time
		b.Health = func(c core.ContainerInfo) string {
			if !strings.Contains(c.Name, "-dep-") || !withHealthcheck {
				return ""
			}
			mu.Lock()
			defer mu.Unlock()
			reports++
			if reports <= startingReports {
				return "starting"
			}
			if healthyAt.IsZero() {
				healthyAt = time.Now()
			}
			return "healthy"
		}
		dep := node("dep")
		if withHealthcheck {
			dep.Healthcheck = &core.Healthcheck{Test: []string{"CMD", "true"}}
		}
		if cond == ConditionCompleted {
			// The job runs until the test ends it with exitCode.
			go func() {
				if testenv.Poll(10*time.Second, func() bool { return running(b, "p19-dep-1") }) {
					mu.Lock()
					exitedAt = time.Now()
					mu.Unlock()
					_ = b.Exit("p19-dep-1", exitCode)
				}
			}()
		}
		app := node("app")
		app.DependsOnConditions = map[string]string{"dep": cond}
		_, err := Run(ctxT(t), b, graphOf("p19", dep, app), core.RunGraphOptions{Strategy: strategy, LevelDelayMs: zero()}, testOpts(t)...)
		appCreated, _, created := b.interval("p19", "app")
		_, depStarted, _ := b.interval("p19", "dep")
		mu.Lock()
		defer mu.Unlock()
		switch {
		case cond == ConditionCompleted && exitCode != 0:
			if core.KindOf(err) != core.KindServiceStartupFailed || core.AsError(err).Details["node"] != "dep" || created {
				rt.Fatalf("completed with exit %d: err %v, app created %v", exitCode, err, created)
			}
		case err != nil:
			rt.Fatalf("%s: %v", cond, err)
		case !created || appCreated.Before(depStarted):
			rt.Fatalf("%s: app created %v (%v), dep started %v", cond, created, appCreated, depStarted)
		case cond == ConditionHealthy && withHealthcheck && (healthyAt.IsZero() || appCreated.Before(healthyAt)):
			rt.Fatalf("healthy: app created %v, dep healthy %v", appCreated, healthyAt)
		case cond == ConditionCompleted && (exitedAt.IsZero() || appCreated.Before(exitedAt)):
			rt.Fatalf("completed: app created %v, dep exited %v", appCreated, exitedAt)
		}
	})
}
