package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/fake"
	"github.com/perryts/perry-container/core"
	"github.com/perryts/perry-container/internal/testenv"
)

// printer is a node spec whose container prints "<id>-1" … "<id>-n", one
// a line, and exits.
func printer(id string, n int, fakeBackend bool) string {
	script := fmt.Sprintf("i=1; while [ $i -le %d ]; do echo %s-$i; i=$((i+1)); done", n, id)
	if fakeBackend { // the fake's shell has no loops
		parts := make([]string, n)
		for i := range parts {
			parts[i] = fmt.Sprintf("echo %s-%d", id, i+1)
		}
		script = strings.Join(parts, "; ")
	}
	js, _ := json.Marshal(script)
	return `{"image":"perry-test/busybox:latest","cmd":["sh","-c",` + string(js) + `],"labels":{"perry.test":"1"}}`
}

// followGraph runs a graph of printers and follows every node's logs to the
// end; it returns the lines and how long the follow took.
func followGraph(t testing.TB, b backend.Backend, name string, nodes []string, n int) ([]LogLine, time.Duration) {
	_, isFake := b.(*fake.Backend)
	c := newHostCtx(func(context.Context) (backend.Backend, error) { return b, nil })
	ctx := context.Background()
	parts := []string{}
	for _, id := range nodes {
		node, err := workloadNode(a("name", id), a("spec", printer(id, n, isFake)))
		if err != nil {
			t.Fatalf("node %s: %v", id, err)
		}
		js, _ := json.Marshal(node)
		parts = append(parts, `"`+id+`":`+string(js))
	}
	g, err := workloadGraph(a("name", name), a("spec", `{"nodes":{`+strings.Join(parts, ",")+`}}`))
	if err != nil {
		t.Fatalf("graph: %v", err)
	}
	gjs, _ := json.Marshal(g)
	graph := string(gjs)
	res, err := c.runGraph(ctx, a("graph", graph), a("opts", `{"strategy":"max-parallel"}`))
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	h := res.(RunGraphResult).Handle
	defer func() {
		if _, err := c.graphDown(context.Background(), h, a("opts", `{"volumes":true}`)); err != nil {
			t.Errorf("down: %v", err)
		}
	}()
	sink := newChunkSink()
	var lines []LogLine
	t0 := time.Now()
	out, err := follow(ctx, sink.send, func(emit func(LogLine) error) error {
		return c.graphLogsFollow(ctx, h, arg{name: "node"}, arg{name: "opts"}, emit)
	})
	d := time.Since(t0)
	if err != nil {
		t.Fatalf("follow: %v", err)
	}
	for _, ch := range sink.chunks() {
		var batch []LogLine
		if err := json.Unmarshal([]byte(ch), &batch); err != nil {
			t.Fatalf("chunk: %v", err)
		}
		lines = append(lines, batch...)
	}
	if got := out.(FollowResult).Lines; got != int64(len(lines)) {
		t.Fatalf("result says %d lines, chunks carried %d", got, len(lines))
	}
	return lines, d
}

// checkPerNodeOrder checks that each node's n lines came, in order, with
// the node id as service.
func checkPerNodeOrder(t testing.TB, lines []LogLine, nodes []string, n int) {
	next := map[string]int{}
	for _, l := range lines {
		if l.Stream != "stdout" {
			t.Fatalf("line on %s: %+v", l.Stream, l)
		}
		next[l.Service]++
		if want := fmt.Sprintf("%s-%d", l.Service, next[l.Service]); l.Line != want {
			t.Fatalf("node %s: line %q, want %q (out of order or lost)", l.Service, l.Line, want)
		}
	}
	for _, id := range nodes {
		if next[id] != n {
			t.Fatalf("node %s: %d lines, want %d", id, next[id], n)
		}
	}
	if len(lines) != n*len(nodes) {
		t.Fatalf("%d lines, want %d", len(lines), n*len(nodes))
	}
}

func TestGraphLogsFollowFake(t *testing.T) {
	nodes := []string{"a", "b", "c"}
	lines, _ := followGraph(t, fake.New("perry-test/busybox:latest"), "ffi-graphlogs", nodes, 50)
	checkPerNodeOrder(t, lines, nodes, 50)
}

func TestGraphLogsFollowDocker(t *testing.T) {
	nodes := []string{"a", "b", "c"}
	lines, _ := followGraph(t, testenv.RequireEngine(t), "ffi-graphlogs-docker", nodes, 200)
	checkPerNodeOrder(t, lines, nodes, 200)
}

// A follow of running nodes goes on until cancelled, then ends Cancelled;
// an unknown node is NotFound and bad options InvalidArgument.
func TestGraphLogsFollowCancelAndErrors(t *testing.T) {
	fb := fake.New("perry-test/busybox:latest")
	c := fakeContext(fb)
	ctx := context.Background()
	graph := buildGraph(t, "ffi-graphlogs-cancel", map[string]string{
		"api": `{"image":"perry-test/busybox:latest","cmd":["sh","-c","echo up; sleep 100"]}`,
	})
	res, err := c.runGraph(ctx, a("graph", graph), arg{name: "opts"})
	if err != nil {
		t.Fatal(err)
	}
	h := res.(RunGraphResult).Handle
	defer c.graphDown(ctx, h, a("opts", `{}`))
	sctx, cancel := context.WithCancel(ctx)
	sink := newChunkSink()
	done := make(chan error, 1)
	go func() {
		_, err := follow(sctx, sink.send, func(emit func(LogLine) error) error {
			return c.graphLogsFollow(sctx, h, a("node", "api"), arg{name: "opts"}, emit)
		})
		done <- err
	}()
	<-sink.ready
	if got := sink.chunks(); len(got) != 1 || got[0] != `[{"service":"api","stream":"stdout","line":"up"}]` {
		t.Fatalf("chunks %q", got)
	}
	cancel()
	if err := <-done; core.KindOf(err) != core.KindCancelled {
		t.Fatalf("cancelled follow: %v", err)
	}
	emit := func(LogLine) error { return nil }
	if err := c.graphLogsFollow(ctx, h, a("node", "nope"), arg{name: "opts"}, emit); core.KindOf(err) != core.KindNotFound {
		t.Fatalf("unknown node: %v", err)
	}
	if err := c.graphLogsFollow(ctx, h, arg{name: "node"}, a("opts", `{"tail":-1}`), emit); core.KindOf(err) != core.KindInvalidArgument {
		t.Fatalf("negative tail: %v", err)
	}
	if err := c.graphLogsFollow(ctx, h+1000, arg{name: "node"}, arg{name: "opts"}, emit); core.KindOf(err) != core.KindNotFound {
		t.Fatalf("stale handle: %v", err)
	}
}

// BenchmarkGraphLogsFollow measures a followed graph's throughput: three
// nodes of 2,000 lines each (PERRY_CONTAINER_BACKEND=docker for Docker).
func BenchmarkGraphLogsFollow(b *testing.B) {
	var be backend.Backend = fake.New("perry-test/busybox:latest")
	if os.Getenv("PERRY_CONTAINER_BACKEND") == "docker" {
		be = testenv.RequireEngine(b)
	}
	nodes := []string{"a", "b", "c"}
	const n = 2000
	var total time.Duration
	for i := 0; i < b.N; i++ {
		lines, d := followGraph(b, be, fmt.Sprintf("ffi-graphlogs-bench-%d", i), nodes, n)
		checkPerNodeOrder(b, lines, nodes, n)
		total += d
	}
	b.ReportMetric(float64(n*len(nodes)*b.N)/total.Seconds(), "lines/s")
}

// chunkSink collects a stream's chunks as the host's chunk callback would,
// checking that they never overlap.
type chunkSink struct {
	mu     sync.Mutex
	inside bool
	raw    []string
	ready  chan struct{}
}

func newChunkSink() *chunkSink { return &chunkSink{ready: make(chan struct{})} }

func (s *chunkSink) send(js []byte) {
	s.mu.Lock()
	if s.inside {
		s.mu.Unlock()
		panic("two chunks at once")
	}
	s.inside = true
	s.raw = append(s.raw, string(js))
	if len(s.raw) == 1 {
		close(s.ready)
	}
	s.inside = false
	s.mu.Unlock()
}

func (s *chunkSink) chunks() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.raw)
}
