package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// InteractiveContract checks a backend's backend.Interactor on a live
// runtime without a terminal, as a script pipes into `exec -T` and
// `run -T`: stdin reaches the process and its end closes it, stdout and
// stderr stay apart, exit codes come back, and a one-off container is
// reported to created before it runs. Everything is labelled perry.test=1
// and removed, also on failure.
func InteractiveContract(t *testing.T, b backend.Backend) {
	t.Helper()
	it, ok := b.(backend.Interactor)
	if !ok {
		t.Fatalf("%s is no backend.Interactor", b.Name())
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	var r [4]byte
	_, _ = rand.Read(r[:])
	name := "perrytest-interactive-" + hex.EncodeToString(r[:])
	labels := map[string]string{"perry.test": "1"}
	remove := func(id string) {
		rctx, rcancel := context.WithTimeout(context.Background(), time.Minute)
		defer rcancel()
		_ = b.Remove(rctx, id, true)
	}

	h, err := b.Run(ctx, &core.ContainerSpec{Image: Image, Name: name, Cmd: []string{"sleep", "600"}, Labels: labels})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	t.Cleanup(func() { remove(h.ID) })

	exec := func(stdin string, cmd ...string) (int, string, string) {
		t.Helper()
		var out, errb bytes.Buffer
		iio := backend.InteractiveIO{Stdout: &out, Stderr: &errb}
		if stdin != "" {
			iio.Stdin = strings.NewReader(stdin)
		}
		code, err := it.ExecInteractive(ctx, h.ID, backend.ExecOptions{Cmd: cmd}, iio)
		if err != nil {
			t.Fatalf("exec %q: %v", cmd, err)
		}
		return code, out.String(), errb.String()
	}
	if code, out, _ := exec("hello\nworld\n", "cat"); code != 0 || out != "hello\nworld\n" {
		t.Errorf("exec cat with stdin: %d %q", code, out)
	}
	// (nerdctl may add warnings of its own to stderr, never its fatal line.)
	if code, out, errOut := exec("", "sh", "-c", "echo out; echo err >&2; exit 7"); code != 7 || out != "out\n" ||
		!strings.HasPrefix(errOut, "err\n") || strings.Contains(errOut, "level=fatal") {
		t.Errorf("exec exit 7: %d %q %q", code, out, errOut)
	}

	var created []core.ContainerHandle
	var out, errb bytes.Buffer
	oneOff := name + "-run"
	t.Cleanup(func() { remove(oneOff) })
	code, err := it.RunInteractive(ctx, &core.ContainerSpec{Image: Image, Name: oneOff, Cmd: []string{"cat"}, Labels: labels},
		backend.InteractiveIO{Stdin: strings.NewReader("to the one-off\n"), Stdout: &out, Stderr: &errb},
		func(h core.ContainerHandle) { created = append(created, h) })
	if err != nil || code != 0 || out.String() != "to the one-off\n" {
		t.Errorf("run cat with stdin: %d %v %q %q", code, err, out.String(), errb.String())
	}
	if len(created) != 1 || (created[0].ID == "" && created[0].Name != oneOff) {
		t.Errorf("created was called with %+v", created)
	}
	info, err := b.Inspect(ctx, oneOff)
	if err != nil || info.State != "exited" {
		t.Errorf("the one-off container after its run: %+v %v", info, err)
	}
	code, err = it.RunInteractive(ctx, &core.ContainerSpec{Image: Image, Name: oneOff + "2", Cmd: []string{"sh", "-c", "exit 4"}, Labels: labels},
		backend.InteractiveIO{Stdout: &out, Stderr: &errb}, nil)
	t.Cleanup(func() { remove(oneOff + "2") })
	if err != nil || code != 4 {
		t.Errorf("run exit 4: %d %v", code, err)
	}
}
