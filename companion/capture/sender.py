"""Hand exchanges to the service without ever making a flow wait.

The addon's hook only appends to a bounded buffer: an exchange, or a function that builds it
when its delivery forms (the 401s of a delivery are then built one after another, their code
warm; at most a batch of them, holding at most `_MAX_UNBUILT_BYTES` of their flows, wait so).
One asyncio task on mitmproxy's own event loop posts from it, over one kept-alive connection
written without blocking, everything waiting in one delivery (a batch of up to 100, always a
JSON array: the service answers a batch with counts, not with each stored event). No thread:
a delivery is a few socket calls in the loop that is awake anyway, where a thread of its own
cost the proxy a wake-up, a lock and a handover of the interpreter at every step (5 % of the
proxy's CPU at 5 % 401s, measured by `bench/proxy_overhead.py`). Called where no loop runs (a
test, a script), the sender runs one of its own on a daemon thread. A delivery leaves when the
oldest 401 in it has waited `linger_s`: 401s come in bursts (a page's calls fail together) and
streams (a retry loop), and those that come together share one request of both processes, not
one each. While 401s come faster than `BUSY_PER_S` a second, a delivery waits longer, with the
cube of the rate (at most ten times as long, 350 ms): more of them share each delivery. When
the service is down or slow, exchanges wait in the buffer, the oldest are dropped past its size
(and counted, and reported to the service with the next delivery), and the proxy goes on
proxying. The delivery under way is never dropped: at most the buffer's size plus one delivery
is held.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import logging
import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlsplit

from companion.wire import MAX_EXCHANGE_BYTES, SCHEMA_VERSION

__all__ = ["Sender", "SenderStats"]

log = logging.getLogger(__name__)

_TIMEOUT_S = 5.0
_BACKOFF_MIN_S = 0.25
_BACKOFF_MAX_S = 5.0
# A service that keeps failing on one item (a bug on its side) must not hold up the rest.
_MAX_SERVER_ERRORS = 5
_BATCH = 100
# The service takes twice an exchange's limit in one delivery; a batch stops short of it.
_MAX_DELIVERY_BYTES = 2 * MAX_EXCHANGE_BYTES - 1024
_TAKE_OVER_WAIT_S = 1.0
LINGER_S = 0.035
"""How long a 401 waits for others to share its delivery: short enough that it still reaches
the popup well within 50 ms."""
BUSY_PER_S = 25.0
"""Up to this many 401s a second, each waits `linger_s` at most: the 20 a second at which the
popup must hear of each within 50 ms, with room for a real stream's unevenness. Beyond it, a
delivery waits longer with the cube of the rate, up to `_MAX_STRETCH` times: each delivery
costs both processes a wake-up, a message and a transaction whatever it carries, and the code
of both runs cold for its first 401. At 30 401s a second a delivery waits 60 ms, at 50 a
second 280 ms and carries about fourteen 401s instead of two, which share that cost; the
popup's count still changes faster than a person reads it (docs/performance.md)."""
_MAX_STRETCH = 10.0
_MAX_UNBUILT_BYTES = 1024 * 1024
"""At most a batch of captures, holding at most this much of their flows (headers, the start of
the body), wait unbuilt; past it, `submit` builds the capture at once: a service that is down
or slow makes them pile up."""
Deferred = Callable[[], dict[str, Any] | None]
"""A capture built when its delivery forms: its exchange, or None when it cannot be built
(the builder says why)."""
_RATE_TAU_S = 1.0
"""Time constant of the moving estimate of the 401 rate: a burst counts within a few 401s and
is forgotten within seconds of its end."""


def _encoded(batch: list[dict[str, Any]]) -> tuple[bytes, int]:
    """The JSON array of as many of `batch` as fit in one delivery (at least one), and how many."""
    parts: list[bytes] = []
    size = 2
    for item in batch:
        # UTF-8 as the addon measured it against the service's limit: escaped to ASCII, a page
        # of "é" took three times the bytes, and a capture that fit was refused as too large.
        part = json.dumps(item, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "replace")
        size += len(part) + 1
        if parts and size > _MAX_DELIVERY_BYTES:
            break
        parts.append(part)
    return b"[" + b",".join(parts) + b"]", len(parts)


def _build(deferred: Deferred) -> dict[str, Any] | None:
    """A deferred capture built; None (logged) if its builder fails: it alone is lost."""
    try:
        return deferred()
    except Exception:
        log.exception("401 Companion: a captured 401 could not be built; dropped")
        return None


class _Unbuilt:
    """A capture waiting in the buffer to be built, and how many bytes of its flow it holds."""

    __slots__ = ("build", "size")

    def __init__(self, build: Deferred, size: int) -> None:
        self.build = build
        self.size = size

    def __call__(self) -> dict[str, Any] | None:
        return self.build()


def _encodable(item: dict[str, Any]) -> bool:
    try:
        json.dumps(item)
    except (TypeError, ValueError):
        return False
    return True


def _refused_in(answer: bytes) -> int:
    """How many of a batch the service refused, from its answer (`{"refused": [...]}`)."""
    try:
        refused = json.loads(answer).get("refused", [])
    except (ValueError, AttributeError):
        return 0
    return len(refused) if isinstance(refused, list) else 0


_MAX_ANSWER_BYTES = 1 << 20
_MAX_ANSWER_LINES = 100


class _BadAnswerError(ValueError):
    """What came back is not an HTTP answer the sender can read."""


async def _read_head(reader: asyncio.StreamReader) -> tuple[int, dict[bytes, bytes], bool]:
    """The status, header fields (lower-case names) and whether the connection stays open, of
    one HTTP/1.1 answer, bounded in lines."""
    status_line = await reader.readuntil(b"\r\n")
    version, _, rest = status_line.partition(b" ")
    code = rest[:3]
    if not version.startswith(b"HTTP/1.") or not code.isdigit():
        raise _BadAnswerError(f"not an HTTP answer: {status_line[:40]!r}")
    fields: dict[bytes, bytes] = {}
    for _ in range(_MAX_ANSWER_LINES):
        line = await reader.readuntil(b"\r\n")
        if line == b"\r\n":
            keep = version == b"HTTP/1.1" and b"close" not in fields.get(b"connection", b"")
            return int(code), fields, keep
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        fields[name] = value.strip() if name == b"sec-websocket-accept" else value.strip().lower()  # the accept key is case-exact
    raise _BadAnswerError("an answer with too many header lines")


async def _read_body(reader: asyncio.StreamReader, fields: dict[bytes, bytes]) -> tuple[bytes, bool]:
    """The body of an answer whose head was read (`Content-Length`, chunked, or to the end),
    bounded in bytes; and whether it was framed (else the connection is spent)."""
    if fields.get(b"transfer-encoding", b"").endswith(b"chunked"):
        parts: list[bytes] = []
        size = 0
        while True:
            chunk = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip() or b"x", 16)
            size += chunk
            if size > _MAX_ANSWER_BYTES:
                raise _BadAnswerError("an answer too large")
            if not chunk:
                while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers
                    pass
                return b"".join(parts), True
            parts.append((await reader.readexactly(chunk + 2))[:-2])
    length = fields.get(b"content-length")
    if length is None:
        return await reader.read(_MAX_ANSWER_BYTES), False
    if not length.isdigit() or int(length) > _MAX_ANSWER_BYTES:
        raise _BadAnswerError("an answer too large or of no length")
    return await reader.readexactly(int(length)), True


_WEBSOCKET_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_SERVICE_FAILED = {"store_unavailable": 503, "internal_error": 500}


def _websocket_status(answer: bytes) -> int:
    """The HTTP status a delivery socket's answer stands for: 200, a failure of the service
    (retried, as a 5xx is), or 400 for a delivery it refused as a whole."""
    if not answer.startswith(b'{"error"'):
        return 200
    try:
        code = json.loads(answer)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return 400
    return _SERVICE_FAILED.get(code, 400)


def _websocket_frame(payload: bytes, opcode: int = 0x1) -> bytes:
    """One final WebSocket frame from a client (masked, as RFC 6455 requires of clients)."""
    size = len(payload)
    if size < 126:
        head = bytes((0x80 | opcode, 0x80 | size))
    elif size < 1 << 16:
        head = bytes((0x80 | opcode, 0x80 | 126)) + size.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 0x80 | 127)) + size.to_bytes(8, "big")
    mask = secrets.token_bytes(4)
    if not size:
        return head + mask
    key = (mask * (size // 4 + 1))[:size]
    return head + mask + (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(size, "big")


async def _websocket_message(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes:
    """The service's next message on the delivery socket (its pings answered), bounded."""
    parts: list[bytes] = []
    size = 0
    while True:
        first, second = await reader.readexactly(2)
        length = second & 0x7F
        if second & 0x80:
            raise _BadAnswerError("a masked frame from the service")
        if length == 126:
            length = int.from_bytes(await reader.readexactly(2), "big")
        elif length == 127:
            length = int.from_bytes(await reader.readexactly(8), "big")
        if size + length > _MAX_ANSWER_BYTES:
            raise _BadAnswerError("an answer too large")
        data = await reader.readexactly(length)
        opcode = first & 0x0F
        if opcode == 0x8:
            raise ConnectionResetError("the service closed the delivery socket")
        if opcode == 0x9:
            writer.write(_websocket_frame(data, 0xA))
            continue
        if opcode == 0xA:
            continue
        parts.append(data)
        size += length
        if first & 0x80:
            return b"".join(parts)


@dataclass(slots=True)
class SenderStats:
    sent: int = 0
    dropped_overflow: int = 0
    rejected: int = 0
    """Exchanges the service refused as invalid (4xx other than 401): dropped, logged."""
    waiting: int = 0


class Sender:
    def __init__(self, api_url: str, token: Callable[[], str | None], capacity: int = 1000, linger_s: float = LINGER_S):
        parts = urlsplit(api_url)
        if parts.scheme != "http" or not parts.hostname or not parts.hostname.isascii():
            raise ValueError(f"the companion API URL must be http://host:port, not {api_url!r}")
        self._host = parts.hostname
        self.port = parts.port or 80
        self._path = (parts.path.rstrip("/") or "") + "/api/ingest"
        self._read_token = token
        self._token: str | None = None
        """Read once, and again only when the service refuses it or there was none."""
        self._linger_s = linger_s
        self._waiting_since = float("-inf")
        """When the oldest exchange not yet in a delivery was queued (monotonic)."""
        self._rate = 0.0
        """401s a second lately: each submit adds 1/τ to what the past decayed to (τ: `_RATE_TAU_S`)."""
        self._rate_at = float("-inf")
        self._buffer: deque[dict[str, Any] | Deferred] = deque()
        self._unbuilt = 0
        """How many of the buffer's items are still to be built, and the bytes they hold."""
        self._unbuilt_bytes = 0
        self._capacity = capacity
        self._lock = threading.Condition()
        """Guards the buffer and the counts: `submit` may come from any thread; `flush` waits on it."""
        self._stopping = False
        self._in_flight = 0
        """How many items at the head of the buffer are being posted right now."""
        self._successor: Sender | None = None
        """The sender that took this one's place: what this one still had under way goes to it
        if the delivery fails."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._own_thread: threading.Thread | None = None
        self._task: asyncio.Task[None] | None = None
        self._finished = False
        """The task has ended (stopped, or taken over)."""
        self._wake = asyncio.Event()
        """Set when the task has something new to do: the first exchange of a delivery, a full batch, stopping."""
        self._stop_event = asyncio.Event()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._websocket = False
        """Whether the kept connection is the service's delivery socket (else plain posts)."""
        self._post_only = False
        """The service keeps no delivery socket: post each delivery."""
        self._down_logged = False
        self._id = secrets.token_hex(8)
        self._server_errors = 0
        self.stats = SenderStats()

    # --- any thread ----------------------------------------------------------------------

    def submit(self, exchange: dict[str, Any] | Deferred, holds: int = 0) -> None:
        """Queue one exchange, or a function that builds it when its delivery forms (the 401s
        of one delivery are then built together, their code warm), `holds` the bytes of its
        flow it keeps until then; never blocks beyond a lock held for a few instructions."""
        if callable(exchange):
            if self._unbuilt >= _BATCH or self._unbuilt_bytes + holds > _MAX_UNBUILT_BYTES:
                built = _build(exchange)
                if built is None:
                    return
                exchange = built
            elif not isinstance(exchange, _Unbuilt):
                exchange = _Unbuilt(exchange, holds)
        with self._lock:
            # The item being posted is no longer waiting: it neither counts against the
            # capacity nor is dropped (it would be delivered all the same, and counted twice).
            in_flight = min(self._in_flight, len(self._buffer))
            now = time.monotonic()
            self._rate = self._rate_as_of(now) + 1 / _RATE_TAU_S
            self._rate_at = now
            if len(self._buffer) == in_flight:
                self._waiting_since = now
            if len(self._buffer) - in_flight >= self._capacity:
                self._drop(in_flight)
            self._buffer.append(exchange)
            self._hold(exchange, 1)
            waiting = self.stats.waiting = len(self._buffer)
        # Only a wake-up the task waits for: the first of a delivery, or a full batch.
        if waiting == 1 or waiting - in_flight >= _BATCH:
            self._call(self._wake.set)

    def _drop(self, index: int) -> None:
        """Drop the item at `index` of the buffer for want of room (the lock held)."""
        self._hold(self._buffer[index], -1)
        del self._buffer[index]
        self.stats.dropped_overflow += 1

    def _hold(self, item: dict[str, Any] | Deferred, sign: int) -> None:
        """Count an item into (`sign` 1) or out of (-1) the buffer's unbuilt ones (the lock held)."""
        if isinstance(item, _Unbuilt):
            self._unbuilt += sign
            self._unbuilt_bytes += sign * item.size

    def _call(self, fn: Callable[[], object]) -> None:
        """Run `fn` on the sender's loop: at once from the loop's own thread, else handed over."""
        loop = self._loop
        if loop is None:
            return  # not started yet: `start` looks at what waits
        if threading.get_ident() == self._loop_thread:
            fn()
            return
        try:
            loop.call_soon_threadsafe(fn)
        except RuntimeError:
            pass  # that loop has closed: nothing runs there any more

    def linger(self) -> float:
        """How long the delivery now forming waits for company: `linger_s`, stretched while
        401s come faster than `BUSY_PER_S` a second (twice as fast: eight times as long)."""
        busy = self._rate_as_of(time.monotonic()) / BUSY_PER_S
        return self._linger_s * min(_MAX_STRETCH, max(1.0, busy * busy * busy))

    def _rate_as_of(self, now: float) -> float:
        """401s a second lately: the estimate of the last submit, decayed until `now`."""
        return self._rate * math.exp((self._rate_at - now) / _RATE_TAU_S)

    def _on_loop(self) -> bool:
        return self._loop is not None and threading.get_ident() == self._loop_thread

    def take_over(self, old: Sender) -> None:
        """Keep what an earlier sender still had waiting (the addon's options changed). What
        the old one has under way, it finishes; if that delivery fails, it hands those to this
        one. From another thread than the old one's loop, its delivery is let finish first."""
        with old._lock:
            if old._task is not None and not old._on_loop():
                old._lock.wait_for(lambda: not old._in_flight, timeout=_TAKE_OVER_WAIT_S)
            under_way = min(old._in_flight, len(old._buffer))
            waiting = list(itertools.islice(old._buffer, under_way, None))
            for _ in waiting:
                old._hold(old._buffer.pop(), -1)
            old.stats.waiting = len(old._buffer)
            old._successor = self
        old._ask_to_stop()
        for item in waiting:
            self.submit(item, item.size if isinstance(item, _Unbuilt) else 0)

    def _take_back(self, items: list[dict[str, Any] | Deferred]) -> None:
        """Items an earlier sender failed to deliver: oldest, so first in line (with this one's
        own successor, if it was taken over in turn)."""
        with self._lock:
            successor = self._successor
        if successor is not None:
            successor._take_back(items)
            return
        with self._lock:
            in_flight = min(self._in_flight, len(self._buffer))
            for offset, item in enumerate(items):  # behind what this one has under way itself
                self._buffer.insert(in_flight + offset, item)
                self._hold(item, 1)
            while len(self._buffer) - in_flight > self._capacity:
                self._drop(in_flight)
            self.stats.waiting = len(self._buffer)
            self._waiting_since = min(self._waiting_since, time.monotonic()) if self._buffer else self._waiting_since
        self._call(self._wake.set)

    def start(self) -> None:
        """Start delivering: on the running event loop of the calling thread (mitmproxy's), or
        where none runs, on a loop of its own in a daemon thread."""
        if self._task is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._start_own_loop()
            return
        self._loop, self._loop_thread = loop, threading.get_ident()
        self._task = loop.create_task(self._run(), name="companion-sender")

    def _start_own_loop(self) -> None:
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            self._loop, self._loop_thread = loop, threading.get_ident()
            self._task = loop.create_task(self._run(), name="companion-sender")
            ready.set()
            try:
                loop.run_until_complete(self._task)
            finally:
                loop.close()

        self._own_thread = threading.Thread(target=run, name="companion-sender", daemon=True)
        self._own_thread.start()
        ready.wait()

    def stop(self, drain_s: float = 2.0) -> None:
        """Stop, after delivering what waits (without the linger) for up to `drain_s`. On the
        sender's own loop this only asks: the loop cannot wait for itself (`close` can)."""
        self._ask_to_stop()
        if self._on_loop():
            return
        if self._own_thread is not None:
            self._own_thread.join(drain_s)
        elif self._task is not None:
            with self._lock:
                self._lock.wait_for(lambda: self._finished, timeout=drain_s)

    def _ask_to_stop(self) -> None:
        """Tell the task to deliver what waits without lingering, then end (from any thread)."""
        with self._lock:
            self._stopping = True
        self._call(self._wake.set)
        self._call(self._stop_event.set)

    async def close(self, drain_s: float = 2.0) -> None:
        """`stop` for a coroutine (mitmproxy's `done`): what waits is delivered for up to
        `drain_s`, then the delivery under way is abandoned."""
        if not self._on_loop() or self._task is None:
            await asyncio.get_running_loop().run_in_executor(None, self.stop, drain_s)
            return
        self.stop(drain_s)
        done, _ = await asyncio.wait({self._task}, timeout=drain_s)
        if not done:
            self._task.cancel()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until the buffer is empty (for tests and shutdown); True if it emptied. On the
        sender's own loop it cannot wait, and says whether it is empty now."""
        with self._lock:
            if self._on_loop():
                return not self._buffer and not self._in_flight
            return self._lock.wait_for(lambda: not self._buffer and not self._in_flight, timeout)

    # --- the sender's loop -------------------------------------------------------------

    async def _run(self) -> None:
        try:
            await self._deliver_all()
        finally:
            self._close_connection()
            with self._lock:
                self._finished = True
                self._lock.notify_all()

    async def _wait(self, event: asyncio.Event, timeout: float | None) -> None:
        try:
            async with asyncio.timeout(timeout):
                await event.wait()
        except TimeoutError:
            pass

    async def _deliver_all(self) -> None:
        backoff = _BACKOFF_MIN_S
        while True:
            if not self._buffer:
                if self._stopping:
                    return
                self._wake.clear()
                if not self._buffer and not self._stopping:  # a submit from another thread may have come between
                    await self._wake.wait()
                continue
            linger = self._waiting_since + self.linger() - time.monotonic()
            if linger > 0 and not self._stopping and len(self._buffer) < _BATCH:
                self._wake.clear()
                await self._wait(self._wake, linger)
            with self._lock:
                # Everything waiting goes in one delivery (up to a batch): a burst of 401s
                # costs the service a few requests and transactions, not one each.
                head = list(itertools.islice(self._buffer, _BATCH))
                self._in_flight = len(head)
            if not head:
                continue  # taken over while it lingered: nothing of its own left
            batch = self._built(head)
            if not batch:
                continue  # none could be built: each was logged
            try:
                body, taken = _encoded(batch)
            except (TypeError, ValueError):  # a capture that is no JSON (a bug): it alone is dropped
                bad = next((n for n, each in enumerate(batch) if not _encodable(each)), 0)
                if bad:
                    body, taken = _encoded(batch[:bad])  # those before it go now
                else:
                    log.warning("401 Companion: a captured 401 could not be encoded; dropped")
                    body, taken = b"", 1
            if taken < len(batch):
                with self._lock:  # the rest waits for the next delivery
                    self._in_flight = taken
                batch = batch[:taken]
            if not body:
                outcome, refused = "sent", len(batch)
            elif len(body) > _MAX_DELIVERY_BYTES:
                # One capture larger, as sent, than the service takes (text that escapes to
                # several bytes a character): refused here, counted, never blocking the rest.
                log.warning("401 Companion: a captured 401 of %d bytes is larger than the service takes; dropped", len(body))
                outcome, refused = "sent", len(batch)
            else:
                outcome, refused = await self._deliver(batch, body)
            with self._lock:
                if outcome != "retry":
                    for _ in range(len(batch)):
                        self._buffer.popleft()  # the batch is at the head: nothing removes items in flight
                    self.stats.sent += len(batch) - refused
                    self.stats.rejected += refused
                self.stats.waiting = len(self._buffer)
                self._in_flight = 0
                successor = self._successor
                handed = list(self._buffer) if successor is not None else []
                if successor is not None:
                    self._buffer.clear()
                    self._unbuilt = self._unbuilt_bytes = 0
                    self.stats.waiting = 0
                self._lock.notify_all()
            # The delivery is over: its captures are let go now, not kept until the next one.
            # Kept through the wait that follows, they outlived the collector's young
            # generations, and the proxy's full collections (40 ms each) came half as often again.
            del head, batch
            if successor is not None:
                if handed:
                    successor._take_back(handed)
                return
            if outcome == "retry":
                if self._stopping:
                    return
                # New captures do not cut the wait short (one connection attempt per 401
                # to a service that is down cost the proxy CPU); stopping does.
                self._stop_event.clear()
                if not self._stopping:
                    await self._wait(self._stop_event, backoff)
                backoff = min(backoff * 2, _BACKOFF_MAX_S)
            else:
                backoff = _BACKOFF_MIN_S

    def _built(self, batch: list[dict[str, Any] | Deferred]) -> list[dict[str, Any]]:
        """The delivery at the head of the buffer with its captures built, one after another,
        and put back in their places (a delivery retried later sends them as built); those
        that could not be built leave the buffer."""
        if not self._unbuilt:
            return cast(list[dict[str, Any]], batch)
        built = [_build(item) if callable(item) else item for item in batch]
        kept = [item for item in built if item is not None]
        with self._lock:  # nothing else moves the items under way: they stay at the head
            for item in batch:
                self._hold(item, -1)
            for _ in batch:
                self._buffer.popleft()
            self._buffer.extendleft(reversed(kept))
            self._in_flight = len(kept)
            self.stats.waiting = len(self._buffer)
        return kept

    async def _deliver(self, batch: list[dict[str, Any]], body: bytes) -> tuple[str, int]:
        """Post one delivery; its outcome (`sent` or `retry`) and how many the service refused."""
        try:
            outcome, refused = await self._post(batch, body)
            if outcome == "rejected" and len(batch) > 1:
                # The service refused the delivery as a whole: each on its own, so that a
                # bad one costs only itself.
                results = [await self._post([item], _encoded([item])[0]) for item in batch]
                outcomes = {o for o, _ in results}
                # A failure of the service on one of them is one of the whole delivery (retried
                # as such; what went is stored once): never counted as sent.
                outcome = "retry" if "retry" in outcomes else "server_error" if "server_error" in outcomes else "sent"
                refused = sum(1 if o == "rejected" else r for o, r in results) if outcome == "sent" else 0
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("401 Companion: could not deliver captured 401s; dropped")
            outcome, refused = "sent", len(batch)
        if outcome == "server_error":
            self._server_errors += 1
            if self._server_errors >= _MAX_SERVER_ERRORS:
                log.warning("401 Companion: the service failed %d times on a delivery; dropped", self._server_errors)
                outcome, refused = "sent", len(batch)
            else:
                outcome = "retry"
        if outcome != "retry":
            self._server_errors = 0
        return outcome, refused

    def _close_connection(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None
        self._websocket = False

    async def _post(self, batch: list[dict[str, Any]], body: bytes) -> tuple[str, int]:
        """Deliver `batch` (`body`: its JSON array); the outcome (`sent`, `retry`, `rejected`,
        `server_error`) and how many the service refused."""
        token = self._token = self._token or self._read_token()
        if token and (not token.isprintable() or " " in token):
            token = self._token = None  # a header's worth of anything else is no token
        if not token:
            self._note_down("no API token yet (is `companion serve` running with the same data dir?)")
            return "retry", 0
        for fresh in (False, True):
            try:
                async with asyncio.timeout(_TIMEOUT_S):
                    reused = self._writer is not None
                    answer = await self._exchange(token, body)
                break
            except (OSError, EOFError, TimeoutError, ValueError, asyncio.LimitOverrunError) as exc:
                # EOFError: asyncio.IncompleteReadError, the service closed mid-answer.
                self._close_connection()
                if reused and not fresh and not isinstance(exc, TimeoutError):
                    continue  # a kept connection the service dropped (it restarted): once more, on a new one
                self._note_down(f"cannot reach the companion service at {self._host}:{self.port} ({exc.__class__.__name__})")
                return "retry", 0
        status, detail = answer
        if status in (200, 201):
            if self._down_logged:
                log.info("401 Companion: service reachable again; delivering captured 401s")
                self._down_logged = False
            refused = _refused_in(detail)
            if refused:
                log.warning(
                    "401 Companion: the service refused %d of %d captured 401s: %s",
                    refused,
                    len(batch),
                    detail[:300].decode("utf-8", "replace"),
                )
            return "sent", refused
        if status == 401:
            self._token = None  # the token file may have changed (the service restarted with another)
            self._note_down("the companion service refused the API token (restarted with another data dir?)")
            return "retry", 0
        if status >= 500:
            self._note_down(f"the companion service answered {status}")
            return "server_error", 0
        log.warning("401 Companion: the service rejected a delivery (%s): %s", status, detail[:300].decode("utf-8", "replace"))
        return "rejected", len(batch)

    def _headers(self, token: str) -> str:
        return (
            f"Host: {f'[{self._host}]' if ':' in self._host else self._host}:{self.port}\r\n"
            f"Authorization: Bearer {token}\r\n"
            # What this addon had to drop so far, for the service's count of losses.
            f"X-Companion-Sender: {self._id}\r\n"
            f"X-Companion-Dropped: {self.stats.dropped_overflow}\r\n"
            # The wire schema this addon writes, for `companion doctor` to compare with the service's.
            f"X-Companion-Schema: {SCHEMA_VERSION}\r\n"
        )

    async def _exchange(self, token: str, body: bytes) -> tuple[int, bytes]:
        """One delivery on the kept connection (opened, and made a WebSocket, when there is
        none): the service's status and answer."""
        if self._writer is None:
            refused = await self._open(token)
            if refused is not None:
                return refused
        writer, reader = cast(asyncio.StreamWriter, self._writer), cast(asyncio.StreamReader, self._reader)
        if self._websocket:
            writer.write(_websocket_frame(b'{"dropped":%d,"exchanges":%b}' % (self.stats.dropped_overflow, body)))
            await writer.drain()
            detail = await _websocket_message(reader, writer)
            return _websocket_status(detail), detail
        head = f"POST {self._path} HTTP/1.1\r\n{self._headers(token)}Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        writer.write(head.encode("latin-1") + body)
        await writer.drain()
        # The whole answer is read: a connection whose last answer was left half-read
        # cannot carry the next request.
        status, fields, keep = await _read_head(reader)
        detail, framed = await _read_body(reader, fields)
        if not (keep and framed):
            self._close_connection()
        return status, detail

    async def _open(self, token: str) -> tuple[int, bytes] | None:
        """Connect, and ask for the delivery socket (a WebSocket: a message costs the service
        a third of what a request does). None when ready; the service's answer when it
        refused (the token, say). A service that has no such socket is posted to instead."""
        self._reader, self._writer = await asyncio.open_connection(self._host, self.port)
        if self._post_only:
            return None
        key = base64.b64encode(secrets.token_bytes(16))
        self._writer.write(
            f"GET {self._path} HTTP/1.1\r\n{self._headers(token)}Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key.decode()}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode("latin-1")
        )
        await self._writer.drain()
        status, fields, keep = await _read_head(self._reader)
        accept = base64.b64encode(hashlib.sha1(key + _WEBSOCKET_GUID).digest())
        if status == 101 and fields.get(b"sec-websocket-accept") == accept:
            self._websocket = True
            return None
        detail, framed = (b"", False) if status == 101 else await _read_body(self._reader, fields)
        if status == 401 or status in (500, 502, 503, 504):
            self._close_connection()
            return status, detail
        # An older service, or something in between that will not upgrade: plain posts, on
        # this connection if its answer left it usable.
        log.info("401 Companion: the service at %s:%d keeps no delivery socket (%d); posting each delivery", self._host, self.port, status)
        self._post_only = True
        if not (keep and framed):
            self._close_connection()
            self._reader, self._writer = await asyncio.open_connection(self._host, self.port)
        return None

    def _note_down(self, why: str) -> None:
        if not self._down_logged:
            log.warning("401 Companion: %s; captured 401s wait in a buffer of %d", why, self._capacity)
            self._down_logged = True
