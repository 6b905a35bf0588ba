package api

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func tarOf(t *testing.T, entries ...*tar.Header) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range entries {
		body := []byte(h.Linkname)
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(h.Name))
			body = []byte(h.Name)
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			_, _ = tw.Write(body)
		}
	}
	_ = tw.Close()
	return &buf
}

func TestExtractTarRenamesTheRootAndStaysInside(t *testing.T) {
	dir := t.TempDir()
	in := tarOf(t, &tar.Header{Name: "src/", Typeflag: tar.TypeDir, Mode: 0o755},
		&tar.Header{Name: "src/a.txt", Typeflag: tar.TypeReg, Mode: 0o644})
	if err := extractTar(in, dir, "src", "dst", false); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(filepath.Join(dir, "dst", "a.txt")); err != nil || string(data) != "src/a.txt" {
		t.Fatalf("renamed root: %q %v", data, err)
	}
	// An entry leaving the destination, directly or through a symlink it
	// planted, fails and writes nothing outside.
	outside := t.TempDir()
	for _, entries := range [][]*tar.Header{
		{{Name: "../escape.txt", Typeflag: tar.TypeReg, Mode: 0o644}},
		{{Name: "link", Typeflag: tar.TypeSymlink, Linkname: outside}, {Name: "link/escape.txt", Typeflag: tar.TypeReg, Mode: 0o644}},
	} {
		if err := extractTar(tarOf(t, entries...), dir, "", "", false); err == nil {
			t.Errorf("%s: extracted", entries[len(entries)-1].Name)
		}
	}
	if _, err := os.Stat(filepath.Join(outside, "escape.txt")); err == nil {
		t.Fatal("a file was written outside the destination")
	}
}

func TestWriteTarNamesTheRoot(t *testing.T) {
	src := filepath.Join(t.TempDir(), "d")
	if err := os.MkdirAll(filepath.Join(src, "s"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "s", "f"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := writeTar(&buf, src, "new"); err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(&buf)
	var names []string
	for h, err := tr.Next(); err == nil; h, err = tr.Next() {
		names = append(names, h.Name)
	}
	if want := "new/ new/s/ new/s/f"; fmtNames(names) != want {
		t.Fatalf("names %q, want %s", names, want)
	}
}

func fmtNames(n []string) string {
	out := ""
	for i, s := range n {
		if i > 0 {
			out += " "
		}
		out += s
	}
	return out
}
