"""How the banner spells the commands a person types next: a path that works from where
they are, since `companion` is not on PATH after `make run`."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from companion.service import runner


@pytest.mark.parametrize(
    ("argv0", "on_path", "expected"),
    [
        (".venv/bin/companion", None, ".venv/bin/companion"),
        (".venv/bin/companion", "/usr/local/bin/companion", ".venv/bin/companion"),  # another install on PATH
        ("/usr/local/bin/companion", "/usr/local/bin/companion", "companion"),
        ("-m", None, f"{sys.executable} -m companion.cli"),
    ],
)
def test_the_banner_spells_companion_as_it_can_be_typed(tmp_path, monkeypatch, argv0, on_path, expected):
    monkeypatch.chdir(tmp_path)
    for path in {argv0, on_path} - {None, "-m"}:
        where = tmp_path / path.lstrip("/")
        where.parent.mkdir(parents=True, exist_ok=True)
        where.touch()
    started = str(tmp_path / argv0.lstrip("/")) if argv0 != "-m" else str(Path(runner.__file__))
    monkeypatch.setattr(sys, "argv", [started])
    monkeypatch.setattr(runner.shutil, "which", lambda name: str(tmp_path / on_path.lstrip("/")) if on_path else None)
    assert runner.command_name() == expected
