package main

import (
	"context"
	"encoding/json"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/fake"
	"github.com/perryts/perry-container/core"
)

func fakeContext(b *fake.Backend) *hostCtx {
	return newHostCtx(func(context.Context) (backend.Backend, error) { return b, nil })
}

type envelopeJSON struct {
	OK     bool            `json:"ok"`
	Result json.RawMessage `json:"result"`
	Error  map[string]any  `json:"error"`
}

func decode(t interface{ Fatalf(string, ...any) }, js []byte) envelopeJSON {
	var e envelopeJSON
	if err := json.Unmarshal(js, &e); err != nil {
		t.Fatalf("envelope is not JSON: %v: %s", err, js)
	}
	return e
}

// Error propagation preserves code and message.
func TestPropertyErrorEnvelopePreservesCodeAndMessage(t *testing.T) {
	kinds := []core.Kind{core.KindNotFound, core.KindInvalidArgument, core.KindInvalidConfig, core.KindVerificationFailed,
		core.KindPolicyViolation, core.KindDependencyCycle, core.KindWorkloadRefResolutionFailed, core.KindServiceStartupFailed,
		core.KindInternal, core.KindBackendError, core.KindNoBackendFound, core.KindBackendNotAvailable, core.KindTimeout}
	rapid.Check(t, func(t *rapid.T) {
		kind := rapid.SampledFrom(kinds).Draw(t, "kind")
		msg := rapid.String().Draw(t, "message")
		err := &core.Error{Kind: kind, Message: msg}
		if kind == core.KindBackendError {
			err = core.BackendFailure("docker", nil, rapid.IntRange(1, 255).Draw(t, "exit"), msg)
		}
		js, status := envelope(nil, err)
		e := decode(t, js)
		if e.OK {
			t.Fatalf("error envelope says ok: %s", js)
		}
		if int(status) != err.Code() || int(e.Error["code"].(float64)) != err.Code() {
			t.Fatalf("code lost: status %d, envelope %v, want %d", status, e.Error["code"], err.Code())
		}
		if e.Error["kind"] != string(kind) {
			t.Fatalf("kind lost: %v", e.Error["kind"])
		}
		if want := strings.ToValidUTF8(err.Error(), "\uFFFD"); e.Error["message"] != want {
			t.Fatalf("message lost: %q != %q", e.Error["message"], want)
		}
		if !strings.HasPrefix(string(js), `{"ok":false,"error":{`) {
			t.Fatalf("envelope shape: %s", js)
		}
	})
}

// Two library states share nothing.
func TestPropertyContextsAreIsolated(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		fa, fb := fake.New(), fake.New()
		a, b := fakeContext(fa), fakeContext(fb)
		n := rapid.IntRange(1, 10).Draw(t, "handles")
		var ha []int64
		for i := 0; i < n; i++ {
			h, err := a.register(kindCompose, i)
			if err != nil {
				t.Fatal(err)
			}
			ha = append(ha, h)
		}
		hb, _ := b.register(kindWorkload, "b")
		for _, h := range ha {
			if h == hb {
				t.Fatalf("two contexts share handle %d", h)
			}
			if _, err := b.lookup(h, kindCompose); core.KindOf(err) != core.KindNotFound {
				t.Fatalf("context b sees a's handle %d: %v", h, err)
			}
		}
		ba, _ := a.Backend(context.Background())
		bb, _ := b.Backend(context.Background())
		if ba == bb {
			t.Fatalf("two contexts share a backend")
		}
	})
}

func TestHandlesAreTyped(t *testing.T) {
	c := fakeContext(fake.New())
	h, err := c.register(kindCompose, "stack")
	if err != nil || h <= 0 || h > maxHandle {
		t.Fatalf("register: %d %v", h, err)
	}
	if _, err := c.lookup(h, kindWorkload); core.KindOf(err) != core.KindInvalidArgument || !strings.Contains(err.Error(), "compose handle") {
		t.Fatalf("wrong-type handle: %v", err)
	}
	for _, bad := range []int64{0, -1, maxHandle + 1} {
		if _, err := c.lookup(bad, kindCompose); core.KindOf(err) != core.KindInvalidArgument {
			t.Fatalf("handle %d: %v", bad, err)
		}
	}
	c.release(h)
	if _, err := c.lookup(h, kindCompose); core.KindOf(err) != core.KindNotFound {
		t.Fatalf("released handle: %v", err)
	}
	h2, _ := c.register(kindCompose, "again")
	if h2 == h {
		t.Fatalf("handle %d reused", h)
	}
}

func TestBackendResolvedOnceUnderConcurrency(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	release := make(chan struct{})
	c := newHostCtx(func(context.Context) (backend.Backend, error) {
		mu.Lock()
		calls++
		mu.Unlock()
		<-release // every caller below asks while this resolution is in flight
		return fake.New(), nil
	})
	var wg sync.WaitGroup
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = c.Backend(context.Background()) }()
	}
	// Wait until the one resolution is in flight, then release it.
	for {
		c.bmu.Lock()
		inFlight := c.flight != nil
		c.bmu.Unlock()
		if inFlight {
			break
		}
		runtime.Gosched()
	}
	close(release)
	wg.Wait()
	if calls != 1 {
		t.Fatalf("resolver ran %d times, want 1", calls)
	}
}

// A failed detection is not kept: the host starts its runtime and the next
// call finds it, without a restart.
func TestFailedDetectionIsRetried(t *testing.T) {
	fail := true
	calls := 0
	c := newHostCtx(func(context.Context) (backend.Backend, error) {
		calls++
		if fail {
			return nil, core.Errorf(core.KindNoBackendFound, "no container runtime found")
		}
		return fake.New(), nil
	})
	if _, err := c.Backend(context.Background()); core.KindOf(err) != core.KindNoBackendFound {
		t.Fatalf("first detection: %v", err)
	}
	fail = false
	b, err := c.Backend(context.Background())
	if err != nil || b == nil {
		t.Fatalf("second detection after the runtime came up: %v", err)
	}
	if _, err := c.Backend(context.Background()); err != nil || calls != 2 {
		t.Fatalf("a success is kept: %d resolutions, %v", calls, err)
	}
}

func TestOperationsOverFake(t *testing.T) {
	fb := fake.New("perry-test/busybox:latest")
	c := fakeContext(fb)
	ctx := context.Background()
	res, err := c.opRun(ctx, newArg("spec", `{"image":"perry-test/busybox:latest","cmd":["sleep","9"]}`, true, false), false)
	if err != nil {
		t.Fatal(err)
	}
	h := res.(core.ContainerHandle)
	if len(h.Name) != 17 || h.Name[8] != '-' {
		t.Fatalf("anonymous name %q is not {md5_8}-{hex8}", h.Name)
	}
	if !strings.HasPrefix(h.Name, GenerateName("perry-test/busybox:latest")[:8]) {
		t.Fatalf("name %q does not start with md5(image)", h.Name)
	}
	info, err := c.opInspect(ctx, newArg("id", h.ID, true, false))
	if err != nil || info.(core.ContainerInfo).State != "running" {
		t.Fatalf("inspect after run: %+v %v", info, err)
	}
	out, err := c.opExec(ctx, newArg("id", h.ID, true, false), newArg("cmd", `["echo","a b"]`, true, false), arg{name: "env"}, arg{name: "workdir"})
	if err != nil || out.(core.ContainerLogs).Stdout != "a b\n" {
		t.Fatalf("exec: %+v %v", out, err)
	}
	if _, err := c.opStop(ctx, newArg("id", h.ID, true, false), newArg("timeout", "2", true, false)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.opRemove(ctx, newArg("id", h.ID, true, false), arg{name: "force"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.opInspect(ctx, newArg("id", h.ID, true, false)); core.KindOf(err) != core.KindNotFound || !strings.Contains(err.Error(), h.ID) {
		t.Fatalf("inspect after remove: %v", err)
	}
}

func TestShutdownRefusesNewWorkAndWaits(t *testing.T) {
	fb := fake.New()
	fb.Delay = 50 * time.Millisecond
	c := fakeContext(fb)
	if err := c.begin(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := c.Shutdown(10*time.Second, true); done <- err }()
	// Shutdown has refused new work: it is now waiting for ours.
	for !c.isClosed() {
		runtime.Gosched()
	}
	select {
	case err := <-done:
		t.Fatalf("shutdown returned before the in-flight operation ended: %v", err)
	default:
	}
	c.end()
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if err := c.begin(); core.KindOf(err) != core.KindCancelled {
		t.Fatalf("begin after shutdown: %v", err)
	}
	c2 := fakeContext(fb)
	_ = c2.begin() // never ends
	if _, err := c2.Shutdown(20*time.Millisecond, false); core.KindOf(err) != core.KindTimeout {
		t.Fatalf("shutdown with stuck work: %v", err)
	}
}

func TestArgumentDecoding(t *testing.T) {
	tests := []struct {
		name    string
		a       arg
		wantErr string
	}{
		{"null is required", arg{name: "id"}, "is required"},
		{"empty", newArg("id", "", true, false), "is empty"},
		{"too long", newArg("id", "", true, true), "16 MiB"},
		{"bad utf8", newArg("id", "\xff", true, false), "UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.a.required()
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "id") {
				t.Fatalf("error %v, want %q naming the argument", err, tc.wantErr)
			}
		})
	}
	for _, in := range []string{"-1", "1.5", "1e300", `"3"`, "true"} {
		if _, err := intArg(newArg("timeout", in, true, false), 100); core.KindOf(err) != core.KindInvalidArgument {
			t.Errorf("intArg(%s): %v", in, err)
		}
	}
	if n, err := intArg(newArg("tail", "null", true, false), 100); n != nil || err != nil {
		t.Errorf("null is absent: %v %v", n, err)
	}
}

func backendAll() backend.ListOptions { return backend.ListOptions{All: true} }
