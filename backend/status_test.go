package backend

import "testing"

func TestHealthAndExitCode(t *testing.T) {
	tests := []struct {
		name          string
		running       bool
		status, human string
		health        string
		exit          int
		exitKnown     bool
	}{
		{"field healthy", true, "healthy", "Up 2 seconds", "healthy", 0, false},
		{"field starting wins over the line", true, "starting", "Up 2 seconds (healthy)", "starting", 0, false},
		{"field none, line healthy", true, "none", "Up 2 seconds (healthy)", "healthy", 0, false},
		{"line health: starting", true, "", "Up 5 minutes (health: starting)", "starting", 0, false},
		{"line starting (podman)", true, "", "Up 5 minutes (starting)", "starting", 0, false},
		{"line unhealthy", true, "", "Up 1 minute (unhealthy)", "unhealthy", 0, false},
		{"no healthcheck", true, "", "Up 3 seconds", "", 0, false},
		{"exited keeps no health", false, "unhealthy", "Exited (7) 2 minutes ago", "", 7, true},
		{"killed", false, "", "Exited (137) 1 second ago", "", 137, true},
		{"restarting", false, "", "Restarting (1) 5 seconds ago", "", 1, true},
		{"created", false, "", "Created", "", 0, false},
		{"garbage", false, "", "Exited (x", "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Health(tt.running, tt.status, tt.human); got != tt.health {
				t.Errorf("Health = %q, want %q", got, tt.health)
			}
			if code, ok := ExitCode(tt.human); ok != tt.exitKnown || code != tt.exit {
				t.Errorf("ExitCode = %d, %v; want %d, %v", code, ok, tt.exit, tt.exitKnown)
			}
		})
	}
}
