package fault

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/api"
)

const (
	testImage    = "perry-test/busybox:latest"
	dockerSocket = "/var/run/docker.sock"
	labelProject = "com.docker.compose.project"
)

// engineOrSkip returns the real engine through the Engine API (used for
// sweeps and checks, never faulted), skipping under PERRY_SKIP_ENGINE_TESTS.
func engineOrSkip(t *testing.T) *api.Backend {
	t.Helper()
	if os.Getenv("PERRY_SKIP_ENGINE_TESTS") == "1" {
		t.Skip("PERRY_SKIP_ENGINE_TESTS=1")
	}
	b, err := api.New("unix://"+dockerSocket, "docker")
	if err != nil {
		t.Fatalf("Engine API backend: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := b.Check(ctx); err != nil {
		t.Fatalf("the Docker engine does not answer (PERRY_SKIP_ENGINE_TESTS=1 skips): %v", err)
	}
	if _, err := b.InspectImage(ctx, testImage); err != nil {
		t.Fatalf("test image %s is missing (make test-image; tests never pull): %v", testImage, err)
	}
	return b
}

func randomName(prefix string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// leftovers lists what carries the project's label on the real engine.
func leftovers(t *testing.T, b backend.Backend, project string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	labels := map[string]string{labelProject: project}
	var out []string
	cs, err := b.List(ctx, backend.ListOptions{All: true, Labels: labels})
	if err != nil {
		t.Fatalf("sweep: %v", err)
	}
	for _, c := range cs {
		out = append(out, "container "+c.Name)
	}
	ns, err := b.ListNetworks(ctx, labels)
	if err != nil {
		t.Fatalf("sweep: %v", err)
	}
	for _, n := range ns {
		out = append(out, "network "+n.Name)
	}
	vs, err := b.ListVolumes(ctx, labels)
	if err != nil {
		t.Fatalf("sweep: %v", err)
	}
	for _, v := range vs {
		out = append(out, "volume "+v.Name)
	}
	return out
}

// sweep removes whatever carries the label key=value (containers first).
func sweep(b backend.Backend, key, value string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	labels := map[string]string{key: value}
	if cs, err := b.List(ctx, backend.ListOptions{All: true, Labels: labels}); err == nil {
		for _, c := range cs {
			_ = b.Remove(ctx, c.ID, true)
		}
	}
	if ns, err := b.ListNetworks(ctx, labels); err == nil {
		for _, n := range ns {
			_ = b.RemoveNetwork(ctx, n.Name)
		}
	}
	if vs, err := b.ListVolumes(ctx, labels); err == nil {
		for _, v := range vs {
			_ = b.RemoveVolume(ctx, v.Name, true)
		}
	}
}

// ---- the fake runtime CLI -------------------------------------------------

// fakeCLI is a script named docker that forwards to the real docker and
// misbehaves on its k-th call: fail (exit 1 with a message, nothing done),
// hang (never answers), garbage (prints garbage, exit 0, nothing done) or
// lost (runs the real command, then prints garbage instead of its output).
// Calls are counted across concurrent invocations under flock.
type fakeCLI struct {
	dir  string
	path string
}

const fakeCLIScript = `#!/bin/bash
# perry-container fault injection: a docker CLI that forwards to the real one.
dir=%q
real=%q
exec 9>>"$dir/lock"
flock 9
n=$(( $(cat "$dir/count" 2>/dev/null || echo 0) + 1 ))
echo "$n" > "$dir/count"
k=$(cat "$dir/k" 2>/dev/null || echo 0)
mode=$(cat "$dir/mode" 2>/dev/null || echo none)
printf '%%s\t%%s\n' "$n" "$*" >> "$dir/log"
flock -u 9
exec 9>&-
if [ "$n" = "$k" ]; then
  case "$mode" in
    fail) echo "perry-fault: injected failure of call $n" >&2; exit 1 ;;
    hang) exec sleep 3600 ;;
    garbage) printf '\377\000garbage{[not json\n'; exit 0 ;;
    lost) "$real" "$@" >/dev/null 2>&1; printf 'garbage{\n'; exit 0 ;;
  esac
fi
exec "$real" "$@"
`

func newFakeCLI(t *testing.T) *fakeCLI {
	t.Helper()
	real, err := exec.LookPath("docker")
	if err != nil {
		t.Fatalf("the docker CLI is not in PATH: %v", err)
	}
	if _, err := exec.LookPath("flock"); err != nil {
		t.Skip("flock (util-linux) is not installed")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(bin, "docker")
	if err := os.WriteFile(path, []byte(fmt.Sprintf(fakeCLIScript, dir, real)), 0o755); err != nil {
		t.Fatal(err)
	}
	return &fakeCLI{dir: dir, path: path}
}

// arm makes call k misbehave with mode (k = 0: never) and resets the count.
func (f *fakeCLI) arm(t *testing.T, k int, mode string) {
	t.Helper()
	for name, v := range map[string]string{"k": strconv.Itoa(k), "mode": mode, "count": "0", "log": ""} {
		if err := os.WriteFile(filepath.Join(f.dir, name), []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func (f *fakeCLI) count() int {
	b, _ := os.ReadFile(filepath.Join(f.dir, "count"))
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

// call returns the argv of call n as logged.
func (f *fakeCLI) call(n int) string {
	b, _ := os.ReadFile(filepath.Join(f.dir, "log"))
	for _, line := range strings.Split(string(b), "\n") {
		if num, rest, ok := strings.Cut(line, "\t"); ok && num == strconv.Itoa(n) {
			return rest
		}
	}
	return ""
}

// ---- the Engine API proxy ---------------------------------------------------

// faultProxy sits on a unix socket between the API backend and the engine.
// Its k-th request: fail (a 500 with a message, not forwarded), cut (the
// connection closed, not forwarded), lost (forwarded, then the connection
// closed without the response), delay (forwarded after delay) or hang
// (held until the client gives up).
type faultProxy struct {
	socket string
	srv    *http.Server
	n      atomic.Int64
	mu     sync.Mutex
	k      int64
	mode   string
	delay  time.Duration
	log    []string
	hook   func(n int64) // called with every request's number
}

func newFaultProxy(t *testing.T) *faultProxy {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "perry-fault-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	p := &faultProxy{socket: filepath.Join(dir, "docker.sock")}
	ln, err := net.Listen("unix", p.socket)
	if err != nil {
		t.Fatal(err)
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(&url.URL{Scheme: "http", Host: "docker"})
			r.Out.Host = "docker"
		},
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "unix", dockerSocket)
			},
			DisableCompression: true,
		},
		FlushInterval: -1,
		ErrorLog:      nil,
	}
	p.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := p.n.Add(1)
		p.mu.Lock()
		p.log = append(p.log, r.Method+" "+r.URL.Path)
		k, mode, delay, hook := p.k, p.mode, p.delay, p.hook
		p.mu.Unlock()
		if hook != nil {
			hook(n)
		}
		if n != k {
			rp.ServeHTTP(w, r)
			return
		}
		switch mode {
		case "fail":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, `{"message":"perry-fault: injected failure of request `+strconv.FormatInt(n, 10)+`"}`)
		case "cut":
			hijackClose(w)
		case "lost":
			rec := httptest.NewRecorder()
			rp.ServeHTTP(rec, r)
			hijackClose(w)
		case "delay":
			time.Sleep(delay)
			rp.ServeHTTP(w, r)
		case "hang":
			<-r.Context().Done()
		default:
			rp.ServeHTTP(w, r)
		}
	})}
	go func() { _ = p.srv.Serve(ln) }()
	t.Cleanup(func() { _ = p.srv.Close() })
	return p
}

func hijackClose(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if c, _, err := hj.Hijack(); err == nil {
			_ = c.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

func (p *faultProxy) arm(k int64, mode string, delay time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n.Store(0)
	p.k, p.mode, p.delay, p.log, p.hook = k, mode, delay, nil, nil
}

func (p *faultProxy) count() int64 { return p.n.Load() }

func (p *faultProxy) request(n int64) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n >= 1 && int(n) <= len(p.log) {
		return p.log[n-1]
	}
	return ""
}

func (p *faultProxy) setHook(h func(int64)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hook = h
}

func (p *faultProxy) host() string { return "unix://" + p.socket }

// newAPIBackend is the library's Engine API backend through the proxy.
func (p *faultProxy) backend(t *testing.T) *api.Backend {
	t.Helper()
	b, err := api.New(p.host(), "docker")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// execOutput runs argv in a container through the real engine's CLI.
func dockerOutput(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("docker", args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// sweepPrefix removes every perry.test resource whose project starts with prefix.
func sweepPrefix(b backend.Backend, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	seen := map[string]bool{}
	cs, _ := b.List(ctx, backend.ListOptions{All: true, Labels: map[string]string{"perry.test": "1"}})
	ns, _ := b.ListNetworks(ctx, map[string]string{"perry.test": "1"})
	vs, _ := b.ListVolumes(ctx, map[string]string{"perry.test": "1"})
	for _, c := range cs {
		seen[c.Labels[labelProject]] = true
	}
	for _, n := range ns {
		seen[n.Labels[labelProject]] = true
	}
	for _, v := range vs {
		seen[v.Labels[labelProject]] = true
	}
	for p := range seen {
		if p != "" && strings.HasPrefix(p, prefix) {
			sweep(b, labelProject, p)
		}
	}
}
