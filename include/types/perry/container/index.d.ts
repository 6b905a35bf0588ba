/**
 * perry/container: containers, images, backends and compose stacks on
 * whatever OCI runtime the machine has (Docker, Podman, nerdctl, OrbStack,
 * Colima, Rancher Desktop, Lima, apple/container).
 *
 * These declarations are one side of a contract checked by
 * tests/contract: every function and handle method carries an `@ffi` tag
 * naming the C symbol of include/perry_container.h that implements it, and
 * its parameters map one to one, in order, onto that symbol's parameters
 * (before `cb, ctx`). How a host turns each TypeScript value into a C
 * argument, and a result envelope into a resolved value or a rejected
 * {@link ContainerError}, is described in include/types/README.md:
 *
 *  - a parameter typed `string` is passed raw (NUL-terminated UTF-8, not
 *    JSON-quoted);
 *  - a handle object ({@link ComposeHandle}, `GraphHandle`) is passed as its
 *    `handle` number converted to `int64_t`; on a method the handle is the
 *    receiver and comes first;
 *  - a `boolean` parameter whose C parameter is `int32_t` is passed as 0 or 1;
 *  - every other parameter (objects, arrays, numbers, booleans) is passed as
 *    JSON text, and an omitted optional parameter as NULL;
 *  - a function returning `Promise<T>` is asynchronous in C: the callback's
 *    envelope `{"ok":true,"result":…}` resolves it with `result`, and
 *    `{"ok":false,"error":{…}}` rejects it with a {@link ContainerError};
 *  - a function returning `T` is synchronous in C: it returns a malloc'd
 *    envelope that the host parses, frees with js_container_free(), and
 *    either returns `result` or throws a {@link ContainerError}.
 *
 * Symbols with no TypeScript function (the host calls them itself):
 * js_container_module_init (when the module is first imported),
 * js_container_abi_version (to check the library against the header),
 * js_container_free (after every synchronous call), js_container_shutdown
 * (at process exit; see {@link ShutdownResult}), js_container_cancel (when
 * the `signal` of a call's {@link CallOptions} aborts) and
 * perry_container_run_capability (the host's shell capabilities).
 *
 * @packageDocumentation
 * @ffiHost js_container_module_init js_container_abi_version js_container_free js_container_shutdown js_container_cancel perry_container_run_capability
 */

// ============================================================================
// Cancellation
// ============================================================================

declare global {
  /**
   * The standard AbortSignal (DOM, Node 15 and later). Only what the host
   * glue reads is declared, so the declarations compile without lib "dom";
   * the platform's full AbortSignal merges with it.
   */
  interface AbortSignal {
    /** Whether the signal has aborted. */
    readonly aborted: boolean;
  }
}

/**
 * The last, optional argument of every asynchronous function. It maps to no
 * C argument: the host passes a unique `ctx` per call and, when `signal`
 * aborts, calls js_container_cancel(ctx).
 */
export interface CallOptions {
  /**
   * Cancels the call: the promise rejects with a {@link ContainerError} of
   * kind Cancelled (499) once the operation has cleaned up (a cancelled up
   * removes what it created). An operation that already finished is not
   * affected.
   */
  signal?: AbortSignal;
}

// ============================================================================
// Errors
// ============================================================================

/**
 * The kinds of error, with their codes in {@link ErrorCodes}. Stable; new
 * kinds may be added in later versions, so handle an unknown kind by its code.
 */
export type ErrorKind =
  | "NotFound"
  | "InvalidArgument"
  | "InvalidConfig"
  | "InvalidConfiguration"
  | "VerificationFailed"
  | "PolicyViolation"
  | "DependencyCycle"
  | "WorkloadRefResolutionFailed"
  | "ServiceStartupFailed"
  | "Internal"
  | "BackendError"
  | "NoBackendFound"
  | "BackendNotAvailable"
  | "Timeout"
  | "Cancelled";

/**
 * The HTTP-like code of each {@link ErrorKind}. A `BackendError` carries the
 * runtime CLI's own non-zero exit code instead of 502 when there is one.
 */
export interface ErrorCodes {
  /** No such container, image, handle, service, node or file. */
  NotFound: 404;
  /** An argument is malformed: bad JSON, wrong type, unknown key, out of range, or an invalid handle. */
  InvalidArgument: 400;
  /** A compose file or spec is invalid. */
  InvalidConfig: 400;
  /** A PERRY_CONTAINER_* environment setting is invalid. */
  InvalidConfiguration: 400;
  /** An image signature did not verify. */
  VerificationFailed: 403;
  /** A policy forbids the request. */
  PolicyViolation: 403;
  /** depends_on (or a graph's edges) form a cycle. */
  DependencyCycle: 422;
  /** A WorkloadRef could not be resolved. */
  WorkloadRefResolutionFailed: 422;
  /** A service or node failed to start or become healthy. */
  ServiceStartupFailed: 500;
  /** A bug, a recovered panic, or a feature not available in this build. */
  Internal: 500;
  /** The runtime failed (502, or the runtime CLI's non-zero exit code). */
  BackendError: 502;
  /** Detection found no runtime (details: `probes`). */
  NoBackendFound: 503;
  /** The requested runtime is not usable. */
  BackendNotAvailable: 503;
  /** A deadline passed. */
  Timeout: 504;
  /** The library was shut down (js_container_shutdown). */
  Cancelled: 499;
}

/**
 * What every promise of these modules rejects with, and every synchronous
 * function throws: the envelope's `error` object as an Error.
 */
export interface ContainerError extends Error {
  /** The error's code: see {@link ErrorCodes}. */
  readonly code: number;
  /** One of {@link ErrorKind}; an unknown kind is to be handled by its code. */
  readonly kind: string;
  /**
   * The envelope's extra members, verbatim: e.g. `argument` and `key`
   * (InvalidArgument), `id` (NotFound), `service` (ServiceStartupFailed),
   * `exitCode`, `stderr` and `backend` (BackendError), `probes`
   * (NoBackendFound), `handle`, `stack` (Internal, a recovered panic).
   */
  readonly details: Record<string, unknown>;
}

// ============================================================================
// Containers
// ============================================================================

/** Who must have signed an image (opt-in verification of run()/create()). */
export interface VerifyPolicy {
  /** The signing certificate's identity (subject alternative name), exactly. */
  identity?: string;
  /** Or an anchored regular expression over the identity. */
  identityRegex?: string;
  /** The OIDC issuer recorded in the certificate. */
  issuer: string;
}

/**
 * A container to run or create. The first fields are the spec's; the rest
 * are what compose services need, spelled as compose spells them. Unknown
 * keys are rejected with InvalidArgument naming the key.
 */
export interface ContainerSpec {
  /** Image reference, required. */
  image: string;
  /** Container name; default `{md5(image)[0:8]}-{random hex8}`. */
  name?: string;
  /** `"[ip:]host:container[/proto]"` or `"container"`. */
  ports?: string[];
  /** `"src:dst[:ro]"`. */
  volumes?: string[];
  env?: Record<string, string>;
  cmd?: string[];
  entrypoint?: string[];
  network?: string;
  /** Remove the container when it exits. */
  rm?: boolean;
  // Security options.
  /** Mount the root filesystem read-only. */
  read_only?: boolean;
  /** A seccomp profile path, or "unconfined". */
  seccomp?: string;
  privileged?: boolean;
  /** User name or UID[:GID]. */
  user?: string;
  workdir?: string;
  cap_add?: string[];
  cap_drop?: string[];
  labels?: Record<string, string>;
  // Compose service fields.
  /**
   * Variables removed from the image's environment (compose's environment
   * entry without a value); not also in `env`. podman's API, nerdctl and
   * apple/container refuse it: they cannot remove an image's variable.
   */
  unset_env?: string[];
  hostname?: string;
  domainname?: string;
  network_aliases?: string[];
  /** Networks beyond `network`. */
  networks?: NetworkAttach[];
  /** no | always | on-failure[:n] | unless-stopped */
  restart?: string;
  healthcheck?: Healthcheck;
  stop_signal?: string;
  /** Seconds. */
  stop_timeout?: number;
  /** `"host:ip"`. */
  extra_hosts?: string[];
  dns?: string[];
  dns_search?: string[];
  dns_opt?: string[];
  /** `"/path[:opts]"`. */
  tmpfs?: string[];
  /** Bytes. */
  shm_size?: number;
  /** Bytes. */
  memory?: number;
  /** Bytes. */
  memory_reservation?: number;
  cpus?: number;
  pids_limit?: number;
  /** Bytes of memory plus swap; -1 for unlimited swap. */
  memswap_limit?: number;
  /** Relative CPU weight. */
  cpu_shares?: number;
  /** Microseconds. */
  cpu_period?: number;
  /** Microseconds per period; -1 for unlimited. */
  cpu_quota?: number;
  /** CPUs the container may use, as "0-2,4". */
  cpuset?: string;
  /** -1000..1000. */
  oom_score_adj?: number;
  /** Supplementary groups, names or ids. */
  group_add?: string[];
  devices?: Device[];
  /**
   * Devices by capability, e.g. GPUs (compose's gpus and
   * deploy.resources.reservations.devices). The docker CLI and nerdctl take
   * GPU requests only; podman and apple/container refuse them.
   */
  device_requests?: DeviceRequest[];
  /** 0..100; 0 is a value (swap as little as possible), absent the kernel's default. */
  mem_swappiness?: number;
  /** The OOM killer spares the container's processes. */
  oom_kill_disable?: boolean;
  /** Block IO weight and per-device limits (nerdctl takes the weight alone). */
  blkio_config?: Blkio;
  /** The cgroup namespace. */
  cgroup?: "host" | "private";
  /** The OCI runtime, e.g. "runc" (podman refuses it: its --runtime is global). */
  runtime?: string;
  /** The user namespace, e.g. "host" (nerdctl refuses it). */
  userns_mode?: string;
  /** The primary network interface's MAC address, e.g. "92:d0:c6:0a:29:33". */
  mac_address?: string;
  /** Storage driver options, e.g. {size: "1G"} (docker only). */
  storage_opt?: Record<string, string>;
  /**
   * OCI annotations passed to the runtime (podman, nerdctl, and the Engine
   * API from 1.43; the docker CLI refuses them).
   */
  annotations?: Record<string, string>;
  /**
   * Containers whose volumes this one mounts: "name-or-id", "name:ro" (every
   * volume read-only) or "name:rw" (each keeps its own mode). On nerdctl the
   * source's volumes and binds are mounted by name (so removing this
   * container never removes the source's anonymous volumes);
   * apple/container refuses the field.
   */
  volumes_from?: string[];
  init?: boolean;
  pid?: string;
  ipc?: string;
  security_opt?: string[];
  sysctls?: Record<string, string>;
  ulimits?: Ulimit[];
  expose?: string[];
  platform?: string;
  tty?: boolean;
  stdin_open?: boolean;
  log_driver?: string;
  log_opts?: Record<string, string>;
  /** Long-form mounts (bind, volume, tmpfs). */
  mounts?: Mount[];
  /**
   * Verify the image's signature before anything is created, and run the
   * verified digest (opt-in: the general path does not verify unless asked;
   * shell capabilities always do). Rejects with VerificationFailed (403)
   * naming the image and the reason.
   */
  verify?: VerifyPolicy;
}

/** Attaches a container to a network with aliases and fixed addresses. */
export interface NetworkAttach {
  name: string;
  aliases?: string[];
  ipv4_address?: string;
  ipv6_address?: string;
}

/** A long-form mount. */
export interface Mount {
  type: "bind" | "volume" | "tmpfs";
  source?: string;
  target: string;
  read_only?: boolean;
  /** Bytes. */
  tmpfs_size?: number;
  nocopy?: boolean;
  /**
   * A path inside the named volume to mount instead of the whole volume
   * (compose's `volume.subpath`): relative, not leaving the volume through
   * "..". Needs Docker Engine API 1.45 (the docker CLI's engine too) or
   * podman 5.4 through its CLI; refused with InvalidArgument naming
   * `mounts[i].subpath` on older engines, through podman's Docker-compatible
   * API, by nerdctl and by apple/container.
   */
  subpath?: string;
}

/** A host device made available in the container. */
export interface Device {
  /** Absolute host path. */
  source: string;
  /** Path in the container; `source` when absent. */
  target?: string;
  /** Letters of "rwm"; the runtime's default ("rwm") when absent. */
  permissions?: string;
}

/** Devices a driver provides, asked for by capability (the Engine API's DeviceRequest). */
export interface DeviceRequest {
  /** Absent: the runtime picks a driver with the capabilities. */
  driver?: string;
  /** How many devices; -1 for all. Not with `device_ids`. */
  count?: number;
  device_ids?: string[];
  /** Every one must be offered, e.g. ["gpu"], ["gpu", "utility"]. */
  capabilities?: string[];
  /** The driver's options. */
  options?: Record<string, string>;
}

/** A container's block IO weight and per-device limits (compose's blkio_config). */
export interface Blkio {
  /** 10..1000. */
  weight?: number;
  weight_device?: WeightDevice[];
  /** Bytes per second. */
  device_read_bps?: ThrottleDevice[];
  /** Operations per second. */
  device_read_iops?: ThrottleDevice[];
  /** Bytes per second. */
  device_write_bps?: ThrottleDevice[];
  /** Operations per second. */
  device_write_iops?: ThrottleDevice[];
}

/** The block IO weight of one device. */
export interface WeightDevice {
  /** Absolute host path of the device. */
  path: string;
  /** 10..1000. */
  weight: number;
}

/** A rate limit on one device. */
export interface ThrottleDevice {
  /** Absolute host path of the device. */
  path: string;
  /** Per second, ≥ 0. */
  rate: number;
}

/** One resource limit. */
export interface Ulimit {
  name: string;
  soft: number;
  hard: number;
}

/** A container health test. Durations are strings such as "500ms" or "30s". */
export interface Healthcheck {
  /** `["CMD", …]`, `["CMD-SHELL", "…"]` or `["NONE"]`. */
  test: string[];
  interval?: string;
  timeout?: string;
  retries?: number;
  start_period?: string;
  start_interval?: string;
  disable?: boolean;
}

/** A created container. */
export interface ContainerHandle {
  id: string;
  name?: string;
}

/** A container as the runtime reports it. */
export interface ContainerInfo {
  id: string;
  name: string;
  image: string;
  /** The command it runs, as `docker ps` shows it: "sh -c 'exit 3'". */
  command?: string;
  /** The runtime's human status, e.g. "Up 3 seconds". */
  status: string;
  ports: string[];
  /** ISO 8601. */
  created: string;
  /** created | running | paused | restarting | exited | dead */
  state?: string;
  /** starting | healthy | unhealthy (absent without a healthcheck). */
  health?: string;
  /** Set once the container has exited. */
  exitCode?: number;
  labels?: Record<string, string>;
  networks?: string[];
  /** The container's first network address, when known. */
  ipAddress?: string;
}

/** One line of a followed log. */
export interface LogLine {
  /** The compose service, for a stack's log; the node id, for a graph's. */
  service?: string;
  /** Which output the line was written to. */
  stream: "stdout" | "stderr";
  /** The line, without its newline. */
  line: string;
}

/**
 * How a followed stream ended: the completion callback's result, after the
 * last chunk. The host ends the iteration with it.
 */
export interface FollowResult {
  /** How many lines the chunks carried. */
  lines: number;
}

/** Options of {@link followLogs}. */
export interface FollowLogsOptions {
  /** Start with the last n lines (all when absent). */
  tail?: number;
}

/** A container's output, or an exec's (then with `exitCode`). */
export interface ContainerLogs {
  stdout: string;
  stderr: string;
  /** Set by exec: the command's exit code. */
  exitCode?: number;
}

/** What {@link wait} resolves to. */
export interface WaitResult {
  exitCode: number;
}

// ============================================================================
// Images
// ============================================================================

/** A local image. */
export interface ImageInfo {
  id: string;
  repository: string;
  tag: string;
  /** Bytes. */
  size: number;
  /** ISO 8601. */
  created: string;
  digest?: string;
  /** os/architecture[/variant], e.g. "linux/amd64", where the runtime says. */
  platform?: string;
}

/** An image build (compose's build section). */
export interface BuildSpec {
  /** The build context directory, required. */
  context: string;
  dockerfile?: string;
  args?: Record<string, string>;
  target?: string;
  labels?: Record<string, string>;
  network?: string;
  no_cache?: boolean;
  pull?: boolean;
  platform?: string;
  /** The Dockerfile's text itself, instead of a file; not with `dockerfile`. */
  dockerfile_inline?: string;
  /** More names for the built image, besides the one it is built as. */
  tags?: string[];
  /** "host:ip" entries of the build steps' /etc/hosts. */
  extra_hosts?: string[];
  /** Size of the build steps' /dev/shm, in bytes (not on nerdctl). */
  shm_size?: number;
}

// ============================================================================
// Backends
// ============================================================================

/** The isolation a backend actually provides. */
export type IsolationLevel = "None" | "Process" | "Container" | "MicroVm" | "Wasm";

/** A runtime candidate, or the selected backend. */
export interface BackendInfo {
  /** e.g. "docker", "podman", "apple/container", "fake". */
  name: string;
  available: boolean;
  /** Why it is not available. */
  reason?: string;
  version?: string;
  mode: "local" | "remote";
  isolationLevel: IsolationLevel;
  /** How the library talks to it: "cli" or "api". */
  strategy?: string;
  /** The socket or binary used. */
  endpoint?: string;
}

/**
 * What js_container_shutdown returns (the host calls it at exit; there is
 * no TypeScript function for it).
 */
export interface ShutdownResult {
  /** The handles brought down because teardown was asked. */
  tornDown: number[];
  /** Teardown failures, by handle. */
  errors?: Record<string, string>;
}

// ============================================================================
// Compose (the model follows the compose-spec; compose-go validates it)
// ============================================================================

/** compose-spec's list_or_dict. */
export type ListOrDict = Record<string, string | number | boolean | null> | string[];

/** A compose project (compose-spec). Extension fields `x-*` are accepted. */
export interface ComposeSpec {
  name?: string;
  /** Deprecated; accepted, not used for validation. */
  version?: string;
  services: Record<string, ComposeService>;
  networks?: Record<string, ComposeNetwork | null>;
  volumes?: Record<string, ComposeVolume | null>;
  secrets?: Record<string, ComposeSecret>;
  configs?: Record<string, ComposeConfig>;
  include?: Array<string | ComposeInclude>;
  models?: Record<string, ComposeModel>;
  [extension: `x-${string}`]: unknown;
}

/** An include entry. */
export interface ComposeInclude {
  path: string | string[];
  env_file?: string | string[];
  project_directory?: string;
}

/** A model (compose-spec `models`). */
export interface ComposeModel {
  name?: string;
  model: string;
  context_size?: number;
  runtime_flags?: string[];
}

/** A service (compose-spec). */
export interface ComposeService {
  image?: string;
  build?: string | ComposeServiceBuild;
  command?: string | string[] | null;
  entrypoint?: string | string[] | null;
  environment?: ListOrDict;
  env_file?: string | string[] | Array<{ path: string; required?: boolean; format?: string }>;
  label_file?: string | string[];
  annotations?: ListOrDict;
  ports?: Array<string | number | ComposeServicePort>;
  expose?: Array<string | number>;
  volumes?: Array<string | ComposeServiceVolume>;
  volumes_from?: string[];
  tmpfs?: string | string[];
  networks?: string[] | Record<string, ComposeServiceNetworkConfig | null>;
  network_mode?: string;
  depends_on?: string[] | Record<string, ComposeDependsOn>;
  links?: string[];
  external_links?: string[];
  restart?: string;
  healthcheck?: ComposeHealthcheck;
  container_name?: string;
  labels?: ListOrDict;
  hostname?: string;
  domainname?: string;
  mac_address?: string;
  user?: string;
  working_dir?: string;
  privileged?: boolean;
  read_only?: boolean;
  stdin_open?: boolean;
  tty?: boolean;
  init?: boolean;
  stop_signal?: string;
  stop_grace_period?: string;
  pid?: string | null;
  ipc?: string;
  uts?: string;
  userns_mode?: string;
  cgroup?: "host" | "private";
  cgroup_parent?: string;
  cap_add?: string[];
  cap_drop?: string[];
  security_opt?: string[];
  sysctls?: ListOrDict;
  ulimits?: Record<string, number | { soft: number; hard: number }>;
  logging?: ComposeLogging;
  deploy?: ComposeDeployment;
  develop?: Record<string, unknown>;
  secrets?: Array<string | ComposeServiceConfigRef>;
  configs?: Array<string | ComposeServiceConfigRef>;
  extra_hosts?: ListOrDict;
  dns?: string | string[];
  dns_opt?: string[];
  dns_search?: string | string[];
  devices?: Array<string | { source: string; target?: string; permissions?: string }>;
  /** "all", or GPU requests (the gpu capability is added). */
  gpus?: "all" | Array<{
    capabilities?: string[];
    count?: string | number;
    device_ids?: string[];
    driver?: string;
    options?: ListOrDict;
  }>;
  device_cgroup_rules?: string[];
  group_add?: Array<string | number>;
  shm_size?: string | number;
  mem_limit?: string | number;
  mem_reservation?: string | number;
  memswap_limit?: string | number;
  mem_swappiness?: number;
  oom_kill_disable?: boolean;
  oom_score_adj?: number;
  blkio_config?: {
    weight?: number | string;
    weight_device?: Array<{ path: string; weight: number | string }>;
    device_read_bps?: Array<{ path: string; rate: number | string }>;
    device_read_iops?: Array<{ path: string; rate: number | string }>;
    device_write_bps?: Array<{ path: string; rate: number | string }>;
    device_write_iops?: Array<{ path: string; rate: number | string }>;
  };
  cpus?: string | number;
  cpu_shares?: string | number;
  cpu_quota?: string | number;
  cpu_period?: string | number;
  cpuset?: string;
  pids_limit?: string | number;
  storage_opt?: Record<string, unknown>;
  platform?: string;
  pull_policy?: string;
  profiles?: string[];
  scale?: number;
  runtime?: string;
  isolation?: string;
  extends?: string | { file?: string; service: string };
  attach?: boolean;
  pre_start?: ComposeServiceHook[];
  post_start?: ComposeServiceHook[];
  pre_stop?: ComposeServiceHook[];
  models?: string[] | Record<string, { endpoint_var?: string; model_var?: string }>;
  [extension: `x-${string}`]: unknown;
}

/** A service's build section. */
export interface ComposeServiceBuild {
  context?: string;
  dockerfile?: string;
  dockerfile_inline?: string;
  entitlements?: string[];
  args?: ListOrDict;
  ssh?: ListOrDict;
  labels?: ListOrDict;
  cache_from?: string[];
  cache_to?: string[];
  no_cache?: boolean;
  additional_contexts?: ListOrDict;
  network?: string;
  provenance?: string | boolean;
  sbom?: string | boolean;
  pull?: boolean;
  target?: string;
  shm_size?: string | number;
  extra_hosts?: ListOrDict;
  isolation?: string;
  privileged?: boolean;
  secrets?: Array<string | ComposeServiceConfigRef>;
  tags?: string[];
  ulimits?: Record<string, number | { soft: number; hard: number }>;
  platforms?: string[];
}

/** A port, long form. */
export interface ComposeServicePort {
  name?: string;
  mode?: string;
  host_ip?: string;
  target: number | string;
  published?: string | number;
  protocol?: string;
  app_protocol?: string;
}

/** A volume mount, long form. */
export interface ComposeServiceVolume {
  type: "bind" | "volume" | "tmpfs" | "cluster" | "npipe" | "image";
  source?: string;
  target?: string;
  read_only?: boolean;
  consistency?: string;
  bind?: {
    propagation?: string;
    create_host_path?: boolean;
    recursive?: "enabled" | "disabled" | "writable" | "readonly";
    selinux?: "z" | "Z";
  };
  volume?: { labels?: ListOrDict; nocopy?: boolean; subpath?: string };
  tmpfs?: { size?: string | number; mode?: number };
  image?: { subpath?: string };
}

/** A service's attachment to one network. */
export interface ComposeServiceNetworkConfig {
  aliases?: string[];
  interface_name?: string;
  ipv4_address?: string;
  ipv6_address?: string;
  link_local_ips?: string[];
  mac_address?: string;
  driver_opts?: Record<string, string | number>;
  priority?: number;
  gw_priority?: number;
}

/** depends_on, object form. */
export interface ComposeDependsOn {
  condition: "service_started" | "service_healthy" | "service_completed_successfully";
  required?: boolean;
  restart?: boolean;
}

/** A service's healthcheck. */
export interface ComposeHealthcheck {
  test?: string | string[];
  interval?: string;
  timeout?: string;
  retries?: number;
  start_period?: string;
  start_interval?: string;
  disable?: boolean;
}

/** A service's logging. */
export interface ComposeLogging {
  driver?: string;
  options?: Record<string, string | number | null>;
}

/** A service's deploy section. */
export interface ComposeDeployment {
  mode?: string;
  endpoint_mode?: string;
  replicas?: number;
  labels?: ListOrDict;
  rollback_config?: Record<string, unknown>;
  update_config?: {
    parallelism?: number;
    delay?: string;
    failure_action?: string;
    monitor?: string;
    max_failure_ratio?: number;
    order?: "start-first" | "stop-first";
  };
  resources?: {
    limits?: { cpus?: string | number; memory?: string; pids?: number };
    reservations?: {
      cpus?: string | number;
      memory?: string;
      devices?: Array<{
        capabilities: string[];
        count?: string | number;
        device_ids?: string[];
        driver?: string;
        options?: ListOrDict;
      }>;
    };
  };
  restart_policy?: { condition?: string; delay?: string; max_attempts?: number; window?: string };
  placement?: {
    constraints?: string[];
    preferences?: Array<{ spread?: string }>;
    max_replicas_per_node?: number;
  };
}

/** A lifecycle hook (pre_start, post_start, pre_stop). */
export interface ComposeServiceHook {
  command: string | string[];
  user?: string;
  privileged?: boolean;
  working_dir?: string;
  environment?: ListOrDict;
}

/** A service's reference to a secret or config, long form. */
export interface ComposeServiceConfigRef {
  source: string;
  target?: string;
  uid?: string;
  gid?: string;
  mode?: number | string;
}

/** A top-level network. */
export interface ComposeNetwork {
  name?: string;
  driver?: string;
  driver_opts?: Record<string, string | number>;
  ipam?: ComposeNetworkIpam;
  external?: boolean;
  internal?: boolean;
  /**
   * false makes an IPv6-only network (with enable_ipv6 true). Refused with
   * InvalidArgument naming the field by an engine older than API 1.48
   * (Docker 28; through the docker CLI too), by podman, nerdctl and
   * apple/container, and by the Swarm target; true, the default, is taken
   * everywhere.
   */
  enable_ipv4?: boolean;
  enable_ipv6?: boolean;
  attachable?: boolean;
  labels?: ListOrDict;
}

/**
 * A network's IP address management, applied as docker compose applies it.
 * A bad address is InvalidConfig naming the network and the field
 * (`ipam.config[0].gateway`) before anything is created; changing any field
 * recreates the network. A field the runtime cannot apply is
 * InvalidArgument naming the field and the runtime: podman refuses
 * `options` and `aux_addresses` (through its API also a `driver` other than
 * "default"), and through its CLI a `gateway` or `ip_range` after a pool
 * without one; nerdctl refuses `aux_addresses`, `options` unless the driver
 * is "dhcp", and a `gateway` or `ip_range` on more than one pool;
 * apple/container takes only subnets; the docker CLI refuses one
 * `aux_addresses` name in two pools.
 */
export interface ComposeNetworkIpam {
  /** The IPAM driver; "default" (or absent) is the runtime's own. */
  driver?: string;
  /** The address pools, in order. */
  config?: Array<{
    /** CIDR, e.g. "10.5.0.0/16"; required in every pool. */
    subnet?: string;
    /** CIDR within the subnet: the addresses handed to containers. */
    ip_range?: string;
    /** An IP address within the subnet. */
    gateway?: string;
    /** Addresses within the subnet the runtime never hands out, by name. */
    aux_addresses?: Record<string, string>;
  }>;
  /** The IPAM driver's options. */
  options?: Record<string, string>;
}

/** A top-level volume. */
export interface ComposeVolume {
  name?: string;
  driver?: string;
  driver_opts?: Record<string, string | number>;
  external?: boolean;
  labels?: ListOrDict;
}

/** A top-level secret. */
export interface ComposeSecret {
  name?: string;
  environment?: string;
  file?: string;
  external?: boolean;
  labels?: ListOrDict;
  driver?: string;
  driver_opts?: Record<string, string | number>;
  template_driver?: string;
}

/** A top-level config. */
export interface ComposeConfig {
  name?: string;
  content?: string;
  environment?: string;
  file?: string;
  external?: boolean;
  labels?: ListOrDict;
  template_driver?: string;
}

/** A dependency edge of a {@link ServiceGraph}: `from` depends on `to`. */
export interface ServiceEdge {
  from: string;
  to: string;
}

/** The resolved dependency graph of a stack. */
export interface ServiceGraph {
  /** Service names in topological order (dependencies first). */
  nodes: string[];
  edges: ServiceEdge[];
}

/** A service's state. */
export type ServiceState = "running" | "stopped" | "failed" | "pending" | "unknown";

/** One service's state in a {@link StackStatus}. */
export interface ServiceStatus {
  service: string;
  state: ServiceState;
  containerId?: string;
  error?: string;
}

/** A snapshot of a stack. */
export interface StackStatus {
  services: ServiceStatus[];
  /** True iff every service is running. */
  healthy: boolean;
}

/** Options of {@link composeUpWith}. */
export interface ComposeUpOptions {
  /**
   * Where the stack runs: "local" (the detected runtime) or "swarm" (Docker
   * Swarm services, each created once its dependencies meet their
   * depends_on conditions; the engine must be a swarm manager). Default:
   * the environment variable PERRY_CONTAINER_TARGET, else "local".
   */
  target?: "local" | "swarm";
}

/** Options of {@link ComposeHandle.logs}. */
export interface ComposeLogsOptions {
  /** One service; all when absent. */
  service?: string;
  /** The last n lines of each container. */
  tail?: number;
}

/** Options of {@link ComposeHandle.events}. */
export interface ComposeEventsOptions {
  /** Only these services' events; all when absent. */
  services?: string[];
  /**
   * Replays the events from this time on before following new ones: a
   * Unix time in seconds, an RFC 3339 time or a duration before now
   * ("10m"), as docker events takes it. Absent: from now on.
   */
  since?: string;
}

/**
 * One lifecycle event of a stack's container, in `docker compose events
 * --json`'s shape.
 */
export interface ComposeEvent {
  /** When the runtime reports it happened (RFC 3339, nanoseconds). */
  time: string;
  /** Always "container". */
  type: string;
  /**
   * The runtime's word: create, start, die, kill, stop, pause, unpause,
   * "health_status: healthy" (or starting, unhealthy), destroy, …
   */
  action: string;
  /** The container's id. */
  id: string;
  service: string;
  /** The container's name, image and labels (compose's own left out); exitCode on die. */
  attributes: Record<string, string>;
}

/** Options of {@link ComposeHandle.exec}. */
export interface ComposeExecOptions {
  env?: Record<string, string>;
  workdir?: string;
  user?: string;
  /** Which replica (compose's --index); default the first. */
  index?: number;
}

/**
 * What js_container_composeUp resolves to in C; the host wraps it into a
 * {@link ComposeHandle} (same data members, plus the methods).
 */
export interface ComposeUpResult {
  handle: number;
  project: string;
  services: string[];
}

/**
 * A running compose stack. In C it is the int64 `handle`: the host builds
 * this object from {@link ComposeUpResult} and implements each method as a
 * call of the `@ffi` symbol with `this.handle` as the first argument. The
 * stack lives until {@link ComposeHandle.down} or the host's shutdown. Every
 * method rejects with NotFound (404) once the stack is down.
 *
 * @handle
 * @wraps ComposeUpResult
 */
export interface ComposeHandle {
  /** The int64 handle (positive, below 2^48, never reused). */
  readonly handle: number;
  /** The compose project name. */
  readonly project: string;
  /** The project's service names, sorted. */
  readonly services: string[];

  /**
   * Stops and removes the stack's containers and networks (and named
   * volumes with `volumes`), then releases the handle.
   * @param volumes also remove named volumes; default false.
   * @param call `signal` cancels the call: the promise rejects with
   *   Cancelled (499) once the operation has cleaned up.
   * @returns resolves to undefined.
   * @throws {ContainerError} NotFound (404) when the handle is unknown or
   *   already down; BackendError (502 or the CLI's exit code).
   * @ffi js_container_compose_down
   */
  down(volumes?: boolean, call?: CallOptions): Promise<void>;

  /**
   * Lists the stack's containers.
   * @param call `signal` cancels the call: the promise rejects with
   *   Cancelled (499) once the operation has cleaned up.
   * @returns resolves to the containers, with their labels.
   * @throws {ContainerError} NotFound (404) for an unknown handle; BackendError.
   * @ffi js_container_compose_ps
   */
  ps(call?: CallOptions): Promise<ContainerInfo[]>;

  /**
   * The stack's output so far, each line prefixed "service | ".
   * @param opts one service and/or the last n lines.
   * @param call `signal` cancels the call: the promise rejects with
   *   Cancelled (499) once the operation has cleaned up.
   * @returns resolves to stdout and stderr.
   * @throws {ContainerError} InvalidArgument (400) for a negative tail or an
   *   unknown key; NotFound (404); BackendError.
   * @ffi js_container_compose_logs
   */
  logs(opts?: ComposeLogsOptions, call?: CallOptions): Promise<ContainerLogs>;

  /**
   * Follows the stack's logs until its containers exit: each line with its
   * service, a container's lines in order. Leaving the loop early, or
   * aborting `call.signal`, cancels the follow.
   * @param opts one service and/or the last n lines first.
   * @param call `signal` cancels the call: the iteration throws Cancelled
   *   (499).
   * @returns the lines.
   * @throws {ContainerError} InvalidArgument (400); NotFound (404);
   *   Cancelled (499).
   * @ffi js_container_compose_logs_follow
   */
  followLogs(opts?: ComposeLogsOptions, call?: CallOptions): AsyncIterable<LogLine>;

  /**
   * The lifecycle events of the stack's containers (create, start, die,
   * health_status, stop, destroy, …) from now on, in order, until the loop
   * is left or `call.signal` aborts: the stream never ends by itself.
   * @param opts some services only, and/or a replay from a time.
   * @param call `signal` cancels the call: the iteration throws Cancelled
   *   (499).
   * @returns the events.
   * @throws {ContainerError} NotFound (404) for an unknown handle or
   *   service; InvalidArgument (400); Internal (500) for a runtime without
   *   events; Cancelled (499).
   * @ffi js_container_compose_events
   */
  events(opts?: ComposeEventsOptions, call?: CallOptions): AsyncIterable<ComposeEvent>;

  /**
   * Runs a command in a service's container (argv, no shell).
   * @param service the service name.
   * @param cmd a non-empty argv.
   * @param opts env, workdir, user and replica index.
   * @param call `signal` cancels the call: the promise rejects with
   *   Cancelled (499) once the operation has cleaned up.
   * @returns resolves to stdout, stderr and exitCode (a non-zero exit code
   *   is a result, not an error).
   * @throws {ContainerError} InvalidArgument (400) for an empty cmd;
   *   NotFound (404) for an unknown handle or service; BackendError.
   * @ffi js_container_compose_exec
   */
  exec(service: string, cmd: string[], opts?: ComposeExecOptions, call?: CallOptions): Promise<ContainerLogs>;

  /**
   * The normalized project.
   * @param call `signal` cancels the call: the promise rejects with
   *   Cancelled (499) once the operation has cleaned up.
   * @returns resolves to the compose model as an object.
   * @throws {ContainerError} NotFound (404) for an unknown handle.
   * @ffi js_container_compose_config
   */
  config(call?: CallOptions): Promise<ComposeSpec>;

  /**
   * Starts services in dependency order.
   * @param services the services; all when absent or empty.
   * @param call `signal` cancels the call: the promise rejects with
   *   Cancelled (499) once the operation has cleaned up.
   * @returns resolves to undefined.
   * @throws {ContainerError} NotFound (404) for an unknown handle or
   *   service; ServiceStartupFailed (500); BackendError.
   * @ffi js_container_compose_start
   */
  start(services?: string[], call?: CallOptions): Promise<void>;

  /**
   * Stops services in reverse dependency order.
   * @param services the services; all when absent or empty.
   * @param call `signal` cancels the call: the promise rejects with
   *   Cancelled (499) once the operation has cleaned up.
   * @returns resolves to undefined.
   * @throws {ContainerError} NotFound (404); BackendError.
   * @ffi js_container_compose_stop
   */
  stop(services?: string[], call?: CallOptions): Promise<void>;

  /**
   * Restarts services.
   * @param services the services; all when absent or empty.
   * @param call `signal` cancels the call: the promise rejects with
   *   Cancelled (499) once the operation has cleaned up.
   * @returns resolves to undefined.
   * @throws {ContainerError} NotFound (404); ServiceStartupFailed (500); BackendError.
   * @ffi js_container_compose_restart
   */
  restart(services?: string[], call?: CallOptions): Promise<void>;

  /**
   * Each service's state.
   * @param call `signal` cancels the call: the promise rejects with
   *   Cancelled (499) once the operation has cleaned up.
   * @returns resolves to the stack's status.
   * @throws {ContainerError} NotFound (404); BackendError.
   * @ffi js_container_compose_status
   */
  status(call?: CallOptions): Promise<StackStatus>;

  /**
   * The dependency graph. Synchronous.
   * @returns the graph, services in topological order.
   * @throws {ContainerError} NotFound (404) for an unknown handle.
   * @ffi js_container_compose_graph
   */
  graph(): ServiceGraph;
}

// ============================================================================
// Functions
// ============================================================================

/**
 * Creates and starts a container, detached, pulling a missing image first.
 * @param spec the container; `image` is required.
 * @param call `signal` cancels the call: the promise rejects with
 *   Cancelled (499) once the operation has cleaned up.
 * @returns resolves to the container's id and name.
 * @throws {ContainerError} InvalidArgument (400) for a bad spec (naming the
 *   key); NotFound (404) for a missing image; NoBackendFound (503);
 *   BackendError (502 or the CLI's exit code, with `stderr`).
 * @ffi js_container_run
 */
export declare function run(spec: ContainerSpec, call?: CallOptions): Promise<ContainerHandle>;

/**
 * Creates a container without starting it (and without pulling).
 * @param spec the container; `image` is required.
 * @param call `signal` cancels the call: the promise rejects with
 *   Cancelled (499) once the operation has cleaned up.
 * @returns resolves to the container's id and name.
 * @throws {ContainerError} InvalidArgument (400); NotFound (404) for a
 *   missing image; NoBackendFound (503); BackendError.
 * @ffi js_container_create
 */
export declare function create(spec: ContainerSpec, call?: CallOptions): Promise<ContainerHandle>;

/**
 * Starts a created or stopped container.
 * @param id id, id prefix or name.
 * @param call `signal` cancels the call: the promise rejects with
 *   Cancelled (499) once the operation has cleaned up.
 * @returns resolves to undefined.
 * @throws {ContainerError} NotFound (404) naming the id; BackendError.
 * @ffi js_container_start
 */
export declare function start(id: string, call?: CallOptions): Promise<void>;

/**
 * Stops a container: SIGTERM, then SIGKILL after the timeout.
 * @param id id, id prefix or name.
 * @param timeout seconds, 0..86400; the runtime's default when absent.
 * @param call `signal` cancels the call: the promise rejects with
 *   Cancelled (499) once the operation has cleaned up.
 * @returns resolves to undefined.
 * @throws {ContainerError} InvalidArgument (400) for a bad timeout;
 *   NotFound (404) naming the id; BackendError.
 * @ffi js_container_stop
 */
export declare function stop(id: string, timeout?: number, call?: CallOptions): Promise<void>;

/**
 * Removes a container.
 * @param id id, id prefix or name.
 * @param force also remove a running container; default false.
 * @param call `signal` cancels the call: the promise rejects with
 *   Cancelled (499) once the operation has cleaned up.
 * @returns resolves to undefined.
 * @throws {ContainerError} NotFound (404); BackendError (e.g. running without force).
 * @ffi js_container_remove
 */
export declare function remove(id: string, force?: boolean, call?: CallOptions): Promise<void>;

/**
 * Lists containers.
 * @param all include stopped containers; default false (running only).
 * @param call `signal` cancels the call: the promise rejects with
 *   Cancelled (499) once the operation has cleaned up.
 * @returns resolves to the containers.
 * @throws {ContainerError} NoBackendFound (503); BackendError.
 * @ffi js_container_list
 */
export declare function list(all?: boolean, call?: CallOptions): Promise<ContainerInfo[]>;

/**
 * Inspects a container.
 * @param id id, id prefix or name.
 * @param call `signal` cancels the call: the promise rejects with
 *   Cancelled (499) once the operation has cleaned up.
 * @returns resolves to the container.
 * @throws {ContainerError} NotFound (404) naming the id; BackendError.
 * @ffi js_container_inspect
 */
export declare function inspect(id: string, call?: CallOptions): Promise<ContainerInfo>;

/**
 * A container's output so far.
 * @param id id, id prefix or name.
 * @param tail the last n lines (n >= 0); all when absent.
 * @param call `signal` cancels the call: the promise rejects with
 *   Cancelled (499) once the operation has cleaned up.
 * @returns resolves to stdout and stderr.
 * @throws {ContainerError} InvalidArgument (400) for a bad tail; NotFound (404); BackendError.
 * @ffi js_container_logs
 */
export declare function logs(id: string, tail?: number, call?: CallOptions): Promise<ContainerLogs>;

/**
 * Follows a container's output until it exits: its lines as they are
 * written, in order. Leaving the loop early, or aborting `call.signal`,
 * cancels the follow (js_container_cancel). The library buffers at most
 * 1024 lines while the loop is slow, then stops reading.
 * @param id id, id prefix or name.
 * @param opts start with the last `tail` lines.
 * @param call `signal` cancels the call: the iteration throws Cancelled
 *   (499).
 * @returns the lines; the iteration ends when the container exits.
 * @throws {ContainerError} NotFound (404) naming the id; InvalidArgument
 *   (400) for a bad tail; Cancelled (499).
 * @ffi js_container_logs_follow
 */
export declare function followLogs(id: string, opts?: FollowLogsOptions, call?: CallOptions): AsyncIterable<LogLine>;

/**
 * Runs a command in a running container (argv, no shell).
 * @param id id, id prefix or name.
 * @param cmd a non-empty argv.
 * @param env extra environment.
 * @param workdir the working directory.
 * @param call `signal` cancels the call: the promise rejects with
 *   Cancelled (499) once the operation has cleaned up.
 * @returns resolves to stdout, stderr and exitCode (a non-zero exit code
 *   is a result, not an error).
 * @throws {ContainerError} InvalidArgument (400) for an empty cmd;
 *   NotFound (404); BackendError (e.g. the container is not running).
 * @ffi js_container_exec
 */
export declare function exec(
  id: string,
  cmd: string[],
  env?: Record<string, string>,
  workdir?: string,
  call?: CallOptions,
): Promise<ContainerLogs>;

/**
 * Waits until a container exits.
 * @param id id, id prefix or name.
 * @param call `signal` cancels the call: the promise rejects with
 *   Cancelled (499) once the operation has cleaned up.
 * @returns resolves to its exit code.
 * @throws {ContainerError} NotFound (404); BackendError.
 * @ffi js_container_wait
 */
export declare function wait(id: string, call?: CallOptions): Promise<WaitResult>;

/**
 * Pulls an image.
 * @param reference e.g. "registry:5000/app:1".
 * @param call `signal` cancels the call: the promise rejects with
 *   Cancelled (499) once the operation has cleaned up.
 * @returns resolves to undefined.
 * @throws {ContainerError} NotFound (404) for an unknown image; BackendError
 *   with the runtime's stderr.
 * @ffi js_container_pullImage
 */
export declare function pullImage(reference: string, call?: CallOptions): Promise<void>;

/**
 * Lists local images.
 * @param call `signal` cancels the call: the promise rejects with
 *   Cancelled (499) once the operation has cleaned up.
 * @returns resolves to the images.
 * @throws {ContainerError} NoBackendFound (503); BackendError.
 * @ffi js_container_listImages
 */
export declare function listImages(call?: CallOptions): Promise<ImageInfo[]>;

/**
 * Removes a local image.
 * @param reference the image.
 * @param force remove even when in use; default false.
 * @param call `signal` cancels the call: the promise rejects with
 *   Cancelled (499) once the operation has cleaned up.
 * @returns resolves to undefined.
 * @throws {ContainerError} NotFound (404); BackendError.
 * @ffi js_container_removeImage
 */
export declare function removeImage(reference: string, force?: boolean, call?: CallOptions): Promise<void>;

/**
 * Inspects a local image, without pulling.
 * @param reference the image.
 * @param call `signal` cancels the call: the promise rejects with
 *   Cancelled (499) once the operation has cleaned up.
 * @returns resolves to the image.
 * @throws {ContainerError} NotFound (404); BackendError.
 * @ffi js_container_inspectImage
 */
export declare function inspectImage(reference: string, call?: CallOptions): Promise<ImageInfo>;

/**
 * Builds an image.
 * @param build the build; `context` is required.
 * @param imageName the tag to give the image.
 * @param call `signal` cancels the call: the promise rejects with
 *   Cancelled (499) once the operation has cleaned up.
 * @returns resolves to undefined.
 * @throws {ContainerError} InvalidArgument (400) without a context;
 *   BackendError with the build's message.
 * @ffi js_container_build
 */
export declare function build(build: BuildSpec, imageName: string, call?: CallOptions): Promise<void>;

/**
 * The selected backend, detecting it first if needed. Synchronous: blocks
 * up to 15 s.
 * @returns the backend.
 * @throws {ContainerError} NoBackendFound (503, with `probes`);
 *   BackendNotAvailable (503); InvalidConfiguration (400) for a bad
 *   PERRY_CONTAINER_* value.
 * @ffi js_container_getBackend
 */
export declare function getBackend(): BackendInfo;

/**
 * The selected backend, as {@link getBackend}, without blocking the
 * caller's thread while detection runs (it may take seconds).
 * @param call `signal` cancels the call: the promise rejects with
 *   Cancelled (499) once the operation has cleaned up.
 * @returns resolves to the selected backend.
 * @throws {ContainerError} NoBackendFound (503, with `probes`);
 *   BackendNotAvailable (503); InvalidConfiguration (400); Cancelled (499).
 * @ffi js_container_getBackendAsync
 */
export declare function getBackendAsync(call?: CallOptions): Promise<BackendInfo>;

/**
 * Probes every candidate runtime of this platform.
 * @param call `signal` cancels the call: the promise rejects with
 *   Cancelled (499) once the operation has cleaned up.
 * @returns resolves to every candidate in priority order, with why an
 *   unavailable one is not available.
 * @throws {ContainerError} InvalidConfiguration (400); Cancelled (499).
 * @ffi js_container_detectBackend
 */
export declare function detectBackend(call?: CallOptions): Promise<BackendInfo[]>;

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
 * @ffi js_container_composeUp js_container_compose_up
 */
export declare function composeUp(spec: ComposeSpec | string, call?: CallOptions): Promise<ComposeHandle>;

/**
 * {@link composeUp} on a target: the local runtime or Docker Swarm
 * (docs/scale-out.md). On Swarm the stack's services are named and labelled
 * as `docker stack deploy` names them; the promise resolves when every
 * service runs (healthy when it has a healthcheck, jobs completed). The
 * handle's down, ps (the stack's tasks), logs, followLogs, exec (a task on
 * this node), status, config and graph act on the Swarm stack; start, stop
 * and restart reject with InvalidArgument there.
 * @param spec as for {@link composeUp}.
 * @param opts `target`; absent: PERRY_CONTAINER_TARGET, else "local".
 * @param call `signal` cancels the call: the promise rejects with
 *   Cancelled (499) once the operation has cleaned up.
 * @returns resolves to the stack's handle object.
 * @throws {ContainerError} as {@link composeUp}; InvalidArgument (400) for
 *   an unknown target or a project live under a handle on the other target;
 *   BackendNotAvailable (503) when the engine is not a swarm manager.
 * @ffi js_container_composeUpWith
 */
export declare function composeUpWith(
  spec: ComposeSpec | string,
  opts?: ComposeUpOptions,
  call?: CallOptions,
): Promise<ComposeHandle>;
