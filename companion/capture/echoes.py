"""The request's own secrets, found and masked wherever the server's text echoes them.

A server may quote back what it refused: the password in "wrong password …", the token in an
`error_description`, a cookie value in a page. No shape finds those (a password is any text),
so each is matched against the values the request itself carried (DESIGN.md, "Secrets"),
before anything else reads the text: before tokens are masked by their look (which would leave
the rest of a secret that only partly looks like one) and before anything is cut to length
(which would leave a secret's head).

A server may echo a value otherwise than it was sent, and each of these forms is matched too:
in another case; JSON-, HTML- or percent-escaped; percent-decoded; or only the credential
inside a structured value (`Bearer "…"`, `Hawk id="…", mac="…"`, `Credential=…`, a signed
cookie `s%3A….sig`).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus, unquote

from companion.capture.redact import MASK

__all__ = ["MAX_SECRETS", "MIN_ECHO", "Echoes"]

MIN_ECHO = 6
"""Secrets shorter than this are not matched: "1234" would mask every number in the exchange."""
_MIN_PIECE = 8
"""A part of a structured value is matched from this length: long enough not to be a word of
the server's message."""
MAX_SECRETS = 128
"""At most this many of a request's secret values are matched, the credentials first: a
request with thousands of cookies must not cost the proxy seconds."""
_MAX_PIECES = 8
"""Parts of one structured value matched on their own (a Hawk header has five; a 4 KB cookie
of dotted runs would have hundreds)."""
_MAX_FORMS = 256
_MAX_WORK = 4_000_000
"""Characters an exchange's masking may compare at worst (each text's length times the length
of the forms looked for in it): a server that echoes many long secrets into many headers gets
its texts masked whole past this, never seconds of the proxy's CPU."""
_MAX_SECRET = 4096

# Characters a plain token is made of (a JWT's too): a secret of these alone is matched as it
# is, and, with `+`, `/` or `=`, percent-encoded.
_PLAIN = re.compile(r"[A-Za-z0-9_.~+/=-]*")
# What JSON escapes, what HTML escapes, what a URL encodes: a form only a secret holding one has.
_JSON_ESCAPED = re.compile(r'["\\\x00-\x1f\x7f]')
_HTML_ESCAPED = re.compile(r"[&<>\"']")
_URL_ENCODED = re.compile(r"[^A-Za-z0-9_.~-]")
# The runs of token characters inside a structured value.
_PIECE = re.compile(rf"(?<![A-Za-z0-9_~+/-])[A-Za-z0-9_~+/-]{{{_MIN_PIECE},}}+")


def _pieces(value: str) -> list[str]:
    """The runs inside `value` a server might quote on their own: those that look like a key
    (letters and digits mixed, or 20 characters and more). Parameter names (`username=`,
    `SignedHeaders=`) and plain words or numbers in values (`content-type`, `20150830`) are
    words of the server's own messages too, and are left out."""
    found = []
    for match in _PIECE.finditer(value):
        piece, start, end = match.group(), match.start(), match.end()
        if value[end : end + 1] == "=" and (start == 0 or value[start - 1] in " ,\t"):
            continue  # a parameter's name
        if len(piece) < 20 and (not any(c.isalpha() for c in piece) or piece.replace("-", "").replace("_", "").isalpha()):
            continue
        found.append(piece)
        if len(found) == _MAX_PIECES:
            break
    return found


def forms_of(secret: str) -> list[str]:
    """Every form, lowered, in which a server may echo `secret`: the secret first. Of a longer
    secret than any text searched holds (a page may send a header of megabytes), its start."""
    secret = secret[:_MAX_SECRET]
    if not _URL_ENCODED.search(secret):  # most: letters, digits, `_.~-`, no other form
        return [secret.lower()] if len(secret) >= MIN_ECHO else []
    forms = [secret, quote(secret, safe="", errors="surrogatepass")]
    if " " in secret:
        forms.append(quote_plus(secret, safe="", errors="surrogatepass"))
    if not _PLAIN.fullmatch(secret):
        decoded = unquote(secret) if "%" in secret else secret
        forms += [decoded, *_pieces(decoded)]
        if _JSON_ESCAPED.search(secret):
            forms.append(json.dumps(secret, ensure_ascii=False)[1:-1])
        if _HTML_ESCAPED.search(secret):
            forms.append(html.escape(secret))
    return [form.lower() for form in dict.fromkeys(forms) if len(form) >= MIN_ECHO]


class Echoes:
    """The forms of a request's secrets that the server's texts hold, and a function that masks
    them in any text. Found once over all the texts, so an exchange that echoes nothing (most)
    costs one search of each form and nothing more; what is echoed is masked by plain
    searches too, never a pattern built from what a page or a server chose."""

    __slots__ = ("_forms_length", "_found_length", "_work", "forms", "found")

    def __init__(self, secrets: Iterable[str], texts: Iterable[str]) -> None:
        """`texts`: what the server's text may echo the secrets in, each already bounded."""
        forms: list[str] = []
        for secret in secrets:
            forms += forms_of(secret)
            if len(forms) >= _MAX_FORMS:
                break
        self.forms = list(dict.fromkeys(forms))[:_MAX_FORMS]
        self.found: list[str] = []
        if self.forms:
            self.found = self._in("\n".join(texts).lower())
        self._forms_length = sum(map(len, self.forms))
        self._found_length = sum(map(len, self.found))
        self._work = 0

    def _affordable(self, text: str, forms_length: int) -> bool:
        self._work += len(text) * forms_length
        return self._work <= _MAX_WORK

    def _in(self, lowered: str) -> list[str]:
        # Longest first: a secret that contains another is masked whole.
        return sorted((form for form in self.forms if form in lowered), key=len, reverse=True)

    def __call__(self, text: str) -> str:
        """`text` with each echoed form masked, in any case."""
        if not self.found or not text:
            return text
        if not self._affordable(text, self._found_length):
            return f"{MASK} ({len(text)} chars)"
        return _masked(text, self.found)

    def anywhere(self, text: str) -> str:
        """`text` with every form masked, found in the texts searched or not: for text a server
        escaped otherwise than any form (`\\/` in PHP's JSON, `\\u0026` in Go's, `&#43;` in a
        page), read after its escapes are undone."""
        if not self.forms or not text:
            return text
        if not self._affordable(text, self._forms_length):
            return f"{MASK} ({len(text)} chars)"
        present = self._in(text.lower())
        return _masked(text, present) if present else text

    def left_in(self, dumped: str) -> Echoes | None:
        """What is still echoed in `dumped` (JSON text of the whole exchange, where the server's
        text went through other hands too: cookie names from `Set-Cookie`, the content type):
        an `Echoes` of those forms, or None. Each such text is a part of one that was searched:
        only what was found there can be left."""
        if not self.found:
            return None
        lowered = dumped.lower()
        left = [form for form in self.found if form in lowered]
        if not left:
            return None
        echoes = Echoes((), ())
        echoes.forms = echoes.found = left
        echoes._forms_length = echoes._found_length = sum(map(len, left))
        return echoes


def _masked(text: str, forms: list[str]) -> str:
    """`text` with every occurrence of each form (lowered, longest first) masked, whatever its
    case. Where lowering changes a text's length (a few letters outside ASCII), a position in
    the lowered text is no position in the text: each letter is then lowered on its own, to
    its first letter (`İ` to `i`)."""
    lowered = text.lower()
    if len(lowered) != len(text):
        lowered = "".join(letter.lower()[0] for letter in text)
    spans: list[tuple[int, int]] = []
    for form in forms:
        start = lowered.find(form)
        while start >= 0:
            spans.append((start, start + len(form)))
            start = lowered.find(form, start + len(form))
    if not spans:
        return text
    spans.sort()
    out, at = [], 0
    for start, end in spans:
        if end <= at:
            continue  # within a longer one already masked
        out.append(text[at : max(start, at)])
        out.append(MASK)
        at = end
    out.append(text[at:])
    return "".join(out)
