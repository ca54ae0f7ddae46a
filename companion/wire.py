"""The wire schema between the two processes: what the addon posts to `/api/ingest`.

The addon builds plain JSON (stdlib only, on the proxy's hot path); the service validates it
with the pydantic models of `companion.diagnosis.models`, whose fields a test keeps equal to
the keys the addon writes. Both sides read the version from here.
"""

__all__ = ["MAX_EXCHANGE_BYTES", "SCHEMA_VERSION"]

SCHEMA_VERSION = 1
"""Bumped when a field changes meaning or goes away; new optional fields keep it."""

MAX_EXCHANGE_BYTES = 256 * 1024
"""What one exchange may weigh as JSON. The addon trims to fit (saying what it cut); the
service accepts twice this for a batch's overhead and refuses more."""
