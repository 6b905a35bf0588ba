package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// Lifecycle hooks on live runtimes: the Docker engine through its API and
// its CLI, then podman and nerdctl (runtimes_test.go).

const hooksRealYAML = `
services:
  app:
    image: ` + testImage + `
    pull_policy: never
    command: ` + sleeper + `
    volumes: ["data:/data"]
    post_start:
      - command: ["sh", "-c", "echo started > /tmp/post_start; id -u > /tmp/post_start_uid"]
        user: nobody
      - command: ["sh", "-c", "echo $$HOOK_VAR > /data/env; pwd >> /data/env"]
        working_dir: /tmp
        environment: {HOOK_VAR: from-hook}
    pre_stop:
      - command: ["sh", "-c", "echo stopping > /data/pre_stop"]
volumes:
  data: {}
`

const privilegedHookRealYAML = `
services:
  app:
    image: ` + testImage + `
    pull_policy: never
    command: ` + sleeper + `
    post_start:
      - command: ["sh", "-c", "grep CapEff /proc/self/status > /tmp/caps_privileged"]
        privileged: true
`

const failingHookRealYAML = `
services:
  app:
    image: ` + testImage + `
    pull_policy: never
    command: ` + sleeper + `
    post_start:
      - command: ["sh", "-c", "echo nope >&2; exit 3"]
`

func TestIntegrationLifecycleHooks(t *testing.T) {
	onDocker(t, func(r *realEngine, _ int) { r.lifecycleHooks() })
}

func TestRuntimesLifecycleHooks(t *testing.T) {
	onRuntimes(t, func(t *testing.T, r *realEngine) { r.lifecycleHooks() })
}

// lifecycleHooks: the post_start hooks ran in the started container, in
// order, as their user, in their working directory, with their
// environment, the privileged one with more capabilities than a plain
// exec; the pre_stop hook ran on down before the stop (it wrote into the
// named volume, which the next up's container reads); a failing post_start
// hook fails the up with its exit status.
func (r *realEngine) lifecycleHooks() {
	t := r.t
	ctx := r.ctx()
	e := r.engine(r.load(hooksRealYAML))
	if err := e.Up(ctx, UpOptions{}); err != nil {
		t.Fatal(err)
	}
	cat := func(path string) string {
		t.Helper()
		// nerdctl 2.0 loses an exec's output now and then (backend/cli
		// says where): ask again before calling it missing.
		var out core.ContainerLogs
		var err error
		for try := 0; try < 3; try++ {
			out, err = e.Exec(ctx, "app", ExecOptions{ExecOptions: backend.ExecOptions{Cmd: []string{"cat", path}}})
			if err == nil && out.ExitCode != nil && *out.ExitCode == 0 && out.Stdout != "" {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if err != nil || out.ExitCode == nil || *out.ExitCode != 0 {
			t.Fatalf("cat %s: %+v, %v", path, out, err)
		}
		return out.Stdout
	}
	if got := cat("/tmp/post_start"); got != "started\n" {
		t.Fatalf("post_start[0] wrote %q", got)
	}
	if got := cat("/tmp/post_start_uid"); got != "65534\n" {
		t.Fatalf("post_start[0] ran as uid %q, want nobody's 65534", got)
	}
	if got := cat("/data/env"); got != "from-hook\n/tmp\n" {
		t.Fatalf("post_start[1] saw %q, want its environment and working directory", got)
	}
	if err := e.Down(ctx, DownOptions{}); err != nil {
		t.Fatal(err)
	}
	// The volume outlives the down: the next container reads what the
	// pre_stop hook wrote before the stop.
	if err := e.Up(ctx, UpOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := cat("/data/pre_stop"); got != "stopping\n" {
		t.Fatalf("pre_stop wrote %q", got)
	}
	zero := 0
	if err := e.Down(ctx, DownOptions{Volumes: true, Timeout: &zero}); err != nil {
		t.Fatal(err)
	}

	// A privileged hook gets more capabilities than a plain exec. Docker
	// 20.10's runc refuses a privileged exec in an unprivileged container
	// ("unable to apply caps"), as it does `docker exec --privileged` there;
	// that refusal, which a plain exec never meets, shows the flag reached
	// the runtime.
	priv := r.engine(r.load(privilegedHookRealYAML))
	if err := priv.Up(ctx, UpOptions{}); err != nil {
		if !strings.Contains(err.Error(), "unable to apply caps") {
			t.Fatal(err)
		}
		t.Logf("the runtime refuses a privileged exec in an unprivileged container: %v", err)
	} else {
		plain, err := priv.Exec(ctx, "app", ExecOptions{ExecOptions: backend.ExecOptions{Cmd: []string{"grep", "CapEff", "/proc/self/status"}}})
		if err != nil {
			t.Fatal(err)
		}
		got, err := priv.Exec(ctx, "app", ExecOptions{ExecOptions: backend.ExecOptions{Cmd: []string{"cat", "/tmp/caps_privileged"}}})
		if err != nil {
			t.Fatal(err)
		}
		if got.Stdout == plain.Stdout || !strings.HasPrefix(got.Stdout, "CapEff:") {
			t.Fatalf("the privileged hook's capabilities %q, a plain exec's %q: want more", got.Stdout, plain.Stdout)
		}
	}
	if err := priv.Down(ctx, DownOptions{Timeout: &zero}); err != nil {
		t.Fatal(err)
	}

	bad := r.engine(r.load(failingHookRealYAML))
	err := bad.Up(ctx, UpOptions{KeepOnFailure: true})
	ce := core.AsError(err)
	if err == nil || ce.Kind != core.KindServiceStartupFailed || ce.Details["exitCode"] != 3 ||
		!strings.Contains(ce.Message, "post_start[0] hook exited with status 3: nope") {
		t.Fatalf("up with a failing hook: %v (%v), want status 3 and its stderr", err, ce.Details)
	}
	if cs, err := bad.Ps(ctx, PsOptions{}); err != nil || len(cs) != 1 || cs[0].State != "running" {
		t.Fatalf("after the failed hook: %+v, %v; want the container left running", cs, err)
	}
}
