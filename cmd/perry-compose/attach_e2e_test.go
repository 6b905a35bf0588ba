package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestE2EAttach: attach shows a running service's output as it comes and
// ends with the process's exit code; the process is ended from outside
// (a file it waits for), so nothing depends on timing.
func TestE2EAttach(t *testing.T) {
	t.Parallel()
	s := newStack(t, "attach", "", `
services:
  web:
    image: perry-test/busybox:latest
    command: ["sh", "-c", "n=0; while [ ! -f /tmp/stop ]; do n=$$((n+1)); echo tick $$n; sleep 0.2; done; echo bye; exit 7"]
`)
	s.must("up", "-d")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := s.command(ctx, nil, "attach", "--no-stdin", "web")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	// A tick through the attachment: it is established.
	for lines.Scan() && !strings.HasPrefix(lines.Text(), "tick ") {
	}
	s.must("exec", "-T", "web", "touch", "/tmp/stop")
	var rest []string
	for lines.Scan() {
		rest = append(rest, lines.Text())
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 7 {
		t.Fatalf("attach ended with %v, want the process's exit code 7\nstderr: %s", err, errb.String())
	}
	if len(rest) == 0 || rest[len(rest)-1] != "bye" {
		t.Fatalf("the output after the attachment ends with %q, want bye", rest)
	}
}
