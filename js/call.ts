// Calls into the library: argument encoding, envelope decoding, errors.

import type { ContainerError as ContainerErrorShape } from "../include/types/perry/container/index";
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
  if (typeof v === "string") return v;
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

/**
 * Runs an asynchronous C symbol. `args` builds the arguments and may throw
 * a ContainerError, which becomes a rejection (never a synchronous throw).
 */
export function callAsync<T>(
  symbol: string,
  args: () => [handle: number, flag: number, ...strings: Array<string | undefined>],
): Promise<T> {
  let p: Promise<string>;
  try {
    const [h, flag, ...s] = args();
    p = native.callAsync(asyncOp(symbol), h, flag, ...s);
  } catch (e) {
    return Promise.reject(e instanceof ContainerError ? e : invalidArgument(symbol, String(e), e));
  }
  return p.then(unwrap) as Promise<T>;
}

/** Runs a synchronous C symbol; throws a ContainerError on failure. */
export function callSync<T>(symbol: string, handle: number, ...strings: Array<string | undefined>): T {
  return unwrap<T>(native.callSync(syncOp(symbol), handle, ...strings));
}
