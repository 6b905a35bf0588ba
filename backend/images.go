package backend

import (
	"strings"

	"github.com/perryts/perry-container/backend/imageref"
)

// FamiliarImage writes an image name the way docker's CLI shows it:
// "busybox:latest", not "docker.io/library/busybox:latest" as nerdctl and
// podman write it. podman also files an image that was loaded or built
// without a registry under "localhost/", which docker shows without: pass
// podman to drop it. Text that is not a reference is returned as is.
func FamiliarImage(name string, podman bool) string {
	if podman {
		if rest, ok := strings.CutPrefix(name, "localhost/"); ok && rest != "" {
			name = rest
		}
	}
	return imageref.Familiar(name)
}

// ImageID writes an image id as docker does, "sha256:<hex>": podman (its
// CLI and its Docker-compatible API) gives the 64 hex digits alone. Any
// other text is returned as is.
func ImageID(id string) string {
	if len(id) == 64 && strings.Trim(id, "0123456789abcdef") == "" {
		return "sha256:" + id
	}
	return id
}
