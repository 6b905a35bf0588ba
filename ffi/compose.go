package main

import (
	"context"
	"encoding/json"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/compose/engine"
	"github.com/perryts/perry-container/compose/loader"
	cswarm "github.com/perryts/perry-container/compose/swarm"
	"github.com/perryts/perry-container/core"
)

// stack is the value behind a compose handle. Its mutex serializes the
// calls that change it, so a concurrent down of one handle runs once and the
// other caller gets NotFound; read-only calls use the current engine and
// project without the lock (a converging up swaps them at its end).
type stack struct {
	live
	cur atomic.Pointer[stackState]
}

type stackState struct {
	engine  *engine.Engine
	project *types.Project
	// target is set when the stack runs on Swarm: every call of the
	// handle then goes to it, the engine only answers graph.
	target *cswarm.Target
}

func newStack(e *engine.Engine, p *types.Project) *stack {
	s := &stack{}
	s.cur.Store(&stackState{engine: e, project: p})
	return s
}

func (s *stack) engine() *engine.Engine  { return s.cur.Load().engine }
func (s *stack) project() *types.Project { return s.cur.Load().project }

// swarm is the Swarm target of a stack deployed there, else nil.
func (s *stack) swarm() *cswarm.Target { return s.cur.Load().target }

// ComposeUpResult is what js_container_composeUp resolves to.
type ComposeUpResult struct {
	Handle   int64    `json:"handle"`
	Project  string   `json:"project"`
	Services []string `json:"services"`
}

func (s *stack) teardown(ctx context.Context) error {
	return s.teardownOnce(func() error { return s.down(ctx, false) })
}

// down takes the stack down on its target.
func (s *stack) down(ctx context.Context, volumes bool) error {
	if t := s.swarm(); t != nil {
		if err := t.Down(ctx, s.project().Name, cswarm.DownOptions{Volumes: volumes}); err != nil {
			return err
		}
		return t.Close() // the connection the up opened, if it opened one
	}
	return s.engine().Down(ctx, engine.DownOptions{Volumes: volumes})
}

// loadOptions reads an inline JSON object or a compose file path.
func loadOptions(spec string) loader.Options {
	if strings.HasPrefix(strings.TrimSpace(spec), "{") {
		return loader.Options{Inline: []byte(spec)}
	}
	return loader.Options{Files: []string{spec}}
}

func (c *hostCtx) composeUp(ctx context.Context, spec arg) (any, error) {
	return c.composeUpWith(ctx, spec, arg{name: "opts"})
}

// composeUpWith is composeUp with options: the target the stack runs on
// (ComposeUpOptions; docs/scale-out.md).
func (c *hostCtx) composeUpWith(ctx context.Context, spec, opts arg) (any, error) {
	s, err := spec.required()
	if err != nil {
		return nil, err
	}
	target, err := composeTarget(opts)
	if err != nil {
		return nil, err
	}
	p, err := loader.Load(ctx, loadOptions(s))
	if err != nil {
		return nil, specError(spec.name, err)
	}
	if target == targetSwarm {
		return c.composeUpSwarm(ctx, p)
	}
	b, err := c.Backend(ctx)
	if err != nil {
		return nil, err
	}
	h, err := c.upProject(kindCompose, p.Name, func(prev any) (any, error) {
		if st, ok := prev.(*stack); ok && st.swarm() != nil {
			return nil, targetMismatch(p.Name, targetSwarm)
		}
		e := engine.New(b, p)
		if err := e.Up(ctx, engine.UpOptions{}); err != nil {
			return nil, err
		}
		if st, ok := prev.(*stack); ok {
			// Converged: the handle now describes the project as given.
			st.cur.Store(&stackState{engine: e, project: p})
			return st, nil
		}
		return newStack(e, p), nil
	})
	if err != nil {
		return nil, err
	}
	names := p.ServiceNames()
	sort.Strings(names)
	return ComposeUpResult{Handle: h, Project: p.Name, Services: names}, nil
}

// specError names the argument in a loader error and words an unknown key
// as ContainerSpec does (`unknown key "imagee"`), not as the schema does.
func specError(argName string, err error) error {
	e := core.AsError(err)
	msg := e.Message
	if prefix, at, key, ok := unknownSchemaKey(msg); ok {
		if at != "" {
			at += ": "
		}
		msg = prefix + at + "unknown key " + strconv.Quote(key)
		e = e.With("key", key)
	}
	out := e.With("argument", argName)
	out.Message = argName + ": " + msg
	return out
}

// compose-go's two schema messages for an unknown key: "services.a.imagee
// false schema" and "services.a.healthcheck additional properties 'testt'
// not allowed" (the path is empty at the top level).
var (
	falseSchemaRe = regexp.MustCompile(`^(.*?: )?(\S+) false schema$`)
	additionalRe  = regexp.MustCompile(`^(.*?: )?(\S*) +additional properties '([^']+)' not allowed$`)
)

// unknownSchemaKey reads such a message's prefix, the object's path and the key.
func unknownSchemaKey(msg string) (prefix, at, key string, ok bool) {
	if m := additionalRe.FindStringSubmatch(msg); m != nil {
		return m[1], m[2], m[3], true
	}
	if m := falseSchemaRe.FindStringSubmatch(msg); m != nil {
		path := m[2]
		i := strings.LastIndexByte(path, '.')
		return m[1], path[:max(i, 0)], path[i+1:], true
	}
	return "", "", "", false
}

// withStack runs fn on the live stack behind h, holding its lock.
func (c *hostCtx) withStack(h int64, fn func(*stack) (any, error)) (any, error) {
	return withLive(c, h, kindCompose, fn)
}

// readStack runs a read-only fn on the live stack behind h, without its lock.
func (c *hostCtx) readStack(h int64, fn func(*stack) (any, error)) (any, error) {
	return readLive(c, h, kindCompose, fn)
}

func (c *hostCtx) composeDown(ctx context.Context, h int64, volumes bool) (any, error) {
	return downLive(c, h, kindCompose, func(s *stack) error { return s.down(ctx, volumes) })
}

func (c *hostCtx) composePs(ctx context.Context, h int64) (any, error) {
	return c.readStack(h, func(s *stack) (any, error) {
		if t := s.swarm(); t != nil {
			return swarmPs(ctx, t, s.project().Name)
		}
		cs, err := s.engine().Ps(ctx, engine.PsOptions{All: true})
		if err != nil {
			return nil, err
		}
		out := make([]core.ContainerInfo, 0, len(cs))
		for _, c := range cs {
			info := core.ContainerInfo{ID: c.ID, Name: c.Name, Image: c.Image, Status: c.Status, Ports: nonNil(c.Ports),
				Created: c.Created, State: c.State, Health: c.Health, Labels: c.Labels, Networks: c.Networks}
			if c.State == "exited" || c.State == "dead" {
				code := c.ExitCode
				info.ExitCode = &code
			}
			out = append(out, info)
		}
		return out, nil
	})
}

// ComposeLogsOptions is opts_json of js_container_compose_logs.
type ComposeLogsOptions struct {
	Service string `json:"service,omitempty"`
	Tail    *int   `json:"tail,omitempty"`
}

// composeLogsOptions decodes opts_json of the compose logs calls.
func composeLogsOptions(opts arg) (engine.LogsOptions, error) {
	var o ComposeLogsOptions
	if _, err := opts.json(&o); err != nil {
		return engine.LogsOptions{}, err
	}
	if o.Tail != nil && *o.Tail < 0 {
		return engine.LogsOptions{}, core.InvalidArgument(opts.name, "tail must not be negative")
	}
	lo := engine.LogsOptions{Tail: o.Tail}
	if o.Service != "" {
		lo.Services = []string{o.Service}
	}
	return lo, nil
}

func (c *hostCtx) composeLogs(ctx context.Context, h int64, opts arg) (any, error) {
	lo, err := composeLogsOptions(opts)
	if err != nil {
		return nil, err
	}
	return c.readStack(h, func(s *stack) (any, error) {
		if t := s.swarm(); t != nil {
			return swarmLogsText(ctx, t, s.project().Name, lo)
		}
		var mu sync.Mutex
		var out, errOut strings.Builder
		err := s.engine().Logs(ctx, lo, func(service, _, stream, line string) {
			mu.Lock()
			defer mu.Unlock()
			w := &out
			if stream == "stderr" {
				w = &errOut
			}
			w.WriteString(service + " | " + line)
			if !strings.HasSuffix(line, "\n") {
				w.WriteByte('\n')
			}
		})
		if err != nil {
			return nil, err
		}
		return core.ContainerLogs{Stdout: out.String(), Stderr: errOut.String()}, nil
	})
}

// composeLogsFollow follows the stack's logs until its containers exit (or
// the call is cancelled). Read-only: it holds no lock of the handle.
func (c *hostCtx) composeLogsFollow(ctx context.Context, h int64, opts arg, emit func(LogLine) error) error {
	lo, err := composeLogsOptions(opts)
	if err != nil {
		return err
	}
	lo.Follow = true
	_, err = c.readStack(h, func(s *stack) (any, error) {
		if t := s.swarm(); t != nil {
			return nil, swarmLogs(ctx, t, s.project().Name, lo, func(service, _, text string) {
				_ = emit(LogLine{Service: service, Stream: "stdout", Line: text})
			})
		}
		return nil, s.engine().Logs(ctx, lo, func(service, _, stream, line string) {
			// Once the call ended emit fails at once; the engine's own
			// follow stops with the same context.
			_ = emit(LogLine{Service: service, Stream: stream, Line: line})
		})
	})
	return err
}

// ComposeExecOptions is opts_json of js_container_compose_exec.
type ComposeExecOptions struct {
	Env     map[string]string `json:"env,omitempty"`
	Workdir string            `json:"workdir,omitempty"`
	User    string            `json:"user,omitempty"`
	Index   int               `json:"index,omitempty"`
}

func (c *hostCtx) composeExec(ctx context.Context, h int64, service, cmd, opts arg) (any, error) {
	svc, err := service.required()
	if err != nil {
		return nil, err
	}
	var argv []string
	if err := cmd.requiredJSON(&argv); err != nil {
		return nil, err
	}
	if len(argv) == 0 {
		return nil, core.InvalidArgument(cmd.name, "must be a non-empty array of strings")
	}
	var o ComposeExecOptions
	if _, err := opts.json(&o); err != nil {
		return nil, err
	}
	if o.Index < 0 {
		return nil, core.InvalidArgument(opts.name, "index must not be negative")
	}
	return c.withStack(h, func(s *stack) (any, error) {
		if t := s.swarm(); t != nil {
			return swarmExec(ctx, t, s.project().Name, svc, o, argv)
		}
		return s.engine().Exec(ctx, svc, engine.ExecOptions{Index: o.Index, ExecOptions: backend.ExecOptions{Cmd: argv, Env: o.Env, Workdir: o.Workdir, User: o.User}})
	})
}

func (c *hostCtx) composeConfig(ctx context.Context, h int64) (any, error) {
	return c.readStack(h, func(s *stack) (any, error) {
		out, err := loader.Config(s.project(), loader.ConfigOptions{Format: "json"})
		if err != nil {
			return nil, err
		}
		return json.RawMessage(out), nil
	})
}

func (c *hostCtx) composeLifecycle(ctx context.Context, h int64, op string, services arg) (any, error) {
	var names []string
	if _, err := services.json(&names); err != nil {
		return nil, err
	}
	return c.withStack(h, func(s *stack) (any, error) {
		if s.swarm() != nil {
			return nil, swarmUnsupported(op)
		}
		var err error
		switch op {
		case "start":
			err = s.engine().Start(ctx, names, nil)
		case "stop":
			err = s.engine().Stop(ctx, names, nil)
		default:
			err = s.engine().Restart(ctx, names, nil)
		}
		return nil, err
	})
}

func (c *hostCtx) composeStatus(ctx context.Context, h int64) (any, error) {
	return c.readStack(h, func(s *stack) (any, error) {
		if t := s.swarm(); t != nil {
			return swarmStatus(ctx, t, s.project())
		}
		return s.engine().Status(ctx)
	})
}

func (c *hostCtx) composeGraph(h int64) (any, error) {
	return c.readStack(h, func(s *stack) (any, error) { return s.engine().Graph() })
}
