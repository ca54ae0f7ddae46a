"""Recent events in one SQLite file, behind asyncio.

One thread owns every write, another serves reads (WAL lets them run side by side), so the
event loop never blocks on the disk. Only redacted events reach this module.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from companion.errors import StoreError
from companion.net.sites import site_of
from companion.service.models import Event

__all__ = ["DB_FILE", "DEFAULT_RETENTION", "Retention", "Store", "move_aside"]

log = logging.getLogger(__name__)

DB_FILE = "events.sqlite3"
SCHEMA_VERSION = 2
"""2: `site` and `initiator_site` (registrable domains), indexed, so that a site's events are
found without reading every row."""
DEFAULT_KEEP = 10_000
DEFAULT_KEEP_DAYS = 30.0


@dataclass(frozen=True, slots=True)
class Retention:
    """How much history is kept: at most `keep` events, none older than `keep_days` (0: no
    age limit). Pruned at start and every hundred events."""

    keep: int = DEFAULT_KEEP
    keep_days: float = DEFAULT_KEEP_DAYS


DEFAULT_RETENTION = Retention()

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    flow_id TEXT UNIQUE,
    time TEXT NOT NULL,
    host TEXT NOT NULL,
    initiator_host TEXT,
    status INTEGER NOT NULL,
    cause TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_host ON events(host);
CREATE INDEX IF NOT EXISTS events_initiator_host ON events(initiator_host);
"""
_SITE_COLUMNS = """
CREATE INDEX IF NOT EXISTS events_site ON events(site, seq);
CREATE INDEX IF NOT EXISTS events_initiator_site ON events(initiator_site, seq);
"""


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _recent_query(site: str | None, limit: int, indexed: bool = True) -> tuple[str, list[Any]]:
    """Newest first; `site` matches the host or the initiator's host, subdomains included.
    Indexed (schema 2): only the rows of the asked host's registrable domain are looked at."""
    sql = "SELECT body FROM events"
    args: list[Any] = []
    if site:
        site = site.lower().strip(".")
        like = "%." + _escape_like(site)
        if indexed:
            registrable = site_of(site)
            sql += (
                " WHERE (site = ? AND (host = ? OR host LIKE ? ESCAPE '\\'))"
                " OR (initiator_site = ? AND (initiator_host = ? OR initiator_host LIKE ? ESCAPE '\\'))"
            )
            args += [registrable, site, like, registrable, site, like]
        else:
            sql += (
                " WHERE host = ? OR host LIKE ? ESCAPE '\\'"
                " OR initiator_host = ? OR initiator_host LIKE ? ESCAPE '\\'"
            )
            args += [site, like, site, like]
    return sql + " ORDER BY seq DESC LIMIT ?", [*args, limit]


class Store:
    """`await Store.open(data_dir)`, then `add`, `recent`, `get`, `clear`, `close`."""

    def __init__(self, path: Path, retention: Retention = DEFAULT_RETENTION):
        self.path = path
        self.retention = retention
        self.keep = retention.keep
        self.unreadable = 0
        """Rows skipped because they could not be read back, since the store opened."""
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="store-write")
        self._reader = ThreadPoolExecutor(1, thread_name_prefix="store-read")
        self._local = threading.local()

    @classmethod
    async def open(cls, data_dir: Path, retention: Retention = DEFAULT_RETENTION) -> Store:
        store = cls(data_dir / DB_FILE, retention)
        await store._write(store._init_schema)
        await store._write(store._prune)
        return store

    def _prune(self, conn: sqlite3.Connection) -> None:
        """Drop what the retention no longer keeps: past the count, then past the age."""
        with conn:
            last = conn.execute("SELECT MAX(seq) FROM events").fetchone()[0]
            if last is not None:
                conn.execute("DELETE FROM events WHERE seq <= ?", (last - self.keep,))
            if self.retention.keep_days > 0:
                cutoff = datetime.now(UTC) - timedelta(days=self.retention.keep_days)
                conn.execute("DELETE FROM events WHERE time < ?", (cutoff.isoformat(),))

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                _create_private(self.path)
                conn = sqlite3.connect(self.path, timeout=10)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                # What is deleted is overwritten, not merely unlisted (DESIGN.md, "Secrets").
                conn.execute("PRAGMA secure_delete=ON")
            except sqlite3.Error as exc:
                raise StoreError(self._explain(exc)) from exc
            self._local.conn = conn
        return conn

    def _explain(self, exc: sqlite3.Error) -> str:
        if isinstance(exc, sqlite3.DatabaseError) and ("not a database" in str(exc) or "malformed" in str(exc)):
            return (
                f"{self.path} is not a readable SQLite database ({exc}). Nothing was changed; "
                f"{_MOVE_ASIDE}."
            )
        return f"the event store {self.path} failed: {exc}"

    async def _run(self, pool: ThreadPoolExecutor, fn: Callable[[sqlite3.Connection], T]) -> T:
        def call() -> T:
            conn = self._connection()
            try:
                return fn(conn)
            except sqlite3.Error as exc:
                raise StoreError(self._explain(exc)) from exc

        return await asyncio.get_running_loop().run_in_executor(pool, call)

    async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return await self._run(self._writer, fn)

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return await self._run(self._reader, fn)

    def _init_schema(self, conn: sqlite3.Connection) -> None:
        # A file whose pages are damaged opens and even answers some queries; then every write
        # fails. Found now, it is refused at start with what to do, not at the first 401.
        problems = [row[0] for row in conn.execute("PRAGMA quick_check(3)")]
        if problems != ["ok"]:
            raise StoreError(f"{self.path} is damaged ({'; '.join(problems)}). Nothing was changed; {_MOVE_ASIDE}.")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer 401 Companion (schema {version}); "
                "upgrade, or use another --data-dir"
            )
        with conn:
            conn.executescript(_SCHEMA)
            columns = {row[1] for row in conn.execute("PRAGMA table_info(events)")}
            if "site" not in columns:  # a store of schema 1: the sites are worked out once
                conn.execute("ALTER TABLE events ADD COLUMN site TEXT")
                conn.execute("ALTER TABLE events ADD COLUMN initiator_site TEXT")
                rows = conn.execute("SELECT seq, host, initiator_host FROM events").fetchall()
                conn.executemany(
                    "UPDATE events SET site = ?, initiator_site = ? WHERE seq = ?",
                    [(site_of(host), site_of(initiator) if initiator else None, seq) for seq, host, initiator in rows],
                )
            conn.executescript(_SITE_COLUMNS)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    async def add(self, event: Event, body: str | None = None) -> tuple[Event, bool]:
        """Store an event (`body`: its JSON, when the caller has it already); answer it and
        True, or, for an exchange already stored (the addon delivers at least once, and
        retries when an answer is lost), the stored one and False."""
        (created,) = await self.add_many([(event, body if body is not None else event.model_dump_json())])
        if created:
            return event, True
        flow_id = event.exchange.flow_id if event.exchange else None
        stored: str = await self._read(lambda conn: conn.execute("SELECT body FROM events WHERE flow_id = ?", (flow_id,)).fetchone()[0])
        return Event.model_validate_json(stored), False

    async def add_many(self, events: list[tuple[Event, str]]) -> list[bool]:
        """Store `(event, its JSON)` pairs in one transaction; for each, whether it is new (an
        exchange already stored is not stored again)."""
        rows = [
            (e.id, e.exchange.flow_id if e.exchange else None, e.time.isoformat(), e.host, e.initiator_host, e.status,
             e.diagnosis.cause, body, site_of(e.host), site_of(e.initiator_host) if e.initiator_host else None)
            for e, body in events
        ]  # fmt: skip

        def insert(conn: sqlite3.Connection) -> list[bool]:
            created = []
            with conn:
                for row in rows:
                    cur = conn.execute(
                        "INSERT INTO events (id, flow_id, time, host, initiator_host, status, cause, body, site, initiator_site)"
                        " VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT(flow_id) DO NOTHING",
                        row,
                    )
                    created.append(cur.rowcount == 1)
                last = cur.lastrowid if rows else None
            if last and last // 100 != (last - len(rows)) // 100:  # prune now and then, not on every insert
                self._prune(conn)
            return created

        return await self._write(insert)

    async def stats(self) -> dict[str, Any]:
        """Counts by cause and by site, the store's size on disk and what it keeps."""

        def count(conn: sqlite3.Connection) -> dict[str, Any]:
            by_cause = dict(conn.execute("SELECT cause, COUNT(*) FROM events GROUP BY cause ORDER BY 2 DESC"))
            by_host = conn.execute("SELECT host, COUNT(*) FROM events GROUP BY host").fetchall()
            total = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
            return {"events": total, "by_cause": by_cause, "by_host": by_host}

        found = await self._read(count)
        by_site: dict[str, int] = {}
        for host, n in found.pop("by_host"):
            site = site_of(host)
            by_site[site] = by_site.get(site, 0) + n
        size = sum(f.stat().st_size for f in self.path.parent.glob(DB_FILE + "*") if f.is_file() and ".damaged-" not in f.name)
        return {
            **found,
            "by_site": dict(sorted(by_site.items(), key=lambda item: -item[1])),
            "store": {
                "path": str(self.path), "bytes": size, "keep": self.keep, "keep_days": self.retention.keep_days,
                "unreadable_rows_skipped": self.unreadable,
            },
        }

    async def recent(self, site: str | None = None, limit: int = 50) -> list[Event]:
        """Newest first; `site` matches the host or the initiator's host, subdomains included.
        A row that cannot be read back (written by a bug, or damaged) is skipped and logged:
        one event never takes the whole list down."""
        sql, args = _recent_query(site, limit)

        def select(conn: sqlite3.Connection) -> list[str]:
            return [r[0] for r in conn.execute(sql, args)]

        events = []
        for body in await self._read(select):
            event = _readable(body)
            if event is not None:
                events.append(event)
            else:
                self.unreadable += 1
        return events

    async def get(self, event_id: str) -> Event | None:
        def select(conn: sqlite3.Connection) -> str | None:
            row = conn.execute("SELECT body FROM events WHERE id = ?", (event_id,)).fetchone()
            return row[0] if row else None

        body = await self._read(select)
        return _readable(body) if body else None

    async def clear(self) -> int:
        def delete(conn: sqlite3.Connection) -> int:
            with conn:
                deleted = conn.execute("DELETE FROM events").rowcount
            # The write-ahead log still holds the deleted pages: fold it in and empty it.
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return deleted

        return await self._write(delete)

    async def count(self) -> int:
        return await self._read(lambda conn: conn.execute("SELECT COUNT(*) FROM events").fetchone()[0])

    async def close(self) -> None:
        def close_local() -> None:
            conn = getattr(self._local, "conn", None)
            if conn is not None:
                conn.close()
                self._local.conn = None

        for pool in (self._writer, self._reader):
            await asyncio.get_running_loop().run_in_executor(pool, close_local)
            pool.shutdown(wait=True)


_MOVE_ASIDE = "move the file aside to start with an empty history (`--reset-store` does it for you)"


def move_aside(data_dir: Path) -> Path | None:
    """`--reset-store`: the store's files renamed `events.sqlite3.damaged-<time>` (kept for a
    look, never deleted); the path they went to, or None when there was no store."""
    path = data_dir / DB_FILE
    if not path.exists():
        return None
    aside = path.with_name(f"{DB_FILE}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
    for suffix in ("", "-wal", "-shm"):
        part = path.with_name(DB_FILE + suffix)
        if part.exists():
            part.rename(aside.with_name(aside.name + suffix))
    return aside


def _create_private(path: Path) -> None:
    """Create the database file readable by the user alone; SQLite gives its WAL and SHM
    files the database's permissions."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        os.chmod(path, 0o600)
    except OSError:
        pass  # sqlite3.connect says what is wrong, in the store's words


def _readable(body: str) -> Event | None:
    try:
        return Event.model_validate_json(body)
    except ValueError:
        log.warning("an event in the store cannot be read back and was skipped")
        return None


def read_events_file(path: Path, site: str | None, limit: int) -> list[dict[str, Any]]:
    """Read events straight from a store file (for `companion events` when no service runs)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open {path}: {exc}") from exc
    try:
        # Read-only: a store of schema 1 (not yet opened by a newer service) has no site columns.
        indexed = conn.execute("PRAGMA user_version").fetchone()[0] >= 2
        sql, args = _recent_query(site, limit, indexed)
        return [json.loads(r[0]) for r in conn.execute(sql, args)]
    except sqlite3.Error as exc:
        raise StoreError(f"cannot read {path}: {exc}") from exc
    finally:
        conn.close()
