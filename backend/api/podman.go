package api

import (
	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// What podman's Docker-compatible API answers differently from Docker's,
// measured on podman 4.3 (tests/runtimes): image names come with their
// registry ("docker.io/library/x", and "localhost/x" for an image loaded
// or built without one). They are shown as Docker shows them.

func (b *Backend) podman() bool { return b.name == "podman" }

// fixContainer normalises a container's image name.
func (b *Backend) fixContainer(info *core.ContainerInfo) {
	if b.podman() && info.Image != "" {
		info.Image = backend.FamiliarImage(info.Image, true)
	}
}

// fixImage normalises an image's repository.
func (b *Backend) fixImage(img *core.ImageInfo) {
	if b.podman() && img.Repository != "" && img.Repository != "<none>" {
		img.Repository = backend.FamiliarImage(img.Repository, true)
	}
}
