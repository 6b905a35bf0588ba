package fault

import (
	"strings"
	"testing"
	"time"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/cli"
	"github.com/perryts/perry-container/internal/testenv"
)

// TestUpFaultAtEveryCallOnPodman is the matrix's fail mode on podman's CLI
// (a fake podman forwarding to the real one): at every sampled call k the
// up fails naming the operation, or succeeds past its last call with every
// service running, and nothing of the project is left on podman. Podman
// runs no healthchecks here: the engine probes db's through exec, so those
// probes are among the calls that fail.
func TestUpFaultAtEveryCallOnPodman(t *testing.T) {
	testenv.SkipIfDisabled(t)
	bin := testenv.RequireCLI(t, "podman")
	real := backend.Backend(cli.Docker("podman", bin))
	run := randomName("perryfaultpm")
	t.Cleanup(func() { sweepPrefix(real, run) })
	r := runner{name: "podman", modes: []string{"fail"}, backend: func(t *testing.T, disabled bool) (backend.Backend, injector) {
		f := fakeCLIFor(t, "podman", bin, disabled)
		return cli.Docker("podman", f.path), cliInjector{t, f}
	}}
	n := cleanUpCalls(t, real, r, run)
	for _, res := range upWithFaults(t, real, r, run, "fail", kValues(n), 3*time.Minute, false) {
		if res.fired == 1 && strings.Contains(res.call, "exec") && res.err == nil {
			// A failed health probe is a failed read the engine repeats:
			// riding it out is right (the next probe succeeds).
			if len(res.stopped) > 0 || len(res.left) > 0 {
				t.Errorf("podman/fail/k=%d (%s): rode a failed probe out but %v not running, %v left", res.k, res.call, res.stopped, res.left)
			}
			continue
		}
		checkResult(t, r.name, "fail", n, res)
	}
}
