package cli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client/pkg/versions"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
	"github.com/perryts/perry-container/internal/testenv"
)

// Tests of the backend against a fake CLI (testdata/fakecli.sh): a shell
// script that records its argv and prints canned output. They are not
// parallel: writing an executable while another test forks can fail with
// ETXTBSY.

type fakeCLI struct {
	t   *testing.T
	dir string
	bin string
}

// reply is a canned answer of the fake CLI.
type reply struct {
	stdout, stderr string
	exit           int
	sleep          int // seconds
}

func newFakeCLI(t *testing.T, name string) *fakeCLI {
	t.Helper()
	script, err := os.ReadFile(filepath.Join("testdata", "fakecli.sh"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, name)
	if err := os.WriteFile(bin, script, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "resp"), 0o755); err != nil {
		t.Fatal(err)
	}
	return &fakeCLI{t: t, dir: dir, bin: bin}
}

// on sets the reply for key: a call number ("1"), a subcommand ("inspect")
// or "default".
func (f *fakeCLI) on(key string, r reply) *fakeCLI {
	f.t.Helper()
	write := func(ext, content string) {
		if err := os.WriteFile(filepath.Join(f.dir, "resp", key+"."+ext), []byte(content), 0o644); err != nil {
			f.t.Fatal(err)
		}
	}
	write("stdout", r.stdout)
	write("stderr", r.stderr)
	write("exit", strconv.Itoa(r.exit))
	if r.sleep > 0 {
		write("sleep", strconv.Itoa(r.sleep))
	}
	return f
}

// calls returns the recorded argv of every call, the binary first.
func (f *fakeCLI) calls() [][]string {
	f.t.Helper()
	var out [][]string
	for i := 1; ; i++ {
		data, err := os.ReadFile(filepath.Join(f.dir, "calls", strconv.Itoa(i), "argv"))
		if errors.Is(err, os.ErrNotExist) {
			if _, derr := os.Stat(filepath.Join(f.dir, "calls", strconv.Itoa(i+1))); derr == nil {
				continue // a concurrent call has not written its argv yet
			}
			return out
		}
		if err != nil {
			f.t.Fatal(err)
		}
		argv := []string{f.bin}
		if len(data) > 0 {
			argv = append(argv, strings.Split(strings.TrimSuffix(string(data), "\x00"), "\x00")...)
		}
		out = append(out, argv)
	}
}

func (f *fakeCLI) last() []string {
	f.t.Helper()
	calls := f.calls()
	if len(calls) == 0 {
		f.t.Fatal("the fake CLI was not called")
	}
	return calls[len(calls)-1]
}

// off removes the reply set for key.
func (f *fakeCLI) off(key string) {
	f.t.Helper()
	for _, ext := range []string{"stdout", "stderr", "exit", "sleep"} {
		if err := os.Remove(filepath.Join(f.dir, "resp", key+"."+ext)); err != nil && !errors.Is(err, os.ErrNotExist) {
			f.t.Fatal(err)
		}
	}
}

func (f *fakeCLI) reset() {
	f.t.Helper()
	if err := os.RemoveAll(filepath.Join(f.dir, "calls")); err != nil {
		f.t.Fatal(err)
	}
}

const dockerInspectJSON = `[{"Id":"c1full","Name":"/web","Created":"2026-01-02T03:04:05Z","State":{"Status":"exited","ExitCode":4},"Config":{"Image":"img","Labels":{"a":"b"}},"NetworkSettings":{"Networks":{"bridge":{"IPAddress":"172.17.0.9"}}}}]`

// dockerRunningInspectJSON is dockerInspectJSON's container while it runs.
var dockerRunningInspectJSON = strings.Replace(dockerInspectJSON, `"Status":"exited","ExitCode":4`, `"Status":"running","Running":true,"ExitCode":0`, 1)

// TestBackendPassesProtocolArgs runs every Backend method against the fake
// and checks the exact argv: the binary, the wrapper prefix, the protocol's
// arguments.
func TestBackendPassesProtocolArgs(t *testing.T) {
	five, two := 5, 2
	spec := &core.ContainerSpec{Image: "img", Name: "web", Env: map[string]string{"A": "1"}, Cmd: []string{"echo", "hi"}}
	logs := backend.LogsOptions{Tail: &two}
	exec := backend.ExecOptions{Cmd: []string{"ls", "-l"}, Env: map[string]string{"K": "V"}, Workdir: "/tmp", User: "nobody"}
	build := core.BuildSpec{Context: "/ctx", Args: map[string]string{"X": "1"}}
	netCfg := core.NetworkConfig{Labels: map[string]string{"k": "v"}}
	volCfg := core.VolumeConfig{Labels: map[string]string{"k": "v"}}
	labels := map[string]string{"k": "v"}

	type op struct {
		name string
		call func(context.Context, *Backend) error
		args func(Protocol) []string
	}
	ops := []op{
		{"create", func(ctx context.Context, b *Backend) error { _, err := b.Create(ctx, spec); return err },
			func(p Protocol) []string { a, _ := p.CreateArgs(spec); return a }},
		{"start", func(ctx context.Context, b *Backend) error { return b.Start(ctx, "c1") },
			func(p Protocol) []string { return p.StartArgs("c1") }},
		{"stop", func(ctx context.Context, b *Backend) error { return b.Stop(ctx, "c1", &five) },
			func(p Protocol) []string { return p.StopArgs("c1", &five) }},
		{"remove", func(ctx context.Context, b *Backend) error { return b.Remove(ctx, "c1", true) },
			func(p Protocol) []string { return p.RemoveArgs("c1", true) }},
		{"rename", func(ctx context.Context, b *Backend) error { return b.Rename(ctx, "c1", "c2") },
			func(p Protocol) []string { a, _ := p.RenameArgs("c1", "c2"); return a }},
		{"list", func(ctx context.Context, b *Backend) error {
			_, err := b.List(ctx, backend.ListOptions{All: true, Labels: labels})
			return err
		}, func(p Protocol) []string {
			a, _ := p.ListArgs(backend.ListOptions{All: true, Labels: labels})
			return a
		}},
		{"inspect", func(ctx context.Context, b *Backend) error { _, err := b.Inspect(ctx, "c1"); return err },
			func(p Protocol) []string { return p.InspectArgs("c1") }},
		{"logs", func(ctx context.Context, b *Backend) error { _, err := b.Logs(ctx, "c1", logs); return err },
			func(p Protocol) []string { a, _ := p.LogsArgs("c1", logs, false); return a }},
		{"follow", func(ctx context.Context, b *Backend) error { return b.FollowLogs(ctx, "c1", logs, nil, nil) },
			func(p Protocol) []string { a, _ := p.LogsArgs("c1", logs, true); return a }},
		{"exec", func(ctx context.Context, b *Backend) error { _, err := b.Exec(ctx, "c1", exec); return err },
			func(p Protocol) []string { a, _ := p.ExecArgs("c1", exec); return a }},
		{"wait", func(ctx context.Context, b *Backend) error { _, err := b.Wait(ctx, "c1"); return err },
			func(p Protocol) []string { a, _ := p.WaitArgs("c1"); return a }},
		{"build", func(ctx context.Context, b *Backend) error { return b.Build(ctx, build, "app:1") },
			func(p Protocol) []string { a, _ := p.BuildArgs(build, "app:1"); return a }},
		{"pull", func(ctx context.Context, b *Backend) error { return b.PullImage(ctx, "alpine") },
			func(p Protocol) []string { return p.PullArgs("alpine") }},
		{"images", func(ctx context.Context, b *Backend) error { _, err := b.ListImages(ctx); return err },
			func(p Protocol) []string { return p.ListImagesArgs() }},
		{"rmi", func(ctx context.Context, b *Backend) error { return b.RemoveImage(ctx, "alpine", true) },
			func(p Protocol) []string { return p.RemoveImageArgs("alpine", true) }},
		{"network create", func(ctx context.Context, b *Backend) error { return b.CreateNetwork(ctx, "n1", netCfg) },
			func(p Protocol) []string { a, _ := p.CreateNetworkArgs("n1", netCfg); return a }},
		{"network rm", func(ctx context.Context, b *Backend) error { return b.RemoveNetwork(ctx, "n1") },
			func(p Protocol) []string { return p.RemoveNetworkArgs("n1") }},
		{"volume create", func(ctx context.Context, b *Backend) error { return b.CreateVolume(ctx, "v1", volCfg) },
			func(p Protocol) []string { a, _ := p.CreateVolumeArgs("v1", volCfg); return a }},
		{"volume rm", func(ctx context.Context, b *Backend) error { return b.RemoveVolume(ctx, "v1", true) },
			func(p Protocol) []string { return p.RemoveVolumeArgs("v1", true) }},
	}
	runtimes := []struct {
		name string
		make func(bin string) *Backend
		skip []string // operations the runtime lacks or runs differently (tested elsewhere)
	}{
		{"docker", func(bin string) *Backend { return Docker("docker", bin) }, nil},
		{"podman", func(bin string) *Backend { return Docker("podman", bin) }, nil},
		{"nerdctl", func(bin string) *Backend { return Docker("nerdctl", bin) }, nil},
		{"container", Apple, []string{"rename", "wait", "start"}},
		{"limactl", func(bin string) *Backend { return Lima(bin, "default") }, nil},
	}
	for _, rt := range runtimes {
		t.Run(rt.name, func(t *testing.T) {
			f := newFakeCLI(t, rt.name)
			b := rt.make(f.bin)
			// Canned answers good enough for every parser; an empty JSON
			// list parses everywhere.
			f.on("default", reply{stdout: "[]\n"})
			f.on("create", reply{stdout: "c1\n"})
			f.on("wait", reply{stdout: "0\n"})
			f.on("inspect", reply{stdout: dockerInspectJSON})
			if rt.name == "limactl" { // every call is `shell`: answer by subcommand is impossible
				f.on("default", reply{stdout: "c1\n"})
			}
			for _, o := range ops {
				if slices.Contains(rt.skip, o.name) {
					continue
				}
				f.reset()
				if o.name == "follow" {
					// A follow inspects the container first: its first call
					// must find one, running (podman reads a finished
					// container's log without following it).
					f.on("1", reply{stdout: dockerRunningInspectJSON})
				}
				_ = o.call(t.Context(), b) // canned output may not parse: the argv is what counts here
				f.off("1")
				want := b.Argv(o.args(b.Protocol()))
				if got := f.last(); !slices.Equal(got, want) {
					t.Errorf("%s:\n got %q\nwant %q", o.name, got, want)
				}
			}
		})
	}
}

func TestLimaArgvPrefix(t *testing.T) {
	f := newFakeCLI(t, "limactl")
	b := Lima(f.bin, "dev")
	f.on("default", reply{})
	if err := b.Start(t.Context(), "c1"); err != nil {
		t.Fatal(err)
	}
	want := []string{f.bin, "shell", "--workdir", "/", "dev", "nerdctl", "start", "--", "c1"}
	if got := f.last(); !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestLimaInfoChecksTheInstance(t *testing.T) {
	lima := string(fixture(t, "lima-2.2-list.ndjson"))
	tests := []struct {
		name, instance string
		wantKind       core.Kind
	}{
		{"running instance", "default", ""},
		{"stopped instance", "captain", core.KindBackendNotAvailable},
		{"missing instance", "ghost", core.KindBackendNotAvailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeCLI(t, "limactl")
			f.on("list", reply{stdout: lima})
			f.on("shell", reply{stdout: `{"Client":{"Version":"v2.0.3"},"Server":{"Components":[]}}`})
			info, err := Lima(f.bin, tt.instance).Info(t.Context())
			if tt.wantKind != "" {
				if core.KindOf(err) != tt.wantKind || !strings.Contains(err.Error(), tt.instance) {
					t.Fatalf("want %s naming %q, got %v", tt.wantKind, tt.instance, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := core.BackendInfo{Name: "lima", Available: true, Version: "v2.0.3", Mode: "local",
				IsolationLevel: core.IsolationContainer, Strategy: "cli", Endpoint: f.bin}
			if info != want {
				t.Errorf("info %+v, want %+v", info, want)
			}
			calls := f.calls()
			if len(calls) != 2 || !slices.Equal(calls[0][1:], []string{"list", "--json", "--", "default"}) {
				t.Errorf("calls %q", calls)
			}
		})
	}
}

func TestInfo(t *testing.T) {
	f := newFakeCLI(t, "docker")
	f.on("version", reply{stdout: string(fixture(t, "live-docker-version.json"))})
	info, err := Docker("docker", f.bin).Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := core.BackendInfo{Name: "docker", Available: true, Version: "20.10.24+dfsg1", Mode: "local",
		IsolationLevel: core.IsolationContainer, Strategy: "cli", Endpoint: f.bin}
	if info != want {
		t.Errorf("docker info %+v", info)
	}

	a := newFakeCLI(t, "container")
	a.on("system", reply{stdout: string(fixture(t, "apple-system-version.json"))})
	info, err = Apple(a.bin).Info(t.Context())
	if err != nil || info.Version != "1.2.3" || info.IsolationLevel != core.IsolationMicroVM || info.Name != "apple/container" {
		t.Errorf("apple info %+v, %v", info, err)
	}

	old := newFakeCLI(t, "container")
	old.on("system", reply{stderr: "Error: Unknown option", exit: 64})
	old.on("default", reply{stdout: "container CLI version 0.5.0 (build: release, commit: abc)\n"})
	info, err = Apple(old.bin).Info(t.Context())
	if err != nil || info.Version != "0.5.0" {
		t.Errorf("apple 0.5 info %+v, %v", info, err)
	}

	down := newFakeCLI(t, "docker")
	down.on("version", reply{stdout: `{"Client":{"Version":"28"}}`, stderr: "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?", exit: 1})
	err = Docker("docker", down.bin).Check(t.Context())
	if core.KindOf(err) != core.KindBackendNotAvailable || !strings.Contains(err.Error(), "Cannot connect") {
		t.Errorf("daemon down: %v", err)
	}
}

func TestErrorMapping(t *testing.T) {
	tests := []struct {
		name     string
		bin      string
		reply    reply
		call     func(context.Context, *Backend) error
		wantKind core.Kind
		wantCode int
		naming   string
	}{
		{"docker inspect of an unknown id is NotFound", "docker",
			reply{stdout: "[]\n", stderr: "Error response from daemon: No such container: ghost-1", exit: 1},
			func(ctx context.Context, b *Backend) error { _, err := b.Inspect(ctx, "ghost-1"); return err },
			core.KindNotFound, 404, "ghost-1"},
		{"podman start of an unknown id is NotFound", "podman",
			reply{stderr: `Error: no container with name or ID "ghost-2" found: no such container`, exit: 125},
			func(ctx context.Context, b *Backend) error { return b.Start(ctx, "ghost-2") },
			core.KindNotFound, 404, "ghost-2"},
		{"docker rm -f exits 0 but says no such container", "docker",
			reply{stderr: "Error response from daemon: No such container: ghost-3"},
			func(ctx context.Context, b *Backend) error { return b.Remove(ctx, "ghost-3", true) },
			core.KindNotFound, 404, "ghost-3"},
		{"image inspect of an unknown image", "docker",
			reply{stdout: "[]\n", stderr: "Error response from daemon: no such image: nx: No such image: nx:latest", exit: 1},
			func(ctx context.Context, b *Backend) error { _, err := b.InspectImage(ctx, "nx"); return err },
			core.KindNotFound, 404, "nx"},
		{"network inspect of an unknown network", "docker",
			reply{stdout: "[]\n", stderr: "Error response from daemon: network nnx not found", exit: 1},
			func(ctx context.Context, b *Backend) error { _, err := b.InspectNetwork(ctx, "nnx"); return err },
			core.KindNotFound, 404, "nnx"},
		{"volume inspect of an unknown volume", "docker",
			reply{stdout: "[]\n", stderr: "Error response from daemon: get vnx: no such volume", exit: 1},
			func(ctx context.Context, b *Backend) error { _, err := b.InspectVolume(ctx, "vnx"); return err },
			core.KindNotFound, 404, "vnx"},
		{"a failed start keeps the CLI's exit code and stderr", "docker",
			reply{stderr: `Error response from daemon: failed to create task: exec: "nope": executable file not found in $PATH`, exit: 3},
			func(ctx context.Context, b *Backend) error { return b.Start(ctx, "nope") },
			core.KindBackendError, 3, "executable file not found"},
		{"create naming a missing network is the network's NotFound, not the image's", "docker",
			reply{stderr: "docker: Error response from daemon: network foo not found.", exit: 125},
			func(ctx context.Context, b *Backend) error {
				_, err := b.Create(ctx, &core.ContainerSpec{Image: "img", Network: "foo"})
				return err
			},
			core.KindNotFound, 404, "foo"},
		{"a missing binary is BackendNotAvailable", "",
			reply{},
			func(ctx context.Context, b *Backend) error { return b.Start(ctx, "c1") },
			core.KindBackendNotAvailable, 503, "does-not-exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bin := "/nonexistent/does-not-exist"
			name := "docker"
			if tt.bin != "" {
				f := newFakeCLI(t, tt.bin)
				f.on("default", tt.reply)
				bin, name = f.bin, tt.bin
			}
			err := tt.call(t.Context(), Docker(name, bin))
			e := core.AsError(err)
			if e == nil || e.Kind != tt.wantKind || e.Code() != tt.wantCode {
				t.Fatalf("want %s (%d), got %v", tt.wantKind, tt.wantCode, err)
			}
			if !strings.Contains(e.Error()+" "+stringDetail(e, "stderr"), tt.naming) {
				t.Errorf("error %q (stderr %q) does not name %q", e.Error(), stringDetail(e, "stderr"), tt.naming)
			}
			if tt.wantKind == core.KindNotFound && stringDetail(e, "id") != tt.naming {
				t.Errorf("NotFound id detail %q, want %q", stringDetail(e, "id"), tt.naming)
			}
		})
	}
}

func stringDetail(e *core.Error, key string) string {
	s, _ := e.Details[key].(string)
	return s
}

func TestExecExitCodes(t *testing.T) {
	tests := []struct {
		name      string
		bin       string
		reply     reply
		wantCode  int
		wantError core.Kind
	}{
		{"docker: the command's exit code", "docker", reply{stdout: "out\n", stderr: "Error: my app failed\n", exit: 3}, 3, ""},
		{"docker: command not found is 127, not an error", "docker",
			reply{stderr: `OCI runtime exec failed: exec failed: unable to start container process: exec: "nope": executable file not found in $PATH: unknown`, exit: 127}, 127, ""},
		{"docker: container not running is an error", "docker",
			reply{stderr: "Error response from daemon: Container c1 is not running", exit: 1}, 0, core.KindBackendError},
		{"docker: unknown container is NotFound", "docker",
			reply{stderr: "Error response from daemon: No such container: c1", exit: 1}, 0, core.KindNotFound},
		{"podman: 125 is podman's own failure", "podman",
			reply{stderr: "Error: can only create exec sessions on running containers: container state improper", exit: 125}, 0, core.KindBackendError},
		{"podman: the command's exit code", "podman", reply{exit: 1}, 1, ""},
		{"nerdctl: fatal log line is nerdctl's failure", "nerdctl",
			reply{stderr: `time="2025-01-01T00:00:00Z" level=fatal msg="cannot exec in a stopped state"`, exit: 1}, 0, core.KindBackendError},
		{"zero exit", "docker", reply{stdout: "ok\n"}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeCLI(t, tt.bin)
			f.on("default", tt.reply)
			res, err := Docker(tt.bin, f.bin).Exec(t.Context(), "c1", backend.ExecOptions{Cmd: []string{"x"}})
			if tt.wantError != "" {
				if core.KindOf(err) != tt.wantError {
					t.Fatalf("want %s, got %v (%+v)", tt.wantError, err, res)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.ExitCode == nil || *res.ExitCode != tt.wantCode {
				t.Fatalf("exit code %v, want %d", res.ExitCode, tt.wantCode)
			}
			if res.Stdout != tt.reply.stdout || res.Stderr != tt.reply.stderr {
				t.Errorf("streams %q / %q", res.Stdout, res.Stderr)
			}
		})
	}
}

func TestLogsKeepsStreamsApart(t *testing.T) {
	f := newFakeCLI(t, "docker")
	f.on("logs", reply{stdout: "out 1\nout 2\n", stderr: "err 1\n"})
	logs, err := Docker("docker", f.bin).Logs(t.Context(), "c1", backend.LogsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if logs.Stdout != "out 1\nout 2\n" || logs.Stderr != "err 1\n" || logs.ExitCode != nil {
		t.Errorf("logs %+v", logs)
	}
}

// TestFollowLogsStreams proves FollowLogs hands output over while the CLI
// still runs (no whole-stream buffering) and stops promptly with ctx.
func TestFollowLogsStreams(t *testing.T) {
	f := newFakeCLI(t, "docker")
	f.on("logs", reply{stdout: "line 1\n", stderr: "warn 1\n", sleep: 30})
	f.on("inspect", reply{stdout: dockerInspectJSON}) // a follow finds the container first
	b := Docker("docker", f.bin)
	ctx, cancel := context.WithCancel(t.Context())
	var stdout, stderr testenv.Buffer
	done := make(chan error, 1)
	go func() { done <- b.FollowLogs(ctx, "c1", backend.LogsOptions{}, &stdout, &stderr) }()

	testenv.Eventually(t, 10*time.Second, "the output streamed while the CLI runs", func() bool {
		return stdout.String() == "line 1\n" && stderr.String() == "warn 1\n"
	})
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ending ctx is the normal end of a follow, got %v", err)
		}
		if d := time.Since(start); d > waitDelay+3*time.Second {
			t.Errorf("FollowLogs took %s to stop", d)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("FollowLogs did not return after ctx ended")
	}
}

func TestFollowLogsSameWriterForBothStreams(t *testing.T) {
	f := newFakeCLI(t, "docker")
	f.on("logs", reply{stdout: "o\n", stderr: "e\n"})
	f.on("inspect", reply{stdout: dockerInspectJSON})
	var both testenv.Buffer
	if err := Docker("docker", f.bin).FollowLogs(t.Context(), "c1", backend.LogsOptions{}, &both, &both); err != nil {
		t.Fatal(err)
	}
	if got := both.String(); len(got) != 4 || !strings.Contains(got, "o\n") || !strings.Contains(got, "e\n") {
		t.Errorf("combined %q", got)
	}
}

func TestHungCLIIsKilledWithContext(t *testing.T) {
	f := newFakeCLI(t, "docker")
	f.on("default", reply{sleep: 60})
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Docker("docker", f.bin).Inspect(ctx, "c1")
	if core.KindOf(err) != core.KindTimeout {
		t.Fatalf("want Timeout, got %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the hung CLI was not killed: %s", d)
	}
	cctx, ccancel := context.WithCancel(t.Context())
	ccancel()
	if _, err := Docker("docker", f.bin).Inspect(cctx, "c1"); core.KindOf(err) != core.KindCancelled {
		t.Errorf("want Cancelled, got %v", err)
	}
}

func TestRunPaths(t *testing.T) {
	t.Run("docker runs in one call", func(t *testing.T) {
		f := newFakeCLI(t, "docker")
		f.on("run", reply{stdout: "Unable to find image locally\nabc123\n"})
		h, err := Docker("docker", f.bin).Run(t.Context(), &core.ContainerSpec{Image: "img", Name: "web"})
		if err != nil || h.ID != "abc123" || h.Name != "web" {
			t.Fatalf("handle %+v, %v", h, err)
		}
		if calls := f.calls(); len(calls) != 1 || calls[0][1] != "run" || !slices.Contains(calls[0], "--detach") {
			t.Errorf("calls %q", calls)
		}
	})
	t.Run("a run whose start fails removes its container", func(t *testing.T) {
		f := newFakeCLI(t, "docker")
		f.on("run", reply{stderr: "docker: Error response from daemon: network n1 not found.", exit: 125})
		if err := os.WriteFile(filepath.Join(f.dir, "resp", "cid"), []byte("abc123"), 0o600); err != nil {
			t.Fatal(err)
		}
		h, err := Docker("docker", f.bin).Run(t.Context(), &core.ContainerSpec{Image: "img", Network: "n1"})
		if core.KindOf(err) != core.KindNotFound || !strings.Contains(err.Error(), "n1") || h.ID != "" {
			t.Fatalf("Run = %+v, %v; want NotFound naming n1 and no handle", h, err)
		}
		if last := f.last(); !slices.Equal(last[1:], []string{"rm", "--volumes", "--force", "--", "abc123"}) {
			t.Errorf("the created container was not removed: last call %q", last)
		}
		run := f.calls()[0]
		i := slices.IndexFunc(run, func(a string) bool { return strings.HasPrefix(a, "--cidfile=") })
		if i < 0 {
			t.Fatalf("run without --cidfile: %q", run)
		}
		if _, err := os.Stat(filepath.Dir(strings.TrimPrefix(run[i], "--cidfile="))); !os.IsNotExist(err) {
			t.Errorf("the cidfile's directory is left: %v", err)
		}
	})
	t.Run("lima creates, starts, and removes what failed to start", func(t *testing.T) {
		f := newFakeCLI(t, "limactl")
		// every call is `shell`: answer by call number
		f.on("1", reply{stdout: "abc123\n"})
		f.on("2", reply{stderr: "FATA[0000] failed to start: boom", exit: 1})
		h, err := Lima(f.bin, "dev").Run(t.Context(), &core.ContainerSpec{Image: "img", Name: "web"})
		if err == nil || h.ID != "" {
			t.Fatalf("Run = %+v, %v; want the start's error and no handle", h, err)
		}
		var verbs []string
		for _, c := range f.calls() {
			verbs = append(verbs, c[6])
		}
		if !slices.Equal(verbs, []string{"create", "start", "rm"}) {
			t.Fatalf("nerdctl verbs %q, want create, start, rm", verbs)
		}
		if last := f.last(); last[len(last)-1] != "abc123" {
			t.Errorf("removed %q, want abc123", last)
		}
	})
	t.Run("docker with extra networks creates, connects, starts", func(t *testing.T) {
		f := newFakeCLI(t, "docker")
		f.on("create", reply{stdout: "abc123\n"})
		spec := &core.ContainerSpec{Image: "img", Network: "n1", Networks: []core.NetworkAttach{{Name: "n2", Aliases: []string{"db"}}}}
		if _, err := Docker("docker", f.bin).Run(t.Context(), spec); err != nil {
			t.Fatal(err)
		}
		var verbs []string
		for _, c := range f.calls() {
			verbs = append(verbs, strings.Join(c[1:3], " "))
		}
		want := []string{"create --network=n1", "network connect", "start --"}
		if !slices.Equal(verbs, want) {
			t.Errorf("calls %q, want %q", verbs, want)
		}
	})
	t.Run("a failed connect removes the container", func(t *testing.T) {
		f := newFakeCLI(t, "docker")
		f.on("create", reply{stdout: "abc123\n"})
		f.on("network", reply{stderr: "Error response from daemon: network n2 not found", exit: 1})
		spec := &core.ContainerSpec{Image: "img", Network: "n1", Networks: []core.NetworkAttach{{Name: "n2"}}}
		_, err := Docker("docker", f.bin).Create(t.Context(), spec)
		if core.KindOf(err) != core.KindNotFound || !strings.Contains(err.Error(), "n2") {
			t.Errorf("want NotFound naming n2, got %v", err)
		}
		if last := f.last(); !slices.Equal(last[1:], []string{"rm", "--volumes", "--force", "--", "abc123"}) {
			t.Errorf("no cleanup: last call %q", last)
		}
	})
	t.Run("nerdctl refuses -d with --rm: create then start", func(t *testing.T) {
		f := newFakeCLI(t, "nerdctl")
		f.on("create", reply{stdout: "abc123\n"})
		if _, err := Docker("nerdctl", f.bin).Run(t.Context(), &core.ContainerSpec{Image: "img", Rm: true}); err != nil {
			t.Fatal(err)
		}
		calls := f.calls()
		if len(calls) != 2 || calls[0][1] != "create" || calls[1][1] != "start" {
			t.Errorf("calls %q", calls)
		}
	})
	t.Run("an invalid spec runs nothing", func(t *testing.T) {
		f := newFakeCLI(t, "docker")
		_, err := Docker("docker", f.bin).Run(t.Context(), &core.ContainerSpec{Image: "img", Privileged: true, Healthcheck: &core.Healthcheck{Test: []string{"BAD"}}})
		if core.KindOf(err) != core.KindInvalidArgument || len(f.calls()) != 0 {
			t.Errorf("err %v, calls %q", err, f.calls())
		}
	})
}

const appleStopped = `[{"id":"ctr1","configuration":{"id":"ctr1","image":{"reference":"docker.io/library/alpine:latest"},"labels":{"app":"x"},"creationDate":"2026-06-10T23:03:47Z"},"status":{"state":"stopped","networks":[],"startedDate":"2026-06-10T23:03:49Z"}}]`
const appleRunning = `[{"id":"ctr2","configuration":{"id":"ctr2","image":{"reference":"docker.io/library/alpine:latest"},"labels":{"app":"y"}},"status":{"state":"running","networks":[],"startedDate":"2026-06-10T23:03:49Z"}}]`

// apple/container has no wait: the exit code comes from the attached start.
func TestAppleExitCodeFromAttachedStart(t *testing.T) {
	f := newFakeCLI(t, "container")
	f.on("create", reply{stdout: "ctr1\n"})
	f.on("start", reply{stdout: "container output\n", exit: 7}) // the container exited with 7
	f.on("inspect", reply{stdout: appleStopped})
	b := Apple(f.bin)
	b.pollInterval = 10 * time.Millisecond
	h, err := b.Run(t.Context(), &core.ContainerSpec{Image: "alpine", Name: "ctr1"})
	if err != nil || h.ID != "ctr1" {
		t.Fatalf("run: %+v %v", h, err)
	}
	code, err := b.Wait(t.Context(), "ctr1")
	if err != nil || code != 7 {
		t.Fatalf("wait: %d %v", code, err)
	}
	info, err := b.Inspect(t.Context(), "ctr1")
	if err != nil || info.State != "exited" || info.ExitCode == nil || *info.ExitCode != 7 || info.Status != "Exited (7)" {
		t.Fatalf("inspect: %+v %v", info, err)
	}
	var sawStart bool
	for _, c := range f.calls() {
		sawStart = sawStart || slices.Equal(c[1:], []string{"start", "--attach", "--", "ctr1"})
	}
	if !sawStart {
		t.Errorf("no attached start in %q", f.calls())
	}
}

func TestAppleStartWaitsUntilRunning(t *testing.T) {
	f := newFakeCLI(t, "container")
	f.on("start", reply{sleep: 3}) // attached: lives as long as the container
	f.on("inspect", reply{stdout: appleRunning})
	b := Apple(f.bin)
	b.pollInterval = 10 * time.Millisecond
	if err := b.Start(t.Context(), "ctr2"); err != nil {
		t.Fatal(err)
	}
	if err := b.Start(t.Context(), "ctr2"); err != nil { // already running: no second attach
		t.Fatal(err)
	}
	// The attached start may record its argv after inspect answered.
	starts := func() int {
		n := 0
		for _, c := range f.calls() {
			if len(c) > 1 && c[1] == "start" {
				n++
			}
		}
		return n
	}
	testenv.Eventually(t, 10*time.Second, "the attached start", func() bool { return starts() > 0 })
	if n := starts(); n != 1 {
		t.Errorf("%d attached starts, want 1", n)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if _, err := b.Wait(ctx, "ctr2"); core.KindOf(err) != core.KindTimeout {
		t.Errorf("wait on a running container should time out, got %v", err)
	}
}

func TestAppleStartFailure(t *testing.T) {
	f := newFakeCLI(t, "container")
	f.on("start", reply{stderr: `Error: notFound: "container ghost not found"`, exit: 1})
	f.on("inspect", reply{stdout: "[]"})
	b := Apple(f.bin)
	b.pollInterval = 10 * time.Millisecond
	if err := b.Start(t.Context(), "ghost"); core.KindOf(err) != core.KindNotFound || !strings.Contains(err.Error(), "ghost") {
		t.Errorf("want NotFound naming ghost, got %v", err)
	}
}

func TestAppleWaitWithoutAttachedStart(t *testing.T) {
	f := newFakeCLI(t, "container")
	f.on("inspect", reply{stdout: appleStopped})
	_, err := Apple(f.bin).Wait(t.Context(), "ctr1")
	if core.KindOf(err) != core.KindInternal || !strings.Contains(err.Error(), "no exit code") {
		t.Errorf("want an Internal 'no exit code' error, got %v", err)
	}
}

func TestAppleListFiltersClientSide(t *testing.T) {
	f := newFakeCLI(t, "container")
	both := strings.TrimSuffix(appleStopped, "]") + "," + strings.TrimPrefix(appleRunning, "[")
	f.on("list", reply{stdout: both})
	b := Apple(f.bin)
	running, err := b.List(t.Context(), backend.ListOptions{})
	if err != nil || len(running) != 1 || running[0].ID != "ctr2" {
		t.Errorf("running only: %+v %v", running, err)
	}
	all, err := b.List(t.Context(), backend.ListOptions{All: true, Labels: map[string]string{"app": "x"}})
	if err != nil || len(all) != 1 || all[0].ID != "ctr1" {
		t.Errorf("all with label: %+v %v", all, err)
	}
}

func TestListNetworksAndVolumesInspectNames(t *testing.T) {
	f := newFakeCLI(t, "docker")
	f.on("1", reply{stdout: "perrytest-probenet\n"})
	f.on("2", reply{stdout: string(fixture(t, "live-docker-network-inspect.json"))})
	nets, err := Docker("docker", f.bin).ListNetworks(t.Context(), map[string]string{"perry.test": "1"})
	if err != nil || len(nets) != 1 || nets[0].Name != "perrytest-probenet" || nets[0].Labels["perry.test"] != "1" {
		t.Fatalf("networks %+v %v", nets, err)
	}
	calls := f.calls()
	if !slices.Equal(calls[1][1:], []string{"network", "inspect", "--", "perrytest-probenet"}) {
		t.Errorf("inspect call %q", calls[1])
	}

	v := newFakeCLI(t, "docker")
	v.on("1", reply{stdout: "perrytest-probevol\ngone\n"})
	v.on("2", reply{stdout: string(fixture(t, "live-docker-volume-inspect.json")), stderr: "Error response from daemon: get gone: no such volume", exit: 1})
	vols, err := Docker("docker", v.bin).ListVolumes(t.Context(), nil)
	if err != nil || len(vols) != 1 || vols[0].Labels["a"] != "b,c" {
		t.Fatalf("volumes %+v %v (a volume removed since ls is skipped)", vols, err)
	}

	empty := newFakeCLI(t, "docker")
	empty.on("default", reply{})
	vols, err = Docker("docker", empty.bin).ListVolumes(t.Context(), nil)
	if err != nil || vols == nil || len(vols) != 0 || len(empty.calls()) != 1 {
		t.Errorf("no volumes: %+v %v, %d calls", vols, err, len(empty.calls()))
	}
}

// TestFakeCLIOnPath runs the backend by name, the fake found through PATH.
func TestFakeCLIOnPath(t *testing.T) {
	f := newFakeCLI(t, "podman")
	t.Setenv("PATH", f.dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	f.on("default", reply{stdout: "0\n"})
	code, err := Docker("podman", "podman").Wait(t.Context(), "c1")
	if err != nil || code != 0 {
		t.Fatalf("wait: %d %v", code, err)
	}
	if got := f.last(); !slices.Equal(got[1:], []string{"wait", "--", "c1"}) {
		t.Errorf("argv %q", got)
	}
}

func TestEmptyIDsAreRejectedBeforeRunning(t *testing.T) {
	f := newFakeCLI(t, "docker")
	b := Docker("docker", f.bin)
	ctx := t.Context()
	errs := []error{
		b.Start(ctx, ""), b.Stop(ctx, "", nil), b.Remove(ctx, "", false), b.Rename(ctx, "a", ""),
		b.PullImage(ctx, ""), b.RemoveNetwork(ctx, ""), b.RemoveVolume(ctx, "", false),
	}
	_, err := b.Inspect(ctx, "")
	errs = append(errs, err)
	for i, err := range errs {
		if core.KindOf(err) != core.KindInvalidArgument {
			t.Errorf("call %d: want InvalidArgument, got %v", i, err)
		}
	}
	if len(f.calls()) != 0 {
		t.Errorf("the CLI ran: %q", f.calls())
	}
}

// TestSupportsStartInterval: the docker CLI passes --health-start-interval
// only to an engine of API 1.44 or later (an older daemon makes it refuse
// the flag); other flavours never; the version is asked once.
func TestSupportsStartInterval(t *testing.T) {
	tests := []struct {
		name, runtime, version string
		exit                   int
		want                   bool
		calls                  int
	}{
		{"docker 28 CLI on a 20.10 engine (recorded)", "docker", string(fixture(t, "live-docker-version.json")), 0, false, 1},
		{"docker on API 1.44", "docker", `{"Client":{"Version":"28.0.0","ApiVersion":"1.44"},"Server":{"Version":"25.0.0","ApiVersion":"1.44"}}`, 0, true, 1},
		{"docker on API 1.51", "docker", `{"Client":{"Version":"28.0.0","ApiVersion":"1.51"},"Server":{"Version":"28.3.0","ApiVersion":"1.51"}}`, 0, true, 1},
		{"old CLI on a new engine", "docker", `{"Client":{"Version":"20.10.0","ApiVersion":"1.41"},"Server":{"Version":"28.3.0","ApiVersion":"1.51"}}`, 0, false, 1},
		{"orbstack speaks docker", "orbstack", `{"Client":{"Version":"28.0.0","ApiVersion":"1.48"},"Server":{"Version":"28.0.0","ApiVersion":"1.48"}}`, 0, true, 1},
		{"daemon down: unknown is no", "docker", `{"Client":{"Version":"28.0.0","ApiVersion":"1.51"}}`, 1, false, 2},
		{"podman never", "podman", `{"Client":{"Version":"5.0.0","APIVersion":"5.0.0"}}`, 0, false, 0},
		{"nerdctl never", "nerdctl", `{"Client":{"Version":"v2.0.3"}}`, 0, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeCLI(t, tt.runtime)
			f.on("version", reply{stdout: tt.version, exit: tt.exit})
			b := Docker(tt.runtime, f.bin)
			for range 2 {
				if got := b.Supports(t.Context(), backend.FeatureHealthStartInterval); got != tt.want {
					t.Fatalf("Supports(start_interval) = %v, want %v", got, tt.want)
				}
			}
			if n := len(f.calls()); n != tt.calls {
				t.Errorf("%d version calls, want %d", n, tt.calls)
			}
			if !b.Supports(t.Context(), "some.other.feature") {
				t.Error("an unknown feature is reported unsupported")
			}
		})
	}
}

// TestSupportsHealthcheck: only runtimes that run a healthcheck themselves
// say so; nerdctl under any name (lima, rancher-desktop's nerdctl) and
// apple/container do not, so the compose engine probes instead.
func TestSupportsHealthcheck(t *testing.T) {
	tests := []struct {
		name string
		b    *Backend
		want bool
	}{
		{"docker", Docker("docker", "docker"), true},
		{"podman", Docker("podman", "podman"), true},
		{"nerdctl", Docker("nerdctl", "nerdctl"), false},
		{"rancher-desktop driving nerdctl", Docker("rancher-desktop", "/opt/rd/bin/nerdctl"), false},
		{"lima", Lima("limactl", "default"), false},
		{"apple/container", Apple("container"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.b.Supports(t.Context(), backend.FeatureHealthcheck); got != tt.want {
				t.Errorf("Supports(healthcheck) = %v, want %v", got, tt.want)
			}
		})
	}
}

// Info and Supports share one `version` call.
func TestInfoThenSupportsAskVersionOnce(t *testing.T) {
	f := newFakeCLI(t, "docker")
	f.on("version", reply{stdout: `{"Client":{"Version":"28.0.0","ApiVersion":"1.48"},"Server":{"Version":"28.0.0","ApiVersion":"1.48"}}`})
	b := Docker("docker", f.bin)
	if _, err := b.Info(t.Context()); err != nil {
		t.Fatal(err)
	}
	if !b.Supports(t.Context(), backend.FeatureHealthStartInterval) {
		t.Fatal("start_interval unsupported on API 1.48")
	}
	if n := len(f.calls()); n != 1 {
		t.Errorf("%d version calls, want 1", n)
	}
}

func TestAPILess(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want bool
	}{{"1.41", "1.44", true}, {"1.44", "1.44", false}, {"1.100", "1.44", false}, {"1.9", "1.10", true}, {"2.0", "1.99", false}, {"1", "1.0", false}} {
		if got := versions.LessThan(tt.a, tt.b); got != tt.want {
			t.Errorf("versions.LessThan(%q, %q) = %v", tt.a, tt.b, got)
		}
	}
}

// A start that exits 0 but prints something other than the container it was
// given did not start it (a lying wrapper, a broken runtime): the start
// fails as BackendError saying so, and an echo or silence is success.
func TestStartChecksItsEcho(t *testing.T) {
	for _, tc := range []struct {
		name, stdout string
		ok           bool
	}{
		{"echo of the name", "c1\n", true},
		{"silence", "", true},
		{"echo with CRLF", "c1\r\n", true},
		{"garbage", "\xff\x00garbage{[not json\n", false},
		{"another container", "c2\n", false},
		{"echo then more", "c1\nwarning: something\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeCLI(t, "docker")
			f.on("start", reply{stdout: tc.stdout})
			err := Docker("docker", f.bin).Start(t.Context(), "c1")
			if tc.ok {
				if err != nil {
					t.Fatalf("start printing %q: %v", tc.stdout, err)
				}
				return
			}
			if core.KindOf(err) != core.KindBackendError || !strings.Contains(err.Error(), "start of container \"c1\"") {
				t.Fatalf("start printing %q: got %v, want BackendError naming the start", tc.stdout, err)
			}
		})
	}
}

// A followed log of a missing container is NotFound, and the CLI's own
// complaint never reaches the writers as if the container had printed it.
func TestFollowLogsOfMissingContainer(t *testing.T) {
	f := newFakeCLI(t, "docker")
	f.on("inspect", reply{stderr: "Error: No such object: ghost\n", exit: 1})
	f.on("logs", reply{stderr: "Error: No such container: ghost\n", exit: 1})
	var out, errw testenv.Buffer
	err := Docker("docker", f.bin).FollowLogs(t.Context(), "ghost", backend.LogsOptions{}, &out, &errw)
	if core.KindOf(err) != core.KindNotFound {
		t.Fatalf("got %v, want NotFound", err)
	}
	if out.String() != "" || errw.String() != "" {
		t.Errorf("the CLI's complaint reached the writers: stdout %q stderr %q", out.String(), errw.String())
	}
}

// A variable an exec removes goes as a bare --env=KEY, which the docker CLI
// fills from its own environment when it has KEY: the CLI runs without it,
// and keeps every other variable.
func TestExecUnsetKeepsTheCLIsValueOut(t *testing.T) {
	t.Setenv("PERRY_TEST_GONE", "this process's value")
	t.Setenv("PERRY_TEST_KEPT", "kept")
	bin := filepath.Join(t.TempDir(), "docker")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\nenv\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	b := Docker("docker", bin)
	for _, tc := range []struct {
		name  string
		unset []string
		gone  bool
	}{
		{"removed", []string{"PERRY_TEST_GONE"}, true},
		{"not removed", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := b.Exec(t.Context(), "c1", backend.ExecOptions{Cmd: []string{"env"}, Unset: tc.unset})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(out.Stdout, "PERRY_TEST_GONE=") == tc.gone || !strings.Contains(out.Stdout, "PERRY_TEST_KEPT=kept") {
				t.Fatalf("the CLI's environment:\n%s", out.Stdout)
			}
		})
	}
}

// So does a variable a container's spec removes from its image: the docker
// CLI creating it runs without that variable.
func TestCreateUnsetEnvKeepsTheCLIsValueOut(t *testing.T) {
	t.Setenv("PERRY_TEST_GONE", "this process's value")
	dir := t.TempDir()
	t.Setenv("PERRY_TEST_ENVFILE", filepath.Join(dir, "env"))
	bin := filepath.Join(dir, "docker")
	script := "#!/bin/sh\nenv > \"$PERRY_TEST_ENVFILE\"\necho \"$@\" >> \"$PERRY_TEST_ENVFILE\"\necho 4f1c2b3a5d6e\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	b := Docker("docker", bin)
	if _, err := b.Create(t.Context(), &core.ContainerSpec{Image: "img", UnsetEnv: []string{"PERRY_TEST_GONE"}}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "env"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(got), "PERRY_TEST_GONE=") || !strings.Contains(string(got), "--env=PERRY_TEST_GONE ") {
		t.Fatalf("the CLI's environment and arguments:\n%s", got)
	}
}
