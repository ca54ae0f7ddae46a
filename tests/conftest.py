"""Shared fixtures: the real test site, the real companion (proxy + service), API helpers."""

from __future__ import annotations

import http.client
import json
import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen | None = None, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            out = proc.stdout.read() if proc.stdout else ""
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}:\n{out}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout} s")


def stop(proc: subprocess.Popen) -> str:
    """Stop a child the way a person would (Ctrl-C) and return what it printed."""
    if proc.poll() is None:
        proc.send_signal(2)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.stdout.read() if proc.stdout else ""


@dataclass
class Site:
    port: int
    proc: subprocess.Popen
    scheme: str = "http"

    @property
    def origin(self) -> str:
        return f"{self.scheme}://localhost:{self.port}"

    def post(self, path: str) -> None:
        """Call the site directly, not through the proxy (e.g. to end sessions server-side)."""
        if self.scheme == "https":
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                "127.0.0.1", self.port, timeout=5, context=ssl._create_unverified_context()
            )
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        conn.request("POST", path)
        conn.getresponse().read()
        conn.close()


def _start_site(*extra: str) -> Site:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.testsite", "--port", str(port), *extra],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    wait_port(port, proc)
    return Site(port, proc, "https" if "--tls" in extra else "http")


@pytest.fixture(scope="session")
def site() -> Iterator[Site]:
    running = _start_site()
    yield running
    stop(running.proc)


@pytest.fixture(scope="session")
def tls_site() -> Iterator[Site]:
    """The same site over https, with a throw-away certificate the proxy does not check."""
    running = _start_site("--tls")
    yield running
    stop(running.proc)


@dataclass
class Companion:
    proxy_port: int
    api_port: int
    data_dir: Path
    confdir: Path
    proc: subprocess.Popen | None = None
    _printed: str = ""

    def printed(self, wait_for: str = "") -> str:
        """Everything `companion run` has printed so far (proxy and service logs included)."""
        assert self.proc is not None
        if not wait_for or wait_for not in self._printed:
            self._printed += read_available(self.proc, wait_for)
        return self._printed

    @property
    def token(self) -> str:
        return (self.data_dir / "token").read_text().strip()

    def api(
        self, method: str, path: str, token: str | None = "default", headers: dict | None = None, body: object = None
    ) -> tuple[int, dict]:
        conn = http.client.HTTPConnection("127.0.0.1", self.api_port, timeout=10)
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {self.token if token == 'default' else token}"
        payload = None if body is None else json.dumps(body).encode()
        if payload is not None:
            sent["Content-Type"] = "application/json"
        conn.request(method, path, body=payload, headers=sent)
        response = conn.getresponse()
        body = response.read()
        conn.close()
        return response.status, json.loads(body) if body else {}

    def events(self, site: str | None = None) -> list[dict]:
        status, body = self.api("GET", "/api/events" + (f"?site={site}" if site else ""))
        assert status == 200, body
        return body["events"]

    def wait_events(self, count: int, site: str | None = None, timeout: float = 10.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while True:
            events = self.events(site)
            if len(events) >= count or time.monotonic() > deadline:
                return events
            time.sleep(0.05)

    def wait_event(self, url: str, timeout: float = 10.0) -> dict:
        """The event of the request to `url` (as stored, after redaction), once it is there."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.events():
                if event["url"] == url:
                    return event
            time.sleep(0.05)
        raise AssertionError(f"no event for {url} within {timeout} s; have {[e['url'] for e in self.events()]}")

    def through_proxy(self, method: str, url: str, headers: dict | None = None) -> tuple[int, bytes]:
        """Send one request through the proxy like any HTTP client configured with it: plain
        http in absolute form, https through CONNECT trusting the proxy's CA."""
        parts = urlsplit(url)
        if parts.scheme == "https":
            context = ssl.create_default_context(cafile=str(self.confdir / "mitmproxy-ca-cert.pem"))
            conn: http.client.HTTPConnection = http.client.HTTPSConnection("127.0.0.1", self.proxy_port, timeout=10, context=context)
            conn.set_tunnel(parts.hostname or "", parts.port or 443)
            target = urlunsplit(("", "", parts.path or "/", parts.query, ""))
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.proxy_port, timeout=10)
            target = url
        conn.request(method, target, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        conn.close()
        return response.status, body


def read_available(proc: subprocess.Popen, wait_for: str = "", timeout: float = 5.0) -> str:
    """What a running child has printed so far (without stopping it), optionally waiting
    until `wait_for` appears."""
    import os
    import select

    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    os.set_blocking(fd, False)
    seen = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if select.select([fd], [], [], 0.1)[0]:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            seen += chunk
        elif not wait_for or wait_for.encode() in seen:
            break
    return seen.decode("utf-8", "replace")


def start_companion(tmp: Path, *extra: str) -> Companion:
    companion = Companion(free_port(), free_port(), tmp / "data", tmp / "mitmproxy")
    companion.proc = subprocess.Popen(
        [
            sys.executable, "-m", "companion.cli", "run",
            "--listen-port", str(companion.proxy_port), "--api-port", str(companion.api_port),
            "--data-dir", str(companion.data_dir), "--confdir", str(companion.confdir),
            "--set", "ssl_insecure=true",  # the test sites' certificates are throw-away ones
            *extra,
        ],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    wait_port(companion.proxy_port, companion.proc)
    wait_port(companion.api_port, companion.proc)
    return companion


@pytest.fixture(scope="module")
def companion(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Companion]:
    """`companion run` as a person starts it: the real proxy with the addon, and the service."""
    running = start_companion(tmp_path_factory.mktemp("companion"))
    yield running
    assert running.proc is not None
    stop(running.proc)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Outside CI, Chromium's browser tests skip when Chromium is absent; in CI they run and fail."""
    chromium = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    if chromium.exists() or IN_CI:
        return
    skip = pytest.mark.skip(reason=f"Chromium not found at {chromium} (`make test` installs Debian's chromium)")
    for item in items:
        if "browser" in item.keywords and "firefox" not in item.keywords:  # Firefox's tests skip by their own check
            item.add_marker(skip)


_browser_outcomes: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and "browser" in report.keywords:
        _browser_outcomes.append(report.outcome)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """CI fails when no browser test ran and passed: a green run must mean the extension works."""
    if IN_CI and exitstatus == 0 and "passed" not in _browser_outcomes:
        selected = session.config.getoption("-m") or ""
        if "not browser" not in selected:
            print("\nCI: no browser test ran and passed; failing the run.", file=sys.stderr)
            session.exitstatus = 1
