"""Long-read name shapes: UUIDs and ISO timestamps taken out of read names before the tokeniser.

Why: a nanopore read name is a random UUID (``83ccd09b-02bf-4623-b1e5-2233a3fb1d35``) followed by
``key=value`` comments, one of them an ISO timestamp (``start_time=2019-04-12T21:46:43Z``). The
tokeniser (``names.py``) cuts a UUID into short digit and letter runs whose types, lengths and
values change from read to read, so it pays ~440 bits per ONT cDNA read, twice what bz2 pays. A
UUID is 128 random bits at most (122 for version 4, whose version and variant nibbles are
fixed), and a timestamp is one number that moves with the read counter. So before tokenising:

- every UUID (8-4-4-4-12 hex digits, all lower case or all upper case) is replaced by a marker
  byte (1 lower case, 3 upper case) and its 32 hex digits are coded here, apart: per digit a
  4-bit binary tree with adaptive probabilities in the context of the digit's position and of
  the UUID's rank in its name (0, 1, 2, 3+), so fixed digits cost nothing once learnt; a UUID
  after the first of its name first codes a flag "equal to the name's first UUID" (the
  ``parent_read_id=`` of newer basecallers repeats the read's own id);
- every ``YYYY-MM-DDTHH:MM:SS`` not followed by a digit is replaced by marker byte 2 and the
  time in seconds since 1970 as decimal digits, so the tokeniser predicts one number (fractions
  and zone suffixes stay as text after it). Only when every timestamp of the chunk reads back
  exactly (a valid date, 1970..9999); otherwise the timestamps stay text.

The transform applies to a chunk only when its names hold no byte 1, 2 or 3 (so markers are
unambiguous) and at least one UUID or timestamp; ``fields.py`` keeps it only when it codes
smaller than the plain tokeniser. Byte format of ``encode_shaped(names, n)``::

    flags (bit 0: UUIDs taken out, bit 1: timestamps converted) | uvarint len(R) | R | U

R is ``names.encode_names`` of the transformed names, U the arithmetic-coded UUID digits (as many
UUIDs as R holds markers 1 and 3, in order), flushed with its 4 bytes and consumed exactly.

Names of many TAB-separated fields, the same number in every name (Dorado writes a UUID and ~15
SAM tags, ~90 tokens where the tokeniser keeps 64 per name), are also tried in groups of
COLUMN_GROUP fields, each group coded as above on its own; the smaller coding is kept::

    4 (F_COLUMNS) | uvarint G | G x (uvarint len(S) | S)

where S is the coding above (flags 0..3) of group g: fields g*COLUMN_GROUP.. of every name,
joined by TABs; each name is its groups' lines joined by TABs again.
"""

from __future__ import annotations

import re

import numpy as np

from ..coding.arith import decode_init, encode_flush
from ..coding.varint import decode_uvarints_at, encode_uvarints
from ..errors import ArchiveError
from ..kernel_cache import njit
from . import names as name_codec
from .names import _cb as _code_bit

__all__ = ["applies", "encode_shaped", "decode_shaped"]

UUID_LOWER, TIME_MARK, UUID_UPPER = 1, 2, 3
MARKERS = re.compile(rb"[\x01\x02\x03]")
UUID_RE = re.compile(
    rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    rb"|[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}"
)
TIME_RE = re.compile(rb"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?![0-9])")
TIME_BACK_RE = re.compile(rb"\x02([0-9]{1,12})")
MAX_TIME = 253402300799  # 9999-12-31T23:59:59
F_UUID, F_TIME, F_COLUMNS = 1, 2, 4
#: names of many TAB-separated fields (Dorado's SAM tags: a UUID and ~15 ``xx:T:value`` fields,
#: ~90 tokens, past the tokeniser's 64) are also tried cut into groups of this many fields, each
#: group shaped and tokenised on its own (5,000 Dorado-like names: 371 -> 264 bits/read, bz2 347)
COLUMN_GROUP = 4

DIGITS = 32  # hex digits of a UUID
RANKS = 4  # a UUID's rank in its name: 0, 1, 2, 3 or more
OFF_REPEAT = 0  # rank -> "equal to the name's first UUID"
OFF_DIGITS = RANKS  # (rank, position, tree node)
TABLE_SIZE = OFF_DIGITS + RANKS * DIGITS * 16
BYTES_PER_UUID = 200  # 1 + 128 decisions of at most 11 bits each, rounded up

_HEX_VALUE = np.full(256, 255, dtype=np.uint8)
for _i, _c in enumerate(b"0123456789abcdef"):
    _HEX_VALUE[_c] = _i
    _HEX_VALUE[ord(chr(_c).upper())] = _i
_HEX_LOWER = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_HEX_UPPER = np.frombuffer(b"0123456789ABCDEF", dtype=np.uint8)
_DASHES = (8, 13, 18, 23)  # where a rendered UUID has its dashes
_DIGIT_COLUMNS = np.array([i for i in range(36) if i not in _DASHES])


def applies(names: bytes) -> bool:
    """Whether the transform can and may pay: no marker byte in the names, and a UUID or a
    timestamp in them (a regex scan in C: no cost on Illumina names)."""
    return MARKERS.search(names) is None and (UUID_RE.search(names) is not None or TIME_RE.search(names) is not None)


@njit(cache=True, _nrt=False)
def _uuid_kernel(mode, rest, digits, buf, cs, table):
    """Code (mode 0) or decode (mode 1) the digits of every UUID marked in ``rest``, in order;
    returns the number of UUIDs seen. ``digits`` is (UUIDs, 32): read when coding, written when
    decoding."""
    k = 0
    rank = 0
    first = 0
    for i in range(rest.shape[0]):
        c = rest[i]
        if c == 10:
            rank = 0
            continue
        if c != 1 and c != 3:
            continue
        r = rank if rank < RANKS else RANKS - 1
        repeat = 0
        if rank > 0:
            if mode == 0:
                repeat = 1
                for p in range(DIGITS):
                    if digits[k, p] != digits[first, p]:
                        repeat = 0
                        break
            repeat = _code_bit(mode, repeat, table, OFF_REPEAT + r, cs, buf)
        if repeat:
            if mode == 1:
                for p in range(DIGITS):
                    digits[k, p] = digits[first, p]
        else:
            for p in range(DIGITS):
                v = np.int64(digits[k, p]) if mode == 0 else np.int64(0)
                node = 1
                base = OFF_DIGITS + (r * DIGITS + p) * 16
                for b in range(3, -1, -1):
                    bit = _code_bit(mode, (v >> b) & 1, table, base + node, cs, buf)
                    node = 2 * node + bit
                if mode == 1:
                    digits[k, p] = node - 16
        if rank == 0:
            first = k
        rank += 1
        k += 1
    return k


def _take_uuids(names: bytes) -> tuple[bytes, np.ndarray]:
    """The names with each UUID replaced by its marker, and the UUIDs' digits in order."""
    found = UUID_RE.findall(names)
    marks = [b"\x01" if u == u.lower() else b"\x03" for u in found]
    hexes = np.frombuffer(b"".join(found), dtype=np.uint8).reshape(len(found), 36)[:, _DIGIT_COLUMNS]
    return _interleave(UUID_RE.split(names), marks), _HEX_VALUE[hexes]


def _interleave(pieces: list[bytes], inserts: list[bytes]) -> bytes:
    """pieces[0] + inserts[0] + pieces[1] + ...: the text a pattern split, with what replaces
    each match (len(pieces) == len(inserts) + 1)."""
    out = [pieces[0]]
    for insert, after in zip(inserts, pieces[1:]):
        out.append(insert)
        out.append(after)
    return b"".join(out)


def _convert_times(names: bytes) -> bytes | None:
    """The names with each timestamp replaced by marker 2 and its seconds, or None when one of
    them would not read back exactly (an invalid date, or one before 1970)."""
    found = TIME_RE.findall(names)
    try:
        seconds = np.array([s.decode() for s in found], dtype="datetime64[s]").astype(np.int64)
    except ValueError:
        return None
    if seconds.min() < 0 or seconds.max() > MAX_TIME or not np.array_equal(_render_times(seconds), found):
        return None
    return _interleave(TIME_RE.split(names), [b"\x02%d" % t for t in seconds.tolist()])


def _render_times(seconds: np.ndarray) -> list[bytes]:
    return [s.encode() for s in np.asarray(seconds, dtype=np.int64).astype("datetime64[s]").astype(str).tolist()]


def encode_shaped(names: bytes, n: int) -> bytes:
    """The shaped coding of ``n`` names joined by b"\\n" (the caller checked ``applies``): whole,
    or, when every name has the same number of TAB-separated fields and more than COLUMN_GROUP,
    cut into groups of fields if that codes smaller."""
    whole = _encode_whole(names, n)
    groups = _column_groups(names)
    if groups is None:
        return whole
    parts = [bytes([F_COLUMNS]), encode_uvarints([len(groups)])]
    for group in groups:  # no group holds a marker byte, as the names did not: each is shaped alone
        coded = _encode_whole(group, n)
        parts += [encode_uvarints([len(coded)]), coded]
    split = b"".join(parts)
    return split if len(split) < len(whole) else whole


def _column_groups(names: bytes) -> list[bytes] | None:
    """The names cut into groups of COLUMN_GROUP TAB-separated fields (group g holds fields
    g*COLUMN_GROUP.. of every name, joined by TABs, the names joined by newlines), or None unless
    every name has the same number of fields and more than COLUMN_GROUP."""
    rows = names.split(b"\n")
    tabs = rows[0].count(b"\t")
    if tabs < COLUMN_GROUP or any(row.count(b"\t") != tabs for row in rows):
        return None
    cells = [row.split(b"\t") for row in rows]
    starts = range(0, tabs + 1, COLUMN_GROUP)
    return [b"\n".join(b"\t".join(fields[g : g + COLUMN_GROUP]) for fields in cells) for g in starts]


def _encode_whole(names: bytes, n: int) -> bytes:
    flags = 0
    rest = names
    digits = np.zeros((0, DIGITS), dtype=np.uint8)
    if UUID_RE.search(rest) is not None:
        rest, digits = _take_uuids(rest)
        flags |= F_UUID
    if TIME_RE.search(rest) is not None:
        converted = _convert_times(rest)
        if converted is not None:
            rest, flags = converted, flags | F_TIME
    coded_rest = name_codec.encode_names(rest, n)
    parts = [bytes([flags]), encode_uvarints([len(coded_rest)]), coded_rest]
    if flags & F_UUID:
        buf = np.empty(BYTES_PER_UUID * digits.shape[0] + 64, dtype=np.uint8)
        cs = name_codec._coder()  # its layout: coder state, position at [3]
        table = np.full(TABLE_SIZE, 1 << 31, dtype=np.uint32)
        seen = _uuid_kernel(0, np.frombuffer(rest, dtype=np.uint8), digits, buf, cs, table)
        assert seen == digits.shape[0], "UUID markers and digits disagree"
        parts.append(buf[: encode_flush(cs, buf, int(cs[3]))].tobytes())
    return b"".join(parts)


def decode_shaped(data: bytes, n: int, max_size: int) -> bytes:
    """Inverse of ``encode_shaped``; ArchiveError on anything inconsistent."""
    data = bytes(data)
    if len(data) >= 2 and data[0] == F_COLUMNS:
        return _decode_columns(data, n, max_size)
    return _decode_whole(data, n, max_size)


def _decode_columns(data: bytes, n: int, max_size: int) -> bytes:
    """Names coded as groups of fields: each group decoded as a whole stream, then every name
    rebuilt as its groups' lines joined by TABs."""
    count, p = _uvarint(data, 1, "group count")
    if not 2 <= count <= max_size // max(n, 1) + 1:
        raise ArchiveError("shaped names stream: implausible number of field groups")
    columns = []
    for _ in range(count):
        size, p = _uvarint(data, p, "group length")
        if p + size > len(data):
            raise ArchiveError("shaped names stream: truncated field group")
        lines = _decode_whole(data[p : p + size], n, max_size).split(b"\n")
        if len(lines) != n:
            raise ArchiveError("shaped names stream: a field group of another number of names")
        columns.append(lines)
        p += size
    if p != len(data):
        raise ArchiveError("shaped names stream: bytes after its end")
    return b"\n".join(b"\t".join(row) for row in zip(*columns))


def _uvarint(data: bytes, p: int, what: str) -> tuple[int, int]:
    """The uvarint at ``p`` and the position after it (at most 10 bytes are looked at)."""
    try:
        (value,), end = decode_uvarints_at(data[p : p + 10], 0, 1)
    except ArchiveError as e:
        raise ArchiveError(f"shaped names stream: bad {what} ({e})") from None
    return int(value), p + end


def _decode_whole(data: bytes, n: int, max_size: int) -> bytes:
    if len(data) < 2 or data[0] & ~(F_UUID | F_TIME):
        raise ArchiveError("shaped names stream: bad flags or truncated")
    flags = data[0]
    size, p = _uvarint(data, 1, "length")
    if p + size > len(data):
        raise ArchiveError("shaped names stream: truncated")
    # shorter than the names they stand for (a UUID becomes 1 byte, a timestamp at most 13), so
    # the names' own cap bounds them too
    rest = name_codec.decode_names(data[p : p + size], n, max_size=max_size)
    tail = data[p + size :]
    if flags & F_UUID:
        rest = _put_uuids(rest, tail)
    elif tail:
        raise ArchiveError("shaped names stream: bytes after its end")
    if flags & F_TIME:
        rest = _put_times(rest)
    if len(rest) > max_size:
        raise ArchiveError("shaped names stream: longer than the archive says")
    return rest


def _put_uuids(rest: bytes, coded: bytes) -> bytes:
    marks = np.frombuffer(rest, dtype=np.uint8)
    is_mark = (marks == UUID_LOWER) | (marks == UUID_UPPER)
    count = int(is_mark.sum())
    if count == 0 or len(coded) < 4:
        raise ArchiveError("shaped names stream: UUID digits missing")
    digits = np.zeros((count, DIGITS), dtype=np.uint8)
    buf = np.frombuffer(coded, dtype=np.uint8).copy()  # the encoder's type: one compilation
    cs = name_codec._coder()  # its layout: coder state, position at [3]
    cs[3] = decode_init(cs, buf, 0)
    table = np.full(TABLE_SIZE, 1 << 31, dtype=np.uint32)
    _uuid_kernel(1, marks, digits, buf, cs, table)
    if cs[3] != buf.shape[0]:
        raise ArchiveError("shaped names stream: UUID digits do not end where they should")
    upper = marks[is_mark] == UUID_UPPER
    text = np.full((count, 36), ord("-"), dtype=np.uint8)
    text[:, _DIGIT_COLUMNS] = np.where(upper[:, None], _HEX_UPPER[digits], _HEX_LOWER[digits])
    return _interleave(re.split(rb"[\x01\x03]", rest), [row.tobytes() for row in text])


def _put_times(rest: bytes) -> bytes:
    pieces = TIME_BACK_RE.split(rest)  # text, seconds, text, seconds, ..., text
    if len(pieces) == 1 or rest.count(b"\x02") != len(pieces) // 2:
        raise ArchiveError("shaped names stream: a timestamp marker without its seconds")
    seconds = np.array([int(s) for s in pieces[1::2]], dtype=np.int64)
    if seconds.max() > MAX_TIME:
        raise ArchiveError("shaped names stream: a timestamp past year 9999")
    pieces[1::2] = _render_times(seconds)
    return b"".join(pieces)
