// Cancelling with an AbortSignal: a stack whose api waits for a db that
// never becomes healthy; once db's container exists the program aborts,
// the up rejects with Cancelled after rolling back, and nothing of the
// project is left.

import { composeUp, list } from "perry/container";

const image = process.env.PERRY_EXAMPLE_IMAGE ?? "perry-test/busybox:latest";
const labels = { "perry.test": "1" };
const project = process.env.PERRY_EXAMPLE_PROJECT ?? "perry-node-aborted-up";

const ofProject = async () =>
  (await list(true)).filter((c) => c.labels?.["com.docker.compose.project"] === project);

async function main(): Promise<void> {
  const ac = new AbortController();
  const up = composeUp(
    {
      name: project,
      services: {
        db: {
          image,
          command: ["sleep", "300"],
          healthcheck: { test: ["CMD", "false"], interval: "1s", retries: 1000 },
          labels,
        },
        api: { image, command: ["sleep", "300"], depends_on: { db: { condition: "service_healthy" } }, labels },
      },
    },
    { signal: ac.signal },
  );
  const outcome = up.then(
    () => "resolved",
    (e) => e,
  );

  // Wait until the up has created something, then abort.
  for (;;) {
    const settled = await Promise.race([outcome, new Promise((r) => setTimeout(() => r(undefined), 200))]);
    if (settled !== undefined) throw new Error(`the up ended before it was aborted: ${settled}`);
    if ((await ofProject()).length > 0) break;
  }
  console.log("db created; aborting");
  ac.abort(new Error("the user pressed cancel"));

  const e = await outcome;
  if (e === "resolved") throw new Error("the aborted up resolved");
  console.log(`up rejected: ${e.kind} ${e.code} (cause: ${e.cause?.message})`);
  if (e.kind !== "Cancelled") throw e;

  const left = await ofProject();
  console.log(`containers left: ${left.length}`);
  if (left.length !== 0) throw new Error(`left behind: ${left.map((c) => c.name).join(", ")}`);
}

main().catch((e) => {
  console.error(`aborted-up example failed: ${e.kind ?? ""} ${e.message}`);
  process.exitCode = 1;
});
