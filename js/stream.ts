// Followed streams: a streaming C symbol as an AsyncIterable. The native
// delivers each chunk (a JSON array of items) on the JS thread, then the
// completion's envelope; the loop's consumption paces the library (ack).

import type { CallOptions, FollowResult } from "../include/types/perry/container/index";
import { cancelled, ContainerError, invalidArgument, unwrap, withAbortCause } from "./call";
import type { CancelToken } from "./native";
import { native, streamOp } from "./native";

type StreamArgs = [handle: number, s1?: string, s2?: string];

/**
 * Follows a streaming C symbol. Each iteration (each for-await loop) starts
 * its own call. `args` may throw a ContainerError, which rejects the first
 * next(). Leaving the loop early, or aborting `call.signal`, cancels the
 * call (js_container_cancel); the error of the completion rejects the
 * iteration after the lines that came before it.
 */
export function follow<T>(symbol: string, args: () => StreamArgs, call?: CallOptions): AsyncIterable<T> {
  return { [Symbol.asyncIterator]: () => new Follow<T>(symbol, args, call?.signal ?? undefined) };
}

type Waiter<T> = { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void };

class Follow<T> implements AsyncIterator<T> {
  private started = false;
  private token: CancelToken | undefined;
  /** Chunks received and not yet consumed; `pos` indexes the first. */
  private readonly chunks: T[][] = [];
  private pos = 0;
  private readonly waiters: Waiter<T>[] = [];
  /** Set once the call settled: the completion, or why it failed. */
  private outcome: { ok: true } | { ok: false; error: unknown } | undefined;
  /** Settles when the call does (the completion arrived). */
  private settled: Promise<void> = Promise.resolve();
  /** The loop has left (return()) or the signal aborted: ignore chunks. */
  private closed = false;
  private readonly onAbort = () => this.cancel();
  private listening = false;

  constructor(
    private readonly symbol: string,
    private readonly args: () => StreamArgs,
    private readonly signal: AbortSignal | undefined,
  ) {}

  next(): Promise<IteratorResult<T>> {
    if (!this.started) this.start();
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.pump();
    });
  }

  /** The loop left early (break, return, throw in its body): cancel and wait for the call to settle. */
  async return(): Promise<IteratorResult<T>> {
    this.cancel();
    await this.settled;
    this.finish({ ok: true });
    return { done: true, value: undefined };
  }

  private start(): void {
    this.started = true;
    const signal = this.signal;
    try {
      if (signal !== undefined && typeof signal.addEventListener !== "function") {
        throw invalidArgument("call.signal", "must be an AbortSignal");
      }
      if (signal?.aborted) throw cancelled(signal);
      if (native.follow === undefined || native.ack === undefined) {
        throw new ContainerError(500, "Internal", `perry-container: this host does not carry streams (${this.symbol})`);
      }
      const [h, s1, s2] = this.args();
      const [p, token] = native.follow(streamOp(this.symbol), h, s1, s2, (text) => this.receive(text));
      this.token = token;
      if (signal !== undefined) {
        signal.addEventListener("abort", this.onAbort, { once: true });
        this.listening = true;
      }
      this.settled = p.then(
        (text) => {
          try {
            unwrap<FollowResult>(text);
            this.finish({ ok: true });
          } catch (e) {
            this.finish({ ok: false, error: signal === undefined ? e : withAbortCause(e, signal) });
          }
        },
        (e) => this.finish({ ok: false, error: e }),
      );
    } catch (e) {
      this.finish({ ok: false, error: e instanceof ContainerError ? e : invalidArgument(this.symbol, String(e), e) });
    }
  }

  /** A chunk from the native, on the JS thread. */
  private receive(text: string): void {
    if (this.closed) return;
    let items: unknown;
    try {
      items = JSON.parse(text);
    } catch {
      items = undefined;
    }
    if (!Array.isArray(items)) {
      // The library's chunks are JSON arrays; anything else would lose lines silently.
      this.cancel();
      this.finish({ ok: false, error: new ContainerError(500, "Internal", "perry-container: a stream chunk is not a JSON array") });
      return;
    }
    if (items.length === 0) this.ack();
    else this.chunks.push(items as T[]);
    this.pump();
  }

  /** Hands buffered items, then the outcome, to waiting next() calls. */
  private pump(): void {
    while (this.waiters.length > 0) {
      const head = this.chunks[0];
      if (head !== undefined) {
        const value = head[this.pos++];
        if (this.pos >= head.length) {
          this.chunks.shift();
          this.pos = 0;
          this.ack();
        }
        this.waiters.shift()!.resolve({ done: false, value });
        continue;
      }
      const o = this.outcome;
      if (o === undefined) return;
      const w = this.waiters.shift()!;
      if (o.ok) w.resolve({ done: true, value: undefined });
      else {
        // Thrown once; the iteration is over after it.
        this.outcome = { ok: true };
        w.reject(o.error);
      }
    }
  }

  private ack(): void {
    if (this.token !== undefined && this.outcome === undefined) native.ack!(this.token);
  }

  /** Ends the call early: nothing more is delivered, the completion says Cancelled. */
  private cancel(): void {
    if (this.closed) return;
    this.closed = true;
    this.chunks.length = 0;
    this.pos = 0;
    if (this.token !== undefined && this.outcome === undefined) native.cancel(this.token);
  }

  private finish(o: { ok: true } | { ok: false; error: unknown }): void {
    if (this.outcome !== undefined) return;
    this.outcome = o;
    if (this.listening) this.signal?.removeEventListener("abort", this.onAbort);
    this.pump();
  }
}
