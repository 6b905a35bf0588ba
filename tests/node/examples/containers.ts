// The perry/container example: run a container, look at it, talk to it,
// stop and remove it. Prints what it sees; exits non-zero on any failure.

import { exec, getBackend, inspect, logs, remove, run, stop, wait } from "perry/container";

const image = process.env.PERRY_EXAMPLE_IMAGE ?? "perry-test/busybox:latest";

async function main(): Promise<void> {
  const backend = getBackend();
  console.log(`backend: ${backend.name} ${backend.version ?? ""} (${backend.isolationLevel})`);

  const web = await run({
    image,
    name: `perry-node-example-${process.pid}`,
    cmd: ["sh", "-c", "echo ready; exec sleep 300"],
    env: { GREETING: "hello" },
    // perry.example lets a test find exactly what this run created.
    labels: { "perry.test": "1", "perry.example": process.env.PERRY_EXAMPLE_RUN ?? "manual" },
  });
  try {
    const info = await inspect(web.id);
    console.log(`container: ${info.name} ${info.state} ${info.ipAddress ?? ""}`);
    if (info.state !== "running") throw new Error(`expected running, got ${info.state}`);

    const out = await exec(web.id, ["sh", "-c", 'echo "$GREETING from $(hostname)"']);
    console.log(`exec: ${out.stdout.trim()} (exit ${out.exitCode})`);
    if (!out.stdout.startsWith("hello from")) throw new Error(`unexpected exec output ${JSON.stringify(out)}`);

    // Logs so far; "ready" is written before sleep starts.
    let text = "";
    for (let i = 0; i < 50 && !text.includes("ready"); i++) {
      text = (await logs(web.id)).stdout;
      if (!text.includes("ready")) await new Promise<void>((r) => setTimeout(r, 100));
    }
    console.log(`logs: ${text.trim()}`);
    if (!text.includes("ready")) throw new Error("the container's output never showed up");

    await stop(web.id, 1);
    console.log(`stopped: exit code ${(await wait(web.id)).exitCode}`);
  } finally {
    await remove(web.id, true);
  }
  console.log("removed");
}

main().catch((e) => {
  console.error(`containers example failed: ${e.kind ?? ""} ${e.message}`);
  process.exitCode = 1;
});
