"""The server's own words, read for meaning: real 401 texts from frameworks, identity
providers and APIs (tests/diagnosis/server_words.py, each with its source), and what each
says. The vocabulary in words.py was not written from this list's lines: it is how the
reading is measured."""

from __future__ import annotations

import pytest

from companion.diagnosis.words import Said, read
from tests.diagnosis.server_words import SERVER_WORDS

# Texts whose source means one thing where the words alone say another (or say both): the
# reading here is deliberate, and the rules decide from the rest of the exchange.
READ_OTHERWISE: dict[str, str] = {
    "missing or malformed jwt": "names two reasons at once (Echo's middleware): neither is certain",
    "Access token has expired or is not yet valid.": "Microsoft Graph says both; the token's own times decide",
    "Token has been expired or revoked.": "Google says both; the token's own times decide",
    "authorization required": "nginx's page title for every 401, with or without credentials",
    "Missing \"Bearer\" token": "read as nothing sent; the header's own shape says when it is broken",
    "Server failed to authenticate the request. Please refer to the information in the www-authenticate header.":
        "Azure Storage sends it for both; its code (NoAuthenticationInformation) says which",
    "AADSTS50173: The provided grant has expired due to it being revoked, a fresh auth token is needed. "
    "The user might have changed or reset their password. The grant was issued on '2026-07-19T14:01:41.1468970Z' and the "
    "TokensValidFrom date (before which tokens are not valid) for this user is '2026-11-13T19:49:51.0000000Z'.":
        "says expired, and a fresh token is the fix either way",
}  # fmt: skip


def means(meaning: str, said: Said) -> bool:
    """Whether what `read` found is what the source means by the text."""
    refused = bool(said.rejected) and not said.nothing_sent and not said.expired
    return {
        "expired": bool(said.expired),
        "not_yet_valid": bool(said.not_yet_valid),
        "invalid_token": refused,
        "invalid_api_key": refused,
        "invalid_password": refused,
        "malformed": bool(said.malformed or said.refused) and not said.nothing_sent and not said.expired,
        "generic": refused,
        "account_state": bool(said.account or said.refused),
        "no_credentials": bool(said.nothing_sent) and not said.refused,
        "wrong_scheme": bool(said.wrong_scheme),
        "step_up": bool(said.step_up),
        "insufficient_scope": bool(said.scope),
        "ip_blocked": bool(said.network),
    }[meaning]


@pytest.mark.parametrize(
    ("text", "meaning", "source"),
    [pytest.param(t, m, s, id=f"{m}:{t[:50]}") for t, m, s in SERVER_WORDS if t not in READ_OTHERWISE],
)
def test_the_servers_words_are_read_for_what_they_mean(text: str, meaning: str, source: str) -> None:
    said = read([text])
    assert means(meaning, said), f"{text!r} ({source}) means {meaning}; read as {said}"


def test_the_texts_read_otherwise_are_in_the_list() -> None:
    """A deliberate reading must stay deliberate: each exception names a real text."""
    texts = {t for t, _, _ in SERVER_WORDS}
    assert set(READ_OTHERWISE) <= texts
    assert len(READ_OTHERWISE) <= len(SERVER_WORDS) // 50, "more than 2 % read otherwise: fix the reading instead"


@pytest.mark.parametrize(
    ("messages", "codes", "nothing_sent", "refused"),
    [
        (["You didn't provide an API key."], ["invalid_request_error"], True, False),
        (["API keys are not supported by this API."], ["CREDENTIALS_MISSING"], False, True),
        ([], ["credentials_required"], True, False),
    ],
)
def test_sentences_outrank_codes(messages, codes, nothing_sent, refused) -> None:
    """OpenAI's generic error type beside "You didn't provide an API key" is no refusal."""
    said = read(messages, codes)
    assert bool(said.nothing_sent) is nothing_sent and bool(said.refused) is refused


def test_each_text_is_read_for_itself_whatever_comes_with_it() -> None:
    """A text is read once and remembered: what several texts say together is what each says
    alone, in their order, and a reading handed out and changed leaves the next one intact."""
    texts = [line for line, _, _ in SERVER_WORDS[:40]]
    together = read(texts)
    for name in ("expired", "not_yet_valid", "step_up", "scope", "network", "nothing_sent", "wrong_scheme",
                 "malformed", "account", "refused", "generic"):  # fmt: skip
        alone = [text for text in texts if text in getattr(read([text]), name)]
        assert getattr(together, name) == list(dict.fromkeys(alone)), name
    assert together.names == set().union(*(read([text]).names for text in texts))
    first = read(["The access token expired"])
    first.expired.clear()
    first.names.clear()
    assert read(["The access token expired"]).expired == ["The access token expired"]
    assert read(["The access token expired"]).names == {"token"}
