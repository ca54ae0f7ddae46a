"""The stored event: one diagnosed 401/407, as the API answers it (DESIGN.md, `Event`)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from companion.diagnosis.models import Diagnosis, Exchange

__all__ = ["Event"]


class Event(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    time: datetime
    method: str
    url: str
    host: str
    site: str
    """The registrable domain of `host` (eTLD+1), the unit the extension clears cookies for."""
    status: int = Field(ge=100, le=999)
    initiator: str | None = None
    initiator_host: str | None = None
    diagnosis: Diagnosis
    exchange: Exchange | None = None
    """The redacted exchange the diagnosis was made from, for the detail view and reports."""
