package watch_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/fake"
	"github.com/perryts/perry-container/compose/engine"
	"github.com/perryts/perry-container/compose/watch"
	"github.com/perryts/perry-container/internal/testenv"
)

// rig is a project on a backend with a watch running on it.
type rig struct {
	t       *testing.T
	b       backend.Backend
	dir     string
	project string
	p       *types.Project
	e       *engine.Engine

	mu   sync.Mutex
	logs []string
}

const wait = 60 * time.Second

// newRig writes files under a fresh directory, loads yaml from it and
// brings the project up; it is taken down (and its built images removed)
// when t ends.
func newRig(t *testing.T, b backend.Backend, yaml string, files map[string]string) *rig {
	t.Helper()
	var suffix [4]byte
	_, _ = rand.Read(suffix[:])
	r := &rig{t: t, b: b, dir: t.TempDir(), project: "perrywatch" + hex.EncodeToString(suffix[:])}
	for name, content := range files {
		r.write(name, content)
	}
	file := filepath.Join(r.dir, "compose.yaml")
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  r.dir,
		ConfigFiles: []types.ConfigFile{{Filename: file}},
		Environment: types.Mapping{},
	}, func(o *loader.Options) { o.SetProjectName(r.project, true) })
	if err != nil {
		t.Fatal(err)
	}
	r.p = p
	r.e = engine.New(b, p, engine.WithLabels(map[string]string{"perry.test": "1"}),
		engine.WithStateDir(filepath.Join(r.dir, "state")))
	t.Cleanup(r.cleanup)
	if err := r.e.Up(r.ctx(), engine.UpOptions{}); err != nil {
		t.Fatalf("up: %v", err)
	}
	return r
}

func (r *rig) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	r.t.Cleanup(cancel)
	return ctx
}

func (r *rig) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	zero := 0
	if err := r.e.Down(ctx, engine.DownOptions{Volumes: true, RemoveOrphans: true, Timeout: &zero, RemoveImages: "local"}); err != nil {
		r.t.Logf("cleanup down: %v", err)
	}
	cs, _ := r.b.List(ctx, backend.ListOptions{All: true, Labels: map[string]string{engine.LabelProject: r.project}})
	for _, c := range cs {
		_ = r.b.Remove(ctx, c.ID, true)
	}
}

// watch runs the watch until t ends, returning once the paths are watched.
func (r *rig) watch(prune bool) {
	r.t.Helper()
	rules, err := watch.Rules(r.p, nil)
	if err != nil {
		r.t.Fatal(err)
	}
	acts := &watch.EngineActions{Engine: r.e, Backend: r.b, Prune: prune}
	if err := acts.CheckSync(rules); err != nil {
		r.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan struct{})
	go func() {
		done <- watch.Run(ctx, watch.Options{Rules: rules, Actions: acts, Quiet: 100 * time.Millisecond,
			Ready: func() { close(ready) },
			Log: func(s string) {
				r.t.Log("watch: " + s)
				r.mu.Lock()
				r.logs = append(r.logs, s)
				r.mu.Unlock()
			}})
	}()
	r.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			r.t.Errorf("watch: %v", err)
		}
	})
	select {
	case <-ready:
	case err := <-done:
		r.t.Fatalf("watch ended before it began: %v", err)
	}
}

func (r *rig) logged(part string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range r.logs {
		if strings.Contains(l, part) {
			return true
		}
	}
	return false
}

func (r *rig) write(rel, content string) {
	r.t.Helper()
	p := filepath.Join(r.dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// cat reads a file of the service's container (ok false when it is not
// there).
func (r *rig) cat(service, path string) (string, bool) {
	out, err := r.e.Exec(r.ctx(), service, engine.ExecOptions{ExecOptions: backend.ExecOptions{Cmd: []string{"cat", path}}})
	if err != nil || out.ExitCode == nil || *out.ExitCode != 0 {
		return "", false
	}
	return out.Stdout, true
}

func (r *rig) containerID(service string) string {
	r.t.Helper()
	cs, err := r.e.Ps(r.ctx(), engine.PsOptions{Services: []string{service}})
	if err != nil {
		r.t.Fatal(err)
	}
	if len(cs) != 1 {
		return ""
	}
	return cs[0].ID
}

const watchYAML = `
services:
  web:
    image: %IMAGE%
    command: ["sh", "-c", "echo started >> /tmp/starts; exec sleep 3600"]
    develop:
      watch:
        - path: ./src
          action: sync
          target: /app
          ignore: ["*.tmp", "skip/"]
        - path: ./conf
          action: restart
  built:
    build: ./built
    command: ["sleep", "3600"]
    develop:
      watch:
        - path: ./built/app
          action: rebuild
`

var watchFiles = map[string]string{
	"src/index.txt":       "v1",
	"conf/app.conf":       "a=1",
	"built/Dockerfile":    "FROM %IMAGE%\nCOPY app/ /app/\n",
	"built/app/version":   "one",
	"built/.dockerignore": "",
}

func forImage(s, image string) string { return strings.ReplaceAll(s, "%IMAGE%", image) }

// exercise runs the scenario every backend must pass; content reports
// whether the backend's build really copies files into the image.
// startedAt, when not nil, reads a container's start time from the
// runtime.
func exercise(t *testing.T, r *rig, content bool, startedAt func(id string) string) {
	r.watch(true)
	testenv.Eventually(t, wait, "Watch enabled", func() bool { return r.logged("Watch enabled") })

	// a new file, in a new directory, syncs into the container
	r.write("src/sub/dir/new.txt", "hello")
	testenv.Eventually(t, wait, "/app/sub/dir/new.txt in the container", func() bool {
		s, ok := r.cat("web", "/app/sub/dir/new.txt")
		return ok && s == "hello"
	})
	if !r.logged(`Syncing service "web" after`) {
		t.Errorf("no sync line in %v", r.logs)
	}
	// a changed file is copied again
	r.write("src/index.txt", "v2")
	testenv.Eventually(t, wait, "/app/index.txt updated", func() bool {
		s, ok := r.cat("web", "/app/index.txt")
		return ok && s == "v2"
	})
	// ignored files do not sync; a later file of the same batch does
	r.write("src/x.tmp", "no")
	r.write("src/skip/y.txt", "no")
	r.write("src/marker.txt", "m")
	testenv.Eventually(t, wait, "/app/marker.txt", func() bool { _, ok := r.cat("web", "/app/marker.txt"); return ok })
	if _, ok := r.cat("web", "/app/x.tmp"); ok {
		t.Error("ignored *.tmp file was synced")
	}
	if _, ok := r.cat("web", "/app/skip/y.txt"); ok {
		t.Error("file under the ignored skip/ was synced")
	}

	// a restart rule restarts the container (its command runs again)
	startsBefore, _ := r.cat("web", "/tmp/starts")
	idWeb := r.containerID("web")
	var started string
	if startedAt != nil {
		started = startedAt(idWeb)
	}
	r.write("conf/app.conf", "a=2")
	testenv.Eventually(t, wait, "web restarted", func() bool {
		s, _ := r.cat("web", "/tmp/starts")
		return strings.Count(s, "started") > strings.Count(startsBefore, "started")
	})
	if id := r.containerID("web"); id != idWeb {
		t.Errorf("restart recreated the container (%s → %s)", idWeb, id)
	}
	if startedAt != nil {
		if now := startedAt(idWeb); now == started {
			t.Errorf("StartedAt unchanged by the restart: %s", now)
		}
	}

	// a rebuild rule builds the image and recreates the container
	idBuilt := r.containerID("built")
	if content {
		if s, _ := r.cat("built", "/app/version"); s != "one" {
			t.Fatalf("built image has %q in /app/version", s)
		}
	}
	r.write("built/app/version", "two")
	testenv.Eventually(t, wait, "built recreated", func() bool {
		id := r.containerID("built")
		return id != "" && id != idBuilt
	})
	if content {
		testenv.Eventually(t, wait, "the new image's file", func() bool {
			s, ok := r.cat("built", "/app/version")
			return ok && s == "two"
		})
	}
	testenv.Eventually(t, wait, "rebuild lines", func() bool {
		return r.logged(`Rebuilding service(s) ["built"] after changes were detected...`) &&
			r.logged(`service(s) ["built"] successfully built`)
	})
	if id := r.containerID("web"); id != idWeb {
		t.Errorf("rebuilding built recreated web (%s → %s)", idWeb, id)
	}

	// a deleted file is removed from the container (last: on the fake,
	// rm is only recorded)
	if err := os.Remove(filepath.Join(r.dir, "src", "index.txt")); err != nil {
		t.Fatal(err)
	}
}

func TestWatchFake(t *testing.T) {
	b := fake.New("busybox")
	files := map[string]string{}
	for k, v := range watchFiles {
		files[k] = forImage(v, "busybox")
	}
	r := newRig(t, b, forImage(watchYAML, "busybox"), files)
	exercise(t, r, false, nil)
	testenv.Eventually(t, wait, "rm -rf of the deleted file", func() bool {
		for _, c := range b.Calls() {
			if c.Method == "Exec" && strings.Join(c.Args[1:], " ") == "rm -rf -- /app/index.txt" {
				return true
			}
		}
		return false
	})
}

func TestWatchDocker(t *testing.T) {
	b := testenv.RequireEngine(t)
	files := map[string]string{}
	for k, v := range watchFiles {
		files[k] = forImage(v, testenv.Image)
	}
	r := newRig(t, b, forImage(watchYAML, testenv.Image), files)
	old, err := b.InspectImage(r.ctx(), r.project+"-built")
	if err != nil {
		t.Fatal(err)
	}
	startedAt := func(id string) string {
		out, err := exec.Command("docker", "inspect", "-f", "{{.State.StartedAt}}", "--", id).Output()
		if err != nil {
			t.Fatalf("docker inspect: %v", err)
		}
		return strings.TrimSpace(string(out))
	}
	exercise(t, r, true, startedAt)
	// --prune: the image the rebuild replaced is gone
	if _, err := b.InspectImage(r.ctx(), old.ID); err == nil {
		t.Errorf("the replaced image %s is still there", old.ID)
	}
	testenv.Eventually(t, wait, "/app/index.txt removed", func() bool {
		_, ok := r.cat("web", "/app/index.txt")
		return !ok
	})
}

// A backend that cannot copy files is refused before the watch starts.
func TestWatchSyncNeedsCopier(t *testing.T) {
	p := &types.Project{Name: "demo", WorkingDir: t.TempDir(), Services: types.Services{}}
	svc := types.ServiceConfig{Name: "web", Develop: &types.DevelopConfig{Watch: []types.Trigger{{Path: "src", Action: types.WatchActionSync, Target: "/app"}}}}
	svc.Image = "busybox"
	p.Services["web"] = svc
	rules, err := watch.Rules(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := noCopy{fake.New("busybox")}
	acts := &watch.EngineActions{Engine: engine.New(b, p), Backend: b}
	err = acts.CheckSync(rules)
	if err == nil || !strings.Contains(err.Error(), "fake cannot copy files") {
		t.Fatalf("CheckSync: %v", err)
	}
	if err := acts.Sync(context.Background(), "web", []watch.FileOp{{Host: "/x", Container: "/app/x"}}); err == nil {
		t.Fatal("Sync without a Copier succeeded")
	}
}

// noCopy hides the fake's Copier.
type noCopy struct{ backend.Backend }

const hooksYAML = `
services:
  web:
    image: busybox
    command: ["sh", "-c", "echo started >> /tmp/starts; exec sleep 3600"]
    develop:
      watch:
        - path: ./init
          action: sync
          target: /init
          initial_sync: true
        - path: ./a
          action: sync+restart
          target: /a
        - path: ./b
          action: sync+exec
          target: /b
          exec:
            command: ["sh", "-c", "echo ran >> /tmp/hooks"]
            user: nobody
            privileged: true
            working_dir: /b
            environment: [HOOK=1]
`

func TestWatchInitialSyncRestartExecOnFake(t *testing.T) {
	b := fake.New("busybox")
	r := newRig(t, b, hooksYAML, map[string]string{
		"init/f.txt": "before", "a/.keep": "", "b/.keep": "",
	})
	if _, ok := r.cat("web", "/init/f.txt"); ok {
		t.Fatal("/init/f.txt in the container before the watch")
	}
	r.watch(false)
	// initial_sync: the path's files are synced when the watch begins
	testenv.Eventually(t, wait, "initial sync of /init/f.txt", func() bool {
		s, ok := r.cat("web", "/init/f.txt")
		return ok && s == "before"
	})
	starts := func() int { s, _ := r.cat("web", "/tmp/starts"); return strings.Count(s, "started") }
	if n := starts(); n != 1 {
		t.Fatalf("%d starts before any change (the initial sync must not restart)", n)
	}
	// sync+restart: synced, then restarted
	r.write("a/x.txt", "x")
	testenv.Eventually(t, wait, "/a/x.txt synced and web restarted", func() bool {
		s, ok := r.cat("web", "/a/x.txt")
		return ok && s == "x" && starts() == 2
	})
	// sync+exec: synced, then the command runs in the container
	r.write("b/y.txt", "y")
	testenv.Eventually(t, wait, "/b/y.txt synced and the hook run", func() bool {
		s, ok := r.cat("web", "/b/y.txt")
		h, _ := r.cat("web", "/tmp/hooks")
		return ok && s == "y" && h == "ran\n"
	})
	if n := starts(); n != 2 {
		t.Errorf("sync+exec restarted web (%d starts)", n)
	}
	// with the hook's user, privileges, working directory and environment
	ran := false
	for _, x := range b.Execs() {
		o := x.Options
		if len(o.Cmd) == 3 && o.Cmd[2] == "echo ran >> /tmp/hooks" {
			ran = true
			if o.User != "nobody" || !o.Privileged || o.Workdir != "/b" || o.Env["HOOK"] != "1" {
				t.Errorf("the exec hook ran with %+v", o)
			}
		}
	}
	if !ran {
		t.Error("the exec hook is not among the fake's execs")
	}
}

// A sync reaches every replica of the service.
func TestWatchSyncReplicasOnFake(t *testing.T) {
	r := newRig(t, fake.New("busybox"), `
services:
  web:
    image: busybox
    command: [sleep, "3600"]
    scale: 2
    develop:
      watch:
        - path: ./src
          action: sync
          target: /app
`, map[string]string{"src/.keep": ""})
	r.watch(false)
	r.write("src/f.txt", "both")
	for _, i := range []int{1, 2} {
		testenv.Eventually(t, wait, "f.txt in replica", func() bool {
			out, err := r.e.Exec(r.ctx(), "web", engine.ExecOptions{Index: i, ExecOptions: backend.ExecOptions{Cmd: []string{"cat", "/app/f.txt"}}})
			return err == nil && out.Stdout == "both"
		})
	}
}
