package main

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perryts/perry-container/backend/fake"
	"github.com/perryts/perry-container/core"
)

// tarNames lists an archive's entries with their contents.
func tarNames(t *testing.T, data []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("not a tar archive: %v", err)
		}
		b, _ := io.ReadAll(tr)
		out[strings.TrimPrefix(h.Name, "./")] = string(b)
	}
}

var committedID = regexp.MustCompile(`Container demo-app-1  Committed  (sha256:[0-9a-f]{64})\n`)

func TestCommitOnFake(t *testing.T) {
	c := newCLIEnv(t, sleepers)
	c.must("up", "-d")
	c.must("exec", "app", "sh", "-c", "echo hi > /note")
	// docker commit's flags reach the runtime; nothing on stdout, the
	// progress on stderr.
	r := c.must("--progress", "plain", "commit", "-a", "Ann <ann@example.com>", "-m", "why", "-c", "ENV A=1", "--change", `CMD ["sh"]`,
		"--pause=false", "app", "snap:1")
	if r.stdout != "" || !strings.Contains(r.stderr, "Container demo-app-1  Committing\n") || !committedID.MatchString(r.stderr) {
		t.Fatalf("commit: %+v", r)
	}
	cm, ok := c.b.CommitOf("snap:1")
	if !ok || cm.Author != "Ann <ann@example.com>" || cm.Message != "why" || !slices.Equal(cm.Changes, []string{"ENV A=1", `CMD ["sh"]`}) ||
		!cm.NoPause || cm.Files["/note"] != "hi\n" {
		t.Fatalf("the commit: %+v %v", cm, ok)
	}
	// Without a name: an image known by its id, the container paused.
	r = c.must("--progress", "plain", "commit", "app")
	m := committedID.FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("commit without a name: %q", r.stderr)
	}
	if cm, ok := c.b.CommitOf(m[1]); !ok || cm.NoPause || cm.Reference != "" {
		t.Fatalf("the unnamed commit: %+v %v", cm, ok)
	}
	// A dry run makes no image.
	if r := c.must("--dry-run", "--progress", "plain", "commit", "app", "snap:dry"); !strings.Contains(r.stderr, "demo-app-1  Committed\n") {
		t.Fatalf("dry run: %q", r.stderr)
	}
	if _, ok := c.b.CommitOf("snap:dry"); ok {
		t.Fatal("the dry run committed")
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"commit"}, "accepts between 1 and 2 arg(s), received 0"},
		{[]string{"commit", "app", "a:1", "b:1"}, "accepts between 1 and 2 arg(s), received 3"},
		{[]string{"commit", "nope"}, "no such service: nope"},
		{[]string{"commit", "--index", "3", "app"}, `service "app" is not running container #3`},
		{[]string{"commit", "--index", "-1", "app"}, "invalid --index -1"},
		{[]string{"commit", "app", "Bad:Name"}, "invalid reference format"},
	} {
		if r := c.run(tc.args...); r.code != 1 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%q: exit %d, %q; want 1 and %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
	// A stopped container is not taken, as docker compose lists only the
	// running ones.
	c.must("stop", "app")
	if r := c.run("commit", "app", "snap:stopped"); r.code != 1 || !strings.Contains(r.stderr, `Error: service "app" is not running`+"\n") {
		t.Fatalf("commit of a stopped service: %+v", r)
	}
}

func TestExportOnFake(t *testing.T) {
	c := newCLIEnv(t, sleepers+"    deploy: {replicas: 2}\n")
	c.must("up", "-d")
	c.must("exec", "--index", "2", "web", "sh", "-c", "echo two > /etc/which")
	// To stdout (not a terminal here), the progress on stderr.
	r := c.must("--progress", "plain", "export", "--index", "2", "web")
	if got := tarNames(t, []byte(r.stdout)); got["etc/which"] != "two\n" {
		t.Fatalf("export to stdout: %q", got)
	}
	if !strings.Contains(r.stderr, "Container demo-web-2  Exporting\n") || !strings.Contains(r.stderr, "Container demo-web-2  Exported\n") {
		t.Fatalf("export progress: %q", r.stderr)
	}
	// To a file: private, and no temporary file left beside it.
	out := filepath.Join(c.dir, "out", "web.tar")
	if err := os.Mkdir(filepath.Dir(out), 0o700); err != nil {
		t.Fatal(err)
	}
	if r := c.must("export", "-o", out, "--index", "2", "web"); r.stdout != "" {
		t.Fatalf("export -o wrote to stdout: %q", r.stdout)
	}
	data, err := os.ReadFile(out)
	if err != nil || tarNames(t, data)["etc/which"] != "two\n" {
		t.Fatalf("export -o: %v", err)
	}
	if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o600 {
		t.Errorf("the archive's mode %v, want 0600", fi.Mode().Perm())
	}
	entries := func() []string {
		es, _ := os.ReadDir(filepath.Dir(out))
		var names []string
		for _, e := range es {
			names = append(names, e.Name())
		}
		return names
	}
	if got := entries(); !slices.Equal(got, []string{"web.tar"}) {
		t.Fatalf("files beside the archive: %q", got)
	}
	// A failed export leaves the earlier archive as it was.
	c.b.Inject(fake.Fault{Method: "Export", N: 1, Err: core.Errorf(core.KindBackendError, "disk full")})
	if r := c.run("export", "-o", out, "web"); r.code != 1 || !strings.Contains(r.stderr, "disk full") {
		t.Fatalf("failing export: %+v", r)
	}
	if again, _ := os.ReadFile(out); !bytes.Equal(again, data) || !slices.Equal(entries(), []string{"web.tar"}) {
		t.Fatalf("a failed export changed the archive or left files: %q", entries())
	}

	dry := filepath.Join(c.dir, "dry.tar")
	if r := c.must("--dry-run", "--progress", "plain", "export", "-o", dry, "web"); !strings.Contains(r.stderr, "Exported") {
		t.Fatalf("dry run: %q", r.stderr)
	}
	if _, err := os.Stat(dry); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the dry run wrote %s: %v", dry, err)
	}
	created := filepath.Join(c.dir, "created.tar")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"export"}, "requires at least 1 arg(s), only received 0"},
		{[]string{"export", "-o", created, "nope"}, "no such service: nope"},
		{[]string{"export", "-o", created, "--index", "3", "web"}, `service "web" is not running container #3`},
		{[]string{"export", "--index", "-1", "web"}, "invalid --index -1"},
		{[]string{"export", "-o", filepath.Join(c.dir, "no", "such", "x.tar"), "web"}, "failed to export container: invalid output path: directory"},
		{[]string{"export", "-o", c.dir, "web"}, "cannot write to a directory"},
	} {
		if r := c.run(tc.args...); r.code != 1 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%q: exit %d, %q; want 1 and %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
	c.must("stop", "app")
	if r := c.run("export", "-o", created, "app"); r.code != 1 || !strings.Contains(r.stderr, `service "app" is not running`) {
		t.Fatalf("export of a stopped service: %+v", r)
	}
	if _, err := os.Stat(created); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a refused export created %s: %v", created, err)
	}
}

// Export to a terminal needs -o, as docker compose says; the container is
// looked for first.
func TestExportToATerminalNeedsOutput(t *testing.T) {
	c := newCLIEnv(t, sleepers)
	c.must("up", "-d")
	for _, tc := range []struct{ service, want string }{
		{"app", "Error: output option is required when exporting to terminal\n"},
		{"nope", "Error: no such service: nope\n"},
	} {
		var out, errb bytes.Buffer
		a := c.app(strings.NewReader(""), &out, &errb)
		a.stdoutTTY = true
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		code := a.run(ctx, c.argv("export", tc.service))
		cancel()
		if code != 1 || errb.String() != tc.want || out.Len() != 0 {
			t.Errorf("export %s to a terminal: exit %d, %q, %d bytes", tc.service, code, errb.String(), out.Len())
		}
	}
}

// The Swarm target has no commit nor export (a task's container is on
// whichever node runs it): both are refused before anything is asked.
func TestCommitExportRefusedOnTheSwarmTarget(t *testing.T) {
	c := newCLIEnv(t, sleepers)
	for _, cmd := range []string{"commit", "export"} {
		r := c.run("--target", "swarm", cmd, "app")
		if r.code != 1 || !strings.Contains(r.stderr, cmd+" is not available on the swarm target") || len(c.b.Calls()) != 0 {
			t.Errorf("%s on the swarm target: %+v, %d calls", cmd, r, len(c.b.Calls()))
		}
	}
}
