"""The wire schema between the two processes: what the addon posts to `/api/ingest`.

The addon builds plain JSON (stdlib only, on the proxy's hot path); the service validates it
with the pydantic models of `companion.diagnosis.models`, whose fields a test keeps equal to
the keys the addon writes. Both sides read the version from here.
"""

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_BODY_FIELD",
    "MAX_CHALLENGES",
    "MAX_COOKIES",
    "MAX_CREDENTIALS",
    "MAX_EXCHANGE_BYTES",
    "MAX_HEADERS",
    "MAX_HEADER_VALUE",
    "SCHEMA_VERSION",
]

SCHEMA_VERSION = 1
"""Bumped when a field changes meaning or goes away; new optional fields keep it."""

MAX_EXCHANGE_BYTES = 256 * 1024
"""What one exchange may weigh as JSON. The addon trims to fit (saying what it cut); the
service accepts twice this for a batch's overhead and refuses more."""

# What the addon keeps of one exchange at most, whatever a server sends (what it cut is said
# in `truncated`); the service accepts no more, so that the diagnosis reads a bounded exchange
# whoever posted it.
MAX_HEADERS = 64
"""Request headers, and response headers, kept."""
MAX_HEADER_VALUE = 1024
"""Characters of a header value (or a challenge line) kept; a longer one ends `[… N more chars]`."""
MAX_CHALLENGES = 16
"""`WWW-Authenticate` lines kept, and `Proxy-Authenticate` lines."""
MAX_COOKIES = 64
"""Cookies the request sent, and `Set-Cookie` lines, kept."""
MAX_CREDENTIALS = 16
"""Credentials described (Authorization headers, API-key headers and parameters)."""
MAX_BODY_BYTES = 4096
"""Bytes of a decoded body read for its error."""
MAX_BODY_FIELD = 300
"""Characters of each field read from a body's error (its code, message, finer reason)."""
