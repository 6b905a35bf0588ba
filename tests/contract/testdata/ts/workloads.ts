// A workload graph with refs, runtimes and policies (perry/workloads).
import { graph, inspectGraph, node, policy, ref, runGraph, runtime } from "perry/workloads";
import type { GraphStatus, NodeInfo, WorkloadRef } from "perry/workloads";

export async function app(): Promise<[GraphStatus, NodeInfo[]]> {
  const db = node("db", {
    image: "postgres:16",
    ports: ["5432"],
    env: { POSTGRES_PASSWORD: "secret" },
    healthcheck: { test: ["CMD", "pg_isready"] },
    runtime: runtime.oci(),
    policy: policy.isolated(),
  });
  const url: WorkloadRef = ref(db, "internalUrl", "5432");
  const api = node("api", {
    image: "my-api:latest",
    dependsOn: [db.id],
    env: { DATABASE_URL: url, DB_ENDPOINT: { nodeId: "db", projection: "endpoint", port: "5432" }, MODE: "prod" },
    policy: policy.hardened({ readOnlyRoot: true, noNetwork: false }),
    resources: { cpu: "0.5", memory: "256m" },
  });
  const g = graph("my-app", {
    nodes: { db, api },
    edges: [{ from: "api", to: "db", condition: "healthy", latencyClass: "interactive" }],
  });
  const before = await inspectGraph(g);
  const h = await runGraph(g, { strategy: "dependency-aware", onFailure: "rollback-all" });
  const running = h.graph();
  await h.exec("api", ["true"]);
  await h.logs("api", { tail: 5 });
  await h.logs();
  const st = await h.status();
  const ps = await h.ps();
  await h.down({ volumes: true });
  return [{ ...st, healthy: st.healthy && before.healthy && Object.keys(running.nodes).length === 2 }, ps];
}
