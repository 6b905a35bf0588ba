// Package contracttest is the contract every backend.Backend must honour
// (docs/design.md, Two execution strategies: both strategies pass one shared suite against the real
// engine, and the fake passes it too). Call Run from a backend's tests:
//
//	func TestContract(t *testing.T) {
//		contracttest.Run(t, myBackend, contracttest.Options{})
//	}
//
// Every resource the suite creates is named "perrytest-<kind>-<random>",
// carries the label perry.test=1 (and perry.test.run=<random>, so that list
// filters see only this run), and is removed in t.Cleanup. Nothing is pulled
// from a public registry (docs/design.md, Tests never need the internet): the pull test serves a registry on
// 127.0.0.1 inside the test.
package contracttest

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/crane"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// DefaultImage is the local test image (tests/image/build.sh): busybox
// FROM scratch, so sh, sleep, env, pwd and echo exist.
const DefaultImage = "perry-test/busybox:latest"

// Options tune Run for what a backend can do.
type Options struct {
	// Image is a local image with a busybox userland. Default DefaultImage.
	Image string
	// BusyboxPath is a static busybox binary copied into the build context.
	// Default /bin/busybox.
	BusyboxPath string
	// SkipBuild, SkipPull, SkipNetworks and SkipVolumes leave out the
	// subtests of a capability the backend does not have.
	SkipBuild, SkipPull, SkipNetworks, SkipVolumes bool
	// NoNetworkAliases: the runtime cannot give a container network
	// aliases (nerdctl 2.0). The Networks subtest then wants Run to refuse
	// them as an InvalidArgument naming network_aliases, and attaches the
	// container without them.
	NoNetworkAliases bool
	// NoImagePlatform: the runtime does not say an image's platform
	// (apple/container lists images, not their configs). Otherwise an
	// inspected image's platform must be linux/GOARCH.
	NoImagePlatform bool
	// Only, when non-empty, runs just the named subtests (see Subtests).
	Only []string
	// Timeout bounds each subtest. Default 2 minutes.
	Timeout time.Duration
}

// Subtests are the names of Run's subtests, in the order they run.
var Subtests = []string{
	"Info", "Lifecycle", "LogsTail", "List", "InspectUnknown", "RunWaitExitCode", "Kill",
	"UnknownIDs", "Concurrent", "Build", "Pull", "Networks", "Volumes", "AnonymousVolumes", "ControlCharacters", "RunFailure",
	"CommitExport", "WriteFiles",
}

// Label is the label every resource of the suite carries.
const Label = "perry.test"

// Run runs the contract against b as subtests of t.
func Run(t *testing.T, b backend.Backend, opts Options) {
	t.Helper()
	if opts.Image == "" {
		opts.Image = DefaultImage
	}
	if opts.BusyboxPath == "" {
		opts.BusyboxPath = "/bin/busybox"
	}
	if opts.Timeout == 0 {
		opts.Timeout = 2 * time.Minute
	}
	s := &suite{b: b, opts: opts, run: randomHex(4)}
	tests := map[string]func(*testing.T, context.Context){
		"Info":              s.testInfo,
		"Lifecycle":         s.testLifecycle,
		"LogsTail":          s.testLogsTail,
		"List":              s.testList,
		"InspectUnknown":    s.testInspectUnknown,
		"RunWaitExitCode":   s.testRunWaitExitCode,
		"Kill":              s.testKill,
		"UnknownIDs":        s.testUnknownIDs,
		"Concurrent":        s.testConcurrent,
		"Build":             s.testBuild,
		"Pull":              s.testPull,
		"Networks":          s.testNetworks,
		"Volumes":           s.testVolumes,
		"AnonymousVolumes":  s.testAnonymousVolumes,
		"ControlCharacters": s.testControlCharacters,
		"RunFailure":        s.testRunFailure,
		"CommitExport":      s.testCommitExport,
		"WriteFiles":        s.testWriteFiles,
	}
	skip := map[string]bool{"Build": opts.SkipBuild, "Pull": opts.SkipPull, "Networks": opts.SkipNetworks,
		"Volumes": opts.SkipVolumes, "AnonymousVolumes": opts.SkipVolumes, "RunFailure": opts.SkipNetworks}
	for _, name := range opts.Only {
		if tests[name] == nil {
			t.Fatalf("contracttest: Options.Only names unknown subtest %q (have %v)", name, Subtests)
		}
	}
	for _, name := range Subtests {
		if len(opts.Only) > 0 && !slices.Contains(opts.Only, name) {
			continue
		}
		fn := tests[name]
		t.Run(name, func(t *testing.T) {
			if skip[name] {
				t.Skipf("skipped by Options.Skip%s", name)
			}
			ctx, cancel := context.WithTimeout(t.Context(), opts.Timeout)
			defer cancel()
			fn(t, ctx)
		})
	}
}

type suite struct {
	b    backend.Backend
	opts Options
	run  string // this run's id: the perry.test.run label value
}

// name is a fresh resource name: perrytest-<kind>-<run>-<random>.
func (s *suite) name(kind string) string {
	return "perrytest-" + kind + "-" + s.run + "-" + randomHex(3)
}

// labels are the labels of every resource, plus extra ones.
func (s *suite) labels(extra ...string) map[string]string {
	l := map[string]string{Label: "1", Label + ".run": s.run}
	for i := 0; i+1 < len(extra); i += 2 {
		l[extra[i]] = extra[i+1]
	}
	return l
}

func randomHex(n int) string {
	buf := make([]byte, n)
	_, _ = rand.Read(buf)
	return hex.EncodeToString(buf)
}

// cleanup registers the removal of a resource. t.Context is already
// cancelled when cleanups run, so they get their own deadline. NotFound is
// fine: the test may have removed it itself.
func cleanup(t *testing.T, what string, remove func(context.Context) error) {
	t.Helper()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := remove(ctx); err != nil && core.KindOf(err) != core.KindNotFound {
			t.Errorf("cleanup of %s: %v", what, err)
		}
	})
}

func (s *suite) cleanupContainer(t *testing.T, id string) {
	cleanup(t, "container "+id, func(ctx context.Context) error { return s.b.Remove(ctx, id, true) })
}

// spec is a container spec of the suite's image with its labels.
func (s *suite) spec(kind string, cmd ...string) *core.ContainerSpec {
	return &core.ContainerSpec{Image: s.opts.Image, Name: s.name(kind), Cmd: cmd, Labels: s.labels()}
}

// sleeper is a command that runs until stopped and ignores SIGTERM (PID 1
// without a handler), so that Stop must fall back to SIGKILL.
var sleeper = []string{"sleep", "3600"}

func (s *suite) create(t *testing.T, ctx context.Context, spec *core.ContainerSpec) core.ContainerHandle {
	t.Helper()
	h, err := s.b.Create(ctx, spec)
	if err != nil {
		t.Fatalf("Create(%s): %v", spec.Name, err)
	}
	s.cleanupContainer(t, h.ID)
	return h
}

func (s *suite) runContainer(t *testing.T, ctx context.Context, spec *core.ContainerSpec) core.ContainerHandle {
	t.Helper()
	h, err := s.b.Run(ctx, spec)
	if h.ID != "" {
		s.cleanupContainer(t, h.ID)
	}
	if err != nil {
		t.Fatalf("Run(%s): %v", spec.Name, err)
	}
	return h
}

// runToEnd runs spec, waits for it to exit 0 and returns it with its logs.
func (s *suite) runToEnd(t *testing.T, ctx context.Context, spec *core.ContainerSpec) (core.ContainerHandle, core.ContainerLogs) {
	t.Helper()
	h := s.runContainer(t, ctx, spec)
	if code, err := s.b.Wait(ctx, h.ID); err != nil || code != 0 {
		t.Fatalf("Wait(%q) = %d, %v; want 0", spec.Cmd, code, err)
	}
	logs, err := s.b.Logs(ctx, h.ID, backend.LogsOptions{})
	if err != nil {
		t.Fatalf("Logs: %v", err)
	}
	return h, logs
}

// wantNotFound checks that err is a NotFound (code 404) naming id.
func wantNotFound(t *testing.T, op string, err error, id string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: got no error, want NotFound", op)
		return
	}
	e := core.AsError(err)
	if e.Kind != core.KindNotFound || e.Code() != 404 {
		t.Errorf("%s: got %s (%d) %q, want NotFound (404)", op, e.Kind, e.Code(), e.Error())
		return
	}
	if !errors.Is(err, core.ErrNotFound) {
		t.Errorf("%s: errors.Is(err, core.ErrNotFound) is false", op)
	}
	if !strings.Contains(e.Error(), id) {
		t.Errorf("%s: NotFound message %q does not name %q", op, e.Error(), id)
	}
}

func lines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// lastLines is what a tail of n lines must return.
func lastLines(s string, n int) string {
	l := lines(s)
	if len(l) > n {
		l = l[len(l)-n:]
	}
	if len(l) == 0 {
		return ""
	}
	return strings.Join(l, "\n") + "\n"
}

func (s *suite) testInfo(t *testing.T, ctx context.Context) {
	if err := s.b.Check(ctx); err != nil {
		t.Fatalf("Check: %v", err)
	}
	info, err := s.b.Info(ctx)
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	if info.Name != s.b.Name() || !info.Available || !info.IsolationLevel.Valid() {
		t.Errorf("Info = %+v: want Name %q, Available, a valid isolation level", info, s.b.Name())
	}
	if info.Mode != "local" && info.Mode != "remote" {
		t.Errorf("Info.Mode = %q, want local or remote", info.Mode)
	}
	if info.Version == "" {
		t.Errorf("Info.Version is empty")
	}
}

func (s *suite) testLifecycle(t *testing.T, ctx context.Context) {
	spec := s.spec("life", "sh", "-c", "echo one; echo two; echo three; exec sleep 3600", "perrytest")
	spec.Env = map[string]string{"PERRY_BASE": "base value"}
	h := s.create(t, ctx, spec)
	if h.ID == "" || h.Name != spec.Name {
		t.Fatalf("Create = %+v, want an id and name %q", h, spec.Name)
	}
	info, err := s.b.Inspect(ctx, h.ID)
	if err != nil {
		t.Fatalf("Inspect after create: %v", err)
	}
	if info.State != "created" || info.Running() || info.ExitCode != nil {
		t.Errorf("after create: State %q ExitCode %v, want created and no exit code", info.State, info.ExitCode)
	}
	if info.ID != h.ID || info.Name != spec.Name || info.Image != s.opts.Image || info.Labels[Label] != "1" {
		t.Errorf("Inspect = id %q name %q image %q labels %v; want %q %q %q with %s=1", info.ID, info.Name, info.Image, info.Labels, h.ID, spec.Name, s.opts.Image, Label)
	}
	if _, err := time.Parse(time.RFC3339Nano, info.Created); err != nil {
		t.Errorf("Created %q is not ISO 8601: %v", info.Created, err)
	}

	if err := s.b.Start(ctx, h.ID); err != nil {
		t.Fatalf("Start: %v", err)
	}
	info, err = s.b.Inspect(ctx, spec.Name) // by name this time
	if err != nil {
		t.Fatalf("Inspect by name: %v", err)
	}
	if !info.Running() || info.ID != h.ID || info.Status == "" || info.ExitCode != nil {
		t.Errorf("after start: %+v, want running, id %s, a status, no exit code", info, h.ID)
	}

	tail := 2
	logs, err := s.b.Logs(ctx, h.ID, backend.LogsOptions{Tail: &tail})
	if err != nil {
		t.Fatalf("Logs(tail 2) while running: %v", err)
	}
	if n := len(lines(logs.Stdout)); n > 2 {
		t.Errorf("Logs(tail 2) returned %d lines: %q", n, logs.Stdout)
	}

	out, err := s.b.Exec(ctx, h.ID, backend.ExecOptions{Cmd: []string{"env"}, Env: map[string]string{"PERRY_EXEC": "exec value"}})
	if err != nil {
		t.Fatalf("Exec env: %v", err)
	}
	if out.ExitCode == nil || *out.ExitCode != 0 {
		t.Errorf("Exec env: exit code %v, want 0", out.ExitCode)
	}
	for _, want := range []string{"PERRY_EXEC=exec value\n", "PERRY_BASE=base value\n"} {
		if !strings.Contains(out.Stdout, want) {
			t.Errorf("Exec env: stdout %q lacks %q", out.Stdout, want)
		}
	}
	out, err = s.b.Exec(ctx, h.ID, backend.ExecOptions{Cmd: []string{"pwd"}, Workdir: "/tmp"})
	if err != nil {
		t.Fatalf("Exec pwd: %v", err)
	}
	if out.Stdout != "/tmp\n" {
		t.Errorf("Exec pwd in /tmp: stdout %q, want \"/tmp\\n\"", out.Stdout)
	}
	out, err = s.b.Exec(ctx, h.ID, backend.ExecOptions{Cmd: []string{"sh", "-c", "exit 7"}})
	if err != nil {
		t.Fatalf("Exec exit 7: %v (a non-zero exit is a result, not an error)", err)
	}
	if out.ExitCode == nil || *out.ExitCode != 7 {
		t.Errorf("Exec exit 7: exit code %v, want 7", out.ExitCode)
	}

	// The command ignores SIGTERM, so Stop must kill it after its timeout
	// (1 s), well before the engine default of 10 s.
	timeout := 1
	start := time.Now()
	if err := s.b.Stop(ctx, h.ID, &timeout); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if d := time.Since(start); d > 8*time.Second {
		t.Errorf("Stop with timeout 1s took %v", d)
	}
	code, err := s.b.Wait(ctx, h.ID)
	if err != nil {
		t.Fatalf("Wait after stop: %v", err)
	}
	if code != 137 {
		t.Errorf("Wait after a SIGKILL stop = %d, want 137", code)
	}
	info, err = s.b.Inspect(ctx, h.ID)
	if err != nil {
		t.Fatalf("Inspect after stop: %v", err)
	}
	if info.State != "exited" || info.ExitCode == nil || *info.ExitCode != code {
		t.Errorf("after stop: State %q ExitCode %v, want exited with %d", info.State, info.ExitCode, code)
	}
	full, err := s.b.Logs(ctx, h.ID, backend.LogsOptions{})
	if err != nil {
		t.Fatalf("Logs: %v", err)
	}
	logs, err = s.b.Logs(ctx, h.ID, backend.LogsOptions{Tail: &tail})
	if err != nil {
		t.Fatalf("Logs(tail 2): %v", err)
	}
	if want := lastLines(full.Stdout, 2); logs.Stdout != want {
		t.Errorf("Logs(tail 2) = %q, want the last 2 lines of %q", logs.Stdout, full.Stdout)
	}

	if err := s.b.Remove(ctx, h.ID, true); err != nil {
		t.Fatalf("Remove(force): %v", err)
	}
	_, err = s.b.Inspect(ctx, h.ID)
	wantNotFound(t, "Inspect after remove", err, h.ID)
	wantNotFound(t, "Remove after remove", s.b.Remove(ctx, h.ID, true), h.ID)
}

func (s *suite) testLogsTail(t *testing.T, ctx context.Context) {
	spec := s.spec("logs", "env")
	spec.Env = map[string]string{"PERRY_LOG_A": "alpha", "PERRY_LOG_B": "beta"}
	h, full := s.runToEnd(t, ctx, spec)
	for _, want := range []string{"PERRY_LOG_A=alpha\n", "PERRY_LOG_B=beta\n"} {
		if !strings.Contains(full.Stdout, want) {
			t.Errorf("Logs stdout %q lacks %q", full.Stdout, want)
		}
	}
	if full.Stderr != "" {
		t.Errorf("Logs stderr = %q, want empty", full.Stderr)
	}
	for _, n := range []int{1, 2} {
		logs, err := s.b.Logs(ctx, h.ID, backend.LogsOptions{Tail: &n})
		if err != nil {
			t.Fatalf("Logs(tail %d): %v", n, err)
		}
		if want := lastLines(full.Stdout, n); logs.Stdout != want {
			t.Errorf("Logs(tail %d) = %q, want %q", n, logs.Stdout, want)
		}
	}
}

func (s *suite) testList(t *testing.T, ctx context.Context) {
	kind := "perry.test.list"
	mk := func(name string, cmd []string) *core.ContainerSpec {
		sp := s.spec(name, cmd...)
		sp.Labels[kind] = name
		return sp
	}
	running := s.runContainer(t, ctx, mk("running", sleeper))
	created := s.create(t, ctx, mk("created", sleeper))
	exited := s.runContainer(t, ctx, mk("exited", []string{"sh", "-c", "exit 0"}))
	if code, err := s.b.Wait(ctx, exited.ID); err != nil || code != 0 {
		t.Fatalf("Wait(exit 0) = %d, %v", code, err)
	}

	ids := func(list []core.ContainerInfo) []string {
		var out []string
		for _, c := range list {
			out = append(out, c.ID)
		}
		slices.Sort(out)
		return out
	}
	sorted := func(s ...string) []string { slices.Sort(s); return s }
	filter := map[string]string{Label + ".run": s.run, kind: ""}

	list, err := s.b.List(ctx, backend.ListOptions{Labels: filter})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if got, want := ids(list), sorted(running.ID); !slices.Equal(got, want) {
		t.Errorf("List (running only) = %v, want %v", got, want)
	}
	for _, c := range list {
		if c.Name != running.Name || c.State != "running" || c.Labels[Label] != "1" || c.Image != s.opts.Image || c.Created == "" {
			t.Errorf("List entry %+v: want name %q, running, labelled, image %q, a creation time", c, running.Name, s.opts.Image)
		}
	}

	list, err = s.b.List(ctx, backend.ListOptions{All: true, Labels: filter})
	if err != nil {
		t.Fatalf("List(All): %v", err)
	}
	if got, want := ids(list), sorted(running.ID, created.ID, exited.ID); !slices.Equal(got, want) {
		t.Errorf("List(All) = %v, want %v", got, want)
	}
	for _, c := range list {
		switch c.ID {
		case created.ID:
			if c.State != "created" {
				t.Errorf("List(All): created container has state %q", c.State)
			}
		case exited.ID:
			if c.State != "exited" || c.ExitCode == nil || *c.ExitCode != 0 {
				t.Errorf("List(All): exited container has state %q exit code %v, want exited 0", c.State, c.ExitCode)
			}
		}
	}

	list, err = s.b.List(ctx, backend.ListOptions{All: true, Labels: map[string]string{Label + ".run": s.run, kind: "exited"}})
	if err != nil {
		t.Fatalf("List(label=value): %v", err)
	}
	if got, want := ids(list), sorted(exited.ID); !slices.Equal(got, want) {
		t.Errorf("List(All, %s=exited) = %v, want %v", kind, got, want)
	}
	list, err = s.b.List(ctx, backend.ListOptions{All: true, Labels: map[string]string{Label + ".run": s.run, kind: "no-such-value"}})
	if err != nil {
		t.Fatalf("List(no match): %v", err)
	}
	if len(list) != 0 {
		t.Errorf("List with a label no container has = %v, want none", ids(list))
	}
}

func (s *suite) testInspectUnknown(t *testing.T, ctx context.Context) {
	id := s.name("missing")
	_, err := s.b.Inspect(ctx, id)
	wantNotFound(t, "Inspect(unknown)", err, id)
}

func (s *suite) testRunWaitExitCode(t *testing.T, ctx context.Context) {
	h := s.runContainer(t, ctx, s.spec("exit3", "sh", "-c", "exit 3"))
	code, err := s.b.Wait(ctx, h.ID)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if code != 3 {
		t.Errorf("Wait(sh -c \"exit 3\") = %d, want 3", code)
	}
	info, err := s.b.Inspect(ctx, h.ID)
	if err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	if info.State != "exited" || info.ExitCode == nil || *info.ExitCode != 3 || info.Running() {
		t.Errorf("Inspect after exit 3: State %q ExitCode %v, want exited with 3", info.State, info.ExitCode)
	}
}

// testKill: the default signal is SIGKILL (exit 137, even for a process
// that ignores SIGTERM); a bad signal is refused before any runtime call;
// a container that is not running cannot be killed.
func (s *suite) testKill(t *testing.T, ctx context.Context) {
	h := s.runContainer(t, ctx, s.spec("kill", sleeper...))
	for _, bad := range []string{"NOPE!", "0", "65", "-9", "SIG HUP", "--help"} {
		if err := s.b.Kill(ctx, h.ID, bad); core.KindOf(err) != core.KindInvalidArgument {
			t.Errorf("Kill(%q) = %v, want InvalidArgument", bad, err)
		}
	}
	if err := s.b.Kill(ctx, h.ID, ""); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	code, err := s.b.Wait(ctx, h.ID)
	if err != nil || code != 137 {
		t.Errorf("Wait after Kill = %d, %v; want 137", code, err)
	}
	if err := s.b.Kill(ctx, h.ID, "SIGTERM"); err == nil {
		t.Error("Kill of a container that is not running succeeded")
	}
}

func (s *suite) testUnknownIDs(t *testing.T, ctx context.Context) {
	id := s.name("missing")
	one := 1
	wantNotFound(t, "Start", s.b.Start(ctx, id), id)
	wantNotFound(t, "Stop", s.b.Stop(ctx, id, &one), id)
	wantNotFound(t, "Kill", s.b.Kill(ctx, id, ""), id)
	wantNotFound(t, "Remove", s.b.Remove(ctx, id, false), id)
	wantNotFound(t, "Remove(force)", s.b.Remove(ctx, id, true), id)
	wantNotFound(t, "Rename", s.b.Rename(ctx, id, s.name("renamed")), id)
	_, err := s.b.Wait(ctx, id)
	wantNotFound(t, "Wait", err, id)
	_, err = s.b.Logs(ctx, id, backend.LogsOptions{})
	wantNotFound(t, "Logs", err, id)
	_, err = s.b.Exec(ctx, id, backend.ExecOptions{Cmd: []string{"true"}})
	wantNotFound(t, "Exec", err, id)
	// A followed log of a missing container writes nothing: the runtime's
	// own error must not read as the container's output.
	var out, errOut bytes.Buffer
	wantNotFound(t, "FollowLogs", s.b.FollowLogs(ctx, id, backend.LogsOptions{}, &out, &errOut), id)
	if out.Len()+errOut.Len() > 0 {
		t.Errorf("FollowLogs of a missing container wrote %q / %q", out.String(), errOut.String())
	}
	img := s.name("missing") + ":latest"
	_, err = s.b.InspectImage(ctx, img)
	wantNotFound(t, "InspectImage", err, img)
	wantNotFound(t, "RemoveImage", s.b.RemoveImage(ctx, img, false), img)
	if !s.opts.SkipNetworks {
		_, err = s.b.InspectNetwork(ctx, id)
		wantNotFound(t, "InspectNetwork", err, id)
		wantNotFound(t, "RemoveNetwork", s.b.RemoveNetwork(ctx, id), id)
	}
	if !s.opts.SkipVolumes {
		_, err = s.b.InspectVolume(ctx, id)
		wantNotFound(t, "InspectVolume", err, id)
		wantNotFound(t, "RemoveVolume", s.b.RemoveVolume(ctx, id, false), id)
	}
}

// testConcurrent drives the backend from several goroutines; under -race
// it finds unsynchronised state in the backend.
func (s *suite) testConcurrent(t *testing.T, ctx context.Context) {
	const n = 4
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		sp := s.spec(fmt.Sprintf("conc%d", i), "sh", "-c", fmt.Sprintf("exit %d", i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- func() error {
				h, err := s.b.Run(ctx, sp)
				if h.ID != "" {
					defer func() { _ = s.b.Remove(context.WithoutCancel(ctx), h.ID, true) }()
				}
				if err != nil {
					return fmt.Errorf("Run %s: %w", sp.Name, err)
				}
				code, err := s.b.Wait(ctx, h.ID)
				if err != nil || code != i {
					return fmt.Errorf("Wait %s = %d, %v; want %d", sp.Name, code, err, i)
				}
				if _, err := s.b.Inspect(ctx, h.ID); err != nil {
					return fmt.Errorf("Inspect %s: %w", sp.Name, err)
				}
				if _, err := s.b.List(ctx, backend.ListOptions{All: true, Labels: s.labels()}); err != nil {
					return fmt.Errorf("List: %w", err)
				}
				return s.b.Remove(ctx, h.ID, true)
			}()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func (s *suite) testBuild(t *testing.T, ctx context.Context) {
	bb, err := os.ReadFile(s.opts.BusyboxPath)
	if err != nil {
		t.Fatalf("the build test copies a static busybox into a FROM scratch image: %v (apt-get install busybox-static, or set Options.BusyboxPath or SkipBuild)", err)
	}
	dir := t.TempDir()
	dockerfile := "FROM scratch\nCOPY busybox /bin/busybox\nCMD [\"/bin/busybox\", \"echo\", \"built\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "busybox"), bb, 0o755); err != nil {
		t.Fatal(err)
	}
	repo := s.name("build")
	ref := repo + ":v1"
	cleanup(t, "image "+ref, func(ctx context.Context) error { return s.b.RemoveImage(ctx, ref, true) })
	if err := s.b.Build(ctx, core.BuildSpec{Context: dir, Labels: s.labels()}, ref); err != nil {
		t.Fatalf("Build: %v", err)
	}
	img, err := s.b.InspectImage(ctx, ref)
	if err != nil {
		t.Fatalf("InspectImage(%s): %v", ref, err)
	}
	if img.Repository != repo || img.Tag != "v1" || img.ID == "" {
		t.Errorf("InspectImage = %+v, want repository %q tag v1 and an id", img, repo)
	}
	if _, err := time.Parse(time.RFC3339Nano, img.Created); err != nil {
		t.Errorf("image Created %q is not ISO 8601", img.Created)
	}
	s.wantPlatform(t, img)
	s.wantImageListed(t, ctx, repo, "v1")
	if err := s.b.RemoveImage(ctx, ref, false); err != nil {
		t.Fatalf("RemoveImage: %v", err)
	}
	_, err = s.b.InspectImage(ctx, ref)
	wantNotFound(t, "InspectImage after remove", err, ref)
}

func (s *suite) wantImageListed(t *testing.T, ctx context.Context, repo, tag string) {
	t.Helper()
	list, err := s.b.ListImages(ctx)
	if err != nil {
		t.Fatalf("ListImages: %v", err)
	}
	for _, img := range list {
		if img.Repository == repo && img.Tag == tag {
			return
		}
	}
	t.Errorf("ListImages lacks %s:%s", repo, tag)
}

// wantPlatform checks an image built or pushed for this machine says so.
func (s *suite) wantPlatform(t *testing.T, img core.ImageInfo) {
	t.Helper()
	if want := "linux/" + runtime.GOARCH; !s.opts.NoImagePlatform && img.Platform != want {
		t.Errorf("InspectImage platform = %q, want %q", img.Platform, want)
	}
}

// testPull serves a registry on 127.0.0.1 (engines treat 127.0.0.0/8 as
// insecure, so plain HTTP works), pushes a small random image to it and
// pulls it through the backend.
func (s *suite) testPull(t *testing.T, ctx context.Context) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")

	img, err := random.Image(1024, 1)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.Config.Labels = s.labels()
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	repo := host + "/perrytest/" + s.name("pull")
	ref := repo + ":v1"
	if err := crane.Push(img, ref, crane.Insecure, crane.WithContext(ctx)); err != nil {
		t.Fatalf("pushing the test image to the local registry: %v", err)
	}
	digest, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}

	cleanup(t, "image "+ref, func(ctx context.Context) error { return s.b.RemoveImage(ctx, ref, true) })
	if err := s.b.PullImage(ctx, ref); err != nil {
		t.Fatalf("PullImage(%s): %v", ref, err)
	}
	info, err := s.b.InspectImage(ctx, ref)
	if err != nil {
		t.Fatalf("InspectImage(%s): %v", ref, err)
	}
	if info.Repository != repo || info.Tag != "v1" || info.ID == "" {
		t.Errorf("InspectImage = %+v, want repository %q tag v1 and an id", info, repo)
	}
	if info.Digest != "" && info.Digest != digest.String() {
		t.Errorf("InspectImage digest = %s, want the pushed manifest's %s", info.Digest, digest)
	}
	s.wantPlatform(t, info)
	s.wantImageListed(t, ctx, repo, "v1")
	if err := s.b.RemoveImage(ctx, ref, false); err != nil {
		t.Fatalf("RemoveImage: %v", err)
	}
	_, err = s.b.InspectImage(ctx, ref)
	wantNotFound(t, "InspectImage after remove", err, ref)

	// By digest only: shown under its repository with tag <none>, as
	// `docker images` shows it, never as a repository "repo@sha256".
	byDigest := repo + "@" + digest.String()
	cleanup(t, "image "+byDigest, func(ctx context.Context) error { return s.b.RemoveImage(ctx, byDigest, true) })
	if err := s.b.PullImage(ctx, byDigest); err != nil {
		t.Fatalf("PullImage(%s): %v", byDigest, err)
	}
	info, err = s.b.InspectImage(ctx, byDigest)
	if err != nil {
		t.Fatalf("InspectImage(%s): %v", byDigest, err)
	}
	if info.Repository != repo || info.Tag != "<none>" || info.Digest != digest.String() {
		t.Errorf("InspectImage(by digest) = %+v, want repository %q, tag <none>, digest %s", info, repo, digest)
	}
	s.wantImageListed(t, ctx, repo, "<none>")
	if err := s.b.RemoveImage(ctx, byDigest, false); err != nil {
		t.Fatalf("RemoveImage(%s): %v", byDigest, err)
	}
	_, err = s.b.InspectImage(ctx, byDigest)
	wantNotFound(t, "InspectImage after remove", err, byDigest)
}

func (s *suite) testNetworks(t *testing.T, ctx context.Context) {
	kind := Label + ".network"
	mk := func() string {
		name := s.name("net")
		if err := s.b.CreateNetwork(ctx, name, core.NetworkConfig{Labels: s.labels(kind, "yes")}); err != nil {
			t.Fatalf("CreateNetwork(%s): %v", name, err)
		}
		cleanup(t, "network "+name, func(ctx context.Context) error { return s.b.RemoveNetwork(ctx, name) })
		return name
	}
	n1, n2 := mk(), mk()

	info, err := s.b.InspectNetwork(ctx, n1)
	if err != nil {
		t.Fatalf("InspectNetwork: %v", err)
	}
	if info.Name != n1 || info.ID == "" || info.Driver != "bridge" || info.Labels[Label] != "1" {
		t.Errorf("InspectNetwork = %+v, want name %q, an id, driver bridge, label %s=1", info, n1, Label)
	}
	list, err := s.b.ListNetworks(ctx, map[string]string{Label + ".run": s.run, kind: ""})
	if err != nil {
		t.Fatalf("ListNetworks: %v", err)
	}
	var names []string
	for _, n := range list {
		names = append(names, n.Name)
	}
	slices.Sort(names)
	if want := []string{min(n1, n2), max(n1, n2)}; !slices.Equal(names, want) {
		t.Errorf("ListNetworks(by label) = %v, want %v", names, want)
	}
	list, err = s.b.ListNetworks(ctx, map[string]string{Label + ".run": s.run, kind: "no"})
	if err != nil {
		t.Fatalf("ListNetworks(no match): %v", err)
	}
	if len(list) != 0 {
		t.Errorf("ListNetworks with a label no network has = %v, want none", list)
	}
	err = s.b.CreateNetwork(ctx, n1, core.NetworkConfig{Labels: s.labels()})
	if core.KindOf(err) != core.KindBackendError {
		t.Errorf("CreateNetwork of an existing name: %v, want a BackendError", err)
	}

	// A container on two networks: the first at create, the second connected
	// before start.
	sp := s.spec("netc", sleeper...)
	sp.Network, sp.NetworkAliases = n1, []string{"perry-alias"}
	sp.Networks = []core.NetworkAttach{{Name: n2, Aliases: []string{"perry-alias2"}}}
	if s.opts.NoNetworkAliases {
		_, err := s.b.Run(ctx, sp)
		if core.KindOf(err) != core.KindInvalidArgument || !strings.Contains(err.Error(), "network_aliases") {
			t.Fatalf("Run with network aliases on a runtime without them: %v, want InvalidArgument naming network_aliases", err)
		}
		sp.NetworkAliases, sp.Networks[0].Aliases = nil, nil
	}
	h := s.runContainer(t, ctx, sp)
	c, err := s.b.Inspect(ctx, h.ID)
	if err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	got := slices.Clone(c.Networks)
	slices.Sort(got)
	if want := []string{min(n1, n2), max(n1, n2)}; !slices.Equal(got, want) {
		t.Errorf("container networks = %v, want %v", c.Networks, want)
	}
	if c.IPAddress == "" {
		t.Errorf("container on %s has no IP address", n1)
	}
	if err := s.b.Remove(ctx, h.ID, true); err != nil {
		t.Fatalf("Remove: %v", err)
	}

	if err := s.b.RemoveNetwork(ctx, n1); err != nil {
		t.Fatalf("RemoveNetwork: %v", err)
	}
	_, err = s.b.InspectNetwork(ctx, n1)
	wantNotFound(t, "InspectNetwork after remove", err, n1)
	wantNotFound(t, "RemoveNetwork after remove", s.b.RemoveNetwork(ctx, n1), n1)
}

func (s *suite) testVolumes(t *testing.T, ctx context.Context) {
	name := s.name("vol")
	if err := s.b.CreateVolume(ctx, name, core.VolumeConfig{Labels: s.labels()}); err != nil {
		t.Fatalf("CreateVolume: %v", err)
	}
	cleanup(t, "volume "+name, func(ctx context.Context) error { return s.b.RemoveVolume(ctx, name, true) })
	if err := s.b.CreateVolume(ctx, name, core.VolumeConfig{Labels: s.labels()}); err != nil {
		t.Errorf("CreateVolume of an existing volume: %v, want no error", err)
	}
	info, err := s.b.InspectVolume(ctx, name)
	if err != nil {
		t.Fatalf("InspectVolume: %v", err)
	}
	if info.Name != name || info.Driver != "local" || info.Labels[Label] != "1" {
		t.Errorf("InspectVolume = %+v, want name %q, driver local, label %s=1", info, name, Label)
	}
	list, err := s.b.ListVolumes(ctx, map[string]string{Label + ".run": s.run})
	if err != nil {
		t.Fatalf("ListVolumes: %v", err)
	}
	if len(list) != 1 || list[0].Name != name {
		t.Errorf("ListVolumes(by label) = %+v, want just %s", list, name)
	}
	list, err = s.b.ListVolumes(ctx, map[string]string{Label + ".run": "no-" + s.run})
	if err != nil {
		t.Fatalf("ListVolumes(no match): %v", err)
	}
	if len(list) != 0 {
		t.Errorf("ListVolumes with a label no volume has = %+v, want none", list)
	}

	// A container using the volume, so it is really mountable.
	sp := s.spec("volc", "sh", "-c", "exit 0")
	sp.Volumes = []string{name + ":/data"}
	h := s.runContainer(t, ctx, sp)
	if code, err := s.b.Wait(ctx, h.ID); err != nil || code != 0 {
		t.Fatalf("Wait(container with volume) = %d, %v", code, err)
	}
	if err := s.b.Remove(ctx, h.ID, true); err != nil {
		t.Fatalf("Remove: %v", err)
	}

	if err := s.b.RemoveVolume(ctx, name, false); err != nil {
		t.Fatalf("RemoveVolume: %v", err)
	}
	_, err = s.b.InspectVolume(ctx, name)
	wantNotFound(t, "InspectVolume after remove", err, name)
	wantNotFound(t, "RemoveVolume after remove", s.b.RemoveVolume(ctx, name, false), name)
}

// testAnonymousVolumes: removing a container removes the anonymous volumes
// the engine made for it (a bare path in volumes, a volume mount without a
// source), as docker compose down does; nothing else could name them. The
// engine is shared with other users, so the volumes that appear while the
// container is created are attributed to it only by count: at least its two
// must be gone after Remove.
func (s *suite) testAnonymousVolumes(t *testing.T, ctx context.Context) {
	unlabelled := func() map[string]bool {
		t.Helper()
		list, err := s.b.ListVolumes(ctx, nil)
		if err != nil {
			t.Fatalf("ListVolumes: %v", err)
		}
		out := map[string]bool{}
		for _, v := range list {
			if len(v.Labels) == 0 {
				out[v.Name] = true
			}
		}
		return out
	}
	before := unlabelled()
	sp := s.spec("anon", "true")
	sp.Volumes = []string{"/perry-anon"}
	sp.Mounts = []core.Mount{{Type: "volume", Target: "/perry-anon-mount"}}
	h := s.create(t, ctx, sp)
	var made []string
	for v := range unlabelled() {
		if !before[v] {
			made = append(made, v)
		}
	}
	if len(made) < 2 {
		t.Fatalf("creating a container with two anonymous volumes made %d new unlabelled volumes (%v), want 2", len(made), made)
	}
	for _, v := range made { // whatever Remove leaves, the test does not
		cleanup(t, "volume "+v, func(ctx context.Context) error { return s.b.RemoveVolume(ctx, v, true) })
	}
	if err := s.b.Remove(ctx, h.ID, false); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	gone := 0
	for _, v := range made {
		if _, err := s.b.InspectVolume(ctx, v); core.KindOf(err) == core.KindNotFound {
			gone++
		}
	}
	if gone < 2 {
		t.Errorf("Remove left the container's anonymous volumes: %d of the %d new volumes %v are gone, want at least 2", gone, len(made), made)
	}
}

// testControlCharacters: a control character in a path, name or option value
// (and a CR in an env or label value) is refused before the runtime is called, with
// an InvalidArgument naming the field, and nothing is created; in env and
// label values it reaches the container byte for byte.
func (s *suite) testControlCharacters(t *testing.T, ctx context.Context) {
	marker := Label + ".ctl"
	refused := []struct {
		name, field string
		edit        func(*core.ContainerSpec)
	}{
		{"CR LF in a mount target", "mounts[0].target", func(sp *core.ContainerSpec) {
			sp.Mounts = []core.Mount{{Type: "tmpfs", Target: "/data\r\n"}}
		}},
		{"LF in a volume", "volumes[0]", func(sp *core.ContainerSpec) { sp.Volumes = []string{"/perry-anon\n"} }},
		{"tab in tmpfs", "tmpfs[0]", func(sp *core.ContainerSpec) { sp.Tmpfs = []string{"/run\t"} }},
		{"DEL in workdir", "workdir", func(sp *core.ContainerSpec) { sp.Workdir = "/tmp\x7f" }},
		{"CR in an env key", "env (a key)", func(sp *core.ContainerSpec) { sp.Env = map[string]string{"PERRY\r": "v"} }},
		{"ESC in a label key", "labels (a key)", func(sp *core.ContainerSpec) { sp.Labels["perry\x1b"] = "v" }},
		{"NUL in an env value", "env[PERRY_CTL]", func(sp *core.ContainerSpec) { sp.Env = map[string]string{"PERRY_CTL": "a\x00b"} }},
		{"CR LF in an env value", "env[PERRY_CTL]", func(sp *core.ContainerSpec) { sp.Env = map[string]string{"PERRY_CTL": "a\r\nb"} }},
		{"CR in a label value", "labels[perry.test.cr]", func(sp *core.ContainerSpec) { sp.Labels[Label+".cr"] = "a\rb" }},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			sp := s.spec("ctl", "true")
			sp.Labels[marker] = "refused"
			tt.edit(sp)
			h, err := s.b.Create(ctx, sp)
			if h.ID != "" {
				s.cleanupContainer(t, h.ID)
			}
			if e := core.AsError(err); err == nil || e.Kind != core.KindInvalidArgument || !strings.Contains(e.Message, tt.field) {
				t.Fatalf("Create = %v, want InvalidArgument naming %s", err, tt.field)
			}
		})
	}
	list, err := s.b.List(ctx, backend.ListOptions{All: true, Labels: map[string]string{Label + ".run": s.run, marker: "refused"}})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(list) != 0 {
		t.Errorf("refused specs left containers: %+v", list)
	}

	s.controlInOtherCalls(t, ctx)

	const value = "one\ntwo\tthree\x1b[0m\x7f"
	sp := s.spec("ctl", "env")
	sp.Env = map[string]string{"PERRY_CTL": value}
	sp.Labels[marker] = value
	h, logs := s.runToEnd(t, ctx, sp)
	if want := "PERRY_CTL=" + value + "\n"; !strings.Contains(logs.Stdout, want) {
		t.Errorf("env output %q lacks %q", logs.Stdout, want)
	}
	info, err := s.b.Inspect(ctx, h.ID)
	if err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	if got := info.Labels[marker]; got != value {
		t.Errorf("label %s = %q, want %q", marker, got, value)
	}
}

// controlInOtherCalls: the same rule on the other calls that take names,
// paths and key=value options (networks, volumes, exec, build), checked
// before the runtime is asked (the exec's container does not exist, and
// the refusal comes first), and nothing is created.
func (s *suite) controlInOtherCalls(t *testing.T, ctx context.Context) {
	marker := Label + ".ctl"
	labels := func(extra map[string]string) map[string]string {
		l := s.labels()
		l[marker] = "refused"
		for k, v := range extra {
			l[k] = v
		}
		return l
	}
	net, vol := s.name("ctlnet"), s.name("ctlvol")
	exec := func(o backend.ExecOptions) error {
		_, err := s.b.Exec(ctx, s.name("ghost"), o)
		return err
	}
	cases := []struct {
		name, field string
		call        func() error
	}{
		{"LF in a network name", "name", func() error { return s.b.CreateNetwork(ctx, net+"\n", core.NetworkConfig{Labels: labels(nil)}) }},
		{"CR in a network label key", "network.labels", func() error {
			return s.b.CreateNetwork(ctx, net, core.NetworkConfig{Labels: labels(map[string]string{"perry\r": "v"})})
		}},
		{"CR in a network label value", "network.labels[perry.test.cr]", func() error {
			return s.b.CreateNetwork(ctx, net, core.NetworkConfig{Labels: labels(map[string]string{Label + ".cr": "a\rb"})})
		}},
		{"tab in a network subnet", "network.ipam.config[0].subnet", func() error {
			return s.b.CreateNetwork(ctx, net, core.NetworkConfig{Labels: labels(nil), IPAM: &core.IPAM{Config: []core.IPAMPool{{Subnet: "10.99.0.0/24\t"}}}})
		}},
		{"LF in a volume name", "name", func() error { return s.b.CreateVolume(ctx, vol+"\n", core.VolumeConfig{Labels: labels(nil)}) }},
		{"ESC in a volume label key", "volume.labels", func() error {
			return s.b.CreateVolume(ctx, vol, core.VolumeConfig{Labels: labels(map[string]string{"perry\x1b": "v"})})
		}},
		{"CR in an exec env key", "env", func() error {
			return exec(backend.ExecOptions{Cmd: []string{"true"}, Env: map[string]string{"K\r": "v"}})
		}},
		{"CR LF in an exec env value", "env[K]", func() error {
			return exec(backend.ExecOptions{Cmd: []string{"true"}, Env: map[string]string{"K": "a\r\nb"}})
		}},
		{"LF in an exec workdir", "workdir", func() error { return exec(backend.ExecOptions{Cmd: []string{"true"}, Workdir: "/tmp\n"}) }},
		{"NUL in an exec argument", "cmd", func() error { return exec(backend.ExecOptions{Cmd: []string{"echo", "a\x00b"}}) }},
		{"CR in a build arg value", "build.args[A]", func() error {
			return s.b.Build(ctx, core.BuildSpec{Context: t.TempDir(), Args: map[string]string{"A": "x\ry"}}, "perry-ctl:refused")
		}},
		{"LF in a build target", "build.target", func() error {
			return s.b.Build(ctx, core.BuildSpec{Context: t.TempDir(), Target: "stage\n"}, "perry-ctl:refused")
		}},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if e := core.AsError(err); err == nil || e.Kind != core.KindInvalidArgument || !strings.Contains(e.Message, tt.field) {
				t.Fatalf("got %v, want InvalidArgument naming %s", err, tt.field)
			}
		})
	}
	only := map[string]string{Label + ".run": s.run, marker: "refused"}
	if nets, err := s.b.ListNetworks(ctx, only); err != nil || len(nets) != 0 {
		t.Errorf("refused networks were created: %+v (%v)", nets, err)
		for _, n := range nets {
			_ = s.b.RemoveNetwork(ctx, n.Name)
		}
	}
	if vols, err := s.b.ListVolumes(ctx, only); err != nil || len(vols) != 0 {
		t.Errorf("refused volumes were created: %+v (%v)", vols, err)
		for _, v := range vols {
			_ = s.b.RemoveVolume(ctx, v.Name, true)
		}
	}
}

// testRunFailure: a Run that cannot start its container leaves nothing
// behind (the caller of a failed Run has no handle to remove it by). A
// missing network is a NotFound naming it, whether the runtime checks
// networks at create or only at start.
func (s *suite) testRunFailure(t *testing.T, ctx context.Context) {
	marker := Label + ".runfail"
	missing := s.name("nonet")
	sp := s.spec("runfail", sleeper...)
	sp.Network = missing
	sp.Labels[marker] = "1"
	h, err := s.b.Run(ctx, sp)
	if h.ID != "" {
		s.cleanupContainer(t, h.ID)
		t.Errorf("a failed Run returned the handle %+v", h)
	}
	wantNotFound(t, "Run on a missing network", err, missing)
	list, err := s.b.List(ctx, backend.ListOptions{All: true, Labels: map[string]string{Label + ".run": s.run, marker: "1"}})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	// A container the engine is still removing is gone: docker's listing can
	// lag its remove by a moment.
	list = slices.DeleteFunc(list, func(c core.ContainerInfo) bool { return c.State == "removing" })
	if len(list) != 0 {
		t.Errorf("a failed Run left %d container(s): %+v", len(list), list)
	}
}

// testCommitExport: a file written in a container is in the image a commit
// makes of it (a container of that image reads it) and in its export,
// stopped too. A backend without the optional interfaces (or a runtime
// that refuses as backend.Unsupported: nerdctl 2.0 has no export)
// skips that part.
func (s *suite) testCommitExport(t *testing.T, ctx context.Context) {
	committer, canCommit := s.b.(backend.Committer)
	exporter, canExport := s.b.(backend.Exporter)
	if !canCommit && !canExport {
		t.Skip("the backend has neither Committer nor Exporter")
	}
	unsupported := func(err error) bool { return err != nil && core.AsError(err).Details["unsupported"] == true }
	exited0 := func(l core.ContainerLogs) bool { return l.ExitCode != nil && *l.ExitCode == 0 }
	h := s.runContainer(t, ctx, s.spec("commit", sleeper...))
	if out, err := s.b.Exec(ctx, h.ID, backend.ExecOptions{Cmd: []string{"sh", "-c", "echo committed > /perry-commit.txt"}}); err != nil || !exited0(out) {
		t.Fatalf("writing the file: %v %+v", err, out)
	}
	if canCommit {
		ref := s.name("image") + ":v1"
		id, err := committer.Commit(ctx, h.ID, backend.CommitOptions{Reference: ref, Author: "perry test", Message: "contract"})
		switch {
		case unsupported(err):
			t.Logf("Commit: %v", err)
		case err != nil:
			t.Fatalf("Commit: %v", err)
		default:
			cleanup(t, "image "+ref, func(ctx context.Context) error { return s.b.RemoveImage(ctx, ref, true) })
			img, err := s.b.InspectImage(ctx, ref)
			if err != nil || img.ID == "" || !strings.Contains(img.ID, strings.TrimPrefix(id, "sha256:")) && !strings.Contains(id, strings.TrimPrefix(img.ID, "sha256:")) {
				t.Fatalf("Commit returned %q; InspectImage(%s) = %+v, %v", id, ref, img, err)
			}
			spec := s.spec("committed", sleeper...)
			spec.Image = ref
			c := s.runContainer(t, ctx, spec)
			out, err := s.b.Exec(ctx, c.ID, backend.ExecOptions{Cmd: []string{"cat", "/perry-commit.txt"}})
			if err != nil || !exited0(out) || out.Stdout != "committed\n" {
				t.Fatalf("the file in a container of the committed image: %v %+v", err, out)
			}
		}
		_, err = committer.Commit(ctx, "perrytest-missing-"+s.run, backend.CommitOptions{Reference: s.name("image")})
		if !unsupported(err) {
			wantNotFound(t, "Commit of an unknown container", err, "perrytest-missing-"+s.run)
		}
	}
	if !canExport {
		return
	}
	zero := 0
	if err := s.b.Stop(ctx, h.ID, &zero); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	var tarball bytes.Buffer
	if err := exporter.Export(ctx, h.ID, &tarball); unsupported(err) {
		t.Logf("Export: %v", err)
		return
	} else if err != nil {
		t.Fatalf("Export: %v", err)
	}
	found, err := TarFile(&tarball, "perry-commit.txt")
	if err != nil {
		t.Fatalf("reading the export: %v", err)
	}
	if found != "committed\n" {
		t.Fatalf("the file in the export of the stopped container: %q", found)
	}
	var none bytes.Buffer
	err = exporter.Export(ctx, "perrytest-missing-"+s.run, &none)
	wantNotFound(t, "Export of an unknown container", err, "perrytest-missing-"+s.run)
	if none.Len() != 0 {
		t.Errorf("Export of an unknown container wrote %d bytes", none.Len())
	}
}

// testWriteFiles: files written into a created container are there when
// it starts, with their content, mode and owner, in directories made for
// them. A runtime that says it cannot (Supports) refuses as
// backend.Unsupported.
func (s *suite) testWriteFiles(t *testing.T, ctx context.Context) {
	w, ok := s.b.(backend.FileWriter)
	if !ok {
		t.Skip("the backend has no FileWriter")
	}
	files := []backend.File{
		{Path: "/run/secrets/perry-token", Content: []byte("s3cret"), Mode: 0o400, UID: 1000, GID: 1001},
		{Path: "/perry-greeting.txt", Content: []byte("hello\n"), Mode: 0o444},
	}
	h := s.create(t, ctx, s.spec("files", "sh", "-c",
		"stat -c '%n %a %u:%g' /run/secrets/perry-token /perry-greeting.txt; cat /run/secrets/perry-token /perry-greeting.txt"))
	err := w.WriteFiles(ctx, h.ID, files)
	if !backend.Supports(ctx, s.b, backend.FeatureWriteFiles) {
		if err == nil || core.AsError(err).Details["unsupported"] != true {
			t.Fatalf("WriteFiles on a runtime that does not support it: %v, want Unsupported", err)
		}
		return
	}
	if err != nil {
		t.Fatalf("WriteFiles: %v", err)
	}
	if err := s.b.Start(ctx, h.ID); err != nil {
		t.Fatalf("Start: %v", err)
	}
	if code, err := s.b.Wait(ctx, h.ID); err != nil || code != 0 {
		logs, _ := s.b.Logs(ctx, h.ID, backend.LogsOptions{})
		t.Fatalf("Wait = %d, %v; logs %+v", code, err, logs)
	}
	logs, err := s.b.Logs(ctx, h.ID, backend.LogsOptions{})
	if err != nil {
		t.Fatalf("Logs: %v", err)
	}
	want := "/run/secrets/perry-token 400 1000:1001\n/perry-greeting.txt 444 0:0\ns3crethello\n"
	if logs.Stdout != want {
		t.Fatalf("the container saw\n%q\nwant\n%q", logs.Stdout, want)
	}
	err = w.WriteFiles(ctx, "perrytest-missing-"+s.run, files)
	wantNotFound(t, "WriteFiles into an unknown container", err, "perrytest-missing-"+s.run)
	if err := w.WriteFiles(ctx, h.ID, []backend.File{{Path: "run/relative"}}); core.KindOf(err) != core.KindInvalidArgument {
		t.Fatalf("WriteFiles of a relative path: %v, want InvalidArgument", err)
	}
}

// TarFile is the content of the file named name (relative, as an export
// writes it, with or without "./") in a tar archive; "" when it has none.
func TarFile(archive io.Reader, name string) (string, error) {
	found := ""
	tr := tar.NewReader(archive)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return found, nil
		}
		if err != nil {
			return "", err
		}
		if strings.TrimPrefix(h.Name, "./") == name {
			data, err := io.ReadAll(tr)
			if err != nil {
				return "", err
			}
			found = string(data)
		}
	}
}
