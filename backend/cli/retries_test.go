package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
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

// TestCreateNetworkRetriesWhenInterfacesChanged: podman reads the host's
// interfaces to pick a free subnet, and one that came or went meanwhile
// fails the create before anything exists; the create is tried again. Any
// other failure is not.
func TestCreateNetworkRetriesWhenInterfacesChanged(t *testing.T) {
	raced := reply{stderr: "Error: route ip+net: no such network interface", exit: 125}
	t.Run("interfaces changed", func(t *testing.T) {
		f := newFakeCLI(t, "podman").on("1", raced).on("2", raced)
		if err := Docker("podman", f.bin).CreateNetwork(t.Context(), "n1", core.NetworkConfig{}); err != nil {
			t.Fatalf("CreateNetwork after two races: %v", err)
		}
		if n := len(f.calls()); n != 3 {
			t.Fatalf("%d calls, want 3 (two raced, one created)", n)
		}
	})
	t.Run("gives up", func(t *testing.T) {
		f := newFakeCLI(t, "podman").on("default", raced)
		err := Docker("podman", f.bin).CreateNetwork(t.Context(), "n1", core.NetworkConfig{})
		if !backend.InterfacesChanged(err) {
			t.Fatalf("err %v, want the runtime's message", err)
		}
		if n := len(f.calls()); n != 1+backend.CreateRetries {
			t.Fatalf("%d calls, want %d", n, 1+backend.CreateRetries)
		}
	})
	t.Run("other failure", func(t *testing.T) {
		f := newFakeCLI(t, "podman").on("default", reply{stderr: "Error: network name n1 already used", exit: 125})
		if err := Docker("podman", f.bin).CreateNetwork(t.Context(), "n1", core.NetworkConfig{}); err == nil {
			t.Fatal("CreateNetwork succeeded on a failing CLI")
		}
		if n := len(f.calls()); n != 1 {
			t.Fatalf("%d calls, want 1", n)
		}
	})
}
