// Every function of perry/container, perry/container-compose (and its alias
// perry/compose) and perry/workloads, called from Node over the fake
// backend (an in-memory engine with real state). Run with
// PERRY_CONTAINER_BACKEND=fake (tests/node/run.sh sets it).

import { test } from "node:test";
import assert = require("node:assert/strict");
import * as c from "perry/container";
import * as cc from "perry/container-compose";
import * as compose from "perry/compose";
import * as w from "perry/workloads";

const native = require("../node/native.js").native as { pending(): number };
const image = "perry-test/busybox:latest";
const labels = { "perry.test": "1" };

function isContainerError(kind: string, code: number, details: Record<string, unknown> = {}) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof c.ContainerError, `not a ContainerError: ${e}`);
    assert.equal(e.kind, kind, e.message);
    assert.equal(e.code, code);
    for (const [k, v] of Object.entries(details)) assert.deepEqual(e.details[k], v, `details.${k}`);
    return true;
  };
}

test("the fake backend is selected", () => {
  assert.equal(process.env.PERRY_CONTAINER_BACKEND, "fake", "run with PERRY_CONTAINER_BACKEND=fake");
  const b = c.getBackend();
  assert.equal(b.name, "fake");
  assert.equal(b.available, true);
});

test("getBackendAsync resolves to the backend getBackend returns", async () => {
  assert.deepEqual(await c.getBackendAsync(), c.getBackend());
});

test("detectBackend lists the fake", async () => {
  const all = await c.detectBackend();
  assert.ok(all.some((b) => b.name === "fake" && b.available));
});

test("images: pull, list, inspect, build, remove", async () => {
  assert.equal(await c.pullImage(image), undefined);
  const images = await c.listImages();
  assert.ok(images.some((i) => `${i.repository}:${i.tag}` === image), JSON.stringify(images));
  const info = await c.inspectImage(image);
  assert.equal(info.repository, "perry-test/busybox");
  assert.match(info.id, /^sha256:/);
  await c.build({ context: "." }, "perry-node-test/built:1");
  assert.equal((await c.inspectImage("perry-node-test/built:1")).tag, "1");
  await c.removeImage("perry-node-test/built:1", true);
  await assert.rejects(c.inspectImage("perry-node-test/built:1"), isContainerError("NotFound", 404));
});

test("containers: run, list, inspect, logs, exec, stop, wait, start, remove", async () => {
  await c.pullImage(image);
  const h = await c.run({ image, cmd: ["sh", "-c", "echo hello from node; sleep 60"], labels });
  assert.match(h.id, /^[0-9a-f]{64}$/);
  assert.ok(h.name);
  assert.ok((await c.list()).some((i) => i.id === h.id));
  const info = await c.inspect(h.name!);
  assert.equal(info.id, h.id);
  assert.equal(info.state, "running");
  assert.deepEqual(info.labels, labels);
  assert.match((await c.logs(h.id)).stdout, /hello from node/);
  assert.equal((await c.logs(h.id, 0)).stdout, "");
  const out = await c.exec(h.id, ["echo", "in exec"], { A: "1" }, "/");
  assert.deepEqual(out, { stdout: "in exec\n", stderr: "", exitCode: 0 });
  await c.stop(h.id, 0);
  assert.equal((await c.inspect(h.id)).state, "exited");
  assert.ok(!(await c.list()).some((i) => i.id === h.id), "a stopped container is listed without all");
  assert.ok((await c.list(true)).some((i) => i.id === h.id), "list(true) includes it");
  assert.equal(typeof (await c.wait(h.id)).exitCode, "number");
  await c.start(h.id);
  assert.equal((await c.inspect(h.id)).state, "running");
  await assert.rejects(c.remove(h.id), isContainerError("BackendError", 502), "a running container needs force");
  await c.remove(h.id, true);
  await assert.rejects(c.inspect(h.id), isContainerError("NotFound", 404, { id: h.id }));
});

test("create leaves the container created, not running", async () => {
  await c.pullImage(image);
  const h = await c.create({ image, labels });
  assert.equal((await c.inspect(h.id)).state, "created");
  await c.remove(h.id, true);
});

// Bad arguments reject (never throw synchronously) with InvalidArgument
// naming the argument, whether the TypeScript layer or the library finds it.
const badCalls: Array<[string, () => Promise<unknown>, Record<string, unknown>]> = [
  ["run: image of the wrong type (library)", () => c.run({ image: 5 } as any), { argument: "spec", key: "image" }],
  ["run: unknown key (library)", () => c.run({ image, colour: "red" } as any), { argument: "spec", key: "colour" }],
  ["inspect: id not a string", () => c.inspect(42 as any), { argument: "id" }],
  ["remove: an id with a NUL inside (C would cut it short)", () => c.remove("abc\0def", true), { argument: "id" }],
  ["stop: timeout out of range (library)", () => c.stop("x", -1), { argument: "timeout" }],
  ["logs: tail of the wrong type (library)", () => c.logs("x", "ten" as any), { argument: "tail" }],
  ["exec: empty cmd (library)", () => c.exec("x", []), { argument: "cmd" }],
  ["exec: workdir not a string", () => c.exec("x", ["true"], undefined, 7 as any), { argument: "workdir" }],
  ["removeImage: force not a boolean", () => c.removeImage(image, "yes" as any), { argument: "force" }],
  ["compose down: not a handle", () => cc.down(7 as any), { argument: "handle" }],
  ["compose down: volumes not a boolean", () => cc.down({ handle: 1 } as any, 1 as any), { argument: "volumes" }],
  ["compose status: handle 0 (library)", () => cc.status({ handle: 0 } as any), {}],
  ["runGraph: no graph", () => w.runGraph(undefined as any), { argument: "graph" }],
  ["composeUp: no spec", () => c.composeUp(undefined as any), { argument: "spec" }],
];
for (const [name, call, details] of badCalls) {
  test(`bad argument rejects: ${name}`, async () => {
    let p: Promise<unknown>;
    try {
      p = call();
    } catch (e) {
      assert.fail(`threw synchronously instead of rejecting: ${e}`);
    }
    await assert.rejects(p, isContainerError("InvalidArgument", 400, details));
  });
}

test("an argument JSON cannot encode rejects with InvalidArgument and its cause", async () => {
  const spec: any = { image };
  spec.labels = spec; // a cycle
  await assert.rejects(c.run(spec), (e: any) => {
    isContainerError("InvalidArgument", 400, { argument: "spec" })(e);
    assert.ok(e.cause instanceof TypeError, "the JSON error is the cause");
    return true;
  });
});

test("an error's extra members stay in details, not on the Error", async () => {
  await assert.rejects(c.inspect("no-such-container"), (e: any) => {
    isContainerError("NotFound", 404, { id: "no-such-container" })(e);
    assert.equal(e.name, "ContainerError");
    assert.match(e.message, /no-such-container/);
    assert.equal(e.id, undefined);
    return true;
  });
});

const stackSpec = (name: string): c.ComposeSpec => ({
  name,
  services: {
    db: {
      image,
      command: ["sleep", "60"],
      labels,
      healthcheck: { test: ["CMD", "true"], interval: "1s" },
    },
    api: { image, command: ["sleep", "60"], labels, depends_on: { db: { condition: "service_healthy" } } },
  },
});

test("composeUp: a handle object whose methods call the stack", async () => {
  await c.pullImage(image);
  const s = await c.composeUp(stackSpec("node-fake-stack"));
  assert.equal(s.project, "node-fake-stack");
  assert.deepEqual(s.services, ["api", "db"]);
  assert.ok(Number.isSafeInteger(s.handle) && s.handle > 0);
  assert.deepEqual(s.graph(), { nodes: ["db", "api"], edges: [{ from: "api", to: "db" }] });
  const ps = await s.ps();
  assert.deepEqual(ps.map((i) => i.labels?.["com.docker.compose.service"]).sort(), ["api", "db"]);
  const st = await s.status();
  assert.equal(st.healthy, true);
  assert.deepEqual(st.services.map((x) => [x.service, x.state]), [["db", "running"], ["api", "running"]]);
  assert.equal((await s.config()).name, "node-fake-stack");
  assert.equal((await s.exec("db", ["echo", "hi"], { user: "0" })).stdout, "hi\n");
  assert.equal(typeof (await s.logs({ service: "db", tail: 5 })).stdout, "string");
  await s.stop(["api"]);
  assert.deepEqual((await s.status()).services.map((x) => x.state), ["running", "stopped"]);
  await s.start(["api"]);
  await s.restart();
  assert.equal((await s.status()).healthy, true);
  await s.down();
  await assert.rejects(s.down(), isContainerError("NotFound", 404));
  await assert.rejects(s.status(), isContainerError("NotFound", 404));
  assert.throws(() => s.graph(), isContainerError("NotFound", 404));
});

for (const [name, mod] of [
  ["perry/container-compose", cc],
  ["perry/compose", compose],
] as const) {
  test(`${name}: the free functions take the stack first`, async () => {
    await c.pullImage(image);
    const s = await mod.up(stackSpec(`node-fake-${name.replace("/", "-")}`));
    assert.deepEqual(mod.graph(s).nodes, ["db", "api"]);
    assert.equal((await mod.ps(s)).length, 2);
    assert.equal((await mod.status(s)).healthy, true);
    assert.ok((await mod.config(s)).services.db);
    assert.equal((await mod.exec(s, "api", ["echo", "x"])).exitCode, 0);
    assert.equal(typeof (await mod.logs(s)).stdout, "string");
    await mod.stop(s);
    assert.equal((await mod.status(s)).healthy, false);
    await mod.start(s);
    await mod.restart(s, ["db"]);
    await mod.down(s, false);
    await assert.rejects(mod.ps(s), isContainerError("NotFound", 404));
  });
}

test("a dependency cycle rejects with DependencyCycle and starts nothing", async () => {
  const before = (await c.list(true)).length;
  await assert.rejects(
    c.composeUp({
      name: "node-fake-cycle",
      services: { a: { image, depends_on: ["b"] }, b: { image, depends_on: ["a"] } },
    }),
    isContainerError("DependencyCycle", 422),
  );
  assert.equal((await c.list(true)).length, before);
});

test("workloads: the pure helpers return exactly the documented values", () => {
  assert.deepEqual(w.runtime.oci(), { type: "oci" });
  assert.deepEqual(w.runtime.auto(), { type: "auto" });
  assert.deepEqual(w.runtime.microvm(), { type: "microvm" });
  assert.deepEqual(w.runtime.microvm({ vcpus: 2 }), { type: "microvm", config: { vcpus: 2 } });
  assert.deepEqual(w.runtime.wasm(), { type: "wasm" });
  assert.deepEqual(w.runtime.wasm("m.wasm"), { type: "wasm", module: "m.wasm" });
  assert.deepEqual(w.policy.default(), { tier: "default" });
  assert.deepEqual(w.policy.isolated(), { tier: "isolated" });
  assert.deepEqual(w.policy.untrusted(), { tier: "untrusted" });
  assert.deepEqual(w.policy.hardened(), { tier: "hardened" });
  assert.deepEqual(w.policy.hardened({ noNetwork: true }), { tier: "hardened", noNetwork: true });
  assert.deepEqual(w.ref("db", "ip"), { nodeId: "db", projection: "ip" });
  assert.deepEqual(w.ref(w.node("db"), "endpoint", "5432"), { nodeId: "db", projection: "endpoint", port: "5432" });
});

test("workloads: node() fills the defaults and its refs name it", () => {
  const db = w.node("db", { image });
  assert.equal(db.id, "db");
  assert.deepEqual(db.runtime, { type: "auto" });
  assert.deepEqual(db.policy, { tier: "default" });
  assert.deepEqual(db.endpoint(5432), { nodeId: "db", projection: "endpoint", port: "5432" });
  assert.deepEqual(db.ip(), { nodeId: "db", projection: "ip" });
  assert.deepEqual(db.internalUrl("80"), { nodeId: "db", projection: "internalUrl", port: "80" });
  assert.deepEqual(Object.keys(JSON.parse(JSON.stringify(db))).sort(), ["id", "image", "name", "policy", "runtime"]);
  assert.throws(() => w.node("x", { colour: 1 } as any), isContainerError("InvalidArgument", 400, { key: "colour" }));
});

test("workloads: the builder form and the spec form give the same graph", () => {
  const built = w.graph("same", (g) => {
    const db = g.node("db", { image, ports: ["5432"] });
    const mig = g.node("migrate", { image });
    g.node("api", {
      image,
      dependsOn: [db, { node: mig, condition: "completed" }],
      env: { DB: db.endpoint(5432), MODE: "x" },
    });
  });
  const plain = w.graph("same", {
    nodes: {
      db: w.node("db", { image, ports: ["5432"] }),
      migrate: w.node("migrate", { image }),
      api: w.node("api", {
        image,
        dependsOn: ["db", "migrate"],
        dependsOnConditions: { migrate: "completed" },
        env: { DB: w.ref("db", "endpoint", "5432"), MODE: "x" },
      }),
    },
  });
  assert.deepEqual(built, plain);
  assert.deepEqual(
    built.edges.map((e) => [e.from, e.to, e.condition]).sort(),
    [["api", "db", "started"], ["api", "migrate", "completed"]],
  );
});

test("workloads: builder errors throw ContainerErrors", () => {
  assert.throws(
    () => w.graph("dup", (g) => (g.node("a", { image }), g.node("a", { image }))),
    isContainerError("InvalidArgument", 400, { argument: "node" }),
  );
  assert.throws(
    () => w.graph("cyc", (g) => {
      g.node("a", { image, dependsOn: ["b"] });
      g.node("b", { image, dependsOn: ["a"] });
    }),
    isContainerError("DependencyCycle", 422),
  );
  assert.throws(
    () => w.graph("bad", (g) => g.node("a", { image, dependsOn: [{} as any] })),
    isContainerError("InvalidArgument", 400, { argument: "spec.dependsOn[0]" }),
  );
});

test("workloads: runGraph gives a handle whose methods call the graph", async () => {
  await c.pullImage(image);
  const g = w.graph("node-fake-graph", (g) => {
    const db = g.node("db", { image, cmd: ["sleep", "60"], labels });
    g.node("api", { image, cmd: ["sleep", "60"], labels, dependsOn: [db], env: { DB: db.ip() } });
  });
  const before = await w.inspectGraph(g);
  assert.deepEqual(before, { nodes: { api: "pending", db: "pending" }, healthy: false });
  const h = await w.runGraph(g, { strategy: "sequential", onFailure: "rollback-all" });
  assert.deepEqual(h.nodes, ["db", "api"]);
  assert.equal(h.project, "node-fake-graph");
  assert.match(h.resolved?.api?.DB ?? "", /^\d+\.\d+\.\d+\.\d+$/);
  assert.deepEqual(await h.status(), { nodes: { api: "running", db: "running" }, healthy: true });
  assert.deepEqual((await w.inspectGraph(g)).healthy, true);
  assert.deepEqual((await h.ps()).map((n) => [n.nodeId, n.state]).sort(), [["api", "running"], ["db", "running"]]);
  assert.equal(h.graph().name, "node-fake-graph");
  const db = (await h.ps()).find((n) => n.nodeId === "db");
  assert.equal((await c.inspect(db!.containerId!)).ipAddress, h.resolved?.api?.DB, "the ref resolved to db's address");
  assert.equal((await h.exec("api", ["echo", "in api"])).stdout, "in api\n");
  assert.equal(typeof (await h.logs()).stdout, "string");
  assert.equal(typeof (await h.logs("db", { tail: 1 })).stdout, "string");
  await h.down({ volumes: true });
  await assert.rejects(h.status(), isContainerError("NotFound", 404));
});

test("workloads: rollback-all removes what a failed run created", async () => {
  await c.pullImage(image);
  const before = (await c.list(true)).map((i) => i.id);
  const g = w.graph("node-fake-fail", (g) => {
    const migrate = g.node("migrate", { image, cmd: ["false"], labels });
    g.node("api", { image, labels, dependsOn: [{ node: migrate, condition: "completed" }] });
  });
  await assert.rejects(
    w.runGraph(g, { onFailure: "rollback-all" }),
    isContainerError("ServiceStartupFailed", 500, { node: "migrate", exitCode: 1 }),
  );
  assert.deepEqual((await c.list(true)).map((i) => i.id), before);
});

test("signal: aborting a call in flight rejects it with Cancelled, the abort's reason as cause", async () => {
  await c.pullImage(image);
  const h = await c.run({ image, cmd: ["sleep", "300"], labels });
  try {
    const ac = new AbortController();
    const waiting = c.wait(h.id, { signal: ac.signal }); // runs until the container exits
    const reason = new Error("user gave up");
    ac.abort(reason);
    await assert.rejects(waiting, (e: any) => {
      isContainerError("Cancelled", 499)(e);
      assert.equal(e.cause, reason);
      return true;
    });
    assert.equal((await c.inspect(h.id)).state, "running", "cancelling wait leaves the container alone");
  } finally {
    await c.remove(h.id, true);
  }
});

test("signal: an already aborted signal rejects without calling the library", async () => {
  const ac = new AbortController();
  ac.abort("early");
  const before = (await c.list(true)).length;
  await assert.rejects(c.run({ image, labels }, { signal: ac.signal }), (e: any) => {
    isContainerError("Cancelled", 499)(e);
    assert.equal(e.cause, "early");
    return true;
  });
  assert.equal((await c.list(true)).length, before, "nothing was created");
});

test("signal: aborting after the call settled cancels nothing else", async () => {
  await c.pullImage(image);
  const h = await c.run({ image, cmd: ["sleep", "300"], labels });
  try {
    const ac = new AbortController();
    assert.equal((await c.inspect(h.id, { signal: ac.signal })).id, h.id);
    // A later call may get the settled call's memory; it must not be hit.
    const other = new AbortController();
    const waiting = c.wait(h.id, { signal: other.signal });
    ac.abort();
    await c.stop(h.id, 0);
    assert.equal(typeof (await waiting).exitCode, "number", "the later call completed normally");
  } finally {
    await c.remove(h.id, true);
  }
});

test("signal: a non-signal is an InvalidArgument naming call.signal", async () => {
  await assert.rejects(c.list(false, { signal: {} as any }), isContainerError("InvalidArgument", 400, { argument: "call.signal" }));
});

test("every call settled exactly once: nothing is left in flight", () => {
  assert.equal(native.pending(), 0);
});
