"""Compression bombs and broken codings: only a bounded prefix of a 401's body is decoded,
whatever the server claims, so a few KB can never become a gigabyte inside the proxy."""

from __future__ import annotations

import gzip
import resource
import zlib

import brotli
import pytest
import zstandard

from companion.capture.decode import decoded_prefix

LIMIT = 4096
MESSAGE = b'{"error": "invalid_token", "error_description": "The access token expired"}'
BOMB_SIZE = 256 * 1024 * 1024  # 256 MB of zeros after the message


def _zeros(chunks: int = BOMB_SIZE // (1 << 20)):
    block = bytes(1 << 20)
    for _ in range(chunks):
        yield block


def _gzip_bomb() -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return compressor.compress(MESSAGE) + b"".join(compressor.compress(b) for b in _zeros()) + compressor.flush()


def _deflate_bomb() -> bytes:
    compressor = zlib.compressobj(9)
    return compressor.compress(MESSAGE) + b"".join(compressor.compress(b) for b in _zeros()) + compressor.flush()


def _brotli_bomb() -> bytes:
    compressor = brotli.Compressor(quality=1)
    return compressor.process(MESSAGE) + b"".join(compressor.process(b) for b in _zeros()) + compressor.finish()


def _zstd_bomb() -> bytes:
    compressor = zstandard.ZstdCompressor(level=1).compressobj()
    return compressor.compress(MESSAGE) + b"".join(compressor.compress(b) for b in _zeros()) + compressor.flush()


BOMBS = {"gzip": _gzip_bomb, "deflate": _deflate_bomb, "br": _brotli_bomb, "zstd": _zstd_bomb}


@pytest.mark.parametrize("coding", sorted(BOMBS))
def test_a_bomb_is_read_to_the_limit_and_no_further(coding: str):
    """256 MB hidden in a small body: the message at its start is read, and memory does not
    grow by anything like the bomb's size (the decoders stop at the limit)."""
    bomb = BOMBS[coding]()
    assert len(bomb) < BOMB_SIZE // 500
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    prefix = decoded_prefix(bomb, coding, LIMIT)
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert prefix is not None and prefix.startswith(MESSAGE) and len(prefix) == LIMIT
    assert grown_kb < 16 * 1024, f"{coding}: max RSS grew by {grown_kb} KB while reading {LIMIT} bytes"


@pytest.mark.parametrize(
    ("raw", "encoding", "expected"),
    [
        (MESSAGE, None, MESSAGE),
        (MESSAGE, "identity", MESSAGE),
        (gzip.compress(MESSAGE), "gzip", MESSAGE),
        (gzip.compress(MESSAGE), "x-gzip", MESSAGE),
        (zlib.compress(MESSAGE), "deflate", MESSAGE),
        (zlib.compress(MESSAGE)[2:-4], "deflate", MESSAGE),  # raw deflate, as some servers send
        (brotli.compress(MESSAGE), "br", MESSAGE),
        (zstandard.ZstdCompressor().compress(MESSAGE), "zstd", MESSAGE),
        (brotli.compress(gzip.compress(MESSAGE)), "gzip, br", MESSAGE),  # last applied, first undone
        (gzip.compress(MESSAGE)[:30], "gzip", None),  # cut short: what decodes, if anything
        (b"not gzip at all", "gzip", None),
        (MESSAGE, "compress", None),  # unknown coding: not guessed at
        (MESSAGE, "gzip, gzip, gzip", None),  # more layers than any real server uses
    ],
    ids=["plain", "identity", "gzip", "x-gzip", "deflate", "raw-deflate", "br", "zstd", "two-layers",
         "truncated-gzip", "junk-gzip", "unknown-coding", "three-layers"],
)  # fmt: skip
def test_codings_real_servers_send(raw: bytes, encoding: str | None, expected: bytes | None):
    prefix = decoded_prefix(raw, encoding, LIMIT)
    if expected is None and encoding == "gzip" and prefix is not None:
        assert MESSAGE.startswith(prefix)  # a truncated stream gives what it has, never junk
    else:
        assert prefix == expected


def test_a_brotli_window_bigger_than_real_servers_use_is_not_decoded():
    """The decoder would hold a 16 MB window for a 2^24 stream: a 401 body has no need of it
    (servers use 4 MB or less), so such a body is not read at all."""
    big_window = brotli.Compressor(quality=5, lgwin=24)
    body = big_window.process(MESSAGE) + big_window.process(bytes(1 << 20)) + big_window.finish()
    assert decoded_prefix(body, "br", LIMIT) is None
    assert decoded_prefix(brotli.compress(MESSAGE, lgwin=22), "br", LIMIT) == MESSAGE
