"""The live stream: each new event's summary, as server-sent events, to whoever listens."""

from __future__ import annotations

import asyncio
import json
from typing import Any

__all__ = ["HEARTBEAT_S", "STREAM_QUEUE", "SUMMARY_FIELDS", "Broadcaster", "sse_lines", "summary_of"]

STREAM_QUEUE = 256
HEARTBEAT_S = 15.0


class Broadcaster:
    """Fans new events out to the open `/api/stream` responses. A listener that does not keep
    up loses events (and is told so), never slows ingest down."""

    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[dict | None]] = set()

    def subscribe(self) -> asyncio.Queue[dict | None]:
        queue: asyncio.Queue[dict | None] = asyncio.Queue(STREAM_QUEUE)
        self._queues.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict | None]) -> None:
        self._queues.discard(queue)

    @property
    def listening(self) -> bool:
        """Whether anyone follows the stream: with no one, no summary need be made."""
        return bool(self._queues)

    def publish(self, item: dict) -> None:
        for queue in self._queues:
            try:
                queue.put_nowait(item)
            except asyncio.QueueFull:
                pass

    def close(self) -> None:
        for queue in self._queues:
            while True:
                try:
                    queue.put_nowait(None)
                    break
                except asyncio.QueueFull:
                    queue.get_nowait()


_KEEP = ("id", "time", "method", "url", "host", "site", "status", "initiator", "initiator_host")
SUMMARY_FIELDS: dict[str, Any] = {**dict.fromkeys(_KEEP, True), "diagnosis": {"cause": True, "title": True}}
"""What `summary_of` reads of an event: an event model dumped with `include=SUMMARY_FIELDS`
gives it all, without writing out the evidence, fixes and notes it leaves out."""


def summary_of(event: dict[str, Any]) -> dict[str, Any]:
    """What the stream carries: enough to count and label, not the whole exchange."""
    diagnosis = event["diagnosis"]
    return {**{k: event[k] for k in _KEEP}, "cause": diagnosis["cause"], "title": diagnosis["title"]}


def sse_lines(item: dict[str, Any]) -> bytes:
    """One server-sent event (`event: event`) carrying a summary."""
    data = json.dumps(item, separators=(",", ":"))
    return f"id: {item['id']}\nevent: event\ndata: {data}\n\n".encode()
