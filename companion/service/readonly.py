"""The store file read without a service: `companion events` when the companion is not
running. Read-only, and never in the way of a service that starts meanwhile."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

from companion.errors import StoreError
from companion.service import schema
from companion.service.query import EventQuery, select_sql, with_site
from companion.service.rows import SUMMARY_COLUMNS, Packer

__all__ = ["WHOLE_ROWS", "read_events_file"]

WHOLE_ROWS = (
    f"SELECT {', '.join('e.' + c.strip() for c in SUMMARY_COLUMNS.split(','))}, r.packed_with, r.rest"
    " FROM events e LEFT JOIN event_rest r ON r.seq = e.seq"
)
"""An event's row with its packed part, for `Packer.event_json` (add `WHERE e.seq …`)."""


def read_events_file(path: Path, site: str | None, limit: int, query: EventQuery | None = None) -> list[dict[str, Any]]:
    """Whole events straight from a store file, read-only, newest first (for `companion
    events` when no service runs). `query` adds the API's other filters (a store of schema 3;
    an older one, not yet opened by a newer service, is filtered by site only). A row that
    cannot be read back is skipped."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open {path}: {exc}") from exc
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version < 3:
            sql, args = schema.legacy_query(site, limit, indexed=version >= 2)
            return schema.legacy_rows(conn.execute(sql, args).fetchall())
        packer = Packer(schema.dictionaries(conn))
        wanted = replace(query or EventQuery(), limit=limit)
        if site:
            wanted = with_site(wanted, site, limit)
        sql, args = select_sql(wanted, None, "seq", limit)
        found = []
        for (seq,) in conn.execute(sql, args).fetchall():
            row = conn.execute(f"{WHOLE_ROWS} WHERE e.seq = ?", (seq,)).fetchone()
            try:
                found.append(json.loads(packer.event_json(row)))
            except (ValueError, TypeError):
                continue  # cannot be read back: skipped, as the service does
        return found
    except sqlite3.Error as exc:
        raise StoreError(f"cannot read {path}: {exc}") from exc
    finally:
        conn.close()
