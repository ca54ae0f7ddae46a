"""`scripts/build-extension`: two installable zips from the one extension/ source, each with
its browser's manifest and every file that manifest (and the code) names; Firefox's passes
`web-ext lint` without a warning."""

from __future__ import annotations

import json
import posixpath
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import companion
from tests.conftest import IN_CI, ROOT

BUILD = ROOT / "scripts" / "build-extension"
SOURCE_MANIFEST = json.loads((ROOT / "extension" / "manifest.json").read_text())
VERSION = companion.__version__
IMPORT = re.compile(r"""(?:^|\n)\s*import\s[^;]*?from\s+["'](\.{1,2}/[^"']+)["']|<(?:script|link)[^>]+(?:src|href)="([^":]+)\"""")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("extension-build")
    result = subprocess.run(
        [sys.executable, str(BUILD), "--out", str(tmp / "dist"), "--build", str(tmp / "build")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return {"dist": tmp / "dist", "build": tmp / "build"}


def read_zip(path: Path) -> tuple[dict, set[str], zipfile.ZipFile]:
    archive = zipfile.ZipFile(path)
    return json.loads(archive.read("manifest.json")), set(archive.namelist()), archive


def manifest_files(manifest: dict) -> set[str]:
    action = manifest["action"]
    background = manifest["background"]
    return {
        *manifest["icons"].values(), *action["default_icon"].values(), action["default_popup"],
        *background.get("scripts", []), *([background["service_worker"]] if "service_worker" in background else []),
    }  # fmt: skip


@pytest.mark.parametrize("browser", ["chromium", "firefox"])
def test_zip_holds_every_file_its_manifest_and_code_name(built: dict[str, Path], browser: str):
    """A zip that installs: the manifest's files, and every module or page resource they load."""
    manifest, names, archive = read_zip(built["dist"] / f"401-companion-{browser}-{VERSION}.zip")
    assert manifest["version"] == VERSION and manifest["manifest_version"] == 3
    assert manifest_files(manifest) <= names
    loaded = set()
    for name in sorted(n for n in names if n.endswith((".js", ".html"))):
        for match in IMPORT.finditer(archive.read(name).decode()):
            target = posixpath.normpath(posixpath.join(posixpath.dirname(name), match.group(1) or match.group(2)))
            assert target in names, f"{name} loads {target}, missing from the zip"
            loaded.add(target)
    assert {"lib/stream.js", "lib/fixes.js", "popup/popup.js", "popup/popup.css"} <= loaded
    assert "README.md" not in names


@pytest.mark.parametrize(
    ("browser", "present", "absent"),
    [
        ("chromium", {"background.service_worker": "background/main.js", "minimum_chrome_version": "120"}, ["browser_specific_settings"]),
        (
            "firefox",
            {
                "background.scripts": ["background/main.js"],
                "browser_specific_settings.gecko.id": "401-companion@example.invalid",
                "browser_specific_settings.gecko.strict_min_version": "142.0",
            },
            ["minimum_chrome_version", "background.service_worker"],
        ),
    ],
)
def test_manifest_is_generated_per_browser(built: dict[str, Path], browser: str, present: dict, absent: list[str]):
    """Firefox gets an event page and an add-on id; Chromium the service worker; both keep
    the permissions of the one source."""
    manifest, _, _ = read_zip(built["dist"] / f"401-companion-{browser}-{VERSION}.zip")
    for dotted, value in present.items():
        assert lookup(manifest, dotted) == value, dotted
    for dotted in absent:
        assert lookup(manifest, dotted) is None, dotted
    assert manifest["permissions"] == SOURCE_MANIFEST["permissions"]
    assert manifest["host_permissions"] == SOURCE_MANIFEST["host_permissions"]
    assert (built["build"] / browser / "manifest.json").is_file()


def test_the_unpacked_source_carries_the_package_version_too():
    """The extension loaded unpacked from extension/ reports the same version as the builds."""
    assert SOURCE_MANIFEST["version"] == companion.__version__


def test_nothing_but_the_extension_is_shipped(built: dict[str, Path]):
    """Tooling files beside the sources (README, the package.json for node's tests) stay out."""
    _, names, _ = read_zip(built["dist"] / f"401-companion-chromium-{VERSION}.zip")
    assert not {"README.md", "package.json"} & names


def test_web_ext_lint_is_clean(built: dict[str, Path]):
    """Mozilla's linter (the pinned web-ext of package-lock.json, never a download) finds no
    error, warning or notice in the Firefox build (in CI it must run)."""
    web_ext = ROOT / "node_modules" / ".bin" / "web-ext"
    if not web_ext.exists():
        if IN_CI:
            pytest.fail("node_modules/.bin/web-ext is missing in CI: `make test` runs `npm ci` first")
        pytest.skip("web-ext not installed (install Node.js, then `npm ci`)")
    result = subprocess.run(
        [str(web_ext), "lint", "--source-dir", str(built["build"] / "firefox"), "--output", "json", "--warnings-as-errors"],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )  # fmt: skip
    start = result.stdout.find("{")
    assert start != -1, f"web-ext lint printed no report:\n{result.stdout}\n{result.stderr}"
    report = json.loads(result.stdout[start:])
    problems = [f"{m.get('_type', m.get('type'))}: {m['code']} {m.get('file', '')}: {m['message']}" for m in report["errors"] + report["warnings"] + report["notices"]]
    assert problems == [] and result.returncode == 0, "\n".join(problems) or result.stderr


def lookup(data: dict, dotted: str):
    for key in dotted.split("."):
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data
