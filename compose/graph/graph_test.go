package graph

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"pgregory.net/rapid"

	"github.com/perryts/perry-container/core"
)

// project builds a project from name -> service; each service gets its key
// as name, as the loader does.
func project(services map[string]types.ServiceConfig) *types.Project {
	p := &types.Project{Name: "p", Services: types.Services{}, DisabledServices: types.Services{}}
	for name, s := range services {
		s.Name = name
		p.Services[name] = s
	}
	return p
}

func on(names ...string) types.DependsOnConfig {
	d := types.DependsOnConfig{}
	for _, n := range names {
		d[n] = types.ServiceDependency{Condition: types.ServiceConditionStarted, Required: true}
	}
	return d
}

// svc builds a service from setters: ServiceConfig's dependency fields are
// promoted from embedded structs, which composite literals cannot name.
func svc(set ...func(*types.ServiceConfig)) types.ServiceConfig {
	var s types.ServiceConfig
	for _, f := range set {
		f(&s)
	}
	return s
}

func dependsOn(names ...string) func(*types.ServiceConfig) {
	return func(s *types.ServiceConfig) { s.DependsOn = on(names...) }
}

func TestBuild(t *testing.T) {
	tests := []struct {
		name      string
		services  map[string]types.ServiceConfig
		wantNodes []string
		wantEdges []core.Edge
	}{
		{
			name:      "no services",
			services:  nil,
			wantNodes: []string{},
			wantEdges: []core.Edge{},
		},
		{
			name:      "independent services are sorted by name",
			services:  map[string]types.ServiceConfig{"c": {}, "a": {}, "b": {}},
			wantNodes: []string{"a", "b", "c"},
			wantEdges: []core.Edge{},
		},
		{
			name: "depends_on chain puts dependencies first",
			services: map[string]types.ServiceConfig{
				"web": svc(dependsOn("api")), "api": svc(dependsOn("db")), "db": {},
			},
			wantNodes: []string{"db", "api", "web"},
			wantEdges: []core.Edge{{From: "api", To: "db"}, {From: "web", To: "api"}},
		},
		{
			name: "ties broken by name once dependencies are placed",
			services: map[string]types.ServiceConfig{
				"z": {}, "b": svc(dependsOn("z")), "a": svc(dependsOn("z")), "y": {},
			},
			wantNodes: []string{"y", "z", "a", "b"},
			wantEdges: []core.Edge{{From: "a", To: "z"}, {From: "b", To: "z"}},
		},
		{
			name: "network_mode service: is an edge",
			services: map[string]types.ServiceConfig{
				"app": svc(func(s *types.ServiceConfig) { s.NetworkMode = "service:vpn" }), "vpn": {},
			},
			wantNodes: []string{"vpn", "app"},
			wantEdges: []core.Edge{{From: "app", To: "vpn"}},
		},
		{
			name: "volumes_from service is an edge, container: is not",
			services: map[string]types.ServiceConfig{
				"app": svc(func(s *types.ServiceConfig) { s.VolumesFrom = []string{"data:ro", "container:other"} }), "data": {},
			},
			wantNodes: []string{"data", "app"},
			wantEdges: []core.Edge{{From: "app", To: "data"}},
		},
		{
			name: "links are edges, alias ignored",
			services: map[string]types.ServiceConfig{
				"app": svc(func(s *types.ServiceConfig) { s.Links = []string{"db:database"} }), "db": {},
			},
			wantNodes: []string{"db", "app"},
			wantEdges: []core.Edge{{From: "app", To: "db"}},
		},
		{
			name: "ipc and pid service: are edges",
			services: map[string]types.ServiceConfig{
				"a": svc(func(s *types.ServiceConfig) { s.Ipc, s.Pid = "service:b", "service:c" }), "b": {}, "c": {},
			},
			wantNodes: []string{"b", "c", "a"},
			wantEdges: []core.Edge{{From: "a", To: "b"}, {From: "a", To: "c"}},
		},
		{
			name: "explicit and implicit dependency on one service is one edge",
			services: map[string]types.ServiceConfig{
				"app": svc(dependsOn("db"), func(s *types.ServiceConfig) { s.Links, s.VolumesFrom = []string{"db"}, []string{"db"} }), "db": {},
			},
			wantNodes: []string{"db", "app"},
			wantEdges: []core.Edge{{From: "app", To: "db"}},
		},
		{
			name: "optional dependency on a missing service is skipped",
			services: map[string]types.ServiceConfig{
				"app": svc(func(s *types.ServiceConfig) {
					s.DependsOn = types.DependsOnConfig{"gone": {Condition: types.ServiceConditionStarted, Required: false}}
				}),
			},
			wantNodes: []string{"app"},
			wantEdges: []core.Edge{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := Build(project(tt.services))
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			if !reflect.DeepEqual(g.Nodes, tt.wantNodes) {
				t.Errorf("nodes = %v, want %v", g.Nodes, tt.wantNodes)
			}
			if !reflect.DeepEqual(g.Edges, tt.wantEdges) {
				t.Errorf("edges = %v, want %v", g.Edges, tt.wantEdges)
			}
		})
	}
}

func TestBuildErrors(t *testing.T) {
	disabled := project(map[string]types.ServiceConfig{"app": svc(dependsOn("debug"))})
	disabled.DisabledServices["debug"] = types.ServiceConfig{Name: "debug", Profiles: []string{"dev"}}

	tests := []struct {
		name     string
		project  *types.Project
		kind     core.Kind
		contains []string
		cycle    []string
	}{
		{
			name:     "undefined depends_on",
			project:  project(map[string]types.ServiceConfig{"app": svc(dependsOn("db"))}),
			kind:     core.KindInvalidConfig,
			contains: []string{`service "app" depends on undefined service "db"`},
		},
		{
			name:     "undefined network_mode service",
			project:  project(map[string]types.ServiceConfig{"app": svc(func(s *types.ServiceConfig) { s.NetworkMode = "service:vpn" })}),
			kind:     core.KindInvalidConfig,
			contains: []string{`"app"`, "network_mode", `"vpn"`},
		},
		{
			name:     "required dependency disabled by profile",
			project:  disabled,
			kind:     core.KindInvalidConfig,
			contains: []string{`"app"`, `"debug"`, "disabled", "dev"},
		},
		{
			name:     "self dependency",
			project:  project(map[string]types.ServiceConfig{"a": svc(dependsOn("a"))}),
			kind:     core.KindDependencyCycle,
			contains: []string{"dependency cycle: a -> a"},
			cycle:    []string{"a", "a"},
		},
		{
			name: "three-service cycle named in order from the smallest name",
			project: project(map[string]types.ServiceConfig{
				"b": svc(dependsOn("c")), "c": svc(dependsOn("a")), "a": svc(dependsOn("b")), "d": svc(dependsOn("a")),
			}),
			kind:     core.KindDependencyCycle,
			contains: []string{"dependency cycle: a -> b -> c -> a"},
			cycle:    []string{"a", "b", "c", "a"},
		},
		{
			name:     "volumes_from with a mode neither ro nor rw",
			project:  project(map[string]types.ServiceConfig{"app": svc(func(s *types.ServiceConfig) { s.VolumesFrom = []string{"data:z"} }), "data": {}}),
			kind:     core.KindInvalidConfig,
			contains: []string{`"app"`, "volumes_from[0]", `"z"`},
		},
		{
			name:     "volumes_from without a name",
			project:  project(map[string]types.ServiceConfig{"app": svc(func(s *types.ServiceConfig) { s.VolumesFrom = []string{"container::ro"} })}),
			kind:     core.KindInvalidConfig,
			contains: []string{`"app"`, "volumes_from[0]", "empty"},
		},
		{
			name: "cycle through an implicit dependency",
			project: project(map[string]types.ServiceConfig{
				"a": svc(func(s *types.ServiceConfig) { s.Links = []string{"b"} }), "b": svc(func(s *types.ServiceConfig) { s.VolumesFrom = []string{"a"} }),
			}),
			kind:     core.KindDependencyCycle,
			contains: []string{"dependency cycle: a -> b -> a"},
			cycle:    []string{"a", "b", "a"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Build(tt.project)
			var e *core.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v (%T), want *core.Error", err, err)
			}
			if e.Kind != tt.kind {
				t.Errorf("kind = %s, want %s (%v)", e.Kind, tt.kind, err)
			}
			for _, s := range tt.contains {
				if !strings.Contains(e.Message, s) {
					t.Errorf("message %q does not contain %q", e.Message, s)
				}
			}
			if tt.cycle != nil && !reflect.DeepEqual(e.Details["cycle"], tt.cycle) {
				t.Errorf("Details[cycle] = %v, want %v", e.Details["cycle"], tt.cycle)
			}
			if tt.kind == core.KindDependencyCycle && e.Code() != 422 {
				t.Errorf("code = %d, want 422", e.Code())
			}
		})
	}
}

func TestTopoSortRejectsUnknownDependency(t *testing.T) {
	_, err := TopoSort([]string{"a"}, map[string][]string{"a": {"x"}})
	if core.KindOf(err) != core.KindInvalidConfig || !strings.Contains(err.Error(), `"x"`) {
		t.Fatalf("err = %v, want InvalidConfig naming x", err)
	}
}

func TestTopoSortIgnoresDuplicates(t *testing.T) {
	got, err := TopoSort([]string{"b", "a", "b"}, map[string][]string{"b": {"a", "a"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a", "b"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestLevels(t *testing.T) {
	tests := []struct {
		name string
		g    core.ServiceGraph
		want [][]string
	}{
		{"empty", core.ServiceGraph{}, [][]string{}},
		{"independent", core.ServiceGraph{Nodes: []string{"b", "a"}}, [][]string{{"a", "b"}}},
		{
			"diamond",
			core.ServiceGraph{
				Nodes: []string{"db", "cache", "api", "worker", "web"},
				Edges: []core.Edge{
					{From: "api", To: "db"}, {From: "worker", To: "db"}, {From: "worker", To: "cache"},
					{From: "web", To: "api"}, {From: "web", To: "worker"},
				},
			},
			[][]string{{"cache", "db"}, {"api", "worker"}, {"web"}},
		},
		{
			"level is one more than the deepest dependency",
			core.ServiceGraph{
				Nodes: []string{"a", "b", "c"},
				Edges: []core.Edge{{From: "b", To: "a"}, {From: "c", To: "b"}, {From: "c", To: "a"}},
			},
			[][]string{{"a"}, {"b"}, {"c"}},
		},
		{
			"cycle nodes kept in a final level",
			core.ServiceGraph{
				Nodes: []string{"a", "b", "c"},
				Edges: []core.Edge{{From: "a", To: "b"}, {From: "b", To: "a"}},
			},
			[][]string{{"c"}, {"a", "b"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Levels(tt.g); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Levels = %v, want %v", got, tt.want)
			}
		})
	}
}

// genDAG draws a random DAG: nodes n0..nk, each depending only on nodes with
// a smaller index (so it is acyclic), the names then shuffled so the index
// order is not the name order.
func genDAG(t *rapid.T) (nodes []string, deps map[string][]string) {
	n := rapid.IntRange(0, 25).Draw(t, "n")
	names := rapid.Permutation(nodeNames(n)).Draw(t, "names")
	deps = map[string][]string{}
	for i := 1; i < n; i++ {
		for _, j := range rapid.SliceOfNDistinct(rapid.IntRange(0, i-1), 0, 4, func(j int) int { return j }).Draw(t, fmt.Sprintf("deps%d", i)) {
			deps[names[i]] = append(deps[names[i]], names[j])
		}
	}
	return names, deps
}

func nodeNames(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("svc%02d", i)
	}
	return names
}

// Feature: perry-container, Property 7: topological order is valid for random DAGs
func TestPropertyTopoOrderValid(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		nodes, deps := genDAG(t)
		order, err := TopoSort(nodes, deps)
		if err != nil {
			t.Fatalf("TopoSort on a DAG: %v", err)
		}
		if len(order) != len(nodes) {
			t.Fatalf("order has %d nodes, want %d", len(order), len(nodes))
		}
		pos := map[string]int{}
		for i, n := range order {
			pos[n] = i
		}
		for _, n := range nodes {
			if _, ok := pos[n]; !ok {
				t.Fatalf("node %s missing from %v", n, order)
			}
			for _, d := range deps[n] {
				if pos[d] >= pos[n] {
					t.Fatalf("%s placed at %d before its dependency %s at %d", n, pos[n], d, pos[d])
				}
			}
		}
		// Deterministic: the input order of nodes does not matter.
		reversed := slices.Clone(nodes)
		slices.Reverse(reversed)
		again, _ := TopoSort(reversed, deps)
		if !reflect.DeepEqual(order, again) {
			t.Fatalf("order depends on input order: %v vs %v", order, again)
		}
		// The same through Build and Levels on a project.
		services := map[string]types.ServiceConfig{}
		for _, n := range nodes {
			services[n] = svc(dependsOn(deps[n]...))
		}
		g, err := Build(project(services))
		if err != nil {
			t.Fatalf("Build: %v", err)
		}
		if !reflect.DeepEqual(g.Nodes, order) {
			t.Fatalf("Build order %v != TopoSort order %v", g.Nodes, order)
		}
		level := map[string]int{}
		for i, l := range Levels(g) {
			for _, n := range l {
				level[n] = i
			}
		}
		for _, e := range g.Edges {
			if level[e.From] <= level[e.To] {
				t.Fatalf("edge %s->%s: level %d not above %d", e.From, e.To, level[e.From], level[e.To])
			}
		}
	})
}

// Feature: perry-container, Property 8: every random graph with a cycle is rejected, naming a service on it
func TestPropertyCycleRejected(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		nodes, deps := genDAG(t)
		if len(nodes) == 0 {
			nodes = []string{"solo"}
		}
		// Close a cycle: pick a path of length >= 1 through fresh back edges.
		cycleLen := rapid.IntRange(1, min(5, len(nodes))).Draw(t, "cycleLen")
		onCycle := rapid.Permutation(nodes).Draw(t, "perm")[:cycleLen]
		for i, n := range onCycle {
			next := onCycle[(i+1)%cycleLen]
			deps[n] = append(deps[n], next)
		}

		_, err := TopoSort(nodes, deps)
		var e *core.Error
		if !errors.As(err, &e) || e.Kind != core.KindDependencyCycle {
			t.Fatalf("err = %v, want DependencyCycle", err)
		}
		cycle, _ := e.Details["cycle"].([]string)
		if len(cycle) < 2 || cycle[0] != cycle[len(cycle)-1] {
			t.Fatalf("Details[cycle] = %v, want a closed walk", cycle)
		}
		// The reported walk is a real cycle of deps...
		for i := 0; i+1 < len(cycle); i++ {
			if !slices.Contains(deps[cycle[i]], cycle[i+1]) {
				t.Fatalf("reported cycle %v: %s does not depend on %s", cycle, cycle[i], cycle[i+1])
			}
		}
		// ...and the message names the services on it.
		for _, n := range cycle {
			if !strings.Contains(e.Message, n) {
				t.Fatalf("message %q does not name %s", e.Message, n)
			}
		}
	})
}

// VolumesFrom reads the compose form of a volumes_from entry for the
// graph, the engine's model and its conversion alike.
func TestVolumesFrom(t *testing.T) {
	cases := []struct {
		entry, name, mode string
		container         bool
		err               string
	}{
		{entry: "data", name: "data"},
		{entry: "data:ro", name: "data", mode: "ro"},
		{entry: "data:rw", name: "data", mode: "rw"},
		{entry: "container:other", name: "other", container: true},
		{entry: "container:other:ro", name: "other", mode: "ro", container: true},
		{entry: "data:z", err: "ro or rw"},
		{entry: "", err: "empty"},
		{entry: "container:", err: "empty"},
		{entry: "da ta", err: "not a container name"},
	}
	for _, tc := range cases {
		t.Run(tc.entry, func(t *testing.T) {
			name, container, mode, err := VolumesFrom(tc.entry)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("VolumesFrom(%q) = %v, want an error saying %q", tc.entry, err, tc.err)
				}
				return
			}
			if err != nil || name != tc.name || container != tc.container || mode != tc.mode {
				t.Fatalf("VolumesFrom(%q) = %q, %v, %q, %v", tc.entry, name, container, mode, err)
			}
		})
	}
}
