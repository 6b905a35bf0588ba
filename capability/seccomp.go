package capability

import (
	_ "embed"
	"os"
	"path/filepath"
)

// SeccompProfile returns (a copy of) the seccomp profile of every capability container (a
// Docker/OCI seccomp JSON document). It replaces the engine's default
// profile, so it is a deny-list layered on the rest of the hardening: the
// container already runs as a non-root user with every capability dropped
// and no-new-privileges, which makes the kernel refuse most privileged
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
//     stime, clock_settime, clock_adjtime, adjtimex), syslog,
//     lookup_dcookie, quotactl, nfsservctl, sysfs, _sysctl, ustat, vhangup,
//     fanotify_init, and NUMA placement (mbind, set_mempolicy,
//     get_mempolicy, migrate_pages, move_pages).
//
// The filter covers the native and compat ABIs of x86_64 (i386, x32) and
// arm64 (arm), so a 32-bit syscall cannot go around it. A syscall added to
// the kernel after this list is allowed: that is the price of a deny-list,
// which keeps any command-line tool working where an allow-list breaks
// tools in ways that are hard to diagnose.
func SeccompProfile() []byte { return append([]byte(nil), seccompProfile...) }

//go:embed seccomp.json
var seccompProfile []byte

// writeSeccompProfile writes the profile to a private temporary file: the
// Docker-compatible CLIs read a profile from a path (client-side, so this
// also works with a remote engine), and the API backend inlines the file.
// The file is needed only until the container is created.
func writeSeccompProfile() (path string, cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "perry-seccomp-")
	if err != nil {
		return "", nil, err
	}
	cleanup = func() { _ = os.RemoveAll(dir) }
	path = filepath.Join(dir, "seccomp.json")
	if err := os.WriteFile(path, seccompProfile, 0o600); err != nil {
		cleanup()
		return "", nil, err
	}
	return path, cleanup, nil
}
