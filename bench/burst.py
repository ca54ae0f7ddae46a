"""A burst of 401s through the proxy: how many are stored, and whether every loss is counted.

    .venv/bin/python bench/burst.py [--requests 5000] [--concurrency 16]

`companion run`'s parts, started here on loopback: `companion serve` and mitmdump with the
addon. A client sends `--requests` requests, every one answered 401 by a local upstream, as
fast as the proxy serves them (`--concurrency` at once). Reported: the rate the proxy served
them at, how many events the service stored, how many the addon and the service say were lost
(`GET /api/stats`), and whether stored + lost adds up to what was sent. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from proxy_overhead import CLIENT, companion_parts


def stats(api_port: int, token: str) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{api_port}/api/stats", headers={"Authorization": f"Bearer {token}"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=10) as answer:
        return json.load(answer)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    with companion_parts() as parts:
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", CLIENT, f"http://127.0.0.1:{parts.proxy_port}", f"http://localhost:{parts.upstream_port}",
             str(args.requests), str(args.concurrency), "1.0"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        elapsed = float(out.split(" ", 1)[0])
        deadline = time.monotonic() + 120
        seen = stats(parts.api_port, parts.token)
        while seen["events"] + seen["losses"]["dropped_by_addon"] + seen["losses"]["refused_by_service"] < args.requests:
            if time.monotonic() > deadline:
                break
            time.sleep(0.5)
            seen = stats(parts.api_port, parts.token)
        settled = time.perf_counter() - started
    losses = seen["losses"]
    accounted = seen["events"] + losses["dropped_by_addon"] + losses["refused_by_service"]
    result = {
        "requests": args.requests,
        "rate_per_s": args.requests / elapsed,
        "stored": seen["events"],
        "stored_share": seen["events"] / args.requests,
        "dropped_by_addon": losses["dropped_by_addon"],
        "refused_by_service": losses["refused_by_service"],
        "unaccounted": args.requests - accounted,
        "seconds_until_all_accounted_for": settled,
    }
    print(
        f"{args.requests} 401s at {result['rate_per_s']:.0f}/s through the proxy (concurrency {args.concurrency}):\n"
        f"  stored {seen['events']} ({result['stored_share']:.1%}), dropped by the addon {losses['dropped_by_addon']}, "
        f"refused by the service {losses['refused_by_service']}, unaccounted {result['unaccounted']}\n"
        f"  all accounted for {settled:.1f} s after the first request"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
