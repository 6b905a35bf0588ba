package api_test

import (
	"testing"

	"github.com/perryts/perry-container/backend/contracttest"
	"github.com/perryts/perry-container/internal/testenv"
)

// TestPodmanContract runs the shared contract against podman's
// Docker-compatible API socket (tests/runtimes/install.sh starts it).
func TestPodmanContract(t *testing.T) {
	contracttest.Run(t, testenv.RequirePodmanAPI(t), contracttest.Options{})
}
