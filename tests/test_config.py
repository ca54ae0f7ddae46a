"""Where a companion keeps its things, and its API token: the same place for the service, the
addon and `companion token`, private to the user, and one token however they start."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from companion.config import TOKEN_FILE, default_data_dir, ensure_data_dir, load_or_create_token, read_token
from companion.errors import ConfigError
from tests.conftest import ROOT


@pytest.mark.parametrize(
    ("platform", "env", "expected"),
    [
        ("linux", {}, "{home}/.local/share/401-companion"),
        ("linux", {"XDG_DATA_HOME": "/xdg/data"}, "/xdg/data/401-companion"),
        ("linux", {"XDG_DATA_HOME": "relative/data"}, "{home}/.local/share/401-companion"),
        ("linux", {"XDG_DATA_HOME": "   "}, "{home}/.local/share/401-companion"),
        ("freebsd14", {"XDG_DATA_HOME": "/xdg/data"}, "/xdg/data/401-companion"),
        ("darwin", {}, "{home}/Library/Application Support/401-companion"),
        ("darwin", {"XDG_DATA_HOME": "/xdg/data"}, "{home}/Library/Application Support/401-companion"),
        ("win32", {"LOCALAPPDATA": "/users/al/AppData/Local"}, "/users/al/AppData/Local/401-companion"),
        ("win32", {}, "{home}/AppData/Local/401-companion"),
        # COMPANION_DATA_DIR wins everywhere, with ~ expanded; empty means unset.
        ("linux", {"COMPANION_DATA_DIR": "/srv/companion", "XDG_DATA_HOME": "/xdg/data"}, "/srv/companion"),
        ("darwin", {"COMPANION_DATA_DIR": "~/companion-2"}, "{home}/companion-2"),
        ("win32", {"COMPANION_DATA_DIR": "/srv/companion", "LOCALAPPDATA": "/x"}, "/srv/companion"),
        ("linux", {"COMPANION_DATA_DIR": ""}, "{home}/.local/share/401-companion"),
    ],
)
def test_default_data_dir(monkeypatch, tmp_path, platform, env, expected):
    """The service and the addon must find the same data dir (and token) without being told."""
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    for name in ("COMPANION_DATA_DIR", "XDG_DATA_HOME", "LOCALAPPDATA"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "platform", platform)
    assert default_data_dir() == Path(expected.format(home=home))


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_ensure_data_dir_creates_a_private_dir(tmp_path):
    """The token lives there: other users of the machine must not list or read it."""
    path = tmp_path / "a" / "b" / "data"
    assert ensure_data_dir(path) == path
    assert path.is_dir()
    assert mode_of(path) == 0o700
    assert ensure_data_dir(path) == path  # an existing one is fine


def test_a_data_dir_that_cannot_be_created_is_refused_with_a_message(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(ConfigError, match=r"cannot create the data dir .*file/data"):
        ensure_data_dir(tmp_path / "file" / "data")


@pytest.fixture
def unwritable_dir(tmp_path: Path) -> Iterator[Path]:
    """A folder the user running the tests cannot write to. Root writes whatever the mode says,
    but not into an immutable folder (`chattr +i`), where the system allows making one."""
    path = tmp_path / "data"
    path.mkdir()
    if os.geteuid() != 0:
        path.chmod(0o555)
        yield path
        path.chmod(0o755)
        return
    if not shutil.which("chattr") or subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("running as root, and this system cannot make an immutable folder")
    try:
        yield path
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_an_unwritable_data_dir_is_refused_with_a_message(unwritable_dir):
    """`--data-dir` pointing at someone else's folder says so, instead of failing later on the store."""
    with pytest.raises(ConfigError) as refused:
        ensure_data_dir(unwritable_dir)
    assert str(refused.value) == f"the data dir {unwritable_dir} is not writable; choose another with --data-dir"


def test_load_or_create_token_creates_a_private_token_file(tmp_path):
    data = tmp_path / "data"
    token = load_or_create_token(data)
    path = data / TOKEN_FILE
    assert path.read_text() == token + "\n"
    assert mode_of(path) == 0o600
    assert mode_of(data) == 0o700
    assert len(token) >= 32 and token.isascii() and not any(c.isspace() for c in token)


def test_the_token_is_created_once_and_reused(tmp_path):
    """Pairing survives restarts: the token changes only when the data dir is deleted."""
    first = load_or_create_token(tmp_path)
    assert load_or_create_token(tmp_path) == first
    assert read_token(tmp_path) == first
    other = tmp_path / "other"
    assert load_or_create_token(other) != first


@pytest.mark.parametrize(("content", "token"), [("my-own-token\n", "my-own-token"), ("  spaced-token \n\n", "spaced-token")])
def test_an_existing_token_file_is_used_as_it_is(tmp_path, content, token):
    (tmp_path / TOKEN_FILE).write_text(content)
    assert load_or_create_token(tmp_path) == token
    assert (tmp_path / TOKEN_FILE).read_text() == content


@pytest.mark.parametrize(("content", "token"), [(None, None), ("", None), ("\n", None), (b"\xff\xfe", None), ("tok\n", "tok")])
def test_read_token_never_raises(tmp_path, content, token):
    """The addon reads the token on every delivery, from a dir that may have none yet."""
    if isinstance(content, bytes):
        (tmp_path / TOKEN_FILE).write_bytes(content)
    elif content is not None:
        (tmp_path / TOKEN_FILE).write_text(content)
    assert read_token(tmp_path) == token


RACER = textwrap.dedent(
    """\
    import sys, time
    from pathlib import Path
    from companion.config import load_or_create_token
    from companion.errors import ConfigError

    base, me, rounds = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    (base / f"ready-{me}").touch()
    while not (base / "go").exists():
        time.sleep(0.001)
    for n in range(rounds):
        try:
            print(load_or_create_token(base / str(n)))
        except ConfigError as exc:
            print(f"ERROR {exc}")
    """
)


def test_processes_racing_to_create_the_token_all_get_the_same_one(tmp_path):
    """`companion serve` and `companion token` started together (or two companions on one data
    dir) must agree on one token, and neither may fail."""
    racers, rounds = 4, 200
    procs = [
        subprocess.Popen([sys.executable, "-c", RACER, str(tmp_path), str(me), str(rounds)], cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for me in range(racers)
    ]  # fmt: skip
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("ready-*"))) < racers and time.monotonic() < deadline:
        time.sleep(0.01)
    (tmp_path / "go").touch()
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        outputs.append(out.splitlines())
    failures = [line for lines in outputs for line in lines if line.startswith("ERROR")]
    assert failures == [], f"{len(failures)} of {racers * rounds}, e.g. {failures[0]}"
    for n in range(rounds):
        assert {lines[n] for lines in outputs} == {read_token(tmp_path / str(n))}


def test_a_data_dir_and_token_that_others_could_read_are_made_private(tmp_path):
    """A data dir that existed (0755) and a token file copied in readable by all (0644) are
    the user's alone after the companion has used them."""
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    (data / TOKEN_FILE).write_text("copied-token\n")
    (data / TOKEN_FILE).chmod(0o644)
    ensure_data_dir(data)
    assert read_token(data) == "copied-token"
    assert mode_of(data) == 0o700 and mode_of(data / TOKEN_FILE) == 0o600
