package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/perryts/perry-container/compose/engine"
	"github.com/perryts/perry-container/internal/testenv"
)

const lockProject = `
services:
  db:
    image: perry-test/busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"]
  web:
    image: perry-test/busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"]
    depends_on: [db]
`

// TestE2EConcurrentUps: two perry-compose up of one project started at
// once both succeed, leaving one network and one set of containers, and a
// down after them leaves nothing.
func TestE2EConcurrentUps(t *testing.T) {
	t.Parallel()
	s := newStack(t, "lock", "", lockProject)
	var wg sync.WaitGroup
	results := make([]result, 2)
	start := make(chan struct{})
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i] = s.run("--progress", "plain", "up", "-d")
		}()
	}
	close(start)
	wg.Wait()
	for i, r := range results {
		if r.code != 0 {
			t.Fatalf("up #%d: exit %d\n%s", i+1, r.code, r.out())
		}
	}
	cs, ns, _ := s.leftovers()
	if cs != 2 || ns != 1 {
		t.Fatalf("%d containers and %d networks after two concurrent ups, want 2 and 1\n%s\n%s", cs, ns, results[0].out(), results[1].out())
	}
	for _, svc := range []string{"db", "web"} {
		if st := s.state(svc); st != "running" {
			t.Fatalf("%s is %q", svc, st)
		}
	}
	s.must("down", "-t", "0")
	if cs, ns, vs := s.leftovers(); cs+ns+vs != 0 {
		t.Fatalf("down left %d containers, %d networks, %d volumes", cs, ns, vs)
	}
}

// TestE2ELockWait: while another holds the project's lock, up says once
// whom it waits for and fails after PERRY_COMPOSE_LOCK_TIMEOUT naming the
// holder's pid; a waiting up proceeds as soon as the lock is released;
// ps never waits.
func TestE2ELockWait(t *testing.T) {
	t.Parallel()
	s := newStack(t, "lockwait", "", lockProject)
	holder := engine.New(s.b, &types.Project{Name: s.name})
	unlock, err := holder.Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	waiting := fmt.Sprintf("waiting for another perry-compose (pid %d) changing project %s", os.Getpid(), s.name)

	r := s.runEnv(map[string]string{engine.EnvLockTimeout: "1"}, "--progress", "plain", "up", "-d")
	if r.code == 0 || strings.Count(r.stderr, waiting) != 1 || !strings.Contains(r.stderr, fmt.Sprintf("another perry-compose (pid %d) is changing project %s", os.Getpid(), s.name)) {
		t.Fatalf("up with the project locked and a 1 s bound: exit %d\n%s", r.code, r.stderr)
	}
	if cs, ns, vs := s.leftovers(); cs+ns+vs != 0 {
		t.Fatalf("a timed-out up changed the project: %d %d %d", cs, ns, vs)
	}
	s.must("ps") // read-only: never waits

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := s.command(ctx, nil, "--progress", "plain", "up", "-d")
	var stderr testenv.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 30*time.Second, "the waiting message", func() bool { return strings.Contains(stderr.String(), waiting) })
	if cs, _, _ := s.leftovers(); cs != 0 {
		t.Fatal("up created containers while the project was locked")
	}
	unlock()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("up after the release: %v\n%s", err, stderr.String())
	}
	if n := strings.Count(stderr.String(), waiting); n != 1 {
		t.Fatalf("the waiting message was printed %d times:\n%s", n, stderr.String())
	}
	names := []string{}
	for _, c := range s.containers() {
		names = append(names, c.Labels[engine.LabelService]+":"+c.State)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"db:running", "web:running"}) {
		t.Fatalf("containers %v", names)
	}
}
