// Run by worker.test.ts in a worker thread: starts a wait on the container
// it is given (still in flight when the worker is terminated), and with
// `follow`, follows that container's log and holds it after its first line
// (the library's stream thread then waits for this worker); reports that it
// listed the containers and what it followed.

import * as c from "perry/container";

const { parentPort, workerData } = require("node:worker_threads");

async function main(): Promise<void> {
  c.wait(workerData.id).catch(() => undefined); // in flight until the container goes
  let first: string | undefined;
  if (workerData.follow !== undefined) {
    const r = await c.followLogs(workerData.follow)[Symbol.asyncIterator]().next();
    first = r.done ? undefined : r.value.line;
  }
  const l = await c.list(true);
  parentPort.postMessage({ listed: l.length, first });
}

main();
