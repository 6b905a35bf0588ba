// Package graph turns a compose project's service dependencies into a
// core.ServiceGraph: the services in a deterministic topological order and
// the edges between them.
//
// An edge From -> To means "From depends on To": To must be started first.
// Dependencies come from depends_on and from the references compose treats as
// implicit dependencies (network_mode/ipc/pid/uts/cgroup "service:x",
// volumes_from and links), so a project built in code without compose-go's
// normalization gets the same graph as a loaded one.
//
// Everything here is pure: no I/O, no goroutines, the same input always gives
// the same output (ties are broken by name), so plans and error messages are
// reproducible.
package graph

import (
	"container/heap"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/perryts/perry-container/core"
)

// Build resolves the dependency graph of p's enabled services.
//
// A depends_on entry naming a service that is not enabled is skipped when it
// is `required: false` (compose's rule); otherwise it is an InvalidConfig
// error naming both services. A cycle is a DependencyCycle error (see
// TopoSort).
func Build(p *types.Project) (core.ServiceGraph, error) {
	if p == nil {
		return core.ServiceGraph{Nodes: []string{}, Edges: []core.Edge{}}, nil
	}
	names := make([]string, 0, len(p.Services))
	for name := range p.Services {
		names = append(names, name)
	}
	sort.Strings(names)

	deps := make(map[string][]string, len(names))
	var edges []core.Edge
	for _, name := range names {
		targets, err := serviceDeps(p, name, p.Services[name])
		if err != nil {
			return core.ServiceGraph{}, err
		}
		deps[name] = targets
		for _, to := range targets {
			edges = append(edges, core.Edge{From: name, To: to})
		}
	}
	order, err := TopoSort(names, deps)
	if err != nil {
		return core.ServiceGraph{}, err
	}
	if edges == nil {
		edges = []core.Edge{}
	}
	return core.ServiceGraph{Nodes: order, Edges: edges}, nil
}

// VolumesFrom reads a compose volumes_from entry: "service[:ro|:rw]", a
// service of the project, or "container:name[:ro|:rw]", a container outside
// it (container is true). The name and mode are checked as
// core.ParseVolumesFrom checks the engines' form, "name[:ro|:rw]".
func VolumesFrom(entry string) (name string, container bool, mode string, err error) {
	ref, container := strings.CutPrefix(entry, types.ContainerPrefix)
	name, mode, err = core.ParseVolumesFrom(ref)
	return name, container, mode, err
}

// serviceDeps returns the sorted, de-duplicated services s depends on.
func serviceDeps(p *types.Project, name string, s types.ServiceConfig) ([]string, error) {
	set := map[string]bool{}
	// add records a dependency; required says whether a missing target is an
	// error (implicit references are always required: the container cannot
	// be created without the other service's container).
	add := func(dep string, required bool, via string) error {
		if _, ok := p.Services[dep]; ok {
			set[dep] = true
			return nil
		}
		if !required {
			return nil
		}
		if ds, ok := p.DisabledServices[dep]; ok {
			return core.Errorf(core.KindInvalidConfig,
				"service %q %s service %q, which is disabled (enable it with profile %s)",
				name, via, dep, strings.Join(ds.Profiles, " or ")).
				With("service", name).With("dependency", dep)
		}
		return core.Errorf(core.KindInvalidConfig, "service %q %s undefined service %q", name, via, dep).
			With("service", name).With("dependency", dep)
	}

	for dep, cfg := range s.DependsOn {
		if err := add(dep, cfg.Required, "depends on"); err != nil {
			return nil, err
		}
	}
	for _, ns := range []struct{ key, value string }{
		{"network_mode", s.NetworkMode}, {"ipc", s.Ipc}, {"pid", s.Pid}, {"uts", s.Uts}, {"cgroup", s.Cgroup},
	} {
		if dep, ok := strings.CutPrefix(ns.value, types.ServicePrefix); ok {
			if err := add(dep, true, fmt.Sprintf("uses %s of", ns.key)); err != nil {
				return nil, err
			}
		}
	}
	for i, v := range s.VolumesFrom {
		dep, container, _, err := VolumesFrom(v)
		if err != nil {
			return nil, core.Errorf(core.KindInvalidConfig, "service %q: volumes_from[%d] %q: %v", name, i, v, err).
				With("service", name).With("field", fmt.Sprintf("volumes_from[%d]", i))
		}
		if container {
			continue // another container, not a service of this project
		}
		if err := add(dep, true, "uses volumes_from of"); err != nil {
			return nil, err
		}
	}
	for _, l := range s.Links {
		dep, _, _ := strings.Cut(l, ":") // "service[:alias]"
		if err := add(dep, true, "links to"); err != nil {
			return nil, err
		}
	}

	out := make([]string, 0, len(set))
	for dep := range set {
		out = append(out, dep)
	}
	sort.Strings(out)
	return out, nil
}

// TopoSort orders nodes so that every node comes after the nodes it depends
// on: deps[n] lists what n depends on. It is Kahn's algorithm with the ready
// set kept sorted, so among nodes whose dependencies are all placed the
// smallest name goes first and the result is deterministic.
//
// Duplicate nodes and duplicate dependencies are ignored. A dependency on a
// node missing from nodes is an InvalidConfig error. A cycle is a
// DependencyCycle error whose message walks the cycle ("dependency cycle:
// a -> b -> c -> a", each arrow read "depends on", starting at the cycle's
// smallest name) and whose Details["cycle"] holds the same names as a
// []string (first name repeated at the end).
func TopoSort(nodes []string, deps map[string][]string) ([]string, error) {
	known := make(map[string]bool, len(nodes))
	uniq := make([]string, 0, len(nodes))
	for _, n := range nodes {
		if !known[n] {
			known[n] = true
			uniq = append(uniq, n)
		}
	}
	sort.Strings(uniq)

	// pending[n]: distinct dependencies of n not yet placed;
	// dependents[d]: nodes waiting on d.
	pending := make(map[string]int, len(uniq))
	dependents := make(map[string][]string, len(uniq))
	for _, n := range uniq {
		seen := map[string]bool{}
		for _, d := range deps[n] {
			if seen[d] {
				continue
			}
			seen[d] = true
			if !known[d] {
				return nil, core.Errorf(core.KindInvalidConfig, "%q depends on undefined %q", n, d).
					With("node", n).With("dependency", d)
			}
			pending[n]++
			dependents[d] = append(dependents[d], n)
		}
	}

	ready := &stringHeap{}
	for _, n := range uniq {
		if pending[n] == 0 {
			ready.items = append(ready.items, n) // uniq is sorted: already a heap
		}
	}
	order := make([]string, 0, len(uniq))
	for ready.Len() > 0 {
		n := heap.Pop(ready).(string)
		order = append(order, n)
		for _, m := range dependents[n] {
			pending[m]--
			if pending[m] == 0 {
				heap.Push(ready, m)
			}
		}
	}
	if len(order) == len(uniq) {
		return order, nil
	}
	cycle := findCycle(uniq, deps, pending)
	return nil, core.Errorf(core.KindDependencyCycle, "dependency cycle: %s", strings.Join(cycle, " -> ")).
		With("cycle", cycle)
}

// findCycle returns one cycle among the nodes Kahn's algorithm could not
// place. Every such node still has an unplaced dependency, so following the
// smallest unplaced dependency from any of them must revisit a node; the
// revisited part is a cycle. It is rotated to start at its smallest name so
// the message does not depend on where the walk began.
func findCycle(sorted []string, deps map[string][]string, pending map[string]int) []string {
	unplaced := func(n string) bool { return pending[n] > 0 }
	var start string
	for _, n := range sorted {
		if unplaced(n) {
			start = n
			break
		}
	}
	next := func(n string) string {
		best := ""
		for _, d := range deps[n] {
			if unplaced(d) && (best == "" || d < best) {
				best = d
			}
		}
		return best
	}
	var path []string
	at := map[string]int{}
	for n := start; ; n = next(n) {
		if i, ok := at[n]; ok {
			path = path[i:]
			break
		}
		at[n] = len(path)
		path = append(path, n)
	}
	minI := 0
	for i, n := range path {
		if n < path[minI] {
			minI = i
		}
	}
	cycle := append(slices.Clone(path[minI:]), path[:minI]...)
	return append(cycle, cycle[0])
}

// Levels groups the nodes of an acyclic graph into dependency levels: level 0
// has no dependencies, level k+1 depends only on levels 0..k. Each level is
// sorted. These are the barriers of level-by-level strategies; nodes of one
// level never depend on each other.
//
// Edges naming nodes outside g.Nodes are ignored. g should come from Build,
// which rejects cycles; if it has one anyway, the nodes that can never be
// placed form a final level rather than being dropped silently.
func Levels(g core.ServiceGraph) [][]string {
	in := make(map[string]bool, len(g.Nodes))
	for _, n := range g.Nodes {
		in[n] = true
	}
	deps := map[string]map[string]bool{}
	for _, e := range g.Edges {
		if !in[e.From] || !in[e.To] {
			continue
		}
		if deps[e.From] == nil {
			deps[e.From] = map[string]bool{}
		}
		deps[e.From][e.To] = true
	}

	placed := make(map[string]bool, len(in))
	remaining := make([]string, 0, len(in))
	for n := range in {
		remaining = append(remaining, n)
	}
	sort.Strings(remaining)

	levels := [][]string{}
	for len(remaining) > 0 {
		var level, rest []string
		for _, n := range remaining {
			ok := true
			for d := range deps[n] {
				if !placed[d] {
					ok = false
					break
				}
			}
			if ok {
				level = append(level, n)
			} else {
				rest = append(rest, n)
			}
		}
		if len(level) == 0 { // a cycle: keep its nodes visible
			return append(levels, rest)
		}
		for _, n := range level {
			placed[n] = true
		}
		levels = append(levels, level)
		remaining = rest
	}
	return levels
}

// stringHeap is a min-heap of names: Kahn's ready set.
type stringHeap struct{ items []string }

func (h *stringHeap) Len() int           { return len(h.items) }
func (h *stringHeap) Less(i, j int) bool { return h.items[i] < h.items[j] }
func (h *stringHeap) Swap(i, j int)      { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *stringHeap) Push(x any)         { h.items = append(h.items, x.(string)) }
func (h *stringHeap) Pop() any {
	n := len(h.items) - 1
	x := h.items[n]
	h.items = h.items[:n]
	return x
}
