"""The stack apps as subprocesses, one companion for all of them, and the one way a test asks
"what does the companion say about this 401?"."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from companion.capture.redact import redact_url
from tests.conftest import IN_CI, ROOT, Companion, free_port, start_companion, stop, wait_port
from tests.stacks.accounts import node_env

HERE = Path(__file__).resolve().parent


@dataclass
class App:
    name: str
    port: int
    proc: subprocess.Popen

    def url(self, path: str) -> str:
        return f"http://localhost:{self.port}{path}"


def start_app(name: str, program: list[str], *extra: str, env: dict[str, str] | None = None) -> App:
    """Start `program PORT *extra`, an app listening on 127.0.0.1 on a free port."""
    port = free_port()
    proc = subprocess.Popen(
        [*program, str(port), *extra],
        cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        wait_port(port, proc)
    except BaseException:
        stop(proc)
        raise
    return App(name, port, proc)


def python_app(module: str, *extra: str) -> Iterator[App]:
    app = start_app(module, [sys.executable, "-m", f"tests.stacks.{module}"], *extra)
    yield app
    stop(app.proc)


def node_app(script: str, env: dict[str, str] | None = None) -> Iterator[App]:
    """A Node app with the packages of package-lock.json: skipped without Node or
    node_modules, failed in CI (where `make test` installs them)."""
    node = shutil.which("node")
    missing = "node" if node is None else "node_modules/express" if not (ROOT / "node_modules" / "express").is_dir() else ""
    if missing:
        if IN_CI:
            pytest.fail(f"{missing} is missing in CI: `make test` runs `npm ci` first")
        pytest.skip(f"{missing} not found (install Node.js, then `npm ci`)")
    assert node is not None
    app = start_app(script, [node, str(HERE / script)], env={**node_env(), **(env or {})})
    yield app
    stop(app.proc)


@pytest.fixture(scope="package")
def companion(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Companion]:
    """One `companion run` for every stack: each request has its own URL, so events never mix."""
    running = start_companion(tmp_path_factory.mktemp("companion"))
    yield running
    assert running.proc is not None
    stop(running.proc)


@dataclass(frozen=True)
class Refusal:
    """One request a library must refuse with 401, and what a person should be told."""

    id: str
    path: str
    headers: dict[str, str]
    cause: str
    why: str
    also: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    """Causes that must be neither the primary nor in `also`."""


def table(refusals: list[Refusal]) -> list:
    return [pytest.param(r, id=r.id) for r in refusals]


def refused(companion: Companion, app: App, refusal: Refusal) -> tuple[dict, bytes]:
    """Send the request through the proxy (to a URL of its own), check that the library
    refused it, and return the companion's stored event of that 401 and the body sent."""
    case = "case=" + "-".join(refusal.id.split()).replace(":", "")[:48]
    path = refusal.path + ("&" if "?" in refusal.path else "?") + case
    status, body = companion.through_proxy("GET", app.url(path), refusal.headers)
    assert status == 401, (status, body[:300])
    return companion.wait_event(redact_url(app.url(path))), body


def check(companion: Companion, app: App, refusal: Refusal) -> None:
    """The companion names the cause the table says, with confidence; a failure shows what
    the library answered and what the companion made of it."""
    event, body = refused(companion, app, refusal)
    diagnosis = event["diagnosis"]
    answered = (event["status"], event["exchange"]["response"]["www_authenticate"], body[:200])
    said = (diagnosis["cause"], diagnosis["summary"], diagnosis["also"], answered)
    assert diagnosis["cause"] == refusal.cause, said
    assert set(refusal.also) <= set(diagnosis["also"]), said
    for cause in refusal.absent:
        assert cause != diagnosis["cause"] and cause not in diagnosis["also"], said
    if refusal.cause == "unknown":
        assert diagnosis["confidence"] < 0.5, said  # never a confident guess
    else:
        assert diagnosis["confidence"] >= 0.5, said
