"""What hostile shapes of a 401 cost the capture and the diagnosis, beside an ordinary 401.

    .venv/bin/python bench/shapes.py [--rounds 3] [--json out.json]
    PYTHONPATH=../other-checkout .venv/bin/python bench/shapes.py   # another version's figures

Each shape is something a web page or a server chooses (a page sets cookies and request
headers, a server its headers and body): the addon must capture it in bounded work on the
proxy's thread, and the service diagnose it in bounded work. For each, the CPU time of one
capture (`Companion().capture`, from the flow to the exchange that leaves the addon) and of one
diagnosis of that exchange, the least of `--rounds` (the addon's caches are emptied before each
round: an attacker varies what it sends), with the targets beside them: 20 ms for a capture
(the proxy is never slowed) and 50 ms for a diagnosis. Nothing leaves the process.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

from mitmproxy import http
from mitmproxy.test import tflow

from companion.capture import Companion
from companion.capture import exchange as exchange_module
from companion.diagnosis import diagnose
from companion.diagnosis.models import Exchange

CAPTURE_TARGET_MS = 20.0
DIAGNOSIS_TARGET_MS = 50.0


def _flow(request_headers=(), response_headers=(), body: bytes = b"", path: str = "/api/me", reason: str = "Unauthorized"):
    flow = tflow.tflow(resp=True)
    flow.request.path = path
    for name, value in request_headers:
        flow.request.headers.add(name, value)
    flow.response = http.Response.make(401, b"", [])
    flow.response.reason = reason
    flow.response.headers.fields += tuple((n.encode(), v.encode("utf-8", "surrogateescape")) for n, v in response_headers)
    flow.response.raw_content = body
    return flow


def _dotted(cookie: int) -> str:
    return ".".join(f"p{cookie:03d}{part:04d}" for part in range(450))[:4000]


_PAIRS = "http://a/?" + "a=%zz&" * 1365
_CHALLENGE_FLOOD = [(f"w{line} " + "a " * 512)[:1024] for line in range(16)]


SHAPES: dict[str, Callable[[], http.HTTPFlow]] = {
    "an ordinary 401 (JSON error, Bearer challenge)": lambda: _flow(
        [("Authorization", "Bearer abc.def.ghi"), ("Accept", "application/json")],
        [("WWW-Authenticate", 'Bearer error="invalid_token"'), ("Content-Type", "application/json")],
        b'{"error": "invalid_token", "error_description": "The access token expired"}',
    ),
    "128 cookies of 4 KB, each of 450 dotted parts": lambda: _flow(
        [("Cookie", "; ".join(f"c{c}={_dotted(c)}" for c in range(128)))], [("Content-Type", "text/plain")], b"denied"
    ),
    "the same, 64 of them echoed in 64 headers": lambda: _flow(
        [("Cookie", "; ".join(f"c{c}={_dotted(c)}" for c in range(128)))],
        [(f"X-Echo-{c}", _dotted(c)[:1000]) for c in range(64)],
        b"denied",
    ),
    "64 request and 64 response headers of 8 KB of URL pairs": lambda: _flow(
        [("Accept", f"{_PAIRS}{n}") for n in range(64)], [("Link", f"{_PAIRS}{n}") for n in range(64)], b"no"
    ),
    "64 Set-Cookie lines of 256 comma-packed cookies": lambda: _flow(
        [], [("Set-Cookie", f"c{i}=v" + ",a=b" * 255) for i in range(64)], b"no"
    ),
    "a Digest Authorization of 256 KB": lambda: _flow([("Authorization", "Digest x=1, " + "a " * 131072)], [], b"no"),
    "a query of 2 MB": lambda: _flow([], [], b"no", path="/api?" + "a=x&" * 500_000),
    "a Host header of 8,000 non-ASCII letters": lambda: _flow([("Host", "\u00e9" * 8000)], [], b"no"),
    "an HTML body of 820 unclosed <pre>": lambda: _flow([], [("Content-Type", "text/html")], b"<pre>" * 820),
    "a Date of 6 MB and 1M content codings": lambda: _flow(
        [], [("Date", "Mon, " * 1_200_000), ("Content-Encoding", "gzip," * 1_000_000)], b"\x1f\x8b"
    ),
    "a Referer of 2 MB": lambda: _flow([("Referer", "a" * 2_000_000 + ":x")], [], b"no"),
    "16 + 16 challenge lines of 500 one-letter schemes": lambda: _flow(
        [], [*(("WWW-Authenticate", v) for v in _CHALLENGE_FLOOD), *(("Proxy-Authenticate", "p" + v) for v in _CHALLENGE_FLOOD)], b"no"
    ),
    "a reason phrase of 2 KB and a method of 40 letters": lambda: _flow([], [], b"no", reason="Unauthorized, " * 160),
}


def _empty_caches() -> None:
    for name in ("_SHAPES", "_AS_THEY_WERE"):
        getattr(exchange_module, name, {}).clear()
    for name in ("_credential_header", "_keeps_words", "_secret_name", "_host_of_authority"):
        cached = getattr(exchange_module, name, None)
        if cached is not None and hasattr(cached, "cache_clear"):
            cached.cache_clear()


def measure(rounds: int) -> dict[str, dict[str, float | str]]:
    results: dict[str, dict[str, float | str]] = {}
    for label, make in SHAPES.items():
        capture_ms, diagnosis_ms, outcome = [], [], "captured"
        for _ in range(rounds):
            flow = make()
            if "method" in label:
                flow.request.method = "M" * 40
            _empty_caches()
            start = time.thread_time()
            try:
                captured = Companion().capture(flow)
            except Exception as exc:  # noqa: BLE001 - a shape that breaks the capture is a finding
                outcome = f"capture failed: {exc.__class__.__name__}"
                break
            capture_ms.append(1000 * (time.thread_time() - start))
            try:
                exchange = Exchange.model_validate_json(json.dumps(captured, ensure_ascii=False))
            except ValueError as exc:
                outcome = f"refused by the service: {str(exc).splitlines()[1] if len(str(exc).splitlines()) > 1 else exc}"
                break
            start = time.thread_time()
            diagnose(exchange)
            diagnosis_ms.append(1000 * (time.thread_time() - start))
        results[label] = {
            "capture_ms": min(capture_ms) if capture_ms else float("nan"),
            "diagnosis_ms": min(diagnosis_ms) if diagnosis_ms else float("nan"),
            "outcome": outcome,
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the results here")
    options = parser.parse_args()
    results = measure(options.rounds)
    print(f"CPU ms, least of {options.rounds} rounds; targets: capture {CAPTURE_TARGET_MS:.0f} ms, diagnosis {DIAGNOSIS_TARGET_MS:.0f} ms")
    print(f"{'shape':<56} {'capture':>9} {'diagnosis':>10}  outcome")
    for label, row in results.items():
        print(f"{label:<56} {row['capture_ms']:9.1f} {row['diagnosis_ms']:10.1f}  {row['outcome']}")
    if options.json:
        options.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
