package loader

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	composeloader "github.com/compose-spec/compose-go/v2/loader"

	"github.com/perryts/perry-container/core"
)

// Fuzz targets of the compose loader: YAML files, inline JSON models and
// interpolation. Whatever the input, Load returns a project or a *core.Error
// of a documented kind: never a panic (compose-go's own panics are turned
// into InvalidConfig by Load), never a hang.
//
//	go test -run '^$' -fuzz '^FuzzLoadYAML$' -fuzztime 1h ./compose/loader/
//
// Seeds are in testdata/fuzz/<Target>/ plus the f.Add calls below; crashes
// found once stay there as regression cases.

// loadKinds are the kinds Load may return.
var loadKinds = map[core.Kind]bool{
	core.KindInvalidConfig: true, core.KindNotFound: true, core.KindDependencyCycle: true,
	core.KindInvalidArgument: true, core.KindCancelled: true, core.KindTimeout: true,
}

func checkLoad(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var ce *core.Error
	if !errors.As(err, &ce) {
		t.Fatalf("%s: not a *core.Error: %T %v", what, err, err)
	}
	if !loadKinds[ce.Kind] {
		t.Fatalf("%s: undocumented kind %s: %v", what, ce.Kind, err)
	}
	if ce.Error() == "" {
		t.Fatalf("%s: empty message", what)
	}
}

var fuzzEnv = map[string]string{"HOME": "/home/x", "TAG": "1.0", "EMPTY": "", "PORT": "8080"}

func fuzzCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

const seedYAML = `name: seed
services:
  web:
    image: nginx:${TAG:-latest}
    command: ["sh", "-c", "echo $$HOME"]
    ports: ["${PORT}:80"]
    environment:
      A: "${EMPTY:-x}"
    depends_on:
      db: {condition: service_healthy}
    volumes: [data:/data, {type: bind, source: ., target: /src}]
    networks: [front]
  db:
    image: postgres
    healthcheck: {test: ["CMD", "true"], interval: 1s}
    deploy: {resources: {limits: {cpus: "0.5", memory: 64M}}}
networks: {front: {}}
volumes: {data: {}}
x-ext: &anchor {a: 1}
`

func FuzzLoadYAML(f *testing.F) {
	for _, s := range []string{
		seedYAML,
		"services:\n  a:\n    image: x\n    depends_on: [a]\n",
		"services:\n  a: &a\n    image: x\n  b: *a\n",
		"services:\n  a:\n    image: x\n    cpus: NaN\n",
		"services:\n  a:\n    image: x\nvolumes:\n  v:\n    external: yes\n",
		"services:\n  a:\n    image: \"${X:?required}\"\n",
		"a: &a [*a, *a]\n",
		"services: {a: {image: x, extends: {service: a}}}\n",
		"include: [/nonexistent.yaml]\nservices: {a: {image: x}}\n",
		"services:\n  a:\n    image: x\n    environment:\n      - A=\"\\u0000\"\n",
		"\xff\xfe",
		"{}",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		dir := t.TempDir()
		file := filepath.Join(dir, "compose.yaml")
		if err := os.WriteFile(file, data, 0o600); err != nil {
			t.Fatal(err)
		}
		p, err := Load(fuzzCtx(t), Options{Files: []string{file}, WorkingDir: dir, Environment: fuzzEnv})
		checkLoad(t, "yaml", err)
		if err == nil {
			// What loads renders, and names a valid project.
			if _, cerr := Config(p, ConfigOptions{Format: "json"}); cerr != nil {
				t.Fatalf("a loaded project does not render: %v", cerr)
			}
			if ValidateProjectName(p.Name) != nil {
				t.Fatalf("loaded project name %q is invalid", p.Name)
			}
		}
	})
}

func FuzzLoadInlineJSON(f *testing.F) {
	for _, s := range []string{
		`{"name":"x","services":{"web":{"image":"nginx","command":["sleep","1"],"depends_on":{"db":{"condition":"service_started"}}},"db":{"image":"x"}}}`,
		`{"services":{"a":{"image":"x","cpus":"NaN"}}}`,
		`{"services":{"a":{"image":"x"}},"volumes":{"v":{"external":"yes"}}}`,
		`{"services":{"a":{"image":"x"}},"networks":{"n":{"external":{"name":1}}}}`,
		`{"services":{"a":{"image":"busybox\u0000"}}}`,
		`{"services":{"a":{"image":"x","scale":1e999}}}`,
		`{"services":{"a":{"image":"x","ports":[{"target":"NaN"}]}}}`,
		`{"services":[]}`,
		`{"x-a":{"b":[1,{"c":null}]},"services":{"a":{"image":"x","healthcheck":{"test":"true","interval":"-1s"}}}}`,
		`{"services":{"a":{"image":"x","ulimits":{"nofile":{"soft":-1,"hard":1e30}}}}}`,
		`{`,
	} {
		f.Add([]byte(s), false)
	}
	f.Add([]byte(`{"services":{"a":{"image":"${TAG:?unset}","environment":{"A":"$${x}"}}}}`), true)
	f.Fuzz(func(t *testing.T, data []byte, interpolate bool) {
		if len(data) > 1<<16 {
			return
		}
		p, err := Load(fuzzCtx(t), Options{Inline: data, Interpolate: interpolate, WorkingDir: t.TempDir(), Environment: fuzzEnv})
		checkLoad(t, "inline", err)
		if err == nil {
			if _, cerr := Config(p, ConfigOptions{Format: "json", NoInterpolate: !interpolate}); cerr != nil {
				t.Fatalf("a loaded project does not render: %v", cerr)
			}
			for name, s := range p.Services {
				if _, herr := ServiceHash(s); herr != nil {
					t.Fatalf("service %s loads but cannot be hashed: %v", name, herr)
				}
			}
		}
	})
}

// FuzzInterpolation puts fuzzed text where compose-go interpolates: the
// image, a command argument, an environment value and a variable's value.
func FuzzInterpolation(f *testing.F) {
	for _, s := range [][2]string{
		{"${TAG}", "1"}, {"${TAG:-default}", ""}, {"${TAG:?must be set}", "x"}, {"$${escaped}", "y"},
		{"${TAG:+alt}", "z"}, {"${${nested}}", "w"}, {"${", "v"}, {"$", "\x00"}, {"${TAG/a/b}", "a"},
		{"${A-${B-${C-deep}}}", "$TAG"}, {strings.Repeat("${X:-", 50) + "x" + strings.Repeat("}", 50), ""},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, text, value string) {
		if len(text)+len(value) > 1<<14 {
			return
		}
		q, _ := json.Marshal(text)
		model := `{"name":"interp","services":{"a":{"image":"img:` + strings.Trim(string(q), `"`) + `","command":["echo",` + string(q) +
			`],"environment":{"V":` + string(q) + `}}}}`
		env := map[string]string{"TAG": value, "X": value}
		_, err := Load(fuzzCtx(t), Options{Inline: []byte(model), Interpolate: true, WorkingDir: t.TempDir(), Environment: env})
		checkLoad(t, "interpolated inline", err)
		dir := t.TempDir()
		yq, _ := json.Marshal("x" + text) // YAML accepts JSON strings
		file := filepath.Join(dir, "compose.yaml")
		y := "services:\n  a:\n    image: busybox\n    command: [\"echo\", " + string(yq) + "]\n    environment:\n      V: " + string(yq) + "\n"
		if err := os.WriteFile(file, []byte(y), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err = Load(fuzzCtx(t), Options{Files: []string{file}, WorkingDir: dir, Environment: env})
		checkLoad(t, "interpolated file", err)
	})
}

// FuzzNormalizeProjectName: our one-pass NormalizeProjectName is exactly
// compose-go's (whose regexp version takes a minute on 16 MiB).
func FuzzNormalizeProjectName(f *testing.F) {
	for _, s := range []string{"My Project", "__x--Y", "Kelvin\u212a", "é-É", "\xff\xfe", "-_-", "", "İstanbul"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, want := NormalizeProjectName(s), composeloader.NormalizeProjectName(s)
		if got != want {
			t.Fatalf("NormalizeProjectName(%q) = %q, compose-go says %q", s, got, want)
		}
		if got != "" && ValidateProjectName(got) != nil {
			t.Fatalf("normalized name %q is not valid", got)
		}
	})
}

// Regressions found by the bad-input corpus and the fuzzers.

func TestRegressionComposeGoPanicIsInvalidConfig(t *testing.T) {
	// compose-go's validation asserted `external` to be a bool and panicked.
	for _, m := range []string{
		`{"services":{"a":{"image":"x"}},"volumes":{"v":{"external":"yes"}}}`,
		`{"services":{"a":{"image":"x"}},"volumes":{"v":{"external":1}}}`,
	} {
		_, err := Load(context.Background(), Options{Inline: []byte(m), Environment: map[string]string{}})
		if core.KindOf(err) != core.KindInvalidConfig {
			t.Fatalf("%s: %v", m, err)
		}
	}
}

func TestRegressionNonFiniteNumbersAreInvalidConfig(t *testing.T) {
	// cpus: "NaN" loaded, then failed the engine's config hash as Internal.
	for _, v := range []string{`"NaN"`, `"Inf"`, `"-Inf"`} {
		m := `{"services":{"a":{"image":"x","cpus":` + v + `}}}`
		_, err := Load(context.Background(), Options{Inline: []byte(m), Environment: map[string]string{}})
		if core.KindOf(err) != core.KindInvalidConfig || !strings.Contains(err.Error(), "finite") {
			t.Fatalf("%s: %v", m, err)
		}
	}
}

func TestRegressionNULIsInvalidConfig(t *testing.T) {
	for _, svc := range []string{
		`{"image":"busybox\u0000x"}`,
		`{"image":"x","environment":{"A":"a\u0000b"}}`,
		`{"image":"x","command":["echo","a\u0000b"]}`,
		`{"image":"x","labels":{"k\u0000":"v"}}`,
		`{"image":"x","working_dir":"/a\u0000b"}`,
	} {
		m := `{"services":{"a":` + svc + `}}`
		_, err := Load(context.Background(), Options{Inline: []byte(m), Environment: map[string]string{}})
		if core.KindOf(err) != core.KindInvalidConfig || !strings.Contains(err.Error(), "NUL") || !strings.Contains(err.Error(), `"a"`) {
			t.Fatalf("%s: %v", m, err)
		}
	}
}

func TestRegressionHugeNameNormalizesFast(t *testing.T) {
	start := time.Now()
	if got := NormalizeProjectName(strings.Repeat("Ab-", 1<<20)); len(got) != 3<<20 {
		t.Fatalf("length %d", len(got))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("3 MiB name took %v", d)
	}
}

func TestRegressionDeviceAsComposeFileIsRejected(t *testing.T) {
	// -f /dev/zero read forever (the library call hung, memory grew).
	for _, dev := range []string{"/dev/zero", "/dev/urandom"} {
		if _, err := os.Stat(dev); err != nil {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := Load(ctx, Options{Files: []string{dev}, Environment: map[string]string{}})
		cancel()
		if core.KindOf(err) != core.KindInvalidConfig || !strings.Contains(err.Error(), "device") {
			t.Fatalf("%s: %v", dev, err)
		}
	}
}
