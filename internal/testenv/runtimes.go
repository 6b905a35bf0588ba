package testenv

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/perryts/perry-container/backend/api"
)

// PodmanSocket is where tests/runtimes/install.sh starts podman's
// Docker-compatible API service.
const PodmanSocket = "/run/podman/podman.sock"

// RequireCLI returns the path of runtime name's CLI (podman, nerdctl),
// skipping t, saying why, when it is not installed or engine tests are
// disabled.
func RequireCLI(t testing.TB, name string) string {
	t.Helper()
	SkipIfDisabled(t)
	bin, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed (bash tests/runtimes/install.sh installs it): %v", name, err)
	}
	return bin
}

// RequirePodmanAPI returns an Engine API client on podman's socket, closed
// when t ends. It skips t when the socket is absent and fails it when podman
// does not answer there or lacks the test image.
func RequirePodmanAPI(t testing.TB) *api.Backend {
	t.Helper()
	SkipIfDisabled(t)
	if _, err := os.Stat(PodmanSocket); err != nil {
		t.Skipf("podman's API socket %s is absent (bash tests/runtimes/install.sh starts it): %v", PodmanSocket, err)
	}
	b, err := api.New("unix://"+PodmanSocket, "podman")
	if err != nil {
		t.Fatalf("api.New: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := b.Check(ctx); err != nil {
		t.Fatalf("podman's API socket %s does not answer: %v", PodmanSocket, err)
	}
	if _, err := b.InspectImage(ctx, Image); err != nil {
		t.Fatalf("test image %s is missing on podman (bash tests/runtimes/install.sh loads it): %v", Image, err)
	}
	return b
}
