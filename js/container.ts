// perry/container for Node: every function of
// include/types/perry/container/index.d.ts over the C ABI.

import type {
  BackendInfo,
  BuildSpec,
  CallOptions,
  ComposeHandle,
  ComposeSpec,
  ComposeUpOptions,
  ContainerHandle,
  ContainerInfo,
  ContainerLogs,
  ContainerSpec,
  FollowLogsOptions,
  ImageInfo,
  LogLine,
  WaitResult,
} from "../include/types/perry/container/index";
import { callAsync, callSync, json, str, flag } from "./call";
import { upWith, upWithOptions } from "./stack";
import { follow } from "./stream";

export { ContainerError } from "./call";
export type {
  BackendInfo,
  Blkio,
  BuildSpec,
  CallOptions,
  ComposeConfig,
  ComposeDependsOn,
  ComposeDeployment,
  ComposeEvent,
  ComposeEventsOptions,
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
  ComposeUpOptions,
  ComposeUpResult,
  ComposeVolume,
  ContainerHandle,
  ContainerInfo,
  ContainerLogs,
  ContainerSpec,
  Device,
  DeviceRequest,
  ErrorCodes,
  ErrorKind,
  FollowLogsOptions,
  FollowResult,
  Healthcheck,
  ImageInfo,
  IsolationLevel,
  ListOrDict,
  LogLine,
  Mount,
  NetworkAttach,
  ServiceEdge,
  ServiceGraph,
  ServiceState,
  ServiceStatus,
  ShutdownResult,
  StackStatus,
  ThrottleDevice,
  Ulimit,
  VerifyPolicy,
  WaitResult,
  WeightDevice,
} from "../include/types/perry/container/index";

const none = 0; // for the handle or flag of a C function that has none

export function run(spec: ContainerSpec, call?: CallOptions): Promise<ContainerHandle> {
  return callAsync("js_container_run", () => [none, none, json("spec", spec)], call);
}

export function create(spec: ContainerSpec, call?: CallOptions): Promise<ContainerHandle> {
  return callAsync("js_container_create", () => [none, none, json("spec", spec)], call);
}

export function start(id: string, call?: CallOptions): Promise<void> {
  return callAsync("js_container_start", () => [none, none, str("id", id)], call);
}

export function stop(id: string, timeout?: number, call?: CallOptions): Promise<void> {
  return callAsync("js_container_stop", () => [none, none, str("id", id), json("timeout", timeout)], call);
}

export function remove(id: string, force?: boolean, call?: CallOptions): Promise<void> {
  return callAsync("js_container_remove", () => [none, none, str("id", id), json("force", force)], call);
}

export function list(all?: boolean, call?: CallOptions): Promise<ContainerInfo[]> {
  return callAsync("js_container_list", () => [none, none, json("all", all)], call);
}

export function inspect(id: string, call?: CallOptions): Promise<ContainerInfo> {
  return callAsync("js_container_inspect", () => [none, none, str("id", id)], call);
}

export function logs(id: string, tail?: number, call?: CallOptions): Promise<ContainerLogs> {
  return callAsync("js_container_logs", () => [none, none, str("id", id), json("tail", tail)], call);
}

export function followLogs(id: string, opts?: FollowLogsOptions, call?: CallOptions): AsyncIterable<LogLine> {
  return follow("js_container_logs_follow", () => [none, str("id", id), json("opts", opts)], call);
}

export function exec(id: string, cmd: string[], env?: Record<string, string>, workdir?: string, call?: CallOptions): Promise<ContainerLogs> {
  return callAsync("js_container_exec", () => [
    none,
    none,
    str("id", id),
    json("cmd", cmd),
    json("env", env),
    str("workdir", workdir, true),
  ], call);
}

export function wait(id: string, call?: CallOptions): Promise<WaitResult> {
  return callAsync("js_container_wait", () => [none, none, str("id", id)], call);
}

export function pullImage(reference: string, call?: CallOptions): Promise<void> {
  return callAsync("js_container_pullImage", () => [none, none, str("reference", reference)], call);
}

export function listImages(call?: CallOptions): Promise<ImageInfo[]> {
  return callAsync("js_container_listImages", () => [none, none], call);
}

export function removeImage(reference: string, force?: boolean, call?: CallOptions): Promise<void> {
  return callAsync("js_container_removeImage", () => [none, flag("force", force), str("reference", reference)], call);
}

export function inspectImage(reference: string, call?: CallOptions): Promise<ImageInfo> {
  return callAsync("js_container_inspectImage", () => [none, none, str("reference", reference)], call);
}

export function build(build: BuildSpec, imageName: string, call?: CallOptions): Promise<void> {
  return callAsync("js_container_build", () => [none, none, json("build", build), str("imageName", imageName)], call);
}

export function getBackend(): BackendInfo {
  return callSync("js_container_getBackend", none);
}

export function getBackendAsync(call?: CallOptions): Promise<BackendInfo> {
  return callAsync("js_container_getBackendAsync", () => [none, none], call);
}

export function detectBackend(call?: CallOptions): Promise<BackendInfo[]> {
  return callAsync("js_container_detectBackend", () => [none, none], call);
}

export function composeUp(spec: ComposeSpec | string, call?: CallOptions): Promise<ComposeHandle> {
  return upWith("js_container_composeUp", spec, call);
}

export function composeUpWith(
  spec: ComposeSpec | string,
  opts?: ComposeUpOptions,
  call?: CallOptions,
): Promise<ComposeHandle> {
  return upWithOptions("js_container_composeUpWith", spec, opts, call);
}
