"""The wire schema between the two processes: what the addon posts to `/api/ingest`.

The addon builds plain JSON (stdlib only, on the proxy's hot path); the service validates it
with the pydantic models of `companion.diagnosis.models`, whose fields a test keeps equal to
the keys the addon writes. Both sides read the version from here.
"""

__all__ = ["SCHEMA_VERSION"]

SCHEMA_VERSION = 1
"""Bumped when a field changes meaning or goes away; new optional fields keep it."""
