// Run by worker.test.ts in a worker thread: starts a wait on the container
// it is given (still in flight when the worker is terminated) and reports
// that it listed the containers.

import * as c from "perry/container";

const { parentPort, workerData } = require("node:worker_threads");

c.wait(workerData.id).catch(() => undefined); // in flight until the container goes
c.list(true).then((l) => parentPort.postMessage({ listed: l.length }));
