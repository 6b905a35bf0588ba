package main

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perryts/perry-container/backend/fake"
	"github.com/perryts/perry-container/core"
)

func a(name, s string) arg { return newArg(name, s, true, false) }

// buildGraph runs the two builders the way a host does: node() for each
// node, then graph() over their JSON.
func buildGraph(t *testing.T, name string, nodes map[string]string) string {
	t.Helper()
	parts := []string{}
	for id, spec := range nodes {
		n, err := workloadNode(a("name", id), a("spec", spec))
		if err != nil {
			t.Fatalf("node %s: %v", id, err)
		}
		js, _ := json.Marshal(n)
		parts = append(parts, `"`+id+`":`+string(js))
	}
	g, err := workloadGraph(a("name", name), a("spec", `{"nodes":{`+strings.Join(parts, ",")+`}}`))
	if err != nil {
		t.Fatalf("graph: %v", err)
	}
	js, _ := json.Marshal(g)
	return string(js)
}

const sleeper = `"image":"perry-test/busybox:latest","cmd":["sleep","100"]`

func TestWorkloadThroughHandles(t *testing.T) {
	fb := fake.New("perry-test/busybox:latest")
	c := fakeContext(fb)
	ctx := context.Background()
	graph := buildGraph(t, "ffi-graph", map[string]string{
		"db":  `{` + sleeper + `,"ports":["15432:5432"],"healthcheck":{"test":["CMD","true"],"interval":"1s"}}`,
		"api": `{` + sleeper + `,"dependsOn":[{"node":"db","condition":"healthy"}],"env":{"DB":{"nodeId":"db","projection":"endpoint","port":"5432"},"MODE":"x"}}`,
		"web": `{` + sleeper + `,"dependsOn":["api"]}`,
	})
	// The builder's envelope is a WorkloadGraph.
	env := decode(t, okEnvelope(json.RawMessage(graph)))
	if !strings.Contains(string(env.Result), `{"from":"api","to":"db","condition":"healthy"}`) {
		t.Fatalf("graph: %s", env.Result)
	}

	st, err := c.inspectGraph(ctx, a("graph", graph))
	if err != nil || st.(core.GraphStatus).Healthy {
		t.Fatalf("inspect before run: %+v %v", st, err)
	}
	res, err := c.runGraph(ctx, a("graph", graph), a("opts", `{"strategy":"max-parallel"}`))
	if err != nil {
		t.Fatal(err)
	}
	run := res.(RunGraphResult)
	if run.Handle <= 0 || run.Project != "ffi-graph" || strings.Join(run.Nodes, ",") != "db,api,web" || run.Resolved["api"]["DB"] != "127.0.0.1:15432" {
		t.Fatalf("run result: %+v", run)
	}
	h := run.Handle
	js := okEnvelope(run)
	if !strings.Contains(string(js), `"resolved":{"api":{"DB":"127.0.0.1:15432"}}`) {
		t.Fatalf("result JSON: %s", js)
	}

	st, err = c.graphStatus(ctx, h)
	if err != nil || !st.(core.GraphStatus).Healthy || st.(core.GraphStatus).Nodes["web"] != core.StateRunning {
		t.Fatalf("status: %+v %v", st, err)
	}
	g, err := c.graphGraph(h)
	if err != nil || len(g.(core.WorkloadGraph).Edges) != 2 {
		t.Fatalf("graph: %+v %v", g, err)
	}
	ps, err := c.graphPs(ctx, h)
	if err != nil || len(ps.([]core.NodeInfo)) != 3 || ps.([]core.NodeInfo)[0].Name != "ffi-graph-db-1" {
		t.Fatalf("ps: %+v %v", ps, err)
	}
	out, err := c.graphExec(ctx, h, a("node", "api"), a("cmd", `["env"]`))
	if err != nil || !strings.Contains(out.(core.ContainerLogs).Stdout, "DB=127.0.0.1:15432") {
		t.Fatalf("exec: %+v %v", out, err)
	}
	if _, err := c.graphExec(ctx, h, a("node", "api"), a("cmd", `[]`)); core.KindOf(err) != core.KindInvalidArgument {
		t.Fatalf("empty cmd: %v", err)
	}
	if _, err := c.graphExec(ctx, h, a("node", "nope"), a("cmd", `["true"]`)); core.KindOf(err) != core.KindNotFound {
		t.Fatalf("unknown node: %v", err)
	}
	if _, err := c.graphLogs(ctx, h, arg{name: "node"}, a("opts", `{"tail":5}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.graphLogs(ctx, h, a("node", "api"), a("opts", `{"tail":-1}`)); core.KindOf(err) != core.KindInvalidArgument {
		t.Fatalf("negative tail: %v", err)
	}
	if _, err := c.lookup(h, kindCompose); core.KindOf(err) != core.KindInvalidArgument {
		t.Fatalf("a workload handle used as a compose handle: %v", err)
	}
	if _, err := c.composeStatus(ctx, h); core.KindOf(err) != core.KindInvalidArgument {
		t.Fatalf("compose status on a workload handle: %v", err)
	}

	// Concurrent down of one handle: exactly one succeeds, the other is NotFound.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func(i int) { defer wg.Done(); _, errs[i] = c.graphDown(ctx, h, a("opts", `{"volumes":true}`)) }(i)
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if core.KindOf(err) != core.KindNotFound {
			t.Fatalf("second down: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d downs succeeded, want 1: %v", ok, errs)
	}
	if left, _ := fb.List(ctx, backendAll()); len(left) != 0 {
		t.Fatalf("containers left after down: %+v", left)
	}
	for _, op := range []func() (any, error){
		func() (any, error) { return c.graphStatus(ctx, h) },
		func() (any, error) { return c.graphGraph(h) },
		func() (any, error) { return c.graphPs(ctx, h) },
	} {
		if _, err := op(); core.KindOf(err) != core.KindNotFound {
			t.Fatalf("after down: %v", err)
		}
	}
	if c.liveHandles() != 0 {
		t.Fatalf("handles leak: %d", c.liveHandles())
	}
}

func TestWorkloadErrorsThroughEnvelopes(t *testing.T) {
	c := fakeContext(fake.New("perry-test/busybox:latest"))
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		call func() (any, error)
		kind string
		code int
		word string
	}{
		{"cycle", func() (any, error) {
			return workloadGraph(a("name", "g"), a("spec", `{"nodes":{"a":{"image":"i","dependsOn":["b"]},"b":{"image":"i","dependsOn":["a"]}}}`))
		}, "DependencyCycle", 422, "a -> b -> a"},
		{"graph without a name", func() (any, error) { return workloadGraph(arg{name: "name"}, a("spec", `{}`)) }, "InvalidArgument", 400, "name"},
		{"node with an unknown key", func() (any, error) { return workloadNode(a("name", "n"), a("spec", `{"imagee":"x"}`)) }, "InvalidArgument", 400, "imagee"},
		{"node with an empty spec", func() (any, error) { return workloadNode(a("name", "n"), a("spec", "")) }, "InvalidArgument", 400, "empty"},
		{"node with a blank spec", func() (any, error) { return workloadNode(a("name", "n"), a("spec", " \n")) }, "InvalidArgument", 400, "empty"},
		{"untrusted on a container backend", func() (any, error) {
			return c.runGraph(ctx, a("graph", `{"name":"g","nodes":{"s":{"id":"s","name":"s","image":"perry-test/busybox:latest","runtime":{"type":"auto"},"policy":{"tier":"untrusted"}}},"edges":[]}`), arg{name: "opts"})
		}, "PolicyViolation", 403, "MicroVm"},
		{"microvm runtime on a container backend", func() (any, error) {
			return c.runGraph(ctx, a("graph", `{"name":"g","nodes":{"s":{"id":"s","name":"s","image":"perry-test/busybox:latest","runtime":{"type":"microvm"},"policy":{"tier":"default"}}},"edges":[]}`), arg{name: "opts"})
		}, "BackendNotAvailable", 503, "microvm"},
		{"bad strategy", func() (any, error) {
			return c.runGraph(ctx, a("graph", `{"name":"g","nodes":{"s":{"image":"i","runtime":{"type":"auto"},"policy":{"tier":"default"}}},"edges":[]}`), a("opts", `{"strategy":"warp"}`))
		}, "InvalidArgument", 400, "warp"},
		{"graph is required", func() (any, error) { return c.runGraph(ctx, arg{name: "graph"}, arg{name: "opts"}) }, "InvalidArgument", 400, "graph"},
		{"unknown handle", func() (any, error) { return c.graphStatus(ctx, 424242) }, "NotFound", 404, "424242"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.call()
			e := decode(t, errEnvelope(err))
			if e.OK || e.Error["kind"] != tc.kind || int(e.Error["code"].(float64)) != tc.code || !strings.Contains(e.Error["message"].(string), tc.word) {
				t.Fatalf("envelope %+v (err %v)", e.Error, err)
			}
		})
	}
	if c.liveHandles() != 0 {
		t.Fatalf("handles leak: %d", c.liveHandles())
	}
}

// halt-graph rejects, and the error names the handle of what was kept.
func TestWorkloadHaltGraphKeepsAHandle(t *testing.T) {
	fb := fake.New("perry-test/busybox:latest")
	fb.Inject(fake.Fault{Method: "Start", Match: "halted-b-1", Err: core.Errorf(core.KindBackendError, "boom")})
	c := fakeContext(fb)
	ctx := context.Background()
	graph := buildGraph(t, "halted", map[string]string{"a": `{` + sleeper + `}`, "b": `{` + sleeper + `,"dependsOn":["a"]}`})
	_, err := c.runGraph(ctx, a("graph", graph), a("opts", `{"onFailure":"halt-graph"}`))
	e := decode(t, errEnvelope(err))
	if e.Error["kind"] != "ServiceStartupFailed" || e.Error["node"] != "b" {
		t.Fatalf("envelope: %+v", e.Error)
	}
	h := int64(e.Error["handle"].(float64))
	st, err := c.graphStatus(ctx, h)
	if err != nil || st.(core.GraphStatus).Nodes["a"] != core.StateRunning || st.(core.GraphStatus).Nodes["b"] != core.StateFailed {
		t.Fatalf("status of the kept graph: %+v %v", st, err)
	}
	// js_container_shutdown with teardown brings it down.
	res, err := c.Shutdown(5*time.Second, true)
	if err != nil || len(res.(ShutdownResult).TornDown) != 1 {
		t.Fatalf("shutdown: %+v %v", res, err)
	}
	if left, _ := fb.List(ctx, backendAll()); len(left) != 0 {
		t.Fatalf("containers left after shutdown: %+v", left)
	}
}
