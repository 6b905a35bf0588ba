package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/compose/engine"
	"github.com/perryts/perry-container/core"
	"github.com/perryts/perry-container/internal/testenv"
)

const sleepers = `
services:
  app:
    image: perry-test/busybox:latest
    command: [sleep, "1000"]
  web:
    image: perry-test/busybox:latest
    command: [sleep, "1000"]
`

// states maps each service to its container's state, from ps -a's JSON.
func (c *cliEnv) states() map[string]string {
	c.t.Helper()
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(c.must("ps", "-a", "--format", "json").stdout), "\n") {
		var e struct{ Service, State string }
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			c.t.Fatalf("ps json %q: %v", line, err)
		}
		out[e.Service] = e.State
	}
	return out
}

func TestPauseUnpauseOnFake(t *testing.T) {
	c := newCLIEnv(t, sleepers)
	c.must("up", "-d")
	if r := c.must("--progress", "plain", "pause", "app"); !strings.Contains(r.stderr, "demo-app-1  Paused") {
		t.Fatalf("pause app: %q", r.stderr)
	}
	if s := c.states(); s["app"] != "paused" || s["web"] != "running" {
		t.Fatalf("after pause app: %v", s)
	}
	// ps without -a lists paused containers, as docker compose does.
	if r := c.must("ps", "--services"); r.stdout != "app\nweb\n" {
		t.Fatalf("ps: %q", r.stdout)
	}
	// As docker compose: every container that is up, so an already
	// paused one fails (the runtime's error); the others are paused.
	if r := c.run("pause"); r.code == 0 {
		t.Fatalf("pause with app paused already: %+v", r)
	}
	if s := c.states(); s["app"] != "paused" || s["web"] != "paused" {
		t.Fatalf("after pause: %v", s)
	}
	if r := c.must("--progress", "plain", "unpause"); !strings.Contains(r.stderr, "demo-web-1  Unpaused") {
		t.Fatalf("unpause: %q", r.stderr)
	}
	if s := c.states(); s["app"] != "running" || s["web"] != "running" {
		t.Fatalf("after unpause: %v", s)
	}
	if r := c.run("pause", "nope"); r.code == 0 || !strings.Contains(r.stderr, "nope") {
		t.Fatalf("pause of an unknown service: %+v", r)
	}
}

func TestTopOnFake(t *testing.T) {
	c := newCLIEnv(t, sleepers)
	c.must("up", "-d")
	c.must("stop", "web")
	r := c.must("top")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 2 {
		t.Fatalf("top: one header and one process of the running app: %q", r.stdout)
	}
	if got := strings.Fields(lines[0]); strings.Join(got, " ") != "SERVICE # UID PID PPID C STIME TTY TIME CMD" {
		t.Fatalf("top header: %q", lines[0])
	}
	if f := strings.Fields(lines[1]); f[0] != "app" || f[1] != "1" || !strings.HasSuffix(lines[1], "  sleep 1000") {
		t.Fatalf("top row: %q", lines[1])
	}
	if r := c.must("top", "web"); r.stdout != "" {
		t.Fatalf("top of a stopped service prints nothing: %q", r.stdout)
	}
}

func TestPrintTopMovesCMDLastAndFillsMissingColumns(t *testing.T) {
	var out bytes.Buffer
	cs := []engine.ContainerProcesses{
		{Container: engine.Container{Service: "a", Number: 1}, Processes: backend.Processes{Titles: []string{"PID", "CMD", "USER"}, Processes: [][]string{{"1", "sleep 9", "root"}}}},
		{Container: engine.Container{Service: "b", Number: 2}, Processes: backend.Processes{Titles: []string{"PID", "CMD"}, Processes: [][]string{{"7", "top"}}}},
	}
	if err := printTop(&out, cs); err != nil {
		t.Fatal(err)
	}
	want := "SERVICE  #   PID  USER  CMD\na        1   1    root  sleep 9\nb        2   7    -     top\n" // tabwriter minwidth 4, as docker compose
	if out.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", out.String(), want)
	}
}

// lockedBuffer is written by the command and read by the test at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// events runs `events args…` on the fake until stop is called, which
// returns its exit code and stdout.
func (c *cliEnv) events(args ...string) (out *lockedBuffer, stop func() int) {
	c.t.Helper()
	out = &lockedBuffer{}
	a := c.app(strings.NewReader(""), out, &bytes.Buffer{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	done := make(chan int, 1)
	go func() {
		done <- a.run(ctx, c.argv(append([]string{"events"}, args...)...))
	}()
	var once sync.Once
	code := 0
	return out, func() int {
		once.Do(func() { cancel(); code = <-done })
		return code
	}
}

func TestEventsOfARestartOnFake(t *testing.T) {
	c := newCLIEnv(t, sleepers)
	c.must("up", "-d")
	c.b.ResetCalls()
	out, stop := c.events("--json", "app")
	defer stop()
	testenv.Eventually(t, 10*time.Second, "events to listen", func() bool { return strings.Contains(strings.Join(c.b.Methods(), " "), "Events") })
	c.must("restart")
	testenv.Eventually(t, 10*time.Second, "the start event", func() bool { return strings.Contains(out.String(), `"start"`) })
	if code := stop(); code != 0 {
		t.Fatalf("events exit %d", code)
	}
	var actions []string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var e struct {
			Action, ID, Service, Type string
			Time                      time.Time
			Attributes                map[string]string
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if e.Service != "app" || e.Type != "container" || e.ID == "" || e.Time.IsZero() || e.Attributes["name"] != "demo-app-1" {
			t.Fatalf("event %q", line)
		}
		for k := range e.Attributes {
			if strings.HasPrefix(k, "com.docker.compose.") {
				t.Fatalf("compose label %s in the attributes: %q", k, line)
			}
		}
		actions = append(actions, e.Action)
	}
	if strings.Join(actions, " ") != "die start" {
		t.Fatalf("events of app's restart: %q", actions)
	}
}

func TestPrintEventText(t *testing.T) {
	var out bytes.Buffer
	ev := engine.ContainerEvent{Time: time.Date(2024, 1, 2, 3, 4, 5, 123456789, time.UTC), Service: "app", Container: "abc", Action: "start",
		Attributes: map[string]string{"name": "p-app-1", "image": "busybox"}}
	if err := printEvent(&out, ev, false); err != nil {
		t.Fatal(err)
	}
	if want := "2024-01-02 03:04:05.123456 container start abc (image=busybox, name=p-app-1)\n\n"; out.String() != want {
		t.Fatalf("got %q, want %q", out.String(), want)
	}
}

func TestCpRoundTripOnFake(t *testing.T) {
	c := newCLIEnv(t, sleepers+"    deploy: {replicas: 2}\n")
	c.must("up", "-d")
	src := filepath.Join(c.dir, "in.txt")
	if err := os.WriteFile(src, []byte("hello\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// To every replica, then back from the second.
	if r := c.must("--progress", "plain", "cp", src, "web:/tmp/in.txt"); strings.Count(r.stderr, "Copied") != 2 {
		t.Fatalf("cp to both replicas: %q", r.stderr)
	}
	dst := filepath.Join(c.dir, "out.txt")
	c.must("cp", "--index", "2", "web:/tmp/in.txt", dst)
	if data, err := os.ReadFile(dst); err != nil || string(data) != "hello\n" {
		t.Fatalf("round trip: %q %v", data, err)
	}
	// Into an existing directory: under the source's name.
	dir := filepath.Join(c.dir, "d")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	c.must("cp", "web:/tmp/in.txt", dir)
	if data, err := os.ReadFile(filepath.Join(dir, "in.txt")); err != nil || string(data) != "hello\n" {
		t.Fatalf("into a directory: %q %v", data, err)
	}
	if r := c.run("cp", "web:/nope", dst); r.code == 0 || !strings.Contains(r.stderr, "/nope") {
		t.Fatalf("missing source: %+v", r)
	}
	if r := c.run("cp", "app:/a", "web:/b"); r.code == 0 || !strings.Contains(r.stderr, "between services") {
		t.Fatalf("between services: %+v", r)
	}
	if r := c.run("cp", "--index", "3", src, "web:/tmp/"); r.code == 0 {
		t.Fatalf("--index 3 of 2 replicas: %+v", r)
	}
}

// bare is a backend with none of the optional interfaces.
type bare struct{ backend.Backend }

func TestOptionalCommandsOnABackendWithout(t *testing.T) {
	c := newCLIEnv(t, sleepers)
	c.must("up", "-d")
	var out, errb bytes.Buffer
	for _, args := range [][]string{{"pause"}, {"unpause"}, {"top"}, {"events"}, {"cp", "app:/x", "y"}, {"commit", "app"}, {"export", "app"}} {
		out.Reset()
		errb.Reset()
		a := newApp(strings.NewReader(""), &out, &errb)
		a.newBackend = func(context.Context) (backend.Backend, error) { return bare{c.b}, nil }
		a.engineOptions = []engine.Option{engine.WithStateDir(filepath.Join(c.dir, "state"))}
		a.getenv = func(string) string { return "" }
		a.exit = func(code int) { panic("exit called") }
		code := a.run(context.Background(), c.argv(args...))
		if code == 0 || !strings.Contains(errb.String(), "fake cannot ") {
			t.Errorf("%s on a backend without it: exit %d, %q", args[0], code, errb.String())
		}
	}
	e := engine.New(bare{c.b}, nil)
	if err := e.Pause(context.Background(), nil); core.KindOf(err) != core.KindInternal || core.AsError(err).Details["unsupported"] != true {
		t.Errorf("engine Pause error: %#v", err)
	}
}
