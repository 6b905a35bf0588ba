// The perry/workloads headline example: a graph whose api depends on its
// db and receives db's address through a typed reference, run with a
// failure policy; then a graph whose migration fails, rolled back.

import { graph, runGraph } from "perry/workloads";

const image = process.env.PERRY_EXAMPLE_IMAGE ?? "perry-test/busybox:latest";
const labels = { "perry.test": "1" };
const name = process.env.PERRY_EXAMPLE_PROJECT ?? "perry-node-graph-example";

const app = graph(name, (g) => {
  const db = g.node("db", {
    image,
    ports: ["127.0.0.1::5432"],
    cmd: ["nc", "-ll", "-p", "5432", "-e", "echo", "pong"], // answers every connection
    env: { POSTGRES_PASSWORD: "secret" },
    labels,
  });
  g.node("api", {
    image,
    dependsOn: [db],
    cmd: ["sleep", "300"],
    env: {
      DATABASE_URL: db.endpoint("5432"),
      DB_IP: db.ip(),
      DB_URL: db.internalUrl(5432),
    },
    labels,
  });
});

async function main(): Promise<void> {
  const handle = await runGraph(app, { strategy: "dependency-aware", onFailure: "rollback-all" });
  try {
    console.log(`running: ${handle.project} ${handle.nodes.join(" -> ")}`);
    const st = await handle.status();
    console.log(`status: ${JSON.stringify(st.nodes)} healthy=${st.healthy}`);
    if (!st.healthy) throw new Error("the graph is not healthy");

    // The references were resolved before api was created: they are in its
    // environment from its first instruction.
    const env = await handle.exec("api", ["sh", "-c", 'echo "$DATABASE_URL $DB_IP $DB_URL"']);
    const [url, ip, internal] = env.stdout.trim().split(" ");
    console.log(`api sees DATABASE_URL=${url} DB_IP=${ip} DB_URL=${internal}`);
    if (url !== handle.resolved?.api?.DATABASE_URL) throw new Error("DATABASE_URL differs from the resolved value");
    if (internal !== `http://${ip}:5432`) throw new Error(`DB_URL ${internal} is not http://${ip}:5432`);

    // api reaches db at the referenced address.
    const pong = await handle.exec("api", ["sh", "-c", `echo ping | nc -w 2 ${ip} 5432`]);
    console.log(`api -> db: ${pong.stdout.trim()}`);
    if (pong.stdout.trim() !== "pong") throw new Error(`db did not answer: ${JSON.stringify(pong)}`);
  } finally {
    await handle.down();
  }
  console.log("down");

  // A failure policy at work: the migration exits 1, so rollback-all
  // removes db again and the run rejects naming the node.
  const failing = graph(`${name}-failing`, (g) => {
    const db = g.node("db", { image, cmd: ["sleep", "300"], labels });
    const migrate = g.node("migrate", { image, dependsOn: [db], cmd: ["sh", "-c", "exit 1"], labels });
    g.node("api", { image, dependsOn: [{ node: migrate, condition: "completed" }], cmd: ["sleep", "300"], labels });
  });
  try {
    await runGraph(failing, { onFailure: "rollback-all" });
    throw new Error("the failing graph ran");
  } catch (e: any) {
    if (e.kind !== "ServiceStartupFailed") throw e;
    console.log(`rolled back: ${e.kind} node=${e.details.node}`);
  }
}

main().catch((e) => {
  console.error(`workloads example failed: ${e.kind ?? ""} ${e.message}`);
  process.exitCode = 1;
});
