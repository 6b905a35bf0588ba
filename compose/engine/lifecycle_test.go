package engine

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/fake"
	"github.com/perryts/perry-container/core"
)

const hooksYAML = `
services:
  db:
    image: busybox
    command: sleep 1000
    post_start:
      - command: sh -c "echo ready > /tmp/ready"
      - command: [env]
        user: nobody
        working_dir: /srv
        privileged: true
        environment:
          HOOK: "1"
    pre_stop:
      - command: [sh, -c, "echo bye"]
        user: root
  app:
    image: busybox
    command: sleep 1000
    depends_on: [db]
`

// callIndex is the position in calls of the first call of method whose
// arguments, joined by spaces, contain all of parts; -1 if none.
func callIndex(calls []fake.Call, method string, parts ...string) int {
	for i, c := range calls {
		if c.Method != method {
			continue
		}
		joined := strings.Join(c.Args, " ")
		all := true
		for _, p := range parts {
			all = all && strings.Contains(joined, p)
		}
		if all {
			return i
		}
	}
	return -1
}

// The post_start hooks run in the container once it started, in order,
// each with its own user, working directory, environment and privileges;
// a dependent starts only after them, and the container's Started event
// comes after them too.
func TestPostStartHooksRunAfterStartInOrder(t *testing.T) {
	b := newFake()
	var (
		mu    sync.Mutex
		lines []string
	)
	// One log of events and hook output, in the order the engine gave them.
	e, _ := newEngine(t, b, load(t, hooksYAML), WithHookOutput(func(service, container, stream, line string) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, service+" "+container+" "+stream+" "+line)
	}), WithEvents(func(ev Event) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, string(ev.Status)+" "+ev.ID)
	}))
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	ids := containerIDs(t, b)
	want := []fake.Exec{
		{Container: ids["demo-db-1"], Options: backend.ExecOptions{Cmd: []string{"sh", "-c", "echo ready > /tmp/ready"}}},
		{Container: ids["demo-db-1"], Options: backend.ExecOptions{Cmd: []string{"env"}, User: "nobody", Workdir: "/srv", Privileged: true,
			Env: map[string]string{"HOOK": "1"}}},
	}
	if got := b.Execs(); !reflect.DeepEqual(got, want) {
		t.Fatalf("execs:\n got %+v\nwant %+v", got, want)
	}
	calls := b.Calls()
	start, first, second := callIndex(calls, "Start", "demo-db-1"), callIndex(calls, "Exec", "demo-db-1", "echo ready"), callIndex(calls, "Exec", "demo-db-1", "env")
	dependent := callIndex(calls, "Start", "demo-app-1")
	if start < 0 || !(start < first && first < second && second < dependent) {
		t.Fatalf("want Start(db) < hook 1 < hook 2 < Start(app), got %d %d %d %d:\n%v", start, first, second, dependent, calls)
	}
	// The first hook's file is in the container, the second saw its env.
	out, err := e.Exec(ctxT(t), "db", ExecOptions{ExecOptions: backend.ExecOptions{Cmd: []string{"cat", "/tmp/ready"}}})
	if err != nil || out.Stdout != "ready\n" {
		t.Fatalf("the hook's file: %q, %v", out.Stdout, err)
	}
	mu.Lock()
	output, started := slices.Index(lines, "db demo-db-1 stdout HOOK=1"), slices.Index(lines, "Started demo-db-1")
	if output < 0 || started < output {
		t.Fatalf("want the hook's output (%d) before db's Started event (%d): %q", output, started, lines)
	}
	mu.Unlock()
	// A second up with nothing changed starts nothing: no hook runs again.
	b.ResetCalls()
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := len(b.Execs()); n != 0 {
		t.Fatalf("%d hooks ran on an up that started nothing", n)
	}
}

// A post_start hook that exits non-zero fails the up with its exit status,
// naming the service, the container and the hook, with the end of its
// stderr; the hooks after it do not run, the dependents do not start, and
// the container is left running (as docker compose leaves it).
func TestFailingPostStartHookFailsUp(t *testing.T) {
	b := newFake()
	p := load(t, `
services:
  db:
    image: busybox
    command: sleep 1000
    post_start:
      - command: [sh, -c, "echo progress; echo boom >&2; exit 3"]
      - command: [echo, never]
  app:
    image: busybox
    command: sleep 1000
    depends_on: [db]
`)
	e, log := newEngine(t, b, p)
	err := e.Up(ctxT(t), UpOptions{KeepOnFailure: true})
	ce := wantKind(t, err, core.KindServiceStartupFailed)
	wantMsg := `service "db": container demo-db-1: post_start[0] hook exited with status 3: boom`
	if ce.Message != wantMsg {
		t.Fatalf("message %q, want %q", ce.Message, wantMsg)
	}
	for k, v := range map[string]any{"service": "db", "container": "demo-db-1", "hook": "post_start[0]", "exitCode": 3} {
		if ce.Details[k] != v {
			t.Errorf("detail %s = %v, want %v", k, ce.Details[k], v)
		}
	}
	if n := len(b.Execs()); n != 1 {
		t.Fatalf("%d hooks ran, want the failing one only", n)
	}
	if i := callIndex(b.Calls(), "Start", "demo-app-1"); i >= 0 {
		t.Fatal("the dependent started after its dependency's hook failed")
	}
	if info, err := b.Inspect(ctxT(t), "demo-db-1"); err != nil || info.State != "running" {
		t.Fatalf("db: %+v, %v; want it left running", info.State, err)
	}
	if got := log.find(StatusStarted, "demo-db-1"); len(got) != 0 {
		t.Fatalf("db reported Started although its hook failed: %v", got)
	}
	if got := log.find(StatusError, "demo-db-1"); len(got) != 1 || !strings.Contains(got[0].Text, "exited with status 3") {
		t.Fatalf("error events of db: %v", got)
	}
}

// The tail of a failing hook's output: stderr unless empty, the last 10
// non-blank lines, a progress bar's last state only.
func TestHookOutputTail(t *testing.T) {
	many := ""
	for i := 1; i <= 12; i++ {
		many += strings.Repeat("x", i) + "\n\n"
	}
	for _, tc := range []struct {
		name string
		res  core.ContainerLogs
		want string
	}{
		{"stderr first", core.ContainerLogs{Stdout: "out\n", Stderr: "err\n"}, "err"},
		{"stdout when stderr is blank", core.ContainerLogs{Stdout: "out\n", Stderr: " \n"}, "out"},
		{"nothing", core.ContainerLogs{}, ""},
		{"last ten lines", core.ContainerLogs{Stdout: many}, strings.TrimSpace(strings.Join(strings.Fields(many)[2:], "\n"))},
		{"progress bar", core.ContainerLogs{Stderr: "10%\r50%\r100%\r\ndone\r\n"}, "100%\ndone"},
		{"at most 2048 bytes", core.ContainerLogs{Stderr: strings.Repeat("y", 5000)}, strings.Repeat("y", 2048)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := hookOutputTail(tc.res); got != tc.want {
				t.Fatalf("tail = %q, want %q", got, tc.want)
			}
		})
	}
}

// The pre_stop hooks run before the stop call of stop, down and restart
// (and restart's post_start ones after it), for every running container.
func TestPreStopHooksRunBeforeStop(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(e *Engine) error
		stop string // the call the hook must precede
		// after: a call that must follow the hook's, or "" for none
		after string
	}{
		{"stop", func(e *Engine) error { return e.Stop(ctxT(t), nil, nil) }, "Stop", ""},
		{"stop of the service", func(e *Engine) error { return e.Stop(ctxT(t), []string{"db"}, nil) }, "Stop", ""},
		{"down", func(e *Engine) error { return e.Down(ctxT(t), DownOptions{}) }, "Stop", "Remove"},
		{"restart", func(e *Engine) error { return e.Restart(ctxT(t), []string{"db"}, nil) }, "Restart", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newFake()
			e, _ := newEngine(t, b, load(t, hooksYAML))
			if err := e.Up(ctxT(t), UpOptions{}); err != nil {
				t.Fatal(err)
			}
			id := containerIDs(t, b)["demo-db-1"]
			b.ResetCalls()
			if err := tc.run(e); err != nil {
				t.Fatal(err)
			}
			calls := b.Calls()
			hook, stop := callIndex(calls, "Exec", id, "echo bye"), callIndex(calls, tc.stop, id)
			if hook < 0 || stop < 0 || hook > stop {
				t.Fatalf("want the pre_stop hook (%d) before %s (%d):\n%v", hook, tc.stop, stop, calls)
			}
			if x := b.Execs()[0]; x.Options.User != "root" {
				t.Fatalf("the hook ran as %q, want root", x.Options.User)
			}
			if tc.after != "" {
				if i := callIndex(calls, tc.after, id); i < stop {
					t.Fatalf("%s (%d) before %s (%d)", tc.after, i, tc.stop, stop)
				}
			}
			post := callIndex(calls, "Exec", id, "echo ready")
			if tc.name == "restart" {
				if post < stop {
					t.Fatalf("restart: want the post_start hooks (%d) after the restart (%d):\n%v", post, stop, calls)
				}
			} else if post >= 0 {
				t.Fatalf("%s ran a post_start hook", tc.name)
			}
			// app has no hooks: nothing ran in it.
			appID := containerIDs(t, b)["demo-app-1"]
			for _, x := range b.Execs() {
				if appID != "" && x.Container == appID {
					t.Fatalf("a hook ran in app: %+v", x)
				}
			}
		})
	}
}

// start runs the post_start hooks of the containers it starts; a stopped
// container's restart runs its post_start hooks and skips its pre_stop
// ones (there is nothing running to prepare).
func TestStartAndRestartOfStoppedContainers(t *testing.T) {
	b := newFake()
	e, _ := newEngine(t, b, load(t, hooksYAML))
	ctx := ctxT(t)
	if err := e.Up(ctx, UpOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := e.Stop(ctx, nil, nil); err != nil {
		t.Fatal(err)
	}
	id := containerIDs(t, b)["demo-db-1"]
	b.ResetCalls()
	if err := e.Start(ctx, []string{"db"}, nil); err != nil {
		t.Fatal(err)
	}
	calls := b.Calls()
	if start, hook := callIndex(calls, "Start", id), callIndex(calls, "Exec", id, "echo ready"); start < 0 || hook < start {
		t.Fatalf("start: want the post_start hook (%d) after Start (%d):\n%v", hook, start, calls)
	}
	if err := e.Stop(ctx, []string{"db"}, nil); err != nil {
		t.Fatal(err)
	}
	b.ResetCalls()
	if err := e.Restart(ctx, []string{"db"}, nil); err != nil {
		t.Fatalf("restart of a stopped container with pre_stop hooks: %v", err)
	}
	calls = b.Calls()
	if restart, hook := callIndex(calls, "Restart", id), callIndex(calls, "Exec", id, "echo ready"); restart < 0 || hook < restart {
		t.Fatalf("restart: want the post_start hook (%d) after Restart (%d):\n%v", hook, restart, calls)
	}
	for _, x := range b.Execs() {
		if strings.Contains(strings.Join(x.Options.Cmd, " "), "echo bye") {
			t.Fatal("a pre_stop hook ran in a stopped container")
		}
	}
}

// A pre_stop hook that exits non-zero fails stop and down, as docker
// compose's does: the container is not stopped, down removes neither it
// nor the network.
func TestFailingPreStopHook(t *testing.T) {
	const yaml = `
services:
  db:
    image: busybox
    command: sleep 1000
    pre_stop:
      - command: [sh, -c, "echo cannot flush >&2; exit 4"]
`
	for _, tc := range []struct {
		name string
		run  func(e *Engine) error
	}{
		{"stop", func(e *Engine) error { return e.Stop(ctxT(t), nil, nil) }},
		{"down", func(e *Engine) error { return e.Down(ctxT(t), DownOptions{}) }},
		{"restart", func(e *Engine) error { return e.Restart(ctxT(t), nil, nil) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newFake()
			e, _ := newEngine(t, b, load(t, yaml))
			if err := e.Up(ctxT(t), UpOptions{}); err != nil {
				t.Fatal(err)
			}
			b.ResetCalls()
			err := tc.run(e)
			ce := wantKind(t, err, core.KindBackendError)
			if want := `service "db": container demo-db-1: pre_stop[0] hook exited with status 4: cannot flush`; ce.Message != want {
				t.Fatalf("message %q, want %q", ce.Message, want)
			}
			if ce.Details["exitCode"] != 4 || ce.Details["service"] != "db" || ce.Details["hook"] != "pre_stop[0]" {
				t.Fatalf("details %v", ce.Details)
			}
			for _, m := range []string{"Stop", "Restart", "Remove", "RemoveNetwork"} {
				if i := callIndex(b.Calls(), m); i >= 0 {
					t.Fatalf("%s called after the failed hook: %v", m, b.Calls())
				}
			}
			if info, err := b.Inspect(ctxT(t), "demo-db-1"); err != nil || info.State != "running" {
				t.Fatalf("db: %s, %v; want it still running", info.State, err)
			}
		})
	}
}

// A pre_stop hook whose exec finds the container gone or no longer running
// (it stopped by itself meanwhile) does not fail the stop.
func TestPreStopHookOnAContainerThatStopped(t *testing.T) {
	b := newFake()
	e, _ := newEngine(t, b, load(t, hooksYAML))
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	b.Inject(fake.Fault{Method: "Exec", Err: core.Errorf(core.KindBackendError, "container is not running").With("conflict", "x")})
	if err := e.Down(ctxT(t), DownOptions{}); err != nil {
		t.Fatalf("down: %v", err)
	}
	if list, _ := b.List(ctxT(t), backend.ListOptions{All: true}); len(list) != 0 {
		t.Fatalf("containers left: %v", list)
	}
}

// Without hooks nothing is exec'd, by any command.
func TestNoHooksNoExec(t *testing.T) {
	b := newFake()
	e, _ := newEngine(t, b, load(t, chainYAML))
	ctx := ctxT(t)
	steps := []func() error{
		func() error { return e.Up(ctx, UpOptions{}) },
		func() error { return e.Restart(ctx, nil, nil) },
		func() error { return e.Stop(ctx, nil, nil) },
		func() error { return e.Start(ctx, nil, nil) },
		func() error { return e.Down(ctx, DownOptions{}) },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	if got := callsOf(b, "Exec"); len(got) != 0 {
		t.Fatalf("exec calls: %v", got)
	}
}

// A changed hook changes the config hash, so the container is recreated,
// as docker compose's hash covers the hooks: the new container runs the
// post_start hooks, the replaced one gets no pre_stop (docker compose runs
// none on a recreate, nor on a scale-down).
func TestChangedHookRecreatesWithoutPreStop(t *testing.T) {
	b := newFake()
	p := load(t, hooksYAML)
	e, _ := newEngine(t, b, p)
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	old := containerIDs(t, b)["demo-db-1"]
	p2 := load(t, strings.Replace(hooksYAML, "echo bye", "echo farewell", 1))
	e2, _ := newEngine(t, b, p2)
	b.ResetCalls()
	if err := e2.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	now := containerIDs(t, b)["demo-db-1"]
	if now == old {
		t.Fatal("db was not recreated for a changed pre_stop hook")
	}
	for _, x := range b.Execs() {
		if x.Container == old {
			t.Fatalf("a hook ran in the replaced container: %+v", x)
		}
	}
	if n := len(b.Execs()); n != 2 {
		t.Fatalf("%d hooks ran, want the new container's two post_start hooks", n)
	}
	// Scale down: no pre_stop either.
	e3, _ := newEngine(t, b, p2)
	if err := e3.Up(ctxT(t), UpOptions{Scale: map[string]int{"db": 2}}); err != nil {
		t.Fatal(err)
	}
	b.ResetCalls()
	if err := e3.Up(ctxT(t), UpOptions{Scale: map[string]int{"db": 1}}); err != nil {
		t.Fatal(err)
	}
	if n := len(b.Execs()); n != 0 {
		t.Fatalf("scale down ran %d hooks", n)
	}
}

// A hook without a command, or with what no exec can carry, is refused
// before anything is created, naming the service and the hook.
func TestBadHooksAreInvalidConfig(t *testing.T) {
	for _, tc := range []struct {
		name  string
		hook  types.ServiceHook
		pre   bool
		field string
	}{
		{"post_start without a command", types.ServiceHook{}, false, "post_start[0]"},
		{"pre_stop without a command", types.ServiceHook{}, true, "pre_stop[0]"},
		{"NUL in the command", types.ServiceHook{Command: types.ShellCommand{"a\x00b"}}, false, "post_start[0]"},
		{"bad environment key", types.ServiceHook{Command: types.ShellCommand{"true"}, Environment: types.MappingWithEquals{"": strPtr("x")}}, true, "pre_stop[0]"},
		{"control character in the user", types.ServiceHook{Command: types.ShellCommand{"true"}, User: "a\nb"}, false, "post_start[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := projectOf("demo", map[string][]string{"db": nil})
			s := p.Services["db"]
			if tc.pre {
				s.PreStop = []types.ServiceHook{tc.hook}
			} else {
				s.PostStart = []types.ServiceHook{tc.hook}
			}
			p.Services["db"] = s
			b := newFake()
			e, _ := newEngine(t, b, p)
			ce := wantKind(t, e.Up(ctxT(t), UpOptions{}), core.KindInvalidConfig)
			if ce.Details["field"] != tc.field || ce.Details["service"] != "db" || !strings.Contains(ce.Message, tc.field) {
				t.Fatalf("error %q %v, want it to name db and %s", ce.Message, ce.Details, tc.field)
			}
			if n := len(b.Calls()); n > 0 && callIndex(b.Calls(), "Create") >= 0 {
				t.Fatalf("a container was created: %v", b.Calls())
			}
		})
	}
}

func strPtr(s string) *string { return &s }

// noExec is a backend whose runtime cannot exec.
type noExec struct{ *fake.Backend }

func (n noExec) Exec(context.Context, string, backend.ExecOptions) (core.ContainerLogs, error) {
	return core.ContainerLogs{}, backend.Unsupported(n, "exec")
}

// On a backend without exec, a hook fails with an Unsupported error that
// names the hook.
func TestHooksNeedExec(t *testing.T) {
	b := noExec{newFake()}
	e, _ := newEngine(t, b, load(t, hooksYAML))
	err := e.Up(ctxT(t), UpOptions{KeepOnFailure: true})
	ce := core.AsError(err)
	if ce.Details["unsupported"] != true || ce.Details["hook"] != "post_start[0]" ||
		!strings.Contains(ce.Message, "post_start[0]") || !strings.Contains(ce.Message, "cannot exec") {
		t.Fatalf("error %q %v, want an Unsupported naming post_start[0]", ce.Message, ce.Details)
	}
}

// The plan shows which stops and starts run hooks.
func TestPlanShowsHooks(t *testing.T) {
	b := newFake()
	e, _ := newEngine(t, b, load(t, hooksYAML))
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	p, err := e.PlanDown(ctxT(t), DownOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s := p.String(); !strings.Contains(s, "StopContainer service:db:1") || !strings.Contains(s, "pre_stop=1") {
		t.Fatalf("plan:\n%s", s)
	}
}

// A hook's environment entry without a value the loader could not resolve
// is removed from the hook's exec (docker compose sends it bare, and the
// engine removes it), where the container sets it; the service's own
// environment leaves such an entry out. develop.watch's exec hooks take
// the same options.
func TestHookEnvironmentWithoutValueIsUnset(t *testing.T) {
	const yaml = `
services:
  db:
    image: busybox
    command: sleep 1000
    environment: {GONE: here, KEPT: there, ABSENT: null}
    post_start:
      - command: [env]
        environment: [HOOK=1, GONE]
`
	b := newFake()
	var (
		mu    sync.Mutex
		lines []string
	)
	p := load(t, yaml)
	e, _ := newEngine(t, b, p, WithHookOutput(func(service, container, stream, line string) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, line)
	}))
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	execs := b.Execs()
	if len(execs) != 1 || !reflect.DeepEqual(execs[0].Options.Env, map[string]string{"HOOK": "1"}) || !slices.Equal(execs[0].Options.Unset, []string{"GONE"}) {
		t.Fatalf("execs %+v, want HOOK set and GONE unset", execs)
	}
	mu.Lock()
	if !slices.Contains(lines, "KEPT=there") || !slices.Contains(lines, "HOOK=1") || slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, "GONE=") }) {
		t.Fatalf("the hook's environment: %q", lines)
	}
	mu.Unlock()
	spec, ok := b.ContainerSpec(containerIDs(t, b)["demo-db-1"])
	if !ok || !reflect.DeepEqual(spec.Env, map[string]string{"GONE": "here", "KEPT": "there"}) {
		t.Fatalf("the container's env %v", spec.Env)
	}
	opts := HookExecOptions(p.Services["db"].PostStart[0], 1)
	if !reflect.DeepEqual(opts.Env, map[string]string{"HOOK": "1"}) || !slices.Equal(opts.Unset, []string{"GONE"}) {
		t.Fatalf("HookExecOptions %+v", opts)
	}
}

func TestComposeEnv(t *testing.T) {
	v := func(s string) *string { return &s }
	cases := []struct {
		name  string
		env   types.MappingWithEquals
		set   map[string]string
		unset []string
	}{
		{"empty", nil, nil, nil},
		{"values, an empty one too", types.MappingWithEquals{"A": v("1"), "B": v("")}, map[string]string{"A": "1", "B": ""}, nil},
		{"without values, sorted", types.MappingWithEquals{"Z": nil, "A": v("1"), "M": nil}, map[string]string{"A": "1"}, []string{"M", "Z"}},
		{"only without values", types.MappingWithEquals{"Z": nil}, map[string]string{}, []string{"Z"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			set, unset := composeEnv(tc.env)
			if !reflect.DeepEqual(set, tc.set) || !slices.Equal(unset, tc.unset) {
				t.Fatalf("composeEnv = %v, %q; want %v, %q", set, unset, tc.set, tc.unset)
			}
		})
	}
}
