"""Hand exchanges to the service without ever making a flow wait.

The addon's hook only appends to a bounded buffer; one daemon thread posts from it, everything
waiting in one delivery (a batch of up to 100, always a JSON array: the service answers a batch
with counts, not with each stored event). A delivery leaves when the oldest 401 in it has
waited `linger_s`: 401s come in bursts (a page's calls fail together) and streams (a retry
loop), and those that come together share one request of both processes, not one each. When the service is down or slow, exchanges
wait in the buffer, the oldest are dropped past its size (and counted, and reported to the
service with the next delivery), and the proxy goes on proxying. The delivery under way is
never dropped: at most the buffer's size plus one delivery is held.
"""

from __future__ import annotations

import http.client
import itertools
import json
import logging
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
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


def _encoded(batch: list[dict[str, Any]]) -> tuple[bytes, int]:
    """The JSON array of as many of `batch` as fit in one delivery (at least one), and how many."""
    parts: list[bytes] = []
    size = 2
    for item in batch:
        part = json.dumps(item, separators=(",", ":")).encode()
        size += len(part) + 1
        if parts and size > _MAX_DELIVERY_BYTES:
            break
        parts.append(part)
    return b"[" + b",".join(parts) + b"]", len(parts)


def _refused_in(answer: bytes) -> int:
    """How many of a batch the service refused, from its answer (`{"refused": [...]}`)."""
    try:
        refused = json.loads(answer).get("refused", [])
    except (ValueError, AttributeError):
        return 0
    return len(refused) if isinstance(refused, list) else 0


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
        if parts.scheme != "http" or not parts.hostname:
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
        self._buffer: deque[dict[str, Any]] = deque()
        self._capacity = capacity
        self._cond = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._conn: http.client.HTTPConnection | None = None
        self._down_logged = False
        self._in_flight = 0
        """How many items at the head of the buffer are being posted right now."""
        self._id = secrets.token_hex(8)
        self._server_errors = 0
        self.stats = SenderStats()

    def submit(self, exchange: dict[str, Any]) -> None:
        """Queue one exchange; never blocks beyond a lock held for a few instructions."""
        with self._cond:
            # The item being posted is no longer waiting: it neither counts against the
            # capacity nor is dropped (it would be delivered all the same, and counted twice).
            in_flight = min(self._in_flight, len(self._buffer))
            if len(self._buffer) == in_flight:
                self._waiting_since = time.monotonic()
            if len(self._buffer) - in_flight >= self._capacity:
                del self._buffer[in_flight]
                self.stats.dropped_overflow += 1
            self._buffer.append(exchange)
            waiting = self.stats.waiting = len(self._buffer)
            # Only a wake-up the sender waits for: the first of a delivery, or a full batch
            # (each needless one is a thread switch on the proxy's CPU).
            if waiting == 1 or waiting - in_flight >= _BATCH:
                self._cond.notify_all()  # all: a `flush` may be waiting on the same condition

    def take_over(self, old: Sender) -> None:
        """Keep what an earlier sender still had waiting (the addon's options changed). A
        delivery the old one has under way is let finish first (briefly), so that nothing is
        sent by both, nor left behind."""
        with old._cond:
            old._cond.wait_for(lambda: not old._in_flight, timeout=_TAKE_OVER_WAIT_S)
            waiting = list(old._buffer)
            old._buffer.clear()
        for item in waiting:
            self.submit(item)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="companion-sender", daemon=True)
            self._thread.start()

    def stop(self, drain_s: float = 2.0) -> None:
        """Stop the thread, giving it a moment to deliver what waits."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(drain_s)
            self._thread = None

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until the buffer is empty (for tests and shutdown); True if it emptied."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._buffer and not self._in_flight, timeout)

    def _run(self) -> None:
        backoff = _BACKOFF_MIN_S
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._buffer or self._stopping)
                if not self._buffer:
                    return
                linger = self._waiting_since + self._linger_s - time.monotonic()
                if linger > 0 and not self._stopping:
                    self._cond.wait_for(lambda: self._stopping or len(self._buffer) >= _BATCH, timeout=linger)
                # Everything waiting goes in one delivery (up to a batch): a burst of 401s
                # costs the service a few requests and transactions, not one each.
                batch = list(itertools.islice(self._buffer, _BATCH))
                self._in_flight = len(batch)
            body, taken = _encoded(batch)
            if taken < len(batch):
                with self._cond:  # the rest waits for the next delivery
                    self._in_flight = taken
                batch = batch[:taken]
            try:
                outcome, refused = self._post(batch, body)
                if outcome == "rejected" and len(batch) > 1:
                    # The service refused the delivery as a whole: each on its own, so that a
                    # bad one costs only itself.
                    results = [self._post([item], _encoded([item])[0]) for item in batch]
                    outcome = "retry" if any(o == "retry" for o, _ in results) else "sent"
                    refused = sum(1 if o == "rejected" else r for o, r in results) if outcome == "sent" else 0
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
            with self._cond:
                if outcome != "retry":
                    for _ in range(len(batch)):
                        self._buffer.popleft()  # the batch is at the head: nothing removes items in flight
                    self.stats.sent += len(batch) - refused
                    self.stats.rejected += refused
                self.stats.waiting = len(self._buffer)
                self._in_flight = 0
                self._cond.notify_all()
                if outcome == "retry":
                    if self._stopping:
                        return
                    # New captures do not cut the wait short (one connection attempt per 401
                    # to a service that is down cost the proxy CPU); stopping does.
                    self._cond.wait_for(lambda: self._stopping, timeout=backoff)
                    backoff = min(backoff * 2, _BACKOFF_MAX_S)
                else:
                    backoff = _BACKOFF_MIN_S

    def _post(self, batch: list[dict[str, Any]], body: bytes) -> tuple[str, int]:
        """Deliver `batch` (`body`: its JSON array); the outcome (`sent`, `retry`, `rejected`,
        `server_error`) and how many the service refused."""
        token = self._token = self._token or self._read_token()
        if not token:
            self._note_down("no API token yet (is `companion serve` running with the same data dir?)")
            return "retry", 0
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {token}",
            "Host": f"{self._host}:{self.port}",
            # What this addon had to drop so far, for the service's count of losses.
            "X-Companion-Sender": self._id,
            "X-Companion-Dropped": str(self.stats.dropped_overflow),
            # The wire schema this addon writes, for `companion doctor` to compare with the service's.
            "X-Companion-Schema": str(SCHEMA_VERSION),
        }
        try:
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self._host, self.port, timeout=_TIMEOUT_S)
            self._conn.request("POST", self._path, body=body, headers=headers)
            response = self._conn.getresponse()
            # Read the whole answer: a connection whose last answer was
            # left half-read cannot carry the next request, and http.client would only say
            # so after sending it, which made every capture a retry and a duplicate.
            detail = response.read()
        except (OSError, http.client.HTTPException) as exc:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            self._note_down(f"cannot reach the companion service at {self._host}:{self.port} ({exc.__class__.__name__})")
            return "retry", 0
        if response.status in (200, 201):
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
        if response.status == 401:
            self._token = None  # the token file may have changed (the service restarted with another)
            self._note_down("the companion service refused the API token (restarted with another data dir?)")
            return "retry", 0
        if response.status >= 500:
            self._note_down(f"the companion service answered {response.status}")
            return "server_error", 0
        log.warning("401 Companion: the service rejected a delivery (%s): %s", response.status, detail[:300].decode("utf-8", "replace"))
        return "rejected", len(batch)

    def _note_down(self, why: str) -> None:
        if not self._down_logged:
            log.warning("401 Companion: %s; captured 401s wait in a buffer of %d", why, self._capacity)
            self._down_logged = True
