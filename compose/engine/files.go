package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// fileMount is a secret or config mounted read-only into a container, or
// a seccomp profile given inline in security_opt. Runtimes outside swarm
// have no secret store, so, as docker compose does, the engine bind-mounts
// a host file: the user's own file when it can be used as is, otherwise a
// file it writes in the project's private state directory (inline content,
// an environment variable, or a file whose mode/uid/gid must change). The
// target path is /run/secrets/<name> for secrets. A runtime CLI reads a
// seccomp profile from a file only, hence the file for an inline one.
//
// Inline and environment content is rather written into the container at
// its start, as docker compose does, where the runtime can (copyFiles).
type fileMount struct {
	kind     string // "secret" | "config" | "seccomp"
	name     string
	target   string // secret, config: where it is mounted
	opt      int    // seccomp: its index in security_opt
	hostPath string // the user's own file, bound as is
	// rel is the path of the file written inside the state directory, and
	// write what to write there; nil binds hostPath.
	rel   string
	write *fileWrite
	// copied: the runtime writes the file into the container (copyFiles);
	// nothing is bound or written on the host.
	copied bool
}

// inlineSeccomp lists the security_opt entries "seccomp=<JSON document>"
// of s (the workload tiers give their profile so, which keeps the config
// hash a function of the profile's content, not of a path).
func inlineSeccomp(s *service) []fileMount {
	var out []fileMount
	for i, o := range s.cfg.SecurityOpt {
		if v, ok := core.InlineSeccomp(o); ok {
			out = append(out, fileMount{kind: "seccomp", name: "profile", opt: i,
				rel: filepath.Join(s.name, "seccomp", strconv.Itoa(i)+".json"), write: &fileWrite{content: &v, mode: 0o600}})
		}
	}
	return out
}

type fileWrite struct {
	content    *string // inline or environment content
	sourceFile string  // or copy this file
	mode       os.FileMode
	uid, gid   string
}

func convertFiles(p *types.Project, s *service) ([]fileMount, error) {
	var out []fileMount
	// add mounts one secret or config; a relative target is under dir.
	add := func(kind, dir string, i int, ref types.FileReferenceConfig, def types.FileObjectConfig, defined bool) error {
		if !defined {
			return serviceError(core.KindInvalidConfig, s.name, nil, "service %q refers to undefined %s %q", s.name, kind, ref.Source)
		}
		target := ref.Target
		if target == "" {
			target = ref.Source
		}
		if !filepath.IsAbs(target) {
			target = dir + target
		}
		f, err := fileSource(p, s, kind, i, ref, def, target)
		out = append(out, f)
		return err
	}
	for i, ref := range s.cfg.Secrets {
		def, ok := p.Secrets[ref.Source]
		if err := add("secret", "/run/secrets/", i, types.FileReferenceConfig(ref), types.FileObjectConfig(def), ok); err != nil {
			return nil, err
		}
	}
	for i, ref := range s.cfg.Configs {
		def, ok := p.Configs[ref.Source]
		if err := add("config", "/", i, types.FileReferenceConfig(ref), types.FileObjectConfig(def), ok); err != nil {
			return nil, err
		}
	}
	return append(out, inlineSeccomp(s)...), nil
}

func fileSource(p *types.Project, s *service, kind string, i int, ref types.FileReferenceConfig, def types.FileObjectConfig, target string) (fileMount, error) {
	field := fmt.Sprintf("%ss[%d].", kind, i)
	if err := checkKeys(field, ref, fileRefKeys, nil, nil); err != nil {
		return fileMount{}, err
	}
	if def.External {
		return fileMount{}, unsupported(fmt.Sprintf("%ss.%s.external (swarm-only)", kind, ref.Source))
	}
	if def.Driver != "" || def.TemplateDriver != "" {
		return fileMount{}, unsupported(fmt.Sprintf("%ss.%s.driver", kind, ref.Source))
	}
	f := fileMount{kind: kind, name: ref.Source, target: target}
	w := &fileWrite{mode: 0o444, uid: ref.UID, gid: ref.GID}
	if ref.Mode != nil {
		w.mode = os.FileMode(*ref.Mode)
	}
	switch {
	case def.Content != "":
		c := def.Content
		w.content = &c
	case def.Environment != "":
		v, ok := p.Environment[def.Environment]
		if !ok {
			return fileMount{}, serviceError(core.KindInvalidConfig, s.name, nil,
				"%s %q: environment variable %q is not set", kind, ref.Source, def.Environment)
		}
		w.content = &v
	case def.File != "":
		file := def.File
		if !filepath.IsAbs(file) {
			file = filepath.Join(p.WorkingDir, file)
		}
		if ref.Mode == nil && ref.UID == "" && ref.GID == "" {
			f.hostPath = file
			return f, nil
		}
		w.sourceFile = file
	default:
		return fileMount{}, serviceError(core.KindInvalidConfig, s.name, nil, "%s %q has no file, environment or content", kind, ref.Source)
	}
	f.rel, f.write = filepath.Join(s.name, kind+"s", strconv.Itoa(i)+"-"+ref.Source), w
	return f, nil
}

// copyFiles marks the secrets and configs of s with inline or environment
// content as copied into its containers, and returns them as the runtime
// writes them: the mode, and the owner even on a rootless host, where a
// bound file could not be chowned. A read-only service keeps them bound
// (docker compose refuses the service: the copy fails on a read-only
// root).
func copyFiles(s *service) ([]backend.File, error) {
	if s.cfg.ReadOnly {
		return nil, nil
	}
	var out []backend.File
	for i := range s.files {
		f := &s.files[i]
		if f.kind == "seccomp" || f.write == nil || f.write.content == nil {
			continue
		}
		uid, err := fileOwner(s, f, "uid", f.write.uid)
		if err != nil {
			return nil, err
		}
		gid, err := fileOwner(s, f, "gid", f.write.gid)
		if err != nil {
			return nil, err
		}
		f.copied = true
		out = append(out, backend.File{Path: f.target, Content: []byte(*f.write.content), Mode: f.write.mode.Perm(), UID: uid, GID: gid})
	}
	return out, nil
}

// fileOwner is the uid or gid (field) a secret or config asks for, 0 when
// it asks for none.
func fileOwner(s *service, f *fileMount, field, v string) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, serviceError(core.KindInvalidConfig, s.name, nil, "service %q: %s %q: %s %q is not a number", s.name, f.kind, f.name, field, v)
	}
	return n, nil
}

// bindFiles has the containers of s bind the files copyFiles marked: for
// a container the caller starts itself, with its stdin and terminal
// attached in the same step.
func (s *service) bindFiles() {
	for i := range s.files {
		s.files[i].copied = false
	}
	s.copies = nil
}

// writeFiles writes the generated files of services into m's state
// directory.
func writeFiles(m *model, services []string) error {
	for _, name := range services {
		for _, f := range m.services[name].files {
			if f.write == nil || f.copied {
				continue
			}
			if err := f.write.writeTo(m.filePath(f)); err != nil {
				return serviceError(core.KindInternal, name, err, "service %q: writing %s %q: %v", name, f.kind, f.name, err)
			}
		}
	}
	return nil
}

func (w *fileWrite) writeTo(path string) error {
	var data []byte
	if w.content != nil {
		data = []byte(*w.content)
	} else {
		b, err := os.ReadFile(w.sourceFile)
		if err != nil {
			return err
		}
		data = b
	}
	// The directory is private to us; the file itself must be readable by
	// whatever user the container runs as, through the bind mount.
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	if err := os.Chmod(tmp, w.mode); err != nil {
		return err
	}
	if w.uid != "" || w.gid != "" {
		uid, gid := -1, -1
		var err error
		if w.uid != "" {
			if uid, err = strconv.Atoi(w.uid); err != nil {
				return fmt.Errorf("uid %q: %w", w.uid, err)
			}
		}
		if w.gid != "" {
			if gid, err = strconv.Atoi(w.gid); err != nil {
				return fmt.Errorf("gid %q: %w", w.gid, err)
			}
		}
		if err := os.Lchown(tmp, uid, gid); err != nil {
			return err
		}
	}
	return os.Rename(tmp, path)
}
