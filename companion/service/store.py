"""Recent events in one SQLite file, behind asyncio.

One thread owns every write, another serves reads (WAL lets them run side by side), so the
event loop never blocks on the disk. Only redacted events reach this module. How an event
is laid out in a row is `rows.py`; the tables and their history, `schema.py`; the filters,
`query.py`.
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
from companion.service import schema
from companion.service.models import Event
from companion.service.query import EventQuery, QueryError, matching_sql, micros, select_sql, with_site
from companion.service.readonly import WHOLE_ROWS, read_events_file
from companion.service.rows import SUMMARY_COLUMNS, Packer, Row, summary_of_row, time_text

__all__ = ["DB_FILE", "DEFAULT_RETENTION", "Page", "Retention", "Store", "move_aside", "read_events_file"]

log = logging.getLogger(__name__)

DB_FILE = "events.sqlite3"
SCHEMA_VERSION = schema.SCHEMA_VERSION
BUSY_TIMEOUT_S = 10.0
"""How long a write waits for another process's lock on the file before it fails."""
DEFAULT_KEEP = 10_000
DEFAULT_KEEP_DAYS = 30.0


@dataclass(frozen=True, slots=True)
class Retention:
    """How much history is kept: at most `keep` events, none older than `keep_days` (0: no
    age limit). Pruned at start and every hundred events."""

    keep: int = DEFAULT_KEEP
    keep_days: float = DEFAULT_KEEP_DAYS


DEFAULT_RETENTION = Retention()


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a listing: each event as JSON text (whole, or its summary), and the id to
    pass as `before=` for the next page (None on the last)."""

    events: list[str]
    next: str | None

    def as_json(self) -> str:
        """`{"events": [...], "next": ...}`, the API's answer."""
        return f'{{"events":[{",".join(self.events)}],"next":{json.dumps(self.next)}}}'


T = TypeVar("T")


class _BusyError(Exception):
    """Another connection is writing: this write goes to the writer thread, which waits."""


class Store:
    """`await Store.open(data_dir)`, then `add`, `page`, `get`, `delete`, `stats`, `close`."""

    def __init__(self, path: Path, retention: Retention = DEFAULT_RETENTION):
        self.path = path
        self.retention = retention
        self.keep = retention.keep
        self.unreadable = 0
        """Rows skipped because they could not be read back, since the store opened."""
        self.write_failure: str | None = None
        """Why the last write failed, until one succeeds: health is not "ok" meanwhile."""
        self._packer = Packer({})
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="store-write")
        self._reader = ThreadPoolExecutor(1, thread_name_prefix="store-read")
        self._local = threading.local()
        self._loop_conn: sqlite3.Connection | None = None
        """The event loop's own connection (`_now`)."""
        self._maintenance: set[asyncio.Future[None]] = set()

    @classmethod
    async def open(cls, data_dir: Path, retention: Retention = DEFAULT_RETENTION) -> Store:
        store = cls(data_dir / DB_FILE, retention)
        await store._write(store._init_schema)
        await store._write(store._prune)
        return store

    # --- the connection and its threads ---------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                _create_private(self.path)
                conn = _connect(self.path, BUSY_TIMEOUT_S)
            except sqlite3.Error as exc:
                raise StoreError(self._explain(exc)) from exc
            self._local.conn = conn
        return conn

    def _explain(self, exc: sqlite3.Error) -> str:
        if isinstance(exc, sqlite3.DatabaseError) and ("not a database" in str(exc) or "malformed" in str(exc)):
            return f"{self.path} is not a readable SQLite database ({exc}). Nothing was changed; {_MOVE_ASIDE}."
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
        try:
            result = await self._run(self._writer, fn)
        except StoreError as exc:
            self.write_failure = str(exc)
            raise
        self.write_failure = None
        return result

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
                f"{self.path} was written by a newer 401 Companion (schema {version}); upgrade, or use another --data-dir"
            )
        with conn:
            self.unreadable += schema.migrate(conn, version) if version < SCHEMA_VERSION else 0
            schema.create(conn)
            current = schema.register_dictionary(conn)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self._packer = Packer(schema.dictionaries(conn), current)
        if version and version < SCHEMA_VERSION:  # the old rows' room handed back, the WAL emptied
            conn.execute("VACUUM")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _prune(self, conn: sqlite3.Connection) -> None:
        """Drop what the retention no longer keeps: past the count, then past the age."""
        with conn:
            last = conn.execute("SELECT MAX(seq) FROM events").fetchone()[0]
            if last is not None:
                conn.execute("DELETE FROM events WHERE seq <= ?", (last - self.keep,))
            if self.retention.keep_days > 0:
                cutoff = datetime.now(UTC) - timedelta(days=self.retention.keep_days)
                conn.execute("DELETE FROM events WHERE at < ?", (micros(cutoff),))

    # --- writing --------------------------------------------------------------------------

    def pack(self, event: Event) -> Row:
        """The row `event` is stored as: its list columns, the rest packed. Made before the
        write (by the pipeline, once per event), so that an event that cannot be serialized
        is refused on its own and never fails the transaction of a batch."""
        return self._packer.pack(event)

    async def add(self, event: Event, row: Row | None = None) -> tuple[Event, bool]:
        """Store an event (`row`: it packed, when the caller has it); answer it and True, or,
        for an exchange already stored (the addon delivers at least once, and retries when an
        answer is lost), the stored one and False."""
        (created,) = await self.add_many([row or self.pack(event)])
        if created or event.exchange is None:
            return event, created
        flow_id = event.exchange.flow_id
        seq = await self._read(lambda conn: conn.execute("SELECT seq FROM events WHERE flow_id = ?", (flow_id,)).fetchone())
        stored = (await self.events_by_seq([seq[0]])) if seq else []
        return (stored[0] if stored else event), False

    async def add_many(self, rows: list[Row]) -> list[bool]:
        """Store packed events (`pack`) in one transaction; for each, whether it is new (an
        exchange already stored is not stored again)."""

        def insert(conn: sqlite3.Connection) -> list[int]:
            with conn:
                return [schema.insert(conn, row) for row in rows]

        try:
            seqs = self._now(insert)
        except _BusyError:  # a delete or a prune is writing: the writer thread waits its turn
            seqs = await self._write(insert)
        created = [seq > 0 for seq in seqs]
        last = max(seqs, default=0)  # sequence numbers only grow (AUTOINCREMENT): the newest is the highest
        if last and last // 100 != (last - sum(created)) // 100:  # prune now and then, not on every insert
            self._maintain_later()
        return created

    def _now(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """A short write on the event loop itself, on a connection of its own that never waits
        for a lock (raises `_BusyError` instead) and leaves checkpoints to the writer thread. The
        addon's inserts go this way: handing each to the writer thread and back cost the
        service two thread wake-ups per delivery, more than the insert itself."""
        try:
            conn = self._loop_conn
            if conn is None:
                conn = self._loop_conn = _connect(self.path, 0, "wal_autocheckpoint=0")
            result = fn(conn)
        except sqlite3.OperationalError as exc:
            if (exc.sqlite_errorcode & 0xFF) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):  # extended codes too
                raise _BusyError from exc
            self.write_failure = self._explain(exc)
            raise StoreError(self.write_failure) from exc
        except sqlite3.Error as exc:
            self.write_failure = self._explain(exc)
            raise StoreError(self.write_failure) from exc
        self.write_failure = None
        return result

    def _maintain_later(self) -> None:
        """Prune what the retention no longer keeps and checkpoint the WAL, on the writer
        thread, not waited for."""

        def maintain(conn: sqlite3.Connection) -> None:
            self._prune(conn)
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")

        task = asyncio.ensure_future(self._write(maintain))
        self._maintenance.add(task)
        task.add_done_callback(self._maintained)

    async def upkeep(self) -> None:
        """Wait for the pruning and checkpoints under way (they follow the inserts by moments)."""
        await asyncio.gather(*self._maintenance, return_exceptions=True)

    def _maintained(self, task: asyncio.Future[None]) -> None:
        self._maintenance.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("the store's upkeep failed: %s", task.exception())

    async def delete(self, event_id: str) -> int:
        """Remove one event (1), or nothing when there is none with that id (0)."""
        return await self._write(lambda conn: self._deleted(conn, "DELETE FROM events WHERE id = ?", [event_id]))

    async def delete_matching(self, query: EventQuery) -> int:
        """Remove every event the filters match (all of them when none is set)."""
        if not query.filtered:
            return await self.clear()
        sql, args = matching_sql(query)
        return await self._write(lambda conn: self._deleted(conn, f"DELETE FROM events WHERE seq IN ({sql})", args))

    async def clear(self) -> int:
        return await self._write(lambda conn: self._deleted(conn, "DELETE FROM events", []))

    @staticmethod
    def _deleted(conn: sqlite3.Connection, sql: str, args: list[Any]) -> int:
        with conn:
            deleted = conn.execute(sql, args).rowcount
        if deleted:
            # The write-ahead log still holds the deleted pages as they were: fold it in and empty
            # it (retried while a reader finishes; the reads here are short).
            for _ in range(50):
                busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
                if not busy:
                    break
                time.sleep(0.01)
            else:
                log.warning("the event store's write-ahead log could not be emptied after a delete; it is at the next")
        return deleted

    # --- reading --------------------------------------------------------------------------

    async def page(self, query: EventQuery) -> Page:
        """The newest `query.limit` events the filters match (older than `query.before`),
        whole or as summaries. A row that cannot be read back (written by a bug, or damaged)
        is skipped and counted: one event never takes the whole list down."""
        rows, following = await self._page_rows(query)
        if query.summary:
            return Page([_compact(summary_of_row(row)) for row in rows], following)
        texts = []
        for row in await self._whole_rows([row[0] for row in rows]):
            try:
                texts.append(self._packer.event_json(row))
            except ValueError:
                self._skipped()
        return Page(texts, following)

    async def matching(self, query: EventQuery, total: int | None = None) -> list[int]:
        """The row numbers of every event the filters match (the newest `total`), newest
        first: what an export walks, a slice at a time, with `events_by_seq`."""
        count = total if total is not None else 2**62
        return await self._read(lambda conn: [row[0] for row in self._select(conn, query, count, "seq")])

    async def _page_rows(self, query: EventQuery) -> tuple[list[tuple[Any, ...]], str | None]:
        """The summary columns of a page's rows, and the id that starts the next page."""

        def select(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
            return self._select(conn, query, query.limit + 1)

        rows = await self._read(select)
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        return rows, (rows[-1][1] if more and rows else None)

    def _select(self, conn: sqlite3.Connection, query: EventQuery, count: int, columns: str = SUMMARY_COLUMNS) -> list[tuple[Any, ...]]:
        before = None
        if query.before:
            found = conn.execute("SELECT at, seq FROM events WHERE id = ?", (query.before,)).fetchone()
            if found is None:
                raise QueryError("before must be the id of a stored event (the `next` of the previous page); that one is gone: start again from the newest")
            before = (found[0], found[1])
        sql, args = select_sql(query, before, columns, count)
        return conn.execute(sql, args).fetchall()

    async def _events_by_id(self, ids: list[str]) -> list[Event]:
        rows = await self._read(lambda conn: _seqs_of(conn, ids))
        return await self.events_by_seq(rows)

    async def _whole_rows(self, seqs: list[int]) -> list[tuple[Any, ...]]:
        """The rows of these events with their packed part, in the order asked (those deleted
        meanwhile left out)."""
        if not seqs:
            return []

        def select(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
            marks = ",".join("?" * len(seqs))
            return conn.execute(f"{WHOLE_ROWS} WHERE e.seq IN ({marks})", seqs).fetchall()

        by_seq = {row[0]: row for row in await self._read(select)}
        return [by_seq[seq] for seq in seqs if seq in by_seq]

    async def events_by_seq(self, seqs: list[int]) -> list[Event]:
        """Whole events, validated, in the order asked; the unreadable skipped and counted."""
        events = []
        for row in await self._whole_rows(seqs):
            try:
                events.append(self._packer.event(row))
            except ValueError:
                self._skipped()
        return events

    def _skipped(self) -> None:
        self.unreadable += 1
        log.warning("an event in the store cannot be read back and was skipped")

    async def recent(self, site: str | None = None, limit: int = 50) -> list[Event]:
        """Newest first; `site` matches the host or the initiator's host, subdomains included."""
        query = with_site(EventQuery(), site, limit)
        rows = await self._read(lambda conn: self._select(conn, query, limit))
        return await self.events_by_seq([row[0] for row in rows])

    async def get(self, event_id: str) -> Event | None:
        events = await self._events_by_id([event_id])
        return events[0] if events else None

    async def count(self) -> int:
        return await self._read(lambda conn: conn.execute("SELECT COUNT(*) FROM events").fetchone()[0])

    async def stats(self) -> dict[str, Any]:
        """Counts (all, today since local midnight, the last 24 hours, by cause, by site), the
        store's size on disk and what it keeps."""
        now = datetime.now(UTC)
        midnight = now.astimezone().replace(hour=0, minute=0, second=0, microsecond=0)

        def count(conn: sqlite3.Connection) -> dict[str, Any]:
            def since(start: datetime) -> int:
                return int(conn.execute("SELECT COUNT(*) FROM events WHERE at >= ?", (micros(start),)).fetchone()[0])

            return {
                "events": conn.execute("SELECT COUNT(*) FROM events").fetchone()[0],
                "today": since(midnight),
                "today_since": time_text(micros(midnight)),
                "last_24h": since(now - timedelta(hours=24)),
                "by_cause": dict(conn.execute("SELECT cause, COUNT(*) FROM events GROUP BY cause ORDER BY 2 DESC, 1")),
                "by_site": dict(conn.execute("SELECT site, COUNT(*) FROM events GROUP BY site ORDER BY 2 DESC, 1")),
            }

        found = await self._read(count)
        size = sum(f.stat().st_size for f in self.path.parent.glob(DB_FILE + "*") if f.is_file() and ".damaged-" not in f.name)
        return {
            **found,
            "store": {
                "path": str(self.path), "bytes": size, "keep": self.keep, "keep_days": self.retention.keep_days,
                "unreadable_rows_skipped": self.unreadable,
            },
        }  # fmt: skip

    async def close(self) -> None:
        await self.upkeep()
        if self._loop_conn is not None:
            self._loop_conn.close()
            self._loop_conn = None

        def close_local() -> None:
            conn = getattr(self._local, "conn", None)
            if conn is not None:
                conn.close()
                self._local.conn = None

        for pool in (self._writer, self._reader):
            await asyncio.get_running_loop().run_in_executor(pool, close_local)
            pool.shutdown(wait=True)


def _connect(path: Path, timeout: float, *pragmas: str) -> sqlite3.Connection:
    """A connection to the store, set up whole or closed (a busy store may refuse a pragma)."""
    conn = sqlite3.connect(path, timeout=timeout)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        # What is deleted is overwritten, not merely unlisted (DESIGN.md, "Secrets").
        conn.execute("PRAGMA secure_delete=ON")
        for pragma in pragmas:
            conn.execute(f"PRAGMA {pragma}")
    except sqlite3.Error:
        conn.close()
        raise
    return conn


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _seqs_of(conn: sqlite3.Connection, ids: list[str]) -> list[int]:
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    found = dict(conn.execute(f"SELECT id, seq FROM events WHERE id IN ({marks})", ids).fetchall())
    return [found[i] for i in ids if i in found]


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
