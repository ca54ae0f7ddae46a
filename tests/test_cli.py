"""The `companion` command's arguments, its help, and its quick commands (`token`, `open`);
`companion events` is in commands/test_events.py."""

from __future__ import annotations

import argparse
import http.client
import subprocess
import sys
import webbrowser
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from companion.cli import build_parser, main
from companion.config import read_token
from tests.commands.test_events import Served, serve
from tests.conftest import ROOT, free_port, stop


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


@pytest.mark.parametrize("argv", [["frobnicate"], ["events", "frobnicate"]])
def test_an_unknown_command_is_an_error(capsys, argv):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert "invalid choice: 'frobnicate'" in capsys.readouterr().err


def test_companion_alone_prints_the_help(capsys):
    """As pip and docker do: the commands and what each does, on stdout, exit 0."""
    assert main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: companion ")
    for command in ("run", "serve", "token", "events", "open"):
        assert f"\n    {command} " in out, out


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield (*path, name), child
                yield from _commands(child, (*path, name))


COMMANDS = [" ".join(path) for path, _ in _commands(build_parser())]


def test_the_contracts_commands_are_there():
    """DESIGN.md's commands, at least (the list the help test below walks)."""
    assert {"run", "serve", "token", "events", "events show", "events export", "events clear", "open"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_commands_help_says_what_it_does(capsys, command):
    with pytest.raises(SystemExit) as exited:
        main([*command.split(), "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    description = out.split("\n\n")[1]
    assert len(description.split()) >= 8, out
    assert not description.lstrip().startswith(("positional", "options")), out


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




# --- companion open --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    running = serve(tmp_path_factory.mktemp("open"))
    yield running
    stop(running.proc)


def _sign_in(url: str) -> tuple[int, str]:
    """Follow a login link the way a browser does its first step: the status and the cookie set."""
    parts = urlsplit(url)
    assert parts.hostname == "127.0.0.1"
    conn = http.client.HTTPConnection("127.0.0.1", parts.port, timeout=10)
    conn.request("GET", f"{parts.path}?{parts.query}")
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status, response.getheader("Set-Cookie") or ""


def test_open_print_gives_a_link_that_signs_in_once(capsys, served):
    assert main(["open", "--print", *served.argv]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.startswith(f"http://127.0.0.1:{served.port}/login?code=")
    status, cookie = _sign_in(out.strip())
    assert status == 303 and "HttpOnly" in cookie
    assert _sign_in(out.strip()) == (401, "")


def test_open_opens_the_browser_with_the_link(capsys, monkeypatch, served):
    opened: list[str] = []
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: opened.append(url) or True)
    assert main(["open", "--site", "app.example.com", *served.argv]) == 0
    assert capsys.readouterr().out == f"Opened the event list in your browser (http://127.0.0.1:{served.port}/).\n"
    (url,) = opened
    assert url.endswith("&site=app.example.com")
    assert _sign_in(url)[0] == 303


@pytest.mark.parametrize("display", [False, True])
def test_open_prints_the_link_when_no_browser_can_open(capsys, monkeypatch, served, display):
    """Over ssh (no display) no browser is tried, as lynx would take over the terminal; with a
    display whose browser fails, the link is printed too."""
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER"):
        monkeypatch.delenv(name, raising=False)
    tried: list[str] = []
    if display:
        monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: tried.append(url) and False)
    assert main(["open", *served.argv]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(tried) == int(display)
    assert lines[0] == "Open this link in your browser; it signs you in once, within 120 seconds:"
    assert lines[1].startswith(f"http://127.0.0.1:{served.port}/login?code=") and len(lines) == 2
    assert _sign_in(lines[1])[0] == 303


def test_open_without_a_companion_says_how_to_start_one(capsys, tmp_path):
    main(["token", "--data-dir", str(tmp_path)])
    capsys.readouterr()
    port = free_port()
    assert main(["open", "--data-dir", str(tmp_path), "--api-port", str(port)]) == 2
    assert capsys.readouterr().err == (
        f"companion: no companion is running on port {port}: start it with `companion run` "
        "(or `companion serve`), or pass the --api-port it listens on\n"
    )


def test_open_on_a_companion_of_another_data_dir_says_so(capsys, served, tmp_path):
    main(["token", "--data-dir", str(tmp_path)])
    capsys.readouterr()
    assert main(["open", "--data-dir", str(tmp_path), "--api-port", str(served.port)]) == 2
    assert capsys.readouterr().err == (
        f"companion: the companion on port {served.port} uses another data dir (not {tmp_path}); "
        "pass --data-dir with the one it was started with (or set COMPANION_DATA_DIR)\n"
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["events", "--api-port", "9401", "--site", "a.example", "export", "--har", "f.har"],
        ["events", "export", "--har", "f.har", "--api-port", "9401", "--site", "a.example"],
        ["events", "--site", "a.example", "export", "--api-port", "9401", "--har", "f.har"],
    ],
)
def test_options_count_before_or_after_the_events_subcommand(argv):
    """`companion events --site X export …` and `companion events export … --site X` are the same."""
    args = build_parser().parse_args(argv)
    assert (args.api_port, args.site, args.har, args.data_dir) == (9401, "a.example", "f.har", None)


def test_subcommand_defaults_do_not_undo_what_was_given_before_it():
    args = build_parser().parse_args(["events", "--utc", "--api-port", "9401", "show", "abc"])
    assert (args.utc, args.api_port, args.id) == (True, 9401, "abc")
    args = build_parser().parse_args(["events", "show", "abc"])
    assert (args.utc, args.api_port) == (False, 8401)
