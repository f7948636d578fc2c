"""Cutting an input stream into chunks of whole lines, so that memory does not grow with the input.

Each chunk is parsed and coded on its own (one container block), so the cut points must keep a
chunk self-describing:

- every chunk but the last ends right after a '\\n', so no line is split;
- FASTA chunks end before the last record that starts in them (whole records are packed into a
  chunk up to its size); a chunk with no record start after its first byte (inside a record
  longer than the chunk size) ends after its last complete line, and the FASTA parser handles a
  chunk that starts inside a record as a headerless *prefix record*. Since format version 5 a
  chunk is an independently coded segment, so cutting between records keeps a record whole
  where it can be;
- FASTQ chunks cut only between records, i.e. after every 4th line counted from the start of the
  file, and never right after a 4-line block that starts with a blank line. Blank lines are only
  valid after the last record; if a chunk could end with blank lines, a file with blank lines in
  the middle would be accepted or rejected depending on where the cut fell. With this rule the
  blank lines always share a chunk with whatever follows them, and the parser sees the problem.

The chunker itself never raises format errors: validation is the parsers' job, and since every
4-line block of the file is validated by the parser of the chunk holding it, the first error
reported is the first one in the file, whatever the chunk size.

A line (or FASTQ record) longer than ``chunk_size`` simply makes a bigger chunk. The
concatenation of all chunks is the whole input; an empty input yields no chunk.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

import numpy as np

__all__ = ["iter_chunks", "DEFAULT_CHUNK_SIZE"]

DEFAULT_CHUNK_SIZE = 8 << 20
_LF, _CR, _GT = 10, 13, b">"


class _FastaCut:
    """Start of the last record starting after the first byte of the bytes fed so far, else end
    of their last complete line (0 if there is none)."""

    def __init__(self) -> None:
        self.cut = 0
        self._offset = 0
        self._record_cut = False

    def feed(self, piece: bytes) -> int:
        # iter_chunks stops feeding at the first piece with a cut, so a record start is never
        # split across two pieces (the piece before held no '\n')
        record = piece.rfind(b"\n>")
        if record >= 0:
            self.cut, self._record_cut = self._offset + record + 1, True
        elif not self._record_cut:
            last = piece.rfind(b"\n")
            if last >= 0:
                self.cut = self._offset + last + 1
        self._offset += len(piece)
        return self.cut


class _FastqCut:
    """End of the last complete 4-line block whose first line is not blank, among the bytes fed
    so far (0 if none); the bytes start at a record boundary (a line number = 1 mod 4).

    Fed piece by piece, each byte is scanned once: what a block needs from earlier pieces is
    carried over (the '\\n' of its lines seen so far, and whether its first line's '\\n' follows a
    '\\r'). A block's first line is blank if its '\\n' is the block's first byte, or its second one
    after a '\\r'."""

    def __init__(self) -> None:
        self.cut = 0
        self._offset = 0
        self._start = 0  # first byte of the block not yet complete
        self._nl = np.zeros(0, dtype=np.int64)  # its '\n' seen so far (at most 3)
        self._cr = np.zeros(0, dtype=bool)  # per '\n' in _nl: the byte before it is '\r'
        self._last = -1  # the last byte fed (-1 before any)

    def feed(self, piece: bytes) -> int:
        arr = np.frombuffer(piece, dtype=np.uint8)
        if arr.size == 0:
            return self.cut
        local = np.flatnonzero(arr == _LF)
        before = arr[np.maximum(local - 1, 0)]
        cr = before == _CR
        if local.size and local[0] == 0:
            cr[0] = self._last == _CR
        nl = np.concatenate((self._nl, local + self._offset))
        cr = np.concatenate((self._cr, cr))
        self._offset += arr.size
        self._last = int(arr[-1])
        n_blocks = nl.size // 4
        if n_blocks == 0:
            self._nl, self._cr = nl, cr
            return self.cut
        starts = np.concatenate(([self._start], nl[3 : 4 * n_blocks - 1 : 4] + 1))
        first_nl = nl[0 : 4 * n_blocks : 4]
        blank = (first_nl == starts) | ((first_nl == starts + 1) & cr[0 : 4 * n_blocks : 4])
        ok = np.flatnonzero(~blank)
        if ok.size:
            self.cut = int(nl[4 * int(ok[-1]) + 3]) + 1
        self._start = int(nl[4 * n_blocks - 1]) + 1
        self._nl, self._cr = nl[4 * n_blocks :].copy(), cr[4 * n_blocks :].copy()
        return self.cut


def _count_fasta(chunk: bytes) -> tuple[int, int]:
    """(lines, records starting) in a chunk that ends with '\\n'."""
    return chunk.count(b"\n"), chunk.count(b"\n>") + chunk.startswith(_GT)


def _count_fastq(chunk: bytes) -> tuple[int, int]:
    lines = chunk.count(b"\n")
    return lines, lines // 4


def _read_into(stream: BinaryIO, parts: list[bytes], want: int) -> bool:
    """Read up to ``want`` bytes into ``parts``; False once the stream is exhausted."""
    while want > 0:
        data = stream.read(want)
        if not data:
            return False
        parts.append(data)
        want -= len(data)
    return True


def iter_chunks(
    stream: BinaryIO, kind: str, source: str, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> Iterator[tuple[bytes, int, int]]:
    """Yield (chunk, first line number, first record number), both 1-based.

    The first record number is that of the first record *starting* in the chunk (a FASTA chunk
    may begin with the tail of the record before). ``source`` names the input in messages; it is
    accepted for symmetry with the parsers, which are the ones raising format errors.
    """
    if kind not in ("fasta", "fastq"):
        raise ValueError(f"unknown format {kind!r}")
    if chunk_size < 1:
        raise ValueError("chunk_size must be positive")
    scanner, count = (_FastaCut, _count_fasta) if kind == "fasta" else (_FastqCut, _count_fastq)
    pending = b""
    line = record = 1
    more = True
    while True:
        if more and len(pending) < chunk_size:
            parts = [pending]
            more = _read_into(stream, parts, chunk_size - len(pending))
            pending = b"".join(parts)
            del parts  # else the pieces (a long line read twice over) live on while the chunk is coded
        if not more:
            if pending:
                box = [pending]
                del pending
                yield box.pop(), line, record
            return
        cuts = scanner()
        cut = cuts.feed(pending)
        if cut == 0:
            # no complete line (or record) yet: read on, chunk_size bytes at a time, scanning
            # only the new bytes (rescanning all of a long record each time would be quadratic)
            parts = [pending]
            while more and cut == 0:
                piece: list[bytes] = []
                more = _read_into(stream, piece, chunk_size)
                parts.append(b"".join(piece))
                if more:
                    cut = cuts.feed(parts[-1])
            if not more:
                box = [b"".join(parts)]
                del parts, pending
                if box[0]:
                    yield box.pop(), line, record
                return
            # the cut is in the last piece (the bytes before it held no cut), so the chunk is
            # joined from the pieces directly, without a copy of the whole to slice
            keep = cut - (sum(map(len, parts)) - len(parts[-1]))
            if keep > 0:
                chunk, pending = b"".join(parts[:-1] + [parts[-1][:keep]]), parts[-1][keep:]
            else:  # not reached; kept exact in case
                pending = b"".join(parts)
                chunk, pending = pending[:cut], pending[cut:]
            del parts
        else:
            chunk, pending = pending[:cut], pending[cut:]
        lines, records = count(chunk)
        # handed over without a reference kept here while suspended: a chunk may be a whole
        # long read (gigabytes), which the consumer frees once it has parsed it
        box = [chunk]
        del chunk
        yield box.pop(), line, record
        line += lines
        record += records
