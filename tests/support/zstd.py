"""zstd for the tests' bombs and bodies, with whichever module this mitmproxy brought: Python's
own `compression.zstd` (3.14), its backport (mitmproxy 12.3 and later) or zstandard (before)."""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from companion.capture import decode

__all__ = ["zstd_compress", "zstd_stream"]


def _module():  # type: ignore[no-untyped-def]
    """The zstd module the addon reads with, or zstandard where mitmproxy brings that instead."""
    return decode._zstd_module() or importlib.import_module("zstandard")


def zstd_stream(chunks: Iterable[bytes], level: int = 3) -> bytes:
    """One zstd frame of `chunks`, compressed as they come (a bomb never exists whole)."""
    module = _module()
    compressor = module.ZstdCompressor(level=level)
    if module.__name__ == "zstandard":
        compressor = compressor.compressobj()
    return b"".join(compressor.compress(chunk) for chunk in chunks) + compressor.flush()


def zstd_compress(data: bytes) -> bytes:
    return zstd_stream([data])
