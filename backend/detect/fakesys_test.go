package detect

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// fakeSys is a scripted System: a platform, an environment, installed
// binaries, command outputs, listening sockets and answering Docker APIs.
// It records every call so tests can assert what was (not) probed, and can
// block chosen calls to test concurrency without wall-clock assertions.
type fakeSys struct {
	goos string
	home string // a real temp dir: ReadFile reads the real filesystem

	mu      sync.Mutex
	env     map[string]string
	bins    map[string]string    // name or absolute path → resolved path
	cmds    map[string]cmdResult // argv joined by " " → result
	sockets map[string]bool      // "unix /path" or "tcp host:port"
	pings   map[string]string    // host URL → engine version
	calls   []string

	// waitFor[key] makes the call with that key wait until the channel is
	// closed or ctx ends; hangFor[key] waits for the channel only (a
	// System that ignores ctx). started[key] is closed on the first call.
	waitFor map[string]chan struct{}
	hangFor map[string]chan struct{}
	started map[string]chan struct{}
	panics  map[string]bool
}

type cmdResult struct {
	stdout, stderr string
	code           int
}

func newFakeSys(goos, home string) *fakeSys {
	return &fakeSys{
		goos: goos, home: home,
		env: map[string]string{}, bins: map[string]string{}, cmds: map[string]cmdResult{},
		sockets: map[string]bool{}, pings: map[string]string{},
		waitFor: map[string]chan struct{}{}, hangFor: map[string]chan struct{}{},
		started: map[string]chan struct{}{}, panics: map[string]bool{},
	}
}

// enter records a call and applies blocking hooks.
func (f *fakeSys) enter(ctx context.Context, key string) error {
	f.mu.Lock()
	f.calls = append(f.calls, key)
	if ch, ok := f.started[key]; ok {
		select {
		case <-ch:
		default:
			close(ch)
		}
	}
	wait, hang, panics := f.waitFor[key], f.hangFor[key], f.panics[key]
	f.mu.Unlock()
	if panics {
		panic("fake system exploded at " + key)
	}
	if hang != nil {
		<-hang
	}
	if wait != nil {
		select {
		case <-wait:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (f *fakeSys) GOOS() string { return f.goos }

func (f *fakeSys) Getenv(k string) string {
	_ = f.enter(context.Background(), "getenv "+k)
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.env[k]
}

func (f *fakeSys) HomeDir() (string, error) { return f.home, nil }

func (f *fakeSys) LookPath(file string) (string, error) {
	_ = f.enter(context.Background(), "lookpath "+file)
	f.mu.Lock()
	defer f.mu.Unlock()
	if p, ok := f.bins[file]; ok {
		return p, nil
	}
	return "", fmt.Errorf("exec: %q: executable file not found in $PATH", file)
}

func (f *fakeSys) ReadFile(name string) ([]byte, error) {
	_ = f.enter(context.Background(), "readfile "+name)
	return os.ReadFile(name)
}

func (f *fakeSys) Run(ctx context.Context, argv []string) ([]byte, []byte, int, error) {
	key := "run " + strings.Join(argv, " ")
	if err := f.enter(ctx, key); err != nil {
		return nil, nil, -1, err
	}
	f.mu.Lock()
	r, ok := f.cmds[strings.Join(argv, " ")]
	f.mu.Unlock()
	if !ok {
		return nil, []byte("unknown command\n"), 1, nil
	}
	return []byte(r.stdout), []byte(r.stderr), r.code, nil
}

func (f *fakeSys) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	key := "dial " + network + " " + addr
	if err := f.enter(ctx, key); err != nil {
		return nil, err
	}
	f.mu.Lock()
	ok := f.sockets[network+" "+addr]
	f.mu.Unlock()
	if !ok {
		return nil, &net.OpError{Op: "dial", Net: network, Err: fs.ErrNotExist}
	}
	a, b := net.Pipe()
	_ = b.Close()
	return a, nil
}

func (f *fakeSys) PingDocker(ctx context.Context, host string) (string, error) {
	if err := f.enter(ctx, "ping "+host); err != nil {
		return "", err
	}
	f.mu.Lock()
	v, ok := f.pings[host]
	f.mu.Unlock()
	if !ok {
		return "", errors.New("GET /_ping: HTTP 404")
	}
	return v, nil
}

// ---- scripting helpers ----

func (f *fakeSys) setenv(k, v string) { f.mu.Lock(); f.env[k] = v; f.mu.Unlock() }

func (f *fakeSys) bin(name, path string) { f.mu.Lock(); f.bins[name] = path; f.mu.Unlock() }

func (f *fakeSys) cmd(out string, code int, argv ...string) {
	f.mu.Lock()
	f.cmds[strings.Join(argv, " ")] = cmdResult{stdout: out, code: code}
	f.mu.Unlock()
}

func (f *fakeSys) cmdErr(stderr string, code int, argv ...string) {
	f.mu.Lock()
	f.cmds[strings.Join(argv, " ")] = cmdResult{stderr: stderr, code: code}
	f.mu.Unlock()
}

// docker API host answering /_ping with version v.
func (f *fakeSys) engine(host, v string) {
	network, addr, err := hostAddr(host)
	if err != nil {
		panic(err)
	}
	f.mu.Lock()
	f.sockets[network+" "+addr] = true
	f.pings[host] = v
	f.mu.Unlock()
}

func (f *fakeSys) callList() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeSys) resetCalls() { f.mu.Lock(); f.calls = nil; f.mu.Unlock() }

// probed reports whether any recorded call mentions s (a binary name, a
// socket path, …), ignoring environment reads.
func (f *fakeSys) probed(s string) bool {
	for _, c := range f.callList() {
		if !strings.HasPrefix(c, "getenv ") && strings.Contains(c, s) {
			return true
		}
	}
	return false
}

func (f *fakeSys) startedChan(key string) chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan struct{})
	f.started[key] = ch
	return ch
}

// ---- runtimes ----

// state of a runtime in a scenario.
type state int

const (
	absent    state = iota // not installed
	broken                 // installed but not running
	available              // installed and running
)

func (s state) String() string { return [...]string{"absent", "broken", "available"}[s] }

// install scripts runtime name into f in state s.
func (f *fakeSys) install(name string, s state) {
	if s == absent {
		return
	}
	ok := s == available
	h := f.home
	switch name {
	case AppleContainer:
		f.bin("container", "/usr/local/bin/container")
		f.cmd("container CLI version 0.12.3 (build: release)\n", 0, "/usr/local/bin/container", "--version")
		if ok {
			f.cmd("apiserver is running\n", 0, "/usr/local/bin/container", "system", "status")
		} else {
			f.cmdErr("apiserver is not running\n", 1, "/usr/local/bin/container", "system", "status")
		}
	case OrbStack:
		f.bin("orbctl", "/usr/local/bin/orbctl")
		if ok {
			f.engine(unixHost(filepath.Join(h, ".orbstack/run/docker.sock")), "28.0.4")
			f.cmd("Running\n", 0, "/usr/local/bin/orbctl", "status")
		} else {
			f.cmd("Stopped\n", 0, "/usr/local/bin/orbctl", "status")
		}
	case Colima:
		f.bin("colima", "/opt/homebrew/bin/colima")
		f.cmd("colima version 0.10.3\ngit commit: abc\n", 0, "/opt/homebrew/bin/colima", "--version")
		sock := unixHost(filepath.Join(h, ".colima/default/docker.sock"))
		if ok {
			f.cmd(`{"display_name":"colima","runtime":"docker","docker_socket":"`+sock+`"}`, 0, "/opt/homebrew/bin/colima", "status", "--json")
			f.engine(sock, "27.4.0")
		} else {
			f.cmdErr(`level=fatal msg="colima is not running"`, 1, "/opt/homebrew/bin/colima", "status", "--json")
		}
	case RancherDesktop:
		if ok {
			f.engine(unixHost(filepath.Join(h, ".rd/docker.sock")), "26.1.5")
		} else {
			// The socket file lingers but is no API (RD#5641).
			f.mu.Lock()
			f.sockets["unix "+filepath.Join(h, ".rd/docker.sock")] = true
			f.mu.Unlock()
		}
	case Lima:
		f.bin("limactl", "/opt/homebrew/bin/limactl")
		f.cmd("limactl version 2.2.0\n", 0, "/opt/homebrew/bin/limactl", "--version")
		status := "Stopped"
		if ok {
			status = "Running"
		}
		f.cmd(`{"name":"captain","status":"Stopped"}`+"\n"+`{"name":"default","status":"`+status+`"}`+"\n", 0,
			"/opt/homebrew/bin/limactl", "list", "--json")
	case Podman:
		f.bin("podman", "/usr/bin/podman")
		f.cmd("podman version 5.8.2\n", 0, "/usr/bin/podman", "--version")
		if f.goos == "darwin" || f.goos == "ios" || f.goos == "windows" {
			f.cmd(fmt.Sprintf(`[{"Name":"podman-machine-default","Default":true,"Running":%v}]`, ok), 0,
				"/usr/bin/podman", "machine", "list", "--format", "json")
			sock := filepath.Join(h, "podman-machine-default-api.sock")
			f.cmd(sock+"\n", 0, "/usr/bin/podman", "machine", "inspect", "--format", "{{.ConnectionInfo.PodmanSocket.Path}}", "podman-machine-default")
			if ok {
				f.engine(unixHost(sock), "5.8.2")
			}
		} else if !ok {
			// On Linux podman is daemonless: "broken" means the CLI fails.
			f.cmdErr("cannot re-exec process\n", 125, "/usr/bin/podman", "--version")
		}
	case Nerdctl:
		f.bin("nerdctl", "/usr/local/bin/nerdctl")
		f.cmd("nerdctl version 2.3.0\n", 0, "/usr/local/bin/nerdctl", "--version")
		if ok {
			f.cmd("Server:\n containerd\n", 0, "/usr/local/bin/nerdctl", "info")
		} else {
			f.cmdErr("cannot access containerd socket \"/run/containerd/containerd.sock\"\n", 1, "/usr/local/bin/nerdctl", "info")
		}
	case Docker:
		f.bin("docker", "/usr/bin/docker")
		f.cmd("Docker version 28.2.2, build e6534b4\n", 0, "/usr/bin/docker", "--version")
		if ok {
			f.engine(defaultDockerHost(f.goos), "28.2.2")
			f.cmd("28.2.2\n", 0, "/usr/bin/docker", "version", "--format", "{{.Server.Version}}")
		} else {
			f.cmdErr("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n", 1,
				"/usr/bin/docker", "version", "--format", "{{.Server.Version}}")
		}
	default:
		panic("unknown runtime " + name)
	}
}
