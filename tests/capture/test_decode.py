"""Compression bombs and broken codings: only a bounded prefix of a 401's body is decoded,
whatever the server claims, so a few KB can never become a gigabyte inside the proxy."""

from __future__ import annotations

import gzip
import resource
import zlib

import brotli
import pytest

from companion.capture.decode import decoded_prefix
from tests.support.zstd import zstd_compress, zstd_stream

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
    return zstd_stream([MESSAGE, *_zeros()], level=1)


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
        (zstd_compress(MESSAGE), "zstd", MESSAGE),
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


@pytest.fixture(params=["zstd module", "zstandard"])
def zstd_reader(request, monkeypatch):
    """Both ways a zstd body is read: the module mitmproxy 12.3 and later bring (Python's own
    `compression.zstd` or its backport), and zstandard, which mitmproxy 12.2 and before bring."""
    if request.param == "zstandard":
        monkeypatch.setattr("companion.capture.decode._zstd_module", lambda: None)
    return request.param


def _zstd_with_window(data: bytes, window_log: int) -> bytes:
    import zstandard

    params = zstandard.ZstdCompressionParameters.from_level(1, window_log=window_log)
    return zstandard.ZstdCompressor(compression_params=params).compress(data)


def test_a_zstd_body_is_read_to_the_limit_either_way(zstd_reader):
    assert decoded_prefix(zstd_compress(MESSAGE), "zstd", LIMIT) == MESSAGE
    assert decoded_prefix(zstd_stream([MESSAGE, *_zeros(64)], level=1), "zstd", LIMIT) == MESSAGE + bytes(LIMIT - len(MESSAGE))


def test_a_zstd_body_asking_for_a_window_beyond_http_s_8_mb_is_not_read(zstd_reader):
    """HTTP's zstd keeps to an 8 MB window (RFC 9659); a 401 whose frame asks the decoder for
    128 MB is a bomb: nothing is read, and nothing like the window is allocated."""
    body = MESSAGE + bytes(64 << 20)
    assert decoded_prefix(_zstd_with_window(body, 23), "zstd", LIMIT) == body[:LIMIT]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert decoded_prefix(_zstd_with_window(body, 27), "zstd", LIMIT) is None
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 16 * 1024


def _skippable(payload: bytes) -> bytes:
    return (0x184D2A50).to_bytes(4, "little") + len(payload).to_bytes(4, "little") + payload


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (zstd_compress(MESSAGE[:30]) + zstd_compress(MESSAGE[30:]), MESSAGE),  # two frames: one body
        (_skippable(b"meta") + zstd_compress(MESSAGE), MESSAGE),  # a skippable frame first
        (zstd_compress(MESSAGE) + b"garbage after the frame", None),  # broken: no message guessed at
    ],
    ids=["two-frames", "skippable-first", "trailing-garbage"],
)
def test_a_zstd_body_of_several_frames_is_read_as_one_either_way(zstd_reader, raw, expected):
    """zstd data may be frames in a row (RFC 8878 §3.1): the body is all of them, whichever
    zstd module mitmproxy brought."""
    assert decoded_prefix(raw, "zstd", LIMIT) == expected


def test_a_zstd_body_of_endless_empty_frames_is_read_bounded():
    """Thousands of empty frames in a 64 KB body: a few are read, then the rest is left."""
    raw = zstd_compress(b"") * 5000 + zstd_compress(MESSAGE)
    assert len(raw) < 64 * 1024
    assert decoded_prefix(raw, "zstd", LIMIT) == b""  # stopped after the first 64 frames
