"""`companion browse`: from nothing to a diagnosis in one command.

A browser profile of the companion's own (kept in the data dir, so sign-ins survive the next
launch) with the proxy set for that profile only, the mitmproxy CA trusted for that profile
only, the extension loaded and already paired. The person's normal profile and the system's
trust store are never touched.

- Chromium (Debian's `chromium`, `chromium-browser`, the snap): `--proxy-server`, the CA by
  its SPKI hash (`--ignore-certificate-errors-spki-list`), `--load-extension`. Its first tab
  is the extension's own pairing page, which trades a one-time code for the token.
- Google Chrome ignores `--load-extension` since version 137: proxy and CA are set, and the
  command says plainly how to load the extension and pair by hand.
- Firefox (`firefox-esr`, `firefox`): proxy by the profile's prefs, the CA in the profile's
  certificate database (`certutil`, Debian's libnss3-tools), the extension installed in the
  profile (unsigned add-ons load in ESR, Developer Edition and Nightly).
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from companion.commands.service import Service, listening
from companion.errors import ConfigError

__all__ = ["BrowseOptions", "FoundBrowser", "browse", "chromium_extension_id", "find_browser"]

GECKO_ID = "401-companion@example.invalid"
_START_TIMEOUT_S = 40.0

_CANDIDATES: dict[str, tuple[str, ...]] = {
    "chromium": ("chromium", "chromium-browser", "/snap/bin/chromium"),
    "chrome": ("google-chrome-stable", "google-chrome", "chrome"),
    "firefox": ("firefox-esr", "firefox"),
}
_INSTALL_HINT = {
    "chromium": "install Chromium (Debian/Ubuntu: `sudo apt install chromium`)",
    "chrome": "install Google Chrome from google.com/chrome, or use --browser chromium",
    "firefox": "install Firefox (Debian: `sudo apt install firefox-esr libnss3-tools`)",
}


@dataclass(frozen=True)
class FoundBrowser:
    kind: str
    """`chromium`, `chrome` or `firefox`."""
    path: Path

    @property
    def family(self) -> str:
        return "firefox" if self.kind == "firefox" else "chromium"


@dataclass(frozen=True)
class BrowseOptions:
    data_dir: Path
    api_port: int
    listen_port: int
    confdir: Path
    url: str | None = None
    browser: str | None = None
    headless: bool = False
    extension: Path | None = None
    extra_args: tuple[str, ...] = ()
    """More command-line arguments for the browser (tests use a debugging port)."""


def find_browser(wanted: str | None = None) -> FoundBrowser:
    """The browser to launch: the kind asked for, or the first of Chromium, Chrome, Firefox
    found on this machine; a `ConfigError` that says what to install when there is none."""
    kinds = [wanted] if wanted else ["chromium", "chrome", "firefox"]
    for kind in kinds:
        for name in _CANDIDATES[kind]:
            found = shutil.which(name)
            if found:
                return FoundBrowser(kind, Path(found))
    if wanted:
        raise ConfigError(f"no {wanted} found on this machine: {_INSTALL_HINT[wanted]}")
    raise ConfigError("no browser found (looked for Chromium, Google Chrome and Firefox): " + _INSTALL_HINT["chromium"])


def chromium_extension_id(extension: Path) -> str:
    """The id Chromium gives an unpacked extension: from the SHA-256 of its folder's path,
    the first 32 hex digits written with the letters a to p."""
    digest = hashlib.sha256(str(extension.resolve()).encode()).hexdigest()[:32]
    return "".join(chr(ord("a") + int(c, 16)) for c in digest)


def ca_spki_hash(confdir: Path) -> str:
    """base64(SHA-256(SPKI)) of mitmproxy's CA: what Chromium trusts for one profile."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    cert = x509.load_pem_x509_certificate(ca_file(confdir).read_bytes())
    spki = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


def ca_file(confdir: Path) -> Path:
    path = confdir / "mitmproxy-ca-cert.pem"
    if not path.is_file():
        raise ConfigError(f"no mitmproxy CA at {path}: start `companion run` once (it makes one), or pass the --confdir it uses")
    return path


def pair_fragment(code: str, api_port: int, url: str | None) -> str:
    fragment = f"code={quote(code)}&port={api_port}"
    return fragment + (f"&next={quote(url, safe='')}" if url else "")


def chromium_command(found: FoundBrowser, options: BrowseOptions, profile: Path, code: str) -> tuple[list[str], str]:
    """The command line, and what to tell the person about the extension."""
    extension = options.extension
    args = [
        str(found.path),
        f"--user-data-dir={profile}",
        f"--proxy-server=http://127.0.0.1:{options.listen_port}",
        # Sites on this machine go through the proxy too; the companion's own API does not.
        f"--proxy-bypass-list=<-loopback>;127.0.0.1:{options.api_port}",
        f"--ignore-certificate-errors-spki-list={ca_spki_hash(options.confdir)}",
        "--no-first-run", "--no-default-browser-check", "--disable-search-engine-choice-screen",
    ]  # fmt: skip
    if options.headless:
        args += ["--headless=new", "--disable-gpu"]
    args += list(options.extra_args)
    if extension is None:
        return [*args, options.url or "about:blank"], "the extension was not found (it comes with the source checkout): proxy and CA only"
    args += [f"--disable-extensions-except={extension}", f"--load-extension={extension}"]
    start = f"chrome-extension://{chromium_extension_id(extension)}/pair/pair.html#{pair_fragment(code, options.api_port, options.url)}"
    if found.kind == "chrome":
        note = (
            "Google Chrome ignores --load-extension since version 137, so the extension is not loaded: "
            f"open chrome://extensions, turn on Developer mode, Load unpacked → {extension}, then type the code "
            f"{code} into its popup within a minute (later: `companion pair`), or use --browser chromium"
        )
        return [*args, options.url or "about:blank"], note
    return [*args, start], "the extension is loaded and paired"


def _firefox_prefs(options: BrowseOptions, moz_uuid: str) -> str:
    prefs = {
        "network.proxy.type": 1,
        "network.proxy.http": "127.0.0.1",
        "network.proxy.http_port": options.listen_port,
        "network.proxy.ssl": "127.0.0.1",
        "network.proxy.ssl_port": options.listen_port,
        "network.proxy.allow_hijacking_localhost": True,  # sites on this machine through the proxy too
        "network.proxy.no_proxies_on": "",
        "xpinstall.signatures.required": False,  # our unpacked build (honoured by ESR, Developer, Nightly)
        "extensions.autoDisableScopes": 0,  # the add-on in the profile is enabled without a prompt
        "extensions.enabledScopes": 15,
        "extensions.webextensions.uuids": json.dumps({GECKO_ID: moz_uuid}),
        "browser.shell.checkDefaultBrowser": False,
        "browser.aboutwelcome.enabled": False,
        "browser.startup.homepage_override.mstone": "ignore",
        "datareporting.policy.dataSubmissionEnabled": False,
        "toolkit.telemetry.reportingpolicy.firstRun": False,
    }
    return "".join(f"user_pref({json.dumps(name)}, {json.dumps(value)});\n" for name, value in prefs.items())


def firefox_xpi(extension: Path, target: Path) -> None:
    """The Firefox build of the extension, zipped as an add-on file (the manifest made as
    scripts/build-extension makes it)."""
    root = extension.parent
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, str(root / "scripts" / "build-extension"), "--build", f"{tmp}/build", "--out", f"{tmp}/dist"],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        build = Path(tmp) / "build" / "firefox"
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(p for p in build.rglob("*") if p.is_file()):
                zf.write(path, path.relative_to(build).as_posix())


def firefox_command(found: FoundBrowser, options: BrowseOptions, profile: Path, code: str) -> tuple[list[str], str]:
    profile.mkdir(parents=True, exist_ok=True)
    uuid_file = profile / "companion-extension-uuid"
    if not uuid_file.exists():
        uuid_file.write_text(str(uuid.uuid4()))
    moz_uuid = uuid_file.read_text().strip()
    (profile / "user.js").write_text(_firefox_prefs(options, moz_uuid))
    _trust_ca_in_profile(profile, options.confdir)
    args = [str(found.path), "--profile", str(profile), "--no-remote", *(["--headless"] if options.headless else []), *options.extra_args]
    if options.extension is None:
        return [*args, options.url or "about:blank"], "the extension was not found (it comes with the source checkout): proxy and CA only"
    firefox_xpi(options.extension, profile / "extensions" / f"{GECKO_ID}.xpi")
    start = f"moz-extension://{moz_uuid}/pair/pair.html#{pair_fragment(code, options.api_port, options.url)}"
    return [*args, start], "the extension is installed in the profile and paired"


def _trust_ca_in_profile(profile: Path, confdir: Path) -> None:
    certutil = shutil.which("certutil")
    if certutil is None:
        raise ConfigError("Firefox needs `certutil` to trust the proxy's CA in its profile: install libnss3-tools")
    database = f"sql:{profile}"
    if not (profile / "cert9.db").exists():
        subprocess.run([certutil, "-N", "-d", database, "--empty-password"], check=True, capture_output=True)
    subprocess.run(
        [certutil, "-A", "-d", database, "-n", "mitmproxy CA (401 Companion)", "-t", "C,,", "-i", str(ca_file(confdir))],
        check=True, capture_output=True,
    )  # fmt: skip


def _start_companion(options: BrowseOptions) -> subprocess.Popen[bytes]:
    """`companion run` as a child, until its API and proxy answer."""
    log = options.data_dir / "browse-companion.log"
    with open(log, "wb") as output:  # a file, never a pipe nobody reads: a full pipe would stall the service
        child = subprocess.Popen(
            [
                sys.executable, "-m", "companion.cli", "run", "--data-dir", str(options.data_dir),
                "--api-port", str(options.api_port), "--listen-port", str(options.listen_port), "--confdir", str(options.confdir),
            ],
            stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + _START_TIMEOUT_S
    service = Service(options.data_dir, options.api_port)
    while time.monotonic() < deadline:
        if child.poll() is not None:
            said = log.read_bytes()[-2000:].decode("utf-8", "replace").strip()
            raise ConfigError(f"the companion did not start: {said or f'exit {child.returncode}'} (log: {log})")
        if service.running() and listening(options.listen_port):
            return child
        time.sleep(0.2)
    _stop(child)
    raise ConfigError(f"the companion did not start within {_START_TIMEOUT_S:.0f} s (log: {log})")


def _stop(child: subprocess.Popen[bytes]) -> None:
    child.terminate()
    try:
        child.wait(15)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def browse(options: BrowseOptions) -> int:
    """Launch the browser; wait until it is closed; leave the companion as it was found."""
    found = find_browser(options.browser)
    service = Service(options.data_dir, options.api_port)
    started: subprocess.Popen[bytes] | None = None
    previous = signal.signal(signal.SIGTERM, _interrupt)  # a `kill` ends it as Ctrl-C does: in order
    try:
        if service.running():
            if not listening(options.listen_port):
                raise ConfigError(
                    f"a companion answers on API port {options.api_port}, but nothing listens on the proxy port "
                    f"{options.listen_port}: it may run as `companion serve`; start `companion run`, or pass its --listen-port"
                )
            print(f"Using the companion running on port {options.api_port}.")
        else:
            print("Starting the companion (it stops again when the browser closes)…", flush=True)
            started = _start_companion(options)
        code = service.post("/api/pair-code", {"ttl": 60})["code"]  # on a command line: short-lived
        profile = options.data_dir / "browsers" / found.kind
        make = firefox_command if found.family == "firefox" else chromium_command
        command, note = make(found, options, profile, code)
        print(f"Opening {found.kind} ({found.path}) with a profile of its own: {profile}")
        print(f"  proxy 127.0.0.1:{options.listen_port}, the proxy's CA trusted for this profile only; {note}.")
        print("Close the browser to finish.", flush=True)
        opened = time.monotonic()
        browser = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            exit_code = browser.wait()
        except KeyboardInterrupt:
            _stop(browser)
            return 0
        if time.monotonic() - opened < 2 and exit_code == 0:
            print(f"The browser handed the page to a {found.kind} already open with this profile and exited; "
                  "close that window and run this again to start afresh.")  # fmt: skip
        return exit_code
    except KeyboardInterrupt:
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
        if started is not None:
            _stop(started)
            print("Stopped the companion this command had started.")
