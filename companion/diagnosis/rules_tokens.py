"""Rules about bearer tokens: expiry, clock skew, RFC 6750 errors and RFC 9470 step-up."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from .facts import Finding, ServerText, View, claim_time, credential_place, ev
from .models import Credential, Evidence
from .wording import aware, fmt_clock, fmt_span, quote
from .words import says_expired

__all__ = [
    "expired_token",
    "insufficient_scope",
    "invalid_token",
    "step_up_required",
    "token_not_yet_valid",
]

_SESSION = re.compile(r"session", re.IGNORECASE)
_TOKENISH = re.compile(r"token|jwt|bearer|access|credential", re.IGNORECASE)
# What a token's claims mean, in words a person knows (the claim's name follows in brackets).
_CLAIM_WORDS = {
    "exp": "expiry time", "nbf": "start time", "iat": "issue time", "aud": "audience (the service it is for)",
    "iss": "issuer (who made it)",
}  # fmt: skip
_STEP_UP_ERRORS = frozenset({"insufficient_user_authentication", "insufficient_claims"})
# RFC 9470 max_age: seconds as ASCII digits (str.isdigit would take "²"); past ten digits
# (three centuries) no sign-in is meant, and timedelta could overflow.
_MAX_AGE = re.compile(r"[0-9]{1,10}")


def _kind(cred: Credential) -> str:
    scheme = (cred.scheme or "").lower()
    if cred.source.startswith("request.cookie."):
        return f"token in the cookie “{cred.source.removeprefix('request.cookie.')}”"
    if cred.source != "request.authorization" and not cred.jwt:
        return "token"
    return "bearer token" if scheme in {"bearer", ""} else f"{cred.scheme} token"


def _expiry_texts(view: View) -> list[ServerText]:
    # A message about the session alone belongs to expired_session, unless it names a token.
    return [
        t
        for t in view.server_texts
        if says_expired(t.text) and (not _SESSION.search(t.text) or _TOKENISH.search(t.text))
    ]


def _jwt_times(view: View, claim: str) -> list[tuple[Credential, datetime]]:
    found = []
    for cred in view.token_credentials():
        if cred.jwt is not None:
            moment = claim_time(cred.jwt.claims, claim)
            if moment is not None:
                found.append((cred, moment))
    return found


def _date_evidence(view: View) -> list[Evidence]:
    response = view.exchange.response
    if view.now_source == "response.date":
        return [ev("response.date", f"Date: {response.date_raw or fmt_clock(view.now)}")]
    arrived = f"the response arrived at {fmt_clock(view.now)} (local clock)"
    if response.date_raw:  # sent, but unreadable or no time a clock shows (the year 9999)
        return [ev("response.received", f"No usable Date header ({quote(response.date_raw)}); {arrived}")]
    return [ev("response.received", f"No Date header; {arrived}")]


def _clock_skew_evidence(view: View) -> list[Evidence]:
    """The local clock against the server's, when they differ by more than a minute."""
    response = view.exchange.response
    if view.now_source != "response.date":
        return []
    skew = aware(response.received) - view.now
    if abs(skew) < timedelta(minutes=1):
        return []
    direction = "ahead of" if skew > timedelta(0) else "behind"
    return [ev("response.received", f"This computer's clock is {fmt_span(skew)} {direction} the server's Date")]


def expired_token(view: View) -> Finding | None:
    if view.status != 401:
        return None
    texts = _expiry_texts(view)
    text_evidence = [ev(t.source, f"{t.label}: {quote(t.text)}") for t in texts]
    for cred, exp in _jwt_times(view, "exp"):
        if exp <= view.now:
            late = view.now - exp
            return Finding(
                "expired_token",
                0.95 if view.now_source == "response.date" else 0.85,
                f"The {_kind(cred)}'s expiry time ({fmt_clock(exp, view.now)}) is {fmt_span(late)} before {view.now_label}.",
                (
                    ev(cred.source, f"{_kind(cred).capitalize()} (JWT) with expiry time (exp) {fmt_clock(exp)}"),
                    *_date_evidence(view),
                    *text_evidence,
                    *_clock_skew_evidence(view),
                ),
            )
    sent = [c for c in view.exchange.request.credentials if view.kind(c) in {"token", "api_key"}]
    tokens = view.token_credentials() or sent
    if texts and tokens:
        said = texts[0]
        what = _kind(tokens[0]) if view.kind(tokens[0]) == "token" else "API key"
        evidence = [ev(tokens[0].source, f"A {tokens[0].length}-character {what} was sent in {credential_place(tokens[0])}"), *text_evidence]
        summary = f"The server says the {what} expired: {quote(said.text)}."
        confidence = 0.85
        for cred, exp in _jwt_times(view, "exp"):
            # The server's word stands, but a token that is not past exp means clocks or
            # lifetimes disagree: say so, and be less sure.
            evidence.append(ev(cred.source, f"Its expiry time (exp, {fmt_clock(exp)}) is still {fmt_span(exp - view.now)} ahead"))
            confidence = 0.7
        return Finding("expired_token", confidence, summary, (*evidence, *_clock_skew_evidence(view)))
    return None


def token_not_yet_valid(view: View) -> Finding | None:
    if view.status != 401:
        return None
    for claim, confidence, leeway in (("nbf", 0.9, timedelta(0)), ("iat", 0.8, timedelta(seconds=5))):
        for cred, start in _jwt_times(view, claim):
            if start > view.now + leeway:
                if view.now_source == "response.date":
                    cause = "the token issuer's clock is ahead of the server's"
                else:
                    confidence -= 0.15
                    cause = "clocks disagree"
                return Finding(
                    "token_not_yet_valid",
                    confidence,
                    f"The {_kind(cred)}'s {_CLAIM_WORDS[claim]} ({claim}, {fmt_clock(start, view.now)}) is "
                    f"{fmt_span(start - view.now)} after {view.now_label}: {cause}.",
                    (
                        ev(cred.source, f"{_kind(cred).capitalize()} (JWT) with {_CLAIM_WORDS[claim]} ({claim}) {fmt_clock(start)}"),
                        *_date_evidence(view),
                        *_clock_skew_evidence(view),
                    ),
                )
    return None


def invalid_token(view: View) -> Finding | None:
    if view.status != 401:
        return None
    tokens = [c for c in view.token_credentials() if view.kind(c) == "token"]
    oauth = view.oauth_error()
    body = view.exchange.response.body_error
    code_says = oauth is not None and oauth[0] == "invalid_token"
    body_says = body is not None and (body.code or "").lower() == "invalid_token"
    if not tokens or _expiry_texts(view) or view.reason_given:
        return None
    if any(exp <= view.now for _, exp in _jwt_times(view, "exp")):
        return None  # an expired JWT: that is expired_token's finding
    token = tokens[0]
    bare_ok = view.form is not None and view.form.bare_token
    if set(token.problems) - ({"no_scheme"} if bare_ok else set()) or token_not_yet_valid(view) is not None:
        return None  # a broken header or a not-yet-valid token explains the refusal better
    evidence = [
        ev(
            token.source,
            f"A {token.length}-character {_kind(token)}" + (" (JWT)" if token.jwt else " (opaque, not a JWT)"),
        )
    ]
    evidence += [ev(t.source, f"{t.label}: {quote(t.text)}") for t in view.server_texts]
    for cred, exp in _jwt_times(view, "exp"):
        evidence.append(
            ev(
                cred.source,
                f"Its expiry time (exp, {fmt_clock(exp)}) is {fmt_span(exp - view.now)} after {view.now_label}: not expired",
            )
        )
    if token.jwt is not None:
        for claim in ("aud", "iss"):
            if claim in token.jwt.claims:
                evidence.append(ev(token.source, f"Its {_CLAIM_WORDS[claim]} ({claim}) is {token.jwt.claims[claim]!r}"))
    if code_says or body_says:
        description = oauth[1].param("error_description") if oauth else None
        why = f" ({quote(description)})" if description else ""
        return Finding(
            "invalid_token",
            0.85,
            f"The server rejected the {token.length}-character {_kind(token)} with "
            f'error="invalid_token"{why}, and nothing says it expired.',
            tuple(evidence),
        )
    said = view.said
    refused = said.rejected
    if refused and not said.nothing_sent and not ("key" in said.names and "token" not in said.names):
        specific = [text for text in refused if text not in said.generic]
        scheme = (token.scheme or "bearer").lower()
        accepted = view.challenges.find(scheme) is not None or (view.form is not None and scheme in view.form.also_accepts)
        if not specific and view.challenges and not accepted:
            return None  # a bare "no" to a scheme the server does not offer: scheme_mismatch
        return Finding(
            "invalid_token",
            0.85 if specific else 0.7,
            f"The server rejected the {token.length}-character {_kind(token)}: {quote((specific or refused)[0])}, "
            f"and nothing says it expired.",
            tuple(evidence),
        )
    bearer = view.challenges.find(token.scheme or "bearer")
    if bearer is not None and oauth is None and token.source == "request.authorization":
        # RFC 6750 §3.1 wants an error code when a token was sent; without one the refusal
        # is most likely of the token, but the server did not say so: a guess, not a cause.
        return Finding(
            "invalid_token",
            0.45,
            f"The server refused the {token.length}-character {_kind(token)} and challenged "
            f"{bearer.scheme} again without an error code, so it did not say why.",
            tuple(evidence),
        )
    return None


def insufficient_scope(view: View) -> Finding | None:
    oauth = view.oauth_error()
    body = view.exchange.response.body_error
    if view.status != 401:
        return None
    if oauth is not None and oauth[0] == "insufficient_scope":
        scope = oauth[1].param("scope")
        evidence = [
            ev("response.www-authenticate", 'error="insufficient_scope"' + (f', scope="{scope}"' if scope else ""))
        ]
    elif body is not None and (body.code or "").lower() == "insufficient_scope":
        scope = None
        evidence = [ev("response.body", f"code: {quote(body.code or '')}")]
    elif view.said.scope:
        scope = None
        evidence = view.quoted(view.said.scope)
    else:
        return None
    has = ""
    for cred in view.token_credentials():
        if cred.jwt is not None:
            granted = cred.jwt.claims.get("scope", cred.jwt.claims.get("scp"))
            shown = _scope_words(granted)
            if shown is not None:
                evidence.append(ev(cred.source, f"The token's scope claim is {granted!r}"))
                has = f"; the token only has {quote(shown)}" if shown.strip() else "; the token has no scope at all"
    needs = f" (it needs {quote(scope)}{has})" if scope else f" ({has.removeprefix('; ')})" if has else ""
    return Finding(
        "insufficient_scope",
        0.9,
        f"The server says the token lacks the scope (permission) this request needs{needs}: "
        f"the app must ask for it when you sign in.",
        tuple(evidence),
    )


def _scope_words(granted: Any) -> str | None:
    """A scope claim as the words it grants: a space-separated string (RFC 8693 `scope`) or a
    list of strings (Azure's `scp`, Okta's); None when it is neither (`[1, 2]`, an object), as
    if absent. What is not a string in a list is not a scope."""
    if isinstance(granted, str):
        return granted
    if not isinstance(granted, list):
        return None
    words = [item for item in granted if isinstance(item, str)]
    return " ".join(words) if words or not granted else None


def _step_up_summary(challenge_params: dict[str, str], wanted: list[str], token_facts: list[str]) -> str:
    """What the server wants, in words a person knows, with its parameters in brackets."""
    stronger = "acr_values" in challenge_params
    max_age = challenge_params.get("max_age", "").strip()
    fresh = f"at most {fmt_span(timedelta(seconds=int(max_age)))} old" if _MAX_AGE.fullmatch(max_age) else ""
    if stronger and fresh:
        how = f"a stronger, fresh sign-in (such as a second factor, {fresh})"
    elif stronger:
        how = "a stronger sign-in, such as a second factor,"
    elif fresh:
        how = f"a fresh sign-in, {fresh},"
    else:
        how = "a stronger or more recent sign-in"
    facts = f"; {', and '.join(token_facts)}" if token_facts else ""
    return f"The server wants {how} before it answers ({', '.join(wanted)}){facts}."


def step_up_required(view: View) -> Finding | None:
    if view.status != 401:
        return None
    oauth = view.oauth_error()
    params: dict[str, str] = {}
    for candidate in view.challenges:
        params = {n: v for n in ("acr_values", "max_age") if (v := candidate.param(n))}
        if params:
            break
    wanted = [f'{name}="{value}"' for name, value in params.items()]
    is_error = oauth is not None and oauth[0] in _STEP_UP_ERRORS
    claims = next((c for c in view.challenges if c.param("claims")), None)
    otp = view.challenges.find("otp")
    words = [t for t in view.server_texts if t.text in view.said.step_up and t.label != "error"]
    if not (is_error or wanted or words or claims or otp):
        return None
    evidence = []
    if is_error and oauth is not None:
        evidence.append(ev("response.www-authenticate", f'error="{oauth[0]}"'))
    if claims is not None:
        evidence.append(ev("response.www-authenticate", "A claims challenge: the token must be fetched again with more proof of sign-in (conditional access)"))
        wanted.append("a claims challenge")
    if otp is not None:
        evidence.append(ev("response.www-authenticate", "The server asks for a one-time password (OTP)"))
        wanted.append("a one-time password")
    if wanted:
        evidence.append(ev("response.www-authenticate", ", ".join(wanted)))
    evidence += [ev(t.source, f"{t.label}: {quote(t.text)}") for t in words]
    token_facts = []
    for cred in view.token_credentials():
        if cred.jwt is not None:
            if "acr" in cred.jwt.claims:
                evidence.append(ev(cred.source, f"The token's sign-in level (acr) is {cred.jwt.claims['acr']!r}"))
                if "acr_values" in params:
                    token_facts.append(f"this token's sign-in level is {quote(str(cred.jwt.claims['acr']))}")
            auth_time = claim_time(cred.jwt.claims, "auth_time")
            if auth_time is not None:
                ago = fmt_span(view.now - auth_time)
                evidence.append(ev(cred.source, f"The token's sign-in time (auth_time) is {ago} before {view.now_label}"))
                if "max_age" in params:
                    token_facts.append(f"this token's sign-in was {ago} before {view.now_label}")
            break
    if not wanted:
        wanted = [f'error="{oauth[0]}"'] if is_error and oauth is not None else [quote(words[0].text)]
    confidence = 0.9 if is_error or otp is not None else 0.8 if params else 0.75
    if claims is not None and not is_error and oauth is not None:
        # A claims challenge beside another error (error="invalid_token": "session revoked"):
        # the token is refused first; fetching a new one answers the claims too.
        confidence = 0.55
    return Finding(
        "step_up_required",
        confidence,
        _step_up_summary(params, wanted, token_facts),
        tuple(evidence),
    )
