import base64

import pytest

from companion.capture.credentials import describe_api_key, describe_authorization, fingerprint, unverified_jwt
from tests.support.testsite import make_jwt

KEY = b"k" * 32


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("header", "scheme", "username", "password_length", "problems"),
    [
        (f"Basic {b64('alice:s3cret')}", "Basic", "alice", 6, []),
        (f"basic {b64('alice:s3cret')}", "basic", "alice", 6, []),
        (f"Basic {b64('zoë:pässwörd')}", "Basic", "zoë", 8, []),
        (f"Basic {base64.b64encode('zoë:x'.encode('latin-1')).decode()}", "Basic", "zoë", 1, ["not_utf8"]),
        (f"Basic {b64('alice')}", "Basic", None, None, ["no_colon"]),
        ("Basic not*base64!", "Basic", None, None, ["not_base64"]),
        ("Basic ", "Basic", None, None, ["whitespace", "empty_credentials"]),
        ("Basic", "Basic", None, None, ["empty_credentials"]),
        (f"Basic Basic {b64('a:b')}", "Basic", "a", 1, ["doubled_scheme"]),
        (f'Basic "{b64("a:b")}"', "Basic", "a", 1, ["surrounding_quotes"]),
        (f"Basic {b64(':')}", "Basic", "", 0, ["empty_credentials"]),
    ],
)
def test_basic(header, scheme, username, password_length, problems):
    """Basic headers give the user name and the password's length, never the password."""
    info = describe_authorization(header, source="request.authorization", key=KEY)
    assert info["scheme"] == scheme
    assert info.get("username") == username
    assert info.get("password_length") == password_length
    assert info["problems"] == problems
    assert "s3cret" not in repr(info) and "pässwörd" not in repr(info)


@pytest.mark.parametrize(
    ("header", "scheme", "problems", "has_jwt"),
    [
        ("Bearer abc.def", "Bearer", [], False),
        ("Bearer undefined", "Bearer", ["placeholder_token"], False),
        ("Bearer null", "Bearer", ["placeholder_token"], False),
        ("Bearer Bearer abcdef123", "Bearer", ["doubled_scheme"], False),
        ("Bearer  abc def", "Bearer", ["whitespace"], False),
        ("Bearer abc\r\n", "Bearer", ["newline", "whitespace"], False),
        (f"Bearer {make_jwt(60)}", "Bearer", [], True),
        (f"JWT {make_jwt(60)}", "JWT", [], True),
        (make_jwt(60), None, ["no_scheme"], True),
        (f'"{make_jwt(60)}"', None, ["no_scheme", "surrounding_quotes"], True),
        ("Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b", "Token", [], False),
        ("Negotiate YIIabc==", "Negotiate", [], False),
    ],
)
def test_token_schemes(header, scheme, problems, has_jwt):
    """Token headers are classified by scheme and problem codes; JWT claims are kept."""
    info = describe_authorization(header, source="request.authorization", key=KEY)
    assert info["scheme"] == scheme
    assert info["problems"] == problems
    assert ("jwt" in info) == has_jwt
    if has_jwt:
        assert info["jwt"]["claims"]["sub"] == "alice"
        assert info["jwt"]["header"]["alg"] == "HS256"


def test_jwt_signature_and_token_never_kept():
    """Nothing of the token string survives: not the whole, not the signature."""
    token = make_jwt(-60)
    info = describe_authorization(f"Bearer {token}", source="request.authorization", key=KEY)
    signature = token.rsplit(".", 1)[1]
    assert token not in repr(info) and signature not in repr(info)
    assert info["length"] == len(token)


@pytest.mark.parametrize("garbage", ["eyJ.eyJ.", "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.sig", "a.b.c", "eyJ" + "x" * 50])
def test_broken_jwts_are_not_jwts(garbage):
    assert unverified_jwt(garbage) is None


def test_fingerprint_is_keyed_and_stable():
    """Same value, same key: same fingerprint; another key (another run): another one."""
    assert fingerprint("secret", KEY) == fingerprint("secret", KEY)
    assert fingerprint("secret", KEY) != fingerprint("secret", b"x" * 32)
    assert len(fingerprint("secret", KEY)) == 12


@pytest.mark.parametrize(
    ("value", "source", "scheme", "problems"),
    [
        ("k-123456", "request.header.x-api-key", None, []),
        ("", "request.header.x-api-key", None, ["empty_credentials"]),
        ("undefined", "request.query.api_key", None, ["placeholder_token"]),
        ("abc", "request.query.access_token", "Bearer", []),
    ],
)
def test_api_keys(value, source, scheme, problems):
    info = describe_api_key(value, source=source, key=KEY)
    assert (info["scheme"], info["problems"], info["length"]) == (scheme, problems, len(value))


@pytest.mark.parametrize(
    "header",
    [make_jwt(60), "sk_live_51HxQ2aBcD3eF4gH5iJ6kL7", "abc123def456", "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b", "undefined"],
)
def test_a_bare_token_is_never_taken_for_a_scheme(header):
    """A token pasted without a scheme must not be kept as the 'scheme' (it is the secret)."""
    info = describe_authorization(header, source="request.authorization", key=KEY)
    assert info["scheme"] is None
    assert "no_scheme" in info["problems"]
    assert header not in repr({k: v for k, v in info.items() if k != "jwt"})


def test_digest_keeps_parameters_never_the_response_hash():
    """Digest says who, which realm and algorithm; the password-derived response is dropped."""
    header = ('Digest username="alice", realm="api@example.com", nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", '
              'uri="/dir/index.html?token=abc123", algorithm=SHA-256, qop=auth, nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", '
              'response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"')  # fmt: skip
    info = describe_authorization(header, source="request.authorization", key=KEY)
    assert info["username"] == "alice"
    assert info["params"] == {"realm": "api@example.com", "algorithm": "SHA-256", "qop": "auth",
                              "uri": "/dir/index.html?token=REDACTED", "nc": "00000001", "nonce_length": "44"}  # fmt: skip
    assert "753927fa0e85" not in repr(info) and "f2/wE4q74E6z" not in repr(info)


def ntlm(message_type: int) -> str:
    return base64.b64encode(b"NTLMSSP\x00" + message_type.to_bytes(4, "little") + b"\x00" * 24).decode()


@pytest.mark.parametrize(
    ("header", "params"),
    [
        (f"NTLM {ntlm(1)}", {"mechanism": "ntlm", "ntlm_message": "1"}),
        (f"Negotiate {ntlm(3)}", {"mechanism": "ntlm", "ntlm_message": "3"}),
        ("Negotiate " + base64.b64encode(b"\x60\x82\x02\x00" + b"\x06\x06+\x06\x01\x05\x05\x02" + b"\x00" * 20).decode(), {"mechanism": "spnego"}),
        ("Negotiate oYIBHjCCARqgAwoBAaEL", {"mechanism": "spnego-continuation"}),
        ("Negotiate !!!", {"mechanism": "unreadable"}),
    ],
)
def test_negotiate_mechanism_and_ntlm_step(header, params):
    """Which step of the Negotiate/NTLM handshake failed is evidence for negotiate_failed."""
    assert describe_authorization(header, source="request.authorization", key=KEY)["params"] == params


@pytest.mark.parametrize(
    ("header", "scheme"),
    [("hunter2pass rest", None), ("Bearer x", "Bearer"), ("SSWS 00abcDEF", "SSWS"), ("AWS4-HMAC-SHA256 Credential=x", "AWS4-HMAC-SHA256"),
     ("SCRAM-SHA-256 data", "SCRAM-SHA-256"), ("Custom-Scheme x", None), ("hunter two", None), ("pa55word extra", None)],
)
def test_only_a_real_scheme_is_kept_as_scheme(header, scheme):
    """The first word is kept only when it is a scheme: a password with a space after it is not."""
    assert describe_authorization(header, source="request.authorization", key=KEY)["scheme"] == scheme


@pytest.mark.parametrize(
    ("user", "password", "kept"),
    [("alice", "pw", "alice"), ("sk_live_51HxQ2aBcD3eF4gH5i", "", None), ("ghp_abcdefghijklmnopqrstuvwxyz0123456789", "x-oauth-basic", None),
     ("AbCdEfGhIjKlMnOpQrStUvWx", "", None), ("a-long-plain-user-name", "secret", "a-long-plain-user-name")],
)
def test_an_api_key_sent_as_basic_user_name_is_not_kept(user, password, kept):
    info = describe_authorization(f"Basic {b64(f'{user}:{password}')}", source="request.authorization", key=KEY)
    if kept is None:
        assert user not in repr(info) and info["username"] == f"[redacted: {len(user)} chars]"
    else:
        assert info["username"] == kept


@pytest.mark.parametrize(
    ("raw", "params"),
    [
        (b"alice:secret", {}),
        ("alice:pässwörd".encode(), {"encoding": "utf-8", "non_ascii": "password"}),
        ("zoë:pässwörd".encode("latin-1"), {"encoding": "latin-1", "non_ascii": "user,password"}),
    ],
)
def test_basic_says_which_parts_are_non_ascii_never_the_characters(raw, params):
    """The encoding and which parts are non-ASCII decide an RFC 7617 charset mismatch."""
    info = describe_authorization("Basic " + base64.b64encode(raw).decode(), source="request.authorization", key=KEY)
    assert info.get("params", {}) == params
    assert "pässwörd" not in repr(info)


@pytest.mark.parametrize(
    "value",
    [
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=5d672d79",
        'Hawk id="dh37fgj492je", ts="1353832234", nonce="j4h3g2", mac="6R4rV5iE+NPoym+WwjeHzjAGXUtLNIxmo1vpMofpLAE="',
        'OAuth oauth_consumer_key="xvz1evFS4wEEPTGEFPHBog", oauth_signature="tnnArxj06cWHq44gCs1OSKk%2FjY%3D"',
    ],
    ids=["aws-sigv4", "hawk", "oauth1"],
)
def test_the_spaces_between_a_schemes_parameters_are_no_stray_whitespace(value):
    """Schemes that send parameters (`name=value, name=value`) put spaces after their commas:
    only a token (`Bearer abc def`) has stray whitespace. Every AWS, Hawk and OAuth 1.0a header
    was diagnosed a malformed Authorization for it."""
    assert "whitespace" not in describe_authorization(value, source="request.authorization", key=b"k")["problems"]
    assert "whitespace" in describe_authorization("Bearer abc def", source="request.authorization", key=b"k")["problems"]
