package cli

import (
	"os"
	"path/filepath"
	"testing"
)

// TestListImagesRetriesAnImageRemovedMeanwhile: podman lists image ids and
// then reads each image, so one removed in between by another process fails
// the list with "image not known"; the list is taken again.
func TestListImagesRetriesAnImageRemovedMeanwhile(t *testing.T) {
	images, err := os.ReadFile(filepath.Join("testdata", "live-podman-images.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "images.json"), images, 0o644); err != nil {
		t.Fatal(err)
	}
	// The first call fails as podman does when an image goes away mid-list.
	script := `#!/bin/sh
d=$(dirname "$0")
if [ ! -e "$d/failed" ]; then
  : > "$d/failed"
  echo 'Error: reading image "8716c5b7": locating image with ID "8716c5b7": image not known' >&2
  exit 125
fi
cat "$d/images.json"
`
	bin := filepath.Join(dir, "podman")
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := Docker("podman", bin).ListImages(t.Context())
	if err != nil {
		t.Fatalf("ListImages after one 'image not known': %v", err)
	}
	if len(got) == 0 {
		t.Fatal("ListImages listed nothing")
	}
	if _, err := os.Stat(filepath.Join(dir, "failed")); err != nil {
		t.Fatal("the failing first call never ran")
	}
}
