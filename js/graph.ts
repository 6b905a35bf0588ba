// Workload graphs: the handle object of a running graph.

import type { CallOptions, ContainerLogs, LogLine } from "../include/types/perry/container/index";
import type {
  GraphDownOptions,
  GraphHandle,
  GraphLogsOptions,
  GraphStatus,
  NodeInfo,
  RunGraphResult,
  WorkloadGraph,
} from "../include/types/perry/workloads/index";
import { callAsync, callSync, json, str } from "./call";
import { follow } from "./stream";

/** A running graph: the C handle with its methods. */
export class Graph implements GraphHandle {
  readonly handle: number;
  readonly project: string;
  readonly nodes: string[];
  readonly resolved?: Record<string, Record<string, string>>;

  constructor(r: RunGraphResult) {
    this.handle = r.handle;
    this.project = r.project;
    this.nodes = r.nodes;
    if (r.resolved !== undefined) this.resolved = r.resolved;
  }

  down(opts?: GraphDownOptions, call?: CallOptions): Promise<void> {
    return callAsync("js_workload_handle_down", () => [this.handle, 0, json("opts", opts)], call);
  }
  status(call?: CallOptions): Promise<GraphStatus> {
    return callAsync("js_workload_handle_status", () => [this.handle, 0], call);
  }
  graph(): WorkloadGraph {
    return callSync("js_workload_handle_graph", this.handle);
  }
  logs(node?: string, opts?: GraphLogsOptions, call?: CallOptions): Promise<ContainerLogs> {
    return callAsync("js_workload_handle_logs", () => [this.handle, 0, str("node", node, true), json("opts", opts)], call);
  }
  followLogs(node?: string, opts?: GraphLogsOptions, call?: CallOptions): AsyncIterable<LogLine> {
    return follow("js_workload_handle_logs_follow", () => [this.handle, str("node", node, true), json("opts", opts)], call);
  }
  exec(node: string, cmd: string[], call?: CallOptions): Promise<ContainerLogs> {
    return callAsync("js_workload_handle_exec", () => [this.handle, 0, str("node", node), json("cmd", cmd)], call);
  }
  ps(call?: CallOptions): Promise<NodeInfo[]> {
    return callAsync("js_workload_handle_ps", () => [this.handle, 0], call);
  }
}

