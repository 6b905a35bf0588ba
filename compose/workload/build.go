package workload

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/perryts/perry-container/compose/graph"
	"github.com/perryts/perry-container/compose/loader"
	"github.com/perryts/perry-container/core"
)

// The values of the graph's string enums.
const (
	RuntimeAuto    = "auto"
	RuntimeOCI     = "oci"
	RuntimeMicroVM = "microvm"
	RuntimeWasm    = "wasm"

	TierDefault   = "default"
	TierIsolated  = "isolated"
	TierHardened  = "hardened"
	TierUntrusted = "untrusted"

	ConditionStarted   = "started"
	ConditionHealthy   = "healthy"
	ConditionCompleted = "completed"

	ProjectionEndpoint    = "endpoint"
	ProjectionIP          = "ip"
	ProjectionInternalURL = "internalUrl"

	StrategySequential      = "sequential"
	StrategyDependencyAware = "dependency-aware"
	StrategyMaxParallel     = "max-parallel"
	StrategyParallelSafe    = "parallel-safe"

	OnFailureRollbackAll     = "rollback-all"
	OnFailurePartialContinue = "partial-continue"
	OnFailureHaltGraph       = "halt-graph"
)

var (
	runtimes     = []string{RuntimeAuto, RuntimeOCI, RuntimeMicroVM, RuntimeWasm}
	tiers        = []string{TierDefault, TierIsolated, TierHardened, TierUntrusted}
	conditions   = []string{ConditionStarted, ConditionHealthy, ConditionCompleted}
	projections  = []string{ProjectionEndpoint, ProjectionIP, ProjectionInternalURL}
	localities   = []string{"same-host", "same-network", "any"}
	latencies    = []string{"realtime", "interactive", "batch"}
	networkModes = []string{"bridge", "host", "none"}
	strategies   = []string{StrategySequential, StrategyDependencyAware, StrategyMaxParallel, StrategyParallelSafe}
	onFailures   = []string{OnFailureRollbackAll, OnFailurePartialContinue, OnFailureHaltGraph}
)

// nodeIDPattern is a compose service name that is also a valid part of a
// container name.
var nodeIDPattern = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

func quoted(set []string) string {
	q := make([]string, len(set))
	for i, s := range set {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// nodeSpec is what js_workload_node and the nodes of js_workload_graph
// accept: a WorkloadNode whose dependsOn items may also be
// {"node": id-or-node, "condition"} objects or whole nodes.
type nodeSpec struct {
	ID                  string                           `json:"id"`
	Name                string                           `json:"name"`
	Image               string                           `json:"image"`
	Resources           *core.Resources                  `json:"resources"`
	Ports               []string                         `json:"ports"`
	Env                 map[string]core.WorkloadEnvValue `json:"env"`
	DependsOn           []json.RawMessage                `json:"dependsOn"`
	Runtime             *core.RuntimeSpec                `json:"runtime"`
	Policy              *core.PolicySpec                 `json:"policy"`
	Cmd                 []string                         `json:"cmd"`
	Entrypoint          []string                         `json:"entrypoint"`
	Volumes             []string                         `json:"volumes"`
	Healthcheck         *core.Healthcheck                `json:"healthcheck"`
	Labels              map[string]string                `json:"labels"`
	User                string                           `json:"user"`
	Workdir             string                           `json:"workdir"`
	DependsOnConditions map[string]string                `json:"dependsOnConditions"`
	NetworkMode         string                           `json:"networkMode"`
}

// dependency is one decoded dependsOn item.
type dependency struct {
	node      string
	condition string
}

func decodeDependency(path string, raw json.RawMessage) (dependency, error) {
	raw = bytes.TrimSpace(raw)
	var id string
	if err := json.Unmarshal(raw, &id); err == nil {
		return dependency{node: id}, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return dependency{}, core.InvalidArgument(path, "must be a node id, a node, or {\"node\", \"condition\"}")
	}
	nodeRaw, explicit := obj["node"]
	if !explicit {
		// A whole WorkloadNode (`dependsOn: [db]`).
		var n struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(raw, &n); err != nil || n.ID == "" {
			return dependency{}, core.InvalidArgument(path, "an object must be {\"node\", \"condition\"} or a node with an id")
		}
		return dependency{node: n.ID}, nil
	}
	var d struct {
		Node      json.RawMessage `json:"node"`
		Condition string          `json:"condition"`
	}
	if err := core.DecodeStrict(path, raw, &d); err != nil {
		return dependency{}, err
	}
	if err := json.Unmarshal(nodeRaw, &id); err != nil {
		var n struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(nodeRaw, &n); err != nil || n.ID == "" {
			return dependency{}, core.InvalidArgument(path+".node", "must be a node id or a node")
		}
		id = n.ID
	}
	return dependency{node: id, condition: d.Condition}, nil
}

// toNode turns a decoded spec into a WorkloadNode named name, with the
// defaults: id = name, runtime auto, policy tier default.
func (s nodeSpec) toNode(path, name string) (core.WorkloadNode, error) {
	n := core.WorkloadNode{
		ID: s.ID, Name: s.Name, Image: s.Image, Resources: s.Resources, Ports: s.Ports, Env: s.Env,
		Cmd: s.Cmd, Entrypoint: s.Entrypoint, Volumes: s.Volumes, Healthcheck: s.Healthcheck,
		Labels: s.Labels, User: s.User, Workdir: s.Workdir, NetworkMode: s.NetworkMode,
		DependsOnConditions: maps.Clone(s.DependsOnConditions),
	}
	if n.ID == "" {
		n.ID = name
	}
	if n.Name == "" {
		n.Name = name
	}
	if s.Runtime != nil {
		n.Runtime = *s.Runtime
	}
	if s.Policy != nil {
		n.Policy = *s.Policy
	}
	for i, raw := range s.DependsOn {
		d, err := decodeDependency(fmt.Sprintf("%s.dependsOn[%d]", path, i), raw)
		if err != nil {
			return n, err
		}
		if d.node == "" {
			return n, core.InvalidArgument(fmt.Sprintf("%s.dependsOn[%d]", path, i), "is an empty node id")
		}
		if !slices.Contains(n.DependsOn, d.node) {
			n.DependsOn = append(n.DependsOn, d.node)
		}
		if d.condition != "" {
			if old := n.DependsOnConditions[d.node]; old != "" && old != d.condition {
				return n, core.InvalidArgument(path+".dependsOn", "node %q is given conditions %q and %q", d.node, old, d.condition)
			}
			if n.DependsOnConditions == nil {
				n.DependsOnConditions = map[string]string{}
			}
			n.DependsOnConditions[d.node] = d.condition
		}
	}
	return n, nil
}

// Node builds a node (js_workload_node): spec is a JSON object of the
// WorkloadNode fields (all optional, NULL/empty for none); dependsOn items
// are node ids, nodes, or {"node": id, "condition": "started" | "healthy" |
// "completed"}. The result has id = name (unless spec.id), runtime auto and
// policy tier default unless given, and every field checked.
func Node(name string, spec []byte) (core.WorkloadNode, error) {
	var s nodeSpec
	if len(bytes.TrimSpace(spec)) > 0 && string(bytes.TrimSpace(spec)) != "null" {
		if err := core.DecodeStrict("spec", spec, &s); err != nil {
			return core.WorkloadNode{}, err
		}
	}
	if s.Name != "" && s.Name != name {
		return core.WorkloadNode{}, core.InvalidArgument("spec.name", "is %q but the node is named %q", s.Name, name)
	}
	n, err := s.toNode("spec", name)
	if err != nil {
		return core.WorkloadNode{}, err
	}
	if err := checkNode("spec", n, nil); err != nil {
		return core.WorkloadNode{}, err
	}
	return defaults(n), nil
}

// graphSpec is what js_workload_graph accepts.
type graphSpec struct {
	Nodes map[string]nodeSpec `json:"nodes"`
	Edges []core.WorkloadEdge `json:"edges"`
}

// Graph builds a graph (js_workload_graph) from {"nodes": {id: node or node
// spec}, "edges"?: [...]}: nodes keyed by id, with every edge made explicit
// (from dependsOn, dependsOnConditions, references and the given edges),
// checked as Normalize checks, and the compose project it runs as checked
// too, so that a bad port or volume is reported here.
func Graph(name string, spec []byte) (core.WorkloadGraph, error) {
	var s graphSpec
	if err := core.DecodeStrict("spec", spec, &s); err != nil {
		return core.WorkloadGraph{}, err
	}
	var raw struct {
		Nodes json.RawMessage `json:"nodes"`
	}
	_ = json.Unmarshal(spec, &raw)
	if dup := duplicateKey(raw.Nodes); dup != "" {
		return core.WorkloadGraph{}, core.InvalidArgument("spec.nodes", "node id %q is given twice", dup).With("node", dup)
	}
	g := core.WorkloadGraph{Name: name, Nodes: map[string]core.WorkloadNode{}, Edges: s.Edges}
	for _, id := range slices.Sorted(maps.Keys(s.Nodes)) {
		path := "spec.nodes." + id
		n, err := s.Nodes[id].toNode(path, id)
		if err != nil {
			return core.WorkloadGraph{}, err
		}
		g.Nodes[id] = n
	}
	out, err := Normalize(g)
	if err != nil {
		return core.WorkloadGraph{}, err
	}
	if _, err := buildProject(context.Background(), out); err != nil {
		return core.WorkloadGraph{}, err
	}
	return out, nil
}

// duplicateKey returns a key that occurs twice in a JSON object ("" when
// none does, or when raw is not an object): encoding/json would silently
// keep the last.
func duplicateKey(raw json.RawMessage) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return ""
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return ""
		}
		k, _ := t.(string)
		if seen[k] {
			return k
		}
		seen[k] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return ""
		}
	}
	return ""
}

func defaults(n core.WorkloadNode) core.WorkloadNode {
	if n.Runtime.Type == "" {
		n.Runtime.Type = RuntimeAuto
	}
	if n.Policy.Tier == "" {
		n.Policy.Tier = TierDefault
	}
	return n
}

// checkNode checks one node's own fields; nodes, when not nil, are the
// graph's (references and dependencies must name one of them).
func checkNode(path string, n core.WorkloadNode, nodes map[string]core.WorkloadNode) error {
	if !nodeIDPattern.MatchString(n.ID) {
		return core.InvalidArgument(path+".id", "%q must match [a-zA-Z0-9][a-zA-Z0-9_.-]*", n.ID).With("node", n.ID)
	}
	if t := n.Runtime.Type; t != "" && !slices.Contains(runtimes, t) {
		return core.InvalidArgument(path+".runtime.type", "%q is not one of %s", t, quoted(runtimes)).With("node", n.ID)
	}
	if n.Runtime.Type != RuntimeMicroVM && len(n.Runtime.Config) > 0 {
		return core.InvalidArgument(path+".runtime.config", "is only for runtime microvm").With("node", n.ID)
	}
	if n.Runtime.Type != RuntimeWasm && n.Runtime.Module != "" {
		return core.InvalidArgument(path+".runtime.module", "is only for runtime wasm").With("node", n.ID)
	}
	if t := n.Policy.Tier; t != "" && !slices.Contains(tiers, t) {
		return core.InvalidArgument(path+".policy.tier", "%q is not one of %s", t, quoted(tiers)).With("node", n.ID)
	}
	if m := n.NetworkMode; m != "" && !slices.Contains(networkModes, m) {
		return core.InvalidArgument(path+".networkMode", "%q is not one of %s", m, quoted(networkModes)).With("node", n.ID)
	}
	for _, k := range slices.Sorted(maps.Keys(n.Env)) {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			return core.InvalidArgument(path+".env", "key %q is empty or contains '=' or NUL", k).With("node", n.ID)
		}
		v := n.Env[k]
		if v.Ref == nil {
			continue
		}
		r := v.Ref
		if !slices.Contains(projections, r.Projection) {
			return core.InvalidArgument(path+".env."+k+".projection", "%q is not one of %s", r.Projection, quoted(projections)).With("node", n.ID)
		}
		if r.Port != "" {
			if _, _, err := core.ParseContainerPort(r.Port); err != nil {
				return core.InvalidArgument(path+".env."+k+".port", "%v", err).With("node", n.ID)
			}
		}
		if r.NodeID == "" {
			return core.InvalidArgument(path+".env."+k+".nodeId", "is empty").With("node", n.ID)
		}
		if nodes != nil {
			if _, ok := nodes[r.NodeID]; !ok {
				return core.Errorf(core.KindWorkloadRefResolutionFailed,
					"node %q: env %s refers to node %q, which is not in the graph", n.ID, k, r.NodeID).
					With("node", n.ID).With("env", k).With("target", r.NodeID).With("projection", r.Projection).
					With("reason", "no such node")
			}
		}
	}
	for _, d := range n.DependsOn {
		if d == "" {
			return core.InvalidArgument(path+".dependsOn", "has an empty node id").With("node", n.ID)
		}
		if _, ok := nodes[d]; nodes != nil && !ok {
			return core.InvalidArgument(path+".dependsOn", "node %q depends on %q, which is not in the graph", n.ID, d).
				With("node", n.ID).With("dependency", d)
		}
	}
	for _, d := range slices.Sorted(maps.Keys(n.DependsOnConditions)) {
		if c := n.DependsOnConditions[d]; !slices.Contains(conditions, c) {
			return core.InvalidArgument(path+".dependsOnConditions."+d, "%q is not one of %s", c, quoted(conditions)).With("node", n.ID)
		}
		if _, ok := nodes[d]; nodes != nil && !ok {
			return core.InvalidArgument(path+".dependsOnConditions", "node %q depends on %q, which is not in the graph", n.ID, d).
				With("node", n.ID).With("dependency", d)
		}
	}
	if hc := n.Healthcheck; hc != nil && !hc.Disable && len(hc.Test) == 0 {
		return core.InvalidArgument(path+".healthcheck.test", "is required").With("node", n.ID)
	}
	return checkStaticPolicy(n)
}

func checkEdge(path string, e core.WorkloadEdge, nodes map[string]core.WorkloadNode) error {
	for _, end := range []struct{ key, id string }{{"from", e.From}, {"to", e.To}} {
		if _, ok := nodes[end.id]; !ok {
			return core.InvalidArgument(path+"."+end.key, "edge %s -> %s names %q, which is not a node of the graph", e.From, e.To, end.id).
				With("from", e.From).With("to", e.To)
		}
	}
	if e.Condition != "" && !slices.Contains(conditions, e.Condition) {
		return core.InvalidArgument(path+".condition", "%q is not one of %s", e.Condition, quoted(conditions))
	}
	if e.Locality != "" && !slices.Contains(localities, e.Locality) {
		return core.InvalidArgument(path+".locality", "%q is not one of %s", e.Locality, quoted(localities))
	}
	if e.LatencyClass != "" && !slices.Contains(latencies, e.LatencyClass) {
		return core.InvalidArgument(path+".latencyClass", "%q is not one of %s", e.LatencyClass, quoted(latencies))
	}
	return nil
}

// edgeBuilder merges the edges a graph declares in several places. A
// condition given explicitly (dependsOnConditions, an edge) wins over the
// implicit "started" of a plain dependsOn id or a reference; two different
// explicit values are an error.
type edgeBuilder struct {
	edges    map[[2]string]*core.WorkloadEdge
	explicit map[[2]string]bool // the condition was given
}

func (b *edgeBuilder) add(path string, e core.WorkloadEdge, explicitCondition bool) error {
	key := [2]string{e.From, e.To}
	old, ok := b.edges[key]
	if !ok {
		c := e
		b.edges[key] = &c
		b.explicit[key] = explicitCondition && e.Condition != ""
		return nil
	}
	conflict := func(field, a, v string) error {
		return core.InvalidArgument(path, "edge %s -> %s is given %s %q and %q", e.From, e.To, field, a, v).
			With("from", e.From).With("to", e.To)
	}
	if explicitCondition && e.Condition != "" {
		if b.explicit[key] && old.Condition != e.Condition {
			return conflict("condition", old.Condition, e.Condition)
		}
		old.Condition = e.Condition
		b.explicit[key] = true
	}
	old.TrustBoundary = old.TrustBoundary || e.TrustBoundary
	if e.Locality != "" {
		if old.Locality != "" && old.Locality != e.Locality {
			return conflict("locality", old.Locality, e.Locality)
		}
		old.Locality = e.Locality
	}
	if e.LatencyClass != "" {
		if old.LatencyClass != "" && old.LatencyClass != e.LatencyClass {
			return conflict("latencyClass", old.LatencyClass, e.LatencyClass)
		}
		old.LatencyClass = e.LatencyClass
	}
	return nil
}

// Normalize checks a graph and makes it explicit: defaults filled in (id,
// name, runtime auto, policy default), every edge listed once — from
// dependsOn, dependsOnConditions, references and g.Edges — with its
// condition ("started" unless given), each node's dependsOn the sorted ids
// of its edges and its dependsOnConditions the conditions other than
// started. Edges are sorted by from, then to. Normalize is idempotent; Run
// and Inspect normalize their graph first.
//
// Errors: InvalidArgument naming the field (an edge or dependency naming no
// node, a bad enum value, a node id that is not a valid service name);
// WorkloadRefResolutionFailed for a reference to no node; DependencyCycle
// naming the cycle; PolicyViolation for the static policy conflicts (see
// the package documentation).
func Normalize(g core.WorkloadGraph) (core.WorkloadGraph, error) {
	if strings.TrimSpace(g.Name) == "" {
		return core.WorkloadGraph{}, core.InvalidArgument("name", "the graph needs a name")
	}
	if ProjectName(g.Name) == "" {
		return core.WorkloadGraph{}, core.InvalidArgument("name", "%q gives no compose project name (it needs a letter or digit)", g.Name)
	}
	if len(g.Nodes) == 0 {
		return core.WorkloadGraph{}, core.InvalidArgument("nodes", "the graph %q has no nodes", g.Name)
	}
	nodes := make(map[string]core.WorkloadNode, len(g.Nodes))
	for _, key := range slices.Sorted(maps.Keys(g.Nodes)) {
		n := g.Nodes[key]
		if n.ID == "" {
			n.ID = key
		}
		if n.ID != key {
			return core.WorkloadGraph{}, core.InvalidArgument("nodes."+key+".id", "is %q but the node is keyed %q", n.ID, key).With("node", key)
		}
		if n.Name == "" {
			n.Name = key
		}
		nodes[key] = defaults(n)
	}
	b := &edgeBuilder{edges: map[[2]string]*core.WorkloadEdge{}, explicit: map[[2]string]bool{}}
	for _, id := range slices.Sorted(maps.Keys(nodes)) {
		n := nodes[id]
		path := "nodes." + id
		if err := checkNode(path, n, nodes); err != nil {
			return core.WorkloadGraph{}, err
		}
		if n.Image == "" {
			return core.WorkloadGraph{}, core.InvalidArgument(path+".image", "node %q has no image", id).With("node", id)
		}
		for _, d := range n.DependsOn {
			if err := b.add(path+".dependsOn", core.WorkloadEdge{From: id, To: d}, false); err != nil {
				return core.WorkloadGraph{}, err
			}
		}
		for _, d := range slices.Sorted(maps.Keys(n.DependsOnConditions)) {
			e := core.WorkloadEdge{From: id, To: d, Condition: n.DependsOnConditions[d]}
			if err := b.add(path+".dependsOnConditions", e, true); err != nil {
				return core.WorkloadGraph{}, err
			}
		}
		for _, k := range slices.Sorted(maps.Keys(n.Env)) {
			if r := n.Env[k].Ref; r != nil {
				if err := b.add(path+".env."+k, core.WorkloadEdge{From: id, To: r.NodeID}, false); err != nil {
					return core.WorkloadGraph{}, err
				}
			}
		}
	}
	for i, e := range g.Edges {
		path := fmt.Sprintf("edges[%d]", i)
		if err := checkEdge(path, e, nodes); err != nil {
			return core.WorkloadGraph{}, err
		}
		if err := b.add(path, e, true); err != nil {
			return core.WorkloadGraph{}, err
		}
	}

	deps := map[string][]string{}
	edges := make([]core.WorkloadEdge, 0, len(b.edges))
	for _, e := range b.edges {
		if e.Condition == "" {
			e.Condition = ConditionStarted
		}
		edges = append(edges, *e)
		deps[e.From] = append(deps[e.From], e.To)
	}
	sort.Slice(edges, func(i, j int) bool {
		if edges[i].From != edges[j].From {
			return edges[i].From < edges[j].From
		}
		return edges[i].To < edges[j].To
	})
	if _, err := graph.TopoSort(slices.Sorted(maps.Keys(nodes)), deps); err != nil {
		return core.WorkloadGraph{}, err
	}
	for id, n := range nodes {
		n.DependsOn, n.DependsOnConditions = nil, nil
		nodes[id] = n
	}
	for _, e := range edges {
		n := nodes[e.From]
		n.DependsOn = append(n.DependsOn, e.To)
		if e.Condition != ConditionStarted {
			if n.DependsOnConditions == nil {
				n.DependsOnConditions = map[string]string{}
			}
			n.DependsOnConditions[e.To] = e.Condition
		}
		nodes[e.From] = n
	}
	return core.WorkloadGraph{Name: g.Name, Nodes: nodes, Edges: edges}, nil
}

// ProjectName is the compose project a graph runs as: its name normalized
// as docker compose normalizes a directory name (lower case, [a-z0-9_-]).
func ProjectName(graphName string) string { return loader.NormalizeProjectName(graphName) }

// order returns the nodes of a normalized graph in topological order (ties
// by id) and its levels.
func order(g core.WorkloadGraph) ([]string, [][]string) {
	deps := map[string][]string{}
	sg := core.ServiceGraph{Nodes: slices.Sorted(maps.Keys(g.Nodes))}
	for _, e := range g.Edges {
		deps[e.From] = append(deps[e.From], e.To)
		sg.Edges = append(sg.Edges, core.Edge{From: e.From, To: e.To})
	}
	o, err := graph.TopoSort(sg.Nodes, deps)
	if err != nil {
		o = sg.Nodes // unreachable for a normalized graph
	}
	return o, graph.Levels(sg)
}
