package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/fake"
	cswarm "github.com/perryts/perry-container/compose/swarm"
	"github.com/perryts/perry-container/core"
	"github.com/perryts/perry-container/internal/testenv"
)

// runGraph's target is composeUpWith's choice (the option, else
// PERRY_CONTAINER_TARGET, else local); an unknown one, or what the Swarm
// target refuses, is InvalidArgument before anything is created.
func TestWorkloadTargetChoice(t *testing.T) {
	fb := fake.New("perry-test/busybox:latest")
	c := fakeContext(fb)
	ctx := context.Background()
	graph := buildGraph(t, "ffi-target", map[string]string{"a": `{` + sleeper + `}`})
	for _, tc := range []struct{ env, opts, badArg, text string }{
		{"", `{"target":"k8s"}`, "opts.target", `"k8s"`},
		{"nomad", `{}`, targetEnv, `"nomad"`},
		{"", `{"target":"swarm","strategy":"fast"}`, "opts.strategy", `"fast"`},
		{"swarm", `{"onFailure":"partial-continue"}`, "opts.onFailure", "swarm target"},
	} {
		t.Run(tc.env+tc.opts, func(t *testing.T) {
			t.Setenv(targetEnv, tc.env)
			_, err := c.runGraph(ctx, a("graph", graph), a("opts", tc.opts))
			if core.KindOf(err) != core.KindInvalidArgument || core.AsError(err).Details["argument"] != tc.badArg || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("got %v; want InvalidArgument naming %s", err, tc.badArg)
			}
		})
	}
	// What Swarm cannot do is refused before the swarm is asked anything.
	t.Setenv(targetEnv, "")
	hardened := buildGraph(t, "ffi-target-h", map[string]string{"a": `{` + sleeper + `,"policy":{"tier":"hardened"}}`})
	if _, err := c.runGraph(ctx, a("graph", hardened), a("opts", `{"target":"swarm"}`)); core.KindOf(err) != core.KindInvalidArgument ||
		!strings.Contains(err.Error(), "not available on Swarm") {
		t.Fatalf("hardened on swarm: %v", err)
	}
	if cs, _ := fb.List(ctx, backendAll()); len(cs) != 0 || c.liveHandles() != 0 {
		t.Fatalf("refused runs left %d containers, %d handles", len(cs), c.liveHandles())
	}
	// local (explicit, or from the variable) is the detected runtime.
	t.Setenv(targetEnv, "LOCAL")
	res, err := c.runGraph(ctx, a("graph", graph), a("opts", `{}`))
	if err != nil {
		t.Fatal(err)
	}
	if cs, _ := fb.List(ctx, backendAll()); len(cs) != 1 {
		t.Fatalf("target local: %d containers, want 1", len(cs))
	}
	if _, err := c.graphDown(ctx, res.(RunGraphResult).Handle, arg{name: "opts"}); err != nil {
		t.Fatal(err)
	}
}

// runGraph with target swarm on the real single-node swarm, through the
// handle calls a host makes: db healthy → migrate (a job, awaited
// completed, reaching db by its reference) → api (db's DNS name in its
// env); status, ps, logs, followed logs and exec act on the stack, the
// same graph cannot go local while it lives on Swarm, a second run through
// PERRY_CONTAINER_TARGET converges on the same handle, and down leaves
// nothing with the stack's label.
func TestWorkloadSwarmThroughHandles(t *testing.T) {
	sc := testenv.RequireSwarm(t)
	eb := testenv.RequireEngine(t)
	name := fmt.Sprintf("ffiwlswarm%d", time.Now().UnixNano()%1e6)
	project := name
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	left := func() []string {
		lctx, lcancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer lcancel()
		ns := map[string]string{cswarm.LabelNamespace: project}
		var out []string
		ss, err := sc.ListServices(lctx, ns)
		if err != nil {
			return []string{err.Error()}
		}
		for _, s := range ss {
			out = append(out, "service "+s.Spec.Name)
		}
		nw, err := sc.ListNetworks(lctx, ns)
		if err != nil {
			return []string{err.Error()}
		}
		for _, n := range nw {
			out = append(out, "network "+n.Name)
		}
		cs, err := eb.List(lctx, backend.ListOptions{All: true, Labels: ns})
		if err != nil {
			return []string{err.Error()}
		}
		for _, k := range cs {
			out = append(out, "container "+k.Name)
		}
		return out
	}
	t.Cleanup(func() {
		if len(left()) != 0 {
			if tg, err := cswarm.FromClient(context.Background(), sc); err == nil {
				_ = tg.Down(context.Background(), project, cswarm.DownOptions{Volumes: true})
			}
		}
	})
	const labels = `"labels":{"perry.test":"1"}`
	graph := buildGraph(t, name, map[string]string{
		"db": `{"image":"perry-test/busybox:latest",` + labels + `,
			"cmd":["sh","-c","trap 'exit 0' TERM; echo db-ready; touch /tmp/ready; while true; do echo pong | nc -l -p 5432 & wait; done"],
			"healthcheck":{"test":["CMD","test","-f","/tmp/ready"],"interval":"300ms","retries":20}}`,
		"migrate": `{"image":"perry-test/busybox:latest",` + labels + `,"dependsOn":[{"node":"db","condition":"healthy"}],
			"env":{"DB_HOST":{"nodeId":"db","projection":"ip"}},
			"cmd":["sh","-c","for i in $(seq 1 40); do nslookup \"$DB_HOST\" >/dev/null 2>&1 && echo hi | nc -w 2 \"$DB_HOST\" 5432 && exit 0; sleep 0.25; done; exit 1"]}`,
		"api": `{` + sleeper + `,` + labels + `,"dependsOn":[{"node":"migrate","condition":"completed"}],
			"env":{"DB_URL":{"nodeId":"db","projection":"internalUrl","port":"5432"}}}`,
	})
	c := newHostCtx(func(context.Context) (backend.Backend, error) { return eb, nil })
	t.Setenv(targetEnv, "")
	start := time.Now()
	res, err := c.runGraph(ctx, a("graph", graph), a("opts", `{"target":"swarm"}`))
	if err != nil {
		t.Fatalf("runGraph on swarm: %v", err)
	}
	t.Logf("graph up on swarm through the ffi in %v", time.Since(start))
	up := res.(RunGraphResult)
	if up.Project != project || strings.Join(up.Nodes, ",") != "db,migrate,api" ||
		up.Resolved["api"]["DB_URL"] != "http://"+project+"_db:5432" || up.Resolved["migrate"]["DB_HOST"] != project+"_db" {
		t.Fatalf("result %+v", up)
	}
	h := up.Handle
	ss, err := sc.ListServices(ctx, map[string]string{cswarm.LabelNamespace: project, "perry.test": "1"})
	if err != nil || len(ss) != 3 {
		t.Fatalf("the graph's Swarm services: %d, %v", len(ss), err)
	}

	st, err := c.graphStatus(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	if gs := st.(core.GraphStatus); !gs.Healthy || gs.Nodes["db"] != core.StateRunning || gs.Nodes["migrate"] != core.StateStopped || gs.Nodes["api"] != core.StateRunning {
		t.Fatalf("status %+v", gs)
	}
	ps, err := c.graphPs(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	if infos := ps.([]core.NodeInfo); len(infos) != 3 || infos[2].NodeID != "api" || !strings.HasPrefix(infos[2].Name, project+"_api.") || infos[2].State != core.StateRunning {
		t.Fatalf("ps %+v", infos)
	}
	out, err := c.graphExec(ctx, h, a("node", "api"), a("cmd", `["sh","-c","echo $DB_URL"]`))
	if err != nil || strings.TrimSpace(out.(core.ContainerLogs).Stdout) != "http://"+project+"_db:5432" {
		t.Fatalf("exec: %+v %v", out, err)
	}
	testenv.Eventually(t, 30*time.Second, "the job's answer from db in the graph's logs", func() bool {
		l, err := c.graphLogs(ctx, h, arg{name: "node"}, arg{name: "opts"})
		return err == nil && strings.Contains(l.(core.ContainerLogs).Stdout, "migrate | pong")
	})
	// Followed logs deliver db's lines under its node id until cancelled.
	fctx, fcancel := context.WithCancel(ctx)
	var fmu sync.Mutex
	var followed []LogLine
	fdone := make(chan error, 1)
	go func() {
		fdone <- c.graphLogsFollow(fctx, h, a("node", "db"), a("opts", `{"tail":5}`), func(l LogLine) error {
			fmu.Lock()
			defer fmu.Unlock()
			followed = append(followed, l)
			return nil
		})
	}()
	testenv.Eventually(t, 30*time.Second, "db's line in the followed logs", func() bool {
		fmu.Lock()
		defer fmu.Unlock()
		for _, l := range followed {
			if l.Service == "db" && l.Line == "db-ready" {
				return true
			}
		}
		return false
	})
	fcancel()
	select {
	case <-fdone:
	case <-time.After(30 * time.Second):
		t.Fatal("the followed log did not end after its cancel")
	}

	// The graph cannot go local while it lives on Swarm.
	if _, err := c.runGraph(ctx, a("graph", graph), a("opts", `{"target":"local"}`)); core.KindOf(err) != core.KindInvalidArgument {
		t.Fatalf("a local run of a graph live on Swarm: %v", err)
	}
	// A second run, the target from the variable, converges on the handle.
	t.Setenv(targetEnv, "swarm")
	res2, err := c.runGraph(ctx, a("graph", graph), arg{name: "opts"})
	if err != nil || res2.(RunGraphResult).Handle != h {
		t.Fatalf("second run: %+v %v", res2, err)
	}

	if _, err := c.graphDown(ctx, h, arg{name: "opts"}); err != nil {
		t.Fatalf("down: %v", err)
	}
	if _, err := c.graphStatus(ctx, h); core.KindOf(err) != core.KindNotFound {
		t.Fatalf("status after down: %v", err)
	}
	testenv.Eventually(t, time.Minute, "nothing of the stack left", func() bool { return len(left()) == 0 })
}
