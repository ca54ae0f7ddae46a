"""A JWT's header and claims, read without verifying and without its signature, and bounded:
a token is whatever any web page chose to make a browser send."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from companion.capture.jwt import MAX_JWT_CHARS, looks_like_jwt, unverified_jwt

SIGNATURE = "c2lnbmF0dXJlLW5vdC1jaGVja2Vk"


def b64(raw: bytes | str) -> str:
    data = raw.encode() if isinstance(raw, str) else raw
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(claims: object = None, header: object = None, *, raw_claims: str | None = None, signature: str = SIGNATURE) -> str:
    head = json.dumps({"alg": "HS256", "typ": "JWT"} if header is None else header, separators=(",", ":"))
    body = raw_claims if raw_claims is not None else json.dumps({"sub": "alice"} if claims is None else claims, separators=(",", ":"))
    return f"{b64(head)}.{b64(body)}.{signature}"


def test_header_and_claims_are_read_never_the_signature():
    """The diagnosis needs `exp`, `aud`, `iss`; the signature is a secret and stays behind."""
    claims = {"sub": "alice", "exp": 1_795_000_000, "aud": ["api", "web"], "iss": "https://id.example.com", "admin": False}
    found = unverified_jwt(token(claims, {"alg": "RS256", "kid": "k1", "typ": "JWT"}))
    assert found == {"header": {"alg": "RS256", "kid": "k1", "typ": "JWT"}, "claims": claims}
    assert SIGNATURE not in json.dumps(found)


def test_an_unsecured_jwt_without_signature_is_read():
    """`alg: none` tokens end in a bare dot; they are JWTs too (and worth diagnosing)."""
    assert unverified_jwt(token(header={"alg": "none"}, signature="")) == {"header": {"alg": "none"}, "claims": {"sub": "alice"}}


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "sk_live_51HxQ2aBcD3eF4gH5iJ6kL7",
        "not.a.jwt",
        b64('{"alg":"HS256"}'),  # one part
        f"{b64('{\"alg\":\"HS256\"}')}.{b64('{\"sub\":\"a\"}')}",  # two parts
        f"{token()}.{SIGNATURE}.{SIGNATURE}",  # five parts (JWE)
        f"Bearer {token()}",
        f" {token()}",
        token().replace("-", "+") + "+/",  # standard base64, not base64url
        f"{b64('{not json')}.{b64('{\"sub\":\"a\"}')}.{SIGNATURE}",
        token(raw_claims="not json"),
        token(raw_claims='["a", "list"]'),
        token(raw_claims='"a string"'),
        token(raw_claims="42"),
        token(raw_claims='{"sub": "truncated'),
        f"{b64('{\"alg\":\"HS256\"}')}.{b64(b'{\"sub\": \"\\xff\\xfe\"}')}.{SIGNATURE}",  # claims not UTF-8
        f"{b64('{\"alg\":\"HS256\"}')}.abcde.{SIGNATURE}",  # impossible base64 length
        f"{b64('[1, 2]')}.{b64('{\"sub\":\"a\"}')}.{SIGNATURE}",
    ],
)
def test_what_is_not_a_jwt_gives_none(text):
    """Opaque tokens, broken parts and other shapes are not guessed at; nothing raises."""
    assert unverified_jwt(text) is None


def nested(depth: int, leaf: object = "bottom") -> object:
    value = leaf
    for _ in range(depth):
        value = {"a": value}
    return value


def depth_of(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max((depth_of(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth_of(v) for v in value), default=0)
    return 0


@pytest.mark.parametrize("shape", ["map", "list"])
def test_claims_nested_200_deep_are_cut(shape):
    """Deep nesting is cut to a marker: no recursion, no deep structure kept or stored."""
    claims = {"sub": "alice", "deep": nested(200) if shape == "map" else json.loads("[" * 200 + "]" * 200)}
    found = unverified_jwt(token(claims))
    assert found is not None
    assert found["claims"]["sub"] == "alice"
    assert "[nested too deep]" in json.dumps(found)
    assert depth_of(found["claims"]) < 10


def test_claims_nested_as_deep_as_a_token_allows_do_not_raise():
    """5000 levels: the JSON parser may refuse them (then it is no JWT) or they are cut; never a crash."""
    found = unverified_jwt(token(raw_claims='{"a":' + "[" * 5000 + "]" * 5000 + "}"))
    assert found is None or depth_of(found["claims"]) < 10


@pytest.mark.parametrize(
    "raw_exp",
    ["1" + "0" * 400, "-1" + "0" * 400, "1e400", "-1e400", "NaN", "Infinity", str(2**64)],
)
def test_numbers_json_cannot_carry_become_text(raw_exp):
    """A 10^400 `exp` must not become infinity (or a number no store holds): it is kept as text."""
    found = unverified_jwt(token(raw_claims=f'{{"sub": "alice", "exp": {raw_exp}}}'))
    assert found is not None
    assert isinstance(found["claims"]["exp"], str)
    json.dumps(found, allow_nan=False)


@pytest.mark.parametrize("exp", [0, 1_795_000_000, -1, 2**53, 1.5])
def test_ordinary_numbers_stay_numbers(exp):
    """The diagnosis compares `exp` with the clock: a real one must stay a number."""
    assert unverified_jwt(token({"exp": exp}))["claims"]["exp"] == exp


def test_huge_lists_maps_and_strings_are_cut():
    claims = {
        "roles": list(range(300)),
        "extra": {f"k{n}": n for n in range(200)},
        "note": "n" * 1000,
        "k" * 600: "long key",
    }
    encoded = token(claims)
    assert len(encoded) <= MAX_JWT_CHARS  # decoded, not refused: the cut is what is tested
    found = unverified_jwt(encoded)
    assert found is not None
    kept = found["claims"]
    assert 0 < len(kept["roles"]) < 300 and kept["roles"] == list(range(len(kept["roles"])))
    assert 0 < len(kept["extra"]) < 200
    assert 0 < len(kept["note"]) < 1000 and "n" * 100 in kept["note"]
    assert all(len(key) < 600 for key in kept)
    assert len(json.dumps(found)) < len(json.dumps(claims)) // 2


def test_a_token_longer_than_max_jwt_chars_is_not_decoded():
    """Real tokens are a few KB; past MAX_JWT_CHARS nothing is decoded at all."""
    short = token({"sub": "alice"})
    long = token({"sub": "alice"}, signature="s" * MAX_JWT_CHARS)
    assert unverified_jwt(short) is not None
    assert not looks_like_jwt(long)
    assert unverified_jwt(long) is None


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=8) | st.dictionaries(st.text(max_size=10), inner, max_size=8),
    max_leaves=15,
)


@settings(max_examples=60, deadline=None)
@given(claims=st.dictionaries(st.text(max_size=10), _JSON, max_size=8), alg=_JSON, header=st.dictionaries(st.text(max_size=10), _JSON, max_size=4))
def test_the_result_always_survives_json_dumps(claims, alg, header):
    """Whatever a token holds, what is kept can be sent to the service as strict JSON."""
    # json.dumps writes NaN and Infinity as a token may carry them; `alg` first, as real headers start.
    encoded = token(header={"alg": alg, **header}, raw_claims=json.dumps(claims))
    found = unverified_jwt(encoded)
    assert found is not None or len(encoded) > MAX_JWT_CHARS
    if found is not None:
        json.dumps(found, allow_nan=False)
