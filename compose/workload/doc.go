// Package workload runs workload graphs (perry/workloads): typed DAGs of
// nodes with explicit edge conditions, typed cross-node references
// (WorkloadRef), per-node runtimes and isolation policies, four start
// strategies and three failure policies.
//
// # On the compose engine
//
// A graph runs as a compose project named after the graph (the name
// normalized as docker compose normalizes directory names), one service per
// node, with docker compose's names and labels (docs/design.md, Names and labels): `perry-compose
// ps -p <graph>` and `docker compose -p <graph> ps` show it, and
// status/ps/logs/exec/down are the compose engine's own commands. The
// engine's one-shot Up cannot express the strategies (level barriers,
// sequential starts, a delay between levels), the failure policies
// (halt-graph and partial-continue keep what started; Up rolls everything
// back or keeps everything) or workload references (a dependent's environment
// is only known once its dependencies run). So this package is the
// scheduler and the compose engine is its executor: every node is brought
// up by `engine.Up{Services: [node], NoDeps: true}` over the project with
// that node's references resolved, at the moment the strategy allows, and
// every edge condition is awaited with the engine's own wait
// (Engine.WaitFor: ≤100 ms polling, healthcheck emulation on runtimes
// without healthchecks; docs/design.md, Healthchecks everywhere). Networks and volumes are created once, first,
// by Engine.EnsureResources, so concurrent per-node Ups never race to create one
// network. A Recorder given to each node's engine (WithRecorder) collects what
// the per-node Ups created, so that one Engine.Rollback undoes a failed graph
// in reverse creation order. Images, container specs, config hashes, recreation of a
// changed node, health and status all stay the engine's.
//
// # Execution
//
// A node starts (create + start through the engine) only once every edge
// of it is satisfied — started, healthy (degrading to started, with a
// warning event, when the dependency has no healthcheck) or completed (exit
// 0) — and its references are resolved into its environment (docs/design.md, Workload references). It
// counts as started when its container runs (or a one-shot exited 0).
// Strategies:
//
//   - sequential: one node at a time, in topological order (ties by id);
//   - dependency-aware (default): topological levels, the nodes of a level
//     concurrently, each level waiting for the previous one (barriers);
//   - parallel-safe: dependency-aware plus a pause between levels
//     (RunGraphOptions.LevelDelayMs, default 500 ms);
//   - max-parallel: the eager DAG walk, each node as soon as its own
//     dependencies have started.
//
// Failure policies (the error always names the node that failed, in
// Details["node"], not the dependent that noticed it):
//
//   - rollback-all (default): nothing more starts; everything this run
//     created (containers, volumes, networks, its state directory) is
//     removed in reverse creation order by the compose engine's rollback
//     (stop_grace_period, retried removals, uncertain creates removed only
//     when they exist with the project's label), nothing that existed
//     before; Run returns no handle;
//   - halt-graph: nothing more starts, what runs keeps running; Run returns
//     the handle (partial state) and the error;
//   - partial-continue: the failed node and everything that depends on it
//     transitively are skipped, the rest starts; Run returns the handle and
//     no error, and Status reports the failed and skipped nodes.
//
// # Policies and runtimes
//
// PolicyToContainerFlags is the one pure translation of a PolicySpec into
// container settings (flags only ever add restrictions
// to the tier's):
//
//	tier       read_only  network  seccomp  cap_drop  no-new-privileges  isolation
//	default    -          -        -        -         -                  any
//	isolated   -          none     -        -         -                  any
//	hardened   yes        -        strict   ALL       yes                any
//	untrusted  yes        none     strict   ALL       yes                MicroVm
//
// "strict" is perry-container's one seccomp profile, the shell
// capabilities' (package capability/seccomp documents it), given to the
// engine inline so that it never changes a node's config hash; the engine
// writes it into the graph's private state directory (0700, removed by
// Down). It denies, with EPERM, the kernel interfaces Docker's default
// profile denies to a container without capabilities (mount, namespaces
// through unshare/setns/clone flags, keyctl, bpf, perf_event_open, ptrace,
// module and clock syscalls, …) plus io_uring, userfaultfd and the new mount
// API, on the native and the 32-bit compat ABIs, and answers clone3 with
// ENOSYS so that libc falls back to clone, whose namespace flags it
// filters. It replaces the runtime's default profile, which it matches for
// those interfaces; syscalls it does not list are allowed, so together with
// cap_drop ALL and no-new-privileges it is the hardened tier's reduction of
// kernel attack surface, not a sandbox.
//
// Graph-time validation happens before any node starts (the only backend
// call before it is Info, which tells the isolation level): untrusted needs
// a backend whose isolation level is MicroVm, else PolicyViolation naming
// the node, the required and the available isolation (property P21, docs/design.md); a policy
// that removes the network with an explicit networkMode other than none
// (e.g. isolated with host) is a PolicyViolation; a read-only policy with a
// writable mount of "/" is a PolicyViolation. An untrusted node depending on
// a trusted one without trustBoundary on the edge logs a warning.
// Runtimes are never emulated: every node runs on the one backend of the
// caller; runtime oci needs its isolation level to be Container, microvm
// MicroVm and wasm Wasm, else BackendNotAvailable naming node, runtime and
// backend; auto takes the backend as it is. A micro-VM config or a wasm
// module is refused (no backend of this build applies them) rather than
// ignored.
//
// # References
//
// A WorkloadRef in a node's env makes the node depend on the referenced node
// (an edge, condition started unless another edge says more) and is
// resolved after that node has started and before the dependent is created,
// so the value is in the dependent's environment from its first instruction
// (docs/design.md, Workload references). ResolveRef is the resolution, a pure function of the target's
// ContainerInfo:
//
//   - endpoint: "host_ip:host_port" of the published port (ref.port, else
//     the lowest published tcp port, else any); a port published on all
//     interfaces (0.0.0.0, ::) is reported as 127.0.0.1, the address a
//     client on the host connects to;
//   - ip: the container's address on its network;
//   - internalUrl: "http://ip:port" with ref.port, else the lowest tcp port
//     the container exposes (else any).
//
// A target that is not running, has no address (network none) or lacks the
// port is a WorkloadRefResolutionFailed naming the node, the env variable,
// the target, the projection and the reason. The handle keeps the values.
package workload
