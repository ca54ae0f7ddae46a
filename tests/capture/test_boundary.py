"""The capture side loads and captures inside a mitmproxy that has nothing else: no pydantic,
aiohttp, platformdirs, PyJWT or publicsuffixlist, and never the service or the diagnosis (a
pipx or Homebrew mitmproxy). Each test runs a fresh interpreter with those blocked."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port, stop, wait_port

BLOCKER = textwrap.dedent(
    """\
    import importlib.abc, sys
    BLOCKED = ("pydantic", "pydantic_core", "aiohttp", "platformdirs", "jwt", "publicsuffixlist",
               "companion.service", "companion.diagnosis")

    class Blocker(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if any(name == b or name.startswith(b + ".") for b in BLOCKED):
                raise ImportError(f"the capture side imported {name}")
            return None

    sys.meta_path.insert(0, Blocker())
    """
)


class Recorder(ThreadingHTTPServer):
    """Records what is posted to it; answers 401 to anything else (a site that says no)."""

    def __init__(self) -> None:
        self.posted: list = []
        super().__init__(("127.0.0.1", 0), _Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        payload = json.loads(body)
        self.server.posted.extend(payload if isinstance(payload, list) else [payload])  # type: ignore[attr-defined]
        self._answer(201, b"{}")

    def do_GET(self) -> None:
        if self.path == "/api/ingest":  # a service of before the delivery socket: posts only
            self._answer(405, b'{"error": "POST only"}')
            return
        self._answer(401, b'{"error": "invalid_token"}', [("WWW-Authenticate", 'Bearer error="invalid_token"')])

    def _answer(self, status: int, body: bytes, headers: list[tuple[str, str]] = ()) -> None:  # type: ignore[assignment]
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_the_addon_configures_and_captures_with_only_mitmproxy(tmp_path: Path):
    """Under taddons, with no companion_data_dir: the default data dir is found without
    platformdirs and the 401 is delivered, with nothing beyond the standard library loaded."""
    ingest = Recorder()
    home = tmp_path / "home"
    (home / ".local/share/401-companion").mkdir(parents=True)
    (home / ".local/share/401-companion/token").write_text("tok\n")
    script = BLOCKER + textwrap.dedent(
        f"""\
        from mitmproxy.http import Response
        from mitmproxy.test import taddons, tflow
        from companion.capture import Companion

        addon = Companion()
        with taddons.context(addon) as tctx:
            tctx.configure(addon, companion_api={ingest.url!r})
            flow = tflow.tflow(resp=True)
            flow.request.headers["Authorization"] = "Bearer not-a-real-token-123"
            flow.response = Response.make(401, b"", {{"WWW-Authenticate": 'Bearer error="invalid_token"'}})
            addon.response(flow)
            addon.done()
        print("data dir:", addon._data_dir)
        print("loaded:", sorted(m for m in sys.modules if m.split(".")[0] in {{"pydantic", "aiohttp", "platformdirs", "jwt"}}))
        """
    )
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert f"data dir: {home}/.local/share/401-companion" in out.stdout
    assert "loaded: []" in out.stdout
    assert len(ingest.posted) == 1
    assert ingest.posted[0]["response"]["www_authenticate"] == ['Bearer error="invalid_token"']
    ingest.shutdown()


def test_mitmdump_with_the_contract_path_captures_a_401(tmp_path: Path):
    """`mitmdump -s companion/addon.py` in a mitmproxy without the companion's other
    dependencies proxies a request, and the 401 reaches the service."""
    ingest, site = Recorder(), Recorder()
    (tmp_path / "token").write_text("tok\n")
    port = free_port()
    command = [
        sys.executable, "-c", BLOCKER + "from mitmproxy.tools.main import mitmdump; mitmdump()",
        "--listen-host", "127.0.0.1", "--listen-port", str(port), "--set", f"confdir={tmp_path}",
        "-s", str(ROOT / "companion" / "addon.py"),
        "--set", f"companion_api={ingest.url}", "--set", f"companion_data_dir={tmp_path}",
    ]  # fmt: skip
    proc = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_port(port, proc)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": f"http://127.0.0.1:{port}"}))
        with pytest.raises(urllib.error.HTTPError, match="401"):
            opener.open(site.url + "/me", timeout=10)
        deadline = time.monotonic() + 10
        while not ingest.posted and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        printed = stop(proc)
    assert "the capture side imported" not in printed, printed
    assert [e["path"] for e in ingest.posted] == ["/me"], printed
    ingest.shutdown()
    site.shutdown()
