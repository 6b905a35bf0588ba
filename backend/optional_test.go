package backend

import "testing"

func TestEventActionUsesDockerNames(t *testing.T) {
	for in, want := range map[string]string{
		"remove": "destroy", "died": "die", "exec_died": "exec_die", // podman
		"destroy": "destroy", "die": "die", "start": "start", "health_status: healthy": "health_status: healthy",
	} {
		if got := EventAction(in); got != want {
			t.Errorf("EventAction(%q) = %q, want %q", in, got, want)
		}
	}
}
