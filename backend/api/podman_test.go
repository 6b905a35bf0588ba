package api_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/perryts/perry-container/backend/api"
	"github.com/perryts/perry-container/backend/contracttest"
	"github.com/perryts/perry-container/internal/testenv"
)

// podmanSocket is where tests/runtimes/install.sh starts podman's
// Docker-compatible API service (podman system service).
const podmanSocket = "/run/podman/podman.sock"

// TestPodmanContract runs the shared contract against podman's
// Docker-compatible API socket.
func TestPodmanContract(t *testing.T) {
	testenv.SkipIfDisabled(t)
	if _, err := os.Stat(podmanSocket); err != nil {
		t.Skipf("podman's API socket %s is absent (bash tests/runtimes/install.sh starts it): %v", podmanSocket, err)
	}
	b, err := api.New("unix://"+podmanSocket, "podman")
	if err != nil {
		t.Fatalf("api.New: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := b.Check(ctx); err != nil {
		t.Fatalf("podman's API socket %s does not answer: %v", podmanSocket, err)
	}
	if _, err := b.InspectImage(ctx, testImage); err != nil {
		t.Fatalf("test image %s is missing on podman (bash tests/runtimes/install.sh loads it): %v", testImage, err)
	}
	contracttest.Run(t, b, contracttest.Options{})
}
