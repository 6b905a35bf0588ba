package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// Attached processes through the runtime's CLI: `<cli> exec -i -t …` and
// `<cli> run -i -t …` run with the caller's stdin, stdout and stderr
// connected directly, and the CLI drives the terminal itself (raw mode,
// window size, detach keys), as when a person types the command.
var _ backend.Interactor = (*Backend)(nil)

// OwnsTerminal is true: the CLI takes the caller's terminal.
func (b *Backend) OwnsTerminal() bool { return true }

// ExecInteractive runs `exec --interactive [--tty] -- ID CMD…`.
func (b *Backend) ExecInteractive(ctx context.Context, id string, opts backend.ExecOptions, iio backend.InteractiveIO) (int, error) {
	if err := requireID("id", id); err != nil {
		return 0, err
	}
	args, err := b.proto.ExecArgs(id, opts)
	if err != nil {
		return 0, err
	}
	flags, err := b.proto.attachFlags(iio)
	if err != nil {
		return 0, err
	}
	return b.runAttached(ctx, slices.Insert(args, 1, flags...), iio)
}

// RunInteractive runs `run --interactive [--tty] FLAGS -- IMAGE CMD…`
// attached. The container is known by its name (created is called with it
// before the CLI runs; the one-off containers of perry-compose run are
// named). A spec whose networks a create cannot all take (docker before API
// 1.44 connects the others before the start) is created, connected, then
// started with `start --attach --interactive`.
func (b *Backend) RunInteractive(ctx context.Context, spec *core.ContainerSpec, iio backend.InteractiveIO, created func(core.ContainerHandle)) (int, error) {
	if spec == nil {
		return 0, core.InvalidArgument("spec", "is required")
	}
	s := *spec
	s.Tty, s.StdinOpen = iio.TTY, iio.Stdin != nil
	resolved, err := b.engineTakes(ctx, &s)
	if err != nil {
		return 0, err
	}
	s = *resolved
	flags, err := b.proto.attachFlags(iio)
	if err != nil {
		return 0, err
	}
	connects, err := b.proto.ConnectArgs(&s, "")
	if err != nil {
		return 0, err
	}
	if len(connects) > 0 || s.Name == "" {
		if b.proto.Flavor != FlavorDocker && b.proto.Flavor != FlavorPodman {
			return 0, backend.Unsupported(b, "run an unnamed container attached")
		}
		h, err := b.Create(ctx, &s)
		if err != nil {
			return 0, err
		}
		if created != nil {
			created(h)
		}
		start := append([]string{"start", "--attach"}, flags...)
		return b.runAttached(ctx, append(start, "--", h.ID), iio)
	}
	args, err := b.proto.RunArgs(&s)
	if err != nil {
		return 0, err
	}
	if len(args) < 2 || args[1] != "--detach" {
		return 0, core.Errorf(core.KindInternal, "%s run arguments do not start with --detach: %q", b.name, args)
	}
	args = slices.Replace(args, 1, 2, flags...)
	if created != nil {
		created(core.ContainerHandle{Name: s.Name})
	}
	return b.runAttached(ctx, args, iio)
}

// attachFlags are exec's and run's --interactive, --tty and --detach-keys
// (docker and podman have the last; the others keep their own default).
func (p Protocol) attachFlags(iio backend.InteractiveIO) ([]string, error) {
	var out []string
	if iio.Stdin != nil {
		out = append(out, "--interactive")
	}
	if iio.TTY {
		out = append(out, "--tty")
	}
	if iio.DetachKeys != "" && iio.TTY && iio.Stdin != nil {
		if _, err := backend.ParseDetachKeys(iio.DetachKeys); err != nil {
			return nil, err
		}
		if p.Flavor != FlavorDocker && p.Flavor != FlavorPodman {
			return nil, p.unsupported("detach-keys")
		}
		out = append(out, "--detach-keys", iio.DetachKeys)
	}
	return out, nil
}

// dockerDetached is what the docker CLI prints when the detach keys end
// its session (and then exits with 1).
const dockerDetached = "read escape sequence"

// runAttached runs the CLI with the caller's streams and returns its exit
// status, which is the process's (or the CLI's own, 125 and up, when it
// failed). The CLI stays in the caller's process group: a CLI that reads
// the terminal must be in its foreground group, and it gets the terminal's
// SIGWINCH there. When ctx ends it is interrupted, then killed.
func (b *Backend) runAttached(ctx context.Context, args []string, iio backend.InteractiveIO) (int, error) {
	if err := b.validInstance(); err != nil {
		return 0, err
	}
	argv := b.Argv(args)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = waitDelay
	cmd.Env = cliEnv(args)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = iio.Stdin, iio.Stdout, iio.Stderr
	if cmd.Stderr == nil {
		cmd.Stderr = iio.Stdout
	}
	// nerdctl reports an exec'd command's exit status as its own failure
	// (see execExitCode), docker a detach as its own failure: the last line
	// of stderr tells. (The CLIs look at stdin and stdout for the terminal,
	// so stderr can go through a pipe.)
	var tail *tailBuffer
	var logs *logLineFilter
	if b.proto.Flavor == FlavorNerdctl && args[0] == "exec" {
		logs = &logLineFilter{w: cmd.Stderr}
		cmd.Stderr = logs
	}
	if logs != nil || (iio.TTY && iio.Stdin != nil) {
		tail = newTailBuffer(stderrKeep)
		cmd.Stderr = io.MultiWriter(cmd.Stderr, tail)
	}
	if err := cmd.Start(); err != nil {
		return 0, core.Errorf(core.KindBackendNotAvailable, "%s: cannot run %s: %w", b.name, b.bin, err).With("backend", b.name)
	}
	err := cmd.Wait()
	status := func(code int, dropLast bool) (int, error) {
		if logs != nil {
			logs.finish(dropLast)
		}
		return code, nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return 0, core.Errorf(core.KindOf(ctxErr), "%s %s: %w", b.name, opName(args), ctxErr).With("backend", b.name)
	}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return status(0, false)
	case errors.As(err, &exitErr):
		code := exitCode(exitErr)
		if tail != nil {
			out := output{stderr: strings.TrimSpace(tail.String()), code: code}
			if lastLine(out.stderr) == dockerDetached {
				return 0, backend.ErrDetached
			}
			if c, ok := b.proto.execExitCode(out); ok {
				return status(c, true)
			}
		}
		return status(code, false)
	case errors.Is(err, exec.ErrWaitDelay) && cmd.ProcessState != nil:
		return status(cmd.ProcessState.ExitCode(), false) // a grandchild held a stream open
	}
	if logs != nil {
		logs.finish(false)
	}
	return 0, core.Errorf(core.KindBackendError, "%s %s: %w", b.name, opName(args), err).With("backend", b.name)
}

// nerdctlLogPrefix begins each of nerdctl's log lines on stderr.
const nerdctlLogPrefix = `time="`

// logLineFilter passes nerdctl's stderr through, except its log lines
// (time="…" level=…), which it holds until finish: an exec'd command's
// exit status comes as nerdctl's last (fatal) log line, which is no output
// of the command (see execExitCode). Other output passes at once, a prompt
// without its newline included.
type logLineFilter struct {
	w      io.Writer
	line   []byte // the start of the current line, while it may be a log line
	inLog  bool   // the current line is a log line: held in line
	passed bool   // the current line was passed through
	held   [][]byte
}

func (f *logLineFilter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		chunk := p
		if i := bytes.IndexByte(p, '\n'); i >= 0 {
			chunk = p[:i+1]
		}
		p = p[len(chunk):]
		if err := f.add(chunk); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// add takes a piece of one line (with its newline when it ends it).
func (f *logLineFilter) add(chunk []byte) error {
	ends := chunk[len(chunk)-1] == '\n'
	if !f.passed {
		f.line = append(f.line, chunk...)
		chunk = nil
		if !f.inLog {
			n := min(len(f.line), len(nerdctlLogPrefix))
			switch {
			case string(f.line[:n]) != nerdctlLogPrefix[:n]:
				f.passed = true
				chunk, f.line = f.line, nil
			case n == len(nerdctlLogPrefix):
				f.inLog = true
			case ends: // a short line that began like a log line
				chunk, f.line = f.line, nil
			}
		}
	}
	if len(chunk) > 0 {
		if _, err := f.w.Write(chunk); err != nil {
			return err
		}
	}
	if ends {
		if f.inLog {
			f.held = append(f.held, f.line)
		}
		f.line, f.inLog, f.passed = nil, false, false
	}
	return nil
}

// finish writes what was held, without the last log line when dropLast.
func (f *logLineFilter) finish(dropLast bool) {
	var rest []byte
	if f.inLog {
		f.held = append(f.held, f.line)
	} else {
		rest = f.line
	}
	if dropLast && len(f.held) > 0 {
		f.held = f.held[:len(f.held)-1]
	}
	for _, l := range append(f.held, rest) {
		_, _ = f.w.Write(l)
	}
	f.held, f.line, f.inLog = nil, nil, false
}

var _ backend.Attacher = (*Backend)(nil)

// Attach runs `attach [--sig-proxy=B] [--no-stdin] [--detach-keys K] -- ID`
// with the caller's streams; the CLI's exit status is the process's.
// nerdctl's attach has neither flag: without stdin it is given an empty
// input (which a container that keeps stdin open does not see end, unless
// it was created to close stdin with its first client's). apple/container
// has no attach.
func (b *Backend) Attach(ctx context.Context, id string, iio backend.InteractiveIO) (int, error) {
	if err := requireID("id", id); err != nil {
		return 0, err
	}
	if b.proto.apple() {
		return 0, backend.Unsupported(b, "attach")
	}
	args, err := b.proto.AttachArgs(id, iio)
	if err != nil {
		return 0, err
	}
	return b.runAttached(ctx, args, iio)
}

// AttachArgs is the runtime's attach of container id as iio asks.
func (p Protocol) AttachArgs(id string, iio backend.InteractiveIO) ([]string, error) {
	if p.apple() {
		return nil, p.unsupported("attach")
	}
	args := []string{"attach"}
	if p.Flavor != FlavorNerdctl {
		args = append(args, "--sig-proxy="+strconv.FormatBool(iio.SignalsToProcess))
		if iio.Stdin == nil {
			args = append(args, "--no-stdin")
		}
	}
	if iio.DetachKeys != "" {
		if _, err := backend.ParseDetachKeys(iio.DetachKeys); err != nil {
			return nil, err
		}
		args = append(args, "--detach-keys", iio.DetachKeys)
	}
	return append(args, "--", id), nil
}
