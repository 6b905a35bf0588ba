package detect

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/fake"
	"github.com/perryts/perry-container/core"
)

// named is a stand-in backend so tests never depend on factory.go.
type named struct {
	backend.Backend
	sel Selection
}

func (n *named) Name() string { return n.sel.Driver }

func testFactory(calls *atomic.Int32) Factory {
	return func(sel Selection) (backend.Backend, error) {
		if calls != nil {
			calls.Add(1)
		}
		return &named{Backend: fake.New(), sel: sel}, nil
	}
}

func newTestDetector(sys System, opts ...Option) *Detector {
	return New(sys, append([]Option{WithFactory(testFactory(nil))}, opts...)...)
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func wantKind(t *testing.T, err error, kind core.Kind) *core.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", kind)
	}
	e := core.AsError(err)
	if e.Kind != kind {
		t.Fatalf("got %s (%v), want %s", e.Kind, err, kind)
	}
	return e
}

func TestPlatformCandidates(t *testing.T) {
	mac := []string{"apple/container", "orbstack", "colima", "rancher-desktop", "lima", "podman", "nerdctl", "docker"}
	other := []string{"podman", "nerdctl", "docker"}
	for goos, want := range map[string][]string{
		"darwin": mac, "ios": mac, "linux": other, "windows": other, "freebsd": other,
	} {
		if got := PlatformCandidates(goos); !slices.Equal(got, want) {
			t.Errorf("PlatformCandidates(%q) = %v, want %v", goos, got, want)
		}
	}
	// Callers get their own slice.
	PlatformCandidates("linux")[0] = "x"
	if PlatformCandidates("linux")[0] != Podman {
		t.Fatal("PlatformCandidates shares its backing array")
	}
	if got, want := AcceptedBackends(), append(mac, "fake"); !slices.Equal(got, want) {
		t.Errorf("AcceptedBackends() = %v, want %v", got, want)
	}
}

// Detection returns the first available runtime, on each platform.
func TestFirstAvailableWins(t *testing.T) {
	cases := []struct {
		goos   string
		states map[string]state
		want   string
		strat  string
	}{
		{"linux", map[string]state{Podman: broken, Nerdctl: broken, Docker: available}, Docker, StrategyAPI},
		{"linux", map[string]state{Podman: available, Nerdctl: available, Docker: available}, Podman, StrategyCLI},
		{"linux", map[string]state{Nerdctl: available, Docker: available}, Nerdctl, StrategyCLI},
		{"windows", map[string]state{Podman: broken, Docker: available}, Docker, StrategyAPI},
		{"windows", map[string]state{Podman: available, Docker: available}, Podman, StrategyCLI},
		{"darwin", map[string]state{AppleContainer: broken, OrbStack: absent, Colima: available, Docker: available}, Colima, StrategyAPI},
		{"darwin", map[string]state{AppleContainer: available, OrbStack: available}, AppleContainer, StrategyCLI},
		{"darwin", map[string]state{OrbStack: broken, RancherDesktop: available, Lima: available}, RancherDesktop, StrategyAPI},
		{"darwin", map[string]state{Lima: available, Podman: available}, Lima, StrategyCLI},
		{"darwin", map[string]state{Lima: broken, Podman: available, Docker: available}, Podman, StrategyAPI},
		{"ios", map[string]state{AppleContainer: available}, AppleContainer, StrategyCLI},
	}
	for _, c := range cases {
		t.Run(c.goos+"/"+c.want, func(t *testing.T) {
			sys := newFakeSys(c.goos, t.TempDir())
			for name, s := range c.states {
				sys.install(name, s)
			}
			rep, err := newTestDetector(sys).Detect(ctxT(t))
			if err != nil {
				t.Fatal(err)
			}
			sel := rep.Selected
			if sel.Driver != c.want || sel.Info.Name != c.want || sel.Strategy != c.strat || sel.Info.Strategy != c.strat {
				t.Fatalf("selected %+v, want %s over %s", sel, c.want, c.strat)
			}
			if !sel.Info.Available || sel.Info.Mode != ModeLocal || sel.Info.IsolationLevel != IsolationFor(c.want) {
				t.Fatalf("selected info %+v", sel.Info)
			}
			if c.strat == StrategyAPI && sel.Host == "" || c.strat == StrategyCLI && sel.Bin == "" {
				t.Fatalf("selection lacks its endpoint: %+v", sel)
			}
			// Everything above the winner is reported unavailable, with a reason.
			names := PlatformCandidates(c.goos)
			if len(rep.Candidates) != len(names) {
				t.Fatalf("candidates %v", rep.Candidates)
			}
			for i, info := range rep.Candidates {
				if info.Name != names[i] {
					t.Fatalf("candidate %d is %s, want %s", i, info.Name, names[i])
				}
				if info.Name == c.want {
					break
				}
				if info.Available || info.Reason == "" {
					t.Fatalf("candidate above the winner: %+v", info)
				}
			}
		})
	}
}

// PERRY_CONTAINER_BACKEND picks the backend without probing the others.
func TestEnvOverrideSkipsProbingOthers(t *testing.T) {
	sys := newFakeSys("linux", t.TempDir())
	for _, n := range []string{Podman, Nerdctl, Docker} {
		sys.install(n, available)
	}
	sys.setenv(EnvBackend, "docker")
	rep, err := newTestDetector(sys).Detect(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Selected.Driver != Docker || len(rep.Candidates) != 1 {
		t.Fatalf("report %+v", rep)
	}
	if sys.probed("podman") || sys.probed("nerdctl") {
		t.Fatalf("other runtimes were probed: %v", sys.callList())
	}

	sys2 := newFakeSys("darwin", t.TempDir())
	for _, n := range PlatformCandidates("darwin") {
		sys2.install(n, available)
	}
	sys2.setenv(EnvBackend, "podman")
	rep, err = newTestDetector(sys2).Detect(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Selected.Driver != Podman {
		t.Fatalf("selected %+v", rep.Selected)
	}
	for _, other := range []string{"container", "orb", "colima", ".rd", "limactl", "nerdctl", "docker"} {
		if sys2.probed(other) {
			t.Fatalf("%s was probed: %v", other, sys2.callList())
		}
	}
}

func TestEnvOverrideUnknownValue(t *testing.T) {
	sys := newFakeSys("linux", t.TempDir())
	sys.install(Docker, available)
	sys.setenv(EnvBackend, "dockerr")
	_, err := newTestDetector(sys).Detect(ctxT(t))
	e := wantKind(t, err, core.KindInvalidConfiguration)
	if e.Code() != 400 {
		t.Fatalf("code %d", e.Code())
	}
	for _, v := range AcceptedBackends() {
		if !strings.Contains(e.Message, v) {
			t.Errorf("message %q does not list %q", e.Message, v)
		}
	}
	if !strings.Contains(e.Message, EnvBackend) || sys.probed("docker") {
		t.Fatalf("message %q, calls %v", e.Message, sys.callList())
	}
}

func TestEnvOverrideKnownButAbsent(t *testing.T) {
	sys := newFakeSys("linux", t.TempDir())
	sys.install(Docker, available)
	sys.setenv(EnvBackend, "podman")
	rep, err := newTestDetector(sys).Detect(ctxT(t))
	e := wantKind(t, err, core.KindBackendNotAvailable)
	if e.Code() != 503 || !strings.Contains(e.Message, "podman not found in PATH") {
		t.Fatalf("error %d %q", e.Code(), e.Message)
	}
	if sys.probed("docker") {
		t.Fatalf("docker was probed: %v", sys.callList())
	}
	if len(rep.Candidates) != 1 || rep.Candidates[0].Available {
		t.Fatalf("candidates %+v", rep.Candidates)
	}
}

func TestFakeOverride(t *testing.T) {
	sys := newFakeSys("linux", t.TempDir())
	sys.setenv(EnvBackend, "fake")
	rep, err := newTestDetector(sys).Detect(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Selected.Driver != Fake || rep.Selected.Strategy != StrategyMemory || !rep.Selected.Info.Available {
		t.Fatalf("selected %+v", rep.Selected)
	}
	for _, c := range sys.callList() {
		if !strings.HasPrefix(c, "getenv ") {
			t.Fatalf("fake probed the system: %v", sys.callList())
		}
	}
}

// With no runtime available, detection fails naming each one it tried.
func TestAllUnavailable(t *testing.T) {
	cases := map[string][]string{
		"linux":   {"sudo apt-get install -y podman", "https://podman.io/getting-started/installation"},
		"darwin":  {"brew install container", "https://github.com/apple/container"},
		"windows": {"winget install RedHat.Podman"},
	}
	for goos, hints := range cases {
		t.Run(goos, func(t *testing.T) {
			sys := newFakeSys(goos, t.TempDir())
			for i, n := range PlatformCandidates(goos) {
				sys.install(n, state(i%2)) // a mix of absent and broken
			}
			rep, err := newTestDetector(sys).Detect(ctxT(t))
			e := wantKind(t, err, core.KindNoBackendFound)
			if e.Code() != 503 {
				t.Fatalf("code %d", e.Code())
			}
			probes, _ := e.Details["probes"].([]core.BackendInfo)
			names := PlatformCandidates(goos)
			if len(probes) != len(names) || len(rep.Candidates) != len(names) {
				t.Fatalf("probes %+v", probes)
			}
			for i, n := range names {
				if probes[i].Name != n || probes[i].Available || probes[i].Reason == "" {
					t.Fatalf("probe %d: %+v", i, probes[i])
				}
				if !strings.Contains(e.Message, n+": "+probes[i].Reason) {
					t.Errorf("message does not name %s with its reason:\n%s", n, e.Message)
				}
			}
			for _, h := range hints {
				if !strings.Contains(e.Message, h) {
					t.Errorf("message lacks %q:\n%s", h, e.Message)
				}
			}
			// A library host is never prompted: no word of the prompt's switch.
			if strings.Contains(e.Message, "PERRY_NO_INSTALL_PROMPT") {
				t.Errorf("message mentions a prompt the library never shows:\n%s", e.Message)
			}
		})
	}
}

// Detection caches its result, regardless of later changes to the
// environment.
func TestCachedResult(t *testing.T) {
	sys := newFakeSys("linux", t.TempDir())
	sys.install(Docker, available)
	d := newTestDetector(sys)
	first, err := d.Detect(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	d.probes.Wait()
	sys.resetCalls()
	sys.install(Podman, available)
	sys.setenv(EnvBackend, "podman")
	second, err := d.Detect(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if calls := sys.callList(); len(calls) != 0 {
		t.Fatalf("second Detect touched the system: %v", calls)
	}
	if *second.Selected != *first.Selected {
		t.Fatalf("cached selection changed: %+v vs %+v", second.Selected, first.Selected)
	}
	// The report is a copy: a caller mutating it cannot corrupt the cache.
	second.Candidates[0].Name = "mutated"
	second.Selected.Driver = "mutated"
	third, _ := d.Detect(ctxT(t))
	if third.Candidates[0].Name != Podman || third.Selected.Driver != Docker {
		t.Fatalf("cache corrupted: %+v", third)
	}
}

func TestFailedDetectionIsNotCached(t *testing.T) {
	sys := newFakeSys("linux", t.TempDir())
	d := newTestDetector(sys)
	_, err := d.Detect(ctxT(t))
	wantKind(t, err, core.KindNoBackendFound)
	sys.install(Docker, available) // the user starts a runtime
	rep, err := d.Detect(ctxT(t))
	if err != nil || rep.Selected.Driver != Docker {
		t.Fatalf("after install: %+v, %v", rep, err)
	}
}

func TestConcurrentCallersShareOneDetection(t *testing.T) {
	sys := newFakeSys("linux", t.TempDir())
	sys.install(Docker, available)
	// Hold the detection until every goroutine is waiting on it.
	gate := make(chan struct{})
	sys.waitFor["lookpath docker"] = gate
	var built atomic.Int32
	d := New(sys, WithFactory(testFactory(&built)))

	const n = 100
	var wg sync.WaitGroup
	var ready sync.WaitGroup
	ready.Add(n)
	backends := make([]backend.Backend, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ready.Done()
			backends[i], errs[i] = d.Backend(ctxT(t))
		}()
	}
	ready.Wait()
	close(gate)
	wg.Wait()
	for i := range n {
		if errs[i] != nil || backends[i] != backends[0] {
			t.Fatalf("goroutine %d: %v, %p vs %p", i, errs[i], backends[i], backends[0])
		}
	}
	lookups := 0
	for _, c := range sys.callList() {
		if c == "lookpath docker" {
			lookups++
		}
	}
	if lookups != 1 || built.Load() != 1 {
		t.Fatalf("%d detections, %d backends built; want 1 and 1", lookups, built.Load())
	}
}

// A slow probe of a low-priority candidate does not delay the choice: podman
// wins while docker's probe is still stuck (in a call that even ignores ctx;
// the probe timeout is far away, so only early selection can return).
func TestSlowLowPriorityProbeDoesNotDelay(t *testing.T) {
	sys := newFakeSys("linux", t.TempDir())
	sys.install(Podman, available)
	sys.install(Docker, available)
	release := make(chan struct{})
	sys.hangFor["lookpath docker"] = release
	t.Cleanup(func() { close(release) })
	rep, err := newTestDetector(sys, WithProbeTimeout(time.Hour)).Detect(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Selected.Driver != Podman {
		t.Fatalf("selected %+v", rep.Selected)
	}
	last := rep.Candidates[2]
	if last.Name != Docker || last.Available || !strings.Contains(last.Reason, "not probed to completion") {
		t.Fatalf("docker candidate %+v", last)
	}
}

// Probes run concurrently: podman's probe cannot finish until docker's probe
// has started. Run one after the other, podman would time out instead.
func TestProbesRunConcurrently(t *testing.T) {
	sys := newFakeSys("linux", t.TempDir())
	sys.install(Podman, available)
	sys.install(Docker, available)
	sys.waitFor["run /usr/bin/podman --version"] = sys.startedChan("lookpath docker")
	rep, err := newTestDetector(sys, WithProbeTimeout(time.Minute)).Detect(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Selected.Driver != Podman {
		t.Fatalf("selected %+v; candidates %+v", rep.Selected, rep.Candidates)
	}
}

func TestHangingProbeIsCut(t *testing.T) {
	for _, ignoresCtx := range []bool{false, true} {
		sys := newFakeSys("linux", t.TempDir())
		sys.install(Podman, available)
		sys.install(Docker, available)
		release := make(chan struct{})
		if ignoresCtx {
			sys.hangFor["run /usr/bin/podman --version"] = release
		} else {
			sys.waitFor["run /usr/bin/podman --version"] = release
		}
		rep, err := newTestDetector(sys, WithProbeTimeout(50*time.Millisecond)).Detect(ctxT(t))
		close(release)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Selected.Driver != Docker {
			t.Fatalf("selected %+v", rep.Selected)
		}
		if r := rep.Candidates[0].Reason; !strings.Contains(r, "timed out after 50ms") && !strings.Contains(r, "deadline exceeded") {
			t.Fatalf("podman reason %q", r)
		}
	}
}

func TestDefaultProbeTimeoutIs2s(t *testing.T) {
	if DefaultProbeTimeout != 2*time.Second || New(nil).timeout != 2*time.Second {
		t.Fatal("probe timeout is not 2 s")
	}
}

func TestWaitingCallerHonoursItsContext(t *testing.T) {
	sys := newFakeSys("linux", t.TempDir())
	sys.install(Docker, available)
	gate := make(chan struct{})
	sys.waitFor["lookpath podman"] = gate
	d := newTestDetector(sys, WithProbeTimeout(time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := d.Detect(ctx)
	wantKind(t, err, core.KindCancelled)
	close(gate)
	// The shared detection was not cancelled with that caller.
	rep, err := d.Detect(ctxT(t))
	if err != nil || rep.Selected.Driver != Docker {
		t.Fatalf("%+v %v", rep, err)
	}
}

func TestProbePanicBecomesReason(t *testing.T) {
	sys := newFakeSys("linux", t.TempDir())
	sys.install(Docker, available)
	sys.panics["lookpath podman"] = true
	rep, err := newTestDetector(sys).Detect(ctxT(t))
	if err != nil || rep.Selected.Driver != Docker {
		t.Fatalf("%+v %v", rep, err)
	}
	if !strings.Contains(rep.Candidates[0].Reason, "panic") {
		t.Fatalf("podman reason %q", rep.Candidates[0].Reason)
	}
}

func TestInvalidModeAndStrategy(t *testing.T) {
	for _, c := range []struct{ env, value, lists string }{
		{EnvMode, "fast", "local-first, server-first"},
		{EnvMode, "Server-First", "local-first, server-first"},
		{EnvStrategy, "grpc", "cli, api"},
		{EnvStrategy, "API", "cli, api"},
	} {
		sys := newFakeSys("linux", t.TempDir())
		sys.install(Docker, available)
		sys.setenv(c.env, c.value)
		_, err := newTestDetector(sys).Detect(ctxT(t))
		e := wantKind(t, err, core.KindInvalidConfiguration)
		if !strings.Contains(e.Message, c.lists) || !strings.Contains(e.Message, c.env) || e.Details["variable"] != c.env {
			t.Errorf("%s=%s: %q", c.env, c.value, e.Message)
		}
	}
	// The accepted spellings are accepted.
	for _, c := range [][2]string{{EnvMode, "local-first"}, {EnvMode, "server-first"}, {EnvStrategy, "cli"}, {EnvStrategy, "api"}} {
		sys := newFakeSys("linux", t.TempDir())
		sys.install(Docker, available)
		sys.setenv(c[0], c[1])
		if _, err := newTestDetector(sys).Detect(ctxT(t)); err != nil {
			t.Errorf("%s=%s: %v", c[0], c[1], err)
		}
	}
}

func TestStrategy(t *testing.T) {
	cases := []struct {
		strategy  string
		installed []string
		want      string
		wantStrat string
	}{
		{"", []string{Docker}, Docker, StrategyAPI},
		{"cli", []string{Docker}, Docker, StrategyCLI},
		{"api", []string{Docker}, Docker, StrategyAPI},
		{"", []string{Podman}, Podman, StrategyCLI},            // Linux podman with no service socket
		{"api", []string{Podman, Docker}, Docker, StrategyAPI}, // podman has no API here
		{"api", []string{Nerdctl, Docker}, Docker, StrategyAPI},
	}
	for _, c := range cases {
		sys := newFakeSys("linux", t.TempDir())
		for _, n := range c.installed {
			sys.install(n, available)
		}
		sys.setenv(EnvStrategy, c.strategy)
		rep, err := newTestDetector(sys).Detect(ctxT(t))
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		if rep.Selected.Driver != c.want || rep.Selected.Strategy != c.wantStrat {
			t.Fatalf("%+v: selected %+v", c, rep.Selected)
		}
		if c.wantStrat == StrategyCLI && rep.Selected.Info.Endpoint != rep.Selected.Bin ||
			c.wantStrat == StrategyAPI && rep.Selected.Info.Endpoint != rep.Selected.Host {
			t.Fatalf("%+v: endpoint %+v", c, rep.Selected)
		}
		if c.strategy == "api" && c.installed[0] != Docker {
			i := slices.IndexFunc(rep.Candidates, func(b core.BackendInfo) bool { return b.Name == c.installed[0] })
			if r := rep.Candidates[i].Reason; !strings.Contains(r, "PERRY_CONTAINER_STRATEGY=api") {
				t.Fatalf("reason %q", r)
			}
		}
	}

	// A podman service socket makes podman an API backend.
	sys := newFakeSys("linux", t.TempDir())
	sys.install(Podman, available)
	run := filepath.Join(sys.home, "run")
	sys.setenv("XDG_RUNTIME_DIR", run)
	sys.engine(unixHost(filepath.Join(run, "podman/podman.sock")), "5.8.2")
	rep, err := newTestDetector(sys).Detect(ctxT(t))
	if err != nil || rep.Selected.Strategy != StrategyAPI || rep.Selected.Host != unixHost(filepath.Join(run, "podman/podman.sock")) {
		t.Fatalf("%+v %v", rep.Selected, err)
	}
}

func TestServerFirst(t *testing.T) {
	remote := "tcp://10.1.2.3:2376"
	setup := func(t *testing.T, mode string) *fakeSys {
		sys := newFakeSys("linux", t.TempDir())
		sys.install(Podman, available)
		sys.install(Docker, available)
		sys.setenv("DOCKER_HOST", remote)
		sys.engine(remote, "27.5.1")
		sys.setenv(EnvMode, mode)
		return sys
	}
	t.Run("prefers DOCKER_HOST", func(t *testing.T) {
		rep, err := newTestDetector(setup(t, ModeServerFirst)).Detect(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		s := rep.Selected
		if s.Driver != Docker || s.Info.Mode != ModeRemote || s.Strategy != StrategyAPI || s.Host != remote || s.Info.Version != "27.5.1" /* the engine's: the API route answered */ {
			t.Fatalf("selected %+v", s)
		}
		if rep.Candidates[0].Name != Docker || len(rep.Candidates) != 3 {
			t.Fatalf("candidates %+v", rep.Candidates)
		}
	})
	t.Run("local-first keeps the local order", func(t *testing.T) {
		rep, err := newTestDetector(setup(t, ModeLocalFirst)).Detect(ctxT(t))
		if err != nil || rep.Selected.Driver != Podman || rep.Selected.Info.Mode != ModeLocal {
			t.Fatalf("%+v %v", rep.Selected, err)
		}
	})
	t.Run("unreachable remote falls back to local", func(t *testing.T) {
		sys := setup(t, ModeServerFirst)
		sys.setenv("DOCKER_HOST", "tcp://10.9.9.9:2375")
		sys.cmdErr("Cannot connect to the Docker daemon at tcp://10.9.9.9:2375", 1, "/usr/bin/docker", "version", "--format", "{{.Server.Version}}")
		rep, err := newTestDetector(sys).Detect(ctxT(t))
		if err != nil || rep.Selected.Driver != Podman {
			t.Fatalf("%+v %v", rep.Selected, err)
		}
		if c := rep.Candidates[0]; c.Name != Docker || c.Available || c.Mode != ModeRemote || !strings.Contains(c.Reason, "tcp://10.9.9.9:2375") {
			t.Fatalf("remote candidate %+v", c)
		}
	})
	t.Run("ssh DOCKER_HOST goes through the CLI", func(t *testing.T) {
		sys := setup(t, ModeServerFirst)
		sys.setenv("DOCKER_HOST", "ssh://deploy@build-box")
		rep, err := newTestDetector(sys).Detect(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		s := rep.Selected
		if s.Driver != Docker || s.Strategy != StrategyCLI || s.Info.Mode != ModeRemote || s.Host != "ssh://deploy@build-box" {
			t.Fatalf("selected %+v", s)
		}
	})
	t.Run("remote CONTAINER_HOST", func(t *testing.T) {
		sys := newFakeSys("linux", t.TempDir())
		sys.install(Docker, available)
		sys.setenv(EnvMode, ModeServerFirst)
		sys.setenv("CONTAINER_HOST", "tcp://podman.internal:8080")
		sys.engine("tcp://podman.internal:8080", "5.8.2")
		rep, err := newTestDetector(sys).Detect(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		s := rep.Selected
		if s.Driver != Podman || s.Strategy != StrategyAPI || s.Info.Mode != ModeRemote || s.Host != "tcp://podman.internal:8080" {
			t.Fatalf("selected %+v", s)
		}
	})
	t.Run("no remote configured is local-first", func(t *testing.T) {
		sys := newFakeSys("linux", t.TempDir())
		sys.install(Docker, available)
		sys.setenv(EnvMode, ModeServerFirst)
		rep, err := newTestDetector(sys).Detect(ctxT(t))
		if err != nil || rep.Selected.Driver != Docker || rep.Selected.Info.Mode != ModeLocal || len(rep.Candidates) != 3 {
			t.Fatalf("%+v %v", rep, err)
		}
	})
}

// writeContext creates a docker context the way `docker context create` does.
func writeContext(t *testing.T, configDir, name, host string) {
	t.Helper()
	sum := sha256.Sum256([]byte(name))
	dir := filepath.Join(configDir, "contexts", "meta", hex.EncodeToString(sum[:]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	meta := `{"Name":"` + name + `","Metadata":{"Description":"test"},"Endpoints":{"docker":{"Host":"` + host + `","SkipTLSVerify":false}}}`
	if err := os.WriteFile(filepath.Join(dir, "meta.json"), []byte(meta), 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeConfig(t *testing.T, configDir, current string) {
	t.Helper()
	if err := os.MkdirAll(configDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(configDir, "config.json"), []byte(`{"auths":{},"currentContext":"`+current+`"}`), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDockerContextResolution(t *testing.T) {
	home := t.TempDir()
	cfg := filepath.Join(home, ".docker")
	orb := unixHost(filepath.Join(home, ".orbstack/run/docker.sock"))
	writeContext(t, cfg, "orbstack", orb)
	writeContext(t, cfg, "remote", "tcp://192.0.2.7:2376")
	writeConfig(t, cfg, "orbstack")

	sys := newFakeSys("linux", home)
	check := func(wantHost, wantSource string) {
		t.Helper()
		h, src, err := DockerHost(sys)
		if err != nil || h != wantHost || src != wantSource {
			t.Fatalf("DockerHost = %q, %q, %v; want %q, %q", h, src, err, wantHost, wantSource)
		}
	}
	check(orb, "context orbstack")
	sys.setenv("DOCKER_CONTEXT", "remote")
	check("tcp://192.0.2.7:2376", "context remote")
	sys.setenv("DOCKER_CONTEXT", "default")
	check("unix:///var/run/docker.sock", SourceDefault)
	sys.setenv("DOCKER_HOST", "unix:///tmp/x.sock") // DOCKER_HOST beats any context, as in docker/cli
	check("unix:///tmp/x.sock", SourceDockerHost)
	sys.setenv("DOCKER_HOST", "")
	sys.setenv("DOCKER_CONTEXT", "missing")
	if _, _, err := DockerHost(sys); err == nil || !strings.Contains(err.Error(), `docker context "missing"`) {
		t.Fatalf("missing context: %v", err)
	}
	// DOCKER_CONFIG moves the whole directory.
	other := filepath.Join(home, "elsewhere")
	writeContext(t, other, "desktop-linux", "unix:///home/u/.docker/desktop/docker.sock")
	writeConfig(t, other, "desktop-linux")
	sys.setenv("DOCKER_CONTEXT", "")
	sys.setenv("DOCKER_CONFIG", other)
	check("unix:///home/u/.docker/desktop/docker.sock", "context desktop-linux")

	// Detection follows the context: docker is found on OrbStack's socket.
	sys = newFakeSys("linux", home)
	sys.bin("docker", "/usr/bin/docker")
	sys.cmd("Docker version 28.2.2, build e6534b4", 0, "/usr/bin/docker", "--version")
	sys.engine(orb, "28.0.4")
	rep, err := newTestDetector(sys).Detect(ctxT(t))
	if err != nil || rep.Selected.Driver != Docker || rep.Selected.Host != orb || rep.Selected.Strategy != StrategyAPI {
		t.Fatalf("%+v %v", rep.Selected, err)
	}

	// A remote context in server-first mode is preferred and remote.
	sys = newFakeSys("linux", home)
	sys.install(Podman, available)
	sys.install(Docker, available)
	sys.setenv("DOCKER_CONTEXT", "remote")
	sys.setenv(EnvMode, ModeServerFirst)
	sys.engine("tcp://192.0.2.7:2376", "27.0.0")
	rep, err = newTestDetector(sys).Detect(ctxT(t))
	if err != nil || rep.Selected.Driver != Docker || rep.Selected.Info.Mode != ModeRemote || rep.Selected.Host != "tcp://192.0.2.7:2376" {
		t.Fatalf("%+v %v", rep.Selected, err)
	}

	// A broken config is a reason, not a crash.
	bad := t.TempDir()
	if err := os.MkdirAll(filepath.Join(bad, ".docker"), 0o755); err != nil {
		t.Fatal(err)
	}
	_ = os.WriteFile(filepath.Join(bad, ".docker", "config.json"), []byte("{"), 0o644)
	sys = newFakeSys("linux", bad)
	sys.install(Docker, available)
	_, err = newTestDetector(sys).Detect(ctxT(t))
	e := wantKind(t, err, core.KindNoBackendFound)
	if !strings.Contains(e.Message, "config.json") {
		t.Fatalf("message %q", e.Message)
	}
}

// Runtime-specific probe rules (what "available" means for each runtime).
func TestRuntimeProbes(t *testing.T) {
	t.Run("lima prefers the running default instance", func(t *testing.T) {
		sys := newFakeSys("darwin", t.TempDir())
		sys.install(Lima, available)
		sys.cmd(`{"name":"a","status":"Running"}`+"\n"+`{"name":"default","status":"Running"}`, 0, "/opt/homebrew/bin/limactl", "list", "--json")
		rep, err := newTestDetector(sys).Detect(ctxT(t))
		if err != nil || rep.Selected.Driver != Lima || rep.Selected.Instance != "default" || rep.Selected.Info.Version != "2.2.0" {
			t.Fatalf("%+v %v", rep.Selected, err)
		}
		sys.cmd(`{"name":"a","status":"Running"}`, 0, "/opt/homebrew/bin/limactl", "list", "--json")
		rep, _ = newTestDetector(sys).Detect(ctxT(t))
		if rep.Selected.Instance != "a" {
			t.Fatalf("%+v", rep.Selected)
		}
	})
	t.Run("lima with no instance", func(t *testing.T) {
		sys := newFakeSys("darwin", t.TempDir())
		sys.install(Lima, available)
		sys.cmd("", 0, "/opt/homebrew/bin/limactl", "list", "--json")
		rep, _ := newTestDetector(sys).Detect(ctxT(t))
		if r := rep.Candidates[4]; r.Name != Lima || !strings.Contains(r.Reason, "no Lima instance") {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("colima with containerd runtime", func(t *testing.T) {
		sys := newFakeSys("darwin", t.TempDir())
		sys.install(Colima, available)
		sys.cmd(`{"runtime":"containerd","containerd_socket":"unix:///x/containerd.sock"}`, 0, "/opt/homebrew/bin/colima", "status", "--json")
		rep, _ := newTestDetector(sys).Detect(ctxT(t))
		if r := rep.Candidates[2]; r.Available || !strings.Contains(r.Reason, "containerd runtime") {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("colima stopped", func(t *testing.T) {
		sys := newFakeSys("darwin", t.TempDir())
		sys.install(Colima, broken)
		rep, _ := newTestDetector(sys).Detect(ctxT(t))
		if r := rep.Candidates[2]; r.Available || !strings.Contains(r.Reason, "colima is not running") {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("colima without --json", func(t *testing.T) {
		sys := newFakeSys("darwin", t.TempDir())
		sys.install(Colima, available)
		sys.cmdErr("Error: unknown flag: --json", 1, "/opt/homebrew/bin/colima", "status", "--json")
		sys.cmdErr("INFO[0000] colima is running using QEMU", 0, "/opt/homebrew/bin/colima", "status")
		rep, err := newTestDetector(sys).Detect(ctxT(t))
		if err != nil || rep.Selected.Driver != Colima {
			t.Fatalf("%+v %v", rep.Candidates, err)
		}
	})
	t.Run("orbstack installed but stopped", func(t *testing.T) {
		sys := newFakeSys("darwin", t.TempDir())
		sys.install(OrbStack, broken)
		rep, _ := newTestDetector(sys).Detect(ctxT(t))
		if r := rep.Candidates[1]; r.Available || !strings.Contains(r.Reason, "Stopped") {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("orbstack cli route needs the docker CLI on its socket", func(t *testing.T) {
		sys := newFakeSys("darwin", t.TempDir())
		sys.install(OrbStack, available)
		sys.bin("docker", "/usr/local/bin/docker")
		sys.setenv(EnvStrategy, StrategyCLI)
		rep, _ := newTestDetector(sys).Detect(ctxT(t))
		if r := rep.Candidates[1]; r.Available || !strings.Contains(r.Reason, "the docker CLI targets unix:///var/run/docker.sock") {
			t.Fatalf("%+v", r)
		}
		sys.setenv("DOCKER_HOST", unixHost(filepath.Join(sys.home, ".orbstack/run/docker.sock")))
		rep, err := newTestDetector(sys).Detect(ctxT(t))
		if err != nil || rep.Selected.Driver != OrbStack || rep.Selected.Strategy != StrategyCLI || rep.Selected.Bin != "/usr/local/bin/docker" {
			t.Fatalf("%+v %v", rep.Selected, err)
		}
	})
	t.Run("rancher desktop socket without an API", func(t *testing.T) {
		sys := newFakeSys("darwin", t.TempDir())
		sys.install(RancherDesktop, broken)
		rep, _ := newTestDetector(sys).Detect(ctxT(t))
		if r := rep.Candidates[3]; r.Available || !strings.Contains(r.Reason, "does not answer /_ping") {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("rancher desktop containerd through its nerdctl", func(t *testing.T) {
		sys := newFakeSys("darwin", t.TempDir())
		nerd := filepath.Join(sys.home, ".rd/bin/nerdctl")
		sys.bin(nerd, nerd)
		sys.cmd("nerdctl version 2.0.0", 0, nerd, "--version")
		sys.cmd("Server: ...", 0, nerd, "info")
		rep, err := newTestDetector(sys).Detect(ctxT(t))
		if err != nil || rep.Selected.Driver != RancherDesktop || rep.Selected.Strategy != StrategyCLI || rep.Selected.Bin != nerd {
			t.Fatalf("%+v %v", rep.Selected, err)
		}
	})
	t.Run("podman on macOS needs a running machine", func(t *testing.T) {
		sys := newFakeSys("darwin", t.TempDir())
		sys.install(Podman, broken)
		rep, _ := newTestDetector(sys).Detect(ctxT(t))
		if r := rep.Candidates[5]; r.Available || !strings.Contains(r.Reason, "no running podman machine") {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("apple/container services stopped", func(t *testing.T) {
		sys := newFakeSys("darwin", t.TempDir())
		sys.install(AppleContainer, broken)
		rep, _ := newTestDetector(sys).Detect(ctxT(t))
		if r := rep.Candidates[0]; r.Available || !strings.Contains(r.Reason, "container system start") {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("apple/container is a MicroVm", func(t *testing.T) {
		sys := newFakeSys("darwin", t.TempDir())
		sys.install(AppleContainer, available)
		rep, _ := newTestDetector(sys).Detect(ctxT(t))
		if s := rep.Selected; s.Info.IsolationLevel != core.IsolationMicroVM || s.Info.Version != "0.12.3" {
			t.Fatalf("%+v", s)
		}
	})
	t.Run("nerdctl without containerd", func(t *testing.T) {
		sys := newFakeSys("linux", t.TempDir())
		sys.install(Nerdctl, broken)
		rep, _ := newTestDetector(sys).Detect(ctxT(t))
		if r := rep.Candidates[1]; r.Available || !strings.Contains(r.Reason, "containerd is not reachable") {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("docker desktop per-user socket on macOS", func(t *testing.T) {
		sys := newFakeSys("darwin", t.TempDir())
		sys.bin("docker", "/usr/local/bin/docker")
		sys.cmd("Docker version 28.0.0", 0, "/usr/local/bin/docker", "--version")
		sys.engine(unixHost(filepath.Join(sys.home, ".docker/run/docker.sock")), "28.0.0")
		rep, err := newTestDetector(sys).Detect(ctxT(t))
		if err != nil || rep.Selected.Driver != Docker || rep.Selected.Host != unixHost(filepath.Join(sys.home, ".docker/run/docker.sock")) {
			t.Fatalf("%+v %v", rep.Selected, err)
		}
	})
	t.Run("docker socket without CLI", func(t *testing.T) {
		sys := newFakeSys("linux", t.TempDir())
		sys.engine("unix:///var/run/docker.sock", "20.10.24")
		rep, err := newTestDetector(sys).Detect(ctxT(t))
		if err != nil || rep.Selected.Strategy != StrategyAPI || rep.Selected.Info.Version != "20.10.24" || rep.Selected.Bin != "" {
			t.Fatalf("%+v %v", rep.Selected, err)
		}
	})
}

func TestBackendFactoryErrorNotCached(t *testing.T) {
	sys := newFakeSys("linux", t.TempDir())
	sys.install(Docker, available)
	fail := true
	d := New(sys, WithFactory(func(sel Selection) (backend.Backend, error) {
		if fail {
			return nil, errors.New("socket vanished")
		}
		return &named{Backend: fake.New(), sel: sel}, nil
	}))
	_, err := d.Backend(ctxT(t))
	e := wantKind(t, err, core.KindBackendNotAvailable)
	if !strings.Contains(e.Message, "socket vanished") {
		t.Fatal(e.Message)
	}
	fail = false
	b, err := d.Backend(ctxT(t))
	if err != nil || b.Name() != Docker {
		t.Fatalf("%v %v", b, err)
	}
}

func TestProbeAllReportsEveryCandidate(t *testing.T) {
	sys := newFakeSys("linux", t.TempDir())
	sys.install(Podman, available)
	sys.install(Docker, available)
	rep, err := newTestDetector(sys).ProbeAll(ctxT(t))
	if err != nil || rep.Selected.Driver != Podman {
		t.Fatalf("%+v %v", rep, err)
	}
	if !rep.Candidates[0].Available || !rep.Candidates[2].Available || rep.Candidates[1].Available {
		t.Fatalf("%+v", rep.Candidates)
	}
}

func TestHelpers(t *testing.T) {
	for in, want := range map[string]string{
		"Docker version 28.2.2, build e6534b4":                  "28.2.2",
		"podman version 5.0.0-dev":                              "5.0.0-dev",
		"container CLI version 0.12.3 (build: release, commit)": "0.12.3",
		"colima version v0.10.3\ngit commit: x":                 "0.10.3",
		"weird":                                                 "weird",
	} {
		if got := parseVersion(in); got != want {
			t.Errorf("parseVersion(%q) = %q, want %q", in, got, want)
		}
	}
	for host, want := range map[string][2]string{
		"unix:///var/run/docker.sock":    {"unix", "/var/run/docker.sock"},
		"tcp://10.0.0.1":                 {"tcp", "10.0.0.1:2375"},
		"tcp://10.0.0.1:2376":            {"tcp", "10.0.0.1:2376"},
		"https://h":                      {"tcp", "h:2376"},
		"npipe:////./pipe/docker_engine": {"npipe", `\\.\pipe\docker_engine`},
	} {
		n, a, err := hostAddr(host)
		if err != nil || n != want[0] || a != want[1] {
			t.Errorf("hostAddr(%q) = %q %q %v", host, n, a, err)
		}
	}
	for _, bad := range []string{"ssh://u@h", "fd://", "/var/run/docker.sock"} {
		if _, _, err := hostAddr(bad); err == nil {
			t.Errorf("hostAddr(%q) accepted", bad)
		}
	}
	for host, remote := range map[string]bool{
		"tcp://127.0.0.1:2375": true, "ssh://h": true, "https://h": true,
		"unix:///x": false, "npipe:////./pipe/x": false, "": false,
	} {
		if IsRemoteHost(host) != remote {
			t.Errorf("IsRemoteHost(%q) != %v", host, remote)
		}
	}
	recs, err := decodeRecords[limaInstance]([]byte("{\"name\":\"a\",\"status\":\"Running\"}\n[{\"name\":\"b\"}]\n"))
	if err != nil || len(recs) != 2 || recs[1].Name != "b" {
		t.Fatalf("%+v %v", recs, err)
	}
	if _, err := decodeRecords[limaInstance]([]byte("{oops")); err == nil {
		t.Fatal("decodeRecords accepted garbage")
	}
}
