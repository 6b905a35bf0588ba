package workload

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/perryts/perry-container/core"
)

func TestNodeDefaultsAndDependencyForms(t *testing.T) {
	n, err := Node("api", []byte(`{"image":"img","dependsOn":["db",{"node":"mig","condition":"completed"},{"node":{"id":"cache"}},{"id":"q","name":"q","runtime":{"type":"auto"},"policy":{"tier":"default"}}],
		"env":{"A":"1","B":{"nodeId":"db","projection":"endpoint","port":"5432"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if n.ID != "api" || n.Name != "api" || n.Runtime.Type != "auto" || n.Policy.Tier != "default" {
		t.Fatalf("defaults: %+v", n)
	}
	if !reflect.DeepEqual(n.DependsOn, []string{"db", "mig", "cache", "q"}) || !reflect.DeepEqual(n.DependsOnConditions, map[string]string{"mig": "completed"}) {
		t.Fatalf("dependsOn %v conditions %v", n.DependsOn, n.DependsOnConditions)
	}
	if n.Env["B"].Ref == nil || n.Env["B"].Ref.NodeID != "db" || *n.Env["A"].Literal != "1" {
		t.Fatalf("env: %+v", n.Env)
	}
	// JSON is the spec's shape.
	js, _ := json.Marshal(n)
	for _, want := range []string{`"id":"api"`, `"runtime":{"type":"auto"}`, `"policy":{"tier":"default"}`, `"dependsOnConditions":{"mig":"completed"}`,
		`"B":{"nodeId":"db","projection":"endpoint","port":"5432"}`} {
		if !strings.Contains(string(js), want) {
			t.Errorf("%s lacks %s", js, want)
		}
	}
	if n, err := Node("solo", nil); err != nil || n.ID != "solo" {
		t.Fatalf("node without a spec: %+v %v", n, err)
	}
}

func TestNodeRejects(t *testing.T) {
	for _, tc := range []struct{ spec, arg string }{
		{`{"imgae":"x"}`, "spec"},
		{`{"runtime":{"type":"vm"}}`, "spec.runtime.type"},
		{`{"policy":{"tier":"paranoid"}}`, "spec.policy.tier"},
		{`{"env":{"X":{"nodeId":"db","projection":"url"}}}`, "spec.env.X.projection"},
		{`{"env":{"X":{"nodeId":"db","projection":"ip","port":"http"}}}`, "spec.env.X.port"},
		{`{"dependsOn":[{"node":"db","condition":"ready"}]}`, "spec.dependsOnConditions.db"},
		{`{"dependsOn":[{"node":"db","when":"x"}]}`, "spec.dependsOn[0]"},
		{`{"dependsOn":[5]}`, "spec.dependsOn[0]"},
		{`{"networkMode":"container:x"}`, "spec.networkMode"},
		{`{"name":"other"}`, "spec.name"},
		{`{"runtime":{"type":"oci","module":"m.wasm"}}`, "spec.runtime.module"},
	} {
		_, err := Node("n", []byte(tc.spec))
		ce := wantKind(t, err, core.KindInvalidArgument)
		if ce.Details["argument"] != tc.arg {
			t.Errorf("%s: argument %v, want %s (%v)", tc.spec, ce.Details["argument"], tc.arg, err)
		}
	}
	if _, err := Node("bad id!", []byte(`{}`)); core.KindOf(err) != core.KindInvalidArgument {
		t.Errorf("bad id: %v", err)
	}
}

func TestGraphMakesEveryEdgeExplicit(t *testing.T) {
	g, err := Graph("My App", []byte(`{"nodes":{
	  "db":{"image":"img","healthcheck":{"test":["CMD","true"]}},
	  "mig":{"image":"img","dependsOn":["db"]},
	  "api":{"image":"img","dependsOn":[{"node":"mig","condition":"completed"}],
	         "env":{"DB":{"nodeId":"db","projection":"internalUrl","port":"5432"}}},
	  "web":{"id":"web","name":"frontend","image":"img","runtime":{"type":"oci"},"policy":{"tier":"hardened"}}},
	  "edges":[{"from":"web","to":"api","locality":"same-host","latencyClass":"realtime"},{"from":"api","to":"db","condition":"healthy"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []core.WorkloadEdge{
		{From: "api", To: "db", Condition: "healthy"},
		{From: "api", To: "mig", Condition: "completed"},
		{From: "mig", To: "db", Condition: "started"},
		{From: "web", To: "api", Condition: "started", Locality: "same-host", LatencyClass: "realtime"},
	}
	if !reflect.DeepEqual(g.Edges, want) {
		t.Fatalf("edges:\n got %+v\nwant %+v", g.Edges, want)
	}
	if api := g.Nodes["api"]; !reflect.DeepEqual(api.DependsOn, []string{"db", "mig"}) ||
		!reflect.DeepEqual(api.DependsOnConditions, map[string]string{"db": "healthy", "mig": "completed"}) {
		t.Fatalf("api: %+v", api)
	}
	if g.Nodes["web"].Name != "frontend" || g.Nodes["db"].Runtime.Type != "auto" || g.Name != "My App" {
		t.Fatalf("nodes: %+v", g.Nodes)
	}
	if ProjectName(g.Name) != "myapp" {
		t.Fatalf("project %q", ProjectName(g.Name))
	}
	// Idempotent: the result is its own normal form.
	again, err := Normalize(g)
	if err != nil || !reflect.DeepEqual(again, g) {
		t.Fatalf("Normalize(graph) changed it: %v\n%+v\n%+v", err, again, g)
	}
}

func TestGraphErrorsNameTheirSubject(t *testing.T) {
	for _, tc := range []struct {
		name, spec string
		kind       core.Kind
		words      []string
	}{
		{"cycle", `{"nodes":{"a":{"image":"i","dependsOn":["b"]},"b":{"image":"i","dependsOn":["c"]},"c":{"image":"i","dependsOn":["a"]}}}`,
			core.KindDependencyCycle, []string{"a -> b -> c -> a"}},
		{"cycle through a ref", `{"nodes":{"a":{"image":"i","env":{"X":{"nodeId":"b","projection":"ip"}}},"b":{"image":"i","dependsOn":["a"]}}}`,
			core.KindDependencyCycle, []string{"a -> b -> a"}},
		{"self", `{"nodes":{"a":{"image":"i","dependsOn":["a"]}}}`, core.KindDependencyCycle, []string{"a -> a"}},
		{"missing dependency", `{"nodes":{"a":{"image":"i","dependsOn":["ghost"]}}}`, core.KindInvalidArgument, []string{`"a"`, `"ghost"`}},
		{"missing edge end", `{"nodes":{"a":{"image":"i"}},"edges":[{"from":"a","to":"ghost"}]}`, core.KindInvalidArgument, []string{"a -> ghost", `"ghost"`}},
		{"ref to no node", `{"nodes":{"a":{"image":"i","env":{"X":{"nodeId":"ghost","projection":"ip"}}}}}`,
			core.KindWorkloadRefResolutionFailed, []string{`"a"`, "X", `"ghost"`}},
		{"duplicate id", `{"nodes":{"a":{"image":"i"},"a":{"image":"j"}}}`, core.KindInvalidArgument, []string{`"a"`, "twice"}},
		{"id differs from key", `{"nodes":{"a":{"id":"b","image":"i"},"b":{"image":"i"}}}`, core.KindInvalidArgument, []string{`"b"`, `"a"`}},
		{"no image", `{"nodes":{"a":{}}}`, core.KindInvalidArgument, []string{`"a"`, "image"}},
		{"conflicting conditions", `{"nodes":{"a":{"image":"i","dependsOn":[{"node":"b","condition":"healthy"}]},"b":{"image":"i"}},"edges":[{"from":"a","to":"b","condition":"completed"}]}`,
			core.KindInvalidArgument, []string{"a -> b", "healthy", "completed"}},
		{"bad locality", `{"nodes":{"a":{"image":"i"},"b":{"image":"i"}},"edges":[{"from":"a","to":"b","locality":"moon"}]}`, core.KindInvalidArgument, []string{"moon"}},
		{"no nodes", `{"nodes":{}}`, core.KindInvalidArgument, []string{"no nodes"}},
		{"isolated on the host network", `{"nodes":{"a":{"image":"i","policy":{"tier":"isolated"},"networkMode":"host"}}}`,
			core.KindPolicyViolation, []string{`"a"`, "isolated", "host"}},
		{"hardened with a writable root mount", `{"nodes":{"a":{"image":"i","policy":{"tier":"hardened"},"volumes":["/srv:/"]}}}`,
			core.KindPolicyViolation, []string{`"a"`, "hardened", "/srv:/"}},
		{"untrusted forced onto oci", `{"nodes":{"a":{"image":"i","policy":{"tier":"untrusted"},"runtime":{"type":"oci"}}}}`,
			core.KindPolicyViolation, []string{`"a"`, "untrusted", "oci"}},
		{"bad port", `{"nodes":{"a":{"image":"i","ports":["eighty"]}}}`, core.KindInvalidConfig, []string{"a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Graph("g", []byte(tc.spec))
			ce := wantKind(t, err, tc.kind)
			for _, w := range tc.words {
				if !strings.Contains(ce.Error(), w) {
					t.Errorf("%q does not contain %q", ce.Error(), w)
				}
			}
		})
	}
	// The cycle is also in the details, as compose/graph reports it.
	_, err := Graph("g", []byte(`{"nodes":{"x":{"image":"i","dependsOn":["y"]},"y":{"image":"i","dependsOn":["x"]}}}`))
	if c, _ := core.AsError(err).Details["cycle"].([]string); !reflect.DeepEqual(c, []string{"x", "y", "x"}) {
		t.Fatalf("cycle detail: %v", core.AsError(err).Details)
	}
	// A read-only mount of / is allowed.
	if _, err := Graph("g", []byte(`{"nodes":{"a":{"image":"i","policy":{"tier":"hardened"},"volumes":["/srv:/:ro"]}}}`)); err != nil {
		t.Fatal(err)
	}
}

// Normalization is idempotent and keeps every declared dependency, for any
// DAG with any mix of dependsOn, conditions, refs and explicit edges.
func TestNormalizeIdempotentProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g := randomGraph(t)
		n1, err := Normalize(g)
		if err != nil {
			t.Fatalf("Normalize: %v", err)
		}
		n2, err := Normalize(n1)
		if err != nil || !reflect.DeepEqual(n1, n2) {
			t.Fatalf("not idempotent: %v", err)
		}
		has := map[[2]string]bool{}
		for _, e := range n1.Edges {
			has[[2]string{e.From, e.To}] = true
		}
		for id, n := range g.Nodes {
			for _, d := range n.DependsOn {
				if !has[[2]string{id, d}] {
					t.Fatalf("lost edge %s -> %s", id, d)
				}
			}
			for k, v := range n.Env {
				if v.Ref != nil && !has[[2]string{id, v.Ref.NodeID}] {
					t.Fatalf("ref %s of %s made no edge", k, id)
				}
			}
		}
	})
}

// randomGraph draws a DAG over n0..nk (edges only from higher to lower
// indices): dependsOn, conditions and refs.
func randomGraph(t *rapid.T) core.WorkloadGraph {
	count := rapid.IntRange(1, 6).Draw(t, "nodes")
	g := core.WorkloadGraph{Name: "prop", Nodes: map[string]core.WorkloadNode{}}
	for j := 0; j < count; j++ {
		n := node(nodeName(j))
		for i := 0; i < j; i++ {
			switch rapid.IntRange(0, 4).Draw(t, "edge") {
			case 1:
				n.DependsOn = append(n.DependsOn, nodeName(i))
			case 2:
				if n.DependsOnConditions == nil {
					n.DependsOnConditions = map[string]string{}
				}
				n.DependsOnConditions[nodeName(i)] = rapid.SampledFrom(conditions).Draw(t, "condition")
			case 3:
				if n.Env == nil {
					n.Env = map[string]core.WorkloadEnvValue{}
				}
				n.Env["REF_"+nodeName(i)] = ref(nodeName(i), rapid.SampledFrom(projections).Draw(t, "projection"), "80")
			}
		}
		g.Nodes[n.ID] = n
	}
	return g
}

func nodeName(i int) string { return "n" + string(rune('0'+i)) }
