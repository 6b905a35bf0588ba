package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// Lifecycle hooks (a service's post_start and pre_stop), run as docker
// compose v5.6.0 runs them: each hook is an exec in the container, run to
// its end, in the order given.
//
//   - post_start: after the container is started by up, start or restart
//     (and run: PostStart); its start counts as done (Started, and
//     dependents may go on) once every hook succeeded. A hook that fails
//     fails the command; the container keeps running.
//   - pre_stop: before the container is stopped by stop, down (the
//     project's services, not orphans) or restart. A hook that fails fails
//     the command and the container is not stopped (down then removes
//     neither it nor the networks). A container that is gone or no longer
//     running by then is stopped as if it had no hooks, and a stopped
//     one's restart runs none (docker compose's restart fails there).
//
// Neither runs when up recreates, scales down or removes an orphan, nor on
// kill or a failed up's rollback, as in docker compose.

// Hook is one lifecycle hook of a service: a command exec'd in one of its
// containers.
type Hook struct {
	// Name is the hook's field, "post_start[0]" or "pre_stop[1]", for
	// messages and error details.
	Name string
	Exec backend.ExecOptions
}

// convertHooks maps a service's post_start or pre_stop list (field). A hook
// needs a command; what an exec cannot carry (a NUL, a control character in
// the user) is refused here, naming the hook, before anything is created.
func convertHooks(service, field string, hooks []types.ServiceHook) ([]Hook, error) {
	var out []Hook
	for i, h := range hooks {
		name := fmt.Sprintf("%s[%d]", field, i)
		bad := func(format string, args ...any) error {
			return serviceError(core.KindInvalidConfig, service, nil, "service %q: %s: "+format, append([]any{service, name}, args...)...).
				With("field", name)
		}
		if len(h.Command) == 0 {
			return nil, bad("command is required")
		}
		x := hookExec(h)
		if err := x.Validate(); err != nil {
			return nil, bad("%s", core.AsError(err).Message)
		}
		out = append(out, Hook{Name: name, Exec: x})
	}
	return out, nil
}

// HookExecOptions is a compose hook (a lifecycle hook, or develop.watch's
// exec) as the engine's Exec takes it, for container number index.
func HookExecOptions(h types.ServiceHook, index int) ExecOptions {
	return ExecOptions{Index: index, ExecOptions: hookExec(h)}
}

// hookExec is the one reading of a compose hook as an exec, for lifecycle
// hooks and develop.watch alike.
func hookExec(h types.ServiceHook) backend.ExecOptions {
	x := backend.ExecOptions{Cmd: h.Command, User: h.User, Workdir: h.WorkingDir, Privileged: h.Privileged}
	x.Env, x.Unset = composeEnv(h.Environment)
	return x
}

// WithHookOutput hands the output of every lifecycle hook the engine runs
// to fn, line by line, once the hook ended: container is the container's
// name, stream "stdout" or "stderr". Calls are serialised with the events
// hook's. Without it the output is dropped, except for the last lines of a
// failing hook, which its error carries.
func WithHookOutput(fn func(service, container, stream, line string)) Option {
	return func(e *Engine) { e.hookOutput = fn }
}

// runHooks runs hooks (which: "post_start" or "pre_stop") in op's container,
// in order, each to its end; the first that fails ends the run with an
// error naming the service, the container and the hook. kind is the
// error's kind when a hook's command exits with a status other than 0.
func (e *Engine) runHooks(ctx context.Context, op *Op, hooks []Hook, kind core.Kind) error {
	container := op.display()
	for _, h := range hooks {
		res, err := e.backend.Exec(ctx, op.Target, h.Exec)
		if err != nil {
			format := "service %q: container %s: %s: %v"
			if core.AsError(err).Details["unsupported"] == true {
				// A runtime without exec (backend.Unsupported, kept as
				// the error's kind and details): say why it was needed.
				format = "service %q: container %s: %s: a lifecycle hook runs through exec, and %v"
			}
			return core.AsError(wrapKind(err, format, op.Service, container, h.Name, err)).
				With("service", op.Service).With("container", container).With("hook", h.Name)
		}
		e.printHookOutput(op.Service, container, res)
		if res.ExitCode != nil && *res.ExitCode != 0 {
			code := *res.ExitCode
			msg := fmt.Sprintf("service %q: container %s: %s hook exited with status %d", op.Service, container, h.Name, code)
			if tail := hookOutputTail(res); tail != "" {
				msg += ": " + tail
			}
			return serviceError(kind, op.Service, nil, "%s", msg).With("container", container).With("hook", h.Name).With("exitCode", code)
		}
	}
	return nil
}

// notRunning reports an exec that found its container gone or stopped (the
// runtime's conflict): a pre_stop hook has nothing left to prepare then.
func notRunning(err error) bool {
	return isNotFound(err) || (err != nil && core.AsError(err).Details["conflict"] != nil)
}

func (e *Engine) printHookOutput(service, container string, res core.ContainerLogs) {
	if e.hookOutput == nil {
		return
	}
	e.eventsMu.Lock()
	defer e.eventsMu.Unlock()
	for _, s := range []struct{ name, text string }{{"stdout", res.Stdout}, {"stderr", res.Stderr}} {
		for _, line := range splitLines(s.text) {
			e.hookOutput(service, container, s.name, strings.TrimSuffix(line, "\r"))
		}
	}
}

// A failing hook's error ends with the last lines of its output, as docker
// compose's does: stderr's (which usually says why) unless it is empty,
// blank lines and a progress bar's rewound states dropped, at most 10
// lines and 2048 bytes.
const (
	hookTailLines = 10
	hookTailBytes = 2048
)

func hookOutputTail(res core.ContainerLogs) string {
	tail := tailOf(res.Stderr)
	if tail == "" {
		tail = tailOf(res.Stdout)
	}
	return tail
}

func tailOf(s string) string {
	var lines []string
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimRight(line, "\r")
		if i := strings.LastIndex(line, "\r"); i >= 0 {
			line = line[i+1:]
		}
		if strings.TrimSpace(line) != "" {
			lines = append(lines, line)
		}
	}
	if len(lines) > hookTailLines {
		lines = lines[len(lines)-hookTailLines:]
	}
	out := strings.TrimSpace(strings.Join(lines, "\n"))
	if len(out) > hookTailBytes {
		out = strings.ToValidUTF8(out[len(out)-hookTailBytes:], "")
	}
	return out
}

// preStop runs op's pre_stop hooks. One that finds the container gone or
// stopped ends them without an error: the stop (or restart) that follows
// has nothing to prepare, and docker compose's stop goes on there too.
func (e *Engine) preStop(ctx context.Context, op *Op) error {
	if err := e.runHooks(ctx, op, op.PreStop, core.KindBackendError); err != nil && !notRunning(err) {
		return err
	}
	return nil
}

// PostStart runs the post_start hooks of service in container c, as up runs
// them after a start, for a container the caller started itself: a one-off
// container of the service (perry-compose run), which docker compose's run
// gives the hooks too. c's name is for messages; without hooks it does
// nothing.
func (e *Engine) PostStart(ctx context.Context, service string, c core.ContainerHandle) error {
	_, s, err := e.serviceModel(service)
	if err != nil {
		return err
	}
	if s.convErr != nil {
		return s.convErr
	}
	target := c.ID
	if target == "" {
		target = c.Name
	}
	return e.runHooks(ctx, &Op{Type: OpStartContainer, Service: service, Target: target, Name: c.Name}, s.postStart, core.KindServiceStartupFailed)
}
