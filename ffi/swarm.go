package main

import (
	"context"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/api"
	bswarm "github.com/perryts/perry-container/backend/swarm"
	"github.com/perryts/perry-container/compose/engine"
	cswarm "github.com/perryts/perry-container/compose/swarm"
	"github.com/perryts/perry-container/core"
)

// Where a compose stack runs (docs/scale-out.md): "local" (the detected
// runtime, the default) or "swarm" (Docker Swarm services, our planner
// gating the dependencies; the engine must be a swarm manager).
const (
	targetLocal = "local"
	targetSwarm = "swarm"
	// targetEnv chooses the target when the call does not.
	targetEnv = "PERRY_CONTAINER_TARGET"
)

// ComposeUpOptions is opts_json of js_container_composeUpWith.
type ComposeUpOptions struct {
	// Target is "local" or "swarm"; absent: $PERRY_CONTAINER_TARGET, else local.
	Target string `json:"target,omitempty"`
}

// composeTarget decodes opts and says where the stack runs: the option,
// else the environment variable, else local. Anything else is
// InvalidArgument naming where it came from.
func composeTarget(opts arg) (string, error) {
	var o ComposeUpOptions
	if _, err := opts.json(&o); err != nil {
		return "", err
	}
	name, t := opts.name+".target", o.Target
	if t == "" {
		// The variable is read as perry-compose reads it: any case.
		name, t = targetEnv, strings.ToLower(os.Getenv(targetEnv))
	}
	switch t {
	case "", targetLocal:
		return targetLocal, nil
	case targetSwarm:
		return targetSwarm, nil
	}
	return "", core.InvalidArgument(name, "unknown target %q (local or swarm)", t)
}

// swarmTarget connects to the swarm of the detected engine when it is a
// Docker Engine reached through the Engine API (Docker, OrbStack, Colima,
// Rancher Desktop), else to the environment's Docker Engine (DOCKER_HOST or
// its default socket): podman and the CLI runtimes have no swarm. The error
// of an engine that is not a swarm manager is the Swarm target's own,
// unchanged.
func (c *hostCtx) swarmTarget(ctx context.Context) (*cswarm.Target, error) {
	var cl *bswarm.Client
	if b, err := c.Backend(ctx); err == nil {
		if ab, ok := b.(*api.Backend); ok && ab.Name() != "podman" {
			cl = bswarm.FromBackend(ab)
		}
	}
	if cl == nil {
		var err error
		if cl, err = bswarm.New(""); err != nil {
			return nil, err
		}
	}
	t, err := cswarm.FromClient(ctx, cl)
	if err != nil {
		_ = cl.Close()
		return nil, err
	}
	return t, nil
}

// composeUpSwarm deploys p on Swarm under a compose handle. The up waits
// until every service meets the condition a dependent would wait for
// (running, healthy with a healthcheck, jobs completed); a failed up
// removes what it created.
func (c *hostCtx) composeUpSwarm(ctx context.Context, p *types.Project) (any, error) {
	t, err := c.swarmTarget(ctx)
	if err != nil {
		return nil, err
	}
	kept := false // t belongs to the handle (else it is closed here)
	defer func() {
		if !kept {
			_ = t.Close()
		}
	}()
	h, err := c.upProject(kindCompose, p.Name, func(prev any) (any, error) {
		if st, ok := prev.(*stack); ok && st.swarm() == nil {
			return nil, targetMismatch(p.Name, targetLocal)
		}
		if st, ok := prev.(*stack); ok {
			// Converge on the handle's own target (readers may be using
			// it); the one made for this call is closed.
			tt := st.swarm()
			if err := tt.Up(ctx, p, cswarm.UpOptions{Wait: true}); err != nil {
				return nil, err
			}
			st.cur.Store(&stackState{engine: engine.New(tt.Client().Local(), p), project: p, target: tt})
			return st, nil
		}
		if err := t.Up(ctx, p, cswarm.UpOptions{Wait: true}); err != nil {
			return nil, err
		}
		kept = true
		s := &stack{}
		s.cur.Store(&stackState{engine: engine.New(t.Client().Local(), p), project: p, target: t})
		return s, nil
	})
	if err != nil {
		return nil, err
	}
	names := p.ServiceNames()
	sort.Strings(names)
	return ComposeUpResult{Handle: h, Project: p.Name, Services: names}, nil
}

// targetMismatch: a project is up under a live handle on one target and
// asked up on the other.
func targetMismatch(project, current string) error {
	return core.InvalidArgument("opts.target", "project %q is up on the %s target under a live handle: bring it down before deploying it elsewhere", project, current)
}

// swarmPs lists the stack's tasks as containers: a task is named
// {project}_{service}.{slot}; its id is its container's on this node, else
// the task's.
func swarmPs(ctx context.Context, t *cswarm.Target, project string) ([]core.ContainerInfo, error) {
	tasks, err := t.Ps(ctx, project)
	if err != nil {
		return nil, err
	}
	out := make([]core.ContainerInfo, 0, len(tasks))
	for _, k := range tasks {
		id := k.ContainerID
		if id == "" {
			id = k.ID
		}
		info := core.ContainerInfo{ID: id, Name: k.Name, Image: k.Image, Status: k.State, Ports: nonNil(k.Ports),
			State: swarmContainerState(k.State), Health: k.Health, ExitCode: k.ExitCode,
			Labels: map[string]string{cswarm.LabelNamespace: project, cswarm.LabelService: k.Service, "com.docker.swarm.task.id": k.ID}}
		if !k.Updated.IsZero() {
			info.Created = k.Updated.UTC().Format("2006-01-02T15:04:05Z")
		}
		if k.Message != "" {
			info.Status = k.State + ": " + k.Message
		}
		out = append(out, info)
	}
	return out, nil
}

// swarmContainerState maps a task state onto ContainerInfo's states.
func swarmContainerState(s string) string {
	switch s {
	case "running":
		return "running"
	case "complete", "failed", "shutdown", "rejected", "orphaned", "remove":
		return "exited"
	}
	return "created" // new … starting: not running yet
}

// swarmStatus is the stack's status from its tasks: a service is running
// when every task it wants running runs (and none is unhealthy), stopped
// when its tasks completed (a job), failed when one failed for good,
// pending otherwise.
func swarmStatus(ctx context.Context, t *cswarm.Target, p *types.Project) (core.StackStatus, error) {
	tasks, err := t.Ps(ctx, p.Name)
	if err != nil {
		return core.StackStatus{}, err
	}
	by := map[string][]cswarm.Task{}
	for _, k := range tasks {
		by[k.Service] = append(by[k.Service], k)
	}
	names := p.ServiceNames()
	sort.Strings(names)
	st := core.StackStatus{Services: []core.ServiceStatus{}, Healthy: true}
	for _, n := range names {
		ss := core.ServiceStatus{Service: n}
		ss.State, ss.Error, ss.ContainerID = cswarm.ServiceState(by[n])
		if ss.State != core.StateRunning {
			st.Healthy = false
		}
		st.Services = append(st.Services, ss)
	}
	return st, nil
}

// swarmLogs runs the stack's service logs into a line splitter: each line
// "web.1@node | text" (as docker service logs prints it) is handed to
// line with the service it belongs to.
func swarmLogs(ctx context.Context, t *cswarm.Target, project string, lo engine.LogsOptions, line func(service, task, text string)) error {
	w := backend.NewLineWriter(func(l string) {
		task, text, ok := strings.Cut(l, " | ")
		if !ok {
			line("", "", l)
			return
		}
		svc := task
		if i := strings.IndexAny(svc, ".@"); i >= 0 {
			svc = svc[:i]
		}
		line(svc, task, text)
	})
	err := t.Logs(ctx, project, lo.Services, lo.Follow, w)
	_ = w.Close()
	return err
}

// swarmLogsText is compose logs' result on Swarm: every line prefixed by
// its service, the last tail lines of each task when tail is set.
func swarmLogsText(ctx context.Context, t *cswarm.Target, project string, lo engine.LogsOptions) (core.ContainerLogs, error) {
	type tl struct{ svc, text string }
	var order []string
	byTask := map[string][]tl{}
	var mu sync.Mutex
	err := swarmLogs(ctx, t, project, lo, func(service, task, text string) {
		mu.Lock()
		defer mu.Unlock()
		if _, ok := byTask[task]; !ok {
			order = append(order, task)
		}
		byTask[task] = append(byTask[task], tl{service, text})
	})
	if err != nil {
		return core.ContainerLogs{}, err
	}
	var out strings.Builder
	for _, task := range order {
		lines := byTask[task]
		if lo.Tail != nil && len(lines) > *lo.Tail {
			lines = lines[len(lines)-*lo.Tail:]
		}
		for _, l := range lines {
			out.WriteString(l.svc + " | " + l.text + "\n")
		}
	}
	return core.ContainerLogs{Stdout: out.String()}, nil
}

// swarmExec runs a command in the container of a service's task on this
// node.
func swarmExec(ctx context.Context, t *cswarm.Target, project, service string, o ComposeExecOptions, argv []string) (core.ContainerLogs, error) {
	return t.Exec(ctx, project, service, o.Index, backend.ExecOptions{Cmd: argv, Env: o.Env, Workdir: o.Workdir, User: o.User})
}

// swarmUnsupported is the error of a compose call the Swarm target has no
// operation for.
func swarmUnsupported(op string) error {
	return core.InvalidArgument("handle", "%s is not supported on a stack deployed to Swarm (scale its services or bring it down instead)", op)
}
