package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perryts/perry-container/compose/engine"
	"github.com/perryts/perry-container/internal/testenv"
)

// End-to-end tests: the built binary on the real engine.

// A service that exits at once on SIGTERM, after printing a line.
const exampleProject = `
services:
  db:
    image: perry-test/busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; echo db ready; sleep 1000 & wait"]
  web:
    image: perry-test/busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; echo web up; sleep 1000 & wait"]
    depends_on: [db]
    volumes: [data:/data]
volumes:
  data: {}
`

var psKeys = []string{"ID", "Name", "Names", "Image", "Command", "Project", "Service", "CreatedAt", "RunningFor", "State",
	"Status", "Health", "ExitCode", "Ports", "Publishers", "Labels", "Networks", "Mounts", "LocalVolumes", "Size"}

func TestE2ELifecycle(t *testing.T) {
	t.Parallel()
	s := newStack(t, "life", "", exampleProject)

	r := s.must("--progress", "plain", "up", "-d")
	for _, want := range []string{"Network " + s.name + "_default  Created", "Volume " + s.name + "_data  Created",
		"Container " + s.name + "-db-1  Started", "Container " + s.name + "-web-1  Started"} {
		if !strings.Contains(r.stderr, want) {
			t.Fatalf("up -d progress lacks %q:\n%s", want, r.stderr)
		}
	}
	if strings.ContainsAny(r.stderr, "\x1b\r") || r.stdout != "" {
		t.Fatalf("piped progress must be plain lines on stderr: %q / %q", r.stdout, r.stderr)
	}

	// ps --format json: NDJSON, docker's keys.
	entries := s.psJSON()
	if len(entries) != 2 {
		t.Fatalf("ps: %v", entries)
	}
	for _, e := range entries {
		for _, k := range psKeys {
			if _, ok := e[k]; !ok {
				t.Fatalf("ps entry lacks %s: %v", k, e)
			}
		}
		if e["Project"] != s.name || e["State"] != "running" || !strings.HasPrefix(e["Name"].(string), s.name+"-") {
			t.Fatalf("ps entry %v", e)
		}
	}
	before := s.ids()

	// logs, prefixed as docker compose does.
	testenv.Eventually(t, 20*time.Second, "both services' output", func() bool {
		out := s.must("logs").stdout
		return strings.Contains(out, "db-1   | db ready") && strings.Contains(out, "web-1  | web up")
	})
	if r := s.must("logs", "--no-log-prefix", "web"); strings.TrimSpace(r.stdout) != "web up" {
		t.Fatalf("logs --no-log-prefix web: %q", r.stdout)
	}

	// exec: the command's exit code is the CLI's.
	r = s.run("exec", "web", "sh", "-c", "echo hi; echo oops >&2; exit 3")
	if r.code != 3 || r.stdout != "hi\n" || r.stderr != "oops\n" {
		t.Fatalf("exec: %+v", r)
	}
	if r := s.must("exec", "-T", "-e", "X=42", "-w", "/tmp", "web", "sh", "-c", `echo "$X $(pwd)"`); r.stdout != "42 /tmp\n" {
		t.Fatalf("exec -e -w: %q", r.stdout)
	}

	if r := s.must("config", "--services"); r.stdout != "db\nweb\n" {
		t.Fatalf("config --services: %q", r.stdout)
	}

	// stop keeps the containers; start brings the same ones back.
	s.must("stop")
	if st := s.state("db") + "," + s.state("web"); st != "exited,exited" {
		t.Fatalf("after stop: %s", st)
	}
	if r := s.must("ps", "-q"); r.stdout != "" {
		t.Fatalf("ps lists stopped containers without -a: %q", r.stdout)
	}
	if len(s.psJSON("-a")) != 2 {
		t.Fatal("ps -a lost the stopped containers")
	}
	s.must("start")
	if after := s.ids(); after["db"] != before["db"] || after["web"] != before["web"] || s.state("web") != "running" {
		t.Fatalf("start recreated or did not start: %v -> %v", before, after)
	}
	s.must("restart", "-t", "1", "web")
	if s.state("web") != "running" {
		t.Fatal("restart")
	}

	// A second up changes nothing.
	r = s.must("--progress", "plain", "up", "-d")
	if strings.Contains(r.stderr, "Creat") || s.ids()["web"] != before["web"] {
		t.Fatalf("idempotent up recreated: %s", r.stderr)
	}

	// Debian's docker-compose v1 sees our stack.
	v1 := exec.Command("docker-compose", "-p", s.name, "ps")
	v1.Dir, v1.Env = s.dir, testEnv(nil)
	out, err := v1.CombinedOutput()
	if err != nil || !strings.Contains(string(out), s.name+"-web-1") || !strings.Contains(string(out), "Up") {
		t.Fatalf("docker-compose -p %s ps: %v\n%s", s.name, err, out)
	}

	s.must("down", "-v")
	if c, n, v := s.leftovers(); c+n+v != 0 {
		t.Fatalf("down -v left %d containers, %d networks, %d volumes", c, n, v)
	}
}

// failingProject: migrate fails once cache runs (its depends_on), so that
// a failed up deterministically keeps a running cache: independent, a
// fast failure could cancel cache's start before it ran.
const failingProject = `
services:
  migrate:
    image: perry-test/busybox:latest
    command: ["sh", "-c", "echo migrating; exit 3"]
    depends_on: [cache]
  app:
    image: perry-test/busybox:latest
    init: true
    command: ["sleep", "1000"]
    depends_on:
      migrate: {condition: service_completed_successfully}
  cache:
    image: perry-test/busybox:latest
    init: true
    command: ["sleep", "1000"]
    volumes: [cache:/cache]
volumes:
  cache: {}
`

func TestE2EFailedUpKeepsOrRollsBack(t *testing.T) {
	t.Parallel()
	s := newStack(t, "fail", "", failingProject)
	r := s.run("up", "-d")
	if r.code != 1 {
		t.Fatalf("a failed up exits %d, want 1:\n%s", r.code, r.out())
	}
	if !strings.Contains(r.stderr, `service "migrate"`) || !strings.Contains(r.stderr, "exited with code 3") {
		t.Fatalf("the error does not name the failing service and its cause:\n%s", r.stderr)
	}
	if strings.Contains(r.stderr, "goroutine") {
		t.Fatalf("stack trace:\n%s", r.stderr)
	}
	if !strings.Contains(r.stderr, "last output:") || !strings.Contains(r.stderr, "migrate-1  | migrating") {
		t.Fatalf("the error does not show the failing service's last output:\n%s", r.stderr)
	}
	// The default, docker compose's: what the up created stays, so the
	// failing container's logs can be read.
	if s.state("migrate") != "exited" || s.state("app") != "created" || s.state("cache") != "running" {
		t.Fatalf("a failed up kept: migrate %s, app %s, cache %s", s.state("migrate"), s.state("app"), s.state("cache"))
	}
	if r := s.must("logs", "migrate"); !strings.Contains(r.stdout, "migrate-1  | migrating") {
		t.Fatalf("the kept container's logs: %q", r.stdout)
	}
	s.must("down", "-v", "-t", "0")

	// --rollback removes everything the failed up created.
	r = s.run("up", "-d", "--rollback")
	if r.code != 1 {
		t.Fatalf("--rollback: exit %d", r.code)
	}
	if c, n, v := s.leftovers(); c+n+v != 0 {
		t.Fatalf("--rollback left a half-stack: %d containers, %d networks, %d volumes", c, n, v)
	}
}

// TestE2EExitCodes covers each error class through the binary.
func TestE2EExitCodes(t *testing.T) {
	t.Parallel()
	s := newStack(t, "codes", "", exampleProject)
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("services:\n  web:\n    image: perry-test/busybox:latest\n    depends_on:\n      db: {condition: service_sleepy}\n  db: {image: perry-test/busybox:latest}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want []string
	}{
		{"bad flag", nil, []string{"up", "--frobnicate"}, 1, []string{"unknown flag: --frobnicate"}},
		{"missing file", nil, []string{"-f", "nope.yaml", "ps"}, 1, []string{"nope.yaml"}},
		{"invalid config", nil, []string{"-f", bad, "config"}, 1, []string{"bad.yaml", `"web"`, "service_sleepy"}},
		{"invalid project name", nil, []string{"-p", "Not Valid", "ps"}, 1, []string{"Not Valid"}},
		{"unknown service", nil, []string{"logs", "nosuch"}, 1, []string{"no such service: nosuch"}},
		// apple/container never runs on Linux (podman may be installed here)
		{"runtime not available", map[string]string{"PERRY_CONTAINER_BACKEND": "apple/container"}, []string{"ps"}, 1, []string{"apple/container"}},
		{"exec in a stopped service", nil, []string{"exec", "web", "true"}, 1, []string{"web"}},
		{"exec code passed through", nil, []string{"exec", "db", "sh", "-c", "exit 42"}, 42, nil},
		{"exec killed code", nil, []string{"exec", "db", "sh", "-c", "kill -9 $$"}, 137, nil},
		{"run code passed through", nil, []string{"run", "--rm", "--no-deps", "db", "sh", "-c", "exit 9"}, 9, nil},
	}
	s.must("up", "-d", "db")
	for _, tc := range cases {
		r := s.runEnv(tc.env, tc.args...)
		if r.code != tc.code {
			t.Errorf("%s: exit %d, want %d\n%s", tc.name, r.code, tc.code, r.out())
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%s: stderr lacks %q:\n%s", tc.name, w, r.stderr)
			}
		}
		if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic") {
			t.Errorf("%s: stack trace:\n%s", tc.name, r.stderr)
		}
	}
	// run --rm left no one-off container.
	for _, c := range s.containers() {
		if strings.Contains(c.Name, "-run-") {
			t.Fatalf("run --rm left %s", c.Name)
		}
	}
}

const attachedProject = `
services:
  worker:
    image: perry-test/busybox:latest
    command: ["sh", "-c", "echo working; sleep 1; echo done; exit 5"]
  server:
    image: perry-test/busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; echo serving; sleep 1000 & wait"]
`

func TestE2EAttachedAbortOnContainerExit(t *testing.T) {
	t.Parallel()
	s := newStack(t, "attach", "", attachedProject)
	r := s.run("up", "--exit-code-from", "worker")
	if r.code != 5 {
		t.Fatalf("--exit-code-from worker: exit %d, want 5\n%s", r.code, r.out())
	}
	for _, want := range []string{"worker-1  | working", "worker-1  | done", "worker-1 exited with code 5", "server-1  | serving"} {
		if !strings.Contains(r.stdout, want) {
			t.Fatalf("attached output lacks %q:\n%s", want, r.stdout)
		}
	}
	if !regexp.MustCompile(`(?s)worker-1  \| working.*worker-1  \| done.*worker-1 exited with code 5`).MatchString(r.stdout) {
		t.Fatalf("output out of order:\n%s", r.stdout)
	}
	if s.state("server") != "exited" {
		t.Fatalf("the abort left server %s", s.state("server"))
	}
	// Without --exit-code-from the first container to exit decides.
	r = s.run("up", "--abort-on-container-exit")
	if r.code != 5 || s.state("server") != "exited" {
		t.Fatalf("--abort-on-container-exit: exit %d, server %s\n%s", r.code, s.state("server"), r.out())
	}
}

// startAttached runs an attached up and returns it with its output, read
// as it comes.
type attachedRun struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	stdout strings.Builder
	stderr strings.Builder
	done   chan struct{}
}

func (s *stack) startAttached(args ...string) *attachedRun {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	s.t.Cleanup(cancel)
	cmd := s.command(ctx, nil, args...)
	ar := &attachedRun{cmd: cmd, done: make(chan struct{})}
	outp, _ := cmd.StdoutPipe()
	errp, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	var wg sync.WaitGroup
	copyTo := func(r io.Reader, b *strings.Builder) {
		defer wg.Done()
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			ar.mu.Lock()
			b.WriteString(sc.Text() + "\n")
			ar.mu.Unlock()
		}
	}
	wg.Add(2)
	go copyTo(outp, &ar.stdout)
	go copyTo(errp, &ar.stderr)
	go func() {
		wg.Wait()
		close(ar.done)
	}()
	return ar
}

func (ar *attachedRun) output() (string, string) {
	ar.mu.Lock()
	defer ar.mu.Unlock()
	return ar.stdout.String(), ar.stderr.String()
}

func (ar *attachedRun) wait(t *testing.T) int {
	t.Helper()
	<-ar.done
	err := ar.cmd.Wait()
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	t.Fatal(err)
	return -1
}

func TestE2EInterruptStopsStack(t *testing.T) {
	t.Parallel()
	s := newStack(t, "sigint", "", exampleProject)
	ar := s.startAttached("up")
	testenv.Eventually(t, 60*time.Second, "both services' output", func() bool {
		out, _ := ar.output()
		return strings.Contains(out, "db-1   | db ready") && strings.Contains(out, "web-1  | web up")
	})
	if err := ar.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	code := ar.wait(t)
	out, errOut := ar.output()
	if code != 130 {
		t.Fatalf("exit %d after SIGINT, want 130\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "Gracefully stopping") {
		t.Fatalf("stderr:\n%s", errOut)
	}
	if st := s.state("db") + "," + s.state("web"); st != "exited,exited" {
		t.Fatalf("after SIGINT the stack is %s, want stopped", st)
	}
}

func TestE2EInteropWithDockerComposeV1(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("docker-compose"); err != nil {
		t.Fatalf("docker-compose (Debian's v1) is not installed: %v", err)
	}
	// v1 starts it, perry-compose lists it and takes it down.
	s := newStack(t, "v1", "", exampleProject)
	v1 := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("docker-compose", append([]string{"-p", s.name}, args...)...)
		cmd.Dir = s.dir
		cmd.Env = testEnv(nil)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("docker-compose %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	v1("up", "-d")
	entries := s.psJSON()
	if len(entries) != 2 {
		t.Fatalf("perry-compose ps does not see docker-compose's stack: %v", entries)
	}
	for _, e := range entries {
		if e["Project"] != s.name || e["State"] != "running" {
			t.Fatalf("entry %v", e)
		}
	}
	s.must("down", "-v", "-t", "1")
	if c, n, v := s.leftovers(); c+n+v != 0 {
		t.Fatalf("perry-compose down left %d containers, %d networks, %d volumes of docker-compose's stack", c, n, v)
	}

	// perry-compose starts it, docker-compose lists it and takes it down.
	s.must("up", "-d")
	if out := v1("ps"); !strings.Contains(out, s.name+"-db-1") || !strings.Contains(out, s.name+"-web-1") {
		t.Fatalf("docker-compose ps:\n%s", out)
	}
	v1("down", "-v", "-t", "1")
	if c, n, v := s.leftovers(); c+n+v != 0 {
		t.Fatalf("docker-compose down left %d containers, %d networks, %d volumes of our stack", c, n, v)
	}
}

// TestE2ETerminal runs perry-compose on a real TTY under tmux, as a person
// would, and reads the screen.
func TestE2ETerminal(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed (make test installs it through tests/deps.sh): this test needs a real terminal")
	}
	s := newStack(t, "tty", "", exampleProject)
	session := s.name
	script := filepath.Join(s.dir, "run.sh")
	envs := ""
	for _, kv := range testEnv(nil) {
		if strings.HasPrefix(kv, "PERRY_") {
			envs += "export " + kv + "\n"
		}
	}
	// bash: a child that handles Ctrl-C itself and exits 130 lets the
	// script go on to print its code.
	body := "#!/bin/bash\nunset CI NO_COLOR\n" + envs + "cd " + s.dir + "\n" +
		s.bin + " -p " + s.name + " up -d\necho EXIT=$?\n" +
		"while [ ! -f go2 ]; do sleep 0.2; done\nclear\n" +
		s.bin + " -p " + s.name + " --progress plain stop\n" +
		s.bin + " -p " + s.name + " up\necho EXIT2=$?\nsleep 600\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	tmux := func(args ...string) string {
		out, err := exec.Command("tmux", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "40", script)
	t.Cleanup(func() { _ = exec.Command("tmux", "kill-session", "-t", session).Run() })
	pane := func() string { return tmux("capture-pane", "-p", "-t", session) }
	testenv.Eventually(t, 90*time.Second, "up -d to finish on the terminal", func() bool { return strings.Contains(pane(), "EXIT=") })
	screen := pane()
	for _, want := range []string{
		"[+] Running 5/5",
		"✔ Network " + s.name + "_default",
		"✔ Volume " + s.name + "_data",
		"✔ Container " + s.name + "-db-1",
		"✔ Container " + s.name + "-web-1",
		"✔ Service db",
		"EXIT=0",
	} {
		if !strings.Contains(screen, want) {
			t.Fatalf("the screen lacks %q:\n%s", want, screen)
		}
	}
	// Every resource line ends in its final state, drawn once (redrawn in
	// place, not repeated down the screen).
	for _, line := range strings.Split(screen, "\n") {
		if strings.Contains(line, "Container "+s.name) && !strings.Contains(line, "Started") {
			t.Fatalf("a line is not in its final state: %q\n%s", line, screen)
		}
	}
	if n := strings.Count(screen, "Container "+s.name+"-web-1"); n != 1 {
		t.Fatalf("web's line appears %d times (spinner spam?):\n%s", n, screen)
	}

	// The attached up (after a stop, so that the containers start again):
	// logs scroll, Ctrl-C stops the stack, exit 130.
	if err := os.WriteFile(filepath.Join(s.dir, "go2"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 60*time.Second, "the attached up's logs", func() bool { return strings.Contains(pane(), "web-1  | web up") })
	tmux("send-keys", "-t", session, "C-c")
	testenv.Eventually(t, 60*time.Second, "the attached up to end", func() bool { return strings.Contains(pane(), "EXIT2=") })
	screen = pane()
	if !strings.Contains(screen, "EXIT2=130") || !strings.Contains(screen, "Gracefully stopping") {
		t.Fatalf("after Ctrl-C:\n%s", screen)
	}
	if st := s.state("db") + "," + s.state("web"); st != "exited,exited" {
		t.Fatalf("after Ctrl-C the stack is %s", st)
	}
}

func TestE2EHousekeeping(t *testing.T) {
	t.Parallel()
	s := newStack(t, "house", "", `
services:
  web:
    image: perry-test/busybox:latest
    init: true
    command: ["sleep", "1000"]
  job:
    image: perry-test/busybox:latest
    command: ["sh", "-c", "sleep 1; exit 4"]
`)
	s.must("up", "-d")
	r := s.must("images", "--format", "json")
	var imgs []imageEntry
	if err := json.Unmarshal([]byte(r.stdout), &imgs); err != nil || len(imgs) != 2 || imgs[0].Repository != "perry-test/busybox" || imgs[0].Tag != "latest" {
		t.Fatalf("images: %v %q", err, r.stdout)
	}
	if r := s.run("wait", "job"); r.code != 4 {
		t.Fatalf("wait passes the container's code through: %+v", r)
	}
	s.must("kill", "web")
	// No grace period: SIGTERM at once followed by SIGKILL (137), or the
	// TERM already ended it (143).
	if c := s.byService()["web"][0]; c.State != "exited" || c.ExitCode == nil || (*c.ExitCode != 137 && *c.ExitCode != 143) {
		t.Fatalf("kill: %s %v", c.State, *c.ExitCode)
	}
	s.must("rm", "job")
	if s.state("job") != "" || s.state("web") != "exited" {
		t.Fatalf("rm job: %v", states(s))
	}
	r = s.must("run", "-d", "web", "sleep", "1000")
	id := strings.TrimSpace(r.stdout)
	found := false
	for _, c := range s.containers() {
		found = found || (c.ID == id && strings.HasPrefix(c.Name, s.name+"-web-run-") && c.Labels[engine.LabelOneoff] == "True" && c.State == "running")
	}
	if !found {
		t.Fatalf("run -d printed %q: no running one-off container %s-web-run-… with that id", id, s.name)
	}
}
