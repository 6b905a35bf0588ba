// The usage examples (tests/node/examples) end to end on a real engine, as
// programs in their own processes, and the exit teardown: a program that
// leaves a stack up and simply ends must leave nothing behind. Run with
// PERRY_CONTAINER_BACKEND=docker (tests/node/run.sh sets it).

import { test } from "node:test";
import assert = require("node:assert/strict");

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
