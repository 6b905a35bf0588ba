package main

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/fake"
	"github.com/perryts/perry-container/core"
)

// Leak checks behind tests/c/stress/stress64.c: C cannot count goroutines,
// so the same mix of calls runs here on an isolated hostCtx over the fake
// engine, through the same entry points the exports use, from many
// goroutines at once; then Shutdown(teardown) must leave no goroutine of the
// library behind (goleak), and the heap must stay flat across rounds.

const leakImage = "perry-test/busybox:latest"

// mixedCalls is one worker's share of a round: the stress64 mix.
func mixedCalls(t testing.TB, c *hostCtx, worker, round, n int) {
	ctx := context.Background()
	a := func(name, s string) arg { return newArg(name, s, true, false) }
	for i := 0; i < n; i++ {
		switch i % 8 {
		case 0: // run, inspect, remove
			spec := fmt.Sprintf(`{"image":%q,"cmd":["sleep","100"],"labels":{"perry.test":"1"}}`, leakImage)
			res, err := c.opRun(ctx, a("spec", spec), false)
			if err != nil {
				t.Errorf("run: %v", err)
				continue
			}
			id := res.(core.ContainerHandle).ID
			if _, err := c.opInspect(ctx, a("id", id)); err != nil {
				t.Errorf("inspect: %v", err)
			}
			if _, err := c.opRemove(ctx, a("id", id), a("force", "true")); err != nil {
				t.Errorf("remove: %v", err)
			}
		case 1:
			if _, err := c.opInspect(ctx, a("id", "missing")); core.KindOf(err) != core.KindNotFound {
				t.Errorf("inspect unknown: %v", err)
			}
		case 2:
			if _, err := c.opList(ctx, arg{name: "all"}); err != nil {
				t.Errorf("list: %v", err)
			}
		case 3: // compose up / ps / status / graph / down / down again
			spec := fmt.Sprintf(`{"name":"leak-%d-%d-%d","services":{"db":{"image":%q,"command":["sleep","100"]},`+
				`"web":{"image":%q,"command":["sleep","100"],"depends_on":["db"]}}}`, round, worker, i, leakImage, leakImage)
			res, err := c.composeUp(ctx, a("spec", spec))
			if err != nil {
				t.Errorf("compose up: %v", err)
				continue
			}
			h := res.(ComposeUpResult).Handle
			if _, err := c.composePs(ctx, h); err != nil {
				t.Errorf("compose ps: %v", err)
			}
			if _, err := c.composeStatus(ctx, h); err != nil {
				t.Errorf("compose status: %v", err)
			}
			if _, err := c.composeGraph(h); err != nil {
				t.Errorf("compose graph: %v", err)
			}
			if _, err := c.composeDown(ctx, h, true); err != nil {
				t.Errorf("compose down: %v", err)
			}
			if _, err := c.composeDown(ctx, h, true); core.KindOf(err) != core.KindNotFound {
				t.Errorf("compose down twice: %v", err)
			}
		case 4:
			if _, err := workloadNode(a("name", fmt.Sprintf("n%d", i)), a("spec", `{"image":"`+leakImage+`"}`)); err != nil {
				t.Errorf("workload node: %v", err)
			}
		case 5:
			if _, err := workloadGraph(a("name", "g"), a("spec", `{"nodes":{"a":{"image":"`+leakImage+`"},"b":{"image":"`+leakImage+`","dependsOn":["a"]}}}`)); err != nil {
				t.Errorf("workload graph: %v", err)
			}
		case 6: // runGraph / status / down
			g := fmt.Sprintf(`{"name":"leakg-%d-%d-%d","nodes":{"a":{"id":"a","name":"a","image":%q,"cmd":["sleep","100"],`+
				`"runtime":{"type":"auto"},"policy":{"tier":"default"}}},"edges":[]}`, round, worker, i, leakImage)
			res, err := c.runGraph(ctx, a("graph", g), arg{name: "opts"})
			if err != nil {
				t.Errorf("runGraph: %v", err)
				continue
			}
			h := res.(RunGraphResult).Handle
			if _, err := c.graphStatus(ctx, h); err != nil {
				t.Errorf("graph status: %v", err)
			}
			if _, err := c.graphDown(ctx, h, arg{name: "opts"}); err != nil {
				t.Errorf("graph down: %v", err)
			}
		default: // unknown handles, bad arguments
			if _, err := c.composePs(ctx, int64(1)<<47+int64(i)); core.KindOf(err) != core.KindNotFound {
				t.Errorf("unknown handle: %v", err)
			}
			if _, err := c.graphStatus(ctx, 0); core.KindOf(err) != core.KindInvalidArgument {
				t.Errorf("handle 0: %v", err)
			}
			if _, err := c.opLogs(ctx, a("id", "x"), a("tail", "-1")); core.KindOf(err) != core.KindInvalidArgument {
				t.Errorf("bad tail: %v", err)
			}
		}
	}
}

func runRound(t testing.TB, c *hostCtx, round, workers, n int) {
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mixedCalls(t, c, w, round, n)
		}()
	}
	wg.Wait()
}

// Every goroutine the library starts ends by the time Shutdown returns:
// the operations' own, the engines' (compose up, health waits, logs), the
// workload runs', and Shutdown's.
func TestNoGoroutinesLeftAfterShutdown(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	fb := fake.New(leakImage)
	c := fakeContext(fb)
	runRound(t, c, 0, 16, 64)
	// Live stacks and graphs at shutdown: teardown brings them down.
	for i := 0; i < 4; i++ {
		if _, err := c.composeUp(context.Background(), newArg("spec", fmt.Sprintf(`{"name":"leaklive-%d","services":{"a":{"image":%q,"command":["sleep","100"]}}}`, i, leakImage), true, false)); err != nil {
			t.Fatal(err)
		}
	}
	// In-flight work at shutdown: slow calls that Shutdown must cancel and wait for.
	fb.Delay = 50 * time.Millisecond
	var wg, begun sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		begun.Add(1)
		go func() {
			defer wg.Done()
			err := c.begin()
			begun.Done()
			if err != nil {
				return
			}
			defer c.end()
			_, _ = c.opList(c.root, arg{name: "all"})
		}()
	}
	begun.Wait() // all 8 are in flight before the shutdown
	res, err := c.Shutdown(10*time.Second, true)
	if err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if got := len(res.(ShutdownResult).TornDown); got != 4 {
		t.Fatalf("torn down %d stacks, want 4: %+v", got, res)
	}
	wg.Wait()
	if c.liveHandles() != 0 {
		t.Fatalf("%d handles left", c.liveHandles())
	}
	if err := c.begin(); core.KindOf(err) != core.KindCancelled {
		t.Fatalf("begin after shutdown: %v", err)
	}
}

// The heap stays flat across rounds of the stress mix: nothing the library
// keeps per call, per stack or per handle outlives it. (The fake engine's
// call log grows by design; it is reset between rounds.)
func TestHeapFlatAcrossRounds(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	fb := fake.New(leakImage)
	c := fakeContext(fb)
	heap := func() uint64 {
		fb.ResetCalls()
		var ms runtime.MemStats
		for i := 0; i < 3; i++ {
			runtime.GC()
		}
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	runRound(t, c, 0, 8, 64) // warm-up
	base := heap()
	var last uint64
	for r := 1; r <= 4; r++ {
		runRound(t, c, r, 8, 64)
		last = heap()
		t.Logf("round %d: heap %d kB (base %d kB), goroutines %d", r, last/1024, base/1024, runtime.NumGoroutine())
	}
	if last > base+8<<20 {
		t.Fatalf("heap grew from %d kB to %d kB over 4 rounds", base/1024, last/1024)
	}
	if c.liveHandles() != 0 {
		t.Fatalf("%d handles left after every down", c.liveHandles())
	}
	if _, err := c.Shutdown(5*time.Second, true); err != nil {
		t.Fatal(err)
	}
}

// The fake engine's own state stays bounded too once stacks are down:
// hosts run long test suites on PERRY_CONTAINER_BACKEND=fake.
func TestFakeStateBoundedAfterDowns(t *testing.T) {
	fb := fake.New(leakImage)
	c := fakeContext(fb)
	runRound(t, c, 0, 4, 40)
	ctx := context.Background()
	cs, _ := fb.List(ctx, backend.ListOptions{All: true})
	ns, _ := fb.ListNetworks(ctx, nil)
	vs, _ := fb.ListVolumes(ctx, nil)
	var names []string
	for _, n := range ns {
		names = append(names, n.Name)
	}
	if len(cs) != 0 || len(vs) != 0 || len(ns) > 3 {
		t.Fatalf("left in the fake: %d containers, %d volumes, networks %s", len(cs), len(vs), strings.Join(names, ","))
	}
}
