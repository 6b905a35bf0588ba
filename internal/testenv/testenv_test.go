package testenv

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// outcome records how a helper ended a test: skipped or failed, and with
// what message. Skip and Fatal end the goroutine, as on a real T.
type outcome struct {
	testing.TB
	mu      sync.Mutex
	skipped string
	failed  string
}

func (o *outcome) Skip(args ...any) {
	o.mu.Lock()
	o.skipped = fmt.Sprint(args...)
	o.mu.Unlock()
	runtime.Goexit()
}

func (o *outcome) Fatalf(format string, args ...any) {
	o.mu.Lock()
	o.failed = fmt.Sprintf(format, args...)
	o.mu.Unlock()
	runtime.Goexit()
}

// run calls f with a recording TB in its own goroutine (Goexit ends it).
func run(t *testing.T, f func(tb testing.TB)) *outcome {
	o := &outcome{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(o)
	}()
	<-done
	return o
}

func TestRequireEngine(t *testing.T) {
	tests := []struct {
		name        string
		skipVar     string
		host        string
		wantSkip    string
		wantFailure []string
	}{
		{"skipped only when asked, saying why", "1", "unix:///nonexistent/perry-testenv.sock", SkipVar + "=1", nil},
		{"an engine that does not answer fails, saying what to do", "", "unix:///nonexistent/perry-testenv.sock",
			"", []string{"does not answer", "/nonexistent/perry-testenv.sock", SkipVar + "=1", "make test-image"}},
		{"a bad host fails naming it", "0", "ssh://perry@nowhere", "", []string{"ssh://perry@nowhere"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(SkipVar, tc.skipVar)
			o := run(t, func(tb testing.TB) { RequireEngineAt(tb, tc.host) })
			if o.skipped != "" && !strings.Contains(o.skipped, tc.wantSkip) || (o.skipped == "") != (tc.wantSkip == "") {
				t.Errorf("skip message %q, want one naming %q", o.skipped, tc.wantSkip)
			}
			for _, w := range tc.wantFailure {
				if !strings.Contains(o.failed, w) {
					t.Errorf("failure %q does not say %q", o.failed, w)
				}
			}
			if len(tc.wantFailure) == 0 && o.failed != "" {
				t.Errorf("failed: %s", o.failed)
			}
		})
	}
}

func TestEventually(t *testing.T) {
	t.Run("returns once the state is reached", func(t *testing.T) {
		calls := 0
		o := run(t, func(tb testing.TB) {
			Eventually(tb, time.Minute, "three polls", func() bool { calls++; return calls == 3 })
		})
		if o.failed != "" || calls != 3 {
			t.Errorf("failed %q after %d polls, want success at the third", o.failed, calls)
		}
	})
	t.Run("fails naming the state when the deadline passes", func(t *testing.T) {
		o := run(t, func(tb testing.TB) {
			Eventually(tb, 50*time.Millisecond, "a state that never comes", func() bool { return false })
		})
		if !strings.Contains(o.failed, "a state that never comes") {
			t.Errorf("failure %q, want one naming the state", o.failed)
		}
	})
}
