"""The event store with many events: size on disk, the API's answer times, the service's memory.

    .venv/bin/python bench/store_scale.py [--events 100000] [--sites 1000] [--queries 200] [--json out.json]

Fills a store in a temporary folder with `--events` diagnosed events, as the service stores
them: realistic captured exchanges of four kinds (an expired bearer token with a JSON error,
a request without credentials, an expired session cookie with Set-Cookie lines, rejected
Basic credentials), spread over `--sites` sites, a third of them requested by another site's
page. Then it starts a real `companion serve` on that store and times, over HTTP with the
token, what the popup, the event list and the CLI ask:

- the newest 50 of one site (the popup, whole events; and as summaries), of a site with none;
- the newest 100 of all, as summaries (the event list) and whole;
- filtered by one cause, by two causes, by 407s, by text (`q=`, common and rare), by the last hour;
- a page deep in the history (`before=`, from a `next` 20 pages down);
- `GET /api/stats`, and the HAR export of 500 events.

Reported: bytes per event on disk (database, WAL and SHM together), p50 and p95 of each
query in ms, and the service's resident memory after the queries and at its peak (from
/proc). Nothing leaves this machine. The targets (issue 9) are printed beside the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mitmproxy.http import Response  # noqa: E402
from mitmproxy.test import tflow  # noqa: E402

from companion.capture import Companion  # noqa: E402
from companion.service.pipeline import _storable  # noqa: E402
from companion.service.store import DB_FILE, Retention, Store  # noqa: E402
from tests.conftest import free_port, wait_port  # noqa: E402

TARGETS = {"bytes_per_event": 2048, "site_filter": 10.0, "all_summary": 10.0, "rss_mb": 150}


def _captured(status: int, request_headers: dict[str, str], body: bytes, response_headers: dict[str, str], path: str) -> dict:
    flow = tflow.tflow(resp=True)
    flow.request.url = f"https://api.example.com{path}"
    for name, value in request_headers.items():
        flow.request.headers[name] = value
    flow.response = Response.make(status, body, response_headers)
    return Companion().capture(flow)


def templates() -> list[dict]:
    """Four kinds of 401 as the addon captures them (redacted there, as always)."""
    browser = {
        "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        "Accept": "application/json", "Accept-Language": "en-US,en;q=0.9", "Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "cors",
    }  # fmt: skip
    return [
        _captured(
            401, {**browser, "Authorization": "Bearer opaque-token-0a1b2c3d4e5f6a7b8c9d", "Cookie": "_ga=GA1.1.1.1; sid=abcdefabcdefabcdef"},
            b'{"error": "invalid_token", "error_description": "The access token expired"}',
            {"WWW-Authenticate": 'Bearer realm="api", error="invalid_token"', "Content-Type": "application/json"}, "/v1/orders?page=2",
        ),
        _captured(401, browser, b'{"message": "Unauthorized"}', {"WWW-Authenticate": 'Bearer realm="api"', "Content-Type": "application/json"}, "/v1/me"),
        _captured(
            401, {**browser, "Cookie": "session=8f7e6d5c4b3a29180f7e6d5c4b3a2918; theme=dark"}, b"<html><body>Session expired</body></html>",
            {"Set-Cookie": "session=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Lax", "Content-Type": "text/html"}, "/account/settings",
        ),
        _captured(
            401, {**browser, "Authorization": "Basic YWxpY2U6d3JvbmctcGFzc3dvcmQ="}, b"Bad credentials",
            {"WWW-Authenticate": 'Basic realm="intranet", charset="UTF-8"', "Content-Type": "text/plain"}, "/reports/2026/q3",
        ),
    ]


async def fill(store: Store, count: int, sites: int) -> tuple[float, dict[str, int]]:
    kinds = templates()
    rng = random.Random(401)
    started = time.perf_counter()
    now = time.time()
    batch = []
    causes: dict[str, int] = {}
    for n in range(count):
        base = kinds[n % len(kinds)]
        site = rng.randrange(sites)
        host = f"api.site{site}.example"
        initiator = f"https://www.site{(site + 1) % sites}.example" if n % 3 == 0 else None
        path = base["path"] + (f"/needle-{n}" if n % 10_000 == 5 else f"/{n % 97}")
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now - (count - n) * 2)) + "Z"
        exchange = {
            **base, "flow_id": f"f{n}", "host": host, "url": f"https://{host}{path}", "path": path, "time": stamp,
            "initiator": initiator, "status": 407 if n % 500 == 7 else 401,
        }  # fmt: skip
        event, row = _storable(exchange, store)
        causes[event.diagnosis.cause] = causes.get(event.diagnosis.cause, 0) + 1
        batch.append(row)
        if len(batch) == 500:
            await store.add_many(batch)
            batch = []
    if batch:
        await store.add_many(batch)
    return time.perf_counter() - started, causes


class Api:
    def __init__(self, port: int, token: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, params: dict[str, Any] | None = None) -> tuple[float, bytes]:
        target = path + ("?" + urlencode(params, doseq=True) if params else "")
        started = time.perf_counter()
        self.conn.request("GET", target, headers=self.headers)
        response = self.conn.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != 200:
            raise RuntimeError(f"{target}: {response.status} {body[:300]!r}")
        return elapsed, body


def timed(api: Api, path: str, params: dict[str, Any] | list[dict[str, Any]], repeat: int) -> dict[str, float]:
    choices = params if isinstance(params, list) else [params]
    api.get(path, choices[0])  # warm
    times = sorted(api.get(path, choices[n % len(choices)])[0] for n in range(repeat))
    return {"p50_ms": statistics.median(times), "p95_ms": times[max(0, int(len(times) * 0.95) - 1)]}


def rss_mb(pid: int) -> tuple[float, float]:
    """(resident now, peak resident) of a process, in MB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def measure(data_dir: Path, args: argparse.Namespace, causes: dict[str, int]) -> dict[str, Any]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "companion.cli", "serve", "--data-dir", str(data_dir), "--api-port", str(port),
         "--keep", str(max(args.events, 10_000)), "--keep-days", "0"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        wait_port(port, proc, timeout=120)
        api = Api(port, (data_dir / "token").read_text().strip())
        n = args.queries
        busy = sorted(causes, key=lambda c: -causes[c])
        sites = [{"site": f"site{k}.example"} for k in range(0, args.sites, max(1, args.sites // 50))]
        deep = None
        params: dict[str, Any] = {"limit": 100, "fields": "summary"}
        for _ in range(20):
            page = json.loads(api.get("/api/events", params)[1])
            deep = page["next"]
            params = {"limit": 100, "fields": "summary", "before": deep}
        hour_ago = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600))
        result: dict[str, Any] = {
            "site_filter": timed(api, "/api/events", [{**s, "limit": 50} for s in sites], n),
            "site_filter_summary": timed(api, "/api/events", [{**s, "limit": 50, "fields": "summary"} for s in sites], n),
            "site_without_events": timed(api, "/api/events", {"site": "nowhere.example", "limit": 50}, n),
            "all_summary": timed(api, "/api/events", {"limit": 100, "fields": "summary"}, n),
            "all_whole": timed(api, "/api/events", {"limit": 100}, n),
            "one_cause": timed(api, "/api/events", {"cause": busy[-1], "limit": 100, "fields": "summary"}, n),
            "two_causes": timed(api, "/api/events", {"cause": ",".join(busy[:2]), "limit": 100, "fields": "summary"}, n),
            "status_407": timed(api, "/api/events", {"status": 407, "limit": 100, "fields": "summary"}, n),
            "q_common": timed(api, "/api/events", {"q": "orders", "limit": 100, "fields": "summary"}, n),
            "q_rare": timed(api, "/api/events", {"q": "needle-5", "limit": 100, "fields": "summary"}, max(10, n // 10)),
            "last_hour": timed(api, "/api/events", {"since": hour_ago, "limit": 100, "fields": "summary"}, n),
            "before_page_20": timed(api, "/api/events", {"before": deep, "limit": 100, "fields": "summary"}, n),
            "stats": timed(api, "/api/stats", {}, max(10, n // 10)),
            "har_500": timed(api, "/api/events.har", {"limit": 500}, max(5, n // 20)),
        }
        result["har_500_bytes"] = len(api.get("/api/events.har", {"limit": 500})[1])
        result["rss_mb"], result["peak_rss_mb"] = rss_mb(proc.pid)
        return result
    finally:
        proc.send_signal(2)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def build(data_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    store = await Store.open(data_dir, Retention(keep=max(args.events, 10_000), keep_days=0))
    fill_s, causes = await fill(store, args.events, args.sites)
    stored = await store.count()
    await store.close()
    size = sum(f.stat().st_size for f in data_dir.glob(DB_FILE + "*"))
    return {"events": stored, "fill_s": fill_s, "bytes_per_event": size / max(1, stored), "causes": causes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--sites", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        os.chmod(data_dir, 0o700)
        result = asyncio.run(build(data_dir, args))
        result.update(measure(data_dir, args, result["causes"]))
    print(f"{result['events']} events over {args.sites} sites, filled in {result['fill_s']:.0f} s; causes {result['causes']}")
    print(f"  on disk                 {result['bytes_per_event']:.0f} bytes per event (target < {TARGETS['bytes_per_event']})")
    for name, value in result.items():
        if isinstance(value, dict) and "p95_ms" in value:
            target = f" (target p95 < {TARGETS[name]:.0f} ms)" if name in TARGETS else ""
            print(f"  {name:<23} p50 {value['p50_ms']:6.1f} ms, p95 {value['p95_ms']:6.1f} ms{target}")
    print(f"  HAR of 500 events       {result['har_500_bytes'] / 1e6:.1f} MB")
    print(f"  service memory          {result['rss_mb']:.0f} MB resident after the queries, peak {result['peak_rss_mb']:.0f} MB (target < {TARGETS['rss_mb']})")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
