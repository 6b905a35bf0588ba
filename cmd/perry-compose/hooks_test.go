package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

const hookedServices = `
services:
  web:
    image: perry-test/busybox:latest
    command: [sleep, "1000"]
    post_start:
      - command: [echo, hook says hi]
    pre_stop:
      - command: [sh, -c, "echo bye >&2"]
  job:
    image: perry-test/busybox:latest
    command: [echo, done]
    depends_on: [web]
`

// An attached up shows a lifecycle hook's output with the logs, behind the
// container's name and an arrow, as docker compose does: the post_start
// hook's when web starts, the pre_stop hook's when the abort stops it.
func TestAttachedUpPrintsHookOutput(t *testing.T) {
	c := newCLIEnv(t, hookedServices)
	r := c.run("up", "--abort-on-container-exit")
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{`(?m)^web-1 -> +\| hook says hi$`, `(?m)^web-1 -> +\| bye$`, `(?m)^job-1 +\| done$`} {
		if !regexp.MustCompile(want).MatchString(r.stdout) {
			t.Errorf("stdout lacks %s:\n%s", want, r.stdout)
		}
	}
}

// A failing post_start hook fails a detached up with exit code 1 and the
// hook's words: the service, the container, its exit status and stderr.
func TestFailingHookFailsUp(t *testing.T) {
	c := newCLIEnv(t, `
services:
  web:
    image: perry-test/busybox:latest
    command: [sleep, "1000"]
    post_start:
      - command: [sh, -c, "echo no config >&2; exit 2"]
`)
	r := c.run("up", "-d")
	want := `Error: service "web": container demo-web-1: post_start[0] hook exited with status 2: no config`
	if r.code != 1 || !regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(want)+`$`).MatchString(r.stderr) {
		t.Fatalf("exit %d, want 1 and %q\nstderr: %s", r.code, want, r.stderr)
	}
}

// config keeps the hooks, every field of them, as compose-go writes them
// for docker compose config.
func TestConfigKeepsHooks(t *testing.T) {
	c := newCLIEnv(t, `
services:
  web:
    image: perry-test/busybox:latest
    post_start:
      - command: echo "a b"
        user: nobody
        privileged: true
        working_dir: /w
        environment: [A=1]
    pre_stop:
      - command: [sh, -c, "echo $$HOME"]
`)
	yamlOut := c.must("config").stdout
	want := `    post_start:
      - command:
          - echo
          - a b
        user: nobody
        privileged: true
        working_dir: /w
        environment:
          A: "1"
    pre_stop:
      - command:
          - sh
          - -c
          - echo $$HOME
`
	if !strings.Contains(yamlOut, want) {
		t.Fatalf("config lacks the hooks as written:\n%s", yamlOut)
	}
	var p struct {
		Services map[string]struct {
			PostStart []map[string]any `json:"post_start"`
			PreStop   []map[string]any `json:"pre_stop"`
		}
	}
	if err := json.Unmarshal([]byte(c.must("config", "--format", "json").stdout), &p); err != nil {
		t.Fatal(err)
	}
	web := p.Services["web"]
	if len(web.PostStart) != 1 || len(web.PreStop) != 1 || web.PostStart[0]["privileged"] != true || web.PostStart[0]["working_dir"] != "/w" {
		t.Fatalf("config --format json: %+v", web)
	}
}

// run gives its one-off container the service's post_start hooks, as
// docker compose's run does: detached right after the start, attached once
// the container runs (the session goes on meanwhile); a failing hook fails
// the run.
func TestRunRunsPostStartHooks(t *testing.T) {
	const yaml = `
services:
  web:
    image: perry-test/busybox:latest
    command: [sleep, "1000"]
    post_start:
      - command: [sh, -c, "echo hooked > /tmp/hook; exit 0"]
`
	c := newCLIEnv(t, yaml)
	id := strings.TrimSpace(c.must("run", "-d", "web").stdout)
	if execs := c.b.Execs(); len(execs) != 1 || execs[0].Container != id {
		t.Fatalf("run -d: execs %+v, want the hook in %s", execs, id)
	}

	// Attached: the test ends the container once its hook ran.
	done := make(chan struct{})
	go func() {
		defer close(done)
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if execs := c.b.Execs(); len(execs) == 2 {
				_ = c.b.Exit(execs[1].Container, 0)
				return
			}
		}
	}()
	r := c.run("run", "--rm", "web")
	<-done
	if r.code != 0 || len(c.b.Execs()) != 2 {
		t.Fatalf("attached run: exit %d, %d hooks\nstderr: %s", r.code, len(c.b.Execs()), r.stderr)
	}

	c = newCLIEnv(t, strings.Replace(yaml, "exit 0", "exit 5", 1))
	r = c.run("run", "-d", "web")
	if r.code != 1 || !strings.Contains(r.stderr, "post_start[0] hook exited with status 5") {
		t.Fatalf("run -d with a failing hook: exit %d\nstderr: %s", r.code, r.stderr)
	}
}
