"""The first few KB of a response body, decoded, whatever the server claims it compressed.

mitmproxy's `get_content()` decodes a whole body in one go: a 1.8 KB brotli body that expands
to 1 GB would fill the proxy's memory and stall its event loop for seconds. A 401's error
message is in its first few KB, so only a bounded prefix is ever decoded, with streaming
decoders that stop at the limit: zlib's `decompressobj(...).decompress(data, max_length)`,
Brotli's `Decompressor.process(data, output_buffer_limit=…)`, and for zstd the same
`decompress(data, max_length)` of Python's own `compression.zstd` (3.14) or of its backport,
or zstandard's `stream_reader`. Brotli and a zstd module come with mitmproxy itself (zstandard
up to 12.2, `backports.zstd` from 12.3); without them those codings are not read.
"""

from __future__ import annotations

import importlib
import io
import zlib
from collections.abc import Callable
from typing import Any

__all__ = ["decoded_prefix"]

_MAX_LAYERS = 2
"""`Content-Encoding: gzip, br` is legal; more layers than this are no real server's."""


def _gzip(data: bytes, limit: int) -> bytes:
    return zlib.decompressobj(wbits=16 + zlib.MAX_WBITS).decompress(data, limit)


def _deflate(data: bytes, limit: int) -> bytes:
    # HTTP's "deflate" is zlib-wrapped, but some servers send raw deflate: try both.
    try:
        return zlib.decompressobj(wbits=zlib.MAX_WBITS).decompress(data, limit)
    except zlib.error:
        return zlib.decompressobj(wbits=-zlib.MAX_WBITS).decompress(data, limit)


# The decoder holds the whole window in memory: 2^24 bytes for the largest. Servers use 4 MB
# (the brotli library's default) or less; a bigger window on a 401 is a bomb, not a message.
_BROTLI_MAX_WBITS = 22


def _brotli_window_bits(data: bytes) -> int | None:
    """WBITS from a brotli stream's first bits (RFC 7932 §9.1), or None for large-window
    streams, which HTTP does not use."""
    if not data:
        return None
    bits = data[0] | (data[1] << 8 if len(data) > 1 else 0)
    if not bits & 1:
        return 16
    n = (bits >> 1) & 0b111
    if n:
        return 17 + n
    m = (bits >> 4) & 0b111
    if m == 1:
        return None
    return 8 + m if m else 17


def _brotli(data: bytes, limit: int) -> bytes:
    import brotli  # mitmproxy's dependency

    wbits = _brotli_window_bits(data)
    if wbits is None or wbits > _BROTLI_MAX_WBITS:
        raise ValueError(f"a brotli window of 2^{wbits} bytes on a 401 body")
    return brotli.Decompressor().process(data, output_buffer_limit=limit)[:limit]


def _zstd_module() -> Any:
    """The zstd module this mitmproxy brought: Python's own, its backport, or zstandard."""
    for name in ("compression.zstd", "backports.zstd"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    return None


# HTTP's zstd coding keeps its window to 8 MB (RFC 9659); a frame asking for more (zstd allows
# 128 MB by default) on a 401 is a bomb: refused before anything is allocated for it.
_ZSTD_MAX_WINDOW_LOG = 23


# zstd data may be several frames in a row, read as one (RFC 8878 §3.1), skippable ones among
# them; a real body has one or two. More is a server's junk: what they gave by then is kept.
_ZSTD_MAX_FRAMES = 64


def _zstd(data: bytes, limit: int) -> bytes:
    module = _zstd_module()
    if module is not None:
        options = {module.DecompressionParameter.window_log_max: _ZSTD_MAX_WINDOW_LOG}
        out = bytearray()
        for _ in range(_ZSTD_MAX_FRAMES):  # a decompressor reads one frame: the next gets a new one
            decompressor = module.ZstdDecompressor(options=options)
            out += decompressor.decompress(data, max_length=limit - len(out))
            if len(out) >= limit or not decompressor.eof:
                break
            data = decompressor.unused_data
            if not data:
                break
        return bytes(out[:limit])
    import zstandard  # mitmproxy 12.2 and before

    decompressor = zstandard.ZstdDecompressor(max_window_size=1 << _ZSTD_MAX_WINDOW_LOG)
    reader = decompressor.stream_reader(io.BytesIO(data))
    out = bytearray()
    while len(out) < limit:
        chunk = reader.read(limit - len(out))
        if not chunk:
            break
        out += chunk
    return bytes(out)


_DECODERS: dict[str, Callable[[bytes, int], bytes]] = {
    "gzip": _gzip, "x-gzip": _gzip, "deflate": _deflate, "br": _brotli, "zstd": _zstd,
}  # fmt: skip


def decoded_prefix(raw: bytes, content_encoding: str | None, limit: int) -> bytes | None:
    """At most `limit` bytes of the decoded body; None when a coding is unknown or broken.
    Codings are undone last-applied first (RFC 9110 §8.4)."""
    if content_encoding and len(content_encoding) > 256:  # no real list of codings is this long
        return None
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip() and c.strip().lower() != "identity"]
    if len(codings) > _MAX_LAYERS:
        return None
    data = raw
    for coding in reversed(codings):
        decoder = _DECODERS.get(coding)
        if decoder is None:
            return None
        try:
            data = decoder(data, limit)
        except Exception:  # noqa: BLE001 - a broken or hostile stream is the server's problem: no body error
            return None
    return data[:limit]
