package api

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// Attached processes over the Engine API, as the docker CLI runs `exec -it`
// and `run -it`: a hijacked connection carries stdin one way and the output
// the other (one raw stream with a TTY, stdout and stderr multiplexed
// without), the TTY's size is sent by resize calls, and the detach keys
// are watched for in stdin here, on the client side, as the docker CLI
// does.
var _ backend.Interactor = (*Backend)(nil)

// OwnsTerminal is false: the caller drives its terminal.
func (b *Backend) OwnsTerminal() bool { return false }

// ExecInteractive runs a command in a running container attached to iio.
func (b *Backend) ExecInteractive(ctx context.Context, id string, opts backend.ExecOptions, iio backend.InteractiveIO) (int, error) {
	if err := requireID("container", id); err != nil {
		return 0, err
	}
	env, err := b.execEnv(opts)
	if err != nil {
		return 0, err
	}
	keys, err := backend.ParseDetachKeys(iio.DetachKeys)
	if err != nil {
		return 0, err
	}
	created, err := b.cli.ExecCreate(ctx, id, client.ExecCreateOptions{
		AttachStdin:  iio.Stdin != nil,
		AttachStdout: true,
		AttachStderr: true,
		TTY:          iio.TTY,
		Cmd:          cloneStrings(opts.Cmd),
		Env:          env,
		WorkingDir:   opts.Workdir,
		User:         opts.User,
		Privileged:   opts.Privileged,
	})
	if err != nil {
		return 0, b.fixExecError(b.engineError(err, "container", id), id)
	}
	att, err := b.cli.ExecAttach(ctx, created.ID, client.ExecAttachOptions{TTY: iio.TTY})
	if err != nil {
		return 0, b.engineError(err, "container", id)
	}
	err = b.stream(ctx, att.HijackedResponse, iio, keys, func(ctx context.Context, sz backend.TerminalSize) error {
		_, err := b.cli.ExecResize(ctx, created.ID, client.ExecResizeOptions{Width: sz.Width, Height: sz.Height})
		return err
	})
	if err != nil {
		return 0, b.streamError(ctx, err, id)
	}
	return b.execExitCode(ctx, created.ID, id)
}

// RunInteractive creates spec's container with its stdin open once (closed
// when iio's stdin ends), attaches to it, starts it and waits for its exit.
func (b *Backend) RunInteractive(ctx context.Context, spec *core.ContainerSpec, iio backend.InteractiveIO, created func(core.ContainerHandle)) (int, error) {
	if spec == nil {
		return 0, core.InvalidArgument("spec", "is required")
	}
	keys, err := backend.ParseDetachKeys(iio.DetachKeys)
	if err != nil {
		return 0, err
	}
	s := *spec
	s.Tty, s.StdinOpen = iio.TTY, iio.Stdin != nil
	h, err := b.createStdinOnce(ctx, &s)
	if err != nil {
		return 0, err
	}
	if created != nil {
		created(h)
	}
	att, err := b.cli.ContainerAttach(ctx, h.ID, client.ContainerAttachOptions{
		Stream: true, Stdin: s.StdinOpen, Stdout: true, Stderr: true,
	})
	if err != nil {
		return 0, b.engineError(err, "container", h.ID)
	}
	started := make(chan struct{})
	var startErr error
	err = b.stream(ctx, att.HijackedResponse, iio, keys, func(ctx context.Context, sz backend.TerminalSize) error {
		<-started
		_, err := b.cli.ContainerResize(ctx, h.ID, client.ContainerResizeOptions{Width: sz.Width, Height: sz.Height})
		return err
	}, func() {
		startErr = b.Start(ctx, h.ID)
		close(started)
		if startErr != nil {
			att.Close() // nothing will come
		}
	})
	if startErr != nil {
		return 0, startErr
	}
	if err != nil {
		return 0, b.streamError(ctx, err, h.ID)
	}
	return b.Wait(ctx, h.ID)
}

// createStdinOnce is Create with the container's stdin closed when the
// attached client's input ends (docker run -i's StdinOnce), so that a
// piped input's end reaches the process.
func (b *Backend) createStdinOnce(ctx context.Context, spec *core.ContainerSpec) (core.ContainerHandle, error) {
	plan, err := b.plan(ctx, spec)
	if err != nil {
		return core.ContainerHandle{}, err
	}
	if plan.opts.Config != nil {
		plan.opts.Config.StdinOnce = spec.StdinOpen
		plan.opts.Config.AttachStdin = spec.StdinOpen
		plan.opts.Config.AttachStdout = true
		plan.opts.Config.AttachStderr = true
	}
	// As Create does: the networks first, then the connects.
	for _, n := range plan.networks() {
		if _, err := b.cli.NetworkInspect(ctx, n, client.NetworkInspectOptions{}); err != nil {
			return core.ContainerHandle{}, b.engineError(err, "network", n)
		}
	}
	res, err := b.containerCreate(ctx, plan)
	if err != nil {
		return core.ContainerHandle{}, b.createError(err, spec)
	}
	for _, c := range plan.connect {
		if _, err := b.cli.NetworkConnect(ctx, c.network, client.NetworkConnectOptions{Container: res.ID, EndpointConfig: c.endpoint}); err != nil {
			b.discard(ctx, res.ID)
			return core.ContainerHandle{}, b.engineError(err, "network", c.network)
		}
	}
	return core.ContainerHandle{ID: res.ID, Name: spec.Name}, nil
}

// stream copies iio's stdin into the hijacked connection and the output
// out of it until the output ends, sending the TTY's sizes through resize.
// begin, when given, runs once the copying is set up (run starts the
// container there, attached). It returns backend.ErrDetached when the
// detach keys were typed.
func (b *Backend) stream(ctx context.Context, hr client.HijackedResponse, iio backend.InteractiveIO, keys []byte,
	resize func(context.Context, backend.TerminalSize) error, begin ...func()) error {
	// A hijacked connection ignores ctx once established.
	stop := context.AfterFunc(ctx, hr.Close)
	defer stop()
	defer hr.Close()

	var detached atomic.Bool
	if iio.Stdin != nil {
		in := iio.Stdin
		if iio.TTY {
			in = backend.DetachReader(in, keys)
		}
		go func() {
			_, err := io.Copy(hr.Conn, in)
			if errors.Is(err, backend.ErrDetached) {
				detached.Store(true)
				hr.Close()
				return
			}
			_ = hr.CloseWrite()
		}()
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(done)
	if iio.TTY {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if iio.Size != (backend.TerminalSize{}) {
				initialResize(ctx, done, iio.Size, resize)
			}
			for {
				select {
				case <-done:
					return
				case sz, ok := <-iio.Resize:
					if !ok {
						return
					}
					_ = resize(ctx, sz)
				}
			}
		}()
	}
	for _, f := range begin {
		f()
	}
	var err error
	if iio.TTY {
		_, err = io.Copy(iio.Stdout, hr.Reader)
	} else {
		_, err = stdcopy.StdCopy(iio.Stdout, iio.Stderr, hr.Reader)
	}
	if detached.Load() {
		return backend.ErrDetached
	}
	return err
}

// initialResize sends the first size: the process may not have started
// when the attach answers, and the engine refuses to resize it until it
// has, so it is retried for a moment (as the docker CLI does).
func initialResize(ctx context.Context, done <-chan struct{}, sz backend.TerminalSize,
	resize func(context.Context, backend.TerminalSize) error) {
	delay := 5 * time.Millisecond
	for range 10 {
		if resize(ctx, sz) == nil {
			return
		}
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, 100*time.Millisecond)
	}
}

// streamError is the error of a failed attached stream.
func (b *Backend) streamError(ctx context.Context, err error, id string) error {
	if errors.Is(err, backend.ErrDetached) {
		return err
	}
	if ctx.Err() != nil {
		return core.AsError(ctx.Err())
	}
	if errors.Is(err, net.ErrClosed) {
		return nil // closed on our side once the process ended
	}
	return b.engineError(err, "container", id)
}

// execExitCode waits for an exec's exit code: the stream ends when the
// process closes its output, which can be a moment before the engine
// records the exit code.
func (b *Backend) execExitCode(ctx context.Context, execID, id string) (int, error) {
	for delay := time.Millisecond; ; delay = min(delay*2, 50*time.Millisecond) {
		ins, err := b.cli.ExecInspect(ctx, execID, client.ExecInspectOptions{})
		if err != nil {
			return 0, b.engineError(err, "container", id)
		}
		if !ins.Running {
			return ins.ExitCode, nil
		}
		select {
		case <-ctx.Done():
			return 0, core.AsError(ctx.Err())
		case <-time.After(delay):
		}
	}
}

var _ backend.Attacher = (*Backend)(nil)

// Attach joins a running container's main process: its output (raw with a
// TTY, multiplexed without, as the container was created; iio.TTY is taken
// from it), its stdin when the container keeps stdin open and iio has one,
// resizes with a TTY; then its exit code. The wait for the exit begins
// before the attachment, as the docker CLI's does: the engine ends the
// streams and restarts a container with a restart policy in one step, so a
// wait begun after the streams' end would wait for the next exit.
func (b *Backend) Attach(ctx context.Context, id string, iio backend.InteractiveIO) (int, error) {
	if err := requireID("container", id); err != nil {
		return 0, err
	}
	keys, err := backend.ParseDetachKeys(iio.DetachKeys)
	if err != nil {
		return 0, err
	}
	running := func() (*container.InspectResponse, error) {
		ins, err := b.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
		if err != nil {
			return nil, b.engineError(err, "container", id)
		}
		c := ins.Container
		if c.State == nil || !c.State.Running || c.State.Paused || c.State.Restarting {
			return &c, core.Errorf(core.KindInvalidArgument, "container %s is not running: start it first", strings.TrimPrefix(c.Name, "/")).With("id", id)
		}
		return &c, nil
	}
	c, err := running()
	if err != nil {
		return 0, err
	}
	if c.Config != nil {
		iio.TTY = c.Config.Tty
		if !c.Config.OpenStdin {
			iio.Stdin = nil
		}
	}
	waitCtx, stopWait := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWait()
	wait := b.cli.ContainerWait(waitCtx, id, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})
	att, err := b.cli.ContainerAttach(ctx, id, client.ContainerAttachOptions{
		Stream: true, Stdin: iio.Stdin != nil, Stdout: true, Stderr: true,
	})
	if err != nil {
		return 0, b.engineError(err, "container", id)
	}
	// It may have ended between the look and the attachment: then there is
	// no next exit to wait for.
	if c, err := running(); err != nil {
		att.Close()
		if c != nil && c.State != nil && !c.State.Running {
			return c.State.ExitCode, nil
		}
		return 0, err
	}
	err = b.stream(ctx, att.HijackedResponse, iio, keys, func(ctx context.Context, sz backend.TerminalSize) error {
		_, err := b.cli.ContainerResize(ctx, id, client.ContainerResizeOptions{Width: sz.Width, Height: sz.Height})
		return err
	})
	if err != nil {
		return 0, b.streamError(ctx, err, id)
	}
	select {
	case r := <-wait.Result:
		if r.Error != nil && r.Error.Message != "" {
			return int(r.StatusCode), (&core.Error{Kind: core.KindBackendError, Message: r.Error.Message}).With("backend", b.name)
		}
		return int(r.StatusCode), nil
	case err := <-wait.Error:
		return 0, b.engineError(err, "container", id)
	case <-ctx.Done():
		return 0, core.AsError(ctx.Err())
	}
}
