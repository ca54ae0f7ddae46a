import pytest

from companion.bodyerror import extract_body_error
from companion.redact import MASK, is_sensitive_header, mask_tokens, redact_header_value, redact_url
from tests.testsite import make_jwt

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
