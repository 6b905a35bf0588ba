// perry/container-compose for Node: the free functions of
// include/types/perry/container-compose/index.d.ts, through the js_compose_*
// symbols, with the stack as the first argument.

import type {
  CallOptions,
  ComposeExecOptions,
  ComposeHandle,
  ComposeLogsOptions,
  ComposeSpec,
  ContainerInfo,
  ContainerLogs,
  LogLine,
  ServiceGraph,
  StackStatus,
} from "../include/types/perry/container/index";
import { handleOf, json } from "./call";
import { stackOps, upWith } from "./stack";
import { follow } from "./stream";

export { ContainerError } from "./call";
export type {
  CallOptions,
  ComposeConfig,
  ComposeDependsOn,
  ComposeDeployment,
  ComposeExecOptions,
  ComposeHandle,
  ComposeHealthcheck,
  ComposeInclude,
  ComposeLogging,
  ComposeLogsOptions,
  ComposeModel,
  ComposeNetwork,
  ComposeNetworkIpam,
  ComposeSecret,
  ComposeService,
  ComposeServiceBuild,
  ComposeServiceConfigRef,
  ComposeServiceHook,
  ComposeServiceNetworkConfig,
  ComposeServicePort,
  ComposeServiceVolume,
  ComposeSpec,
  ComposeUpResult,
  ComposeVolume,
  ContainerInfo,
  ContainerLogs,
  ErrorCodes,
  ErrorKind,
  ListOrDict,
  LogLine,
  ServiceEdge,
  ServiceGraph,
  ServiceState,
  ServiceStatus,
  StackStatus,
} from "../include/types/perry/container/index";

const ops = stackOps("js_compose_");

/** The handle number of the stack argument; a non-handle rejects. */
const h = (handle: ComposeHandle): number => handleOf("handle", handle);

export function up(spec: ComposeSpec | string, call?: CallOptions): Promise<ComposeHandle> {
  return upWith("js_compose_up", spec, call);
}

export async function down(handle: ComposeHandle, volumes?: boolean, call?: CallOptions): Promise<void> {
  return ops.down(h(handle), volumes, call);
}

export async function ps(handle: ComposeHandle, call?: CallOptions): Promise<ContainerInfo[]> {
  return ops.ps(h(handle), call);
}

export async function logs(handle: ComposeHandle, opts?: ComposeLogsOptions, call?: CallOptions): Promise<ContainerLogs> {
  return ops.logs(h(handle), opts, call);
}

// Not async: a bad handle rejects the iteration (its first next()), as the
// other functions reject their promise, instead of throwing here.
export function followLogs(handle: ComposeHandle, opts?: ComposeLogsOptions, call?: CallOptions): AsyncIterable<LogLine> {
  return follow("js_compose_logs_follow", () => [h(handle), json("opts", opts)], call);
}

export async function exec(
  handle: ComposeHandle,
  service: string,
  cmd: string[],
  opts?: ComposeExecOptions,
  call?: CallOptions,
): Promise<ContainerLogs> {
  return ops.exec(h(handle), service, cmd, opts, call);
}

export async function config(handle: ComposeHandle, call?: CallOptions): Promise<ComposeSpec> {
  return ops.config(h(handle), call);
}

export async function start(handle: ComposeHandle, services?: string[], call?: CallOptions): Promise<void> {
  return ops.start(h(handle), services, call);
}

export async function stop(handle: ComposeHandle, services?: string[], call?: CallOptions): Promise<void> {
  return ops.stop(h(handle), services, call);
}

export async function restart(handle: ComposeHandle, services?: string[], call?: CallOptions): Promise<void> {
  return ops.restart(h(handle), services, call);
}

export async function status(handle: ComposeHandle, call?: CallOptions): Promise<StackStatus> {
  return ops.status(h(handle), call);
}

export function graph(handle: ComposeHandle): ServiceGraph {
  return ops.graph(h(handle));
}
