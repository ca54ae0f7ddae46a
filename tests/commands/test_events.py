"""`companion events`, `events show|export|clear`, as a person runs them against a real
`companion serve` (real SQLite), and from the store file when no companion runs."""

from __future__ import annotations

import asyncio
import json
import os
import pty
import select
import sqlite3
import stat
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from companion.cli import main
from companion.commands.text import moment, moment_until
from companion.diagnosis.catalogue import CAUSES
from companion.diagnosis.models import Diagnosis
from companion.service.models import Event
from companion.service.store import Store
from tests.conftest import ROOT, free_port, stop, wait_port
from tests.support.testsite import make_jwt

HOSTILE = "Token revoked\x1b]0;pwned\x07\x1b[2J see \u202egnp.exe"
HOSTILE_SHOWN = "Token revoked\\x1b]0;pwned\\x07\\x1b[2J see \\u202egnp.exe"


def exchange(flow_id: str, when: str, url: str, status: int = 401, **more: object) -> dict:
    """A redacted exchange as the addon posts it."""
    scheme, _, rest = url.partition("://")
    host = rest.split("/")[0]
    base = {
        "flow_id": flow_id, "time": when, "method": "GET", "url": url, "scheme": scheme, "host": host,
        "port": 443 if scheme == "https" else 80, "path": "/" + rest.partition("/")[2], "status": status,
        "request": {"headers": [["Host", host], ["Accept", "*/*"]]},
        "response": {"received": when, "headers": [["Content-Type", "application/json"]]},
    }  # fmt: skip
    base.update(more)
    return base


EXPIRED = exchange(
    "f-expired", "2026-11-23T10:00:00+00:00", "https://api.example.com/me",
    initiator="https://app.example.com",
    request={"headers": [["Host", "api.example.com"], ["Authorization", "[redacted: 40 chars]"]],
             "credentials": [{"source": "request.authorization", "scheme": "Bearer", "length": 40, "fingerprint": "ab12"}]},
    response={"received": "2026-11-23T10:00:00+00:00",
              "headers": [["WWW-Authenticate", 'Bearer error="invalid_token", error_description="The access token expired"']],
              "www_authenticate": ['Bearer error="invalid_token", error_description="The access token expired"']},
)  # fmt: skip
PROXY = exchange(
    "f-proxy", "2026-11-22T09:00:00+00:00", "http://intranet.corp.test/wiki", status=407,
    response={"received": "2026-11-22T09:00:00+00:00", "headers": [["Proxy-Authenticate", 'Basic realm="corp"']],
              "proxy_authenticate": ['Basic realm="corp"']},
)  # fmt: skip
_EVIL_CHALLENGE = f'Bearer error="invalid_token", error_description="{HOSTILE}"'
EVIL = exchange(
    "f-evil", "2026-11-23T10:05:00+00:00", "https://evil.test/x",
    request={"headers": [["Host", "evil.test"], ["Authorization", "[redacted: 12 chars]"]],
             "credentials": [{"source": "request.authorization", "scheme": "Bearer", "length": 12, "fingerprint": "cd34"}]},
    response={"received": "2026-11-23T10:05:00+00:00",
              "headers": [["X-Note", HOSTILE], ["WWW-Authenticate", _EVIL_CHALLENGE]],
              "www_authenticate": [_EVIL_CHALLENGE],
              "body_error": {"code": "invalid_token", "message": HOSTILE, "field": "json:error_description"}},
)  # fmt: skip


@dataclass
class Served:
    """`companion serve` on a data dir of its own."""

    port: int
    data_dir: Path
    proc: subprocess.Popen

    @property
    def argv(self) -> list[str]:
        return ["--data-dir", str(self.data_dir), "--api-port", str(self.port)]

    def api(self, method: str, path: str, body: object = None) -> object:
        token = (self.data_dir / "token").read_text().strip()
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", data=data, method=method,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )  # fmt: skip
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=30) as response:
            return json.load(response)

    def ingest(self, *exchanges: dict) -> list[dict]:
        return [self.api("POST", "/api/ingest", item) for item in exchanges]  # type: ignore[misc]

    def ids(self) -> list[str]:
        return [e["id"] for e in self.api("GET", "/api/events?limit=500")["events"]]  # type: ignore[index]


def serve(data_dir: Path) -> Served:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "companion.cli", "serve", "--api-port", str(port), "--data-dir", str(data_dir), "--keep-days", "0"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    wait_port(port, proc)
    return Served(port, data_dir, proc)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A companion holding three events: an expired token, a proxy's 407 of the day before, and
    a hostile server's message with terminal control codes."""
    running = serve(tmp_path_factory.mktemp("served"))
    running.ingest(PROXY, EXPIRED, EVIL)
    yield running
    stop(running.proc)


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Served]:
    """A companion of its own, for the tests that delete."""
    running = serve(tmp_path / "data")
    running.ingest(PROXY, EXPIRED, EVIL)
    yield running
    stop(running.proc)


@pytest.fixture
def paris(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The local zone is Paris (CET in November), whatever the machine's is."""
    monkeypatch.setenv("TZ", "Europe/Paris")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def piped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def title(cause: str) -> str:
    return CAUSES[cause].title


# --- the list ------------------------------------------------------------------------------


def _list_lines(events: list[dict], zone: str) -> list[str]:
    hours = {"CET": 1, "UTC": 0}[zone]
    lines = []
    for e in events:
        when = datetime.fromisoformat(e["time"])
        clock = f"{when.hour + hours:02d}:{when.minute:02d}:{when.second:02d}"
        lines.append(f"{e['id'][:12]}  {when.date()} {clock} {zone}  {e['status']}  GET {e['url']}")
        lines.append(f"    {e['diagnosis']['title']} [{e['diagnosis']['cause']}]: {e['diagnosis']['summary']}")
    return lines


@pytest.mark.usefixtures("paris", "piped")
@pytest.mark.parametrize(("extra", "zone"), [([], "CET"), (["--utc"], "UTC")])
def test_the_list_shows_date_zone_and_the_causes_title(capsys, served, extra, zone):
    """Local time with date and zone by default (UTC with --utc); the cause by its title."""
    code, out, _ = run(capsys, "events", *served.argv, "--site", "example.com", *extra)
    assert code == 0
    (event,) = served.api("GET", "/api/events?site=example.com")["events"]  # type: ignore[index]
    assert event["diagnosis"]["cause"] == "expired_token"
    assert out.splitlines() == _list_lines([event], zone)
    assert f"2026-11-23 {11 if zone == 'CET' else 10}:00:00 {zone}" in out
    assert title("expired_token") in out


def test_the_list_wraps_to_the_terminal_width(capsys, monkeypatch, served):
    """At 60 columns every line fits, but a URL is never cut (it must stay copyable)."""
    monkeypatch.setenv("COLUMNS", "60")
    code, out, _ = run(capsys, "events", *served.argv)
    assert code == 0
    lines = out.splitlines()
    assert all(len(line) <= 60 or line.strip().startswith("https://") for line in lines), lines
    assert "    https://api.example.com/me" in lines
    assert any(line.startswith("    ") and title("expired_token").split()[0] in line for line in lines)


@pytest.mark.usefixtures("piped")
def test_the_list_is_one_line_per_line_when_piped(capsys, served):
    """Into a pipe (no terminal, no COLUMNS), as git and kubectl do: nothing wrapped, so grep
    finds an event's summary whole."""
    code, out, _ = run(capsys, "events", *served.argv)
    assert code == 0
    assert len(out.splitlines()) == 2 * 3
    for event in served.api("GET", "/api/events")["events"]:  # type: ignore[index]
        assert f"    {event['diagnosis']['title']} [{event['diagnosis']['cause']}]: " in out


@pytest.mark.usefixtures("piped")
def test_a_hostile_servers_text_is_escaped_in_the_list(capsys, served):
    code, out, _ = run(capsys, "events", *served.argv, "--site", "evil.test")
    assert code == 0
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert HOSTILE_SHOWN in out


FILTERS = [
    (["--cause", "expired_token"], ["https://api.example.com/me"]),
    (["--cause", "proxy_auth_required"], ["http://intranet.corp.test/wiki"]),
    (["--cause", "proxy_auth_required", "--cause", "expired_token"], ["https://api.example.com/me", "http://intranet.corp.test/wiki"]),
    (["--status", "407"], ["http://intranet.corp.test/wiki"]),
    (["--status", "401"], ["https://evil.test/x", "https://api.example.com/me"]),
    (["--since", "2026-11-23"], ["https://evil.test/x", "https://api.example.com/me"]),
    (["--since", "2026-11-23T10:02:00Z"], ["https://evil.test/x"]),
    (["--until", "2026-11-23T11:01:00+01:00"], ["https://api.example.com/me", "http://intranet.corp.test/wiki"]),
    (["--since", "2026-11-22", "--until", "2026-11-22 23:59"], ["http://intranet.corp.test/wiki"]),
    (["--since", "2026-11-22", "--until", "2026-11-22"], ["http://intranet.corp.test/wiki"]),
    (["--until", "2026-11-23T11:00:00+01:00"], ["https://api.example.com/me", "http://intranet.corp.test/wiki"]),
    (["-q", "intranet"], ["http://intranet.corp.test/wiki"]),
    (["-q", "revoked"], ["https://evil.test/x"]),
    (["--site", "example.com", "--status", "407"], []),
    ([], ["https://evil.test/x", "https://api.example.com/me", "http://intranet.corp.test/wiki"]),
]


@pytest.mark.usefixtures("paris")
@pytest.mark.parametrize(("extra", "urls"), FILTERS)
def test_filters_narrow_the_list(capsys, served, extra, urls):
    """Each filter, and two combined, as the API applies them (times without a zone are local)."""
    code, out, _ = run(capsys, "events", *served.argv, "--json", *extra)
    assert code == 0
    assert [e["url"] for e in json.loads(out)["events"]] == urls


@pytest.mark.usefixtures("paris")
@pytest.mark.parametrize(("extra", "urls"), FILTERS)
def test_filters_narrow_the_stored_history_when_no_companion_runs(capsys, served, tmp_path, extra, urls):
    """Stopped, the companion's history still answers the same filters the same way."""
    copy = tmp_path / "copy"
    copy.mkdir()
    served.api("GET", "/api/events")  # the service has written everything down
    with sqlite3.connect(served.data_dir / "events.sqlite3") as source, sqlite3.connect(copy / "events.sqlite3") as target:
        source.backup(target)
    code, out, err = run(capsys, "events", "--data-dir", str(copy), "--api-port", str(free_port()), "--json", *extra)
    assert code == 0, err
    assert [e["url"] for e in json.loads(out)["events"]] == urls


def test_a_filter_that_matches_nothing_says_so(capsys, served):
    code, out, _ = run(capsys, "events", *served.argv, "--site", "example.com", "--status", "407")
    assert (code, out) == (0, "No 401s match (site example.com, status 407).\n")


def test_an_unknown_cause_is_refused_with_the_nearest_id(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["events", "--cause", "expird_token"])
    assert exited.value.code == 2
    assert "argument --cause: no cause 'expird_token'; did you mean expired_token?" in capsys.readouterr().err


NOW = datetime(2026, 11, 23, 20, 30, 0, tzinfo=UTC)  # 21:30 in Paris


@pytest.mark.usefixtures("paris")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1h", "2026-11-23T19:30:00+00:00"),
        ("30m", "2026-11-23T20:00:00+00:00"),
        ("2d", "2026-11-21T20:30:00+00:00"),
        ("1w", "2026-11-16T20:30:00+00:00"),
        ("45s", "2026-11-23T20:29:15+00:00"),
        ("now", "2026-11-23T20:30:00+00:00"),
        ("today", "2026-11-22T23:00:00+00:00"),  # midnight in Paris
        ("yesterday", "2026-11-21T23:00:00+00:00"),
        ("2026-11-23", "2026-11-22T23:00:00+00:00"),
        ("2026-11-23 21:00", "2026-11-23T20:00:00+00:00"),
        ("2026-11-23T21:00:00Z", "2026-11-23T21:00:00+00:00"),
        ("2026-11-23T21:00:00-05:00", "2026-11-24T02:00:00+00:00"),
    ],
)
def test_times_a_person_types(text, expected):
    assert moment(text, NOW).astimezone(UTC).isoformat() == expected


@pytest.mark.usefixtures("paris")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yesterday", "2026-11-22T22:59:59.999999+00:00"),  # `--since yesterday --until yesterday`: all of it
        ("today", "2026-11-23T22:59:59.999999+00:00"),
        ("2026-11-22", "2026-11-22T22:59:59.999999+00:00"),
        ("2026-11-22 12:00", "2026-11-22T11:00:00+00:00"),
        ("1h", "2026-11-23T19:30:00+00:00"),
    ],
)
def test_until_a_day_counts_the_whole_day(text, expected):
    assert moment_until(text, NOW).astimezone(UTC).isoformat() == expected


@pytest.mark.parametrize("text", ["last week", "1 fortnight", "2026-13-01", "-1h", "1y", ""])
def test_a_time_that_is_none_is_refused_with_the_forms_it_takes(capsys, text):
    with pytest.raises(SystemExit):
        main(["events", f"--since={text}"])
    assert "argument --since: a time is 30m, 1h, 2d, 1w, today, yesterday or ISO 8601" in capsys.readouterr().err


def test_since_after_until_is_refused(capsys, served):
    code, _, err = run(capsys, "events", *served.argv, "--since", "1h", "--until", "2d")
    assert code == 2 and "--since" in err and "is after --until" in err


# --- the list, when no companion runs ------------------------------------------------------


@pytest.mark.parametrize("paired", [False, True])
@pytest.mark.parametrize(
    ("extra", "printed"),
    [([], "No 401s recorded.\n"), (["--site", "example.com"], "No 401s recorded for example.com.\n")],
)
def test_events_with_no_service_and_no_store(capsys, tmp_path, paired, extra, printed):
    """Before anything was captured, with or without a token made: a sentence, not an error."""
    if paired:
        main(["token", "--data-dir", str(tmp_path)])
        capsys.readouterr()
    assert main(["events", "--data-dir", str(tmp_path), "--api-port", str(free_port()), *extra]) == 0
    assert capsys.readouterr().out == printed


def test_events_json_with_nothing_recorded_is_valid_json(capsys, tmp_path):
    assert main(["events", "--data-dir", str(tmp_path), "--api-port", str(free_port()), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"events": []}


def _stored(data_dir: Path, *hosts: str) -> None:
    """Events written by the service's own store (then the service is gone)."""

    async def write() -> None:
        store = await Store.open(data_dir)
        for n, host in enumerate(hosts):
            await store.add(
                Event(
                    id=f"e{n}", time=datetime(2026, 11, 23, 10, 0, n, tzinfo=UTC), method="GET", url=f"https://{host}/me",
                    host=host, site=host, status=401,
                    diagnosis=Diagnosis(cause="expired_token", confidence=0.9, title="Expired", summary=f"The token for {host} expired."),
                )
            )  # fmt: skip
        await store.close()

    asyncio.run(write())


@pytest.mark.usefixtures("paris", "piped")
def test_events_read_the_store_when_no_service_runs(capsys, tmp_path):
    """After the companion stopped, `companion events` still shows what it recorded, newest
    first, and says where the list came from (on stderr, so a pipe gets the list alone)."""
    _stored(tmp_path, "api.example.com", "api.other.org")
    port = free_port()
    assert main(["events", "--data-dir", str(tmp_path), "--api-port", str(port)]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        "e1  2026-11-23 11:00:01 CET  401  GET https://api.other.org/me",
        "    Expired [expired_token]: The token for api.other.org expired.",
        "e0  2026-11-23 11:00:00 CET  401  GET https://api.example.com/me",
        "    Expired [expired_token]: The token for api.example.com expired.",
    ]
    assert err == f"(no companion is running on port {port}: read from the stored history)\n"


@pytest.mark.parametrize(("extra", "urls"), [([], ["https://api.other.org/me", "https://api.example.com/me"]),
                                             (["--site", "example.com"], ["https://api.example.com/me"]),
                                             (["--limit", "1"], ["https://api.other.org/me"])])  # fmt: skip
def test_events_json_from_the_store_is_valid_json(capsys, tmp_path, extra, urls):
    _stored(tmp_path, "api.example.com", "api.other.org")
    assert main(["events", "--data-dir", str(tmp_path), "--api-port", str(free_port()), "--json", *extra]) == 0
    events = json.loads(capsys.readouterr().out)["events"]
    assert [e["url"] for e in events] == urls
    assert {e["diagnosis"]["cause"] for e in events} == {"expired_token"}


def test_a_servers_control_codes_never_reach_the_terminal_from_the_store(capsys, tmp_path):
    """A server's error_description with ESC and BEL (a title change, a screen clear) and a
    right-to-left override is printed escaped: the terminal shows it, does not obey it."""
    hostile = "Token revoked\x1b]0;pwned\x07\x1b[2J see \u202egnp.exe"

    async def write() -> None:
        store = await Store.open(tmp_path)
        await store.add(
            Event(
                id="e1", time=datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC), method="GET", url="https://api.example.com/me",
                host="api.example.com", site="example.com", status=401,
                diagnosis=Diagnosis(cause="invalid_token", confidence=0.9, title="Invalid", summary=hostile),
            )
        )  # fmt: skip
        await store.close()

    asyncio.run(write())
    assert main(["events", "--data-dir", str(tmp_path), "--api-port", str(free_port())]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "Token revoked\\x1b]0;pwned\\x07\\x1b[2J see \\u202egnp.exe" in out


# --- show ----------------------------------------------------------------------------------


@pytest.mark.usefixtures("paris", "piped")
def test_show_prints_one_event_whole(capsys, served):
    (event,) = served.api("GET", "/api/events?site=example.com")["events"]  # type: ignore[index]
    code, out, _ = run(capsys, "events", "show", event["id"], *served.argv)
    assert code == 0
    d = event["diagnosis"]
    lines = out.splitlines()
    assert lines[:8] == [
        f"Event {event['id']}",
        "  When:         2026-11-23 11:00:00 CET",
        "  Request:      GET https://api.example.com/me",
        "  Status:       401 Unauthorized",
        "  Site:         example.com (host api.example.com)",
        "  Requested by: https://app.example.com",
        f"  Cause:        {title('expired_token')} [expired_token]",
        f"  Confidence:   {round(d['confidence'] * 100)} %",
    ]
    assert "Summary" in lines and f"  {d['summary']}" in lines
    assert "Evidence" in lines
    for item in d["evidence"]:
        assert f"  - {item['source']}: {item['fact']}" in lines
    assert "Fixes, most likely first" in lines
    manual = [f for f in d["fixes"] if f["id"] == "manual"]
    assert manual and manual[0]["steps"]
    for step in manual[0]["steps"]:
        assert f"     - {step}" in lines
    request = lines.index("Request headers (redacted)")
    response = lines.index("Response headers (redacted)")
    assert "  Authorization: [redacted: 40 chars]" in lines[request:response]
    assert '  WWW-Authenticate: Bearer error="invalid_token", error_description="The access token expired"' in lines[response:]


@pytest.mark.usefixtures("piped")
def test_show_names_the_causes_that_also_hold_and_the_notes_for_developers(capsys, fresh):
    """A 401 without a challenge: the site's fault, with notes for its developers; the
    symptom causes under "Also holds" by their titles."""
    (stored,) = fresh.ingest(exchange("f-nochallenge", "2026-11-23T09:00:00+00:00", "https://bare.example.org/api"))
    code, out, _ = run(capsys, "events", "show", stored["id"], *fresh.argv)
    assert code == 0
    d = stored["diagnosis"]
    notes = d["developer_notes"] or CAUSES[d["cause"]].developer_notes
    assert notes, d
    assert "For the site's developers" in out
    for note in notes:
        assert f"  - {note}" in out
    if d["also"]:
        assert "Also holds" in out
        for cause in d["also"]:
            assert f"  - {title(cause)} [{cause}]" in out


@pytest.mark.usefixtures("piped")
def test_show_escapes_a_hostile_servers_text(capsys, served):
    (event,) = served.api("GET", "/api/events?site=evil.test")["events"]  # type: ignore[index]
    code, out, _ = run(capsys, "events", "show", event["id"][:8], *served.argv)
    assert code == 0
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert f"  X-Note: {HOSTILE_SHOWN}" in out


def test_show_takes_the_short_id_the_list_prints(capsys, served):
    (event,) = served.api("GET", "/api/events?site=example.com")["events"]  # type: ignore[index]
    code, out, _ = run(capsys, "events", "show", event["id"][:12], *served.argv)
    assert code == 0 and out.startswith(f"Event {event['id']}\n")


def test_show_json_is_the_event_as_the_api_gives_it(capsys, served):
    (event,) = served.api("GET", "/api/events?site=evil.test")["events"]  # type: ignore[index]
    code, out, _ = run(capsys, "events", "show", event["id"][:12], "--json", *served.argv)
    assert code == 0
    assert json.loads(out) == served.api("GET", f"/api/events/{event['id']}")
    assert "\u202e" not in out and "\x1b" not in out  # JSON's own escapes, never the characters


def test_show_of_an_unknown_event_says_so(capsys, served):
    code, out, err = run(capsys, "events", "show", "0" * 32, *served.argv)
    assert (code, out) == (2, "")
    assert err == f"companion: no event {'0' * 32} (it may have been cleared; `companion events` lists the ids)\n"


@pytest.mark.usefixtures("piped")
def test_a_real_401_through_the_proxy_shows_and_exports_no_planted_secret(capsys, companion, site, tmp_path):
    """Through the real proxy with a token, a cookie and an API key in the query: `show` and
    both exports say they were there (redacted), never what they were."""
    token = make_jwt(-3600)
    planted = [token, token.rsplit(".", 1)[1], "cookie-value-4f9a2c", "apikey-77aa19e3c5"]
    url = f"{site.origin}/bearer?api_key=apikey-77aa19e3c5"
    headers = {"Authorization": f"Bearer {token}", "Cookie": "sid=cookie-value-4f9a2c"}
    assert companion.through_proxy("GET", url, headers)[0] == 401
    event = companion.wait_event(url.replace("apikey-77aa19e3c5", "REDACTED"))
    argv = ["--data-dir", str(companion.data_dir), "--api-port", str(companion.api_port)]
    code, out, _ = run(capsys, "events", "show", event["id"], *argv)
    assert code == 0
    assert "Request headers (redacted)" in out and "  Authorization: " in out and "  Cookie: " in out
    assert f"  Cause:        {event['diagnosis']['title']} [{event['diagnosis']['cause']}]" in out
    assert run(capsys, "events", "export", "--har", str(tmp_path / "x.har"), *argv)[0] == 0
    assert run(capsys, "events", "export", "--json", str(tmp_path / "x.json"), *argv)[0] == 0
    for text in (out, (tmp_path / "x.har").read_text(), (tmp_path / "x.json").read_text()):
        assert not [secret for secret in planted if secret in text]


# --- export --------------------------------------------------------------------------------


def test_export_har_writes_a_private_file_that_parses(capsys, served, tmp_path):
    target = tmp_path / "site.har"
    code, out, _ = run(capsys, "events", "export", "--har", str(target), "--site", "example.com", *served.argv)
    assert code == 0
    assert out == f"Exported 1 event to {target} (HAR 1.2).\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    har = json.loads(target.read_text())
    assert har["log"]["version"] == "1.2"
    assert [entry["request"]["url"] for entry in har["log"]["entries"]] == ["https://api.example.com/me"]
    assert [p.name for p in tmp_path.iterdir()] == ["site.har"]  # no draft left behind


def test_export_over_a_file_others_could_read_leaves_it_private(capsys, served, tmp_path):
    target = tmp_path / "all.json"
    target.write_text("old")
    target.chmod(0o644)
    code, out, _ = run(capsys, "events", "export", "--json", str(target), *served.argv)
    assert code == 0 and out == f"Exported 3 events to {target} (JSON).\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    events = json.loads(target.read_text())["events"]
    assert [e["url"] for e in events] == ["https://evil.test/x", "https://api.example.com/me", "http://intranet.corp.test/wiki"]
    assert all(e["exchange"]["response"]["headers"] for e in events)  # whole events, not summaries


def test_export_json_pages_through_every_event(capsys, tmp_path):
    """More than one page of the API (500): all of them, each once."""
    running = serve(tmp_path / "data")
    try:
        batch = [exchange(f"bulk-{n}", f"2026-11-23T08:{n // 60 % 60:02d}:{n % 60:02d}+00:00", f"https://bulk.example.com/{n}")
                 for n in range(620)]  # fmt: skip
        running.api("POST", "/api/ingest", batch[:400])
        running.api("POST", "/api/ingest", batch[400:])
        code, out, _ = run(capsys, "events", "export", "--json", str(tmp_path / "all.json"), *running.argv)
    finally:
        stop(running.proc)
    assert code == 0 and out.startswith("Exported 620 events to ")
    urls = [e["url"] for e in json.loads((tmp_path / "all.json").read_text())["events"]]
    assert len(urls) == len(set(urls)) == 620


@pytest.mark.parametrize("kind", ["--har", "--json"])
def test_export_to_stdout_prints_the_file_alone(capsys, served, kind):
    code, out, err = run(capsys, "events", "export", kind, "-", "--status", "407", *served.argv)
    assert code == 0
    parsed = json.loads(out)
    found = parsed["log"]["entries"] if kind == "--har" else parsed["events"]
    assert len(found) == 1
    assert err.startswith("Exported 1 event to stdout")


def test_export_to_a_terminal_prints_nothing_a_server_sent_raw(capsys, monkeypatch, served):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    code, out, _ = run(capsys, "events", "export", "--har", "-", "--site", "evil.test", *served.argv)
    assert code == 0
    assert "\u202e" not in out and "\x1b" not in out
    (entry,) = json.loads(out)["log"]["entries"]
    assert [HOSTILE] == [h["value"] for h in entry["response"]["headers"] if h["name"] == "X-Note"]


def test_export_needs_a_file(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["events", "export"])
    assert exited.value.code == 2
    assert "one of the arguments --har --json is required" in capsys.readouterr().err


def test_export_to_a_folder_that_does_not_exist_says_so(capsys, served, tmp_path):
    code, _, err = run(capsys, "events", "export", "--har", str(tmp_path / "nope" / "x.har"), *served.argv)
    assert code == 2 and err.startswith(f"companion: cannot write {tmp_path / 'nope' / 'x.har'}: ")


# --- clear ---------------------------------------------------------------------------------


def test_clear_without_a_terminal_refuses_without_yes(fresh):
    """In a script or a pipe there is nobody to ask: nothing is deleted, and it says what to pass."""
    done = subprocess.run(
        [sys.executable, "-m", "companion.cli", "events", "clear", *fresh.argv],
        cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "companion: not deleting 3 events without asking, and there is no terminal to ask on: pass --yes\n"
    assert len(fresh.ids()) == 3


def test_clear_with_filters_deletes_exactly_what_they_match(capsys, fresh):
    code, out, _ = run(capsys, "events", "clear", "--status", "407", "--yes", *fresh.argv)
    assert (code, out) == (0, "Deleted 1 event.\n")
    urls = [e["url"] for e in fresh.api("GET", "/api/events")["events"]]  # type: ignore[index]
    assert urls == ["https://evil.test/x", "https://api.example.com/me"]


def test_clear_with_nothing_matching_asks_nothing(capsys, fresh):
    code, out, _ = run(capsys, "events", "clear", "--site", "nowhere.test", *fresh.argv)
    assert (code, out) == (0, "No events match: nothing to delete.\n")


def _clear_on_a_terminal(served: Served, answer: bytes, *extra: str) -> tuple[int, str]:
    """`companion events clear` with a terminal, as a person types: what it printed, and its code."""
    parent, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "companion.cli", "events", "clear", *extra, *served.argv],
        cwd=ROOT, stdin=child, stdout=child, stderr=child,
    )  # fmt: skip
    os.close(child)
    seen = b""
    answered = False
    while True:
        ready, _, _ = select.select([parent], [], [], 30)
        if not ready:
            proc.kill()
            break
        try:
            chunk = os.read(parent, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
        if not answered and b"[y/N]" in seen:
            os.write(parent, answer)
            answered = True
    os.close(parent)
    return proc.wait(30), seen.decode().replace("\r\n", "\n")


@pytest.mark.parametrize(("answer", "code", "left"), [(b"n\n", 1, 3), (b"\n", 1, 3), (b"y\n", 0, 0)])
def test_clear_asks_once_on_a_terminal(fresh, answer, code, left):
    exited, printed = _clear_on_a_terminal(fresh, answer)
    assert exited == code, printed
    assert printed.startswith("Delete 3 events? [y/N] ")
    assert printed.endswith("Nothing deleted.\n" if left else "Deleted 3 events.\n")
    assert len(fresh.ids()) == left


def test_clear_names_the_filters_it_asks_about(fresh):
    exited, printed = _clear_on_a_terminal(fresh, b"y\n", "--site", "example.com")
    assert exited == 0
    assert printed.startswith("Delete 1 event (site example.com)? [y/N] ")
    assert len(fresh.ids()) == 2


# --- without the right companion ------------------------------------------------------------


@pytest.mark.parametrize(
    "argv", [["events", "show", "abcdef"], ["events", "export", "--har", "x.har"], ["events", "clear", "--yes"]]
)
def test_what_needs_the_companion_says_how_to_start_it(capsys, tmp_path, argv):
    main(["token", "--data-dir", str(tmp_path)])
    capsys.readouterr()
    port = free_port()
    code, out, err = run(capsys, *argv, "--data-dir", str(tmp_path), "--api-port", str(port))
    assert (code, out) == (2, "")
    command = " ".join(argv[:2])
    assert err == (
        f"companion: `companion {command}` needs the running companion: no companion is running on port {port}: "
        "start it with `companion run` (or `companion serve`), or pass the --api-port it listens on\n"
    )
    assert not (tmp_path / "x.har").exists()


@pytest.mark.parametrize("paired", [False, True])
@pytest.mark.parametrize("argv", [["events"], ["events", "show", "abcdef"], ["events", "clear", "--yes"]])
def test_a_companion_of_another_data_dir_is_named_as_such(capsys, served, tmp_path, paired, argv):
    """Its token is refused (or there is none here): say which data dir to pass, not "401"."""
    if paired:
        main(["token", "--data-dir", str(tmp_path)])
        capsys.readouterr()
    code, _, err = run(capsys, *argv, "--data-dir", str(tmp_path), "--api-port", str(served.port))
    assert code == 2
    assert err == (
        f"companion: the companion on port {served.port} uses another data dir (not {tmp_path}); "
        "pass --data-dir with the one it was started with (or set COMPANION_DATA_DIR)\n"
    )
    assert len(served.ids()) >= 3
