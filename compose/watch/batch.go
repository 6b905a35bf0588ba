package watch

import (
	"context"
	"time"
)

// QuietPeriod is how long the files must stay unchanged before a batch of
// changes is acted on, as docker compose waits.
const QuietPeriod = 500 * time.Millisecond

// Debounce gathers the paths read from in and, once no new path came for
// quiet, offers them as one batch (each path once, in first-seen order) on
// out. While a batch waits to be taken (the previous one is still being
// acted on), new paths keep being read, so the watcher never stalls: they
// join the waiting batch once their own quiet period ends. after arms the
// quiet timer (time.After when nil; tests pass their own). It returns when
// ctx ends or in is closed (what is pending is sent first).
func Debounce(ctx context.Context, in <-chan string, out chan<- []string, quiet time.Duration, after func(time.Duration) <-chan time.Time) {
	if after == nil {
		after = time.After
	}
	var (
		pending, ready batch // still changing; settled, offered on out
		timer          <-chan time.Time
	)
	for {
		var offer chan<- []string
		if len(ready.paths) > 0 {
			offer = out
		}
		select {
		case <-ctx.Done():
			return
		case p, ok := <-in:
			if !ok {
				if ready.add(pending.paths...); len(ready.paths) > 0 {
					select {
					case out <- ready.paths:
					case <-ctx.Done():
					}
				}
				return
			}
			pending.add(p)
			timer = after(quiet)
		case <-timer:
			ready.add(pending.paths...)
			pending, timer = batch{}, nil
		case offer <- ready.paths:
			ready = batch{}
		}
	}
}

// batch is a list of paths, each once.
type batch struct {
	paths []string
	seen  map[string]bool
}

func (b *batch) add(ps ...string) {
	if b.seen == nil {
		b.seen = map[string]bool{}
	}
	for _, p := range ps {
		if !b.seen[p] {
			b.seen[p] = true
			b.paths = append(b.paths, p)
		}
	}
}
