package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestStatsNoStream: one sample of the project's running containers in
// docker stats' table, JSON or template; --all adds the stopped ones, a
// service narrows it, --no-trunc keeps whole ids.
func TestStatsNoStream(t *testing.T) {
	c := newCLIEnv(t, twoServices)
	c.must("up", "-d")
	c.must("stop", "web")

	r := c.must("stats", "--no-stream")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 2 || strings.Join(strings.Fields(lines[0]), " ") != "CONTAINER ID NAME CPU % MEM USAGE / LIMIT MEM % NET I/O BLOCK I/O PIDS" ||
		!strings.Contains(lines[1], "demo-db-1") || !strings.Contains(lines[1], "0.10%") || strings.Contains(r.stdout, "\x1b") {
		t.Fatalf("stats --no-stream:\n%s", r.stdout)
	}
	if id := strings.Fields(lines[1])[0]; len(id) != 12 {
		t.Fatalf("id %q is not cut to 12", id)
	}

	r = c.must("stats", "--no-stream", "--all", "--format", "json")
	var names []string
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var row map[string]string
		if err := json.Unmarshal([]byte(l), &row); err != nil {
			t.Fatalf("json line %q: %v", l, err)
		}
		for _, k := range []string{"Container", "ID", "Name", "CPUPerc", "MemUsage", "MemPerc", "NetIO", "BlockIO", "PIDs"} {
			if _, ok := row[k]; !ok {
				t.Fatalf("json line %q lacks %s", l, k)
			}
		}
		names = append(names, row["Name"])
	}
	if strings.Join(names, " ") != "demo-db-1 demo-web-1" {
		t.Fatalf("--all listed %v", names)
	}
	// The stopped container is shown as using nothing without asking the
	// runtime, which podman refuses for a container that is not running.
	for _, call := range c.b.Calls() {
		if call.Method == "Stats" && len(call.Args) != 1 {
			t.Fatalf("the runtime was asked for %d containers' stats, want the running one: %v", len(call.Args), call.Args)
		}
	}

	r = c.must("stats", "--no-stream", "--all", "--no-trunc", "--format", "{{.Name}} {{.ID}} {{.PIDs}}", "web")
	if f := strings.Fields(r.stdout); len(f) != 3 || f[0] != "demo-web-1" || len(f[1]) <= 12 || f[2] != "0" {
		t.Fatalf("template for web: %q", r.stdout)
	}
	// As docker compose, which filters by label: a service with no
	// container shows an empty table.
	if r := c.must("stats", "--no-stream", "nope"); strings.Count(r.stdout, "\n") != 1 || !strings.HasPrefix(r.stdout, "CONTAINER ID") {
		t.Fatalf("unknown service: %+v", r)
	}
}
