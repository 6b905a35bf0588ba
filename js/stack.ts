// Compose stacks: the handle object and the operations on a handle number.

import type {
  CallOptions,
  ComposeEvent,
  ComposeEventsOptions,
  ComposeExecOptions,
  ComposeHandle,
  ComposeLogsOptions,
  ComposeSpec,
  ComposeUpOptions,
  ComposeUpResult,
  ContainerInfo,
  ContainerLogs,
  LogLine,
  ServiceGraph,
  StackStatus,
} from "../include/types/perry/container/index";
import { callAsync, callSync, flag, invalidArgument, json, str } from "./call";
import { follow } from "./stream";

/** A compose spec: a path passed raw, an inline model as JSON. */
function composeSpec(spec: ComposeSpec | string): string | undefined {
  if (typeof spec === "string") return spec;
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) {
    // The library would take any other JSON text for a path.
    throw invalidArgument("spec", "must be a compose model object or a path");
  }
  return json("spec", spec);
}

/**
 * The compose operations on a handle number, through one family of C
 * symbols: the handle methods use js_container_compose_*, the free functions
 * of perry/container-compose their js_compose_* aliases.
 */
export function stackOps(prefix: "js_container_compose_" | "js_compose_") {
  return {
    down: (h: number, volumes?: boolean, call?: CallOptions): Promise<void> =>
      callAsync(prefix + "down", () => [h, flag("volumes", volumes)], call),
    ps: (h: number, call?: CallOptions): Promise<ContainerInfo[]> => callAsync(prefix + "ps", () => [h, 0], call),
    logs: (h: number, opts?: ComposeLogsOptions, call?: CallOptions): Promise<ContainerLogs> =>
      callAsync(prefix + "logs", () => [h, 0, json("opts", opts)], call),
    followLogs: (h: number, opts?: ComposeLogsOptions, call?: CallOptions): AsyncIterable<LogLine> =>
      follow(prefix + "logs_follow", () => [h, json("opts", opts)], call),
    exec: (h: number, service: string, cmd: string[], opts?: ComposeExecOptions, call?: CallOptions): Promise<ContainerLogs> =>
      callAsync(prefix + "exec", () => [h, 0, str("service", service), json("cmd", cmd), json("opts", opts)], call),
    config: (h: number, call?: CallOptions): Promise<ComposeSpec> => callAsync(prefix + "config", () => [h, 0], call),
    start: (h: number, services?: string[], call?: CallOptions): Promise<void> =>
      callAsync(prefix + "start", () => [h, 0, json("services", services)], call),
    stop: (h: number, services?: string[], call?: CallOptions): Promise<void> =>
      callAsync(prefix + "stop", () => [h, 0, json("services", services)], call),
    restart: (h: number, services?: string[], call?: CallOptions): Promise<void> =>
      callAsync(prefix + "restart", () => [h, 0, json("services", services)], call),
    status: (h: number, call?: CallOptions): Promise<StackStatus> => callAsync(prefix + "status", () => [h, 0], call),
    graph: (h: number): ServiceGraph => callSync(prefix + "graph", h),
  };
}

const ops = stackOps("js_container_compose_");

/** A running compose stack: the C handle with its methods. */
export class Stack implements ComposeHandle {
  readonly handle: number;
  readonly project: string;
  readonly services: string[];

  constructor(r: ComposeUpResult) {
    this.handle = r.handle;
    this.project = r.project;
    this.services = r.services;
  }

  down(volumes?: boolean, call?: CallOptions): Promise<void> {
    return ops.down(this.handle, volumes, call);
  }
  ps(call?: CallOptions): Promise<ContainerInfo[]> {
    return ops.ps(this.handle, call);
  }
  logs(opts?: ComposeLogsOptions, call?: CallOptions): Promise<ContainerLogs> {
    return ops.logs(this.handle, opts, call);
  }
  followLogs(opts?: ComposeLogsOptions, call?: CallOptions): AsyncIterable<LogLine> {
    return ops.followLogs(this.handle, opts, call);
  }
  events(opts?: ComposeEventsOptions, call?: CallOptions): AsyncIterable<ComposeEvent> {
    return follow("js_container_compose_events", () => [this.handle, json("opts", opts)], call);
  }
  exec(service: string, cmd: string[], opts?: ComposeExecOptions, call?: CallOptions): Promise<ContainerLogs> {
    return ops.exec(this.handle, service, cmd, opts, call);
  }
  config(call?: CallOptions): Promise<ComposeSpec> {
    return ops.config(this.handle, call);
  }
  start(services?: string[], call?: CallOptions): Promise<void> {
    return ops.start(this.handle, services, call);
  }
  stop(services?: string[], call?: CallOptions): Promise<void> {
    return ops.stop(this.handle, services, call);
  }
  restart(services?: string[], call?: CallOptions): Promise<void> {
    return ops.restart(this.handle, services, call);
  }
  status(call?: CallOptions): Promise<StackStatus> {
    return ops.status(this.handle, call);
  }
  graph(): ServiceGraph {
    return ops.graph(this.handle);
  }
}

/** Brings a stack up through one of the up symbols and wraps its handle. */
export function upWith(symbol: string, spec: ComposeSpec | string, call?: CallOptions): Promise<ComposeHandle> {
  return callAsync<ComposeUpResult>(symbol, () => [0, 0, composeSpec(spec)], call).then((r) => new Stack(r));
}

/** upWith for js_container_composeUpWith: the options are its second string. */
export function upWithOptions(
  symbol: string,
  spec: ComposeSpec | string,
  opts: ComposeUpOptions | undefined,
  call?: CallOptions,
): Promise<ComposeHandle> {
  return callAsync<ComposeUpResult>(symbol, () => [0, 0, composeSpec(spec), json("opts", opts)], call).then(
    (r) => new Stack(r),
  );
}
