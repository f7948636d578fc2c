"""Where the records of a FASTA text are, and what its residues are: what the archive index
records and what region extraction reads back, computed from the text alone.

Why from the text and not from the parser's fields: the index must mean the same thing to a
second implementation of the format, so it is defined by the file as samtools sees it (a record
starts at a line beginning with '>', its name is the header up to the first white space, its
residues are the bytes of its other lines without their line endings) and not by how dnacomp
happens to split a chunk into streams. A FASTA parser of dnacomp and this module count the same
residues (``n_symbols`` of a block); the archive checks that they agree.

All per-byte and per-line work is numpy; Python loops only over the records (their names).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

_LF, _CR, _GT = 10, 13, ord(">")


@dataclass
class RecordEntry:
    """One FASTA record, as a .fai line holds it, plus where its residues start. The index stores
    the numbers; the header (and so the name) is in the segment's header stream, which the
    reader decodes instead of storing every name twice."""

    header: bytes  # the header line without '>' and its line ending
    length: int = 0  # residues
    gap: int = 0  # residues between the end of the record before (or the file's start) and this one
    line_bases: int = 0  # residues on its first sequence line (0: no sequence line yet)
    line_width: int = 0  # bytes of that line, line ending included
    offset: int = 0  # byte offset in the original file of its first residue (.fai OFFSET)

    @property
    def name(self) -> bytes:
        """What samtools calls the record: the header up to its first white space."""
        words = self.header.split(None, 1)
        return words[0] if words else b""

    def text_bytes(self) -> int:
        """Bytes of its sequence lines if they are regular (``line_bases`` residues a line, the
        last shorter): the start of the next record's header, as the index predicts it."""
        if self.length == 0 or self.line_bases == 0:
            return 0
        lines = -(-self.length // self.line_bases)
        return self.length + lines * (self.line_width - self.line_bases)


def _lines(buf: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(start, end without line ending, end with it) of every line of ``buf``."""
    lf = np.flatnonzero(buf == _LF)
    starts = np.concatenate(([0], lf + 1))
    ends = np.concatenate((lf + 1, [buf.size]))
    if starts[-1] == buf.size:  # the text ends with '\n': no last partial line
        starts, ends = starts[:-1], ends[:-1]
    content = ends.copy()
    has_lf = (ends > starts) & (buf[np.maximum(ends - 1, 0)] == _LF)
    content[has_lf] -= 1
    has_cr = has_lf & (content > starts) & (buf[np.maximum(content - 1, 0)] == _CR)
    content[has_cr] -= 1
    return starts, content, ends


def residue_mask(buf: np.ndarray) -> np.ndarray:
    """Which bytes of a FASTA text that starts at a line start are residues."""
    starts, content, _ = _lines(buf)
    is_header = buf[starts] == _GT if starts.size else np.zeros(0, dtype=bool)
    seq = ~is_header
    delta = np.zeros(buf.size + 1, dtype=np.int32)
    np.add.at(delta, starts[seq], 1)
    np.add.at(delta, content[seq], -1)
    return np.cumsum(delta[:-1]) > 0


def residues(text: bytes) -> np.ndarray:
    """The residues of a FASTA text that starts at a line start, in order, as uint8."""
    buf = np.frombuffer(text, dtype=np.uint8)
    return buf[residue_mask(buf)]


@dataclass
class RecordScanner:
    """Fed the chunks of one FASTA input in order, lists its records (``records``) and counts the
    residues of each chunk. A chunk may start inside a record (the one open at the end of the
    chunk before); residues before the first header belong to no record and count in the
    next record's ``gap``."""

    records: list[RecordEntry] = field(default_factory=list)
    headers_fed: list[int] = field(default_factory=list)  # per chunk: the headers it holds
    _offset: int = 0  # bytes of input fed so far
    _loose: int = 0  # residues since the last record ended (before the first header)

    def feed(self, chunk: bytes) -> int:
        """Scans one chunk; returns its residues."""
        n_before = len(self.records)
        try:
            return self._feed(chunk)
        finally:
            self.headers_fed.append(len(self.records) - n_before)

    def _feed(self, chunk: bytes) -> int:
        buf = np.frombuffer(chunk, dtype=np.uint8)
        starts, content, ends = _lines(buf)
        if starts.size == 0:
            return 0
        is_header = buf[starts] == _GT
        counts = np.where(is_header, 0, content - starts)
        headers = np.flatnonzero(is_header)
        first = headers[0] if headers.size else starts.size
        lead = int(counts[:first].sum())
        if self.records:
            self._extend(self.records[-1], starts[:first], content[:first], ends[:first], lead)
        else:
            self._loose += lead
        bounds = np.append(headers, starts.size)
        sums = np.add.reduceat(counts, bounds[:-1]) if headers.size else np.zeros(0, dtype=np.int64)
        for i, h in enumerate(headers.tolist()):
            header = chunk[starts[h] + 1 : content[h]]
            entry = RecordEntry(header, gap=self._loose, offset=self._offset + int(ends[h]))
            self._loose = 0
            lo, hi = h + 1, int(bounds[i + 1])
            self._extend(entry, starts[lo:hi], content[lo:hi], ends[lo:hi], int(sums[i]))
            self.records.append(entry)
        self._offset += buf.size
        return int(counts.sum())

    @staticmethod
    def _extend(entry: RecordEntry, starts: np.ndarray, content: np.ndarray, ends: np.ndarray, n: int) -> None:
        if entry.line_width == 0 and starts.size:
            entry.line_bases = int(content[0] - starts[0])
            entry.line_width = int(ends[0] - starts[0])
        entry.length += n
