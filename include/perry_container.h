/*
 * perry_container.h — the C ABI of perry-container.
 *
 * perry-container manages OCI containers and compose stacks on whatever
 * runtime the machine has (Docker, Podman, nerdctl, OrbStack, Colima, Rancher
 * Desktop, Lima, apple/container). This header is the contract: it alone is
 * enough to use libperrycontainer.so / libperrycontainer.a.
 *
 * ---------------------------------------------------------------------------
 * CONVENTIONS (apply to every function below unless it says otherwise)
 * ---------------------------------------------------------------------------
 *
 * Strings in. Every `const char *` argument is a NUL-terminated UTF-8 string
 * BORROWED for the duration of the call only: the library copies what it
 * needs before returning, so the caller may free it right after the call.
 * NULL means "argument omitted". An argument whose TypeScript type is
 * `string` (ids, names, image references, paths, service and node names) is
 * passed raw, NOT JSON-quoted. Every other argument (objects, arrays, numbers,
 * booleans) is passed as JSON text. Inputs larger than 16 MiB, invalid UTF-8,
 * invalid JSON, JSON of the wrong type, unknown keys in objects and
 * out-of-range numbers are rejected with an InvalidArgument error that names
 * the argument (and the key).
 *
 * Results out: the envelope. Every result is a JSON envelope:
 *     {"ok":true,"result":<value>}            (void results: "result":null)
 *     {"ok":false,"error":{"code":404,"kind":"NotFound","message":"…", …}}
 * Errors may carry extra members (e.g. "argument", "key", "id", "service",
 * "exitCode", "stderr", "probes"). Codes and kinds are stable; new kinds may be
 * added in future versions, so handle an unknown kind by its code:
 *     400 InvalidArgument, InvalidConfig, InvalidConfiguration
 *     403 VerificationFailed, PolicyViolation
 *     404 NotFound
 *     422 DependencyCycle, WorkloadRefResolutionFailed
 *     499 Cancelled            (the library was shut down, or the call was
 *                              cancelled with js_container_cancel)
 *     500 ServiceStartupFailed, Internal (also: recovered panics and features
 *                              not available in this build)
 *     502 BackendError         (or the runtime CLI's own non-zero exit code)
 *     503 NoBackendFound, BackendNotAvailable
 *     504 Timeout
 *
 * Asynchronous functions take `(…, perry_complete_fn cb, void *ctx)` last.
 *   - They return 0 when the operation was scheduled. Then `cb` is called
 *     EXACTLY ONCE, with `ctx`, on a thread owned by the library (never the
 *     caller's thread by contract, but possibly before the call returns).
 *     Argument errors are also delivered through `cb`.
 *   - They return a negative value when nothing was scheduled (cb == NULL);
 *     then the callback never fires.
 *   - In the callback, `status` is 0 for success or the error's code, `json`
 *     is the NUL-terminated envelope of `len` bytes. `json` is owned by the
 *     library and valid only during the callback: copy it to keep it.
 *   - Callbacks may run concurrently on several threads; the callback must be
 *     thread-safe. It must not block for long (it holds a library thread).
 *
 * Synchronous functions that return `char *` return a malloc'd envelope that
 * the caller owns and must release with js_container_free(). They never
 * return NULL except when the process is out of memory.
 *
 * Handles (compose stacks, workload graphs) are int64_t: positive, never
 * reused within a process, below 2^48 (exact as JavaScript numbers); 0 is
 * never a handle. An unknown or released handle gives NotFound; 0, a
 * negative handle or one >= 2^48 gives InvalidArgument, and so does a handle
 * of the wrong type (a compose handle passed to a workload function). None
 * of these crashes.
 *
 * Threading: every function may be called from any thread, concurrently.
 * On one handle, the calls that change it or its containers (up of the same
 * project, down, start, stop, restart, exec) run one at a time; the
 * read-only ones (ps, status, graph, logs, config) never wait for them and
 * may run while one is in flight.
 * Signals: the library installs no SIGINT/SIGTERM handlers; the host owns
 * signals and calls js_container_shutdown() to tear down.
 *
 * Backend selection: the first operation detects the runtime (concurrent
 * probes, highest-priority available wins) unless the environment says:
 *     PERRY_CONTAINER_BACKEND   apple/container | orbstack | colima |
 *                               rancher-desktop | lima | podman | nerdctl |
 *                               docker | fake  (fake = in-memory test engine)
 *     PERRY_CONTAINER_MODE      local-first (default) | server-first
 *     PERRY_CONTAINER_STRATEGY  api | cli
 *     PERRY_CONTAINER_LOG       stderr: let the compose loader's warnings
 *                               reach the host's stderr (silent otherwise;
 *                               read once, at load)
 *     PERRY_CONTAINER_TARGET    local (default) | swarm: where
 *                               js_container_composeUp runs a stack when the
 *                               call does not say (js_container_composeUpWith)
 * The `fake` backend is an in-memory engine with real state, meant for the
 * tests of host programs; it runs no container. What it simulates:
 *   - containers, images, networks and volumes with real state (an unknown
 *     id is NotFound, a stopped container cannot exec, a removed one is gone);
 *     images must be pulled (js_container_pullImage) before run;
 *   - a container's command runs through a tiny interpreter: `echo ARGS`,
 *     `true`, `false`, `exit N`, `env`, `pwd`, `cat FILE`, `test -f FILE`
 *     end at once with their exit code (so `wait` answers it); anything else
 *     (e.g. `sleep 300`) keeps running until stopped;
 *   - `sh -c SCRIPT` runs such commands separated by ';' or newlines, with
 *     '…' and "…" quoting and the redirections >, >>, 2>, 2>>, 2>&1, >&2 into
 *     the container's own files (or /dev/null); no pipes, variables, &&/||;
 *   - healthchecks are evaluated with the same interpreter each time the
 *     container is inspected: exit 0 is healthy, any other code unhealthy
 *     (["CMD","false"] is unhealthy); a command it does not know is healthy;
 *   - exec runs the same language, in the container's env and workdir.
 *
 * Cancellation. js_container_cancel(ctx) cancels every in-flight operation
 * started with that `ctx` (hosts pass a unique ctx per call: their promise
 * id). Its callback still fires exactly once, with Cancelled (499), after
 * the operation has cleaned up (a cancelled up removes what it created). An
 * operation that had already finished is not affected.
 *
 * Blocking. Asynchronous functions never block: they copy their arguments
 * and return. The synchronous ones return at once, except
 * js_container_getBackend (detects first when needed: up to 15 s; use
 * js_container_getBackendAsync on an event loop's thread) and
 * js_container_shutdown (waits for in-flight work up to its timeout, then
 * tears down: each stack up to 30 s more).
 *
 * Memory. The library allocates with the C allocator only for the envelopes
 * of synchronous functions; if malloc fails there, the Go runtime aborts the
 * process (as it does on any out-of-memory), so no function returns NULL
 * for it. Callback envelopes are library memory, not malloc'd.
 *
 * fork(). The library runs threads (the Go runtime) from the first call:
 * after fork() it must not be used in the child, not even to shut down;
 * call exec*() in the child, or fork before the first call.
 *
 * Symbols. libperrycontainer.so exports exactly the functions of this
 * header (symbol version PERRY_CONTAINER_1) and nothing else: the Go
 * runtime's and cgo's internals are local to it. The static archive cannot
 * hide them: linking it brings the Go runtime's global symbols (crosscall2,
 * _cgo_*, x_cgo_*), which a host must not define itself.
 *
 * Projects. A second up of a project this process holds (a compose project
 * by name, a workload graph by name) converges that stack as `docker compose
 * up` does and answers with the SAME handle; a down through that handle ends
 * it for every holder.
 */
#ifndef PERRY_CONTAINER_H
#define PERRY_CONTAINER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define PERRY_BEGIN_DECL extern "C" {
#define PERRY_END_DECL }
#else
#define PERRY_BEGIN_DECL
#define PERRY_END_DECL
#endif

#if defined(_WIN32)
#define PERRY_EXTERN(type) __declspec(dllimport) type
#elif defined(__GNUC__)
#define PERRY_EXTERN(type) __attribute__((visibility("default"))) type
#else
#define PERRY_EXTERN(type) type
#endif

PERRY_BEGIN_DECL

/** The ABI version this header describes; compare with js_container_abi_version(). */
#define PERRY_CONTAINER_ABI_VERSION "1.2.0"
/** The same version as a number, major*1000000 + minor*1000 + patch (for #if). */
#define PERRY_CONTAINER_ABI_VERSION_NUMBER 1002000

/* The error codes (a callback's `status`, an envelope's "code"). A
 * BackendError of a runtime CLI may carry the CLI's own exit code instead. */
#define PERRY_CONTAINER_OK 0
#define PERRY_CONTAINER_E_INVALID_ARGUMENT 400 /* also InvalidConfig, InvalidConfiguration */
#define PERRY_CONTAINER_E_INVALID_CONFIG 400
#define PERRY_CONTAINER_E_INVALID_CONFIGURATION 400
#define PERRY_CONTAINER_E_VERIFICATION_FAILED 403
#define PERRY_CONTAINER_E_POLICY_VIOLATION 403
#define PERRY_CONTAINER_E_NOT_FOUND 404
#define PERRY_CONTAINER_E_DEPENDENCY_CYCLE 422
#define PERRY_CONTAINER_E_WORKLOAD_REF_RESOLUTION_FAILED 422
#define PERRY_CONTAINER_E_CANCELLED 499
#define PERRY_CONTAINER_E_SERVICE_STARTUP_FAILED 500
#define PERRY_CONTAINER_E_INTERNAL 500
#define PERRY_CONTAINER_E_BACKEND_ERROR 502
#define PERRY_CONTAINER_E_NO_BACKEND_FOUND 503
#define PERRY_CONTAINER_E_BACKEND_NOT_AVAILABLE 503
#define PERRY_CONTAINER_E_TIMEOUT 504

/**
 * Completion callback of every asynchronous function.
 * @param ctx     the `ctx` given to the call, untouched.
 * @param status  0 on success, else the error code (see CONVENTIONS).
 * @param json    the envelope, NUL-terminated; owned by the library, valid
 *                only until the callback returns.
 * @param len     strlen(json).
 */
typedef void (*perry_complete_fn)(void *ctx, int32_t status, const char *json, size_t len);

/**
 * Chunk callback of a followed stream (js_container_logs_follow,
 * js_container_compose_logs_follow, js_workload_handle_logs_follow,
 * js_container_compose_events): a JSON array of items, e.g.
 * [{"stream":"stdout","line":"…"},…]. Chunks of one
 * call arrive in order, one at a time (never concurrently), all before that
 * call's completion callback. `json` is valid only during the callback.
 * Backpressure: the library holds at most 1024 lines per stream between the
 * runtime and the host (a chunk is at most 256 lines or about 1 MiB); while
 * the host's chunk callback is slow and the buffer is full, the library
 * stops reading the runtime's stream, so memory stays bounded.
 */
typedef void (*perry_chunk_fn)(void *ctx, const char *json, size_t len);

/* ======================================================================== */
/* Library lifecycle                                                        */
/* ======================================================================== */

/**
 * Starts backend detection in the background and returns at once. Optional:
 * the first operation detects on demand and waits for it. Calling it more
 * than once is harmless. After js_container_shutdown() it starts a fresh
 * library state (test suites, hot reloading): calls work again, handles from
 * before stay invalid (NotFound) and are never reused.
 */
PERRY_EXTERN(void) js_container_module_init(void);

/**
 * The library's ABI version, e.g. "1.0.0". A static string: do NOT free it.
 */
PERRY_EXTERN(const char *) js_container_abi_version(void);

/**
 * Releases a string returned by a synchronous function of this library.
 * NULL is a harmless no-op. Never pass memory from another allocator, and
 * never pass the `json` of a callback.
 */
PERRY_EXTERN(void) js_container_free(char *p);

/**
 * Shuts the library down: every later call (synchronous ones included)
 * fails with Cancelled (499) until js_container_module_init(); in-flight
 * operations are cancelled and waited for, at most `timeout_ms`
 * milliseconds; with `teardown` non-zero, every compose stack and workload
 * graph this process started and has not brought down is then brought down
 * (containers and networks removed; volumes kept), also when the wait timed
 * out. Blocks for the wait plus the teardown.
 * Safe to call more than once and from any thread (not from a callback).
 * @param timeout_ms  >= 0; negative is InvalidArgument. 0: do not wait.
 * @param teardown    0 or 1.
 * @return malloc'd envelope, result {"tornDown":[handles…],"errors":{…}};
 *         Timeout (504) when in-flight work outlived the timeout (its
 *         "tornDown" member lists what the teardown still brought down).
 *         Free with js_container_free().
 */
PERRY_EXTERN(char *) js_container_shutdown(int32_t timeout_ms, int32_t teardown);

/**
 * Cancels every in-flight operation started with `ctx` (see Cancellation
 * above): their callbacks fire once, with Cancelled (499), after cleanup.
 * Returns at once. A `ctx` with nothing in flight (finished, unknown, NULL)
 * is a harmless no-op. Callable from any thread, also from a callback.
 */
PERRY_EXTERN(void) js_container_cancel(void *ctx);

/* ======================================================================== */
/* Backends                                                                 */
/* ======================================================================== */

/**
 * Synchronous: the selected backend, detecting it first if needed (blocks
 * up to 15 s).
 * @return malloc'd envelope, result BackendInfo:
 *   {"name":"docker","available":true,"version":"20.10.24","mode":"local",
 *    "isolationLevel":"Container","strategy":"api","endpoint":"unix:///…"}
 *   Errors: NoBackendFound (503, with "probes"), BackendNotAvailable (503),
 *   InvalidConfiguration (400) for a bad PERRY_CONTAINER_* value.
 *   Free with js_container_free().
 */
PERRY_EXTERN(char *) js_container_getBackend(void);

/**
 * The selected backend, as js_container_getBackend, without blocking the
 * caller: an event loop's thread need not wait for detection (seconds).
 * Result: BackendInfo. Errors: as js_container_getBackend; Cancelled (499).
 */
PERRY_EXTERN(int32_t) js_container_getBackendAsync(perry_complete_fn cb, void *ctx);

/**
 * Probes every candidate runtime of this platform.
 * Result: BackendInfo[] in priority order, each with name, available,
 * reason (why not), version, mode ("local"|"remote") and isolationLevel
 * ("None"|"Process"|"Container"|"MicroVm"|"Wasm").
 */
PERRY_EXTERN(int32_t) js_container_detectBackend(perry_complete_fn cb, void *ctx);

/* ======================================================================== */
/* Containers                                                               */
/* ======================================================================== */

/**
 * Creates and starts a container, detached (pulling a missing image first,
 * as `docker run` does).
 * @param spec_json  ContainerSpec JSON, required:
 *   {"image":"…", "name"?, "ports"?:["8080:80"], "volumes"?:["src:dst:ro"],
 *    "env"?:{"K":"V"}, "cmd"?:[…], "entrypoint"?:[…], "network"?, "rm"?,
 *    "unset_env"?:["K"] (removed from the image's environment; not with
 *    the same key in "env"; podman's API, nerdctl and apple/container
 *    refuse it: they cannot remove an image's variable),
 *    "read_only"?, "seccomp"?, "privileged"?, "user"?, "workdir"?,
 *    "cap_add"?:[…], "cap_drop"?:[…], "labels"?:{…}, … (see README),
 *    "cpu_shares"?, "cpu_period"?, "cpu_quota"? (-1 unlimited), "cpuset"?
 *    ("0-2,4"), "memswap_limit"? (bytes, -1 unlimited), "oom_score_adj"?
 *    (-1000..1000), "group_add"?:["audio","100"],
 *    "devices"?:[{"source":"/dev/x","target"?,"permissions"?:"rwm"}],
 *    "device_requests"?:[{"driver"?,"count"? (-1: all),"device_ids"?:[…]
 *    (not with a count),"capabilities"?:["gpu",…] (all required),
 *    "options"?:{…}}] (devices by capability, e.g. GPUs),
 *    "mem_swappiness"? (0..100), "oom_kill_disable"?, "blkio_config"?:
 *    {"weight"? (10..1000), "weight_device"?:[{"path","weight"}],
 *    "device_read_bps"?|"device_read_iops"?|"device_write_bps"?|
 *    "device_write_iops"?:[{"path","rate"}]}, "cgroup"? ("host"|"private"),
 *    "runtime"?, "userns_mode"?, "mac_address"?, "storage_opt"?:{…},
 *    "annotations"?:{…}, "volumes_from"?:["name-or-id[:ro|:rw]"] (the
 *    volumes of those containers, which must exist)
 *    (apple/container refuses these with InvalidArgument naming the key;
 *    a runtime whose CLI lacks one refuses it likewise: podman runtime and
 *    storage_opt, nerdctl userns_mode, storage_opt and the blkio device
 *    lists, the docker CLI annotations; podman device_requests, which the
 *    docker CLI and nerdctl take only with the "gpu" capability (their
 *    --gpus), nerdctl only without options and for the nvidia driver;
 *    the Engine API takes annotations
 *    from API 1.43; nerdctl gets volumes_from as mounts of the source's
 *    volumes and binds, by name),
 *    "mounts"?:[{"type":"bind"|"volume"|"tmpfs","source"?,"target",
 *    "read_only"?,"tmpfs_size"?,"nocopy"?,"subpath"?}] ("subpath": a path
 *    inside the named volume, relative, not leaving it through "..";
 *    Engine API 1.45, behind the docker CLI too, or podman 5.4's CLI;
 *    InvalidArgument naming mounts[i].subpath on older engines, through
 *    podman's API, on nerdctl and on apple/container),
 *    "verify"?:{"identity"?|"identityRegex"?, "issuer"}}
 *   With "verify", the image's signature is verified first and the verified
 *   digest runs; VerificationFailed (403) otherwise. Without it, no
 *   verification (shell capabilities always verify).
 *   Unknown keys are rejected. Without "name", the container is named
 *   {md5(image)[0:8]}-{random hex8}.
 * Result: ContainerHandle {"id":"…","name":"…"}.
 * Errors: InvalidArgument (400), NotFound (404, image), BackendError.
 */
PERRY_EXTERN(int32_t) js_container_run(const char *spec_json, perry_complete_fn cb, void *ctx);

/** As js_container_run, without starting (and without pulling). Result: ContainerHandle. */
PERRY_EXTERN(int32_t) js_container_create(const char *spec_json, perry_complete_fn cb, void *ctx);

/** Starts a created or stopped container. @param id id, id prefix or name (raw). Result: null. */
PERRY_EXTERN(int32_t) js_container_start(const char *id, perry_complete_fn cb, void *ctx);

/**
 * Stops a container (SIGTERM, then SIGKILL after the timeout).
 * @param timeout_json  NULL for the runtime's default, or a JSON integer of
 *                      seconds, 0..86400.
 * Result: null. Errors: NotFound naming the id.
 */
PERRY_EXTERN(int32_t) js_container_stop(const char *id, const char *timeout_json, perry_complete_fn cb, void *ctx);

/**
 * Removes a container.
 * @param force_json  NULL, "false" or "true" (true also removes a running one).
 * Result: null.
 */
PERRY_EXTERN(int32_t) js_container_remove(const char *id, const char *force_json, perry_complete_fn cb, void *ctx);

/**
 * Lists containers.
 * @param all_json  NULL/"false": running only; "true": all.
 * Result: ContainerInfo[]: {"id","name","image","status","ports":[…],
 *   "created":"ISO 8601","state","health"?,"exitCode"?,"labels"?,
 *   "networks"?:[…],"ipAddress"?}.
 */
PERRY_EXTERN(int32_t) js_container_list(const char *all_json, perry_complete_fn cb, void *ctx);

/** Inspects a container. Result: ContainerInfo. Errors: NotFound (404) naming the id. */
PERRY_EXTERN(int32_t) js_container_inspect(const char *id, perry_complete_fn cb, void *ctx);

/**
 * A container's output so far.
 * @param tail_json  NULL for all lines, or a JSON integer >= 0: the last n lines.
 * Result: ContainerLogs {"stdout":"…","stderr":"…"}.
 */
PERRY_EXTERN(int32_t) js_container_logs(const char *id, const char *tail_json, perry_complete_fn cb, void *ctx);

/**
 * Follows a container's output: chunks of LogLine {"stream":"stdout"|
 * "stderr","line":"…"} (without the newline) through `chunk` until the
 * container exits, then `cb` once with {"lines":n}. Cancel it with
 * js_container_cancel(ctx): `cb` then answers Cancelled (499) and no chunk
 * follows it. Lines longer than 1 MiB end the stream with an error.
 * @param opts_json  NULL or {"tail"?:n}: start with the last n lines.
 * @param chunk      required; NULL schedules nothing (negative return).
 * Errors: NotFound (404) naming the id; InvalidArgument (400).
 */
PERRY_EXTERN(int32_t) js_container_logs_follow(const char *id, const char *opts_json, perry_chunk_fn chunk,
                                               perry_complete_fn cb, void *ctx);

/**
 * Runs a command in a running container.
 * @param cmd_json  required, a non-empty JSON array of strings (argv; no shell).
 * @param env_json  NULL or a JSON object of strings.
 * @param workdir   NULL or a path (raw).
 * Result: {"stdout":"…","stderr":"…","exitCode":n}. A non-zero exitCode of
 * the command is a success of exec, not an error.
 */
PERRY_EXTERN(int32_t) js_container_exec(const char *id, const char *cmd_json, const char *env_json,
                                        const char *workdir, perry_complete_fn cb, void *ctx);

/** Waits until the container exits. Result: {"exitCode":n}. */
PERRY_EXTERN(int32_t) js_container_wait(const char *id, perry_complete_fn cb, void *ctx);

/* ======================================================================== */
/* Images                                                                   */
/* ======================================================================== */

/** Pulls an image by reference (raw string, e.g. "registry:5000/app:1"). Result: null. */
PERRY_EXTERN(int32_t) js_container_pullImage(const char *reference, perry_complete_fn cb, void *ctx);

/** Lists local images. Result: ImageInfo[] {"id","repository","tag","size","created"}. */
PERRY_EXTERN(int32_t) js_container_listImages(perry_complete_fn cb, void *ctx);

/** Removes an image. @param force 0 or non-zero. Result: null. Errors: NotFound. */
PERRY_EXTERN(int32_t) js_container_removeImage(const char *reference, int32_t force, perry_complete_fn cb, void *ctx);

/** Inspects a local image without pulling. Result: ImageInfo, with
 *  "platform" ("linux/amd64", os/architecture[/variant]) where the runtime
 *  says it. Errors: NotFound. */
PERRY_EXTERN(int32_t) js_container_inspectImage(const char *reference, perry_complete_fn cb, void *ctx);

/**
 * Builds an image.
 * @param build_json  {"context":"dir","dockerfile"?,"args"?:{…},"target"?,
 *                    "labels"?:{…},"network"?,"no_cache"?,"pull"?,
 *                    "platform"?,"dockerfile_inline"? (the Dockerfile's
 *                    text, not with "dockerfile"),"tags"?:[…] (more names),
 *                    "extra_hosts"?:["host:ip"],"shm_size"? (bytes)}
 * @param image_name  the tag to give the image (raw), required.
 * Result: null. Errors: BackendError with the build's message.
 */
PERRY_EXTERN(int32_t) js_container_build(const char *build_json, const char *image_name, perry_complete_fn cb, void *ctx);

/* ======================================================================== */
/* Compose (perry/container-compose; js_compose_* are exact aliases)        */
/* ======================================================================== */

/**
 * Brings a compose stack up and returns its handle.
 * @param spec_json_or_path  a JSON object (an inline compose model: services,
 *   networks, volumes, …; normalized and validated, not interpolated) or a
 *   path to a compose file (raw; interpolated with the process environment
 *   and the project's .env).
 * Result: {"handle":h,"project":"name","services":[…]}. The stack lives until
 * down or js_container_shutdown(teardown). A failed up removes exactly what
 * it created and reports the service that failed (error "service").
 * A network's "ipam" is applied as docker compose applies it: "driver"
 *   ("default": the runtime's own), "options", and per pool of "config"
 *   "subnet" (CIDR, required), "gateway" (an IP in the subnet), "ip_range"
 *   (CIDR within the subnet) and "aux_addresses" ({"name":"IP in the
 *   subnet"}, addresses never handed out). A bad one is InvalidConfig
 *   naming the network and the field ("field":"ipam.config[0].gateway")
 *   before anything is created; changing one recreates the network. A field
 *   the runtime cannot apply is InvalidArgument naming it and the runtime:
 *   podman refuses options and aux_addresses (through its API also a
 *   driver other than "default"), and through its CLI a gateway or ip_range
 *   after a pool without one; nerdctl refuses aux_addresses, options unless
 *   the driver is "dhcp", and a gateway or ip_range on a network of more
 *   than one pool; apple/container takes only subnets; the docker CLI
 *   refuses one aux_addresses name in two pools.
 * Errors: InvalidConfig, DependencyCycle (422), ServiceStartupFailed (500), …
 */
PERRY_EXTERN(int32_t) js_container_composeUp(const char *spec_json_or_path, perry_complete_fn cb, void *ctx);
/** Alias of js_container_composeUp. */
PERRY_EXTERN(int32_t) js_container_compose_up(const char *spec_json_or_path, perry_complete_fn cb, void *ctx);
/**
 * js_container_composeUp with options.
 * @param opts_json NULL or {"target"?:"local"|"swarm"}. The target says where
 *   the stack runs; absent, $PERRY_CONTAINER_TARGET, else "local" (the
 *   detected runtime). "swarm" deploys it as Docker Swarm services of the
 *   engine's swarm (the detected engine when it is a Docker Engine reached
 *   through the Engine API; else DOCKER_HOST or Docker's default socket,
 *   podman and the CLI runtimes having no swarm), named and labelled as `docker
 *   stack deploy` names them, each created only once its dependencies meet
 *   their depends_on conditions; the call resolves when every service runs
 *   (healthy when it has a healthcheck; jobs completed). A failed up removes
 *   what it created. Through the handle, down, ps (the stack's tasks as
 *   containers), logs, logs_follow, exec (a task on this node), status,
 *   config and graph act on the Swarm stack; start, stop and restart are
 *   InvalidArgument there. See docs/scale-out.md.
 * Errors: as js_container_composeUp; InvalidArgument (argument
 *   "opts.target" or "PERRY_CONTAINER_TARGET") for an unknown target, or
 *   for a project live under a handle on the other target;
 *   BackendNotAvailable (503) when the engine is not a swarm manager.
 */
PERRY_EXTERN(int32_t) js_container_composeUpWith(const char *spec_json_or_path, const char *opts_json, perry_complete_fn cb,
                                                 void *ctx);

/**
 * Stops and removes the stack's containers and networks (and named volumes
 * when `volumes` is non-zero), then releases the handle. Result: null.
 */
PERRY_EXTERN(int32_t) js_container_compose_down(int64_t handle, int32_t volumes, perry_complete_fn cb, void *ctx);
/**
 * The stack's containers, stopped ones included. Result: ContainerInfo[] with
 * labels (com.docker.compose.service names the service) and networks.
 */
PERRY_EXTERN(int32_t) js_container_compose_ps(int64_t handle, perry_complete_fn cb, void *ctx);
/**
 * Logs of the stack. @param opts_json NULL or {"service"?:"web","tail"?:n}.
 * Result: ContainerLogs; each line prefixed "service | ".
 */
PERRY_EXTERN(int32_t) js_container_compose_logs(int64_t handle, const char *opts_json, perry_complete_fn cb, void *ctx);
/**
 * Follows the stack's logs: chunks of LogLine {"service","stream","line"}
 * through `chunk` (lines of one container in order) until every container
 * of the stack (or of the service) has exited, then `cb` once with
 * {"lines":n}. Read-only: it holds no lock of the handle. Cancel it with
 * js_container_cancel(ctx). @param opts_json NULL or {"service"?,"tail"?:n}.
 */
PERRY_EXTERN(int32_t) js_container_compose_logs_follow(int64_t handle, const char *opts_json, perry_chunk_fn chunk,
                                                       perry_complete_fn cb, void *ctx);
/**
 * Follows the lifecycle events of the stack's containers from now on:
 * chunks of ComposeEvent {"time","type":"container","action","id","service",
 * "attributes":{…}} (docker compose events --json's shape; action is the
 * runtime's word: create, start, die, kill, stop, pause, unpause,
 * "health_status: healthy", destroy, …) through `chunk`, in order. It never
 * ends by itself: js_container_cancel(ctx) ends it, then `cb` answers
 * Cancelled (499) once and no chunk follows. Read-only: it holds no lock of
 * the handle; it goes on after the stack is down (a later up of the same
 * project is reported). @param opts_json NULL or {"services"?:[…],
 * "since"?:"…"} (since replays from a time: Unix seconds, RFC 3339 or a
 * duration before now). @param chunk required; NULL schedules nothing.
 * Errors: NotFound (404) for a stale handle or an unknown service;
 * InvalidArgument (400); Internal (500) with "unsupported":true on a
 * runtime without events; BackendError when the runtime closes its stream.
 */
PERRY_EXTERN(int32_t) js_container_compose_events(int64_t handle, const char *opts_json, perry_chunk_fn chunk,
                                                  perry_complete_fn cb, void *ctx);
/**
 * Runs a command in a service's container.
 * @param service   raw service name, required.
 * @param cmd_json  JSON array of strings, required.
 * @param opts_json NULL or {"env"?:{…},"workdir"?,"user"?,"index"?:1}.
 * Result: {"stdout","stderr","exitCode"}.
 */
PERRY_EXTERN(int32_t) js_container_compose_exec(int64_t handle, const char *service, const char *cmd_json,
                                                const char *opts_json, perry_complete_fn cb, void *ctx);
/** The normalized project. Result: the compose model as a JSON object. */
PERRY_EXTERN(int32_t) js_container_compose_config(int64_t handle, perry_complete_fn cb, void *ctx);
/** Starts services (NULL or "[]": all), in dependency order. Result: null. */
PERRY_EXTERN(int32_t) js_container_compose_start(int64_t handle, const char *services_json, perry_complete_fn cb, void *ctx);
/** Stops services (NULL: all), in reverse dependency order. Result: null. */
PERRY_EXTERN(int32_t) js_container_compose_stop(int64_t handle, const char *services_json, perry_complete_fn cb, void *ctx);
/** Restarts services (NULL: all). Result: null. */
PERRY_EXTERN(int32_t) js_container_compose_restart(int64_t handle, const char *services_json, perry_complete_fn cb, void *ctx);
/**
 * Per-service state. Result: StackStatus {"services":[{"service","state":
 * "running"|"stopped"|"failed"|"pending"|"unknown","containerId"?,"error"?}],
 * "healthy":bool}.
 */
PERRY_EXTERN(int32_t) js_container_compose_status(int64_t handle, perry_complete_fn cb, void *ctx);
/**
 * Synchronous: the dependency graph. Result: ServiceGraph {"nodes":[topological
 * order],"edges":[{"from","to"}]} (from depends on to).
 * Free with js_container_free().
 */
PERRY_EXTERN(char *) js_container_compose_graph(int64_t handle);

PERRY_EXTERN(int32_t) js_compose_up(const char *spec_json_or_path, perry_complete_fn cb, void *ctx);
PERRY_EXTERN(int32_t) js_compose_down(int64_t handle, int32_t volumes, perry_complete_fn cb, void *ctx);
PERRY_EXTERN(int32_t) js_compose_ps(int64_t handle, perry_complete_fn cb, void *ctx);
PERRY_EXTERN(int32_t) js_compose_logs(int64_t handle, const char *opts_json, perry_complete_fn cb, void *ctx);
PERRY_EXTERN(int32_t) js_compose_logs_follow(int64_t handle, const char *opts_json, perry_chunk_fn chunk,
                                             perry_complete_fn cb, void *ctx);
PERRY_EXTERN(int32_t) js_compose_exec(int64_t handle, const char *service, const char *cmd_json,
                                      const char *opts_json, perry_complete_fn cb, void *ctx);
PERRY_EXTERN(int32_t) js_compose_config(int64_t handle, perry_complete_fn cb, void *ctx);
PERRY_EXTERN(int32_t) js_compose_start(int64_t handle, const char *services_json, perry_complete_fn cb, void *ctx);
PERRY_EXTERN(int32_t) js_compose_stop(int64_t handle, const char *services_json, perry_complete_fn cb, void *ctx);
PERRY_EXTERN(int32_t) js_compose_restart(int64_t handle, const char *services_json, perry_complete_fn cb, void *ctx);
PERRY_EXTERN(int32_t) js_compose_status(int64_t handle, perry_complete_fn cb, void *ctx);
PERRY_EXTERN(char *) js_compose_graph(int64_t handle);

/* ======================================================================== */
/* Workload graphs (perry/workloads)                                        */
/* ======================================================================== */

/**
 * Synchronous: builds and validates a WorkloadGraph.
 * @param name       raw graph name, required.
 * @param spec_json  {"nodes":{id: WorkloadNode…},"edges"?:[{"from","to",
 *                   "condition"?:"started"|"healthy"|"completed",…}]}.
 *                   A node's "dependsOn" items may be ids, whole nodes or
 *                   {"node":id,"condition":…}; "dependsOnConditions" maps
 *                   ids to conditions; env values may be WorkloadRefs
 *                   {"nodeId","projection":"endpoint"|"ip"|"internalUrl","port"?}.
 * Result: WorkloadGraph with every edge listed once (from dependsOn, refs and
 * edges). Errors: NotFound (an unknown node), DependencyCycle (422, naming
 * the cycle), WorkloadRefResolutionFailed (422), PolicyViolation (403).
 * Free with js_container_free().
 */
PERRY_EXTERN(char *) js_workload_graph(const char *name, const char *spec_json);
/**
 * Synchronous: builds a WorkloadNode with defaults (id = name, runtime auto,
 * policy tier default). spec_json: NULL or "null" for defaults only, else a
 * JSON object (NodeSpec); "" is not JSON and gives InvalidArgument, as for
 * every JSON argument. Free with js_container_free().
 */
PERRY_EXTERN(char *) js_workload_node(const char *name, const char *spec_json);
/**
 * Runs a graph as a compose project named after it.
 * @param opts_json NULL or {"strategy"?:"sequential"|"dependency-aware"|
 *   "max-parallel"|"parallel-safe","onFailure"?:"rollback-all"|
 *   "partial-continue"|"halt-graph","levelDelayMs"?:n,
 *   "target"?:"local"|"swarm"}. target absent: PERRY_CONTAINER_TARGET, else
 *   local. On "swarm" the graph is a Swarm stack (services, a node awaited as
 *   completed a replicated job), each service created once its dependencies
 *   meet their conditions; partial-continue only with sequential or
 *   max-parallel; a WorkloadRef resolves to the node's service name
 *   "<project>_<node>" (endpoint mode dnsrr); the isolated/hardened/
 *   untrusted tiers, noNetwork, seccomp,
 *   networkMode and microvm/wasm runtimes are InvalidArgument; the handle's
 *   status/ps/logs/exec/down act on the stack (logs: every line in stdout,
 *   the service logs API merges the streams; exec: the node's task must run
 *   on this engine) and BackendNotAvailable comes when the engine is not a
 *   swarm manager.
 * Result: {"handle":h,"project":"…","nodes":[…],"resolved"?:{node:{VAR:value}}}.
 * A WorkloadRef is resolved before its dependent is created. With
 * halt-graph, a failed run rejects and its error's "handle" member names the
 * graph kept for inspection (bring it down with js_workload_handle_down).
 */
PERRY_EXTERN(int32_t) js_workload_runGraph(const char *graph_json, const char *opts_json, perry_complete_fn cb, void *ctx);
/** Status of a graph's nodes without a handle. Result: GraphStatus. */
PERRY_EXTERN(int32_t) js_workload_inspectGraph(const char *graph_json, perry_complete_fn cb, void *ctx);
/** Brings a graph down. @param opts_json NULL or {"volumes"?:bool}. Result: null. */
PERRY_EXTERN(int32_t) js_workload_handle_down(int64_t handle, const char *opts_json, perry_complete_fn cb, void *ctx);
/** Result: GraphStatus {"nodes":{id:state},"healthy":bool,"errors"?:{…}}. */
PERRY_EXTERN(int32_t) js_workload_handle_status(int64_t handle, perry_complete_fn cb, void *ctx);
/** Synchronous: the running graph. Free with js_container_free(). */
PERRY_EXTERN(char *) js_workload_handle_graph(int64_t handle);
/**
 * Logs of a node, or of every node when node is NULL (lines prefixed
 * "node | "). @param opts_json NULL or {"tail"?:n}. Result: ContainerLogs.
 */
PERRY_EXTERN(int32_t) js_workload_handle_logs(int64_t handle, const char *node, const char *opts_json,
                                              perry_complete_fn cb, void *ctx);
/**
 * Follows the logs of a node, or of every node of the graph when node is
 * NULL: chunks of LogLine {"service":node id,"stream","line"} through
 * `chunk` (lines of one node and stream in order) until the containers of
 * the graph (or of the node) have stopped, then `cb` once with {"lines":n}.
 * Read-only: it holds no lock of the handle. Cancel it with
 * js_container_cancel(ctx). @param opts_json NULL or {"tail"?:n}.
 * @param chunk required; NULL schedules nothing (negative return).
 * Errors: NotFound (404) for a stale handle or an unknown node; InvalidArgument (400).
 */
PERRY_EXTERN(int32_t) js_workload_handle_logs_follow(int64_t handle, const char *node, const char *opts_json,
                                                     perry_chunk_fn chunk, perry_complete_fn cb, void *ctx);
/** Runs a command in a node. Result: {"stdout","stderr","exitCode"}. */
PERRY_EXTERN(int32_t) js_workload_handle_exec(int64_t handle, const char *node, const char *cmd_json,
                                              perry_complete_fn cb, void *ctx);
/** Result: NodeInfo[] {"nodeId","name","containerId"?,"state","image"?}. */
PERRY_EXTERN(int32_t) js_workload_handle_ps(int64_t handle, perry_complete_fn cb, void *ctx);

/* ======================================================================== */
/* Shell capabilities (host-internal)                                       */
/* ======================================================================== */

/**
 * Runs a command in a hardened, ephemeral container from a verified image.
 * @param name         raw capability name, required.
 * @param image        NULL for the capability's configured image, else a reference.
 * @param cmd_json     JSON array of strings, required.
 * @param grants_json  NULL or the capability's explicit grants.
 * Result: {"stdout","stderr","exitCode"}. Errors: VerificationFailed (403).
 */
PERRY_EXTERN(int32_t) perry_container_run_capability(const char *name, const char *image, const char *cmd_json,
                                                     const char *grants_json, perry_complete_fn cb, void *ctx);

PERRY_END_DECL

#endif /* PERRY_CONTAINER_H */
