package watch

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
)

func TestPlan(t *testing.T) {
	dir := t.TempDir()
	hook := types.ServiceHook{Command: []string{"kill", "-HUP", "1"}}
	p := project(dir, map[string]types.ServiceConfig{
		"web": withWatch(true,
			types.Trigger{Path: "web", Action: types.WatchActionSync, Target: "/app", Ignore: []string{"*.md"}},
			types.Trigger{Path: "web/package.json", Action: types.WatchActionRebuild}),
		"api": withWatch(false,
			types.Trigger{Path: "api/src", Action: types.WatchActionSyncRestart, Target: "/srv"},
			types.Trigger{Path: "api/conf", Action: types.WatchActionSyncExec, Target: "/etc/api", Exec: hook},
			types.Trigger{Path: "api/env", Action: types.WatchActionRestart}),
		"both": withWatch(false,
			types.Trigger{Path: "shared", Action: types.WatchActionSync, Target: "/a"},
			types.Trigger{Path: "shared", Action: types.WatchActionSync, Target: "/b"}),
	})
	rules, err := Rules(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	j := func(p ...string) string { return filepath.Join(append([]string{dir}, p...)...) }
	cases := []struct {
		name  string
		paths []string
		want  []ServicePlan
	}{
		{"nothing watched", []string{j("elsewhere", "x")}, []ServicePlan{}},
		{"ignored only", []string{j("web", "README.md")}, []ServicePlan{}},
		{"sync", []string{j("web", "a.js"), j("web", "lib", "b.js")}, []ServicePlan{
			{Service: "web", Sync: []Mapping{{j("web", "a.js"), "/app/a.js"}, {j("web", "lib", "b.js"), "/app/lib/b.js"}}, Changes: 2},
		}},
		{"rebuild supersedes sync", []string{j("web", "a.js"), j("web", "package.json")}, []ServicePlan{
			{Service: "web", Rebuild: true, Changes: 2},
		}},
		{"sync+restart, sync+exec, restart; services in name order", []string{j("api", "src", "m.py"), j("api", "conf", "c.ini"), j("api", "conf", "d.ini"), j("web", "x.js")}, []ServicePlan{
			{Service: "api", Sync: []Mapping{{j("api", "src", "m.py"), "/srv/m.py"}, {j("api", "conf", "c.ini"), "/etc/api/c.ini"}, {j("api", "conf", "d.ini"), "/etc/api/d.ini"}},
				Restart: true, Exec: []types.ServiceHook{hook}, Changes: 3},
			{Service: "web", Sync: []Mapping{{j("web", "x.js"), "/app/x.js"}}, Changes: 1},
		}},
		{"restart only", []string{j("api", "env")}, []ServicePlan{{Service: "api", Restart: true, Changes: 1}}},
		{"one path, two targets", []string{j("shared", "f")}, []ServicePlan{
			{Service: "both", Sync: []Mapping{{j("shared", "f"), "/a/f"}, {j("shared", "f"), "/b/f"}}, Changes: 1},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Plan(rules, c.paths)
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("Plan:\n got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

// manualTimer hands out timer channels the test fires itself.
type manualTimer struct{ armed chan chan time.Time }

func (m *manualTimer) after(time.Duration) <-chan time.Time {
	c := make(chan time.Time, 1)
	m.armed <- c
	return c
}

func TestDebounce(t *testing.T) {
	ctx := t.Context()
	m := &manualTimer{armed: make(chan chan time.Time, 100)}
	in := make(chan string)
	out := make(chan []string)
	done := make(chan struct{})
	go func() { Debounce(ctx, in, out, time.Second, m.after); close(done) }()

	// every event re-arms the quiet timer (once per event): send is
	// done when the debouncer has armed the timer for p
	var last chan time.Time
	send := func(p string) {
		in <- p
		last = <-m.armed
	}
	for _, p := range []string{"a", "b", "a", "c", "b"} {
		send(p)
	}
	select {
	case b := <-out:
		t.Fatalf("batch %v before the quiet period ended", b)
	default:
	}
	last <- time.Now()
	// while the settled batch waits to be taken (an action still runs),
	// new paths are read and join it once they settle too
	send("x")
	send("a")
	last <- time.Now()
	if got := <-out; !reflect.DeepEqual(got, []string{"a", "b", "c", "x"}) {
		t.Fatalf("batch %v, want [a b c x] (each path once, first-seen order)", got)
	}
	// the next batch starts empty
	send("d")
	last <- time.Now()
	if got := <-out; !reflect.DeepEqual(got, []string{"d"}) {
		t.Fatalf("second batch %v", got)
	}
	// closing the input sends what is pending
	send("e")
	close(in)
	if got := <-out; !reflect.DeepEqual(got, []string{"e"}) {
		t.Fatalf("batch at close %v", got)
	}
	<-done
}
