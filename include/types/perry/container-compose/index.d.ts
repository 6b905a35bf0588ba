/**
 * perry/container-compose: compose stacks as free functions over a
 * {@link ComposeHandle} (perry/compose is an alias of this module).
 *
 * Each function is backed by a `js_compose_*` symbol, an exact alias of the
 * `js_container_compose_*` symbol behind the same-named ComposeHandle
 * method: `down(stack, true)` and `stack.down(true)` are the same call.
 * The handle parameter is passed to C as `stack.handle` converted to
 * int64_t. The other conventions are those of perry/container
 * (include/types/README.md).
 *
 * @packageDocumentation
 */

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
} from "../container";

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
  ContainerError,
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
} from "../container";

/**
 * Brings a compose stack up. A failed up removes exactly what it created.
 * @param spec an inline compose model (normalized and validated, not
 *   interpolated), or a path to a compose file (interpolated with the
 *   environment and the project's .env).
 * @param call `signal` cancels the call: the promise rejects with
 *   Cancelled (499) once the operation has cleaned up.
 * @returns resolves to the stack's handle object.
 * @throws {ContainerError} InvalidConfig (400); NotFound (404) for a
 *   missing file; DependencyCycle (422); ServiceStartupFailed (500, with
 *   `service`); BackendError.
 * @ffi js_compose_up
 */
export declare function up(spec: ComposeSpec | string, call?: CallOptions): Promise<ComposeHandle>;

/**
 * Stops and removes the stack's containers and networks (and named volumes
 * with `volumes`), then releases the handle.
 * @param handle the stack.
 * @param volumes also remove named volumes; default false.
 * @param call `signal` cancels the call: the promise rejects with
 *   Cancelled (499) once the operation has cleaned up.
 * @returns resolves to undefined.
 * @throws {ContainerError} NotFound (404) when the handle is unknown or
 *   already down; InvalidArgument (400) for a workload handle; BackendError.
 * @ffi js_compose_down
 */
export declare function down(handle: ComposeHandle, volumes?: boolean, call?: CallOptions): Promise<void>;

/**
 * Lists the stack's containers.
 * @param handle the stack.
 * @param call `signal` cancels the call: the promise rejects with
 *   Cancelled (499) once the operation has cleaned up.
 * @returns resolves to the containers, with their labels.
 * @throws {ContainerError} NotFound (404); BackendError.
 * @ffi js_compose_ps
 */
export declare function ps(handle: ComposeHandle, call?: CallOptions): Promise<ContainerInfo[]>;

/**
 * The stack's output so far, each line prefixed "service | ".
 * @param handle the stack.
 * @param opts one service and/or the last n lines.
 * @param call `signal` cancels the call: the promise rejects with
 *   Cancelled (499) once the operation has cleaned up.
 * @returns resolves to stdout and stderr.
 * @throws {ContainerError} InvalidArgument (400); NotFound (404); BackendError.
 * @ffi js_compose_logs
 */
export declare function logs(handle: ComposeHandle, opts?: ComposeLogsOptions, call?: CallOptions): Promise<ContainerLogs>;

/**
 * Follows the stack's logs until its containers exit.
 * @param handle the stack.
 * @param opts one service and/or the last n lines first.
 * @param call `signal` cancels the call: the iteration throws Cancelled
 *   (499).
 * @returns the lines, each with its service.
 * @throws {ContainerError} InvalidArgument (400); NotFound (404);
 *   Cancelled (499).
 * @ffi js_compose_logs_follow
 */
export declare function followLogs(handle: ComposeHandle, opts?: ComposeLogsOptions, call?: CallOptions): AsyncIterable<LogLine>;

/**
 * Runs a command in a service's container (argv, no shell).
 * @param handle the stack.
 * @param service the service name.
 * @param cmd a non-empty argv.
 * @param opts env, workdir, user and replica index.
 * @param call `signal` cancels the call: the promise rejects with
 *   Cancelled (499) once the operation has cleaned up.
 * @returns resolves to stdout, stderr and exitCode.
 * @throws {ContainerError} InvalidArgument (400) for an empty cmd;
 *   NotFound (404) for an unknown handle or service; BackendError.
 * @ffi js_compose_exec
 */
export declare function exec(
  handle: ComposeHandle,
  service: string,
  cmd: string[],
  opts?: ComposeExecOptions,
  call?: CallOptions,
): Promise<ContainerLogs>;

/**
 * The normalized project.
 * @param handle the stack.
 * @param call `signal` cancels the call: the promise rejects with
 *   Cancelled (499) once the operation has cleaned up.
 * @returns resolves to the compose model as an object.
 * @throws {ContainerError} NotFound (404).
 * @ffi js_compose_config
 */
export declare function config(handle: ComposeHandle, call?: CallOptions): Promise<ComposeSpec>;

/**
 * Starts services in dependency order.
 * @param handle the stack.
 * @param services the services; all when absent or empty.
 * @param call `signal` cancels the call: the promise rejects with
 *   Cancelled (499) once the operation has cleaned up.
 * @returns resolves to undefined.
 * @throws {ContainerError} NotFound (404); ServiceStartupFailed (500); BackendError.
 * @ffi js_compose_start
 */
export declare function start(handle: ComposeHandle, services?: string[], call?: CallOptions): Promise<void>;

/**
 * Stops services in reverse dependency order.
 * @param handle the stack.
 * @param services the services; all when absent or empty.
 * @param call `signal` cancels the call: the promise rejects with
 *   Cancelled (499) once the operation has cleaned up.
 * @returns resolves to undefined.
 * @throws {ContainerError} NotFound (404); BackendError.
 * @ffi js_compose_stop
 */
export declare function stop(handle: ComposeHandle, services?: string[], call?: CallOptions): Promise<void>;

/**
 * Restarts services.
 * @param handle the stack.
 * @param services the services; all when absent or empty.
 * @param call `signal` cancels the call: the promise rejects with
 *   Cancelled (499) once the operation has cleaned up.
 * @returns resolves to undefined.
 * @throws {ContainerError} NotFound (404); ServiceStartupFailed (500); BackendError.
 * @ffi js_compose_restart
 */
export declare function restart(handle: ComposeHandle, services?: string[], call?: CallOptions): Promise<void>;

/**
 * Each service's state.
 * @param handle the stack.
 * @param call `signal` cancels the call: the promise rejects with
 *   Cancelled (499) once the operation has cleaned up.
 * @returns resolves to the stack's status.
 * @throws {ContainerError} NotFound (404); BackendError.
 * @ffi js_compose_status
 */
export declare function status(handle: ComposeHandle, call?: CallOptions): Promise<StackStatus>;

/**
 * The dependency graph. Synchronous.
 * @param handle the stack.
 * @returns the graph, services in topological order.
 * @throws {ContainerError} NotFound (404).
 * @ffi js_compose_graph
 */
export declare function graph(handle: ComposeHandle): ServiceGraph;
