"""Secrets planted in every place a request carries them, and echoed back by the server in
every way servers do: none may leave the addon (DESIGN.md, "Secrets": a value is a secret
unless shown otherwise; what the server echoes of the request is masked by matching).

These are the twenty places an attack run found kept (issue 9), each with secrets of every
shape hypothesis can think of."""

from __future__ import annotations

import base64
import json
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mitmproxy.http import Headers, Response
from mitmproxy.test import tflow

from companion.capture import Companion
from companion.capture.credentials import scheme_of

# Letters and digits (a path segment is only known to be a key by its look: a key mixes them,
# while a run of digits is an id, a snowflake or an order number, and stays readable;
# keys of lowercase letters alone are measured in test_redact.py), 10 characters at least so
# that a secret cannot also be an ordinary word of the exchange.
secrets_ = st.text(string.ascii_letters + string.digits + "-_", min_size=10, max_size=40).filter(
    lambda s: any(c.isdigit() for c in s) and any(c.isalpha() for c in s) and s.strip("-_") == s
)
any_secret = st.text(string.ascii_letters + string.digits + "-_.~!$*", min_size=10, max_size=40).filter(
    lambda s: len(set(s)) >= 4
)


def planted_flow(s: dict[str, str]):
    basic = base64.b64encode(f"alice:{s['password']}".encode()).decode()
    digest = (
        f'Digest username="alice", realm="r", nonce="abc", uri="/", response="{s["digest_response"]}", '
        f'cnonce="{s["cnonce"]}", qop=auth, nc=00000001'
    )
    request_headers = [
        ("Authorization", f"Basic {basic}"),
        ("Authorization", f"Bearer {s['bearer']}"),
        ("Authorization", f"{s['word1']} {s['word2']}"),  # no known scheme: both words are secrets
        ("Proxy-Authorization", digest),
        ("Cookie", f"{s['nameless']}; sid={s['sid']}; theme={s['harmless']}"),
        ("X-Partner-Plain", s["neutral"]),
    ]
    echo = {
        "error": "invalid_request",
        "password": s["password"],
        "api_key": s["query_key"],
        "message": (
            f"user alice:{s['password']} refused; token {s['bearer']} for {s['word2']}; cookie {s['harmless']} "
            f"and {s['nameless']}; pw={s['password']}; 'secret': '{s['neutral']}'; key: {s['path_key']}; "
            f"cnonce {s['cnonce']} response {s['digest_response']} word {s['word1']}"
        ),
    }
    response_headers = [
        ("WWW-Authenticate", f'Bearer error="invalid_token", error_description="token {s["bearer"]} was revoked"'),
        ("Set-Cookie", s["set_cookie_bare"]),  # a Set-Cookie without "=": all of it a value
        ("Set-Cookie", f"sid={s['set_cookie']}; Path=/; HttpOnly"),
        ("X-Echo", s["sid"]),
        ("Content-Type", "application/json"),
    ]
    flow = tflow.tflow(resp=True)
    flow.request.path = f"/r/{s['path_key']}/go?api_key={s['query_key']}&page=2"
    flow.request.headers = Headers([(n.encode(), v.encode()) for n, v in request_headers])
    flow.response = Response.make(401, json.dumps(echo).encode(), [(n.encode(), v.encode()) for n, v in response_headers])
    return flow


PLACES = {
    "password": any_secret, "bearer": secrets_, "word1": any_secret, "word2": any_secret,
    "digest_response": secrets_, "cnonce": secrets_, "nameless": any_secret, "sid": any_secret,
    "harmless": any_secret, "neutral": any_secret, "path_key": secrets_.filter(lambda s: len(s) >= 20 and sum(c.isalpha() for c in s) >= 2 and sum(c.isdigit() for c in s) >= 2), "query_key": any_secret,
    "set_cookie_bare": st.text(string.ascii_letters + string.digits, min_size=10, max_size=40).filter(lambda s: len(set(s)) >= 4),
    "set_cookie": any_secret,
}  # fmt: skip


# What any capture holds whatever was planted (field names, the test flow's host, times): a
# generated "secret" that is a piece of it would be found for no fault of the addon.
_FIXED = {name: f"fixed{n:02d}Q7xZ{n:02d}pLv9{n:02d}" for n, name in enumerate(PLACES)}
_ORDINARY = json.dumps(Companion().capture(planted_flow(_FIXED)), ensure_ascii=False)


def _not_ordinary(planted: dict[str, str]) -> bool:
    """Distinct values, none a piece of any capture, and the first word of `Authorization:
    word word` no scheme the addon knows (a known scheme's name is kept: it is no secret)."""
    return (
        len(set(planted.values())) == len(planted)
        and not any(value in _ORDINARY for value in planted.values())
        and scheme_of(f"{planted['word1']} x") is None
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.fixed_dictionaries(PLACES).filter(_not_ordinary))
def test_no_planted_secret_leaves_the_addon_however_it_is_shaped_or_echoed(planted):
    exchange = json.dumps(Companion().capture(planted_flow(planted)), ensure_ascii=False)
    found = {place: value for place, value in planted.items() if value in exchange}
    assert not found, f"kept: {found}"
