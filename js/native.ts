// The native surface in Node: the addon beside the compiled module
// (node/perry_container_node.c).

import { bind } from "./surface";
import type { Native } from "./surface";

export type { CancelToken, Native } from "./surface";

export const { native, asyncOp, syncOp, streamOp } = bind(require("./perry_container.node") as Native);

/** How long shutdown at exit waits for in-flight work, in milliseconds. */
const exitTimeoutMs = 30_000;

// At exit, tear down the stacks and graphs this process started and did not
// bring down: the library installs no signal handlers, the host owns exit.
// Only the main thread does it: a worker's exit must not stop the library
// for the rest of the process.
if (require("node:worker_threads").isMainThread) {
  process.on("exit", () => {
    native.shutdown(exitTimeoutMs, 1);
  });
}
