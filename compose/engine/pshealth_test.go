package engine

import (
	"testing"
	"time"

	"github.com/perryts/perry-container/core"
	"github.com/perryts/perry-container/internal/testenv"
)

func TestWithHealth(t *testing.T) {
	for _, tc := range []struct{ status, health, want string }{
		{"Up 3 minutes", "healthy", "Up 3 minutes (healthy)"},
		{"Up 3 minutes (starting)", "healthy", "Up 3 minutes (healthy)"},
		{"Up 3 minutes (health: starting)", "unhealthy", "Up 3 minutes (unhealthy)"},
		{"Up 3 minutes", "", "Up 3 minutes"},
		{"Exited (0) 2 seconds ago", "healthy", "Exited (0) 2 seconds ago"},
	} {
		if got := withHealth(tc.status, tc.health); got != tc.want {
			t.Errorf("withHealth(%q, %q) = %q, want %q", tc.status, tc.health, got, tc.want)
		}
	}
}

// TestPsShowsEmulatedHealth: on a runtime that runs no healthchecks, ps
// shows the engine's probed health — the probes of the engine that brought
// the stack up, and in a new engine (a `ps` in another process) one probe
// made then — not the runtime's empty one.
func TestPsShowsEmulatedHealth(t *testing.T) {
	const yaml = `
services:
  good:
    image: busybox
    command: [sleep, "1000"]
    healthcheck: {test: ["CMD", "true"], interval: 10ms, retries: 2}
  bad:
    image: busybox
    command: [sleep, "1000"]
    healthcheck: {test: ["CMD", "false"], interval: 10ms, retries: 2}
  plain: {image: busybox, command: [sleep, "1000"]}
`
	b := &featureBackend{Backend: newFake(), name: "nerdctl", noHealthcheck: true}
	up, _ := newEngine(t, b, load(t, yaml))
	if err := up.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	health := func(e *Engine) map[string]Container {
		t.Helper()
		rows, err := e.Ps(ctxT(t), PsOptions{})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]Container{}
		for _, r := range rows {
			out[r.Service] = r
		}
		return out
	}
	for _, e := range []*Engine{up, New(b, load(t, yaml), WithStateDir(t.TempDir()))} {
		testenv.Eventually(t, 10*time.Second, "ps to show good healthy and bad unhealthy", func() bool {
			h := health(e)
			return h["good"].Health == "healthy" && h["bad"].Health == "unhealthy"
		})
		h := health(e)
		if h["plain"].Health != "" {
			t.Errorf("a service without a healthcheck shows health %q", h["plain"].Health)
		}
		if want := "(healthy)"; len(h["good"].Status) < len(want) || h["good"].Status[len(h["good"].Status)-len(want):] != want {
			t.Errorf("status %q does not say healthy", h["good"].Status)
		}
	}
	// A runtime that runs healthchecks itself is believed.
	b2 := newFake()
	b2.Health = func(core.ContainerInfo) string { return "starting" }
	e2, _ := newEngine(t, b2, load(t, yaml))
	if err := e2.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	if h := health(e2); h["good"].Health != "starting" || len(callsOf(b2, "Exec")) != 0 {
		t.Errorf("docker-like runtime: health %q after %d probes, want its own \"starting\" and none", h["good"].Health, len(callsOf(b2, "Exec")))
	}
}
