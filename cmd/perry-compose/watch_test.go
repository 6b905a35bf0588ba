package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perryts/perry-container/internal/testenv"
)

const watchedYAML = `
services:
  web:
    image: perry-test/busybox:latest
    command: [sleep, "1000"]
    develop:
      watch:
        - path: ./src
          action: sync
          target: /app
          ignore: ["*.tmp"]
  db:
    image: perry-test/busybox:latest
    command: [sleep, "1000"]
`

// running is a perry-compose command running in the background, fed
// signals by the test.
type running struct {
	stdout, stderr testenv.Buffer
	sigs           chan os.Signal
	done           chan struct{} // closed when the command has returned code
	code           int
	interrupted    bool // the test sent a Ctrl-C
}

// interrupt sends Ctrl-C.
func (r *running) interrupt() {
	r.interrupted = true
	r.sigs <- os.Interrupt
}

// wait returns the command's exit code.
func (r *running) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-r.done:
		return r.code
	case <-time.After(time.Minute):
		t.Fatal("perry-compose did not end")
		return 0
	}
}

func (c *cliEnv) start(args ...string) *running {
	c.t.Helper()
	r := &running{sigs: make(chan os.Signal, 4), done: make(chan struct{})}
	a := c.app(strings.NewReader(""), &r.stdout, &r.stderr)
	a.signals = r.sigs
	full := c.argv(args...)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	go func() {
		defer cancel()
		r.code = a.run(ctx, full)
		close(r.done)
	}()
	// The cleanup ends a command the test left running with the one Ctrl-C
	// that stops it gracefully. Never a second: it would exit at once,
	// even after the command returned (a signal that comes while a command
	// ends still counts).
	c.t.Cleanup(func() {
		select {
		case <-r.done:
			return
		default:
		}
		if !r.interrupted {
			r.sigs <- os.Interrupt
		}
		<-r.done
	})
	return r
}

func (c *cliEnv) writeFile(rel, content string) {
	c.t.Helper()
	p := filepath.Join(c.dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		c.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		c.t.Fatal(err)
	}
}

// catIn reads a file of the service's container through exec.
func (c *cliEnv) catIn(service, path string) string {
	r := c.run("exec", "-T", service, "cat", path)
	if r.code != 0 {
		return ""
	}
	return r.stdout
}

func TestWatchCommandOnFake(t *testing.T) {
	c := newCLIEnv(t, watchedYAML)
	c.writeFile("src/index.txt", "v1")
	w := c.start("--progress", "plain", "watch")
	testenv.Eventually(t, 30*time.Second, "Watch enabled", func() bool { return strings.Contains(w.stdout.String(), "Watch enabled\n") })
	// watch brought the project up first, every service
	if s := c.states(); s["web"] != "running" || s["db"] != "running" {
		t.Fatalf("after watch started: %v", s)
	}
	c.writeFile("src/index.txt", "v2")
	c.writeFile("src/skip.tmp", "no")
	testenv.Eventually(t, 30*time.Second, "index.txt synced", func() bool { return c.catIn("web", "/app/index.txt") == "v2" })
	testenv.Eventually(t, 30*time.Second, "the sync line", func() bool {
		return strings.Contains(w.stdout.String(), `Syncing service "web" after 1 changes were detected`)
	})
	if got := c.catIn("web", "/app/skip.tmp"); got != "" {
		t.Errorf("ignored file synced: %q", got)
	}
	// Ctrl-C ends the watch and leaves the project up
	w.interrupt()
	if code := w.wait(t); code != exitInterrupted {
		t.Fatalf("watch exit %d after Ctrl-C, want %d\nstderr: %s", code, exitInterrupted, w.stderr.String())
	}
	if s := c.states(); s["web"] != "running" || s["db"] != "running" {
		t.Fatalf("after Ctrl-C: %v, want the project still up", s)
	}
}

func TestWatchNoUpOnFake(t *testing.T) {
	c := newCLIEnv(t, watchedYAML)
	c.writeFile("src/index.txt", "v1")
	w := c.start("watch", "--no-up")
	testenv.Eventually(t, 30*time.Second, "Watch enabled", func() bool { return strings.Contains(w.stdout.String(), "Watch enabled\n") })
	if ids := c.must("ps", "-a", "-q").stdout; ids != "" {
		t.Fatalf("watch --no-up started containers: %q", ids)
	}
	// a change with no container to sync into is reported, and the watch
	// goes on
	c.writeFile("src/a.txt", "x")
	testenv.Eventually(t, 30*time.Second, "the sync line", func() bool {
		return strings.Contains(w.stdout.String(), `Syncing service "web" after 1 changes were detected`)
	})
	select {
	case <-w.done:
		t.Fatalf("watch ended with %d: %s", w.code, w.stderr.String())
	default:
	}
}

func TestUpWatchOnFake(t *testing.T) {
	c := newCLIEnv(t, watchedYAML)
	w := c.start("--progress", "plain", "up", "--watch")
	testenv.Eventually(t, 30*time.Second, "Watch enabled", func() bool { return strings.Contains(w.stdout.String(), "Watch enabled\n") })
	c.writeFile("src/new.txt", "n")
	testenv.Eventually(t, 30*time.Second, "new.txt synced", func() bool { return c.catIn("web", "/app/new.txt") == "n" })
	// up --watch is an attached up: Ctrl-C stops the stack
	w.interrupt()
	if code := w.wait(t); code != exitInterrupted {
		t.Fatalf("up --watch exit %d after Ctrl-C\nstderr: %s", code, w.stderr.String())
	}
	if s := c.states(); s["web"] != "exited" {
		t.Fatalf("after Ctrl-C: %v, want web stopped", s)
	}
}

func TestWatchErrors(t *testing.T) {
	c := newCLIEnv(t, sleepers)
	if r := c.run("watch", "--no-up"); r.code != 1 || !strings.Contains(r.stderr, "none of the selected services is configured for watch") {
		t.Fatalf("watch without develop: %+v", r)
	}
	c = newCLIEnv(t, watchedYAML)
	if r := c.run("up", "--watch", "-d"); r.code == 0 || !strings.Contains(r.stderr, "--watch is incompatible with --detach") {
		t.Fatalf("up --watch -d: %+v", r)
	}
	if r := c.run("watch", "db"); r.code != 1 || !strings.Contains(r.stderr, "none of the selected services is configured for watch") {
		t.Fatalf("watch db: %+v", r)
	}
	if ids := c.must("ps", "-a", "-q").stdout; ids != "" {
		t.Fatalf("a refused watch started containers: %q", ids)
	}
}

// up --watch follows the container a rebuild makes: the attached up does
// not end when the service's old container goes.
func TestUpWatchRebuildOnFake(t *testing.T) {
	c := newCLIEnv(t, `
services:
  app:
    build: ./app
    command: [sh, -c, "echo booted; sleep 1000"]
    develop:
      watch:
        - path: ./app/code
          action: rebuild
        - path: ./src
          action: sync
          target: /src
`)
	c.writeFile("app/Dockerfile", "FROM perry-test/busybox:latest\n")
	c.writeFile("app/code/main.txt", "1")
	c.writeFile("src/a.txt", "a")
	w := c.start("--progress", "plain", "up", "--watch")
	testenv.Eventually(t, 30*time.Second, "Watch enabled", func() bool { return strings.Contains(w.stdout.String(), "Watch enabled\n") })
	id := func() string { return strings.TrimSpace(c.must("ps", "-q", "app").stdout) }
	before := id()
	c.writeFile("app/code/main.txt", "2")
	if !testenv.Poll(30*time.Second, func() bool { n := id(); return n != "" && n != before }) {
		t.Fatalf("app not recreated\nstdout: %s\nstderr: %s", w.stdout.String(), w.stderr.String())
	}
	testenv.Eventually(t, 30*time.Second, "the rebuild lines", func() bool {
		return strings.Contains(w.stdout.String(), `service(s) ["app"] successfully built`)
	})
	// the new container's output is followed too
	testenv.Eventually(t, 30*time.Second, "the new container's output", func() bool {
		return strings.Count(w.stdout.String(), "booted") == 2
	})
	// still attached and watching: a sync reaches the new container
	c.writeFile("src/b.txt", "b")
	testenv.Eventually(t, 30*time.Second, "b.txt synced into the new container", func() bool { return c.catIn("app", "/src/b.txt") == "b" })
	select {
	case <-w.done:
		t.Fatalf("up --watch ended (%d) after the rebuild: %s", w.code, w.stderr.String())
	default:
	}
}
