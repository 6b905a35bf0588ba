// A container's lifecycle with perry/container.
import {
  create,
  exec,
  getBackend,
  inspect,
  list,
  logs,
  remove,
  run,
  start,
  stop,
  wait,
} from "perry/container";
import type { ContainerError, ContainerSpec } from "perry/container";

export async function lifecycle(): Promise<number> {
  const backend = getBackend();
  if (!backend.available || backend.isolationLevel === "None") {
    throw new Error(`no usable backend: ${backend.reason ?? backend.name}`);
  }
  const spec: ContainerSpec = {
    image: "busybox:latest",
    name: "perry-demo",
    ports: ["8080:80"],
    env: { MODE: "demo" },
    cmd: ["httpd", "-f", "-p", "80"],
    read_only: true,
    cap_drop: ["ALL"],
    healthcheck: { test: ["CMD", "true"], interval: "1s" },
    ulimits: [{ name: "nofile", soft: 1024, hard: 2048 }],
  };
  const h = await run(spec);
  const info = await inspect(h.id);
  const out = await exec(h.id, ["echo", "hi"], { A: "1" }, "/");
  const tail = await logs(h.id, 10);
  await stop(h.id, 5);
  const code = await wait(h.id);
  await remove(h.id, true);
  const created = await create({ image: "busybox:latest" });
  await start(created.id);
  const all = await list(true);
  try {
    await inspect("does-not-exist");
  } catch (e) {
    const err = e as ContainerError;
    if (err.code === 404 && err.kind === "NotFound") {
      return all.length + (info.exitCode ?? 0) + (out.exitCode ?? 0) + tail.stdout.length + code.exitCode;
    }
    throw err;
  }
  return 0;
}

// Cancelling a call: the host's AbortSignal goes in the last argument; an
// aborted call rejects with Cancelled (499).
export async function cancellable(signal: AbortSignal): Promise<string> {
  try {
    const c = await run({ image: "busybox:latest", cmd: ["sleep", "60"] }, { signal });
    await wait(c.id, { signal });
    return "finished";
  } catch (e) {
    const err = e as ContainerError;
    if (err.kind === "Cancelled" && err.code === 499) return "cancelled";
    throw e;
  }
}
