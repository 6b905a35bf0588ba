package workload

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/perryts/perry-container/core"
)

// SeccompStrict is the seccomp value of the hardened and untrusted tiers.
const SeccompStrict = "strict"

// ContainerFlags are the container settings a PolicySpec imposes, to merge
// into a node's container: the spec's ContainerFlags.
type ContainerFlags struct {
	ReadOnly bool // read-only root filesystem
	// Network is "none" when the policy removes the network, else "" (the
	// node keeps its graph network).
	Network string
	// Seccomp is "strict" (SeccompStrictProfile) or "" (the runtime's
	// default profile).
	Seccomp         string
	CapDrop         []string // "ALL" or nothing
	NoNewPrivileges bool
	// Isolation is the isolation level the backend must provide: MicroVm
	// for untrusted, "" for any.
	Isolation core.IsolationLevel
}

// PolicyToContainerFlags is the one translation of a policy into container
// settings (the spec's policy_to_container_flags): pure, and the same for
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
// (else PolicyViolation, spec P21), a node's runtime needs the matching
// isolation level (else BackendNotAvailable), and a micro-VM config or a
// wasm module, which no backend of this build applies, is refused. Nodes
// are checked in id order; the first problem is returned.
func ValidateBackend(g core.WorkloadGraph, info core.BackendInfo) error {
	avail := info.IsolationLevel
	for _, id := range sortedKeys(g.Nodes) {
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

// strictDenied are the syscalls the strict profile answers with EPERM.
var strictDenied = []string{
	// mounts, roots, namespaces
	"mount", "umount", "umount2", "pivot_root", "chroot", "unshare", "setns",
	"open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
	"name_to_handle_at", "open_by_handle_at",
	// kernel keyring, BPF, perf, tracing and other processes' memory
	"keyctl", "add_key", "request_key", "bpf", "perf_event_open", "ptrace",
	"process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd", "lookup_dcookie",
	// kernel attack surface without a use in a hardened service
	"io_uring_setup", "io_uring_enter", "io_uring_register", "userfaultfd", "personality",
	"fanotify_init", "uselib", "ustat", "sysfs", "_sysctl", "vm86", "vm86old", "iopl", "ioperm",
	"mbind", "set_mempolicy", "get_mempolicy", "move_pages", "migrate_pages",
	// modules, kexec, reboot, swap, accounting, quotas, logs
	"init_module", "finit_module", "delete_module", "create_module", "query_module", "get_kernel_syms",
	"kexec_load", "kexec_file_load", "reboot", "swapon", "swapoff", "acct", "quotactl", "quotactl_fd",
	"syslog", "nfsservctl",
	// clocks
	"settimeofday", "stime", "clock_settime", "clock_settime64", "clock_adjtime", "clock_adjtime64", "adjtimex",
}

// cloneNamespaceFlags are CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER,
// NEWPID and NEWNET: clone with any of them is denied.
var cloneNamespaceFlags = []uint64{0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000}

// SeccompStrictProfile is the strict profile, in the Docker/OCI seccomp
// JSON format.
func SeccompStrictProfile() []byte {
	type arg struct {
		Index    int    `json:"index"`
		Value    uint64 `json:"value"`
		ValueTwo uint64 `json:"valueTwo"`
		Op       string `json:"op"`
	}
	type rule struct {
		Names    []string `json:"names"`
		Action   string   `json:"action"`
		ErrnoRet *uint    `json:"errnoRet,omitempty"`
		Args     []arg    `json:"args,omitempty"`
	}
	eperm, enosys := uint(1), uint(38)
	rules := []rule{
		{Names: strictDenied, Action: "SCMP_ACT_ERRNO", ErrnoRet: &eperm},
		{Names: []string{"clone3"}, Action: "SCMP_ACT_ERRNO", ErrnoRet: &enosys},
	}
	for _, flag := range cloneNamespaceFlags {
		// clone's flags are argument 0 on x86 and arm64 (argument 1 on s390x).
		rules = append(rules, rule{Names: []string{"clone"}, Action: "SCMP_ACT_ERRNO", ErrnoRet: &eperm,
			Args: []arg{{Index: 0, Value: flag, ValueTwo: flag, Op: "SCMP_CMP_MASKED_EQ"}}})
	}
	out, _ := json.MarshalIndent(map[string]any{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": rules}, "", "  ")
	return out
}

var seccompMu sync.Mutex

// writeSeccompProfile writes the strict profile into dir (once; the file
// name carries its content's hash, so a node's config hash never changes
// while the profile does not) and returns its path.
func writeSeccompProfile(dir string) (string, error) {
	data := SeccompStrictProfile()
	sum := sha256.Sum256(data)
	path := filepath.Join(dir, "seccomp-strict-"+hex.EncodeToString(sum[:6])+".json")
	seccompMu.Lock()
	defer seccompMu.Unlock()
	if old, err := os.ReadFile(path); err == nil && string(old) == string(data) {
		return path, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", core.Errorf(core.KindInternal, "writing the strict seccomp profile: %v", err)
	}
	tmp, err := os.CreateTemp(dir, ".seccomp-*")
	if err != nil {
		return "", core.Errorf(core.KindInternal, "writing the strict seccomp profile: %v", err)
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp.Name(), 0o644)
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		_ = os.Remove(tmp.Name())
		return "", core.Errorf(core.KindInternal, "writing the strict seccomp profile %s: %v", path, werr)
	}
	return path, nil
}

// defaultSeccompDir is where the profile is written unless WithSeccompDir.
func defaultSeccompDir() string { return filepath.Join(os.TempDir(), "perry-container") }

// securityOpts are the compose security_opt entries of flags.
func (f ContainerFlags) securityOpts(seccompPath string) []string {
	var out []string
	if f.NoNewPrivileges {
		out = append(out, "no-new-privileges:true")
	}
	if f.Seccomp == SeccompStrict {
		out = append(out, fmt.Sprintf("seccomp=%s", seccompPath))
	}
	return out
}
