package diff

import (
	"fmt"
	"os"
	"path"
	"regexp"
	"strings"
	"sync"

	"go.yaml.in/yaml/v4"
)

// A difference is a divergence from docker compose that perry-compose
// keeps on purpose, or one whose fix belongs to another layer and is
// tracked: every entry says why. A divergence matches an entry when the
// scenario name matches Scenario (a path.Match pattern), the step matches
// (0: any) and the divergence's path starts with Path, whose segments
// may use "*" ("state.containers[*].labels[com.docker.compose.replace]").
type difference struct {
	Scenario string `yaml:"scenario"`
	Step     int    `yaml:"step"`
	Path     string `yaml:"path"`
	Reason   string `yaml:"reason"`
	// Layer is where a fix would go when the difference is not deliberate
	// (engine, loader, cli); empty for deliberate ones.
	Layer string `yaml:"layer"`
	used  bool
}

type differences struct {
	mu      sync.Mutex
	entries []*difference
}

func loadDifferences(file string) (*differences, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var list []*difference
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&list); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	for i, d := range list {
		if d.Scenario == "" || d.Path == "" || strings.TrimSpace(d.Reason) == "" {
			return nil, fmt.Errorf("%s: entry %d needs scenario, path and reason", file, i+1)
		}
		if _, err := path.Match(d.Scenario, ""); err != nil {
			return nil, fmt.Errorf("%s: entry %d: scenario pattern %q: %w", file, i+1, d.Scenario, err)
		}
	}
	return &differences{entries: list}, nil
}

// allowed reports the entry that lists the divergence, if any.
func (ds *differences) allowed(scenario string, stepNo int, p string) *difference {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	for _, d := range ds.entries {
		if ok, _ := path.Match(d.Scenario, scenario); !ok {
			continue
		}
		if d.Step != 0 && d.Step != stepNo {
			continue
		}
		if !pathHasPrefix(p, d.Path) {
			continue
		}
		d.used = true
		return d
	}
	return nil
}

// pathHasPrefix matches the dotted path p against the pattern's segments:
// each pattern segment matches one segment of p, "*" standing for any run
// of characters (brackets are literal: "containers[*]"); p may go on after
// the pattern ends, unless the pattern ends with "$".
func pathHasPrefix(p, pattern string) bool {
	exact := strings.HasSuffix(pattern, "$")
	pattern = strings.TrimSuffix(pattern, "$")
	ps := splitPath(p)
	pat := splitPath(pattern)
	if len(pat) > len(ps) || (exact && len(pat) != len(ps)) {
		return false
	}
	for i, seg := range pat {
		if !glob(seg, ps[i]) {
			return false
		}
	}
	return true
}

// glob matches s against a pattern where only "*" is special.
func glob(pattern, s string) bool {
	re := "^" + strings.ReplaceAll(regexp.QuoteMeta(pattern), `\*`, ".*") + "$"
	ok, _ := regexp.MatchString(re, s)
	return ok
}

// splitPath splits a divergence path on dots, keeping dotted label keys
// in brackets ("labels[com.docker.compose.version]") whole.
func splitPath(p string) []string {
	var out []string
	depth := 0
	start := 0
	for i, r := range p {
		switch r {
		case '[':
			depth++
		case ']':
			depth--
		case '.':
			if depth == 0 {
				out = append(out, p[start:i])
				start = i + 1
			}
		}
	}
	return append(out, p[start:])
}

// unused lists the entries no divergence matched.
func (ds *differences) unused() []*difference {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	var out []*difference
	for _, d := range ds.entries {
		if !d.used {
			out = append(out, d)
		}
	}
	return out
}
