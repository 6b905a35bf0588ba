package main

import (
	"context"
	"encoding/json"
	"sync/atomic"

	cswarm "github.com/perryts/perry-container/compose/swarm"
	"github.com/perryts/perry-container/compose/workload"
	"github.com/perryts/perry-container/core"
)

// Workload graphs (js_workload_*), on compose/workload.

// graphRun is the value behind a workload handle. Its mutex serializes the
// handle's operations, so a concurrent down of one handle runs once and the
// other caller gets NotFound.
type graphRun struct {
	live
	run atomic.Pointer[graphBox]
}

// graphHandle is what a handle's calls need of a graph's run: the local
// compose project's (*workload.Handle) or the Swarm stack's
// (*workload.SwarmHandle).
type graphHandle interface {
	Project() string
	Nodes() []string
	Graph() core.WorkloadGraph
	Resolved() map[string]map[string]string
	Status(ctx context.Context) (core.GraphStatus, error)
	Ps(ctx context.Context) ([]core.NodeInfo, error)
	Logs(ctx context.Context, node string, tail *int) (core.ContainerLogs, error)
	FollowLogs(ctx context.Context, node string, tail *int, sink func(node, stream, line string)) error
	Exec(ctx context.Context, node string, cmd []string) (core.ContainerLogs, error)
	Down(ctx context.Context, volumes bool) error
}

type graphBox struct{ h graphHandle }

func newGraphRun(h graphHandle) *graphRun {
	g := &graphRun{}
	g.run.Store(&graphBox{h})
	return g
}

// handle is the current run (a converging runGraph swaps it at its end).
func (g *graphRun) handle() graphHandle { return g.run.Load().h }

// swarm is the Swarm target of a graph deployed there, else nil.
func (g *graphRun) swarm() *cswarm.Target {
	if sh, ok := g.handle().(*workload.SwarmHandle); ok {
		return sh.Target()
	}
	return nil
}

// down takes the graph down on its target; on Swarm it then closes the
// connection the run opened.
func (g *graphRun) down(ctx context.Context, volumes bool) error {
	if err := g.handle().Down(ctx, volumes); err != nil {
		return err
	}
	if t := g.swarm(); t != nil {
		return t.Close()
	}
	return nil
}

// RunGraphResult is what js_workload_runGraph resolves to.
type RunGraphResult struct {
	Handle  int64    `json:"handle"`
	Project string   `json:"project"`
	Nodes   []string `json:"nodes"`
	// Resolved are the resolved references: node → env variable → value.
	Resolved map[string]map[string]string `json:"resolved,omitempty"`
}

// GraphDownOptions is opts_json of js_workload_handle_down.
type GraphDownOptions struct {
	Volumes bool `json:"volumes,omitempty"`
}

// GraphLogsOptions is opts_json of js_workload_handle_logs.
type GraphLogsOptions struct {
	Tail *int `json:"tail,omitempty"`
}

func (g *graphRun) teardown(ctx context.Context) error {
	return g.teardownOnce(func() error { return g.down(ctx, false) })
}

func workloadGraph(name, spec arg) (any, error) {
	n, err := name.required()
	if err != nil {
		return nil, err
	}
	s, err := spec.required()
	if err != nil {
		return nil, err
	}
	return workload.Graph(n, []byte(s))
}

func workloadNode(name, spec arg) (any, error) {
	n, err := name.required()
	if err != nil {
		return nil, err
	}
	if spec.err != nil {
		return nil, spec.err
	}
	// NULL (or "null") is no spec; "" is not JSON, as for every other
	// JSON argument.
	var raw []byte
	var probe json.RawMessage
	if present, err := spec.json(&probe); err != nil {
		return nil, err
	} else if present {
		raw = probe
	}
	return workload.Node(n, raw)
}

func (c *hostCtx) runGraph(ctx context.Context, graph, opts arg) (any, error) {
	var g core.WorkloadGraph
	if err := graph.requiredJSON(&g); err != nil {
		return nil, err
	}
	var o core.RunGraphOptions
	if _, err := opts.json(&o); err != nil {
		return nil, err
	}
	target, err := graphTarget(opts.name, o.Target)
	if err != nil {
		return nil, err
	}
	if target == targetSwarm {
		return c.runGraphSwarm(ctx, g, o)
	}
	b, err := c.Backend(ctx)
	if err != nil {
		return nil, err
	}
	var run *workload.Handle
	id, err := c.upProject(kindWorkload, g.Name, func(prev any) (any, error) {
		if gr, ok := prev.(*graphRun); ok && gr.swarm() != nil {
			return nil, targetMismatch(g.Name, targetSwarm)
		}
		h, err := workload.Run(ctx, b, g, o)
		if h == nil {
			return nil, err
		}
		run = h
		if gr, ok := prev.(*graphRun); ok {
			// Converged: the handle now describes the graph as given.
			gr.run.Store(&graphBox{h})
			return gr, err
		}
		// halt-graph keeps what started, with the error: registered anyway.
		return newGraphRun(h), err
	})
	if err != nil {
		return nil, err
	}
	return RunGraphResult{Handle: id, Project: run.Project(), Nodes: run.Nodes(), Resolved: run.Resolved()}, nil
}

// graphTarget is where a graph runs: composeUpWith's choice (the option,
// else PERRY_CONTAINER_TARGET, else local), read by composeTarget itself.
func graphTarget(optsName, target string) (string, error) {
	data, err := json.Marshal(ComposeUpOptions{Target: target})
	if err != nil {
		return "", core.Errorf(core.KindInternal, "encoding the target: %v", err)
	}
	return composeTarget(arg{name: optsName, present: true, s: string(data)})
}

// runGraphSwarm deploys a graph on Swarm under a workload handle
// (workload.RunSwarm). The connection to the swarm belongs to the handle
// and is closed by its down; a converging run uses the handle's own.
func (c *hostCtx) runGraphSwarm(ctx context.Context, g core.WorkloadGraph, o core.RunGraphOptions) (any, error) {
	if err := workload.ValidateSwarm(g, o); err != nil {
		return nil, err // before connecting: no swarm needed to refuse
	}
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
	var run *workload.SwarmHandle
	id, err := c.upProject(kindWorkload, g.Name, func(prev any) (any, error) {
		gr, _ := prev.(*graphRun)
		if gr != nil && gr.swarm() == nil {
			return nil, targetMismatch(g.Name, targetLocal)
		}
		tt := t
		if gr != nil {
			tt = gr.swarm()
		}
		h, err := workload.RunSwarm(ctx, tt, g, o)
		if h == nil {
			return nil, err
		}
		run = h
		if gr != nil {
			gr.run.Store(&graphBox{h})
			return gr, err
		}
		kept = true
		// halt-graph keeps what was deployed, with the error: registered anyway.
		return newGraphRun(h), err
	})
	if err != nil {
		return nil, err
	}
	return RunGraphResult{Handle: id, Project: run.Project(), Nodes: run.Nodes(), Resolved: run.Resolved()}, nil
}

func (c *hostCtx) inspectGraph(ctx context.Context, graph arg) (any, error) {
	var g core.WorkloadGraph
	if err := graph.requiredJSON(&g); err != nil {
		return nil, err
	}
	b, err := c.Backend(ctx)
	if err != nil {
		return nil, err
	}
	return workload.Inspect(ctx, b, g)
}

// withGraph runs fn on the live graph behind h, holding its lock.
func (c *hostCtx) withGraph(h int64, fn func(*graphRun) (any, error)) (any, error) {
	return withLive(c, h, kindWorkload, fn)
}

// readGraph runs a read-only fn on the live graph behind h, without its lock.
func (c *hostCtx) readGraph(h int64, fn func(*graphRun) (any, error)) (any, error) {
	return readLive(c, h, kindWorkload, fn)
}

func (c *hostCtx) graphDown(ctx context.Context, h int64, opts arg) (any, error) {
	var o GraphDownOptions
	if _, err := opts.json(&o); err != nil {
		return nil, err
	}
	return downLive(c, h, kindWorkload, func(g *graphRun) error { return g.down(ctx, o.Volumes) })
}

func (c *hostCtx) graphStatus(ctx context.Context, h int64) (any, error) {
	return c.readGraph(h, func(g *graphRun) (any, error) { return g.handle().Status(ctx) })
}

func (c *hostCtx) graphGraph(h int64) (any, error) {
	return c.readGraph(h, func(g *graphRun) (any, error) { return g.handle().Graph(), nil })
}

func (c *hostCtx) graphLogs(ctx context.Context, h int64, node, opts arg) (any, error) {
	name, tail, err := graphLogsArgs(node, opts)
	if err != nil {
		return nil, err
	}
	return c.readGraph(h, func(g *graphRun) (any, error) { return g.handle().Logs(ctx, name, tail) })
}

// graphLogsArgs decodes the node (NULL: every node) and opts_json of the
// graph logs calls.
func graphLogsArgs(node, opts arg) (string, *int, error) {
	name := ""
	if node.present || node.err != nil {
		var err error
		if name, err = node.required(); err != nil {
			return "", nil, err
		}
	}
	var o GraphLogsOptions
	if _, err := opts.json(&o); err != nil {
		return "", nil, err
	}
	if o.Tail != nil && *o.Tail < 0 {
		return "", nil, core.InvalidArgument(opts.name, "tail must not be negative")
	}
	return name, o.Tail, nil
}

func (c *hostCtx) graphExec(ctx context.Context, h int64, node, cmd arg) (any, error) {
	name, err := node.required()
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
	return c.withGraph(h, func(g *graphRun) (any, error) { return g.handle().Exec(ctx, name, argv) })
}

func (c *hostCtx) graphPs(ctx context.Context, h int64) (any, error) {
	return c.readGraph(h, func(g *graphRun) (any, error) { return g.handle().Ps(ctx) })
}
