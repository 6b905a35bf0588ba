package engine

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/perryts/perry-container/core"
)

// The files the engine writes (secrets, configs, seccomp profiles) hold
// secrets, so they live in a directory private to the project: mode 0700,
// an unpredictable name (never a fixed $TMPDIR path another user could
// create first or read), found again through the label of the containers
// that mount them, and removed by Down or by the rollback of the Up that
// made it.

// resourceStateDir is a recorder item: a state directory an Up made.
const resourceStateDir ResourceKind = "state-dir"

// stateDirPattern names a project's state directory (os.MkdirTemp adds a
// random suffix).
func stateDirPattern(project string) string { return "perry-compose-" + project + "-" }

// stateRoot is where state directories are made: WithStateDir's, else the
// system's temporary directory.
func (e *Engine) stateRoot() string {
	if e.stateDir != "" {
		return e.stateDir
	}
	return os.TempDir()
}

// ownStateDir reports whether dir, read from a container's label, is one
// of this project's state directories: directly under the root, named for
// the project, a real directory (no symlink) that only its owner can use.
func (e *Engine) ownStateDir(project, dir string) bool {
	if dir == "" || filepath.Dir(dir) != filepath.Clean(e.stateRoot()) ||
		!strings.HasPrefix(filepath.Base(dir), stateDirPattern(project)) {
		return false
	}
	fi, err := os.Lstat(dir)
	return err == nil && fi.IsDir() && fi.Mode().Perm() == 0o700
}

// useStateDir sets m.stateDir when services have files to write: the
// directory the project's containers already use, else a new one, which
// rec notes so that a failed Up removes it again.
func (e *Engine) useStateDir(m *model, services []string, containers []observedContainer, rec *recorder) error {
	if !m.writesFiles(services) {
		return nil
	}
	for _, c := range containers {
		if dir := c.Labels[LabelStateDir]; e.ownStateDir(m.name, dir) {
			m.stateDir = dir
			return nil
		}
	}
	root := e.stateRoot()
	if err := os.MkdirAll(root, 0o700); err != nil {
		return core.Errorf(core.KindInternal, "creating the state directory under %s: %v", root, err)
	}
	dir, err := os.MkdirTemp(root, stateDirPattern(m.name))
	if err != nil {
		return core.Errorf(core.KindInternal, "creating the state directory of project %q: %v", m.name, err)
	}
	m.stateDir = dir
	rec.add(created{kind: resourceStateDir, id: dir, name: dir})
	return nil
}

// writesFiles reports whether any of services has a file to write.
func (m *model) writesFiles(services []string) bool {
	for _, name := range services {
		for _, f := range m.services[name].files {
			if f.write != nil && !f.copied {
				return true
			}
		}
	}
	return false
}

// filePath is where f is on the host.
func (m *model) filePath(f fileMount) string {
	if f.write == nil {
		return f.hostPath
	}
	return filepath.Join(m.stateDir, f.rel)
}

// removeStateDirs removes, after a Down removed the containers, the state
// directories they used, unless a container Down keeps (a disabled
// service's, an orphan without RemoveOrphans) or one still there after a
// partial Down (remaining) uses one too.
func (e *Engine) removeStateDirs(m *model, containers, remaining []observedContainer, orphansRemoved bool) {
	used, kept := map[string]bool{}, map[string]bool{}
	for _, c := range remaining { // still mounted
		if dir := c.Labels[LabelStateDir]; dir != "" {
			kept[dir] = true
		}
	}
	for _, c := range containers {
		dir := c.Labels[LabelStateDir]
		if dir == "" {
			continue
		}
		_, inProject := m.services[c.service]
		if inProject || orphansRemoved && !m.disabled[c.service] {
			used[dir] = true
		} else {
			kept[dir] = true
		}
	}
	for dir := range used {
		if !kept[dir] && e.ownStateDir(m.name, dir) {
			_ = os.RemoveAll(dir) // best effort: the containers are gone either way
		}
	}
}
