package capability_test

import (
	"testing"

	"github.com/perryts/perry-container/capability"
	"github.com/perryts/perry-container/capability/verify"
	"github.com/perryts/perry-container/core"
)

func TestConfigRequest(t *testing.T) {
	cfg := capability.Config{
		ShellCapabilities: map[string]capability.CapabilityConfig{
			"git-log":  {Command: []string{"git", "log"}, Grants: capability.Grants{TimeoutMs: 5000}},
			"mirrored": {Command: []string{"curl", "-s"}, Grants: capability.Grants{Network: true}},
			"pinned":   {Command: []string{"jq"}},
			"empty":    {},
			"noimage":  {Command: []string{"x"}},
			"badpol":   {Command: []string{"x"}},
		},
		ShellCapabilityImages: map[string]capability.ImageOverride{
			"mirrored": {Image: "registry.example/curl:8"},
			"pinned":   {Image: "registry.example/jq:1", IdentityRegex: `https://github\.com/example/.*`, Issuer: "https://issuer.enforce.dev"},
			"noimage":  {Issuer: "https://issuer.enforce.dev"},
			"badpol":   {Image: "registry.example/x", Identity: "someone"},
		},
	}
	req, err := cfg.Request("git-log", "-n", "3")
	if err != nil || req.Name != "git-log" || len(req.Cmd) != 4 || req.Cmd[3] != "3" || req.Image != "" || req.Policy != nil || req.Grants.TimeoutMs != 5000 {
		t.Fatalf("git-log: %+v %v", req, err)
	}
	// An override image keeps Chainguard's policy unless it names another.
	req, err = cfg.Request("mirrored")
	if err != nil || req.Image != "registry.example/curl:8" || req.Policy != nil || !req.Grants.Network {
		t.Fatalf("mirrored: %+v %v", req, err)
	}
	req, err = cfg.Request("pinned")
	want := verify.Policy{IdentityRegex: `https://github\.com/example/.*`, Issuer: "https://issuer.enforce.dev"}
	if err != nil || req.Policy == nil || *req.Policy != want {
		t.Fatalf("pinned: %+v %v", req, err)
	}
	if _, err := cfg.Request("nope"); core.KindOf(err) != core.KindNotFound {
		t.Errorf("unknown capability: %v", err)
	}
	for _, name := range []string{"empty", "noimage", "badpol"} {
		if _, err := cfg.Request(name); core.KindOf(err) != core.KindInvalidConfig {
			t.Errorf("%s: %v, want InvalidConfig", name, err)
		}
	}
}

func TestPinVerified(t *testing.T) {
	v := accepting()
	v.res.Pinned = "registry.example/app@" + testDigest
	spec := &core.ContainerSpec{Image: "registry.example/app:1"}
	p := verify.Policy{Identity: "me", Issuer: "https://issuer"}
	if _, err := capability.PinVerified(t.Context(), v, spec, p); err != nil || spec.Image != v.res.Pinned {
		t.Fatalf("PinVerified: %v, image %q", err, spec.Image)
	}
	if v.asked[0] != "registry.example/app:1" || v.policy[0] != p {
		t.Fatalf("asked %v %v", v.asked, v.policy)
	}
	bad := &fixedVerifier{res: verify.Result{Digest: testDigest, Pinned: "registry.example/app:1"}}
	spec = &core.ContainerSpec{Image: "registry.example/app:1"}
	if _, err := capability.PinVerified(t.Context(), bad, spec, p); core.KindOf(err) != core.KindVerificationFailed || spec.Image != "registry.example/app:1" {
		t.Fatalf("an unpinned result must fail and leave the spec alone: %v %q", err, spec.Image)
	}
}
