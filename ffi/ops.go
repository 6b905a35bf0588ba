package main

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"math"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/capability"
	"github.com/perryts/perry-container/capability/verify"
	"github.com/perryts/perry-container/core"
)

// The operations behind the exports. Each takes already-copied arguments and
// returns a JSON-encodable result; exports.go only moves bytes across cgo.

// GenerateName names an anonymous run() container: {md5(image)[0:8]}-{random_hex8}
// (short, unique, and traceable to its image).
func GenerateName(image string) string {
	sum := md5.Sum([]byte(image))
	var r [4]byte
	_, _ = rand.Read(r[:])
	return hex.EncodeToString(sum[:])[:8] + "-" + hex.EncodeToString(r[:])
}

func (c *hostCtx) opRun(ctx context.Context, spec arg, create bool) (any, error) {
	data, err := spec.required()
	if err != nil {
		return nil, err
	}
	s, err := core.DecodeContainerSpec(spec.name, []byte(data))
	if err != nil {
		return nil, err
	}
	if s.Name == "" {
		s.Name = GenerateName(s.Image)
	}
	if p := s.Verify; p != nil {
		// Opt-in verification: what runs is the verified digest.
		v, err := c.imageVerifier()
		if err != nil {
			return nil, err
		}
		s.Verify = nil
		if _, err := capability.PinVerified(ctx, v, s, verify.Policy{Identity: p.Identity, IdentityRegex: p.IdentityRegex, Issuer: p.Issuer}); err != nil {
			return nil, err
		}
	}
	b, err := c.Backend(ctx)
	if err != nil {
		return nil, err
	}
	if create {
		return b.Create(ctx, s)
	}
	return b.Run(ctx, s)
}

// idOp runs fn on the backend with a required id argument.
func (c *hostCtx) idOp(ctx context.Context, id arg, fn func(backend.Backend, string) (any, error)) (any, error) {
	s, err := id.required()
	if err != nil {
		return nil, err
	}
	b, err := c.Backend(ctx)
	if err != nil {
		return nil, err
	}
	return fn(b, s)
}

// intArg decodes an optional non-negative integer argument no larger than max.
func intArg(a arg, max int64) (*int, error) {
	var f float64
	ok, err := a.json(&f)
	if err != nil || !ok {
		return nil, err
	}
	if f != math.Trunc(f) || f < 0 || f > float64(max) {
		return nil, core.InvalidArgument(a.name, "must be an integer from 0 to %d, got %v", max, f)
	}
	n := int(f)
	return &n, nil
}

func boolArg(a arg) (bool, error) {
	var v bool
	_, err := a.json(&v)
	return v, err
}

func (c *hostCtx) opStart(ctx context.Context, id arg) (any, error) {
	return c.idOp(ctx, id, func(b backend.Backend, id string) (any, error) { return nil, b.Start(ctx, id) })
}

func (c *hostCtx) opStop(ctx context.Context, id, timeout arg) (any, error) {
	t, err := intArg(timeout, 86400)
	if err != nil {
		return nil, err
	}
	return c.idOp(ctx, id, func(b backend.Backend, id string) (any, error) { return nil, b.Stop(ctx, id, t) })
}

func (c *hostCtx) opRemove(ctx context.Context, id, force arg) (any, error) {
	f, err := boolArg(force)
	if err != nil {
		return nil, err
	}
	return c.idOp(ctx, id, func(b backend.Backend, id string) (any, error) { return nil, b.Remove(ctx, id, f) })
}

func (c *hostCtx) opList(ctx context.Context, all arg) (any, error) {
	a, err := boolArg(all)
	if err != nil {
		return nil, err
	}
	b, err := c.Backend(ctx)
	if err != nil {
		return nil, err
	}
	infos, err := b.List(ctx, backend.ListOptions{All: a})
	if err != nil {
		return nil, err
	}
	for i := range infos {
		infos[i].Ports = nonNil(infos[i].Ports)
	}
	return nonNil(infos), nil
}

// nonNil makes an empty list encode as [] (the d.ts promises string[]),
// whatever the backend reported.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (c *hostCtx) opInspect(ctx context.Context, id arg) (any, error) {
	return c.idOp(ctx, id, func(b backend.Backend, id string) (any, error) {
		info, err := b.Inspect(ctx, id)
		if err != nil {
			return nil, err
		}
		info.Ports = nonNil(info.Ports)
		return info, nil
	})
}

func (c *hostCtx) opLogs(ctx context.Context, id, tail arg) (any, error) {
	t, err := intArg(tail, math.MaxInt32)
	if err != nil {
		return nil, err
	}
	return c.idOp(ctx, id, func(b backend.Backend, id string) (any, error) {
		return b.Logs(ctx, id, backend.LogsOptions{Tail: t})
	})
}

func (c *hostCtx) opExec(ctx context.Context, id, cmd, env, workdir arg) (any, error) {
	var argv []string
	if err := cmd.requiredJSON(&argv); err != nil {
		return nil, err
	}
	if len(argv) == 0 {
		return nil, core.InvalidArgument(cmd.name, "must be a non-empty array of strings")
	}
	var e map[string]string
	if _, err := env.json(&e); err != nil {
		return nil, err
	}
	if workdir.err != nil {
		return nil, workdir.err
	}
	return c.idOp(ctx, id, func(b backend.Backend, id string) (any, error) {
		return b.Exec(ctx, id, backend.ExecOptions{Cmd: argv, Env: e, Workdir: workdir.s})
	})
}

func (c *hostCtx) opWait(ctx context.Context, id arg) (any, error) {
	return c.idOp(ctx, id, func(b backend.Backend, id string) (any, error) {
		code, err := b.Wait(ctx, id)
		if err != nil {
			return nil, err
		}
		return map[string]int{"exitCode": code}, nil
	})
}

func (c *hostCtx) opPullImage(ctx context.Context, ref arg) (any, error) {
	return c.idOp(ctx, ref, func(b backend.Backend, ref string) (any, error) { return nil, b.PullImage(ctx, ref) })
}

func (c *hostCtx) opListImages(ctx context.Context) (any, error) {
	b, err := c.Backend(ctx)
	if err != nil {
		return nil, err
	}
	return b.ListImages(ctx)
}

func (c *hostCtx) opRemoveImage(ctx context.Context, ref arg, force bool) (any, error) {
	return c.idOp(ctx, ref, func(b backend.Backend, ref string) (any, error) { return nil, b.RemoveImage(ctx, ref, force) })
}

func (c *hostCtx) opInspectImage(ctx context.Context, ref arg) (any, error) {
	return c.idOp(ctx, ref, func(b backend.Backend, ref string) (any, error) { return b.InspectImage(ctx, ref) })
}

func (c *hostCtx) opBuild(ctx context.Context, spec, image arg) (any, error) {
	var bs core.BuildSpec
	if err := spec.requiredJSON(&bs); err != nil {
		return nil, err
	}
	if bs.Context == "" {
		return nil, core.InvalidArgument(spec.name, "context is required")
	}
	return c.idOp(ctx, image, func(b backend.Backend, image string) (any, error) { return nil, b.Build(ctx, bs, image) })
}

// opGetBackend describes the selected backend.
func (c *hostCtx) opGetBackend(ctx context.Context) (any, error) {
	b, err := c.Backend(ctx)
	if err != nil {
		return nil, err
	}
	return b.Info(ctx)
}
