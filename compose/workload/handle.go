package workload

import (
	"context"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/compose/engine"
	"github.com/perryts/perry-container/core"
)

// Handle is a graph that Run started (GraphHandle in the TypeScript API). Its methods
// are the compose engine's commands on the graph's project. It is safe for
// concurrent use; serialising a handle's operations (so that a second Down
// of one handle is NotFound) is the caller's business (ffi does it).
type Handle struct {
	b        backend.Backend
	g        core.WorkloadGraph
	order    []string
	project  *types.Project
	engine   *engine.Engine
	cfg      *config
	resolved map[string]map[string]string
	outcomes map[string]outcome // nodes that did not start: failed or skipped
}

// Project is the compose project name the graph runs as.
func (h *Handle) Project() string { return h.project.Name }

// Nodes are the graph's node ids in topological order (ties by id).
func (h *Handle) Nodes() []string { return slices.Clone(h.order) }

// Graph is the normalized graph (edges explicit, with their hints).
func (h *Handle) Graph() core.WorkloadGraph { return cloneGraph(h.g) }

// Resolved returns the resolved references: node → env variable → value,
// the values the nodes' containers were created with (docs/design.md, Workload references).
func (h *Handle) Resolved() map[string]map[string]string {
	out := make(map[string]map[string]string, len(h.resolved))
	for id, env := range h.resolved {
		out[id] = maps.Clone(env)
	}
	return out
}

// Failures returns the nodes that did not start in the run that made the
// handle (failed, or skipped because of a failure), with the reason.
func (h *Handle) Failures() map[string]string {
	out := map[string]string{}
	for id, o := range h.outcomes {
		out[id] = o.reason
	}
	return out
}

// node checks that id is a node of the graph.
func (h *Handle) node(id string) error {
	if _, ok := h.g.Nodes[id]; !ok {
		return core.NotFound("node", id).With("node", id).With("graph", h.g.Name)
	}
	return nil
}

// Status reports each node's state as the compose engine sees its
// container (running, stopped, failed, pending, unknown), except that a
// node that failed in the run and has no container is failed, and the
// errors say why nodes failed or were skipped. Healthy is true iff every
// node runs (or, a one-shot, completed with exit 0).
func (h *Handle) Status(ctx context.Context) (core.GraphStatus, error) {
	st, err := status(ctx, h.engine)
	if err != nil {
		return st, err
	}
	for id, o := range h.outcomes {
		if st.Nodes[id] == core.StatePending && o.state == "failed" {
			st.Nodes[id] = core.StateFailed
			st.Healthy = false
		}
		if st.Nodes[id] != core.StateRunning {
			if st.Errors == nil {
				st.Errors = map[string]string{}
			}
			if st.Errors[id] == "" {
				st.Errors[id] = o.reason
			}
		}
	}
	return st, nil
}

func status(ctx context.Context, e *engine.Engine) (core.GraphStatus, error) {
	ss, err := e.Status(ctx)
	if err != nil {
		return core.GraphStatus{}, err
	}
	st := core.GraphStatus{Nodes: map[string]core.NodeState{}, Healthy: ss.Healthy}
	for _, s := range ss.Services {
		st.Nodes[s.Service] = s.State
		if s.Error != "" {
			if st.Errors == nil {
				st.Errors = map[string]string{}
			}
			st.Errors[s.Service] = s.Error
		}
	}
	return st, nil
}

// Ps lists one NodeInfo per node, in topological order: its container's
// name (the node's name when it has none), id, image and the node's state
// as Status reports it.
func (h *Handle) Ps(ctx context.Context) ([]core.NodeInfo, error) {
	st, err := h.Status(ctx)
	if err != nil {
		return nil, err
	}
	cs, err := h.engine.Ps(ctx, engine.PsOptions{All: true})
	if err != nil {
		return nil, err
	}
	byNode := map[string]engine.Container{}
	for _, c := range cs {
		if _, seen := byNode[c.Service]; !seen {
			byNode[c.Service] = c
		}
	}
	out := make([]core.NodeInfo, 0, len(h.order))
	for _, id := range h.order {
		n := h.g.Nodes[id]
		info := core.NodeInfo{NodeID: id, Name: n.Name, State: st.Nodes[id], Image: n.Image}
		if c, ok := byNode[id]; ok {
			info.Name, info.ContainerID, info.Image = c.Name, c.ID, c.Image
		}
		if info.State == "" {
			info.State = core.StateUnknown
		}
		out = append(out, info)
	}
	return out, nil
}

// Logs returns a node's output (tail: the last n lines of each stream;
// nil for all). With node "" it returns every node's, each line prefixed
// with "<node> | ", in topological order.
func (h *Handle) Logs(ctx context.Context, node string, tail *int) (core.ContainerLogs, error) {
	opts := engine.LogsOptions{Tail: tail}
	if node != "" {
		if err := h.node(node); err != nil {
			return core.ContainerLogs{}, err
		}
		opts.Services = []string{node}
	}
	var mu sync.Mutex
	lines := map[string]map[string][]string{} // node → stream → lines
	err := h.engine.Logs(ctx, opts, func(service, _, stream, line string) {
		mu.Lock()
		defer mu.Unlock()
		if lines[service] == nil {
			lines[service] = map[string][]string{}
		}
		lines[service][stream] = append(lines[service][stream], line)
	})
	if err != nil {
		return core.ContainerLogs{}, err
	}
	var out, errOut strings.Builder
	for _, id := range h.order {
		for _, s := range []struct {
			stream string
			w      *strings.Builder
		}{{"stdout", &out}, {"stderr", &errOut}} {
			for _, l := range lines[id][s.stream] {
				if node == "" {
					s.w.WriteString(id + " | ")
				}
				s.w.WriteString(l)
				s.w.WriteByte('\n')
			}
		}
	}
	return core.ContainerLogs{Stdout: out.String(), Stderr: errOut.String()}, nil
}

// Exec runs cmd (an argv, no shell) in a node's container; the result
// carries the exit code.
func (h *Handle) Exec(ctx context.Context, node string, cmd []string) (core.ContainerLogs, error) {
	if err := h.node(node); err != nil {
		return core.ContainerLogs{}, err
	}
	if len(cmd) == 0 {
		return core.ContainerLogs{}, core.InvalidArgument("cmd", "must be a non-empty array of strings")
	}
	return h.engine.Exec(ctx, node, engine.ExecOptions{ExecOptions: backend.ExecOptions{Cmd: cmd}})
}

// Down stops and removes the graph's containers (dependents first) and
// networks, and with volumes its named volumes: `compose down` on the
// graph's project.
func (h *Handle) Down(ctx context.Context, volumes bool) error {
	return h.engine.Down(ctx, engine.DownOptions{Volumes: volumes})
}

// Resolve resolves ref now, against the node's running container: what
// the references of the graph resolved to when their dependents were
// created, as long as the target has not changed (property P17, docs/design.md).
func (h *Handle) Resolve(ctx context.Context, ref core.WorkloadRef) (string, error) {
	if err := h.node(ref.NodeID); err != nil {
		return "", err
	}
	info, err := nodeContainer(ctx, h.engine, h.b, ref.NodeID)
	if err != nil {
		return "", err
	}
	return ResolveRef(ref, info)
}

// Inspect reports the state of a graph's nodes without starting anything:
// the containers of the graph's compose project, found by labels. A graph
// that never ran has every node pending.
func Inspect(ctx context.Context, b backend.Backend, g core.WorkloadGraph, options ...Option) (core.GraphStatus, error) {
	cfg := newConfig(options)
	g, err := Normalize(g)
	if err != nil {
		return core.GraphStatus{}, err
	}
	p, err := buildProject(ctx, g)
	if err != nil {
		return core.GraphStatus{}, err
	}
	return status(ctx, engine.New(b, p, cfg.engineOptions()...))
}

func cloneGraph(g core.WorkloadGraph) core.WorkloadGraph {
	out := core.WorkloadGraph{Name: g.Name, Nodes: make(map[string]core.WorkloadNode, len(g.Nodes)), Edges: slices.Clone(g.Edges)}
	for id, n := range g.Nodes {
		n.DependsOn = slices.Clone(n.DependsOn)
		n.DependsOnConditions = maps.Clone(n.DependsOnConditions)
		n.Env = maps.Clone(n.Env)
		out.Nodes[id] = n
	}
	if out.Edges == nil {
		out.Edges = []core.WorkloadEdge{}
	}
	return out
}
