#!/usr/bin/env python3
"""A second runtime loading libperrycontainer.so with dlopen (ctypes): a real
C callback, run -> inspect -> logs -> stop -> remove, the error envelope, and
cancelling an in-flight call by its ctx (on the fake).

Usage: python_host.py path/to/libperrycontainer.so  (PERRY_CONTAINER_BACKEND
selects the backend; the C harness covers the rest of the ABI).
"""
import ctypes
import json
import os
import re
import sys
import threading

lib = ctypes.CDLL(sys.argv[1])
CB = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int32, ctypes.c_char_p, ctypes.c_size_t)
lib.js_container_abi_version.restype = ctypes.c_char_p
lib.js_container_getBackend.restype = ctypes.c_void_p
lib.js_container_shutdown.restype = ctypes.c_void_p
lib.js_container_free.argtypes = [ctypes.c_void_p]
lib.js_container_cancel.argtypes = [ctypes.c_void_p]
lib.js_container_cancel.restype = None
for name, nargs in [("js_container_run", 1), ("js_container_inspect", 1), ("js_container_logs", 2),
                    ("js_container_stop", 2), ("js_container_remove", 2), ("js_container_pullImage", 1),
                    ("js_container_composeUp", 1), ("js_container_list", 1)]:
    getattr(lib, name).argtypes = [ctypes.c_char_p] * nargs + [CB, ctypes.c_void_p]
    getattr(lib, name).restype = ctypes.c_int32

pending = {}
lock = threading.Lock()
counter = [0]


@CB
def on_complete(ctx, status, data, length):
    # ctypes hands us a copy of the bytes; the library's buffer is freed after we return.
    with lock:
        slot = pending[ctx]
    slot["calls"] += 1
    slot["status"] = status
    slot["json"] = json.loads(data[:length].decode("utf-8"))
    slot["event"].set()


def start(fn, *args):
    """Schedules fn; returns its ctx key (what js_container_cancel takes)."""
    with lock:
        counter[0] += 1
        key = counter[0]
        pending[key] = {"event": threading.Event(), "calls": 0}
    rc = fn(*[a.encode() if isinstance(a, str) else a for a in args], on_complete, key)
    assert rc == 0, f"{fn.__name__} not scheduled: {rc}"
    return key


def finish(fn, key):
    slot = pending[key]
    assert slot["event"].wait(60), f"{fn.__name__}: callback never fired"
    assert slot["calls"] == 1, f"{fn.__name__}: callback fired {slot['calls']} times"
    return slot["status"], slot["json"]


def call(fn, *args):
    return finish(fn, start(fn, *args))


passed = failed = 0


def check(cond, what, got=None):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {what}: {got}", file=sys.stderr)


header = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "include", "perry_container.h")
with open(header) as f:
    want = re.search(r'#define PERRY_CONTAINER_ABI_VERSION "([^"]+)"', f.read()).group(1)
check(lib.js_container_abi_version() == want.encode(), "abi version is the header's", lib.js_container_abi_version())
p = lib.js_container_getBackend()
info = json.loads(ctypes.string_at(p).decode())
lib.js_container_free(p)
check(info["ok"], "getBackend", info)

image = "perry-test/busybox:latest"
if info.get("result", {}).get("name") == "fake":
    call(lib.js_container_pullImage, image)
st, r = call(lib.js_container_run, json.dumps({"image": image, "cmd": ["sh", "-c", "echo from python; sleep 60"],
                                               "labels": {"perry.test": "1"}}))
check(st == 0 and r["ok"], "run", r)
cid = r["result"]["id"]
st, r = call(lib.js_container_inspect, cid)
check(r["ok"] and r["result"]["state"] == "running", "inspect shows running", r)
st, r = call(lib.js_container_logs, cid, None)
check(r["ok"] and "from python" in r["result"]["stdout"], "logs", r)
st, r = call(lib.js_container_stop, cid, "0")
check(r["ok"], "stop", r)
st, r = call(lib.js_container_remove, cid, "true")
check(r["ok"], "remove", r)
st, r = call(lib.js_container_inspect, cid)
check(st == 404 and r["error"]["kind"] == "NotFound" and cid in r["error"]["message"], "inspect after remove", r)
st, r = call(lib.js_container_run, '{"image": 5}')
check(st == 400 and r["error"]["kind"] == "InvalidArgument", "bad spec", r)

if info.get("result", {}).get("name") == "fake":
    # An up that cannot finish (app waits for a job that never completes),
    # cancelled by its ctx: Cancelled (499), once, and nothing left behind.
    spec = {"name": f"perrytest-py-cancel-{os.getpid()}", "services": {
        "job": {"image": image, "command": ["sleep", "100"], "labels": {"perry.test": "1"}},
        "app": {"image": image, "command": ["sleep", "100"], "labels": {"perry.test": "1"},
                "depends_on": {"job": {"condition": "service_completed_successfully"}}}}}
    key = start(lib.js_container_composeUp, json.dumps(spec))
    lib.js_container_cancel(key)
    st, r = finish(lib.js_container_composeUp, key)
    check(st == 499 and r["error"]["kind"] == "Cancelled", "cancelled up answers Cancelled", r)
    lib.js_container_cancel(key)  # finished: a no-op
    st, r = call(lib.js_container_list, "true")
    check(r["ok"] and not any(spec["name"] in c["name"] for c in r["result"]), "a cancelled up leaves nothing", r)

p = lib.js_container_shutdown(5000, 1)
lib.js_container_free(p)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
