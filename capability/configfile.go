package capability

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/perryts/perry-container/core"
)

// ConfigFileName is the file Perry projects keep their settings in.
const ConfigFileName = "perryconfig.toml"

// EnvConfig names the environment variable that points at the config file.
const EnvConfig = "PERRY_CONFIG"

// LoadConfig reads the shell-capability tables of a perryconfig.toml.
// Unknown keys inside those tables are rejected (a typo must not silently
// drop a grant); other top-level tables belong to Perry and are ignored.
func LoadConfig(path string) (Config, error) {
	var c Config
	md, err := toml.DecodeFile(path, &c)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Config{}, core.NotFound("config file", path)
		}
		return Config{}, core.Errorf(core.KindInvalidConfig, "%s: %v", path, err).With("file", path)
	}
	for _, k := range md.Undecoded() {
		if len(k) > 0 && (k[0] == "shellCapabilities" || k[0] == "shellCapabilityImages") {
			return Config{}, core.Errorf(core.KindInvalidConfig, "%s: unknown key %q", path, k.String()).With("file", path).With("key", k.String())
		}
	}
	return c, nil
}

// FindConfig loads $PERRY_CONFIG, else ./perryconfig.toml; with neither,
// it returns an empty Config (no capability configured) and no error.
func FindConfig() (Config, error) {
	if p := strings.TrimSpace(os.Getenv(EnvConfig)); p != "" {
		return LoadConfig(p)
	}
	wd, err := os.Getwd()
	if err != nil {
		return Config{}, nil
	}
	p := filepath.Join(wd, ConfigFileName)
	if _, err := os.Stat(p); err != nil {
		return Config{}, nil
	}
	return LoadConfig(p)
}
