"""The store's tables, and how a store of an older schema is carried over to this one.

Schema history (`PRAGMA user_version`):
  1. one row per event: a few columns and the whole event as JSON (`body`).
  2. `site` and `initiator_site` (registrable domains), indexed.
  3. the columns a list needs (so lists and filters never read the rest), indexed by time
     under each filter; the rest of the event packed (`rows.py`) in `event_rest`. An event
     takes about a quarter of the room it took.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from typing import Any

from companion.net.sites import site_of
from companion.service.models import Event
from companion.service.rows import COLUMNS, Packer, Row, dictionary

__all__ = ["SCHEMA_VERSION", "create", "dictionaries", "insert", "migrate", "register_dictionary"]

log = logging.getLogger(__name__)

SCHEMA_VERSION = 3

_TABLES = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    flow_id TEXT UNIQUE,
    at INTEGER NOT NULL,
    method TEXT NOT NULL,
    url TEXT NOT NULL,
    host TEXT NOT NULL,
    site TEXT NOT NULL,
    initiator TEXT,
    initiator_host TEXT,
    initiator_site TEXT,
    status INTEGER NOT NULL,
    cause TEXT NOT NULL,
    confidence REAL NOT NULL,
    title TEXT NOT NULL,
    summary TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS event_rest (
    seq INTEGER PRIMARY KEY,
    packed_with INTEGER NOT NULL,
    rest BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS dictionaries (
    id INTEGER PRIMARY KEY,
    digest TEXT NOT NULL UNIQUE,
    data BLOB NOT NULL
);
CREATE TRIGGER IF NOT EXISTS event_rest_goes_too AFTER DELETE ON events
BEGIN
    DELETE FROM event_rest WHERE seq = old.seq;
END;
CREATE INDEX IF NOT EXISTS events_at ON events(at);
CREATE INDEX IF NOT EXISTS events_site_at ON events(site, at);
CREATE INDEX IF NOT EXISTS events_initiator_site_at ON events(initiator_site, at) WHERE initiator_site IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_cause_at ON events(cause, at);
CREATE INDEX IF NOT EXISTS events_407_at ON events(at) WHERE status = 407;
"""
"""Every index ends with `at` (and, as every index does, the row's `seq`): newest first is the
index's own order under each filter, so a page reads its rows and stops."""

_INSERT_EVENT = f"INSERT INTO events (seq, {', '.join(COLUMNS)}) VALUES (?, {', '.join('?' * len(COLUMNS))})"


def create(conn: sqlite3.Connection) -> None:
    conn.executescript(_TABLES)


def register_dictionary(conn: sqlite3.Connection) -> int:
    """This version's dictionary in the store (once); its id."""
    data = dictionary()
    digest = Packer.digest(data)
    row = conn.execute("SELECT id FROM dictionaries WHERE digest = ?", (digest,)).fetchone()
    if row:
        return int(row[0])
    cur = conn.execute("INSERT INTO dictionaries (digest, data) VALUES (?, ?)", (digest, data))
    return int(cur.lastrowid or 0)


def dictionaries(conn: sqlite3.Connection) -> dict[int, bytes]:
    return {int(i): bytes(data) for i, data in conn.execute("SELECT id, data FROM dictionaries")}


def insert(conn: sqlite3.Connection, row: Row, seq: int | None = None) -> int:
    """One packed event in both tables: its `seq`, or 0 when its exchange (flow id) is stored
    already."""
    cur = conn.execute(_INSERT_EVENT + " ON CONFLICT(flow_id) DO NOTHING", (seq, *row.columns))
    if cur.rowcount != 1:
        return 0
    conn.execute("INSERT INTO event_rest (seq, packed_with, rest) VALUES (?, ?, ?)", (cur.lastrowid, row.packed_with, row.rest))
    return int(cur.lastrowid or 0)  # sequence numbers start at 1 (AUTOINCREMENT)


def migrate(conn: sqlite3.Connection, version: int) -> int:
    """Carry a store of schema 1 or 2 over to this one, in the caller's transaction: every
    event that can be read back is rewritten (same order), the old table is dropped (its
    pages overwritten, secure_delete); how many old rows could not be read and were left out."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(events)")}
    if "body" not in columns:
        return 0
    conn.execute("ALTER TABLE events RENAME TO events_old")
    for index in ("events_host", "events_initiator_host", "events_site", "events_initiator_site"):
        conn.execute(f"DROP INDEX IF EXISTS {index}")
    create(conn)
    current = register_dictionary(conn)
    packer = Packer(dictionaries(conn), current)
    unreadable = 0
    for seq, body in conn.execute("SELECT seq, body FROM events_old ORDER BY seq").fetchall():
        event = _old_event(body)
        if event is None:
            unreadable += 1
            continue
        insert(conn, packer.pack(event), seq)
    conn.execute("DROP TABLE events_old")
    if unreadable:
        log.warning("%d stored event(s) of schema %d could not be read back and were not carried over", unreadable, version)
    return unreadable


def _old_event(body: Any) -> Event | None:
    try:
        return Event.model_validate_json(body)
    except (ValueError, TypeError):
        return None


def legacy_query(site: str | None, limit: int, indexed: bool) -> tuple[str, list[Any]]:
    """Newest first from a store of schema 1 or 2, read-only (`read_events_file` on a store no
    newer service has opened yet); `site` as the API's."""
    sql = "SELECT body FROM events"
    args: list[Any] = []
    if site:
        site = site.lower().strip(".")
        like = "%." + site.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        if indexed:
            registrable = site_of(site)
            sql += (
                " WHERE (site = ? AND (host = ? OR host LIKE ? ESCAPE '\\'))"
                " OR (initiator_site = ? AND (initiator_host = ? OR initiator_host LIKE ? ESCAPE '\\'))"
            )
            args += [registrable, site, like, registrable, site, like]
        else:
            sql += " WHERE host = ? OR host LIKE ? ESCAPE '\\' OR initiator_host = ? OR initiator_host LIKE ? ESCAPE '\\'"
            args += [site, like, site, like]
    return sql + " ORDER BY seq DESC LIMIT ?", [*args, limit]


def legacy_rows(rows: list[Any]) -> list[dict[str, Any]]:
    found = []
    for (body,) in rows:
        try:
            value = json.loads(body)
        except (ValueError, RecursionError):
            continue
        if isinstance(value, dict):
            found.append(value)
    return found
