"""The 401s of well-known APIs, replayed by a local server and seen through the real proxy.

`companion run` is started in upstream mode towards a small local server that plays the
APIs' part: it answers each request (plain http, or https through CONNECT and TLS) with the
401 the API's own documentation or its users recorded (tests/corpus/cases). The requests keep
the APIs' real host names, so the companion sees exactly what a person's browser or script
would: `api.openai.com`, `api.github.com` … and each 401 must show the cause the source gives.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from companion.capture.redact import redact_url
from tests.conftest import Companion, free_port, start_companion, stop
from tests.corpus.replay import Case, _body, _request_headers, _response_headers, load_cases
from tests.support.testsite import self_signed_context

# Ten APIs people meet every day, each failing a different way.
REPLAYED = (
    "openai-incorrect-api-key",
    "anthropic-api-key-sent-as-bearer",
    "stripe-expired-restricted-key",
    "github-bad-credentials-pat",
    "gitlab-pat-expired",
    "google-identity-unauthenticated-access-token-expired",
    "microsoft-graph-claims-challenge",
    "docker-registry-token-challenge-no-token",
    "twilio-wrong-auth-token",
    "shopify-invalid-access-token",
)
# Hop-by-hop and framing headers the replay sets itself.
_FRAMING = {"content-length", "transfer-encoding", "connection", "content-encoding", "keep-alive"}


class Upstream:
    """An HTTP proxy that answers every request itself, with the recorded 401 of the case
    named by the request's `corpus` query parameter."""

    def __init__(self, cases: dict[str, Case]) -> None:
        self.cases = cases
        self.port = free_port()
        self.seen: list[str] = []
        self._loop = asyncio.new_event_loop()
        self._tls = self_signed_context()
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self._thread.start()
        ready.wait(10)

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", self.port))
        ready.set()
        self._loop.run_forever()

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            method, target = await self._head(reader)
            if method == "CONNECT":
                writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                await writer.drain()
                await writer.start_tls(self._tls)
                method, target = await self._head(reader)
            writer.write(self._answer(target))
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            writer.close()

    @staticmethod
    async def _head(reader: asyncio.StreamReader) -> tuple[str, str]:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        method, target, _ = head.split("\r\n", 1)[0].split(" ", 2)
        return method, target

    def _answer(self, target: str) -> bytes:
        case_id = parse_qs(urlsplit(target).query).get("corpus", [""])[0]
        self.seen.append(case_id)
        response = self.cases[case_id].data["response"]
        body = _body(response)
        headers = [(n, v) for n, v in _response_headers(response, time.time()) if n.lower() not in _FRAMING]
        lines = [f"HTTP/1.1 {response['status']} Replayed", *(f"{n}: {v}" for n, v in headers)]
        lines += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
        return "\r\n".join(lines).encode("utf-8") + body


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Companion, dict[str, Case]]]:
    cases = {case.id: case for case in load_cases() if case.id in REPLAYED}
    assert set(cases) == set(REPLAYED)
    upstream = Upstream(cases)
    companion = start_companion(tmp_path_factory.mktemp("replayed"), "--set", f"mode=upstream:http://127.0.0.1:{upstream.port}")
    yield companion, cases
    stop(companion.proc)
    upstream.close()


@pytest.mark.parametrize("case_id", REPLAYED)
def test_a_well_known_apis_401_shows_the_cause_its_documentation_gives(replayed, case_id: str) -> None:
    companion, cases = replayed
    case = cases[case_id]
    request = case.data["request"]
    url = request["url"] + ("&" if "?" in request["url"] else "?") + f"corpus={case_id}"
    status, _ = companion.through_proxy(request["method"], url, dict(_request_headers(request, time.time())))
    assert status == case.data["response"]["status"]
    event = companion.wait_event(redact_url(url))  # as stored: an id that looks like a secret is masked
    assert event["host"] == urlsplit(request["url"]).hostname  # the API's own name, as a person sees it
    assert event["diagnosis"]["cause"] == case.expected, event["diagnosis"]
