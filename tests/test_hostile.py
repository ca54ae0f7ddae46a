"""Hostile servers against the real proxy: a compression bomb on a 401 is captured from the
first KB of its body, and the proxy's memory never holds the bomb."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import brotli
import pytest

from tests.conftest import Companion
from tests.support.zstd import zstd_stream

MESSAGE = b'{"error": "invalid_token", "error_description": "The access token was revoked"}'
GIGABYTE = 1 << 30


def _bomb(coding: str) -> bytes:
    """MESSAGE, then a gigabyte of zeros, compressed: a small body that expands to 1 GB."""
    block = bytes(1 << 20)
    if coding == "br":
        c = brotli.Compressor(quality=5, lgwin=22)
        return c.process(MESSAGE) + b"".join(c.process(block) for _ in range(GIGABYTE >> 20)) + c.finish()
    return zstd_stream(itertools.chain([MESSAGE], itertools.repeat(block, GIGABYTE >> 20)))


class BombSite(ThreadingHTTPServer):
    def __init__(self) -> None:
        self.bombs = {coding: _bomb(coding) for coding in ("br", "zstd")}
        super().__init__(("127.0.0.1", 0), _Bomber)
        threading.Thread(target=self.serve_forever, daemon=True).start()


class _Bomber(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        coding = self.path.rsplit("/", 1)[-1].split("?")[0]
        body = self.server.bombs[coding]  # type: ignore[attr-defined]
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Bearer realm="api", error="invalid_token"')
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Encoding", coding)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def bomb_site() -> Iterator[BombSite]:
    site = BombSite()
    yield site
    site.shutdown()


def _proxy_peak_rss_kb(companion: Companion) -> int:
    """The peak resident memory (VmHWM) of the proxy child of `companion run` (mitmdump with the
    addon added directly: `python -m companion.capture.dump`)."""
    children = Path(f"/proc/{companion.proc.pid}/task/{companion.proc.pid}/children").read_text().split()
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        if "companion.capture.dump" in Path(f"/proc/{pid}/cmdline").read_text():  # companion run's mitmdump
            return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))
    raise AssertionError(f"no mitmdump child among {children}")


@pytest.mark.parametrize("coding", ["br", "zstd"])
def test_a_compression_bomb_is_captured_without_the_proxy_holding_it(companion: Companion, bomb_site: BombSite, coding: str):
    """A 401 whose body expands to 1 GB: the companion reads the server's words from its start,
    and the proxy's peak memory stays far below the bomb (it was 2 GB before this was fixed)."""
    url = f"http://127.0.0.1:{bomb_site.server_address[1]}/bomb/{coding}"
    status, body = companion.through_proxy("GET", url, {"Authorization": "Bearer opaque-token-0a1b2c3d4e5f6a7b"})
    assert status == 401 and len(body) == len(bomb_site.bombs[coding]) < 64 * 1024  # passed on untouched
    event = companion.wait_event(url)
    assert event["exchange"]["response"]["body_error"]["message"] == "The access token was revoked"
    assert event["diagnosis"]["cause"] == "invalid_token"
    assert _proxy_peak_rss_kb(companion) < 400 * 1024, "the proxy's memory grew towards the bomb's size"
