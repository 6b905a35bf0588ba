package main

import (
	"context"
)

// Workload graphs (js_workload_*).

func workloadGraph(name, spec arg) (any, error) {
	if _, err := name.required(); err != nil {
		return nil, err
	}
	return nil, errNotInBuild("workload graphs")
}

func workloadNode(name, spec arg) (any, error) {
	if _, err := name.required(); err != nil {
		return nil, err
	}
	return nil, errNotInBuild("workload graphs")
}

func (c *Context) runGraph(ctx context.Context, graph, opts arg) (any, error) {
	if _, err := graph.required(); err != nil {
		return nil, err
	}
	return nil, errNotInBuild("workload graphs")
}

func (c *Context) inspectGraph(ctx context.Context, graph arg) (any, error) {
	return c.runGraph(ctx, graph, arg{})
}

func (c *Context) graphHandle(h int64) (any, error) { return c.lookup(h, kindWorkload) }

func (c *Context) graphDown(ctx context.Context, h int64, opts arg) (any, error) {
	if _, err := c.graphHandle(h); err != nil {
		return nil, err
	}
	return nil, errNotInBuild("workload graphs")
}

func (c *Context) graphStatus(ctx context.Context, h int64) (any, error) {
	return c.graphDown(ctx, h, arg{})
}
func (c *Context) graphGraph(h int64) (any, error) {
	return c.graphDown(context.Background(), h, arg{})
}
func (c *Context) graphLogs(ctx context.Context, h int64, node, opts arg) (any, error) {
	return c.graphDown(ctx, h, arg{})
}
func (c *Context) graphExec(ctx context.Context, h int64, node, cmd arg) (any, error) {
	return c.graphDown(ctx, h, arg{})
}
func (c *Context) graphPs(ctx context.Context, h int64) (any, error) {
	return c.graphDown(ctx, h, arg{})
}

// Shell capabilities (perry_container_run_capability).
func (c *Context) runCapability(ctx context.Context, name, image, cmd, grants arg) (any, error) {
	if _, err := name.required(); err != nil {
		return nil, err
	}
	return nil, errNotInBuild("shell capabilities")
}
