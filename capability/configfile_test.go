package capability

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perryts/perry-container/core"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), ConfigFileName)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadConfig(t *testing.T) {
	p := writeConfig(t, `
[project]
name = "ignored: Perry's own table"

[shellCapabilities.git-log]
command = ["git", "log", "--oneline"]
grants = { network = false, memoryBytes = 134217728, timeoutMs = 30000 }

[shellCapabilityImages.git-log]
image = "registry.example.com/tools/git:2.45"
identityRegex = "https://github\\.com/example/.*"
issuer = "https://token.actions.githubusercontent.com"
`)
	c, err := LoadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	req, err := c.Request("git-log", "-n", "3")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(req.Cmd, " ") != "git log --oneline -n 3" || req.Grants.MemoryBytes != 134217728 || req.Grants.TimeoutMs != 30000 {
		t.Fatalf("request: %+v", req)
	}
	if req.Image != "registry.example.com/tools/git:2.45" || req.Policy == nil || req.Policy.Issuer != "https://token.actions.githubusercontent.com" {
		t.Fatalf("override: %+v", req)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"typo in a grant", "[shellCapabilities.x]\ncommand = [\"ls\"]\ngrants = { netwrok = true }\n", `unknown key "shellCapabilities.x.grants.netwrok"`},
		{"not TOML", "[shellCapabilities\n", "perryconfig.toml"},
		{"wrong type", "[shellCapabilities.x]\ncommand = \"ls\"\n", "command"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadConfig(writeConfig(t, tc.body))
			if core.KindOf(err) != core.KindInvalidConfig || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want InvalidConfig containing %q", err, tc.want)
			}
		})
	}
	if _, err := LoadConfig(filepath.Join(t.TempDir(), "none.toml")); core.KindOf(err) != core.KindNotFound {
		t.Fatalf("missing file: %v", err)
	}
}

func TestFindConfig(t *testing.T) {
	p := writeConfig(t, "[shellCapabilities.hello]\ncommand = [\"echo\", \"hi\"]\n")
	t.Setenv(EnvConfig, p)
	c, err := FindConfig()
	if err != nil || len(c.ShellCapabilities) != 1 {
		t.Fatalf("FindConfig via %s: %+v %v", EnvConfig, c, err)
	}
	t.Setenv(EnvConfig, "")
	t.Chdir(t.TempDir())
	if c, err := FindConfig(); err != nil || len(c.ShellCapabilities) != 0 {
		t.Fatalf("no config: %+v %v", c, err)
	}
}
