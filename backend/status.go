package backend

import (
	"strconv"
	"strings"
)

// Health is the health a container reports (core.ContainerInfo.Health):
// starting, healthy, unhealthy, or "" without a healthcheck and whenever it
// is not running (engines keep the last result after a container stops).
// status is the engine's health field (an inspect's State.Health.Status, a
// listing's HealthStatus); human is the status line ("Up 1 minute
// (healthy)"), read when the field is missing or "none", as in older
// engines' listings. The API and CLI backends both read health here.
func Health(running bool, status, human string) string {
	if !running {
		return ""
	}
	switch s := strings.ToLower(strings.TrimSpace(status)); s {
	case "starting", "healthy", "unhealthy":
		return s
	}
	switch {
	case strings.Contains(human, "(healthy)"):
		return "healthy"
	case strings.Contains(human, "(unhealthy)"):
		return "unhealthy"
	case strings.Contains(human, "(health: starting)"), strings.Contains(human, "(starting)"):
		return "starting"
	}
	return ""
}

// ExitCode reads the exit code a status line carries: "Exited (7) 2 minutes
// ago", "Restarting (1) 5 seconds ago".
func ExitCode(human string) (int, bool) {
	s := strings.TrimSpace(human)
	rest, ok := strings.CutPrefix(s, "Exited (")
	if !ok {
		if rest, ok = strings.CutPrefix(s, "Restarting ("); !ok {
			return 0, false
		}
	}
	num, _, ok := strings.Cut(rest, ")")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(num)
	return n, err == nil
}

// Command is a container's command as the Docker Engine's listing shows it:
// the executable, then the arguments, one containing a space in single
// quotes ("sh -c 'exit 3'"). Backends that read path and arguments
// (inspect, podman's listing, the fake) write it here so that it reads the
// same on every runtime.
func Command(path string, args []string) string {
	parts := make([]string, 0, 1+len(args))
	if path != "" {
		parts = append(parts, path)
	}
	for _, a := range args {
		if strings.Contains(a, " ") {
			a = "'" + a + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}
