"""The sender hands captured 401s to the service, a real local HTTP server here, and no flow
ever waits on it: what waits is bounded, what is dropped is counted, and nothing is lost or
sent twice because the service was down, slow, restarted or holding another token."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from companion.capture.sender import Sender
from companion.config import read_token
from companion.wire import MAX_EXCHANGE_BYTES
from tests.conftest import free_port

TOKEN = "test-api-token"
_TRICKLE_CAP = 200  # a held answer dribbles one byte per 50 ms, for 10 s at most


def item(n: int) -> dict[str, Any]:
    return {"flow_id": f"flow-{n}", "url": f"http://app.example.com/{n}"}


class Ingest(ThreadingHTTPServer):
    """A stand-in for the service's ingest route: keep-alive like aiohttp, answers with a few
    KB like the real one, 401 for any other token, and `status` for the right one."""

    daemon_threads = True

    def __init__(self, port: int = 0) -> None:
        self.status = 201
        self.received: list[dict] = []
        self.requests: list[dict[str, str]] = []
        self.connections = 0
        self.upgrades = 0
        self.statuses: list[int] = []
        """Statuses for the next posts, in turn, before `status` again."""
        """Asks for the delivery socket, which this stand-in (a service of before it) refuses."""
        self.sizes: list[int] = []
        """Each delivery's body size, and how many exchanges it carried (below)."""
        self.counts: list[int] = []
        self.arrays: list[bool] = []
        self.hold: threading.Event | None = None
        """When set to an Event, answers dribble out until it is set."""
        self.answering = threading.Event()
        self.answered = threading.Event()
        self._sockets: list[socket.socket] = []
        super().__init__(("127.0.0.1", port), _Handler)
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def posts(self) -> int:
        return len(self.requests)

    def close(self) -> None:
        """Go away like a stopped service: no listener, and kept-alive connections cut."""
        self.shutdown()
        self.server_close()
        for sock in self._sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go in two writes; the real service's don't wait either
    server: Ingest

    def setup(self) -> None:
        super().setup()
        self.server.connections += 1
        self.server._sockets.append(self.connection)

    def do_POST(self) -> None:
        server = self.server
        body = self.rfile.read(int(self.headers["Content-Length"]))
        auth = self.headers.get("Authorization", "")
        server.requests.append(
            {"path": self.path, "host": self.headers.get("Host", ""), "auth": auth, "type": self.headers.get("Content-Type", "")}
        )
        status = (server.statuses.pop(0) if server.statuses else server.status) if auth == f"Bearer {TOKEN}" else 401
        payload = json.loads(body)
        server.sizes.append(len(body))
        server.arrays.append(isinstance(payload, list))
        server.counts.append(len(payload) if isinstance(payload, list) else 1)
        if status in (200, 201):
            server.received.extend(payload if isinstance(payload, list) else [payload])
        if isinstance(payload, list):  # a batch: the real service's answer for one
            answer = json.dumps({"stored": len(payload), "duplicates": 0, "refused": [], "padding": "x" * 2048}).encode()
        else:
            answer = json.dumps({"id": "e", "exchange": payload, "padding": "x" * 2048}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        sent = 0
        if server.hold is not None:
            server.answering.set()
            while sent < _TRICKLE_CAP and not server.hold.wait(0.05):
                self.wfile.write(answer[sent : sent + 1])
                self.wfile.flush()
                sent += 1
        self.wfile.write(answer[sent:])
        self.wfile.flush()
        if server.hold is not None:
            server.answered.set()

    def do_GET(self) -> None:
        # What a service from before the delivery socket answers to its upgrade: POST only.
        self.server.upgrades += 1
        answer = b'{"error": {"code": "method_not_allowed", "message": "POST"}}'
        self.send_response(405)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def ingest() -> Iterator[Ingest]:
    server = Ingest()
    yield server
    server.close()


@pytest.fixture
def make_sender(tmp_path: Path) -> Iterator[Callable[..., Sender]]:
    """Senders reading their token from a data dir, as the addon's do; stopped at the end."""
    (tmp_path / "token").write_text(TOKEN + "\n")
    made: list[Sender] = []

    def make(url: str, capacity: int = 1000, data_dir: Path = tmp_path, linger_s: float = 0.04) -> Sender:
        sender = Sender(url, lambda: read_token(data_dir), capacity, linger_s)
        made.append(sender)
        return sender

    yield make
    for sender in made:
        sender.stop(drain_s=0)


def dead_url() -> str:
    """An API URL nothing listens on (the service is not running)."""
    return f"http://127.0.0.1:{free_port()}"


def test_delivers_each_exchange_once_in_order(ingest, make_sender):
    sender = make_sender(ingest.url)
    sender.start()
    for n in range(5):
        sender.submit(item(n))
    assert sender.flush()
    assert ingest.received == [item(n) for n in range(5)]
    assert (sender.stats.sent, sender.stats.waiting, sender.stats.rejected, sender.stats.dropped_overflow) == (5, 0, 0, 0)
    assert {r["auth"] for r in ingest.requests} == {f"Bearer {TOKEN}"}


@pytest.mark.parametrize(
    ("suffix", "path"),
    [("", "/api/ingest"), ("/", "/api/ingest"), ("/companion", "/companion/api/ingest"), ("/companion/", "/companion/api/ingest")],
)
def test_posts_json_to_the_ingest_route_with_an_exact_host(ingest, make_sender, suffix, path):
    """The service refuses any other Host (DNS rebinding): the sender names host and port exactly."""
    sender = make_sender(ingest.url + suffix)
    sender.start()
    sender.submit(item(1))
    assert sender.flush()
    assert ingest.requests == [{"path": path, "host": f"127.0.0.1:{ingest.port}", "auth": f"Bearer {TOKEN}", "type": "application/json"}]


@pytest.mark.parametrize("url", ["https://127.0.0.1:8401", "127.0.0.1:8401", "ftp://127.0.0.1:21", "http://", ""])
def test_an_api_url_that_is_not_plain_http_is_refused(url):
    """`companion_api` set wrong is an option error at start, not captures silently lost later."""
    with pytest.raises(ValueError, match="http://host:port"):
        Sender(url, lambda: TOKEN)


def test_one_kept_alive_connection_carries_every_post(ingest, make_sender):
    """No connection per capture: the service sees one connection, and every exchange once."""
    sender = make_sender(ingest.url)
    for n in range(10):
        sender.submit(item(n))
    sender.start()
    assert sender.flush()
    assert ingest.connections == 1 and 1 <= ingest.posts <= 10
    assert ingest.received == [item(n) for n in range(10)]


def test_a_restarted_service_gets_the_next_exchange_once(make_sender):
    """The kept-alive connection dies with the service; the next capture goes to the new one, once."""
    first = Ingest()
    sender = make_sender(first.url)
    sender.start()
    sender.submit(item(1))
    assert sender.flush()
    first.close()
    second = Ingest(first.port)
    try:
        sender.submit(item(2))
        assert sender.flush(timeout=20)
    finally:
        second.close()
    assert first.received == [item(1)]
    assert second.received == [item(2)]
    assert second.posts == 1


def test_waits_while_the_service_is_down_then_delivers_when_it_comes_up(make_sender, caplog):
    """Captures made before `companion serve` starts arrive, in order, once; the log says so once."""
    caplog.set_level(logging.INFO, logger="companion.capture.sender")
    url = dead_url()
    sender = make_sender(url)
    sender.start()
    for n in range(3):
        sender.submit(item(n))
    assert not sender.flush(timeout=0.5)
    assert (sender.stats.sent, sender.stats.waiting, sender.stats.rejected) == (0, 3, 0)
    ingest = Ingest(int(url.rpartition(":")[2]))
    try:
        assert sender.flush(timeout=20)
    finally:
        ingest.close()
    assert ingest.received == [item(n) for n in range(3)]
    assert ingest.posts == 1  # what waited goes in one delivery
    messages = [r.getMessage() for r in caplog.records]
    assert len([m for m in messages if "cannot reach the companion service" in m]) == 1
    assert len([m for m in messages if "reachable again" in m]) == 1


@pytest.mark.parametrize("started", [False, True])
def test_overflow_drops_the_oldest_and_counts_each(make_sender, started):
    """Past its size the buffer loses its oldest captures, and says exactly how many."""
    url = dead_url()
    sender = make_sender(url, capacity=3)
    if started:
        sender.start()  # retrying against a service that is down while captures pile up
    for n in range(10):
        sender.submit(item(n))
    assert (sender.stats.dropped_overflow, sender.stats.waiting) == (7, 3)
    ingest = Ingest(int(url.rpartition(":")[2]))
    try:
        sender.start()
        assert sender.flush(timeout=20)
    finally:
        ingest.close()
    assert ingest.received == [item(7), item(8), item(9)]
    assert (sender.stats.sent, sender.stats.dropped_overflow) == (3, 7)


def test_an_exchange_dropped_while_in_flight_is_counted_once(ingest, make_sender):
    """Every capture ends up counted once: sent, dropped or rejected; the addon's 'N were
    dropped' warning at shutdown must not name captures that were delivered."""
    ingest.hold = threading.Event()
    sender = make_sender(ingest.url, capacity=1)
    sender.start()
    sender.submit(item(1))
    assert ingest.answering.wait(10)
    sender.submit(item(2))  # the buffer is full with item 1, which is being posted
    ingest.hold.set()
    assert sender.flush(timeout=20)
    stats = sender.stats
    assert stats.sent + stats.dropped_overflow + stats.rejected == 2, (stats, ingest.received)


@pytest.mark.parametrize("status", [400, 404, 413, 422])
def test_an_exchange_the_service_refuses_is_counted_rejected_and_not_retried(ingest, make_sender, caplog, status):
    """A refused exchange would be refused forever: it is dropped (and logged), and the next one goes through."""
    ingest.status = status
    sender = make_sender(ingest.url)
    sender.start()
    sender.submit(item(1))
    assert sender.flush()
    assert (sender.stats.rejected, sender.stats.sent, ingest.posts) == (1, 0, 1)
    ingest.status = 201
    sender.submit(item(2))
    assert sender.flush()
    assert ingest.received == [item(2)]
    assert ingest.posts == 2
    assert any("rejected" in r.getMessage() and str(status) in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("stale", [None, "token-of-another-data-dir"])
def test_a_refused_or_missing_token_waits_for_the_token_file(ingest, make_sender, tmp_path, stale):
    """A proxy started before the service, or after a new token: captures wait, with few tries
    and never without a token, and go once the token file has the service's token."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    if stale:
        (data_dir / "token").write_text(stale + "\n")
    sender = make_sender(ingest.url, data_dir=data_dir)
    sender.start()
    sender.submit(item(1))
    assert not sender.flush(timeout=0.5)
    assert (sender.stats.rejected, sender.stats.waiting, ingest.received) == (0, 1, [])
    if stale:
        assert 1 <= ingest.posts <= 10  # retried with backoff, not in a tight loop
        assert {r["auth"] for r in ingest.requests} == {f"Bearer {stale}"}
    else:
        assert ingest.posts == 0
    (data_dir / "token").write_text(TOKEN + "\n")
    assert sender.flush(timeout=20)
    assert ingest.received == [item(1)]
    assert ingest.requests[-1]["auth"] == f"Bearer {TOKEN}"
    assert sender.stats.sent == 1


def test_stop_delivers_what_waits(ingest, make_sender):
    """mitmproxy shutting down with captures waiting and the service up: they are delivered."""
    sender = make_sender(ingest.url)
    for n in range(20):
        sender.submit(item(n))
    sender.start()
    sender.stop(drain_s=30)
    assert ingest.received == [item(n) for n in range(20)]
    assert sender.stats.sent == 20


def test_stop_returns_within_its_time_while_the_service_is_slow(ingest, make_sender):
    """A service that answers slowly cannot hold mitmproxy's shutdown beyond `drain_s`."""
    ingest.hold = threading.Event()
    sender = make_sender(ingest.url)
    sender.start()
    sender.submit(item(1))
    assert ingest.answering.wait(10)
    sender.stop(drain_s=0.2)
    answer_still_coming = not ingest.answered.is_set()
    ingest.hold.set()
    assert answer_still_coming


def test_submit_does_not_wait_for_a_slow_service(ingest, make_sender):
    """The addon's hook runs on mitmproxy's event loop: queuing never waits for a post."""
    ingest.hold = threading.Event()
    sender = make_sender(ingest.url)
    sender.start()
    sender.submit(item(1))
    assert ingest.answering.wait(10)
    sender.submit(item(2))
    answer_still_coming = not ingest.answered.is_set()
    assert sender.stats.waiting == 2
    ingest.hold.set()
    assert answer_still_coming
    assert sender.flush(timeout=20)
    assert ingest.received == [item(1), item(2)]


@pytest.mark.parametrize(("capacity", "delivered", "dropped"), [(10, [0, 1, 2], 0), (2, [1, 2], 1)])
def test_take_over_keeps_what_was_waiting(ingest, make_sender, capacity, delivered, dropped):
    """The addon's options change while the service is down: the new sender (new URL, new size)
    delivers what the old one held, oldest dropped first if it is smaller."""
    old = make_sender(dead_url())
    old.start()
    for n in range(3):
        old.submit(item(n))
    old.stop(drain_s=0)
    new = make_sender(ingest.url, capacity=capacity)
    new.take_over(old)
    assert (new.stats.waiting, new.stats.dropped_overflow) == (len(delivered), dropped)
    new.start()
    assert new.flush(timeout=20)
    assert ingest.received == [item(n) for n in delivered]
    assert old.flush(timeout=0)  # nothing left behind in the old one


def test_new_captures_do_not_cut_the_backoff_short(make_sender):
    """With the service down, a stream of captures must not turn into one connection attempt
    each: the sender keeps to its backoff, and tries only a handful of times."""
    attempts = []
    sender = make_sender(dead_url())
    real_post = sender._post

    def counting_post(batch, body):
        attempts.append(len(batch))
        return real_post(batch, body)

    sender._post = counting_post  # type: ignore[method-assign]
    sender.start()
    for n in range(40):
        sender.submit(item(n))
        time.sleep(0.02)  # 0.8 s of captures: backoff 0.25 s, then 0.5 s …
    assert len(attempts) <= 4, attempts
    assert sender.stats.waiting == 40 and sender.stats.dropped_overflow == 0


def test_even_one_exchange_goes_as_an_array(ingest, make_sender):
    """The service answers an array with counts; a lone object it answers with the whole stored
    event, which the addon never reads and both processes would pay for."""
    sender = make_sender(ingest.url)
    sender.start()
    sender.submit(item(1))
    assert sender.flush()
    assert ingest.arrays == [True] and ingest.received == [item(1)]


def test_the_token_file_is_read_once_not_on_every_delivery(ingest, tmp_path):
    """Reading the token file is a few system calls on the proxy per delivery; it is read again
    only when the service refuses it (covered by the stale-token test above)."""
    (tmp_path / "token").write_text(TOKEN)
    reads = []

    def token() -> str | None:
        reads.append(1)
        return read_token(tmp_path)

    sender = Sender(ingest.url, token, linger_s=0)
    sender.start()
    try:
        for n in range(5):
            sender.submit(item(n))
            assert sender.flush()
    finally:
        sender.stop(drain_s=0)
    assert ingest.posts == 5 and len(reads) == 1


def test_a_steady_stream_of_401s_shares_deliveries(ingest, make_sender):
    """While captures keep coming, each delivery waits the linger for company: 30 captures 10 ms
    apart with a 0.1 s linger make a handful of requests, not 30 (without the linger: one each)."""
    sender = make_sender(ingest.url, linger_s=0.1)
    sender.start()
    for n in range(30):
        sender.submit(item(n))
        time.sleep(0.01)
    assert sender.flush()
    assert ingest.received == [item(n) for n in range(30)]
    assert ingest.posts <= 8, ingest.counts


def test_the_wait_for_company_stretches_only_while_401s_come_fast(make_sender):
    """At 20 401s a second each waits the linger (the popup hears of it within 50 ms); a
    burst makes the next deliveries wait up to ten times as long; seconds after it, the linger is back to its own length."""
    sender = make_sender(dead_url(), linger_s=0.035)  # never started: only its policy is read
    started = time.monotonic()
    for n in range(20):  # 20 a second, for a second
        time.sleep(max(0.0, started + n / 20 - time.monotonic()))
        sender.submit(item(n))
        assert sender.linger() == pytest.approx(0.035)
    for n in range(100):  # a page's calls failing together
        sender.submit(item(100 + n))
    assert sender.linger() == pytest.approx(10 * 0.035)
    time.sleep(2.5)
    assert sender.linger() == pytest.approx(0.035)


def test_a_fast_stream_of_401s_shares_deliveries_more(ingest, make_sender):
    """At 200 401s a second (a retry loop gone wild) the deliveries wait longer for company:
    the 300 arrive in order in about ten requests, where the linger alone would make
    about forty (each request costs both processes a wake-up and a transaction)."""
    sender = make_sender(ingest.url, linger_s=0.035)
    sender.start()
    started = time.monotonic()
    for n in range(300):
        time.sleep(max(0.0, started + n / 200 - time.monotonic()))  # a late machine only bunches them more
        sender.submit(item(n))
    assert sender.flush(timeout=20)
    assert ingest.received == [item(n) for n in range(300)]
    assert ingest.posts <= 14, ingest.counts


def test_the_401s_of_a_burst_share_one_delivery_even_after_a_quiet_spell(ingest, make_sender):
    """A page's calls fail together: the first 401 waits the linger for the others, so a burst
    after a pause is one request, not the first alone and then the rest."""
    sender = make_sender(ingest.url, linger_s=0.5)
    sender.start()
    for n in range(5):
        sender.submit(item(n))
    assert sender.flush(timeout=20)
    assert ingest.received == [item(n) for n in range(5)] and ingest.counts == [5]


def test_a_batch_never_outgrows_what_the_service_accepts(ingest, make_sender):
    """Exchanges near their size limit are split across deliveries, each within the service's
    limit (twice an exchange's), instead of one refused delivery retried one by one."""
    big = [{**item(n), "padding": "x" * (MAX_EXCHANGE_BYTES - 1000)} for n in range(5)]
    sender = make_sender(ingest.url)
    for exchange in big:
        sender.submit(exchange)
    sender.start()
    assert sender.flush(timeout=20)
    assert ingest.received == big
    assert max(ingest.sizes) <= 2 * MAX_EXCHANGE_BYTES and len(ingest.sizes) >= 3
    assert sender.stats.sent == 5 and sender.stats.rejected == 0


# --- on mitmproxy's own event loop ----------------------------------------------------------


async def test_on_a_running_loop_the_sender_delivers_without_a_thread_of_its_own(ingest, make_sender):
    """In mitmproxy the hook runs on the proxy's event loop: the sender's deliveries are a task
    on that loop, not a thread (a thread cost the proxy a wake-up and a handover per step)."""
    threads_before = set(threading.enumerate())
    sender = make_sender(ingest.url)
    sender.start()
    for n in range(5):
        sender.submit(item(n))
    assert set(threading.enumerate()) <= threads_before
    assert await asyncio.to_thread(sender.flush, 20)
    assert ingest.received == [item(n) for n in range(5)]
    assert ingest.counts == [5]  # the five shared one delivery
    await sender.close(drain_s=5)


async def test_a_slow_service_never_holds_up_the_loop(ingest, make_sender):
    """While the service dribbles its answer, the loop goes on running other work and taking
    captures: nothing the sender does waits on a socket."""
    ingest.hold = threading.Event()
    sender = make_sender(ingest.url)
    sender.start()
    sender.submit(item(1))
    assert await asyncio.to_thread(ingest.answering.wait, 10)
    ran = []
    for n in range(20):
        await asyncio.sleep(0)  # other flows' work gets its turn, again and again
        ran.append(n)
    sender.submit(item(2))
    still_coming = not ingest.answered.is_set()
    ingest.hold.set()
    assert still_coming and ran == list(range(20)) and sender.stats.waiting == 2
    assert await asyncio.to_thread(sender.flush, 20)
    assert ingest.received == [item(1), item(2)]
    await sender.close(drain_s=5)


async def test_close_delivers_what_waits_at_shutdown(ingest, make_sender):
    """mitmproxy's `done`: what waits goes at once (no linger), before the loop ends."""
    sender = make_sender(ingest.url, linger_s=30)
    sender.start()
    for n in range(3):
        sender.submit(item(n))
    await sender.close(drain_s=10)
    assert ingest.received == [item(n) for n in range(3)]


async def test_close_gives_up_on_a_slow_service_in_its_time(ingest, make_sender):
    """A service that never finishes its answer cannot hold mitmproxy's shutdown."""
    ingest.hold = threading.Event()
    sender = make_sender(ingest.url, linger_s=0)
    sender.start()
    sender.submit(item(1))
    assert await asyncio.to_thread(ingest.answering.wait, 10)
    await sender.close(drain_s=0.2)
    finished_before_the_answer = not ingest.answered.is_set()
    ingest.hold.set()
    assert finished_before_the_answer


@pytest.mark.parametrize("old_fails", [False, True])
async def test_taking_over_on_the_loop_loses_nothing_under_way(ingest, make_sender, old_fails):
    """The options change (mitmproxy calls `configure` on its loop) while the old sender's
    delivery is under way: what it delivers is not sent again, what it fails to deliver the
    new one sends, and what waited goes with the new one."""
    ingest.hold = threading.Event()
    if old_fails:
        ingest.status = 503
    old = make_sender(ingest.url, linger_s=0)
    old.start()
    old.submit(item(0))
    assert await asyncio.to_thread(ingest.answering.wait, 10)
    old.submit(item(1))
    new = make_sender(ingest.url, linger_s=0)
    old.stop(drain_s=0)
    new.take_over(old)
    new.start()
    new.submit(item(2))
    ingest.status = 201
    ingest.hold.set()
    assert await asyncio.to_thread(old.flush, 20)  # its delivery ended: nothing left with it
    assert await asyncio.to_thread(new.flush, 20)
    assert sorted(ingest.received, key=lambda x: x["flow_id"]) == [item(0), item(1), item(2)]
    await new.close(drain_s=5)


@pytest.mark.parametrize("style", ["length", "chunked", "close"])
async def test_reads_every_way_an_answer_can_be_framed(make_sender, style):
    """Content-Length, chunked, or to the end of a closed connection: each answer is read
    whole, its count of refused items taken, and the next delivery goes out all the same."""
    bodies: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            if head.startswith(b"GET "):  # the delivery socket: not here
                writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                continue
            length = int(next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")).split(b":")[1])
            bodies.append(await reader.readexactly(length))
            answer = json.dumps({"stored": 0, "refused": [{"index": 0, "message": "no"}]}).encode()
            if style == "length":
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(answer), answer))
            elif style == "chunked":
                writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                writer.write(b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (5, answer[:5], len(answer) - 5, answer[5:]))
            else:
                writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + answer)
                await writer.drain()
                writer.close()
                return
            await writer.drain()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    sender = make_sender(f"http://127.0.0.1:{port}", linger_s=0)
    sender.start()
    sender.submit(item(1))
    assert await asyncio.to_thread(sender.flush, 20)
    sender.submit(item(2))
    assert await asyncio.to_thread(sender.flush, 20)
    assert [json.loads(body) for body in bodies] == [[item(1)], [item(2)]]
    assert (sender.stats.sent, sender.stats.rejected) == (0, 2)
    await sender.close(drain_s=5)
    server.close()


def test_a_capture_too_large_as_sent_is_dropped_and_never_blocks_the_rest(ingest, make_sender):
    """A capture larger, as sent, than the service takes is refused and counted, and the next
    one goes as ever."""
    sender = make_sender(ingest.url, linger_s=0)
    sender.start()
    sender.submit({"flow_id": "huge", "text": "\u00e9" * 300_000})  # 600 KB as UTF-8
    sender.submit(item(1))
    assert sender.flush(timeout=20)
    assert ingest.received == [item(1)]
    assert (sender.stats.sent, sender.stats.rejected) == (1, 1)


def test_text_beyond_ascii_goes_as_utf8_as_it_was_measured(ingest, make_sender):
    """The addon measures a capture in UTF-8 against the service's limit; it goes so too. Sent
    with every "é" escaped to six bytes, a capture of 200 KB that fits arrived as 600 KB, was
    refused as too large, and the 401 was lost."""
    sender = make_sender(ingest.url, linger_s=0)
    sender.start()
    capture = {"flow_id": "accented", "text": "\u00e9" * 100_000}  # 200 KB as UTF-8
    sender.submit(capture)
    assert sender.flush(timeout=20)
    assert ingest.received == [capture]
    assert (sender.stats.sent, sender.stats.rejected) == (1, 0)


def test_what_a_twice_replaced_sender_had_under_way_reaches_the_newest(ingest, make_sender):
    """Options changed twice in a row while the first sender's delivery failed: what it had
    under way is delivered by the newest, not left with the one in between."""
    ingest.hold = threading.Event()
    ingest.status = 503
    first = make_sender(ingest.url, linger_s=0)
    first.start()
    first.submit(item(0))
    assert ingest.answering.wait(10)
    second, third = make_sender(ingest.url, linger_s=0), make_sender(ingest.url, linger_s=0)
    second.take_over(first)
    third.take_over(second)
    third.start()
    ingest.status = 201
    ingest.hold.set()
    assert first.flush(timeout=20)
    assert third.flush(timeout=20)
    assert ingest.received == [item(0)]


def test_an_ipv6_service_gets_a_host_it_accepts():
    """`http://[::1]:8401`: the Host header keeps the brackets, as the service's guard expects."""
    assert "Host: [::1]:8401\r\n" in Sender("http://[::1]:8401", lambda: TOKEN)._headers(TOKEN)
    assert "Host: 127.0.0.1:8401\r\n" in Sender("http://127.0.0.1:8401", lambda: TOKEN)._headers(TOKEN)


def test_a_capture_that_is_no_json_costs_only_itself(ingest, make_sender, caplog):
    """A bug that queues something JSON cannot encode drops that one, and delivery goes on."""
    sender = make_sender(ingest.url, linger_s=0)
    sender.start()
    sender.submit(item(0))
    sender.submit({"flow_id": "odd", "value": {1, 2}})
    sender.submit(item(1))
    assert sender.flush(timeout=20)
    assert ingest.received == [item(0), item(1)]
    assert sender.stats.rejected == 1


def test_a_service_failure_while_reposting_one_by_one_is_retried_not_counted_sent(ingest, make_sender):
    """The service refuses a delivery as a whole, then fails (503) on one of the exchanges
    posted alone: that one is delivered later, never counted as sent and lost."""
    ingest.statuses = [400, 503]
    sender = make_sender(ingest.url, linger_s=0.2)
    sender.start()
    sender.submit(item(0))
    sender.submit(item(1))
    assert sender.flush(timeout=20)
    # Both arrive (the one that went alone may go again: the service stores a flow once).
    assert {x["flow_id"] for x in ingest.received} == {"flow-0", "flow-1"}
    assert (sender.stats.sent, sender.stats.rejected) == (2, 0)


# --- captures built when their delivery forms ----------------------------------------------


def test_captures_handed_over_unbuilt_arrive_built_in_order(ingest, make_sender):
    """The addon hands the sender functions that build each exchange: the 401s of a delivery
    are built together when it leaves. One that cannot be built, or whose builder fails,
    costs only itself."""
    built: list[int] = []

    def capture(n: int):
        def build():
            built.append(n)
            if n == 3:
                raise RuntimeError("a bug in the builder")
            return None if n == 2 else item(n)

        return build

    sender = make_sender(ingest.url)
    for n in range(5):
        sender.submit(capture(n))
    assert built == []  # nothing is built in the hook
    sender.start()
    assert sender.flush(timeout=20)
    assert built == [0, 1, 2, 3, 4]
    assert ingest.received == [item(n) for n in (0, 1, 4)]
    assert sender.stats.sent == 3 and sender.stats.waiting == 0


@pytest.mark.parametrize(
    ("captures", "holds", "unbuilt"),
    [
        (250, 1000, 100),  # small captures: a batch's worth
        (40, 60_000, 17),  # 60 KB each: about 1 MB of them (a batch would hold 6 MB)
    ],
)
def test_while_the_service_is_down_few_captures_wait_unbuilt(ingest, make_sender, captures, holds, unbuilt):
    """A capture waiting unbuilt holds some of its flow (headers, the start of its body): while
    nothing is delivered, at most a batch of them, holding at most about 1 MB, wait so; the
    later ones are built as they come, and all arrive in order once the service is back."""
    sender = make_sender(ingest.url)  # not started yet: as good as a service that is down
    for n in range(captures):
        sender.submit(lambda n=n: item(n), holds)
    waiting = list(sender._buffer)
    assert sum(callable(each) for each in waiting) == unbuilt
    assert [each for each in waiting if not callable(each)] == [item(n) for n in range(unbuilt, captures)]
    sender.start()
    assert sender.flush(timeout=20)
    assert ingest.received == [item(n) for n in range(captures)]


class _Watched(dict):
    """A capture whose end the test can see (a plain dict cannot be weakly referenced)."""


@pytest.mark.parametrize("unbuilt", [False, True], ids=["built in the hook", "built when delivered"])
def test_a_delivered_capture_is_let_go_at_once(ingest, make_sender, unbuilt):
    """Once its delivery is answered, the sender keeps nothing of a capture while it waits for
    the next one. Kept until then, captures outlived the collector's young generations, and
    the proxy's full collections (40 ms of CPU each, every flow waiting) came half as often
    again: a quarter of the extra ones the companion costs mitmproxy."""
    watched: list[weakref.ref] = []

    def build() -> dict[str, Any]:
        capture = _Watched(item(len(watched)))
        watched.append(weakref.ref(capture))
        return capture

    sender = make_sender(ingest.url)
    sender.start()
    for _ in range(3):
        sender.submit(build if unbuilt else build())
    assert sender.flush()
    assert len(ingest.received) == 3 and len(watched) == 3
    deadline = time.monotonic() + 5  # the sender's thread lets go right after the answer
    while any(ref() is not None for ref in watched) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [ref() for ref in watched] == [None, None, None]
