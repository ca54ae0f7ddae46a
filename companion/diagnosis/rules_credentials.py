"""Rules about what the Authorization-like headers carried: nothing, the wrong thing, a
broken thing, or something the server (or a proxy) refused."""

from __future__ import annotations

from companion.net.challenge import Challenge

from .facts import (
    NEGOTIATE_SCHEMES,
    Finding,
    View,
    challenge_evidence,
    credential_place,
    describe_challenges,
    ev,
    same_family,
    signs_in_by_form,
)
from .models import Credential
from .wording import plural, quote

__all__ = [
    "digest_stale_nonce",
    "invalid_api_key",
    "invalid_credentials",
    "malformed_authorization",
    "negotiate_failed",
    "proxy_auth_required",
    "scheme_mismatch",
]

# Credential.problems codes (models.py, authorization.py) in words, most serious first.
_PROBLEM_WORDS = {
    "no_scheme": 'has no scheme (a bare token where "<Scheme> <token>" belongs)',
    "empty_credentials": "is empty after the scheme",
    "placeholder_token": 'carries a placeholder instead of a token ("undefined", "null" …)',
    "doubled_scheme": 'repeats the scheme ("Bearer Bearer …")',
    "not_base64": "has a Basic payload that is not base64",
    "no_colon": 'has a Basic payload without the ":" between user name and password',
    "surrounding_quotes": "is wrapped in quotes",
    "newline": "contains a line break",
    "whitespace": "has stray whitespace",
    "not_utf8": "has a Basic payload that is not UTF-8",
}
# Servers decode Latin-1 Basic payloads happily, so that alone is not "broken".
_HARMLESS_ALONE = frozenset({"not_utf8"})


def _password_words(cred: Credential) -> str:
    user = f'user "{cred.username}"' if cred.username else "an empty user name"
    if cred.password_length is None:
        return user
    if cred.password_length == 0:
        return f"{user} with an empty password"
    return f"{user} (a {cred.password_length}-character password)"


def invalid_credentials(view: View) -> Finding | None:
    cred = view.authorization
    if view.status != 401:
        return None
    if not view.exchange.request.credentials:
        return _form_sign_in(view)
    if cred is None or cred.scheme is None:
        return None
    scheme = cred.scheme.lower()
    if scheme not in {"basic", "digest"} or set(cred.problems) - _HARMLESS_ALONE:
        return None
    if view.kind(cred) == "api_key":
        return None  # an API key in the Basic pair (Stripe, Mailgun): invalid_api_key
    if view.said.nothing_sent or view.reason_given or view.wrong_scheme_for(cred):
        return None  # nothing arrived, a reason of its own (a second factor …), or another scheme asked for
    challenge = view.challenges.find(scheme)
    accepted = view.form is not None and scheme in view.form.also_accepts
    if view.challenges and challenge is None and not accepted:
        return None  # the server does not offer this scheme: scheme_mismatch says so
    if challenge is not None and (challenge.param("stale") or "").lower() == "true":
        return None  # the password was right; digest_stale_nonce
    evidence = [ev(cred.source, f"{cred.scheme} credentials for {_password_words(cred)}"), *challenge_evidence(view)]
    again = view.exchange.context.recent_401s_same_credential
    if again:
        evidence.append(
            ev("context", f"The same credentials were refused {plural(again, 'time')} before within a minute")
        )
    realm = (
        f' (realm "{challenge.param("realm")}": the name of the protected area)'
        if challenge is not None and challenge.param("realm")
        else ""
    )
    tail = f" and asks for {cred.scheme} again{realm}" if challenge is not None else ""
    said = view.said.rejected
    if said:
        evidence += view.quoted(said)
        specific = [text for text in said if text not in view.said.generic]
        tail = f": {quote(specific[0])}" if specific else tail
    summary = f"The server rejected the {cred.scheme} credentials for {_password_words(cred)}{tail}."
    charset = _charset_mismatch(cred, challenge)
    if charset:
        evidence.append(ev(cred.source, charset))
        summary = summary[:-1] + f": {charset[0].lower()}{charset[1:]}"
    return Finding("invalid_credentials", 0.85 if challenge is not None or said else 0.65, summary, tuple(evidence))


def _form_sign_in(view: View) -> Finding | None:
    """A sign-in form or token endpoint refused the credentials its body carried."""
    if not signs_in_by_form(view):
        return None
    said = view.said.rejected
    return Finding(
        "invalid_credentials",
        0.8,
        f"The sign-in sent to {view.exchange.path.partition('?')[0]} was refused: {quote(said[0])}. "
        f"The credentials were in the request's body (a form or a token request).",
        (ev("request.method", "POST, with no credentials in the headers"), *view.quoted(said)),
    )


def _charset_mismatch(cred: Credential, challenge: Challenge | None) -> str | None:
    """RFC 7617 §2.1: a server that asks for charset="UTF-8" gets UTF-8; one that names no
    charset may read the bytes as Latin-1. Non-ASCII characters then no longer match."""
    parts = cred.params.get("non_ascii", "").replace(",", " and ")
    if not parts:
        return "The user name or password is not UTF-8; the server may decode it differently" if "not_utf8" in cred.problems else None
    wanted = (challenge.param("charset") or "").lower() if challenge is not None else ""
    sent = cred.params.get("encoding")
    if wanted == "utf-8" and sent != "utf-8":
        return f'The {parts} has non-ASCII characters sent as Latin-1, but the server asks for charset="UTF-8"'
    if not wanted and sent == "utf-8":
        return (
            f"The {parts} has non-ASCII characters sent as UTF-8, and the server names no charset: "
            "it may read them as Latin-1"
        )
    return None


def malformed_authorization(view: View) -> Finding | None:
    if view.status not in (401, 407):
        return None
    creds = view.exchange.request.credentials if view.status == 401 else view.exchange.request.proxy_credentials
    bare_ok = view.form is not None and view.form.bare_token
    for cred in creds:
        problems = [p for p in _PROBLEM_WORDS if p in cred.problems and not (bare_ok and p == "no_scheme")]
        if not problems or set(problems) <= _HARMLESS_ALONE:
            continue
        words = [_PROBLEM_WORDS[p] for p in problems if p not in _HARMLESS_ALONE]
        said = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
        place = credential_place(cred)
        minor = set(problems) <= {"whitespace", "surrounding_quotes", "not_utf8"}
        return Finding(
            "malformed_authorization",
            0.75 if minor else 0.9,
            f"{place[0].upper()}{place[1:]} is malformed: it {said}.",
            tuple(ev(cred.source, f"{_PROBLEM_WORDS[p][0].upper()}{_PROBLEM_WORDS[p][1:]}") for p in problems),
        )
    return None


def scheme_mismatch(view: View) -> Finding | None:
    cred = view.authorization
    if view.status != 401 or cred is None or not cred.scheme:
        return None
    if view.wrong_scheme_for(cred) and not cred.problems:
        # No challenge to go by, but the server's words say which scheme it wants.
        wanted = " or ".join(sorted(w.capitalize() for w in view.schemes_wanted()))
        said = view.said.wrong_scheme
        return Finding(
            "scheme_mismatch",
            0.8,
            f"The request sent {cred.scheme} credentials, but the server says it wants {wanted}: {quote(said[0])}.",
            (ev(cred.source, f"Credentials sent with the {cred.scheme} scheme"), *view.quoted(said)),
            steps=(f"Send the credentials with the {wanted} scheme the server asks for.",),
        )
    if not view.challenges:
        return None
    sent = cred.scheme.lower()
    offered = view.challenges.schemes
    if any(same_family(sent, scheme) for scheme in offered):
        return None
    if view.form is not None and sent in view.form.also_accepts:
        return None  # the server takes this scheme although it advertises another
    if "otp" in offered:
        return None  # a one-time password asked for on top: step_up_required
    evidence = [ev(cred.source, f"Credentials sent with the {cred.scheme} scheme"), *challenge_evidence(view)]
    last = view.exchange.context.last_success_scheme
    if last:
        evidence.append(ev("context", f"The site last accepted the {last} scheme"))
    names = " or ".join(c.scheme for c in {c.scheme_lower: c for c in view.challenges}.values())
    # Some servers advertise one scheme and accept several: when their words say the credential
    # itself was wrong, the challenge proves no mismatch.
    judged = [t for t in view.said.rejected if t not in view.said.generic] or view.said.expired
    confidence = 0.45 if judged else 0.6 if view.challenges.malformed else 0.8
    return Finding(
        "scheme_mismatch",
        confidence,
        f"The request sent {cred.scheme} credentials, but the server only offers {names}.",
        tuple(evidence),
        steps=(f"Send the credentials with the {names} scheme the server offers.",),
    )


def invalid_api_key(view: View) -> Finding | None:
    said = view.said
    if view.status != 401 or (said.nothing_sent and not said.refused) or view.reason_given:
        return None
    creds = view.exchange.request.credentials
    keys = [c for c in creds if view.kind(c) == "api_key" and not set(c.problems) - _HARMLESS_ALONE]
    names_key = "key" in said.names
    if not keys and names_key and said.rejected:
        # "Invalid API key" for a credential that is no password or Windows sign-in: the
        # server's word says what it was.
        keys = [c for c in creds if view.kind(c) in {"token", "api_key"} and not c.problems]
    if not keys:
        return None
    key = keys[0]
    place = credential_place(key)
    evidence = [ev(key.source, f"A {key.length}-character API key in {place}")]
    prefix = key.params.get("key_prefix")
    if prefix:
        evidence.append(ev(key.source, f"Its prefix “{prefix}” is the documented form of an API key"))
    elif view.form is not None and view.form.bearer_is_api_key and key.source == "request.authorization":
        evidence.append(ev("documentation", f"{view.form.name} takes its API key in the Authorization header"))
    refused = said.rejected
    if refused:
        specific = names_key or any(text not in said.generic for text in refused)
        return Finding(
            "invalid_api_key",
            0.9 if specific else 0.75,
            f"The server rejected the {key.length}-character API key sent in {place}: {quote(refused[0])}.",
            (*evidence, *view.quoted(refused)),
        )
    if key.source == "request.authorization":
        # A key in the Authorization header, refused without a word: likely, not certain.
        return Finding(
            "invalid_api_key",
            0.45,
            f"The server refused the request that carried a {key.length}-character API key in {place}, without saying why.",
            tuple(evidence),
        )
    return Finding(
        "invalid_api_key",
        0.75,
        f"The server rejected the {key.length}-character API key sent in {place}.",
        tuple(evidence),
    )


def proxy_auth_required(view: View) -> Finding | None:
    if view.status != 407:
        return None
    exchange = view.exchange
    sent = exchange.request.proxy_credentials
    challenges = view.proxy_challenges
    asks = describe_challenges(challenges) if challenges else ""
    evidence = [ev("response.proxy-authenticate", asks if challenges else "No Proxy-Authenticate header")]
    if sent:
        cred = sent[0]
        who = f' for user "{cred.username}"' if cred.username else ""
        evidence.insert(0, ev(cred.source, f"{cred.scheme or 'Unnamed'} proxy credentials{who} were sent"))
        scheme = f"{cred.scheme} " if cred.scheme else ""
        summary = f"The proxy rejected the {scheme}proxy credentials{who}"
        summary += f" and asks again for {asks}." if asks else "."
    else:
        evidence.insert(0, ev("request.proxy-authorization", "No Proxy-Authorization header"))
        summary = (
            f"A proxy between the browser and {exchange.host} asks for sign-in ({asks}) and the request carried none."
            if asks
            else f"A proxy between the browser and {exchange.host} answered 407 without saying how to sign in."
        )
    return Finding("proxy_auth_required", 0.95, summary, tuple(evidence))


def negotiate_failed(view: View) -> Finding | None:
    if view.status != 401:
        return None
    offered = [c for c in view.challenges if c.scheme_lower in NEGOTIATE_SCHEMES]
    if not offered:
        return None
    cred = view.authorization
    names = " or ".join(dict.fromkeys(c.scheme for c in offered))
    evidence = [ev("response.www-authenticate", describe_challenges(offered))]
    loops = view.exchange.context.recent_401s_same_request
    if cred is not None and (cred.scheme or "").lower() in NEGOTIATE_SCHEMES:
        evidence.insert(0, ev(cred.source, f"A {cred.length}-character {cred.scheme} token was sent"))
        if any(c.token68 for c in offered) and loops < 2:
            # A continuation token is the normal middle of an NTLM/SPNEGO handshake.
            return Finding(
                "negotiate_failed",
                0.5,
                f"The {cred.scheme} handshake is still under way (the server answered with a "
                f"continuation token); it failed only if the page stays refused.",
                tuple(evidence),
            )
        return Finding(
            "negotiate_failed",
            0.85,
            f"The server refused the {cred.length}-character {cred.scheme} token and asks for {names} again.",
            tuple(evidence),
        )
    if cred is not None or len(offered) < len(view.challenges):
        return None  # other credentials, or other schemes on offer: not a Windows sign-in problem
    evidence.insert(0, ev("request.authorization", "No Authorization header"))
    first_leg = loops == 0
    return Finding(
        "negotiate_failed",
        0.45 if first_leg else 0.8,
        f"The server only offers Windows sign-in ({names}) and the browser sent no token"
        + (": normal as a first step, a failure if the page stays refused." if first_leg else " even after retrying."),
        tuple(evidence),
    )


def digest_stale_nonce(view: View) -> Finding | None:
    if view.status != 401:
        return None
    digest = next(
        (c for c in view.challenges if c.scheme_lower == "digest" and (c.param("stale") or "").lower() == "true"),
        None,
    )
    if digest is None:
        return None
    cred = view.authorization
    sent_digest = cred is not None and (cred.scheme or "").lower() == "digest"
    who = f' for user "{cred.username}"' if sent_digest and cred and cred.username else ""
    evidence = [ev("response.www-authenticate", "Digest challenge with stale=true")]
    if sent_digest and cred is not None:
        evidence.insert(0, ev(cred.source, f"Digest credentials{who} were sent"))
    return Finding(
        "digest_stale_nonce",
        0.9 if sent_digest else 0.7,
        f"The server refused the Digest response{who} only because its nonce was stale "
        f"(stale=true): the password was right, a retry with the new nonce should work.",
        tuple(evidence),
    )
