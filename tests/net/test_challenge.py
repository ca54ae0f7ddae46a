"""WWW-Authenticate / Proxy-Authenticate parsing (RFC 9110 §11.6.1)."""

from __future__ import annotations

import random

import pytest

from companion.net.challenge import (
    MAX_CHALLENGES_PER_LINE,
    MAX_CHALLENGES_TOTAL,
    MAX_ELEMENTS_PER_LINE,
    Challenge,
    parse_challenges,
    parse_header_lines,
)

# (header value, [(scheme, params, token68), ...], malformed)
CASES = [
    pytest.param('Basic realm="simple"', [("Basic", {"realm": "simple"}, None)], False, id="basic"),
    pytest.param("Negotiate abc==", [("Negotiate", {}, "abc==")], False, id="token68-padding"),
    pytest.param("Negotiate", [("Negotiate", {}, None)], False, id="bare-scheme"),
    pytest.param(
        'Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"',
        [
            ("Newauth", {"realm": "apps", "type": "1", "title": 'Login to "apps"'}, None),
            ("Basic", {"realm": "simple"}, None),
        ],
        False,
        id="rfc9110-example-two-challenges-escapes",
    ),
    pytest.param(
        'Basic realm="a, b", charset="UTF-8", Bearer',
        [("Basic", {"realm": "a, b", "charset": "UTF-8"}, None), ("Bearer", {}, None)],
        False,
        id="comma-inside-quotes",
    ),
    pytest.param(
        'BEARER Realm="api", ERROR="invalid_token"',
        [("BEARER", {"realm": "api", "error": "invalid_token"}, None)],
        False,
        id="case-insensitive-names",
    ),
    pytest.param(
        'Digest realm="x" , qop="auth,auth-int",,  nonce="n", stale=TRUE',
        [("Digest", {"realm": "x", "qop": "auth,auth-int", "nonce": "n", "stale": "TRUE"}, None)],
        False,
        id="ows-and-empty-list-elements",
    ),
    pytest.param(
        "Negotiate [blob: 1234 chars], NTLM",
        [("Negotiate", {}, "[blob: 1234 chars]"), ("NTLM", {}, None)],
        False,
        id="masked-blob",
    ),
    pytest.param('Bearer nonce="[masked]"', [("Bearer", {"nonce": "[masked]"}, None)], False, id="masked-value"),
    pytest.param("", [], False, id="empty"),
    pytest.param(" , ,", [], False, id="only-separators"),
    # Broken input: never raises, keeps what can be kept, says it was malformed.
    pytest.param(
        'Basic realm="unterminated', [("Basic", {"realm": "unterminated"}, None)], True, id="unterminated-quote"
    ),
    pytest.param("Digest realm=a, realm=b", [("Digest", {"realm": "a"}, None)], True, id="duplicate-param-first-wins"),
    pytest.param(
        'Bearer, error="invalid_token"',
        [("Bearer", {"error": "invalid_token"}, None)],
        True,
        id="stray-comma-after-scheme",
    ),
    pytest.param('=== , Basic realm="r"', [("Basic", {"realm": "r"}, None)], True, id="junk-before-scheme"),
    pytest.param('Basic"x"', [("Basic", {}, None)], True, id="no-space-after-scheme"),
    pytest.param(
        'Bearer realm="a" junk, Basic',
        [("Bearer", {"realm": "a"}, None), ("Basic", {}, None)],
        True,
        id="junk-after-value",
    ),
    pytest.param(
        "Bearer error_uri=https://x.example/e",
        [("Bearer", {"error_uri": "https://x.example/e"}, None)],
        True,
        id="bare-url-value",
    ),
    pytest.param("Bearer realm=", [("Bearer", {}, "realm=")], False, id="ambiguous-token68-wins"),
    pytest.param('Basic charset="x", realm=', [("Basic", {"charset": "x", "realm": ""}, None)], True, id="empty-value"),
    pytest.param(
        'Negotiate [abc, Basic realm="r"',
        [("Negotiate", {}, None), ("Basic", {"realm": "r"}, None)],
        True,
        id="bracket-that-is-no-mask-marker",
    ),
]


@pytest.mark.parametrize(("value", "expected", "malformed"), CASES)
def test_parse_challenges(value: str, expected: list, malformed: bool) -> None:
    """Each header shape a real server sends parses to the challenges a person would read."""
    parsed = parse_challenges(value)
    assert [(c.scheme, dict(c.params), c.token68) for c in parsed] == expected
    assert parsed.malformed is malformed


def test_several_header_lines_are_one_list() -> None:
    """A response may repeat WWW-Authenticate; all lines together are the server's offer."""
    parsed = parse_header_lines(['Basic realm="r"', "", 'Bearer error="insufficient_scope", scope="a b"'])
    assert parsed.schemes == ("basic", "bearer")
    assert parsed.find("BEARER") == Challenge("Bearer", {"error": "insufficient_scope", "scope": "a b"})
    assert parsed.find("digest") is None
    assert "empty_header" in parsed.problems


@pytest.mark.parametrize(
    ("challenge", "name", "expected"),
    [
        (Challenge("Bearer", {"scope": "x"}), "SCOPE", "x"),
        (Challenge("Bearer", {"scope": "x"}), "error", None),
    ],
)
def test_param_lookup_ignores_case(challenge: Challenge, name: str, expected: str | None) -> None:
    """Parameter names are case-insensitive, so lookups must be too."""
    assert challenge.param(name) == expected
    assert challenge.scheme_lower == "bearer"


def test_never_raises_on_junk() -> None:
    """Server input is hostile or broken; the parser must return, never raise."""
    rng = random.Random(401)
    alphabet = 'aB=,"\\ \t;[]:/=\x00é'
    for _ in range(3000):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        parsed = parse_challenges(value)
        assert all(c.scheme for c in parsed)


def test_non_string_input_is_empty() -> None:
    """A None slipped in from a header lookup must not crash the caller."""
    assert not parse_challenges(None)  # type: ignore[arg-type]


def test_a_line_gives_at_most_its_share_of_challenges() -> None:
    """Real servers send a handful; past the limit the rest of the line is dropped, and said."""
    parsed = parse_challenges(", ".join(f"Scheme{n} realm=r" for n in range(40)))
    assert [c.scheme for c in parsed] == [f"Scheme{n}" for n in range(MAX_CHALLENGES_PER_LINE)]
    assert parsed.problems == ("too_many_challenges",)


def test_lines_give_at_most_the_total_of_challenges() -> None:
    """However many lines a response repeats, what every reader iterates is bounded."""
    parsed = parse_header_lines([", ".join(f"S{line}x{n}" for n in range(16)) for line in range(16)])
    assert len(parsed) == MAX_CHALLENGES_TOTAL
    assert parsed.challenges[-1].scheme == f"S{MAX_CHALLENGES_TOTAL // 16 - 1}x15"
    assert "too_many_challenges" in parsed.problems
    assert "too_many_lines" in parse_header_lines(["=,"] * 100_000).problems


def test_a_line_of_endless_parameters_is_read_to_its_budget() -> None:
    parsed = parse_challenges('Digest realm="r", ' + "".join(f"p{n}=1, " for n in range(10_000)))
    assert len(parsed.challenges[0].params) == MAX_ELEMENTS_PER_LINE - 1  # the scheme is one element
    assert parsed.problems == ("too_many_elements",)


_QUARTER_MB = 256 * 1024


@pytest.mark.parametrize(
    "value",
    [
        "a " * (_QUARTER_MB // 2),
        "Digest " + "x=1, " * (_QUARTER_MB // 5),
        "Basic " + "x=1 y, " * (_QUARTER_MB // 7),
        "a" + ", b" * (_QUARTER_MB // 3),
        "Negotiate " + "abc " * (_QUARTER_MB // 4),
        "Bearer [ a, " * (_QUARTER_MB // 12) + "] x",
    ],
    ids=["one-letter-challenges", "parameters", "junk-after-values", "bare-schemes", "words-after-scheme", "unclosed-brackets"],
)
def test_a_huge_hostile_value_costs_little(value: str) -> None:
    """A quarter megabyte of challenges took 0.1 to 0.6 s of CPU when every one was read (the
    brackets, each searched to the far end, grew with the square of the length): the parse
    stops at its bounds, and says so."""
    parsed = parse_challenges(value)
    assert len(parsed) <= MAX_CHALLENGES_PER_LINE and parsed.problems
