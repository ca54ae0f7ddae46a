"""What the companion costs the machine: CPU per request through mitmdump with and without it.

    .venv/bin/python bench/proxy_overhead.py [--requests 2000] [--rounds 5] [--share-401 0.05]

Baseline: bare mitmdump. Measured in the same run, in alternating rounds (the order rotates
each round), against a local aiohttp upstream on loopback: a fixed number of requests sent
with fixed concurrency by a client in its own process. Measures, each also as a ratio to the
baseline of the same round (the machine is shared and noisy: absolute numbers mean little,
the ratio within a round means more; the median of the rounds is the answer, the spread is
the lowest and highest round):

- throughput: requests per second through the proxy (noisy; the client shares the cores);
- proxy CPU: CPU time the mitmdump process spent per request (from /proc), which the other
  processes on the machine (client, upstream) do not blur;
- companion CPU: the same plus the CPU time of the `companion serve` process in that round:
  what the companion as a whole costs the machine per request, beside bare mitmdump's.

Five proxies: bare mitmdump; mitmdump with a script that does nothing (what loading any
addon costs mitmproxy: the floor); with the companion's addon feeding a running
`companion serve`; with the addon and the service down (captures wait in the bounded buffer
and are dropped); with the addon feeding a service that keeps nothing (it reads each
delivery on the same socket and answers it, without validating, diagnosing or storing: what
capturing and delivering cost before the service does any of its work). Three mixes of
responses: all 200; a share of 401s; the same share of 401s with a third of the 200s setting
cookies (real browsing has many). Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

UPSTREAM = """
import sys
from aiohttp import web
async def ok(request):
    return web.Response(text="ok " * 100)
async def unauthorized(request):
    return web.json_response({"error": "invalid_token", "error_description": "The access token expired"}, status=401,
        headers={"WWW-Authenticate": 'Bearer realm="bench", error="invalid_token"'})
app = web.Application()
app.router.add_get("/ok", ok)
app.router.add_get("/401", unauthorized)
async def cookie(request):
    response = web.Response(text="ok " * 100)
    response.headers.add("Set-Cookie", "session=" + "a" * 32 + "; Path=/; HttpOnly; Secure; SameSite=Lax")
    response.headers.add("Set-Cookie", "_ga=GA1.1.12345.67890; Domain=localhost; Path=/; Max-Age=63072000")
    return response
app.router.add_get("/cookie", cookie)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""

NULL_SERVICE = """
import json, sys
from aiohttp import WSMsgType, web
async def ingest(request):
    socket = web.WebSocketResponse(max_msg_size=1 << 24, compress=False)
    await socket.prepare(request)
    async for message in socket:
        if message.type == WSMsgType.TEXT:
            count = len(json.loads(message.data)["exchanges"])
            await socket.send_str('{"stored":%d,"duplicates":0,"refused":[]}' % count)
    return socket
app = web.Application()
app.router.add_get("/api/ingest", ingest)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""
"""A service that keeps nothing: each delivery read (as JSON) and answered, nothing else."""

CLIENT = """
import asyncio, sys, time, aiohttp
proxy, upstream, total, concurrency, share = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
cookies = float(sys.argv[6]) if len(sys.argv) > 6 else 0.0  # share of 200s that set cookies
every = round(1 / share) if share > 0 else 0
every_cookie = round(1 / cookies) if cookies > 0 else 0
async def main():
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        counter = iter(range(total))
        statuses = {}
        async def worker():
            for n in counter:
                path = "/401" if every and n % every == 0 else "/cookie" if every_cookie and n % every_cookie == 1 else "/ok"
                async with session.get(f"{upstream}{path}?n={n}", proxy=proxy) as r:
                    await r.read()
                    statuses[r.status] = statuses.get(r.status, 0) + 1
        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        print(time.perf_counter() - start, statuses)
asyncio.run(main())
"""


PROXIES = (
    # (name, script, service: the companion's, one that keeps nothing, or none)
    ("bare mitmdump (baseline)", None, None),
    ("a script doing nothing", "nothing", None),
    ("addon, service up", "companion", "companion"),
    ("addon, service down", "companion", None),
    ("addon, service keeps nothing", "companion", "null"),
)
NOTHING = "class Nothing:\n    pass\n\naddons = [Nothing()]\n"
MIXES = (
    # (label, share of 401s or None for --share-401, share of 200s that set cookies)
    ("all 200", 0.0, 0.0),
    ("401s", None, 0.0),
    ("401s + Set-Cookie 200s", None, 1 / 3),
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"port {port} did not open")


PIN = False
"""`--pin`: the proxy alone on the first CPU, every other process (client, upstream, service) on
the others, so that what they do does not land on the proxy's core and blur its CPU time."""


def pin(pid: int, proxy: bool) -> None:
    if PIN:
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(pid, {cpus[0]} if proxy else set(cpus[1:]))


SCRIPT_LOADED = False
"""`--script`: load the companion's addon as a user's own `mitmdump -s companion/addon.py` does,
instead of as `companion run` does (added to mitmdump's master directly)."""


def start_proxy(port: int, confdir: Path, addon: bool | Path, api_port: int, data_dir: Path) -> subprocess.Popen:
    """mitmdump on `port`: bare, with the companion's addon (`addon=True`: as `companion run`
    starts it, or as a `-s` script with `--script`), or with the script at `addon` (a path)."""
    mitmdump = [sys.executable, "-c", "from mitmproxy.tools.main import mitmdump; mitmdump()"]
    direct = addon is True and not SCRIPT_LOADED
    command = [
        *([sys.executable, "-m", "companion.capture.dump"] if direct else mitmdump),
        "--listen-host", "127.0.0.1", "--listen-port", str(port), "--set", f"confdir={confdir}",
        "--set", "flow_detail=0", "--set", "termlog_verbosity=warn",
    ]  # fmt: skip
    if isinstance(addon, Path):
        command += ["-s", str(addon)]
    elif addon:
        command += [] if direct else ["-s", str(ROOT / "companion" / "addon.py")]
        command += ["--set", f"companion_api=http://127.0.0.1:{api_port}", "--set", f"companion_data_dir={data_dir}"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pin(proc.pid, proxy=True)
    wait_port(port)
    return proc


@dataclass
class Parts:
    """The companion's parts on loopback, for a benchmark: an upstream that answers /ok and
    /401, `companion serve`, and mitmdump with the addon."""

    upstream_port: int
    api_port: int
    proxy_port: int
    token: str


@contextmanager
def companion_parts() -> Iterator[Parts]:
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        upstream_port, api_port, proxy_port = free_port(), free_port(), free_port()
        procs = [subprocess.Popen([sys.executable, "-c", UPSTREAM, str(upstream_port)])]
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "companion.cli", "serve", "--api-port", str(api_port), "--data-dir", str(tmpdir / "data")],
            cwd=ROOT, stdout=subprocess.DEVNULL,
        ))  # fmt: skip
        try:
            wait_port(upstream_port)
            wait_port(api_port)
            token = (tmpdir / "data" / "token").read_text().strip()
            procs.append(start_proxy(proxy_port, tmpdir / "mitm", True, api_port, tmpdir / "data"))
            yield Parts(upstream_port, api_port, proxy_port, token)
        finally:
            for proc in reversed(procs):
                proc.terminate()
                proc.wait()


def cpu_seconds(pid: int) -> float:
    """CPU time of `pid` so far, in seconds, summed over its threads from the scheduler's own
    nanosecond count (`/proc/<pid>/task/*/schedstat`). The user + system ticks of
    `/proc/<pid>/stat` count hundredths of a second: a service that spends 50 ms in a round
    reads 4, 5 or 6 of them. Falls back to the ticks where the kernel keeps no schedstat."""
    total, found = 0, False
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        tasks = []
    for task in tasks:
        try:
            total += int((task / "schedstat").read_text().split()[0])
            found = True
        except (OSError, ValueError, IndexError):
            continue  # a thread that ended meanwhile
    if found:
        return total / 1e9
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def drive(proxy_port: int, upstream_port: int, total: int, concurrency: int, share: float, cookies: float = 0.0) -> float:
    out = subprocess.run(
        [sys.executable, "-c", CLIENT, f"http://127.0.0.1:{proxy_port}", f"http://localhost:{upstream_port}",
         str(total), str(concurrency), str(share), str(cookies)],
        capture_output=True, text=True, check=True, preexec_fn=(lambda: pin(0, proxy=False)) if PIN else None,
    ).stdout.split(" ", 1)  # fmt: skip
    return total / float(out[0])


def _ratios(run: list[float], base: list[float]) -> list[float]:
    return [a / b for a, b in zip(run, base, strict=True)]


def _spread(values: list[float]) -> str:
    return f"{min(values):.2f}–{max(values):.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--share-401", type=float, default=0.05, help="share of requests answered 401 (0 to 1)")
    parser.add_argument("--mixes", default="all", help="which mixes, by number (1,2,3) or all")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--pin", action="store_true", help="the proxy alone on one CPU, the rest on the others (less noise)")
    parser.add_argument(
        "--proxies",
        default="all",
        help="which proxies, by number (1: bare, 2: a script doing nothing, 3: service up, 4: service down,"
        " 5: a service that keeps nothing) or all",
    )
    parser.add_argument("--script", action="store_true", help="load the addon with -s (a user's own mitmdump), not as companion run does")
    args = parser.parse_args()
    global SCRIPT_LOADED, PIN
    SCRIPT_LOADED, PIN = args.script, args.pin
    proxies = PROXIES if args.proxies == "all" else tuple(PROXIES[int(n) - 1] for n in sorted({"1", *args.proxies.split(",")}))
    chosen = range(len(MIXES)) if args.mixes == "all" else [int(n) - 1 for n in args.mixes.split(",")]
    mixes = [(label, args.share_401 if share is None else share, cookies) for label, share, cookies in (MIXES[n] for n in chosen)]

    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        nothing = tmpdir / "nothing.py"
        nothing.write_text(NOTHING)
        upstream_port, api_port, null_port = free_port(), free_port(), free_port()
        upstream = subprocess.Popen([sys.executable, "-c", UPSTREAM, str(upstream_port)])
        service = subprocess.Popen(
            [sys.executable, "-m", "companion.cli", "serve", "--api-port", str(api_port), "--data-dir", str(tmpdir / "data")],
            cwd=ROOT, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        null_service = subprocess.Popen([sys.executable, "-c", NULL_SERVICE, str(null_port)])
        (tmpdir / "null").mkdir(mode=0o700)
        (tmpdir / "null" / "token").write_text("null-service-token\n")
        (tmpdir / "null" / "token").chmod(0o600)
        procs = [upstream, service, null_service]
        for proc in procs:
            pin(proc.pid, proxy=False)
        services = {"companion": (service, api_port, tmpdir / "data"), "null": (null_service, null_port, tmpdir / "null")}
        try:
            wait_port(upstream_port)
            wait_port(api_port)
            wait_port(null_port)
            dead_port = free_port()  # nothing listens: the "service down" case
            results: dict[str, dict[str, dict[str, list[float]]]] = {}
            for label, share, cookies in mixes:
                label = f"{share:.0%} 401s" + (f", {cookies:.0%} of 200s set cookies" if cookies else "")
                runs: dict[str, dict[str, list[float]]] = {
                    name: {"rps": [], "cpu_ms": [], "service_ms": [], "all_cpu_ms": []} for name, _, _ in proxies
                }
                for round_no in range(args.rounds):
                    order = proxies[round_no % len(proxies) :] + proxies[: round_no % len(proxies)]
                    for name, script, fed in order:
                        port = free_port()
                        addon: bool | Path = nothing if script == "nothing" else script == "companion"
                        feeds, feeds_port, data_dir = services[fed] if fed else (None, dead_port, tmpdir / "data")
                        proxy = start_proxy(port, tmpdir / "mitm", addon, feeds_port, data_dir)
                        try:
                            drive(port, upstream_port, min(300, args.requests), args.concurrency, share, cookies)  # warm-up
                            time.sleep(0.5)  # the warm-up's deliveries are not this round's
                            before, service_before = cpu_seconds(proxy.pid), cpu_seconds(feeds.pid) if feeds else 0.0
                            runs[name]["rps"].append(drive(port, upstream_port, args.requests, args.concurrency, share, cookies))
                            time.sleep(1.0)  # the last deliveries are handled after the last response
                            proxy_ms = (cpu_seconds(proxy.pid) - before) * 1000 / args.requests
                            # The service's CPU counts in every round (it runs all along), but only
                            # the companion's own proxy feeds it.
                            service_ms = (cpu_seconds(feeds.pid) - service_before) * 1000 / args.requests if feeds else 0.0
                            runs[name]["cpu_ms"].append(proxy_ms)
                            runs[name]["service_ms"].append(service_ms)
                            runs[name]["all_cpu_ms"].append(proxy_ms + service_ms)
                        finally:
                            proxy.terminate()
                            proxy.wait()
                results[label] = runs
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait()

    print(f"{args.requests} requests a round, {args.rounds} rounds, concurrency {args.concurrency}, loopback")
    print("ratios to bare mitmdump in the same round: median (lowest–highest round)\n")
    print(
        f"{'mix':<34} {'proxy':<26} {'req/s':>6} {'proxy CPU ms/req':>17} {'ratio':>5} {'(spread)':>11}"
        f" {'service ms/req':>15} {'companion ms/req':>17} {'ratio':>5} {'(spread)':>11}"
    )
    summary: dict[str, dict] = {}
    for label, runs in results.items():
        base = runs[PROXIES[0][0]]
        for name in runs:
            run = runs[name]
            rps_ratio = statistics.median(_ratios(run["rps"], base["rps"]))
            cpu_ratios = _ratios(run["cpu_ms"], base["cpu_ms"])
            all_ratios = _ratios(run["all_cpu_ms"], base["cpu_ms"])
            summary.setdefault(label, {})[name] = {
                "rps": statistics.median(run["rps"]), "cpu_ms_per_request": statistics.median(run["cpu_ms"]),
                "throughput_ratio": rps_ratio, "cpu_ratio": statistics.median(cpu_ratios),
                "service_cpu_ms_per_request": statistics.median(run["service_ms"]),
                "companion_cpu_ms_per_request": statistics.median(run["all_cpu_ms"]),
                "companion_cpu_ratio": statistics.median(all_ratios),
                "companion_cpu_ratio_spread": [min(all_ratios), max(all_ratios)], "rounds": run,
            }  # fmt: skip
            print(
                f"{label:<34} {name:<26} {statistics.median(run['rps']):>6.0f}"
                f" {statistics.median(run['cpu_ms']):>17.3f} {statistics.median(cpu_ratios):>5.2f} {_spread(cpu_ratios):>11}"
                f" {statistics.median(run['service_ms']):>15.3f} {statistics.median(run['all_cpu_ms']):>17.3f}"
                f" {statistics.median(all_ratios):>5.2f} {_spread(all_ratios):>11}"
            )
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
