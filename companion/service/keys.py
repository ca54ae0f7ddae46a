"""The typed keys of the service's application state."""

from __future__ import annotations

import weakref
from pathlib import Path

from aiohttp import web

from companion.service.clients import Clients
from companion.service.pipeline import Losses
from companion.service.sessions import PairingCodes, Sessions
from companion.service.store import Retention, Store
from companion.service.stream import Broadcaster

__all__ = ["CLIENTS", "DATA_DIR", "INGESTS", "LOSSES", "PAIRING", "RETENTION", "SESSIONS", "STORE", "STREAM", "TOKEN"]

DATA_DIR = web.AppKey("data_dir", Path)
TOKEN = web.AppKey("token", str)
STORE = web.AppKey("store", Store)
STREAM = web.AppKey("stream", Broadcaster)
LOSSES = web.AppKey("losses", Losses)
RETENTION = web.AppKey("retention", Retention)
SESSIONS = web.AppKey("sessions", Sessions)
PAIRING = web.AppKey("pairing", PairingCodes)
CLIENTS = web.AppKey("clients", Clients)
INGESTS = web.AppKey("ingests", weakref.WeakSet[web.WebSocketResponse])
"""The addons' open delivery sockets, closed when the service stops."""
