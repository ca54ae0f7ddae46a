"""The mitmproxy addon: capture every 401 and 407, redact it, hand it to the service.

Loaded by `companion run`, or by your own mitmproxy:

    mitmdump -s companion/addon.py --set companion_api=http://127.0.0.1:8401

The response hook costs a comparison on every other response. A captured exchange is queued
for a background thread; no flow ever waits on the service.
"""

from __future__ import annotations

import logging
import secrets
import sys
from pathlib import Path

try:
    import companion  # noqa: F401
except ImportError:  # loaded as a script from a checkout by a mitmproxy that lacks the package
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mitmproxy import ctx, exceptions, http

from companion.authorization import scheme_of
from companion.config import DEFAULT_API_PORT, default_data_dir, read_token
from companion.exchange import build_exchange, set_cookies_of
from companion.redact import redact_url
from companion.sites import LOOPBACK_HOSTS
from companion.memory import SiteMemory
from companion.sender import Sender

log = logging.getLogger(__name__)

CAPTURED = frozenset({401, 407})


class Companion:
    def __init__(self) -> None:
        # The fingerprint key lives only in this process: fingerprints match within a run
        # and mean nothing to anyone holding an export.
        self._key = secrets.token_bytes(32)
        self.memory = SiteMemory()
        self.sender: Sender | None = None
        self._data_dir: Path | None = None

    def load(self, loader) -> None:
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
        )

    def configure(self, updated: set[str]) -> None:
        if not updated & {"companion_api", "companion_data_dir", "companion_buffer"}:
            return
        if ctx.options.companion_buffer < 1:
            raise exceptions.OptionsError("companion_buffer must be at least 1")
        self._data_dir = Path(ctx.options.companion_data_dir).expanduser() if ctx.options.companion_data_dir else default_data_dir()
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
        if response is None or response.status_code not in CAPTURED:
            if response is not None and response.status_code < 400 and (
                "set-cookie" in response.headers or "authorization" in flow.request.headers
            ):
                self._remember(flow)
            return
        if self.sender is None or self._is_own_api(flow):
            return
        try:
            exchange = build_exchange(flow, key=self._key, memory=self.memory)
        except Exception:  # noqa: BLE001 - whatever a server sends, the proxy keeps proxying
            log.exception("401 Companion: could not capture %s %s", flow.request.method, flow.request.pretty_host)
            return
        self.sender.submit(exchange)

    def _remember(self, flow: http.HTTPFlow) -> None:
        """Note the cookies a normal response set and the scheme that worked: later 401s can
        say which cookie went missing or which scheme the site accepted before."""
        try:
            assert flow.response is not None
            received = flow.response.timestamp_end or flow.response.timestamp_start
            host = flow.request.pretty_host.lower()
            if "set-cookie" in flow.response.headers:
                # The path only serves the cookie's default path; it is redacted like any URL.
                path = redact_url(flow.request.path.partition("?")[0])
                self.memory.note_set_cookies(host, set_cookies_of(flow.response, received), received, path)
            auth = flow.request.headers.get("authorization")
            if auth:
                self.memory.note_success(host, scheme_of(auth))
        except Exception:  # noqa: BLE001
            log.exception("401 Companion: could not remember cookies of %s", flow.request.pretty_host)

    def done(self) -> None:
        if self.sender is not None:
            stats = self.sender.stats
            self.sender.stop()
            if stats.dropped_overflow:
                log.warning("401 Companion: %d captured 401s were dropped while the service was unreachable", stats.dropped_overflow)


addons = [Companion()]
