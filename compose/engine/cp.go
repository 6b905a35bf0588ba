package engine

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// Progress statuses of cp.
const (
	StatusCopying EventStatus = "Copying"
	StatusCopied  EventStatus = "Copied"
)

// CopyOptions tune Copy.
type CopyOptions struct {
	// Index is the replica (from 1); 0 copies to every container of the
	// service, or from its first.
	Index int
	// Archive and FollowLink are docker cp's -a and -L.
	Archive, FollowLink bool
}

// SplitCopyArg splits a cp argument into a service and a path, as docker
// compose does: "SERVICE:PATH"; a path without a colon, an absolute one or
// one starting with "." is local (service "").
func SplitCopyArg(arg string) (service, path string) {
	if filepath.IsAbs(arg) {
		return "", arg
	}
	svc, p, ok := strings.Cut(arg, ":")
	if !ok || strings.HasPrefix(svc, ".") {
		return "", arg
	}
	return svc, p
}

// Copy copies between a service's container and the host, as docker
// compose cp does: source "SERVICE:SRC" to a local destination, or a local
// source to "SERVICE:DEST". Local paths are relative to the working
// directory. A backend without backend.Copier cannot.
func (e *Engine) Copy(ctx context.Context, source, destination string, opts CopyOptions) error {
	srcSvc, src := SplitCopyArg(source)
	dstSvc, dst := SplitCopyArg(destination)
	switch {
	case source == "" || destination == "":
		return core.InvalidArgument("path", "source and destination must not be empty")
	case srcSvc != "" && dstSvc != "":
		return core.InvalidArgument("path", "copying between services is not supported")
	case srcSvc == "" && dstSvc == "":
		return core.InvalidArgument("path", "one of source and destination must be SERVICE:PATH")
	}
	cp, ok := e.backend.(backend.Copier)
	if !ok {
		return backend.Unsupported(e.backend, "copy files")
	}
	from := srcSvc != ""
	service, local := dstSvc, src
	if from {
		service, local = srcSvc, dst
	}
	abs, err := filepath.Abs(local)
	if err != nil {
		return core.InvalidArgument("path", "%s: %v", local, err)
	}
	if strings.HasSuffix(local, string(filepath.Separator)) {
		abs += string(filepath.Separator) // "must be a directory"
	}
	m, err := e.model(nil)
	if err != nil {
		return err
	}
	cs, err := e.containersOf(ctx, m, []string{service})
	if err != nil {
		return err
	}
	var targets []observedContainer
	for _, c := range cs {
		if opts.Index == 0 || c.number == opts.Index {
			targets = append(targets, c)
		}
	}
	switch {
	case len(targets) == 0 && opts.Index > 0:
		return core.NotFound("container", fmt.Sprintf("%s #%d", service, opts.Index)).With("service", service)
	case len(targets) == 0:
		return serviceError(core.KindNotFound, service, nil, "no container found for service %q", service)
	case from:
		targets = targets[:1]
	}
	bo := backend.CopyOptions{Archive: opts.Archive, FollowLink: opts.FollowLink}
	return e.forEach(ctx, targets, func(ctx context.Context, c observedContainer) error {
		msg := fmt.Sprintf("%s to %s:%s", src, c.Name, dst)
		if from {
			msg = fmt.Sprintf("%s:%s to %s", c.Name, src, dst)
		}
		e.emit(Event{Resource: ResourceContainer, ID: c.Name, Status: StatusCopying, Text: msg})
		var err error
		if from {
			err = cp.CopyFrom(ctx, c.ID, src, abs, bo)
		} else {
			err = cp.CopyTo(ctx, c.ID, abs, dst, bo)
		}
		if err != nil {
			return serviceError(core.KindOf(err), service, err, "service %q: copying %s: %v", service, msg, err)
		}
		e.emit(Event{Resource: ResourceContainer, ID: c.Name, Status: StatusCopied, Text: msg})
		return nil
	})
}
