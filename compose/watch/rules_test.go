package watch

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/perryts/perry-container/core"
)

func project(dir string, svcs map[string]types.ServiceConfig) *types.Project {
	p := &types.Project{Name: "demo", WorkingDir: dir, Services: types.Services{}}
	for n, s := range svcs {
		s.Name = n
		p.Services[n] = s
	}
	return p
}

func withWatch(build bool, ts ...types.Trigger) types.ServiceConfig {
	s := types.ServiceConfig{Develop: &types.DevelopConfig{Watch: ts}}
	s.Image = "busybox"
	if build {
		s.Build = &types.BuildConfig{Context: "."}
	}
	return s
}

func TestRulesValidation(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name    string
		svc     types.ServiceConfig
		wantErr string
	}{
		{"sync without target", withWatch(false, types.Trigger{Path: "src", Action: types.WatchActionSync}), "needs a target"},
		{"rebuild without build", withWatch(false, types.Trigger{Path: "src", Action: types.WatchActionRebuild}), `can't watch service "web" with action rebuild without a build context`},
		{"sync+exec without command", withWatch(false, types.Trigger{Path: "src", Action: types.WatchActionSyncExec, Target: "/app"}), "needs exec.command"},
		{"unknown action", withWatch(false, types.Trigger{Path: "src", Action: "teleport"}), "unknown watch action"},
		{"no path", withWatch(false, types.Trigger{Action: types.WatchActionRestart}), "needs a path"},
		{"bad ignore", withWatch(false, types.Trigger{Path: "src", Action: types.WatchActionRestart, Ignore: []string{"[z-a"}}), "ignore"},
		{"nothing to watch", types.ServiceConfig{}, NotConfigured},
		{"rebuild with build", withWatch(true, types.Trigger{Path: "src", Action: types.WatchActionRebuild}), ""},
		{"every action", withWatch(true,
			types.Trigger{Path: "a", Action: types.WatchActionSync, Target: "/a"},
			types.Trigger{Path: "b", Action: types.WatchActionSyncRestart, Target: "/b"},
			types.Trigger{Path: "c", Action: types.WatchActionSyncExec, Target: "/c", Exec: types.ServiceHook{Command: []string{"true"}}},
			types.Trigger{Path: "d", Action: types.WatchActionRestart},
			types.Trigger{Path: "e", Action: types.WatchActionRebuild}), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Rules(project(dir, map[string]types.ServiceConfig{"web": c.svc}), nil)
			if c.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("error %v, want it to contain %q", err, c.wantErr)
			}
			if core.KindOf(err) != core.KindInvalidArgument {
				t.Fatalf("kind %v", core.KindOf(err))
			}
		})
	}
}

func TestRulesSelection(t *testing.T) {
	dir := t.TempDir()
	p := project(dir, map[string]types.ServiceConfig{
		"web": withWatch(false, types.Trigger{Path: "./src", Action: types.WatchActionSync, Target: "/app"}),
		"api": withWatch(false, types.Trigger{Path: "/abs/api", Action: types.WatchActionRestart}),
		"db":  {},
	})
	rules, err := Rules(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rules {
		got = append(got, r.Service+"="+r.Path)
	}
	want := []string{"api=/abs/api", "web=" + filepath.Join(dir, "src")}
	if !slices.Equal(got, want) {
		t.Fatalf("rules %v, want %v (sorted by service, paths absolute)", got, want)
	}
	if _, err := Rules(p, []string{"db"}); err == nil || !strings.Contains(err.Error(), NotConfigured) {
		t.Fatalf("db alone: %v", err)
	}
	if _, err := Rules(p, []string{"nope"}); core.KindOf(err) != core.KindNotFound {
		t.Fatalf("unknown service: %v", err)
	}
}

func TestWatches(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".dockerignore"), []byte("**/*.log\nbuild/\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := project(dir, map[string]types.ServiceConfig{
		"web": withWatch(true,
			types.Trigger{Path: "src", Action: types.WatchActionSync, Target: "/app",
				Ignore: []string{"node_modules/", "**/*.tmp", "/secret.txt", "gen/*", "!gen/keep.go"}},
			types.Trigger{Path: "pkg", Action: types.WatchActionRebuild, Include: []string{"*.go"}},
			types.Trigger{Path: "config.yml", Action: types.WatchActionRestart}),
	})
	rules, err := Rules(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	src, pkg, conf := &rules[0], &rules[1], &rules[2]
	j := func(p ...string) string { return filepath.Join(append([]string{dir}, p...)...) }
	cases := []struct {
		r    *Rule
		path string
		want bool
	}{
		{src, j("src", "index.js"), true},
		{src, j("src"), true},
		{src, j("src", "a", "b", "c.js"), true},
		{src, j("srcx", "index.js"), false}, // a sibling with the same prefix
		{src, j("other.js"), false},
		{src, j("src", "node_modules", "x", "y.js"), false},
		{src, j("src", "deep", "f.tmp"), false},
		{src, j("src", "secret.txt"), false},
		{src, j("src", "sub", "secret.txt"), true}, // "/" anchors to the rule's path
		{src, j("src", "gen", "out.go"), false},
		{src, j("src", "gen", "keep.go"), true}, // "!" re-includes
		{src, j("src", "app.log"), false},       // the build context's .dockerignore
		{src, j("src", "build", "x"), true},     // build/ is anchored at the context
		{src, j("build", "x"), false},
		{src, j("src", ".index.js.swp"), false}, // editors' temporary files
		{src, j("src", "index.js~"), false},
		{src, j("src", "4913"), false},
		{src, j("src", ".idea", "workspace.xml"), false},
		{pkg, j("pkg", "main.go"), true},
		{pkg, j("pkg", "README.md"), false}, // not included
		{conf, j("config.yml"), true},
		{conf, j("config.yml.bak"), false},
	}
	for _, c := range cases {
		if got := c.r.Watches(c.path); got != c.want {
			t.Errorf("%s rule on %s: Watches(%s) = %v, want %v", c.r.Action, c.r.Path, c.path, got, c.want)
		}
	}
	if got := src.ContainerPath(j("src", "a", "b.js")); got != "/app/a/b.js" {
		t.Errorf("ContainerPath = %q", got)
	}
	if got := src.ContainerPath(j("src")); got != "/app" {
		t.Errorf("ContainerPath of the root = %q", got)
	}
}
