"""The mitmproxy addon: capture every 401 and 407, redact it, hand it to the service.

The response hook costs a comparison on every other response. For a 401 it reads the flow's
values (`exchange.catch`) and queues them for the sender's task on mitmproxy's own loop; the
exchange is built when its delivery leaves, with the other 401s of that delivery, one after
another (the code warm, not cold amid the proxy's other work); no flow ever waits on the
service. What the addon remembers of the sites (the memory) is read and written in the order
the flows came all the same: what responses teach it (the cookies they set, the scheme that
worked) and each 401's turn wait in a bounded journal, replayed in order when a delivery
forms, so that each 401 sees the memory as it was when it came. Nothing here
needs more than the standard library and mitmproxy, so it loads inside any mitmproxy 12 (a
test blocks the rest).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
from collections import deque
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from mitmproxy import ctx, exceptions, http

from companion.capture.credentials import scheme_of
from companion.capture.exchange import Caught, Taken, catch, finish, parse_set_cookies, set_cookie_lines, site_host_of, take
from companion.capture.memory import SiteMemory
from companion.capture.redact import redact_url
from companion.capture.sender import Sender
from companion.config import DEFAULT_API_PORT, default_data_dir, read_token
from companion.net.sites import LOOPBACK_HOSTS, site_of

__all__ = ["CAPTURED", "Companion"]

log = logging.getLogger(__name__)

CAPTURED = frozenset({401, 407})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# A 401 whose headers and body (as far as it is read) hold more than this is built in the
# hook, not held until its delivery leaves.
_MAX_WAITING_BYTES = 64 * 1024
# Past this many operations waiting in the journal, or this much text held by them, the hook
# replays them at once.
_MAX_JOURNAL = 256
_MAX_JOURNAL_BYTES = 512 * 1024


class _Pending:
    """A 401 caught by the hook, waiting for its turn in the journal (`taken`, `context`)."""

    __slots__ = ("caught", "context", "taken")

    def __init__(self, caught: Caught) -> None:
        self.caught = caught
        self.taken: Taken | None = None
        self.context: dict[str, Any] | None = None


def _has_header(headers: http.Headers, name: bytes) -> bool:
    """`name in headers` (`name` in lower case) for a guard that runs on every response: a scan
    of the raw names, a tenth of what the mapping's own lookup costs."""
    size = len(name)
    for key, _ in headers.fields:
        if len(key) == size and key.lower() == name:
            return True
    return False


def _received(flow: http.HTTPFlow) -> float:
    assert flow.response is not None
    return flow.response.timestamp_end or flow.response.timestamp_start


class Companion:
    def __init__(self) -> None:
        # The fingerprint key lives only in this process: fingerprints match within a run
        # and mean nothing to anyone holding an export.
        self._key = secrets.token_bytes(32)
        self.memory = SiteMemory()
        self._journal: deque[tuple[Callable[[], None], int]] = deque()
        """The memory's operations not done yet, each with the bytes of text it holds."""
        """What the memory is still to learn and be asked, in the order the flows came."""
        self._journal_bytes = 0
        self._journal_lock = threading.Lock()
        """Held while the journal changes or is replayed: a sender with a loop of its own
        (outside mitmproxy) builds exchanges on its own thread."""
        self.sender: Sender | None = None
        self._data_dir: Path | None = None

    def load(self, loader: Any) -> None:
        # The public suffix list is read on its first use: here, at start, and not in the hook of
        # the first response that sets a cookie (30 ms of the proxy's thread).
        site_of("example.com")
        loader.add_option(
            "companion_api", str, f"http://127.0.0.1:{DEFAULT_API_PORT}",
            "URL of the 401 Companion service that diagnoses captured 401s.",
        )
        loader.add_option(
            "companion_data_dir", str, "",
            "Data dir of that service, where its API token is read from "
            "(default: $COMPANION_DATA_DIR or the platform's user data dir).",
        )
        loader.add_option(
            "companion_buffer", int, 1000,
            "How many captured 401s may wait while the service is unreachable; older ones are dropped.",
        )  # fmt: skip

    def configure(self, updated: set[str]) -> None:
        if not updated & {"companion_api", "companion_data_dir", "companion_buffer"}:
            return
        if ctx.options.companion_buffer < 1:
            raise exceptions.OptionsError("companion_buffer must be at least 1")
        configured = ctx.options.companion_data_dir
        self._data_dir = Path(configured).expanduser() if configured else default_data_dir()
        try:
            sender = Sender(ctx.options.companion_api, self._token, ctx.options.companion_buffer)
        except ValueError as exc:
            raise exceptions.OptionsError(str(exc)) from exc
        if self.sender is not None:
            self.sender.stop(drain_s=0)
            sender.take_over(self.sender)
        self.sender = sender
        self.sender.start()

    def _is_own_api(self, flow: http.HTTPFlow) -> bool:
        """The companion's own API answers 401 to an unpaired extension; when a browser
        proxies loopback too, that 401 passes here and is not a site's."""
        assert self.sender is not None
        return flow.request.port == self.sender.port and flow.request.host in LOOPBACK_HOSTS

    def _token(self) -> str | None:
        # Read on every delivery attempt, so a service started after the proxy is found.
        return read_token(self._data_dir) if self._data_dir else None

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        # mitmproxy buffers whole responses; the companion's own live stream (when a browser
        # proxies loopback) must pass as it comes, or the extension's badge never hears of it.
        if self.sender is not None and self._is_own_api(flow):
            assert flow.response is not None
            flow.response.stream = True

    def response(self, flow: http.HTTPFlow) -> None:
        response = flow.response
        if response is None:
            return
        status = response.status_code
        if status not in CAPTURED:
            if status < 400:
                sets_cookies = _has_header(response.headers, b"set-cookie")
                authorized = _has_header(flow.request.headers, b"authorization")
                if sets_cookies or authorized:
                    self._remember_success(flow, sets_cookies, authorized)
            return
        if self.sender is None or self._is_own_api(flow):
            return
        try:
            caught = catch(flow)
        except Exception:
            log.exception("401 Companion: could not capture %s %s", flow.request.method, flow.request.pretty_host)
            return
        pending = _Pending(caught)
        self._later(partial(self._take, pending))
        if caught.size > _MAX_WAITING_BYTES:
            exchange = self._finish(pending)  # a flow this large is not held: built now
            if exchange is not None:
                self.sender.submit(exchange)
            return
        self.sender.submit(partial(self._finish, pending), caught.size)

    def capture(self, flow: http.HTTPFlow) -> dict[str, Any]:
        """The redacted exchange of a 401/407 flow with what the memory knows of its site;
        the memory then learns from it (the cookies it set, one more 401 of this request).
        The hook does the same in three steps: catch, take in turn, finish for the delivery."""
        pending = _Pending(catch(flow))
        self._later(partial(self._take, pending))
        exchange = self._finish(pending)
        if exchange is None:
            raise ValueError("the flow could not be captured (logged)")
        return exchange

    # --- the journal: the memory's operations, in the order the flows came ---------------

    def _later(self, operation: Callable[[], None], size: int = 0) -> None:
        """Queue what the memory is to learn or be asked, `size` the bytes of text it holds.
        Past `_MAX_JOURNAL` operations or `_MAX_JOURNAL_BYTES`, the oldest are done now, as
        many as bring it back within them: each hook that overflows does about what it added,
        never the whole journal at once (40 ms in one hook, with pages that set many cookies)."""
        with self._journal_lock:
            self._journal.append((operation, size))
            self._journal_bytes += size
            while len(self._journal) > _MAX_JOURNAL or self._journal_bytes > _MAX_JOURNAL_BYTES:
                self._do_oldest_locked()

    def _replay(self) -> None:
        with self._journal_lock:
            while self._journal:
                self._do_oldest_locked()

    def _do_oldest_locked(self) -> None:
        operation, size = self._journal.popleft()
        self._journal_bytes -= size
        try:
            operation()
        except Exception:
            log.exception("401 Companion: could not remember a response")

    def _take(self, pending: _Pending) -> None:
        """A 401's turn: what the memory knows of its site as of now; then the memory learns
        from it. Failures are logged (the exchange is then lost, never the proxy)."""
        caught = pending.caught
        try:
            taken = take(caught, key=self._key)
            pending.context = self.memory.context(taken.host, caught.method, taken.url, taken.fingerprint, caught.caught_at)
            # The cookies this very response set are remembered after the context is taken.
            self._remember_cookies(taken.host, caught.full_path, taken.set_cookies, caught.received)
        except Exception:
            log.exception("401 Companion: could not capture %s %s", caught.method, caught.host_name)
            return
        pending.taken = taken

    def _finish(self, pending: _Pending) -> dict[str, Any] | None:
        """The exchange of a 401 the hook caught, with its context (the journal replayed up
        to it, and past it); None (logged) if it cannot be built."""
        if pending.context is None:
            self._replay()
        if pending.taken is None:
            return None
        try:
            exchange = finish(pending.taken, key=self._key)
        except Exception:
            log.exception("401 Companion: could not capture %s %s", pending.caught.method, pending.caught.host_name)
            return None
        exchange["context"] = pending.context
        return exchange

    def _remember_cookies(self, host: str, full_path: str, set_cookies: list[dict[str, Any]], received: float) -> None:
        """The one place the memory learns a site's cookies, from a 401 or a normal response.
        The request's path only serves the cookie's default path: without its query and
        redacted like any URL, only when the memory needs it (most cookies say `Path=/`)."""
        self.memory.note_set_cookies(host, set_cookies, received, lambda: redact_url(full_path.partition("?")[0]))

    def _remember_success(self, flow: http.HTTPFlow, sets_cookies: bool, authorized: bool) -> None:
        """Note the cookies a normal response set and the scheme that worked: later 401s can
        say which cookie went missing or which scheme the site accepted before. The hook only
        reads the values; the memory learns them in the journal's turn."""
        try:
            assert flow.response is not None
            request = flow.request
            authority, host_name = request.host_header, request.host
            # What an operation holds waits with it: its size counts towards the journal's bound.
            held = len(authority or "") + len(host_name)
            if sets_cookies:
                lines, path = set_cookie_lines(flow.response.headers.fields), request.path
                self._later(
                    partial(self._learn_cookies, authority, host_name, path, lines, _received(flow)),
                    held + len(path) + sum(len(line) for line in lines),
                )
            auth = flow.request.headers.get("authorization") if authorized else None
            if auth:
                scheme = scheme_of(auth)
                self._later(lambda: self.memory.note_success(site_host_of(authority, host_name), scheme), held)
                if flow.response.status_code in _REDIRECTS and "location" in flow.response.headers:
                    self._remember_redirect(flow, auth)
        except Exception:
            log.exception("401 Companion: could not remember cookies of %s", flow.request.pretty_host)

    def _learn_cookies(self, authority: str | None, host_name: str, full_path: str, lines: list[str], received: float) -> None:
        """The journal's turn of the cookies a normal response set."""
        self._remember_cookies(site_host_of(authority, host_name), full_path, parse_set_cookies(lines, received), received)

    def _remember_redirect(self, flow: http.HTTPFlow, auth: str) -> None:
        """A request with credentials was redirected: if the request to the new address comes
        without them and gets 401, the redirect is why."""
        assert flow.response is not None
        # Not through IDNA for a Host header longer than any host (see `site_host_of`).
        origin = flow.request.pretty_url if len(flow.request.host_header or "") <= 255 else flow.request.url
        target = urljoin(origin, flow.response.headers["location"][:4096])
        source, dest = urlsplit(origin), urlsplit(target)
        from_url = redact_url(origin)
        facts = {
            "from_url": from_url,
            "status": flow.response.status_code,
            "scheme": scheme_of(auth),
            "cross_origin": (source.scheme, source.netloc) != (dest.scheme, dest.netloc),
        }
        target_url, received = redact_url(target), _received(flow)
        self._later(lambda: self.memory.note_redirect(target_url, facts, received), len(target_url) + len(from_url))

    def done(self) -> asyncio.Task[None] | None:
        """mitmproxy is shutting down, or unloading the script: what waits is delivered, for two
        seconds at most. On the loop this hands mitmproxy the closing as a task: its shutdown
        awaits it, and a script's unload (which calls `done` without awaiting) lets it run."""
        if self.sender is None:
            return None
        if self.sender.stats.dropped_overflow:
            log.warning("401 Companion: %d captured 401s were dropped while the service was unreachable", self.sender.stats.dropped_overflow)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.sender.stop()
            return None
        return loop.create_task(self.sender.close(drain_s=2.0))
