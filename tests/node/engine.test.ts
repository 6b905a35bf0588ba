// The usage examples (tests/node/examples) end to end on a real engine, as
// programs in their own processes, and the exit teardown: a program that
// leaves a stack up and simply ends must leave nothing behind. Run with
// PERRY_CONTAINER_BACKEND=docker (tests/node/run.sh sets it).

import { test } from "node:test";
import assert = require("node:assert/strict");
import * as c from "perry/container";
import * as w from "perry/workloads";

const { spawnSync, execFileSync } = require("node:child_process");
const path = require("node:path");

const backend = process.env.PERRY_CONTAINER_BACKEND ?? "";
const engineCli = backend === "podman" ? "podman" : "docker";
// Labels what the containers example creates in this run.
const runId = `node-${process.pid}`;

/** Runs a compiled program with node; its exit code, stdout and stderr. */
function runProgram(file: string, env: Record<string, string> = {}): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [path.join(__dirname, file)], {
    env: { ...process.env, PERRY_EXAMPLE_RUN: runId, ...env },
    encoding: "utf8",
    timeout: 240_000,
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** What the engine still holds with a label (containers and networks). */
function leftOnEngine(label: string): string[] {
  const ps = execFileSync(engineCli, ["ps", "-aq", "--filter", `label=${label}`], { encoding: "utf8" });
  const nets = execFileSync(engineCli, ["network", "ls", "-q", "--filter", `label=${label}`], { encoding: "utf8" });
  return `${ps}${nets}`.split("\n").filter((s: string) => s !== "");
}

const examples: Array<[string, string, string, RegExp[]]> = [
  ["containers", "examples/containers.js", `perry.example=${runId}`, [/container: .* running/, /exec: hello from/, /logs: ready/, /removed/]],
  [
    "a compose stack with a health-gated dependency",
    "examples/compose-stack.js",
    "com.docker.compose.project=perry-node-compose-example",
    [/db health when api started: healthy/, /status: db=running api=running healthy=true/, /api resolves db: true/, /^down$/m],
  ],
  [
    "a workload graph with references and a failure policy",
    "examples/workload-graph.js",
    "com.docker.compose.project=perry-node-graph-example",
    [/running: perry-node-graph-example db -> api/, /api -> db: pong/, /^down$/m, /rolled back: ServiceStartupFailed node=migrate/],
  ],
  [
    "a followed log stream",
    "examples/followed-logs.js",
    `perry.example=${runId}`,
    [
      /^stdout: step 1\nstdout: step 2\nstdout: step 3\nstderr: done\nfollowed to the end: 4 lines$/m,
      /server says: listening\nstopped following \(break\)/,
      /again: listening\naborted: Cancelled 499 \(cause: enough\)/,
    ],
  ],
  [
    "an up aborted with an AbortSignal leaves nothing behind",
    "examples/aborted-up.js",
    "com.docker.compose.project=perry-node-aborted-up",
    [/db created; aborting/, /up rejected: Cancelled 499 \(cause: the user pressed cancel\)/, /containers left: 0/],
  ],
];

test("the engine answers", () => {
  assert.ok(backend !== "" && backend !== "fake", "run with PERRY_CONTAINER_BACKEND=docker");
  execFileSync(engineCli, ["info"], { stdio: "ignore" });
});

for (const [name, file, label, expected] of examples) {
  test(`example: ${name}`, { timeout: 300_000 }, () => {
    const r = runProgram(file);
    assert.equal(r.code, 0, `exit code ${r.code}\nstdout:\n${r.out}\nstderr:\n${r.err}`);
    for (const re of expected) assert.match(r.out, re);
    assert.deepEqual(leftOnEngine(label), [], "the example removed everything it created");
  });
}

test("a program that ends with a stack up leaves nothing behind", { timeout: 300_000 }, () => {
  const project = `perry-node-exit-${process.pid}`;
  const r = runProgram("examples/leave-up.js", { PERRY_EXAMPLE_PROJECT: project });
  assert.equal(r.code, 0, `exit code ${r.code}\nstdout:\n${r.out}\nstderr:\n${r.err}`);
  assert.match(r.out, /left up: 2 containers running/);
  assert.deepEqual(leftOnEngine(`com.docker.compose.project=${project}`), [], "exit tore the stack down");
});

const image = "perry-test/busybox:latest";

test("followLogs: a container printing 20,000 lines is followed to its end, complete and in order", { timeout: 300_000 }, async (t) => {
  const n = 20_000;
  const h = await c.run({ image, cmd: ["seq", "1", String(n)], labels: { "perry.test": "1" } });
  try {
    // Docker 20.10's own follow (docker logs -f too) may drop the last lines
    // when the container exits while being followed: follow the finished log.
    await c.wait(h.id);
    const t0 = process.hrtime.bigint();
    let count = 0;
    for await (const l of c.followLogs(h.id)) {
      count++;
      if (l.line !== String(count) || l.stream !== "stdout") assert.fail(`line ${count} is ${JSON.stringify(l)}`);
    }
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    assert.equal(count, n);
    t.diagnostic(`follow throughput through Node (engine): ${n} lines in ${secs.toFixed(3)} s = ${Math.round(n / secs)} lines/s`);
  } finally {
    await c.remove(h.id, true);
  }
});

test("a stack's followLogs: each line with its service, each service's lines in order", { timeout: 300_000 }, async () => {
  const per = 500;
  const s = await c.composeUp({
    name: `perry-node-follow-${process.pid}`,
    services: {
      a: { image, command: ["seq", "1", String(per)], labels: { "perry.test": "1" } },
      b: { image, command: ["seq", "1", String(per)], labels: { "perry.test": "1" } },
    },
  });
  try {
    // As above: follow once the containers have exited.
    for (const info of await s.ps()) await c.wait(info.id);
    const by: Record<string, string[]> = { a: [], b: [] };
    for await (const l of s.followLogs()) {
      assert.ok(l.service === "a" || l.service === "b", `service of ${JSON.stringify(l)}`);
      by[l.service].push(l.line);
    }
    const want = Array.from({ length: per }, (_, i) => String(i + 1));
    assert.deepEqual(by.a, want, "service a");
    assert.deepEqual(by.b, want, "service b");
  } finally {
    await s.down();
  }
  assert.deepEqual(leftOnEngine(`com.docker.compose.project=perry-node-follow-${process.pid}`), []);
});

test("a graph's followLogs on the engine: each node's lines in order with its node id", { timeout: 300_000 }, async () => {
  const per = 500;
  const name = `perry-node-graph-follow-${process.pid}`;
  const g = w.graph(name, (g) => {
    g.node("a", { image, cmd: ["seq", "1", String(per)], labels: { "perry.test": "1" } });
    g.node("b", { image, cmd: ["seq", "1", String(per)], labels: { "perry.test": "1" } });
  });
  const h = await w.runGraph(g, { strategy: "max-parallel" });
  try {
    // As above: follow once the containers have exited.
    for (const n of await h.ps()) if (n.containerId) await c.wait(n.containerId);
    const by: Record<string, string[]> = { a: [], b: [] };
    for await (const l of h.followLogs()) by[l.service!].push(l.line);
    const want = Array.from({ length: per }, (_, i) => String(i + 1));
    assert.deepEqual(by.a, want, "node a");
    assert.deepEqual(by.b, want, "node b");
  } finally {
    await h.down();
  }
  assert.deepEqual(leftOnEngine(`com.docker.compose.project=${name}`), []);
});

test("a stack's events on the engine: a stop and a start replayed from a time, in order", { timeout: 300_000 }, async () => {
  const project = `perry-node-events-${process.pid}`;
  const s = await c.composeUp({
    name: project,
    services: { web: { image, command: ["sleep", "300"], stop_signal: "SIGKILL", labels: { "perry.test": "1" } } },
  });
  try {
    const since = String(Date.now() / 1000);
    await s.stop();
    await s.start();
    // since replays what happened from that time on: no race with the subscription.
    // The up's own start may carry the same instant as since (the engine's
    // clock and ours): read until a start after a die, for 30 s at most.
    const ac = new AbortController();
    const cap = setTimeout(() => ac.abort(new Error("no start after a die within 30 s")), 30_000);
    const got: c.ComposeEvent[] = [];
    await assert.rejects(async () => {
      for await (const ev of s.events({ since }, { signal: ac.signal })) {
        got.push(ev);
        if (ev.action === "start" && got.some((e) => e.action === "die")) ac.abort(new Error("enough"));
      }
    }, (e: unknown) => e instanceof c.ContainerError && e.kind === "Cancelled");
    clearTimeout(cap);
    const actions = got.map((e) => e.action);
    assert.ok(actions.indexOf("die") >= 0 && actions.lastIndexOf("start") > actions.indexOf("die"), `actions: ${actions}`);
    for (const ev of got) {
      assert.equal(ev.service, "web");
      assert.equal(ev.type, "container");
      assert.equal(ev.attributes.name, `${project}-web-1`);
    }
  } finally {
    await s.down();
  }
  assert.deepEqual(leftOnEngine(`com.docker.compose.project=${project}`), []);
});
