// composeUp with a typed ComposeSpec, the handle's methods, and the free
// functions of perry/container-compose and its alias perry/compose.
import { composeUp } from "perry/container";
import type { ComposeSpec, StackStatus } from "perry/container";
import * as compose from "perry/container-compose";
import { down, graph } from "perry/compose";

const spec: ComposeSpec = {
  name: "shop",
  services: {
    db: {
      image: "postgres:16",
      environment: { POSTGRES_PASSWORD: "secret" },
      healthcheck: { test: ["CMD", "pg_isready"], interval: "1s", retries: 30 },
      volumes: [{ type: "volume", source: "data", target: "/var/lib/postgresql/data" }],
    },
    web: {
      image: "nginx:alpine",
      ports: ["8080:80", { target: 443, published: "8443", protocol: "tcp" }],
      depends_on: { db: { condition: "service_healthy" } },
      networks: { front: { aliases: ["www"] } },
      deploy: { resources: { limits: { cpus: "0.5", memory: "256m" } } },
    },
  },
  networks: { front: { driver: "bridge" } },
  volumes: { data: {} },
  "x-owner": "team-a",
};

export async function stack(): Promise<StackStatus> {
  const s = await composeUp(spec);
  const order = s.graph().nodes;
  await s.exec("web", ["nginx", "-t"], { user: "root" });
  await s.logs({ service: "web", tail: 20 });
  await s.restart(["web"]);
  const ps = await s.ps();
  const st = await s.status();
  await s.down(true);

  const t = await compose.up("./compose.yaml");
  await compose.stop(t, ["web"]);
  await compose.start(t);
  const cfg = await compose.config(t);
  const g = graph(t);
  await down(t, false);
  return { ...st, healthy: st.healthy && ps.length > 0 && order.length === g.nodes.length && cfg.name !== undefined };
}
