"""What each of the companion's functions costs inside the running proxy and service.

    .venv/bin/python bench/inside.py [--requests 12000] [--share-401 0.05] [--cookies 0.33]
    .venv/bin/python bench/inside.py --bare      # bare mitmdump under the same load, for its GC

The whole benchmark (`proxy_overhead.py`) reads each process's CPU from outside, and on two
shared cores its rounds range over ±10 %. This one looks inside: it starts `companion serve`
and the proxy as `companion run` does, each with the functions below wrapped to add up the CPU
time of their own thread while they run (`time.thread_time_ns`), drives the same client and
upstream as `proxy_overhead.py`, and prints, for the measured requests only (a warm-up is left
out), each function's total, calls and cost a call, beside each process's whole CPU. The
wrappers cost a little themselves: compare runs of this script with each other, not with the
whole benchmark. Nothing leaves 127.0.0.1.

Each process's cyclic garbage collector is tallied the same way, by generation (`gc.callbacks`):
its work is the proxy's and the service's too, and none of the functions above sees it.
`--bare` runs bare mitmdump alone under the same load, to compare.

A function awaited (`async`) is charged its thread's CPU until it returns, other tasks' work
on that loop included.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import proxy_overhead as po

PROXY_FUNCTIONS = (
    "companion.capture.addon:Companion.response",
    "companion.capture.addon:Companion._remember_success",
    "companion.capture.addon:catch",
    "companion.capture.addon:take",
    "companion.capture.addon:finish",
    "companion.capture.addon:Companion._replay",
    "companion.capture.memory:SiteMemory.context",
    "companion.capture.sender:Sender.submit",
    "companion.capture.sender:Sender._built",
    "companion.capture.sender:_encoded",
)
SERVICE_FUNCTIONS = (
    "companion.service.handlers:_delivery",
    "companion.service.pipeline:Delivery.model_validate_json",
    "companion.service.pipeline:diagnose",
    "companion.service.rows:Packer.pack",
    "companion.service.store:Store._now",
)

# Run in each child: wrap the named functions, write the tallies to $INSIDE_OUT twice a
# second, then run the process's own entry point.
LAUNCHER = r"""
import asyncio, gc, importlib, inspect, json, os, sys, threading, time
from collections import defaultdict
spent, calls = defaultdict(int), defaultdict(int)

def timed(fn, label):
    if inspect.iscoroutinefunction(fn):
        async def wrapper(*args, **kwargs):
            start = time.thread_time_ns()
            try:
                return await fn(*args, **kwargs)
            finally:
                spent[label] += time.thread_time_ns() - start
                calls[label] += 1
    else:
        def wrapper(*args, **kwargs):
            start = time.thread_time_ns()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[label] += time.thread_time_ns() - start
                calls[label] += 1
    return wrapper

for target in json.loads(os.environ["INSIDE_FUNCTIONS"]):
    module_name, _, path = target.partition(":")
    owner = importlib.import_module(module_name)
    *parents, name = path.split(".")
    for parent in parents:
        owner = getattr(owner, parent)
    original = inspect.getattr_static(owner, name)
    if isinstance(original, classmethod):
        bound = getattr(owner, name)
        setattr(owner, name, timed(bound, path))  # called on the class, as a classmethod is
    else:
        setattr(owner, name, timed(original, path))

# The cyclic garbage collector's own time, by generation: work the functions above do not see.
gc_started = {}
def on_gc(phase, info):
    if phase == "start":
        gc_started[threading.get_ident()] = time.thread_time_ns()
    else:
        label = f"gc: generation {info['generation']}"
        spent[label] += time.thread_time_ns() - gc_started.pop(threading.get_ident(), time.thread_time_ns())
        calls[label] += 1
gc.callbacks.append(on_gc)

def write():
    while True:
        time.sleep(0.5)
        with open(os.environ["INSIDE_OUT"] + ".tmp", "w") as out:
            json.dump({"spent": spent, "calls": calls}, out)
        os.replace(os.environ["INSIDE_OUT"] + ".tmp", os.environ["INSIDE_OUT"])

threading.Thread(target=write, daemon=True).start()
if sys.argv[1] == "serve":
    from companion.cli import main
    sys.argv = ["companion", *sys.argv[1:]]
    sys.exit(main())
if sys.argv[1] == "mitmdump":  # bare, for its garbage collector beside the companion's
    from mitmproxy.tools.main import mitmdump
    sys.argv = ["mitmdump", *sys.argv[2:]]
    sys.exit(mitmdump())
from companion.capture.dump import run
run(sys.argv[2:])
"""


def _tallies(path: Path) -> dict:
    for _ in range(50):
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            time.sleep(0.1)
    raise RuntimeError(f"no tallies in {path}")


def _launch(args: list[str], functions: tuple[str, ...], out: Path) -> subprocess.Popen:
    env = dict(os.environ, INSIDE_FUNCTIONS=json.dumps(functions), INSIDE_OUT=str(out))
    return subprocess.Popen([sys.executable, "-c", LAUNCHER, *args], cwd=po.ROOT, env=env, stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=12000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--share-401", type=float, default=0.05)
    parser.add_argument("--cookies", type=float, default=0.0, help="share of 200s that set cookies")
    parser.add_argument("--bare", action="store_true",
                        help="bare mitmdump instead of the companion, no service: its CPU and garbage collector alone")
    parser.add_argument("--json", type=Path, help="also write the results here")
    options = parser.parse_args()
    names = ("proxy",) if options.bare else ("proxy", "service")

    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        upstream, api, proxy_port = po.free_port(), po.free_port(), po.free_port()
        outs = {"service": tmpdir / "service.json", "proxy": tmpdir / "proxy.json"}
        procs = [subprocess.Popen([sys.executable, "-c", po.UPSTREAM, str(upstream)])]
        proxy_args = ["--listen-host", "127.0.0.1", "--listen-port", str(proxy_port), "--set", f"confdir={tmpdir / 'mitm'}",
                      "--set", "flow_detail=0", "--set", "termlog_verbosity=warn"]  # fmt: skip
        try:
            running = {}
            if options.bare:
                running["proxy"] = _launch(["mitmdump", *proxy_args], (), outs["proxy"])
            else:
                running["service"] = _launch(
                    ["serve", "--api-port", str(api), "--data-dir", str(tmpdir / "data")], SERVICE_FUNCTIONS, outs["service"]
                )  # fmt: skip
                po.wait_port(api)
                running["proxy"] = _launch(
                    ["run", *proxy_args, "--set", f"companion_api=http://127.0.0.1:{api}", "--set", f"companion_data_dir={tmpdir / 'data'}"],
                    PROXY_FUNCTIONS, outs["proxy"],
                )  # fmt: skip
            procs.extend(running.values())
            po.wait_port(upstream)
            po.wait_port(proxy_port)
            po.drive(proxy_port, upstream, 1000, options.concurrency, options.share_401, options.cookies)  # warm-up
            time.sleep(1.5)
            before = {name: _tallies(outs[name]) for name in names}
            cpu_before = {name: po.cpu_seconds(proc.pid) for name, proc in running.items()}
            po.drive(proxy_port, upstream, options.requests, options.concurrency, options.share_401, options.cookies)
            time.sleep(1.5)  # the last deliveries
            cpu = {name: po.cpu_seconds(proc.pid) - cpu_before[name] for name, proc in running.items()}
            after = {name: _tallies(outs[name]) for name in names}
        finally:
            for proc in reversed(procs):
                proc.terminate()
                proc.wait()

    results: dict = {"requests": options.requests, "share_401": options.share_401, "cookies": options.cookies}
    print(f"{options.requests} requests, {options.share_401:.0%} 401s, {options.cookies:.0%} of 200s setting cookies")
    for name in names:
        print(f"\n{'bare mitmdump' if options.bare else name}: {1000 * cpu[name]:.1f} ms of CPU in all")
        rows = {}
        for label, total in after[name]["spent"].items():
            spent = (total - before[name]["spent"].get(label, 0)) / 1e6
            calls = after[name]["calls"][label] - before[name]["calls"].get(label, 0)
            rows[label] = {"ms": spent, "calls": calls}
            print(f"  {label:<36} {spent:8.1f} ms {calls:7d} calls {1000 * spent / max(calls, 1):8.1f} µs a call")
        results[name] = {"cpu_ms": 1000 * cpu[name], "functions": rows}
    if options.json:
        options.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
