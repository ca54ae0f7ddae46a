"""From a 401 to its summary on the live stream: how long the popup's badge waits.

    .venv/bin/python bench/latency.py [--rate 20] [--seconds 15]

The parts of `companion run`, started here on loopback: `companion serve` and mitmdump with the
addon. A listener follows `GET /api/stream` as the extension does; a client sends requests
answered 401 through the proxy at `--rate` per second. For each, the time from the client
having the whole response to the listener receiving its event. Reported: p50, p95 and the
worst. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import threading
import time
from pathlib import Path

from proxy_overhead import companion_parts


def follow(api_port: int, token: str, arrived: dict[str, float], ready: threading.Event, stop: threading.Event) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", api_port, timeout=60)
    conn.request("GET", "/api/stream", headers={"Authorization": f"Bearer {token}", "Accept": "text/event-stream"})
    response = conn.getresponse()
    ready.set()
    while not stop.is_set():
        line = response.fp.readline()
        if not line:
            break
        if line.startswith(b"data: "):
            url = json.loads(line[6:])["url"]
            arrived[url.rsplit("=", 1)[-1]] = time.perf_counter()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    with companion_parts() as parts:
        arrived: dict[str, float] = {}
        ready, stop = threading.Event(), threading.Event()
        threading.Thread(target=follow, args=(parts.api_port, parts.token, arrived, ready, stop), daemon=True).start()
        ready.wait(10)
        answered: dict[str, float] = {}
        conn = http.client.HTTPConnection("127.0.0.1", parts.proxy_port, timeout=10)
        count = int(args.rate * args.seconds)
        start = time.perf_counter()
        for n in range(count):
            time.sleep(max(0.0, start + n / args.rate - time.perf_counter()))
            conn.request("GET", f"http://localhost:{parts.upstream_port}/401?n={n}")
            conn.getresponse().read()
            answered[str(n)] = time.perf_counter()
        time.sleep(2)
        stop.set()
    delays = sorted((arrived[n] - answered[n]) * 1000 for n in answered if n in arrived)
    missing = len(answered) - len(delays)
    result = {
        "rate_per_s": args.rate,
        "sent": len(answered),
        "missing_from_stream": missing,
        "p50_ms": statistics.median(delays),
        "p95_ms": delays[int(len(delays) * 0.95) - 1],
        "worst_ms": delays[-1],
    }
    print(
        f"{len(answered)} 401s at {args.rate:g}/s: from the response to its event on /api/stream "
        f"p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms, worst {result['worst_ms']:.1f} ms; "
        f"missing from the stream: {missing}"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
