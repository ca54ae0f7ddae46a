"""`companion run | browse | doctor | serve | token | pair | events | open`: the arguments, and which
function runs.

The events commands, `browse`, `doctor` and the way to the running service are in `commands/`.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import os
import sys
import webbrowser
from pathlib import Path

import companion
from companion.commands import events as cli_events
from companion.commands.service import Service
from companion.commands.text import moment, moment_until, shown
from companion.config import DEFAULT_API_PORT, DEFAULT_PROXY_PORT, default_data_dir, ensure_data_dir, load_or_create_token
from companion.errors import CompanionError

__all__ = ["build_parser", "main", "shown"]


def _whole_number(what: str, low: int, high: int):
    """An argparse type: a whole number from `low` to `high`, with a message naming `what`."""

    def parse(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"a {what} is a number, not {text!r}") from None
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"a {what} is between {low} and {high}, not {number}")
        return number

    return parse


_port = _whole_number("port", 1, 65535)
_limit = _whole_number("limit", 1, 500)
_keep = _whole_number("number of events to keep", 1, 10_000_000)


def _days(text: str) -> float:
    try:
        days = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a number of days is a number, not {text!r}") from None
    if not 0 <= days <= 36_500:
        raise argparse.ArgumentTypeError(f"a number of days is between 0 and 36500, not {text}")
    return days


def _cause(text: str) -> str:
    from companion.diagnosis.catalogue import CAUSES

    if text in CAUSES:
        return text
    near = difflib.get_close_matches(text, list(CAUSES), n=1)
    hint = f"did you mean {near[0]}? " if near else ""
    raise argparse.ArgumentTypeError(f"no cause {text!r}; {hint}the ids are in docs/causes.md")


def _mitmproxy_option(text: str) -> str:
    key, sep, _ = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"a mitmproxy option is KEY=VALUE, not {text!r}")
    if key.strip() in {"listen_host", "listen_port", "confdir", "scripts"} or key.startswith("companion_"):
        raise argparse.ArgumentTypeError(f"{key} is set by companion run itself (see its own options)")
    return text


def _reset_store(args: argparse.Namespace) -> None:
    """`--reset-store`: the damaged store moved aside (kept), an empty one starts."""
    if not args.reset_store:
        return
    from companion.service.store import move_aside

    moved = move_aside(args.data_dir)
    if moved is not None:
        print(f"Moved the event store aside to {moved}; starting with an empty history.", flush=True)


def _retention(args: argparse.Namespace):  # -> Retention, imported with the service
    from companion.service.store import Retention

    return Retention(keep=args.keep, keep_days=args.keep_days)


def _run(args: argparse.Namespace) -> int:
    from companion.service.runner import RunOptions, run

    _reset_store(args)
    options = RunOptions(
        data_dir=args.data_dir,
        api_port=args.api_port,
        listen_port=args.listen_port,
        confdir=args.confdir,
        mitmproxy_options=tuple(args.mitmproxy_options),
        retention=_retention(args),
    )
    return asyncio.run(run(options))


def _serve(args: argparse.Namespace) -> int:
    from companion.service.runner import serve

    _reset_store(args)
    return asyncio.run(serve(args.data_dir, args.api_port, _retention(args)))


def _token(args: argparse.Namespace) -> int:
    print(load_or_create_token(args.data_dir))
    return 0


def _open(args: argparse.Namespace) -> int:
    """`companion open`: the event list page, signed in by a one-time link."""
    service = Service(args.data_dir, args.api_port)
    link = service.post("/api/login-code", {"site": args.site})
    url = shown(str(link["url"]))
    if args.print:
        print(url)
        return 0
    if _has_browser() and webbrowser.open(url):
        print(f"Opened the event list in your browser (http://127.0.0.1:{args.api_port}/).")
        return 0
    print(f"Open this link in your browser; it signs you in once, within {link.get('expires_in', 60)} seconds:")
    print(url)
    return 0


def _has_browser() -> bool:
    """Whether a graphical browser can open: without a display, `webbrowser` falls back to
    lynx or w3m, which would take over this terminal for a page they cannot run."""
    if sys.platform in {"darwin", "win32"} or os.environ.get("BROWSER"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _common(suppress: bool = False) -> argparse.ArgumentParser:
    """--data-dir and --api-port. A subcommand's copy leaves unset options out (SUPPRESS), so
    that `companion events --api-port 9401 show ID` keeps the port given before `show`."""
    default = argparse.SUPPRESS if suppress else None
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", type=Path, default=default, help="where the store and the API token live (default: $COMPANION_DATA_DIR or the user data dir)")
    common.add_argument(
        "--api-port", type=_port, default=argparse.SUPPRESS if suppress else DEFAULT_API_PORT,
        help=f"the service's port on 127.0.0.1 (default {DEFAULT_API_PORT})",
    )  # fmt: skip
    return common


def _filters(suppress: bool = False) -> argparse.ArgumentParser:
    """The filters `events`, `events export` and `events clear` share (the API's)."""
    default = argparse.SUPPRESS if suppress else None
    filters = argparse.ArgumentParser(add_help=False)
    group = filters.add_argument_group("filters (combined: an event must match all)")
    group.add_argument("--site", default=default, metavar="HOST", help="this host or site, subdomains and the pages that called it included")
    group.add_argument(
        "--cause", type=_cause, action="append", default=default, metavar="ID",
        help="this cause id (docs/causes.md), e.g. expired_token; repeat it for any of several",
    )  # fmt: skip
    group.add_argument("--status", type=int, choices=[401, 407], default=default, help="401 (the site) or 407 (a proxy)")
    when = "ISO 8601 (2026-11-23, 2026-11-23T21:00, …Z) or 30m, 1h, 2d, 1w, today, yesterday"
    group.add_argument("--since", type=moment, default=default, metavar="WHEN", help=f"at or after: {when}")
    group.add_argument("--until", type=moment_until, default=default, metavar="WHEN", help="at or before, the same forms; a day (a date, today, yesterday) counts whole")
    group.add_argument("-q", dest="q", default=default, metavar="TEXT", help="this text in the URL, the cause's title or the summary")
    return filters


def _add_events(sub: argparse._SubParsersAction) -> None:
    common, filters = _common(), _filters()
    events = sub.add_parser(
        "events", parents=[common, filters], help="the recorded 401s: list, show one, export, clear",
        description="The recorded 401s and 407s, newest first: when (local time, or --utc), status, request, "
        "and the cause's title with the summary. Reads the stored history when the companion is not running. "
        "`companion events show ID` prints one whole; export and clear take the same filters.",
    )  # fmt: skip
    events.add_argument("--limit", type=_limit, default=20, help="how many, 1 to 500 (default 20)")
    events.add_argument("--json", action="store_true", help="print JSON ({\"events\": [...]}, times in UTC)")
    events.add_argument("--utc", action="store_true", help="print times in UTC instead of local time")
    events.set_defaults(func=cli_events.list_events)
    more = events.add_subparsers(dest="events_command", metavar="{show,export,clear}")
    quiet_common, quiet_filters = _common(suppress=True), _filters(suppress=True)

    show = more.add_parser(
        "show", parents=[quiet_common], help="one event whole",
        description="One event whole: when, the request, the status, the site and the page that made the request, "
        "the cause with its confidence, summary and evidence, the causes that also hold, the fixes as steps, the "
        "notes for the site's developers, and the redacted request and response headers. Needs the running companion.",
    )  # fmt: skip
    show.add_argument("id", metavar="ID", help="the event's id, or its first characters (as `companion events` shows it)")
    show.add_argument("--utc", action="store_true", default=argparse.SUPPRESS, help="the time in UTC instead of local time")
    show.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print the event as JSON, as the API gives it")
    show.set_defaults(func=cli_events.show_event)

    export = more.add_parser(
        "export", parents=[quiet_common, quiet_filters], help="write what the filters match to a HAR or JSON file",
        description="Write the events the filters match to a file only you can read: HAR 1.2 of the redacted "
        "exchanges (opens in Chrome DevTools and HTTP Toolkit), or the events as JSON. FILE `-` writes to stdout. "
        "Needs the running companion.",
    )  # fmt: skip
    target = export.add_mutually_exclusive_group(required=True)
    target.add_argument("--har", metavar="FILE", help="a HAR 1.2 file")
    target.add_argument("--json", dest="json_file", metavar="FILE", help='a JSON file: {"events": [...]}, newest first')
    export.set_defaults(func=cli_events.export_events)

    clear = more.add_parser(
        "clear", parents=[quiet_common, quiet_filters], help="delete what the filters match (all without filters)",
        description="Delete the events the filters match, or the whole history without filters; they are gone "
        "from the files, not just unlisted. Asks once; without a terminal to ask on, only with --yes. "
        "Needs the running companion.",
    )  # fmt: skip
    clear.add_argument("--yes", "-y", action="store_true", help="do not ask")
    clear.set_defaults(func=cli_events.clear_events)


def _add_proxy_options(parser: argparse.ArgumentParser) -> None:
    """The proxy's port and mitmproxy's conf dir: `run` starts them, `browse` and `doctor` use them."""
    parser.add_argument("--listen-port", type=_port, default=DEFAULT_PROXY_PORT, help=f"the proxy's port on 127.0.0.1 (default {DEFAULT_PROXY_PORT})")
    parser.add_argument(
        "--confdir", type=Path, default=Path("~/.mitmproxy").expanduser(),
        help="mitmproxy's conf dir, where its CA lives (default ~/.mitmproxy)",
    )  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="companion", description="401 Companion: why that request got 401, and the fix.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {companion.__version__}")
    common = _common()
    starts = argparse.ArgumentParser(add_help=False)
    starts.add_argument(
        "--reset-store", action="store_true",
        help="move a damaged event store aside (renamed, kept) and start with an empty history",
    )  # fmt: skip
    starts.add_argument("--keep", type=_keep, default=10_000, help="how many events to keep at most (default 10000)")
    starts.add_argument(
        "--keep-days", type=_days, default=30.0, help="drop events older than this many days, 0 for no limit (default 30)"
    )
    sub = parser.add_subparsers(dest="command", metavar="{run,browse,doctor,serve,token,pair,events,open}")

    run = sub.add_parser(
        "run", parents=[common, starts], help="run the proxy and the service",
        description="Run the proxy (mitmproxy with the companion's addon) and the service, until Ctrl-C. "
        "Prints the proxy's address, the CA certificate, the extension's folder and how to pair.",
    )  # fmt: skip
    _add_proxy_options(run)
    run.add_argument(
        "--set", dest="mitmproxy_options", action="append", default=[], type=_mitmproxy_option, metavar="KEY=VALUE",
        help="a mitmproxy option, repeatable (e.g. --set mode=upstream:http://corp-proxy:3128, --set ssl_insecure=true)",
    )
    run.set_defaults(func=_run)

    serve = sub.add_parser(
        "serve", parents=[common, starts], help="run the service only (feed it from your own mitmproxy)",
        description="Run the service alone, until Ctrl-C: feed it from your own mitmproxy with "
        "`mitmdump -s companion/addon.py`.",
    )  # fmt: skip
    serve.set_defaults(func=_serve)

    token = sub.add_parser(
        "token", parents=[common], help="print the API token the extension pairs with",
        description="Print the API token (one line, nothing else); it is made on first use.",
    )  # fmt: skip
    token.set_defaults(func=_token)

    _add_events(sub)

    open_ = sub.add_parser(
        "open", parents=[common], help="open the event list page in your browser",
        description="Open the running companion's event list page in your default browser, signed in by a "
        "one-time link; prints the link when no browser can be opened.",
    )  # fmt: skip
    open_.add_argument("--site", metavar="HOST", help="open the list on this site's events")
    open_.add_argument("--print", action="store_true", help="only print the link (one line), do not open a browser")
    open_.set_defaults(func=_open)

    pair = sub.add_parser(
        "pair", parents=[common], help="print a one-time code that pairs the extension",
        description="Print a short pairing code (one line; good once, for five minutes) to type into the "
        "extension's popup: the extension then learns the API token without it being pasted. "
        "Needs the running companion.",
    )  # fmt: skip
    pair.set_defaults(func=_pair)

    browse = sub.add_parser(
        "browse", parents=[common], help="open a browser set up for the companion: proxy, CA, extension, paired",
        description="Open a browser with a profile of its own (kept in the data dir, so sign-ins last) that goes "
        "through the companion's proxy, trusts its CA for that profile only, and has the extension loaded and "
        "paired: from nothing to a diagnosis in one command. Starts the companion when it is not running, and "
        "stops it again when the browser closes. Never touches your own profile or the system's trust store.",
    )  # fmt: skip
    browse.add_argument("url", nargs="?", help="the page to open (default: a blank page)")
    browse.add_argument("--browser", choices=["chromium", "chrome", "firefox"], help="which browser (default: the first found of these)")
    browse.add_argument("--headless", action="store_true", help="without a window (for scripts and tests)")
    _add_proxy_options(browse)
    browse.add_argument(
        "--browser-arg", dest="browser_args", action="append", default=[], metavar="ARG",
        help="one more command-line argument for the browser, repeatable (e.g. --browser-arg=--remote-debugging-port=9222)",
    )  # fmt: skip
    browse.set_defaults(func=_browse)

    doctor = sub.add_parser(
        "doctor", parents=[common], help="check the whole chain and say what to do",
        description="Check the whole chain, one line each with what to do when it fails: the service and its "
        "version, the proxy and the web through it, the CA, the extension, the data dir and the event store, the "
        "ports, the addon's wire schema, the clock. A public site unreachable is a warning (the companion works "
        "offline). Exits 1 when a check fails.",
    )  # fmt: skip
    _add_proxy_options(doctor)
    doctor.add_argument("--json", action="store_true", help='print {"ok": …, "checks": [{name, status, detail, fix}]}')
    doctor.set_defaults(func=_doctor)
    return parser


def _pair(args: argparse.Namespace) -> int:
    print(Service(args.data_dir, args.api_port).post("/api/pair-code")["code"])
    return 0


def _browse(args: argparse.Namespace) -> int:
    from companion.commands.browse import BrowseOptions, browse
    from companion.service.runner import extension_dir

    ensure_data_dir(args.data_dir)
    options = BrowseOptions(
        data_dir=args.data_dir, api_port=args.api_port, listen_port=args.listen_port, confdir=args.confdir.expanduser(),
        url=args.url, browser=args.browser, headless=args.headless, extension=extension_dir(), extra_args=tuple(args.browser_args),
    )  # fmt: skip
    return browse(options)


def _doctor(args: argparse.Namespace) -> int:
    from companion.commands.doctor import doctor

    return doctor(args.data_dir, args.api_port, args.listen_port, args.confdir.expanduser(), as_json=args.json)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    args.data_dir = (args.data_dir or default_data_dir()).expanduser().resolve()
    try:
        if args.command in {"run", "serve"}:
            ensure_data_dir(args.data_dir)
        return args.func(args)
    except CompanionError as exc:
        print(f"companion: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
