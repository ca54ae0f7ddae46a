from datetime import UTC, datetime
from pathlib import Path

import pytest

from companion.diagnosis.models import Diagnosis
from companion.errors import StoreError
from companion.service.models import Event
from companion.service.store import DB_FILE, Store, read_events_file


def event(n: int, host: str, initiator_host: str | None = None, cause: str = "unknown") -> Event:
    return Event(
        id=f"e{n}", time=datetime(2026, 11, 23, 10, n // 60, n % 60, tzinfo=UTC), method="GET",
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
    store = await Store.open(tmp_path, keep=50)
    for n in range(250):
        await store.add(event(n, "a.test"))
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


async def test_one_unreadable_row_never_takes_the_list_down(tmp_path: Path):
    """A row that cannot be read back (written by a bug, or damaged) is skipped and counted;
    the others are listed."""
    import sqlite3

    store = await Store.open(tmp_path)
    await store.add(event(1, "api.example.com"))
    with sqlite3.connect(tmp_path / DB_FILE) as conn:
        conn.execute(
            "INSERT INTO events (id, flow_id, time, host, initiator_host, status, cause, body) VALUES (?,?,?,?,?,?,?,?)",
            ("bad", "f-bad", "2026-11-23T10:00:00", "api.example.com", None, 401, "unknown", '{"id": "bad", "diagnosis": ' + "[" * 5000),
        )
    found = await store.recent()
    assert [e.id for e in found] == ["e1"] and store.unreadable == 1
    assert await store.get("bad") is None
    await store.close()
