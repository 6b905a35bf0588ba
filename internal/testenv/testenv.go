// Package testenv is what the engine tests of every package share: one way
// to require the real engine (or skip when asked to), and one way to wait
// for an observable state instead of sleeping.
package testenv

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perryts/perry-container/backend/api"
	"github.com/perryts/perry-container/backend/contracttest"
)

// SkipVar set to 1 skips every engine test; nothing else skips them.
const SkipVar = "PERRY_SKIP_ENGINE_TESTS"

// Image is the local test image (make test-image); tests never pull.
const Image = contracttest.DefaultImage

var (
	checkedMu sync.Mutex
	checked   = map[string]error{} // host → the first check's result
)

// SkipIfDisabled skips t, saying why, when PERRY_SKIP_ENGINE_TESTS=1: for
// the tests of a runtime other than the Docker engine, which skip on their
// own when that runtime is not installed.
func SkipIfDisabled(t testing.TB) {
	t.Helper()
	if os.Getenv(SkipVar) == "1" {
		t.Skip("engine test skipped: " + SkipVar + "=1")
	}
}

// RequireEngine is RequireEngineAt the environment's engine (DOCKER_HOST or
// the default socket).
func RequireEngine(t testing.TB) *api.Backend {
	t.Helper()
	return RequireEngineAt(t, "")
}

// RequireEngineAt skips t when PERRY_SKIP_ENGINE_TESTS=1 and otherwise
// returns an Engine API client on host, closed when t ends. An engine that
// does not answer, or lacks the test image, fails t saying what to do: a
// machine without an engine must not pass the engine tests by skipping them.
// The engine is checked once per host and process, so a dead engine costs
// one timeout, not one per test.
func RequireEngineAt(t testing.TB, host string) *api.Backend {
	t.Helper()
	SkipIfDisabled(t)
	b, err := api.New(host, "docker")
	if err != nil {
		t.Fatalf("Engine API client for %q: %v", host, err)
	}
	t.Cleanup(func() { _ = b.Close() })
	checkedMu.Lock()
	defer checkedMu.Unlock()
	err, done := checked[host]
	if !done {
		err = check(b)
		checked[host] = err
	}
	if err != nil {
		t.Fatalf("%v\n(start the Docker Engine and run `make test-image`, or set %s=1 to skip the engine tests)", err, SkipVar)
	}
	return b
}

func check(b *api.Backend) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := b.Check(ctx); err != nil {
		return fmt.Errorf("the Docker engine does not answer: %w", err)
	}
	if _, err := b.InspectImage(ctx, Image); err != nil {
		return fmt.Errorf("the test image %s is missing (tests never pull): %w", Image, err)
	}
	return nil
}

// Eventually polls cond until it holds, failing t when timeout passes first:
// the wait for an observable state that replaces a guessed sleep.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if !Poll(timeout, cond) {
		t.Fatalf("timed out after %v waiting for %s", timeout, what)
	}
}

// Poll polls cond until it holds (true) or timeout passes (false), for a
// goroutine that cannot fail the test itself.
func Poll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		<-tick.C
	}
	return true
}

// Buffer is a strings.Builder that a test reads while another goroutine
// writes it.
type Buffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
