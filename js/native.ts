// The native surface this module is written against: a handful of natives
// that take strings and numbers and return the library's JSON envelope. In
// Node they come from the addon beside the compiled module
// (node/perry_container_node.c); another host provides the same surface.

/** Names one call for cancel(); it stops naming it once the call settles. */
export type CancelToken = { readonly __cancelToken: never };

/** The addon's exports. */
export interface Native {
  /** The asynchronous C symbols, by index. */
  readonly asyncOps: readonly string[];
  /** The synchronous C symbols, by index. */
  readonly syncOps: readonly string[];
  /** js_container_abi_version(). */
  readonly abiVersion: string;
  /**
   * Calls asyncOps[op] with the arguments its C signature takes, in order:
   * the handle (int64) if any, the int32 flag if any, then the strings.
   * Resolves with the envelope of the callback.
   */
  callAsync(op: number, handle: number, flag: number, ...strings: Array<string | null | undefined>): Promise<string>;
  /**
   * As callAsync with four strings, also returning a token that cancel()
   * takes while the call has not settled.
   */
  callAsync(
    op: number,
    handle: number,
    flag: number,
    s1: string | undefined,
    s2: string | undefined,
    s3: string | undefined,
    s4: string | undefined,
    cancellable: true,
  ): [Promise<string>, CancelToken];
  /** js_container_cancel for the call of the token; nothing once it settled. */
  cancel(token: CancelToken): void;
  /** Calls syncOps[op]; returns its envelope (already freed in C). */
  callSync(op: number, handle: number, ...strings: Array<string | null | undefined>): string;
  /** The calls not yet settled (zero when idle). */
  pending(): number;
  /** js_container_shutdown(timeoutMs, teardown); returns its envelope. */
  shutdown(timeoutMs: number, teardown: number): string;
}

export const native: Native = require("./perry_container.node");

function indexer(names: readonly string[]): (name: string) => number {
  const m = new Map<string, number>();
  names.forEach((n, i) => m.set(n, i));
  return (name) => {
    const i = m.get(name);
    if (i === undefined) throw new Error(`perry-container: the addon has no ${name}`);
    return i;
  };
}

/** The index of an asynchronous C symbol, for native.callAsync. */
export const asyncOp = indexer(native.asyncOps);
/** The index of a synchronous C symbol, for native.callSync. */
export const syncOp = indexer(native.syncOps);

/** How long shutdown at exit waits for in-flight work, in milliseconds. */
const exitTimeoutMs = 30_000;

// At exit, tear down the stacks and graphs this process started and did not
// bring down: the library installs no signal handlers, the host owns exit.
// Only the main thread does it: a worker's exit must not stop the library
// for the rest of the process.
if (require("node:worker_threads").isMainThread) {
  process.on("exit", () => {
    native.shutdown(exitTimeoutMs, 1);
  });
}
