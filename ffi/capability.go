package main

import (
	"context"

	"github.com/perryts/perry-container/capability"
	"github.com/perryts/perry-container/capability/verify"
	"github.com/perryts/perry-container/core"
)

// verifier returns the context's image verifier: the process-wide one
// (its cache lives as long as the process) unless a test set its own.
func (c *hostCtx) imageVerifier() (capability.Verifier, error) {
	if c.verifier != nil {
		return c.verifier, nil
	}
	v, err := verify.Default()
	if err != nil {
		return nil, err
	}
	return v, nil
}

// runShellCapability backs perry_container_run_capability: the image is the
// argument, else the capability's configured image (perryconfig.toml
// shellCapabilityImages), else the default for the command; grants are the
// argument, else the configured ones. Verification always comes first.
func (c *hostCtx) runShellCapability(ctx context.Context, name, image, cmd, grants arg) (any, error) {
	n, err := name.required()
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
	var g capability.Grants
	granted, err := grants.json(&g)
	if err != nil {
		return nil, err
	}
	if image.err != nil {
		return nil, image.err
	}
	cfg, err := capability.FindConfig()
	if err != nil {
		return nil, err
	}
	req := capability.Request{Name: n}
	if _, ok := cfg.ShellCapabilities[n]; ok {
		if req, err = cfg.Request(n); err != nil {
			return nil, err
		}
	} else if o, ok := cfg.ShellCapabilityImages[n]; ok {
		req.Image = o.Image
		if o.Identity != "" || o.IdentityRegex != "" || o.Issuer != "" {
			req.Policy = &verify.Policy{Identity: o.Identity, IdentityRegex: o.IdentityRegex, Issuer: o.Issuer}
		}
	}
	req.Cmd = argv
	if granted {
		req.Grants = g
	}
	if image.present {
		req.Image = image.s
	}
	v, err := c.imageVerifier()
	if err != nil {
		return nil, err
	}
	b, err := c.Backend(ctx)
	if err != nil {
		return nil, err
	}
	return capability.Run(ctx, b, v, req)
}
