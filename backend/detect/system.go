package detect

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// System is every contact detection has with the machine. Detection never
// touches the OS except through it, so tests can simulate any platform and
// any mix of installed runtimes (and assert what was, and was not, probed).
// Implementations must be safe for concurrent use: probes run in parallel.
type System interface {
	// GOOS is the platform whose candidate list applies ("darwin", "linux", …).
	GOOS() string
	Getenv(key string) string
	HomeDir() (string, error)
	// LookPath resolves a command name through PATH, or checks an absolute
	// path, as exec.LookPath does.
	LookPath(file string) (string, error)
	ReadFile(name string) ([]byte, error)
	// Run executes argv (never through a shell). A non-zero exit is reported
	// in exitCode with err == nil; err is for a command that could not run
	// at all or was cut off by ctx.
	Run(ctx context.Context, argv []string) (stdout, stderr []byte, exitCode int, err error)
	// Dial opens a connection ("unix", "tcp", or "npipe" on Windows); the
	// detector only checks that a socket accepts and closes it at once.
	Dial(ctx context.Context, network, addr string) (net.Conn, error)
	// PingDocker asks the Docker Engine API at host (a DOCKER_HOST URL such
	// as unix:///var/run/docker.sock or tcp://h:2376) for GET /_ping and
	// returns the engine version when GET /version tells it ("" otherwise).
	// An error means the host is not a working Docker-compatible API.
	PingDocker(ctx context.Context, host string) (version string, err error)
}

// OS is the real System of this process.
func OS() System { return osSystem{} }

type osSystem struct{}

func (osSystem) GOOS() string                         { return runtime.GOOS }
func (osSystem) Getenv(key string) string             { return os.Getenv(key) }
func (osSystem) HomeDir() (string, error)             { return os.UserHomeDir() }
func (osSystem) LookPath(file string) (string, error) { return exec.LookPath(file) }
func (osSystem) ReadFile(name string) ([]byte, error) { return os.ReadFile(name) }

// maxOutput caps what a probe keeps of a command's output: probes read
// version lines and small JSON documents, and a runaway tool must not make
// detection allocate without bound.
const maxOutput = 1 << 20

func (osSystem) Run(ctx context.Context, argv []string) ([]byte, []byte, int, error) {
	if len(argv) == 0 {
		return nil, nil, -1, errors.New("empty command")
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var stdout, stderr limitedBuffer
	stdout.max, stderr.max = maxOutput, maxOutput
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// A runtime CLI may leave a helper (ssh ControlMaster, a VM agent)
	// holding our pipes after it exits; without WaitDelay Wait would block
	// until that helper ends, far beyond the probe's deadline.
	cmd.WaitDelay = 250 * time.Millisecond
	err := cmd.Run()
	if ctx.Err() != nil {
		return stdout.Bytes(), stderr.Bytes(), -1, ctx.Err()
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return stdout.Bytes(), stderr.Bytes(), exitErr.ExitCode(), nil
	}
	if err != nil {
		return stdout.Bytes(), stderr.Bytes(), -1, err
	}
	return stdout.Bytes(), stderr.Bytes(), 0, nil
}

func (osSystem) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if network == "npipe" {
		return dialPipe(ctx, addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

func (s osSystem) PingDocker(ctx context.Context, host string) (string, error) {
	network, addr, err := hostAddr(host)
	if err != nil {
		return "", err
	}
	base := "http://docker"
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return s.Dial(ctx, network, addr)
		},
		DisableKeepAlives: true,
	}
	if network == "tcp" {
		tlsConf, err := dockerTLS(s, host)
		if err != nil {
			return "", err
		}
		if tlsConf != nil {
			tr.TLSClientConfig = tlsConf
			tr.DialContext = nil // let the transport dial TCP and do the handshake
			base = "https://" + addr
		} else {
			base = "http://" + addr
		}
	}
	client := &http.Client{Transport: tr}
	defer tr.CloseIdleConnections()

	body, status, hdr, err := httpGet(ctx, client, base+"/_ping")
	if err != nil {
		return "", err
	}
	if status != http.StatusOK {
		return "", fmt.Errorf("GET /_ping: HTTP %d: %s", status, bytes.TrimSpace(body))
	}
	// Docker names its version in the ping's Server header; one round trip
	// less on the cold path of every first call.
	if v := serverVersion(hdr.Get("Server")); v != "" {
		return v, nil
	}
	// The version is a courtesy for BackendInfo; a daemon that answers
	// /_ping is usable even if /version fails.
	body, status, _, err = httpGet(ctx, client, base+"/version")
	if err != nil || status != http.StatusOK {
		return "", nil
	}
	var v struct{ Version string }
	_ = json.Unmarshal(body, &v)
	return v.Version, nil
}

// serverVersion reads X from a "Docker/X (os)" or podman's "Libpod/X (os)"
// Server header, or "". Podman's /version says the same X but takes about
// 3 s (it runs conmon and the OCI runtime to report their versions), more
// than a detection probe may take.
func serverVersion(server string) string {
	v, ok := strings.CutPrefix(server, "Docker/")
	if !ok {
		if v, ok = strings.CutPrefix(server, "Libpod/"); !ok {
			return ""
		}
	}
	v, _, _ = strings.Cut(v, " ")
	return strings.TrimSpace(v)
}

func httpGet(ctx context.Context, c *http.Client, u string) ([]byte, int, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return body, resp.StatusCode, resp.Header, err
}

// dockerTLS builds the client TLS configuration the docker CLI would use for
// a tcp host: DOCKER_TLS_VERIFY (any non-empty value) turns TLS on, with
// ca.pem, cert.pem and key.pem from DOCKER_CERT_PATH (default ~/.docker).
// nil means plain HTTP.
func dockerTLS(sys System, host string) (*tls.Config, error) {
	if sys.Getenv("DOCKER_TLS_VERIFY") == "" && !hasScheme(host, "https") {
		return nil, nil
	}
	dir := sys.Getenv("DOCKER_CERT_PATH")
	if dir == "" {
		home, err := sys.HomeDir()
		if err != nil {
			return nil, err
		}
		dir = filepath.Join(home, ".docker")
	}
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	if ca, err := sys.ReadFile(filepath.Join(dir, "ca.pem")); err == nil {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(ca)
		conf.RootCAs = pool
	}
	certPEM, err1 := sys.ReadFile(filepath.Join(dir, "cert.pem"))
	keyPEM, err2 := sys.ReadFile(filepath.Join(dir, "key.pem"))
	if err1 == nil && err2 == nil {
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("docker TLS client certificate in %s: %w", dir, err)
		}
		conf.Certificates = []tls.Certificate{cert}
	}
	return conf, nil
}

func hasScheme(host, scheme string) bool {
	u, err := url.Parse(host)
	return err == nil && u.Scheme == scheme
}

// limitedBuffer keeps the first max bytes written and discards the rest
// (without failing the writer, which would kill the child with EPIPE).
type limitedBuffer struct {
	bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); room > 0 {
		if len(p) > room {
			b.Buffer.Write(p[:room])
		} else {
			b.Buffer.Write(p)
		}
	}
	return len(p), nil
}
