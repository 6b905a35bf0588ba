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

// events decodes every chunk.
func (s *chunkSink) events(t testing.TB) []ComposeEvent {
	var out []ComposeEvent
	for i, c := range s.chunks() {
		var batch []ComposeEvent
		if err := json.Unmarshal([]byte(c), &batch); err != nil || len(batch) == 0 {
			t.Fatalf("chunk %d is not a non-empty JSON array of events: %v: %s", i, err, c)
		}
		out = append(out, batch...)
	}
	return out
}

// prime waits until the events stream watches: an events stream reports
// what happens after the runtime took the subscription, which the caller
// cannot see, so it repeats act until the stream reports want (a
// "service action"). It returns how many events came until then.
func prime(t testing.TB, sink *chunkSink, want string, act func() error) int {
	t.Helper()
	count := func() int {
		n := 0
		for _, a := range actions(sink.events(t)) {
			if a == want {
				n++
			}
		}
		return n
	}
	for try := 0; try < 30; try++ {
		before := count()
		if err := act(); err != nil {
			t.Fatalf("priming the events stream: %v", err)
		}
		if testenv.Poll(2*time.Second, func() bool { return count() > before }) {
			return len(sink.events(t))
		}
	}
	t.Fatalf("the events stream never reported %q", want)
	return 0
}

// actions lists "service action" of the events, in order.
func actions(evs []ComposeEvent) []string {
	out := make([]string, 0, len(evs))
	for _, ev := range evs {
		out = append(out, ev.Service+" "+ev.Action)
	}
	return out
}

// inOrder reports whether want is a subsequence of got.
func inOrder(got, want []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

const eventsStack = `{
  "name": %q,
  "services": {
    "db":  {"image": "perry-test/busybox:latest", "command": ["sleep", "100"], "stop_signal": "SIGKILL",
            "labels": {"perry.test": "1"}},
    "web": {"image": "perry-test/busybox:latest", "command": ["sleep", "100"], "stop_signal": "SIGKILL",
            "labels": {"perry.test": "1"}, "depends_on": ["db"]}
  },
  "networks": {"default": {"labels": {"perry.test": "1"}}}
}`

// testComposeEvents follows the events of a stack through a stop, a start
// and a down, then cancels: the events come in order, in docker compose's
// shape, and the stream ends Cancelled with nothing after it.
func testComposeEvents(t *testing.T, b backend.Backend, project string) {
	c := newHostCtx(func(context.Context) (backend.Backend, error) { return b, nil })
	ctx := context.Background()
	res, err := c.composeUp(ctx, newArg("spec", fmt.Sprintf(eventsStack, project), true, false))
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	h := res.(ComposeUpResult).Handle
	downed := false
	t.Cleanup(func() {
		if !downed {
			_, _ = c.composeDown(context.Background(), h, true)
		}
	})

	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sink := newChunkSink()
	done := make(chan error, 1)
	go func() {
		_, err := c.composeEvents(sctx, h, arg{name: "opts"}, sink.send)
		done <- err
	}()
	k := prime(t, sink, "web start", func() error {
		_, err := c.composeLifecycle(ctx, h, "restart", newArg("services", `["web"]`, true, false))
		return err
	})
	after := func() []string { return actions(sink.events(t))[k:] }
	if _, err := c.composeLifecycle(ctx, h, "stop", newArg("services", `["web"]`, true, false)); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 30*time.Second, "web's die", func() bool { return slices.Contains(after(), "web die") })
	if _, err := c.composeLifecycle(ctx, h, "start", arg{name: "services"}); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 30*time.Second, "web's start", func() bool { return slices.Contains(after(), "web start") })
	if _, err := c.composeDown(ctx, h, true); err != nil {
		t.Fatal(err)
	}
	downed = true
	testenv.Eventually(t, 30*time.Second, "both destroys", func() bool {
		a := after()
		return slices.Contains(a, "web destroy") && slices.Contains(a, "db destroy")
	})
	cancel()
	if err := <-done; core.KindOf(err) != core.KindCancelled {
		t.Fatalf("cancelled events: %v", err)
	}
	n := len(sink.chunks())
	evs := sink.events(t)[k:]
	got := actions(evs)
	for _, want := range [][]string{
		{"web die", "web start", "web destroy"},
		{"db destroy"},
	} {
		if !inOrder(got, want) {
			t.Fatalf("events %q do not hold %q in order", got, want)
		}
	}
	for _, ev := range evs {
		if ev.Type != "container" || ev.ID == "" || !strings.HasPrefix(ev.Attributes["name"], project+"-"+ev.Service+"-") {
			t.Fatalf("event not in docker compose's shape: %+v", ev)
		}
		if _, err := time.Parse(time.RFC3339Nano, ev.Time); err != nil {
			t.Fatalf("event time %q: %v", ev.Time, err)
		}
	}
	// A die seen as such (not with its destroy in one look) has the exit code.
	if i := slices.Index(got, "web die"); evs[i].Attributes["exitCode"] == "" {
		t.Fatalf("die without exitCode: %+v", evs[i])
	}
	if len(sink.chunks()) != n {
		t.Fatal("a chunk after the stream ended")
	}
	if _, err := c.composeEvents(ctx, h, arg{name: "opts"}, sink.send); core.KindOf(err) != core.KindNotFound {
		t.Fatalf("events of a stack that is down: %v", err)
	}
}

func TestComposeEventsFake(t *testing.T) {
	testComposeEvents(t, fake.New("perry-test/busybox:latest"), "ffievents")
}

func TestComposeEventsDocker(t *testing.T) {
	testComposeEvents(t, testenv.RequireEngine(t), "ffievents-docker")
}

// An unknown service and bad options fail before any chunk; services
// filters the events.
func TestComposeEventsArguments(t *testing.T) {
	fb := fake.New("perry-test/busybox:latest")
	c := fakeContext(fb)
	ctx := context.Background()
	res, err := c.composeUp(ctx, newArg("spec", fmt.Sprintf(eventsStack, "ffievargs"), true, false))
	if err != nil {
		t.Fatal(err)
	}
	h := res.(ComposeUpResult).Handle
	defer c.composeDown(ctx, h, true)
	for opts, kind := range map[string]core.Kind{
		`{"services":["nope"]}`: core.KindNotFound,
		`{"services":"web"}`:    core.KindInvalidArgument,
	} {
		sink := newChunkSink()
		if _, err := c.composeEvents(ctx, h, newArg("opts", opts, true, false), sink.send); core.KindOf(err) != kind {
			t.Fatalf("%s: %v, want %s", opts, err, kind)
		}
		if len(sink.chunks()) != 0 {
			t.Fatalf("%s: chunks %q", opts, sink.chunks())
		}
	}
	// Services filters.
	sctx, cancel := context.WithCancel(ctx)
	sink := newChunkSink()
	done := make(chan error, 1)
	go func() {
		_, err := c.composeEvents(sctx, h, newArg("opts", `{"services":["db"]}`, true, false), sink.send)
		done <- err
	}()
	ps, _ := fb.List(ctx, backend.ListOptions{All: true})
	prime(t, sink, "db die", func() error {
		for _, p := range ps {
			info, err := fb.Inspect(ctx, p.ID)
			if err == nil && info.State == "running" {
				err = fb.Exit(p.ID, 3)
			} else if err == nil {
				err = fb.Start(ctx, p.ID) // the next try exits it again
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	cancel()
	<-done
	for _, ev := range sink.events(t) {
		if ev.Service != "db" {
			t.Fatalf("event of another service: %+v", ev)
		}
		if ev.Action == "die" && ev.Attributes["exitCode"] != "3" {
			t.Fatalf("die with exitCode %q", ev.Attributes["exitCode"])
		}
	}
}

// BenchmarkComposeEventsLatency measures the time from a container's kill
// (the call's start) to its die event reaching the chunk callback, and from
// the event's own time (as the runtime stamps it) to the callback.
func BenchmarkComposeEventsLatency(b *testing.B) {
	var be backend.Backend
	var fb *fake.Backend
	if os.Getenv("PERRY_CONTAINER_BACKEND") == "docker" {
		be = testenv.RequireEngine(b)
	} else {
		fb = fake.New("perry-test/busybox:latest")
		be = fb
	}
	c := newHostCtx(func(context.Context) (backend.Backend, error) { return be, nil })
	ctx := context.Background()
	res, err := c.composeUp(ctx, newArg("spec", fmt.Sprintf(eventsStack, "ffievbench"), true, false))
	if err != nil {
		b.Fatal(err)
	}
	h := res.(ComposeUpResult).Handle
	defer c.composeDown(context.Background(), h, true)
	var mu sync.Mutex
	arrived := map[string]time.Time{} // "id action" → first seen
	var sinceEvent time.Duration      // sum over die events: callback time − the event's time
	dies := 0
	send := func(js []byte) {
		now := time.Now()
		var batch []ComposeEvent
		_ = json.Unmarshal(js, &batch)
		mu.Lock()
		defer mu.Unlock()
		for _, ev := range batch {
			if _, ok := arrived[ev.ID+" "+ev.Action]; !ok {
				arrived[ev.ID+" "+ev.Action] = now
				if at, err := time.Parse(time.RFC3339Nano, ev.Time); err == nil && ev.Action == "die" {
					sinceEvent += now.Sub(at) // the runtime's own time of the event
					dies++
				}
			}
		}
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _, _ = c.composeEvents(sctx, h, arg{name: "opts"}, send) }()
	defer func() { cancel(); <-done }()
	ps, err := c.composePs(ctx, h)
	if err != nil {
		b.Fatal(err)
	}
	var web string
	for _, p := range ps.([]core.ContainerInfo) {
		if p.Labels["com.docker.compose.service"] == "web" {
			web = p.ID
		}
	}
	seen := func(key string) time.Time {
		mu.Lock()
		defer mu.Unlock()
		return arrived[key]
	}
	// cycle kills web and starts it again; it returns how long the die
	// event took to arrive, or 0 when it did not within wait.
	cycle := func(wait time.Duration) time.Duration {
		mu.Lock()
		delete(arrived, web+" die")
		delete(arrived, web+" start")
		mu.Unlock()
		t0 := time.Now()
		if fb != nil {
			err = fb.Exit(web, 1)
		} else {
			err = be.Kill(ctx, web, "KILL")
		}
		if err != nil {
			b.Fatal(err)
		}
		testenv.Poll(wait, func() bool { return !seen(web + " die").IsZero() })
		t1 := seen(web + " die")
		if err := be.Start(ctx, web); err != nil {
			b.Fatal(err)
		}
		if t1.IsZero() {
			return 0
		}
		if !testenv.Poll(30*time.Second, func() bool { return !seen(web + " start").IsZero() }) {
			b.Fatal("no start event")
		}
		return t1.Sub(t0)
	}
	// Until the stream watches: restart web until its start is reported.
	for try := 0; ; try++ {
		if try == 30 {
			b.Fatal("the events stream never reported a restart")
		}
		if _, err := c.composeLifecycle(ctx, h, "restart", newArg("services", `["web"]`, true, false)); err != nil {
			b.Fatal(err)
		}
		if testenv.Poll(2*time.Second, func() bool { return !seen(web + " start").IsZero() }) {
			break
		}
	}
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d := cycle(30 * time.Second)
		if d == 0 {
			b.Fatal("no die event")
		}
		total += d
	}
	b.ReportMetric(float64(total.Microseconds())/1e3/float64(b.N), "ms/kill→callback")
	mu.Lock()
	if dies > 0 {
		b.ReportMetric(float64(sinceEvent.Microseconds())/1e3/float64(dies), "ms/event→callback")
	}
	mu.Unlock()
}

// closingEvents is a fake whose event stream the runtime closes at once.
type closingEvents struct{ *fake.Backend }

func (closingEvents) Events(context.Context, backend.EventsOptions, func(backend.ContainerEvent)) error {
	return nil
}

// A runtime that closes its event stream ends the call with BackendError,
// never with a success the host would take for a finished stream.
func TestComposeEventsStreamClosedByRuntime(t *testing.T) {
	b := closingEvents{fake.New("perry-test/busybox:latest")}
	c := newHostCtx(func(context.Context) (backend.Backend, error) { return b, nil })
	ctx := context.Background()
	res, err := c.composeUp(ctx, newArg("spec", fmt.Sprintf(eventsStack, "ffievclosed"), true, false))
	if err != nil {
		t.Fatal(err)
	}
	h := res.(ComposeUpResult).Handle
	defer c.composeDown(ctx, h, true)
	sink := newChunkSink()
	if _, err := c.composeEvents(ctx, h, arg{name: "opts"}, sink.send); core.KindOf(err) != core.KindBackendError {
		t.Fatalf("events after the runtime closed its stream: %v", err)
	}
	if len(sink.chunks()) != 0 {
		t.Fatalf("chunks %q", sink.chunks())
	}
}
