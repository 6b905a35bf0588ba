package api_test

import (
	"testing"

	"github.com/perryts/perry-container/internal/testenv"
)

// Attached exec and run over the Engine API, on Docker and on podman's
// Docker-compatible API.
func TestInteractiveDocker(t *testing.T) {
	testenv.InteractiveContract(t, testenv.RequireEngine(t))
}

func TestInteractivePodmanAPI(t *testing.T) {
	testenv.InteractiveContract(t, testenv.RequirePodmanAPI(t))
}
