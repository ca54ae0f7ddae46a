"""Build minimal valid exchanges for the diagnosis tests, and the check every case shares."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from companion.diagnosis import diagnose
from companion.diagnosis.catalogue import CAUSES, FIX_IDS
from companion.diagnosis.models import (
    BodyError,
    Credential,
    Exchange,
    JwtInfo,
    RequestFacts,
    ResponseFacts,
    SentCookie,
    SetCookie,
    SiteContext,
)

__all__ = [
    "BEARER_WWW", "NOW", "STOCK_6750", "BodyError", "Credential", "Exchange", "JwtInfo", "SentCookie", "SetCookie",
    "SiteContext", "at", "basic", "bearer", "check_diagnosis", "cookies", "exchange", "timedelta",
]  # fmt: skip

NOW = datetime(2026, 11, 23, 10, 16, 11, tzinfo=UTC)
STOCK_6750 = "The access token provided is expired, revoked, malformed, or invalid for other reasons"


def exchange(
    *,
    status: int = 401,
    method: str = "GET",
    scheme: str = "https",
    host: str = "api.example.com",
    path: str = "/me",
    www: tuple[str, ...] = (),
    date: datetime | None = NOW,
    received: datetime = NOW + timedelta(seconds=1),
    body: BodyError | None = None,
    set_cookies: tuple[SetCookie, ...] = (),
    proxy_www: tuple[str, ...] = (),
    context: SiteContext | None = None,
    **request: Any,
) -> Exchange:
    """A minimal valid Exchange; keyword arguments not named here go to RequestFacts."""
    return Exchange(
        flow_id="flow-1",
        time=NOW,
        method=method,
        url=f"{scheme}://{host}{path}",
        scheme=scheme,
        host=host,
        port=443 if scheme == "https" else 80,
        path=path,
        status=status,
        request=RequestFacts(**request),
        response=ResponseFacts(
            www_authenticate=list(www),
            proxy_authenticate=list(proxy_www),
            date=date,
            date_raw=date.strftime("%a, %d %b %Y %H:%M:%S GMT") if date else None,
            received=received,
            body_error=body,
            set_cookies=list(set_cookies),
        ),
        context=context or SiteContext(),
    )


def bearer(
    claims: dict[str, Any] | None = None, *, length: int = 420, problems: tuple[str, ...] = ()
) -> list[Credential]:
    jwt = JwtInfo(header={"alg": "RS256"}, claims=claims) if claims is not None else None
    return [
        Credential(source="request.authorization", scheme="Bearer", length=length, jwt=jwt, problems=list(problems))
    ]


def basic(user: str = "alice", password_length: int = 12, scheme: str = "Basic") -> list[Credential]:
    return [
        Credential(
            source="request.authorization", scheme=scheme, length=20, username=user, password_length=password_length
        )
    ]


def at(moment: datetime) -> float:
    return moment.timestamp()


def cookies(*names: str) -> list[SentCookie]:
    return [SentCookie(name=name, length=32) for name in names]


BEARER_WWW = ('Bearer realm="api"',)


def check_diagnosis(ex: Exchange, cause: str, also: list[str], words: list[str]) -> None:
    """The exchange gets the root cause a person would name, with the facts in its summary."""
    """Each exchange gets the root cause a person would name, with the facts in its summary."""
    result = diagnose(ex)
    assert result.cause == cause, result.summary
    assert set(also) <= set(result.also), result.also
    assert cause not in result.also
    for word in words:
        assert word in result.summary
    assert result.title == CAUSES[cause].title
    assert result.evidence and all(e.source and e.fact for e in result.evidence)
    assert {f.id for f in result.fixes} <= set(FIX_IDS)
