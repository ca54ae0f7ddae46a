"""What each of the companion's steps costs per 401, warm and cold: a steadier figure than the
whole proxy's CPU, for telling one version of the code from another.

    .venv/bin/python bench/steps.py [--rounds 300] [--json out.json]
    PYTHONPATH=/path/to/other/checkout .venv/bin/python bench/steps.py   # another version

Two steps, run in this process on the real code:

- **capture** (the proxy's side): the addon's `capture` of a 401 flow, as its response hook
  runs it: the redacted exchange, with what the addon remembers of the site;
- **store** (the service's side): reading and validating a delivery of it as the ingest socket
  receives it (JSON text), diagnosing it, packing the row and inserting it into a real store in
  a temporary folder, one transaction each.

Each on two 401s: the benchmark's (`bench/proxy_overhead.py`: an aiohttp client's four
headers, a Bearer challenge and a JSON error) and a browser's (sixteen request headers, a
Bearer JWT, ten cookies, twelve response headers).

**Cold** is the median time of a step run just after the process has written over 32 MB of
memory, as happens inside a busy proxy or a service woken by a delivery: a 401 is one request
in twenty, and its code is no longer in the processor's caches. That is what a step costs
there (two to three times its warm cost), and what the CPU figures of `proxy_overhead.py`
add up. **Warm** is the median of the same step run back to back. Times vary from run to
run by about 10 %: compare versions in the same minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mitmproxy import http
from mitmproxy.test import tflow

from companion.capture.addon import Companion
from companion.service.pipeline import _storable

try:
    from companion.service.pipeline import Delivery
except ImportError:  # a checkout from before the delivery was read in one pass (PYTHONPATH=…)
    Delivery = None  # type: ignore[assignment,misc]
from companion.service.store import Store

JUNK = bytearray(32 << 20)


def thrash() -> None:
    """Write over 32 MB: what the processor's caches held of the companion is gone."""
    JUNK[::64] = b"\x01" * (len(JUNK) // 64)


def _b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


JWT = ".".join(
    (
        _b64({"alg": "RS256", "typ": "JWT", "kid": "k1"}),
        _b64({"iss": "https://auth.example.com/", "sub": "user123", "aud": "api", "exp": 1795000000, "iat": 1794990000, "scope": "read write"}),
        "s" * 342,
    )
)
BODY = json.dumps({"error": "invalid_token", "error_description": "The access token expired"}).encode()

SHAPES: dict[str, tuple[str, list[tuple[str, str]], list[tuple[str, str]]]] = {
    "the benchmark's 401": (
        "http://localhost:8000/401?n={n}",
        [("Host", "localhost:8000"), ("Accept", "*/*"), ("Accept-Encoding", "gzip, deflate"), ("User-Agent", "Python/3.13 aiohttp/3.12")],
        [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(BODY))), ("Date", "Sun, 06 Dec 2026 20:42:06 GMT"),
         ("Server", "Python/3.13 aiohttp/3.12"), ("WWW-Authenticate", 'Bearer realm="bench", error="invalid_token"')],
    ),
    "a browser's 401": (
        "https://api.example.com/v1/me?n={n}",
        [("Host", "api.example.com"), ("Connection", "keep-alive"), ("sec-ch-ua", '"Chromium";v="156", "Not-A.Brand";v="24"'),
         ("Accept", "application/json, text/plain, */*"), ("Authorization", f"Bearer {JWT}"), ("sec-ch-ua-mobile", "?0"),
         ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"),
         ("sec-ch-ua-platform", '"Linux"'), ("Origin", "https://app.example.com"), ("Sec-Fetch-Site", "same-site"),
         ("Sec-Fetch-Mode", "cors"), ("Sec-Fetch-Dest", "empty"), ("Referer", "https://app.example.com/dashboard?tab=2"),
         ("Accept-Encoding", "gzip, deflate, br, zstd"), ("Accept-Language", "en-US,en;q=0.9"),
         ("Cookie", "; ".join(["_ga=GA1.1.123456789.1790000000", "_gid=GA1.1.987654321.1794000000", f"session={'a1b2c3d4' * 8}",
                               "theme=dark", "lang=en-US", f"csrftoken={'Zx9' * 11}", "_fbp=fb.1.1790000000000.123456789",
                               f"access={JWT}", "consent=yes", "ab_test=variant_b"]))],
        [("Date", "Sun, 06 Dec 2026 20:42:06 GMT"), ("Content-Type", "application/json"), ("Content-Length", str(len(BODY))),
         ("Connection", "keep-alive"), ("WWW-Authenticate", 'Bearer realm="api", error="invalid_token", error_description="The access token expired"'),
         ("Vary", "Origin"), ("Access-Control-Allow-Origin", "https://app.example.com"), ("Access-Control-Allow-Credentials", "true"),
         ("Cache-Control", "no-store"), ("Strict-Transport-Security", "max-age=31536000"),
         ("X-Request-Id", "7f3a9c2e-1b4d-4e8f-9a6b-2c5d8e1f0a3b"), ("Server", "nginx")],
    ),
}  # fmt: skip


def flow_of(shape: str, n: int) -> http.HTTPFlow:
    url, sent, answered = SHAPES[shape]
    flow = tflow.tflow(resp=True)
    flow.request = http.Request.make("GET", url.format(n=n), b"", [(k.encode(), v.encode()) for k, v in sent])
    flow.response = http.Response.make(401, BODY, [(k.encode(), v.encode()) for k, v in answered])
    flow.request.timestamp_start = flow.response.timestamp_end = time.time()
    return flow


def _medians(step: Callable[[int], Any], rounds: int) -> tuple[float, float]:
    """Median µs of `step(n)`, cold (caches thrashed before each) and warm (back to back)."""
    for n in range(50):
        step(n)
    cold, warm = [], []
    for n in range(rounds):
        thrash()
        started = time.perf_counter_ns()
        step(1_000_000 + n)
        cold.append(time.perf_counter_ns() - started)
    for n in range(rounds):
        started = time.perf_counter_ns()
        step(2_000_000 + n)
        warm.append(time.perf_counter_ns() - started)
    return statistics.median(cold) / 1000, statistics.median(warm) / 1000


async def measure(rounds: int) -> dict[str, dict[str, dict[str, float]]]:
    results: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = await Store.open(Path(tmp))
        for shape in SHAPES:
            addon = Companion()
            flows = {n: flow_of(shape, n) for n in (*range(50), *range(1_000_000, 1_000_000 + rounds), *range(2_000_000, 2_000_000 + rounds))}
            exchanges: dict[int, dict[str, Any]] = {}

            def capture(n: int, addon: Companion = addon, flows: dict = flows, exchanges: dict = exchanges) -> None:
                exchanges[n] = addon.capture(flows[n])

            cold, warm = _medians(capture, rounds)
            results[shape] = {"capture": {"cold_us": cold, "warm_us": warm}, "store": await _store_medians(store, exchanges, rounds)}
        await store.close()
    return results


async def _store_medians(store: Store, exchanges: dict[int, dict[str, Any]], rounds: int) -> dict[str, float]:
    """The store step, timed around its synchronous part and its insert (which the service
    runs on its event loop without waiting for a thread)."""

    texts = {n: json.dumps({"dropped": 0, "exchanges": [exchange]}, separators=(",", ":")) for n, exchange in exchanges.items()}

    async def step(n: int) -> int:
        started = time.perf_counter_ns()
        if Delivery is not None:  # the delivery socket's way: read and validated in one pass
            payloads: list[Any] = Delivery.model_validate_json(texts[n]).exchanges
        else:  # a version from before it
            payloads = json.loads(texts[n])["exchanges"]
        _, row = _storable(payloads[0], store)
        await store.add_many([row])
        return time.perf_counter_ns() - started

    for n in range(50):
        await step(n)
    cold, warm = [], []
    for n in range(rounds):
        thrash()
        cold.append(await step(1_000_000 + n))
    for n in range(rounds):
        warm.append(await step(2_000_000 + n))
    return {"cold_us": statistics.median(cold) / 1000, "warm_us": statistics.median(warm) / 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    results = asyncio.run(measure(args.rounds))
    print(f"median µs per 401, {args.rounds} rounds; cold: just after 32 MB of memory was written over")
    print(f"{'401':<22} {'step':<9} {'cold':>8} {'warm':>8}")
    for shape, steps in results.items():
        for step, figures in steps.items():
            print(f"{shape:<22} {step:<9} {figures['cold_us']:>8.1f} {figures['warm_us']:>8.1f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    sys.exit(main())
