// The followed log stream example: print a container's output as it is
// written, until the container exits; then follow a long-running one and
// stop following by leaving the loop, and another with an AbortSignal.
// Prints what it sees; exits non-zero on any failure.

import { followLogs, remove, run } from "perry/container";

const image = process.env.PERRY_EXAMPLE_IMAGE ?? "perry-test/busybox:latest";
// perry.example lets a test find exactly what this run created.
const labels = { "perry.test": "1", "perry.example": process.env.PERRY_EXAMPLE_RUN ?? "manual" };

async function main(): Promise<void> {
  // 1. To the end: the loop ends when the container exits.
  const job = await run({
    image,
    cmd: ["sh", "-c", "for i in 1 2 3; do echo step $i; sleep 1; done; echo done >&2; sleep 1"],
    labels,
  });
  try {
    let n = 0;
    for await (const { stream, line } of followLogs(job.id)) {
      console.log(`${stream}: ${line}`);
      n++;
    }
    console.log(`followed to the end: ${n} lines`);
  } finally {
    await remove(job.id, true);
  }

  // 2. Leaving the loop early cancels the follow; the container runs on.
  const server = await run({ image, cmd: ["sh", "-c", "echo listening; exec sleep 300"], labels });
  try {
    for await (const { line } of followLogs(server.id)) {
      console.log(`server says: ${line}`);
      if (line === "listening") break;
    }
    console.log("stopped following (break)");

    // 3. An AbortSignal cancels it from elsewhere, e.g. a timeout.
    const ac = new AbortController();
    try {
      for await (const { line } of followLogs(server.id, { tail: 1 }, { signal: ac.signal })) {
        console.log(`again: ${line}`);
        ac.abort("enough");
      }
      throw new Error("the follow of a running container ended by itself");
    } catch (e: any) {
      if (e.kind !== "Cancelled") throw e;
      console.log(`aborted: ${e.kind} ${e.code} (cause: ${e.cause})`);
    }
  } finally {
    await remove(server.id, true);
  }
}

main().catch((e) => {
  console.error(`followed-logs example failed: ${e.kind ?? ""} ${e.message}`);
  process.exitCode = 1;
});
