#!/usr/bin/env python3
"""Reads `go test -json` events on stdin and prints what a person reads of a
plain `go test` run: the output of every failed test, and of every test still
running when its package's binary died, each package's closing line
(ok / FAIL), then one closing line "go: N passed, N failed, N skipped".

Every skipped test is appended, with its reason, to the file named by the
first argument, so `make test` can list all skips at its end.
Exits 1 when a test or a package failed (a build failure included)."""
import json
import sys

skips_path = sys.argv[1] if len(sys.argv) > 1 else None
out = {}        # (package, test) -> output lines
passed = failed = skipped = 0
bad_pkg = False
skips = []
# Passed tests per runtime other than Docker, by the runtime named in the
# test's name (TestRuntimesX/podman-cli, TestRuntimesContract/nerdctl/…).
per_runtime = {"podman": 0, "nerdctl": 0}

for raw in sys.stdin:
    try:
        ev = json.loads(raw)
    except ValueError:
        # Not an event (e.g. a build error printed by go itself): show it.
        sys.stdout.write(raw)
        continue
    pkg, test, action = ev.get("Package", ""), ev.get("Test"), ev.get("Action")
    key = (pkg, test)
    if action == "output":
        line = ev.get("Output", "")
        if test is None:
            # Package-level output: the closing ok/FAIL line, panics, build errors.
            if not line.startswith(("=== ", "PASS\n", "FAIL\n", "testing: warning")) or line.startswith("FAIL\t"):
                sys.stdout.write(line)
        else:
            out.setdefault(key, []).append(line)
    elif action in ("pass", "fail", "skip") and test is not None:
        lines = out.pop(key, [])
        # Subtests are counted with their parents' outcome lines; count leaves
        # and parents alike, as `go test -v` prints one --- line each.
        if action == "pass":
            passed += 1
            for rt in per_runtime:
                if rt in test.lower():
                    per_runtime[rt] += 1
        elif action == "fail":
            failed += 1
            sys.stdout.write("".join(l for l in lines if not l.startswith("=== ")))
        else:
            skipped += 1
            reason = [l.strip() for l in lines if not l.startswith(("=== ", "--- SKIP"))]
            skips.append("%s %s: %s" % (pkg, test, " | ".join(r for r in reason if r) or "(no reason given)"))
    elif action == "fail" and test is None:
        bad_pkg = True
        # Tests of this package that never ended: the binary died under them
        # (a panic in a goroutine, a fatal error, os.Exit). Their output is
        # the only account of why; show it.
        for (p, t) in [k for k in out if k[0] == pkg and k[1] is not None]:
            lines = out.pop((p, t))
            sys.stdout.write("--- %s %s did not finish:\n" % (p, t))
            sys.stdout.write("".join(l for l in lines if not l.startswith("=== ")))
    sys.stdout.flush()

if skips_path:
    with open(skips_path, "a") as f:
        for s in skips:
            f.write(s + "\n")
print("go: %d passed, %d failed, %d skipped" % (passed, failed, skipped))
if any(per_runtime.values()):
    print("go: of the passed, by runtime named in the test: " + ", ".join("%s %d" % kv for kv in per_runtime.items()))
sys.exit(1 if failed or bad_pkg else 0)
