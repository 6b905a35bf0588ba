package engine

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/perryts/perry-container/backend/fake"
	"github.com/perryts/perry-container/core"
	"github.com/perryts/perry-container/internal/testenv"
)

const lockYAML = `
services:
  web: {image: busybox, command: ["sleep", "1000"]}
`

// privateLocks points the lock directory at a fresh directory of the test.
func privateLocks(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", dir)
	return filepath.Join(dir, "perry-compose", "locks")
}

// waitingFor is the warning a command waiting for pid prints.
func waitingFor(pid int, project string) string {
	return fmt.Sprintf("waiting for another perry-compose (pid %d) changing project %s", pid, project)
}

func warnings(log *eventLog) []string {
	var out []string
	for _, ev := range log.find(StatusWarning, "") {
		out = append(out, ev.Text)
	}
	return out
}

// TestLockSerialisesChangesOfOneProject: while the project's lock is held,
// an Up (and a Down, Stop, Start) waits, says once who it waits for, and
// proceeds when the lock is released; read-only commands never wait.
func TestLockSerialisesChangesOfOneProject(t *testing.T) {
	b := newFake()
	p := load(t, lockYAML)
	holder, _ := newEngine(t, b, p)
	unlock, err := holder.Lock(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}

	e, log := newEngine(t, b, p)
	done := make(chan error, 1)
	go func() { done <- e.Up(ctxT(t), UpOptions{}) }()
	want := waitingFor(os.Getpid(), "demo")
	testenv.Eventually(t, 10*time.Second, "the waiting warning", func() bool {
		return len(log.find(StatusWarning, "demo")) > 0
	})
	// Read-only commands do not wait.
	if _, err := e.Ps(ctxT(t), PsOptions{All: true}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		t.Fatalf("up ran while the project was locked: %v", err)
	default:
	}
	if n := len(callsOf(b, "CreateNetwork")) + len(callsOf(b, "Create")); n != 0 {
		t.Fatalf("up changed the project while it was locked: %v", b.Methods())
	}
	unlock()
	unlock() // releasing twice is harmless
	if err := <-done; err != nil {
		t.Fatalf("up after the release: %v", err)
	}
	if w := warnings(log); len(w) != 1 || w[0] != want {
		t.Fatalf("warnings %q, want once %q", w, want)
	}
	if len(callsOf(b, "Create")) != 1 {
		t.Fatalf("up did not proceed: %v", b.Methods())
	}

	// Every changing command takes the lock.
	for name, run := range map[string]func(context.Context, *Engine) error{
		"stop":    func(ctx context.Context, e *Engine) error { return e.Stop(ctx, nil, nil) },
		"start":   func(ctx context.Context, e *Engine) error { return e.Start(ctx, nil, nil) },
		"restart": func(ctx context.Context, e *Engine) error { return e.Restart(ctx, nil, nil) },
		"kill":    func(ctx context.Context, e *Engine) error { return e.Kill(ctx, nil, "") },
		"down":    func(ctx context.Context, e *Engine) error { return e.Down(ctx, DownOptions{}) },
		"create":  func(ctx context.Context, e *Engine) error { return e.Up(ctx, UpOptions{NoStart: true}) },
	} {
		unlock, err := holder.Lock(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		e2, log2 := newEngine(t, b, p, WithLockTimeout(50*time.Millisecond))
		err = run(ctxT(t), e2)
		unlock()
		if core.KindOf(err) != core.KindTimeout || len(warnings(log2)) != 1 {
			t.Fatalf("%s with the project locked: %v (warnings %q), want a Timeout after one warning", name, err, warnings(log2))
		}
	}
}

// TestLockBoundedWait: a command that waits longer than the lock timeout
// fails, naming the holder's pid and the project, and changes nothing.
func TestLockBoundedWait(t *testing.T) {
	privateLocks(t)
	b := newFake()
	p := load(t, lockYAML)
	holder, _ := newEngine(t, b, p)
	unlock, err := holder.Lock(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	e, _ := newEngine(t, b, p, WithLockTimeout(100*time.Millisecond))
	start := time.Now()
	err = e.Up(ctxT(t), UpOptions{})
	if core.KindOf(err) != core.KindTimeout {
		t.Fatalf("up: %v, want a Timeout", err)
	}
	pid := fmt.Sprintf("(pid %d)", os.Getpid())
	if msg := err.Error(); !strings.Contains(msg, pid) || !strings.Contains(msg, "project demo") || !strings.Contains(msg, EnvLockTimeout) {
		t.Fatalf("error %q does not name the holder %s, the project and %s", msg, pid, EnvLockTimeout)
	}
	if d := core.AsError(err).Details["pid"]; d != os.Getpid() {
		t.Fatalf("pid detail %v", d)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("the bounded wait took %s", time.Since(start))
	}
	if len(callsOf(b, "Create"))+len(callsOf(b, "CreateNetwork")) != 0 {
		t.Fatalf("a timed-out up changed the project: %v", b.Methods())
	}
	// A cancelled wait returns the cancellation.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := e.Down(ctx, DownOptions{}); !errors.Is(err, context.Canceled) && core.KindOf(err) != core.KindCancelled {
		t.Fatalf("down with a cancelled context: %v", err)
	}

	// Another project, or another runtime, is not locked.
	other, _ := newEngine(t, newFake(), p, WithLockTimeout(100*time.Millisecond))
	if err := other.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatalf("up of the same project on another runtime: %v", err)
	}
}

func TestLockTimeoutFromEnv(t *testing.T) {
	for v, want := range map[string]time.Duration{"": DefaultLockTimeout, "90": 90 * time.Second, "2m": 2 * time.Minute, "junk": DefaultLockTimeout, "-1": DefaultLockTimeout} {
		t.Setenv(EnvLockTimeout, v)
		if got := lockTimeoutFromEnv(); got != want {
			t.Fatalf("%s=%q: %s, want %s", EnvLockTimeout, v, got, want)
		}
	}
}

// lockTestBackend is the fake under a runtime name of its own, so that two
// processes compute one lock file for it (the fake's own key is per instance).
type lockTestBackend struct{ *fake.Backend }

func (lockTestBackend) Name() string { return "perry-lock-test" }

// TestLockHelperProcess is the other process of TestLockAcrossProcesses:
// it takes the lock, says so, and holds it until killed.
func TestLockHelperProcess(t *testing.T) {
	if os.Getenv("PERRY_LOCK_HELPER") == "" {
		t.Skip("run by TestLockAcrossProcesses")
	}
	e := New(lockTestBackend{newFake()}, load(t, lockYAML))
	if _, err := e.Lock(context.Background()); err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("locked")
	select {} // until killed
}

// TestLockAcrossProcesses: a lock held by another process makes an Up wait
// and name that process; when the holder is killed (no release of its
// own), the kernel frees the lock and the Up proceeds.
func TestLockAcrossProcesses(t *testing.T) {
	dir := privateLocks(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHelperProcess$")
	cmd.Env = append(os.Environ(), "PERRY_LOCK_HELPER=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "locked" {
		t.Fatalf("helper: %q %v", line, err)
	}

	// One private file, holding the holder's pid.
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("lock directory %s: %v %v, want mode 0700", dir, fi, err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.lock"))
	if len(files) != 1 {
		t.Fatalf("lock files %v", files)
	}
	if pid, err := os.ReadFile(files[0]); err != nil || strings.TrimSpace(string(pid)) != strconv.Itoa(cmd.Process.Pid) {
		t.Fatalf("lock file holds %q (%v), want the holder's pid %d", pid, err, cmd.Process.Pid)
	}

	b := newFake()
	e, log := newEngine(t, lockTestBackend{b}, load(t, lockYAML))
	done := make(chan error, 1)
	go func() { done <- e.Up(ctxT(t), UpOptions{}) }()
	want := waitingFor(cmd.Process.Pid, "demo")
	testenv.Eventually(t, 10*time.Second, "the waiting warning", func() bool {
		w := warnings(log)
		return len(w) == 1 && w[0] == want
	})
	if len(callsOf(b, "Create")) != 0 {
		t.Fatal("up ran while another process held the lock")
	}
	if err := cmd.Process.Kill(); err != nil { // a crash: the holder never releases
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("up after the holder died: %v", err)
	}
	if w := warnings(log); len(w) != 1 {
		t.Fatalf("warnings %q, want one", w)
	}
	if got := strconv.Itoa(len(callsOf(b, "Create"))); got != "1" {
		t.Fatalf("%s containers created", got)
	}
	// Released, the lock file is removed: none piles up.
	if files, _ := filepath.Glob(filepath.Join(dir, "*")); len(files) != 0 {
		t.Fatalf("lock files left: %v", files)
	}
}

// TestLockFileRemovedUnderWaiter: a waiter that opened the lock file before
// its holder released (and removed) it does not hold a lock on the removed
// file: it takes the new one, and two holders never coexist.
func TestLockFileRemovedUnderWaiter(t *testing.T) {
	dir := privateLocks(t)
	p := load(t, lockYAML)
	e := New(lockTestBackend{newFake()}, p)
	path, err := e.lockPath("demo")
	if err != nil || !strings.HasPrefix(path, dir) {
		t.Fatalf("lock path %q %v", path, err)
	}
	unlock, err := e.Lock(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	stale, err := os.Open(path) // a waiter's descriptor
	if err != nil {
		t.Fatal(err)
	}
	defer stale.Close()
	unlock()
	ok, err := flockExclusive(stale)
	if err != nil || !ok {
		t.Fatalf("flock on the released file: %v %v", ok, err)
	}
	if fi, _ := stale.Stat(); sameFile(fi, path) {
		t.Fatal("the released lock file is still in place")
	}
	// The stale flock does not stop the next holder, which gets a new file.
	unlock2, err := New(lockTestBackend{newFake()}, p, WithLockTimeout(time.Second)).Lock(ctxT(t))
	if err != nil {
		t.Fatalf("lock after a stale flock: %v", err)
	}
	unlock2()
}

// BenchmarkLockUncontended is what the lock adds to a changing command
// when no other holds it: open, flock, write the pid, remove, close.
func BenchmarkLockUncontended(b *testing.B) {
	b.Setenv("XDG_RUNTIME_DIR", b.TempDir())
	e := New(lockTestBackend{newFake()}, &types.Project{Name: "bench"})
	ctx := context.Background()
	for b.Loop() {
		unlock, err := e.Lock(ctx)
		if err != nil {
			b.Fatal(err)
		}
		unlock()
	}
}
