package loader

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/sirupsen/logrus"

	"github.com/perryts/perry-container/core"
)

func TestMain(m *testing.M) {
	// compose-go warns through logrus's global logger (unset variables,
	// obsolete `version`); the tests provoke these on purpose.
	logrus.SetOutput(io.Discard)
	os.Exit(m.Run())
}

const webYAML = "services:\n  web:\n    image: nginx\n"

// writeFiles writes name -> content under dir (creating parents).
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// load loads hermetically: an empty environment unless the test gives one.
func load(t *testing.T, opts Options) (*types.Project, error) {
	t.Helper()
	if opts.Environment == nil {
		opts.Environment = map[string]string{}
	}
	return Load(context.Background(), opts)
}

func mustLoad(t *testing.T, opts Options) *types.Project {
	t.Helper()
	p, err := load(t, opts)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return p
}

// wantError checks err is a *core.Error of kind whose message has every
// substring.
func wantError(t *testing.T, err error, kind core.Kind, contains ...string) *core.Error {
	t.Helper()
	var e *core.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want a *core.Error", err, err)
	}
	if e.Kind != kind {
		t.Errorf("kind = %s, want %s: %v", e.Kind, kind, err)
	}
	for _, s := range contains {
		if !strings.Contains(e.Message, s) {
			t.Errorf("message %q does not contain %q", e.Message, s)
		}
	}
	return e
}

func TestProjectNamePrecedence(t *testing.T) {
	named := "name: fromyaml\n" + webYAML
	tests := []struct {
		name    string
		dir     string // project directory's basename
		files   map[string]string
		flag    string
		env     map[string]string
		want    string
		wantErr []string
	}{
		{
			name: "-p wins over COMPOSE_PROJECT_NAME, name: and the directory",
			dir:  "dir", files: map[string]string{"compose.yaml": named},
			flag: "fromflag", env: map[string]string{"COMPOSE_PROJECT_NAME": "fromenv"},
			want: "fromflag",
		},
		{
			name: "COMPOSE_PROJECT_NAME wins over name: and the directory",
			dir:  "dir", files: map[string]string{"compose.yaml": named},
			env:  map[string]string{"COMPOSE_PROJECT_NAME": "fromenv"},
			want: "fromenv",
		},
		{
			name: "COMPOSE_PROJECT_NAME may come from .env",
			dir:  "dir", files: map[string]string{"compose.yaml": named, ".env": "COMPOSE_PROJECT_NAME=fromdotenv\n"},
			want: "fromdotenv",
		},
		{
			name: "the environment wins over .env",
			dir:  "dir", files: map[string]string{"compose.yaml": named, ".env": "COMPOSE_PROJECT_NAME=fromdotenv\n"},
			env:  map[string]string{"COMPOSE_PROJECT_NAME": "fromenv"},
			want: "fromenv",
		},
		{
			name: "name: wins over the directory",
			dir:  "dir", files: map[string]string{"compose.yaml": named},
			want: "fromyaml",
		},
		{
			name: "name: is interpolated and normalized",
			dir:  "dir", files: map[string]string{"compose.yaml": "name: ${PREFIX}_App\n" + webYAML},
			env:  map[string]string{"PREFIX": "My"},
			want: "my_app",
		},
		{
			name: "the directory's basename, normalized",
			dir:  "My Project.v2", files: map[string]string{"compose.yaml": webYAML},
			want: "myprojectv2",
		},
		{
			name: "an invalid -p is an error saying why",
			dir:  "dir", files: map[string]string{"compose.yaml": webYAML},
			flag:    "My App",
			wantErr: []string{`invalid project name "My App"`, "lowercase", `' '`, `did you mean "myapp"`},
		},
		{
			name: "an invalid COMPOSE_PROJECT_NAME is an error naming the variable",
			dir:  "dir", files: map[string]string{"compose.yaml": webYAML},
			env:     map[string]string{"COMPOSE_PROJECT_NAME": "-bad"},
			wantErr: []string{`invalid project name "-bad"`, "starts with '-'", "COMPOSE_PROJECT_NAME"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), tt.dir)
			writeFiles(t, dir, tt.files)
			p, err := load(t, Options{WorkingDir: dir, ProjectName: tt.flag, Environment: tt.env})
			if tt.wantErr != nil {
				wantError(t, err, core.KindInvalidConfig, tt.wantErr...)
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if p.Name != tt.want {
				t.Errorf("name = %q, want %q", p.Name, tt.want)
			}
		})
	}
}

func TestProjectNameHelpers(t *testing.T) {
	for in, want := range map[string]string{
		"myapp": "myapp", "My App": "myapp", "__x-Y.z": "x-yz", "...": "", "a_b-c9": "a_b-c9",
	} {
		if got := NormalizeProjectName(in); got != want {
			t.Errorf("NormalizeProjectName(%q) = %q, want %q", in, got, want)
		}
	}
	for _, ok := range []string{"a", "0", "my_app-2"} {
		if err := ValidateProjectName(ok); err != nil {
			t.Errorf("ValidateProjectName(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "A", "_a", "-a", "a b", "a.b", "é"} {
		err := ValidateProjectName(bad)
		wantError(t, err, core.KindInvalidConfig, `invalid project name "`+bad+`"`)
	}
}

func TestDiscovery(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		start string   // where discovery starts, relative to the root
		want  []string // compose files found, relative to the root
	}{
		{name: "compose.yaml", files: map[string]string{"compose.yaml": webYAML}, want: []string{"compose.yaml"}},
		{name: "compose.yml", files: map[string]string{"compose.yml": webYAML}, want: []string{"compose.yml"}},
		{name: "docker-compose.yml", files: map[string]string{"docker-compose.yml": webYAML}, want: []string{"docker-compose.yml"}},
		{name: "docker-compose.yaml", files: map[string]string{"docker-compose.yaml": webYAML}, want: []string{"docker-compose.yaml"}},
		{
			name:  "compose.yaml preferred over the others",
			files: map[string]string{"compose.yaml": webYAML, "compose.yml": webYAML, "docker-compose.yml": webYAML, "docker-compose.yaml": webYAML},
			want:  []string{"compose.yaml"},
		},
		{
			name:  "compose.yml preferred over docker-compose.*",
			files: map[string]string{"compose.yml": webYAML, "docker-compose.yaml": webYAML},
			want:  []string{"compose.yml"},
		},
		{
			name:  "docker-compose.yml preferred over docker-compose.yaml (docker compose's order)",
			files: map[string]string{"docker-compose.yml": webYAML, "docker-compose.yaml": webYAML},
			want:  []string{"docker-compose.yml"},
		},
		{
			name:  "found in a parent directory",
			files: map[string]string{"compose.yaml": webYAML, "a/b/.keep": ""},
			start: "a/b",
			want:  []string{"compose.yaml"},
		},
		{
			name:  "the nearest parent wins",
			files: map[string]string{"compose.yaml": webYAML, "a/docker-compose.yml": webYAML, "a/b/.keep": ""},
			start: "a/b",
			want:  []string{"a/docker-compose.yml"},
		},
		{
			name:  "compose.override.yaml is merged after compose.yaml",
			files: map[string]string{"compose.yaml": webYAML, "compose.override.yaml": webYAML},
			want:  []string{"compose.yaml", "compose.override.yaml"},
		},
		{
			name:  "compose.override.yml is merged",
			files: map[string]string{"compose.yaml": webYAML, "compose.override.yml": webYAML},
			want:  []string{"compose.yaml", "compose.override.yml"},
		},
		{
			name:  "docker-compose.override.yml is merged",
			files: map[string]string{"docker-compose.yml": webYAML, "docker-compose.override.yml": webYAML},
			want:  []string{"docker-compose.yml", "docker-compose.override.yml"},
		},
		{
			name:  "docker-compose.override.yaml is merged",
			files: map[string]string{"docker-compose.yml": webYAML, "docker-compose.override.yaml": webYAML},
			want:  []string{"docker-compose.yml", "docker-compose.override.yaml"},
		},
		{
			name:  "an override file without a compose file is not enough",
			files: map[string]string{"compose.override.yaml": webYAML, "sub/compose.yml": webYAML},
			start: "sub",
			want:  []string{"sub/compose.yml"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeFiles(t, root, tt.files)
			p := mustLoad(t, Options{WorkingDir: filepath.Join(root, tt.start)})
			var want []string
			for _, f := range tt.want {
				want = append(want, filepath.Join(root, f))
			}
			if !reflect.DeepEqual(p.ComposeFiles, want) {
				t.Errorf("compose files = %v, want %v", p.ComposeFiles, want)
			}
			// The project directory is the found file's directory.
			if wd := filepath.Dir(want[0]); p.WorkingDir != wd {
				t.Errorf("project working dir = %s, want %s", p.WorkingDir, wd)
			}
		})
	}

	t.Run("the override file overrides", func(t *testing.T) {
		root := t.TempDir()
		writeFiles(t, root, map[string]string{"compose.yaml": webYAML, "compose.override.yaml": "services:\n  web:\n    image: httpd\n"})
		if img := mustLoad(t, Options{WorkingDir: root}).Services["web"].Image; img != "httpd" {
			t.Errorf("image = %q, want the override's httpd", img)
		}
	})

	t.Run("discovery starts in ProjectDirectory when WorkingDir is empty", func(t *testing.T) {
		root := t.TempDir()
		writeFiles(t, root, map[string]string{"compose.yaml": webYAML})
		p := mustLoad(t, Options{ProjectDirectory: root})
		if want := []string{filepath.Join(root, "compose.yaml")}; !reflect.DeepEqual(p.ComposeFiles, want) {
			t.Errorf("compose files = %v, want %v", p.ComposeFiles, want)
		}
	})

	t.Run("no compose file anywhere is NotFound", func(t *testing.T) {
		root := t.TempDir()
		_, err := load(t, Options{WorkingDir: root})
		wantError(t, err, core.KindNotFound, "no compose file found in "+root, "compose.yaml")
	})
}

func TestComposeFileEnv(t *testing.T) {
	files := map[string]string{
		"a.yaml":       webYAML,
		"b.yaml":       "services:\n  db:\n    image: redis\n",
		"compose.yaml": "services:\n  other:\n    image: busybox\n",
	}
	tests := []struct {
		name    string
		env     map[string]string
		opts    Options
		want    []string // services
		wantErr []string
	}{
		{name: "default separator ':'", env: map[string]string{"COMPOSE_FILE": "a.yaml:b.yaml"}, want: []string{"db", "web"}},
		{
			name: "COMPOSE_PATH_SEPARATOR",
			env:  map[string]string{"COMPOSE_FILE": "a.yaml;b.yaml", "COMPOSE_PATH_SEPARATOR": ";"},
			want: []string{"db", "web"},
		},
		{name: "one file", env: map[string]string{"COMPOSE_FILE": "b.yaml"}, want: []string{"db"}},
		{name: "empty entries skipped", env: map[string]string{"COMPOSE_FILE": "a.yaml::"}, want: []string{"web"}},
		{name: "empty means discovery", env: map[string]string{"COMPOSE_FILE": ""}, want: []string{"other"}},
		{
			name: "-f wins over COMPOSE_FILE",
			env:  map[string]string{"COMPOSE_FILE": "a.yaml"}, opts: Options{Files: []string{"b.yaml"}},
			want: []string{"db"},
		},
		{
			name: "COMPOSE_FILE may come from .env",
			opts: Options{Files: nil}, env: nil,
			want: []string{"db"},
		},
		{
			name:    "a missing entry is NotFound naming it and COMPOSE_FILE",
			env:     map[string]string{"COMPOSE_FILE": "a.yaml:nope.yaml"},
			wantErr: []string{`"nope.yaml"`, "COMPOSE_FILE", "not found"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeFiles(t, root, files)
			if tt.name == "COMPOSE_FILE may come from .env" {
				writeFiles(t, root, map[string]string{".env": "COMPOSE_FILE=b.yaml\n"})
			}
			opts := tt.opts
			opts.WorkingDir, opts.Environment = root, tt.env
			p, err := load(t, opts)
			if tt.wantErr != nil {
				wantError(t, err, core.KindNotFound, tt.wantErr...)
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := p.ServiceNames(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("services = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMissingComposeFile(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"compose.yaml": webYAML})
	tests := []struct {
		name     string
		opts     Options
		contains []string
	}{
		{name: "the only -f file", opts: Options{Files: []string{"missing.yaml"}}, contains: []string{`compose file "missing.yaml"`, filepath.Join(root, "missing.yaml"), "not found"}},
		{name: "the second -f file", opts: Options{Files: []string{"compose.yaml", "other.yaml"}}, contains: []string{`"other.yaml"`}},
		{name: "an absolute path", opts: Options{Files: []string{filepath.Join(root, "abs.yaml")}}, contains: []string{filepath.Join(root, "abs.yaml")}},
		{
			name:     "reported before an invalid project name",
			opts:     Options{Files: []string{"missing.yaml"}, ProjectName: "Not Valid"},
			contains: []string{`"missing.yaml"`},
		},
		{
			name:     "reported before a missing env file",
			opts:     Options{Files: []string{"missing.yaml"}, EnvFiles: []string{"missing.env"}},
			contains: []string{`"missing.yaml"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			opts.WorkingDir = root
			_, err := load(t, opts)
			e := wantError(t, err, core.KindNotFound, tt.contains...)
			if e.Code() != 404 {
				t.Errorf("code = %d, want 404", e.Code())
			}
		})
	}

	t.Run("a directory is not a compose file", func(t *testing.T) {
		_, err := load(t, Options{WorkingDir: root, Files: []string{"."}})
		wantError(t, err, core.KindInvalidConfig, "is a directory")
	})
}

func TestEnvFiles(t *testing.T) {
	compose := "services:\n  web:\n    image: ${IMAGE:-none}\n"
	tests := []struct {
		name    string
		files   map[string]string
		env     map[string]string
		opts    Options
		want    string
		wantErr core.Kind
		// label: the environment_file label docker compose sets, the
		// files relative to the project directory ("" when it sets none).
		label string
	}{
		{name: ".env in the project directory", files: map[string]string{".env": "IMAGE=fromdotenv\n"}, want: "fromdotenv"},
		{name: "the environment wins over .env", files: map[string]string{".env": "IMAGE=fromdotenv\n"}, env: map[string]string{"IMAGE": "fromenv"}, want: "fromenv"},
		{
			name:  "COMPOSE_DISABLE_ENV_FILE ignores .env",
			files: map[string]string{".env": "IMAGE=fromdotenv\n"}, env: map[string]string{"COMPOSE_DISABLE_ENV_FILE": "true"},
			want: "none",
		},
		{
			name:  "--env-file replaces .env",
			files: map[string]string{".env": "IMAGE=fromdotenv\n", "a.env": "IMAGE=froma\n"},
			opts:  Options{EnvFiles: []string{"a.env"}}, want: "froma", label: "a.env",
		},
		{
			name:  "--env-file is repeatable, the last wins",
			files: map[string]string{"a.env": "IMAGE=froma\n", "b.env": "IMAGE=fromb\n"},
			opts:  Options{EnvFiles: []string{"a.env", "b.env"}}, want: "fromb", label: "a.env,b.env",
		},
		{
			name:  "a later env file sees an earlier one's variables",
			files: map[string]string{"a.env": "TAG=1\n", "b.env": "IMAGE=app:${TAG}\n"},
			opts:  Options{EnvFiles: []string{"a.env", "b.env"}}, want: "app:1", label: "a.env,b.env",
		},
		{
			name:  "COMPOSE_ENV_FILES",
			files: map[string]string{"a.env": "IMAGE=froma\n", "b.env": "IMAGE=fromb\n"},
			env:   map[string]string{"COMPOSE_ENV_FILES": "a.env,b.env"}, want: "fromb", label: "a.env,b.env",
		},
		{name: "a missing --env-file is NotFound", opts: Options{EnvFiles: []string{"nope.env"}}, wantErr: core.KindNotFound},
		{name: "a bad COMPOSE_DISABLE_ENV_FILE", env: map[string]string{"COMPOSE_DISABLE_ENV_FILE": "maybe"}, wantErr: core.KindInvalidConfig},
		{name: "a malformed .env names the file", files: map[string]string{".env": "IMAGE=\"unterminated\n"}, wantErr: core.KindInvalidConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeFiles(t, root, tt.files)
			writeFiles(t, root, map[string]string{"compose.yaml": compose})
			opts := tt.opts
			opts.WorkingDir, opts.Environment = root, tt.env
			p, err := load(t, opts)
			if tt.wantErr != "" {
				wantError(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if img := p.Services["web"].Image; img != tt.want {
				t.Errorf("image = %q, want %q", img, tt.want)
			}
			var want []string
			for _, f := range strings.Split(tt.label, ",") {
				if f != "" {
					want = append(want, filepath.Join(root, f))
				}
			}
			label, set := p.Services["web"].CustomLabels[LabelEnvironmentFile]
			if label != strings.Join(want, ",") || set != (want != nil) {
				t.Errorf("environment_file label %q (set %v), want %q", label, set, strings.Join(want, ","))
			}
		})
	}
}

func TestComposeFeatures(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		opts  Options
		check func(t *testing.T, p *types.Project)
	}{
		{
			name: "env_file with required: false may be missing",
			files: map[string]string{
				"compose.yaml": "services:\n  web:\n    image: nginx\n    env_file:\n      - path: app.env\n      - path: missing.env\n        required: false\n",
				"app.env":      "A=1\n",
			},
			check: func(t *testing.T, p *types.Project) {
				if v := p.Services["web"].Environment["A"]; v == nil || *v != "1" {
					t.Errorf("A = %v, want 1", v)
				}
			},
		},
		{
			name: "env_file with format: raw keeps values as written",
			files: map[string]string{
				"compose.yaml": "services:\n  web:\n    image: nginx\n    env_file:\n      - path: raw.env\n        format: raw\n      - path: dot.env\n",
				"raw.env":      "# a comment\nRAW=keep $HOME and 'quotes' \"too\"\nFROMENV\n",
				"dot.env":      "DOT='single $HOME'\n",
			},
			opts: Options{Environment: map[string]string{"HOME": "/root", "FROMENV": "looked up"}},
			check: func(t *testing.T, p *types.Project) {
				env := p.Services["web"].Environment
				for k, want := range map[string]string{
					"RAW":     `keep $HOME and 'quotes' "too"`,
					"FROMENV": "looked up",
					"DOT":     "single $HOME", // the dotenv format still removes quotes
				} {
					if v := env[k]; v == nil || *v != want {
						t.Errorf("%s = %v, want %q", k, v, want)
					}
				}
			},
		},
		{
			name:  "profiles from Options.Profiles",
			files: map[string]string{"compose.yaml": webYAML + "  debug:\n    image: busybox\n    profiles: [dev]\n"},
			opts:  Options{Profiles: []string{"dev"}},
			check: wantServices("debug", "web"),
		},
		{
			name:  "profiles from COMPOSE_PROFILES",
			files: map[string]string{"compose.yaml": webYAML + "  debug:\n    image: busybox\n    profiles: [dev]\n"},
			opts:  Options{Environment: map[string]string{"COMPOSE_PROFILES": "other, dev"}},
			check: wantServices("debug", "web"),
		},
		{
			name:  "a service with an inactive profile is disabled",
			files: map[string]string{"compose.yaml": webYAML + "  debug:\n    image: busybox\n    profiles: [dev]\n"},
			check: wantServices("web"),
		},
		{
			name: "extends",
			files: map[string]string{
				"compose.yaml": "services:\n  web:\n    extends:\n      file: base.yaml\n      service: base\n    environment:\n      B: \"2\"\n",
				"base.yaml":    "services:\n  base:\n    image: nginx\n    environment:\n      A: \"1\"\n",
			},
			check: func(t *testing.T, p *types.Project) {
				s := p.Services["web"]
				if s.Image != "nginx" || len(s.Environment) != 2 {
					t.Errorf("extended service = image %q env %v", s.Image, s.Environment)
				}
			},
		},
		{
			name: "include",
			files: map[string]string{
				"compose.yaml":     "include:\n  - sub/compose.yaml\n" + webYAML,
				"sub/compose.yaml": "services:\n  db:\n    image: redis\n",
			},
			check: wantServices("db", "web"),
		},
		{
			name: "!reset in an override file",
			files: map[string]string{
				"compose.yaml":          "services:\n  web:\n    image: nginx\n    ports: [\"80:80\"]\n",
				"compose.override.yaml": "services:\n  web:\n    ports: !reset []\n",
			},
			check: func(t *testing.T, p *types.Project) {
				if ports := p.Services["web"].Ports; len(ports) != 0 {
					t.Errorf("ports = %v, want none", ports)
				}
			},
		},
		{
			name: "!override in an override file",
			files: map[string]string{
				"compose.yaml":          "services:\n  web:\n    image: nginx\n    ports: [\"80:80\"]\n",
				"compose.override.yaml": "services:\n  web:\n    ports: !override [\"8080:80\"]\n",
			},
			check: func(t *testing.T, p *types.Project) {
				if ports := p.Services["web"].Ports; len(ports) != 1 || ports[0].Published != "8080" {
					t.Errorf("ports = %v, want only 8080:80", ports)
				}
			},
		},
		{
			name: "-f files merge in order",
			files: map[string]string{
				"one.yaml": webYAML,
				"two.yaml": "services:\n  web:\n    image: httpd\n",
			},
			opts: Options{Files: []string{"one.yaml", "two.yaml"}},
			check: func(t *testing.T, p *types.Project) {
				if img := p.Services["web"].Image; img != "httpd" {
					t.Errorf("image = %q, want httpd", img)
				}
			},
		},
		{
			name: "implicit dependencies become depends_on",
			files: map[string]string{"compose.yaml": "services:\n  app:\n    image: a\n    network_mode: service:vpn\n    volumes_from: [data]\n" +
				"  vpn:\n    image: v\n  data:\n    image: d\n"},
			check: func(t *testing.T, p *types.Project) {
				deps := p.Services["app"].DependsOn
				if _, ok := deps["vpn"]; !ok {
					t.Errorf("depends_on = %v, want vpn", deps)
				}
				if _, ok := deps["data"]; !ok {
					t.Errorf("depends_on = %v, want data", deps)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeFiles(t, root, tt.files)
			opts := tt.opts
			opts.WorkingDir = root
			tt.check(t, mustLoad(t, opts))
		})
	}
}

func wantServices(names ...string) func(t *testing.T, p *types.Project) {
	return func(t *testing.T, p *types.Project) {
		t.Helper()
		if got := p.ServiceNames(); !reflect.DeepEqual(got, names) {
			t.Errorf("services = %v, want %v", got, names)
		}
	}
}

func TestInline(t *testing.T) {
	tests := []struct {
		name    string
		json    string
		opts    Options
		check   func(t *testing.T, p *types.Project)
		wantErr []string
	}{
		{
			name: "a valid model is loaded and normalized",
			json: `{"name":"demo","services":{"web":{"image":"nginx","depends_on":["db"],"ports":[8080]},"db":{"image":"redis"}}}`,
			check: func(t *testing.T, p *types.Project) {
				if p.Name != "demo" {
					t.Errorf("name = %q", p.Name)
				}
				web := p.Services["web"]
				if web.DependsOn["db"].Condition != types.ServiceConditionStarted {
					t.Errorf("depends_on not normalized to long form: %v", web.DependsOn)
				}
				if _, ok := p.Networks["default"]; !ok {
					t.Errorf("no default network: %v", p.Networks)
				}
				if len(web.Ports) != 1 || web.Ports[0].Target != 8080 {
					t.Errorf("ports = %v", web.Ports)
				}
			},
		},
		{
			name: "not interpolated by default",
			json: `{"services":{"web":{"image":"nginx","environment":{"A":"${HOME}/x","B":"$$literal"}}}}`,
			opts: Options{Environment: map[string]string{"HOME": "/root"}},
			check: func(t *testing.T, p *types.Project) {
				env := p.Services["web"].Environment
				if *env["A"] != "${HOME}/x" || *env["B"] != "$$literal" {
					t.Errorf("environment = A=%q B=%q, want both untouched", *env["A"], *env["B"])
				}
			},
		},
		{
			name: "interpolated when asked, $$ unescaped",
			json: `{"services":{"web":{"image":"${IMG:-nginx}","environment":{"A":"${HOME}/x","B":"$$literal"}}}}`,
			opts: Options{Interpolate: true, Environment: map[string]string{"HOME": "/root"}},
			check: func(t *testing.T, p *types.Project) {
				s := p.Services["web"]
				if s.Image != "nginx" || *s.Environment["A"] != "/root/x" || *s.Environment["B"] != "$literal" {
					t.Errorf("image %q A=%q B=%q", s.Image, *s.Environment["A"], *s.Environment["B"])
				}
			},
		},
		{
			name: "relative paths resolve from ProjectDirectory",
			json: `{"services":{"web":{"image":"nginx","volumes":["./data:/data"]}}}`,
			opts: Options{ProjectDirectory: "/srv/app"},
			check: func(t *testing.T, p *types.Project) {
				if src := p.Services["web"].Volumes[0].Source; src != "/srv/app/data" {
					t.Errorf("source = %q, want /srv/app/data", src)
				}
				if p.Name != "app" {
					t.Errorf("name = %q, want the directory's, app", p.Name)
				}
			},
		},
		{
			name:  "-p names an inline project",
			json:  `{"name":"ignored","services":{"web":{"image":"nginx"}}}`,
			opts:  Options{ProjectName: "chosen"},
			check: func(t *testing.T, p *types.Project) { wantName(t, p, "chosen") },
		},
		{
			name:  "COMPOSE_PROJECT_NAME names an inline project",
			json:  `{"name":"ignored","services":{"web":{"image":"nginx"}}}`,
			opts:  Options{Environment: map[string]string{"COMPOSE_PROJECT_NAME": "fromenv"}},
			check: func(t *testing.T, p *types.Project) { wantName(t, p, "fromenv") },
		},
		{
			name:  "profiles apply",
			json:  `{"services":{"web":{"image":"nginx"},"debug":{"image":"busybox","profiles":["dev"]}}}`,
			opts:  Options{Profiles: []string{"dev"}},
			check: wantServices("debug", "web"),
		},
		{name: "invalid JSON", json: `{"services":`, wantErr: []string{InlineFilename, "invalid JSON"}},
		{name: "not an object", json: `["web"]`, wantErr: []string{"must be a JSON object, got an array"}},
		{name: "trailing data", json: `{"services":{}} {}`, wantErr: []string{"unexpected data"}},
		{name: "schema errors name the inline model", json: `{"services":{"web":{"image":["x"]}}}`, wantErr: []string{InlineFilename, "services.web.image must be a string"}},
		{name: "undefined dependency", json: `{"services":{"web":{"image":"x","depends_on":["db"]}}}`, wantErr: []string{`service "web" depends on undefined service "db"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			opts.Inline = []byte(tt.json)
			if opts.WorkingDir == "" {
				opts.WorkingDir = t.TempDir()
			}
			p, err := load(t, opts)
			if tt.wantErr != nil {
				wantError(t, err, core.KindInvalidConfig, tt.wantErr...)
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			tt.check(t, p)
		})
	}
}

func wantName(t *testing.T, p *types.Project, name string) {
	t.Helper()
	if p.Name != name {
		t.Errorf("name = %q, want %q", p.Name, name)
	}
}

func TestUnknownConditionAndVolumeType(t *testing.T) {
	condYAML := "services:\n  web:\n    image: nginx\n    depends_on:\n      db:\n        condition: service_ready\n  db:\n    image: redis\n"
	condJSON := `{"services":{"web":{"image":"nginx","depends_on":{"db":{"condition":"service_ready"}}},"db":{"image":"redis"}}}`
	volYAML := "services:\n  web:\n    image: nginx\n    volumes:\n      - type: nfs\n        source: /srv\n        target: /data\n"
	volJSON := `{"services":{"web":{"image":"nginx","volumes":[{"type":"nfs","source":"/srv","target":"/data"}]}}}`
	condWant := []string{`service "web"`, `depends_on "db"`, `unknown condition "service_ready"`, "service_started, service_healthy, service_completed_successfully"}
	volWant := []string{`service "web"`, `unknown volume type "nfs"`, "bind, volume, tmpfs, cluster, npipe, image"}

	tests := []struct {
		name   string
		yaml   string
		json   string
		skip   bool
		want   []string
		detail string // Details["value"]
	}{
		{name: "condition in a file", yaml: condYAML, want: condWant, detail: "service_ready"},
		{name: "condition in a file, schema validation skipped", yaml: condYAML, skip: true, want: condWant, detail: "service_ready"},
		{name: "condition inline", json: condJSON, want: condWant, detail: "service_ready"},
		{name: "condition interpolated into a file", yaml: strings.Replace(condYAML, "service_ready", "${COND}", 1), want: condWant, detail: "service_ready"},
		{name: "volume type in a file", yaml: volYAML, want: volWant, detail: "nfs"},
		{name: "volume type in a file, schema validation skipped", yaml: volYAML, skip: true, want: volWant, detail: "nfs"},
		{name: "volume type inline", json: volJSON, want: volWant, detail: "nfs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			opts := Options{WorkingDir: root, SkipValidation: tt.skip, Environment: map[string]string{"COND": "service_ready"}}
			if tt.yaml != "" {
				writeFiles(t, root, map[string]string{"compose.yaml": tt.yaml})
			} else {
				opts.Inline = []byte(tt.json)
			}
			_, err := load(t, opts)
			e := wantError(t, err, core.KindInvalidConfig, tt.want...)
			if e.Details["service"] != "web" || e.Details["value"] != tt.detail {
				t.Errorf("details = %v", e.Details)
			}
			file := InlineFilename
			if tt.yaml != "" {
				file = filepath.Join(root, "compose.yaml")
			}
			if !strings.Contains(e.Message, file) {
				t.Errorf("message %q does not name the file %s", e.Message, file)
			}
		})
	}
}

func TestDependencyOnDisabledService(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"compose.yaml": "services:\n  app:\n    image: x\n    depends_on: [debug]\n" +
		"  debug:\n    image: busybox\n    profiles: [dev]\n"})
	_, err := load(t, Options{WorkingDir: root})
	wantError(t, err, core.KindInvalidConfig, `service "app" depends on service "debug", which is disabled`, "profile dev")
	mustLoad(t, Options{WorkingDir: root, Profiles: []string{"dev"}})
}

// A reference the merged project cannot resolve is reported with docker
// compose's exact text, without a file name (it is about no one file); an
// error in one file's content still names it.
func TestProjectErrorMessages(t *testing.T) {
	tests := []struct {
		name      string
		service   string // the lines of web after its image
		extra     string // more top-level YAML
		want      string // the whole message
		wantNamed bool   // the message names compose.yaml
	}{
		{
			name:    "undefined dependency",
			service: "    depends_on: [ghost]\n",
			want:    `service "web" depends on undefined service "ghost": invalid compose project`,
		},
		{
			name:    "undefined required dependency in long form",
			service: "    depends_on:\n      ghost: {condition: service_healthy}\n",
			want:    `service "web" depends on undefined service "ghost": invalid compose project`,
		},
		{
			name:    "network_mode of an undefined service",
			service: "    network_mode: service:ghost\n",
			want:    `service "web" depends on undefined service "ghost": invalid compose project`,
		},
		{
			name:    "dependency on a disabled service",
			service: "    depends_on: [debug]\n",
			extra:   "  debug:\n    image: busybox\n    profiles: [dev]\n",
			want:    `service "web" depends on service "debug", which is disabled (enable it with profile dev): invalid compose project`,
		},
		{
			name:    "undefined network",
			service: "    networks: [nonet]\n",
			want:    `service "web" refers to undefined network nonet: invalid compose project`,
		},
		{
			name:    "undefined volume",
			service: "    volumes: [\"novol:/x\"]\n",
			want:    `service "web" refers to undefined volume novol: invalid compose project`,
		},
		{
			name:      "unknown condition names the file",
			service:   "    depends_on:\n      db: {condition: service_sleepy}\n",
			extra:     "  db:\n    image: busybox\n",
			wantNamed: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeFiles(t, root, map[string]string{"compose.yaml": "services:\n  web:\n    image: busybox\n" + tt.service + tt.extra})
			_, err := load(t, Options{WorkingDir: root})
			e := wantError(t, err, core.KindInvalidConfig)
			if tt.want != "" && e.Message != tt.want {
				t.Errorf("message %q, want %q", e.Message, tt.want)
			}
			if named := strings.Contains(e.Message, "compose.yaml"); named != tt.wantNamed {
				t.Errorf("message %q names the file: %v, want %v", e.Message, named, tt.wantNamed)
			}
			if files, _ := e.Details["files"].([]string); len(files) != 1 {
				t.Errorf("Details[files] = %v, want the compose file", e.Details["files"])
			}
		})
	}
}

func TestValidateHelpers(t *testing.T) {
	for _, c := range Conditions {
		if err := ValidateCondition("s", "d", c); err != nil {
			t.Errorf("ValidateCondition(%q) = %v", c, err)
		}
	}
	wantError(t, ValidateCondition("s", "d", ""), core.KindInvalidConfig, `unknown condition ""`)
	for _, v := range VolumeTypes {
		if err := ValidateVolumeType("s", v); err != nil {
			t.Errorf("ValidateVolumeType(%q) = %v", v, err)
		}
	}
	wantError(t, ValidateVolumeType("s", "Bind"), core.KindInvalidConfig, `service "s"`, `"Bind"`)
}

func TestDependencyCycleKind(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"compose.yaml": "services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [a]\n"})
	_, err := load(t, Options{WorkingDir: root})
	e := wantError(t, err, core.KindDependencyCycle, "dependency cycle detected: a -> b -> a")
	if !reflect.DeepEqual(e.Details["cycle"], []string{"a", "b", "a"}) {
		t.Errorf("Details[cycle] = %v", e.Details["cycle"])
	}
}

func TestLoadDoesNotWriteCallerEnvironment(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"compose.yaml": webYAML, ".env": "FROM_DOTENV=1\n"})
	env := map[string]string{"KEEP": "1"}
	mustLoad(t, Options{WorkingDir: root, Environment: env})
	if len(env) != 1 {
		t.Errorf("caller's environment changed: %v", env)
	}
}

func TestNoInterpolate(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"compose.yaml": "services:\n  web:\n    image: busybox:${TAG:-latest}\n" +
		"    environment:\n      PRICE: \"$$5\"\n    profiles: [tools]\n    env_file: [web.env]\n", "web.env": "A=1\n"})
	env := map[string]string{"TAG": "1.0"}
	tests := []struct {
		name          string
		noInterpolate bool
		wantImage     string
		wantPrice     string
	}{
		{name: "interpolated by default", wantImage: "busybox:1.0", wantPrice: "$5"},
		{name: "NoInterpolate keeps the text as written", noInterpolate: true, wantImage: "busybox:${TAG:-latest}", wantPrice: "$$5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustLoad(t, Options{WorkingDir: root, Environment: env, Profiles: []string{"tools"}, NoInterpolate: tt.noInterpolate})
			web := p.Services["web"]
			if web.Image != tt.wantImage || web.Environment["PRICE"] == nil || *web.Environment["PRICE"] != tt.wantPrice {
				t.Errorf("image %q, PRICE %v; want %q, %q", web.Image, web.Environment["PRICE"], tt.wantImage, tt.wantPrice)
			}
		})
	}

	// LoadModel never interpolates, and keeps every service, whatever its
	// profile, with its env_file.
	m, err := LoadModel(context.Background(), Options{WorkingDir: root, Environment: env})
	if err != nil {
		t.Fatal(err)
	}
	web, _ := m["services"].(map[string]any)["web"].(map[string]any)
	environment, _ := web["environment"].(map[string]any)
	if web["image"] != "busybox:${TAG:-latest}" || environment["PRICE"] != "$$5" || web["env_file"] == nil {
		t.Errorf("web = %v; want the image and PRICE as written, env_file kept", web)
	}

	_, err = LoadModel(context.Background(), Options{Inline: []byte(`{"services":{}}`)})
	wantError(t, err, core.KindInvalidArgument, "inline")
	_, err = LoadModel(context.Background(), Options{WorkingDir: t.TempDir(), Files: []string{"missing.yaml"}})
	wantError(t, err, core.KindNotFound, "missing.yaml")
}
