package cli

import (
	"context"
	"strings"
	"time"

	"github.com/perryts/perry-container/core"
)

// attachedRun is an apple/container `start --attach`. apple/container has no
// wait command and no exit code in inspect or list; the only place its exit
// code appears is the exit status of an attached start.
// So the backend starts containers attached and keeps the process as the
// container's lifetime.
type attachedRun struct {
	done chan struct{} // closed when the CLI has exited
	code int           // the container's exit code
	err  error         // set when the CLI itself failed
}

func (r *attachedRun) finished() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// startAttached starts the container with an attached CLI that outlives
// this call, and returns once the container runs (or has already exited).
func (b *Backend) startAttached(ctx context.Context, id string) error {
	b.mu.Lock()
	if r, ok := b.started[id]; ok && !r.finished() {
		b.mu.Unlock()
		return nil // already started here; like docker, starting it again is a no-op
	}
	run := &attachedRun{done: make(chan struct{})}
	b.started[id] = run
	b.mu.Unlock()

	args := b.proto.StartArgs(id)
	// Not bound to ctx: the process lives as long as the container.
	cmd := b.command(context.Background(), args)
	stderr := newTailBuffer(stderrKeep)
	cmd.Stderr = stderr // stdout: the container's output, left to `logs`
	if err := cmd.Start(); err != nil {
		b.forget(id)
		return core.Errorf(core.KindBackendNotAvailable, "%s: cannot run %s: %w", b.name, b.bin, err).With("backend", b.name)
	}
	go func() {
		err := cmd.Wait()
		out, ferr := b.finish(context.Background(), args, cmd, err, output{stderr: strings.TrimSpace(stderr.String())})
		switch {
		case ferr != nil:
			run.err = ferr
		case out.code != 0 && strings.HasPrefix(lastLine(out.stderr), "Error:"):
			run.err = b.failure(args, out, target{"container", id})
		default:
			run.code = out.code
		}
		close(run.done)
	}()
	err := b.awaitRunning(ctx, id, run)
	if err != nil && strings.Contains(core.AsError(err).Error(), "already running") {
		// Started elsewhere: apple/container cannot attach to it, and, as
		// for docker, starting a running container is no error.
		b.forget(id)
		return nil
	}
	return err
}

// awaitRunning polls until the container runs, or the attached CLI ends
// (the container ran and exited already, or the start failed).
func (b *Backend) awaitRunning(ctx context.Context, id string, run *attachedRun) error {
	tick := time.NewTicker(b.pollInterval)
	defer tick.Stop()
	for {
		if run.finished() {
			return run.err
		}
		info, err := b.Inspect(ctx, id)
		switch {
		case err == nil && info.State == "running":
			return nil
		case err != nil && core.KindOf(err) != core.KindNotFound && ctx.Err() == nil:
			return err
		}
		select {
		case <-run.done:
			return run.err
		case <-ctx.Done():
			return core.Errorf(core.KindOf(ctx.Err()), "%s start: %w", b.name, ctx.Err()).With("backend", b.name)
		case <-tick.C:
		}
	}
}

// appleWait waits for a container started by this backend and returns the
// exit code its attached CLI reported. For a container started elsewhere
// apple/container offers no exit code: that is an error once it stops.
func (b *Backend) appleWait(ctx context.Context, id string) (int, error) {
	tick := time.NewTicker(b.pollInterval)
	defer tick.Stop()
	for {
		b.mu.Lock()
		run := b.started[id]
		b.mu.Unlock()
		if run != nil {
			select {
			case <-run.done:
				return run.code, run.err
			case <-ctx.Done():
				return 0, core.Errorf(core.KindOf(ctx.Err()), "%s wait: %w", b.name, ctx.Err()).With("backend", b.name)
			}
		}
		// Like docker, a created container is waited for until it runs and exits.
		info, err := b.Inspect(ctx, id)
		if err != nil {
			return 0, err
		}
		if info.State == "exited" || info.State == "dead" {
			return 0, core.Errorf(core.KindInternal, "%s reports no exit code: container %q was not started by this backend", b.name, id).
				With("backend", b.name).With("id", id)
		}
		select {
		case <-ctx.Done():
			return 0, core.Errorf(core.KindOf(ctx.Err()), "%s wait: %w", b.name, ctx.Err()).With("backend", b.name)
		case <-tick.C:
		}
	}
}

// addExitCode fills in the exit code of a stopped container this backend
// started, which apple/container's inspect and list lack.
func (b *Backend) addExitCode(info *core.ContainerInfo) {
	if info.State != "exited" {
		return
	}
	b.mu.Lock()
	run := b.started[info.ID]
	b.mu.Unlock()
	if run == nil || !run.finished() || run.err != nil {
		return
	}
	code := run.code
	info.ExitCode = &code
	info.Status = humanStatus(info.State, info.ExitCode, info.Health)
}

// forget drops what the backend knows of a removed container.
func (b *Backend) forget(id string) {
	b.mu.Lock()
	delete(b.started, id)
	b.mu.Unlock()
}
