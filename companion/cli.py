"""`companion run | serve | token | events`."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import companion
from companion.config import (
    DEFAULT_API_PORT,
    DEFAULT_PROXY_PORT,
    default_data_dir,
    ensure_data_dir,
    load_or_create_token,
    read_token,
)
from companion.errors import CompanionError

__all__ = ["build_parser", "main"]


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


def _fetch_events(args: argparse.Namespace) -> list[dict] | None:
    """Events from the running service, or None when no service answers on that port."""
    token = read_token(args.data_dir)
    if not token:
        return None
    query = urllib.parse.urlencode({"limit": args.limit, **({"site": args.site} if args.site else {})})
    request = urllib.request.Request(
        f"http://127.0.0.1:{args.api_port}/api/events?{query}", headers={"Authorization": f"Bearer {token}"}
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
    try:
        with opener.open(request, timeout=5) as response:
            return json.load(response)["events"]
    except urllib.error.HTTPError as exc:
        try:
            said = json.load(exc)["error"]["message"]
        except (ValueError, KeyError, TypeError):
            said = exc.reason
        hint = " (is it another companion's? use --data-dir)" if exc.code == 401 else ""
        raise CompanionError(f"the service on port {args.api_port} answered {exc.code}: {said}{hint}") from exc
    except (OSError, ValueError, KeyError):
        return None


def _events(args: argparse.Namespace) -> int:
    from companion.service.store import DB_FILE, read_events_file

    events = _fetch_events(args)
    if events is None:
        path = args.data_dir / DB_FILE
        if not path.exists():
            events = []
        else:
            events = read_events_file(path, args.site, args.limit)
    if args.json:
        print(json.dumps({"events": events}, indent=2))
        return 0
    if not events:
        where = f" for {args.site}" if args.site else ""
        print(f"No 401s recorded{where}.")
        return 0
    for event in events:
        diagnosis = event["diagnosis"]
        when = event["time"][11:19]
        print(shown(f"{when}  {event['status']}  {event['method']:<6} {event['url']}"))
        print(shown(f"          {diagnosis['cause']}: {diagnosis['summary']}"))
    return 0


# Control characters and bidirectional overrides: a server's text must never move the cursor,
# clear the screen, retitle the window or reorder what the person reads.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def shown(text: str) -> str:
    """Text that came from a server, safe for a terminal: control codes shown escaped."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="companion", description="401 Companion: why that request got 401, and the fix.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {companion.__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", type=Path, default=None, help="where the store and the API token live (default: $COMPANION_DATA_DIR or the user data dir)")
    common.add_argument("--api-port", type=_port, default=DEFAULT_API_PORT, help=f"the service's port on 127.0.0.1 (default {DEFAULT_API_PORT})")
    starts = argparse.ArgumentParser(add_help=False)
    starts.add_argument(
        "--reset-store", action="store_true",
        help="move a damaged event store aside (renamed, kept) and start with an empty history",
    )  # fmt: skip
    starts.add_argument("--keep", type=_keep, default=10_000, help="how many events to keep at most (default 10000)")
    starts.add_argument(
        "--keep-days", type=_days, default=30.0, help="drop events older than this many days, 0 for no limit (default 30)"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", parents=[common, starts], help="run the proxy and the service")
    run.add_argument("--listen-port", type=_port, default=DEFAULT_PROXY_PORT, help=f"the proxy's port on 127.0.0.1 (default {DEFAULT_PROXY_PORT})")
    run.add_argument("--confdir", type=Path, default=Path("~/.mitmproxy").expanduser(), help="mitmproxy's conf dir, where its CA lives (default ~/.mitmproxy)")
    run.add_argument(
        "--set", dest="mitmproxy_options", action="append", default=[], type=_mitmproxy_option, metavar="KEY=VALUE",
        help="a mitmproxy option, repeatable (e.g. --set mode=upstream:http://corp-proxy:3128, --set ssl_insecure=true)",
    )
    run.set_defaults(func=_run)

    serve = sub.add_parser("serve", parents=[common, starts], help="run the service only (feed it from your own mitmproxy)")
    serve.set_defaults(func=_serve)

    token = sub.add_parser("token", parents=[common], help="print the API token the extension pairs with")
    token.set_defaults(func=_token)

    events = sub.add_parser("events", parents=[common], help="print the recent 401s")
    events.add_argument("--site", help="only this host or site (subdomains and pages that called it included)")
    events.add_argument("--limit", type=_limit, default=20, help="how many, 1 to 500 (default 20)")
    events.add_argument("--json", action="store_true", help="print JSON")
    events.set_defaults(func=_events)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
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
