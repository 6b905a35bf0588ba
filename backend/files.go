package backend

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/perryts/perry-container/core"
)

// FileWriter writes files into a container's filesystem between its
// create and its start, as docker compose gives a service the configs and
// secrets whose content is inline or comes from the environment: the file
// is the container's own, with the mode and owner asked for, and nothing
// is left on the host. A runtime that cannot (its Supports says no to
// FeatureWriteFiles) returns Unsupported.
type FileWriter interface {
	WriteFiles(ctx context.Context, id string, files []File) error
}

// FeatureWriteFiles is WriteFiles: the Engine API's archive upload, or a
// CLI's `cp -` of a tar read from stdin (docker, podman; nerdctl reads no
// tar from stdin, apple/container has no cp).
const FeatureWriteFiles = "write_files"

// File is a regular file WriteFiles writes.
type File struct {
	// Path is where, absolute in the container. Missing directories on
	// the way are created by the runtime (owned by root, mode 0755).
	Path    string
	Content []byte
	// Mode is the file's permission bits.
	Mode fs.FileMode
	// UID and GID own the file, as numbers inside the container.
	UID, GID int
}

// String names the file without its content, which may be a secret.
func (f File) String() string { return f.Path }

// CheckFiles validates files for WriteFiles.
func CheckFiles(files []File) error {
	for _, f := range files {
		switch {
		case !strings.HasPrefix(f.Path, "/") || path.Clean(f.Path) != f.Path || f.Path == "/":
			return core.InvalidArgument("path", "%q is not a clean absolute file path", f.Path)
		case strings.ContainsRune(f.Path, 0):
			return core.InvalidArgument("path", "must not contain NUL")
		case f.Mode&^fs.ModePerm != 0:
			return core.InvalidArgument("mode", "%s of %s is more than permission bits", f.Mode, f.Path)
		case f.UID < 0 || f.GID < 0:
			return core.InvalidArgument("owner", "%d:%d of %s is negative", f.UID, f.GID, f.Path)
		}
	}
	return nil
}

// FilesArchive checks files and returns them as the tar archive a runtime
// extracts at "/", what every WriteFiles that uploads one sends.
func FilesArchive(files []File) (*bytes.Buffer, error) {
	if err := CheckFiles(files); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := filesTar(&buf, files); err != nil {
		return nil, core.Errorf(core.KindInternal, "archiving the files: %v", err)
	}
	return &buf, nil
}

// filesTar writes files as the tar archive a runtime extracts at "/".
func filesTar(w io.Writer, files []File) error {
	tw := tar.NewWriter(w)
	now := time.Now()
	for _, f := range files {
		h := &tar.Header{Typeflag: tar.TypeReg, Name: strings.TrimPrefix(f.Path, "/"), Size: int64(len(f.Content)),
			Mode: int64(f.Mode.Perm()), Uid: f.UID, Gid: f.GID, ModTime: now, Format: tar.FormatPAX}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := tw.Write(f.Content); err != nil {
			return err
		}
	}
	return tw.Close()
}

// KeepsOwners reports whether files need the runtime to keep the
// archive's owners (the Engine API's copyUIDGID, `cp -a`): without it the
// files are the container's root's, which is what an owner 0:0 asks for.
func KeepsOwners(files []File) bool {
	for _, f := range files {
		if f.UID != 0 || f.GID != 0 {
			return true
		}
	}
	return false
}
