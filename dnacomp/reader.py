"""Random access to a version-5 or later archive: records, regions and read ranges, decoding only the
segments that hold them.

How: the footer at the end of the file gives the index's size and the archive's, so a reader
finds the index without reading the segments, and, when archives were concatenated
(``compress -c a.fa b.fa``), where each one starts. The index (``index.py``) maps a record to
global residue positions and those to segments; a segment decodes from a cold model state
(version 5), restores its original text, and the residues are read off that text
(``formats.records``), so what is extracted is what the file holds, case, N and IUPAC codes
included. Every segment is still checked against its CRC before its text is used.

Example::

    >>> import dnacomp
    >>> with dnacomp.open_archive("chr1.fa.dnac") as archive:    # doctest: +SKIP
    ...     archive.fetch("chr1", 1_000_000, 1_001_000)          # 0-based, end excluded, as pysam
    'GATTACA...'
"""

from __future__ import annotations

import os
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from .archive import NAME_SHAPES_VERSION, SEGMENTED_VERSION, check_meta, decode_block, read_header_sized
from .container import (
    INDEXED_FOOTER_SIZE,
    Block,
    parse_footer,
    read_block_or_footer,
    read_block_streams,
    read_index_section,
)
from .errors import ArchiveError, DnacompError
from .formats import UNPARSERS
from .formats.records import RecordEntry, residues
from .index import ArchiveIndex, unpack_index
from .models.params import ModelParams

_COMPLEMENT = bytes.maketrans(b"ACGTUMRWSYKVHDBNacgtumrwsykvhdbn", b"TGCAAKYWSRMBDHVNtgcaakywsrmbdhvn")


@dataclass
class Member:
    """One archive of the file (several when archives were concatenated)."""

    start: int  # its first byte in the file
    version: int
    kind: str
    params: ModelParams
    index: ArchiveIndex
    headers_loaded: bool = False


@dataclass
class Record:
    """A FASTA record as `info --records` and ``records()`` list it."""

    name: str
    length: int
    member: int
    number: int  # within its member, 0-based
    entry: RecordEntry


class SegmentDamaged(ArchiveError):
    """A segment failed its checks; the message names it and the records it holds."""


class ArchiveReader:
    """A .dnac file opened for random access (a seekable file of version-5 or later archives)."""

    def __init__(self, path: str):
        self.path = path
        if os.path.isdir(path):
            raise DnacompError(f"{path}: is a directory")
        self._file: BinaryIO = open(path, "rb")
        try:
            self.members = self._find_members()
        except BaseException:
            self._file.close()
            raise
        self.decoded: set[tuple[int, int]] = set()  # (member, segment) pairs decoded so far

    def __enter__(self) -> ArchiveReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._file.close()

    # --- structure ---------------------------------------------------------------------------
    @property
    def kind(self) -> str:
        return self.members[0].kind

    @property
    def n_segments(self) -> int:
        return sum(len(m.index.segments) for m in self.members)

    def _find_members(self) -> list[Member]:
        f = self._file
        end = f.seek(0, os.SEEK_END)
        if end == 0:
            raise ArchiveError("empty file, not a dnacomp archive")
        members: list[Member] = []
        while end > 0:
            members.insert(0, self._member_ending_at(end))
            end = members[0].start
        kinds = {m.kind for m in members}
        if len(kinds) > 1:
            raise DnacompError("the file holds both FASTA and FASTQ archives; extract from each on its own")
        return members

    def _member_ending_at(self, end: int) -> Member:
        f = self._file
        if end < INDEXED_FOOTER_SIZE:
            raise ArchiveError("truncated archive (no footer)")
        f.seek(end - INDEXED_FOOTER_SIZE)
        try:
            footer = parse_footer(f.read(INDEXED_FOOTER_SIZE), SEGMENTED_VERSION)
        except ArchiveError:
            f.seek(0)
            version, _, _ = read_header_sized(f)
            if version < SEGMENTED_VERSION:
                raise DnacompError(
                    f"version-{version} archive: it has no index, so parts of it cannot be read "
                    f"alone; decompress it and compress it again with this dnacomp (version "
                    f"{SEGMENTED_VERSION}) to extract from it"
                ) from None
            raise
        start = end - footer.member_len
        if not 0 <= start < end or footer.index_len + INDEXED_FOOTER_SIZE > footer.member_len:
            raise ArchiveError("corrupt footer (archive size)")
        f.seek(start)
        version, meta, header_bytes = read_header_sized(f)
        if version < SEGMENTED_VERSION:
            raise ArchiveError(f"corrupt footer (it ends a version-{version} archive)")
        kind, _, params = check_meta(meta, version)
        index_at = end - INDEXED_FOOTER_SIZE - footer.index_len
        f.seek(index_at)
        index = unpack_index(read_index_section(f, footer.index_len).packed)
        _check_layout(index, header_bytes, index_at - start, footer.n_blocks, kind)
        return Member(start, version, kind, params, index)

    # --- segments ----------------------------------------------------------------------------
    def segment_text(self, member: int, segment: int) -> bytes:
        """The original bytes of one segment, checked against its CRC."""
        m = self.members[member]
        entry = m.index.segments[segment]
        f = self._file
        f.seek(m.start + entry.offset)
        try:
            block = read_block_or_footer(f, segment, None, m.version)
            if not isinstance(block, Block) or (block.raw_len, block.n_symbols) != (entry.raw_len, entry.n_symbols):
                raise ArchiveError("it does not match the index")
            from .models.basecodec import BaseDecoder

            text = decode_block(block, m.kind, UNPARSERS[m.kind], BaseDecoder(m.params), m.version)
        except ArchiveError as exc:
            raise SegmentDamaged(f"segment {self._segment_name(member, segment)} is damaged ({exc})") from None
        self.decoded.add((member, segment))
        return text

    def _segment_name(self, member: int, segment: int) -> str:
        m = self.members[member]
        where = f" of archive {member + 1}" if len(self.members) > 1 else ""
        if m.kind == "fastq":
            first, n = m.index.first_records()[segment], m.index.segments[segment].n_records
            held = f"reads {first + 1}-{first + n}" if n != 1 else f"read {first + 1}"
        else:  # the records whose residues it holds
            starts, ends = m.index.segment_starts(), m.index.record_starts()
            lo, hi = starts[segment], starts[segment + 1]
            numbers = [i for i, (b, r) in enumerate(zip(ends, m.index.records)) if b < hi and b + r.length > lo]
            if not numbers:
                held = "no record's residues"
            else:
                names = ""
                if m.headers_loaded:
                    shown = [m.index.records[i].name.decode(errors="replace") for i in numbers[:3]]
                    names = " (" + ", ".join(shown) + (", ..." if len(numbers) > 3 else "") + ")"
                a, b = numbers[0] + 1, numbers[-1] + 1
                held = (f"records {a}-{b}" if b > a else f"record {a}") + names
        return f"{segment}{where} ({held})"

    # --- FASTA ---------------------------------------------------------------------------------
    def _member_records(self, member: int) -> ArchiveIndex:
        """The member's index with its records' headers: decoded from the segments' header
        streams (not the bases), each checked against the CRC the index holds for it."""
        m = self.members[member]
        if m.headers_loaded or m.kind != "fasta":
            return m.index
        from .codecs.fields import decode_fields

        headers: list[bytes] = []
        for s, entry in enumerate(m.index.segments):
            if entry.n_headers == 0:
                continue
            self._file.seek(m.start + entry.offset)
            try:
                block = read_block_streams(self._file, s, {"headers"})
                if "headers" not in block.streams or zlib.crc32(block.streams["headers"][1]) != entry.headers_crc:
                    raise ArchiveError("its header stream does not match the index's checksum")
                raw = decode_fields("fasta", {"headers": block.streams["headers"]}, block.n_symbols, block.n_records)
            except ArchiveError as exc:
                raise SegmentDamaged(f"segment {s} is damaged ({exc})") from None
            lines = raw["headers"].split(b"\n")
            if len(lines) != entry.n_headers:
                raise SegmentDamaged(
                    f"segment {s} is damaged (it holds {len(lines)} headers, the index says {entry.n_headers})"
                )
            headers += lines
        m.index.attach_headers(headers)
        m.headers_loaded = True
        return m.index

    def records(self) -> list[Record]:
        out = []
        for mi in range(len(self.members)):
            self._member_records(mi)
        for mi, m in enumerate(self.members):
            for i, r in enumerate(m.index.records):
                out.append(Record(r.name.decode("utf-8", errors="replace"), r.length, mi, i, r))
        return out

    def find(self, name: str | bytes) -> tuple[int, int] | None:
        """(member, record number) of the first record of this name."""
        key = name.encode() if isinstance(name, str) else name
        for mi in range(len(self.members)):
            i = self._member_records(mi).find(key)
            if i is not None:
                return mi, i
        return None

    def fetch(self, name: str, begin: int | None = None, end: int | None = None) -> str:
        """The residues [begin, end) of record ``name`` (0-based, end excluded, clamped to the
        record, as ``pysam.FastaFile.fetch``); the whole record without bounds."""
        return self.fetch_bytes(name, begin, end).decode("ascii", errors="replace")

    def fetch_bytes(self, name: str | bytes, begin: int | None = None, end: int | None = None) -> bytes:
        self._need("fasta")
        found = self.find(name)
        if found is None:
            raise DnacompError(f"{self.path}: no record named {name!r}")
        mi, ri = found
        m = self.members[mi]
        entry = m.index.records[ri]
        lo = 0 if begin is None else max(0, begin)
        hi = entry.length if end is None else min(end, entry.length)
        if hi <= lo:
            return b""
        first = m.index.record_starts()[ri]
        return self._residues(mi, first + lo, first + hi)

    def _residues(self, member: int, begin: int, end: int) -> bytes:
        index = self.members[member].index
        segments = index.segments_for(begin, end)
        starts = index.segment_starts()
        text = b"".join(self.segment_text(member, s) for s in segments)
        seq = residues(text)
        base = starts[segments[0]]
        return seq[begin - base : end - base].tobytes()

    # --- FASTQ ---------------------------------------------------------------------------------
    @property
    def n_reads(self) -> int:
        return sum(sum(s.n_records for s in m.index.segments) for m in self.members)

    def reads(self, first: int, last: int) -> bytes:
        """The text of reads ``first``..``last`` (1-based, inclusive, counted over the whole file)."""
        self._need("fastq")
        out = []
        offset = 0
        for mi, m in enumerate(self.members):
            starts = m.index.first_records()
            for s, entry in enumerate(m.index.segments):
                lo, hi = offset + starts[s] + 1, offset + starts[s] + entry.n_records
                if hi < first or lo > last or entry.n_records == 0:
                    continue
                bounds = _read_bounds(text := self.segment_text(mi, s), entry.n_records)
                a, b = max(first, lo) - lo, min(last, hi) - lo
                out.append(text[bounds[a] : bounds[b + 1]])
            offset += sum(e.n_records for e in m.index.segments)
        return b"".join(out)

    def reads_named(self, names: Iterable[bytes]) -> Iterator[bytes]:
        """The text of every read whose name (the header's first word) is in ``names``, in file
        order. Only the name streams of the segments are decoded to find them, then the segments
        that hold one."""
        self._need("fastq")
        wanted = set(names)
        for mi, m in enumerate(self.members):
            for s, entry in enumerate(m.index.segments):
                found = [i for i, n in enumerate(self._segment_names(mi, s)) if n in wanted]
                if not found:
                    continue
                text = self.segment_text(mi, s)
                bounds = _read_bounds(text, entry.n_records)
                for i in found:
                    yield text[bounds[i] : bounds[i + 1]]

    def _segment_names(self, member: int, segment: int) -> list[bytes]:
        from .codecs.fields import NAME_FIELDS, decode_fields

        m = self.members[member]
        entry = m.index.segments[segment]
        self._file.seek(m.start + entry.offset)
        field = NAME_FIELDS[m.kind]
        try:
            block = read_block_or_footer(self._file, segment, None, m.version)
            if not isinstance(block, Block) or field not in block.streams:
                raise ArchiveError("no name stream")
            raw = decode_fields(
                m.kind,
                {field: block.streams[field]},
                block.n_symbols,
                block.n_records,
                shaped_names=m.version >= NAME_SHAPES_VERSION,
            )[field]
        except ArchiveError as exc:
            raise SegmentDamaged(f"segment {self._segment_name(member, segment)} is damaged ({exc})") from None
        lines = raw.split(b"\n") if entry.n_records else []
        return [line.split(None, 1)[0] if line.strip() else b"" for line in lines]

    # --- what `dnacomp extract` writes ---------------------------------------------------------
    def region_text(self, text: str, reverse: bool = False) -> bytes:
        """One FASTA region (samtools syntax) as ``samtools faidx`` prints it."""
        self._need("fasta")
        region = parse_region(text, self)
        found = self.find(region.name)
        if found is None:
            raise DnacompError(f"{self.path}: no record named {region.name!r} (region {text!r})")
        entry = self.members[found[0]].index.records[found[1]]
        seq = self.fetch_bytes(region.name, region.begin, region.end)
        return format_region(region, seq, entry.line_bases, reverse)

    def reads_text(self, spec: str) -> bytes:
        """FASTQ reads '#from-to' (or '#n', 1-based, inclusive) as they are in the file."""
        self._need("fastq")
        m = re.fullmatch(r"#(\d+)(?:-(\d+))?", spec.strip())
        if not m:
            raise DnacompError(f"{self.path}: bad read range {spec!r} (expected '#from-to', e.g. '#1-1000')")
        first = int(m.group(1))
        last = int(m.group(2)) if m.group(2) else first
        if not 1 <= first <= last:
            raise DnacompError(f"{self.path}: bad read range {spec!r} (reads are numbered from 1, from <= to)")
        if first > self.n_reads:
            raise DnacompError(f"{self.path}: read range {spec!r} starts after the last read ({self.n_reads})")
        return self.reads(first, min(last, self.n_reads))

    def fai_text(self) -> bytes:
        """The original file's .fai (samtools faidx): NAME LENGTH OFFSET LINEBASES LINEWIDTH.
        Offsets count from the start of the original (the concatenation, when archives were
        concatenated); a name seen before is left out, as samtools leaves it out."""
        self._need("fasta")
        lines, shift, seen = [], 0, set()
        for mi, m in enumerate(self.members):
            for r in self._member_records(mi).records:
                if r.name in seen:
                    continue
                seen.add(r.name)
                lines.append(b"%s\t%d\t%d\t%d\t%d\n" % (r.name, r.length, shift + r.offset, r.line_bases, r.line_width))
            shift += sum(e.raw_len for e in m.index.segments)
        return b"".join(lines)

    def _need(self, kind: str) -> None:
        if self.kind != kind:
            raise DnacompError(f"{self.path}: holds {self.kind.upper()}, not {kind.upper()}")


def _read_bounds(text: bytes, n_reads: int) -> np.ndarray:
    """Where each of the ``n_reads`` 4-line records of a FASTQ text starts, and where the last ends."""
    lf = np.flatnonzero(np.frombuffer(text, dtype=np.uint8) == 10)
    ends = np.append(lf + 1, len(text))  # a last line without '\n' ends at the text's end
    return np.concatenate(([0], ends[3 : 4 * n_reads : 4]))[: n_reads + 1]


def _check_layout(index: ArchiveIndex, header_bytes: int, blocks_end: int, n_blocks: int, kind: str) -> None:
    """The index's segments must tile the bytes between the header and the index."""
    if len(index.segments) != n_blocks:
        raise ArchiveError("corrupt index (segment count does not match the footer)")
    offsets = [entry.offset for entry in index.segments]
    if offsets and (
        offsets[0] != header_bytes
        or any(b <= a for a, b in zip(offsets, offsets[1:], strict=False))
        or offsets[-1] >= blocks_end
    ):
        raise ArchiveError("corrupt index (segment offsets)")
    if kind == "fastq" and index.records:
        raise ArchiveError("corrupt index (records listed for FASTQ)")
    total = sum(r.gap + r.length for r in index.records)
    if total > index.segment_starts()[-1]:
        raise ArchiveError("corrupt index (records hold more residues than the segments)")


# --- regions, as samtools faidx writes them ------------------------------------------------------

_REGION = re.compile(r"^(?P<name>.*?)(?::(?P<beg>[\d,]+)(?:-(?P<end>[\d,]+))?)?$")


@dataclass
class Region:
    text: str  # as given: the output header
    name: str
    begin: int | None  # 0-based
    end: int | None  # excluded


def parse_region(text: str, reader: ArchiveReader) -> Region:
    """samtools' region syntax: ``name``, ``name:beg``, ``name:beg-end`` (1-based, inclusive,
    commas allowed in numbers); a whole string that is a record's name wins over reading a
    range out of it (``chr1:1-2`` may be a name)."""
    if reader.find(text) is not None:
        return Region(text, text, None, None)
    m = _REGION.match(text)
    if m and m.group("beg") is not None:
        beg = int(m.group("beg").replace(",", ""))
        end = int(m.group("end").replace(",", "")) if m.group("end") else None
        if end is not None and end < beg:
            raise DnacompError(f"{reader.path}: bad region {text!r} (it ends before it begins)")
        return Region(text, m.group("name"), max(beg - 1, 0), end)
    return Region(text, text, None, None)


def format_region(region: Region, seq: bytes, width: int, reverse: bool) -> bytes:
    """One region as samtools faidx prints it: '>' + the region as given (+ '/rc'), then the
    residues in lines of the record's own width."""
    if reverse:
        seq = seq.translate(_COMPLEMENT)[::-1]
    head = b">" + region.text.encode() + (b"/rc" if reverse else b"") + b"\n"
    width = width or max(len(seq), 1)
    return head + b"".join(seq[i : i + width] + b"\n" for i in range(0, len(seq), width))
