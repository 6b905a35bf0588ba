package backend

import (
	"archive/tar"
	"bytes"
	"io"
	"io/fs"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/perryts/perry-container/core"
)

// Feature: perry-container, WriteFiles archive round trip
//
// Every set of valid files comes out of FilesArchive as a tar a
// runtime extracts at "/" into exactly those files: the path (relative to
// the root), content, permission bits and numeric owner drawn, in order,
// and nothing else.
func TestPropertyFilesTarRoundTrip(t *testing.T) {
	segment := rapid.StringMatching(`[a-zA-Z0-9 ._é-]{1,12}`).Filter(func(s string) bool { return s != "." && s != ".." })
	rapid.Check(t, func(t *rapid.T) {
		var files []File
		for range rapid.IntRange(0, 4).Draw(t, "files") {
			files = append(files, File{
				Path:    "/" + strings.Join(rapid.SliceOfN(segment, 1, 4).Draw(t, "segments"), "/"),
				Content: rapid.SliceOfN(rapid.Byte(), 0, 64).Draw(t, "content"),
				Mode:    fs.FileMode(rapid.IntRange(0, 0o777).Draw(t, "mode")),
				UID:     rapid.IntRange(0, 1<<20).Draw(t, "uid"),
				GID:     rapid.IntRange(0, 1<<20).Draw(t, "gid"),
			})
		}
		buf, err := FilesArchive(files)
		if err != nil {
			t.Fatalf("FilesArchive refused valid files: %v", err)
		}
		tr := tar.NewReader(buf)
		for i, f := range files {
			h, err := tr.Next()
			if err != nil {
				t.Fatalf("entry %d: %v", i, err)
			}
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			if got := "/" + h.Name; got != f.Path || h.Typeflag != tar.TypeReg || !bytes.Equal(data, f.Content) ||
				fs.FileMode(h.Mode) != f.Mode || h.Uid != f.UID || h.Gid != f.GID {
				t.Fatalf("entry %d: %s %c %o %d:%d %q, want %+v", i, got, h.Typeflag, h.Mode, h.Uid, h.Gid, data, f)
			}
		}
		if _, err := tr.Next(); err != io.EOF {
			t.Fatalf("after the files: %v, want the end of the archive", err)
		}
		if want := len(files) > 0 && (files[0].UID != 0 || files[0].GID != 0); want && !KeepsOwners(files) {
			t.Fatalf("KeepsOwners false for an owner %d:%d", files[0].UID, files[0].GID)
		}
	})
}

func TestCheckFilesRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		file File
	}{
		{"a relative path", File{Path: "run/secrets/x"}},
		{"the root", File{Path: "/"}},
		{"a path to clean", File{Path: "/run/../etc/x"}},
		{"a trailing slash", File{Path: "/run/secrets/"}},
		{"a NUL", File{Path: "/run/x\x00y"}},
		{"more than permission bits", File{Path: "/x", Mode: fs.ModeSetuid | 0o755}},
		{"a negative owner", File{Path: "/x", UID: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := CheckFiles([]File{{Path: "/ok"}, tc.file}); core.KindOf(err) != core.KindInvalidArgument {
				t.Fatalf("CheckFiles(%+v) = %v, want InvalidArgument", tc.file, err)
			}
			if buf, err := FilesArchive([]File{{Path: "/ok"}, tc.file}); core.KindOf(err) != core.KindInvalidArgument || buf != nil {
				t.Fatalf("FilesArchive(%+v) = %v, want InvalidArgument and no archive", tc.file, err)
			}
		})
	}
	if KeepsOwners([]File{{Path: "/a"}, {Path: "/b"}}) {
		t.Fatal("KeepsOwners for files all root's")
	}
	if s := (File{Path: "/run/secrets/k", Content: []byte("s3cret")}).String(); strings.Contains(s, "s3cret") {
		t.Fatalf("a File prints its content: %q", s)
	}
}
