"""What the companion costs the machine, measured side by side: bare mitmdump and the companion
serve the same requests at the same time, in alternating short blocks.

    .venv/bin/python bench/paired.py [--sessions 8] [--blocks 40] [--block 400] [--share-401 0.05] [--pin]

`proxy_overhead.py` runs each proxy alone for a whole round, one after the other. On this
machine's two shared cores the speed of the machine drifts from one round to the next, and a
round's ratio ranges over ±10 %: twenty rounds tell 1.03 from 1.05 barely. Here both proxies
run all along, each session: bare mitmdump, and the companion's proxy (started as
`companion run` starts it) feeding `companion serve`. One client, kept running, sends blocks of
`--block` requests to each in turn (which goes first alternates), the same sequence of paths to
both, so that whatever the machine does during a session it does to both. At the end of a
session, after the last deliveries, each process's CPU time (the scheduler's nanoseconds,
`/proc/<pid>/task/*/schedstat`) gives the session's ratio:

    (companion's proxy + service) / bare mitmdump

`--versus bare` runs bare mitmdump against itself (what the method reads when there is
nothing to find: it should be 1.000); `--versus hooks` against mitmdump with an addon whose
`responseheaders` and `response` hooks return at once, added as `companion run` adds the
companion's (what any addon that looks at responses costs mitmproxy).

`--listen` adds what the extension does while a browser is open: a listener that follows
`GET /api/stream`, so that the service also announces each new event (the badge's feed).

Each session starts fresh processes (a new layout of memory, new hash seeds), so the spread of
the sessions is what one run of the companion may cost against another; the answer is their
median, with the mean and its 95 % interval (t, over sessions). Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import proxy_overhead as po

# A client kept running: each line on its stdin names a proxy port and a number of requests;
# it sends them through that proxy (each proxy sees the same sequence of paths) and answers.
CLIENT = """
import asyncio, sys, aiohttp
upstream, concurrency, share, cookies = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
every = round(1 / share) if share > 0 else 0
every_cookie = round(1 / cookies) if cookies > 0 else 0
async def main():
    loop = asyncio.get_running_loop()
    sessions, sent = {}, {}
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        port, total = map(int, line.split())
        if port not in sessions:
            sessions[port] = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency))
        session, first = sessions[port], sent.get(port, 0)
        counter = iter(range(first, first + total))
        sent[port] = first + total
        async def worker():
            for n in counter:
                path = "/401" if every and n % every == 0 else "/cookie" if every_cookie and n % every_cookie == 1 else "/ok"
                async with session.get(f"{upstream}{path}?n={n}", proxy=f"http://127.0.0.1:{port}") as r:
                    await r.read()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        print("done", flush=True)
    for session in sessions.values():
        await session.close()
asyncio.run(main())
"""


# mitmdump with an addon whose hooks do nothing, added to the master as `companion run` adds
# the companion's addon.
HOOKS_ONLY = """
import sys
from companion.capture import dump
from companion.capture.addon import Companion
class HooksOnly:
    def load(self, loader):
        Companion().load(loader)  # the same options, so the same command line works
    def responseheaders(self, flow):
        pass
    def response(self, flow):
        pass
dump.Companion = HooksOnly
dump.run(sys.argv[1:])
"""


def start_hooks_only(port: int, confdir: Path) -> subprocess.Popen:
    command = [sys.executable, "-c", HOOKS_ONLY, "--listen-host", "127.0.0.1", "--listen-port", str(port),
               "--set", f"confdir={confdir}", "--set", "flow_detail=0", "--set", "termlog_verbosity=warn"]  # fmt: skip
    proc = subprocess.Popen(command, cwd=po.ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    po.pin(proc.pid, proxy=True)
    po.wait_port(port)
    return proc


# A listener on the live stream, as the extension's background keeps one: reads it to the end.
LISTENER = """
import http.client, sys
conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
conn.request("GET", "/api/stream", headers={"Authorization": "Bearer " + sys.argv[2], "Accept": "text/event-stream"})
response = conn.getresponse()
assert response.status == 200, response.status
while response.fp.readline():
    pass
"""


class Client:
    def __init__(self, upstream_port: int, concurrency: int, share: float, cookies: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CLIENT, f"http://localhost:{upstream_port}", str(concurrency), str(share), str(cookies)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, preexec_fn=(lambda: po.pin(0, proxy=False)) if po.PIN else None,
        )  # fmt: skip

    def send(self, port: int, total: int) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{port} {total}\n")
        self.proc.stdin.flush()
        if self.proc.stdout.readline().strip() != "done":
            raise RuntimeError("the client stopped")

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait()


def _interval(values: list[float]) -> tuple[float, float]:
    """The mean's 95 % interval (Student's t)."""
    if len(values) < 2:
        return values[0], values[0]
    t = {1: 12.71, 2: 4.30, 3: 3.18, 4: 2.78, 5: 2.57, 6: 2.45, 7: 2.36, 8: 2.31, 9: 2.26, 10: 2.23, 11: 2.20, 12: 2.18,
         13: 2.16, 14: 2.14, 15: 2.13, 16: 2.12, 17: 2.11, 18: 2.10, 19: 2.09}.get(len(values) - 1, 2.05)  # fmt: skip
    half = t * statistics.stdev(values) / len(values) ** 0.5
    mean = statistics.fmean(values)
    return mean - half, mean + half


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--blocks", type=int, default=40, help="blocks a proxy, each session")
    parser.add_argument("--block", type=int, default=400, help="requests a block")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--share-401", type=float, default=0.05)
    parser.add_argument("--cookies", type=float, default=0.0, help="share of 200s that set cookies")
    parser.add_argument("--pin", action="store_true", help="both proxies on the first CPU, the rest on the others")
    parser.add_argument("--versus", choices=("companion", "bare", "hooks"), default="companion",
                        help="what runs beside bare mitmdump (bare: the method's own error; hooks: an addon doing nothing)")
    parser.add_argument("--listen", action="store_true", help="a listener follows /api/stream, as the extension does")
    parser.add_argument("--json", type=Path, help="also write the results here")
    options = parser.parse_args()
    po.PIN = options.pin

    sessions: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        upstream_port, api_port = po.free_port(), po.free_port()
        upstream = subprocess.Popen([sys.executable, "-c", po.UPSTREAM, str(upstream_port)])
        service = subprocess.Popen(
            [sys.executable, "-m", "companion.cli", "serve", "--api-port", str(api_port), "--data-dir", str(tmpdir / "data")],
            cwd=po.ROOT, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        procs = [upstream, service]
        for proc in procs:
            po.pin(proc.pid, proxy=False)
        client = None
        try:
            po.wait_port(upstream_port)
            po.wait_port(api_port)
            if options.listen:
                token = (tmpdir / "data" / "token").read_text().strip()
                listener = subprocess.Popen([sys.executable, "-c", LISTENER, str(api_port), token])
                po.pin(listener.pid, proxy=False)
                procs.append(listener)
            client = Client(upstream_port, options.concurrency, options.share_401, options.cookies)
            for number in range(options.sessions):
                bare_port, companion_port = po.free_port(), po.free_port()
                bare = po.start_proxy(bare_port, tmpdir / "mitm", False, api_port, tmpdir / "data")
                if options.versus == "hooks":
                    companion = start_hooks_only(companion_port, tmpdir / "mitm")
                else:
                    companion = po.start_proxy(companion_port, tmpdir / "mitm", options.versus == "companion", api_port, tmpdir / "data")
                try:
                    for port in (bare_port, companion_port):
                        client.send(port, 400)  # warm-up
                    time.sleep(1.0)  # the warm-up's deliveries are not this session's
                    pids = {"bare": bare.pid, "proxy": companion.pid, "service": service.pid}
                    before = {name: po.cpu_seconds(pid) for name, pid in pids.items()}
                    for block in range(options.blocks):
                        for port in (bare_port, companion_port) if block % 2 == 0 else (companion_port, bare_port):
                            client.send(port, options.block)
                    time.sleep(1.5)  # the last deliveries are handled after the last response
                    spent = {name: po.cpu_seconds(pid) - before[name] for name, pid in pids.items()}
                finally:
                    for proc in (bare, companion):
                        proc.terminate()
                        proc.wait()
                ratio = (spent["proxy"] + spent["service"]) / spent["bare"]
                sessions.append({**{f"{name}_s": value for name, value in spent.items()}, "ratio": ratio})
                print(
                    f"session {number + 1}: bare {spent['bare']:.2f} s, proxy {spent['proxy']:.2f} s, service"
                    f" {spent['service']:.3f} s: companion / bare {ratio:.3f}, proxy alone {spent['proxy'] / spent['bare']:.3f}",
                    flush=True,
                )
        finally:
            if client is not None:
                client.close()
            for proc in reversed(procs):
                proc.terminate()
                proc.wait()

    ratios = [s["ratio"] for s in sessions]
    proxy_ratios = [s["proxy_s"] / s["bare_s"] for s in sessions]
    shares = [s["service_s"] / s["bare_s"] for s in sessions]
    low, high = _interval(ratios)
    requests = options.blocks * options.block
    print(f"\n{options.sessions} sessions of {requests} requests through each proxy, {options.share_401:.0%} 401s"
          + (f", {options.cookies:.0%} of 200s setting cookies" if options.cookies else "")
          + (", a listener on /api/stream" if options.listen else ""))  # fmt: skip
    print(f"companion / bare mitmdump: median {statistics.median(ratios):.3f}, mean {statistics.fmean(ratios):.3f}"
          f" (95 % interval {low:.3f}–{high:.3f}), sessions {min(ratios):.3f}–{max(ratios):.3f}")  # fmt: skip
    print(f"  the proxy alone: median {statistics.median(proxy_ratios):.3f}; the service: {statistics.median(shares):.1%} of bare's CPU")
    print(f"  bare mitmdump: {1000 * statistics.median(s['bare_s'] for s in sessions) / requests:.3f} ms of CPU a request")
    if options.json:
        options.json.write_text(json.dumps({"options": vars(options) | {"json": str(options.json)}, "sessions": sessions}, indent=2))


if __name__ == "__main__":
    main()
