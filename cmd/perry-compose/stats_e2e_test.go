package main

import (
	"strings"
	"testing"
)

// TestE2EStatsNoStream: one sample of a running service from the engine,
// in docker stats' columns: a CPU and a memory share, and its processes.
func TestE2EStatsNoStream(t *testing.T) {
	t.Parallel()
	s := newStack(t, "stats", "", "services:\n  web:\n    image: perry-test/busybox:latest\n    init: true\n    command: sleep 300\n")
	s.must("up", "-d")
	r := s.must("stats", "--no-stream", "--format", `{{.Name}}|{{.CPUPerc}}|{{.MemUsage}}|{{.MemPerc}}|{{.PIDs}}`)
	f := strings.Split(strings.TrimSpace(r.stdout), "|")
	if len(f) != 5 || f[0] != s.name+"-web-1" || !strings.HasSuffix(f[1], "%") || !strings.Contains(f[2], " / ") ||
		!strings.HasSuffix(f[3], "%") || f[4] == "0" || f[4] == "" {
		t.Fatalf("stats: %q", r.stdout)
	}
}
