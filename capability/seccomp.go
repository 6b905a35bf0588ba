package capability

import (
	"os"
	"path/filepath"

	"github.com/perryts/perry-container/capability/seccomp"
)

// SeccompProfile returns (a copy of) the seccomp profile of every
// capability container: seccomp.Profile, documented there.
func SeccompProfile() []byte { return seccomp.Profile() }

// writeSeccompProfile writes the profile to a private temporary file: the
// Docker-compatible CLIs read a profile from a path (client-side, so this
// also works with a remote engine), and the API backend inlines the file.
// The file is needed only until the container is created.
func writeSeccompProfile() (path string, cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "perry-seccomp-")
	if err != nil {
		return "", nil, err
	}
	cleanup = func() { _ = os.RemoveAll(dir) }
	path = filepath.Join(dir, "seccomp.json")
	if err := os.WriteFile(path, seccomp.Profile(), 0o600); err != nil {
		cleanup()
		return "", nil, err
	}
	return path, cleanup, nil
}
