package engine

import (
	"context"
	"io"

	"github.com/distribution/reference"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// Progress statuses of commit and export.
const (
	StatusCommitting EventStatus = "Committing"
	StatusCommitted  EventStatus = "Committed"
	StatusExporting  EventStatus = "Exporting"
	StatusExported   EventStatus = "Exported"
)

// CommitOptions tune Commit: docker commit's flags, the replica and the
// dry run.
type CommitOptions struct {
	backend.CommitOptions
	// Index is the replica (from 1); 0 is the service's first that is up.
	Index int
	// DryRun finds the container and reports the commit without making it.
	DryRun bool
}

// Commit makes an image of a service's container that is up (running,
// paused or restarting: the one docker compose picks, see upContainer),
// as docker compose commit does, and returns the image's id ("" in a dry
// run). A backend without backend.Committer cannot.
func (e *Engine) Commit(ctx context.Context, service string, opts CommitOptions) (string, error) {
	cm, ok := e.backend.(backend.Committer)
	if !ok {
		return "", backend.Unsupported(e.backend, "commit")
	}
	c, err := e.upContainer(ctx, service, opts.Index)
	if err != nil {
		return "", err
	}
	if ref := opts.Reference; ref != "" {
		// docker compose's words for a bad name (its client's), before any
		// runtime is asked.
		named, err := reference.ParseNormalizedNamed(ref)
		if err != nil {
			return "", core.Errorf(core.KindInvalidArgument, "%v", err).With("argument", "reference")
		}
		if _, ok := named.(reference.Digested); ok {
			return "", core.Errorf(core.KindInvalidArgument, "refusing to create a tag with a digest reference").With("argument", "reference")
		}
	}
	e.emit(Event{Resource: ResourceContainer, ID: c.Name, Status: StatusCommitting})
	if opts.DryRun {
		e.emit(Event{Resource: ResourceContainer, ID: c.Name, Status: StatusCommitted})
		return "", nil
	}
	id, err := cm.Commit(ctx, c.ID, opts.CommitOptions)
	if err != nil {
		return "", containerOpError(err, service, "commit of "+c.Name)
	}
	e.emit(Event{Resource: ResourceContainer, ID: c.Name, Status: StatusCommitted, Text: id})
	return id, nil
}

// ExportOptions tune Export.
type ExportOptions struct {
	// Index is the replica (from 1); 0 is the service's first that is up.
	Index int
	// DryRun finds the container and reports the export without reading it.
	DryRun bool
}

// Export writes the filesystem of a service's container that is up (see
// upContainer) as a tar archive, as docker compose export does, to the
// writer open returns: open is called once the container is found, so
// that an error about the service leaves nothing created, and in a dry run
// too (its checks are made; nothing is written to its writer). A backend
// without backend.Exporter cannot.
func (e *Engine) Export(ctx context.Context, service string, opts ExportOptions, open func() (io.Writer, error)) error {
	ex, ok := e.backend.(backend.Exporter)
	if !ok {
		return backend.Unsupported(e.backend, "export")
	}
	c, err := e.upContainer(ctx, service, opts.Index)
	if err != nil {
		return err
	}
	w, err := open()
	if err != nil {
		return err
	}
	e.emit(Event{Resource: ResourceContainer, ID: c.Name, Status: StatusExporting})
	if opts.DryRun {
		e.emit(Event{Resource: ResourceContainer, ID: c.Name, Status: StatusExported})
		return nil
	}
	if err := ex.Export(ctx, c.ID, w); err != nil {
		return containerOpError(err, service, "export of "+c.Name)
	}
	e.emit(Event{Resource: ResourceContainer, ID: c.Name, Status: StatusExported})
	return nil
}

// upContainer is the container commit and export act on, as docker
// compose picks it: among the service's containers that are up (what
// `docker ps` lists: running, paused, restarting), number index, else the
// first by number; a stopped one is not taken. None is an error in docker
// compose's words.
func (e *Engine) upContainer(ctx context.Context, service string, index int) (observedContainer, error) {
	m, err := e.model(nil)
	if err != nil {
		return observedContainer{}, err
	}
	cs, err := e.containersOf(ctx, m, []string{service})
	if err != nil {
		return observedContainer{}, err
	}
	for _, c := range cs { // by number
		if c.up() && (index == 0 || c.number == index) {
			return c, nil
		}
	}
	if index > 0 {
		return observedContainer{}, serviceError(core.KindNotFound, service, nil, "service %q is not running container #%d", service, index)
	}
	return observedContainer{}, serviceError(core.KindNotFound, service, nil, "service %q is not running", service)
}

// containerOpError is the error of a commit or an export (what): a
// runtime's refusal (backend.Unsupported: nerdctl 2.0 has no export) keeps
// its words and details, as the optional commands report it.
func containerOpError(err error, service, what string) error {
	if isUnsupported(err) {
		return core.AsError(err).With("service", service)
	}
	return serviceError(core.KindOf(err), service, err, "service %q: %s: %v", service, what, err)
}
