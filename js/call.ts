// Calls into the library: argument encoding, envelope decoding, errors.

import type { CallOptions, ContainerError as ContainerErrorShape } from "../include/types/perry/container/index";
import { asyncOp, native, syncOp } from "./native";

/**
 * What every promise of these modules rejects with: the envelope's `error`
 * object as an Error. Members other than code, kind and message are kept in
 * `details` (a recovered panic's `stack` member would clobber Error.stack).
 */
export class ContainerError extends Error implements ContainerErrorShape {
  readonly code: number;
  readonly kind: string;
  readonly details: Record<string, unknown>;

  constructor(code: number, kind: string, message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "ContainerError";
    this.code = code;
    this.kind = kind;
    this.details = details;
  }
}

/** An InvalidArgument error naming the argument, as the library words them. */
export function invalidArgument(argument: string, reason: string, cause?: unknown): ContainerError {
  return new ContainerError(400, "InvalidArgument", `invalid argument ${argument}: ${reason}`, { argument }, cause);
}

type Envelope = { ok: true; result: unknown } | { ok: false; error: Record<string, unknown> };

/** The envelope's result, or its error thrown as a ContainerError. */
export function unwrap<T>(text: string): T {
  let env: Envelope;
  try {
    env = JSON.parse(text);
  } catch (e) {
    throw new ContainerError(500, "Internal", "perry-container: the library returned an envelope that is not JSON", {}, e);
  }
  // A void result is null in the envelope and undefined in TypeScript.
  if (env.ok) return (env.result === null ? undefined : env.result) as T;
  const { code, kind, message, ...details } = env.error;
  throw new ContainerError(
    typeof code === "number" ? code : 500,
    typeof kind === "string" ? kind : "Internal",
    typeof message === "string" ? message : "unknown error",
    details,
  );
}

/** A raw string argument: required, or optional (undefined/null = omitted). */
export function str(argument: string, v: unknown, optional = false): string | undefined {
  if (typeof v === "string") {
    // C strings end at the first NUL: "abc\0def" would reach the library as "abc".
    if (v.includes("\0")) throw invalidArgument(argument, "contains a NUL character");
    return v;
  }
  if (optional && (v === undefined || v === null)) return undefined;
  throw invalidArgument(argument, `must be a string${optional ? " or absent" : ""}, not ${describe(v)}`);
}

/** A JSON argument; undefined = omitted. */
export function json(argument: string, v: unknown): string | undefined {
  if (v === undefined) return undefined;
  try {
    return JSON.stringify(v);
  } catch (e) {
    throw invalidArgument(argument, "cannot be encoded as JSON", e);
  }
}

/** A boolean passed as the C int32 0 or 1 (absent = 0). */
export function flag(argument: string, v: unknown): number {
  if (v === undefined) return 0;
  if (typeof v !== "boolean") throw invalidArgument(argument, `must be a boolean or absent, not ${typeof v}`);
  return v ? 1 : 0;
}

/** A handle object's int64, or the error naming the argument. */
export function handleOf(argument: string, h: unknown): number {
  const n = typeof h === "object" && h !== null ? (h as { handle?: unknown }).handle : undefined;
  if (typeof n !== "number") throw invalidArgument(argument, `must be a handle object, not ${describe(h)}`);
  return n;
}

function describe(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "an array" : typeof v;
}

type Args = [handle: number, flag: number, ...strings: Array<string | undefined>];

/**
 * Runs an asynchronous C symbol. `args` builds the arguments and may throw
 * a ContainerError, which becomes a rejection (never a synchronous throw).
 * An aborted `call.signal` cancels it (js_container_cancel).
 */
export function callAsync<T>(symbol: string, args: () => Args, call?: CallOptions): Promise<T> {
  const signal = call?.signal;
  try {
    const [h, flag, ...s] = args();
    if (signal === undefined || signal === null) return native.callAsync(asyncOp(symbol), h, flag, ...s).then(unwrap) as Promise<T>;
    if (typeof signal.addEventListener !== "function") throw invalidArgument("call.signal", "must be an AbortSignal");
    if (signal.aborted) return Promise.reject(cancelled(signal));
    const [p, token] = native.callAsync(asyncOp(symbol), h, flag, s[0], s[1], s[2], s[3], true);
    const onAbort = () => native.cancel(token);
    signal.addEventListener("abort", onAbort, { once: true });
    return p.then(
      (text) => {
        signal.removeEventListener("abort", onAbort);
        try {
          return unwrap<T>(text);
        } catch (e) {
          throw withAbortCause(e, signal);
        }
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        throw e;
      },
    );
  } catch (e) {
    return Promise.reject(e instanceof ContainerError ? e : invalidArgument(symbol, String(e), e));
  }
}

/** The error of a call whose signal was aborted before it started. */
export function cancelled(signal: AbortSignal): ContainerError {
  return new ContainerError(499, "Cancelled", "cancelled before it started: the signal was already aborted", {}, signal.reason);
}

/** The library's Cancelled error, with the abort's reason as its cause. */
export function withAbortCause(e: unknown, signal: AbortSignal): unknown {
  if (e instanceof ContainerError && e.kind === "Cancelled" && signal.aborted) {
    return new ContainerError(e.code, e.kind, e.message, e.details, signal.reason);
  }
  return e;
}

/** Runs a synchronous C symbol; throws a ContainerError on failure. */
export function callSync<T>(symbol: string, handle: number, ...strings: Array<string | undefined>): T {
  return unwrap<T>(native.callSync(syncOp(symbol), handle, ...strings));
}
