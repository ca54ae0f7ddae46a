"""The `companion` command's arguments and its quick commands (`token`, `events`), without
starting a service or a proxy."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from companion.cli import build_parser, main
from companion.config import read_token
from companion.diagnosis.models import Diagnosis
from companion.service.models import Event
from companion.service.store import Store
from tests.conftest import ROOT, free_port


@pytest.mark.parametrize(
    ("argv", "option", "message"),
    [
        (["events", "--api-port", "0"], "--api-port", "a port is between 1 and 65535, not 0"),
        (["token", "--api-port", "65536"], "--api-port", "a port is between 1 and 65535, not 65536"),
        (["serve", "--api-port", "http"], "--api-port", "a port is a number, not 'http'"),
        (["run", "--listen-port", "-1"], "--listen-port", "a port is between 1 and 65535, not -1"),
        (["run", "--listen-port", "8080.5"], "--listen-port", "a port is a number, not '8080.5'"),
        (["events", "--limit", "0"], "--limit", "a limit is between 1 and 500, not 0"),
        (["events", "--limit", "501"], "--limit", "a limit is between 1 and 500, not 501"),
        (["events", "--limit", "many"], "--limit", "a limit is a number, not 'many'"),
        (["run", "--set", "ssl_insecure"], "--set", "a mitmproxy option is KEY=VALUE, not 'ssl_insecure'"),
        (["run", "--set", "=true"], "--set", "a mitmproxy option is KEY=VALUE, not '=true'"),
        (["serve", "--keep", "0"], "--keep", "a number of events to keep is between 1 and 10000000, not 0"),
        (["run", "--keep-days", "-1"], "--keep-days", "a number of days is between 0 and 36500, not -1"),
        (["serve", "--keep-days", "week"], "--keep-days", "a number of days is a number, not 'week'"),
    ],
)
def test_bad_values_are_refused_naming_the_option(capsys, argv, option, message):
    """A typo in a port or limit is told at once, with the option and what it accepts."""
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert f"argument {option}: {message}" in capsys.readouterr().err


@pytest.mark.parametrize(
    "setting",
    ["listen_port=9999", "listen_host=0.0.0.0", " listen_host=0.0.0.0", "confdir=/tmp/ca", "scripts=other.py",
     "companion_api=http://127.0.0.1:1", "companion_data_dir=/tmp/x", "companion_buffer=5"],
)  # fmt: skip
def test_set_refuses_what_companion_run_sets_itself(capsys, setting):
    """Overriding the proxy's address or the addon's options through --set would break the pairing silently."""
    with pytest.raises(SystemExit) as exited:
        main(["run", "--set", setting])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "argument --set:" in err and "is set by companion run itself" in err


def test_run_takes_ports_and_any_other_mitmproxy_option():
    args = build_parser().parse_args(
        ["run", "--listen-port", "9090", "--api-port", "9401",
         "--set", "mode=upstream:http://proxy.corp:3128", "--set", "ssl_verify_upstream_trusted_ca=/p/ca.pem=x"]
    )  # fmt: skip
    assert (args.listen_port, args.api_port) == (9090, 9401)
    assert args.mitmproxy_options == ["mode=upstream:http://proxy.corp:3128", "ssl_verify_upstream_trusted_ca=/p/ca.pem=x"]


@pytest.mark.parametrize("argv", [[], ["frobnicate"]])
def test_a_missing_or_unknown_command_is_an_error(capsys, argv):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert "run" in capsys.readouterr().err  # the usage names the commands


def test_token_prints_one_line_and_the_same_one_again(capsys, tmp_path):
    """What the user pastes into the extension: one line, stable, the one the service reads."""
    data = tmp_path / "data"
    assert main(["token", "--data-dir", str(data)]) == 0
    first = capsys.readouterr().out
    assert main(["token", "--data-dir", str(data)]) == 0
    assert capsys.readouterr().out == first
    assert first.count("\n") == 1 and first.strip() == read_token(data)


def test_token_uses_companion_data_dir(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("COMPANION_DATA_DIR", str(tmp_path / "env-data"))
    assert main(["token"]) == 0
    assert capsys.readouterr().out.strip() == read_token(tmp_path / "env-data")


def test_token_as_a_command(tmp_path):
    """`python -m companion.cli` (what the `companion` script runs) prints exactly the token line."""
    data = tmp_path / "data"
    out = subprocess.run([sys.executable, "-m", "companion.cli", "token", "--data-dir", str(data)],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout == read_token(data) + "\n"
    assert out.stderr == ""


def test_a_data_dir_that_cannot_be_made_is_a_message_not_a_traceback(capsys, tmp_path):
    (tmp_path / "file").write_text("")
    assert main(["token", "--data-dir", str(tmp_path / "file" / "data")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("companion: cannot create the data dir ")
    assert "Traceback" not in err


@pytest.mark.parametrize("paired", [False, True])
@pytest.mark.parametrize(
    ("extra", "printed"),
    [([], "No 401s recorded.\n"), (["--site", "example.com"], "No 401s recorded for example.com.\n")],
)
def test_events_with_no_service_and_no_store(capsys, tmp_path, paired, extra, printed):
    """Before anything was captured, with or without a token made: a sentence, not an error."""
    if paired:
        main(["token", "--data-dir", str(tmp_path)])
        capsys.readouterr()
    assert main(["events", "--data-dir", str(tmp_path), "--api-port", str(free_port()), *extra]) == 0
    assert capsys.readouterr().out == printed


def test_events_json_with_nothing_recorded_is_valid_json(capsys, tmp_path):
    assert main(["events", "--data-dir", str(tmp_path), "--api-port", str(free_port()), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"events": []}


def _stored(data_dir: Path, *hosts: str) -> None:
    """Events written by the service's own store (then the service is gone)."""

    async def write() -> None:
        store = await Store.open(data_dir)
        for n, host in enumerate(hosts):
            await store.add(
                Event(
                    id=f"e{n}", time=datetime(2026, 11, 23, 10, 0, n, tzinfo=UTC), method="GET", url=f"https://{host}/me",
                    host=host, site=host, status=401,
                    diagnosis=Diagnosis(cause="expired_token", confidence=0.9, title="Expired", summary=f"The token for {host} expired."),
                )
            )  # fmt: skip
        await store.close()

    asyncio.run(write())


def test_events_read_the_store_when_no_service_runs(capsys, tmp_path):
    """After the companion stopped, `companion events` still shows what it recorded, newest first."""
    _stored(tmp_path, "api.example.com", "api.other.org")
    assert main(["events", "--data-dir", str(tmp_path), "--api-port", str(free_port())]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "10:00:01  401  GET    https://api.other.org/me",
        "          expired_token: The token for api.other.org expired.",
        "10:00:00  401  GET    https://api.example.com/me",
        "          expired_token: The token for api.example.com expired.",
    ]


@pytest.mark.parametrize(("extra", "urls"), [([], ["https://api.other.org/me", "https://api.example.com/me"]),
                                             (["--site", "example.com"], ["https://api.example.com/me"]),
                                             (["--limit", "1"], ["https://api.other.org/me"])])  # fmt: skip
def test_events_json_from_the_store_is_valid_json(capsys, tmp_path, extra, urls):
    _stored(tmp_path, "api.example.com", "api.other.org")
    assert main(["events", "--data-dir", str(tmp_path), "--api-port", str(free_port()), "--json", *extra]) == 0
    events = json.loads(capsys.readouterr().out)["events"]
    assert [e["url"] for e in events] == urls
    assert {e["diagnosis"]["cause"] for e in events} == {"expired_token"}


def test_a_servers_control_codes_never_reach_the_terminal(capsys, tmp_path):
    """A server's error_description with ESC and BEL (a title change, a screen clear) and a
    right-to-left override is printed escaped: the terminal shows it, does not obey it."""
    hostile = "Token revoked\x1b]0;pwned\x07\x1b[2J see \u202egnp.exe"

    async def write() -> None:
        store = await Store.open(tmp_path)
        await store.add(
            Event(
                id="e1", time=datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC), method="GET", url="https://api.example.com/me",
                host="api.example.com", site="example.com", status=401,
                diagnosis=Diagnosis(cause="invalid_token", confidence=0.9, title="Invalid", summary=hostile),
            )
        )  # fmt: skip
        await store.close()

    asyncio.run(write())
    assert main(["events", "--data-dir", str(tmp_path), "--api-port", str(free_port())]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "Token revoked\\x1b]0;pwned\\x07\\x1b[2J see \\u202egnp.exe" in out
