"""Cutting an input stream into chunks of whole lines, so that memory does not grow with the input.

Each chunk is parsed and coded on its own (one container block), so the cut points must keep a
chunk self-describing:

- every chunk but the last ends right after a '\\n', so no line is split;
- FASTA chunks may cut anywhere between lines (the FASTA parser handles a chunk that starts inside
  a record as a headerless *prefix record*);
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

from typing import BinaryIO, Iterator

import numpy as np

__all__ = ["iter_chunks", "DEFAULT_CHUNK_SIZE"]

DEFAULT_CHUNK_SIZE = 8 << 20
_LF, _CR, _GT = 10, 13, b">"


def _fasta_cut(data: bytes) -> int:
    """End of the last complete line (0 if there is none)."""
    return data.rfind(b"\n") + 1


def _fastq_cut(data: bytes) -> int:
    """End of the last complete 4-line block whose first line is not blank (0 if none).

    ``data`` starts at a record boundary (a line number = 1 mod 4).
    """
    arr = np.frombuffer(data, dtype=np.uint8)
    nl = np.flatnonzero(arr == _LF)
    n_blocks = nl.size // 4
    if n_blocks == 0:
        return 0
    starts = np.concatenate(([0], nl[3:4 * n_blocks - 1:4] + 1))
    first = arr[starts]
    # A complete block's first line is followed by its '\n', so starts + 1 is in range.
    blank = (first == _LF) | ((first == _CR) & (arr[starts + 1] == _LF))
    ok = np.flatnonzero(~blank)
    if ok.size == 0:
        return 0
    return int(nl[4 * int(ok[-1]) + 3]) + 1


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


def iter_chunks(stream: BinaryIO, kind: str, source: str,
                chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[tuple[bytes, int, int]]:
    """Yield (chunk, first line number, first record number), both 1-based.

    The first record number is that of the first record *starting* in the chunk (a FASTA chunk
    may begin with the tail of the record before). ``source`` names the input in messages; it is
    accepted for symmetry with the parsers, which are the ones raising format errors.
    """
    if kind not in ("fasta", "fastq"):
        raise ValueError(f"unknown format {kind!r}")
    if chunk_size < 1:
        raise ValueError("chunk_size must be positive")
    cut_at, count = (_fasta_cut, _count_fasta) if kind == "fasta" else (_fastq_cut, _count_fastq)
    pending = b""
    line = record = 1
    target = chunk_size
    more = True
    while True:
        if more and len(pending) < target:
            parts = [pending]
            more = _read_into(stream, parts, target - len(pending))
            pending = b"".join(parts)
            del parts  # else the pieces (a long line read twice over) live on while the chunk is coded
        if not more:
            if pending:
                yield pending, line, record
            return
        cut = cut_at(pending)
        if cut == 0:  # no complete line (or record) yet: read on
            target = len(pending) + chunk_size
            continue
        chunk, pending = pending[:cut], pending[cut:]
        target = chunk_size
        yield chunk, line, record
        lines, records = count(chunk)
        line += lines
        record += records
