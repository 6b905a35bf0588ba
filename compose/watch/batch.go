package watch

import (
	"context"
	"time"
)

// QuietPeriod is how long the files must stay unchanged before a batch of
// changes is acted on, as docker compose waits.
const QuietPeriod = 500 * time.Millisecond

// Debounce gathers the paths read from in and, once no new path came for
// quiet, sends them as one batch (each path once, in first-seen order) to
// out. after arms the quiet timer (time.After in use; tests pass their
// own). It returns when ctx ends or in is closed (a pending batch is sent
// first when in closes).
func Debounce(ctx context.Context, in <-chan string, out chan<- []string, quiet time.Duration, after func(time.Duration) <-chan time.Time) {
	if after == nil {
		after = time.After
	}
	var (
		batch []string
		seen  = map[string]bool{}
		timer <-chan time.Time
	)
	flush := func() bool {
		if len(batch) == 0 {
			return true
		}
		select {
		case out <- batch:
		case <-ctx.Done():
			return false
		}
		batch, seen, timer = nil, map[string]bool{}, nil
		return true
	}
	for {
		select {
		case <-ctx.Done():
			return
		case p, ok := <-in:
			if !ok {
				flush()
				return
			}
			if !seen[p] {
				seen[p] = true
				batch = append(batch, p)
			}
			timer = after(quiet)
		case <-timer:
			if !flush() {
				return
			}
		}
	}
}
