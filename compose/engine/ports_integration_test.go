package engine

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/cli"
	"github.com/perryts/perry-container/core"
)

// A container that answers "hello" to every connection on port 80.
const greeter = `["sh", "-c", "trap 'exit 0' TERM; while true; do echo hello | nc -l -p 80; done & wait"]`

// freeRange finds n consecutive host ports that nothing listens on now.
func freeRange(t *testing.T, n int) int {
	t.Helper()
	for range 50 {
		base := 20000 + rand.IntN(20000)
		free := true
		for k := range n {
			l, err := net.Listen("tcp", fmt.Sprintf(":%d", base+k))
			if err != nil {
				free = false
				break
			}
			l.Close()
		}
		if free {
			return base
		}
	}
	t.Fatalf("no %d consecutive free ports found", n)
	return 0
}

// greeting dials addr until it answers (the proxy may accept before the
// container listens) and returns what it says.
func greeting(ctx context.Context, addr string) (string, error) {
	var last error
	for ctx.Err() == nil {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
			b, rerr := io.ReadAll(conn)
			conn.Close()
			if s := strings.TrimSpace(string(b)); s != "" {
				return s, nil
			}
			err = rerr
		}
		last = err
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
	return "", fmt.Errorf("%s never answered: %v (%v)", addr, last, ctx.Err())
}

// host_ip ::1 without a published port is a free port on the IPv6
// loopback, through the Engine API and the docker CLI: the container is
// reachable there, and ps reports it bracketed.
func TestIntegrationPortsIPv6LoopbackFreePort(t *testing.T) {
	if l, err := net.Listen("tcp", "[::1]:0"); err != nil {
		t.Skipf("this host has no IPv6 loopback to publish on: %v", err)
	} else {
		l.Close()
	}
	for _, strategy := range []string{"api", "cli"} {
		t.Run(strategy, func(t *testing.T) {
			r := newRealEngine(t)
			b := strategyBackend(t, r, strategy)
			ctx := r.ctx()
			e := New(b, r.load(`
services:
  web:
    image: `+testImage+`
    command: `+greeter+`
    ports:
      - target: 80
        host_ip: "::1"
`), WithLabels(map[string]string{"perry.test": "1"}), WithStateDir(filepath.Join(r.dir, "state")))
			if err := e.Up(ctx, UpOptions{}); err != nil {
				t.Fatal(err)
			}
			cs, err := e.Ps(ctx, PsOptions{})
			if err != nil || len(cs) != 1 {
				t.Fatalf("ps = %+v, %v", cs, err)
			}
			if len(cs[0].Ports) != 1 || !regexp.MustCompile(`^\[::1\]:\d+->80/tcp$`).MatchString(cs[0].Ports[0]) {
				t.Fatalf("ports %q, want one [::1]:N->80/tcp", cs[0].Ports)
			}
			addr, ok := core.Published(cs[0].Ports, 80, "tcp")
			if !ok {
				t.Fatalf("80/tcp is not published in %q", cs[0].Ports)
			}
			if got, err := greeting(ctx, addr); err != nil || got != "hello" {
				t.Fatalf("%s said %q, %v", addr, got, err)
			}
		})
	}
}

// strategyBackend is the Engine API backend of r, or the docker CLI.
func strategyBackend(t *testing.T, r *realEngine, strategy string) backend.Backend {
	t.Helper()
	if strategy == "api" {
		return r.b
	}
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("the docker CLI is not in PATH: this case drives the CLI strategy")
	}
	return cli.Docker("docker", "docker")
}

// A scaled service with a host port range gets one port of the range per
// replica, in replica order, through the Engine API and the docker CLI; a
// range shorter than the replica count is refused before anything is
// created.
func TestIntegrationPortsRangeWithScale(t *testing.T) {
	for _, strategy := range []string{"api", "cli"} {
		t.Run(strategy, func(t *testing.T) {
			r := newRealEngine(t)
			b := strategyBackend(t, r, strategy)
			ctx := r.ctx()
			base := freeRange(t, 10)
			yaml := func(last int) string {
				return `
services:
  web:
    image: ` + testImage + `
    command: ` + greeter + `
    scale: 3
    ports: ["` + fmt.Sprintf("%d-%d", base, last) + `:80"]
`
			}
			short := New(b, r.load(yaml(base+1)), WithLabels(map[string]string{"perry.test": "1"}), WithStateDir(filepath.Join(r.dir, "state")))
			err := short.Up(ctx, UpOptions{})
			if ce := core.AsError(err); ce == nil || ce.Kind != core.KindInvalidConfig || !strings.Contains(ce.Message, `"web"`) {
				t.Fatalf("a 2-port range for 3 replicas: %v, want InvalidConfig naming web", err)
			}
			if cs, _, _ := r.leftovers(ctx); len(cs) != 0 {
				t.Fatalf("the refused up left %d containers", len(cs))
			}

			e := New(b, r.load(yaml(base+9)), WithLabels(map[string]string{"perry.test": "1"}), WithStateDir(filepath.Join(r.dir, "state")))
			if err := e.Up(ctx, UpOptions{}); err != nil {
				t.Fatal(err)
			}
			cs, err := e.Ps(ctx, PsOptions{})
			if err != nil || len(cs) != 3 {
				t.Fatalf("ps = %+v, %v", cs, err)
			}
			for _, c := range cs {
				port := base + c.Number - 1
				want := fmt.Sprintf("0.0.0.0:%d->80/tcp", port)
				if !slices.Contains(c.Ports, want) {
					t.Errorf("%s ports %q, want %s", c.Name, c.Ports, want)
				}
				if got, err := greeting(ctx, fmt.Sprintf("127.0.0.1:%d", port)); err != nil || got != "hello" {
					t.Errorf("%s on %d said %q, %v", c.Name, port, got, err)
				}
			}
		})
	}
}
