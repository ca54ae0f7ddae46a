"""`companion doctor`: the whole chain checked, one line per check, each with what to do when
it fails. What only the internet can answer is a warning when offline, never a failure: the
companion works offline."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import companion
from companion.commands.service import NotRunningError, RefusedError, Service, listening
from companion.commands.text import shown
from companion.errors import CompanionError
from companion.service.store import DB_FILE

__all__ = ["Check", "doctor", "run_checks"]

PUBLIC_PROBE = "http://example.com/"
_RECENT_S = 15 * 60
_SKEW_WARN_S = 60


@dataclass
class Check:
    name: str
    status: str
    """`ok`, `warn` or `fail`."""
    detail: str
    fix: str = ""


@dataclass
class Context:
    data_dir: Path
    api_port: int
    listen_port: int
    confdir: Path
    status: dict[str, Any] | None = None


def run_checks(ctx: Context) -> list[Check]:
    checks = [_service(ctx)]
    checks.append(_proxy(ctx))
    checks.append(_internet(ctx, proxied=checks[-1].status == "ok"))
    checks += [_ports(ctx), _ca(ctx), _extension(ctx), _store(ctx), _schema(ctx), _clock(ctx)]
    return checks


# ---- the service --------------------------------------------------------------------------


def _service(ctx: Context) -> Check:
    service = Service(ctx.data_dir, ctx.api_port)
    where = f"127.0.0.1:{ctx.api_port}"
    if not service.running():
        failing = _failing_health(ctx.api_port)
        if failing:
            return Check("service", "fail", f"the companion on {where} runs, but its event store refuses writes: {failing}",
                         "stop it, then companion doctor again; a damaged store: companion run --reset-store")  # fmt: skip
        owner = port_owner(ctx.api_port)
        if owner:
            return Check("service", "fail", f"port {ctx.api_port} is held by {owner}, not by a 401 Companion",
                         "stop it, or run the companion on another port: companion run --api-port N")  # fmt: skip
        return Check("service", "fail", f"nothing answers on {where}", "start it: companion run (or companion browse)")
    try:
        ctx.status = service.get("/api/status")
    except RefusedError as exc:
        return Check("service", "fail", f"the companion on {where} answered an error: {exc}",
                     "restart it from this installation: companion run")  # fmt: skip
    except NotRunningError as exc:
        return Check("service", "fail", str(exc), "companion run")
    except CompanionError as exc:  # its message says what to do (another data dir's companion, …)
        return Check("service", "fail", str(exc))
    assert ctx.status is not None
    version = ctx.status.get("version")
    if version != companion.__version__:
        return Check("service", "warn", f"401 Companion {version} on {where}, but this command is {companion.__version__}",
                     "restart the companion from this installation: companion run")  # fmt: skip
    return Check("service", "ok", f"401 Companion {version} on {where}, data in {ctx.status.get('data_dir')}")


def _failing_health(port: int) -> str | None:
    """The problem a companion's health reports when it answers `failing` (503)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/api/health")
        response = conn.getresponse()
        body = json.loads(response.read() or b"{}")
    except (OSError, ValueError, http.client.HTTPException):
        return None
    finally:
        conn.close()
    return str(body.get("problem")) if isinstance(body, dict) and body.get("status") == "failing" else None


# ---- the proxy ----------------------------------------------------------------------------


def _through_proxy(port: int, url: str, timeout: float = 8.0) -> int:
    """The status of a plain-http GET of `url` through the proxy on `port`."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", url, headers={"User-Agent": "401-companion-doctor"})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _proxy(ctx: Context) -> Check:
    where = f"127.0.0.1:{ctx.listen_port}"
    if not listening(ctx.listen_port):
        return Check("proxy", "fail", f"nothing listens on {where}",
                     "start the proxy and the service: companion run (`companion serve` runs no proxy)")  # fmt: skip
    try:
        status = _through_proxy(ctx.listen_port, f"http://127.0.0.1:{ctx.api_port}/api/health")
    except (OSError, http.client.HTTPException) as exc:
        owner = port_owner(ctx.listen_port) or "a program"
        return Check("proxy", "fail", f"{where} is held by {owner} that does not act as an HTTP proxy ({exc})",
                     "stop it, or run the companion's proxy on another port: companion run --listen-port N")  # fmt: skip
    if status != 200:
        return Check("proxy", "warn", f"the proxy on {where} answered {status} for the companion's own health check",
                     "if it is not the companion's proxy, run companion run --listen-port N on a free port")  # fmt: skip
    return Check("proxy", "ok", f"an HTTP proxy on {where} forwards requests")


def _internet(ctx: Context, proxied: bool) -> Check:
    if not proxied:
        return Check("web", "warn", "not checked: the proxy is not working")
    try:
        status = _through_proxy(ctx.listen_port, PUBLIC_PROBE)
    except (OSError, http.client.HTTPException) as exc:
        return Check("web", "warn", f"{PUBLIC_PROBE} could not be reached through the proxy ({exc}): offline?",
                     "nothing to do when you are offline (the companion works offline); else check the network or an upstream proxy (companion run --set mode=upstream:http://host:port)")  # fmt: skip
    if status >= 500:
        return Check("web", "warn", f"{PUBLIC_PROBE} answered {status} through the proxy: offline, or an upstream proxy is needed",
                     "companion run --set mode=upstream:http://host:port for a corporate proxy")  # fmt: skip
    return Check("web", "ok", f"{PUBLIC_PROBE} reached through the proxy ({status})")


def _ports(ctx: Context) -> Check:
    parts = []
    for what, port in (("API", ctx.api_port), ("proxy", ctx.listen_port)):
        if not listening(port):
            parts.append(f"{what} {port} free")
        else:
            parts.append(f"{what} {port} in use by {port_owner(port) or 'a process this user cannot see'}")
    return Check("ports", "ok", "; ".join(parts))


# ---- the CA, the extension ------------------------------------------------------------------


def _ca(ctx: Context) -> Check:
    ca = ctx.confdir / "mitmproxy-ca-cert.pem"
    if not ca.is_file():
        return Check("ca", "fail", f"no mitmproxy CA at {ca}", "start companion run once (it makes one), or pass the --confdir it uses")
    firefox = ctx.data_dir / "browsers" / "firefox"
    notes = [f"{ca}"]
    if (firefox / "cert9.db").is_file():
        certutil = shutil.which("certutil")
        if certutil is None:
            return Check("ca", "warn", f"{ca}; the Firefox profile's trust cannot be checked without certutil", "install libnss3-tools")
        listed = subprocess.run([certutil, "-L", "-d", f"sql:{firefox}"], capture_output=True, text=True, check=False)
        if "401 Companion" not in listed.stdout:
            return Check("ca", "fail", f"the Firefox profile {firefox} does not trust the proxy's CA",
                         "companion browse --browser firefox (it trusts it again)")  # fmt: skip
        notes.append("trusted by the Firefox profile of companion browse")
    if (ctx.data_dir / "browsers" / "chromium").is_dir():
        notes.append("Chromium profiles trust it at launch (companion browse)")
    return Check("ca", "ok", "; ".join(notes))


def _extension(ctx: Context) -> Check:
    if ctx.status is None:
        return Check("extension", "warn", "not checked: the service is not answering")
    seen = ctx.status.get("extensions") or {}
    if not seen:
        return Check("extension", "warn", "no paired extension has called the companion since it started",
                     "companion browse opens a browser with it paired; or click its icon and type the code `companion pair` prints")  # fmt: skip
    def ago_of(item: tuple[str, dict[str, Any]]) -> float:
        seconds = item[1].get("seconds_ago")
        return 1e9 if seconds is None else float(seconds)

    name, last = min(seen.items(), key=ago_of)
    ago = ago_of((name, last))
    browser = {"chrome-extension": "Chromium", "moz-extension": "Firefox"}.get(name, name)
    if ago > _RECENT_S:
        return Check("extension", "warn", f"the {browser} extension was last seen {ago / 60:.0f} min ago (paired)",
                     "open a browser with it: companion browse")  # fmt: skip
    return Check("extension", "ok", f"the {browser} extension is paired, last seen {ago:.0f} s ago")


# ---- the data --------------------------------------------------------------------------------


def _store(ctx: Context) -> Check:
    data = ctx.data_dir
    if not data.is_dir():
        return Check("data", "warn", f"{data} does not exist yet", "companion run creates it")
    if not os.access(data, os.W_OK):
        return Check("data", "fail", f"{data} is not writable", f"fix its permissions: chmod u+rwx {data}")
    path = data / DB_FILE
    if not path.exists():
        return Check("data", "ok", f"{data} is writable; no event store yet (made at the first start)")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            problems = [row[0] for row in conn.execute("PRAGMA quick_check(3)")]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        problems = [str(exc)]
    if problems != ["ok"]:
        return Check("data", "fail", f"{path} is damaged: {'; '.join(problems)}",
                     "restart with companion run --reset-store (the damaged file is kept aside)")  # fmt: skip
    store = (ctx.status or {}).get("store") or {}
    size = store.get("bytes") or sum(p.stat().st_size for p in data.glob(DB_FILE + "*") if p.is_file())
    days = f"{store['keep_days']:g} days" if store.get("keep_days") else "no age limit"
    kept = f"; keeps {store['keep']:,} events, {days}" if "keep" in store else ""
    events = f"{store['events']:,} events, " if "events" in store else ""
    losses = (ctx.status or {}).get("losses") or {}
    lost = (losses.get("refused_by_service") or 0) + (losses.get("dropped_by_addon") or 0)
    detail = f"{path}: {events}{size / 1e6:.1f} MB, quick_check ok{kept}"
    if lost:
        return Check("data", "warn", f"{detail}; {lost} captured 401s were lost ({json.dumps(losses.get('refused_why') or {})})",
                     "see GET /api/stats; a burst beyond the buffer, or a store that failed, loses events")  # fmt: skip
    return Check("data", "ok", detail)


def _schema(ctx: Context) -> Check:
    if ctx.status is None:
        return Check("schema", "warn", "not checked: the service is not answering")
    mine = ctx.status.get("wire_schema")
    addons = ctx.status.get("addons") or {}
    if not addons:
        return Check("schema", "ok", f"the service reads wire schema {mine}; no addon has delivered a 401 since it started")
    other = {name: a.get("schema") for name, a in addons.items() if a.get("schema") not in (mine, None)}
    if other:
        return Check("schema", "fail", f"an addon writes wire schema {sorted(set(other.values()))}, the service reads {mine}",
                     "load the addon of this installation: mitmdump -s companion/addon.py from the same checkout, or companion run")  # fmt: skip
    return Check("schema", "ok", f"{len(addons)} addon(s) and the service on wire schema {mine}")


def _clock(ctx: Context) -> Check:
    if ctx.status is None:
        return Check("clock", "warn", "not checked: the service is not answering")
    try:
        events = Service(ctx.data_dir, ctx.api_port).get("/api/events", {"limit": 50}).get("events", [])
    except CompanionError:
        return Check("clock", "warn", "not checked: the events could not be read")
    skews = []
    for event in events:
        response = (event.get("exchange") or {}).get("response") or {}
        if response.get("date") and response.get("received"):
            server = datetime.fromisoformat(response["date"].replace("Z", "+00:00"))
            local = datetime.fromisoformat(response["received"].replace("Z", "+00:00"))
            skews.append((local - server).total_seconds())
    if not skews:
        return Check("clock", "ok", "no recent response with a Date to compare the clock with")
    skew = statistics.median(skews)
    if abs(skew) > _SKEW_WARN_S:
        side = "ahead of" if skew > 0 else "behind"
        return Check("clock", "warn", f"this machine's clock is {abs(skew):.0f} s {side} the servers' (median of {len(skews)} responses)",
                     "turn on network time (timedatectl set-ntp true): tokens look expired or not yet valid otherwise")  # fmt: skip
    return Check("clock", "ok", f"within {abs(skew):.0f} s of the servers' Date (median of {len(skews)} responses)")


# ---- ports ---------------------------------------------------------------------------------


def port_owner(port: int) -> str | None:
    """`PID 1234 (mitmdump)` for the process listening on 127.0.0.1:`port`, from /proc (Linux;
    None elsewhere, or when the process is another user's)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    if not inodes:
        return None
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    name = Path(f"/proc/{pid}/comm").read_text().strip()
                    return f"PID {pid} ({name})"
        except OSError:
            continue
    return None


# ---- the command ---------------------------------------------------------------------------

_MARKS = {"ok": "✓", "warn": "!", "fail": "✗"}


def doctor(data_dir: Path, api_port: int, listen_port: int, confdir: Path, as_json: bool = False) -> int:
    checks = run_checks(Context(data_dir, api_port, listen_port, confdir))
    failed = any(c.status == "fail" for c in checks)
    if as_json:
        print(json.dumps({"ok": not failed, "checks": [asdict(c) for c in checks]}, indent=2))
        return 1 if failed else 0
    utf8 = (sys.stdout.encoding or "").lower().replace("-", "") == "utf8"
    for check in checks:
        mark = _MARKS[check.status] if utf8 else check.status.upper()
        print(shown(f"{mark} {check.name:<10} {check.detail}"))
        if check.fix and check.status != "ok":
            print(shown(f"  {'':<10} → {check.fix}" if utf8 else f"  {'':<10} -> {check.fix}"))
    print("All is well." if not failed else "Something is wrong: see the lines marked above.")
    return 1 if failed else 0
