package engine

import (
	"context"
	"strings"
	"time"

	"github.com/perryts/perry-container/backend"
)

// psHealth is the health ps reports for c. Where the engine runs a
// service's healthcheck itself (a runtime that runs none, podman without
// systemd: docs/design.md, Healthchecks everywhere), the runtime says ""
// or "starting" forever, so the engine's own state is shown instead: the
// last probe this engine made, or, when it has made none (a `ps` in a new
// process), one probe now. A single probe cannot know the failures before
// it: a failing one reads "unhealthy" only once the container has run
// longer than docker would take to declare it so (start_period plus
// retries intervals), and "starting" before.
func (e *Engine) psHealth(ctx context.Context, m *model, c observedContainer) string {
	if c.Health != "" && c.Health != "starting" {
		return c.Health
	}
	s := m.services[c.service]
	if s == nil || s.waitHealth == nil || s.waitHealth.Disable || !c.running() || !e.emulateHealth(ctx) {
		return c.Health
	}
	if st, _ := e.health.last(c.ID); st != "" {
		return st
	}
	t := timingOf(s.waitHealth)
	pctx, cancel := context.WithTimeout(ctx, t.timeout)
	res, err := e.backend.Exec(pctx, c.ID, backend.ExecOptions{Cmd: healthCmd(s.waitHealth.Test)})
	cancel()
	switch {
	case ctx.Err() != nil:
		return c.Health
	case err == nil && res.ExitCode != nil && *res.ExitCode == 0:
		return "healthy"
	}
	created, perr := time.Parse(time.RFC3339Nano, c.Created)
	if perr == nil && time.Since(created) > t.startPeriod+time.Duration(t.retries)*t.interval {
		return "unhealthy"
	}
	return "starting"
}

// withHealth rewrites a runtime's human status ("Up 3 minutes (starting)",
// "Up 3 minutes (health: starting)", "Up 3 minutes") to carry health, as
// docker's "Up 3 minutes (healthy)".
func withHealth(status, health string) string {
	if health == "" || !strings.HasPrefix(status, "Up") {
		return status
	}
	if i := strings.LastIndex(status, " ("); i >= 0 && strings.HasSuffix(status, ")") {
		status = status[:i]
	}
	return status + " (" + health + ")"
}
