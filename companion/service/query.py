"""The stored events' filters: read from a query string, turned into SQL.

`GET /api/events`, `DELETE /api/events` and `GET /api/events.har` take the same filters, and
they combine (AND): `site`, `cause`, `status`, `since`/`until`, `q`, `before`. Each SQL query
the store runs is newest first (by the request's time, then by arrival) and walks an index
whose order is that one, so the newest page of any filter stops after `limit` rows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from companion.diagnosis.catalogue import CAUSES
from companion.net.sites import site_of

__all__ = [
    "FILTER_NAMES",
    "MAX_LIMIT",
    "EventQuery",
    "QueryError",
    "escape_like",
    "matching_sql",
    "micros",
    "parse_query",
    "select_sql",
    "with_site",
]

MAX_LIMIT = 500
DEFAULT_LIMIT = 50
FILTER_NAMES = ("site", "cause", "status", "since", "until", "q")
"""The parameters that choose events (what `DELETE /api/events` deletes)."""
_MAX_Q = 200
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ACCEPTED_TIMES = (
    "ISO 8601: a date (2026-11-23), a local time (2026-11-23T10:00), or an instant "
    "(2026-11-23T10:00:00Z, 2026-11-23T10:00:00+01:00)"
)


class QueryError(ValueError):
    """A filter that cannot be understood; the message says what is accepted."""


@dataclass(frozen=True, slots=True)
class EventQuery:
    """Which events: every field left empty matches all. Times are µs since the epoch (UTC);
    `until` is exclusive."""

    site: str | None = None
    causes: tuple[str, ...] = ()
    statuses: tuple[int, ...] = ()
    since: int | None = None
    until: int | None = None
    q: str | None = None
    before: str | None = None
    """An event's id: only events listed after it (older) match."""
    limit: int = DEFAULT_LIMIT
    summary: bool = False

    @property
    def filtered(self) -> bool:
        return bool(self.site or self.causes or self.statuses or self.since is not None or self.until is not None or self.q)

    def where(self, before: tuple[int, int] | None) -> tuple[list[str], list[Any]]:
        """The conditions and their arguments, site aside (see `branches`). `before` is the
        `(at, seq)` of the event named by `before=`."""
        terms: list[str] = []
        args: list[Any] = []
        if self.statuses:  # validated numbers, written out: `status = 407` is what the 407s' index is for
            terms.append(f"status IN ({','.join(str(int(s)) for s in self.statuses)})" if len(self.statuses) > 1 else f"status = {int(self.statuses[0])}")
        if self.since is not None:
            terms.append("at >= ?")
            args.append(self.since)
        if self.until is not None:
            terms.append("at < ?")
            args.append(self.until)
        if before is not None:
            terms.append("at <= ? AND (at < ? OR seq < ?)")
            args += [before[0], before[0], before[1]]
        if self.q:
            like = f"%{escape_like(self.q)}%"
            terms.append("(url LIKE ? ESCAPE '\\' OR title LIKE ? ESCAPE '\\' OR summary LIKE ? ESCAPE '\\')")
            args += [like, like, like]
        return terms, args

    def branches(self) -> list[tuple[list[str], list[Any]]]:
        """One condition per index the newest rows can be walked in: the site's two (its
        requests, and requests its pages made) times each cause. The union of each branch's
        newest `limit` rows holds the newest `limit` of them all."""
        sites: list[tuple[list[str], list[Any]]] = [([], [])]
        if self.site:
            like = "%." + escape_like(self.site)
            registrable = site_of(self.site)
            sites = [
                (["site = ?", "(host = ? OR host LIKE ? ESCAPE '\\')"], [registrable, self.site, like]),
                (["initiator_site = ?", "(initiator_host = ? OR initiator_host LIKE ? ESCAPE '\\')"], [registrable, self.site, like]),
            ]
        if not self.causes:
            return sites
        return [([*terms, "cause = ?"], [*args, cause]) for terms, args in sites for cause in self.causes]


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def micros(when: datetime) -> int:
    """µs since the epoch; a time without a zone is taken as UTC (as the addon writes them)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delta = when - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _values(query: Mapping[str, str] | Any, name: str) -> list[str]:
    """Every value of a repeatable parameter, comma lists split, blanks dropped."""
    getall = getattr(query, "getall", None)
    raw = getall(name, []) if getall else ([query[name]] if name in query else [])
    return [part.strip() for value in raw for part in value.split(",") if part.strip()]


def _one(query: Mapping[str, str], name: str) -> str | None:
    value = query.get(name)
    return value.strip() if value and value.strip() else None


def _instant(name: str, text: str, end_of_day: bool) -> int:
    """An ISO 8601 date or time as µs since the epoch. A time without a zone is this machine's
    local time (the service runs on the user's own computer); a date alone is its local
    midnight, and for `until` the whole day is included."""
    # In a query string an unescaped "+" arrives as a space: "10:00:00 01:00" meant "+01:00".
    text = re.sub(r"(\d\d:\d\d(?::\d\d(?:\.\d+)?)?) (\d\d(?::?\d\d)?)$", r"\1+\2", text)
    try:
        if re.fullmatch(r"\d{4}-?\d\d-?\d\d", text):
            day = date.fromisoformat(text)
            start = datetime.combine(day + timedelta(days=1) if end_of_day else day, time()).astimezone()
            return micros(start)
        when = datetime.fromisoformat(text)
    except ValueError:
        raise QueryError(f"{name} must be {_ACCEPTED_TIMES}; not {text[:60]!r}") from None
    if when.tzinfo is None:
        when = when.astimezone()  # local time
    return micros(when) + (1 if end_of_day else 0)  # `until` includes the instant it names


def parse_query(query: Mapping[str, str], *, paged: bool = True, max_limit: int = MAX_LIMIT) -> EventQuery:
    """The filters of a request's query string; raises QueryError with what is accepted.
    `paged`: `limit`, `before` and `fields` are allowed (not for a delete)."""
    if not paged:
        extra = [name for name in ("limit", "before", "fields") if name in query]
        if extra:
            raise QueryError(f"a delete takes the filters only ({', '.join(FILTER_NAMES)}), not {', '.join(extra)}: it deletes every event they match")
    site = _one(query, "site")
    causes = tuple(dict.fromkeys(_values(query, "cause")))
    unknown = [cause for cause in causes if cause not in CAUSES]
    if unknown:
        raise QueryError(f"cause must be ids of the catalogue (GET /api/causes), one or a comma list; unknown: {', '.join(c[:40] for c in unknown[:5])}")
    statuses: list[int] = []
    for status in _values(query, "status"):
        if status not in {"401", "407"}:
            raise QueryError(f"status must be 401 or 407 (or both, 401,407); not {status[:20]!r}")
        statuses.append(int(status))
    since = _instant("since", s, end_of_day=False) if (s := _one(query, "since")) else None
    until = _instant("until", u, end_of_day=True) if (u := _one(query, "until")) else None
    if since is not None and until is not None and since >= until:
        raise QueryError("since must be before until")
    q = _one(query, "q")
    if q is not None and len(q) > _MAX_Q:
        raise QueryError(f"q is at most {_MAX_Q} characters")
    limit = DEFAULT_LIMIT
    if paged and (raw := _one(query, "limit")) is not None:
        try:
            limit = int(raw)
        except ValueError:
            raise QueryError(f"limit must be a whole number, not {raw[:20]!r}") from None
        if not 1 <= limit <= max_limit:
            raise QueryError(f"limit must be between 1 and {max_limit}")
    fields = _one(query, "fields") if paged else None
    if fields not in (None, "summary", "all"):
        raise QueryError(f"fields must be summary (or all, the default); not {fields[:20]!r}")
    return EventQuery(
        site=site.lower().strip(".") or None if site else None,
        causes=causes,
        statuses=tuple(sorted(set(statuses))) if set(statuses) != {401, 407} else (),
        since=since,
        until=until,
        q=q,
        before=_one(query, "before") if paged else None,
        limit=limit,
        summary=fields == "summary",
    )


def with_site(query: EventQuery, site: str | None, limit: int) -> EventQuery:
    """The store's older `recent(site, limit)` as a query."""
    return replace(query, site=site.lower().strip(".") or None if site else None, limit=limit)


def _joined(terms: Sequence[str]) -> str:
    return " WHERE " + " AND ".join(terms) if terms else ""


_NEWEST_FIRST = " ORDER BY at DESC, seq DESC"


def select_sql(query: EventQuery, before: tuple[int, int] | None, columns: str, count: int) -> tuple[str, list[Any]]:
    """The newest `count` events the query matches, `SELECT columns FROM events`, newest
    first. With a site or several causes, each index's newest rows are found on their own and
    merged, never sorted out of the whole table."""
    common, common_args = query.where(before)
    branches = query.branches()
    if len(branches) == 1:
        terms, args = branches[0]
        return f"SELECT {columns} FROM events{_joined(terms + common)}{_NEWEST_FIRST} LIMIT ?", [*args, *common_args, count]
    parts, args = [], []
    for terms, branch_args in branches:
        parts.append(f"SELECT seq FROM (SELECT seq FROM events{_joined(terms + common)}{_NEWEST_FIRST} LIMIT ?)")
        args += [*branch_args, *common_args, count]
    return f"SELECT {columns} FROM events WHERE seq IN ({' UNION ALL '.join(parts)}){_NEWEST_FIRST} LIMIT ?", [*args, count]


def matching_sql(query: EventQuery) -> tuple[str, list[Any]]:
    """`SELECT seq FROM events …` of every event the query matches (for a delete)."""
    common, common_args = query.where(None)
    parts, args = [], []
    for terms, branch_args in query.branches():
        parts.append(f"SELECT seq FROM events{_joined(terms + common)}")
        args += [*branch_args, *common_args]
    return " UNION ".join(parts), args
