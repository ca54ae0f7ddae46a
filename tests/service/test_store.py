import json
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from companion.diagnosis.models import Diagnosis
from companion.errors import StoreError
from companion.service.models import Event
from companion.service.query import EventQuery, parse_query
from companion.service.store import DB_FILE, Retention, Store, read_events_file
from tests.conftest import ROOT, free_port, stop, wait_port

# Times near the present: the store's retention drops what is older than 30 days.
NOW = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


def event(n: int, host: str, initiator_host: str | None = None, cause: str = "unknown") -> Event:
    return Event(
        id=f"e{n}", time=NOW + timedelta(seconds=n), method="GET",
        url=f"https://{host}/x", host=host, site=host, status=401,
        initiator=f"https://{initiator_host}" if initiator_host else None, initiator_host=initiator_host,
        diagnosis=Diagnosis(cause=cause, confidence=0.5, title="t", summary="s"),
    )  # fmt: skip


async def test_events_survive_a_restart(tmp_path: Path):
    """What was stored is there after the service stops and starts again."""
    store = await Store.open(tmp_path)
    await store.add(event(1, "api.example.com", cause="expired_token"))
    await store.close()
    again = await Store.open(tmp_path)
    found = await again.recent()
    await again.close()
    assert [(e.id, e.diagnosis.cause) for e in found] == [("e1", "expired_token")]


@pytest.mark.parametrize(
    ("site", "expected"),
    [
        (None, ["e5", "e4", "e3", "e2", "e1"]),
        ("example.com", ["e3", "e2", "e1"]),
        ("api.example.com", ["e2"]),
        ("app.example.com", ["e3", "e1"]),
        ("other.org", ["e5", "e4"]),
        ("cdn.other.org", ["e5"]),
        ("xample.com", []),
        ("%", []),
        ("_xample.com", []),
    ],
)
async def test_site_matches_host_initiator_and_subdomains(tmp_path: Path, site, expected):
    """A tab's site finds its own 401s and those of the APIs it called, newest first."""
    store = await Store.open(tmp_path)
    await store.add(event(1, "app.example.com"))
    await store.add(event(2, "api.example.com"))
    await store.add(event(3, "cdn.thirdparty.net", initiator_host="app.example.com"))
    await store.add(event(4, "other.org"))
    await store.add(event(5, "cdn.other.org"))
    found = [e.id for e in await store.recent(site=site)]
    await store.close()
    assert found == expected


async def test_limit_and_clear(tmp_path: Path):
    store = await Store.open(tmp_path)
    for n in range(10):
        await store.add(event(n, "a.test"))
    assert [e.id for e in await store.recent(limit=3)] == ["e9", "e8", "e7"]
    assert await store.clear() == 10
    assert await store.recent() == []
    await store.close()


async def test_old_events_are_pruned(tmp_path: Path):
    """The store keeps recent events, not everything forever."""
    store = await Store.open(tmp_path, Retention(keep=50))
    for n in range(250):
        await store.add(event(n, "a.test"))
    await store.upkeep()  # pruning follows the inserts by moments, on the writer thread
    assert await store.count() <= 150
    assert (await store.recent(limit=1))[0].id == "e249"
    await store.close()


async def test_a_corrupt_file_is_a_clear_error_and_is_not_touched(tmp_path: Path):
    """A damaged store is reported with what to do, and its bytes are left as they were."""
    junk = b"this is not sqlite" * 100
    (tmp_path / DB_FILE).write_bytes(junk)
    with pytest.raises(StoreError, match=r"not a readable SQLite database.*move the file aside"):
        await Store.open(tmp_path)
    assert (tmp_path / DB_FILE).read_bytes() == junk


async def test_read_events_file_without_a_service(tmp_path: Path):
    store = await Store.open(tmp_path)
    await store.add(event(1, "app.example.com"))
    await store.close()
    assert [e["id"] for e in read_events_file(tmp_path / DB_FILE, "example.com", 10)] == ["e1"]


async def test_cleared_history_leaves_no_trace_in_the_files(tmp_path: Path):
    """DELETE /api/events: the deleted text is gone from the database, its WAL and SHM, not
    merely unlisted (secure_delete, and the WAL folded in and emptied)."""
    store = await Store.open(tmp_path)
    marker = "PLANTED-summary-9f8e7d6c5b4a"
    for n in range(20):
        planted = event(n, "api.example.com")
        planted.diagnosis.summary = f"{marker} {n}"
        await store.add(planted)
    assert await store.clear() == 20
    files = sorted(tmp_path.glob(DB_FILE + "*"))
    assert files and not [f.name for f in files if marker.encode() in f.read_bytes()]
    await store.close()


async def test_the_store_files_are_the_users_alone(tmp_path: Path):
    """The database and its WAL and SHM are created readable by the user only (0600)."""
    store = await Store.open(tmp_path)
    await store.add(event(1, "api.example.com"))
    modes = {f.name: f.stat().st_mode & 0o777 for f in tmp_path.glob(DB_FILE + "*")}
    await store.close()
    assert set(modes) >= {DB_FILE, DB_FILE + "-wal"} and set(modes.values()) == {0o600}, modes


@pytest.mark.parametrize(
    "damage",
    [
        "UPDATE event_rest SET rest = X'789c0011223344' WHERE seq = (SELECT seq FROM events WHERE id = 'bad')",
        "UPDATE event_rest SET rest = substr(rest, 1, 20) WHERE seq = (SELECT seq FROM events WHERE id = 'bad')",
        "UPDATE event_rest SET packed_with = 999 WHERE seq = (SELECT seq FROM events WHERE id = 'bad')",
        "DELETE FROM event_rest WHERE seq = (SELECT seq FROM events WHERE id = 'bad')",
    ],
    ids=["not-deflate", "cut-short", "unknown-dictionary", "rest-missing"],
)
async def test_one_unreadable_row_never_takes_the_list_down(tmp_path: Path, damage: str):
    """A row that cannot be read back (written by a bug, or damaged) is skipped and counted;
    the others are listed, and its summary (the columns) still is."""
    store = await Store.open(tmp_path)
    await store.add(event(1, "api.example.com"))
    bad = event(2, "api.example.com")
    bad.id = "bad"
    await store.add(bad)
    with sqlite3.connect(tmp_path / DB_FILE) as conn:
        conn.execute(damage)
    found = await store.recent()
    assert [e.id for e in found] == ["e1"] and store.unreadable == 1
    assert await store.get("bad") is None
    whole = await store.page(EventQuery())
    assert [json.loads(e)["id"] for e in whole.events] == ["e1"]
    summaries = await store.page(EventQuery(summary=True))
    assert [json.loads(e)["id"] for e in summaries.events] == ["bad", "e1"]
    assert [e["id"] for e in read_events_file(tmp_path / DB_FILE, None, 10)] == ["e1"]
    stats = await store.stats()
    assert stats["store"]["unreadable_rows_skipped"] == 3
    await store.close()


def _damage(path: Path) -> None:
    """Overwrite pages in the middle of the file, as a failing disk or a half-copied file would."""
    data = bytearray(path.read_bytes())
    page = 4096
    for start in range(2 * page, len(data) - page, 3 * page):
        data[start + 100 : start + 900] = b"\xa5" * 800
    path.write_bytes(bytes(data))


async def test_a_damaged_store_is_refused_at_start_with_what_to_do(tmp_path: Path):
    """A file whose pages are damaged no longer passes start-up to fail on every write: it is
    refused at once, nothing is changed, and the message says how to start afresh."""
    store = await Store.open(tmp_path)
    for n in range(400):
        await store.add(event(n, f"h{n}.example.com"))
    await store.close()
    path = tmp_path / DB_FILE
    _damage(path)
    damaged = path.read_bytes()
    with pytest.raises(StoreError, match="--reset-store"):
        await Store.open(tmp_path)
    assert path.read_bytes() == damaged


def test_reset_store_moves_the_damaged_file_aside_and_starts_empty(tmp_path: Path):
    """`companion serve --reset-store` keeps the damaged file (renamed) and serves an empty store."""
    (tmp_path / DB_FILE).write_bytes(b"this is not sqlite" * 200)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "companion.cli", "serve", "--reset-store", "--data-dir", str(tmp_path), "--api-port", str(port)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        wait_port(port, proc)
    finally:
        printed = stop(proc)
    assert "Moved the event store aside" in printed
    kept = list(tmp_path.glob(DB_FILE + ".damaged-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == b"this is not sqlite" * 200


async def test_events_older_than_the_retention_are_dropped(tmp_path: Path):
    """Retention by age: what is older than keep_days goes, at start and as events come in;
    /api/stats shows both limits."""
    store = await Store.open(tmp_path, Retention(keep=1000, keep_days=30))
    old = event(1, "a.test")
    old.time = datetime.now(UTC) - timedelta(days=40)
    await store.add(old)
    await store.add(event(2, "a.test"))
    await store.close()
    again = await Store.open(tmp_path, Retention(keep=1000, keep_days=30))
    assert [e.id for e in await again.recent()] == ["e2"]
    stats = await again.stats()
    assert (stats["store"]["keep"], stats["store"]["keep_days"]) == (1000, 30)
    await again.close()


def _schema_1_store(path: Path, stored: Event) -> None:
    """A store as the companion of schema 1 wrote it: no site columns."""
    with sqlite3.connect(path) as conn:
        conn.executescript(
            """CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, flow_id TEXT UNIQUE,
               time TEXT NOT NULL, host TEXT NOT NULL, initiator_host TEXT, status INTEGER NOT NULL, cause TEXT NOT NULL,
               body TEXT NOT NULL);
               PRAGMA user_version = 1;"""
        )
        conn.execute(
            "INSERT INTO events (id, flow_id, time, host, initiator_host, status, cause, body) VALUES (?,?,?,?,?,?,?,?)",
            (stored.id, None, stored.time.isoformat(), stored.host, stored.initiator_host, 401, "unknown", stored.model_dump_json()),
        )


async def test_a_store_of_schema_1_is_carried_over(tmp_path: Path):
    """Events recorded before the site columns existed are found by site, read-only by the CLI
    first, then after the service has opened (and upgraded) the store."""
    _schema_1_store(tmp_path / DB_FILE, event(7, "api.shop.example", initiator_host="www.shop.example"))
    assert [e["id"] for e in read_events_file(tmp_path / DB_FILE, "shop.example", 10)] == ["e7"]
    store = await Store.open(tmp_path)
    for site in ("shop.example", "api.shop.example", "www.shop.example"):
        assert [e.id for e in await store.recent(site=site)] == ["e7"], site
    assert await store.recent(site="other.example") == []
    await store.close()
    assert [e["id"] for e in read_events_file(tmp_path / DB_FILE, "www.shop.example", 10)] == ["e7"]


_SCHEMA_2 = """
CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, flow_id TEXT UNIQUE, time TEXT NOT NULL,
    host TEXT NOT NULL, initiator_host TEXT, status INTEGER NOT NULL, cause TEXT NOT NULL, body TEXT NOT NULL,
    site TEXT, initiator_site TEXT);
CREATE INDEX events_host ON events(host);
CREATE INDEX events_initiator_host ON events(initiator_host);
CREATE INDEX events_site ON events(site, seq);
CREATE INDEX events_initiator_site ON events(initiator_site, seq);
PRAGMA user_version = 2;
"""


def _schema_2_store(path: Path, events: list[Event], unreadable: str) -> None:
    """A store as the companion of schema 2 wrote it: the whole event as JSON in each row."""
    from companion.net.sites import site_of

    with sqlite3.connect(path) as conn:
        conn.executescript(_SCHEMA_2)
        rows = [(e.id, f"flow-{e.id}", e.time.isoformat(), e.host, e.initiator_host, e.status, e.diagnosis.cause, e.model_dump_json(),
                 site_of(e.host), site_of(e.initiator_host) if e.initiator_host else None) for e in events]  # fmt: skip
        rows.insert(1, ("bad", "flow-bad", NOW.isoformat(), "api.example.com", None, 401, "unknown", unreadable, "example.com", None))
        conn.executemany("INSERT INTO events (id, flow_id, time, host, initiator_host, status, cause, body, site, initiator_site) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)


async def test_a_store_of_schema_2_is_carried_over(tmp_path: Path):
    """Events a previous version stored are all there after the upgrade, in the same order,
    found by every filter; one it could not read back is counted, and its text is gone from
    the files. The CLI reads the file before and after, without a service."""
    path = tmp_path / DB_FILE
    old = [event(1, "api.shop.example", "www.shop.example", cause="expired_token"), event(2, "cdn.other.example"), event(3, "shop.example")]
    _schema_2_store(path, old, '{"id": "bad", "url": "PLANTED-unreadable-7c1e", "diagnosis": ' + "[" * 3000)
    assert [e["id"] for e in read_events_file(path, "shop.example", 10)] == ["e3", "e1"]
    store = await Store.open(tmp_path)
    assert store.unreadable == 1
    assert [e.id for e in await store.recent()] == ["e3", "e2", "e1"]
    assert [e.id for e in await store.recent(site="www.shop.example")] == ["e1"]
    assert (await store.get("e1")) == old[0]
    page = await store.page(parse_query({"cause": "expired_token", "fields": "summary"}))
    assert [json.loads(e)["id"] for e in page.events] == ["e1"]
    await store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
    assert not [f.name for f in tmp_path.glob(DB_FILE + "*") if b"PLANTED-unreadable-7c1e" in f.read_bytes()]
    assert [e["id"] for e in read_events_file(path, None, 10, parse_query({"cause": "expired_token"}))] == ["e1"]
    assert [e["id"] for e in read_events_file(path, "other.example", 10)] == ["e2"]


async def test_an_event_takes_under_2_kb_on_disk(tmp_path: Path):
    """Issue 9: a store of many events stays small (the database, WAL and SHM together)."""
    from companion.service.pipeline import _storable
    from tests.service.test_api import exchange

    store = await Store.open(tmp_path, Retention(keep=10_000, keep_days=0))
    count = 2000
    for start in range(0, count, 500):
        batch = [
            _storable(exchange(flow_id=f"f{n}", host=f"api.site{n % 50}.example", url=f"https://api.site{n % 50}.example/v1/items/{n}",
                               request={"headers": [["Accept", "application/json"], ["Authorization", "[redacted: 40 chars]"]],
                                        "credentials": [{"source": "request.authorization", "scheme": "Bearer", "length": 33, "fingerprint": f"{n:012x}"}]}),
                      store)[1]
            for n in range(start, start + 500)
        ]  # fmt: skip
        await store.add_many(batch)
    assert await store.count() == count
    await store.close()
    size = sum(f.stat().st_size for f in tmp_path.glob(DB_FILE + "*"))
    assert size / count < 2048, f"{size / count:.0f} bytes per event"


async def test_an_insert_while_another_writer_holds_the_store_waits_its_turn(tmp_path: Path):
    """The addon's inserts run on the event loop and never wait there for a lock: while another
    writer holds the store, the insert goes to the writer thread and is stored when the lock is
    let go; afterwards inserts are on the loop again, which commits without a sync each time."""
    import threading

    store = await Store.open(tmp_path)
    other = sqlite3.connect(tmp_path / DB_FILE, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    threading.Timer(0.3, other.rollback).start()
    _, created = await store.add(event(1, "a.test"))
    assert created
    _, created = await store.add(event(2, "a.test"))
    assert created and await store.count() == 2
    assert store._loop_conn is not None and store._loop_conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    other.close()
    await store.close()
