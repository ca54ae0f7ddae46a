"""The way in: a posted exchange is validated, diagnosed, stored and announced.

A bug in one rule must never lose an event: the exchange is then kept with an `unknown`
diagnosis that says the companion failed, and the failure is logged.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError
from pydantic_core import PydanticSerializationError

from companion.diagnosis import diagnose
from companion.diagnosis.catalogue import get_cause
from companion.diagnosis.models import Diagnosis, Exchange, Fix
from companion.errors import IngestError
from companion.net.sites import host_of_origin, site_of
from companion.service.models import Event
from companion.service.rows import Row
from companion.service.store import Store
from companion.service.stream import SUMMARY_FIELDS, Broadcaster, summary_of

__all__ = ["MAX_BATCH", "Delivery", "Losses", "event_from_exchange", "ingest_batch", "ingest_payload"]

MAX_BATCH = 500
"""The most exchanges one `POST /api/ingest` may carry as a JSON array."""


class Delivery(BaseModel):
    """An addon's delivery on the ingest socket, `{"dropped": N, "exchanges": [...]}`, read
    and validated from its JSON text in one pass: no Python objects made for the text
    before the models (reading the text first and validating each exchange after cost the
    service twice the time). Anything this refuses, a single bad exchange included, is read
    again the careful way, where each exchange stands alone."""

    model_config = ConfigDict(extra="ignore")

    dropped: StrictInt = Field(default=0, ge=0)
    exchanges: list[Exchange] = Field(max_length=MAX_BATCH)


@dataclass
class Losses:
    """Captured 401s that never became events, counted exactly and with why: refused here
    (invalid, too large), or dropped by an addon before delivery (its buffer full while the
    service was down or slow), as each addon reports it with every delivery."""

    refused: int = 0
    refused_why: Counter[str] = field(default_factory=Counter)
    dropped_by_addons: dict[str, int] = field(default_factory=dict)

    def refuse(self, why: str, count: int = 1) -> None:
        self.refused += count
        self.refused_why[why[:120]] += count

    def note_dropped(self, sender: str, dropped: int) -> None:
        """An addon's running count of what it dropped (it only ever grows, per sender)."""
        if sender:
            self.dropped_by_addons[sender[:64]] = max(dropped, self.dropped_by_addons.get(sender[:64], 0))

    def as_json(self) -> dict[str, Any]:
        return {
            "refused_by_service": self.refused,
            "refused_why": dict(self.refused_why.most_common(10)),
            "dropped_by_addon": sum(self.dropped_by_addons.values()),
        }

log = logging.getLogger(__name__)


def _fallback_diagnosis(exc: Exception) -> Diagnosis:
    unknown = get_cause("unknown")
    return Diagnosis(
        cause="unknown",
        confidence=0.0,
        title=unknown.title,
        summary=f"The companion failed while diagnosing this exchange ({exc.__class__.__name__}); the exchange was kept.",
        fixes=[Fix.model_validate(fix.as_json()) for fix in unknown.fixes],
    )


def event_from_exchange(exchange: Exchange) -> Event:
    try:
        diagnosis = diagnose(exchange)
    except Exception as exc:
        log.exception("diagnosis failed for %s %s", exchange.method, exchange.host)
        diagnosis = _fallback_diagnosis(exc)
    return Event(
        id=uuid.uuid4().hex,
        time=exchange.time,
        method=exchange.method,
        url=exchange.url,
        host=exchange.host,
        site=site_of(exchange.host),
        status=exchange.status,
        initiator=exchange.initiator,
        initiator_host=host_of_origin(exchange.initiator),
        diagnosis=diagnosis,
        exchange=exchange,
    )


def _validated(payload: Any) -> Exchange:
    if isinstance(payload, Exchange):
        return payload  # validated already, with the delivery it came in
    try:
        return Exchange.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise IngestError(f"{where}: {first['msg']} ({exc.error_count()} problem(s))") from exc


def _row(event: Event, store: Store) -> Row:
    """The row the store keeps of `event`: packed once, before the write, so that what cannot
    be stored is refused before anything is."""
    try:
        return store.pack(event)
    except PydanticSerializationError as exc:
        raise IngestError(f"the exchange cannot be stored: {str(exc)[:200]}") from exc


def _storable(payload: Any, store: Store) -> tuple[Event, Row]:
    """The diagnosed event of one posted exchange, and its row."""
    event = event_from_exchange(_validated(payload))
    return event, _row(event, store)


async def ingest_batch(payloads: list[Any], store: Store, stream: Broadcaster, losses: Losses) -> dict[str, Any]:
    """Validate, diagnose, store (in one transaction) and announce a batch. Each exchange
    stands alone: one that is refused costs itself, never the others. Each step is done for
    the whole batch before the next (all diagnosed, then all packed): packing copies a
    compressor of a few hundred KB, which would push the diagnosis's code out of the
    processor's caches between one exchange and the next."""
    refused: list[dict[str, Any]] = []

    def refuse(index: int, exc: IngestError) -> None:
        losses.refuse(str(exc).split(":")[0])
        refused.append({"index": index, "message": str(exc)[:300]})

    events: list[tuple[int, Event]] = []
    for index, payload in enumerate(payloads):
        try:
            events.append((index, event_from_exchange(_validated(payload))))
        except IngestError as exc:
            refuse(index, exc)
    ready: list[tuple[Event, Row]] = []
    for index, event in events:
        try:
            ready.append((event, _row(event, store)))
        except IngestError as exc:
            refuse(index, exc)
    refused.sort(key=lambda each: each["index"])
    created = await store.add_many([row for _, row in ready]) if ready else []
    if stream.listening:
        for (event, _), new in zip(ready, created, strict=True):
            if new:  # a delivery retried after a lost answer is no new 401
                stream.publish(summary_of(event.model_dump(mode="json", include=SUMMARY_FIELDS)))
    stored = sum(created)
    return {"stored": stored, "duplicates": len(ready) - stored, "refused": refused}


async def ingest_payload(payload: Any, store: Store, stream: Broadcaster) -> dict[str, Any]:
    """Validate, diagnose, store and announce one exchange; the stored event as JSON.
    Raises IngestError (with what is wrong) for what cannot be stored."""
    event, stored = await store.add(*_storable(payload, store))
    body = event.model_dump(mode="json")
    if stored:  # a delivery retried after a lost answer is no new 401
        stream.publish(summary_of(body))
    return body
