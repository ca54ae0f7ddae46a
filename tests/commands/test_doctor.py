"""`companion doctor` against real companions: all well, then each way the chain breaks, with
the line a person reads and what it tells them to type."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from companion.service.store import DB_FILE
from tests.conftest import ROOT, Companion, free_port, start_companion, stop


def doctor(companion: Companion, *extra: str, data_dir: Path | None = None) -> tuple[int, dict]:
    done = subprocess.run(
        [
            sys.executable, "-m", "companion.cli", "doctor", "--json",
            "--data-dir", str(data_dir or companion.data_dir), "--api-port", str(companion.api_port),
            "--listen-port", str(companion.proxy_port), "--confdir", str(companion.confdir), *extra,
        ],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    return done.returncode, json.loads(done.stdout)


def check(report: dict, name: str) -> dict:
    return next(c for c in report["checks"] if c["name"] == name)


@pytest.fixture
def own_companion(tmp_path: Path):
    running = start_companion(tmp_path)
    yield running
    if running.proc is not None and running.proc.poll() is None:
        stop(running.proc)


def test_all_is_well_with_a_running_companion(own_companion: Companion):
    code, report = doctor(own_companion)
    assert code == 0 and report["ok"] is True, report
    assert {c["name"] for c in report["checks"]} >= {"service", "proxy", "web", "ports", "ca", "extension", "data", "schema", "clock"}
    assert check(report, "service")["status"] == "ok" and "0.1.0" in check(report, "service")["detail"]
    assert check(report, "proxy")["status"] == "ok"
    assert check(report, "web")["status"] in {"ok", "warn"}  # offline is a warning, never a failure
    assert "mitmdump" in check(report, "ports")["detail"] or "python" in check(report, "ports")["detail"]
    assert check(report, "data")["status"] == "ok" and "quick_check ok" in check(report, "data")["detail"]


def test_a_stopped_companion_is_named_with_what_to_type(own_companion: Companion):
    assert own_companion.proc is not None
    stop(own_companion.proc)
    code, report = doctor(own_companion)
    assert code == 1 and report["ok"] is False
    service = check(report, "service")
    assert service["status"] == "fail" and "nothing answers" in service["detail"] and "companion run" in service["fix"]
    assert check(report, "proxy")["status"] == "fail"
    assert "free" in check(report, "ports")["detail"]


def test_the_plain_output_says_it_in_lines(own_companion: Companion):
    done = subprocess.run(
        [sys.executable, "-m", "companion.cli", "doctor", "--data-dir", str(own_companion.data_dir),
         "--api-port", str(own_companion.api_port), "--listen-port", str(own_companion.proxy_port),
         "--confdir", str(own_companion.confdir)],
        cwd=ROOT, capture_output=True, text=True, timeout=60, env={"PYTHONIOENCODING": "utf-8", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("✓ service") and lines[-1] == "All is well."


def test_another_data_dir_s_companion_is_told_apart(own_companion: Companion, tmp_path: Path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "token").write_text("not-the-token\n")
    code, report = doctor(own_companion, data_dir=other)
    assert code == 1
    service = check(report, "service")
    assert "another data dir" in service["detail"] + service["fix"] and "--data-dir" in service["detail"] + service["fix"]


def test_a_port_held_by_another_program_names_it(own_companion: Companion, tmp_path: Path):
    holder = socket.socket()
    holder.bind(("127.0.0.1", free_port()))
    holder.listen()
    try:
        port = holder.getsockname()[1]
        fake = Companion(own_companion.proxy_port, port, own_companion.data_dir, own_companion.confdir)
        code, report = doctor(fake)
        assert code == 1
        assert "PID " in check(report, "service")["detail"] and "python" in check(report, "service")["detail"]
    finally:
        holder.close()


def test_an_addon_of_another_wire_schema_and_a_skewed_clock_are_found(own_companion: Companion):
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    now = datetime.now(UTC)
    exchange = {
        "flow_id": "skew", "time": now.isoformat(), "method": "GET", "url": "https://api.example.com/me",
        "scheme": "https", "host": "api.example.com", "port": 443, "path": "/me", "status": 401,
        "request": {"headers": []},
        "response": {"received": now.isoformat(), "date": (now - timedelta(minutes=10)).isoformat(),
                     "date_raw": format_datetime(now - timedelta(minutes=10), usegmt=True)},
    }  # fmt: skip
    status, _ = own_companion.api("POST", "/api/ingest", body=[exchange], headers={"X-Companion-Sender": "old-addon", "X-Companion-Schema": "99"})
    assert status == 200
    code, report = doctor(own_companion)
    assert code == 1
    assert check(report, "schema")["status"] == "fail" and "99" in check(report, "schema")["detail"]
    clock = check(report, "clock")
    assert clock["status"] == "warn" and "600 s ahead" in clock["detail"] and "timedatectl" in clock["fix"]


def test_a_damaged_store_is_found_with_the_way_out(tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir()
    (data / DB_FILE).write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    nothing = Companion(free_port(), free_port(), data, tmp_path / "mitmproxy")
    code, report = doctor(nothing)
    assert code == 1
    store = check(report, "data")
    assert store["status"] == "fail" and "--reset-store" in store["fix"]


def test_a_real_addon_s_schema_is_seen_and_matches(own_companion: Companion, site):
    status, _ = own_companion.through_proxy("GET", f"{site.origin}/basic")
    assert status == 401
    own_companion.wait_event(f"{site.origin}/basic")
    code, report = doctor(own_companion)
    assert code == 0, report
    schema = check(report, "schema")
    assert schema["status"] == "ok" and "1 addon(s) and the service on wire schema 1" in schema["detail"], report


def test_a_proxy_port_held_by_something_else_than_http_is_named_without_a_traceback(own_companion: Companion):
    """An SSH server (say) on the proxy port answers a greeting, not HTTP: doctor names it."""
    import threading

    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()

    def greet() -> None:
        while True:
            try:
                conn, _ = holder.accept()
            except OSError:
                return
            conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")
            conn.close()

    threading.Thread(target=greet, daemon=True).start()
    try:
        fake = Companion(holder.getsockname()[1], own_companion.api_port, own_companion.data_dir, own_companion.confdir)
        code, report = doctor(fake)
        assert code == 1
        proxy = check(report, "proxy")
        assert proxy["status"] == "fail" and "does not act as an HTTP proxy" in proxy["detail"] and "--listen-port" in proxy["fix"]
    finally:
        holder.close()
