package detect

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perryts/perry-container/core"
	"github.com/perryts/perry-container/internal/testenv"
)

func TestOSRun(t *testing.T) {
	sys := OS()
	out, errOut, code, err := sys.Run(ctxT(t), []string{"sh", "-c", "echo out; echo err >&2; exit 3"})
	if err != nil || code != 3 || string(out) != "out\n" || string(errOut) != "err\n" {
		t.Fatalf("Run = %q %q %d %v", out, errOut, code, err)
	}
	if _, _, _, err := sys.Run(ctxT(t), []string{"/nonexistent/perry-no-such-binary"}); err == nil {
		t.Fatal("a missing binary ran")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, _, _, err := sys.Run(ctx, []string{"sleep", "10"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a hanging command was not cut: %v", err)
	}
}

// engineHandler imitates the two endpoints the ping uses.
func engineHandler(version string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/_ping", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("OK")) })
	mux.HandleFunc("/version", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"Version":"` + version + `","ApiVersion":"1.47"}`))
	})
	return mux
}

func serveUnix(t *testing.T, h http.Handler) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "d.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return path
}

func TestOSPingDocker(t *testing.T) {
	sys := OS()
	sock := serveUnix(t, engineHandler("99.1.0"))
	if v, err := sys.PingDocker(ctxT(t), unixHost(sock)); err != nil || v != "99.1.0" {
		t.Fatalf("unix ping = %q, %v", v, err)
	}
	tcp := httptest.NewServer(engineHandler("98.0.0"))
	defer tcp.Close()
	tcpHost := "tcp://" + strings.TrimPrefix(tcp.URL, "http://")
	if v, err := sys.PingDocker(ctxT(t), tcpHost); err != nil || v != "98.0.0" {
		t.Fatalf("tcp ping = %q, %v", v, err)
	}
	// Docker's ping names the version in its Server header: /version is
	// then not asked (its handler here would say otherwise).
	docker := http.NewServeMux()
	docker.HandleFunc("/_ping", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Server", "Docker/20.10.24+dfsg1 (linux)")
		_, _ = w.Write([]byte("OK"))
	})
	docker.HandleFunc("/version", func(w http.ResponseWriter, _ *http.Request) {
		t.Error("/version asked although the ping named the version")
	})
	if v, err := sys.PingDocker(ctxT(t), unixHost(serveUnix(t, docker))); err != nil || v != "20.10.24+dfsg1" {
		t.Fatalf("ping with a Server header = %q, %v", v, err)
	}
	notDocker := serveUnix(t, http.NotFoundHandler())
	if _, err := sys.PingDocker(ctxT(t), unixHost(notDocker)); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("a non-Docker socket answered: %v", err)
	}
	if _, err := sys.PingDocker(ctxT(t), unixHost(filepath.Join(t.TempDir(), "none.sock"))); err == nil {
		t.Fatal("a missing socket answered")
	}
	if _, err := sys.PingDocker(ctxT(t), "ssh://u@h"); err == nil {
		t.Fatal("ssh was dialled")
	}

	// Detection over the real OS reaches a Docker API on a socket given by
	// DOCKER_HOST, with no docker CLI needed.
	t.Setenv("DOCKER_HOST", unixHost(sock))
	t.Setenv(EnvBackend, "docker")
	t.Setenv(EnvMode, "")
	t.Setenv(EnvStrategy, "api")
	rep, err := newTestDetector(OS()).Detect(ctxT(t))
	if err != nil || rep.Selected.Host != unixHost(sock) || rep.Selected.Strategy != StrategyAPI {
		t.Fatalf("%+v %v", rep.Selected, err)
	}
}

func TestOSDockerTLSNeedsValidCerts(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("DOCKER_TLS_VERIFY", "1")
	t.Setenv("DOCKER_CERT_PATH", dir)
	_ = os.WriteFile(filepath.Join(dir, "cert.pem"), []byte("junk"), 0o600)
	_ = os.WriteFile(filepath.Join(dir, "key.pem"), []byte("junk"), 0o600)
	if _, err := OS().PingDocker(ctxT(t), "tcp://127.0.0.1:1"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("bad client certificate accepted: %v", err)
	}
}

// TestIntegrationRealEngine detects on this machine, through OS(): the
// Docker Engine at /var/run/docker.sock over the API, then builds the
// backend with the default factory and checks that it answers. It asks for
// docker by name: podman and nerdctl, when installed, come first on Linux
// (TestIntegrationSeveralRuntimes). PERRY_SKIP_ENGINE_TESTS=1 skips it.
func TestIntegrationRealEngine(t *testing.T) {
	testenv.RequireEngine(t)
	for _, k := range []string{EnvMode, EnvStrategy} {
		t.Setenv(k, "")
	}
	t.Setenv(EnvBackend, Docker)
	sys := OS()
	wantHost, _, err := DockerHost(sys)
	if err != nil {
		t.Fatal(err)
	}
	d := New(sys)
	rep, err := d.Detect(ctxT(t))
	if err != nil {
		t.Fatalf("detection failed on this machine: %v", err)
	}
	if data, err := json.MarshalIndent(rep, "", "  "); err == nil {
		t.Logf("report on this machine: %s", data)
	}
	sel := rep.Selected
	if sel.Driver != Docker || sel.Strategy != StrategyAPI || sel.Host != wantHost || !sel.Info.Available ||
		sel.Info.Version == "" || sel.Info.IsolationLevel != core.IsolationContainer {
		t.Fatalf("selected %+v", sel)
	}
	if wantHost == "unix:///var/run/docker.sock" && sel.Info.Mode != ModeLocal {
		t.Fatalf("mode %q", sel.Info.Mode)
	}
	b, err := d.Backend(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if b.Name() != Docker {
		t.Fatalf("backend %q", b.Name())
	}
	if err := b.Check(ctxT(t)); err != nil {
		t.Fatalf("the engine does not answer through the built backend: %v", err)
	}
	if b2, _ := d.Backend(ctxT(t)); b2 != b {
		t.Fatal("backend not cached")
	}
}
