package fake

import (
	"reflect"
	"strings"
	"testing"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// Exec keeps every option it ran a command with, apart from the caller's
// copy; an exec in a container that is not running is a conflict and is
// not recorded.
func TestExecsRecorded(t *testing.T) {
	b := New("busybox")
	ctx := t.Context()
	h, err := b.Run(ctx, &core.ContainerSpec{Image: "busybox", Name: "c1", Cmd: []string{"sleep", "60"}})
	if err != nil {
		t.Fatal(err)
	}
	opts := backend.ExecOptions{Cmd: []string{"env"}, Env: map[string]string{"A": "1"}, Workdir: "/tmp", User: "nobody", Privileged: true}
	if _, err := b.Exec(ctx, "c1", opts); err != nil {
		t.Fatal(err)
	}
	opts.Env["A"], opts.Cmd[0] = "2", "pwd" // the caller's later change
	want := []Exec{{Container: h.ID, Options: backend.ExecOptions{Cmd: []string{"env"}, Env: map[string]string{"A": "1"},
		Workdir: "/tmp", User: "nobody", Privileged: true}}}
	if got := b.Execs(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Execs = %+v, want %+v", got, want)
	}
	if err := b.Stop(ctx, h.ID, nil); err != nil {
		t.Fatal(err)
	}
	_, err = b.Exec(ctx, h.ID, backend.ExecOptions{Cmd: []string{"true"}})
	if ce := core.AsError(err); ce.Kind != core.KindBackendError || ce.Details["conflict"] == nil {
		t.Fatalf("exec in a stopped container = %v, want a BackendError in conflict", err)
	}
	if n := len(b.Execs()); n != 1 {
		t.Fatalf("%d execs recorded, want the one that ran", n)
	}
	b.ResetCalls()
	if n := len(b.Execs()); n != 0 {
		t.Fatalf("%d execs after ResetCalls", n)
	}
}

// A variable an exec removes is gone from the command's environment, as
// the Docker engine removes a bare KEY; the others stay.
func TestExecUnset(t *testing.T) {
	b := New("busybox")
	ctx := t.Context()
	if _, err := b.Run(ctx, &core.ContainerSpec{Image: "busybox", Name: "c1", Cmd: []string{"sleep", "60"}, Env: map[string]string{"GONE": "x", "KEPT": "y"}}); err != nil {
		t.Fatal(err)
	}
	out, err := b.Exec(ctx, "c1", backend.ExecOptions{Cmd: []string{"env"}, Unset: []string{"GONE"}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.Stdout, "GONE=") || !strings.Contains(out.Stdout, "KEPT=y") {
		t.Fatalf("env in the exec:\n%s", out.Stdout)
	}
	if got := b.Execs()[0].Options.Unset; !reflect.DeepEqual(got, []string{"GONE"}) {
		t.Fatalf("recorded Unset %q", got)
	}
}
