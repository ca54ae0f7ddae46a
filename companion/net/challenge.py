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

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

__all__ = [
    "MAX_CHALLENGES_PER_LINE",
    "MAX_CHALLENGES_TOTAL",
    "MAX_ELEMENTS_PER_LINE",
    "Challenge",
    "ParsedChallenges",
    "parse_challenges",
    "parse_header_lines",
]

# What one parse reads at most. Real servers send a handful of challenges of a few
# parameters each; a header past these is hostile, and its rest is dropped (said in
# `problems`) so that the work per header stays bounded whatever a server sends.
MAX_CHALLENGES_PER_LINE = 16
MAX_CHALLENGES_TOTAL = 64
"""Across all the lines of `parse_header_lines`: what a diagnosis ever iterates."""
MAX_ELEMENTS_PER_LINE = 64
"""List elements (parameters, challenges, junk) read in one header value."""

# RFC 9110 §5.6.2 tchar, and the token68 alphabet of §11.2. Runs are matched by regular
# expressions: one C-speed step per element, never a Python step per character.
_TCHAR = r"!#$%&'*+\-.^_`|~0-9A-Za-z"
_TOKEN = re.compile(f"[{_TCHAR}]*")
_ALL_TCHAR = re.compile(f"[{_TCHAR}]+")
_TOKEN68 = re.compile(r"[-._~+/0-9A-Za-z]+=*")
_OWS = re.compile(r"[ \t]*")
_SEPARATORS = re.compile(r"[ \t,]*")
# Possessive quantifiers: an unterminated quote costs one pass, never a backtrack. A lone
# backslash at the very end is kept as a character, as a lenient reader would.
_QUOTED = re.compile(r'"((?:[^"\\]++|\\.|\\\Z)*+)(")?', re.DOTALL)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_TO_COMMA = re.compile(r'(?:[^,"]++|"(?:[^"\\]++|\\.|\\\Z)*+"?)*+', re.DOTALL)
_BARE_VALUE = re.compile(r'[^ \t,"]*')
# A well-formed parameter, `name=token` or `name="quoted"` up to the end of its list element:
# the common case, read in one step (anything else takes the careful way, one part at a time).
_CLEAN_PARAM = re.compile(rf'([{_TCHAR}]+)[ \t]*=[ \t]*(?:"((?:[^"\\]++|\\.)*+)"|([{_TCHAR}]+))[ \t]*(?=,|\Z)', re.DOTALL)
# Header values already pass through redact.mask_tokens, which leaves "[masked]" (or
# "[redacted: N chars]", "[blob: N chars]") where a token was; those stand for an opaque
# token68 or value. A marker is short: a `[` with no `]` soon after is no marker.
_MASKED = re.compile(r"\[[^\]]{0,64}\]")


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
    """Problems outside any challenge (junk before a scheme, empty lines), and
    `too_many_challenges`, `too_many_elements` or `too_many_lines` when the rest of a header
    was dropped."""

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
    """A cursor over one header value; every read stops at the end instead of raising, and
    each moves forward or stays (a failed read restores the position)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.elements = 0
        """List elements begun, against MAX_ELEMENTS_PER_LINE."""

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def read(self, pattern: re.Pattern[str]) -> str:
        """What `pattern` matches here (it must be able to match empty), consumed."""
        match = pattern.match(self.text, self.pos)
        if match is None:
            return ""
        self.pos = match.end()
        return match.group()

    def skip_ows(self) -> int:
        start = self.pos
        self.read(_OWS)
        return self.pos - start

    def skip_list_separators(self) -> None:
        """Skip whitespace and the empty list elements RFC 9110 §5.6.1 allows (`a, , b`)."""
        self.read(_SEPARATORS)

    def begin_element(self) -> bool:
        """Count one more list element; False once the line has had its share."""
        self.elements += 1
        return self.elements <= MAX_ELEMENTS_PER_LINE

    def read_quoted(self) -> tuple[str, bool]:
        """A quoted-string starting at `"`: its unescaped content, and whether it closed."""
        match = _QUOTED.match(self.text, self.pos)
        if match is None:  # not at a quote: callers look first, but never loop on it
            self.pos += 1
            return "", False
        self.pos = match.end()
        return _unescaped(match.group(1)), match.group(2) is not None

    def read_masked(self) -> str:
        """A redaction marker like `[masked]`, kept whole (it may contain spaces); "" if none."""
        return self.read(_MASKED)

    def skip_to_comma(self) -> None:
        """Skip junk up to the next comma outside quotes: the recovery point of the list."""
        self.read(_TO_COMMA)

    def at_element_end(self) -> bool:
        return self.at_end() or self.peek() == ","


def _unescaped(content: str) -> str:
    return _ESCAPE.sub(r"\1", content) if "\\" in content else content


def _read_token68(scan: _Scanner) -> str | None:
    """A token68 standing alone after the scheme, or None (position restored)."""
    start = scan.pos
    value = scan.read_masked() if scan.peek() == "[" else scan.read(_TOKEN68)
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
    if scan.peek() == "[" and (masked := scan.read_masked()):
        return masked
    # Servers send bare URLs and the like (`error_uri=https://x/y`): accept anything up to
    # whitespace or comma, but say it was not a token.
    value = scan.read(_BARE_VALUE)
    if not value:
        problems.append("empty_value")
    elif not _ALL_TCHAR.fullmatch(value):
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
        if not scan.begin_element():
            return params  # the caller sees the budget spent and drops the rest
        clean = _CLEAN_PARAM.match(scan.text, scan.pos)
        if clean is not None:
            scan.pos = clean.end()
            first = False
            name, quoted, token = clean.groups()
            _add_param(params, name, token if quoted is None else _unescaped(quoted), problems)
            continue
        start = scan.pos
        name = scan.read(_TOKEN)
        if not name:
            problems.append("junk")
            scan.pos += 1  # step over the offending character so progress is guaranteed
            scan.skip_to_comma()
            continue
        scan.skip_ows()
        if scan.peek() != "=":
            scan.pos = start  # not a parameter: the next challenge begins here
            scan.elements -= 1  # it is counted again as that challenge's scheme
            if first:
                # `Bearer abc def`: two words after a scheme, no comma between challenges.
                problems.append("missing_comma")
            return params
        first = False
        scan.pos += 1
        scan.skip_ows()
        _add_param(params, name, _read_value(scan, problems), problems)
        scan.skip_ows()
        if not scan.at_element_end():
            problems.append("junk")
            scan.skip_to_comma()


def _add_param(params: dict[str, str], name: str, value: str, problems: list[str]) -> None:
    lowered = name.lower()
    if lowered in params:
        # RFC 9110: each parameter name MUST only occur once; the first one wins.
        problems.append("duplicate_param")
    else:
        params[lowered] = value


def _problems(problems: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(problems))


def parse_challenges(value: str, limit: int = MAX_CHALLENGES_PER_LINE) -> ParsedChallenges:
    """The challenges in one header value, in order, at most `limit` of them (and at most
    MAX_ELEMENTS_PER_LINE list elements read): past either, the rest of the value is dropped
    and `problems` says so. Linear in the value's length, and never raises on server input."""
    scan = _Scanner(value if isinstance(value, str) else "")
    challenges: list[Challenge] = []
    loose: list[str] = []
    while True:
        scan.skip_list_separators()
        if scan.at_end():
            break
        if not scan.begin_element():
            loose.append("too_many_elements")
            break
        scheme = scan.read(_TOKEN)
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
            scan.elements -= 1  # counted again as the first parameter
            previous = challenges.pop()
            params = dict(previous.params)
            more = _read_params(scan, problems)
            params.update({k: v for k, v in more.items() if k not in params})
            problems = [*previous.problems, "comma_after_scheme", *problems]
            challenges.append(Challenge(previous.scheme, params, previous.token68, _problems(problems)))
            continue
        if len(challenges) >= limit:
            loose.append("too_many_challenges")
            break
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
        challenges.append(Challenge(scheme, params, problems=_problems(problems)))
    return ParsedChallenges(tuple(challenges), _problems(loose))


def parse_header_lines(lines: Iterable[str]) -> ParsedChallenges:
    """Every challenge across several header lines (a response may repeat the header), at
    most MAX_CHALLENGES_TOTAL of them from as many lines: past that, the lines left are not
    read."""
    challenges: list[Challenge] = []
    problems: list[str] = []
    for read, line in enumerate(lines):
        room = MAX_CHALLENGES_TOTAL - len(challenges)
        if room <= 0 or read >= MAX_CHALLENGES_TOTAL:
            problems.append("too_many_challenges" if room <= 0 else "too_many_lines")
            break
        parsed = parse_challenges(line, min(room, MAX_CHALLENGES_PER_LINE))
        if not parsed and not (line if isinstance(line, str) else "").strip(" \t,"):
            problems.append("empty_header")
        challenges.extend(parsed.challenges)
        problems.extend(parsed.problems)
    return ParsedChallenges(tuple(challenges), _problems(problems))
