package main

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/fake"
	"github.com/perryts/perry-container/compose/engine"
)

// lastCall is the fake's last recorded call of method.
func lastCall(b *fake.Backend, method string) (fake.Call, bool) {
	calls := b.Calls()
	for i := len(calls) - 1; i >= 0; i-- {
		if calls[i].Method == method {
			return calls[i], true
		}
	}
	return fake.Call{}, false
}

// exec attaches stdin (streamed to the process until its end) without a
// TTY when stdin is not a terminal, and passes the exit code through.
func TestExecAttachesStdin(t *testing.T) {
	c := newCLIEnv(t, oneService)
	c.must("up", "-d")
	r := c.runStdin("hello\nworld\n", "exec", "-T", "web", "cat")
	if r.code != 0 || r.stdout != "hello\nworld\n" || r.stderr != "" {
		t.Fatalf("exec -T web cat: %+v", r)
	}
	call, ok := lastCall(c.b, "ExecInteractive")
	if !ok || !slices.Equal(call.Args[1:], []string{"tty=false", "stdin=true", "cat"}) {
		t.Fatalf("exec went through %+v (ok %v), want ExecInteractive without a TTY, with stdin", call, ok)
	}
	// Without -T: stdin is no terminal, so no TTY either.
	if r := c.runStdin("piped\n", "exec", "web", "cat"); r.code != 0 || r.stdout != "piped\n" {
		t.Fatalf("exec web cat: %+v", r)
	}
	if call, _ := lastCall(c.b, "ExecInteractive"); call.Args[1] != "tty=false" {
		t.Fatalf("a TTY without a terminal: %+v", call)
	}
	// -i=false: stdin is not attached.
	if r := c.runStdin("ignored\n", "exec", "-i=false", "web", "cat"); r.code != 0 || r.stdout != "" {
		t.Fatalf("exec -i=false: %+v", r)
	}
	if call, _ := lastCall(c.b, "ExecInteractive"); call.Args[2] != "stdin=false" {
		t.Fatalf("-i=false attached stdin: %+v", call)
	}
	// The command's exit code becomes perry-compose's; its output streams.
	r = c.runStdin("", "exec", "-T", "web", "sh", "-c", "echo out; echo err >&2; exit 7")
	if r.code != 7 || r.stdout != "out\n" || r.stderr != "err\n" {
		t.Fatalf("exec exit 7: %+v", r)
	}
}

// exec and run refuse an explicit -t when stdin is not a terminal (as
// docker does), and a detach sequence they cannot read.
func TestAttachUsageErrors(t *testing.T) {
	c := newCLIEnv(t, oneService)
	c.must("up", "-d")
	for _, args := range [][]string{
		{"exec", "-t", "web", "sh"},
		{"run", "--rm", "-t", "web", "sh"},
	} {
		r := c.runStdin("", args...)
		if r.code != 1 || !strings.Contains(r.stderr, "the input device is not a TTY") {
			t.Errorf("%v: %+v", args, r)
		}
	}
	for _, args := range [][]string{
		{"exec", "--detach-keys", "ctrl-1", "web", "sh"},
		{"run", "--rm", "--detach-keys", "ab,ctrl-", "web", "sh"},
	} {
		r := c.runStdin("", args...)
		if r.code != 1 || !strings.Contains(r.stderr, "invalid --detach-keys") {
			t.Errorf("%v: %+v", args, r)
		}
	}
}

// run attaches the one-off container before it starts: stdin reaches it,
// its exit code is passed through, --rm removes it.
func TestRunAttachesStdin(t *testing.T) {
	c := newCLIEnv(t, oneService)
	r := c.runStdin("to the one-off\n", "run", "--rm", "-T", "web", "cat")
	if r.code != 0 || r.stdout != "to the one-off\n" {
		t.Fatalf("run --rm -T web cat: %+v", r)
	}
	call, ok := lastCall(c.b, "RunInteractive")
	if !ok || !strings.HasPrefix(call.Args[0], "demo-web-run-") || !slices.Equal(call.Args[1:], []string{"tty=false", "stdin=true", "cat"}) {
		t.Fatalf("run went through %+v (ok %v), want RunInteractive without a TTY, with stdin", call, ok)
	}
	if r := c.runStdin("", "run", "--rm", "-T", "web", "sh", "-c", "echo out; exit 5"); r.code != 5 || r.stdout != "out\n" {
		t.Fatalf("run exit 5: %+v", r)
	}
	list, err := c.b.List(context.Background(), backend.ListOptions{All: true, Labels: map[string]string{engine.LabelOneoff: "True"}})
	if err != nil || len(list) != 0 {
		t.Fatalf("run --rm left %v (%v)", list, err)
	}
	// Without --rm the exited container stays, as docker compose run's.
	if r := c.runStdin("kept\n", "run", "-T", "web", "cat"); r.code != 0 || r.stdout != "kept\n" {
		t.Fatalf("run web cat: %+v", r)
	}
	list, _ = c.b.List(context.Background(), backend.ListOptions{All: true, Labels: map[string]string{engine.LabelOneoff: "True"}})
	if len(list) != 1 || list[0].State != "exited" {
		t.Fatalf("run without --rm: %+v", list)
	}
}
