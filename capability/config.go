package capability

import (
	"context"

	"github.com/perryts/perry-container/capability/verify"
	"github.com/perryts/perry-container/core"
)

// Config is the shell-capability part of perryconfig.toml, ready for a TOML
// decoder (the field tags name the keys):
//
//	[shellCapabilities.git-log]
//	command = ["git", "log", "--oneline"]
//	grants = { network = false, memoryBytes = 134217728, timeoutMs = 30000 }
//
//	[shellCapabilityImages.git-log]
//	image = "registry.example.com/tools/git:2.45"
//	identityRegex = "https://github\\.com/example/.*"
//	issuer = "https://token.actions.githubusercontent.com"
//
// A capability without an image entry runs ChainguardImage(command[0]) or
// DefaultBaseImage and must be signed by Chainguard's release workflow. An
// image entry must pass verification too: with the identity (or
// identityRegex) and issuer it gives, or Chainguard's when it gives none.
type Config struct {
	ShellCapabilities     map[string]CapabilityConfig `toml:"shellCapabilities" json:"shellCapabilities,omitempty"`
	ShellCapabilityImages map[string]ImageOverride    `toml:"shellCapabilityImages" json:"shellCapabilityImages,omitempty"`
}

// CapabilityConfig is one [shellCapabilities.<name>] table.
type CapabilityConfig struct {
	Command []string `toml:"command" json:"command"`
	Grants  Grants   `toml:"grants" json:"grants,omitempty"`
}

// ImageOverride is one [shellCapabilityImages.<name>] table.
type ImageOverride struct {
	Image         string `toml:"image" json:"image"`
	Identity      string `toml:"identity" json:"identity,omitempty"`
	IdentityRegex string `toml:"identityRegex" json:"identityRegex,omitempty"`
	Issuer        string `toml:"issuer" json:"issuer,omitempty"`
}

// Request builds the Request of capability name, its configured command
// followed by args. An unknown name is NotFound; a malformed entry is
// InvalidConfig.
func (c Config) Request(name string, args ...string) (Request, error) {
	cc, ok := c.ShellCapabilities[name]
	if !ok {
		return Request{}, core.NotFound("shell capability", name)
	}
	if len(cc.Command) == 0 || cc.Command[0] == "" {
		return Request{}, core.Errorf(core.KindInvalidConfig, "shellCapabilities.%s: command is empty", name)
	}
	req := Request{Name: name, Cmd: append(append([]string(nil), cc.Command...), args...), Grants: cc.Grants}
	if o, ok := c.ShellCapabilityImages[name]; ok {
		if o.Image == "" {
			return Request{}, core.Errorf(core.KindInvalidConfig, "shellCapabilityImages.%s: image is empty", name)
		}
		req.Image = o.Image
		if o.Identity != "" || o.IdentityRegex != "" || o.Issuer != "" {
			p := verify.Policy{Identity: o.Identity, IdentityRegex: o.IdentityRegex, Issuer: o.Issuer}
			if err := p.Validate(); err != nil {
				return Request{}, core.Errorf(core.KindInvalidConfig, "shellCapabilityImages.%s: %v", name, err)
			}
			req.Policy = &p
		}
	}
	return req, nil
}

// PinVerified is the opt-in verification of the general run path (a
// ContainerSpec or compose service that asks for it): it verifies
// spec.Image against p and rewrites it to the verified repository@digest,
// so that what runs is what was checked. spec is left unchanged on error.
func PinVerified(ctx context.Context, v Verifier, spec *core.ContainerSpec, p verify.Policy) (verify.Result, error) {
	if spec == nil || v == nil {
		return verify.Result{}, core.InvalidArgument("spec/verifier", "are required")
	}
	res, err := v.Verify(ctx, spec.Image, p)
	if err != nil {
		return verify.Result{}, verificationError(spec.Image, err)
	}
	if err := checkPinned(spec.Image, res); err != nil {
		return verify.Result{}, err
	}
	spec.Image = res.Pinned
	return res, nil
}
