"""Running the companion: the service on its port, and for `companion run` the proxy as a
child process (mitmdump with the addon) that starts and stops with it."""

from __future__ import annotations

import asyncio
import ctypes
import os
import shutil
import signal
import socket
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from companion.config import default_data_dir, load_or_create_token
from companion.errors import ConfigError
from companion.service.app import create_app
from companion.service.keys import SESSIONS
from companion.service.page import login_url
from companion.service.store import DEFAULT_RETENTION, Retention

__all__ = ["RunOptions", "extension_dir", "mitmdump_command", "run", "serve", "start_service"]

_PROXY_START_TIMEOUT_S = 30.0
_PR_SET_PDEATHSIG = 1
BANNER_LINK_TTL_S = 15 * 60.0


@dataclass(frozen=True, slots=True)
class RunOptions:
    data_dir: Path
    api_port: int
    listen_port: int = 8080
    confdir: Path = Path("~/.mitmproxy")
    mitmproxy_options: tuple[str, ...] = field(default_factory=tuple)
    retention: Retention = field(default_factory=Retention)


def extension_dir() -> Path | None:
    candidate = Path(__file__).resolve().parent.parent.parent / "extension"
    return candidate if (candidate / "manifest.json").is_file() else None


async def start_service(data_dir: Path, api_port: int, retention: Retention = DEFAULT_RETENTION) -> web.AppRunner:
    """Open the store and listen on 127.0.0.1:api_port; errors say what to change."""
    token = load_or_create_token(data_dir)
    runner = web.AppRunner(create_app(data_dir, token, retention), access_log=None, handle_signals=False)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", api_port).start()
    except OSError as exc:
        await runner.cleanup()
        raise ConfigError(
            f"cannot listen on 127.0.0.1:{api_port} ({exc.strerror or exc}); is another companion "
            "running? Stop it, or choose another port with --api-port"
        ) from exc
    return runner


def _stop_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def serve(data_dir: Path, api_port: int, retention: Retention = DEFAULT_RETENTION) -> int:
    """`companion serve`: the service alone, until Ctrl-C."""
    stop = _stop_event()
    runner = await start_service(data_dir, api_port, retention)
    print(f"401 Companion service on http://127.0.0.1:{api_port} (data: {data_dir}). Ctrl-C stops it.", flush=True)
    print(f"Event list: {events_link(runner, api_port)} (works once, for 15 minutes; later: `companion open`)", flush=True)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
    return 0


def mitmdump_command(options: RunOptions) -> list[str]:
    return [
        # mitmdump with the addon added to it directly (companion/capture/dump.py), not as a script
        sys.executable, "-m", "companion.capture.dump",
        "--listen-host", "127.0.0.1",
        "--listen-port", str(options.listen_port),
        "--set", f"confdir={options.confdir}",
        "--set", "termlog_verbosity=warn",
        "--set", "flow_detail=0",
        "--set", f"companion_api=http://127.0.0.1:{options.api_port}",
        "--set", f"companion_data_dir={options.data_dir}",
        *(arg for option in options.mitmproxy_options for arg in ("--set", option)),
    ]  # fmt: skip


async def _wait_listening(port: int, child: asyncio.subprocess.Process) -> None:
    deadline = asyncio.get_running_loop().time() + _PROXY_START_TIMEOUT_S
    while asyncio.get_running_loop().time() < deadline:
        if child.returncode is not None:
            raise ConfigError(
                f"the proxy stopped at start (exit {child.returncode}); if port {port} is taken, "
                "choose another with --listen-port"
            )
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        return
    raise ConfigError(f"the proxy did not start listening on 127.0.0.1:{port} within {_PROXY_START_TIMEOUT_S:.0f} s")


def events_link(runner: web.AppRunner, port: int) -> str:
    """A one-time link to the event list for the banner: good for 15 minutes, as a person may
    read the banner a while after the start (`companion open` makes a fresh one any time)."""
    return login_url(port, runner.app[SESSIONS].new_code(ttl=BANNER_LINK_TTL_S))


def command_name() -> str:
    """How a person types `companion` here: the bare name when it is on PATH, else the path
    it was started by (`.venv/bin/companion` after `make run`), else `python -m companion.cli`."""
    on_path = shutil.which("companion")
    started = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if on_path and (started is None or started.name != "companion" or Path(on_path).resolve() == started.resolve()):
        return "companion"
    if started is not None and started.name == "companion" and started.exists():
        try:
            return str(started.resolve().relative_to(Path.cwd()))
        except ValueError:
            return str(started.resolve())
    return f"{sys.executable} -m companion.cli"


def banner(options: RunOptions, events: str = "") -> str:
    ext = extension_dir()
    me = command_name()
    data = f" --data-dir {options.data_dir}" if options.data_dir != default_data_dir() else ""
    ports = "" if options.api_port == 8401 else f" --api-port {options.api_port}"
    if options.listen_port != 8080:
        ports += f" --listen-port {options.listen_port}"
    return textwrap.dedent(
        f"""\
        401 Companion is running.
          Proxy      http://127.0.0.1:{options.listen_port}   (set it as your browser's HTTP and HTTPS proxy)
          CA cert    {options.confdir / 'mitmproxy-ca-cert.pem'}   (trust it once for HTTPS sites; see README)
          API        http://127.0.0.1:{options.api_port}
          Data       {options.data_dir}
          Extension  {ext or 'the extension/ folder of the source checkout'}   (chrome://extensions → Developer mode → Load unpacked)
          Pair       type the code `{me} pair{data}{ports}` prints into the extension's popup (or paste `{me} token{data}`)
          Events     {events or "`" + me + " open" + data + "`"}   (the event list; the link works once, for 15 minutes; later: `{me} open{data}`)
        Easiest: in another terminal, `{me} browse https://the-site/{data}{ports}` opens a browser with all of this done.
        Check the chain: `{me} doctor{data}{ports}`.
        Press Ctrl-C to stop."""
    )


def check_port_free(port: int, option: str, what: str) -> None:
    """Refuse, in the companion's own words, a port another program holds: before anything
    starts, so nothing is left half-running and no other tool's hint is printed."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise ConfigError(
                f"port {port} on 127.0.0.1 is taken ({exc.strerror or exc}), so the {what} cannot listen there; "
                f"stop what holds it, or choose another with {option} N"
            ) from exc


def _dies_with(parent: int) -> Callable[[], None] | None:
    """For the proxy child: on Linux, the kernel sends it SIGTERM when `companion run` dies,
    even by kill -9 (PR_SET_PDEATHSIG), so it never lingers holding the port."""
    if not sys.platform.startswith("linux"):
        return None

    def arrange() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the line above: go now
            os._exit(1)

    return arrange


async def run(options: RunOptions) -> int:
    """`companion run`: the service, then the proxy; Ctrl-C stops both in order."""
    stop = _stop_event()  # first: a Ctrl-C during start-up also stops in order
    check_port_free(options.listen_port, "--listen-port", "proxy")
    runner = await start_service(options.data_dir, options.api_port, options.retention)
    child: asyncio.subprocess.Process | None = None
    try:
        # A session of its own: Ctrl-C reaches us, and we stop the proxy in order.
        child = await asyncio.create_subprocess_exec(
            *mitmdump_command(options), start_new_session=True, preexec_fn=_dies_with(os.getpid())
        )
        stopped = asyncio.create_task(stop.wait())
        listening = asyncio.create_task(_wait_listening(options.listen_port, child))
        await asyncio.wait({stopped, listening}, return_when=asyncio.FIRST_COMPLETED)
        if stop.is_set():
            listening.cancel()
            print("Stopping…", flush=True)
            return 0
        listening.result()  # raises ConfigError when the proxy could not start
        print(banner(options, events_link(runner, options.api_port)), flush=True)
        exited = asyncio.create_task(child.wait())
        await asyncio.wait({stopped, exited}, return_when=asyncio.FIRST_COMPLETED)
        if exited.done() and not stop.is_set():
            print(f"companion: the proxy exited unexpectedly (exit {child.returncode})", file=sys.stderr)
            return 1
        print("Stopping…", flush=True)
        return 0
    finally:
        if child is not None and child.returncode is None:
            child.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(child.wait(), 10)
            except TimeoutError:
                child.kill()
                await child.wait()
        await runner.cleanup()
