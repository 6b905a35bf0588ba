// Followed streams from Node over the fake backend: followLogs of a
// container, of a compose stack and of a workload graph as AsyncIterables, in order and
// complete, cancelled by leaving the loop or by an AbortSignal, paced by
// the loop (the library waits while JS holds its chunks), and their errors.
// Run with PERRY_CONTAINER_BACKEND=fake (tests/node/run.sh sets it).

import { test } from "node:test";
import assert = require("node:assert/strict");
import * as c from "perry/container";
import * as cc from "perry/container-compose";
import * as compose from "perry/compose";
import * as w from "perry/workloads";

type Follow = (op: number, h: number, s1: unknown, s2: unknown, onChunk: (text: string) => void) => [Promise<string>, unknown];
const native = require("../node/native.js").native as { pending(): number; follow: Follow };
const image = "perry-test/busybox:latest";
const labels = { "perry.test": "1" };

function isContainerError(kind: string, code: number) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof c.ContainerError, `not a ContainerError: ${e}`);
    assert.equal(e.kind, kind, e.message);
    assert.equal(e.code, code);
    return true;
  };
}

/** The fake's sh -c has no loops: "echo 1;echo 2;…;echo n;" then `rest`. */
function counting(n: number, rest = ""): string[] {
  let s = "";
  for (let i = 1; i <= n; i++) s += `echo ${i};`;
  return ["sh", "-c", s + rest];
}

/** Counts the chunks the native hands to JS while `fn` runs. */
async function countingChunks<T>(fn: (delivered: () => number) => Promise<T>): Promise<T> {
  const orig = native.follow;
  let n = 0;
  native.follow = (op, h, s1, s2, onChunk) =>
    orig(op, h, s1, s2, (text) => {
      n++;
      onChunk(text);
    });
  try {
    return await fn(() => n);
  } finally {
    native.follow = orig;
  }
}

/** The lines 1..n in order, or what is wrong with them. */
function assertCounted(lines: c.LogLine[], n: number, what: string): void {
  assert.equal(lines.length, n, `${what}: line count`);
  for (let i = 0; i < n; i++) {
    if (lines[i].line !== String(i + 1) || lines[i].stream !== "stdout") {
      assert.fail(`${what}: line ${i + 1} is ${JSON.stringify(lines[i])}`);
    }
  }
}

test("followLogs: 20,000 lines arrive complete and in order, then the iteration ends", async (t) => {
  const n = 20_000;
  const h = await c.run({ image, cmd: counting(n), labels });
  try {
    const t0 = process.hrtime.bigint();
    const lines: c.LogLine[] = [];
    for await (const l of c.followLogs(h.id)) lines.push(l);
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    assertCounted(lines, n, "followLogs");
    assert.equal(native.pending(), 0, "the call settled");
    t.diagnostic(`follow throughput through Node (fake): ${n} lines in ${secs.toFixed(3)} s = ${Math.round(n / secs)} lines/s`);
    // tail: only the last lines.
    const tail: string[] = [];
    for await (const l of c.followLogs(h.id, { tail: 3 })) tail.push(l.line);
    assert.deepEqual(tail, [String(n - 2), String(n - 1), String(n)]);
  } finally {
    await c.remove(h.id, true);
  }
});

test("followLogs: each for-await loop over the iterable starts its own follow", async () => {
  const h = await c.run({ image, cmd: counting(5), labels });
  try {
    const it = c.followLogs(h.id);
    for (let round = 0; round < 2; round++) {
      const got: string[] = [];
      for await (const l of it) got.push(l.line);
      assert.deepEqual(got, ["1", "2", "3", "4", "5"], `round ${round}`);
    }
  } finally {
    await c.remove(h.id, true);
  }
});

test("followLogs: a slow loop paces the library (JS holds at most two chunks) and still gets every line", async () => {
  const n = 20_000; // at least 79 chunks of 256 lines
  const h = await c.run({ image, cmd: counting(n), labels });
  try {
    await countingChunks(async (delivered) => {
      const it = c.followLogs(h.id)[Symbol.asyncIterator]();
      const first = await it.next();
      assert.equal(first.done, false);
      // Give an unpaced producer time to overrun the loop; with pacing the
      // native hands over no more than its window however long JS waits.
      await new Promise<void>((r) => setTimeout(r, 300));
      assert.ok(delivered() <= 2, `the native delivered ${delivered()} chunks while the loop held its first line`);
      const lines: c.LogLine[] = [first.value];
      for (let r = await it.next(); !r.done; r = await it.next()) lines.push(r.value);
      assertCounted(lines, n, "slow loop");
      assert.ok(delivered() >= Math.ceil(n / 256), `${delivered()} chunks`);
    });
  } finally {
    await c.remove(h.id, true);
  }
});

test("followLogs: break from the loop cancels the follow; the call has settled when the loop ends", async () => {
  const h = await c.run({ image, cmd: counting(3, "sleep 300"), labels });
  try {
    await countingChunks(async (delivered) => {
      const it = c.followLogs(h.id);
      const got: string[] = [];
      for await (const l of it) {
        got.push(l.line);
        if (got.length === 2) break;
      }
      assert.deepEqual(got, ["1", "2"]);
      // The container is still running: only the cancel can have ended the call.
      assert.equal((await c.inspect(h.id)).state, "running");
      assert.equal(native.pending(), 0, "the follow settled before the loop ended");
      const after = delivered();
      // A further round trip through the library: nothing more arrives.
      await c.inspect(h.id);
      assert.equal(delivered(), after, "no chunk after the cancel");
    });
  } finally {
    await c.remove(h.id, true);
  }
});

test("followLogs: an AbortSignal cancels the follow and the iteration throws Cancelled with the reason", async () => {
  const h = await c.run({ image, cmd: counting(2, "sleep 300"), labels });
  try {
    const ac = new AbortController();
    const got: string[] = [];
    const loop = (async () => {
      for await (const l of c.followLogs(h.id, undefined, { signal: ac.signal })) {
        got.push(l.line);
        if (got.length === 2) ac.abort("stop following");
      }
    })();
    await assert.rejects(loop, (e: any) => isContainerError("Cancelled", 499)(e) && e.cause === "stop following");
    assert.deepEqual(got, ["1", "2"]);
    assert.equal(native.pending(), 0, "the follow settled");
    // Already aborted: rejects without calling the library.
    const it = c.followLogs(h.id, undefined, { signal: ac.signal })[Symbol.asyncIterator]();
    await assert.rejects(it.next(), isContainerError("Cancelled", 499));
    assert.deepEqual(await it.next(), { done: true, value: undefined }, "the iteration is over after its error");
  } finally {
    await c.remove(h.id, true);
  }
});

const badFollows: Array<[string, () => AsyncIterable<c.LogLine>, string, number, RegExp]> = [
  ["an unknown id", () => c.followLogs("no-such-container"), "NotFound", 404, /no-such-container/],
  ["an id that is not a string", () => c.followLogs(42 as any), "InvalidArgument", 400, /id/],
  ["a tail of the wrong type", () => c.followLogs("x", { tail: "ten" as any }), "InvalidArgument", 400, /tail/],
  ["a signal that is not an AbortSignal", () => c.followLogs("x", undefined, { signal: {} as any }), "InvalidArgument", 400, /call\.signal/],
  ["a stack that is not a handle", () => cc.followLogs(7 as any), "InvalidArgument", 400, /handle/],
];

for (const [name, make, kind, code, message] of badFollows) {
  test(`followLogs rejects ${name}: ${kind}`, async () => {
    const it = make(); // never throws synchronously
    await assert.rejects(
      (async () => {
        for await (const _ of it) assert.fail("no line expected");
      })(),
      (e: any) => isContainerError(kind, code)(e) && message.test(e.message),
    );
    assert.equal(native.pending(), 0);
  });
}

test("a stack's followLogs: every line with its service, each service's lines in order", async () => {
  const per = 2000;
  const s = await c.composeUp({
    name: `perry-node-follow-${process.pid}`,
    services: {
      a: { image, command: counting(per), labels },
      b: { image, command: counting(per), labels },
    },
  });
  try {
    const follows: Array<[string, () => AsyncIterable<c.LogLine>]> = [
      ["handle method", () => s.followLogs()],
      ["perry/container-compose", () => cc.followLogs(s)],
      ["perry/compose", () => compose.followLogs(s)],
    ];
    for (const [name, f] of follows) {
      const by: Record<string, string[]> = { a: [], b: [] };
      for await (const l of f()) {
        assert.ok(l.service === "a" || l.service === "b", `${name}: service of ${JSON.stringify(l)}`);
        by[l.service].push(l.line);
      }
      for (const svc of ["a", "b"]) {
        assertCounted(by[svc].map((line) => ({ stream: "stdout", line })), per, `${name}: service ${svc}`);
      }
    }
    const only: string[] = [];
    for await (const l of s.followLogs({ service: "b", tail: 2 })) only.push(`${l.service}:${l.line}`);
    assert.deepEqual(only, [`b:${per - 1}`, `b:${per}`]);
  } finally {
    await s.down();
  }
});

test("a graph's followLogs: every line with its node id, each node's lines in order; an AbortSignal ends it", async () => {
  const per = 2000;
  const g = w.graph(`perry-node-graph-follow-${process.pid}`, (g) => {
    g.node("a", { image, cmd: counting(per), labels });
    g.node("b", { image, cmd: counting(per), labels });
    g.node("up", { image, cmd: counting(2, "sleep 300"), labels });
  });
  const h = await w.runGraph(g, { strategy: "max-parallel" });
  try {
    for (const node of ["a", "b"]) {
      const lines: c.LogLine[] = [];
      for await (const l of h.followLogs(node)) {
        assert.equal(l.service, node, `service of ${JSON.stringify(l)}`);
        lines.push(l);
      }
      assertCounted(lines, per, `node ${node}`);
    }
    // Every node: "up" keeps running, so only the signal ends the follow.
    const ac = new AbortController();
    const by: Record<string, string[]> = { a: [], b: [], up: [] };
    await assert.rejects(async () => {
      for await (const l of h.followLogs(undefined, undefined, { signal: ac.signal })) {
        by[l.service!].push(l.line);
        if (by.a.length === per && by.b.length === per && by.up.length === 2) ac.abort(new Error("enough"));
      }
    }, isContainerError("Cancelled", 499));
    for (const node of ["a", "b"]) {
      assertCounted(by[node].map((line) => ({ stream: "stdout", line })), per, `every node: ${node}`);
    }
    assert.deepEqual(by.up, ["1", "2"]);
    await assert.rejects(async () => {
      for await (const _ of h.followLogs("nope")) assert.fail("a line of an unknown node");
    }, isContainerError("NotFound", 404));
  } finally {
    await h.down();
  }
});

test("a stack's events: a stop, a start and a down come in order in docker compose's shape; leaving the loop or an AbortSignal ends them", async () => {
  const project = `perry-node-events-${process.pid}`;
  const s = await c.composeUp({
    name: project,
    services: {
      db: { image, command: ["sleep", "300"], labels },
      web: { image, command: ["sleep", "300"], labels, depends_on: ["db"] },
    },
  });
  let downed = false;
  try {
    const it = s.events()[Symbol.asyncIterator]();
    const got: c.ComposeEvent[] = [];
    // The stream reports what happens once the runtime watches, which JS
    // cannot see: restart web until its first event arrives.
    let pending = it.next();
    for (let tries = 0; ; tries++) {
      assert.ok(tries < 30, "the events stream never reported the restarts");
      await s.restart(["web"]);
      const r = await Promise.race([pending, new Promise<undefined>((res) => setTimeout(() => res(undefined), 1000))]);
      if (r !== undefined) {
        assert.equal(r.done, false);
        break;
      }
    }
    // Drain the restarts' events: wait for web's start.
    for (let r = await it.next(); ; r = await it.next()) {
      assert.equal(r.done, false);
      if (r.value.service === "web" && r.value.action === "start") break;
    }
    // An AbortSignal ends a stream that would never end by itself.
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error("enough")), 50);
    await assert.rejects(async () => {
      for await (const _ of s.events({ services: ["db"] }, { signal: ac.signal })) void _;
    }, isContainerError("Cancelled", 499));
    // Each step waits for its event: the fake looks at its state now and then.
    const until = async (service: string, action: string) => {
      for (;;) {
        const r = await it.next();
        assert.equal(r.done, false);
        got.push(r.value);
        if (r.value.service === service && r.value.action === action) return;
      }
    };
    await s.stop(["web"]);
    await until("web", "die");
    await s.start();
    await until("web", "start");
    await s.down();
    downed = true;
    const gone = new Set<string>();
    while (gone.size < 2) {
      const r = await it.next();
      assert.equal(r.done, false);
      got.push(r.value);
      if (r.value.action === "destroy") gone.add(r.value.service);
    }
    assert.deepEqual(await it.return!(), { done: true, value: undefined });
    for (const ev of got) {
      assert.equal(ev.type, "container");
      assert.ok(ev.id.length > 0 && !Number.isNaN(Date.parse(ev.time)), JSON.stringify(ev));
      assert.ok(ev.attributes.name.startsWith(`${project}-${ev.service}-`), JSON.stringify(ev));
    }
    const web = got.filter((e) => e.service === "web").map((e) => e.action);
    const at = (a: string, from = 0) => web.indexOf(a, from);
    assert.ok(at("die") >= 0 && at("start", at("die")) > at("die") && at("destroy", at("start", at("die"))) > 0, `web: ${web}`);
    assert.deepEqual(got.filter((e) => e.service === "db").map((e) => e.action).slice(-1), ["destroy"]);

  } finally {
    if (!downed) await s.down();
  }
});
