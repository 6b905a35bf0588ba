package workload

import (
	"bytes"
	"encoding/json"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/perryts/perry-container/capability/seccomp"
	"github.com/perryts/perry-container/core"
)

// SeccompStrict is the seccomp value of the hardened and untrusted tiers.
const SeccompStrict = "strict"

// ContainerFlags are the container settings a PolicySpec imposes, to merge
// into a node's container.
type ContainerFlags struct {
	ReadOnly bool // read-only root filesystem
	// Network is "none" when the policy removes the network, else "" (the
	// node keeps its graph network).
	Network string
	// Seccomp is "strict" (perry-container's seccomp profile, the shell
	// capabilities' one) or "" (the runtime's default profile).
	Seccomp         string
	CapDrop         []string // "ALL" or nothing
	NoNewPrivileges bool
	// Isolation is the isolation level the backend must provide: MicroVm
	// for untrusted, "" for any.
	Isolation core.IsolationLevel
}

// PolicyToContainerFlags is the one translation of a policy into container
// settings: pure, and the same for
// every backend. Its flags only ever add restrictions to the tier's: noNetwork
// removes the network, readOnlyRoot makes the root read-only, seccomp
// applies the strict profile, whatever the tier. An unknown tier is treated
// as untrusted (fail closed); Normalize rejects unknown tiers anyway.
func PolicyToContainerFlags(p core.PolicySpec) ContainerFlags {
	var f ContainerFlags
	harden := func() {
		f.ReadOnly, f.Seccomp, f.CapDrop, f.NoNewPrivileges = true, SeccompStrict, []string{"ALL"}, true
	}
	switch p.Tier {
	case "", TierDefault:
	case TierIsolated:
		f.Network = "none"
	case TierHardened:
		harden()
	default: // untrusted, and anything unknown
		harden()
		f.Network = "none"
		f.Isolation = core.IsolationMicroVM
	}
	if p.NoNetwork {
		f.Network = "none"
	}
	if p.ReadOnlyRoot {
		f.ReadOnly = true
	}
	if p.Seccomp {
		f.Seccomp = SeccompStrict
	}
	return f
}

// policyError is a PolicyViolation naming the node and its tier.
func policyError(n core.WorkloadNode, format string, args ...any) *core.Error {
	return core.Errorf(core.KindPolicyViolation, "node %q (policy %s): "+format, append([]any{n.ID, n.Policy.Tier}, args...)...).
		With("node", n.ID).With("tier", n.Policy.Tier)
}

// checkStaticPolicy checks what a node's policy forbids in the node itself,
// before any backend is known.
func checkStaticPolicy(n core.WorkloadNode) error {
	f := PolicyToContainerFlags(n.Policy)
	if f.Network == "none" && n.NetworkMode != "" && n.NetworkMode != "none" {
		return policyError(n, "removes the network, but the node asks for networkMode %q, which would bypass the isolation", n.NetworkMode).
			With("networkMode", n.NetworkMode)
	}
	if f.ReadOnly {
		for _, v := range n.Volumes {
			if target, writable := mountTarget(v); target == "/" && writable {
				return policyError(n, "makes the root filesystem read-only, but volume %q mounts it writable", v).With("volume", v)
			}
		}
	}
	if f.Isolation == core.IsolationMicroVM && n.Runtime.Type != "" && n.Runtime.Type != RuntimeAuto && n.Runtime.Type != RuntimeMicroVM {
		return policyError(n, "needs a micro-VM, but the node asks for runtime %q", n.Runtime.Type).
			With("runtime", n.Runtime.Type).With("required", string(core.IsolationMicroVM))
	}
	return nil
}

// mountTarget reads a short volume spec "[src:]dst[:opts]" and reports its
// target and whether it is writable.
func mountTarget(v string) (string, bool) {
	parts := strings.Split(v, ":")
	// A Windows drive letter ("C:\x") is not used by the engines here.
	var target string
	opts := ""
	switch len(parts) {
	case 1:
		target = parts[0]
	case 2:
		target = parts[1]
	default:
		target, opts = parts[1], parts[2]
	}
	writable := true
	for _, o := range strings.Split(opts, ",") {
		if o == "ro" || o == "readonly" {
			writable = false
		}
	}
	return filepath.Clean(target), writable
}

// requiredIsolation is the isolation level a node's runtime needs, or ""
// for any.
func requiredIsolation(n core.WorkloadNode) core.IsolationLevel {
	switch n.Runtime.Type {
	case RuntimeOCI:
		return core.IsolationContainer
	case RuntimeMicroVM:
		return core.IsolationMicroVM
	case RuntimeWasm:
		return core.IsolationWasm
	}
	return ""
}

// ValidateBackend checks a normalized graph against the backend it would
// run on, before anything starts: untrusted nodes need MicroVm isolation
// (else PolicyViolation), a node's runtime needs the matching
// isolation level (else BackendNotAvailable), and a micro-VM config or a
// wasm module, which no backend of this build applies, is refused. Nodes
// are checked in id order; the first problem is returned.
func ValidateBackend(g core.WorkloadGraph, info core.BackendInfo) error {
	avail := info.IsolationLevel
	for _, id := range slices.Sorted(maps.Keys(g.Nodes)) {
		n := g.Nodes[id]
		if err := checkStaticPolicy(n); err != nil {
			return err
		}
		if f := PolicyToContainerFlags(n.Policy); f.Isolation != "" && avail != f.Isolation {
			return policyError(n, "requires %s isolation, but backend %s provides %s", f.Isolation, info.Name, describe(avail)).
				With("required", string(f.Isolation)).With("available", string(avail)).With("backend", info.Name)
		}
		if want := requiredIsolation(n); want != "" && avail != want {
			return core.Errorf(core.KindBackendNotAvailable,
				"node %q: runtime %s needs a backend with %s isolation, but backend %s provides %s (perry-container never runs a node with weaker isolation than asked)",
				n.ID, n.Runtime.Type, want, info.Name, describe(avail)).
				With("node", n.ID).With("runtime", n.Runtime.Type).With("required", string(want)).
				With("available", string(avail)).With("backend", info.Name)
		}
		if len(n.Runtime.Config) > 0 && strings.TrimSpace(string(n.Runtime.Config)) != "null" {
			return core.InvalidArgument("nodes."+id+".runtime.config", "backend %s does not apply a micro-VM configuration; remove it rather than have it ignored", info.Name).With("node", id)
		}
		if n.Runtime.Module != "" {
			return core.InvalidArgument("nodes."+id+".runtime.module", "backend %s runs OCI images, not wasm modules; the module would be ignored", info.Name).With("node", id)
		}
	}
	return nil
}

func describe(l core.IsolationLevel) string {
	if l == "" {
		return "no known isolation level"
	}
	return string(l)
}

// strictProfile is the "seccomp=<profile>" security_opt of the strict
// tiers: perry-container's one seccomp profile, given inline (compact
// JSON), so that a node's config hash follows the profile's content and
// never a file's path; the compose engine writes it into the project's
// private state directory for the runtime.
var strictProfile = sync.OnceValue(func() string {
	var b bytes.Buffer
	if err := json.Compact(&b, seccomp.Profile()); err != nil {
		return "seccomp=" + string(seccomp.Profile()) // compacting is cosmetic
	}
	return "seccomp=" + b.String()
})

// securityOpts are the compose security_opt entries of flags.
func (f ContainerFlags) securityOpts() []string {
	var out []string
	if f.NoNewPrivileges {
		out = append(out, "no-new-privileges:true")
	}
	if f.Seccomp == SeccompStrict {
		out = append(out, strictProfile())
	}
	return out
}
