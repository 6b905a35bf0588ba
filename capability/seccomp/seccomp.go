// Package seccomp holds perry-container's one seccomp profile. It is a
// package of its own, without dependencies, so that both the shell
// capabilities and the workload policy tiers use it.
package seccomp

import (
	"bytes"
	_ "embed"
)

// Profile returns (a copy of) perry-container's seccomp profile, a
// Docker/OCI seccomp JSON document, applied to every shell-capability
// container and to the hardened and untrusted tiers of workload nodes. It
// replaces the runtime's default profile, so it is a deny-list layered on
// the rest of the hardening: every container it is applied to also has all
// capabilities dropped and no-new-privileges (a capability container runs
// as a non-root user too), which makes the kernel refuse most privileged
// calls by itself; the profile removes the kernel attack surface an
// unprivileged process can still reach, and a few calls no command-line
// tool needs. Each blocked call fails with EPERM (clone3 with ENOSYS, so
// that libc falls back to clone, whose flags can be inspected):
//
//   - new namespaces: unshare, setns, and clone with any CLONE_NEW* flag
//     (an unprivileged user namespace is the usual first step of a kernel
//     exploit, and the door to mount and network configuration);
//   - mounts and filesystem handles: mount, umount, umount2, pivot_root,
//     chroot, the new mount API (fsopen, fsconfig, fsmount, fspick,
//     move_mount, open_tree, mount_setattr), open_by_handle_at and
//     name_to_handle_at (the "shocker" container escape);
//   - large unprivileged kernel surfaces: bpf, perf_event_open,
//     userfaultfd, io_uring_setup/enter/register, keyctl, add_key,
//     request_key;
//   - inspecting other processes: ptrace, process_vm_readv/writev, kcmp,
//     pidfd_getfd;
//   - legacy and hardware interfaces: personality, modify_ldt, uselib,
//     vm86, vm86old, iopl, ioperm;
//   - the machine itself: module loading (init_module, finit_module,
//     delete_module, create_module, query_module, get_kernel_syms), kexec,
//     reboot, swapon/swapoff, acct, clock and time setting (settimeofday,
//     stime, clock_settime, clock_adjtime and their 64-bit-time variants,
//     adjtimex), syslog, lookup_dcookie, quotactl, nfsservctl, sysfs,
//     _sysctl, ustat, vhangup, fanotify_init, and NUMA placement (mbind, set_mempolicy,
//     get_mempolicy, migrate_pages, move_pages).
//
// The filter covers the native and compat ABIs of x86_64 (i386, x32) and
// arm64 (arm), so a 32-bit syscall cannot go around it. A syscall added to
// the kernel after this list is allowed: that is the price of a deny-list,
// which keeps any command-line tool working where an allow-list breaks
// tools in ways that are hard to diagnose.
func Profile() []byte { return bytes.Clone(profile) }

//go:embed profile.json
var profile []byte
