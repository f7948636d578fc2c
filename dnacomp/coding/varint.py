"""Unsigned LEB128 varints and zigzag mapping, vectorised with numpy.

Byte format (the usual protobuf/LEB128 one): each value is written as groups of 7 bits, least
significant group first; every byte but the last of a value has its high bit (0x80) set. A value
takes ``max(1, ceil(bitlength / 7))`` bytes, at most 10 for 64 bits. Values are concatenated with
no count and no separator: the count lives wherever the caller keeps its structure.

Why varints: the per-record and per-line integers of the layout streams (lengths, widths,
position deltas) are small and regular; varints keep them byte-aligned, so that the general byte
codec (lzma, bz2) behind them sees repeated byte patterns and squeezes a 70-column genome's
layout to a few bytes.

Why vectorised: a many-record FASTQ chunk has millions of such integers; encoding and decoding
loop over the (at most 10) byte positions, never over values.

Signed values go through zigzag first (0, -1, 1, -2, ... -> 0, 1, 2, 3, ...) so that small
magnitudes of either sign stay short.
"""

from __future__ import annotations

import numpy as np

from ..errors import ArchiveError

__all__ = [
    "encode_uvarints",
    "decode_uvarints",
    "decode_uvarints_at",
    "zigzag_encode",
    "zigzag_decode",
    "encode_svarints",
    "decode_svarints",
]

_MAX_BYTES = 10  # ceil(64 / 7)


def _as_uint64(values: np.ndarray | list[int]) -> np.ndarray:
    """Flatten to uint64, refusing negative input instead of silently wrapping it."""
    v = np.asarray(values)
    if v.dtype.kind == "i" and v.size and int(v.min()) < 0:
        raise ValueError("encode_uvarints got a negative value; use encode_svarints")
    if v.dtype.kind not in "iub":
        raise TypeError(f"encode_uvarints needs integers, got {v.dtype}")
    return v.astype(np.uint64, copy=False).ravel()


def encode_uvarints(values: np.ndarray | list[int]) -> bytes:
    """Encode unsigned integers as concatenated LEB128 varints."""
    v = _as_uint64(values)
    if v.size == 0:
        return b""
    # Number of 7-bit groups per value: one, plus one for every further non-zero group.
    nbytes = np.ones(v.size, dtype=np.int64)
    rest = v >> np.uint64(7)
    while rest.any():
        nbytes += rest != 0
        rest >>= np.uint64(7)
    offsets = np.cumsum(nbytes) - nbytes
    out = np.empty(int(offsets[-1] + nbytes[-1]), dtype=np.uint8)
    for k in range(int(nbytes.max())):
        sel = np.flatnonzero(nbytes > k) if k else slice(None)
        group = ((v[sel] >> np.uint64(7 * k)) & np.uint64(0x7F)).astype(np.uint8)
        more = (nbytes[sel] > k + 1).astype(np.uint8) << 7
        out[offsets[sel] + k] = group | more
    return out.tobytes()


def decode_uvarints_at(
    data: bytes | memoryview | np.ndarray, offset: int = 0, count: int | None = None
) -> tuple[np.ndarray, int]:
    """Decode ``count`` varints (all remaining if None) starting at byte ``offset``.

    Returns the values (uint64) and the offset just past the last byte consumed, so that callers
    can read several sections out of one buffer. Truncated or over-long input raises ArchiveError:
    varints only ever come out of archives, so malformed ones mean a corrupt archive.
    """
    buf = data if isinstance(data, np.ndarray) else np.frombuffer(data, dtype=np.uint8)
    b = buf[offset:]
    ends = np.flatnonzero(b < 0x80)
    if count is None:
        if b.size and (ends.size == 0 or ends[-1] != b.size - 1):
            raise ArchiveError("truncated varint stream")
        count = int(ends.size)
    elif ends.size < count:
        raise ArchiveError(f"varint stream holds {ends.size} values, expected {count}")
    if count == 0:
        return np.zeros(0, dtype=np.uint64), offset
    ends = ends[:count]
    starts = np.empty(count, dtype=np.int64)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    lengths = ends - starts + 1
    longest = int(lengths.max())
    if longest > _MAX_BYTES or (longest == _MAX_BYTES and int(b[ends[lengths == _MAX_BYTES]].max()) > 1):
        raise ArchiveError("varint does not fit in 64 bits")
    out = (b[starts] & 0x7F).astype(np.uint64)
    for k in range(1, longest):
        sel = np.flatnonzero(lengths > k)
        out[sel] |= (b[starts[sel] + k] & 0x7F).astype(np.uint64) << np.uint64(7 * k)
    return out, offset + int(ends[-1]) + 1


def decode_uvarints(data: bytes | memoryview | np.ndarray, count: int | None = None) -> np.ndarray:
    """Decode varints from the start of ``data``: all of them, or exactly the first ``count``."""
    values, _ = decode_uvarints_at(data, 0, count)
    return values


def zigzag_encode(values: np.ndarray | list[int]) -> np.ndarray:
    """Map int64 to uint64 so that small magnitudes of either sign become small numbers."""
    v = np.asarray(values, dtype=np.int64)
    return ((v << np.int64(1)) ^ (v >> np.int64(63))).view(np.uint64)


def zigzag_decode(values: np.ndarray) -> np.ndarray:
    """Inverse of zigzag_encode."""
    u = np.asarray(values, dtype=np.uint64)
    return (u >> np.uint64(1)).view(np.int64) ^ -(u & np.uint64(1)).view(np.int64)


def encode_svarints(values: np.ndarray | list[int]) -> bytes:
    """Signed integers as zigzag varints."""
    return encode_uvarints(zigzag_encode(values))


def decode_svarints(data: bytes | memoryview | np.ndarray, count: int | None = None) -> np.ndarray:
    """Inverse of encode_svarints (int64)."""
    return zigzag_decode(decode_uvarints(data, count))
