package cli

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/perryts/perry-container/backend/contracttest"
	"github.com/perryts/perry-container/internal/testenv"
)

// The contract suite live on the other CLI runtimes of a Linux machine:
// podman and nerdctl (tests/runtimes/install.sh installs and configures
// both, and loads the test image into each). A runtime that is not
// installed is skipped with the reason; one that is installed but broken
// fails.

// liveRuntime describes one runtime the suite runs on.
type liveRuntime struct {
	name string
	opts contracttest.Options
}

var liveRuntimes = []liveRuntime{
	{name: "podman", opts: contracttest.Options{}},
	// nerdctl builds through a BuildKit daemon, which the machine does not
	// run, and version 2.0 has no --network-alias.
	{name: "nerdctl", opts: contracttest.Options{SkipBuild: true, NoNetworkAliases: true}},
}

// onCLIRuntimes runs fn on docker (the engine the tests use), then on
// podman and nerdctl in parallel where they are installed, each in a
// subtest of its name.
func onCLIRuntimes(t *testing.T, fn func(t *testing.T, name string, b *Backend)) {
	for _, name := range []string{"docker", "podman", "nerdctl"} {
		t.Run(name, func(t *testing.T) {
			var b *Backend
			if name == "docker" {
				b = engine(t)
			} else {
				t.Parallel()
				b = liveBackend(t, name)
			}
			fn(t, name, b)
		})
	}
}

// liveBackend returns the backend of runtime name, or skips the test when the
// runtime is not installed here.
func liveBackend(t *testing.T, name string) *Backend {
	t.Helper()
	bin := testenv.RequireCLI(t, name)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if name == "nerdctl" {
		// Docker's containerd keeps Docker's containers in "moby": the tests
		// must never create or remove anything there.
		out, err := exec.CommandContext(ctx, bin, "info").CombinedOutput()
		if err != nil {
			t.Fatalf("nerdctl info: %v\n%s", err, out)
		}
		if strings.Contains(string(out), "Namespace:\tmoby") {
			t.Fatalf("nerdctl uses containerd namespace moby (Docker's own); configure another one (tests/runtimes/install.sh uses perrytest)")
		}
	}
	b := Docker(name, bin)
	if err := b.Check(ctx); err != nil {
		t.Fatalf("%s is installed but does not answer: %v", name, err)
	}
	if _, err := b.InspectImage(ctx, testImage); err != nil {
		t.Fatalf("test image %s is missing on %s (bash tests/runtimes/install.sh loads it): %v", testImage, name, err)
	}
	return b
}

func TestRuntimesContract(t *testing.T) {
	for _, rt := range liveRuntimes {
		t.Run(rt.name, func(t *testing.T) {
			t.Parallel()
			contracttest.Run(t, liveBackend(t, rt.name), rt.opts)
		})
	}
}
