// The few Node.js APIs the tests use. Debian ships no @types/node and there
// is no npm registry here, so they are declared by hand (Node 20).
declare function require(id: string): any;
declare const __dirname: string;
declare const __filename: string;
declare const process: {
  env: Record<string, string | undefined>;
  argv: string[];
  execPath: string;
  pid: number;
  exitCode: number | undefined;
  memoryUsage(): { rss: number; heapUsed: number };
  hrtime: { bigint(): bigint };
  on(event: string, listener: (...args: any[]) => void): unknown;
};
declare function gc(): void;
declare function setTimeout(cb: () => void, ms: number): unknown;
declare function clearTimeout(handle: unknown): void;
declare const console: { log(...a: unknown[]): void; error(...a: unknown[]): void };

declare module "node:test" {
  type Fn = (t: { skip(msg: string): void; diagnostic(msg: string): void }) => unknown;
  export function test(name: string, fn: Fn): Promise<void>;
  export function test(name: string, opts: { timeout?: number; skip?: string | boolean }, fn: Fn): Promise<void>;
  export function describe(name: string, fn: () => void): void;
  export function after(fn: () => unknown): void;
  export function before(fn: () => unknown): void;
}

declare module "node:assert/strict" {
  interface Assert {
    (value: unknown, message?: string): asserts value;
    ok(value: unknown, message?: string): asserts value;
    equal<T>(actual: unknown, expected: T, message?: string): asserts actual is T;
    notEqual(actual: unknown, expected: unknown, message?: string): void;
    deepEqual<T>(actual: unknown, expected: T, message?: string): asserts actual is T;
    match(value: string, re: RegExp, message?: string): void;
    rejects(p: Promise<unknown> | (() => Promise<unknown>), expected?: object | ((e: any) => boolean), message?: string): Promise<void>;
    throws(fn: () => unknown, expected?: object | ((e: any) => boolean), message?: string): void;
    fail(message?: string): never;
  }
  const assert: Assert;
  export = assert;
}

interface AbortSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: "abort", listener: () => void): void;
}
declare class AbortController {
  readonly signal: AbortSignal;
  abort(reason?: unknown): void;
}
