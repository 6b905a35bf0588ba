package fake

import (
	"context"
	"io"
	"strconv"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// The fake engine attaches processes as backend.Interactor asks, enough to
// test a caller's wiring: `cat` without arguments copies stdin to stdout
// until its end; every other command runs in the fake's command language
// (see interp.go) and writes its output. Calls are recorded with the id (or
// the container's name), "tty=true|false", "stdin=true|false", then the
// command.
var _ backend.Interactor = (*Backend)(nil)

// OwnsTerminal is false: the fake streams through the caller.
func (b *Backend) OwnsTerminal() bool { return false }

// ExecInteractive runs a command in a running container with its streams
// attached.
func (b *Backend) ExecInteractive(ctx context.Context, id string, opts backend.ExecOptions, iio backend.InteractiveIO) (int, error) {
	if err := b.enter(ctx, "ExecInteractive", append([]string{id, "tty=" + strconv.FormatBool(iio.TTY), "stdin=" + strconv.FormatBool(iio.Stdin != nil)}, opts.Cmd...)...); err != nil {
		return 0, err
	}
	b.mu.Unlock()
	if err := opts.Validate(); err != nil {
		return 0, err
	}
	if len(opts.Cmd) == 1 && opts.Cmd[0] == "cat" {
		info, err := b.Inspect(ctx, id)
		if err != nil {
			return 0, err
		}
		if info.State != "running" {
			return 0, core.Errorf(core.KindBackendError, "container %s is not running", info.Name).With("exitCode", 126)
		}
		return 0, copyStdin(ctx, iio)
	}
	res, err := b.Exec(ctx, id, opts)
	if err != nil {
		return 0, err
	}
	if err := writeOutput(iio, res); err != nil {
		return 0, err
	}
	return *res.ExitCode, nil
}

// RunInteractive creates, attaches and starts a container.
func (b *Backend) RunInteractive(ctx context.Context, spec *core.ContainerSpec, iio backend.InteractiveIO, created func(core.ContainerHandle)) (int, error) {
	if spec == nil {
		return 0, core.InvalidArgument("spec", "is required")
	}
	argv := append(append([]string(nil), spec.Entrypoint...), spec.Cmd...)
	if err := b.enter(ctx, "RunInteractive", append([]string{spec.Name, "tty=" + strconv.FormatBool(iio.TTY), "stdin=" + strconv.FormatBool(iio.Stdin != nil)}, argv...)...); err != nil {
		return 0, err
	}
	b.mu.Unlock()
	s := *spec
	s.Tty, s.StdinOpen = iio.TTY, iio.Stdin != nil
	h, err := b.Create(ctx, &s)
	if err != nil {
		return 0, err
	}
	if created != nil {
		created(h)
	}
	if len(argv) == 1 && argv[0] == "cat" {
		// Attached before the start: stdin is copied while it runs, then
		// the fake's cat (without files) ends.
		if err := copyStdin(ctx, iio); err != nil {
			return 0, err
		}
	}
	if err := b.Start(ctx, h.ID); err != nil {
		return 0, err
	}
	code, err := b.Wait(ctx, h.ID)
	if err != nil {
		return 0, err
	}
	logs, err := b.Logs(ctx, h.ID, backend.LogsOptions{})
	if err != nil {
		return 0, err
	}
	if err := writeOutput(iio, logs); err != nil {
		return 0, err
	}
	return code, nil
}

// copyStdin copies the caller's stdin to its stdout until its end or ctx's.
func copyStdin(ctx context.Context, iio backend.InteractiveIO) error {
	if iio.Stdin == nil {
		return nil
	}
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(iio.Stdout, iio.Stdin)
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return core.AsError(ctx.Err())
	}
}

// writeOutput writes a command's output as a terminal shows it (one
// stream with a TTY) or on its two streams.
func writeOutput(iio backend.InteractiveIO, res core.ContainerLogs) error {
	stderr := iio.Stderr
	if iio.TTY || stderr == nil {
		stderr = iio.Stdout
	}
	if _, err := io.WriteString(iio.Stdout, res.Stdout); err != nil {
		return err
	}
	_, err := io.WriteString(stderr, res.Stderr)
	return err
}

var _ backend.Attacher = (*Backend)(nil)

// Attach waits for a running container to exit (a test ends it with Exit)
// and writes what it printed meanwhile; detached at once when ctx ends.
// What it joins is read under the lock enter takes, so that an Exit right
// after the call is seen as the process's end, not as a stopped container.
func (b *Backend) Attach(ctx context.Context, id string, iio backend.InteractiveIO) (int, error) {
	if err := b.enter(ctx, "Attach", id, "tty="+strconv.FormatBool(iio.TTY), "stdin="+strconv.FormatBool(iio.Stdin != nil)); err != nil {
		return 0, err
	}
	c, err := b.find(id)
	if err != nil {
		b.mu.Unlock()
		return 0, err
	}
	if c.info.State != "running" {
		b.mu.Unlock()
		return 0, core.Errorf(core.KindInvalidArgument, "container %s is not running: start it first", c.info.Name).With("id", id)
	}
	done, outAt, errAt := c.exited, c.stdout.Len(), c.stderr.Len()
	b.mu.Unlock()
	select {
	case <-done:
	case <-ctx.Done():
		return 0, core.AsError(ctx.Err())
	}
	b.mu.Lock()
	code := 0
	if c.info.ExitCode != nil {
		code = *c.info.ExitCode
	}
	logs := core.ContainerLogs{Stdout: c.stdout.String()[outAt:], Stderr: c.stderr.String()[errAt:]}
	b.mu.Unlock()
	if err := writeOutput(iio, logs); err != nil {
		return 0, err
	}
	return code, nil
}
