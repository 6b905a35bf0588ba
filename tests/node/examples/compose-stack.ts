// The perry/compose example: a stack whose api waits until its db is
// healthy, inspected and brought down.

import * as compose from "perry/compose";
import type { ComposeSpec } from "perry/compose";

const image = process.env.PERRY_EXAMPLE_IMAGE ?? "perry-test/busybox:latest";
const labels = { "perry.test": "1" };

const spec: ComposeSpec = {
  name: process.env.PERRY_EXAMPLE_PROJECT ?? "perry-node-compose-example",
  services: {
    db: {
      image,
      // Healthy only once it has "initialised" (a file written after a pause).
      command: ["sh", "-c", "sleep 1; touch /tmp/ready; exec sleep 300"],
      healthcheck: { test: ["CMD", "test", "-f", "/tmp/ready"], interval: "500ms", retries: 20 },
      labels,
    },
    api: {
      image,
      command: ["sh", "-c", "echo api up; exec sleep 300"],
      depends_on: { db: { condition: "service_healthy" } },
      environment: { DB_HOST: "db" },
      labels,
    },
  },
};

async function main(): Promise<void> {
  const stack = await compose.up(spec);
  try {
    console.log(`up: ${stack.project} services ${stack.services.join(",")}`);
    const graph = compose.graph(stack);
    console.log(`order: ${graph.nodes.join(" -> ")}`);

    const ps = await compose.ps(stack);
    const db = ps.find((c) => c.labels?.["com.docker.compose.service"] === "db");
    console.log(`db health when api started: ${db?.health}`);
    if (db?.health !== "healthy") throw new Error(`db is ${db?.health}, api must wait for healthy`);

    const st = await compose.status(stack);
    console.log(`status: ${st.services.map((s) => `${s.service}=${s.state}`).join(" ")} healthy=${st.healthy}`);
    if (!st.healthy) throw new Error("the stack is not healthy");

    // Service discovery on the stack's network.
    const lookup = await compose.exec(stack, "api", ["nslookup", "db"]);
    console.log(`api resolves db: ${lookup.exitCode === 0}`);
    if (lookup.exitCode !== 0) throw new Error(`nslookup db failed: ${lookup.stderr}`);
  } finally {
    await compose.down(stack);
  }
  console.log("down");
}

main().catch((e) => {
  console.error(`compose example failed: ${e.kind ?? ""} ${e.message}`);
  process.exitCode = 1;
});
