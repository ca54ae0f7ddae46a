"""Sign-in to the event list page (one-time codes traded for a session cookie), and pairing
codes the extension trades for the API token.

The page is opened from a link that carries a code (`companion open`, `companion run`'s
banner, the extension's "All events"); `/login` trades it, once, for a session id kept in an
`HttpOnly; SameSite=Strict` cookie, and redirects so the code leaves the address bar. Both
live only in this process's memory: a restart signs everyone out, nothing is written down.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable

__all__ = ["CODE_TTL_S", "PAIR_CODE_TTL_S", "SESSION_TTL_S", "PairingCodes", "Sessions", "cookie_name"]

CODE_TTL_S = 120.0
"""How long a code from `companion open` or the extension stays good (it is used at once)."""
SESSION_TTL_S = 12 * 3600.0
"""How long a signed-in page stays signed in."""
_MAX_CODES = 32
_MAX_SESSIONS = 64


def cookie_name(port: int | None) -> str:
    """Cookies ignore ports: two companions side by side each need a cookie of their own."""
    return f"companion_session_{port or 0}"


class Sessions:
    """Outstanding codes and live sessions, each with its expiry; bounded, oldest first out."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._now = clock
        self._codes: OrderedDict[str, float] = OrderedDict()
        self._sessions: OrderedDict[str, float] = OrderedDict()

    def new_code(self, ttl: float = CODE_TTL_S) -> str:
        """A fresh single-use code, good for `ttl` seconds."""
        self._expire(self._codes)
        code = secrets.token_urlsafe(24)
        self._codes[code] = self._now() + ttl
        while len(self._codes) > _MAX_CODES:
            self._codes.popitem(last=False)
        return code

    def redeem(self, code: str) -> str | None:
        """A new session id for a good code (which is then spent), or None."""
        self._expire(self._codes)
        found = _find(self._codes, code)
        if found is None:
            return None
        del self._codes[found]
        session = secrets.token_urlsafe(32)
        self._sessions[session] = self._now() + SESSION_TTL_S
        while len(self._sessions) > _MAX_SESSIONS:
            self._sessions.popitem(last=False)
        return session

    def valid(self, session: str | None) -> bool:
        if not session:
            return False
        self._expire(self._sessions)
        return _find(self._sessions, session) is not None

    def end(self, session: str | None) -> None:
        found = _find(self._sessions, session or "")
        if found is not None:
            del self._sessions[found]

    def _expire(self, table: OrderedDict[str, float]) -> None:
        now = self._now()
        for key in [k for k, until in table.items() if until <= now]:
            del table[key]


def _find(table: OrderedDict[str, float], given: str) -> str | None:
    """The key equal to `given`, compared in constant time (the tables are small)."""
    if not given or len(given) > 100:
        return None
    found = None
    for key in table:
        if hmac.compare_digest(key.encode(), given.encode()):
            found = key
    return found


PAIR_CODE_TTL_S = 300.0
"""How long a pairing code stays good: long enough to type it from a terminal."""
_PAIR_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud and typed
_MAX_WRONG = 20


class PairingCodes:
    """Short single-use codes that let the extension learn the API token without pasting
    it: `companion pair` (or `companion browse`, at launch) makes one with the token, the
    extension trades it for the token. After too many wrong tries every open code is
    dropped, so guessing one is hopeless (8 characters of 31: about 2^39)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._now = clock
        self._codes: OrderedDict[str, float] = OrderedDict()
        self._wrong = 0

    def new_code(self, ttl: float = PAIR_CODE_TTL_S) -> str:
        self._expire()
        raw = "".join(secrets.choice(_PAIR_ALPHABET) for _ in range(8))
        code = f"{raw[:4]}-{raw[4:]}"
        self._codes[code] = self._now() + ttl
        while len(self._codes) > _MAX_CODES:
            self._codes.popitem(last=False)
        return code

    def redeem(self, typed: str) -> bool:
        """Whether `typed` is an open code (then spent). Case, spaces and the dash are forgiven."""
        self._expire()
        cleaned = "".join(c for c in typed.upper() if c.isalnum())[:16]
        code = f"{cleaned[:4]}-{cleaned[4:]}" if len(cleaned) == 8 else ""
        found = _find(self._codes, code)
        if found is None:
            self._wrong += 1
            if self._wrong >= _MAX_WRONG:
                self._codes.clear()
                self._wrong = 0
            return False
        del self._codes[found]
        self._wrong = 0
        return True

    def _expire(self) -> None:
        now = self._now()
        for key in [k for k, until in self._codes.items() if until <= now]:
            del self._codes[key]
