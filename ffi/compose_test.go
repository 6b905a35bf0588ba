package main

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/perryts/perry-container/backend/fake"
	"github.com/perryts/perry-container/core"
)

const inlineStack = `{
  "name": "ffitest",
  "services": {
    "db":  {"image": "perry-test/busybox:latest", "command": ["sleep", "100"],
            "healthcheck": {"test": ["CMD", "true"], "interval": "1s"}},
    "web": {"image": "perry-test/busybox:latest", "command": ["sleep", "100"],
            "environment": {"DB": "db:5432"},
            "depends_on": {"db": {"condition": "service_healthy"}}}
  }
}`

func TestComposeThroughHandles(t *testing.T) {
	fb := fake.New("perry-test/busybox:latest")
	c := fakeContext(fb)
	ctx := context.Background()
	res, err := c.composeUp(ctx, newArg("spec", inlineStack, true, false))
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	up := res.(ComposeUpResult)
	if up.Handle <= 0 || up.Project != "ffitest" || strings.Join(up.Services, ",") != "db,web" {
		t.Fatalf("up result: %+v", up)
	}
	h := up.Handle

	g, err := c.composeGraph(h)
	if err != nil {
		t.Fatal(err)
	}
	graph := g.(core.ServiceGraph)
	if strings.Join(graph.Nodes, ",") != "db,web" || len(graph.Edges) != 1 || graph.Edges[0] != (core.Edge{From: "web", To: "db"}) {
		t.Fatalf("graph: %+v", graph)
	}
	st, err := c.composeStatus(ctx, h)
	if err != nil || !st.(core.StackStatus).Healthy {
		t.Fatalf("status: %+v %v", st, err)
	}
	ps, err := c.composePs(ctx, h)
	if err != nil || len(ps.([]core.ContainerInfo)) != 2 {
		t.Fatalf("ps: %+v %v", ps, err)
	}
	out, err := c.composeExec(ctx, h, newArg("service", "web", true, false), newArg("cmd", `["env"]`, true, false), newArg("opts", `{"env":{"X":"1"}}`, true, false))
	if err != nil || !strings.Contains(out.(core.ContainerLogs).Stdout, "DB=db:5432") || !strings.Contains(out.(core.ContainerLogs).Stdout, "X=1") {
		t.Fatalf("exec: %+v %v", out, err)
	}
	if _, err := c.composeExec(ctx, h, newArg("service", "nope", true, false), newArg("cmd", `["true"]`, true, false), arg{name: "opts"}); core.KindOf(err) != core.KindNotFound {
		t.Fatalf("exec in an unknown service: %v", err)
	}
	cfg, err := c.composeConfig(ctx, h)
	if err != nil || !json.Valid(cfg.(json.RawMessage)) || !strings.Contains(string(cfg.(json.RawMessage)), `"ffitest_default"`) {
		t.Fatalf("config: %s %v", cfg, err)
	}
	if _, err := c.composeLifecycle(ctx, h, "stop", newArg("services", `["web"]`, true, false)); err != nil {
		t.Fatal(err)
	}
	st, _ = c.composeStatus(ctx, h)
	if st.(core.StackStatus).Healthy {
		t.Fatalf("healthy after stopping web: %+v", st)
	}
	if _, err := c.composeLifecycle(ctx, h, "start", arg{name: "services"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.lookup(h, kindWorkload); core.KindOf(err) != core.KindInvalidArgument {
		t.Fatalf("a compose handle used as a workload handle: %v", err)
	}

	// Concurrent down of one handle: exactly one succeeds, the other is NotFound.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func(i int) { defer wg.Done(); _, errs[i] = c.composeDown(ctx, h, true) }(i)
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
	if c.liveHandles() != 0 {
		t.Fatalf("handles leak: %d", c.liveHandles())
	}
}

func TestComposeUpErrors(t *testing.T) {
	c := fakeContext(fake.New("perry-test/busybox:latest"))
	ctx := context.Background()
	cases := []struct{ name, spec, kind, needle string }{
		{"cycle", `{"name":"x","services":{"a":{"image":"i","depends_on":["b"]},"b":{"image":"i","depends_on":["a"]}}}`, "DependencyCycle", "a"},
		{"bad condition", `{"name":"x","services":{"a":{"image":"i","depends_on":{"b":{"condition":"service_ready"}}},"b":{"image":"i"}}}`, "InvalidConfig", "service_ready"},
		{"missing file", `/no/such/compose.yaml`, "NotFound", "/no/such/compose.yaml"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.composeUp(ctx, newArg("spec", tc.spec, true, false))
			if err == nil || string(core.KindOf(err)) != tc.kind || !strings.Contains(err.Error(), tc.needle) {
				t.Fatalf("err = %v (kind %s), want %s containing %q", err, core.KindOf(err), tc.kind, tc.needle)
			}
		})
	}
}
