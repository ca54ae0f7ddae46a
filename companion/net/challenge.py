"""Parse `WWW-Authenticate` / `Proxy-Authenticate` into challenges (RFC 9110 §11.6.1).

    challenge   = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
    auth-param  = token BWS "=" BWS ( token / quoted-string )

One header value may hold several challenges, and a response may send several header lines.
The grammar is ambiguous at every comma (the next token is either another parameter or the
next challenge's scheme); a token followed by `=` is a parameter, anything else starts a new
challenge. Server input is never trusted: nothing here raises on it. A broken part becomes a
challenge with `problems` (or is skipped), so callers can tell a clean parse from a guess.

Stdlib only: the mitmproxy addon imports this.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

__all__ = [
    "Challenge",
    "ParsedChallenges",
    "parse_challenges",
    "parse_header_lines",
]

# RFC 9110 §5.6.2 tchar, and the token68 alphabet of §11.2.
_TCHAR = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_TOKEN68 = frozenset("-._~+/0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_OWS = " \t"
# Header values already pass through redact.mask_tokens, which leaves "[masked]" (or
# "[redacted: N chars]") where a token was; those stand for an opaque token68 or value.
_MASK_OPEN, _MASK_CLOSE = "[", "]"


@dataclass(frozen=True, slots=True)
class Challenge:
    """One challenge: its scheme as sent, parameters (names lower-cased) or a token68."""

    scheme: str
    # Excluded from the hash so that a challenge can still be put in a set.
    params: Mapping[str, str] = field(default_factory=dict, hash=False)
    token68: str | None = None
    problems: tuple[str, ...] = ()
    """Why this challenge was only partly understood; empty when it parsed cleanly."""

    @property
    def scheme_lower(self) -> str:
        return self.scheme.lower()

    @property
    def malformed(self) -> bool:
        return bool(self.problems)

    def param(self, name: str) -> str | None:
        return self.params.get(name.lower())


@dataclass(frozen=True, slots=True)
class ParsedChallenges:
    """All challenges of one or more header lines, in order, and what could not be read."""

    challenges: tuple[Challenge, ...] = ()
    problems: tuple[str, ...] = ()
    """Problems outside any challenge (junk before a scheme, empty lines)."""

    @property
    def malformed(self) -> bool:
        return bool(self.problems) or any(c.malformed for c in self.challenges)

    @property
    def schemes(self) -> tuple[str, ...]:
        """Lower-cased schemes in order, each once."""
        return tuple(dict.fromkeys(c.scheme_lower for c in self.challenges))

    def find(self, scheme: str) -> Challenge | None:
        """The first challenge for `scheme` (case-insensitive)."""
        wanted = scheme.lower()
        return next((c for c in self.challenges if c.scheme_lower == wanted), None)

    def __bool__(self) -> bool:
        return bool(self.challenges)

    def __iter__(self) -> Iterator[Challenge]:
        return iter(self.challenges)

    def __len__(self) -> int:
        return len(self.challenges)


class _Scanner:
    """A cursor over one header value; every read stops at the end instead of raising."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def skip_ows(self) -> int:
        start = self.pos
        while self.peek() and self.peek() in _OWS:
            self.pos += 1
        return self.pos - start

    def skip_list_separators(self) -> None:
        """Skip whitespace and the empty list elements RFC 9110 §5.6.1 allows (`a, , b`)."""
        while self.peek() and self.peek() in " \t,":
            self.pos += 1

    def read_run(self, allowed: frozenset[str]) -> str:
        start = self.pos
        while self.peek() and self.peek() in allowed:
            self.pos += 1
        return self.text[start : self.pos]

    def read_quoted(self) -> tuple[str, bool]:
        """A quoted-string starting at `"`: its unescaped content, and whether it closed."""
        self.pos += 1
        out: list[str] = []
        while not self.at_end():
            char = self.text[self.pos]
            self.pos += 1
            if char == '"':
                return "".join(out), True
            if char == "\\" and not self.at_end():
                char = self.text[self.pos]
                self.pos += 1
            out.append(char)
        return "".join(out), False

    def read_masked(self) -> str:
        """A redaction marker like `[masked]`, kept whole (it may contain spaces)."""
        end = self.text.find(_MASK_CLOSE, self.pos)
        end = len(self.text) if end < 0 else end + 1
        marker = self.text[self.pos : end]
        self.pos = end
        return marker

    def skip_to_comma(self) -> None:
        """Skip junk up to the next comma outside quotes: the recovery point of the list."""
        while not self.at_end():
            char = self.peek()
            if char == ",":
                return
            if char == '"':
                self.read_quoted()
            else:
                self.pos += 1

    def at_element_end(self) -> bool:
        return self.at_end() or self.peek() == ","


def _read_token68(scan: _Scanner) -> str | None:
    """A token68 standing alone after the scheme, or None (position restored)."""
    start = scan.pos
    if scan.peek() == _MASK_OPEN:
        value = scan.read_masked()
    else:
        value = scan.read_run(_TOKEN68)
        if value:
            value += scan.read_run(frozenset("="))
    scan.skip_ows()
    if value and scan.at_element_end():
        return value
    scan.pos = start
    return None


def _read_value(scan: _Scanner, problems: list[str]) -> str:
    """A parameter value: quoted-string or token, with tolerance for sloppy servers."""
    if scan.peek() == '"':
        value, closed = scan.read_quoted()
        if not closed:
            problems.append("unterminated_quote")
        return value
    if scan.peek() == _MASK_OPEN:
        return scan.read_masked()
    # Servers send bare URLs and the like (`error_uri=https://x/y`): accept anything up to
    # whitespace or comma, but say it was not a token.
    start = scan.pos
    while not scan.at_end() and scan.peek() not in ' \t,"':
        scan.pos += 1
    value = scan.text[start : scan.pos]
    if not value:
        problems.append("empty_value")
    elif any(c not in _TCHAR for c in value):
        problems.append("bare_value")
    return value


def _read_params(scan: _Scanner, problems: list[str]) -> dict[str, str]:
    """Read `name=value` pairs until the next challenge's scheme or the end."""
    params: dict[str, str] = {}
    first = True
    while True:
        scan.skip_list_separators()
        if scan.at_end():
            return params
        start = scan.pos
        name = scan.read_run(_TCHAR)
        if not name:
            problems.append("junk")
            scan.pos += 1  # step over the offending character so progress is guaranteed
            scan.skip_to_comma()
            continue
        scan.skip_ows()
        if scan.peek() != "=":
            scan.pos = start  # not a parameter: the next challenge begins here
            if first:
                # `Bearer abc def`: two words after a scheme, no comma between challenges.
                problems.append("missing_comma")
            return params
        first = False
        scan.pos += 1
        scan.skip_ows()
        value = _read_value(scan, problems)
        lowered = name.lower()
        if lowered in params:
            # RFC 9110: each parameter name MUST only occur once; the first one wins.
            problems.append("duplicate_param")
        else:
            params[lowered] = value
        scan.skip_ows()
        if not scan.at_element_end():
            problems.append("junk")
            scan.skip_to_comma()


def parse_challenges(value: str) -> ParsedChallenges:
    """Every challenge in one header value, in order. Never raises on server input."""
    scan = _Scanner(value if isinstance(value, str) else "")
    challenges: list[Challenge] = []
    loose: list[str] = []
    while True:
        scan.skip_list_separators()
        if scan.at_end():
            break
        scheme = scan.read_run(_TCHAR)
        if not scheme:
            loose.append("junk_before_scheme")
            scan.pos += 1
            scan.skip_to_comma()
            continue
        problems: list[str] = []
        if scan.peek() == "=" and challenges:
            # `Bearer, error="invalid_token"`: a stray comma after the scheme. The parameters
            # belong to the challenge before, which is what the server meant.
            scan.pos -= len(scheme)
            previous = challenges.pop()
            params = dict(previous.params)
            more = _read_params(scan, problems)
            params.update({k: v for k, v in more.items() if k not in params})
            problems = [*previous.problems, "comma_after_scheme", *problems]
            challenges.append(Challenge(previous.scheme, params, previous.token68, tuple(dict.fromkeys(problems))))
            continue
        if scan.at_element_end():
            challenges.append(Challenge(scheme))
            continue
        if not scan.skip_ows():
            # `Basic"x"` or `Basic=x`: no space after the scheme. Keep the scheme, drop the rest.
            problems.append("junk")
            scan.skip_to_comma()
            challenges.append(Challenge(scheme, problems=tuple(problems)))
            continue
        token68 = _read_token68(scan)
        if token68 is not None:
            challenges.append(Challenge(scheme, token68=token68))
            continue
        params = _read_params(scan, problems)
        challenges.append(Challenge(scheme, params, problems=tuple(dict.fromkeys(problems))))
    return ParsedChallenges(tuple(challenges), tuple(dict.fromkeys(loose)))


def parse_header_lines(lines: Iterable[str]) -> ParsedChallenges:
    """Every challenge across several header lines (a response may repeat the header)."""
    challenges: list[Challenge] = []
    problems: list[str] = []
    for line in lines:
        parsed = parse_challenges(line)
        if not parsed and not (line or "").strip(" \t,"):
            problems.append("empty_header")
        challenges.extend(parsed.challenges)
        problems.extend(parsed.problems)
    return ParsedChallenges(tuple(challenges), tuple(dict.fromkeys(problems)))
