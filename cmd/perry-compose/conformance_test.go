package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/perryts/perry-container/compose/engine"
	"github.com/perryts/perry-container/internal/testenv"
)

// TestConformanceRuntime runs the runtime scenarios of
// tests/testdata/conformance/runtime (taken from docker/compose's e2e tests)
// through the perry-compose binary, each as its scenario.md describes,
// from the scenario's own folder, under a perrytest project name.
//
// A failed up leaves what it created, as docker compose does; the
// scenarios that expect the dependent left in state "created" also check
// that --rollback removes it instead.

// conformanceDir is the runtime scenarios committed in the repository,
// read only from there so a run checks this commit's data.
func conformanceDir(t *testing.T) string {
	abs, err := filepath.Abs(filepath.Join("..", "..", "tests", "testdata", "conformance", "runtime"))
	if err == nil {
		_, err = os.Stat(filepath.Join(abs, "README.md"))
	}
	if err != nil {
		t.Fatalf("the runtime conformance scenarios are missing from the repository (tests/testdata/conformance/runtime): %v", err)
	}
	return abs
}

type scenario struct {
	name string
	run  func(t *testing.T, dir string)
}

var scenarios = []scenario{
	{"TestStartStop", scenarioStartStop},
	{"TestStartStopWithDependencies", scenarioStartStopWithDependencies},
	{"TestStartSingleServiceAndDependency", scenarioStartSingleServiceAndDependency},
	{"TestInitContainer", scenarioInitContainer},
	{"TestUpWait", scenarioUpWait},
	{"TestUpServiceUnhealthy", scenarioUpServiceUnhealthy},
	{"TestUpWithDependencyExit", scenarioUpWithDependencyExit},
	{"TestUpWithDependencyNotRequired", scenarioUpWithDependencyNotRequired},
	{"TestCascadeFail", scenarioCascadeFail},
	{"TestEnvPriority", scenarioEnvPriority},
	{"TestNoProfileUsage", scenarioNoProfileUsage},
	{"TestDotEnvProfileUsage", scenarioDotEnvProfileUsage},
	{"TestScaleBasicCases", scenarioScaleBasicCases},
	{"TestUpRecreateVolumes", scenarioUpRecreateVolumes},
	{"TestNetworkConfigChanged", scenarioNetworkConfigChanged},
}

func TestConformanceRuntime(t *testing.T) {
	testenv.RequireEngine(t)
	root := conformanceDir(t)
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, sc := range scenarios {
		known[sc.name] = true
	}
	for _, e := range entries {
		if e.IsDir() && !known[e.Name()] {
			t.Errorf("scenario %s has no runner in this table", e.Name())
		}
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			sc.run(t, filepath.Join(root, sc.name))
		})
	}
}

// conformanceStack is a stack run from the scenario folder, starting from
// a clean slate as the scenarios ask.
func conformanceStack(t *testing.T, dir string) *stack {
	t.Helper()
	s := newStack(t, "c", dir, "")
	s.must("down", "-v", "--remove-orphans", "-t", "0")
	return s
}

func wantStates(t *testing.T, s *stack, want map[string]string) {
	t.Helper()
	for svc, st := range want {
		if got := s.state(svc); got != st {
			t.Fatalf("service %s is %q, want %q (all: %v)", svc, got, st, states(s))
		}
	}
}

func states(s *stack) map[string][]string {
	out := map[string][]string{}
	for svc, cs := range s.byService() {
		for _, c := range cs {
			out[svc] = append(out[svc], c.Name+":"+c.State)
		}
	}
	return out
}

func lsNames(t *testing.T, out string) []string {
	t.Helper()
	var entries []lsEntry
	if err := json.Unmarshal([]byte(out), &entries); err != nil {
		t.Fatalf("ls --format json: %v: %q", err, out)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name)
	}
	return names
}

// startedAt is the engine's record of when a container last started.
func startedAt(t *testing.T, id string) time.Time {
	t.Helper()
	out, err := exec.Command("docker", "inspect", "-f", "{{.State.StartedAt}}", id).Output()
	if err != nil {
		t.Fatalf("docker inspect %s: %v", id, err)
	}
	ts, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func scenarioStartStop(t *testing.T, dir string) {
	s := conformanceStack(t, dir)
	s.must("up", "-d")
	wantStates(t, s, map[string]string{"simple": "running", "another": "running"})
	ids := s.ids()
	if !slices.Contains(lsNames(t, s.must("ls", "--format", "json").stdout), s.name) {
		t.Fatal("ls does not list the running project")
	}
	s.must("stop")
	wantStates(t, s, map[string]string{"simple": "exited", "another": "exited"})
	if slices.Contains(lsNames(t, s.must("ls", "--format", "json").stdout), s.name) {
		t.Fatal("ls lists a project with no running container")
	}
	if !slices.Contains(lsNames(t, s.must("ls", "--all", "--format", "json").stdout), s.name) {
		t.Fatal("ls --all does not list the stopped project")
	}
	s.must("start")
	wantStates(t, s, map[string]string{"simple": "running", "another": "running"})
	if got := s.ids(); got["simple"] != ids["simple"] || got["another"] != ids["another"] {
		t.Fatalf("start recreated containers: %v -> %v", ids, got)
	}
}

func scenarioStartStopWithDependencies(t *testing.T, dir string) {
	s := conformanceStack(t, dir)
	s.must("up", "-d")
	wantStates(t, s, map[string]string{"foo": "running", "bar": "running"})
	ids := s.ids()
	if !startedAt(t, ids["bar"]).Before(startedAt(t, ids["foo"])) {
		t.Fatal("foo started before its dependency bar")
	}
	s.must("stop", "foo")
	wantStates(t, s, map[string]string{"foo": "exited", "bar": "running"})
	s.must("stop")
	wantStates(t, s, map[string]string{"foo": "exited", "bar": "exited"})
	s.must("start", "foo")
	wantStates(t, s, map[string]string{"foo": "running", "bar": "running"})
	if got := s.ids(); got["foo"] != ids["foo"] || got["bar"] != ids["bar"] {
		t.Fatalf("start recreated containers: %v -> %v", ids, got)
	}
}

func scenarioStartSingleServiceAndDependency(t *testing.T, dir string) {
	s := conformanceStack(t, dir)
	s.must("create", "desired")
	wantStates(t, s, map[string]string{"desired": "created", "dep_1": "created", "dep_2": "created", "another": "", "another_2": ""})
	s.must("start", "desired")
	wantStates(t, s, map[string]string{"desired": "running", "dep_1": "running", "dep_2": "running", "another": "", "another_2": ""})
	ids := s.ids()
	d2, d1, d := startedAt(t, ids["dep_2"]), startedAt(t, ids["dep_1"]), startedAt(t, ids["desired"])
	if !d2.Before(d1) || !d1.Before(d) {
		t.Fatalf("start order: dep_2 %s, dep_1 %s, desired %s", d2, d1, d)
	}
}

func scenarioInitContainer(t *testing.T, dir string) {
	s := conformanceStack(t, dir)
	r := s.run("--ansi=never", "up", "--menu=false")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.out())
	}
	if !regexp.MustCompile(`foo-1  \| hello(?s:.*)bar-1  \| world`).MatchString(r.stdout) {
		t.Fatalf("foo's output must come before bar's:\n%s", r.stdout)
	}
	wantStates(t, s, map[string]string{"foo": "exited", "bar": "exited"})
}

func scenarioUpWait(t *testing.T, dir string) {
	s := conformanceStack(t, dir)
	start := time.Now()
	r := s.run("up", "--wait", "-d")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.out())
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Fatalf("up --wait took %s", d)
	}
	if !strings.Contains(r.out(), s.name+"-oneshot-1") {
		t.Fatalf("output does not mention %s-oneshot-1:\n%s", s.name, r.out())
	}
	wantStates(t, s, map[string]string{"longrunning": "running", "oneshot": "exited"})
	if c := s.byService()["oneshot"][0]; c.ExitCode == nil || *c.ExitCode != 0 {
		t.Fatalf("oneshot exit code %v", c.ExitCode)
	}
}

func scenarioUpServiceUnhealthy(t *testing.T, dir string) {
	s := conformanceStack(t, dir)
	r := s.run("up", "-d")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.out())
	}
	if want := "container " + s.name + "-fail-1 is unhealthy"; !strings.Contains(r.out(), want) {
		t.Fatalf("output lacks %q:\n%s", want, r.out())
	}
	// As docker compose leaves it: depends created, never started.
	wantStates(t, s, map[string]string{"depends": "created"})
	s.must("down", "-v", "-t", "0")
	r = s.run("up", "-d", "--rollback")
	if r.code != 1 || !strings.Contains(r.out(), "container "+s.name+"-fail-1 is unhealthy") {
		t.Fatalf("--rollback: exit %d\n%s", r.code, r.out())
	}
	if c, n, v := s.leftovers(); c+n+v != 0 {
		t.Fatalf("--rollback left %d containers, %d networks, %d volumes", c, n, v)
	}
}

func scenarioUpWithDependencyExit(t *testing.T, dir string) {
	s := conformanceStack(t, dir)
	r := s.run("up", "-d")
	want := "dependency failed to start: container " + s.name + "-db-1 exited (1)"
	if r.code != 1 || !strings.Contains(r.out(), want) {
		t.Fatalf("exit %d, want 1 and %q:\n%s", r.code, want, r.out())
	}
	wantStates(t, s, map[string]string{"web": "created"})
	s.must("down", "-v", "-t", "0")
	r = s.run("up", "-d", "--rollback")
	if r.code != 1 || !strings.Contains(r.out(), want) {
		t.Fatalf("--rollback: exit %d\n%s", r.code, r.out())
	}
	if c, n, v := s.leftovers(); c+n+v != 0 {
		t.Fatalf("--rollback left %d containers, %d networks, %d volumes", c, n, v)
	}
}

func scenarioUpWithDependencyNotRequired(t *testing.T, dir string) {
	s := conformanceStack(t, dir)
	r := s.run("--profile", "not-required", "up", "-d")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.out())
	}
	if !strings.Contains(r.out(), "foo") || !strings.Contains(r.out(), `optional dependency "bar" failed to start`) {
		t.Fatalf("output:\n%s", r.out())
	}
}

func scenarioCascadeFail(t *testing.T, dir string) {
	s := conformanceStack(t, dir)
	r := s.run("up", "--abort-on-container-failure")
	if r.code != 111 {
		t.Fatalf("exit %d, want 111\n%s", r.code, r.out())
	}
	for _, want := range []string{"exit-1 exited with code 0", "fail-1 exited with code 111"} {
		if !strings.Contains(r.out(), want) {
			t.Fatalf("output lacks %q:\n%s", want, r.out())
		}
	}
	wantStates(t, s, map[string]string{"running": "exited"})

	// TestCascadeStop, same files.
	s.must("down", "-v", "--remove-orphans", "-t", "0")
	r = s.run("up", "--abort-on-container-exit")
	if r.code != 0 || !strings.Contains(r.out(), "exit-1 exited with code 0") {
		t.Fatalf("--abort-on-container-exit: exit %d\n%s", r.code, r.out())
	}
	wantStates(t, s, map[string]string{"running": "exited"})
}

func scenarioEnvPriority(t *testing.T, dir string) {
	s := conformanceStack(t, dir)
	steps := []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"WHEREAMI": "shell"}, []string{"--env-file", ".env.override", "run", "--rm", "-e", "WHEREAMI", "env-compose-priority"}, "shell"},
		{map[string]string{"WHEREAMI": "shell"}, []string{"--env-file", ".env.override.with.default", "run", "--rm", "-e", "WHEREAMI", "env-compose-priority"}, "shell"},
		{nil, []string{"--env-file", ".env.override.with.default", "run", "--rm", "-e", "WHEREAMI", "env-compose-priority"}, "EnvFileDefaultValue"},
		{map[string]string{"COMPOSE_ENV_FILES": filepath.Join(dir, ".env.override.with.default")}, []string{"run", "--rm", "-e", "WHEREAMI", "env-compose-priority"}, "EnvFileDefaultValue"},
		{nil, []string{"--env-file", ".env.override", "run", "--rm", "-e", "WHEREAMI=shell-run", "env-compose-priority"}, "shell-run"},
		{nil, []string{"--env-file", ".env.override", "run", "--rm", "-e", "WHEREAMI", "env-compose-priority"}, "override"},
		{nil, []string{"run", "--rm", "-e", "WHEREAMI", "env-compose-priority"}, "Env File"},
		{nil, []string{"--env-file", ".env.empty", "run", "--rm", "-e", "WHEREAMI", "env-compose-priority"}, "Dockerfile"},
	}
	// The image's CMD is `printenv WHEREAMI`; Debian's busybox-static (the
	// test image) has no printenv applet. The same eight steps are then
	// run with the command `sh -c 'echo "$WHEREAMI"'`, which prints the
	// same value: the rule locked here (shell > env file > image ENV for
	// run -e NAME) does not depend on the command.
	s.must("build")
	out, err := exec.Command("docker", "run", "--rm", "--entrypoint", "printenv", s.name+"-env-compose-priority", "WHEREAMI").CombinedOutput()
	hasPrintenv := err == nil && strings.TrimSpace(string(out)) == "Dockerfile"
	t.Run("as_written", func(t *testing.T) {
		if !hasPrintenv {
			t.Skip("perry-test/busybox:latest has no printenv applet (Debian busybox-static 1.35): the image CMD `printenv WHEREAMI` cannot run; see the sh_echo subtest")
		}
		for i, st := range steps {
			r := s.runEnv(st.env, st.args...)
			if r.code != 0 || strings.TrimSpace(r.stdout) != st.want {
				t.Fatalf("step %d %v: exit %d, stdout %q, want %q\n%s", i+1, st.args, r.code, r.stdout, st.want, r.stderr)
			}
		}
	})
	t.Run("sh_echo", func(t *testing.T) {
		for i, st := range steps {
			args := append(append([]string{}, st.args...), "sh", "-c", `echo "$WHEREAMI"`)
			r := s.runEnv(st.env, args...)
			if r.code != 0 || strings.TrimSpace(r.stdout) != st.want {
				t.Fatalf("step %d %v: exit %d, stdout %q, want %q\n%s", i+1, args, r.code, r.stdout, st.want, r.stderr)
			}
		}
		for _, c := range s.containers() {
			if c.Labels[engine.LabelOneoff] == "True" {
				t.Fatalf("run --rm left %s", c.Name)
			}
		}
	})
}

func scenarioNoProfileUsage(t *testing.T, dir string) {
	t.Run("no_profile", func(t *testing.T) {
		t.Parallel()
		s := conformanceStack(t, dir)
		s.must("up", "-d")
		wantStates(t, s, map[string]string{"regular-service": "running", "profiled-service": ""})
		id := s.ids()["regular-service"]
		s.must("stop")
		wantStates(t, s, map[string]string{"regular-service": "exited", "profiled-service": ""})
		s.must("start")
		wantStates(t, s, map[string]string{"regular-service": "running", "profiled-service": ""})
		s.must("restart")
		wantStates(t, s, map[string]string{"regular-service": "running", "profiled-service": ""})
		if s.ids()["regular-service"] != id {
			t.Fatal("start/restart recreated the container")
		}
		s.must("down")
		if c, _, _ := s.leftovers(); c != 0 {
			t.Fatalf("down left %d containers", c)
		}
	})
	t.Run("explicit_profile", func(t *testing.T) {
		t.Parallel()
		s := conformanceStack(t, dir)
		p := func(args ...string) []string { return append([]string{"--profile", "test-profile"}, args...) }
		s.must(p("up", "-d")...)
		wantStates(t, s, map[string]string{"regular-service": "running", "profiled-service": "running"})
		ids := s.ids()
		s.must(p("stop")...)
		wantStates(t, s, map[string]string{"regular-service": "exited", "profiled-service": "exited"})
		s.must(p("start")...)
		s.must(p("restart")...)
		wantStates(t, s, map[string]string{"regular-service": "running", "profiled-service": "running"})
		if got := s.ids(); got["regular-service"] != ids["regular-service"] || got["profiled-service"] != ids["profiled-service"] {
			t.Fatalf("recreated: %v -> %v", ids, got)
		}
		s.must(p("down")...)
		if c, _, _ := s.leftovers(); c != 0 {
			t.Fatalf("down left %d containers", c)
		}
	})
	t.Run("targeted_service", func(t *testing.T) {
		t.Parallel()
		s := conformanceStack(t, dir)
		s.must("up", "-d", "profiled-service")
		wantStates(t, s, map[string]string{"regular-service": "", "profiled-service": "running"})
	})
}

func scenarioDotEnvProfileUsage(t *testing.T, dir string) {
	s := conformanceStack(t, dir)
	if r := s.must("config", "--services"); !strings.Contains(r.stdout, "regular-service") || !strings.Contains(r.stdout, "profiled-service") {
		t.Fatalf("config --services: %q", r.stdout)
	}
	s.must("up", "-d")
	wantStates(t, s, map[string]string{"regular-service": "running", "profiled-service": "running"})
}

func scenarioScaleBasicCases(t *testing.T, dir string) {
	s := conformanceStack(t, dir)
	counts := func() map[string][]int {
		out := map[string][]int{}
		for svc, cs := range s.byService() {
			for _, c := range cs {
				n, _ := strconv.Atoi(c.Labels[engine.LabelNumber])
				out[svc] = append(out[svc], n)
			}
			sort.Ints(out[svc])
		}
		return out
	}
	want := func(step string, w map[string]int) {
		t.Helper()
		got := counts()
		for svc, n := range w {
			if len(got[svc]) != n {
				t.Fatalf("%s: %s has %d containers %v, want %d (all %v)", step, svc, len(got[svc]), got[svc], n, got)
			}
		}
	}
	s.must("up", "-d")
	want("up -d", map[string]int{"back": 1, "db": 1, "front": 2, "dbadmin": 0})
	s.must("scale", "dbadmin=2")
	want("scale dbadmin=2", map[string]int{"dbadmin": 2})
	s.must("scale", "front=3", "back=2")
	want("scale front=3 back=2", map[string]int{"front": 3, "back": 2})
	s.must("scale", "dbadmin=1")
	want("scale dbadmin=1", map[string]int{"dbadmin": 1})
	s.must("scale", "dbadmin=0")
	want("scale dbadmin=0", map[string]int{"dbadmin": 0})
	s.must("scale", "front=2", "back=1")
	want("scale front=2 back=1", map[string]int{"front": 2, "back": 1})
	if got := counts()["front"]; len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Fatalf("front keeps replicas %v, want [1 2]", got)
	}
}

func scenarioUpRecreateVolumes(t *testing.T, dir string) {
	s := conformanceStack(t, dir)
	label := func() string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		v, err := s.b.InspectVolume(ctx, s.name+"_my_vol")
		if err != nil {
			t.Fatalf("volume %s_my_vol: %v", s.name, err)
		}
		return v.Labels["foo"]
	}
	s.must("up", "-d")
	if got := label(); got != "bar" {
		t.Fatalf("label foo=%q, want bar", got)
	}
	r := s.runEnv(map[string]string{"VOL_LABEL": "zot"}, "up", "-d", "-y")
	if r.code != 0 {
		t.Fatalf("up -d -y: exit %d\n%s", r.code, r.out())
	}
	if got := label(); got != "zot" {
		t.Fatalf("label foo=%q after up -y, want zot", got)
	}
}

func scenarioNetworkConfigChanged(t *testing.T, dir string) {
	s := conformanceStack(t, dir)
	addr := func(want string) {
		t.Helper()
		r := s.must("exec", "test", "hostname", "-i")
		if !strings.Contains(r.stdout, want) {
			t.Fatalf("exec test hostname -i = %q, want it to contain %q", r.stdout, want)
		}
	}
	s.must("up", "-d")
	wantStates(t, s, map[string]string{"test": "running"})
	before := s.ids()["test"]
	addr("172.99.0.")
	// The scenario's 192.168.0.0/16 is one of Docker's default address
	// pools: networks other tests create at the same moment take /20s of
	// it, and the recreate then fails with "Pool overlaps". A subnet
	// outside the default pools changes the network the same way.
	const changed = "10.199.0.0/16"
	r := s.runEnv(map[string]string{"SUBNET": changed}, "up", "-d")
	if r.code != 0 {
		t.Fatalf("SUBNET=%s up -d: exit %d\n%s", changed, r.code, r.out())
	}
	wantStates(t, s, map[string]string{"test": "running"})
	if after := s.ids()["test"]; after != before {
		t.Fatalf("container recreated (%s → %s), want it reconnected to the new network", shortID(before), shortID(after))
	}
	addr("10.199.0.")
}
