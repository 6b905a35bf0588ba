// The Node host's figures, on the fake backend (no engine work, so the
// bridge is what is measured): the round trip of one call (JS call ->
// promise settled) and the throughput with 1,000 calls in flight, through
// the TypeScript layer (list()) and through the raw native (the same C
// symbol, the envelope left unparsed), and the lines per second of a
// followed log. Each figure is the median of 5 runs (the call figures
// interleaved). Prints a table; asserts nothing beyond the line count.

import * as c from "perry/container";

const { native, asyncOp } = require("../node/native.js") as {
  native: { callAsync(op: number, h: number, f: number, ...s: Array<string | null>): Promise<string> };
  asyncOp(name: string): number;
};
const listOp = asyncOp("js_container_list");
const raw = () => native.callAsync(listOp, 0, 0, null);
// The C benchmark's async no-op (tests/c/bench_ffi.c): inspect(NULL), an
// argument error delivered through the callback without touching a backend.
const inspectOp = asyncOp("js_container_inspect");
const noop = () => native.callAsync(inspectOp, 0, 0, null);
const ts = () => c.list();

const now = () => Number(process.hrtime.bigint()) / 1e3; // microseconds
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * Median round trips of n sequential calls of each function, in
 * microseconds. The calls alternate, so that all see the same machine (the
 * library's threads spin for a while after work and then sleep, which
 * changes a round trip several-fold on a loaded machine), and their order
 * rotates each round, so that none always follows the same one (in a fixed
 * order the TS call, always right after the raw one, measured 4x faster).
 */
async function roundTrips(calls: Array<() => Promise<unknown>>, n: number): Promise<number[]> {
  const t: number[][] = calls.map(() => []);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < calls.length; j++) {
      const k = (i + j) % calls.length;
      const t0 = now();
      await calls[k]();
      t[k].push(now() - t0);
    }
  }
  return t.map(median);
}

/** Calls per second with `inFlight` outstanding, over `total` calls. */
async function throughput(call: () => Promise<unknown>, inFlight: number, total: number): Promise<number> {
  let started = 0;
  const t0 = now();
  const worker = async () => {
    while (started < total) {
      started++;
      await call();
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return total / ((now() - t0) / 1e6);
}

const followLines = 50_000;

/** Median lines per second of following a finished container's log of followLines lines. */
async function followRate(): Promise<number> {
  let script = "";
  for (let i = 1; i <= followLines; i++) script += `echo ${i};`;
  const h = await c.run({ image: "perry-test/busybox:latest", cmd: ["sh", "-c", script], labels: { "perry.test": "1" } });
  try {
    const rates: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = now();
      let n = 0;
      for await (const _ of c.followLogs(h.id)) n++;
      if (n !== followLines) throw new Error(`followed ${n} lines, want ${followLines}`);
      rates.push(n / ((now() - t0) / 1e6));
    }
    return median(rates);
  } finally {
    await c.remove(h.id, true);
  }
}

async function main(): Promise<void> {
  if (process.env.PERRY_CONTAINER_BACKEND !== "fake") throw new Error("run with PERRY_CONTAINER_BACKEND=fake");
  await roundTrips([ts], 2000); // warm up the library, the fake and V8
  await throughput(raw, 1000, 20_000);
  const runs = 5;
  const r = { rawRt: [] as number[], tsRt: [] as number[], rawTp: [] as number[], tsTp: [] as number[] };
  const n = { rt: [] as number[], tp: [] as number[] };
  for (let i = 0; i < runs; i++) {
    const [a, b, c] = await roundTrips([noop, raw, ts], 2000);
    n.rt.push(a);
    r.rawRt.push(b);
    r.tsRt.push(c);
    n.tp.push(await throughput(noop, 1000, 20_000));
    r.rawTp.push(await throughput(raw, 1000, 20_000));
    r.tsTp.push(await throughput(ts, 1000, 20_000));
  }
  const [rawRt, tsRt, rawTp, tsTp] = [median(r.rawRt), median(r.tsRt), median(r.rawTp), median(r.tsTp)];
  const f = (x: number) => x.toFixed(1);
  console.log("| Node host (fake backend, list() on an empty engine) | raw native | TS layer | TS / raw |");
  console.log("|---|---|---|---|");
  console.log(`| round trip, median (us) | ${f(rawRt)} | ${f(tsRt)} | ${(tsRt / rawRt).toFixed(2)} |`);
  console.log(`| throughput, 1,000 in flight (calls/s) | ${Math.round(rawTp)} | ${Math.round(tsTp)} | ${(tsTp / rawTp).toFixed(2)} |`);
  console.log(`| async no-op inspect(NULL), raw native: round trip ${f(median(n.rt))} us, ${Math.round(median(n.tp))} calls/s with 1,000 in flight | | | |`);
  console.log(`| followed log through the TS layer, ${followLines} lines (lines/s) | | ${Math.round(await followRate())} | |`);
  console.log(`TS layer overhead per call: ${f(tsRt - rawRt)} us of round trip; ${f(1e6 / tsTp - 1e6 / rawTp)} us of throughput time`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
