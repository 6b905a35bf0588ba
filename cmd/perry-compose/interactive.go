package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/compose/engine"
	"github.com/perryts/perry-container/core"
)

// attachFlags are exec's and run's -i, -t, -T and --detach-keys, as docker
// compose has them: stdin attached by default, a TTY by default when
// perry-compose runs in a terminal.
type attachFlags struct {
	interactive, tty, noTTY bool
	detachKeys              string
}

func (f *attachFlags) register(fl *pflag.FlagSet, hideTTY bool) {
	fl.BoolVarP(&f.interactive, "interactive", "i", true, "Keep STDIN open and attach it")
	fl.BoolVarP(&f.tty, "tty", "t", false, "Allocate a pseudo-TTY (without -t or -T: when stdin and stdout are a terminal)")
	fl.BoolVarP(&f.noTTY, "no-TTY", "T", false, "Disable pseudo-TTY allocation (the default when stdin or stdout is not a terminal)")
	fl.StringVar(&f.detachKeys, "detach-keys", "", `Override the key sequence for detaching from a TTY session (default "`+backend.DefaultDetachKeys+`")`)
	if hideTTY {
		_ = fl.MarkHidden("tty")
	}
}

// stdinTerminal is the fd of stdin when it is a terminal.
func (a *app) stdinTerminal() (int, bool) {
	f, ok := a.stdin.(*os.File)
	if !ok {
		return 0, false
	}
	fd := int(f.Fd())
	return fd, term.IsTerminal(fd)
}

// wantTTY decides the TTY: -T never, an explicit -t always (stdin must then
// be a terminal, as docker says), otherwise when stdin and stdout are a
// terminal.
func (a *app) wantTTY(cmd *cobra.Command, f *attachFlags) (tty, explicit bool, err error) {
	if f.noTTY {
		return false, false, nil
	}
	_, inTerm := a.stdinTerminal()
	if cmd.Flags().Changed("tty") {
		if !f.tty {
			return false, true, nil
		}
		if !inTerm {
			return false, true, usageErr(cmd, "the input device is not a TTY: use -T (--no-TTY) when stdin is not a terminal")
		}
		return true, true, nil
	}
	return inTerm && a.stdoutTTY, false, nil
}

// attachSession runs fn with the process's streams attached to
// perry-compose's. With a TTY (unless the backend's CLI owns the
// terminal) the local terminal is put in raw mode, its size is sent at the
// start and on every change, and it is restored on every way out: return,
// error, panic, or a signal that ends perry-compose. The exit code of the
// process becomes perry-compose's; a detach ends it with 0.
func (a *app) attachSession(ctx context.Context, it backend.Interactor, tty bool, f *attachFlags, fn func(context.Context, backend.InteractiveIO) (int, error)) error {
	iio := backend.InteractiveIO{Stdout: a.stdout, Stderr: a.stderr, TTY: tty, DetachKeys: f.detachKeys}
	if f.interactive {
		iio.Stdin = a.stdin
	}
	if fd, ok := a.stdinTerminal(); ok && tty && it.OwnsTerminal() {
		// The runtime's CLI sets the terminal up; should it be killed
		// before it restores it, this does.
		if state, err := term.GetState(fd); err == nil {
			defer term.Restore(fd, state)
		}
	}
	// Raw only with stdin attached (as docker): without it the keys reach
	// nothing, and Ctrl-C must stay a signal.
	if tty && iio.Stdin != nil && !it.OwnsTerminal() {
		if fd, ok := a.stdinTerminal(); ok {
			restore, err := rawTerminal(fd)
			if err != nil {
				return err
			}
			defer restore()
			// A signal that ends perry-compose (a second Ctrl-C, SIGTERM)
			// restores the terminal first.
			a.sigMu.Lock()
			prev := a.sigHandler
			a.sigMu.Unlock()
			a.setSignalHandler(func(s os.Signal) {
				restore()
				if prev != nil {
					prev(s)
				}
			})
			defer a.setSignalHandler(prev)

			if w, h, err := term.GetSize(fd); err == nil {
				iio.Size = backend.TerminalSize{Width: uint(w), Height: uint(h)}
			}
			resize := make(chan backend.TerminalSize, 1)
			iio.Resize = resize
			stop := watchResize(fd, func(sz backend.TerminalSize) {
				select { // keep only the latest size
				case <-resize:
				default:
				}
				resize <- sz
			})
			defer stop()
		}
	}
	code, err := fn(ctx, iio)
	switch {
	case errors.Is(err, backend.ErrDetached):
		if tty {
			fmt.Fprint(a.stderr, "\r\n")
		}
		return nil
	case err != nil:
		return err
	case code != 0:
		return &statusError{code: code}
	}
	return nil
}

// rawTerminal puts the terminal fd in raw mode; the returned function
// restores it (once, from any goroutine).
func rawTerminal(fd int) (func(), error) {
	state, err := term.MakeRaw(fd)
	if err != nil {
		return nil, core.Errorf(core.KindInternal, "cannot set the terminal in raw mode: %v", err)
	}
	var once sync.Once
	return func() { once.Do(func() { _ = term.Restore(fd, state) }) }, nil
}

// interactor is the backend's Interactor, or an Unsupported error naming
// op.
func interactor(b backend.Backend, op string) (backend.Interactor, error) {
	if it, ok := b.(backend.Interactor); ok {
		return it, nil
	}
	return nil, backend.Unsupported(b, op)
}

// execContainer is the running container number index (0: 1) of service,
// as engine.Exec finds it.
func execContainer(ctx context.Context, e *engine.Engine, service string, index int) (string, error) {
	if index == 0 {
		index = 1
	}
	cs, err := e.Ps(ctx, engine.PsOptions{All: true, Services: []string{service}})
	if err != nil {
		return "", err
	}
	for _, c := range cs {
		if c.Service != service || c.Number != index {
			continue
		}
		if c.State != "running" {
			return "", core.Errorf(core.KindInvalidArgument, "service %q: container %s is not running", service, c.Name).With("service", service)
		}
		return c.ID, nil
	}
	return "", core.NotFound("container", fmt.Sprintf("%s #%d", service, index)).With("service", service)
}
