package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/perryts/perry-container/internal/testenv"
)

// perry-compose watch as a person runs it, on Docker: the binary in the
// background, files edited beside it, Ctrl-C (SIGINT) at the end.
func TestWatchE2E(t *testing.T) {
	s := newStack(t, "watch", "", `
services:
  web:
    image: `+testenv.Image+`
    command: [sleep, "1000"]
    labels: {perry.test: "1"}
    develop:
      watch:
        - path: ./src
          action: sync
          target: /app
          ignore: ["*.tmp"]
  built:
    build: ./built
    command: [sleep, "1000"]
    labels: {perry.test: "1"}
    develop:
      watch:
        - path: ./built/app
          action: rebuild
`)
	write := func(rel, content string) {
		t.Helper()
		p := filepath.Join(s.dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("src/index.txt", "v1")
	write("built/Dockerfile", "FROM "+testenv.Image+"\nCOPY app/ /app/\n")
	write("built/app/version", "one")
	cat := func(service, path string) string {
		r := s.run("exec", "-T", service, "cat", path)
		if r.code != 0 {
			return ""
		}
		return r.stdout
	}

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := s.command(ctx, nil, "--progress", "plain", "watch")
	var stdout, stderr testenv.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-exited
	}()
	testenv.Eventually(t, 2*time.Minute, "Watch enabled", func() bool { return strings.Contains(stdout.String(), "Watch enabled\n") })
	if got := cat("built", "/app/version"); got != "one" {
		t.Fatalf("built /app/version = %q", got)
	}

	write("src/index.txt", "v2")
	write("src/x.tmp", "ignored")
	testenv.Eventually(t, time.Minute, "index.txt synced", func() bool { return cat("web", "/app/index.txt") == "v2" })
	if got := cat("web", "/app/x.tmp"); got != "" {
		t.Errorf("ignored file synced: %q", got)
	}

	before := strings.TrimSpace(s.must("ps", "-q", "built").stdout)
	write("built/app/version", "two")
	testenv.Eventually(t, 2*time.Minute, "built rebuilt with the new file", func() bool { return cat("built", "/app/version") == "two" })
	if now := strings.TrimSpace(s.must("ps", "-q", "built").stdout); now == before {
		t.Errorf("built not recreated (%s)", now)
	}
	for _, line := range []string{`Syncing service "web" after 1 changes were detected`, `Rebuilding service(s) ["built"] after changes were detected...`} {
		if !strings.Contains(stdout.String(), line) {
			t.Errorf("no %q in:\n%s", line, stdout.String())
		}
	}

	// Ctrl-C: the watch ends (130), the project stays up
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(time.Minute):
		t.Fatalf("watch still running a minute after SIGINT\nstderr: %s", stderr.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != exitInterrupted {
		t.Errorf("exit %d after SIGINT, want %d\nstderr: %s", code, exitInterrupted, stderr.String())
	}
	exited <- nil // for the deferred kill
	for _, svc := range []string{"web", "built"} {
		if st := s.state(svc); st != "running" {
			t.Errorf("%s is %s after the watch ended, want running", svc, st)
		}
	}
}
