package diff

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v4"
)

// A scenario is a compose project (its files, inline) and steps, each a
// command run by both tools followed by the checks that compare what a
// user observes. Scenarios live in scenarios/*.yaml, one list per topic.
type scenario struct {
	Name   string            `yaml:"name"`
	Intent string            `yaml:"intent"`
	Files  map[string]string `yaml:"files"`
	Env    map[string]string `yaml:"env"`
	Steps  []step            `yaml:"steps"`
	file   string
	// configOnly scenarios create nothing on the engine: no cleanup.
	configOnly bool
}

type step struct {
	Name string `yaml:"name"`
	// Cmd is the compose command line after the program name, split like
	// a shell would (no expansion); @PROJECT@ is the tool's project name.
	Cmd string `yaml:"cmd"`
	// Docker is a docker CLI command run for both tools (setup, not
	// compared), e.g. creating an external network.
	Docker string            `yaml:"docker"`
	Env    map[string]string `yaml:"env"`
	// Write replaces project files before the command; Remove deletes them.
	Write  map[string]string `yaml:"write"`
	Remove []string          `yaml:"remove"`
	// Wait polls the engine until a container of the service is in the
	// state ("running", "exited", "healthy", "unhealthy").
	Wait *wait `yaml:"wait"`
	// Check lists what is compared: exit, stdout, stdout_sorted, messages,
	// state, json (with Keys). Default: exit and state.
	Check []string `yaml:"check"`
	// Keys are the JSON keys compared by the json check.
	Keys []string `yaml:"keys"`
	// Lines are patterns: the lines of stdout and stderr matching each are
	// compared (the lines scripts grep for).
	Lines   []string `yaml:"lines"`
	Timeout int      `yaml:"timeout"` // seconds, default 120
}

type wait struct {
	Service string `yaml:"service"`
	State   string `yaml:"state"`
	Timeout int    `yaml:"timeout"`
}

var checkNames = []string{"exit", "stdout", "stdout_sorted", "messages", "state", "json"}

// loadScenarios reads every scenarios/*.yaml file and checks the names are
// unique and usable as project names.
func loadScenarios(dir string) ([]scenario, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	validName := regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,40}$`)
	seen := map[string]string{}
	var out []scenario
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var list []scenario
		dec := yaml.NewDecoder(strings.NewReader(string(data)))
		dec.KnownFields(true)
		if err := dec.Decode(&list); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Base(f), err)
		}
		for i := range list {
			s := &list[i]
			s.file = filepath.Base(f)
			if !validName.MatchString(s.Name) {
				return nil, fmt.Errorf("%s: scenario name %q: use lowercase letters, digits and dashes (at most 41)", s.file, s.Name)
			}
			if prev, ok := seen[s.Name]; ok {
				return nil, fmt.Errorf("%s: scenario %q already defined in %s", s.file, s.Name, prev)
			}
			seen[s.Name] = s.file
			if s.Intent == "" || len(s.Steps) == 0 {
				return nil, fmt.Errorf("%s: scenario %q needs an intent and steps", s.file, s.Name)
			}
			for j, st := range s.Steps {
				n := 0
				for _, set := range []bool{st.Cmd != "", st.Docker != "", st.Wait != nil} {
					if set {
						n++
					}
				}
				if n > 1 || (n == 0 && len(st.Write) == 0 && len(st.Remove) == 0) {
					return nil, fmt.Errorf("%s: scenario %q step %d: give one of cmd, docker, wait (or only write/remove)", s.file, s.Name, j+1)
				}
				for _, c := range st.Check {
					if !slices.Contains(checkNames, c) {
						return nil, fmt.Errorf("%s: scenario %q step %d: unknown check %q (known: %s)", s.file, s.Name, j+1, c, strings.Join(checkNames, ", "))
					}
				}
				for _, l := range st.Lines {
					if _, err := regexp.Compile(l); err != nil {
						return nil, fmt.Errorf("%s: scenario %q step %d: lines pattern %q: %w", s.file, s.Name, j+1, l, err)
					}
				}
			}
			out = append(out, *s)
		}
	}
	return out, nil
}

// checks are the step's checks, with the default: exit and state, and for
// a wait only exit (the other services' states race it).
func (s step) checks() []string {
	switch {
	case len(s.Check) > 0:
		return s.Check
	case s.Wait != nil:
		return []string{"exit"}
	}
	return []string{"exit", "state"}
}

// label names the step in reports: its name, else its command.
func (s step) label(i int) string {
	what := s.Name
	if what == "" {
		switch {
		case s.Cmd != "":
			what = s.Cmd
		case s.Docker != "":
			what = "docker " + s.Docker
		case s.Wait != nil:
			what = "wait " + s.Wait.Service + " " + s.Wait.State
		default:
			what = "edit files"
		}
	}
	return fmt.Sprintf("step %d (%s)", i+1, what)
}
