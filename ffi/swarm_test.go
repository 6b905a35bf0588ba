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
	bswarm "github.com/perryts/perry-container/backend/swarm"
	cswarm "github.com/perryts/perry-container/compose/swarm"
	"github.com/perryts/perry-container/core"
	"github.com/perryts/perry-container/internal/testenv"
)

// The target comes from the option, else PERRY_CONTAINER_TARGET, else
// local; anything else is InvalidArgument naming where it came from,
// before the spec is even read.
func TestComposeTargetChoice(t *testing.T) {
	opts := func(s string) arg { return newArg("opts", s, true, false) }
	for _, tc := range []struct {
		env, opts string
		want      string
		badArg    string
	}{
		{"", "", targetLocal, ""},
		{"", `{}`, targetLocal, ""},
		{"", `{"target":"local"}`, targetLocal, ""},
		{"", `{"target":"swarm"}`, targetSwarm, ""},
		{"swarm", "", targetSwarm, ""},
		{"Swarm", "", targetSwarm, ""},
		{"swarm", `{"target":"local"}`, targetLocal, ""},
		{"local", `{"target":"swarm"}`, targetSwarm, ""},
		{"", `{"target":"kubernetes"}`, "", "opts.target"},
		{"nomad", "", "", targetEnv},
		{"nomad", `{"target":"Swarm"}`, "", "opts.target"},
		{"", `{"targett":"swarm"}`, "", "opts"},
	} {
		t.Run(tc.env+"/"+tc.opts, func(t *testing.T) {
			t.Setenv(targetEnv, tc.env)
			a := arg{name: "opts"}
			if tc.opts != "" {
				a = opts(tc.opts)
			}
			got, err := composeTarget(a)
			if tc.badArg != "" {
				if core.KindOf(err) != core.KindInvalidArgument || core.AsError(err).Details["argument"] != tc.badArg {
					t.Fatalf("got %q, %v; want InvalidArgument naming %s", got, err, tc.badArg)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	// Through the entry point of js_container_composeUpWith: refused
	// before anything is loaded or created.
	fb := fake.New("perry-test/busybox:latest")
	c := fakeContext(fb)
	t.Setenv(targetEnv, "")
	_, err := c.composeUpWith(context.Background(), newArg("spec", inlineStack, true, false), opts(`{"target":"k8s"}`))
	if core.KindOf(err) != core.KindInvalidArgument || !strings.Contains(err.Error(), `"k8s"`) {
		t.Fatalf("unknown target: %v", err)
	}
	if cs, _ := fb.List(context.Background(), backendAll()); len(cs) != 0 {
		t.Fatalf("an up with an unknown target created %d containers", len(cs))
	}
	// target local is the detected runtime's compose stack, as composeUp.
	res, err := c.composeUpWith(context.Background(), newArg("spec", inlineStack, true, false), opts(`{"target":"local"}`))
	if err != nil {
		t.Fatalf("up with target local: %v", err)
	}
	if cs, _ := fb.List(context.Background(), backendAll()); len(cs) != 2 {
		t.Fatalf("target local: %d containers on the runtime, want 2", len(cs))
	}
	if _, err := c.composeDown(context.Background(), res.(ComposeUpResult).Handle, false); err != nil {
		t.Fatal(err)
	}
}

// An engine that is not a swarm manager: the Swarm target's own error
// reaches the host unchanged. Podman's Engine API is never a swarm
// manager, so the test needs no change to the Docker Engine's swarm: the
// detected runtime is not a Docker Engine (the fake), so the target goes
// to DOCKER_HOST, here podman's socket.
func TestComposeUpSwarmNotAManager(t *testing.T) {
	pb := testenv.RequirePodmanAPI(t)
	_, want := bswarm.FromBackend(pb).RequireManager(context.Background())
	if want == nil {
		t.Skip("podman answers as a swarm manager")
	}
	t.Setenv("DOCKER_HOST", "unix://"+testenv.PodmanSocket)
	c := fakeContext(fake.New("perry-test/busybox:latest"))
	_, err := c.composeUpWith(context.Background(), newArg("spec", inlineStack, true, false), newArg("opts", `{"target":"swarm"}`, true, false))
	if core.KindOf(err) != core.KindBackendNotAvailable || core.AsError(err).Message != core.AsError(want).Message {
		t.Fatalf("got %v, want the target's own %v", err, want)
	}
	if c.liveHandles() != 0 {
		t.Fatalf("%d handles after a refused up", c.liveHandles())
	}
}

// composeUpWith target swarm on the real single-node swarm: the stack's
// services come up gated, and the handle's ps, status, logs, exec, config
// and down act on Swarm; down leaves nothing with the stack's label.
func TestComposeUpSwarmThroughHandle(t *testing.T) {
	sc := testenv.RequireSwarm(t)
	eb := testenv.RequireEngine(t)
	project := fmt.Sprintf("ffiswarm%d", time.Now().UnixNano()%1e6)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	// left counts the stack's services and networks (-1 when the engine
	// does not answer); it has its own context, so the cleanup can use it.
	left := func() int {
		lctx, lcancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer lcancel()
		ns := map[string]string{cswarm.LabelNamespace: project}
		ss, err := sc.ListServices(lctx, ns)
		if err != nil {
			return -1
		}
		nw, err := sc.ListNetworks(lctx, ns)
		if err != nil {
			return -1
		}
		return len(ss) + len(nw)
	}
	t.Cleanup(func() {
		if left() != 0 {
			tg, err := cswarm.FromClient(context.Background(), sc)
			if err == nil {
				_ = tg.Down(context.Background(), project, cswarm.DownOptions{})
			}
		}
	})
	spec := fmt.Sprintf(`{
  "name": %q,
  "services": {
    "db":  {"image": "perry-test/busybox:latest",
            "command": ["sh", "-c", "echo db-ready; touch /tmp/ready; trap 'exit 0' TERM; sleep 3600 & wait"],
            "labels": {"perry.test": "1"}, "deploy": {"labels": {"perry.test": "1"}},
            "healthcheck": {"test": ["CMD-SHELL", "test -f /tmp/ready"], "interval": "1s", "retries": 30}},
    "web": {"image": "perry-test/busybox:latest",
            "command": ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"],
            "environment": {"DB": "db"},
            "labels": {"perry.test": "1"}, "deploy": {"labels": {"perry.test": "1"}},
            "depends_on": {"db": {"condition": "service_healthy"}}}
  },
  "networks": {"default": {"labels": {"perry.test": "1"}}}
}`, project)
	c := newHostCtx(func(context.Context) (backend.Backend, error) { return eb, nil })
	res, err := c.composeUpWith(ctx, newArg("spec", spec, true, false), newArg("opts", `{"target":"swarm"}`, true, false))
	if err != nil {
		t.Fatalf("up on swarm: %v", err)
	}
	up := res.(ComposeUpResult)
	if up.Handle <= 0 || up.Project != project || strings.Join(up.Services, ",") != "db,web" {
		t.Fatalf("up result: %+v", up)
	}
	h := up.Handle
	// The stack is Swarm services: every container of the project is a
	// task's.
	if ss, err := sc.ListServices(ctx, map[string]string{cswarm.LabelNamespace: project}); err != nil || len(ss) != 2 {
		t.Fatalf("swarm services of %s: %d, %v", project, len(ss), err)
	}
	cs, err := eb.List(ctx, backend.ListOptions{All: true, Labels: map[string]string{"com.docker.compose.project": project}})
	if err != nil || len(cs) == 0 {
		t.Fatalf("containers of %s: %d, %v", project, len(cs), err)
	}
	for _, ci := range cs {
		if ci.Labels["com.docker.swarm.task.id"] == "" {
			t.Fatalf("container %s of %s is not a Swarm task's: %v", ci.Name, project, ci.Labels)
		}
	}

	ps, err := c.composePs(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	running := map[string]bool{}
	for _, ci := range ps.([]core.ContainerInfo) {
		if ci.State == "running" {
			running[ci.Labels[cswarm.LabelService]] = true
		}
	}
	if !running["db"] || !running["web"] {
		t.Fatalf("ps: %+v", ps)
	}
	st, err := c.composeStatus(ctx, h)
	if err != nil || !st.(core.StackStatus).Healthy {
		t.Fatalf("status: %+v %v", st, err)
	}
	testenv.Eventually(t, 30*time.Second, "db's line in the stack's logs", func() bool {
		l, err := c.composeLogs(ctx, h, newArg("opts", `{"service":"db"}`, true, false))
		return err == nil && strings.Contains(l.(core.ContainerLogs).Stdout, "db | db-ready")
	})
	// A followed log delivers the lines by service until cancelled.
	fctx, fcancel := context.WithCancel(ctx)
	var fmu sync.Mutex
	var followed []LogLine
	fdone := make(chan error, 1)
	go func() {
		fdone <- c.composeLogsFollow(fctx, h, newArg("opts", `{"service":"db"}`, true, false), func(l LogLine) error {
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
			if l.Service == "db" && strings.Contains(l.Line, "db-ready") {
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
	out, err := c.composeExec(ctx, h, newArg("service", "web", true, false), newArg("cmd", `["sh","-c","echo $DB"]`, true, false), arg{name: "opts"})
	if err != nil || strings.TrimSpace(out.(core.ContainerLogs).Stdout) != "db" {
		t.Fatalf("exec: %+v %v", out, err)
	}
	if _, err := c.composeConfig(ctx, h); err != nil {
		t.Fatalf("config: %v", err)
	}
	if _, err := c.composeLifecycle(ctx, h, "stop", arg{name: "services"}); core.KindOf(err) != core.KindInvalidArgument {
		t.Fatalf("stop on a Swarm stack: %v", err)
	}
	// The same project asked up locally while the Swarm handle lives.
	if _, err := c.composeUpWith(ctx, newArg("spec", spec, true, false), newArg("opts", `{"target":"local"}`, true, false)); core.KindOf(err) != core.KindInvalidArgument {
		t.Fatalf("a local up of a project live on Swarm: %v", err)
	}
	// A second Swarm up converges on the same handle.
	res2, err := c.composeUpWith(ctx, newArg("spec", spec, true, false), newArg("opts", `{"target":"swarm"}`, true, false))
	if err != nil || res2.(ComposeUpResult).Handle != h {
		t.Fatalf("second up: %+v %v", res2, err)
	}

	if _, err := c.composeDown(ctx, h, false); err != nil {
		t.Fatalf("down: %v", err)
	}
	if _, err := c.composePs(ctx, h); core.KindOf(err) != core.KindNotFound {
		t.Fatalf("ps after down: %v", err)
	}
	testenv.Eventually(t, time.Minute, "nothing of the stack left", func() bool { return left() == 0 })
}
