package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/fake"
	"github.com/perryts/perry-container/compose/engine"
	"github.com/perryts/perry-container/core"
)

// In-process tests of the CLI: flag parsing, validation, rendering and
// exit codes, on the in-memory fake backend (one fake shared by the
// invocations of a test, so that a stack outlives a command as on a real
// runtime). The end-to-end tests on the real engine are in e2e_test.go.

var update = flag.Bool("update", false, "rewrite the golden files")

type cliEnv struct {
	t   *testing.T
	b   *fake.Backend
	dir string
	env map[string]string // what the CLI's own getenv sees (COMPOSE_ANSI, CI…)
}

func newCLIEnv(t *testing.T, composeYAML string) *cliEnv {
	t.Helper()
	dir := t.TempDir()
	if composeYAML != "" {
		if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(composeYAML), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return &cliEnv{t: t, b: fake.New("perry-test/busybox:latest"), dir: dir, env: map[string]string{}}
}

// app is the in-process perry-compose on c's fake: fast polling, the
// test's state directory, c.env as its environment, and an exit that
// panics (a command line must return its code, not exit). Callers set what
// differs: signals, another backend, another exit.
func (c *cliEnv) app(stdin io.Reader, stdout, stderr io.Writer) *app {
	a := newApp(stdin, stdout, stderr)
	a.newBackend = func(context.Context) (backend.Backend, error) { return c.b, nil }
	a.engineOptions = []engine.Option{engine.WithPollInterval(2 * time.Millisecond), engine.WithStateDir(filepath.Join(c.dir, "state"))}
	a.getenv = func(k string) string { return c.env[k] }
	a.exit = func(code int) { panic("exit called") }
	return a
}

// argv is a command line of the test project: -f and -p put first.
func (c *cliEnv) argv(args ...string) []string {
	return append([]string{"-f", filepath.Join(c.dir, "compose.yaml"), "-p", "demo"}, args...)
}

// run runs one command line against the fake, with an empty stdin.
func (c *cliEnv) run(args ...string) result {
	c.t.Helper()
	return c.runStdin("", args...)
}

// runStdin is run with stdin as the process's input.
func (c *cliEnv) runStdin(stdin string, args ...string) result {
	c.t.Helper()
	var out, errb bytes.Buffer
	a := c.app(strings.NewReader(stdin), &out, &errb)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := a.run(ctx, c.argv(args...))
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

func (c *cliEnv) must(args ...string) result {
	c.t.Helper()
	r := c.run(args...)
	if r.code != 0 {
		c.t.Fatalf("perry-compose %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

func golden(t *testing.T, name string, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -run %s -update creates it)", err, t.Name())
	}
	if got != string(want) {
		t.Fatalf("%s differs (go test -update rewrites it)\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

const twoServices = `
services:
  db:
    image: perry-test/busybox:latest
    command: [sleep, "1000"]
  web:
    image: perry-test/busybox:latest
    command: [sleep, "1000"]
    depends_on: [db]
`

const oneService = `
services:
  web:
    image: perry-test/busybox:latest
    command: [sleep, "1000"]
`

func TestProgressPlainAndJSONGolden(t *testing.T) {
	for _, mode := range []string{"plain", "json"} {
		t.Run(mode, func(t *testing.T) {
			c := newCLIEnv(t, oneService)
			r := c.must("--progress", mode, "up", "-d")
			golden(t, "progress/up."+mode+".golden", r.stderr)
			if r.stdout != "" {
				t.Fatalf("progress went to stdout: %q", r.stdout)
			}
			r = c.must("--progress", mode, "down")
			golden(t, "progress/down."+mode+".golden", r.stderr)
		})
	}
}

func TestProgressQuietAndEnv(t *testing.T) {
	c := newCLIEnv(t, oneService)
	if r := c.must("--progress", "quiet", "up", "-d"); r.stderr != "" {
		t.Fatalf("quiet printed %q", r.stderr)
	}
	c.env["COMPOSE_PROGRESS"] = "json"
	r := c.must("stop")
	if !strings.HasPrefix(r.stderr, `{"id":"Container demo-web-1","status":"Stopping"}`) {
		t.Fatalf("COMPOSE_PROGRESS=json ignored: %q", r.stderr)
	}
	// The flag wins over the variable.
	if r := c.must("--progress", "plain", "start"); !strings.Contains(r.stderr, "Container demo-web-1  Started") {
		t.Fatalf("--progress plain: %q", r.stderr)
	}
}

func TestGlobalFlagsBeforeOrAfterCommand(t *testing.T) {
	c := newCLIEnv(t, twoServices)
	c.must("up", "-d")
	// -p after the command, and a project name that differs: nothing found.
	if r := c.must("ps", "-q", "-p", "other"); r.stdout != "" {
		t.Fatalf("ps -p other listed %q", r.stdout)
	}
	// logs -f is --follow, the global -f still works before the command
	// (a stopped container's stream ends).
	c.must("stop", "db")
	r := c.run("logs", "-f", "--tail", "5", "db")
	if r.code != 0 {
		t.Fatalf("logs -f: %d %s", r.code, r.stderr)
	}
	// --profile/--env-file repeat and add up before and after.
	root := (&app{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, getenv: os.Getenv}).newRoot()
	root.SetArgs([]string{"--profile", "a", "version", "--profile", "b"})
	var got []string
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		v := cmd.Flags().Lookup("profile").Value.String()
		got = append(got, v)
		return nil
	}
	root.SetOut(&bytes.Buffer{})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != "[a,b]" {
		t.Fatalf("profiles %v", got)
	}
}

func TestPsJSONIsNDJSONWithDockerKeys(t *testing.T) {
	c := newCLIEnv(t, twoServices)
	c.must("up", "-d")
	r := c.must("ps", "--format", "json")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 2 {
		t.Fatalf("want one line per container, got %q", r.stdout)
	}
	keys := []string{"ID", "Name", "Names", "Image", "Command", "Project", "Service", "CreatedAt", "RunningFor", "State",
		"Status", "Health", "ExitCode", "Ports", "Publishers", "Labels", "Networks", "Mounts", "LocalVolumes", "Size"}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not a JSON object per line: %v: %q", err, l)
		}
		for _, k := range keys {
			if _, ok := m[k]; !ok {
				t.Fatalf("key %s missing: %s", k, l)
			}
		}
		if m["Project"] != "demo" || m["State"] != "running" {
			t.Fatalf("entry %s", l)
		}
		if _, ok := m["Labels"].(string); !ok {
			t.Fatalf("Labels must be a comma-joined string: %s", l)
		}
	}
	if r := c.must("ps", "--services"); r.stdout != "db\nweb\n" {
		t.Fatalf("--services %q", r.stdout)
	}
	if r := c.must("ps", "-q", "web"); len(strings.TrimSpace(r.stdout)) == 0 || strings.Contains(strings.TrimSpace(r.stdout), "\n") {
		t.Fatalf("-q web %q", r.stdout)
	}
	c.must("stop", "web")
	if r := c.must("ps", "--status", "exited", "--format", "json"); !strings.Contains(r.stdout, `"Service":"web"`) || strings.Contains(r.stdout, `"Service":"db"`) {
		t.Fatalf("--status exited %q", r.stdout)
	}
	if r := c.must("ps"); !strings.HasPrefix(r.stdout, "NAME") || !strings.Contains(r.stdout, "demo-db-1") || strings.Contains(r.stdout, "demo-web-1") {
		t.Fatalf("table %q", r.stdout)
	}
}

func TestExecPassesExitCodeThrough(t *testing.T) {
	c := newCLIEnv(t, oneService)
	c.must("up", "-d")
	r := c.run("exec", "web", "sh", "-c", "echo out; exit 7")
	if r.code != 7 || !strings.Contains(r.stdout, "out") {
		t.Fatalf("exec: %+v", r)
	}
	if r.stderr != "" {
		t.Fatalf("a container's exit code is not an error message: %q", r.stderr)
	}
	// Flags after SERVICE belong to the command.
	if r := c.must("exec", "-e", "A=1", "web", "env"); !strings.Contains(r.stdout, "A=1") {
		t.Fatalf("exec -e: %q", r.stdout)
	}
}

// exec --privileged reaches the runtime's exec, as docker compose's does,
// attached, without a TTY and detached.
func TestExecPrivileged(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want bool
	}{
		{"attached", []string{"exec", "--privileged", "web", "true"}, true},
		{"without a TTY", []string{"exec", "-T", "--privileged", "web", "true"}, true},
		{"detached", []string{"exec", "-d", "--privileged", "web", "true"}, true},
		{"not asked", []string{"exec", "web", "true"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCLIEnv(t, oneService)
			c.must("up", "-d")
			c.b.ResetCalls()
			c.must(tc.args...)
			execs := c.b.Execs()
			if len(execs) != 1 || execs[0].Options.Privileged != tc.want || !slices.Equal(execs[0].Options.Cmd, []string{"true"}) {
				t.Fatalf("execs %+v, want one of true with Privileged %v", execs, tc.want)
			}
		})
	}
}

// TestFailedBuildExitsWithTheStepsCode: docker compose exits with the exit
// code of the build step that failed (RUN exit 9 → 9), from build and from
// up; a build that failed without a step's code exits 1.
func TestFailedBuildExitsWithTheStepsCode(t *testing.T) {
	const built = "services:\n  app:\n    build: ./app\n"
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"step exit code", core.Errorf(core.KindBackendError, "The command '/bin/sh -c exit 9' returned a non-zero code: 9").With(backend.DetailStepExitCode, 9), 9},
		{"no step code", core.Errorf(core.KindBackendError, "error checking context: no permission to read from '/x'"), 1},
		// A CLI's exit status is its own (podman's 125), not a step's.
		{"a CLI's status", core.BackendFailure("podman", []string{"podman", "build"}, 125, "Error: no Containerfile or Dockerfile found"), 1},
	} {
		for _, cmd := range [][]string{{"build"}, {"up", "-d"}} {
			t.Run(tc.name+"/"+strings.Join(cmd, " "), func(t *testing.T) {
				c := newCLIEnv(t, built)
				if err := os.MkdirAll(filepath.Join(c.dir, "app"), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(c.dir, "app", "Dockerfile"), []byte("FROM scratch\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				c.b.Inject(fake.Fault{Method: "Build", Err: tc.err})
				r := c.run(cmd...)
				if r.code != tc.want {
					t.Fatalf("exit %d, want %d\nstderr: %s", r.code, tc.want, r.stderr)
				}
				if !strings.Contains(r.stderr, core.AsError(tc.err).Message) {
					t.Fatalf("the build's error is not shown: %q", r.stderr)
				}
			})
		}
	}
}

func TestUsageErrorsExitOne(t *testing.T) {
	c := newCLIEnv(t, twoServices)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"up", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"up", "-d", "--abort-on-container-exit"}, "incompatible with --detach"},
		{[]string{"up", "--build", "--no-build"}, "--build and --no-build are incompatible"},
		{[]string{"up", "--force-recreate", "--no-recreate"}, "incompatible"},
		{[]string{"up", "--abort-on-container-exit", "--abort-on-container-failure"}, "incompatible"},
		{[]string{"up", "--scale", "web"}, `invalid scale "web"`},
		{[]string{"up", "--scale", "nope=2", "-d"}, "no such service: nope"},
		{[]string{"up", "--exit-code-from", "nope"}, "no such service: nope"},
		{[]string{"up", "--pull", "sometimes"}, "invalid --pull value"},
		{[]string{"--progress", "fancy", "ps"}, `--progress: "fancy" is not one of`},
		{[]string{"--ansi", "maybe", "ps"}, `--ansi: "maybe"`},
		{[]string{"--backend", "vmware", "ps"}, `--backend: "vmware" is not one of`},
		{[]string{"--parallel", "0", "ps"}, "--parallel"},
		{[]string{"ps", "--format", "{{.Name"}, "template parsing error"},
		{[]string{"ps", "--filter", "health=ok"}, "unknown filter health"},
		{[]string{"ps", "--filter", "status"}, "KEY=VAL"},
		{[]string{"up", "-d", "--rollback", "--no-rollback"}, "incompatible"},
		{[]string{"ps", "--status", "sleepy"}, "invalid --status"},
		{[]string{"logs", "--tail", "many"}, "invalid --tail"},
		{[]string{"down", "--rmi", "some"}, "invalid --rmi"},
		{[]string{"kill", "-s", "SIG HUP"}, "not a signal name"},
		{[]string{"kill", "-s", "99"}, "not a signal number"},
		{[]string{"exec", "web"}, "requires at least 2 arg"},
		{[]string{"start", "nope"}, "no such service: nope"},
		{[]string{"nosuchcommand"}, "unknown command"},
	}
	for _, tc := range cases {
		r := c.run(tc.args...)
		if r.code != 1 {
			t.Errorf("%v: exit %d, want 1 (stderr %q)", tc.args, r.code, r.stderr)
			continue
		}
		if !strings.Contains(r.stderr, tc.want) || !strings.HasPrefix(r.stderr, "Error: ") {
			t.Errorf("%v: stderr %q does not say %q", tc.args, r.stderr, tc.want)
		}
		if strings.Contains(r.stderr, "goroutine ") {
			t.Errorf("%v: a stack trace: %q", tc.args, r.stderr)
		}
	}
}

func TestConfigErrorsNameFileAndService(t *testing.T) {
	c := newCLIEnv(t, `
services:
  web:
    image: perry-test/busybox:latest
    depends_on:
      db: {condition: service_sleepy}
  db:
    image: perry-test/busybox:latest
`)
	r := c.run("config")
	if r.code != 1 || !strings.Contains(r.stderr, "web") || !strings.Contains(r.stderr, "service_sleepy") || !strings.Contains(r.stderr, "compose.yaml") {
		t.Fatalf("config error %+v", r)
	}
	var out, errb bytes.Buffer
	a := newApp(strings.NewReader(""), &out, &errb)
	a.getenv = func(string) string { return "" }
	if code := a.run(context.Background(), []string{"-f", "/nonexistent/compose.yaml", "ps"}); code != 1 || !strings.Contains(errb.String(), "/nonexistent/compose.yaml") {
		t.Fatalf("missing file: %d %q", code, errb.String())
	}
}

// `config --hash` prints the config-hash label up writes on each service's
// container, and `config --images` the images up builds and runs: the CLI
// and the engine share one hash and one default image name.
func TestConfigHashAndImagesAreTheEngines(t *testing.T) {
	c := newCLIEnv(t, `
services:
  web:
    build: .
    command: [sleep, "1000"]
    environment: {MODE: "x"}
    depends_on: [db]
  db:
    image: perry-test/busybox:latest
    command: [sleep, "1000"]
    deploy: {replicas: 2}
`)
	c.must("up", "-d")
	cs, err := c.b.List(context.Background(), backend.ListOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	var labels, images []string
	for _, ct := range cs {
		labels = append(labels, ct.Labels[engine.LabelService]+" "+ct.Labels[engine.LabelConfigHash])
		images = append(images, ct.Image)
	}
	sort.Strings(labels)
	labels = slices.Compact(labels) // db's two replicas carry one hash
	if r := c.must("config", "--hash", "*"); r.stdout != strings.Join(labels, "\n")+"\n" {
		t.Fatalf("config --hash:\n%s\nlabels on the containers:\n%s", r.stdout, strings.Join(labels, "\n"))
	}
	slices.Sort(images)
	images = slices.Compact(images)
	if r := c.must("config", "--images"); r.stdout != "perry-test/busybox:latest\ndemo-web\n" || !slices.Equal(images, []string{"demo-web", "perry-test/busybox:latest"}) {
		t.Fatalf("config --images %q, containers run %v", r.stdout, images)
	}

	// docker compose keeps the service name's case in the default image
	// name; such a name is no valid image reference, so up refuses it
	// clearly, before building anything, instead of building another name.
	upper := newCLIEnv(t, "services:\n  Web:\n    build: .\n")
	if r := upper.must("config", "--images"); r.stdout != "demo-Web\n" {
		t.Fatalf("config --images %q", r.stdout)
	}
	r := upper.run("up", "-d")
	if r.code != 1 || !strings.Contains(r.stderr, `"demo-Web" is not a valid image reference`) {
		t.Fatalf("up: exit %d, stderr %q", r.code, r.stderr)
	}
	if slices.ContainsFunc(upper.b.Methods(), func(m string) bool { return m == "Build" || m == "Create" || m == "CreateNetwork" }) {
		t.Fatalf("up changed something: %v", upper.b.Calls())
	}
}

func TestConfigOptions(t *testing.T) {
	c := newCLIEnv(t, `
services:
  web:
    image: perry-test/busybox:latest
    volumes: [data:/data]
    profiles: [front]
  db:
    image: perry-test/busybox:latest
volumes:
  data: {}
`)
	if r := c.must("config", "--services"); r.stdout != "db\n" {
		t.Fatalf("--services %q", r.stdout)
	}
	if r := c.must("--profile", "front", "config", "--services"); r.stdout != "db\nweb\n" {
		t.Fatalf("--profile --services %q", r.stdout)
	}
	if r := c.must("config", "--profiles"); r.stdout != "front\n" {
		t.Fatalf("--profiles %q", r.stdout)
	}
	if r := c.must("--profile", "front", "config", "--volumes"); r.stdout != "data\n" {
		t.Fatalf("--volumes %q", r.stdout)
	}
	// Without the profile no service uses data: docker compose lists it
	// neither in --volumes nor in the model.
	if r := c.must("config", "--volumes"); r.stdout != "" {
		t.Fatalf("--volumes without the profile %q", r.stdout)
	}
	if r := c.must("config"); strings.Contains(r.stdout, "demo_data") {
		t.Fatalf("config shows the unused volume:\n%s", r.stdout)
	}
	if r := c.must("config", "--images"); r.stdout != "perry-test/busybox:latest\n" {
		t.Fatalf("--images %q", r.stdout)
	}
	if r := c.must("config", "--hash", "db"); !strings.HasPrefix(r.stdout, "db ") {
		t.Fatalf("--hash %q", r.stdout)
	}
	r := c.must("config", "--format", "json")
	var m map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &m); err != nil || m["name"] != "demo" {
		t.Fatalf("--format json: %v %q", err, r.stdout)
	}
	if r := c.must("config", "-q"); r.stdout != "" {
		t.Fatalf("-q printed %q", r.stdout)
	}
	if r := c.must("config"); !strings.Contains(r.stdout, "services:") || !strings.Contains(r.stdout, "demo_default") {
		t.Fatalf("yaml %q", r.stdout)
	}
	out := filepath.Join(c.dir, "out.yaml")
	c.must("config", "-o", out)
	if b, err := os.ReadFile(out); err != nil || !strings.Contains(string(b), "services:") {
		t.Fatalf("-o: %v", err)
	}
}

// config --no-interpolate prints the model as written, as docker compose
// does; its listings load the project uninterpolated.
func TestConfigNoInterpolate(t *testing.T) {
	c := newCLIEnv(t, `
services:
  web:
    image: perry-test/busybox:${PERRY_TEST_NO_SUCH_TAG:-latest}
    environment:
      VALUE: ${PERRY_TEST_NO_SUCH_VAR}
      PRICE: "$$5"
  db:
    image: perry-test/busybox:latest
    profiles: [tools]
`)
	tests := []struct {
		name       string
		args       []string
		want       []string // in stdout
		wantAbsent []string // not in stdout
		wantStderr string
	}{
		{
			name:       "the model as written",
			args:       []string{"config", "--no-interpolate"},
			want:       []string{"image: perry-test/busybox:${PERRY_TEST_NO_SUCH_TAG:-latest}\n", "VALUE: ${PERRY_TEST_NO_SUCH_VAR}\n", "PRICE: $$5\n", "\n  db:\n"},
			wantAbsent: []string{"$${"},
		},
		{
			name: "json",
			args: []string{"config", "--no-interpolate", "--format", "json"},
			want: []string{`"image": "perry-test/busybox:${PERRY_TEST_NO_SUCH_TAG:-latest}"`},
		},
		{
			name: "--images uninterpolated",
			args: []string{"config", "--no-interpolate", "--images"},
			want: []string{"perry-test/busybox:${PERRY_TEST_NO_SUCH_TAG:-latest}\n"},
		},
		{
			name: "--services lists every service of the model",
			args: []string{"config", "--no-interpolate", "--services"},
			want: []string{"db\nweb\n"},
		},
		{
			name:       "services named: the whole model, with a warning",
			args:       []string{"config", "--no-interpolate", "web"},
			want:       []string{"\n  db:\n", "\n  web:\n"},
			wantStderr: "service filtering is not applied when --no-interpolate is set",
		},
		{
			name:       "interpolated without the flag",
			args:       []string{"config"},
			want:       []string{"image: perry-test/busybox:latest\n", "PRICE: $$5\n"},
			wantAbsent: []string{"PERRY_TEST_NO_SUCH"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.must(tt.args...)
			for _, w := range tt.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, r.stdout)
				}
			}
			for _, w := range tt.wantAbsent {
				if strings.Contains(r.stdout, w) {
					t.Errorf("stdout has %q:\n%s", w, r.stdout)
				}
			}
			if !strings.Contains(r.stderr, tt.wantStderr) {
				t.Errorf("stderr %q lacks %q", r.stderr, tt.wantStderr)
			}
		})
	}
}

func TestLsAndScaleAndCreateOnFake(t *testing.T) {
	c := newCLIEnv(t, twoServices)
	c.must("create", "web")
	if r := c.must("ps", "-a", "--format", "json"); strings.Count(r.stdout, `"State":"created"`) != 2 {
		t.Fatalf("create: %q", r.stdout)
	}
	if r := c.must("ls", "--format", "json"); r.stdout != "[]\n" {
		t.Fatalf("ls lists a project without a running container: %q", r.stdout)
	}
	r := c.must("ls", "-a", "--format", "json")
	var entries []lsEntry
	if err := json.Unmarshal([]byte(r.stdout), &entries); err != nil || len(entries) != 1 || entries[0].Name != "demo" || entries[0].Status != "created(2)" {
		t.Fatalf("ls -a: %v %q", err, r.stdout)
	}
	c.must("start")
	c.must("scale", "web=3")
	if r := c.must("ps", "-q", "web"); strings.Count(r.stdout, "\n") != 3 {
		t.Fatalf("scale web=3: %q", r.stdout)
	}
	c.must("scale", "web=1")
	if r := c.must("ps", "--format", "json", "web"); strings.Count(r.stdout, "\n") != 1 || !strings.Contains(r.stdout, "demo-web-1") {
		t.Fatalf("scale web=1: %q", r.stdout)
	}
	if r := c.must("ls"); !strings.Contains(r.stdout, "running(2)") {
		t.Fatalf("ls: %q", r.stdout)
	}
}

func TestDownWithoutComposeFileUsesLabels(t *testing.T) {
	c := newCLIEnv(t, twoServices)
	c.must("up", "-d")
	// A directory without a compose file: -p alone finds the stack.
	empty := t.TempDir()
	var out, errb bytes.Buffer
	a := c.app(strings.NewReader(""), &out, &errb)
	wd, _ := os.Getwd()
	if err := os.Chdir(empty); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	if code := a.run(context.Background(), []string{"-p", "demo", "down"}); code != 0 {
		t.Fatalf("down by name: %d %s", code, errb.String())
	}
	list, _ := c.b.List(context.Background(), backend.ListOptions{All: true, Labels: map[string]string{engine.LabelProject: "demo"}})
	nets, _ := c.b.ListNetworks(context.Background(), map[string]string{engine.LabelProject: "demo"})
	if len(list) != 0 || len(nets) != 0 {
		t.Fatalf("left %v %v", list, nets)
	}
}

func TestErrorTextUsesDockerWordsAndNamesService(t *testing.T) {
	exited := (&core.Error{Kind: core.KindServiceStartupFailed,
		Message: `service "db" container p-db-1 exited with code 1 before becoming healthy (required by "web" with condition service_healthy)`}).
		With("service", "db").With("container", "p-db-1").With("exitCode", 1).With("dependent", "web")
	if got := errorText(exited); !strings.HasPrefix(got, "dependency failed to start: container p-db-1 exited (1)\n") || !strings.Contains(got, `service "db"`) {
		t.Fatalf("%q", got)
	}
	unhealthy := (&core.Error{Kind: core.KindServiceStartupFailed, Message: `service "fail" is unhealthy: container p-fail-1 (required by "depends" with condition service_healthy)`}).
		With("service", "fail").With("container", "p-fail-1").With("dependent", "depends")
	if got := errorText(unhealthy); !strings.HasPrefix(got, "dependency failed to start: container p-fail-1 is unhealthy") {
		t.Fatalf("%q", got)
	}
	completed := (&core.Error{Kind: core.KindServiceStartupFailed,
		Message: `service "migrate" did not complete successfully: container p-migrate-1 exited with code 3 (required by "app" with condition service_completed_successfully)`}).
		With("service", "migrate").With("container", "p-migrate-1").With("exitCode", 3).With("dependent", "app")
	if got := errorText(completed); !strings.HasPrefix(got, `service "migrate" didn't complete successfully: exit 3`+"\n") {
		t.Fatalf("%q", got)
	}
	waited := (&core.Error{Kind: core.KindServiceStartupFailed, Message: `service "web" is unhealthy: container p-web-1`}).
		With("service", "web").With("container", "p-web-1")
	if got := errorText(waited); !strings.HasPrefix(got, "container p-web-1 is unhealthy\n") {
		t.Fatalf("%q", got)
	}
	if got := errorText(core.NotFound("service", "nope").With("service", "nope")); got != "no such service: nope" {
		t.Fatalf("%q", got)
	}
	lastLogs := core.Errorf(core.KindServiceStartupFailed, `service "web" failed`).With("service", "web").With("lastLogs", []string{"p-web-1  | boom"})
	if got := errorText(lastLogs); !strings.Contains(got, "last output:\n    p-web-1  | boom") {
		t.Fatalf("%q", got)
	}
	plain := core.Errorf(core.KindBackendError, "no such image").With("service", "web")
	if got := errorText(plain); got != `service "web": no such image` {
		t.Fatalf("%q", got)
	}
	rb := core.Errorf(core.KindServiceStartupFailed, `service "web" failed to start`).With("service", "web").With("rollbackErrors", []string{"container x: busy"})
	if got := errorText(rb); !strings.Contains(got, "container x: busy") {
		t.Fatalf("%q", got)
	}
	if got := errorText(errors.New("boom")); got != "boom" {
		t.Fatalf("%q", got)
	}
}

func TestParseHelpers(t *testing.T) {
	s, err := parseScale([]string{"web=3", "db=0"})
	if err != nil || s["web"] != 3 || s["db"] != 0 {
		t.Fatalf("%v %v", s, err)
	}
	for _, bad := range []string{"web", "=3", "web=-1", "web=x"} {
		if _, err := parseScale([]string{bad}); err == nil {
			t.Errorf("parseScale(%q) accepted", bad)
		}
	}
	env, err := parseEnv([]string{"A=1", "B", "C", "D="}, func(k string) (string, bool) {
		if k == "B" {
			return "from-shell", true
		}
		return "", false
	})
	if err != nil || len(env) != 3 || env["A"] != "1" || env["B"] != "from-shell" || env["D"] != "" {
		t.Fatalf("%v %v", env, err)
	}
	if _, ok := env["C"]; ok {
		t.Fatal("an unset bare variable must be left out")
	}
}

func TestProjectsOf(t *testing.T) {
	ci := func(project, state string, oneoff bool) core.ContainerInfo {
		l := map[string]string{engine.LabelProject: project, engine.LabelConfigFiles: "/x/" + project + ".yaml", engine.LabelOneoff: "False"}
		if oneoff {
			l[engine.LabelOneoff] = "True"
		}
		return core.ContainerInfo{State: state, Labels: l}
	}
	list := []core.ContainerInfo{ci("b", "running", false), ci("b", "exited", false), ci("b", "running", false), ci("a", "exited", false), ci("c", "running", true)}
	got := projectsOf(list, false)
	// Without -a only running containers count, as in docker compose.
	if len(got) != 1 || got[0] != (lsEntry{Name: "b", Status: "running(2)", ConfigFiles: "/x/b.yaml"}) {
		t.Fatalf("%+v", got)
	}
	all := projectsOf(list, true)
	names := []string{}
	for _, e := range all {
		names = append(names, e.Name)
	}
	if !sort.StringsAreSorted(names) || strings.Join(names, ",") != "a,b" {
		t.Fatalf("%v", names)
	}
}

// TestHelpGolden locks the --help text of every command (reviewed for
// clarity; go test -update rewrites them after a deliberate change).
func TestHelpGolden(t *testing.T) {
	a := newApp(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{})
	root := a.newRoot()
	names := []string{""}
	for _, c := range root.Commands() {
		if c.Name() != "help" {
			names = append(names, c.Name())
		}
	}
	for _, name := range names {
		t.Run("cmd_"+name, func(t *testing.T) {
			var out, errb bytes.Buffer
			a := newApp(strings.NewReader(""), &out, &errb)
			a.getenv = func(string) string { return "" }
			args := []string{"--help"}
			if name != "" {
				args = []string{name, "--help"}
			}
			if code := a.run(context.Background(), args); code != 0 {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			file := name
			if file == "" {
				file = "perry-compose"
			}
			golden(t, "help/"+file+".golden", out.String())
		})
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"-v"}, {"--version"}, {"version"}} {
		var out bytes.Buffer
		a := newApp(strings.NewReader(""), &out, &bytes.Buffer{})
		a.getenv = func(string) string { return "" }
		if code := a.run(context.Background(), args); code != 0 || out.String() != "perry-compose version dev\n" {
			t.Fatalf("%v: %d %q", args, code, out.String())
		}
	}
	var out bytes.Buffer
	a := newApp(strings.NewReader(""), &out, &bytes.Buffer{})
	a.getenv = func(string) string { return "" }
	if code := a.run(context.Background(), []string{"version", "--format", "json"}); code != 0 || out.String() != `{"version":"dev"}`+"\n" {
		t.Fatalf("%q", out.String())
	}
}

func TestImageAndHousekeepingCommandsOnFake(t *testing.T) {
	c := newCLIEnv(t, `
services:
  app:
    build: {context: .}
    command: [sleep, "1000"]
  web:
    image: perry-test/busybox:latest
    command: [sleep, "1000"]
  job:
    image: perry-test/busybox:latest
    command: [sh, -c, "exit 4"]
`)
	if r := c.must("--progress", "plain", "build"); !strings.Contains(r.stderr, "Image demo-app  Built") {
		t.Fatalf("build: %q", r.stderr)
	}
	if r := c.must("--progress", "plain", "pull"); !strings.Contains(r.stderr, "Image perry-test/busybox:latest  Pulled") || strings.Contains(r.stderr, "demo-app") {
		t.Fatalf("pull: %q", r.stderr)
	}
	c.must("up", "-d")
	r := c.must("images", "--format", "json")
	var imgs []imageEntry
	if err := json.Unmarshal([]byte(r.stdout), &imgs); err != nil || len(imgs) != 3 {
		t.Fatalf("images: %v %q", err, r.stdout)
	}
	if r := c.run("wait", "job"); r.code != 4 || !strings.Contains(r.stdout, `"demo-job-1" exited with status code 4`) {
		t.Fatalf("wait: %+v", r)
	}
	// A signal that is not a stop is delivered and leaves the container up.
	if r := c.must("--progress", "plain", "kill", "-s", "hup", "web"); !strings.Contains(r.stderr, "demo-web-1  Killed") {
		t.Fatalf("kill -s hup: %q", r.stderr)
	}
	if r := c.must("ps", "--status", "running", "--services"); !strings.Contains(r.stdout, "web") {
		t.Fatalf("after kill -s hup: %q", r.stdout)
	}
	c.must("kill", "web")
	if r := c.must("ps", "-a", "--status", "exited", "--services"); !strings.Contains(r.stdout, "web") {
		t.Fatalf("kill: %q", r.stdout)
	}
	c.must("rm", "-f", "web", "job")
	if r := c.must("ps", "-a", "--services"); r.stdout != "app\n" {
		t.Fatalf("rm: %q", r.stdout)
	}
	if r := c.must("rm"); !strings.Contains(r.stderr, "No stopped containers") {
		t.Fatalf("rm with nothing: %q", r.stderr)
	}
	// run: a one-off container, its output and exit code, removed with --rm.
	if r := c.must("run", "--rm", "-e", "X=1", "web", "env"); !strings.Contains(r.stdout, "X=1\n") {
		t.Fatalf("run -e: %+v", r)
	}
	if r := c.run("run", "--rm", "web", "sh", "-c", "exit 6"); r.code != 6 || r.stderr != "" {
		t.Fatalf("run exit code: %+v", r)
	}
	list, _ := c.b.List(context.Background(), backend.ListOptions{All: true, Labels: map[string]string{engine.LabelOneoff: "True"}})
	if len(list) != 0 {
		t.Fatalf("run --rm left %v", list)
	}
	r = c.must("run", "-d", "web")
	info, err := c.b.Inspect(context.Background(), strings.TrimSpace(r.stdout))
	if err != nil || !strings.HasPrefix(info.Name, "demo-web-run-") {
		t.Fatalf("run -d prints the container's id: %q %v", r.stdout, err)
	}
	// As docker compose's, a detached one-off container keeps stdin open
	// (-i is the default), without a TTY here (stdout is no terminal);
	// -i=false closes it.
	if spec, _ := c.b.ContainerSpec(info.ID); !spec.StdinOpen || spec.Tty {
		t.Errorf("run -d: stdin_open %v tty %v, want stdin open without a TTY", spec.StdinOpen, spec.Tty)
	}
	r = c.must("run", "-d", "-i=false", "web")
	if spec, _ := c.b.ContainerSpec(strings.TrimSpace(r.stdout)); spec.StdinOpen {
		t.Error("run -d -i=false kept stdin open")
	}
}

// ps shows each container's command as docker compose does, in the table,
// a template and JSON alike: Go-quoted, cut to 20 columns with "…" unless
// --no-trunc, an argument with a space in single quotes.
func TestPsCommandColumn(t *testing.T) {
	c := newCLIEnv(t, `
services:
  web:
    image: perry-test/busybox:latest
    command: [sh, -c, "sleep 1000; echo done"]
`)
	c.must("up", "-d")
	r := c.must("ps")
	header := strings.Fields(strings.SplitN(r.stdout, "\n", 2)[0])
	if strings.Join(header, " ") != "NAME IMAGE COMMAND SERVICE CREATED STATUS PORTS" {
		t.Fatalf("header %q", header)
	}
	if !strings.Contains(r.stdout, `"sh -c 'sleep 1000; …"`) {
		t.Fatalf("truncated command missing:\n%s", r.stdout)
	}
	if r := c.must("ps", "--no-trunc"); !strings.Contains(r.stdout, `"sh -c 'sleep 1000; echo done'"`) {
		t.Fatalf("--no-trunc command missing:\n%s", r.stdout)
	}
	if r := c.must("ps", "--format", "{{.Command}}"); r.stdout != `"sh -c 'sleep 1000; …"`+"\n" {
		t.Fatalf("template .Command %q", r.stdout)
	}
	r = c.must("ps", "--format", "json", "--no-trunc")
	var e map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &e); err != nil || e["Command"] != `"sh -c 'sleep 1000; echo done'"` {
		t.Fatalf("json Command %v (%v): %s", e["Command"], err, r.stdout)
	}
}

func TestPsFormatTemplateFilterAndOrder(t *testing.T) {
	c := newCLIEnv(t, twoServices)
	c.must("up", "-d")
	c.must("stop", "web")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"template rows sorted by name", []string{"ps", "-a", "--format", "{{.Service}} {{.State}}"}, "db running\nweb exited\n"},
		{"table template has docker's headers", []string{"ps", "--format", "table {{.Service}}\t{{.State}}"}, "SERVICE   STATE\ndb        running\n"},
		{"a label through .Label", []string{"ps", "--format", `{{.Label "com.docker.compose.service"}}`}, "db\n"},
		{"filter status", []string{"ps", "-a", "--filter", "status=exited", "--services"}, "web\n"},
		{"ids are short unless --no-trunc", []string{"ps", "--format", "{{len .ID}}"}, "12\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if r := c.must(tc.args...); r.stdout != tc.want {
				t.Fatalf("stdout %q, want %q", r.stdout, tc.want)
			}
		})
	}
	if r := c.must("ps", "--no-trunc", "--format", "{{.ID}}"); len(strings.TrimSpace(r.stdout)) <= 12 {
		t.Fatalf("--no-trunc: %q", r.stdout)
	}
}

func TestImagesQuietPrintsBareIDsOnce(t *testing.T) {
	c := newCLIEnv(t, twoServices)
	c.must("up", "-d")
	r := c.must("images", "-q")
	lines := strings.Fields(r.stdout)
	if len(lines) != 1 || strings.Contains(lines[0], ":") {
		t.Fatalf("images -q: %q, want one id without its algorithm", r.stdout)
	}
	platform := "linux/" + runtime.GOARCH
	r = c.must("images")
	if lines := strings.Split(strings.TrimSpace(r.stdout), "\n"); len(lines) != 3 ||
		strings.Join(strings.Fields(lines[0]), " ") != "CONTAINER REPOSITORY TAG PLATFORM IMAGE ID SIZE CREATED" ||
		!strings.Contains(lines[1], " "+platform+" ") {
		t.Fatalf("images table: %q, want docker compose's columns and the platform %s", r.stdout, platform)
	}
	if r := c.must("images", "--format", "json"); !strings.Contains(r.stdout, `"Platform":"`+platform+`"`) {
		t.Fatalf("images json: %q", r.stdout)
	}
}

func TestDownServiceRemovesItAndItsDependents(t *testing.T) {
	c := newCLIEnv(t, `
services:
  db:
    image: perry-test/busybox:latest
    command: [sleep, "1000"]
  web:
    image: perry-test/busybox:latest
    command: [sleep, "1000"]
    depends_on: [db]
  other:
    image: perry-test/busybox:latest
    command: [sleep, "1000"]
`)
	c.must("up", "-d")
	c.must("down", "db")
	if r := c.must("ps", "-a", "--services"); r.stdout != "other\n" {
		t.Fatalf("after down db: %q, want only other left", r.stdout)
	}
}

func TestKillRemoveOrphansKillsWithoutRemoving(t *testing.T) {
	c := newCLIEnv(t, twoServices)
	c.must("up", "-d")
	if err := os.WriteFile(filepath.Join(c.dir, "compose.yaml"), []byte(oneService), 0o644); err != nil {
		t.Fatal(err)
	}
	c.must("kill", "--remove-orphans")
	r := c.must("ps", "-a", "--format", "{{.Service}} {{.State}}")
	if r.stdout != "db exited\nweb exited\n" {
		t.Fatalf("after kill --remove-orphans: %q, want the orphan db killed and kept", r.stdout)
	}
}

func TestLogsFollowSaysHowContainersExited(t *testing.T) {
	c := newCLIEnv(t, `
services:
  job:
    image: perry-test/busybox:latest
    command: [sh, -c, "echo done; exit 3"]
`)
	c.must("up", "-d")
	r := c.must("logs", "-f", "--no-color")
	if !strings.HasSuffix(r.stdout, "job-1 exited with code 3\n") {
		t.Fatalf("logs -f: %q, want it to end with the exit status", r.stdout)
	}
}

// A service's environment entry without a value (unset here) removes the
// image's variable from its containers, a one-off's too; run -e KEY=V sets
// it instead.
func TestRunEnvOverridesAnUnsetVariable(t *testing.T) {
	c := newCLIEnv(t, `
services:
  web:
    image: perry-test/busybox:latest
    environment: [PERRY_TEST_NOT_SET_ANYWHERE]
`)
	id := strings.TrimSpace(c.must("run", "-d", "web").stdout)
	if spec, _ := c.b.ContainerSpec(id); !slices.Equal(spec.UnsetEnv, []string{"PERRY_TEST_NOT_SET_ANYWHERE"}) {
		t.Errorf("run: unset %q, want the service's variable", spec.UnsetEnv)
	}
	id = strings.TrimSpace(c.must("run", "-d", "-e", "PERRY_TEST_NOT_SET_ANYWHERE=1", "web").stdout)
	if spec, _ := c.b.ContainerSpec(id); len(spec.UnsetEnv) != 0 || spec.Env["PERRY_TEST_NOT_SET_ANYWHERE"] != "1" {
		t.Errorf("run -e: env %v unset %q, want the variable set", spec.Env, spec.UnsetEnv)
	}
}
