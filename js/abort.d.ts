// The members of the standard AbortSignal this module uses (DOM; Node 15
// and later). Declared here so the module compiles without lib "dom" or
// @types/node; the platform's own declaration merges with it.
interface AbortSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: "abort", listener: () => void): void;
}
