package cli

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// What podman and nerdctl do differently in a followed log and an exec
// (quirks.go): against the fake CLI with their recorded answers, and live
// on each runtime installed here (tests/runtimes/install.sh).

// TestPodmanFollowsFinishedContainerWhole: podman's logs -f loses lines of
// a finished container's long log, so the backend reads it without -f;
// a running container is followed, and other CLIs always follow.
func TestPodmanFollowsFinishedContainerWhole(t *testing.T) {
	for _, tt := range []struct {
		cli     string
		inspect string
		follow  bool
	}{
		{"podman", dockerInspectJSON, false},
		{"podman", dockerRunningInspectJSON, true},
		{"docker", dockerInspectJSON, true},
		{"nerdctl", dockerInspectJSON, true},
	} {
		f := newFakeCLI(t, tt.cli)
		f.on("inspect", reply{stdout: tt.inspect})
		f.on("logs", reply{stdout: "1\n2\n"})
		var out bytes.Buffer
		if err := Docker(tt.cli, f.bin).FollowLogs(t.Context(), "c1", backend.LogsOptions{}, &out, nil); err != nil {
			t.Fatalf("%s: %v", tt.cli, err)
		}
		argv := f.last()
		if got := slices.Contains(argv, "--follow"); got != tt.follow || argv[1] != "logs" || out.String() != "1\n2\n" {
			t.Errorf("%s, container %s: argv %q (follow %v, want %v), output %q", tt.cli, strings.Split(tt.inspect, `"Status":"`)[1][:7], argv, got, tt.follow, out.String())
		}
	}
}

// TestExecInStoppedContainerIsConflict: every CLI's refusal of an exec in a
// stopped container is the error Docker's API gives (a BackendError naming
// the container in conflict), never a result carrying the CLI's exit
// status (podman's CLI exits 255, which read as the command's own).
func TestExecInStoppedContainerIsConflict(t *testing.T) {
	for _, tt := range []struct {
		cli, stderr string
		exit        int
	}{
		{"podman", "Error: can only create exec sessions on running containers: container state improper\n", 255},
		{"nerdctl", `time="2026-12-06T07:18:51Z" level=fatal msg="cannot exec in a stopped state: unknown"` + "\n", 1},
		{"docker", "Error response from daemon: Container c1full is not running\n", 1},
	} {
		f := newFakeCLI(t, tt.cli)
		f.on("exec", reply{stderr: tt.stderr, exit: tt.exit})
		out, err := Docker(tt.cli, f.bin).Exec(t.Context(), "c1", backend.ExecOptions{Cmd: []string{"true"}})
		e := core.AsError(err)
		if e == nil || e.Kind != core.KindBackendError || e.Details["conflict"] != "c1" {
			t.Errorf("%s: exec in a stopped container = %+v, %v; want a BackendError with conflict c1", tt.cli, out, err)
		}
	}
	// A command's own exit 255 with words of its own stays its result.
	f := newFakeCLI(t, "podman")
	f.on("exec", reply{stderr: "Error: mine\n", exit: 255})
	out, err := Docker("podman", f.bin).Exec(t.Context(), "c1", backend.ExecOptions{Cmd: []string{"sh", "-c", "exit 255"}})
	if err != nil || out.ExitCode == nil || *out.ExitCode != 255 {
		t.Errorf("a command's own exit 255: %+v, %v", out, err)
	}
}

// TestRuntimesFollowOfFinishedLongLog: a followed 100,000-line log of a
// container that has exited arrives whole and in order on each runtime
// (podman's logs -f lost most of it).
func TestRuntimesFollowOfFinishedLongLog(t *testing.T) {
	for _, rt := range liveRuntimes {
		t.Run(rt.name, func(t *testing.T) {
			b := liveBackend(t, rt.name)
			const n = 100000
			name := uniqueName("follow")
			h := create(t, b, &core.ContainerSpec{Image: testImage, Name: name, Labels: testLabels(name), Cmd: []string{"seq", "1", fmt.Sprint(n)}}, true)
			if code := waitExit(t, b, h.ID); code != 0 {
				t.Fatalf("seq exited %d", code)
			}
			var out bytes.Buffer
			if err := b.FollowLogs(t.Context(), h.ID, backend.LogsOptions{}, &out, nil); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			bad := 0
			for i, l := range lines {
				if l != fmt.Sprint(i+1) {
					bad++
				}
			}
			if len(lines) != n || bad != 0 {
				t.Errorf("followed %d lines, %d out of place; want 1..%d", len(lines), bad, n)
			}
		})
	}
}

// TestRuntimesExecInStoppedContainer: live, the refusal is a BackendError
// naming the container in conflict on each runtime.
func TestRuntimesExecInStoppedContainer(t *testing.T) {
	for _, rt := range liveRuntimes {
		t.Run(rt.name, func(t *testing.T) {
			b := liveBackend(t, rt.name)
			name := uniqueName("stopped")
			h := create(t, b, &core.ContainerSpec{Image: testImage, Name: name, Labels: testLabels(name), Cmd: []string{"true"}}, true)
			waitExit(t, b, h.ID)
			out, err := b.Exec(t.Context(), h.ID, backend.ExecOptions{Cmd: []string{"true"}})
			if e := core.AsError(err); e == nil || e.Kind != core.KindBackendError || e.Details["conflict"] != h.ID {
				t.Errorf("exec in a stopped container = %+v, %v; want a BackendError with conflict %s", out, err, h.ID)
			}
		})
	}
}
