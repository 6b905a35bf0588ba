package fault

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/cli"
	"github.com/perryts/perry-container/compose/engine"
	"github.com/perryts/perry-container/compose/loader"
	"github.com/perryts/perry-container/core"
)

// sleeper exits at once on SIGTERM (sleep as PID 1 would ignore it).
const sleeper = `["sh","-c","trap 'exit 0' TERM; sleep 1000 & wait"]`

// stack is the 6-service project of every fault run: two networks, a named
// volume, and api waiting for db to be healthy.
func stack(project string) string {
	svc := func(extra string) string {
		return `{"image":"` + testImage + `","command":` + sleeper + `,"stop_grace_period":"2s","labels":{"perry.test":"1"}` + extra + `}`
	}
	return `{"name":"` + project + `","services":{` +
		`"db":` + svc(`,"volumes":["data:/data"],"networks":["back"],"healthcheck":{"test":["CMD","true"],"interval":"1s","timeout":"2s","retries":30}`) + `,` +
		`"cache":` + svc(`,"networks":["back"]`) + `,` +
		`"api":` + svc(`,"networks":["back","front"],"depends_on":{"db":{"condition":"service_healthy"},"cache":{"condition":"service_started"}}`) + `,` +
		`"worker":` + svc(`,"networks":["back"],"depends_on":["api"]`) + `,` +
		`"web":` + svc(`,"networks":["front"],"depends_on":["api"]`) + `,` +
		`"edge":` + svc(`,"networks":["front"],"depends_on":["web"]`) +
		`},"networks":{"front":{},"back":{}},"volumes":{"data":{}}}`
}

func loadStack(t *testing.T, project string) *types.Project {
	t.Helper()
	p, err := loader.Load(context.Background(), loader.Options{Inline: []byte(stack(project)), Environment: map[string]string{}, WorkingDir: t.TempDir()})
	if err != nil {
		t.Fatalf("loading the stack: %v", err)
	}
	return p
}

func newEngine(b backend.Backend, p *types.Project) *engine.Engine {
	return engine.New(b, p, engine.WithLabels(map[string]string{"perry.test": "1"}), engine.WithRollbackTimeout(2*time.Minute))
}

// injector makes the k-th runtime call of a strategy misbehave.
type injector interface {
	arm(k int, mode string) // k = 0: never; resets the counts
	calls() int             // calls made since arm
	fired() int             // calls that misbehaved since arm
	call(n int) string      // what call n was
}

type cliInjector struct {
	t *testing.T
	f *fakeCLI
}

func (c cliInjector) arm(k int, mode string) { c.f.arm(c.t, k, mode) }
func (c cliInjector) calls() int             { return c.f.count() }
func (c cliInjector) fired() int             { return c.f.fired() }
func (c cliInjector) call(n int) string      { return c.f.call(n) }

type apiInjector struct {
	t *testing.T
	p *faultProxy
}

func (a apiInjector) arm(k int, mode string) { a.p.arm(a.t, int64(k), mode, 1500*time.Millisecond) }
func (a apiInjector) calls() int             { return int(a.p.count()) }
func (a apiInjector) fired() int             { return int(a.p.fired.Load()) }
func (a apiInjector) call(n int) string      { return a.p.request(int64(n)) }

// runner is one strategy with its fault injector; disabled gives an
// injector that counts calls but never misbehaves.
type runner struct {
	name    string
	modes   []string // the modes of the matrix; hang has its own test
	backend func(t *testing.T, disabled bool) (backend.Backend, injector)
}

var runners = []runner{
	{"cli", []string{"fail", "garbage", "lost"}, func(t *testing.T, disabled bool) (backend.Backend, injector) {
		f := newFakeCLI(t, disabled)
		return cli.Docker("docker", f.path), cliInjector{t, f}
	}},
	{"api", []string{"fail", "cut", "lost", "delay"}, func(t *testing.T, disabled bool) (backend.Backend, injector) {
		p := newFaultProxy(t, disabled)
		return p.backend(t), apiInjector{t, p}
	}},
}

// opWords are what an error must mention for a faulted call: the
// operation, or the object it was about.
func opWords(call string) []string {
	c := strings.ToLower(call)
	var w []string
	for _, pair := range [][2]string{
		{"network", "network"}, {"volume", "volume"}, {"image", "image"}, {"/images/", "image"},
		{"create", "creat"}, {"start", "start"}, {"connect", "network"}, {"connect", "creat"}, {"inspect", "inspect"},
		{"inspect --type=container", "waiting"}, {"/containers/", "waiting"}, {"/networks/", "creat"},
		{"/json", "list"}, {"ps ", "list"}, {"ps", "container"}, {"/containers/", "container"},
		{"wait", "wait"}, {"health", "health"}, {"_ping", "engine"}, {"version", "version"},
	} {
		if strings.Contains(c, pair[0]) {
			w = append(w, pair[1])
		}
	}
	return w
}

// namesOperation reports whether msg says what failed: the operation or its
// object (the injected stderr alone does not count).
func namesOperation(msg, call string) bool {
	m := strings.ToLower(msg)
	for _, w := range opWords(call) {
		if strings.Contains(m, w) {
			return true
		}
	}
	return false
}

// namesStackObject reports whether msg names a service or resource of the stack.
func namesStackObject(msg string) bool {
	for _, s := range []string{`"db"`, `"cache"`, `"api"`, `"worker"`, `"web"`, `"edge"`, "_front", "_back", "_data"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// kValues: every k from 1 to past the last call; -short samples them.
func kValues(n int) []int {
	var ks []int
	step := 1
	if testing.Short() {
		step = 5
	}
	for k := 1; k <= n+2; k += step {
		ks = append(ks, k)
	}
	if ks[len(ks)-1] != n+2 {
		ks = append(ks, n+2)
	}
	return ks
}

type kResult struct {
	k       int
	call    string
	err     error
	calls   int
	fired   int
	log     []string // every call the up made, in order
	stopped []string // after a successful up: the services not running
	left    []string
	elapsed time.Duration
	timeout time.Duration
}

// TestUpFaultAtEveryCall: for each strategy, fault mode and k, the injector
// fires at call k and the up fails naming the operation, or rides the fault
// out only where the mode allows it (leaving every service running), or
// succeeds when k is past its last call; its rollback completes, and
// nothing of the project is left on the engine.
func TestUpFaultAtEveryCall(t *testing.T) {
	real := realEngine(t)
	run := randomName("perryfault")
	t.Cleanup(func() { sweepPrefix(real, run) })
	for _, r := range runners {
		t.Run(r.name, func(t *testing.T) {
			n := cleanUpCalls(t, real, r, run)
			modes := r.modes
			if m := os.Getenv("PERRY_FAULT_MODES"); m != "" { // e.g. fail,cut: to run some modes only
				modes = strings.Split(m, ",")
			}
			for _, mode := range modes {
				ks := kValues(n)
				if mode != "fail" {
					// The other modes on a deterministic sample: every 6th k
					// and past the end (each k costs a whole up and rollback
					// on the engine; every k of every mode would take ~15 min).
					var s []int
					for i, k := range ks {
						if i%6 == 1 || k > n {
							s = append(s, k)
						}
					}
					ks = s
				}
				for _, res := range upWithFaults(t, real, r, run, mode, ks, 3*time.Minute, false) {
					checkResult(t, r.name, mode, n, res)
				}
			}
		})
	}
}

// cleanUpCalls brings the stack up and down with the injector unarmed and
// returns the number of calls the up made.
func cleanUpCalls(t *testing.T, real backend.Backend, r runner, run string) int {
	t.Helper()
	b, inj := r.backend(t, false)
	inj.arm(0, "none")
	project := run + "-" + r.name + "-clean"
	p := loadStack(t, project)
	e := newEngine(b, p)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := e.Up(ctx, engine.UpOptions{}); err != nil {
		t.Fatalf("clean up: %v", err)
	}
	n := inj.calls()
	if err := e.Down(ctx, engine.DownOptions{Volumes: true}); err != nil {
		t.Fatalf("clean down: %v", err)
	}
	if left := leftovers(t, real, project); len(left) > 0 {
		t.Fatalf("clean down left %v", left)
	}
	t.Logf("%s: a clean up takes %d calls", r.name, n)
	return n
}

// upWithFaults runs upWithFault for every k, four at a time.
func upWithFaults(t *testing.T, real backend.Backend, r runner, run, mode string, ks []int, timeout time.Duration, disabled bool) []kResult {
	results := make([]kResult, len(ks))
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i, k := range ks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = upWithFault(t, real, r, run, mode, k, timeout, disabled)
		}()
	}
	wg.Wait()
	return results
}

func upWithFault(t *testing.T, real backend.Backend, r runner, run, mode string, k int, timeout time.Duration, disabled bool) kResult {
	b, inj := r.backend(t, disabled)
	inj.arm(k, mode)
	project := fmt.Sprintf("%s-%s-%s-k%d", run, r.name, mode, k)
	if disabled {
		project += "-inert"
	}
	p := loadStack(t, project)
	e := newEngine(b, p)
	// A lying start (garbage mode) is found out by the dependent's gate
	// (the container stays created), not by this deadline.
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	err := e.Up(ctx, engine.UpOptions{})
	res := kResult{k: k, err: err, calls: inj.calls(), fired: inj.fired(), call: inj.call(k), elapsed: time.Since(start), timeout: timeout}
	for n := 1; n <= res.calls; n++ {
		res.log = append(res.log, inj.call(n))
	}
	if err == nil {
		res.stopped = notRunning(t, real, project, p.ServiceNames())
		// Past the last call, or a fault the engine rode out: bring it down.
		dctx, dcancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer dcancel()
		inj.arm(0, "none")
		if derr := newEngine(real, p).Down(dctx, engine.DownOptions{Volumes: true}); derr != nil {
			res.err = fmt.Errorf("down after a successful up: %w", derr)
		}
	}
	res.left = leftovers(t, real, project)
	if len(res.left) > 0 {
		sweep(real, labelProject, project)
	}
	return res
}

// notRunning lists the services of project with no running container.
func notRunning(t *testing.T, real backend.Backend, project string, services []string) []string {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cs, err := real.List(ctx, backend.ListOptions{All: true, Labels: map[string]string{labelProject: project}})
	if err != nil {
		t.Errorf("listing %s: %v", project, err)
		return services
	}
	running := map[string]bool{}
	for _, c := range cs {
		if c.Running() {
			running[c.Labels["com.docker.compose.service"]] = true
		}
	}
	var out []string
	for _, s := range services {
		if !running[s] {
			out = append(out, s)
		}
	}
	return out
}

// readOnly reports whether a logged call only reads the engine's state (an
// API GET, a CLI inspect, list or version): the engine may ride out a failed
// read by asking again, never a failed create, start or connect.
func readOnly(call string) bool {
	if method, _, ok := strings.Cut(call, " "); ok && (method == "GET" || method == "HEAD") {
		return true
	}
	for _, w := range strings.Fields(call) {
		switch w {
		case "inspect", "ps", "ls", "version", "info", "events", "logs":
			return true
		case "create", "start", "run", "connect", "rm", "stop", "kill", "remove", "prune", "build", "pull":
			return false
		}
	}
	return false
}

// checkResult asserts what the fault mode requires of one up. It reports
// with Errorf only, so that a recording TB can count what it caught.
func checkResult(t testing.TB, strategy, mode string, n int, r kResult) {
	t.Helper()
	id := fmt.Sprintf("%s/%s/k=%d (%s)", strategy, mode, r.k, r.call)
	if len(r.left) > 0 {
		t.Errorf("%s: left on the engine after the up: %v (err: %v)", id, r.left, r.err)
	}
	if r.calls < r.k {
		// The fault point was past this up's last call: nothing misbehaved,
		// so the up must succeed with every service running.
		t.Logf("%s: k past the last call (%d calls; a clean up made %d)", id, r.calls, n)
		if r.fired != 0 {
			t.Errorf("%s: the injector fired %d times past the last call", id, r.fired)
		}
		if r.err != nil {
			t.Errorf("%s: the up failed with no fault injected: %v", id, r.err)
		} else if len(r.stopped) > 0 {
			t.Errorf("%s: the up succeeded but %v are not running", id, r.stopped)
		}
		return
	}
	if r.fired != 1 {
		t.Errorf("%s: the up made %d calls but the injector fired %d times, want once at call %d", id, r.calls, r.fired, r.k)
	}
	switch {
	case mode == "hang":
		if r.err == nil {
			t.Errorf("%s: the up succeeded with call %d hung", id, r.k)
			return
		}
		if kind := core.KindOf(r.err); kind != core.KindTimeout && kind != core.KindCancelled && !errors.Is(r.err, context.DeadlineExceeded) {
			t.Errorf("%s: a hung call gives %s, want Timeout: %v", id, kind, r.err)
		}
		if r.elapsed > r.timeout+2*time.Minute {
			t.Errorf("%s: the up took %v with a %v deadline", id, r.elapsed, r.timeout)
		}
		t.Logf("%s: cut after %v: %v", id, r.elapsed.Round(time.Millisecond), r.err)
	case r.err == nil:
		t.Logf("%s: the up rode the fault out (%v)", id, r.elapsed.Round(time.Millisecond))
		// Only a slow call, a lost answer to a call that was done, or a
		// failed read the engine repeats may be ridden out; a create or
		// start that failed may not, and a ride-out must leave the stack up.
		if (mode == "fail" || mode == "cut") && !readOnly(r.call) {
			t.Errorf("%s: the up succeeded although the call failed", id)
		}
		if len(r.stopped) > 0 {
			t.Errorf("%s: the up succeeded but %v are not running", id, r.stopped)
		}
	case mode == "delay":
		t.Errorf("%s: a %s delay within a %v deadline failed the up: %v", id, "1.5 s", r.timeout, r.err)
	default:
		msg := r.err.Error()
		kind := core.KindOf(r.err)
		t.Logf("%s: %s: %.300s", id, kind, msg)
		if kind == core.KindInternal {
			t.Errorf("%s: an Internal error for a runtime fault: %v", id, r.err)
		}
		// A lying call (garbage, lost output) is found out later, by
		// another call: the error then names the service or resource that
		// was found wrong rather than the call that lied.
		lied := (mode == "garbage" || mode == "lost") && namesStackObject(msg)
		if !namesOperation(msg, r.call) && !lied {
			t.Errorf("%s: the error does not name the operation: %v", id, r.err)
		}
		if e := core.AsError(r.err); e.Details["rollbackErrors"] != nil {
			t.Errorf("%s: rollback failed: %v", id, e.Details["rollbackErrors"])
		}
	}
}

// TestHungCallIsCutByDeadline: a call that never answers is cut by the
// up's deadline; the rollback (on its own deadline) still leaves nothing.
func TestHungCallIsCutByDeadline(t *testing.T) {
	real := realEngine(t)
	run := randomName("perryhang")
	t.Cleanup(func() { sweepPrefix(real, run) })
	for _, r := range runners {
		t.Run(r.name, func(t *testing.T) {
			for _, res := range upWithFaults(t, real, r, run, "hang", []int{3, 9}, 8*time.Second, false) {
				checkResult(t, r.name, "hang", 0, res)
			}
		})
	}
}

// recorder is a testing.TB that records Errorf instead of failing the test.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) Error(args ...any) { r.Errorf("%s", fmt.Sprint(args...)) }

// Logf is dropped: the cases' own logs would bury the summary.
func (r *recorder) Logf(string, ...any) {}

// TestMatrixCatchesAnInertInjector: the matrix's checks, given ups whose
// injector counts calls but never misbehaves, must fail for every mode and
// every k up to the number of calls. Without this, a broken injector would
// pass the matrix: every up succeeds, as if each fault were ridden out. An
// inert up does not depend on k or the mode, so one up per strategy (and
// one on the hang test's deadline) serves every case. A failed, cut or hung
// call cannot be ridden out, so for those modes the up's outcome, not only
// the injector's count, must give the inert injector away. On the hang
// test's short deadline a loaded machine's up may overrun it, which looks
// like a hang; there only the count can tell, so the outcome is asked of
// the inert up on the long deadline.
func TestMatrixCatchesAnInertInjector(t *testing.T) {
	real := realEngine(t)
	run := randomName("perryinert")
	t.Cleanup(func() { sweepPrefix(real, run) })
	for _, r := range runners {
		t.Run(r.name, func(t *testing.T) {
			ups := upWithFaults(t, real, r, run, "fail", []int{1}, 3*time.Minute, true)
			hung := upWithFaults(t, real, r, run, "hang", []int{1}, 8*time.Second, true)
			type inertCase struct {
				mode         string
				inert        kResult
				needsOutcome bool
			}
			cases := []inertCase{{"hang", hung[0], false}, {"hang", ups[0], true}}
			for _, mode := range r.modes {
				cases = append(cases, inertCase{mode, ups[0], mode == "fail" || mode == "cut"})
			}
			for _, c := range cases {
				mode, inert := c.mode, c.inert
				if inert.calls == 0 {
					t.Fatalf("%s: the inert up made no call: the cases check nothing", mode)
				}
				caught, byOutcome := 0, 0
				for k := 1; k <= inert.calls; k++ {
					res := inert
					res.k, res.call = k, inert.log[k-1]
					rec := &recorder{TB: t}
					checkResult(rec, r.name, mode, inert.calls, res)
					if len(rec.errors) == 0 {
						t.Errorf("%s/%s/k=%d: the checks passed an up whose injector did nothing", r.name, mode, k)
						continue
					}
					caught++
					if slices.ContainsFunc(rec.errors, func(e string) bool { return !strings.Contains(e, "the injector fired") }) {
						byOutcome++
					}
					if k == 1 || k == inert.calls {
						t.Logf("caught: %s", strings.Join(rec.errors, "; "))
					}
				}
				t.Logf("%s/%s (deadline %v): %d of %d fault points caught; %d of them also by the outcome (not only the injector's count)", r.name, mode, inert.timeout, caught, inert.calls, byOutcome)
				if c.needsOutcome && byOutcome == 0 {
					t.Errorf("%s/%s: only the injector's count caught the inert injector, never the up's outcome", r.name, mode)
				}
			}
		})
	}
}

// TestArmRefusesUnknownModes: a mode an injector does not know (a typo in
// PERRY_FAULT_MODES) is refused rather than forwarded as a fault ridden out.
func TestArmRefusesUnknownModes(t *testing.T) {
	tests := []struct {
		name, injector string
		known          []string
		mode           string
		ok             bool
	}{
		{"cli fail", "cli", cliModes, "fail", true},
		{"cli garbage", "cli", cliModes, "garbage", true},
		{"cli cannot cut", "cli", cliModes, "cut", false},
		{"api cut", "api", apiModes, "cut", true},
		{"api has no garbage", "api", apiModes, "garbage", false},
		{"a typo", "api", apiModes, "fial", false},
		{"empty", "cli", cliModes, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkMode(tt.injector, tt.known, tt.mode)
			if (err == nil) != tt.ok {
				t.Fatalf("checkMode(%q) = %v, want ok %v", tt.mode, err, tt.ok)
			}
			if err != nil && !strings.Contains(err.Error(), fmt.Sprintf("%q", tt.mode)) {
				t.Errorf("the error does not name the mode: %v", err)
			}
		})
	}
	for _, r := range runners {
		for _, m := range r.modes {
			known := cliModes
			if r.name == "api" {
				known = apiModes
			}
			if err := checkMode(r.name, known, m); err != nil {
				t.Errorf("the matrix runs a mode its injector refuses: %v", err)
			}
		}
	}
}

// TestDownInterruptedThenCompletes: a down cancelled half-way leaves part of
// the stack; a second down completes and leaves nothing.
func TestDownInterruptedThenCompletes(t *testing.T) {
	real := realEngine(t)
	run := randomName("perrydown")
	for _, r := range runners {
		t.Run(r.name, func(t *testing.T) {
			b, inj := r.backend(t, false)
			inj.arm(0, "none")
			project := run + "-" + r.name
			defer sweep(real, labelProject, project)
			p := loadStack(t, project)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			if err := newEngine(b, p).Up(ctx, engine.UpOptions{}); err != nil {
				t.Fatalf("up: %v", err)
			}
			inj.arm(0, "none")
			dctx, dcancel := context.WithCancel(ctx)
			var once sync.Once
			stop := make(chan struct{})
			go func() { // cancel once the down has made a few calls
				for {
					select {
					case <-stop:
						return
					case <-time.After(5 * time.Millisecond):
					}
					if inj.calls() >= 4 {
						once.Do(dcancel)
						return
					}
				}
			}()
			err := newEngine(b, p).Down(dctx, engine.DownOptions{Volumes: true})
			close(stop)
			once.Do(dcancel)
			left := leftovers(t, real, project)
			t.Logf("interrupted down: %v; left %d resources", err, len(left))
			if err == nil && len(left) > 0 {
				t.Errorf("down returned ok but left %v", left)
			}
			if err := newEngine(b, p).Down(ctx, engine.DownOptions{Volumes: true}); err != nil {
				t.Fatalf("second down: %v", err)
			}
			if left := leftovers(t, real, project); len(left) > 0 {
				t.Fatalf("second down left %v", left)
			}
		})
	}
}
