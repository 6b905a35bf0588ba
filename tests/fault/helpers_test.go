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
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/api"
	"github.com/perryts/perry-container/internal/testenv"
)

const (
	testImage    = testenv.Image
	dockerSocket = "/var/run/docker.sock"
	labelProject = "com.docker.compose.project"
)

// realEngine returns the real engine through the Engine API on the socket the
// proxy forwards to (used for sweeps and checks, never faulted).
func realEngine(t *testing.T) *api.Backend {
	t.Helper()
	return testenv.RequireEngineAt(t, "unix://"+dockerSocket)
}

func randomName(prefix string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// leftovers lists what carries the project's label on the real engine. It
// reports with Errorf: the matrix calls it from its own goroutines.
func leftovers(t *testing.T, b backend.Backend, project string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	labels := map[string]string{labelProject: project}
	var out []string
	cs, err := b.List(ctx, backend.ListOptions{All: true, Labels: labels})
	if err != nil {
		t.Errorf("sweep of %s: %v", project, err)
		return append(out, "unknown: the sweep failed")
	}
	for _, c := range cs {
		out = append(out, "container "+c.Name)
	}
	ns, err := b.ListNetworks(ctx, labels)
	if err != nil {
		t.Errorf("sweep of %s: %v", project, err)
		return append(out, "unknown: the sweep failed")
	}
	for _, n := range ns {
		out = append(out, "network "+n.Name)
	}
	vs, err := b.ListVolumes(ctx, labels)
	if err != nil {
		t.Errorf("sweep of %s: %v", project, err)
		return append(out, "unknown: the sweep failed")
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
// Calls are counted across concurrent invocations under flock; every
// misbehaviour is recorded in the file fired. A disabled fakeCLI counts but
// never misbehaves: the matrix must notice (see TestMatrixCatchesAnInertInjector).
type fakeCLI struct {
	dir      string
	path     string
	disabled bool
}

const fakeCLIScript = `#!/bin/bash
# perry-container fault injection: a docker CLI that forwards to the real one.
dir=%q
real=%q
exec 9>>"$dir/lock"
flock 9
n=$(( $(cat "$dir/count" 2>/dev/null || echo 0) + 1 ))
# Replaced by a rename, never rewritten in place: the engine kills the CLI
# calls still running when an up fails, and one killed between truncating
# and writing the file left it empty, so the count restarted at 1.
echo "$n" > "$dir/count.$$" && mv -f "$dir/count.$$" "$dir/count"
k=$(cat "$dir/k" 2>/dev/null || echo 0)
mode=$(cat "$dir/mode" 2>/dev/null || echo none)
printf '%%s\t%%s\n' "$n" "$*" >> "$dir/log"
flock -u 9
exec 9>&-
if [ "$n" = "$k" ] && [ "$mode" != none ]; then
  echo "$n" >> "$dir/fired"
  case "$mode" in
    fail) echo "perry-fault: injected failure of call $n" >&2; exit 1 ;;
    hang) exec sleep 3600 ;;
    garbage) printf '\377\000garbage{[not json\n'; exit 0 ;;
    lost) "$real" "$@" >/dev/null 2>&1; printf 'garbage{\n'; exit 0 ;;
    *) echo "perry-fault: unknown mode $mode" >&2; exit 97 ;;
  esac
fi
exec "$real" "$@"
`

func newFakeCLI(t *testing.T, disabled bool) *fakeCLI {
	t.Helper()
	real, err := exec.LookPath("docker")
	if err != nil {
		t.Fatalf("the docker CLI is not in PATH: %v", err)
	}
	return fakeCLIFor(t, "docker", real, disabled)
}

// fakeCLIFor is newFakeCLI for another runtime's CLI (name), forwarding to
// its binary real.
func fakeCLIFor(t *testing.T, name, real string, disabled bool) *fakeCLI {
	t.Helper()
	if _, err := exec.LookPath("flock"); err != nil {
		t.Skip("flock (util-linux) is not installed: the fake CLI counts its concurrent calls under it")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(bin, name)
	if err := os.WriteFile(path, []byte(fmt.Sprintf(fakeCLIScript, dir, real)), 0o755); err != nil {
		t.Fatal(err)
	}
	return &fakeCLI{dir: dir, path: path, disabled: disabled}
}

// Each injector's modes. Arming another is refused: an unknown mode (a typo
// in PERRY_FAULT_MODES) would count as fired yet forward the call, and every
// up would look like it rode the fault out.
var (
	cliModes = []string{"none", "fail", "hang", "garbage", "lost"}
	apiModes = []string{"none", "fail", "cut", "lost", "delay", "hang"}
)

// checkMode refuses a mode the injector does not know.
func checkMode(injector string, known []string, mode string) error {
	if !slices.Contains(known, mode) {
		return fmt.Errorf("the %s injector has no fault mode %q (it knows %s)", injector, mode, strings.Join(known, ", "))
	}
	return nil
}

// arm makes call k misbehave with mode (k = 0: never) and resets the counts.
func (f *fakeCLI) arm(t *testing.T, k int, mode string) {
	t.Helper()
	if err := checkMode("cli", cliModes, mode); err != nil {
		t.Fatal(err)
	}
	if f.disabled {
		mode = "none"
	}
	for name, v := range map[string]string{"k": strconv.Itoa(k), "mode": mode, "count": "0", "log": "", "fired": ""} {
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

// fired is how many calls misbehaved since arm.
func (f *fakeCLI) fired() int {
	b, _ := os.ReadFile(filepath.Join(f.dir, "fired"))
	return strings.Count(string(b), "\n")
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
// (held until the client gives up). A disabled proxy counts but forwards
// every request untouched.
type faultProxy struct {
	socket   string
	srv      *http.Server
	disabled bool
	n        atomic.Int64
	fired    atomic.Int64
	mu       sync.Mutex
	k        int64
	mode     string
	delay    time.Duration
	log      []string
}

func newFaultProxy(t *testing.T, disabled bool) *faultProxy {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "perry-fault-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	p := &faultProxy{socket: filepath.Join(dir, "docker.sock"), disabled: disabled}
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
		k, mode, delay := p.k, p.mode, p.delay
		p.mu.Unlock()
		if n != k || mode == "none" {
			rp.ServeHTTP(w, r)
			return
		}
		p.fired.Add(1)
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
		case "delay": // a slow engine: the wait is the fault itself
			select {
			case <-time.After(delay):
				rp.ServeHTTP(w, r)
			case <-r.Context().Done():
			}
		case "hang":
			<-r.Context().Done()
		default: // arm refuses other modes; never forward as if ridden out
			http.Error(w, "perry-fault: unknown mode "+mode, http.StatusInternalServerError)
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

func (p *faultProxy) arm(t *testing.T, k int64, mode string, delay time.Duration) {
	t.Helper()
	if err := checkMode("api", apiModes, mode); err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.disabled {
		mode = "none"
	}
	p.n.Store(0)
	p.fired.Store(0)
	p.k, p.mode, p.delay, p.log = k, mode, delay, nil
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
