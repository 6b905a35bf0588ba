package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// waitDelay bounds how long a killed or finished CLI may hold its output
// pipes open (a grandchild such as lima's ssh can outlive it).
const waitDelay = 2 * time.Second

// stderrKeep is how much of a CLI's stderr is kept for error messages.
const stderrKeep = 16 << 10

// target names what a command is about, so a "no such …" answer becomes a
// NotFound error naming it. A zero target never maps to NotFound.
type target struct {
	what string // container | image | network | volume
	id   string
}

// output is what a finished CLI call produced.
type output struct {
	stdout []byte
	stderr string
	code   int
}

// Argv returns the full argument vector for protocol arguments args: the
// binary, the wrapper prefix (lima: shell --workdir / INST nerdctl), args.
func (b *Backend) Argv(args []string) []string {
	argv := make([]string, 0, 1+len(b.prefix)+len(args))
	argv = append(argv, b.bin)
	argv = append(argv, b.prefix...)
	return append(argv, args...)
}

// command prepares the CLI process: an argv array (never a shell), killed
// with its process group when ctx ends.
func (b *Backend) command(ctx context.Context, args []string) *exec.Cmd {
	argv := b.Argv(args)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.WaitDelay = waitDelay
	cmd.Env = cliEnv(args)
	killProcessGroup(cmd)
	return cmd
}

// cliEnv is the environment the CLI runs with for args: nil (this
// process's) unless args carry a bare --env=KEY before "--", which asks the
// engine to remove KEY from an exec's or a container's environment
// (ExecOptions.Unset, ContainerSpec.UnsetEnv). The
// docker CLI sends its own value of KEY instead when it has one, so it runs
// without KEY.
func cliEnv(args []string) []string {
	var unset []string
	for _, a := range args {
		if a == "--" {
			break
		}
		if k, ok := strings.CutPrefix(a, "--env="); ok && !strings.Contains(k, "=") {
			unset = append(unset, k)
		}
	}
	if len(unset) == 0 {
		return nil
	}
	return slices.DeleteFunc(os.Environ(), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		return slices.Contains(unset, k)
	})
}

// run executes the CLI and collects its output. The error is non-nil only when
// the CLI could not run, its output could not be delivered, or ctx ended; a
// non-zero exit is in output.code.
func (b *Backend) run(ctx context.Context, args []string) (output, error) {
	return b.runWith(ctx, args, nil, nil)
}

// runWith executes the CLI streaming its stdout and stderr into the given
// writers (nil: stdout is collected into output.stdout, stderr dropped). The
// tail of stderr is always kept in output.stderr for error messages.
func (b *Backend) runWith(ctx context.Context, args []string, stdout, stderr io.Writer) (output, error) {
	return b.runIO(ctx, args, nil, stdout, stderr)
}

// runIO is runWith with stdin as the CLI's input (nil: none).
func (b *Backend) runIO(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (output, error) {
	if err := b.validInstance(); err != nil {
		return output{}, err
	}
	var collected bytes.Buffer
	tail := newTailBuffer(stderrKeep)
	cmd := b.command(ctx, args)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &collected, tail
	if stdout != nil {
		cmd.Stdout = stdout
	}
	if stderr != nil {
		cmd.Stderr = io.MultiWriter(stderr, tail)
	}
	if err := cmd.Start(); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return output{}, core.Errorf(core.KindOf(ctxErr), "%s %s: %w", b.name, opName(args), ctxErr).With("backend", b.name)
		}
		return output{}, core.Errorf(core.KindBackendNotAvailable, "%s: cannot run %s: %w", b.name, b.bin, err).With("backend", b.name)
	}
	err := cmd.Wait()
	out := output{stdout: collected.Bytes(), stderr: strings.TrimSpace(tail.String())}
	return b.finish(ctx, args, cmd, err, out)
}

// finish classifies the end of a CLI process.
func (b *Backend) finish(ctx context.Context, args []string, cmd *exec.Cmd, err error, out output) (output, error) {
	if err == nil {
		return out, nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return out, core.Errorf(core.KindOf(ctxErr), "%s %s: %w", b.name, opName(args), ctxErr).With("backend", b.name)
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		out.code = exitCode(exitErr)
		return out, nil
	}
	if errors.Is(err, exec.ErrWaitDelay) && cmd.ProcessState != nil && cmd.ProcessState.Success() {
		return out, nil // exited 0; a grandchild kept the pipe open
	}
	// The process ran, but copying its output failed (a caller's writer
	// returned an error).
	return out, core.Errorf(core.KindBackendError, "%s %s: %w", b.name, opName(args), err).With("backend", b.name)
}

// call runs the CLI and turns a non-zero exit into an error: NotFound when
// the runtime says t does not exist, else BackendFailure with its stderr.
func (b *Backend) call(ctx context.Context, t target, args []string) (output, error) {
	return b.callInput(ctx, t, args, nil)
}

// callInput is call with stdin as the CLI's input.
func (b *Backend) callInput(ctx context.Context, t target, args []string, stdin io.Reader) (output, error) {
	out, err := b.runIO(ctx, args, stdin, nil, nil)
	if err != nil {
		return out, err
	}
	if out.code != 0 {
		return out, b.failure(args, out, t)
	}
	return out, nil
}

// failure is the error of a CLI call that exited with out.code.
func (b *Backend) failure(args []string, out output, t target) error {
	// A create, run or start names networks besides its target.
	if n, ok := backend.MissingNetwork(out.stderr); ok && t.what != "" && t.what != "network" {
		return core.NotFound("network", n).With("backend", b.name).With("stderr", out.stderr)
	}
	if b.notFound(t, out.stderr) {
		return core.NotFound(t.what, t.id).With("backend", b.name).With("stderr", out.stderr)
	}
	return core.BackendFailure(b.name, b.Argv(args), out.code, out.stderr)
}

// containerGone lists the phrases by which the CLIs say a container does not
// exist (docker, podman, nerdctl). Broad phrases like "not found" are not
// used for containers: `start` fails with "executable file not found" when
// the container exists but its command does not.
var containerGone = []string{"no such container", "no such object", "no container with name or id"}

var objectGone = map[string][]string{
	// Not a bare "not found": `create` says "network x not found" about
	// its network, and its target is the image.
	"image":   {"no such image", "image not known", "manifest unknown", "pull access denied", "repository does not exist", "notfound"},
	"network": {"no such network", "not found", "unable to find network", "no network found matching"},
	"volume":  {"no such volume", "not found"},
}

// notFound reports whether stderr says t does not exist.
func (b *Backend) notFound(t target, stderr string) bool {
	if t.what == "" || stderr == "" {
		return false
	}
	s := strings.ToLower(stderr)
	if t.what == "container" {
		for _, p := range containerGone {
			if strings.Contains(s, p) {
				return true
			}
		}
		// apple/container: `Error: notFound: "container x not found"`; the
		// id on the same line keeps a missing executable from matching.
		id := strings.ToLower(t.id)
		for _, line := range strings.Split(s, "\n") {
			if strings.Contains(line, "executable file not found") {
				continue
			}
			if (strings.Contains(line, "notfound") || strings.Contains(line, "not found")) && strings.Contains(line, id) {
				return true
			}
		}
		return false
	}
	for _, p := range objectGone[t.what] {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// inspectOutput runs an inspect of one or more objects. A listing (t zero)
// tolerates objects removed since they were listed: inspect prints the others
// and exits 1.
func (b *Backend) inspectOutput(ctx context.Context, t target, what string, args []string) ([]byte, error) {
	out, err := b.run(ctx, args)
	if err != nil {
		return nil, err
	}
	if out.code != 0 {
		if t.what == "" && b.notFound(target{what, "?"}, out.stderr) {
			return out.stdout, nil
		}
		return nil, b.failure(args, out, t)
	}
	return out.stdout, nil
}

// opName names a command in messages without its values (env values may be
// secrets, so argv never goes into an error).
func opName(args []string) string {
	if len(args) == 0 {
		return ""
	}
	switch args[0] {
	case "network", "volume", "image", "system":
		if len(args) > 1 {
			return args[0] + " " + args[1]
		}
	}
	return args[0]
}

// tailBuffer keeps the last max bytes written to it: enough of a CLI's
// stderr for an error message, bounded however long the CLI runs.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func newTailBuffer(max int) *tailBuffer { return &tailBuffer{max: max} }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// lockedWriter serializes writes to a writer shared by stdout and stderr.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// sameWriter reports whether two writers are the same comparable value
// (comparing uncomparable dynamic types panics, which means "different").
func sameWriter(a, b io.Writer) (same bool) {
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	return a == b
}
