package loader

// The conformance runner: every case of the conformance data
// (tests/testdata/conformance, see its README) must agree with our loader,
// which means with compose-go v2.16.2 and docker compose.

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/override"
	"github.com/compose-spec/compose-go/v2/template"
	"go.yaml.in/yaml/v4"

	"github.com/perryts/perry-container/core"
)

// conformanceDir is the conformance data committed in the repository
// (tests/testdata/conformance, with its NOTICE and licences). It is read
// only from there, by a path relative to this package, so the data a run
// checks against is the data of this commit.
func conformanceDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "tests", "testdata", "conformance"))
	if err == nil {
		_, err = os.Stat(filepath.Join(dir, "NOTICE"))
	}
	if err != nil {
		t.Fatalf("the conformance data is missing from the repository (tests/testdata/conformance): %v", err)
	}
	return dir
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// tally counts one folder's passes and logs them when the folder is done.
type tally struct {
	folder     string
	pass, runs int
}

func (c *tally) run(t *testing.T, name string, fn func(t *testing.T)) {
	t.Helper()
	c.runs++
	if t.Run(name, fn) {
		c.pass++
	}
}

func (c *tally) report(t *testing.T) {
	t.Helper()
	t.Logf("conformance %s: %d/%d passed", c.folder, c.pass, c.runs)
	if c.runs == 0 {
		t.Errorf("conformance %s: no cases found", c.folder)
	}
}

// checkError matches an error against an error_contains case.
func checkError(t *testing.T, err error, contains string) {
	t.Helper()
	if err == nil {
		t.Fatalf("succeeded, want an error containing %q", contains)
	}
	if !strings.Contains(err.Error(), contains) {
		t.Fatalf("error %q does not contain %q", err, contains)
	}
}

func TestConformance(t *testing.T) {
	dir := conformanceDir(t)

	t.Run("interpolation", func(t *testing.T) {
		var cases []struct {
			Name          string            `json:"name"`
			Env           map[string]string `json:"env"`
			Input         string            `json:"input"`
			Expect        *string           `json:"expect"`
			ErrorContains string            `json:"error_contains"`
		}
		readJSON(t, filepath.Join(dir, "interpolation", "cases.json"), &cases)
		c := tally{folder: "interpolation"}
		for _, tc := range cases {
			c.run(t, tc.Name, func(t *testing.T) {
				got, err := template.Substitute(tc.Input, func(k string) (string, bool) {
					v, ok := tc.Env[k]
					return v, ok
				})
				if tc.ErrorContains != "" {
					checkError(t, err, tc.ErrorContains)
					return
				}
				if err != nil {
					t.Fatalf("Substitute(%q): %v", tc.Input, err)
				}
				if tc.Expect == nil {
					t.Fatalf("case has neither expect nor error_contains")
				}
				if got != *tc.Expect {
					t.Fatalf("Substitute(%q) = %q, want %q", tc.Input, got, *tc.Expect)
				}
			})
		}
		c.report(t)
	})

	t.Run("dotenv", func(t *testing.T) {
		var cases []struct {
			Name          string            `json:"name"`
			Input         *string           `json:"input"`
			File          string            `json:"file"`
			Lookup        map[string]string `json:"lookup"`
			Expect        map[string]string `json:"expect"`
			ErrorContains string            `json:"error_contains"`
		}
		readJSON(t, filepath.Join(dir, "dotenv", "cases.json"), &cases)
		c := tally{folder: "dotenv"}
		for _, tc := range cases {
			c.run(t, tc.Name, func(t *testing.T) {
				file := filepath.Join(dir, "dotenv", filepath.FromSlash(tc.File))
				if tc.Input != nil {
					file = filepath.Join(t.TempDir(), ".env")
					if err := os.WriteFile(file, []byte(*tc.Input), 0o600); err != nil {
						t.Fatal(err)
					}
				}
				lookup := tc.Lookup
				if lookup == nil {
					lookup = map[string]string{}
				}
				got, err := dotenv.GetEnvFromFile(lookup, []string{file})
				if tc.ErrorContains != "" {
					checkError(t, err, tc.ErrorContains)
					return
				}
				if err != nil {
					t.Fatalf("GetEnvFromFile: %v", err)
				}
				if !reflect.DeepEqual(got, tc.Expect) {
					t.Fatalf("got %v\nwant %v", got, tc.Expect)
				}
			})
		}
		c.report(t)
	})

	t.Run("merge", func(t *testing.T) {
		entries, err := os.ReadDir(filepath.Join(dir, "merge"))
		if err != nil {
			t.Fatal(err)
		}
		c := tally{folder: "merge"}
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			folder := filepath.Join(dir, "merge", e.Name())
			c.run(t, e.Name(), func(t *testing.T) {
				base, over, want := yamlMap(t, folder, "base.yaml"), yamlMap(t, folder, "override.yaml"), yamlMap(t, folder, "expected.yaml")
				got, err := override.Merge(base, over)
				if err != nil {
					t.Fatalf("Merge: %v", err)
				}
				if got, err = override.EnforceUnicity(got); err != nil {
					t.Fatalf("EnforceUnicity: %v", err)
				}
				if !reflect.DeepEqual(got, want) {
					g, _ := yaml.Marshal(got)
					w, _ := yaml.Marshal(want)
					t.Fatalf("merged:\n%s\nwant:\n%s", g, w)
				}
			})
		}
		c.report(t)
	})

	t.Run("errors", func(t *testing.T) {
		var cases []struct {
			Name          string            `json:"name"`
			Files         map[string]string `json:"files"`
			Env           map[string]string `json:"env"`
			ConfigFiles   []string          `json:"config_files"`
			ProjectName   string            `json:"project_name"`
			ErrorContains string            `json:"error_contains"`
		}
		readJSON(t, filepath.Join(dir, "errors", "cases.json"), &cases)
		c := tally{folder: "errors"}
		for _, tc := range cases {
			c.run(t, tc.Name, func(t *testing.T) {
				work := t.TempDir()
				for name, content := range tc.Files {
					path := filepath.Join(work, filepath.FromSlash(name))
					if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
						t.Fatal(err)
					}
				}
				files := tc.ConfigFiles
				if len(files) == 0 {
					files = []string{"compose.yaml"}
				}
				env := tc.Env
				if env == nil {
					env = map[string]string{}
				}
				_, err := Load(context.Background(), Options{
					Files: files, WorkingDir: work, Environment: env, ProjectName: tc.ProjectName,
				})
				checkError(t, err, tc.ErrorContains)
				var ce *core.Error
				if !errors.As(err, &ce) {
					t.Fatalf("error is %T, want *core.Error", err)
				}
			})
		}
		c.report(t)
	})

	for _, folder := range []string{"projects/awesome-compose", "runtime"} {
		t.Run(folder, func(t *testing.T) {
			root := filepath.Join(dir, filepath.FromSlash(folder))
			var index []struct {
				Path           string   `json:"path"`
				Services       []string `json:"services"`
				ActiveServices []string `json:"active_services"`
			}
			readJSON(t, filepath.Join(root, "index.json"), &index)
			c := tally{folder: folder}
			for _, entry := range index {
				c.run(t, entry.Path, func(t *testing.T) {
					file := filepath.Join(root, filepath.FromSlash(entry.Path))
					p, err := Load(context.Background(), Options{
						Files: []string{file}, WorkingDir: filepath.Dir(file), Environment: map[string]string{},
					})
					if err != nil {
						t.Fatalf("Load: %v", err)
					}
					want := entry.Services
					if entry.ActiveServices != nil {
						want = entry.ActiveServices
					}
					want = append([]string(nil), want...)
					sort.Strings(want)
					if got := p.ServiceNames(); !reflect.DeepEqual(got, want) {
						t.Fatalf("services = %v, want %v", got, want)
					}
					// Every project also renders as `config` would.
					if _, err := Config(p, ConfigOptions{}); err != nil {
						t.Fatalf("Config: %v", err)
					}
				})
			}
			c.report(t)
		})
	}
}

func yamlMap(t *testing.T, dir, name string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if m == nil {
		m = map[string]any{}
	}
	return m
}
