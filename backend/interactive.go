package backend

import (
	"context"
	"errors"
	"io"
	"strings"

	"github.com/perryts/perry-container/core"
)

// TerminalSize is a terminal's size in character cells.
type TerminalSize struct {
	Width, Height uint
}

// InteractiveIO connects a process in a container to the caller's streams,
// as `docker exec -i -t` and `docker run -i -t` do.
type InteractiveIO struct {
	// Stdin is sent to the process; at its end (EOF) the process's stdin is
	// closed. nil: stdin is not attached.
	Stdin io.Reader
	// Stdout and Stderr receive the process's output. With TTY all output
	// comes on Stdout, as a terminal shows it.
	Stdout, Stderr io.Writer
	// TTY allocates a pseudo-terminal for the process.
	TTY bool
	// Size is the terminal's size at the start (zero: unknown); Resize
	// delivers its later sizes. Both are used with TTY only.
	Size   TerminalSize
	Resize <-chan TerminalSize
	// SignalsToProcess (attach only, with a runtime CLI that owns the
	// terminal): the CLI sends the signals it gets to the process, as
	// docker attach --sig-proxy does. Without it they end the CLI.
	SignalsToProcess bool
	// DetachKeys is the key sequence that detaches from the process
	// without ending it, in docker's notation ("ctrl-p,ctrl-q", see
	// ParseDetachKeys); "" is docker's default. Used with TTY and Stdin.
	DetachKeys string
}

// DefaultDetachKeys is docker's detach sequence.
const DefaultDetachKeys = "ctrl-p,ctrl-q"

// ErrDetached is returned by an Interactor when the user typed the detach
// keys: the process goes on in the container.
var ErrDetached = errors.New("detached: the process keeps running in the container")

// Interactor runs processes in containers attached to the caller's
// streams. It is optional (see optional.go): a backend without it runs
// commands with their output collected only.
type Interactor interface {
	// OwnsTerminal reports whether the backend connects the caller's own
	// stdin, stdout and stderr to a runtime CLI that drives the terminal
	// itself (raw mode, window size, detach keys). When false the caller
	// puts its terminal in raw mode for a TTY session and sends resizes.
	OwnsTerminal() bool
	// ExecInteractive runs a command in a running container with its
	// streams attached and returns its exit code. ErrDetached when the
	// user detached.
	ExecInteractive(ctx context.Context, id string, opts ExecOptions, io InteractiveIO) (int, error)
	// RunInteractive creates spec's container with stdin open (closed when
	// the caller's input ends) and a TTY as io asks, attaches to it, starts
	// it and returns its exit code once it exits. created is called (when
	// not nil) as soon as the container exists, before it starts, so that
	// the caller can remove it afterwards even on failure. ErrDetached when
	// the user detached: the container keeps running.
	RunInteractive(ctx context.Context, spec *core.ContainerSpec, io InteractiveIO, created func(core.ContainerHandle)) (int, error)
}

// Attacher connects the caller's streams to the main process of a running
// container (docker attach): its output, and io.Stdin when the container
// was created with its stdin open, until the process exits (its exit code
// is returned) or the user detaches (ErrDetached; the container goes on).
// io.TTY must say whether the container has a TTY, which decides how its
// output comes. Ending ctx ends the attachment, not the container.
type Attacher interface {
	Attach(ctx context.Context, id string, io InteractiveIO) (int, error)
}

// ParseDetachKeys reads docker's notation of a detach sequence: keys
// separated by commas, each a single character or ctrl-<c> where c is one
// of a-z, @, [, \, ], ^ and _. "" is DefaultDetachKeys.
func ParseDetachKeys(keys string) ([]byte, error) {
	if keys == "" {
		keys = DefaultDetachKeys
	}
	var out []byte
	for _, k := range strings.Split(keys, ",") {
		if len(k) == 1 {
			out = append(out, k[0])
			continue
		}
		lk := strings.ToLower(k)
		c, ok := strings.CutPrefix(lk, "ctrl-")
		if !ok || len(c) != 1 {
			return nil, core.InvalidArgument("detach-keys", "unknown key %q: use a character or ctrl-<a-z, @, [, \\, ], ^, _>", k)
		}
		switch ch := c[0]; {
		case ch >= 'a' && ch <= 'z':
			out = append(out, ch-'a'+1)
		case ch == '@':
			out = append(out, 0)
		case ch >= '[' && ch <= '_':
			out = append(out, ch-'['+27)
		default:
			return nil, core.InvalidArgument("detach-keys", "unknown key %q: use a character or ctrl-<a-z, @, [, \\, ], ^, _>", k)
		}
	}
	return out, nil
}

// DetachReader passes r through until the key sequence keys appears in it:
// the bytes before it are delivered, the sequence itself is not, and Read
// then returns ErrDetached. Bytes that begin the sequence without completing
// it are held back until the sequence breaks, then delivered.
func DetachReader(r io.Reader, keys []byte) io.Reader {
	if len(keys) == 0 {
		return r
	}
	return &detachReader{r: r, keys: keys}
}

type detachReader struct {
	r        io.Reader
	keys     []byte
	matched  int    // bytes of keys seen at the end of the input so far
	pending  []byte // output not yet delivered
	detached bool
	err      error
}

func (d *detachReader) Read(p []byte) (int, error) {
	for len(d.pending) == 0 {
		if d.detached {
			return 0, ErrDetached
		}
		if d.err != nil {
			if d.matched > 0 { // an unfinished sequence at the end is input
				d.pending, d.matched = append(d.pending, d.keys[:d.matched]...), 0
				break
			}
			return 0, d.err
		}
		buf := make([]byte, max(len(p), 1))
		n, err := d.r.Read(buf)
		d.err = err
		for _, c := range buf[:n] {
			if d.detached {
				break
			}
			switch {
			case c == d.keys[d.matched]:
				d.matched++
				if d.matched == len(d.keys) {
					d.detached = true
				}
			default:
				d.pending = append(d.pending, d.keys[:d.matched]...)
				d.matched = 0
				if c == d.keys[0] {
					d.matched = 1
					if len(d.keys) == 1 {
						d.detached = true
					}
				} else {
					d.pending = append(d.pending, c)
				}
			}
		}
	}
	n := copy(p, d.pending)
	d.pending = d.pending[n:]
	return n, nil
}
