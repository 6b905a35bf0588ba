// The few Node.js globals this module uses. Debian ships no @types/node and
// there is no npm registry here, so they are declared by hand (Node 20).
declare function require(id: string): any;
declare const __dirname: string;
declare const process: {
  env: Record<string, string | undefined>;
  on(event: "exit", listener: (code: number) => void): unknown;
};
declare function queueMicrotask(cb: () => void): void;

interface AbortSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: "abort", listener: () => void): void;
}
