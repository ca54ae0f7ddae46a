"""Rules about credentials that never reached the server as sent: none at all (or only
cookies that sign nobody in), sent where the server does not read them, dropped on the way,
or lost on a redirect."""

from __future__ import annotations

from .facts import (
    NEGOTIATE_SCHEMES,
    Finding,
    View,
    asks_for,
    challenge_evidence,
    credential_place,
    ev,
    same_family,
    signs_in_by_form,
)
from .models import Credential
from .wording import quote

__all__ = ["credentials_stripped", "missing_credentials", "redirect_dropped_credentials"]


def _missing_confidence(view: View) -> float:
    if not view.challenges:
        return 0.8
    # Windows sign-in starts with exactly this 401; negotiate_failed explains it better.
    if all(scheme in NEGOTIATE_SCHEMES for scheme in view.challenges.schemes):
        return 0.7
    return 0.9


def missing_credentials(view: View) -> Finding | None:
    request = view.exchange.request
    if view.status != 401:
        return None
    if request.access_control_request_method and view.exchange.method.upper() == "OPTIONS":
        return None  # a preflight never carries credentials; cors_preflight_rejected says why
    if request.credentials:
        return _credential_not_read(view)
    if view.credential_cookies() or signs_in_by_form(view):
        return None
    others = view.other_cookies()
    cookies = "no cookies"
    cookie_fact = "No Cookie header"
    if others:
        listed = ", ".join(f"{name} ({category})" for name, category in others[:4])
        listed += f" and {len(others) - 4} more" if len(others) > 4 else ""
        cookies = f"only cookies that sign nobody in ({listed})"
        cookie_fact = f"Only cookies that are not credentials: {listed}"
    evidence = [
        ev("request.authorization", "No Authorization header"),
        ev("request.cookie", cookie_fact),
        ev("request.headers", "No API-key header or query parameter"),
        *challenge_evidence(view),
        *view.quoted(view.said.nothing_sent),
    ]
    return Finding(
        "missing_credentials",
        0.9 if view.said.nothing_sent else _missing_confidence(view),
        f"The request carried no Authorization header, {cookies} and no API key, and {asks_for(view)}.",
        tuple(evidence),
    )


def _credential_not_read(view: View) -> Finding | None:
    """Credentials were sent, and the server says none arrived, because they were not where
    (or not what) it reads: a misspelled or vendor header, or a token where it wants a key."""
    said = view.said
    if not said.nothing_sent or said.refused:
        return None
    creds = view.exchange.request.credentials
    authorization = view.authorization
    wants_key = "key" in said.names and "token" not in said.names
    if authorization is not None and not (wants_key and view.kind(authorization) != "api_key"):
        return None  # an Authorization header the server should have read: credentials_stripped
    cred = authorization or creds[0]
    place = credential_place(cred)
    near = _misspelled_authorization(cred)
    why = (
        f"{place} looks like a misspelling of Authorization, which the server reads"
        if near
        else f"the server wants an API key and {place} carried a {view.kind(cred).replace('_', ' ')}"
        if wants_key and cred is authorization
        else f"the server does not read {place}"
    )
    return Finding(
        "missing_credentials",
        0.8,
        f"The server says no credentials arrived: {why}.",
        (ev(cred.source, f"A {cred.length}-character credential in {place}"), *view.quoted(said.nothing_sent)),
    )


def _misspelled_authorization(cred: Credential) -> bool:
    name = cred.source.removeprefix("request.header.")
    if name == cred.source or name == "authorization":
        return False
    # Same letters, a few swapped or dropped: "authoriaztion", "authorisation", "autorization".
    return len(name) in range(11, 16) and name[:2] == "au" and _distance(name, "authorization") <= 2


def _distance(a: str, b: str) -> int:
    """Edit distance with transpositions (optimal string alignment), for short names."""
    rows = [list(range(len(b) + 1))]
    for i, ca in enumerate(a, 1):
        row = [i]
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            value = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, rows[-2][j - 2] + 1)
            row.append(value)
        rows.append(row)
    return rows[-1][-1]


def credentials_stripped(view: View) -> Finding | None:
    """The Authorization header left the browser, and the server says nothing arrived."""
    cred = view.authorization
    said = view.said
    if view.status != 401 or cred is None or not said.nothing_sent or cred.problems or view.wrong_scheme_for(cred):
        return None  # a broken header, or another scheme asked for: nothing was dropped
    wants_key = "key" in said.names and "token" not in said.names
    if wants_key and view.kind(cred) != "api_key":
        return None  # a token where the server wants a key: missing_credentials says so
    scheme = (cred.scheme or "").lower()
    if view.challenges and not any(same_family(scheme, offered) for offered in view.challenges.schemes):
        return None  # a scheme the server does not take: scheme_mismatch
    offered = view.challenges.find(scheme) if scheme else None
    evidence = [
        ev(cred.source, f"{cred.scheme or 'A'} credentials ({cred.length} characters) left the browser"),
        *view.quoted(said.nothing_sent),
    ]
    if offered is not None:
        evidence.append(ev("response.www-authenticate", f"The server asks for {offered.scheme}, the scheme that was sent"))
    return Finding(
        "credentials_stripped",
        0.85 if offered is not None else 0.75,
        f"The request carried {cred.scheme or 'an'} Authorization header, but the server says no "
        f"credentials arrived: {quote(said.nothing_sent[0])}. Something on the way dropped the header.",
        tuple(evidence),
    )




def redirect_dropped_credentials(view: View) -> Finding | None:
    """The request before this one carried credentials and was redirected here; this one
    carries none of them (browsers and HTTP clients drop Authorization across origins)."""
    redirect = view.exchange.context.redirect
    if view.status != 401 or redirect is None or view.authorization is not None:
        return None
    if redirect.cross_origin:
        how = "to another origin, where clients do not send the Authorization header"
    else:
        how = "and the client did not send the Authorization header again"
    scheme = f"{redirect.scheme} " if redirect.scheme else ""
    return Finding(
        "redirect_dropped_credentials",
        0.9,
        f"The request to {redirect.from_url} carried {scheme}credentials and was redirected "
        f"({redirect.status}) here {how}: this request went without them.",
        (
            ev("context", f"{redirect.status} redirect from {redirect.from_url}, whose request carried {scheme}credentials"),
            ev("request.authorization", "No Authorization header on the request that followed the redirect"),
        ),
    )
