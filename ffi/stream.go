package main

import (
	"bufio"
	"context"
	"io"
	"sync"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// LogLine is one line of a followed log, as a chunk carries it.
type LogLine struct {
	// Service is the compose service the line comes from, when there is one.
	Service string `json:"service,omitempty"`
	// Stream is "stdout" or "stderr".
	Stream string `json:"stream"`
	Line   string `json:"line"`
}

// FollowLogsOptions is opts_json of js_container_logs_follow.
type FollowLogsOptions struct {
	Tail *int `json:"tail,omitempty"`
}

// FollowResult is what a followed log's final callback resolves to.
type FollowResult struct {
	// Lines is how many lines the chunks carried.
	Lines int64 `json:"lines"`
}

const (
	// streamBuffer bounds the lines held between the runtime and a slow host:
	// when it is full the library stops reading the runtime's log stream
	// until the host's chunk callback has taken some.
	streamBuffer = 1024
	// chunkLines and chunkBytes bound one chunk (a chunk holds at least one
	// line, whatever its length).
	chunkLines = 256
	chunkBytes = 1 << 20
	// maxLine bounds one log line (a longer one is cut into several).
	maxLine = 1 << 20
)

// follower carries items (log lines, events) from the producer to the
// host, in order, through a bounded buffer, on one goroutine.
type follower[T any] struct {
	items chan T
	size  func(T) int // an item's share of chunkBytes
	done  chan struct{}
	sent  int64
}

func newFollower[T any](size func(T) int) *follower[T] {
	return &follower[T]{items: make(chan T, streamBuffer), size: size, done: make(chan struct{})}
}

// emit queues one item, waiting while the buffer is full; it fails once ctx
// ends.
func (f *follower[T]) emit(ctx context.Context, it T) error {
	select {
	case f.items <- it:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run sends the queued items in chunks of up to chunkLines until the queue
// is closed; after ctx ends, what is left is dropped.
func (f *follower[T]) run(ctx context.Context, send func([]byte)) {
	defer close(f.done)
	batch := make([]T, 0, chunkLines)
	for it := range f.items {
		batch = append(batch[:0], it)
		size := f.size(it)
	fill:
		for len(batch) < chunkLines && size < chunkBytes {
			select {
			case it, ok := <-f.items:
				if !ok {
					break fill
				}
				batch = append(batch, it)
				size += f.size(it)
			default:
				break fill
			}
		}
		if ctx.Err() != nil {
			continue
		}
		js, err := marshal(batch)
		if err != nil {
			continue // the stream types always encode
		}
		send(js)
		f.sent += int64(len(batch))
	}
}

// stream runs produce with an emit function feeding a follower whose chunks
// go to send, and returns how many items were sent once every chunk was.
func stream[T any](ctx context.Context, send func([]byte), size func(T) int, produce func(emit func(T) error) error) (int64, error) {
	f := newFollower(size)
	go f.run(ctx, send)
	err := produce(func(it T) error { return f.emit(ctx, it) })
	close(f.items)
	<-f.done
	if err == nil {
		err = ctx.Err() // a cancelled stream ends Cancelled, not with a partial success
	}
	if err != nil {
		return 0, err
	}
	return f.sent, nil
}

// follow streams log lines and answers FollowResult.
func follow(ctx context.Context, send func([]byte), produce func(emit func(LogLine) error) error) (any, error) {
	n, err := stream(ctx, send, func(l LogLine) int { return len(l.Line) }, produce)
	if err != nil {
		return nil, err
	}
	return FollowResult{Lines: n}, nil
}

// opFollowLogs follows a container's output until it exits (or the call is
// cancelled).
func (c *hostCtx) opFollowLogs(ctx context.Context, id, opts arg, emit func(LogLine) error) error {
	var o FollowLogsOptions
	if _, err := opts.json(&o); err != nil {
		return err
	}
	if o.Tail != nil && *o.Tail < 0 {
		return core.InvalidArgument(opts.name, "tail must not be negative")
	}
	_, err := c.idOp(ctx, id, func(b backend.Backend, id string) (any, error) {
		return nil, followStreams(func(stdout, stderr io.Writer) error {
			return b.FollowLogs(ctx, id, backend.LogsOptions{Tail: o.Tail}, stdout, stderr)
		}, emit)
	})
	return err
}

// followStreams runs write with one writer per stream and emits each line
// written. When emit fails (the call ended) the writers fail too, so the
// runtime's stream stops.
func followStreams(write func(stdout, stderr io.Writer) error, emit func(LogLine) error) error {
	var mu sync.Mutex // one emitter at a time: lines of a stream stay in order
	var wg sync.WaitGroup
	pipe := func(stream string) *io.PipeWriter {
		pr, pw := io.Pipe()
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := bufio.NewScanner(pr)
			sc.Buffer(make([]byte, 64<<10), maxLine)
			for sc.Scan() {
				mu.Lock()
				err := emit(LogLine{Stream: stream, Line: sc.Text()})
				mu.Unlock()
				if err != nil {
					pr.CloseWithError(err)
					return
				}
			}
			pr.CloseWithError(sc.Err()) // a line over maxLine: the writer learns it
		}()
		return pw
	}
	out, errw := pipe("stdout"), pipe("stderr")
	err := write(out, errw)
	out.Close()
	errw.Close()
	wg.Wait()
	return err
}
