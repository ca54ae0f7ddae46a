import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from companion.capture.bodyerror import extract_body_error
from companion.capture.redact import MASK, is_sensitive_header, mask_tokens, redact_header_value, redact_url
from tests.support.testsite import make_jwt

JWT = make_jwt(60)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://api.example.com/me?token=abc123", "https://api.example.com/me?token=REDACTED"),
        ("https://u:p4ss@example.com/x", "https://example.com/x"),
        ("https://example.com/s?q=shoes&page=2", "https://example.com/s?q=shoes&page=2"),
        ("https://example.com/cb?code=xyz&state=abc", "https://example.com/cb?code=REDACTED&state=REDACTED"),
        (f"https://example.com/x?t={JWT}", "https://example.com/x?t=REDACTED"),
        (f"https://example.com/reset/{JWT}/go", f"https://example.com/reset/{MASK}/go"),
        ("https://example.com/a?api_key=&x=1", "https://example.com/a?api_key=&x=1"),
        ("not a url at all", "not a url at all"),
    ],
)
def test_redact_url(url, expected):
    """Secret query values and userinfo never leave the addon; harmless parameters stay readable."""
    assert redact_url(url) == expected


@pytest.mark.parametrize(
    ("text", "kept", "gone"),
    [
        (f"token {JWT} rejected", "rejected", JWT),
        ("Bearer abcdefgh12345678 is invalid", "is invalid", "abcdefgh12345678"),
        ("key sk_live_51HxQ2aBcD3eF4gH5iJ6kL7 revoked", "revoked", "sk_live_51HxQ2aBcD3eF4gH5iJ6kL7"),
        ("unauthorized_client_credentials_are_not_allowed", "unauthorized_client_credentials_are_not_allowed", "[masked]"),
    ],
)
def test_mask_tokens(text, kept, gone):
    masked = mask_tokens(text)
    assert kept in masked and gone not in masked


@pytest.mark.parametrize(
    ("name", "sensitive"),
    [("Authorization", True), ("Cookie", True), ("X-Api-Key", True), ("X-Auth-Token", True), ("X-Session-Id", True),
     ("Accept", False), ("WWW-Authenticate", False), ("Content-Type", False), ("Keep-Alive", False)],
)
def test_sensitive_headers(name, sensitive):
    assert is_sensitive_header(name) is sensitive


def test_redacted_header_keeps_only_length():
    assert redact_header_value("Cookie", "sid=abc; theme=dark") == "[redacted: 19 chars]"


@pytest.mark.parametrize(
    ("ctype", "body", "code", "message"),
    [
        ("application/json", b'{"error":"invalid_token","error_description":"The access token expired"}', "invalid_token", "The access token expired"),
        ("application/json", b'{"error":{"code":"AUTH_EXPIRED","message":"Session expired"}}', "AUTH_EXPIRED", "Session expired"),
        ("application/json", b'{"errors":[{"message":"Not authenticated"}]}', None, "Not authenticated"),
        ("application/problem+json", b'{"type":"about:blank","title":"Unauthorized","detail":"Token revoked"}', "about:blank", "Token revoked"),
        ("text/plain", b"Unauthorized", None, "Unauthorized"),
        ("text/html", b"<html><title>401 Authorization Required</title><body>x</body></html>", None, "401 Authorization Required"),
        ("application/json", b'{"msg": "bad token ' + JWT.encode() + b'"}', None, f"bad token {MASK}"),
        ("application/json", b'{"truncated": ', None, '{"truncated":'),
        ("application/json", b"", None, None),
        ("application/octet-stream", b"\xff\xfe\x00garbage", None, "\ufffd\ufffd\x00garbage"),
    ],
)
def test_extract_body_error(ctype, body, code, message):
    """The server's own words count as evidence, with tokens masked; junk never raises."""
    found = extract_body_error(ctype, body)
    assert (found or {}).get("code") == code
    assert (found or {}).get("message") == message


def test_extract_body_error_reads_a_bounded_prefix():
    body = b'{"message": "' + b"x" * 100_000 + b'"}'
    found = extract_body_error("application/json", body)
    assert found is None or len(found["message"] or "") <= 300


@pytest.mark.parametrize(
    "text",
    ['Bearer error=invalid_token', 'Bearer realm="api", error=insufficient_scope', "no token provided"],
)
def test_protocol_words_are_not_masked(text):
    """RFC 6750 error codes in a challenge, and prose, are evidence: they must stay readable."""
    assert mask_tokens(text) == text


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        *((n, True) for n in ["password", "passwd", "passphrase", "pass", "pin", "session_id", "sessionid", "PHPSESSID",
                             "jsessionid", "sid", "id_token_hint", "code_verifier", "token_value", "api_key_id", "apiKey",
                             "X-Functions-Key", "accessToken", "client_secret", "SAMLResponse", "x-csrf-token"]),
        *((n, False) for n in ["q", "page", "shipping", "passenger", "sidebar", "keyword", "monkey", "lang", "redirect_uri",
                              "Accept-Encoding", "Keep-Alive", "Sec-Fetch-Site", "X-Request-Id"]),
    ],
)
def test_secret_names_are_judged_by_their_words(name, secret):
    """A secret's name may put the word anywhere (`session_id`, `api_key_id`); `shipping` has no `pin`."""
    from companion.capture.redact import is_secret_name

    assert is_secret_name(name) is secret


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://x.test/login?password=hunter2&user=al", "https://x.test/login?password=REDACTED&user=al"),
        ("https://x.test/?PHPSESSID=abc&page=2", "https://x.test/?PHPSESSID=REDACTED&page=2"),
        ("https://x.test/a?x=1;token=abc", "https://x.test/a?x=1;token=REDACTED"),
        ("https://x.test/cb#access_token=abc&state=xyz&expires_in=3600", "https://x.test/cb#access_token=REDACTED&state=REDACTED&expires_in=3600"),
        ("https://x.test/a#section-2", "https://x.test/a#section-2"),
    ],
)
def test_redact_url_more_shapes(url, expected):
    assert redact_url(url) == expected


@pytest.mark.parametrize(
    ("name", "value", "gone"),
    [
        ("Link", '<https://x.test/next?token=abc123>; rel="next"', "abc123"),
        ("Refresh", "0; url=https://x.test/go?session=s3ss10n", "s3ss10n"),
        ("Location", "https://x.test/cb#access_token=hunter2pass", "hunter2pass"),
        ("Ocp-Apim-Subscription-Key", "lettersonlykeyvalue", "lettersonlykeyvalue"),
        ("X-Pass", "abc", "abc"),
    ],
)
def test_header_values_lose_their_secrets(name, value, gone):
    assert gone not in redact_header_value(name, value)


def test_random_tokens_are_masked_wherever_they_stand():
    """Letters-only keys and short-on-digits tokens are masked too, in paths, neutral params and text."""
    import random
    import string

    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits + "-_"
    for _ in range(500):
        token = "".join(rng.choice(alphabet) for _ in range(32))
        letters_only = "".join(rng.choice(string.ascii_letters) for _ in range(40))
        for secret in (token, letters_only):
            assert secret not in redact_url(f"https://x.test/r/{secret}/go?x={secret}")
            assert secret not in mask_tokens(f"key {secret} was revoked")


def test_random_lowercase_keys_are_masked_in_paths_and_text():
    """A reset or magic-link key of lowercase letters alone (no digit, no capital) is still a
    key: of 1,000 random ones of 24 letters, at most 2 % may pass as words."""
    import random
    import string

    rng = random.Random(11)
    kept = 0
    for _ in range(1000):
        key = "".join(rng.choice(string.ascii_lowercase) for _ in range(24))
        kept += key in redact_url(f"https://x.test/reset/{key}") or key in mask_tokens(f"link {key} expired")
    assert kept <= 20, kept


def test_long_adversarial_values_are_capped():
    """A server controls these strings: whatever their length, what is kept (and scanned) is bounded."""
    from companion.capture.redact import MAX_TEXT

    for text in ("eyJ" * 32000, "Bearer " * 20000, "a=" * 40000, "https://x.test/?" + "t=1&" * 30000):
        out = mask_tokens(text)
        assert len(out) <= MAX_TEXT + 64
    assert len(redact_url("https://x.test/" + "a/" * 50000)) <= MAX_TEXT + 64


@pytest.mark.parametrize(
    ("run", "token"),
    [
        ("jwt-nbf-10-minutes-ahead", False), ("how-to-fix-401-error-in-2024", False),
        ("unauthorized_client_credentials_are_not_allowed", False), ("session-expired-please-sign-in", False),
        ("123e4567-e89b-12d3-a456-426614174000", True), ("sk_live_51HxQ2aBcD3eF4gH5iJ6kL7", True),
        ("AbCdEfGhIjKlMnOpQrStUvWx", True), ("dGhpcyBpcyBhIHNlY3JldCB0b2tlbg==", True),
        # lowercase letters alone: words run together stay, random keys go
        ("authenticationrequired", False), ("datenschutzerklaerung", False), ("accountsettingsoverview", False),
        ("invalidclientcredentials", False), ("kqzvmxwtplrhbnsyfgdc", True), ("xjwqbtkrmdplvfzghsnc", True),
    ],
)
def test_slugs_are_words_and_tokens_are_tokens(run, token):
    """Evidence stays readable (`how-to-fix-401-error`), opaque strings are masked."""
    from companion.capture.redact import is_token_like

    assert is_token_like(run) is token


@pytest.mark.parametrize(
    ("text", "kept", "gone"),
    [
        ("""{"password": "hunter22", "error": "bad"}""", '"error": "bad"', "hunter22"),
        ("""user 'secret': 'Zk29x-Plk' refused""", "'secret': 'REDACTED'", "Zk29x-Plk"),
        ("key: 000000000A; try again", "try again", "000000000A"),
        ("api_key:   abc123def", "api_key: REDACTED", "abc123def"),
        ("login failed; pw=Pw-0planted-7b1e; retry", "pw=REDACTED", "Pw-0planted-7b1e"),
        # the server's words about a secret stay: the diagnosis reads them
        ("token: expired at 10:00", "token: expired", None),
        ('"token": "Invalid"', '"token": "Invalid"', None),
        ("Error: invalid grant", "Error: invalid grant", None),
    ],
)
def test_secret_sounding_pairs_in_text_lose_their_values(text, kept, gone):
    masked = mask_tokens(text)
    assert kept in masked
    if gone:
        assert gone not in masked


_PATHISH = st.lists(st.sampled_from([*"aZ09._~-/?#=&%:@ eyJ", "eyJhbGciOiJIUzI1NiJ9", "AbC123xYz789QwE456rTy", "//", "abcdefghijkl"]), max_size=30).map("".join)
# Queries: plain pairs, secret names, encodings, long values, stray separators.
_QUERYISH = st.lists(
    st.sampled_from(["n=1", "page=2", "sort=name", "q=", "token=abc", "pw=hunter2", "apiKey=k1", "sig=x", "a+b=c", "x=%41", "v=abcdefghijklm",
                     "id=AbC123xYz789QwE456rTy", "=1", "flag", "x=1=2", "x=a~b.c-d_e", "ö=1", "x=eyJ"]),
    max_size=6,
).map("&".join)  # fmt: skip


_ORIGINS = st.sampled_from(["", "http://", "https://", "HTTP://", "https://a.example", "http://127.0.0.1:8080", "https://u:p@h", "https://h:"])


@settings(max_examples=600)
@given(
    url=st.one_of(
        _PATHISH, _PATHISH.map(lambda p: "/" + p), st.tuples(_ORIGINS, _PATHISH).map("/".join),
        st.tuples(_ORIGINS, _PATHISH, _QUERYISH).map(lambda t: f"{t[0]}/{t[1]}?{t[2]}"),
    )
)  # fmt: skip
def test_a_plain_path_goes_as_it_is_exactly_as_the_full_redaction_leaves_it(url):
    """Plain paths and URLs of short segments, and queries of short plain pairs whose names say
    no secret, skip the parse: whatever the input, the quick answer is the full redaction's."""
    import re

    from companion.capture import redact

    quick = redact_url(url)
    plain = redact._PLAIN_PATH, redact._PLAIN_URL, redact._PLAIN_QUERY
    redact._PLAIN_PATH = redact._PLAIN_URL = redact._PLAIN_QUERY = re.compile(r"(?!)")  # never matches: the full redaction
    try:
        assert quick == redact_url(url)
    finally:
        redact._PLAIN_PATH, redact._PLAIN_URL, redact._PLAIN_QUERY = plain


@pytest.mark.parametrize(
    ("text", "kept", "gone"),
    [
        ("could not connect to postgres://app:Hunt3rPass77@db.internal:5432/prod", "postgres://app:", "Hunt3rPass77"),
        ("redis://:Hunt3rPass77@cache:6379 refused", "redis://", "Hunt3rPass77"),
        ("see https://svc:Hunt3r;Pass77@x.example/a", "x.example/a", "Pass77"),
        ("<Error><Password>Hunt3rPass77</Password><Code>InvalidToken</Code></Error>", "<Code>InvalidToken</Code>", "Hunt3rPass77"),
        ("rejected totp=Hunt3rPass77; privatekey: Hunt3rPass77", "rejected totp=", "Hunt3rPass77"),
        ("?passcode=Hunt3rPass77&accesskey=Hunt3rPass77&sess=Hunt3rPass77", "passcode=", "Hunt3rPass77"),
        ("mfa=482913 psw=Hunt3rPass77 pswd=Hunt3rPass77", "mfa=", "Hunt3rPass77"),
        ('login failed: password="Hunt3rPass77"', "password=", "Hunt3rPass77"),
        ("password = Hunt3rPass77 was wrong", "was wrong", "Hunt3rPass77"),
        ('{password: "Hunt3rPass77"}', "password:", "Hunt3rPass77"),
        ("array('password' => 'Hunt3rPass77')", "'password' =>", "Hunt3rPass77"),
    ],
)
def test_secrets_named_or_placed_as_servers_do_are_masked_in_text(text, kept, gone):
    """Passwords in any URL's userinfo (a database's, a cache's), in XML elements named for a
    secret, and under the names of one-time codes, private and access keys: masked, while an
    element holding the server's own error code stays."""
    masked = mask_tokens(text)
    assert gone not in masked and "482913" not in masked
    assert kept in masked


@pytest.mark.parametrize("location", ["/cb?%74oken=Hunt3rPass77&x=1", "//host/cb?pass%77ord=Hunt3rPass77"])
def test_a_relative_location_is_read_as_a_url(location):
    """A `Location` without scheme and host is a URL all the same: its secret parameters are
    masked however their names are encoded."""
    assert "Hunt3rPass77" not in redact_header_value("Location", location)
