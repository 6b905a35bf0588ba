package testenv

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perryts/perry-container/backend/api"
	bswarm "github.com/perryts/perry-container/backend/swarm"
)

var (
	swarmOnce    sync.Once
	swarmErr     error
	swarmCreated bool // this test process ran `docker swarm init`
)

// SwarmCreatedByUs reports whether RequireSwarm initialised the swarm in
// this process (a swarm that existed before is never changed).
func SwarmCreatedByUs() bool { return swarmCreated }

// RequireSwarm is RequireEngine for the Swarm target: when the local engine
// is not in a swarm it runs `docker swarm init --advertise-addr 127.0.0.1`,
// once per test process, and remembers that it did. A swarm that existed
// before is used as it is and never touched; a node that is in a swarm but
// not a manager fails t.
//
// The swarm it creates stays when the test process ends (other packages'
// swarm tests may be using it); `make test` (tests/run-all.sh) leaves it
// at the end of the run when the run found the engine in no swarm. The
// tests remove the objects they create by label, and `make sweep` removes
// what a killed test left.
func RequireSwarm(t testing.TB) *bswarm.Client {
	t.Helper()
	b := RequireEngine(t)
	swarmOnce.Do(func() { swarmErr = initSwarm(b) })
	if swarmErr != nil {
		t.Fatalf("swarm: %v", swarmErr)
	}
	return bswarm.FromBackend(b)
}

func initSwarm(b *api.Backend) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := bswarm.FromBackend(b)
	n, err := c.Node(ctx)
	if err != nil {
		return err
	}
	switch {
	case n.Manager:
		return nil
	case n.State != "inactive":
		return fmt.Errorf("the engine is in a swarm as %q but not a manager; the swarm tests need a manager", n.State)
	}
	out, err := exec.CommandContext(ctx, "docker", "swarm", "init", "--advertise-addr", "127.0.0.1").CombinedOutput()
	if err != nil {
		// Another process may have initialised it meanwhile.
		if n, nerr := c.Node(ctx); nerr == nil && n.Manager {
			return nil
		}
		return fmt.Errorf("docker swarm init: %v: %s", err, strings.TrimSpace(string(out)))
	}
	swarmCreated = true
	return nil
}
