/**
 * perry/workloads: workload graphs, typed DAGs of nodes with typed
 * cross-node references ({@link WorkloadRef}), per-node runtimes and
 * isolation policies.
 *
 * Functions tagged `@ffi` are backed by the named `js_workload_*` symbol;
 * the methods of a {@link GraphHandle} by `js_workload_handle_*`, with the
 * handle (`this.handle` converted to int64_t) as the first argument. The
 * helpers of {@link runtime} and {@link policy} and the function
 * {@link ref} are tagged `@pure`: they cross no C boundary, the host
 * implements them in TypeScript and each returns exactly the value its
 * documentation gives. The other conventions are those of perry/container
 * (include/types/README.md).
 *
 * @packageDocumentation
 */

import type { CallOptions, ContainerLogs, Healthcheck, LogLine, ServiceState } from "../container";

export type { CallOptions, ContainerError, ContainerLogs, ErrorCodes, ErrorKind, Healthcheck } from "../container";

/** The runtime a node runs on. */
export type RuntimeType = "oci" | "microvm" | "wasm" | "auto";

/** A micro-VM's configuration (passed through as JSON). */
export type MicroVmConfig = Record<string, unknown>;

/** How a node runs. */
export interface RuntimeSpec {
  type: RuntimeType;
  /** microvm only. */
  config?: MicroVmConfig;
  /** wasm only: the module. */
  module?: string;
}

/** A node's isolation tier. */
export type PolicyTier = "default" | "isolated" | "hardened" | "untrusted";

/**
 * A node's isolation policy. The flags only ever add restrictions to the
 * tier's (none of them can loosen a tier): noNetwork removes the network,
 * readOnlyRoot makes the root filesystem read-only, seccomp applies the
 * strict seccomp profile.
 *
 * | tier      | read-only root | network | seccomp | cap_drop | no-new-privileges | isolation |
 * |-----------|----------------|---------|---------|----------|-------------------|-----------|
 * | default   |                |         |         |          |                   | any       |
 * | isolated  |                | none    |         |          |                   | any       |
 * | hardened  | yes            |         | strict  | ALL      | yes               | any       |
 * | untrusted | yes            | none    | strict  | ALL      | yes               | MicroVm   |
 */
export interface PolicySpec {
  tier: PolicyTier;
  noNetwork?: boolean;
  readOnlyRoot?: boolean;
  seccomp?: boolean;
}

/** Which address of a node a {@link WorkloadRef} resolves to. */
export type RefProjection = "endpoint" | "ip" | "internalUrl";

/**
 * A typed reference to another node's address, usable as an env value. It
 * makes the node depend on the referenced node and is resolved before the
 * node is created.
 */
export interface WorkloadRef {
  nodeId: string;
  projection: RefProjection;
  port?: string;
}

/** An env value: a literal string or a {@link WorkloadRef}. */
export type WorkloadEnvValue = string | WorkloadRef;

/** The condition of a dependency edge. */
export type EdgeCondition = "started" | "healthy" | "completed";

/** A node's network mode; absent: the graph's own network. */
export type NetworkMode = "bridge" | "host" | "none";

/** A node's resource limits. */
export interface NodeResources {
  /** e.g. "0.5". */
  cpu?: string;
  /** e.g. "512m". */
  memory?: string;
}

/** One node of a workload graph. */
export interface WorkloadNode {
  id: string;
  name: string;
  image?: string;
  resources?: NodeResources;
  ports?: string[];
  env?: Record<string, WorkloadEnvValue>;
  /** Node ids. */
  dependsOn?: string[];
  runtime: RuntimeSpec;
  policy: PolicySpec;
  cmd?: string[];
  entrypoint?: string[];
  volumes?: string[];
  healthcheck?: Healthcheck;
  labels?: Record<string, string>;
  user?: string;
  workdir?: string;
  /**
   * The conditions of the dependencies that wait for more than "started":
   * dependency id → condition. (In C, dependsOn items may also be
   * `{"node": id, "condition"}`; js_workload_node moves the condition here.)
   */
  dependsOnConditions?: Record<string, EdgeCondition>;
  /** Absent: the graph's network. A policy without network forbids any other than "none". */
  networkMode?: NetworkMode;
}

/**
 * The spec of {@link node}: a WorkloadNode without its name, every member
 * optional (id defaults to the name, runtime to auto, policy to tier
 * default).
 *
 * @partialOf WorkloadNode
 */
export interface NodeSpec {
  id?: string;
  image?: string;
  resources?: NodeResources;
  ports?: string[];
  env?: Record<string, WorkloadEnvValue>;
  /** Node ids (e.g. `db.id`). */
  dependsOn?: string[];
  runtime?: RuntimeSpec;
  policy?: PolicySpec;
  cmd?: string[];
  entrypoint?: string[];
  volumes?: string[];
  healthcheck?: Healthcheck;
  labels?: Record<string, string>;
  user?: string;
  workdir?: string;
  /** Dependency id → "healthy" or "completed" (default "started"). */
  dependsOnConditions?: Record<string, EdgeCondition>;
  networkMode?: NetworkMode;
}

/** A dependency edge: `from` depends on `to`. */
export interface WorkloadEdge {
  from: string;
  to: string;
  /** Default "started". */
  condition?: EdgeCondition;
  /** Acknowledges a dependency across trust tiers. */
  trustBoundary?: boolean;
  /** Advisory. */
  locality?: "same-host" | "same-network" | "any";
  /** Advisory. */
  latencyClass?: "realtime" | "interactive" | "batch";
}

/** A named set of nodes and edges. */
export interface WorkloadGraph {
  name: string;
  nodes: Record<string, WorkloadNode>;
  edges: WorkloadEdge[];
}

/** The spec of {@link graph}. */
export interface WorkloadGraphSpec {
  /** The nodes by id, e.g. built with {@link node}. */
  nodes: Record<string, WorkloadNode>;
  edges?: WorkloadEdge[];
}

/** Options of {@link runGraph}. */
export interface RunGraphOptions {
  /** Default "dependency-aware". */
  strategy?: "sequential" | "max-parallel" | "dependency-aware" | "parallel-safe";
  /** Default "rollback-all". */
  onFailure?: "rollback-all" | "partial-continue" | "halt-graph";
  /** parallel-safe's pause between levels, in milliseconds; default 500. */
  levelDelayMs?: number;
  /**
   * Where the graph runs: "local" (the detected runtime) or "swarm" (Docker
   * Swarm services, each created once its dependencies meet their
   * conditions; the engine must be a swarm manager). On Swarm the
   * partial-continue failure policy needs the sequential or max-parallel
   * strategy; a WorkloadRef resolves to the node's service name on the
   * graph's overlay network ("<project>_<node>"); the isolated, hardened and
   * untrusted tiers, noNetwork, seccomp, networkMode and runtimes other than
   * auto/oci are refused (InvalidArgument). Default: the environment
   * variable PERRY_CONTAINER_TARGET, else "local".
   */
  target?: "local" | "swarm";
}

/** A node's state. */
export type NodeState = ServiceState;

/** A snapshot of a graph. */
export interface GraphStatus {
  nodes: Record<string, NodeState>;
  /** True iff every node is running. */
  healthy: boolean;
  /** Errors by node id. */
  errors?: Record<string, string>;
}

/** A node's container. */
export interface NodeInfo {
  nodeId: string;
  name: string;
  containerId?: string;
  state: NodeState;
  image?: string;
}

/** Options of {@link GraphHandle.down}. */
export interface GraphDownOptions {
  /** Also remove named volumes; default false. */
  volumes?: boolean;
}

/** Options of {@link GraphHandle.logs}. */
export interface GraphLogsOptions {
  /** The last n lines. */
  tail?: number;
}

/**
 * What js_workload_runGraph resolves to in C; the host wraps it into a
 * {@link GraphHandle}.
 */
export interface RunGraphResult {
  handle: number;
  /** The compose project the graph runs as (its name, normalized). */
  project: string;
  /** The node ids in topological order. */
  nodes: string[];
  /** The resolved references: node id → env variable → value. */
  resolved?: Record<string, Record<string, string>>;
}

/**
 * A running graph. In C it is the int64 `handle`: the host builds this
 * object from {@link RunGraphResult} and implements each method as a call
 * of the `@ffi` symbol with `this.handle` as the first argument. Every
 * method rejects with NotFound (404) once the graph is down, and with
 * InvalidArgument (400) for a handle that is not a workload handle.
 *
 * @handle
 * @wraps RunGraphResult
 */
export interface GraphHandle {
  /** The int64 handle (positive, below 2^48, never reused). */
  readonly handle: number;
  /** The compose project the graph runs as (its name, normalized). */
  readonly project: string;
  /** The node ids in topological order. */
  readonly nodes: string[];
  /** The resolved references: node id → env variable → value. */
  readonly resolved?: Record<string, Record<string, string>>;

  /**
   * Brings the graph down (containers and networks; volumes with
   * `opts.volumes`) and releases the handle.
   * @param opts whether to remove named volumes.
   * @param call `signal` cancels the call: the promise rejects with
   *   Cancelled (499) once the operation has cleaned up.
   * @returns resolves to undefined.
   * @throws {ContainerError} NotFound (404); BackendError.
   * @ffi js_workload_handle_down
   */
  down(opts?: GraphDownOptions, call?: CallOptions): Promise<void>;

  /**
   * Each node's state.
   * @param call `signal` cancels the call: the promise rejects with
   *   Cancelled (499) once the operation has cleaned up.
   * @returns resolves to the graph's status.
   * @throws {ContainerError} NotFound (404); BackendError.
   * @ffi js_workload_handle_status
   */
  status(call?: CallOptions): Promise<GraphStatus>;

  /**
   * The running graph, with its resolved edges. Synchronous.
   * @returns the graph.
   * @throws {ContainerError} NotFound (404).
   * @ffi js_workload_handle_graph
   */
  graph(): WorkloadGraph;

  /**
   * A node's output so far.
   * @param node the node id; every node when absent.
   * @param opts the last n lines.
   * @param call `signal` cancels the call: the promise rejects with
   *   Cancelled (499) once the operation has cleaned up.
   * @returns resolves to stdout and stderr.
   * @throws {ContainerError} NotFound (404) for an unknown handle or node;
   *   InvalidArgument (400); BackendError.
   * @ffi js_workload_handle_logs
   */
  logs(node?: string, opts?: GraphLogsOptions, call?: CallOptions): Promise<ContainerLogs>;

  /**
   * Follows the logs of a node (every node when absent) until the graph's
   * containers stop: each line with its node id as `service`, a node's
   * lines in order. Leaving the loop early, or aborting `call.signal`,
   * cancels the follow.
   * @param node the node id; every node when absent.
   * @param opts the last n lines first.
   * @param call `signal` cancels the call: the iteration throws Cancelled
   *   (499).
   * @returns the lines.
   * @throws {ContainerError} NotFound (404) for an unknown handle or node;
   *   InvalidArgument (400); Cancelled (499).
   * @ffi js_workload_handle_logs_follow
   */
  followLogs(node?: string, opts?: GraphLogsOptions, call?: CallOptions): AsyncIterable<LogLine>;

  /**
   * Runs a command in a node's container (argv, no shell).
   * @param node the node id.
   * @param cmd a non-empty argv.
   * @param call `signal` cancels the call: the promise rejects with
   *   Cancelled (499) once the operation has cleaned up.
   * @returns resolves to stdout, stderr and exitCode.
   * @throws {ContainerError} InvalidArgument (400) for an empty cmd;
   *   NotFound (404) for an unknown handle or node; BackendError.
   * @ffi js_workload_handle_exec
   */
  exec(node: string, cmd: string[], call?: CallOptions): Promise<ContainerLogs>;

  /**
   * The nodes' containers.
   * @param call `signal` cancels the call: the promise rejects with
   *   Cancelled (499) once the operation has cleaned up.
   * @returns resolves to one entry per node.
   * @throws {ContainerError} NotFound (404); BackendError.
   * @ffi js_workload_handle_ps
   */
  ps(call?: CallOptions): Promise<NodeInfo[]>;
}

/**
 * Builds and validates a workload graph. Synchronous.
 * @param name the graph's name.
 * @param spec the nodes by id and the extra edges.
 * @returns the graph, with the edges implied by dependsOn and by refs.
 * @throws {ContainerError} InvalidArgument (400); DependencyCycle (422);
 *   WorkloadRefResolutionFailed (422) for a ref to an unknown node;
 *   PolicyViolation (403).
 * @ffi js_workload_graph
 */
export declare function graph(name: string, spec: WorkloadGraphSpec): WorkloadGraph;

/**
 * Builds a node with defaults (id = name, runtime auto, policy tier
 * default). Synchronous.
 * @param name the node's name.
 * @param spec the rest of the node.
 * @returns the node.
 * @throws {ContainerError} InvalidArgument (400) naming the key.
 * @ffi js_workload_node
 */
export declare function node(name: string, spec?: NodeSpec): WorkloadNode;

/**
 * Runs a graph as the compose project named after it: starts its nodes per
 * the strategy, each once its edges' conditions hold, resolving its refs
 * before it is created. The graph is validated first, against the backend
 * too, before anything starts. On a node's failure: rollback-all (default)
 * removes what this run created and rejects; halt-graph starts nothing more
 * and rejects with the error's `handle` member naming the kept, partial
 * graph; partial-continue skips the node and its dependents and resolves
 * (check `status().healthy`).
 * @param graph the graph (from {@link graph}).
 * @param opts strategy and failure handling.
 * @param call `signal` cancels the call: the promise rejects with
 *   Cancelled (499) once the operation has cleaned up.
 * @returns resolves to the running graph's handle object.
 * @throws {ContainerError} InvalidArgument (400); DependencyCycle (422);
 *   WorkloadRefResolutionFailed (422); PolicyViolation (403, e.g. an
 *   untrusted node on a backend without MicroVm isolation);
 *   BackendNotAvailable (503, a runtime the backend does not provide);
 *   ServiceStartupFailed (500, naming the node in `node`); BackendError.
 * @ffi js_workload_runGraph
 */
export declare function runGraph(graph: WorkloadGraph, opts?: RunGraphOptions, call?: CallOptions): Promise<GraphHandle>;

/**
 * The state of a graph's nodes, without a handle and without starting
 * anything.
 * @param graph the graph.
 * @param call `signal` cancels the call: the promise rejects with
 *   Cancelled (499) once the operation has cleaned up.
 * @returns resolves to the graph's status.
 * @throws {ContainerError} InvalidArgument (400); BackendError.
 * @ffi js_workload_inspectGraph
 */
export declare function inspectGraph(graph: WorkloadGraph, call?: CallOptions): Promise<GraphStatus>;

/**
 * A reference to a node's address, for another node's env.
 * @param node the node or its id.
 * @param projection "endpoint" (host:port of a published port), "ip", or
 *   "internalUrl" (http://ip:port).
 * @param port the container port, for endpoint and internalUrl.
 * @returns exactly `{ nodeId, projection, port }` (nodeId = node.id, or
 *   node when a string; port omitted when absent).
 * @pure
 */
export declare function ref(node: WorkloadNode | string, projection: RefProjection, port?: string): WorkloadRef;

/** Runtime selection helpers. */
export declare const runtime: {
  /**
   * An OCI container.
   * @returns exactly `{ type: "oci" }`.
   * @pure
   */
  oci(): RuntimeSpec;
  /**
   * A micro-VM.
   * @param config the VM's configuration.
   * @returns exactly `{ type: "microvm", config }` (config omitted when absent).
   * @pure
   */
  microvm(config?: MicroVmConfig): RuntimeSpec;
  /**
   * A WebAssembly module.
   * @param module the module.
   * @returns exactly `{ type: "wasm", module }` (module omitted when absent).
   * @pure
   */
  wasm(module?: string): RuntimeSpec;
  /**
   * Whatever the detected backend provides (the default).
   * @returns exactly `{ type: "auto" }`.
   * @pure
   */
  auto(): RuntimeSpec;
};

/** Isolation policy helpers. */
export declare const policy: {
  /**
   * No special policy (the default).
   * @returns exactly `{ tier: "default" }`.
   * @pure
   */
  default(): PolicySpec;
  /**
   * No network to other nodes.
   * @returns exactly `{ tier: "isolated" }`.
   * @pure
   */
  isolated(): PolicySpec;
  /**
   * A hardened container.
   * @param opts the flags to set.
   * @returns exactly `{ tier: "hardened", ...opts }`.
   * @pure
   */
  hardened(opts?: { noNetwork?: boolean; readOnlyRoot?: boolean; seccomp?: boolean }): PolicySpec;
  /**
   * Maximum isolation (forces a micro-VM runtime).
   * @returns exactly `{ tier: "untrusted" }`.
   * @pure
   */
  untrusted(): PolicySpec;
};
