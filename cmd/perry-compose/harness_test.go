package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/api"
	"github.com/perryts/perry-container/compose/engine"
	"github.com/perryts/perry-container/core"
	"github.com/perryts/perry-container/internal/testenv"
)

// The end-to-end harness: the perry-compose binary, built once per test
// run, driven against the real engine. Every project is named
// perrytest<random>, uses only perry-test/busybox:latest, and is removed
// in t.Cleanup by `down -v` plus a sweep of everything carrying its
// com.docker.compose.project label. PERRY_SKIP_ENGINE_TESTS=1 skips these
// tests; an engine that does not answer fails them.

const testImage = testenv.Image

var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	flag.Parse()
	// The engine tests mostly wait on the engine: run more of them at once
	// than the default GOMAXPROCS, unless -parallel was given.
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		_ = flag.Set("test.parallel", "4")
	}
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binary builds perry-compose once.
func binary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "perry-compose-test-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "perry-compose")
		cmd := exec.Command("go", "build", "-o", binPath, ".")
		out, err := cmd.CombinedOutput()
		if err != nil {
			binErr = &buildError{err: err, out: string(out)}
		}
	})
	if binErr != nil {
		t.Fatalf("building perry-compose: %v", binErr)
	}
	return binPath
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

// stack is one test project on the real engine.
type stack struct {
	t    *testing.T
	b    *api.Backend
	bin  string
	name string
	dir  string
}

// newStack prepares a project named perrytest<tag><random> run from dir
// (a fresh directory holding composeYAML when dir is "").
func newStack(t *testing.T, tag, dir, composeYAML string) *stack {
	t.Helper()
	b := testenv.RequireEngine(t)
	bin := binary(t)
	if dir == "" {
		dir = t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(composeYAML), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var r [4]byte
	_, _ = rand.Read(r[:])
	s := &stack{t: t, b: b, bin: bin, name: "perrytest" + tag + hex.EncodeToString(r[:]), dir: dir}
	t.Cleanup(s.cleanup)
	return s
}

// cleanup is `down -v` and a sweep of whatever still has the label.
func (s *stack) cleanup() {
	s.runEnv(nil, "down", "-v", "--remove-orphans", "-t", "0", "--rmi", "local")
	sweep(s.t, s.b, s.name)
}

func sweep(t *testing.T, b *api.Backend, project string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	labels := map[string]string{engine.LabelProject: project}
	if cs, err := b.List(ctx, backend.ListOptions{All: true, Labels: labels}); err == nil {
		for _, c := range cs {
			if err := b.Remove(ctx, c.ID, true); err != nil {
				t.Logf("sweep: container %s: %v", c.Name, err)
			}
		}
	}
	if ns, err := b.ListNetworks(ctx, labels); err == nil {
		for _, n := range ns {
			if err := b.RemoveNetwork(ctx, n.Name); err != nil {
				t.Logf("sweep: network %s: %v", n.Name, err)
			}
		}
	}
	if vs, err := b.ListVolumes(ctx, labels); err == nil {
		for _, v := range vs {
			if err := b.RemoveVolume(ctx, v.Name, true); err != nil {
				t.Logf("sweep: volume %s: %v", v.Name, err)
			}
		}
	}
	if imgs, err := b.ListImages(ctx); err == nil {
		for _, img := range imgs {
			if strings.HasPrefix(img.Repository, project+"-") {
				_ = b.RemoveImage(ctx, img.Repository+":"+img.Tag, true)
			}
		}
	}
}

type result struct {
	stdout, stderr string
	code           int
}

func (r result) out() string { return r.stdout + r.stderr }

// command returns the exec.Cmd of perry-compose -p <name> args…, from the
// stack's directory, with a clean COMPOSE_* environment plus env.
func (s *stack) command(ctx context.Context, env map[string]string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, s.bin, append([]string{"-p", s.name}, args...)...)
	cmd.Dir = s.dir
	cmd.Env = testEnv(env)
	return cmd
}

// testEnv is the process environment without what would change a
// project's meaning, plus env.
func testEnv(env map[string]string) []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "COMPOSE_"), strings.HasPrefix(k, "PERRY_CONTAINER_"),
			k == "WHEREAMI", k == "SUBNET", k == "VOL_LABEL", k == "CI", k == "NO_COLOR":
			continue
		}
		out = append(out, kv)
	}
	out = append(out, "PERRY_CONTAINER_BACKEND=docker", "PERRY_NO_INSTALL_PROMPT=1")
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

func (s *stack) runEnv(env map[string]string, args ...string) result {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := s.command(ctx, env, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			s.t.Fatalf("running perry-compose %v: %v", args, err)
		}
		code = ee.ExitCode()
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

func (s *stack) run(args ...string) result { s.t.Helper(); return s.runEnv(nil, args...) }

// must runs a command that must exit 0.
func (s *stack) must(args ...string) result {
	s.t.Helper()
	r := s.run(args...)
	if r.code != 0 {
		s.t.Fatalf("perry-compose %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// containers lists the project's containers (one-off ones too).
func (s *stack) containers() []core.ContainerInfo {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cs, err := s.b.List(ctx, backend.ListOptions{All: true, Labels: map[string]string{engine.LabelProject: s.name}})
	if err != nil {
		s.t.Fatal(err)
	}
	return cs
}

// byService groups the project's (non one-off) containers by service.
func (s *stack) byService() map[string][]core.ContainerInfo {
	out := map[string][]core.ContainerInfo{}
	for _, c := range s.containers() {
		if c.Labels[engine.LabelOneoff] == "True" {
			continue
		}
		svc := c.Labels[engine.LabelService]
		out[svc] = append(out[svc], c)
	}
	return out
}

// state is the state of a service's single container ("" when none).
func (s *stack) state(service string) string {
	cs := s.byService()[service]
	if len(cs) == 0 {
		return ""
	}
	if len(cs) > 1 {
		s.t.Fatalf("service %s has %d containers", service, len(cs))
	}
	return cs[0].State
}

// ids maps services to their container ids.
func (s *stack) ids() map[string]string {
	out := map[string]string{}
	for svc, cs := range s.byService() {
		out[svc] = cs[0].ID
	}
	return out
}

// leftovers counts the project's containers, networks and volumes.
func (s *stack) leftovers() (int, int, int) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	labels := map[string]string{engine.LabelProject: s.name}
	cs, err := s.b.List(ctx, backend.ListOptions{All: true, Labels: labels})
	if err != nil {
		s.t.Fatal(err)
	}
	ns, err := s.b.ListNetworks(ctx, labels)
	if err != nil {
		s.t.Fatal(err)
	}
	vs, err := s.b.ListVolumes(ctx, labels)
	if err != nil {
		s.t.Fatal(err)
	}
	return len(cs), len(ns), len(vs)
}

// psJSON parses ps --format json.
func (s *stack) psJSON(args ...string) []map[string]any {
	s.t.Helper()
	r := s.must(append([]string{"ps", "--format", "json"}, args...)...)
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			s.t.Fatalf("ps --format json: line %q is not a JSON object: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}
