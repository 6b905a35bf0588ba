package main

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	cswarm "github.com/perryts/perry-container/compose/swarm"
	"github.com/perryts/perry-container/core"
	"github.com/perryts/perry-container/internal/testenv"
)

// up -d --wait, ps, exec, logs and down of a stack on Docker Swarm through
// --target swarm (and PERRY_COMPOSE_TARGET=swarm). The stack is removed by
// its com.docker.stack.namespace label when the test ends.
func TestE2ESwarmTarget(t *testing.T) {
	c := testenv.RequireSwarm(t)
	s := newStack(t, "swarm", "", `
services:
  db:
    image: `+testImage+`
    command: ["sh", "-c", "echo db-up; touch /tmp/ok; exec sleep 600"]
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ok"]
      interval: 300ms
      start_interval: 300ms
    stop_grace_period: 1s
    labels: {perry.test: "1"}
    deploy: {labels: {perry.test: "1"}}
  web:
    image: `+testImage+`
    command: ["sleep", "600"]
    depends_on:
      db: {condition: service_healthy}
    stop_grace_period: 1s
    labels: {perry.test: "1"}
    deploy: {labels: {perry.test: "1"}}
networks:
  default:
    labels: {perry.test: "1"}
`)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		tg, err := cswarm.FromClient(ctx, c)
		if err != nil {
			t.Error(err)
			return
		}
		if err := tg.Down(ctx, s.name, cswarm.DownOptions{Volumes: true}); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	s.must("--target", "swarm", "up", "-d", "--wait")

	// ps through the environment variable, as JSON.
	r := s.runEnv(map[string]string{"PERRY_COMPOSE_TARGET": "swarm"}, "ps", "--format", "json")
	if r.code != 0 {
		t.Fatalf("ps: %d %s", r.code, r.out())
	}
	states := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var tk cswarm.Task
		if err := json.Unmarshal([]byte(line), &tk); err != nil {
			t.Fatalf("ps line %q: %v", line, err)
		}
		states[tk.Service] = tk.State + "/" + tk.Health
		if tk.Node == "" {
			t.Errorf("task %s without a node", tk.Name)
		}
	}
	if states["db"] != "running/healthy" || !strings.HasPrefix(states["web"], "running") {
		t.Fatalf("ps: %v\n%s", states, r.stdout)
	}
	if out := s.must("--target", "swarm", "exec", "web", "echo", "hi").stdout; out != "hi\n" {
		t.Fatalf("exec: %q", out)
	}
	testenv.Eventually(t, 30*time.Second, "db's line in the logs", func() bool {
		return strings.Contains(s.must("--target", "swarm", "logs", "db").stdout, "| db-up")
	})
	// The local engine's commands stay the default: its ps sees no containers
	// of compose labels for this project.
	if out := s.must("ps", "-q").stdout; strings.TrimSpace(out) != "" {
		t.Fatalf("local ps sees the swarm stack: %q", out)
	}
	s.must("--target", "swarm", "down", "-v")
	if r := s.runEnv(map[string]string{"PERRY_COMPOSE_TARGET": "swarm"}, "ps", "-q"); r.code != 0 || strings.TrimSpace(r.stdout) != "" {
		t.Fatalf("ps after down: %d %q %s", r.code, r.stdout, r.stderr)
	}
	if r := s.run("--target", "nowhere", "ps"); r.code == 0 || !strings.Contains(r.stderr, "local, swarm") {
		t.Fatalf("--target nowhere: %d %s", r.code, r.stderr)
	}
}

// A failing up --wait exits 1 naming the service; --rollback removes what it
// made, without it the stack stays for its logs, as on the local engine.
func TestE2ESwarmFailedUp(t *testing.T) {
	c := testenv.RequireSwarm(t)
	s := newStack(t, "swarmfail", "", `
services:
  bad:
    image: `+testImage+`
    command: ["sh", "-c", "echo bad-start; exec sleep 600"]
    healthcheck: {test: ["CMD", "false"], interval: 300ms, start_interval: 300ms, retries: 1}
    deploy: {restart_policy: {condition: none}, labels: {perry.test: "1"}}
    labels: {perry.test: "1"}
    stop_grace_period: 1s
networks:
  default:
    labels: {perry.test: "1"}
`)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tg, err := cswarm.FromClient(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := tg.Down(context.Background(), s.name, cswarm.DownOptions{Volumes: true}); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	count := func() int {
		svcs, err := c.ListServices(ctx, map[string]string{cswarm.LabelNamespace: s.name})
		if err != nil {
			t.Fatal(err)
		}
		nets, err := c.ListNetworks(ctx, map[string]string{cswarm.LabelNamespace: s.name})
		if err != nil {
			t.Fatal(err)
		}
		return len(svcs) + len(nets)
	}
	r := s.run("--target", "swarm", "up", "--wait", "--rollback")
	if r.code != 1 || !strings.Contains(r.stderr, `"bad"`) || !strings.Contains(r.stderr, "unhealthy") {
		t.Fatalf("up --rollback: %d %s", r.code, r.stderr)
	}
	if n := count(); n != 0 {
		t.Fatalf("up --rollback left %d objects", n)
	}
	if r := s.run("--target", "swarm", "up", "--wait"); r.code != 1 {
		t.Fatalf("up: %d %s", r.code, r.stderr)
	}
	if n := count(); n != 2 {
		t.Fatalf("a failed up without --rollback left %d objects, want its service and network", n)
	}
	if r := s.run("--target", "swarm", "up"); r.code == 0 || !strings.Contains(r.stderr, "-d") {
		t.Fatalf("attached up on the swarm: %d %s", r.code, r.stderr)
	}
	if r := s.run("--target", "swarm", "stop"); r.code == 0 || !strings.Contains(r.stderr, "not available on the swarm target") {
		t.Fatalf("stop on the swarm: %d %s", r.code, r.stderr)
	}
}

func TestTargetResolution(t *testing.T) {
	cases := []struct {
		flag    string
		env     map[string]string
		want    string
		errKind core.Kind
	}{
		{"", nil, targetLocal, ""},
		{"swarm", nil, targetSwarm, ""},
		{"", map[string]string{"PERRY_COMPOSE_TARGET": "swarm"}, targetSwarm, ""},
		{"", map[string]string{"PERRY_CONTAINER_TARGET": "swarm"}, targetSwarm, ""},
		{"", map[string]string{"PERRY_COMPOSE_TARGET": "local", "PERRY_CONTAINER_TARGET": "swarm"}, targetLocal, ""},
		{"local", map[string]string{"PERRY_COMPOSE_TARGET": "swarm"}, targetLocal, ""},
		{"mars", nil, "", core.KindInvalidArgument},
		{"", map[string]string{"PERRY_CONTAINER_TARGET": "mars"}, "", core.KindInvalidConfiguration},
	}
	for _, tc := range cases {
		a := newApp(strings.NewReader(""), io.Discard, io.Discard)
		a.getenv = func(k string) string { return tc.env[k] }
		*a.targetFlag() = tc.flag
		got, err := a.target()
		if tc.errKind != "" {
			if core.KindOf(err) != tc.errKind {
				t.Errorf("flag %q env %v: err %v, want %s", tc.flag, tc.env, err, tc.errKind)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("flag %q env %v: %q %v, want %q", tc.flag, tc.env, got, err, tc.want)
		}
	}
}
