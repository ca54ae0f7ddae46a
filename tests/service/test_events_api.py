"""The stored events' API: filters that combine, paging, summaries, deletes and the summary
strip's counts, on a real aiohttp server with a real SQLite store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import pytest

from companion.diagnosis.models import Diagnosis
from companion.net.sites import site_of
from companion.service.app import create_app
from companion.service.keys import STORE
from companion.service.models import Event
from companion.service.store import DB_FILE

TOKEN = "t0ken-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

# Local midnight today: the filters read a date alone, or a time without a zone, as this
# machine's local time, so the events are placed around it whatever the hour of the run.
MIDNIGHT = datetime.now().astimezone().replace(hour=0, minute=0, second=0, microsecond=0)


def _event(
    name: str, when: datetime, host: str, cause: str, *, initiator: str | None = None, status: int = 401,
    url: str | None = None, title: str = "A title", summary: str = "A summary.",
) -> Event:  # fmt: skip
    return Event(
        id=name, time=when, method="GET", url=url or f"https://{host}/{name}", host=host, site=site_of(host), status=status,
        initiator=f"https://{initiator}" if initiator else None, initiator_host=initiator,
        diagnosis=Diagnosis(cause=cause, confidence=0.9, title=title, summary=summary, evidence=[{"source": "context", "fact": f"fact of {name}"}]),
    )  # fmt: skip


EVENTS = [
    _event("e1", MIDNIGHT - timedelta(days=3) + timedelta(hours=12), "api.example.com", "expired_token",
           initiator="app.example.com", summary="The token expired at 10:00."),
    _event("e2", MIDNIGHT - timedelta(days=2) + timedelta(hours=12), "app.example.com", "missing_credentials",
           url="https://app.example.com/dashboard?done=100%25_x"),
    _event("e3", MIDNIGHT - timedelta(days=1) + timedelta(hours=12), "proxy.corp.test", "proxy_auth_required", status=407),
    _event("e4", MIDNIGHT + timedelta(hours=1), "cdn.thirdparty.net", "cookie_not_sent", initiator="app.example.com",
           summary="The cookie was withheld: SameSite=Strict on a cross-site request."),
    _event("e5", MIDNIGHT + timedelta(hours=2), "other.org", "expired_token", title="Your access token has expired"),
]  # fmt: skip


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture
async def client(aiohttp_client, tmp_path: Path):
    client = await aiohttp_client(create_app(tmp_path, TOKEN))
    store = client.server.app[STORE]
    await store.add_many([store.pack(event) for event in EVENTS])
    return client


async def _ids(client, query: str) -> list[str]:
    response = await client.get(f"/api/events?{query}", headers=AUTH)
    assert response.status == 200, await response.text()
    return [e["id"] for e in (await response.json())["events"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["e5", "e4", "e3", "e2", "e1"]),
        ("site=example.com", ["e4", "e2", "e1"]),
        ("site=app.example.com", ["e4", "e2", "e1"]),
        ("site=api.example.com", ["e1"]),
        ("site=thirdparty.net", ["e4"]),
        ("site=xample.com", []),
        ("cause=expired_token", ["e5", "e1"]),
        ("cause=expired_token,proxy_auth_required", ["e5", "e3", "e1"]),
        ("cause=expired_token&cause=missing_credentials", ["e5", "e2", "e1"]),
        ("status=407", ["e3"]),
        ("status=401", ["e5", "e4", "e2", "e1"]),
        ("status=401,407", ["e5", "e4", "e3", "e2", "e1"]),
        (f"since={MIDNIGHT.date().isoformat()}", ["e5", "e4"]),
        (f"until={(MIDNIGHT - timedelta(days=1)).date().isoformat()}", ["e3", "e2", "e1"]),
        (f"since={(MIDNIGHT - timedelta(days=1)).date()}&until={(MIDNIGHT - timedelta(days=1)).date()}", ["e3"]),
        (f"since={quote(_iso(EVENTS[2].time))}", ["e5", "e4", "e3"]),
        (f"until={quote(EVENTS[1].time.astimezone(timezone(timedelta(hours=1))).isoformat())}", ["e2", "e1"]),
        (f"since={(MIDNIGHT + timedelta(minutes=90)).strftime('%Y-%m-%dT%H:%M')}", ["e5"]),
        ("q=samesite", ["e4"]),
        ("q=DASHBOARD", ["e2"]),
        ("q=access%20token%20has", ["e5"]),
        ("q=100%2525_", ["e2"]),
        ("q=100%25_", []),
        ("q=%25", ["e2"]),
        ("q=_", ["e2"]),
        ("site=example.com&cause=expired_token", ["e1"]),
        ("site=example.com&status=407", []),
        ("cause=expired_token&q=other", ["e5"]),
        (f"site=app.example.com&since={MIDNIGHT.date()}&q=cookie", ["e4"]),
    ],
)
async def test_filters_combine(client, query, expected):
    """Each filter narrows the list, together they narrow it further, newest first."""
    assert await _ids(client, query) == expected
    assert await _ids(client, query + "&fields=summary") == expected


async def test_an_unescaped_plus_in_a_time_is_read_as_the_zone_it_was():
    """`since=…+01:00` typed into an address arrives with a space for the "+"."""
    from companion.service.query import micros, parse_query

    when = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert parse_query({"since": "2026-11-23T11:00:00 01:00"}).since == micros(when)
    assert parse_query({"since": "2026-11-23T10:00:00Z"}).since == micros(when)


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("since=yesterday", "ISO 8601"),
        ("until=2026-13-45", "ISO 8601"),
        ("since=2026-11-24&until=2026-11-23", "before until"),
        ("status=500", "401 or 407"),
        ("cause=expird_token", "expird_token"),
        ("limit=0", "between 1 and 500"),
        ("limit=501", "between 1 and 500"),
        ("limit=many", "whole number"),
        ("fields=everything", "summary"),
        ("before=no-such-event", "start again from the newest"),
        ("q=" + "x" * 201, "200 characters"),
    ],
)
async def test_a_bad_filter_is_a_400_that_says_what_is_accepted(client, query, words):
    response = await client.get(f"/api/events?{query}", headers=AUTH)
    assert response.status == 400
    problem = (await response.json())["error"]
    assert problem["code"] == "bad_request" and words in problem["message"]


async def test_summaries_hold_what_a_list_needs_and_no_exchange(client):
    """`fields=summary`: the list's and the badge's fields, the diagnosis's headline only."""
    await client.post("/api/ingest", json=_exchange("with-exchange"), headers=AUTH)
    summaries = (await (await client.get("/api/events?fields=summary", headers=AUTH)).json())["events"]
    whole = (await (await client.get("/api/events", headers=AUTH)).json())["events"]
    assert [e["id"] for e in summaries] == [e["id"] for e in whole]
    for summary, event in zip(summaries, whole, strict=True):
        assert set(summary) == {"id", "time", "method", "url", "host", "site", "status", "initiator", "initiator_host", "diagnosis"}
        assert set(summary["diagnosis"]) == {"cause", "title", "summary", "confidence"}
        assert summary == {**{k: event[k] for k in summary if k != "diagnosis"}, "diagnosis": {k: event["diagnosis"][k] for k in summary["diagnosis"]}}
    assert any(e["exchange"] for e in whole) and all(e["diagnosis"]["evidence"] for e in whole)


async def test_one_event_reads_the_same_alone_and_in_the_list(client):
    whole = (await (await client.get("/api/events", headers=AUTH)).json())["events"]
    for event in whole:
        assert await (await client.get(f"/api/events/{event['id']}", headers=AUTH)).json() == event


@pytest.mark.parametrize("query", ["", "site=example.com", "cause=expired_token,cookie_not_sent,missing_credentials", "status=401", "q=e"])
async def test_pages_follow_one_another_without_gaps_or_repeats(client, query):
    """`next` is the `before=` of the following page; the pages together are the whole list."""
    expected = await _ids(client, query)
    seen: list[str] = []
    before = None
    for _ in range(10):
        response = await client.get(f"/api/events?{query}&limit=2" + (f"&before={before}" if before else ""), headers=AUTH)
        page = await response.json()
        assert len(page["events"]) <= 2
        seen += [e["id"] for e in page["events"]]
        before = page["next"]
        if before is None:
            break
    assert seen == expected


async def test_the_last_page_says_there_is_no_next(client):
    page = await (await client.get("/api/events?limit=5", headers=AUTH)).json()
    assert len(page["events"]) == 5 and page["next"] is None
    page = await (await client.get("/api/events?limit=4", headers=AUTH)).json()
    assert page["next"] == "e2"


async def test_delete_one_event(client):
    response = await client.delete("/api/events/e3", headers=AUTH)
    assert (response.status, await response.json()) == (200, {"deleted": 1})
    assert (await client.get("/api/events/e3", headers=AUTH)).status == 404
    again = await client.delete("/api/events/e3", headers=AUTH)
    assert again.status == 404 and (await again.json())["error"]["code"] == "not_found"
    assert await _ids(client, "") == ["e5", "e4", "e2", "e1"]


@pytest.mark.parametrize(
    ("query", "deleted", "left"),
    [
        ("cause=expired_token", 2, ["e4", "e3", "e2"]),
        ("site=example.com", 3, ["e5", "e3"]),
        ("site=example.com&status=401&q=token", 1, ["e5", "e4", "e3", "e2"]),
        (f"until={(MIDNIGHT - timedelta(days=1)).date()}", 3, ["e5", "e4"]),
        ("q=nothing-matches-this", 0, ["e5", "e4", "e3", "e2", "e1"]),
        ("", 5, []),
    ],
)
async def test_delete_removes_exactly_what_the_filter_shows(client, query, deleted, left):
    shown = await _ids(client, query)
    response = await client.delete(f"/api/events?{query}", headers=AUTH)
    assert (await response.json()) == {"deleted": deleted} and len(shown) == deleted
    assert await _ids(client, "") == left


@pytest.mark.parametrize("query", ["limit=2", "before=e3", "fields=summary", "cause=nope", "since=soon"])
async def test_a_delete_with_paging_or_a_bad_filter_deletes_nothing(client, query):
    """A delete takes the filters only: `limit=2` must never quietly delete everything."""
    response = await client.delete(f"/api/events?{query}", headers=AUTH)
    assert response.status == 400 and (await response.json())["error"]["code"] == "bad_request"
    assert len(await _ids(client, "")) == 5


def _exchange(flow_id: str, **overrides) -> dict:
    now = datetime.now(UTC).isoformat()
    base = {
        "flow_id": flow_id, "time": now, "method": "GET", "url": "https://api.example.com/me", "scheme": "https",
        "host": "api.example.com", "port": 443, "path": "/me", "status": 401, "initiator": "https://app.example.com",
        "request": {"headers": [["Accept", "*/*"]]},
        "response": {"received": now, "www_authenticate": ['Bearer realm="api"']},
    }  # fmt: skip
    base.update(overrides)
    return base


def _traces(data_dir: Path, marker: str) -> list[str]:
    """The store's files (database, WAL, SHM) whose raw bytes hold `marker`."""
    files = sorted(data_dir.glob(DB_FILE + "*"))
    assert files
    return [f.name for f in files if marker.encode() in f.read_bytes()]


@pytest.mark.parametrize(
    ("delete", "gone", "kept"),
    [
        ("/api/events/{first}", ["MARK-A-0"], ["MARK-A-1", "MARK-B-0"]),
        ("/api/events?q=MARK-A", ["MARK-A-0", "MARK-A-1"], ["MARK-B-0", "MARK-B-1"]),
        ("/api/events?site=deleted.example", ["MARK-A-0", "MARK-A-1"], ["MARK-B-0"]),
        ("/api/events", ["MARK-A-0", "MARK-A-1", "MARK-B-0", "MARK-B-1"], []),
    ],
)
async def test_deleted_events_leave_no_trace_in_the_files(aiohttp_client, tmp_path: Path, delete, gone, kept):
    """DESIGN.md, Secrets: what is deleted is gone from the database, its WAL and SHM (its URL,
    its summary, its exchange), not merely unlisted; what is not deleted is still there."""
    client = await aiohttp_client(create_app(tmp_path, TOKEN))
    ids = []
    for group, host in (("A", "api.deleted.example"), ("B", "api.kept.example")):
        for n in range(2):
            marker = f"MARK-{group}-{n}"
            body = _exchange(f"{marker}-flow", host=host, url=f"https://{host}/{marker}/x", path=f"/{marker}/x",
                             reason=f"Unauthorized {marker}")  # fmt: skip
            ids.append((await (await client.post("/api/ingest", json=body, headers=AUTH)).json())["id"])
    for marker in gone + kept:
        assert _traces(tmp_path, marker), f"{marker} was never in the files: the test would prove nothing"
    response = await client.delete(delete.format(first=ids[0]), headers=AUTH)
    assert response.status == 200 and (await response.json())["deleted"] == len(gone)
    for marker in gone:
        assert _traces(tmp_path, marker) == [], marker
    for marker in kept:
        assert _traces(tmp_path, marker), marker


async def test_stats_count_today_and_the_last_24_hours(aiohttp_client, tmp_path: Path):
    """The summary strip: 401s since local midnight, in the last 24 hours, by cause, by site."""
    client = await aiohttp_client(create_app(tmp_path, TOKEN))
    now = datetime.now(UTC)
    midnight = datetime.now().astimezone().replace(hour=0, minute=0, second=0, microsecond=0)
    times = [now - timedelta(minutes=1), now - timedelta(hours=23), now - timedelta(hours=25), now - timedelta(days=3)]
    store = client.server.app[STORE]
    await store.add_many(
        [store.pack(_event(f"s{n}", when, f"h{n}.example.com", "expired_token" if n else "missing_credentials")) for n, when in enumerate(times)]
    )
    stats = await (await client.get("/api/stats", headers=AUTH)).json()
    assert stats["events"] == 4 and stats["last_24h"] == 2
    assert stats["today"] == sum(1 for when in times if when >= midnight)
    assert datetime.fromisoformat(stats["today_since"]) == midnight
    assert stats["by_cause"] == {"expired_token": 3, "missing_credentials": 1} and stats["by_site"] == {"example.com": 4}
