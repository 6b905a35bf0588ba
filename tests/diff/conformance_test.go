package diff

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// conformanceScenarios turns the repository's compose-spec conformance
// projects into config scenarios: each awesome-compose project's `config`,
// and each merge case's `-f base.yaml -f override.yaml config`, compared
// with docker compose's output. Together with the config scenarios they
// measure how often the two tools render the same model.
func conformanceScenarios(root string) ([]scenario, error) {
	var out []scenario
	add := func(kind, dir, cmd string) error {
		files := map[string]string{}
		err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			files[filepath.ToSlash(rel)] = string(data)
			return nil
		})
		if err != nil {
			return err
		}
		name := kind + "-" + strings.ToLower(filepath.Base(dir))
		out = append(out, scenario{
			Name:       nonName.ReplaceAllString(name, "-"),
			Intent:     "config must render the conformance project " + filepath.Base(dir) + " as docker compose does",
			Files:      files,
			Steps:      []step{{Cmd: cmd, Check: []string{"exit", "stdout"}}},
			file:       "conformance",
			configOnly: true,
		})
		return nil
	}
	projects, err := filepath.Glob(filepath.Join(root, "projects", "awesome-compose", "*", "compose.yaml"))
	if err != nil {
		return nil, err
	}
	for _, p := range projects {
		if err := add("conf", filepath.Dir(p), "config"); err != nil {
			return nil, err
		}
	}
	merges, err := filepath.Glob(filepath.Join(root, "merge", "*", "override.yaml"))
	if err != nil {
		return nil, err
	}
	for _, m := range merges {
		if err := add("merge", filepath.Dir(m), "-f base.yaml -f override.yaml config"); err != nil {
			return nil, err
		}
	}
	return out, nil
}

var nonName = regexp.MustCompile(`[^a-z0-9-]+`)
