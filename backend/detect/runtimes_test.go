package detect

import (
	"os/exec"
	"runtime"
	"testing"

	"github.com/perryts/perry-container/internal/testenv"
)

// TestIntegrationSeveralRuntimes detects live on a Linux machine that has
// docker, podman and nerdctl (tests/runtimes/install.sh adds the last two):
// without a choice the Linux order picks podman; PERRY_CONTAINER_BACKEND
// picks any of the three, and the backend built for it answers.
func TestIntegrationSeveralRuntimes(t *testing.T) {
	testenv.RequireEngine(t)
	if runtime.GOOS != "linux" {
		t.Skipf("the runtime order under test is Linux's; this is %s", runtime.GOOS)
	}
	for _, name := range []string{Podman, Nerdctl} {
		if _, err := exec.LookPath(name); err != nil {
			t.Skipf("%s is not installed (bash tests/runtimes/install.sh installs it): %v", name, err)
		}
	}
	tests := []struct {
		name, env, driver string
	}{
		{"no choice: podman first", "", Podman},
		{"docker by name", Docker, Docker},
		{"nerdctl by name", Nerdctl, Nerdctl},
		{"podman by name", Podman, Podman},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EnvBackend, tt.env)
			t.Setenv(EnvMode, "")
			t.Setenv(EnvStrategy, "")
			d := New(OS())
			rep, err := d.Detect(ctxT(t))
			if err != nil {
				t.Fatalf("detection failed: %v", err)
			}
			if rep.Selected == nil || rep.Selected.Driver != tt.driver || !rep.Selected.Info.Available {
				t.Fatalf("selected %+v, want %s", rep.Selected, tt.driver)
			}
			b, err := d.Backend(ctxT(t))
			if err != nil {
				t.Fatal(err)
			}
			if b.Name() != tt.driver {
				t.Fatalf("backend %q, want %s", b.Name(), tt.driver)
			}
			if err := b.Check(ctxT(t)); err != nil {
				t.Fatalf("%s does not answer through the built backend: %v", tt.driver, err)
			}
		})
	}

	t.Run("every candidate is seen", func(t *testing.T) {
		t.Setenv(EnvBackend, "")
		rep, err := New(OS()).ProbeAll(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		available := map[string]bool{}
		for _, c := range rep.Candidates {
			available[c.Name] = c.Available
		}
		for _, name := range []string{Podman, Nerdctl, Docker} {
			if !available[name] {
				t.Errorf("%s is installed but reported unavailable: %+v", name, rep.Candidates)
			}
		}
	})
}

// The version comes from the ping's Server header on both engines that
// send it, so a detection never waits for podman's slow /version.
func TestServerVersionHeader(t *testing.T) {
	tests := []struct{ header, want string }{
		{"Docker/20.10.24+dfsg1 (linux)", "20.10.24+dfsg1"},
		{"Libpod/4.3.1 (linux)", "4.3.1"},
		{"nginx/1.25", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			if got := serverVersion(tt.header); got != tt.want {
				t.Fatalf("serverVersion(%q) = %q, want %q", tt.header, got, tt.want)
			}
		})
	}
}
