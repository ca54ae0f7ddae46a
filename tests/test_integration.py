"""Real proxy, real service, real site: requests through `companion run`, causes through the API."""

from __future__ import annotations

import base64
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, Companion, free_port, start_companion, stop, wait_port
from tests.support.testsite import PASSWORD, SESSION_VALUE, make_jwt

# Secrets planted in the requests below; none may reach the store.
WRONG_PASSWORD = "planted-wrong-password-Zq81"
EXPIRED_JWT = make_jwt(-900)
API_KEY = "planted-api-key-7f3e9a1b2c4d"


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


SCENARIOS = [
    # (id, path, request headers, status, primary cause)
    ("no credentials", "/basic", {}, 401, "missing_credentials"),
    ("wrong basic password", "/basic", {"Authorization": basic("alice", WRONG_PASSWORD)}, 401, "invalid_credentials"),
    ("expired jwt", "/bearer", {"Authorization": f"Bearer {EXPIRED_JWT}"}, 401, "expired_token"),
    ("token refused, no challenge", "/no-challenge", {"Authorization": f"Bearer {EXPIRED_JWT[:20]}opaque"}, 401, "invalid_token"),
    ("proxy wants credentials", "/proxy-auth", {}, 407, "proxy_auth_required"),
    ("api key rejected, no challenge", "/no-challenge", {"X-Api-Key": API_KEY}, 401, "invalid_api_key"),
]


@pytest.mark.parametrize(("path", "headers", "status", "cause"), [s[1:] for s in SCENARIOS], ids=[s[0] for s in SCENARIOS])
def test_each_401_shows_up_with_its_cause(companion: Companion, site, path, headers, status, cause):
    """What a person sees: the request fails, and the companion names why."""
    url = f"{site.origin}{path}?attempt={time.monotonic_ns()}"
    assert companion.through_proxy("GET", url, headers)[0] == status
    event = companion.wait_event(url)
    diagnosis = event["diagnosis"]
    assert diagnosis["cause"] == cause, diagnosis
    assert diagnosis["summary"] and diagnosis["evidence"] and diagnosis["fixes"]
    if path == "/no-challenge" and cause != "missing_challenge":
        assert "missing_challenge" in diagnosis["also"]  # a symptom beside the root cause
    assert event["status"] == status and event["host"] == "localhost" and event["site"] == "localhost"


def test_a_successful_request_is_not_an_event(companion: Companion, site):
    before = len(companion.events())
    good = basic("alice", PASSWORD)
    assert companion.through_proxy("GET", f"{site.origin}/basic", {"Authorization": good})[0] == 200
    assert companion.through_proxy("GET", f"{site.origin}/ok")[0] == 200
    time.sleep(0.5)
    assert len(companion.events()) == before


def test_no_planted_secret_reaches_the_store(companion: Companion, site):
    """Every byte of the SQLite files is free of the passwords, tokens, keys and cookies sent."""
    sent = [
        {"Authorization": basic("alice", WRONG_PASSWORD), "Cookie": f"sid={SESSION_VALUE}; theme=dark"},
        {"Authorization": f"Bearer {EXPIRED_JWT}", "X-Api-Key": API_KEY},
        {"Authorization": basic("alice", PASSWORD)},
    ]
    before = len(companion.events())
    for headers in sent:
        companion.through_proxy("GET", f"{site.origin}/bearer?access_token={EXPIRED_JWT}&api_key={API_KEY}", headers)
    assert len(companion.wait_events(before + 3)) >= before + 3
    secrets = [WRONG_PASSWORD, PASSWORD, SESSION_VALUE, EXPIRED_JWT, EXPIRED_JWT.rsplit(".", 1)[1], API_KEY,
               basic("alice", WRONG_PASSWORD).split()[1], basic("alice", PASSWORD).split()[1]]  # fmt: skip
    files = [p for p in companion.data_dir.iterdir() if p.name.startswith("events.sqlite3")]
    assert files
    for path in files:
        data = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, f"{secret[:6]}… found in {path.name}"
    # Nor the logs: everything the proxy and the service printed.
    printed = companion.printed()
    for secret in secrets:
        assert secret not in printed, f"{secret[:6]}… found in the output of companion run"


def test_companion_events_prints_the_cause(companion: Companion, site):
    """The CLI a person types shows the 401 they just had, with its cause."""
    companion.through_proxy("GET", f"{site.origin}/proxy-auth?from=cli")
    companion.wait_event(f"{site.origin}/proxy-auth?from=cli")
    out = subprocess.run(
        [sys.executable, "-m", "companion.cli", "events", "--data-dir", str(companion.data_dir),
         "--api-port", str(companion.api_port), "--site", "localhost", "--limit", "3"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "proxy_auth_required" in out and "/proxy-auth?from=cli" in out


def test_run_prints_where_everything_is(companion: Companion):
    """`companion run` tells the person the proxy, the CA, the extension and how to pair."""
    text = companion.printed(wait_for="Ctrl-C")
    assert f"http://127.0.0.1:{companion.proxy_port}" in text
    assert str(companion.confdir / "mitmproxy-ca-cert.pem") in text and (companion.confdir / "mitmproxy-ca-cert.pem").exists()
    assert str(ROOT / "extension") in text
    # how to pair, open the list, browse and check, spelled the way this companion was started
    me = f"{sys.executable} -m companion.cli"
    for command in (" pair", " token", " open", " browse https://the-site/", " doctor"):
        assert f"`{me}{command}" in text, command


def test_proxy_keeps_proxying_while_the_service_is_down_and_delivers_later(tmp_path: Path, site):
    """A user's own mitmdump with the addon: the service is down, browsing goes on, and the
    401s captured meanwhile appear once `companion serve` starts."""
    data_dir, api_port, proxy_port = tmp_path / "data", free_port(), free_port()
    proxy = subprocess.Popen(
        [sys.executable, "-c", "from mitmproxy.tools.main import mitmdump; mitmdump()",
         "--listen-host", "127.0.0.1", "--listen-port", str(proxy_port), "--set", f"confdir={tmp_path / 'mitm'}",
         "-s", str(ROOT / "companion" / "addon.py"),
         "--set", f"companion_api=http://127.0.0.1:{api_port}", "--set", f"companion_data_dir={data_dir}"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    service = None
    try:
        wait_port(proxy_port, proxy)
        down = Companion(proxy_port, api_port, data_dir, tmp_path / "mitm")
        for n in range(3):
            assert down.through_proxy("GET", f"{site.origin}/basic?while-down={n}")[0] == 401
            assert down.through_proxy("GET", f"{site.origin}/ok")[0] == 200
        service = subprocess.Popen(
            [sys.executable, "-m", "companion.cli", "serve", "--api-port", str(api_port), "--data-dir", str(data_dir)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        wait_port(api_port, service)
        events = down.wait_events(3, timeout=20)
        assert sorted(e["url"].rsplit("=", 1)[1] for e in events) == ["0", "1", "2"]
        assert {e["diagnosis"]["cause"] for e in events} == {"missing_credentials"}
    finally:
        if service is not None:
            stop(service)
        log = stop(proxy)
    assert "Traceback" not in log


def test_ctrl_c_stops_proxy_and_service_cleanly(tmp_path: Path):
    """Ctrl-C ends `companion run` with exit 0 and nothing left listening."""
    from tests.conftest import start_companion

    running = start_companion(tmp_path)
    assert running.proc is not None
    output = stop(running.proc)
    assert running.proc.returncode == 0, output
    assert "Traceback" not in output
    import socket

    for port in (running.proxy_port, running.api_port):
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still open"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--listen-port", "0"], "between 1 and 65535"),
        (["serve", "--api-port", "http"], "a port is a number"),
        (["events", "--limit", "0"], "between 1 and 500"),
        (["events", "--limit", "501"], "between 1 and 500"),
        (["run", "--set", "listen_port=1"], "set by companion run itself"),
        (["run", "--set", "nonsense"], "KEY=VALUE"),
    ],
)
def test_bad_arguments_get_a_clear_error(argv, message):
    out = subprocess.run([sys.executable, "-m", "companion.cli", *argv], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 2 and message in out.stderr


def test_a_taken_api_port_is_a_clear_error(tmp_path: Path, companion: Companion):
    out = subprocess.run(
        [sys.executable, "-m", "companion.cli", "serve", "--api-port", str(companion.api_port), "--data-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert out.returncode == 2
    assert f"cannot listen on 127.0.0.1:{companion.api_port}" in out.stderr and "--api-port" in out.stderr


def test_a_taken_proxy_port_is_refused_in_the_companions_words(tmp_path: Path, companion: Companion):
    """The proxy port is checked before anything starts: the message names --listen-port (not
    mitmproxy's own hint, which companion run does not take), and nothing is left running."""
    out = subprocess.run(
        [sys.executable, "-m", "companion.cli", "run", "--listen-port", str(companion.proxy_port),
         "--api-port", str(free_port()), "--data-dir", str(tmp_path / "data"), "--confdir", str(tmp_path / "conf")],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 2, out.stdout + out.stderr
    assert f"port {companion.proxy_port} on 127.0.0.1 is taken" in out.stderr and "--listen-port" in out.stderr
    assert "--mode" not in out.stdout + out.stderr and "is running" not in out.stdout


def test_the_proxy_dies_with_companion_run_even_on_kill_9(tmp_path: Path):
    """kill -9 of companion run leaves no orphan proxy holding the port: the next run starts."""
    first = start_companion(tmp_path / "first")
    port = first.proxy_port
    first.proc.send_signal(signal.SIGKILL)
    first.proc.wait(10)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        except OSError:
            break  # nothing listens any more
        time.sleep(0.1)
    else:
        raise AssertionError(f"the proxy of a killed companion run still listens on {port}")


def test_a_burst_of_401s_is_stored_whole_and_losses_are_counted_exactly(tmp_path: Path):
    """3,000 captures at once into a real `companion serve`: delivered in batches, every one
    stored; a small buffer under the same burst drops some, and the service counts exactly
    those (GET /api/stats), while it happens."""
    import json as json_
    import urllib.request
    from datetime import UTC, datetime

    from mitmproxy.test import tflow

    from companion.capture import Companion as Addon
    from companion.capture.sender import Sender

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "companion.cli", "serve", "--api-port", str(port), "--data-dir", str(tmp_path)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        wait_port(port, proc)
        token = (tmp_path / "token").read_text().strip()
        now = datetime.now(UTC).isoformat()  # tflow's own times are decades old: the retention would drop them
        template = {**Addon().capture(tflow.tflow(resp=True)), "status": 401, "time": now}

        def stats() -> dict:
            request = urllib.request.Request(f"http://127.0.0.1:{port}/api/stats", headers={"Authorization": f"Bearer {token}"})
            with urllib.request.urlopen(request, timeout=10) as answer:
                return json_.load(answer)

        roomy = Sender(f"http://127.0.0.1:{port}", lambda: token, capacity=5000)
        for n in range(3000):
            roomy.submit({**template, "flow_id": f"burst-{n}"})
        roomy.start()
        assert roomy.flush(timeout=120)
        roomy.stop()
        assert (roomy.stats.sent, roomy.stats.dropped_overflow, roomy.stats.rejected) == (3000, 0, 0)
        assert stats()["events"] == 3000

        tight = Sender(f"http://127.0.0.1:{port}", lambda: token, capacity=100)
        for n in range(1000):
            tight.submit({**template, "flow_id": f"tight-{n}"})
        tight.start()
        assert tight.flush(timeout=60)
        tight.submit({**template, "flow_id": "tight-last"})  # the next delivery reports the count
        assert tight.flush(timeout=60)
        tight.stop()
        seen = stats()
        assert tight.stats.dropped_overflow == 1000 - 100
        assert seen["losses"]["dropped_by_addon"] == tight.stats.dropped_overflow
        assert seen["events"] == 3000 + tight.stats.sent
    finally:
        stop(proc)
