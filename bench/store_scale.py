"""The event store with many events: size on disk, query times, memory.

    .venv/bin/python bench/store_scale.py [--events 100000] [--sites 1000] [--queries 200]

Fills a store in a temporary folder with `--events` diagnosed events (a realistic captured
exchange each, spread over `--sites` sites, as the service stores them), then times the
queries the popup and the event list make: the newest 50 of one site, of a site with no
events, and of all sites. Reported: bytes per event on disk, p50 and p95 of each query, and
the process's peak memory. Nothing leaves this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mitmproxy.http import Response  # noqa: E402
from mitmproxy.test import tflow  # noqa: E402

from companion.capture import Companion  # noqa: E402
from companion.service.pipeline import _storable  # noqa: E402
from companion.service.store import DB_FILE, Retention, Store  # noqa: E402


def template() -> dict:
    flow = tflow.tflow(resp=True)
    flow.request.url = "https://api.example.com/v1/orders?page=2"
    flow.request.headers["Authorization"] = "Bearer opaque-token-0a1b2c3d4e5f6a7b8c9d"
    flow.request.headers["Cookie"] = "_ga=GA1.1.1.1; sid=abcdefabcdefabcdef"
    flow.response = Response.make(
        401,
        b'{"error": "invalid_token", "error_description": "The access token expired"}',
        {"WWW-Authenticate": 'Bearer realm="api", error="invalid_token"', "Content-Type": "application/json"},
    )
    return {**Companion().capture(flow), "status": 401}


async def fill(store: Store, count: int, sites: int) -> float:
    base = template()
    started = time.perf_counter()
    now = time.time()
    batch = []
    for n in range(count):
        host = f"api.site{n % sites}.example"
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now - (count - n))) + "Z"
        batch.append(_storable({**base, "flow_id": f"f{n}", "host": host, "url": f"https://{host}/v1/orders", "time": stamp}))
        if len(batch) == 500:
            await store.add_many(batch)
            batch = []
    if batch:
        await store.add_many(batch)
    return time.perf_counter() - started


async def timed(query, repeat: int) -> dict[str, float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await query()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"p50_ms": statistics.median(times), "p95_ms": times[int(len(times) * 0.95) - 1]}


async def main_async(args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        store = await Store.open(Path(tmp), Retention(keep=args.events, keep_days=0))
        fill_s = await fill(store, args.events, args.sites)
        size = sum(f.stat().st_size for f in Path(tmp).glob(DB_FILE + "*"))
        result = {
            "events": await store.count(),
            "fill_s": fill_s,
            "bytes_per_event": size / args.events,
            "site_filter": await timed(lambda: store.recent(site=f"site{args.sites // 2}.example", limit=50), args.queries),
            "site_without_events": await timed(lambda: store.recent(site="nowhere.example", limit=50), args.queries),
            "all_sites": await timed(lambda: store.recent(limit=50), args.queries),
        }
        await store.close()
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--sites", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    result = asyncio.run(main_async(args))
    print(f"{result['events']} events over {args.sites} sites, filled in {result['fill_s']:.0f} s")
    print(f"  on disk            {result['bytes_per_event']:.0f} bytes per event")
    for name in ("site_filter", "site_without_events", "all_sites"):
        print(f"  {name:<20} p50 {result[name]['p50_ms']:.1f} ms, p95 {result[name]['p95_ms']:.1f} ms (newest 50)")
    print(f"  peak memory        {result['peak_rss_mb']:.0f} MB")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
