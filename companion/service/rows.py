"""How one event is kept in the store: the columns a list needs, and the rest packed.

A list, a filter or a badge reads the columns alone (id, time, method, URL, hosts, sites,
status, cause, confidence, title, summary). The rest of the event (evidence, fixes, notes and
the redacted exchange) is kept as the JSON the API answers, deflated with zlib against a
preset dictionary of the words every event repeats (the catalogue's fixes and steps, the
exchange's field names, common headers). The dictionary is kept in the database itself, under
its own id, so a store stays readable when a later version's catalogue (and so its
dictionary) changes.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from companion.diagnosis.catalogue import CAUSES
from companion.diagnosis.models import Exchange
from companion.net.sites import site_of
from companion.service.models import Event
from companion.service.query import micros

__all__ = ["COLUMNS", "SUMMARY_COLUMNS", "Packer", "Row", "dictionary", "summary_of_row", "time_text"]

COLUMNS = (
    "id", "flow_id", "at", "method", "url", "host", "site", "initiator", "initiator_host", "initiator_site",
    "status", "cause", "confidence", "title", "summary",
)  # fmt: skip
"""The `events` table's columns after `seq`, in order."""
SUMMARY_COLUMNS = "seq, id, at, method, url, host, site, initiator, initiator_host, status, cause, confidence, title, summary"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LEVEL = 2
"""zlib's level for the packed part: with the preset dictionary, level 2 stores an event in 7 %
more bytes than level 6 (1,095 against 1,018 on disk, bench/store_scale.py) for half the
compression time, the largest single step of storing a captured 401."""
_MEM_LEVEL = 8
"""zlib's default memory level. Each event is packed by a copy of a compressor primed with the
dictionary, and a copy is the compressor's whole state: at level 9 (the most) about 400 KB,
which in a service woken by a delivery (its caches cold) cost 99 µs an event against 26 µs at
8, for four bytes more an event (bench/steps.py's event: 534 and 530 bytes)."""


class Row(NamedTuple):
    columns: tuple[Any, ...]
    packed_with: int
    rest: bytes


def time_text(at: int) -> str:
    """µs since the epoch as the API writes times: ISO 8601 in UTC, `Z`."""
    return (_EPOCH + timedelta(microseconds=at)).isoformat().replace("+00:00", "Z")


def dictionary() -> bytes:
    """The preset dictionary of this version: what stored events most often repeat, the most
    frequent last (deflate reaches back 32 KB, and nearer is cheaper)."""
    parts: list[str] = []
    for cause in CAUSES.values():
        parts += cause.developer_notes
        parts += [json.dumps(fix.as_json(), ensure_ascii=False, separators=(",", ":")) for fix in cause.fixes]
    parts += [
        '"source":"request.authorization","fact":"', '"source":"response.www-authenticate","fact":"',
        '"source":"response.body","fact":"', '"source":"request.cookie","fact":"', '"source":"context","fact":"',
        '"set_cookies":[{"name":"', '"samesite":"Lax"', '"secure":true,"httponly":true', '"domain":"', '"path":"/"',
        '"cookies_set_earlier":[', '"context":{', '"recent_401s_same_request":', '"recent_401s_same_credential":',
        '"user_agent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/',
        '"sec_fetch_site":"same-origin","sec_fetch_mode":"cors","sec_fetch_dest":"empty"', '"origin":"https://',
        '"referer":"https://', '["Accept","*/*"]', '["Accept-Encoding","gzip, deflate, br"]', '["Accept-Language","en-US,en;q=0.9"]',
        '["User-Agent","', '["Connection","keep-alive"]', '["Content-Type","application/json"]', '["content-length","',
        '["Date","', '["Server","', '["Cache-Control","no-store"]', '["Vary","', '["Set-Cookie","[redacted: ',
        '["Cookie","[redacted: ', '["Authorization","[redacted: ', ' chars]"]', '"www_authenticate":["Bearer realm=\\"',
        'error=\\"invalid_token\\", error_description=\\"', '"body_error":{"code":"invalid_token","message":"',
        '"field":"json:error_description"', '"received":"', '"content_type":"application/json","body_length":',
        '"response":{"headers":[["WWW-Authenticate","', '"cookie_header_count":1,"cookie_header_length":',
        '"cookies":[{"name":"', '"length":', '"fingerprint":"', '"jwt":{"header":{"alg":"RS256","typ":"JWT","kid":"',
        '"claims":{"iss":"https://', '"sub":"', '"aud":"', '"exp":', '"iat":', '"nbf":', '"scope":"',
        '"credentials":[{"source":"request.authorization","scheme":"Bearer","length":',
        '"request":{"headers":[["Host","', '"scheme":"https","host":"', '"port":443,"path":"/', '"reason":"Unauthorized"',
        '"evidence":[{', '"also":["', '"fixes":[', '"developer_notes":["',
    ]  # fmt: skip
    parts.append(_skeleton())
    return "\n".join(parts).encode()[-32768:]


def _skeleton() -> str:
    """An exchange with every field at its default, as the API writes it: the field names and
    the nulls each stored exchange repeats."""
    epoch = _EPOCH.isoformat().replace("+00:00", "Z")
    blank = {
        "flow_id": "", "time": epoch, "method": "GET", "url": "https://", "scheme": "https", "host": "", "port": 443,
        "path": "/", "status": 401, "reason": "Unauthorized",
        "request": {"credentials": [{"source": "request.authorization", "scheme": "Bearer"}], "cookies": [{"name": ""}]},
        "response": {"received": epoch, "set_cookies": [{"name": ""}], "body_error": {}},
    }  # fmt: skip
    return Exchange.model_validate(blank).model_dump_json()


class Packer:
    """Packs events into rows with one dictionary and unpacks rows with any the store holds."""

    def __init__(self, dictionaries: dict[int, bytes], current: int | None = None):
        """`dictionaries` by id, as the store keeps them; `current`: the one new rows are
        packed with (None: a reader only)."""
        self.current = current
        self._dictionaries = dict(dictionaries)
        self._compressor = (
            zlib.compressobj(_LEVEL, zlib.DEFLATED, 15, _MEM_LEVEL, zlib.Z_DEFAULT_STRATEGY, dictionaries[current]) if current is not None else None
        )
        self._decompressors: dict[int, Any] = {}

    @staticmethod
    def digest(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()

    def pack(self, event: Event) -> Row:
        if self._compressor is None or self.current is None:
            raise RuntimeError("a reader's packer cannot pack")
        host_site = site_of(event.host)
        d = event.diagnosis
        columns = (
            event.id, event.exchange.flow_id if event.exchange else None, micros(event.time), event.method, event.url,
            event.host, host_site, event.initiator, event.initiator_host,
            site_of(event.initiator_host) if event.initiator_host else None, event.status,
            d.cause, d.confidence, d.title, d.summary,
        )  # fmt: skip
        # Three lines of JSON (JSON text holds no raw newline): the diagnosis's other members,
        # the exchange as the API answers it, and what the event says unlike its columns.
        diagnosis = d.model_dump_json(exclude={"cause", "confidence", "title", "summary"})[1:-1]
        exchange = event.exchange.model_dump_json() if event.exchange is not None else "null"
        unlike = json.dumps({"site": event.site}) if event.site != host_site else "{}"  # an event made by hand
        compressor = self._compressor.copy()
        text = f"{diagnosis}\n{exchange}\n{unlike}".encode()
        return Row(columns, self.current, compressor.compress(text) + compressor.flush())

    def unpack(self, packed_with: int, rest: bytes) -> tuple[str, str, str]:
        """The packed part of a row: the diagnosis's other members, the exchange and what the
        event says unlike its columns, as JSON text; ValueError when it cannot be read back."""
        data = self._dictionaries.get(packed_with)
        if data is None:
            raise ValueError(f"no dictionary {packed_with} in the store")
        template = self._decompressors.get(packed_with)
        if template is None:
            template = self._decompressors[packed_with] = zlib.decompressobj(zdict=data)
        decompressor = template.copy()
        try:
            text = (decompressor.decompress(rest) + decompressor.flush()).decode()
        except (zlib.error, UnicodeDecodeError, TypeError) as exc:
            raise ValueError(str(exc)) from exc
        if not decompressor.eof:
            raise ValueError("the packed part is cut short")
        parts = text.split("\n")
        if len(parts) != 3:
            raise ValueError("the packed part is not three lines")
        return parts[0], parts[1], parts[2]

    def event_json(self, row: tuple[Any, ...]) -> str:
        """The event as the API answers it, as JSON text, from `(SUMMARY_COLUMNS..., packed_with,
        rest)`, put together without parsing the packed part (its checksum guards it); a
        ValueError when it cannot be read back."""
        if row[-1] is None:
            raise ValueError("no packed part")
        diagnosis, exchange, unlike = self.unpack(row[-2], row[-1])
        summary = summary_of_row(row)
        said = summary.pop("diagnosis")
        if unlike != "{}":
            summary.update(json.loads(unlike))
        head = json.dumps(summary, ensure_ascii=False, separators=(",", ":"))
        inner = json.dumps(said, ensure_ascii=False, separators=(",", ":"))
        inner = inner[:-1] + ("," + diagnosis if diagnosis else "") + "}"
        return f'{head[:-1]},"diagnosis":{inner},"exchange":{exchange}}}'

    def event(self, row: tuple[Any, ...]) -> Event:
        """An `Event`, validated; ValueError when the row cannot be read back."""
        return Event.model_validate_json(self.event_json(row))


def summary_of_row(row: tuple[Any, ...]) -> dict[str, Any]:
    """What a list or a badge needs, from the columns alone (`SUMMARY_COLUMNS` first)."""
    _, event_id, at, method, url, host, site, initiator, initiator_host, status, cause, confidence, title, summary = row[:14]
    return {
        "id": event_id, "time": time_text(at), "method": method, "url": url, "host": host, "site": site,
        "status": status, "initiator": initiator, "initiator_host": initiator_host,
        "diagnosis": {"cause": cause, "confidence": confidence, "title": title, "summary": summary},
    }  # fmt: skip
