"""Run every rule, choose the one root cause, and turn it into a `Diagnosis`.

The choice, in words: a finding needs confidence 0.5 to count as holding. Root causes beat
symptoms (`missing_challenge`, `auth_loop`), which are never the primary cause: with no root
cause holding, the answer is `unknown` (with the checklist) and the symptoms go to `also`. A
cause that explains another (`EXPLAINS`) beats it. Among the root causes left, the first in
`PRECEDENCE` wins, unless another is much surer (by more than `_MARGIN`): a specific but shaky
reading must not hide a plain, certain one. The other causes that hold go to `also`, except
bare guesses (confidence exactly `_HOLDS`) beside a surer primary.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from .catalogue import CAUSES, FixSpec, get_cause
from .facts import (
    Finding,
    Rule,
    View,
    credential_place,
    describe_challenges,
    ev,
    make_view,
)
from .models import Diagnosis, Evidence, Exchange, Fix
from .rules_cookies import (
    conflicting_cookies,
    cookie_not_sent,
    credentials_not_included,
    expired_session,
    insecure_transport,
)
from .rules_credentials import (
    digest_stale_nonce,
    invalid_api_key,
    invalid_credentials,
    malformed_authorization,
    negotiate_failed,
    proxy_auth_required,
    scheme_mismatch,
)
from .rules_missing import credentials_stripped, missing_credentials, redirect_dropped_credentials
from .rules_server import (
    auth_loop,
    cors_preflight_rejected,
    ip_blocked,
    missing_challenge,
)
from .rules_tokens import (
    expired_token,
    insufficient_scope,
    invalid_token,
    step_up_required,
    token_not_yet_valid,
)
from .wording import plural

__all__ = ["PRECEDENCE", "SYMPTOMS", "diagnose", "findings"]

log = logging.getLogger(__name__)

# Most specific and most causal first: a broken header explains a rejected token, a token
# past exp explains "invalid_token", a cookie the browser withheld explains "no credentials".
PRECEDENCE: tuple[tuple[str, Rule], ...] = (
    ("proxy_auth_required", proxy_auth_required),
    ("cors_preflight_rejected", cors_preflight_rejected),
    ("redirect_dropped_credentials", redirect_dropped_credentials),
    ("malformed_authorization", malformed_authorization),
    ("ip_blocked", ip_blocked),
    ("insecure_transport", insecure_transport),
    ("token_not_yet_valid", token_not_yet_valid),
    ("expired_token", expired_token),
    ("step_up_required", step_up_required),
    ("insufficient_scope", insufficient_scope),
    ("digest_stale_nonce", digest_stale_nonce),
    ("negotiate_failed", negotiate_failed),
    ("credentials_not_included", credentials_not_included),
    ("cookie_not_sent", cookie_not_sent),
    ("conflicting_cookies", conflicting_cookies),
    ("expired_session", expired_session),
    ("credentials_stripped", credentials_stripped),
    ("scheme_mismatch", scheme_mismatch),
    ("invalid_token", invalid_token),
    ("invalid_api_key", invalid_api_key),
    ("invalid_credentials", invalid_credentials),
    ("missing_credentials", missing_credentials),
    ("missing_challenge", missing_challenge),
    ("auth_loop", auth_loop),
)
SYMPTOMS = frozenset({"missing_challenge", "auth_loop"})
# A cause that says *why* another holds wins over it whatever their confidences: "no
# credentials" is the fact, "the browser withheld the SameSite=Lax cookie" is the reason.
EXPLAINS: dict[str, frozenset[str]] = {
    "missing_credentials": frozenset(
        {"cookie_not_sent", "credentials_not_included", "insecure_transport", "negotiate_failed", "redirect_dropped_credentials"}
    ),
}
_HOLDS = 0.5
_MARGIN = 0.25
_TIE = 0.05
# Accounts of what happened to the credential that exclude each other: only one can be why.
# (A doubled cookie and a deleted session can both hold; an expired token and a wrong one not.)
_ONE_OF = frozenset(
    {"missing_credentials", "credentials_stripped", "malformed_authorization", "scheme_mismatch", "expired_token",
     "token_not_yet_valid", "invalid_token", "invalid_api_key", "invalid_credentials", "expired_session"}
)  # fmt: skip
_UNDECIDED = 0.45
_UNKNOWN_CONFIDENCE = 0.2
_RANK = {cause: rank for rank, (cause, _) in enumerate(PRECEDENCE)}


def findings(exchange: Exchange) -> list[Finding]:
    """Every finding the rules make for `exchange`, in precedence order, however weak."""
    view = make_view(exchange)
    found: list[Finding] = []
    for cause, rule in PRECEDENCE:
        try:
            finding = rule(view)
        except Exception:
            log.exception("diagnosis rule %s failed on flow %s", cause, exchange.flow_id)
            continue
        if finding is not None:
            found.append(finding)
    return found


def _roots(found: list[Finding]) -> list[Finding]:
    """The root causes that hold and that no other holding cause explains."""
    holding = [f for f in found if f.confidence >= _HOLDS]
    causes = {f.cause for f in holding}
    holding = [f for f in holding if not EXPLAINS.get(f.cause, frozenset()) & causes]
    return [f for f in holding if f.cause not in SYMPTOMS]


def _choose(found: list[Finding]) -> Finding | None:
    roots = _roots(found)
    if not roots:
        return None
    surest = max(f.confidence for f in roots)
    return next(f for f in roots if f.confidence >= surest - _MARGIN)


def _undecided(primary: Finding, found: list[Finding]) -> Finding:
    """When another root cause is as sure as the primary (two readings of equal weight that
    disagree), the answer must not sound certain: below 0.5, and the summary names both."""
    if primary.cause not in _ONE_OF:
        return primary
    rival = next(
        (f for f in _roots(found) if f.cause in _ONE_OF and f.cause != primary.cause and f.confidence >= primary.confidence - _TIE),
        None,
    )
    if rival is None:
        return primary
    other = CAUSES[rival.cause].title
    return replace(
        primary,
        confidence=min(primary.confidence, _UNDECIDED),
        summary=f"{primary.summary} Or, as likely: {other[0].lower()}{other[1:]} ({rival.summary})",
    )


def _sent_words(view: View) -> str:
    request = view.exchange.request
    parts = [
        f"a {c.length}-character {c.scheme or 'API key'} credential in {credential_place(c)}"
        for c in request.credentials[:2]
    ]
    if request.cookies:
        parts.append(plural(len(request.cookies), "cookie"))
    return " and ".join(parts) if parts else "no credentials"


def _unknown(view: View, weak: list[Finding]) -> Finding:
    exchange = view.exchange
    challenged = f"a {describe_challenges(view.challenges)} challenge" if view.challenges else "no challenge"
    evidence = [ev("request", f"Sent {_sent_words(view)}"), ev("response.www-authenticate", challenged)]
    body = exchange.response.body_error
    if body is not None and (body.code or body.message):
        evidence.append(ev("response.body", " / ".join(x for x in (body.code, body.message) if x)))
    evidence += [ev("context", f"Possibly {f.cause} (not certain): {f.summary}") for f in weak]
    return Finding(
        "unknown",
        _UNKNOWN_CONFIDENCE,
        f"{exchange.method} {exchange.host}{exchange.path.partition('?')[0]} got {exchange.status} "
        f"with {_sent_words(view)} sent and {challenged} in the answer, and nothing in the "
        f"exchange shows why.",
        tuple(evidence),
    )


def _fix(spec: FixSpec, extra_steps: tuple[str, ...]) -> Fix:
    steps = list(dict.fromkeys((*extra_steps, *spec.steps))) if spec.id == "manual" else list(spec.steps)
    return Fix.model_validate({"id": spec.id, "title": spec.title, "one_click": spec.one_click, "steps": steps})


def _fixes(primary: Finding, also: list[str], exchange: Exchange) -> list[Fix]:
    specs = list(get_cause(primary.cause).fixes)
    # One-click fixes of the causes that also hold come after the primary's own one-click
    # fixes and before the report and the manual steps.
    tail = [s for s in specs if s.id in {"copy_report", "manual"}]
    head = [s for s in specs if s not in tail]
    for cause in also:
        head += [s for s in get_cause(cause).fixes if s.one_click and s.id not in {x.id for x in head + tail}]
    chosen = [s for s in head + tail if s.id != "open_https" or exchange.scheme == "http"]
    return [_fix(spec, primary.steps) for spec in chosen]


def diagnose(exchange: Exchange) -> Diagnosis:
    """The one root cause of a 401/407 exchange, with evidence, the other causes that hold,
    fixes, and notes for the site's developers where the fault is theirs."""
    found = findings(exchange)
    primary = _choose(found)
    if primary is not None:
        primary = _undecided(primary, found)
    if primary is None:
        weak = [f for f in found if f.cause not in SYMPTOMS]
        primary = _unknown(make_view(exchange), weak)
        # What holds all the same is said: "no challenge", "a loop".
        others: list[Finding] = [f for f in found if f.cause in SYMPTOMS and f.confidence >= _HOLDS]
    else:
        # A reading that barely holds (a guess such as "probably the token") joins `also`
        # only when the primary is no surer: beside a cause the server stated, it misleads.
        others = [
            f
            for f in found
            if f is not primary and f.confidence >= _HOLDS and (f.confidence > _HOLDS or primary.confidence <= _HOLDS)
        ]
    also = list(
        dict.fromkeys(f.cause for f in sorted(others, key=lambda f: _RANK[f.cause]) if f.cause != primary.cause)
    )
    evidence: dict[tuple[str, str], Evidence] = {}
    for item in (*primary.evidence, *(e for f in others for e in f.evidence)):
        evidence.setdefault((item.source, item.fact), item)
    notes = [*CAUSES[primary.cause].developer_notes, *primary.developer_notes]
    for cause in also:
        notes += CAUSES[cause].developer_notes
    return Diagnosis(
        cause=primary.cause,
        confidence=round(primary.confidence, 2),
        title=CAUSES[primary.cause].title,
        summary=primary.summary,
        evidence=list(evidence.values()),
        also=also,
        fixes=_fixes(primary, also, exchange),
        developer_notes=list(dict.fromkeys(notes)),
    )
