"""The archive index (format version 5): which segment holds which bytes, residues and records,
so that a reader can decode one segment without the ones before it.

Why an index at the end and not a table at the start: the writer streams (stdin to stdout) and
learns a segment's offset only once it is written. The footer records the index's size and the
archive's, so a reader with a seekable file reads the footer, then the index, then only the
segments it needs (``reader.py``).

Why no names: the record headers are already coded, well, in every segment's ``headers``
stream; a second copy in the index cost 4.3% of dm3's archive (26,454 long headers). The index
instead records, per segment, how many headers it holds and the CRC-32 of its coded header
stream, so a reader decodes only those streams (never the bases) to learn the names, and checks
them first. What remains per record are five numbers that are nearly constant on real files,
stored column by column so that deflate makes them almost free.

Layout (``docs/format.md``), raw deflate of:

  n_segments                                                    uvarint
  per segment: offset, raw_len, n_symbols, n_records, n_headers  uvarints
               headers_crc                                      u32 (CRC-32 of the coded
                                                                'headers' stream; 0 for FASTQ)
  n_records_listed    FASTA: one per header; FASTQ: 0            uvarint
  five columns of n_records_listed values each, in this order:
    length, gap, line_bases, line_width                          uvarints
    offset residual                                              zigzag svarints

``n_records`` of a segment is its block header's (the parser's count, which includes a record
continued from the segment before); ``n_headers`` counts the headers in it. A record's residues
start ``gap`` residues after the end of the record before (or the input's start), so every
residue has a global position. The offset residual is the record's .fai offset minus its
prediction: the previous record's offset plus its regular line bytes
(``RecordEntry.text_bytes``) plus this header's line ('>', header, '\\n'); 0 on regular files.
"""

from __future__ import annotations

import bisect
import itertools
import struct
import zlib
from dataclasses import dataclass, field

import numpy as np

from .coding.varint import decode_svarints, decode_uvarints_at, encode_svarints, encode_uvarints
from .errors import ArchiveError
from .formats.records import RecordEntry

#: the index inflated may not be longer than this; the bound keeps a hostile index from
#: exhausting memory (a real one is a few bytes per segment and per record)
MAX_INDEX_RAW = 1 << 34


@dataclass
class SegmentEntry:
    offset: int  # of its block, from the archive's first byte
    raw_len: int
    n_symbols: int
    n_records: int  # as its block header counts them
    n_headers: int = 0  # FASTA headers in it
    headers_crc: int = 0  # CRC-32 of its coded 'headers' stream (FASTA)


@dataclass
class ArchiveIndex:
    segments: list[SegmentEntry] = field(default_factory=list)
    records: list[RecordEntry] = field(default_factory=list)

    # --- derived positions, for lookups --------------------------------------------------------
    def segment_starts(self) -> list[int]:
        """The global position of each segment's first residue, and the total at the end."""
        return list(itertools.accumulate((s.n_symbols for s in self.segments), initial=0))

    def record_starts(self) -> list[int]:
        """The global position of each record's first residue."""
        out, pos = [], 0
        for r in self.records:
            pos += r.gap
            out.append(pos)
            pos += r.length
        return out

    def first_headers(self) -> list[int]:
        """The number of the first record whose header is in each segment (0-based)."""
        return list(itertools.accumulate((s.n_headers for s in self.segments), initial=0))[:-1]

    def first_records(self) -> list[int]:
        """The number of the first record (FASTQ: read) starting in each segment (0-based)."""
        return list(itertools.accumulate((s.n_records for s in self.segments), initial=0))[:-1]

    def segments_for(self, begin: int, end: int) -> range:
        """The segments holding the global residues [begin, end) (end > begin)."""
        starts = self.segment_starts()
        first = bisect.bisect_right(starts, begin) - 1
        last = bisect.bisect_left(starts, end) - 1
        return range(max(first, 0), max(last, first) + 1)

    def attach_headers(self, headers: list[bytes]) -> None:
        """Gives the records their headers (decoded from the segments' header streams) and, from
        them, their .fai offsets."""
        if len(headers) != len(self.records):
            raise ArchiveError(f"corrupt index ({len(self.records)} records, {len(headers)} headers)")
        for r, h in zip(self.records, headers):
            r.header = h
        _resolve_offsets(self.records)

    def find(self, name: bytes) -> int | None:
        """The number of the first record of this name (as samtools, which keeps the first)."""
        lookup = getattr(self, "_names", None)
        if lookup is None:
            lookup = {}
            for i, r in enumerate(self.records):
                lookup.setdefault(r.name, i)
            self._names = lookup
        return lookup.get(name)


def _predicted(records: list[RecordEntry], i: int, previous_offset: int) -> int:
    before = previous_offset + records[i - 1].text_bytes() if i else 0
    return before + len(records[i].header) + 2


def _resolve_offsets(records: list[RecordEntry]) -> None:
    """Offsets from the residuals stored in ``offset`` (in place)."""
    previous = 0
    for i, r in enumerate(records):
        r.offset = _predicted(records, i, previous) + r.offset
        if r.offset < 0:
            raise ArchiveError("corrupt index (a negative record offset)")
        previous = r.offset


def pack_index(index: ArchiveIndex) -> bytes:
    out = bytearray(encode_uvarints([len(index.segments)]))
    for s in index.segments:
        out += encode_uvarints([s.offset, s.raw_len, s.n_symbols, s.n_records, s.n_headers])
        out += struct.pack("<I", s.headers_crc)
    rec = index.records
    out += encode_uvarints([len(rec)])
    for column in ("length", "gap", "line_bases", "line_width"):
        out += encode_uvarints(np.array([getattr(r, column) for r in rec], dtype=np.uint64))
    previous, residuals = 0, []
    for i, r in enumerate(rec):
        residuals.append(r.offset - _predicted(rec, i, previous))
        previous = r.offset
    out += encode_svarints(np.array(residuals, dtype=np.int64))
    return zlib.compress(bytes(out), 9)[2:-4]


def unpack_index(packed: bytes) -> ArchiveIndex:
    """The index of ``packed``, its records without headers (their ``offset`` holds the stored
    residual until ``attach_headers``); anything malformed is an ArchiveError."""
    inflater = zlib.decompressobj(-15)
    try:
        raw = inflater.decompress(packed, MAX_INDEX_RAW)
    except zlib.error as exc:
        raise ArchiveError(f"corrupt index (not valid deflate data: {exc})") from None
    if not inflater.eof or inflater.unused_data:
        raise ArchiveError("corrupt index (the deflate stream does not end where the index does)")
    pos = 0

    def numbers(count: int) -> list[int]:
        nonlocal pos
        try:
            values, pos = decode_uvarints_at(raw, pos, count)
        except (ValueError, IndexError, ArchiveError):
            raise ArchiveError("corrupt index (truncated or bad number)") from None
        if len(values) != count:
            raise ArchiveError("corrupt index (truncated)")
        return [int(v) for v in values]

    index = ArchiveIndex()
    (n,) = numbers(1)
    if n > len(raw):
        raise ArchiveError("corrupt index (segment count)")
    for _ in range(n):
        entry = SegmentEntry(*numbers(5))
        if pos + 4 > len(raw):
            raise ArchiveError("corrupt index (truncated)")
        (entry.headers_crc,) = struct.unpack_from("<I", raw, pos)
        pos += 4
        index.segments.append(entry)
    (n,) = numbers(1)
    if n > len(raw):
        raise ArchiveError("corrupt index (record count)")
    columns = [numbers(n) for _ in range(4)]
    try:
        residuals = [int(v) for v in decode_svarints(raw[pos:], n)]
    except (ValueError, IndexError, ArchiveError):
        raise ArchiveError("corrupt index (truncated or bad number)") from None
    if len(residuals) != n or len(encode_svarints(np.array(residuals, dtype=np.int64))) != len(raw) - pos:
        raise ArchiveError("corrupt index (stray bytes at its end)")
    for length, gap, line_bases, line_width, residual in zip(*columns, residuals):
        index.records.append(RecordEntry(b"", length, gap, line_bases, line_width, residual))
    return index
