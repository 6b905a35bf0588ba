package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/cli"
	"github.com/perryts/perry-container/core"
)

// pause, unpause, top, cp and events on live runtimes: the Docker engine
// through its API and its CLI, then podman and nerdctl (runtimes_test.go).

const optionalOpsYAML = `
services:
  app:
    image: ` + testImage + `
    command: ` + sleeper + `
    labels: [perry.test=1]
`

func TestIntegrationOptionalOps(t *testing.T) {
	onDocker(t, func(r *realEngine, _ int) { r.optionalOps() })
}

func TestRuntimesOptionalOps(t *testing.T) {
	onRuntimes(t, func(t *testing.T, r *realEngine) { r.optionalOps() })
}

func unixTime(t time.Time) string { return fmt.Sprintf("%d.%09d", t.Unix(), t.Nanosecond()) }

// optionalOps: pause shows in ps and unpause undoes it, top lists the
// service's command, a file and a directory go into the container and
// back, and the events of all that (and a restart) are reported for the
// service. A runtime without an operation must say so (Unsupported).
func (r *realEngine) optionalOps() {
	t := r.t
	ctx := r.ctx()
	e := r.engine(r.load(optionalOpsYAML))
	if err := e.Up(ctx, UpOptions{}); err != nil {
		t.Fatal(err)
	}
	since := time.Now().Add(-time.Second)
	unsupported := func(err error) bool {
		return core.KindOf(err) == core.KindInternal && core.AsError(err).Details["unsupported"] == true
	}
	state := func() string {
		cs, err := e.Ps(ctx, PsOptions{Services: []string{"app"}})
		if err != nil || len(cs) != 1 {
			t.Fatalf("ps: %v %v", cs, err)
		}
		return cs[0].State
	}

	switch err := e.Pause(ctx, nil); {
	case unsupported(err):
		t.Logf("%s: %v", r.b.Name(), err)
	case err != nil:
		t.Fatalf("pause: %v", err)
	default:
		if s := state(); s != "paused" {
			t.Fatalf("after pause: %s", s)
		}
		if err := e.Unpause(ctx, []string{"app"}); err != nil {
			t.Fatalf("unpause: %v", err)
		}
		if s := state(); s != "running" {
			t.Fatalf("after unpause: %s", s)
		}
	}

	switch ps, err := e.Top(ctx, nil); {
	case unsupported(err):
		t.Logf("%s: %v", r.b.Name(), err)
	case err != nil:
		t.Fatalf("top: %v", err)
	default:
		if len(ps) != 1 || ps[0].Service != "app" || len(ps[0].Titles) < 2 {
			t.Fatalf("top: %+v", ps)
		}
		found := false
		for _, p := range ps[0].Processes.Processes {
			found = found || (len(p) == len(ps[0].Titles) && strings.Contains(p[len(p)-1], "sleep 1000"))
		}
		if !found {
			t.Fatalf("top: no sleep 1000 among %+v", ps[0].Processes)
		}
	}

	host := t.TempDir()
	file, dir := filepath.Join(host, "data.txt"), filepath.Join(host, "dir")
	if err := os.WriteFile(file, []byte("from the host\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sub", "b.txt"), []byte("nested\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	switch err := e.Copy(ctx, file, "app:/tmp/data.txt", CopyOptions{}); {
	case unsupported(err):
		t.Logf("%s: %v", r.b.Name(), err)
	case err != nil:
		t.Fatalf("cp to: %v", err)
	default:
		if err := e.Copy(ctx, dir, "app:/tmp/", CopyOptions{}); err != nil {
			t.Fatalf("cp of a directory into one: %v", err)
		}
		out, err := e.Exec(ctx, "app", ExecOptions{ExecOptions: backend.ExecOptions{Cmd: []string{"cat", "/tmp/data.txt", "/tmp/dir/sub/b.txt"}}})
		if err != nil || out.Stdout != "from the host\nnested\n" {
			t.Fatalf("the copies in the container: %q %v", out.Stdout, err)
		}
		back := filepath.Join(host, "back.txt")
		if err := e.Copy(ctx, "app:/tmp/data.txt", back, CopyOptions{Index: 1}); err != nil {
			t.Fatalf("cp from: %v", err)
		}
		if data, err := os.ReadFile(back); err != nil || string(data) != "from the host\n" {
			t.Fatalf("round trip: %q %v", data, err)
		}
		if err := e.Copy(ctx, "app:/tmp/dir", filepath.Join(host, "copied"), CopyOptions{}); err != nil {
			t.Fatalf("cp of a directory from: %v", err)
		}
		if data, err := os.ReadFile(filepath.Join(host, "copied", "sub", "b.txt")); err != nil || string(data) != "nested\n" {
			t.Fatalf("directory round trip: %q %v", data, err)
		}
		if err := e.Copy(ctx, "app:/nonexistent", filepath.Join(host, "x"), CopyOptions{}); err == nil {
			t.Fatal("cp of a missing path succeeded")
		}
		if r.b.Name() == "docker" {
			r.copyFlags(e, host)
		}
	}

	if err := e.Restart(ctx, nil, nil); err != nil {
		t.Fatal(err)
	}
	var actions []string
	err := e.Events(ctx, EventsOptions{Since: unixTime(since), Until: unixTime(time.Now().Add(time.Second))}, func(ev ContainerEvent) {
		if ev.Service != "app" || ev.Container == "" || ev.Time.IsZero() {
			t.Errorf("event %+v", ev)
		}
		for k := range ev.Attributes {
			if strings.HasPrefix(k, "com.docker.compose.") {
				t.Errorf("compose label %s in the attributes of %+v", k, ev)
			}
		}
		actions = append(actions, ev.Action)
	})
	switch {
	case unsupported(err):
		t.Logf("%s: %v", r.b.Name(), err)
	case err != nil:
		t.Fatalf("events: %v", err)
	default:
		for _, want := range []string{"die", "start"} {
			if !slices.Contains(actions, want) {
				t.Errorf("events of a restart: no %s in %q", want, actions)
			}
		}
	}
	if _, isCLI := r.b.(*cli.Backend); !isCLI {
		return
	}
	var ue *core.Error
	if !errors.As(backend.Unsupported(r.b, "x"), &ue) || !strings.HasSuffix(ue.Message, "cannot x") {
		t.Errorf("Unsupported: %v", ue)
	}
}

// copyFlags: -L copies what a link points to under the link's name, both
// ways; -a keeps a file's numeric owner.
func (r *realEngine) copyFlags(e *Engine, host string) {
	t, ctx := r.t, r.ctx()
	if out, err := e.Exec(ctx, "app", ExecOptions{ExecOptions: backend.ExecOptions{Cmd: []string{"ln", "-s", "/tmp/data.txt", "/tmp/link"}}}); err != nil || *out.ExitCode != 0 {
		t.Fatalf("ln: %+v %v", out, err)
	}
	followed := filepath.Join(host, "followed")
	if err := e.Copy(ctx, "app:/tmp/link", followed, CopyOptions{FollowLink: true}); err != nil {
		t.Fatalf("cp -L from: %v", err)
	}
	if fi, err := os.Lstat(followed); err != nil || !fi.Mode().IsRegular() {
		t.Fatalf("cp -L from: %v %v", fi, err)
	}
	link := filepath.Join(host, "hostlink")
	if err := os.Symlink(filepath.Join(host, "data.txt"), link); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(filepath.Join(host, "data.txt"), 4321, 4321); err != nil {
		t.Skipf("chown (not root?): %v", err)
	}
	if err := e.Copy(ctx, link, "app:/tmp/viaLink", CopyOptions{FollowLink: true, Archive: true}); err != nil {
		t.Fatalf("cp -L -a to: %v", err)
	}
	out, err := e.Exec(ctx, "app", ExecOptions{ExecOptions: backend.ExecOptions{Cmd: []string{"ls", "-ln", "/tmp/viaLink"}}})
	if err != nil {
		t.Fatal(err)
	}
	owners := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out.Stdout), "\n") {
		if f := strings.Fields(l); len(f) >= 9 {
			owners[f[len(f)-1]] = f[0][:1] + " " + f[2]
		}
	}
	if owners["/tmp/viaLink"] != "- 4321" {
		t.Fatalf("type and owner after cp -L -a: %v (ls: %q)", owners, out.Stdout)
	}
}
