package main

import (
	"context"
)

// compose handles (js_container_compose_*). Each operation validates its
// handle first, so an unknown or wrong-type handle is a clear error.

func (c *Context) composeUp(ctx context.Context, spec arg) (any, error) {
	if _, err := spec.required(); err != nil {
		return nil, err
	}
	return nil, errNotInBuild("compose")
}

func (c *Context) composeHandle(h int64) (any, error) { return c.lookup(h, kindCompose) }

func (c *Context) composeDown(ctx context.Context, h int64, volumes bool) (any, error) {
	if _, err := c.composeHandle(h); err != nil {
		return nil, err
	}
	return nil, errNotInBuild("compose")
}

func (c *Context) composePs(ctx context.Context, h int64) (any, error) {
	return c.composeDown(ctx, h, false)
}

func (c *Context) composeLogs(ctx context.Context, h int64, opts arg) (any, error) {
	return c.composeDown(ctx, h, false)
}

func (c *Context) composeExec(ctx context.Context, h int64, service, cmd, opts arg) (any, error) {
	return c.composeDown(ctx, h, false)
}

func (c *Context) composeConfig(ctx context.Context, h int64) (any, error) {
	return c.composeDown(ctx, h, false)
}

func (c *Context) composeLifecycle(ctx context.Context, h int64, op string, services arg) (any, error) {
	return c.composeDown(ctx, h, false)
}

func (c *Context) composeStatus(ctx context.Context, h int64) (any, error) {
	return c.composeDown(ctx, h, false)
}

func (c *Context) composeGraph(h int64) (any, error) {
	return c.composeDown(context.Background(), h, false)
}
