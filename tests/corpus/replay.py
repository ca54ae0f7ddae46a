"""Replay a corpus case the way the product sees it: a real mitmproxy flow through the addon,
then the service's validation and diagnosis.

    from tests.corpus.replay import load_cases, replay
    for case in load_cases():
        diagnosis = replay(case)

One case becomes a `mitmproxy.test.tflow` flow (request method, URL and headers as written;
the response's status, headers and body as raw bytes, nothing re-encoded). The case's `before`
exchanges go first through the same `companion.capture.Companion` instance (`response()` for
the ordinary ones, so the memory learns their cookies and the scheme that worked; `capture()`
for earlier 401/407s, so it counts repeats), then the case itself through `capture()`; the
exchange dict it returns is validated with `Exchange.model_validate` and diagnosed, as
`POST /api/ingest` does.

Time: every flow gets the replay's clock (the `before` ones a second apart, just before the
case). `response.date_offset_s` sets the server's `Date` that many seconds from that clock;
without it, a `Date` the case carries is left as it is. `request.jwt_claims` becomes a
well-formed but unsigned-looking JWT (RS256 header, a fake signature) whose
`exp_offset_s`/`nbf_offset_s`/`iat_offset_s` are turned into absolute times, sent as
`Authorization: Bearer …` (replacing a placeholder Authorization the case carries) or in the
header `request.jwt_header` names.

The shape of a case is checked here too (`case_problems`, `corpus_problems`): every problem is
named with the file and the case id, so a broken case says what is wrong with it.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import json
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mitmproxy import http
from mitmproxy.net.http import status_codes
from mitmproxy.test import tflow, tutils

from companion.capture import CAPTURED, Companion
from companion.diagnosis import diagnose
from companion.diagnosis.catalogue import CAUSES
from companion.diagnosis.models import Diagnosis, Exchange

__all__ = [
    "CASES_DIR",
    "Case",
    "CaseError",
    "CorpusError",
    "build_flow",
    "case_problems",
    "corpus_problems",
    "exchange_of",
    "load_cases",
    "make_jwt",
    "read_case_file",
    "replay",
    "validate_case",
]

CASES_DIR = Path(__file__).resolve().parent / "cases"

_CASE_KEYS = {"id", "api", "source", "note", "request", "response", "expect"}
_CASE_OPTIONAL = {"before"}
_REQUEST_KEYS = {"method", "url", "headers"}
_REQUEST_OPTIONAL = {"jwt_claims", "jwt_header"}
_RESPONSE_KEYS = {"status", "headers"}
_RESPONSE_OPTIONAL = {"body", "body_base64", "date_offset_s"}
_EXPECT_KEYS = {"cause", "also"}
_OFFSET_CLAIMS = {"exp_offset_s": "exp", "nbf_offset_s": "nbf", "iat_offset_s": "iat"}
_BEFORE_SPACING_S = 1.0


class CorpusError(ValueError):
    """A case file that cannot be read as a JSON array of case objects."""


class CaseError(ValueError):
    """A case whose shape is broken; the message names the file, the case and every problem."""


@dataclass(frozen=True, slots=True)
class Case:
    """One case as written, with the file it came from and its place in that file."""

    file: str
    index: int
    data: Mapping[str, Any]

    @property
    def id(self) -> str:
        value = self.data.get("id")
        return value if isinstance(value, str) and value else f"{self.file}[{self.index}]"

    @property
    def where(self) -> str:
        return f"{self.file}[{self.index}] ({self.id})"

    @property
    def expected(self) -> str | None:
        expect = self.data.get("expect")
        return expect.get("cause") if isinstance(expect, dict) else None


# ---------------------------------------------------------------------------------------------
# Loading and the shape of a case


def load_cases(directory: Path = CASES_DIR) -> list[Case]:
    """Every case of every `*.json` file in `directory`, in file-name order then file order.
    A file that is not JSON, or not an array of objects, raises `CorpusError`."""
    cases: list[Case] = []
    files = sorted(directory.glob("*.json"))
    if not files:
        raise CorpusError(f"no case files (*.json) in {directory}")
    for path in files:
        cases += read_case_file(path)
    return cases


def read_case_file(path: Path) -> list[Case]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path.name}: not UTF-8 text ({exc})") from exc
    except json.JSONDecodeError as exc:
        raise CorpusError(f"{path.name}: not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from exc
    if not isinstance(data, list):
        raise CorpusError(f"{path.name}: must hold a JSON array of cases, holds a {type(data).__name__}")
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise CorpusError(f"{path.name}[{index}]: a case must be a JSON object, this is a {type(item).__name__}")
    return [Case(path.name, index, item) for index, item in enumerate(data)]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _keys_problems(obj: Any, where: str, required: set[str], optional: set[str]) -> list[str]:
    if not isinstance(obj, dict):
        return [f"{where}: must be an object, is {type(obj).__name__}"]
    problems = [f"{where}: missing {key!r}" for key in sorted(required - obj.keys())]
    problems += [f"{where}: unknown key {key!r} (a typo?)" for key in sorted(obj.keys() - required - optional)]
    return problems


def _headers_problems(headers: Any, where: str) -> list[str]:
    if not isinstance(headers, list):
        return [f"{where}: must be a list of [name, value] pairs, is {type(headers).__name__}"]
    problems = []
    for n, pair in enumerate(headers):
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair)):
            problems.append(f"{where}[{n}]: must be a [name, value] pair of strings, is {pair!r}")
        elif not pair[0] or any(c in pair[0] for c in " \t\r\n:"):
            problems.append(f"{where}[{n}]: {pair[0]!r} is not a header name")
    return problems


def _request_problems(request: Any, where: str) -> list[str]:
    problems = _keys_problems(request, where, _REQUEST_KEYS, _REQUEST_OPTIONAL)
    if not isinstance(request, dict):
        return problems
    method = request.get("method")
    if "method" in request and not (isinstance(method, str) and method.isalpha() and method.isupper()):
        problems.append(f"{where}.method: must be an upper-case HTTP method, is {method!r}")
    url = request.get("url")
    if "url" in request:
        try:
            parts = urlsplit(url) if isinstance(url, str) else None
        except ValueError:
            parts = None
        if parts is None or parts.scheme not in {"http", "https"} or not parts.hostname:
            problems.append(f"{where}.url: must be an absolute http(s) URL, is {url!r}")
        else:
            try:
                parts.port  # noqa: B018 - raises on a bad port
            except ValueError as exc:
                problems.append(f"{where}.url: {exc}")
    if "headers" in request:
        problems += _headers_problems(request["headers"], f"{where}.headers")
    if "jwt_claims" in request:
        claims = request["jwt_claims"]
        if not isinstance(claims, dict):
            problems.append(f"{where}.jwt_claims: must be an object, is {type(claims).__name__}")
        else:
            for key in _OFFSET_CLAIMS:
                if key in claims and not _is_number(claims[key]):
                    problems.append(f"{where}.jwt_claims.{key}: must be a number of seconds, is {claims[key]!r}")
            for key, claim in _OFFSET_CLAIMS.items():
                if key in claims and claim in claims:
                    problems.append(f"{where}.jwt_claims: both {claim!r} and {key!r}; a case gives offsets only")
    if "jwt_header" in request:
        if "jwt_claims" not in request:
            problems.append(f"{where}.jwt_header: given without jwt_claims")
        name = request["jwt_header"]
        if not isinstance(name, str) or not name or any(c in name for c in " \t\r\n:"):
            problems.append(f"{where}.jwt_header: must be a header name, is {name!r}")
    return problems


def _response_problems(response: Any, where: str) -> list[str]:
    problems = _keys_problems(response, where, _RESPONSE_KEYS, _RESPONSE_OPTIONAL)
    if not isinstance(response, dict):
        return problems
    status = response.get("status")
    if "status" in response and not (isinstance(status, int) and not isinstance(status, bool) and 100 <= status <= 599):
        problems.append(f"{where}.status: must be an HTTP status (100-599), is {status!r}")
    if "headers" in response:
        problems += _headers_problems(response["headers"], f"{where}.headers")
    if "body" in response and "body_base64" in response:
        problems.append(f"{where}: both 'body' and 'body_base64'; give one")
    elif "body" not in response and "body_base64" not in response:
        problems.append(f"{where}: missing 'body' (or 'body_base64'); an empty body is \"\"")
    if "body" in response and not isinstance(response["body"], str):
        problems.append(f"{where}.body: must be text (JSON as a string), is {type(response['body']).__name__}")
    if "body_base64" in response:
        raw = response["body_base64"]
        try:
            if not isinstance(raw, str):
                raise TypeError
            base64.b64decode(raw, validate=True)
        except (TypeError, binascii.Error):
            problems.append(f"{where}.body_base64: not base64 text")
    if "date_offset_s" in response and not _is_number(response["date_offset_s"]):
        problems.append(f"{where}.date_offset_s: must be a number of seconds, is {response['date_offset_s']!r}")
    return problems


def _exchange_problems(entry: Any, where: str) -> list[str]:
    """What stops the replay of one request/response pair (the case's or a `before` one)."""
    problems = []
    if isinstance(entry, dict):
        if "request" in entry:
            problems += _request_problems(entry["request"], f"{where}request")
        if "response" in entry:
            problems += _response_problems(entry["response"], f"{where}response")
    return problems


def _replay_problems(data: Mapping[str, Any]) -> list[str]:
    problems = _exchange_problems(data, "")
    response = data.get("response")
    if isinstance(response, dict) and isinstance(response.get("status"), int) and response["status"] not in CAPTURED:
        problems.append(f"response.status: the corpus holds 401s and 407s, this is {response['status']}")
    before = data.get("before", [])
    if not isinstance(before, list):
        problems.append(f"before: must be a list of earlier exchanges, is {type(before).__name__}")
    else:
        for n, entry in enumerate(before):
            problems += _keys_problems(entry, f"before[{n}]", {"request", "response"}, set())
            problems += _exchange_problems(entry, f"before[{n}].")
    return problems


def case_problems(case: Case | Mapping[str, Any]) -> list[str]:
    """Every problem with the shape of one case: required keys, types, known cause ids."""
    data = case.data if isinstance(case, Case) else case
    if not isinstance(data, dict):
        return [f"a case must be an object, is {type(data).__name__}"]
    problems = _keys_problems(data, "case", _CASE_KEYS, _CASE_OPTIONAL)
    for key in ("id", "api", "source", "note"):
        if key in data and not (isinstance(data[key], str) and data[key].strip()):
            problems.append(f"{key}: must be a non-empty string, is {data[key]!r}")
    case_id = data.get("id")
    if isinstance(case_id, str) and case_id and (case_id != case_id.strip() or any(c.isspace() for c in case_id)):
        problems.append(f"id: {case_id!r} must not contain whitespace (it names a test)")
    problems += _replay_problems(data)
    expect = data.get("expect")
    problems += _keys_problems(expect, "expect", _EXPECT_KEYS, set()) if "expect" in data else []
    if isinstance(expect, dict):
        cause = expect.get("cause")
        if "cause" in expect and cause not in CAUSES:
            problems.append(f"expect.cause: {cause!r} is not a cause id of companion.diagnosis.catalogue.CAUSES")
        also = expect.get("also")
        if "also" in expect:
            if not (isinstance(also, list) and all(isinstance(x, str) for x in also)):
                problems.append(f"expect.also: must be a list of cause ids, is {also!r}")
            else:
                problems += [
                    f"expect.also: {x!r} is not a cause id of companion.diagnosis.catalogue.CAUSES"
                    for x in dict.fromkeys(also)
                    if x not in CAUSES
                ]
                problems += [f"expect.also: {x!r} is listed twice" for x, n in Counter(also).items() if n > 1]
                if cause in also:
                    problems.append(f"expect.also: repeats the expected cause {cause!r}")
    return problems


def corpus_problems(cases: Iterable[Case]) -> dict[str, list[str]]:
    """Every shape problem of the corpus, by `file[index] (id)`: each case's own, and ids
    used more than once."""
    cases = list(cases)
    found: dict[str, list[str]] = {}
    for case in cases:
        problems = case_problems(case)
        if problems:
            found[case.where] = problems
    places: dict[str, list[str]] = {}
    for case in cases:
        if isinstance(case.data.get("id"), str):
            places.setdefault(case.data["id"], []).append(f"{case.file}[{case.index}]")
    for case in cases:
        here = f"{case.file}[{case.index}]"
        others = [p for p in places.get(case.id, []) if p != here] if isinstance(case.data.get("id"), str) else []
        if others:
            found.setdefault(case.where, []).append(f"id: also used by {', '.join(others)}")
    return found


def validate_case(case: Case | Mapping[str, Any]) -> None:
    """Raise `CaseError` naming every shape problem of `case`, if it has any."""
    problems = case_problems(case)
    if problems:
        raise CaseError(_problem_message(case, problems))


def _problem_message(case: Case | Mapping[str, Any], problems: list[str]) -> str:
    where = case.where if isinstance(case, Case) else repr(case.get("id", "<case without an id>"))
    return f"case {where} is broken:\n  - " + "\n  - ".join(problems)


# ---------------------------------------------------------------------------------------------
# A case as a flow


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def make_jwt(claims: Mapping[str, Any], now: float) -> str:
    """A well-formed JWT: RS256 header, the claims with `*_offset_s` made absolute (seconds
    from `now`), and a fake 256-byte signature. Nothing verifies it; the companion only reads."""
    payload: dict[str, Any] = {}
    for key, value in claims.items():
        payload[_OFFSET_CLAIMS[key] if key in _OFFSET_CLAIMS else key] = int(now + value) if key in _OFFSET_CLAIMS else value
    header = {"alg": "RS256", "typ": "JWT"}
    signature = bytes((i * 37 + 11) % 256 for i in range(256))
    return ".".join(
        (
            _b64url(json.dumps(header, separators=(",", ":")).encode()),
            _b64url(json.dumps(payload, separators=(",", ":")).encode()),
            _b64url(signature),
        )
    )


def _request_headers(request: Mapping[str, Any], now: float) -> list[tuple[str, str]]:
    headers = [(name, value) for name, value in request["headers"]]
    if "jwt_claims" not in request:
        return headers
    token = make_jwt(request["jwt_claims"], now)
    name = request.get("jwt_header", "Authorization")
    value = f"Bearer {token}" if name.lower() in {"authorization", "proxy-authorization"} else token
    # A header of that name the case carries is a placeholder for this token: it takes its place.
    at = next((i for i, (n, _) in enumerate(headers) if n.lower() == name.lower()), None)
    headers = [(n, v) for n, v in headers if n.lower() != name.lower()]
    headers.insert(len(headers) if at is None else at, (name, value))
    return headers


def _response_headers(response: Mapping[str, Any], now: float) -> list[tuple[str, str]]:
    headers = [(name, value) for name, value in response["headers"]]
    if "date_offset_s" not in response:
        return headers
    date = email.utils.formatdate(now + response["date_offset_s"], usegmt=True)
    at = next((i for i, (n, _) in enumerate(headers) if n.lower() == "date"), 0)
    headers = [(n, v) for n, v in headers if n.lower() != "date"]
    headers.insert(at, ("Date", date))
    return headers


def _encoded(headers: list[tuple[str, str]]) -> http.Headers:
    return http.Headers([(n.encode("utf-8", "surrogateescape"), v.encode("utf-8", "surrogateescape")) for n, v in headers])


def _body(response: Mapping[str, Any]) -> bytes:
    if "body_base64" in response:
        return base64.b64decode(response["body_base64"], validate=True)
    return response["body"].encode("utf-8")


def build_flow(entry: Mapping[str, Any], now: float) -> http.HTTPFlow:
    """The mitmproxy flow of one request/response pair of a case, at `now` (epoch seconds)."""
    request, response = entry["request"], entry["response"]
    parts = urlsplit(request["url"])
    host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
    timing = {"timestamp_start": now, "timestamp_end": now}
    if request["method"] == "CONNECT":
        # mitmproxy's form of a CONNECT: authority-form, no scheme and no path.
        req = tutils.treq(method=b"CONNECT", scheme=b"", host=host, port=port, authority=f"{host}:{port}".encode(), path=b"",
                          headers=_encoded(_request_headers(request, now)), content=b"", **timing)  # fmt: skip
    else:
        req = tutils.treq(method=request["method"].encode(), headers=_encoded(_request_headers(request, now)), content=b"", **timing)
        req.url = request["url"]
    status = response["status"]
    resp = tutils.tresp(
        status_code=status,
        reason=status_codes.RESPONSES.get(status, "").encode(),
        headers=_encoded(_response_headers(response, now)),
        content=_body(response),  # raw: as the server sent it, not re-encoded
        timestamp_start=now,
        timestamp_end=now,
    )
    return tflow.tflow(req=req, resp=resp)


def exchange_of(case: Case | Mapping[str, Any], now: float | None = None) -> dict[str, Any]:
    """The exchange dict the addon captures for `case`, after its `before` exchanges went
    through the same addon instance."""
    data = case.data if isinstance(case, Case) else case
    if isinstance(data, dict):
        problems = _keys_problems(data, "case", {"request", "response"}, set(data) - {"request", "response"})
        problems += _replay_problems(data)
    else:
        problems = [f"a case must be an object, is {type(data).__name__}"]
    if problems:
        raise CaseError(_problem_message(case, problems))
    now = time.time() if now is None else now
    addon = Companion()
    before = data.get("before", [])
    for n, entry in enumerate(before):
        flow = build_flow(entry, now - _BEFORE_SPACING_S * (len(before) - n))
        assert flow.response is not None
        if flow.response.status_code in CAPTURED:
            addon.capture(flow)
        else:
            addon.response(flow)
    return addon.capture(build_flow(data, now))


def replay(case: Case | Mapping[str, Any], now: float | None = None) -> Diagnosis:
    """The diagnosis the product makes of `case`: capture, validate as the service does, diagnose."""
    return diagnose(Exchange.model_validate(exchange_of(case, now)))
