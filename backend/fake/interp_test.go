package fake

import (
	"context"
	"testing"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

func TestShellRedirections(t *testing.T) {
	cases := []struct {
		name, script     string
		stdout, stderr   string
		code             int
		file, fileWanted string
	}{
		{name: "stdout to a file", script: "echo hi > /tmp/f", file: "/tmp/f", fileWanted: "hi\n"},
		{name: "append", script: "echo a > /tmp/f; echo b >> /tmp/f; cat /tmp/f", stdout: "a\nb\n", file: "/tmp/f", fileWanted: "a\nb\n"},
		{name: "attached target", script: "echo x >/tmp/g", file: "/tmp/g", fileWanted: "x\n"},
		{name: "stderr to null", script: "cat /nope 2>/dev/null", code: 1},
		{name: "stderr to stdout", script: "cat /nope 2>&1", stdout: "cat: can't open '/nope': No such file or directory\n", code: 1},
		{name: "stdout to stderr", script: "echo warn >&2", stderr: "warn\n"},
		{name: "both to a file", script: "cat /nope > /tmp/log 2>&1", code: 1, file: "/tmp/log", fileWanted: "cat: can't open '/nope': No such file or directory\n"},
		{name: "quoted words", script: `echo "a  b" 'c d'`, stdout: "a  b c d\n"},
		{name: "test -f after a write", script: "echo > /tmp/ready; test -f /tmp/ready", code: 0},
		{name: "test -f of a missing file", script: "test -f /tmp/none", code: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sh := shell{env: map[string]string{}, files: map[string]string{}}
			r := sh.interpret([]string{"sh", "-c", tc.script})
			if r.stdout != tc.stdout || r.stderr != tc.stderr || r.code != tc.code || !r.exits {
				t.Fatalf("got %+v, want stdout %q stderr %q code %d", r, tc.stdout, tc.stderr, tc.code)
			}
			if tc.file != "" && sh.files[tc.file] != tc.fileWanted {
				t.Fatalf("file %s = %q, want %q", tc.file, sh.files[tc.file], tc.fileWanted)
			}
		})
	}
}

func TestHealthcheckIsEvaluated(t *testing.T) {
	cases := []struct {
		name string
		test []string
		want string
	}{
		{"CMD true", []string{"CMD", "true"}, "healthy"},
		{"CMD false", []string{"CMD", "false"}, "unhealthy"},
		{"CMD-SHELL exit 1", []string{"CMD-SHELL", "exit 1"}, "unhealthy"},
		{"CMD-SHELL exit 0", []string{"CMD-SHELL", "exit 0"}, "healthy"},
		{"a missing file", []string{"CMD", "test", "-f", "/tmp/ready"}, "unhealthy"},
		{"a command the fake does not know", []string{"CMD", "nc", "-z", "localhost", "80"}, "healthy"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := New("img")
			ctx := context.Background()
			h, err := b.Run(ctx, &core.ContainerSpec{Image: "img", Cmd: []string{"sleep", "100"}, Healthcheck: &core.Healthcheck{Test: tc.test}})
			if err != nil {
				t.Fatal(err)
			}
			info, err := b.Inspect(ctx, h.ID)
			if err != nil || info.Health != tc.want {
				t.Fatalf("health %q (%v), want %q", info.Health, err, tc.want)
			}
		})
	}
	// A file written by an exec's redirection makes a file check pass.
	b := New("img")
	ctx := context.Background()
	h, _ := b.Run(ctx, &core.ContainerSpec{Image: "img", Cmd: []string{"sleep", "100"}, Healthcheck: &core.Healthcheck{Test: []string{"CMD", "test", "-f", "/tmp/ready"}}})
	if _, err := b.Exec(ctx, h.ID, backend.ExecOptions{Cmd: []string{"sh", "-c", "echo ok > /tmp/ready"}}); err != nil {
		t.Fatal(err)
	}
	if info, _ := b.Inspect(ctx, h.ID); info.Health != "healthy" {
		t.Fatalf("after the exec wrote /tmp/ready: %q", info.Health)
	}
}
