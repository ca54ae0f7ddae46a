"""Rules where the server (or the pattern of requests) is at fault rather than what was sent:
a 401 without a challenge, a refused CORS preflight, a network block, a retry loop."""

from __future__ import annotations

from .facts import Finding, View, ev
from .wording import quote

__all__ = ["auth_loop", "cors_preflight_rejected", "ip_blocked", "missing_challenge"]

def missing_challenge(view: View) -> Finding | None:
    if view.status != 401:
        return None
    lines = [line for line in view.exchange.response.www_authenticate if line.strip()]
    if lines and view.challenges:
        return None
    body = view.exchange.response.body_error
    evidence = [
        ev("response.www-authenticate", "No WWW-Authenticate header" if not lines else f"Unreadable: {quote(lines[0])}")
    ]
    if body is not None and (body.code or body.message):
        evidence.append(ev("response.body", " / ".join(x for x in (body.code, body.message) if x)))
    if lines:
        return Finding(
            "missing_challenge",
            0.7,
            "The 401's WWW-Authenticate header holds no challenge that can be read, so no "
            "client can tell how to sign in (RFC 9110 §11.6.1).",
            tuple(evidence),
        )
    return Finding(
        "missing_challenge",
        0.9,
        "The 401 has no WWW-Authenticate header, which RFC 9110 §15.5.2 requires, so it does not say how to sign in.",
        tuple(evidence),
    )


def cors_preflight_rejected(view: View) -> Finding | None:
    exchange = view.exchange
    wanted = exchange.request.access_control_request_method
    if view.status != 401 or exchange.method.upper() != "OPTIONS" or not wanted:
        return None
    caller = exchange.request.origin or exchange.initiator
    origin = f" from {caller}" if caller else ""
    evidence = [
        ev("request.method", "OPTIONS"),
        ev("request.access-control-request-method", wanted),
    ]
    if caller:
        evidence.append(ev("request.origin", caller))
    return Finding(
        "cors_preflight_rejected",
        0.95,
        f"The CORS preflight (OPTIONS for a {wanted}{origin}) got 401, but browsers never "
        f"send credentials on a preflight, so the {wanted} itself was never sent.",
        tuple(evidence),
    )


def ip_blocked(view: View) -> Finding | None:
    if view.status != 401:
        return None
    said = [t for t in view.server_texts if t.text in view.said.network]
    if not said:
        return None
    return Finding(
        "ip_blocked",
        0.75,
        f"The server refuses this network, whatever the credentials: {quote(said[0].text)}.",
        tuple(ev(t.source, f"{t.label}: {quote(t.text)}") for t in said),
    )


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def auth_loop(view: View) -> Finding | None:
    context = view.exchange.context
    earlier = context.recent_401s_same_request
    if earlier < 2:
        return None
    exchange = view.exchange
    same = context.recent_401s_same_credential
    # Without credentials every request has the same (empty) fingerprint: nothing to say.
    sent = exchange.request.credentials or exchange.request.proxy_credentials
    with_same = f" ({same} of the earlier ones with the same credential)" if same and sent else ""
    return Finding(
        "auth_loop",
        0.8,
        # The path without its query: a query may hold secrets the URL field has redacted.
        f"This is the {_ordinal(earlier + 1)} {view.status} for {exchange.method} "
        f"{exchange.host}{exchange.path.partition('?')[0]} within a minute{with_same}: something retries in a loop.",
        (ev("context", f"{earlier} earlier {view.status}s for the same method and URL within a minute"),),
    )
