package api

import (
	"context"
	"strings"

	"github.com/moby/moby/client"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// What podman's Docker-compatible API answers differently from Docker's,
// measured on podman 4.3 (tests/runtimes): image names come with their
// registry ("docker.io/library/x", and "localhost/x" for an image loaded
// or built without one). They are shown as Docker shows them.

func (b *Backend) podman() bool { return b.name == "podman" }

// podmanRefuses is the InvalidArgument for a field podman's
// Docker-compatible API would take and then drop or get wrong: what, when
// set, says what compose calls it; why, when set, what podman would do.
func (b *Backend) podmanRefuses(field, what, why string) error {
	msg := "field " + field
	if what != "" {
		msg += " (" + what + ")"
	}
	msg += " is not supported by " + b.name + " through its Docker-compatible API"
	if why != "" {
		msg += ", which " + why
	}
	return core.Errorf(core.KindInvalidArgument, "%s", msg).With("field", field).With("backend", b.name)
}

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

// followsFinished reports whether a follow of container id must read its
// log whole instead: podman 4's follow of a container that has exited
// (k8s-file log driver) stops at some point of a long log, losing the rest
// (a 100,000-line log arrived with 13,000 to 50,000 of its lines, some out
// of order), through its API as through `podman logs -f`, where the log
// read without following is complete. Neither the stream's framing nor a
// since/tail default is at fault: the same request without follow=1
// returns every frame. A finished container's log is complete, so nothing
// is lost by not following it. Docker is never asked (no extra inspect).
func (b *Backend) followsFinished(ctx context.Context, id string) bool {
	if !b.podman() {
		return false
	}
	res, err := b.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil || res.Container.State == nil {
		return false // the logs request reports a missing container
	}
	s := res.Container.State.Status
	return s == "exited" || s == "dead"
}

// podmanNotRunning is podman's refusal of an exec in a container that is
// not running, which its API answers with status 500 where Docker's
// answers 409 ("Container x is not running").
const podmanNotRunning = "can only create exec sessions on running containers"

// fixExecError gives podman's refusal of an exec in a stopped container
// the conflict Docker's 409 carries (engineError), so callers see one error.
func (b *Backend) fixExecError(err error, id string) error {
	e, ok := err.(*core.Error)
	if !ok || !b.podman() || e.Kind != core.KindBackendError || !strings.Contains(e.Message, podmanNotRunning) {
		return err
	}
	if _, set := e.Details["conflict"]; set {
		return e
	}
	return e.With("conflict", id)
}
