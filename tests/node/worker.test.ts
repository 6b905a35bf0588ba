// Worker threads: each loads the addon into its own environment. A worker
// ending (even with a call or a held stream in flight) must neither shut the
// library down for the process nor crash when the library calls back later.

import { test } from "node:test";
import assert = require("node:assert/strict");
import * as c from "perry/container";

const { Worker } = require("node:worker_threads");
const path = require("node:path");
const native = require("../node/native.js").native as { pending(): number };

test("a worker terminated with a call in flight leaves the library working", async () => {
  await c.pullImage("perry-test/busybox:latest");
  const h = await c.run({ image: "perry-test/busybox:latest", cmd: ["sleep", "300"], labels: { "perry.test": "1" } });
  const worker = new Worker(path.join(__dirname, "worker-helper.js"), { workerData: { id: h.id } });
  const msg: { listed: number } = await new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  assert.ok(msg.listed >= 1, "the worker called the library");
  await worker.terminate(); // its wait is still in flight
  // The wait ends now; its callback finds the worker's environment gone.
  await c.remove(h.id, true);
  await assert.rejects(c.inspect(h.id), (e: any) => e.kind === "NotFound");
  assert.ok(Array.isArray(await c.list(true)), "the library still answers the main thread");
  assert.equal(native.pending(), 0);
});

test("a worker terminated while holding a followed log leaves the library working", async () => {
  let script = "";
  for (let i = 1; i <= 5000; i++) script += `echo ${i};`;
  const labels = { "perry.test": "1" };
  const talker = await c.run({ image: "perry-test/busybox:latest", cmd: ["sh", "-c", script + "sleep 300"], labels });
  const sleeper = await c.run({ image: "perry-test/busybox:latest", cmd: ["sleep", "300"], labels });
  try {
    const worker = new Worker(path.join(__dirname, "worker-helper.js"), { workerData: { id: sleeper.id, follow: talker.id } });
    const msg: { first?: string } = await new Promise((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
    });
    assert.equal(msg.first, "1", "the worker was following");
    await worker.terminate(); // the library's stream thread waits on the worker's chunks
    // The library answers the main thread, streams included.
    const lines: string[] = [];
    for await (const l of c.followLogs(talker.id, { tail: 1 })) {
      lines.push(l.line);
      break;
    }
    assert.deepEqual(lines, ["5000"]);
    assert.equal(native.pending(), 0);
  } finally {
    await c.remove(talker.id, true);
    await c.remove(sleeper.id, true);
  }
});
