"""zstd for the tests' bombs and bodies, with whichever module this mitmproxy brought: Python's
own `compression.zstd` (3.14), its backport (mitmproxy 12.3 and later) or zstandard (before)."""

from __future__ import annotations

import importlib
from collections.abc import Iterable

__all__ = ["zstd_compress", "zstd_stream"]


def _module():  # type: ignore[no-untyped-def]
    for name in ("compression.zstd", "backports.zstd", "zstandard"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise ImportError("no zstd module: mitmproxy brings one (backports.zstd or zstandard)")


def zstd_stream(chunks: Iterable[bytes], level: int = 3) -> bytes:
    """One zstd frame of `chunks`, compressed as they come (a bomb never exists whole)."""
    module = _module()
    if module.__name__ == "zstandard":
        compressor = module.ZstdCompressor(level=level).compressobj()
        return b"".join(compressor.compress(chunk) for chunk in chunks) + compressor.flush()
    compressor = module.ZstdCompressor(level=level)
    return b"".join(compressor.compress(chunk) for chunk in chunks) + compressor.flush()


def zstd_compress(data: bytes) -> bytes:
    return zstd_stream([data])
