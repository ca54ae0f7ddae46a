"""The companion's service, a process of its own: the HTTP API (aiohttp), the event
pipeline (validate → diagnose → store → announce), the SQLite store, and running the proxy
as a child for `companion run`.

May import aiohttp, pydantic, sqlite3, `companion.diagnosis` and `companion.net`; the proxy
side never imports this package.
"""

from companion.service.app import create_app

__all__ = ["create_app"]
