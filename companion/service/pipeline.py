"""The way in: a posted exchange is validated, diagnosed, stored and announced.

A bug in one rule must never lose an event: the exchange is then kept with an `unknown`
diagnosis that says the companion failed, and the failure is logged.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from pydantic import ValidationError
from pydantic_core import PydanticSerializationError

from companion.diagnosis import diagnose
from companion.diagnosis.catalogue import get_cause
from companion.diagnosis.models import Diagnosis, Exchange, Fix
from companion.errors import IngestError
from companion.net.sites import host_of_origin, site_of
from companion.service.models import Event
from companion.service.store import Store
from companion.service.stream import Broadcaster, summary_of

__all__ = ["event_from_exchange", "ingest_payload"]

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
    try:
        return Exchange.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise IngestError(f"{where}: {first['msg']} ({exc.error_count()} problem(s))") from exc


async def ingest_payload(payload: Any, store: Store, stream: Broadcaster) -> dict[str, Any]:
    """Validate, diagnose, store and announce one exchange; the stored event as JSON.
    Raises IngestError (with what is wrong) for what cannot be stored."""
    event = event_from_exchange(_validated(payload))
    try:
        event.model_dump_json()  # the store's own serialization: what it cannot store is refused now
    except PydanticSerializationError as exc:
        raise IngestError(f"the exchange cannot be stored: {str(exc)[:200]}") from exc
    event, created = await store.add(event)
    body = event.model_dump(mode="json")
    if created:  # a delivery retried after a lost answer is no new 401
        stream.publish(summary_of(body))
    return body
