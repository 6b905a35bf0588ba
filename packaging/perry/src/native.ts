// The native surface in a Perry program: the functions of the adapter
// (adapter/perry_container_perry.c) declared in package.json's
// perry.nativeLibrary. It replaces js/native.ts (the Node addon) in the
// package; every other file of the module is js/ as it is.

import { bind } from "./surface";
import type { CancelToken, Native } from "./surface";

export type { CancelToken, Native } from "./surface";

declare function perryc_call_async(
  op: number,
  handle: number,
  flag: number,
  present: number,
  s1: string,
  s2: string,
  s3: string,
  s4: string,
  callId: number,
): Promise<string>;
declare function perryc_call_sync(op: number, handle: number, present: number, s1: string, s2: string): string;
declare function perryc_cancel(callId: number): void;
declare function perryc_pending(): number;
declare function perryc_shutdown(timeoutMs: number, teardown: number): string;
declare function perryc_ops(): string;

const ops: { abiVersion: string; async: string[]; sync: string[] } = JSON.parse(perryc_ops());

// Which strings are given: bit i for string i (an absent one is NULL in C;
// the adapter's "string" parameters cannot say absent themselves).
function present(strings: ReadonlyArray<string | null | undefined>): number {
  let bits = 0;
  strings.forEach((s, i) => {
    if (typeof s === "string") bits |= 1 << i;
  });
  return bits;
}

let lastCallId = 0;

function callAsync(op: number, handle: number, flag: number, ...rest: unknown[]): any {
  const s = rest.slice(0, 4) as Array<string | null | undefined>;
  const cancellable = rest[4] === true;
  const callId = cancellable ? ++lastCallId : 0;
  const p = perryc_call_async(op, handle, flag, present(s), s[0] ?? "", s[1] ?? "", s[2] ?? "", s[3] ?? "", callId);
  return cancellable ? [p, { callId } as unknown as CancelToken] : p;
}

const perryNative: Native = {
  asyncOps: ops.async,
  syncOps: ops.sync,
  abiVersion: ops.abiVersion,
  callAsync,
  callSync: (op, handle, ...s) => perryc_call_sync(op, handle, present(s), s[0] ?? "", s[1] ?? ""),
  // The adapter cancels only a call still in flight, so a settled id is a no-op.
  cancel: (token) => perryc_cancel((token as unknown as { callId: number }).callId),
  pending: () => perryc_pending(),
  shutdown: (timeoutMs, teardown) => perryc_shutdown(timeoutMs, teardown),
};

export const { native, asyncOp, syncOp, streamOp } = bind(perryNative);
