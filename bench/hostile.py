"""Compression bombs on 401s: what they cost the proxy, with the addon and without it.

    .venv/bin/python bench/hostile.py [--size-mb 1024] [--codings gzip,deflate,br,zstd]

For each coding, a local server answers 401 with a body that expands to `--size-mb` (1 GB by
default: the issue's figure); while a client fetches it through the proxy, another client
sends small requests through the same proxy every 10 ms and notes how long each took. Two
proxies, measured in the same run: bare mitmdump (the baseline) and mitmdump with the addon
feeding a running `companion serve`. Reported for each: the proxy's peak resident memory
(VmHWM, from /proc) and the worst delay a small request saw beyond the baseline's median.
Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from proxy_overhead import ROOT, free_port, start_proxy, wait_port

sys.path.insert(0, str(ROOT))
from tests.support.zstd import zstd_stream  # the tests' zstd, with whichever module mitmproxy brought


def bomb(coding: str, size_mb: int) -> bytes:
    """A 401 body that starts with an error message and expands to `size_mb` megabytes."""
    head = b'{"error": "invalid_token", "error_description": "The access token was revoked"}'
    block = bytes(1 << 20)
    if coding in {"gzip", "deflate"}:
        c = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS if coding == "gzip" else zlib.MAX_WBITS)
        return c.compress(head) + b"".join(c.compress(block) for _ in range(size_mb)) + c.flush()
    if coding == "br":
        import brotli

        c = brotli.Compressor(quality=5, lgwin=22)
        return c.process(head) + b"".join(c.process(block) for _ in range(size_mb)) + c.finish()
    return zstd_stream(itertools.chain([head], itertools.repeat(block, size_mb)))


class Site(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, bombs: dict[str, bytes]) -> None:
        self.bombs = bombs
        super().__init__(("127.0.0.1", 0), _Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # the stdlib's name
        if self.path.startswith("/bomb/"):
            coding = self.path.rsplit("/", 1)[1]
            body = self.server.bombs[coding]  # type: ignore[attr-defined]
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Bearer error="invalid_token"')
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Encoding", coding)
        else:
            body = b"ok"
            self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))) / 1024


def fetch(proxy_port: int, url: str, headers: dict[str, str] | None = None) -> float:
    import http.client

    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", proxy_port, timeout=120)
    conn.request("GET", url, headers=headers or {})
    conn.getresponse().read()
    conn.close()
    return time.perf_counter() - started


def delays_during(proxy_port: int, site_port: int, coding: str) -> tuple[list[float], float]:
    """Small requests every 10 ms while the bomb is fetched: their durations, and the bomb's."""
    small: list[float] = []
    done = threading.Event()

    def pester() -> None:
        while not done.is_set():
            small.append(fetch(proxy_port, f"http://127.0.0.1:{site_port}/ok"))
            time.sleep(0.01)

    thread = threading.Thread(target=pester)
    thread.start()
    time.sleep(0.2)
    took = fetch(proxy_port, f"http://127.0.0.1:{site_port}/bomb/{coding}", {"Authorization": "Bearer opaque-bench-token-0a1b2c"})
    time.sleep(0.5)  # the capture happens after the response: keep measuring a moment
    done.set()
    thread.join()
    return small, took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--codings", default="gzip,deflate,br,zstd")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    codings = args.codings.split(",")
    site = Site({coding: bomb(coding, args.size_mb) for coding in codings})
    site_port = site.server_address[1]
    results: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        api_port = free_port()
        service = subprocess.Popen(
            [sys.executable, "-m", "companion.cli", "serve", "--api-port", str(api_port), "--data-dir", str(tmpdir / "data")],
            cwd=ROOT, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wait_port(api_port)
            for coding in codings:
                for name, addon in (("bare mitmdump", False), ("with the addon", True)):
                    port = free_port()
                    proxy = start_proxy(port, tmpdir / "mitm", addon, api_port, tmpdir / "data")
                    try:
                        fetch(port, f"http://127.0.0.1:{site_port}/ok")  # warm-up
                        small, took = delays_during(port, site_port, coding)
                        results.setdefault(coding, {})[name] = {
                            "peak_rss_mb": peak_rss_mb(proxy.pid),
                            "small_median_ms": statistics.median(small) * 1000,
                            "small_worst_ms": max(small) * 1000,
                            "bomb_fetch_ms": took * 1000,
                            "small_requests": len(small),
                        }
                    finally:
                        proxy.terminate()
                        proxy.wait()
        finally:
            service.terminate()
            service.wait()
            site.shutdown()

    sizes = {coding: len(body) for coding, body in site.bombs.items()}
    print(f"401 bodies expanding to {args.size_mb} MB; small requests every 10 ms meanwhile\n")
    print(f"{'coding':<8} {'bytes':>8} {'proxy':<16} {'peak RSS MB':>12} {'vs bare':>8} {'small median ms':>16} {'small worst ms':>15} {'worst - bare median':>20}")
    for coding, runs in results.items():
        bare = runs["bare mitmdump"]
        for name, run in runs.items():
            print(
                f"{coding:<8} {sizes[coding]:>8} {name:<16} {run['peak_rss_mb']:>12.0f} {run['peak_rss_mb'] - bare['peak_rss_mb']:>+8.0f}"
                f" {run['small_median_ms']:>16.1f} {run['small_worst_ms']:>15.1f} {run['small_worst_ms'] - bare['small_median_ms']:>20.1f}"
            )
    if args.json:
        args.json.write_text(json.dumps({"size_mb": args.size_mb, "bytes": sizes, "results": results}, indent=2))


if __name__ == "__main__":
    main()
