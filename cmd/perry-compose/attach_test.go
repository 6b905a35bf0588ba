package main

import (
	"bytes"
	"context"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/internal/testenv"
)

const attachable = `
services:
  web:
    image: perry-test/busybox:latest
    command: [sleep, "1000"]
    scale: 2
  shell:
    image: perry-test/busybox:latest
    command: [sleep, "1000"]
    stdin_open: true
    tty: true
`

// attachSession runs `attach args…` in the background with signals the
// test sends, until the fake's container id ends.
type attachRun struct {
	sigs chan os.Signal
	done chan result
}

func (c *cliEnv) attach(args ...string) *attachRun {
	r := &attachRun{sigs: make(chan os.Signal, 2), done: make(chan result, 1)}
	var out, errb bytes.Buffer
	a := c.app(strings.NewReader(""), &out, &errb)
	a.signals = r.sigs
	full := c.argv(append([]string{"attach"}, args...)...)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		code := a.run(ctx, full)
		r.done <- result{stdout: out.String(), stderr: errb.String(), code: code}
	}()
	return r
}

func (r *attachRun) wait(t *testing.T) result {
	t.Helper()
	select {
	case res := <-r.done:
		return res
	case <-time.After(30 * time.Second):
		t.Fatal("attach did not end")
		return result{}
	}
}

// TestAttachEndsWithTheProcess: attach joins a service's running container
// (the --index'th), with stdin only where the service keeps it open and a
// TTY where it has one, and exits with the process's code when it ends.
func TestAttachEndsWithTheProcess(t *testing.T) {
	c := newCLIEnv(t, attachable)
	c.must("up", "-d")
	ids := c.containers(t)
	for _, tc := range []struct {
		args      []string
		container string
		want      []string // the Attach call's arguments after the id
	}{
		{[]string{"web"}, "demo-web-1", []string{"tty=false", "stdin=false"}},
		{[]string{"--index", "2", "web"}, "demo-web-2", []string{"tty=false", "stdin=false"}},
		{[]string{"shell"}, "demo-shell-1", []string{"tty=true", "stdin=true"}},
		{[]string{"--no-stdin", "shell"}, "demo-shell-1", []string{"tty=true", "stdin=false"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			if c.b.Exit(ids[tc.container], 0) == nil { // a fresh process for each case
				if err := c.b.Start(t.Context(), ids[tc.container]); err != nil {
					t.Fatal(err)
				}
			}
			c.b.ResetCalls()
			r := c.attach(tc.args...)
			var call []string
			testenv.Eventually(t, 10*time.Second, "the attachment", func() bool {
				got, ok := lastCall(c.b, "Attach")
				call = got.Args
				return ok
			})
			if call[0] != ids[tc.container] || !slices.Equal(call[1:], tc.want) {
				t.Fatalf("attached %q, want %s with %q", call, tc.container, tc.want)
			}
			if err := c.b.Exit(ids[tc.container], 3); err != nil {
				t.Fatal(err)
			}
			if res := r.wait(t); res.code != 3 {
				t.Fatalf("exit %d, want the process's 3: %+v", res.code, res)
			}
		})
	}
	c.must("stop", "web")
	if r := c.attach("web").wait(t); r.code == 0 || !strings.Contains(r.stderr, "is not running") {
		t.Fatalf("attach to a stopped service: %+v", r)
	}
}

// TestAttachSendsCtrlCToTheProcess: without a TTY, the first signal goes to
// the process (--sig-proxy, the default), which ends it; with
// --sig-proxy=false it ends the attachment and the process goes on.
func TestAttachSendsCtrlCToTheProcess(t *testing.T) {
	c := newCLIEnv(t, oneService)
	c.must("up", "-d")
	id := c.containers(t)["demo-web-1"]
	r := c.attach("web")
	testenv.Eventually(t, 10*time.Second, "the attachment", func() bool { _, ok := lastCall(c.b, "Attach"); return ok })
	r.sigs <- syscall.SIGINT
	if res := r.wait(t); res.code != 130 {
		t.Fatalf("exit %d after Ctrl-C, want the process's 130: %+v", res.code, res)
	}
	if call, ok := lastCall(c.b, "Kill"); !ok || call.Args[0] != id || call.Args[1] != "2" {
		t.Fatalf("the signal was not sent to the process: %+v", call)
	}

	c.must("start", "web")
	c.b.ResetCalls()
	r = c.attach("--sig-proxy=false", "web")
	testenv.Eventually(t, 10*time.Second, "the attachment", func() bool { _, ok := lastCall(c.b, "Attach"); return ok })
	r.sigs <- syscall.SIGINT
	if res := r.wait(t); res.code != exitInterrupted {
		t.Fatalf("exit %d, want %d: %+v", res.code, exitInterrupted, res)
	}
	if _, ok := lastCall(c.b, "Kill"); ok {
		t.Fatal("--sig-proxy=false sent the signal to the process")
	}
	if info, err := c.b.Inspect(t.Context(), id); err != nil || info.State != "running" {
		t.Fatalf("the process ended with the attachment: %+v %v", info, err)
	}
}

// containers is the fake's containers by name.
func (c *cliEnv) containers(t *testing.T) map[string]string {
	t.Helper()
	cs, err := c.b.List(t.Context(), backend.ListOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, ct := range cs {
		ids[ct.Name] = ct.ID
	}
	return ids
}
