package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/perryts/perry-container/backend/fake"
	"github.com/perryts/perry-container/core"
)

// js_container_cancel's core: every operation started with a ctx ends
// Cancelled; other ctxs, and the ctx once finished, are untouched.
func TestCancelByHostCtx(t *testing.T) {
	fb := fake.New(leakImage)
	fb.Delay = time.Hour // every call waits until its context ends
	c := fakeContext(fb)
	const ud, other = uintptr(42), uintptr(43)
	type res struct {
		err       error
		cancelled bool
	}
	results := make(chan res, 2)
	start := func() {
		ctx, finish := c.startOp(ud)
		go func() {
			_, err := c.opList(ctx, arg{name: "all"})
			results <- res{err, finish()}
		}()
	}
	start()
	start() // a ctx may name several operations
	if n := c.Cancel(other); n != 0 {
		t.Fatalf("cancel of another ctx cancelled %d operations", n)
	}
	if n := c.Cancel(ud); n != 2 {
		t.Fatalf("cancel cancelled %d operations, want 2", n)
	}
	for i := 0; i < 2; i++ {
		r := <-results
		if !r.cancelled || core.KindOf(errCancelledByHost(r.err)) != core.KindCancelled || r.err == nil {
			t.Fatalf("operation %d: cancelled=%v err=%v", i, r.cancelled, r.err)
		}
	}
	if n := c.Cancel(ud); n != 0 {
		t.Fatalf("cancel of a finished ctx cancelled %d operations", n)
	}
	if c.ops.Size() != 0 {
		t.Fatalf("%d ctx entries left after every operation finished", c.ops.Size())
	}
}

// A second up of a project this state holds answers with the same handle;
// after a down, an up gets a new one.
func TestSecondUpSameHandle(t *testing.T) {
	cases := []struct {
		name string
		up   func(c *hostCtx) (int64, error)
	}{
		{"compose", func(c *hostCtx) (int64, error) {
			r, err := c.composeUp(context.Background(), newArg("spec", fmt.Sprintf(`{"name":"twice","services":{"a":{"image":%q,"command":["sleep","9"]}}}`, leakImage), true, false))
			if err != nil {
				return 0, err
			}
			return r.(ComposeUpResult).Handle, nil
		}},
		{"workload graph", func(c *hostCtx) (int64, error) {
			g := fmt.Sprintf(`{"name":"twice-g","nodes":{"n":{"id":"n","name":"n","image":%q,"cmd":["sleep","9"],"runtime":{"type":"oci"},"policy":{"tier":"default"}}},"edges":[]}`, leakImage)
			r, err := c.runGraph(context.Background(), newArg("graph", g, true, false), arg{name: "opts"})
			if err != nil {
				return 0, err
			}
			return r.(RunGraphResult).Handle, nil
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fb := fake.New(leakImage)
			c := fakeContext(fb)
			h1, err := tc.up(c)
			if err != nil {
				t.Fatal(err)
			}
			h2, err := tc.up(c)
			if err != nil || h2 != h1 {
				t.Fatalf("second up: handle %d (first %d), %v", h2, h1, err)
			}
			if n := c.liveHandles(); n != 1 {
				t.Fatalf("%d handles for one project", n)
			}
			if _, err := c.Shutdown(time.Minute, true); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// shutdown(0, teardown) with nothing in flight tears down and is no Timeout;
// with work in flight it still tears down, and says so in the Timeout.
func TestShutdownZeroTimeoutTearsDown(t *testing.T) {
	fb := fake.New(leakImage)
	c := fakeContext(fb)
	if _, err := c.composeUp(context.Background(), newArg("spec", fmt.Sprintf(`{"name":"z","services":{"a":{"image":%q,"command":["sleep","9"]}}}`, leakImage), true, false)); err != nil {
		t.Fatal(err)
	}
	res, err := c.Shutdown(0, true)
	if err != nil || len(res.(ShutdownResult).TornDown) != 1 {
		t.Fatalf("shutdown(0, 1): %+v %v", res, err)
	}

	c2 := fakeContext(fb)
	if _, err := c2.composeUp(context.Background(), newArg("spec", fmt.Sprintf(`{"name":"z2","services":{"a":{"image":%q,"command":["sleep","9"]}}}`, leakImage), true, false)); err != nil {
		t.Fatal(err)
	}
	if err := c2.begin(); err != nil { // in flight, never ends
		t.Fatal(err)
	}
	_, err = c2.Shutdown(0, true)
	e := core.AsError(err)
	if e.Kind != core.KindTimeout || fmt.Sprint(e.Details["tornDown"]) == "[]" {
		t.Fatalf("shutdown(0, 1) with work in flight: %v %v", err, e.Details)
	}
	if c2.liveHandles() != 0 {
		t.Fatalf("the timeout skipped the teardown: %d handles left", c2.liveHandles())
	}
}
