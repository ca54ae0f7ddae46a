"""What each of the companion's functions costs inside the running proxy and service.

    .venv/bin/python bench/inside.py [--requests 12000] [--share-401 0.05] [--cookies 0.33]

The whole benchmark (`proxy_overhead.py`) reads each process's CPU from outside, and on two
shared cores its rounds range over ±10 %. This one looks inside: it starts `companion serve`
and the proxy as `companion run` does, each with the functions below wrapped to add up the CPU
time of their own thread while they run (`time.thread_time_ns`), drives the same client and
upstream as `proxy_overhead.py`, and prints, for the measured requests only (a warm-up is left
out), each function's total, calls and cost a call, beside each process's whole CPU. The
wrappers cost a little themselves: compare runs of this script with each other, not with the
whole benchmark. Nothing leaves 127.0.0.1.

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
import asyncio, importlib, inspect, json, os, sys, threading, time
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
    parser.add_argument("--json", type=Path, help="also write the results here")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        upstream, api, proxy_port = po.free_port(), po.free_port(), po.free_port()
        outs = {"service": tmpdir / "service.json", "proxy": tmpdir / "proxy.json"}
        procs = [subprocess.Popen([sys.executable, "-c", po.UPSTREAM, str(upstream)])]
        try:
            procs.append(_launch(
                ["serve", "--api-port", str(api), "--data-dir", str(tmpdir / "data")], SERVICE_FUNCTIONS, outs["service"]
            ))  # fmt: skip
            po.wait_port(upstream)
            po.wait_port(api)
            procs.append(_launch(
                ["run", "--listen-host", "127.0.0.1", "--listen-port", str(proxy_port), "--set", f"confdir={tmpdir / 'mitm'}",
                 "--set", "flow_detail=0", "--set", "termlog_verbosity=warn",
                 "--set", f"companion_api=http://127.0.0.1:{api}", "--set", f"companion_data_dir={tmpdir / 'data'}"],
                PROXY_FUNCTIONS, outs["proxy"],
            ))  # fmt: skip
            po.wait_port(proxy_port)
            service, proxy = procs[1], procs[2]
            po.drive(proxy_port, upstream, 1000, options.concurrency, options.share_401, options.cookies)  # warm-up
            time.sleep(1.5)
            before = {name: _tallies(out) for name, out in outs.items()}
            cpu_before = {"service": po.cpu_seconds(service.pid), "proxy": po.cpu_seconds(proxy.pid)}
            po.drive(proxy_port, upstream, options.requests, options.concurrency, options.share_401, options.cookies)
            time.sleep(1.5)  # the last deliveries
            cpu = {name: po.cpu_seconds(p.pid) - cpu_before[name] for name, p in (("service", service), ("proxy", proxy))}
            after = {name: _tallies(out) for name, out in outs.items()}
        finally:
            for proc in reversed(procs):
                proc.terminate()
                proc.wait()

    results: dict = {"requests": options.requests, "share_401": options.share_401, "cookies": options.cookies}
    print(f"{options.requests} requests, {options.share_401:.0%} 401s, {options.cookies:.0%} of 200s setting cookies")
    for name in ("proxy", "service"):
        print(f"\n{name}: {1000 * cpu[name]:.1f} ms of CPU in all")
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
