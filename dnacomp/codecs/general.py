"""General-purpose codec for the small streams (headers, layout, exceptions, case runs, ...).

Byte format of a coded stream: one method byte, then the payload.
  0  stored: payload is the raw bytes
  1  zlib (level 9, zlib container)
  2  bz2 (level 9)
  3  LZMA2 raw stream (preset 9 | extreme; raw format, so no 60-byte xz header on tiny streams),
     dictionary = the raw length rounded up to a power of two (4 KiB..64 MiB), on both sides: a
     window larger than the data gains nothing and costs up to 65 MB of memory per call
An empty stream is coded as zero bytes. The encoder tries the methods and keeps the smallest,
so a stream never costs more than one byte over its raw size. The decoder is told the raw
length and refuses to produce more (a corrupt or hostile archive cannot make it allocate
beyond what the archive declared).
"""

from __future__ import annotations

import bz2
import lzma
import zlib

from ..errors import ArchiveError

STORED, ZLIB, BZ2, LZMA = 0, 1, 2, 3


def _lzma_filters(raw_len: int) -> list[dict]:
    dict_size = min(max(1 << max(raw_len - 1, 1).bit_length(), 1 << 12), 1 << 26)
    return [{"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME, "dict_size": dict_size}]


_METHOD_NAMES = {STORED: "stored", ZLIB: "zlib", BZ2: "bz2", LZMA: "lzma"}


def method_name(coded: bytes) -> str:
    return _METHOD_NAMES.get(coded[0], "?") if coded else "empty"


def _compress(method: int, raw: bytes) -> bytes:
    if method == ZLIB:
        return zlib.compress(raw, 9)
    if method == BZ2:
        return bz2.compress(raw, 9)
    return lzma.compress(raw, format=lzma.FORMAT_RAW, filters=_lzma_filters(len(raw)))


_PIECE = 1 << 20


def fast_size(raw: bytes) -> int:
    """len(encode(raw, fast=True)), without building it: zlib's output is only counted, fed a
    piece at a time (deflate's output does not depend on how its input is split), because
    ``zlib.compress`` holds up to 3 times its output at once (growing blocks, then one copy)."""
    if not raw:
        return 0
    view = memoryview(raw)
    z = zlib.compressobj(9)
    size = sum(len(z.compress(view[i : i + _PIECE])) for i in range(0, len(view), _PIECE)) + len(z.flush())
    return 1 + min(len(raw), size)


def encode(raw: bytes, fast: bool = False) -> bytes:
    """Smallest of the methods; ``fast`` skips the slow ones for big streams at low levels."""
    if not raw:
        return b""
    # the first smallest in the order stored, zlib, bz2, lzma. Only the best payload so far is
    # kept and only the winner gets its method byte: a candidate can be as big as the stream
    best_method, best = STORED, raw
    for method in (ZLIB,) if fast else (ZLIB, BZ2, LZMA):
        payload = _compress(method, raw)
        if len(payload) < len(best):
            best_method, best = method, payload
        del payload
    return bytes([best_method]) + best


def decode(coded: bytes, raw_len: int) -> bytes:
    if not coded:
        if raw_len:
            raise ArchiveError("empty payload for a non-empty stream")
        return b""
    method, payload = coded[0], coded[1:]
    try:
        if method == STORED:
            out = bytes(payload)
        elif method == ZLIB:
            d = zlib.decompressobj()
            out = d.decompress(payload, raw_len + 1)
        elif method == BZ2:
            out = bz2.BZ2Decompressor().decompress(payload, raw_len + 1)
        elif method == LZMA:
            d = lzma.LZMADecompressor(format=lzma.FORMAT_RAW, filters=_lzma_filters(raw_len))
            out = d.decompress(payload, raw_len + 1)
        else:
            raise ArchiveError(f"unknown stream method {method}")
    except (zlib.error, OSError, lzma.LZMAError, EOFError, ValueError) as exc:
        raise ArchiveError(f"corrupt stream ({_METHOD_NAMES.get(method, method)}): {exc}") from None
    if len(out) != raw_len:
        raise ArchiveError(f"stream decodes to {len(out)} bytes, archive says {raw_len}")
    return out
