package logprint

import (
	"bytes"
	"strings"
	"testing"
)

func TestPrefixesAsDockerCompose(t *testing.T) {
	var buf bytes.Buffer
	p := New(&buf, Options{})
	p.Register("foo-1")
	p.Register("bar-1")
	p.Line("foo-1", "hello")
	p.Status("foo-1", "exited with code 0")
	p.Line("bar-1", "world")
	want := "foo-1  | hello\nfoo-1 exited with code 0\nbar-1  | world\n"
	if buf.String() != want {
		t.Fatalf("got %q, want %q", buf.String(), want)
	}
}

func TestPaddingGrowsWithLongerNames(t *testing.T) {
	var buf bytes.Buffer
	p := New(&buf, Options{})
	p.Line("db-1", "a")
	p.Line("backend-1", "b")
	p.Line("db-1", "c")
	want := "db-1  | a\nbackend-1  | b\ndb-1       | c\n"
	if buf.String() != want {
		t.Fatalf("got %q, want %q", buf.String(), want)
	}
}

func TestColoursAndNoPrefix(t *testing.T) {
	var buf bytes.Buffer
	p := New(&buf, Options{Color: true})
	p.Line("web-1", "x")
	p.Line("db-1", "y")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if !strings.HasPrefix(lines[0], "\x1b[36mweb-1  |\x1b[0m x") || !strings.HasPrefix(lines[1], "\x1b[33mdb-1   |\x1b[0m y") {
		t.Fatalf("colours %q", lines)
	}
	buf.Reset()
	p = New(&buf, Options{Color: true, NoPrefix: true})
	p.Line("web-1", "x")
	if buf.String() != "x\n" {
		t.Fatalf("no prefix: %q", buf.String())
	}
}

func TestName(t *testing.T) {
	for in, want := range map[string]string{
		"demo-web-1": "web-1", "/demo-web-1": "web-1", "other-web-1": "other-web-1", "demo-": "demo-",
	} {
		if got := Name("demo", in); got != want {
			t.Errorf("Name(demo, %q) = %q, want %q", in, got, want)
		}
	}
}
