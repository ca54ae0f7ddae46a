"""`companion events`, `events show ID`, `events export`, `events clear`: the stored 401s from
the terminal, through the running service's API (DESIGN.md, "CLI" and "HTTP API").

What a server sent is printed through `shown` (control codes escaped, never obeyed), dates with
their zone, wrapped to the terminal's width when there is a terminal (or `COLUMNS` asks), left
whole when piped, as git and kubectl do.
"""

from __future__ import annotations

import argparse
import contextlib
import http
import io
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from companion.commands.service import NotRunningError, RefusedError, Service
from companion.commands.text import api_time, one_line, printed_time, shown, width, wrapped
from companion.errors import CompanionError

__all__ = ["clear_events", "event_lines", "export_events", "list_events", "show_event"]

_PAGE = 500
"""The most events the API answers at once (`limit`)."""


def _plural(count: int, what: str = "event") -> str:
    return f"{count} {what}{'' if count == 1 else 's'}"


# --- filters -------------------------------------------------------------------------------


def _filters(args: argparse.Namespace) -> dict[str, Any]:
    """The API's filters, as given on the command line (absent ones left out)."""
    since, until = getattr(args, "since", None), getattr(args, "until", None)
    if since and until and since > until:
        raise CompanionError(f"--since ({printed_time(since.isoformat())}) is after --until ({printed_time(until.isoformat())})")
    found = {
        "site": getattr(args, "site", None),
        "cause": ",".join(dict.fromkeys(args.cause)) if getattr(args, "cause", None) else None,
        "status": getattr(args, "status", None),
        "since": api_time(since) if since else None,
        "until": api_time(until) if until else None,
        "q": getattr(args, "q", None),
    }
    return {key: value for key, value in found.items() if value is not None}


def _described(filters: dict[str, Any]) -> str:
    names = {"site": "site", "cause": "cause", "status": "status", "since": "since", "until": "until", "q": "text"}
    return ", ".join(f"{names[key]} {shown(str(value))}" for key, value in filters.items())


def _matches(event: dict[str, Any], args: argparse.Namespace) -> bool:
    """Whether an event read from a store file matches the filters, as the API would say."""
    diagnosis = event.get("diagnosis", {})
    if args.cause and diagnosis.get("cause") not in args.cause:
        return False
    if args.status and event.get("status") != args.status:
        return False
    if args.since or args.until:
        when = datetime.fromisoformat(event["time"])
        if (args.since and when < args.since) or (args.until and when > args.until):
            return False
    if args.q:
        text = " ".join(str(part) for part in (event.get("url"), diagnosis.get("title"), diagnosis.get("summary")))
        return args.q.lower() in text.lower()
    return True


def _from_store(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The newest events of the store file, read-only, for when the companion is not running:
    the API's own filters, run by the store's reader on the file."""
    from companion.service.query import parse_query
    from companion.service.store import DB_FILE, read_events_file

    path = args.data_dir / DB_FILE
    if not path.exists():
        return []
    query = parse_query({key: str(value) for key, value in _filters(args).items()})
    rows = read_events_file(path, args.site, args.limit, query)
    # A store no newer service has opened yet (schema 1 or 2) is read by site only: the other
    # filters are checked here, so that the list may be short but never wrong.
    return [{k: v for k, v in e.items() if k != "exchange"} for e in rows if _matches(e, args)]


def _pages(service: Service, filters: dict[str, Any], summary: bool) -> Iterator[dict[str, Any]]:
    """Every event the filters match, newest first, page by page."""
    before = None
    while True:
        query = {**filters, "limit": _PAGE, "before": before, "fields": "summary" if summary else None}
        page = service.get("/api/events", query)
        yield from page["events"]
        following = page.get("next")
        if not following or following == before or not page["events"]:
            return
        before = following


def _needs_service(service: Service, command: str) -> CompanionError:
    return CompanionError(f"`companion events {command}` needs the running companion: {service.not_running()}")


# --- commands ------------------------------------------------------------------------------


def list_events(args: argparse.Namespace) -> int:
    """`companion events`: the newest events, two lines each (or JSON)."""
    service = Service(args.data_dir, args.api_port)
    filters = _filters(args)
    more = False
    try:
        page = service.get("/api/events", {**filters, "limit": args.limit, "fields": "summary"})
        events, more = page["events"], bool(page.get("next"))
    except NotRunningError:
        events = _from_store(args)
        if events:
            print(f"(no companion is running on port {args.api_port}: read from the stored history)", file=sys.stderr)
    if args.json:
        print(json.dumps({"events": events}, indent=2))
        return 0
    if not events:
        if set(filters) - {"site"}:
            print(f"No 401s match ({_described(filters)}).")
        else:
            print(f"No 401s recorded{' for ' + shown(args.site) if args.site else ''}.")
        return 0
    columns = width()
    lines: list[str] = []
    for event in events:
        diagnosis = event["diagnosis"]
        head = (
            f"{one_line(event['id'])[:12]}  {printed_time(event['time'], args.utc)}  {event['status']}  "
            f"{one_line(event['method'])} {one_line(event['url'])}"
        )
        lines += wrapped(head, columns, hang="    ")
        cause = f"{one_line(diagnosis['title'])} [{one_line(diagnosis['cause'])}]"  # the id is what --cause takes
        lines += wrapped(f"{cause}: {one_line(diagnosis['summary'])}", columns, "    ")
    if more:
        lines.append(f"(the newest {len(events)}; more with --limit up to {_PAGE}, narrower filters, or `companion events export`)")
    print("\n".join(lines))
    return 0


def _event(service: Service, wanted: str) -> dict[str, Any]:
    """The event with this id, or the one whose id starts with it (the list shows 12 characters)."""
    try:
        return service.get(f"/api/events/{_quote(wanted)}")
    except RefusedError as exc:
        if exc.status != 404:
            raise
    found = [e["id"] for e in _pages(service, {}, summary=True) if e["id"].startswith(wanted)] if len(wanted) >= 4 else []
    if len(found) == 1:
        return service.get(f"/api/events/{_quote(found[0])}")
    if len(found) > 1:
        raise CompanionError(f"{len(found)} events have ids that start with {shown(wanted)}: give more of it")
    raise CompanionError(f"no event {shown(wanted)} (it may have been cleared; `companion events` lists the ids)")


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def show_event(args: argparse.Namespace) -> int:
    """`companion events show ID`: one event whole."""
    service = Service(args.data_dir, args.api_port)
    try:
        event = _event(service, args.id)
        causes = {c["id"]: c for c in service.get("/api/causes")["causes"]}
    except NotRunningError:
        raise _needs_service(service, "show") from None
    if args.json:
        print(json.dumps(event, indent=2))
        return 0
    print("\n".join(event_lines(event, causes, args.utc, width())))
    return 0


def event_lines(event: dict[str, Any], causes: dict[str, dict[str, Any]], utc: bool, width: int | None) -> list[str]:
    """One event as a person reads it: facts, then why, then what to do, then the headers."""
    d = event["diagnosis"]
    exchange = event.get("exchange") or {}
    reason = exchange.get("reason") or _phrase(event["status"])
    facts = [
        ("When", printed_time(event["time"], utc)),
        ("Request", f"{one_line(event['method'])} {one_line(event['url'])}"),
        ("Status", f"{event['status']} {one_line(reason)}".strip()),
        ("Site", f"{one_line(event.get('site') or event['host'])} (host {one_line(event['host'])})"),
    ]
    if event.get("initiator"):
        facts.append(("Requested by", one_line(event["initiator"])))
    facts += [
        ("Cause", f"{one_line(d['title'])} [{one_line(d['cause'])}]"),
        ("Confidence", f"{round(float(d.get('confidence', 0)) * 100)} %"),
    ]
    lines = [f"Event {one_line(event['id'])}"]
    for label, value in facts:
        lines += wrapped(value, width, f"  {label + ':':<14}", " " * 16)
    lines += ["", "Summary"]
    for paragraph in str(d.get("summary", "")).splitlines() or [""]:
        lines += wrapped(one_line(paragraph), width, "  ")
    if d.get("evidence"):
        lines += ["", "Evidence"]
        for item in d["evidence"]:
            lines += wrapped(f"{one_line(item['source'])}: {one_line(item['fact'])}", width, "  - ", "    ")
    if d.get("also"):
        lines += ["", "Also holds"]
        for cause in d["also"]:
            title = causes.get(cause, {}).get("title", cause)
            lines += wrapped(f"{one_line(title)} [{one_line(cause)}]", width, "  - ", "    ")
    if d.get("fixes"):
        lines += ["", "Fixes, most likely first"]
        for n, fix in enumerate(d["fixes"], 1):
            lines += wrapped(one_line(fix["title"]) + (":" if fix.get("steps") else ""), width, f"  {n}. ", "     ")
            for step in fix.get("steps") or []:
                lines += wrapped(one_line(step), width, "     - ", "       ")
        clicks = [str(n) for n, fix in enumerate(d["fixes"], 1) if fix.get("one_click", True)]
        if clicks:
            lines += wrapped(f"({', '.join(clicks)}: one click in the extension's popup)", width, "  ")
    notes = d.get("developer_notes") or causes.get(d["cause"], {}).get("developer_notes") or []
    if notes:
        lines += ["", "For the site's developers"]
        for note in notes:
            lines += wrapped(one_line(note), width, "  - ", "    ")
    for side, title in (("request", "Request headers (redacted)"), ("response", "Response headers (redacted)")):
        headers = (exchange.get(side) or {}).get("headers") or []
        lines += ["", title]
        if not headers:
            lines.append("  (none kept)")
        for name, value in headers:
            lines += wrapped(f"{one_line(name)}: {one_line(value)}", width, "  ", "      ")
    return lines


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


def export_events(args: argparse.Namespace) -> int:
    """`companion events export --har FILE | --json FILE`: what the filters match, to a file
    only the user can read (or `-`, stdout)."""
    service = Service(args.data_dir, args.api_port)
    filters = _filters(args)
    target, kind = (args.har, "HAR 1.2") if args.har else (args.json_file, "JSON")
    with _private_file(target) as handle:  # a folder that is not there is said before the work
        try:
            if args.har:
                body = service.call("GET", "/api/events.har", filters)
                try:
                    count = len(json.loads(body)["log"]["entries"])
                except (ValueError, KeyError, TypeError) as exc:
                    raise CompanionError(f"the companion on port {args.api_port} sent a HAR file that does not parse") from exc
            else:
                events = list(_pages(service, filters, summary=False))
                body = (json.dumps({"events": events}, indent=2) + "\n").encode()
                count = len(events)
        except NotRunningError:
            raise _needs_service(service, "export") from None
        handle.write(body)
    where = "stdout" if target == "-" else str(Path(target).expanduser())
    print(f"Exported {_plural(count)} to {where} ({kind}).", file=sys.stderr if target == "-" else sys.stdout)
    return 0


@contextlib.contextmanager
def _private_file(target: str) -> Iterator[BinaryIO]:
    """A file readable by the user alone, in place once whole (a reader never sees half of
    it, a failure leaves none); `-` is stdout."""
    if target == "-":
        if not sys.stdout.isatty():
            yield sys.stdout.buffer
            sys.stdout.flush()
            return
        shown_here = io.BytesIO()
        yield shown_here
        # On a screen, the same JSON in ASCII: no character a server sent (a bidirectional
        # override, a C1 control) reaches the terminal raw.
        print(json.dumps(json.loads(shown_here.getvalue()), indent=2))
        return
    path = Path(target).expanduser()
    try:
        fd, draft = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")  # 0600
    except OSError as exc:
        raise CompanionError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
        os.replace(draft, path)
    except OSError as exc:
        raise CompanionError(f"cannot write {path}: {exc.strerror or exc}") from exc
    finally:
        Path(draft).unlink(missing_ok=True)


def clear_events(args: argparse.Namespace) -> int:
    """`companion events clear [filters] [--yes]`: deletes what the filters match, after one
    question (or `--yes`); never without either."""
    service = Service(args.data_dir, args.api_port)
    filters = _filters(args)
    try:
        if filters:
            count = sum(1 for _ in _pages(service, filters, summary=True))
        else:
            count = int(service.get("/api/stats")["events"])
        if count == 0:
            print("No events match: nothing to delete." if filters else "No events are stored: nothing to delete.")
            return 0
        what = _plural(count) + (f" ({_described(filters)})" if filters else "")
        if not args.yes:
            if not sys.stdin.isatty():
                raise CompanionError(f"not deleting {what} without asking, and there is no terminal to ask on: pass --yes")
            try:
                reply = input(f"Delete {what}? [y/N] ")
            except EOFError:
                reply = ""
            if reply.strip().lower() not in {"y", "yes"}:
                print("Nothing deleted.")
                return 1
        deleted = int(service.delete("/api/events", filters)["deleted"])
    except NotRunningError:
        raise _needs_service(service, "clear") from None
    print(f"Deleted {_plural(deleted)}.")
    if deleted > count:
        # New 401s that matched arrived meanwhile, or a companion too old to filter what it deletes.
        print(f"companion: {deleted - count} more than the {count} asked about were deleted", file=sys.stderr)
    return 0
