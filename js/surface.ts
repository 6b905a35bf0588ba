// The native surface this module is written against: a handful of natives
// that take strings and numbers and return the library's JSON envelope.
// Each host provides it: Node through the addon (./native), a Perry program
// through the adapter of packaging/perry.

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
  /**
   * The streaming C symbols, by index. Absent when the host cannot carry
   * streams (then followLogs rejects).
   */
  readonly streamOps?: readonly string[];
  /**
   * Starts streamOps[op] with the handle (int64) if it takes one, then its
   * strings. onChunk gets each chunk's JSON text, in order, all before the
   * promise resolves with the completion's envelope. The token is for
   * cancel() and ack().
   */
  follow?(
    op: number,
    handle: number,
    s1: string | undefined,
    s2: string | undefined,
    onChunk: (text: string) => void,
  ): [Promise<string>, CancelToken];
  /**
   * The stream's loop has consumed one chunk: the host holds only a few
   * unconsumed chunks and makes the library wait for this.
   */
  ack?(token: CancelToken): void;
  /** js_container_cancel for the call of the token; nothing once it settled. */
  cancel(token: CancelToken): void;
  /** Calls syncOps[op]; returns its envelope (already freed in C). */
  callSync(op: number, handle: number, ...strings: Array<string | null | undefined>): string;
  /** The calls not yet settled (zero when idle). */
  pending(): number;
  /** js_container_shutdown(timeoutMs, teardown); returns its envelope. */
  shutdown(timeoutMs: number, teardown: number): string;
}

/** The natives with the indices of the C symbols they take. */
export interface Bound {
  native: Native;
  /** The index of an asynchronous C symbol, for native.callAsync. */
  asyncOp(name: string): number;
  /** The index of a synchronous C symbol, for native.callSync. */
  syncOp(name: string): number;
  /** The index of a streaming C symbol, for native.follow. */
  streamOp(name: string): number;
}

function indexer(names: readonly string[]): (name: string) => number {
  const m = new Map<string, number>();
  names.forEach((n, i) => m.set(n, i));
  return (name) => {
    const i = m.get(name);
    if (i === undefined) throw new Error(`perry-container: the native surface has no ${name}`);
    return i;
  };
}

export function bind(native: Native): Bound {
  return {
    native,
    asyncOp: indexer(native.asyncOps),
    syncOp: indexer(native.syncOps),
    streamOp: indexer(native.streamOps ?? []),
  };
}
