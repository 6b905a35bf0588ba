package loader

import (
	"fmt"
	"io"
	"strings"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/docker/cli/pkg/kvfile"
)

// env_file entries with `format: raw` are read as `docker run --env-file`
// reads them: KEY=VALUE lines taken literally (no quotes removed, no
// interpolation), a bare KEY taken from the environment. compose-go knows
// only the dotenv format and leaves others to the tool that loads projects;
// docker compose registers the same parser under the same name.
func init() {
	dotenv.RegisterFormat("raw", rawEnv)
}

func rawEnv(r io.Reader, filename string, vars map[string]string, lookup func(string) (string, bool)) error {
	lines, err := kvfile.ParseFromReader(r, lookup)
	if err != nil {
		return fmt.Errorf("failed to parse env_file %s: %w", filename, err)
	}
	for _, line := range lines {
		key, value, _ := strings.Cut(line, "=")
		vars[key] = value
	}
	return nil
}
