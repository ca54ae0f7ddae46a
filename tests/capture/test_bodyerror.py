"""The server's own words in a 401 body, in the shapes real services send them.

tests/capture/test_redact.py already covers OAuth `error`/`error_description`,
`{"error": {"code", "message"}}`, `{"errors": [{"message"}]}`, Problem Details with `detail`,
plain text, an HTML `<title>`, `{"msg"}` with a JWT masked, truncated JSON, an empty and a
binary body; these are the other shapes, the field each answer names, and the size bound.
"""

from __future__ import annotations

import json

import pytest

from companion.capture.bodyerror import MAX_BODY_BYTES, extract_body_error
from companion.capture.redact import MASK

API_KEY = "sk_live_51HxQ2aBcD3eF4gH5iJ6kL7"


def as_json(doc: object) -> bytes:
    return json.dumps(doc).encode()


@pytest.mark.parametrize(
    ("ctype", "body", "expected"),
    [
        # GitHub, Stripe-like: a bare message.
        ("application/json", as_json({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}),
         {"code": None, "message": "Bad credentials", "field": "json:message"}),
        # Django REST framework.
        ("application/json", as_json({"detail": "Authentication credentials were not provided."}),
         {"code": None, "message": "Authentication credentials were not provided.", "field": "json:detail"}),
        # Problem Details (RFC 9457) with a title only.
        ("application/problem+json", as_json({"type": "https://example.com/probs/auth", "title": "Unauthorized", "status": 401}),
         {"code": "https://example.com/probs/auth", "message": "Unauthorized", "field": "json:title"}),
        # Google APIs: a numeric code inside an error object.
        ("application/json", as_json({"error": {"code": 401, "message": "Request had invalid authentication credentials.", "status": "UNAUTHENTICATED"}}),
         {"code": "401", "message": "Request had invalid authentication credentials.", "field": "json:error.message", "reason": "UNAUTHENTICATED"}),
        # Google's ErrorInfo: the finer reason in details[].
        ("application/json", as_json({"error": {"code": 401, "message": "Request had invalid authentication credentials.", "status": "UNAUTHENTICATED",
                                                "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "ACCESS_TOKEN_EXPIRED"}]}}),
         {"code": "401", "message": "Request had invalid authentication credentials.", "field": "json:error.message", "reason": "ACCESS_TOKEN_EXPIRED"}),
        # Okta: a code beside a summary; Jira: a list of messages.
        ("application/json", as_json({"errorCode": "E0000011", "errorSummary": "Invalid token provided", "errorCauses": []}),
         {"code": "E0000011", "message": "Invalid token provided", "field": "json:errorSummary"}),
        ("application/json", as_json({"errorMessages": ["Client must be authenticated to access this resource."], "errors": {}}),
         {"code": None, "message": "Client must be authenticated to access this resource.", "field": "json:errorMessages"}),
        # An errors list whose first item has both a code and a message.
        ("application/json", as_json({"errors": [{"code": "UNAUTHORIZED", "message": "Token expired"}, {"message": "second"}]}),
         {"code": "UNAUTHORIZED", "message": "Token expired", "field": "json:errors[0].message"}),
        # GraphQL-ish: a top-level list.
        ("application/json", as_json([{"message": "Not authorised"}]),
         {"code": None, "message": "Not authorised", "field": "json:message"}),
        # An OAuth error without a description: the code alone.
        ("application/json", as_json({"error": "invalid_client"}),
         {"code": "invalid_client", "message": None, "field": "json:error"}),
        # JSON sent as text/plain (or without a type) is still read as JSON.
        ("text/plain", as_json({"error": "invalid_token", "error_description": "expired"}),
         {"code": "invalid_token", "message": "expired", "field": "json:error_description"}),
        (None, b'  {"message": "Session expired"}', {"code": None, "message": "Session expired", "field": "json:message"}),
        # JSON without any known key: its text is the message.
        ("application/json", b'{"ok": false}', {"code": None, "message": '{"ok": false}', "field": "text"}),
        # A JSON type over an HTML body (a proxy's error page).
        ("application/json", b"<html><head><title>401 - Unauthorized</title></head><body>...</body></html>",
         {"code": None, "message": "401 - Unauthorized", "field": "html:title"}),
        # HTML without a title: a heading that says only the status gives way to the paragraph.
        ("text/html", b"<html><body><h1>401</h1>\n  <p>Login   required</p></body></html>",
         {"code": None, "message": "Login required", "field": "html:p"}),
        ("text/html", b"<title>\n   Access\n denied  </title>", {"code": None, "message": "Access denied", "field": "html:title"}),
        # Express's default error page: the title says "Error", the reason is in the <pre>.
        ("text/html", b"<!DOCTYPE html><html><head><title>Error</title></head><body><pre>UnauthorizedError: jwt expired<br> &nbsp; &nbsp;at /app/x.js:1:1</pre></body></html>",
         {"code": None, "message": "UnauthorizedError: jwt expired", "field": "html:pre"}),
        # No element at all: the text, tags gone.
        ("text/html", b"<div>Unauthorized Access</div>", {"code": None, "message": "Unauthorized Access", "field": "html:text"}),
        # Plain text, whitespace collapsed; whitespace alone says nothing.
        ("text/plain", b"  Invalid\r\n\tcredentials  ", {"code": None, "message": "Invalid credentials", "field": "text"}),
        ("text/plain", b" \r\n\t ", None),
        ("text/html", b"<html><body></body></html>", None),
        (None, None, None),
    ],
)
def test_extract_body_error_shapes(ctype, body, expected):
    """What a server said, and where it said it (the evidence names the field)."""
    assert extract_body_error(ctype, body) == expected


@pytest.mark.parametrize(
    ("ctype", "body", "secret"),
    [
        ("application/json", as_json({"error": "invalid_api_key", "error_description": f"Invalid API key {API_KEY}"}), API_KEY),
        ("application/json", as_json({"error": {"code": API_KEY, "message": "revoked"}}), API_KEY),
        ("text/plain", b"Bearer abcdef123456ghijkl is not valid", b"abcdef123456ghijkl".decode()),
        ("text/html", f"<title>Key {API_KEY} revoked</title>".encode(), API_KEY),
        ("application/json", as_json({"message": "Log in again at https://id.example.com/cb?access_token=hunter2pass"}), "hunter2pass"),
    ],
)
def test_tokens_echoed_by_the_server_are_masked(ctype, body, secret):
    """Servers echo the token they rejected, in any field: it never leaves the addon."""
    found = extract_body_error(ctype, body)
    assert found is not None
    kept = json.dumps(found)
    assert secret not in kept
    assert MASK in kept or "REDACTED" in kept


def test_what_lies_past_max_body_bytes_is_not_read():
    """A large body costs at most MAX_BODY_BYTES; JSON cut there is read as text, never raises."""
    doc = {"padding": "p" * MAX_BODY_BYTES, "error": "invalid_token", "error_description": "expired"}
    found = extract_body_error("application/json", as_json(doc))
    assert found is not None
    assert found["field"] == "text" and found["code"] is None
    assert "invalid_token" not in (found["message"] or "")


def test_an_html_title_past_max_body_bytes_is_not_looked_for():
    body = b"<html>" + b" " * MAX_BODY_BYTES + b"<title>Late title</title></html>"
    assert extract_body_error("text/html", body) is None


@pytest.mark.parametrize(
    "body",
    [
        as_json({"message": "m" * 10_000}),
        b"Unauthorized: " + b"y" * 10_000,
        b"<title>" + b"t" * 10_000 + b"</title>",
        b"a" + "é".encode() * 5_000,  # a two-byte character cut in half at the limit
    ],
)
def test_long_messages_are_cut(body):
    """A message is evidence quoted to a person: a few hundred characters, whatever was sent."""
    found = extract_body_error(None, body)
    assert found is not None
    assert 0 < len(found["message"]) <= 300


def test_a_token_cut_at_the_message_limit_is_still_masked():
    """A key echoed at the end of a long message must not leave a readable prefix behind."""
    prose = ("Your request could not be authorised because the API key that was presented with it is not "
             "recognised by this service. Please check the key in your dashboard settings, rotate it if it may "
             "have leaked, and try again later, or contact our support team with this message. Invalid API key ")  # fmt: skip
    assert len(prose) < 300 < len(prose) + len(API_KEY)
    found = extract_body_error("text/plain", (prose + API_KEY).encode())
    assert found is not None
    assert API_KEY[:10] not in found["message"]
