package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perryts/perry-container/core"
)

// TestBuildWritesAnInlineDockerfileToAPrivateFile: the CLIs read a
// Dockerfile from a path, so an inline one is written into a private
// directory for the build and removed after it.
func TestBuildWritesAnInlineDockerfileToAPrivateFile(t *testing.T) {
	dir := t.TempDir()
	// The fake docker keeps what its --file held, and the file's mode.
	script := `#!/bin/sh
d=$(dirname "$0")
for a in "$@"; do
  case $a in --file=*) f=${a#--file=}; cp "$f" "$d/seen"; stat -c %a "$(dirname "$f")" > "$d/mode"; echo "$f" > "$d/path" ;; esac
done
`
	bin := filepath.Join(dir, "docker")
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	const inline = "FROM scratch\nCOPY a /\n"
	if err := Docker("docker", bin).Build(t.Context(), core.BuildSpec{Context: dir, DockerfileInline: inline}, "app:1"); err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("the build got no --file: %v", err)
		}
		return strings.TrimSpace(string(data))
	}
	if got := read("seen"); got != strings.TrimSpace(inline) {
		t.Fatalf("the Dockerfile the CLI read: %q", got)
	}
	if mode := read("mode"); mode != "700" {
		t.Fatalf("the Dockerfile's directory has mode %s, want 700", mode)
	}
	if _, err := os.Stat(read("path")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the inline Dockerfile was left behind: %v", err)
	}
}

// An inline Dockerfile needs a local context, and a CLI on this host.
func TestBuildRefusesAnInlineDockerfileItCannotPass(t *testing.T) {
	spec := core.BuildSpec{Context: "https://example.com/app.git", DockerfileInline: "FROM scratch\n"}
	if err := Docker("docker", "/bin/false").Build(t.Context(), spec, "app:1"); core.KindOf(err) != core.KindInvalidArgument {
		t.Fatalf("a URL context: %v", err)
	}
	spec.Context = t.TempDir()
	if err := Lima("/bin/false", "default").Build(t.Context(), spec, "app:1"); core.KindOf(err) != core.KindInvalidArgument {
		t.Fatalf("lima: %v", err)
	}
}
