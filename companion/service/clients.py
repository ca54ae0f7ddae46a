"""Who has been talking to the service lately: the extension (by its browser) and each proxy
addon (by its sender id and wire schema). `companion doctor` reads it from `/api/status` to
say whether the extension is paired and seen, and whether the addon speaks this service's
schema."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = ["Clients"]

_MAX_ADDONS = 16


@dataclass
class _Seen:
    last: float = 0.0
    requests: int = 0
    detail: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        when = datetime.fromtimestamp(self.last, UTC).isoformat().replace("+00:00", "Z") if self.last else None
        return {"last_seen": when, "seconds_ago": round(time.time() - self.last, 1) if self.last else None,
                "requests": self.requests, **self.detail}  # fmt: skip


@dataclass
class Clients:
    extensions: dict[str, _Seen] = field(default_factory=dict)
    addons: dict[str, _Seen] = field(default_factory=dict)

    def extension(self, origin: str) -> None:
        """A request with the right token from an extension (`chrome-extension://…`)."""
        browser = origin.split("://", 1)[0]
        seen = self.extensions.setdefault(browser[:40], _Seen())
        seen.last, seen.requests = time.time(), seen.requests + 1

    def addon(self, sender: str, schema: str | None) -> None:
        """A delivery from a proxy addon, with the wire schema it says it writes."""
        sender = sender[:64]
        if not sender:
            return
        if sender not in self.addons and len(self.addons) >= _MAX_ADDONS:
            del self.addons[min(self.addons, key=lambda s: self.addons[s].last)]
        seen = self.addons.setdefault(sender, _Seen())
        seen.last, seen.requests = time.time(), seen.requests + 1
        seen.detail = {"schema": int(schema) if schema and schema.isdigit() and len(schema) < 6 else None}

    def as_json(self) -> dict[str, Any]:
        return {
            "extensions": {name: seen.as_json() for name, seen in self.extensions.items()},
            "addons": {name: seen.as_json() for name, seen in self.addons.items()},
        }
