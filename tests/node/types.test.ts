// The module's exported types are the declarations' own: every type that
// include/types/perry/<module>/index.d.ts exports is exported by the
// compiled module's .d.ts under the same name, re-exported from those
// declarations (tsc's conformance check covers the functions).

import { test } from "node:test";
import assert = require("node:assert/strict");

const fs = require("node:fs");
const path = require("node:path");

const repo = path.join(__dirname, "..", "..");
const built = path.join(__dirname, "..", "node");

/** The type names a declaration file exports (own and re-exported). */
function exportedTypes(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/^export (?:interface|type) (\w+)/gm)) names.add(m[1]);
  for (const m of text.matchAll(/^export type \{([^}]*)\}/gm)) {
    for (const n of m[1].split(",")) if (n.trim() !== "") names.add(n.trim().split(/\s+as\s+/).pop()!);
  }
  return names;
}

for (const mod of ["container", "container-compose", "workloads"]) {
  test(`perry/${mod} exports every declared type`, () => {
    const declared = exportedTypes(fs.readFileSync(path.join(repo, "include/types/perry", mod, "index.d.ts"), "utf8"));
    const ours = fs.readFileSync(path.join(built, `${mod}.d.ts`), "utf8");
    const exported = exportedTypes(ours);
    // ContainerError is a class here (a value and a type).
    if (/export \{ ContainerError \}/.test(ours)) exported.add("ContainerError");
    assert.ok(declared.size > 10, `read ${declared.size} declared types`);
    assert.deepEqual([...declared].filter((n) => !exported.has(n)), [], "declared types the module does not export");
    assert.match(ours, new RegExp(`from "\\.\\./include/types/perry/${mod}/index"|from "\\.\\./include/types/perry/container/index"`));
  });
}
