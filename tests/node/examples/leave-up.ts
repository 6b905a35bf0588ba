// Brings a stack up and ends without bringing it down: the module's exit
// handler tears it down (js_container_shutdown with teardown), so nothing
// stays on the engine. Used by engine.test.ts.

import { composeUp } from "perry/container";

const image = process.env.PERRY_EXAMPLE_IMAGE ?? "perry-test/busybox:latest";
const labels = { "perry.test": "1" };

async function main(): Promise<void> {
  const stack = await composeUp({
    name: process.env.PERRY_EXAMPLE_PROJECT ?? "perry-node-leave-up",
    services: {
      a: { image, command: ["sleep", "300"], labels },
      b: { image, command: ["sleep", "300"], labels, depends_on: ["a"] },
    },
  });
  const running = (await stack.ps()).filter((c) => c.state === "running").length;
  console.log(`left up: ${running} containers running`);
}

main().catch((e) => {
  console.error(`leave-up failed: ${e.kind ?? ""} ${e.message}`);
  process.exitCode = 1;
});
