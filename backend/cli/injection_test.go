package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// Injection tests: hostile values reach the CLI as exactly the arguments
// given, never interpreted by a shell or read as flags.

// hostileValues returns values a shell or a flag parser would act on. canary
// is a path that must never be created.
func hostileValues(canary string) []string {
	return []string{
		"two words",
		`"double quoted"`,
		`'single quoted'`,
		"semi; rm -rf /",
		"$(touch " + canary + ")",
		"`touch " + canary + "`",
		"line1\nline2",
		"-leading-dash",
		"--name=evil",
		`back\slash`,
		"glob * ? [a]",
		"$HOME ${PATH}",
		"pipe | and & amp",
		"redir > " + canary + " < /etc/passwd",
		"tab\there",
		"ünïcödé ✓",
		"",
		"--",
	}
}

// noControl is v with its control characters made '_': for the fields
// that refuse them.
func noControl(v string) string {
	return strings.Map(func(r rune) rune {
		if core.IsControl(r) {
			return '_'
		}
		return r
	}, v)
}

// hostileImages have no white space (the spec forbids it in an image).
var hostileImages = []string{"`id`", "$(id)", ";ls", "-x", `"q"`, "'q'", "a|b", "$HOME", "img&&id"}

// tail returns what follows the first "--" of argv.
func tail(argv []string) []string {
	i := slices.Index(argv, "--")
	if i < 0 {
		return nil
	}
	return argv[i+1:]
}

func TestInjectionIsPassedLiterally(t *testing.T) {
	runtimes := []struct {
		bin  string
		make func(bin string) *Backend
	}{
		{"docker", func(bin string) *Backend { return Docker("docker", bin) }},
		{"podman", func(bin string) *Backend { return Docker("podman", bin) }},
		{"nerdctl", func(bin string) *Backend { return Docker("nerdctl", bin) }},
		{"container", Apple},
		{"limactl", func(bin string) *Backend { return Lima(bin, "default") }},
	}
	for _, rt := range runtimes {
		t.Run(rt.bin, func(t *testing.T) {
			f := newFakeCLI(t, rt.bin)
			f.on("default", reply{stdout: "c1\n"})
			b := rt.make(f.bin)
			canary := filepath.Join(f.dir, "CANARY")
			values := hostileValues(canary)
			ctx := t.Context()

			for i, img := range hostileImages {
				h := values[i%len(values)]
				// Workdir and user refuse control characters (TestControlCharactersEveryProtocol).
				path := noControl(h)
				spec := &core.ContainerSpec{Image: img, Env: map[string]string{"K": h}, Labels: map[string]string{"l": h},
					Workdir: path, User: path, Entrypoint: []string{h, "--entry"}, Cmd: values}
				f.reset()
				if _, err := b.Create(ctx, spec); err != nil {
					t.Fatalf("create with %q: %v", img, err)
				}
				argv := f.last()
				for _, want := range []string{"--env=K=" + h, "--label=l=" + h, "--workdir=" + path, "--user=" + path, "--entrypoint=" + h} {
					if !slices.Contains(argv, want) {
						t.Errorf("image %q: %q missing from %q", img, want, argv)
					}
				}
				wantTail := append([]string{img, "--entry"}, values...)
				if got := tail(argv); !slices.Equal(got, wantTail) {
					t.Errorf("positionals\n got %q\nwant %q", got, wantTail)
				}
			}

			for _, h := range values {
				f.reset()
				// Workdir and user refuse control characters, as a spec's do.
				path := noControl(h)
				_, err := b.Exec(ctx, h, backend.ExecOptions{Cmd: []string{h, h}, Env: map[string]string{"E": h}, Workdir: path, User: path})
				if h == "" {
					if core.KindOf(err) != core.KindInvalidArgument {
						t.Errorf("empty id: %v", err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("exec %q: %v", h, err)
				}
				argv := f.last()
				if got := tail(argv); !slices.Equal(got, []string{h, h, h}) {
					t.Errorf("exec positionals %q, want id and command %q", got, h)
				}
				if !slices.Contains(argv, "--env=E="+h) || !slices.Contains(argv, "--workdir="+path) {
					t.Errorf("exec flags %q", argv)
				}
			}
			if _, err := os.Stat(canary); err == nil {
				t.Fatal("a value was interpreted by a shell: the canary exists")
			}
		})
	}
}

func TestInjectionOtherOperations(t *testing.T) {
	f := newFakeCLI(t, "docker")
	f.on("default", reply{})
	b := Docker("docker", f.bin)
	values := hostileValues(filepath.Join(f.dir, "CANARY"))
	for _, h := range values[:len(values)-2] { // not "" (rejected) nor "--"
		f.reset()
		if err := b.Rename(t.Context(), h, h+"2"); err != nil {
			t.Fatal(err)
		}
		if got := tail(f.last()); !slices.Equal(got, []string{h, h + "2"}) {
			t.Errorf("rename positionals %q", got)
		}
		f.reset()
		// Paths, names and the tag refuse control characters (and the tag
		// white space); a build arg's value carries anything but NUL and CR.
		path, tag := noControl(h), "img:"+strings.ReplaceAll(noControl(h), " ", "_")
		_ = b.Build(t.Context(), core.BuildSpec{Context: "/ctx/" + path, Args: map[string]string{"A": h}, Target: path}, tag)
		argv := f.last()
		if !slices.Contains(argv, "--build-arg=A="+h) || !slices.Contains(argv, "--target="+path) || !slices.Contains(argv, "--tag="+tag) {
			t.Errorf("build flags %q", argv)
		}
		if got := tail(argv); !slices.Equal(got, []string{"/ctx/" + path}) {
			t.Errorf("build context %q", got)
		}
		f.reset()
		if err := b.PullImage(t.Context(), h); err != nil {
			t.Fatal(err)
		}
		if got := tail(f.last()); !slices.Equal(got, []string{h}) {
			t.Errorf("pull positionals %q", got)
		}
		f.reset()
		_, _ = b.Logs(t.Context(), "c1", backend.LogsOptions{Since: h})
		if h != "" && !slices.Contains(f.last(), "--since="+h) {
			t.Errorf("logs flags %q", f.last())
		}
	}
	// Keys a flag parser would split differently are refused, not passed.
	_, err := dockerP.CreateArgs(&core.ContainerSpec{Image: "img", Labels: map[string]string{"a=b": "c"}})
	if core.KindOf(err) != core.KindInvalidArgument || !strings.Contains(err.Error(), "labels") {
		t.Errorf("label key with '=': %v", err)
	}
	for _, k := range []string{"a b", "a\tb", "a\nb", " lead"} { // tab and LF: control characters
		_, err = dockerP.CreateArgs(&core.ContainerSpec{Image: "img", Labels: map[string]string{k: "c"}})
		if core.KindOf(err) != core.KindInvalidArgument || !strings.Contains(err.Error(), "labels") {
			t.Errorf("label key %q: %v", k, err)
		}
	}
	// Whitespace is fine in a label's value and in an env key's value.
	if _, err = dockerP.CreateArgs(&core.ContainerSpec{Image: "img", Labels: map[string]string{"k": "a b"}, Env: map[string]string{"E": "a b"}}); err != nil {
		t.Errorf("whitespace in values: %v", err)
	}
}
