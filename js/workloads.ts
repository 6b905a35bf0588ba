// perry/workloads for Node: every function of
// include/types/perry/workloads/index.d.ts over the C ABI, plus the
// ergonomic form of graph() and node(): node objects in dependsOn and
// node.endpoint()/ip()/internalUrl(). That form only builds the JSON the C
// functions already take (dependsOn items may be ids or {node, condition}).

import type { CallOptions } from "../include/types/perry/container/index";
import type {
  EdgeCondition,
  GraphHandle,
  GraphStatus,
  MicroVmConfig,
  NodeSpec,
  PolicySpec,
  RefProjection,
  RunGraphOptions,
  RunGraphResult,
  RuntimeSpec,
  WorkloadEdge,
  WorkloadGraph,
  WorkloadGraphSpec,
  WorkloadNode,
  WorkloadRef,
} from "../include/types/perry/workloads/index";
import { callAsync, callSync, invalidArgument, json, str } from "./call";
import { Graph } from "./graph";

export { ContainerError } from "./call";
export type { CallOptions, ContainerLogs, ErrorCodes, ErrorKind, Healthcheck } from "../include/types/perry/container/index";
export type {
  EdgeCondition,
  GraphDownOptions,
  GraphHandle,
  GraphLogsOptions,
  GraphStatus,
  MicroVmConfig,
  NetworkMode,
  NodeInfo,
  NodeResources,
  NodeSpec,
  NodeState,
  PolicySpec,
  PolicyTier,
  RefProjection,
  RunGraphOptions,
  RunGraphResult,
  RuntimeSpec,
  RuntimeType,
  WorkloadEdge,
  WorkloadEnvValue,
  WorkloadGraph,
  WorkloadGraphSpec,
  WorkloadNode,
  WorkloadRef,
} from "../include/types/perry/workloads/index";

/** A node, or its id. */
export type NodeLike = WorkloadNode | string;

/** A dependency: a node (condition "started") or a node with its condition. */
export type Dependency = NodeLike | { node: NodeLike; condition?: EdgeCondition };

/** A NodeSpec whose dependsOn may hold node objects and conditions. */
export interface NodeOptions extends Omit<NodeSpec, "dependsOn"> {
  dependsOn?: Dependency[];
}

/** A built node, with the references to its addresses. */
export interface Node extends WorkloadNode {
  /** host:port of the published `port` (a container port). */
  endpoint(port?: string | number): WorkloadRef;
  /** The node's address. */
  ip(): WorkloadRef;
  /** http://ip:port. */
  internalUrl(port?: string | number): WorkloadRef;
}

/** What the builder form of {@link graph} hands its function. */
export interface GraphBuilder {
  /** Adds a node built as {@link node} builds it. */
  node(name: string, spec?: NodeOptions): Node;
  /** Adds an edge beyond those implied by dependsOn and refs. */
  edge(edge: WorkloadEdge): void;
}

function idOf(argument: string, n: unknown): string {
  if (typeof n === "string") return n;
  if (typeof n === "object" && n !== null && typeof (n as WorkloadNode).id === "string") return (n as WorkloadNode).id;
  throw invalidArgument(argument, "must be a node or a node id");
}

function makeRef(nodeId: string, projection: RefProjection, port?: string | number): WorkloadRef {
  return port === undefined ? { nodeId, projection } : { nodeId, projection, port: String(port) };
}

/** A WorkloadNode with reference methods on its prototype (JSON sees only the node). */
class BuiltNode implements Node {
  id!: string;
  name!: string;
  runtime!: RuntimeSpec;
  policy!: PolicySpec;

  constructor(n: WorkloadNode) {
    Object.assign(this, n);
  }
  endpoint(port?: string | number): WorkloadRef {
    return makeRef(this.id, "endpoint", port);
  }
  ip(): WorkloadRef {
    return makeRef(this.id, "ip");
  }
  internalUrl(port?: string | number): WorkloadRef {
    return makeRef(this.id, "internalUrl", port);
  }
}

/** The spec with dependsOn items as the C ABI takes them: ids or {node: id, condition}. */
function nodeSpecJSON(spec: NodeSpec | NodeOptions | undefined): string | undefined {
  if (spec === undefined || spec === null || !Array.isArray(spec.dependsOn)) return json("spec", spec);
  const dependsOn = spec.dependsOn.map((d: Dependency, i: number) => {
    const arg = `spec.dependsOn[${i}]`;
    if (typeof d === "object" && d !== null && "node" in d) {
      return d.condition === undefined ? idOf(arg, d.node) : { node: idOf(arg, d.node), condition: d.condition };
    }
    return idOf(arg, d);
  });
  return json("spec", { ...spec, dependsOn });
}

export function node(name: string, spec?: NodeOptions): Node;
// The declared form last: the conformance check compares against it.
export function node(name: string, spec?: NodeSpec): Node;
export function node(name: string, spec?: NodeSpec | NodeOptions): Node {
  return new BuiltNode(callSync<WorkloadNode>("js_workload_node", 0, str("name", name), nodeSpecJSON(spec)));
}

export function graph(name: string, build: (g: GraphBuilder) => unknown): WorkloadGraph;
// The declared form last: the conformance check compares against it.
export function graph(name: string, spec: WorkloadGraphSpec): WorkloadGraph;
export function graph(name: string, specOrBuild: WorkloadGraphSpec | ((g: GraphBuilder) => unknown)): WorkloadGraph {
  let spec: WorkloadGraphSpec | undefined = specOrBuild as WorkloadGraphSpec;
  if (typeof specOrBuild === "function") {
    const nodes: Record<string, WorkloadNode> = {};
    const edges: WorkloadEdge[] = [];
    specOrBuild({
      node(n, s) {
        const built = node(n, s);
        if (Object.prototype.hasOwnProperty.call(nodes, built.id)) {
          throw invalidArgument("node", `a node with id ${JSON.stringify(built.id)} is already in the graph`);
        }
        nodes[built.id] = built;
        return built;
      },
      edge(e) {
        edges.push(e);
      },
    });
    spec = edges.length > 0 ? { nodes, edges } : { nodes };
  }
  return callSync("js_workload_graph", 0, str("name", name), json("spec", spec ?? null));
}

export function runGraph(graph: WorkloadGraph, opts?: RunGraphOptions, call?: CallOptions): Promise<GraphHandle> {
  return callAsync<RunGraphResult>(
    "js_workload_runGraph",
    () => [0, 0, json("graph", graph ?? null), json("opts", opts)],
    call,
  ).then((r) => new Graph(r));
}

export function inspectGraph(graph: WorkloadGraph, call?: CallOptions): Promise<GraphStatus> {
  return callAsync("js_workload_inspectGraph", () => [0, 0, json("graph", graph ?? null)], call);
}

export function ref(node: WorkloadNode | string, projection: RefProjection, port?: string): WorkloadRef {
  return makeRef(typeof node === "string" ? node : node.id, projection, port);
}

export const runtime = {
  oci: (): RuntimeSpec => ({ type: "oci" }),
  microvm: (config?: MicroVmConfig): RuntimeSpec => (config === undefined ? { type: "microvm" } : { type: "microvm", config }),
  wasm: (module?: string): RuntimeSpec => (module === undefined ? { type: "wasm" } : { type: "wasm", module }),
  auto: (): RuntimeSpec => ({ type: "auto" }),
};

export const policy = {
  default: (): PolicySpec => ({ tier: "default" }),
  isolated: (): PolicySpec => ({ tier: "isolated" }),
  hardened: (opts?: { noNetwork?: boolean; readOnlyRoot?: boolean; seccomp?: boolean }): PolicySpec => ({
    tier: "hardened",
    ...opts,
  }),
  untrusted: (): PolicySpec => ({ tier: "untrusted" }),
};
