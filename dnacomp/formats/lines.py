"""Line splitting, line endings and byte-range gathering shared by the FASTA and FASTQ parsers.

Everything works on whole chunks with numpy: one pass finds the '\\n' bytes, and every later
step (taking the sequence bytes out, putting them back) is a boolean mask over the chunk built
from (start, length) ranges. No Python loop runs per line, let alone per byte.

A *line* is the bytes between two '\\n' (or the chunk's ends). Its *content* excludes the '\\n'
and one trailing '\\r' (a CRLF line ending); ``cr`` records whether that '\\r' was there. Only the
last line of a chunk may lack its '\\n' (``final_newline``), and it exists only if it has at least
one byte, so "ACGT\\n" is one line and "ACGT\\n\\r" is two (the second empty with a CR and no LF).

Line endings are stored as a majority convention (all LF or all CRLF) plus the indices of the
lines that break it, so a pure LF or pure CRLF file costs one bit and a mixed one a few bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ArchiveError
from .streams import FieldReader, FieldWriter, delta_indices, undelta_indices

LF, CR = 10, 13


@dataclass(frozen=True)
class Lines:
    """Where the lines of a chunk are: all arrays have one entry per line."""

    starts: np.ndarray  # int64 offset of the line's first byte in the chunk
    lengths: np.ndarray  # int64 content length (without CR and LF)
    cr: np.ndarray  # bool: the line ended with CR before its LF (or before the chunk's end)
    final_newline: bool  # False if the last line has no LF (True for an empty chunk)

    @property
    def count(self) -> int:
        return int(self.starts.size)


def as_array(data: bytes | bytearray | memoryview | np.ndarray) -> np.ndarray:
    """A zero-copy uint8 view of the chunk."""
    if isinstance(data, np.ndarray):
        return data.view(np.uint8).ravel()
    return np.frombuffer(data, dtype=np.uint8)


_SCAN = 1 << 24  # bytes compared at a time when looking for LF (not a boolean array of the chunk)


def find_lf(buf: np.ndarray) -> np.ndarray:
    """Offsets of every LF in ``buf`` (int64), scanned a slice at a time."""
    if buf.size <= _SCAN:
        return np.flatnonzero(buf == LF)
    return np.concatenate([np.flatnonzero(buf[i : i + _SCAN] == LF) + i for i in range(0, buf.size, _SCAN)])


def split_lines(buf: np.ndarray) -> Lines:
    """Find every line of ``buf``: one vectorised scan for LF, one gather for the CRs."""
    n = buf.size
    nl = find_lf(buf)
    final_newline = n == 0 or buf[-1] == LF
    ends = nl if final_newline else np.append(nl, n)
    starts = np.empty(ends.size, dtype=np.int64)
    if ends.size:
        starts[0] = 0
        starts[1:] = nl[: ends.size - 1] + 1
    cr = np.zeros(ends.size, dtype=bool)
    nonempty = ends > starts
    cr[nonempty] = buf[ends[nonempty] - 1] == CR
    lengths = ends - starts - cr
    return Lines(starts=starts, lengths=lengths.astype(np.int64), cr=cr, final_newline=bool(final_newline))


def line_of_offset(lines: Lines, offset: int) -> int:
    """0-based index of the line holding byte ``offset`` (for error messages)."""
    return int(np.searchsorted(lines.starts, offset, side="right")) - 1


def range_indices(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Every index inside the given ranges, in order (int64): for ranges covering few bytes."""
    lengths = np.asarray(lengths, dtype=np.int64)
    first = np.cumsum(lengths) - lengths
    total = int(first[-1] + lengths[-1]) if lengths.size else 0
    return np.arange(total, dtype=np.int64) + np.repeat(np.asarray(starts, dtype=np.int64) - first, lengths)


#: ranges at least this long on average are copied one slice each: a Python step per range, but
#: no index or mask array as large as the chunk (for long reads and unwrapped contigs, whose
#: records would otherwise cost an extra byte or more per byte of the chunk in each gather)
LONG_RANGE = 4096


def _long_ranges(lengths: np.ndarray, total: int) -> bool:
    return lengths.size > 0 and total >= LONG_RANGE * lengths.size


def ranges_mask(size: int, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Boolean mask of ``size`` bytes, True inside the given non-overlapping, sorted ranges.

    Three ways, picked by coverage, because this runs over every byte of every chunk twice:
    index arithmetic on the covered bytes when they are few (headers), on the uncovered bytes
    when those are few (sequence lines of a FASTA: only the line ends are outside), and
    otherwise one ``np.repeat`` of alternating False/True runs. All are linear; numpy's
    table lookups and int8 cumulative sums, the obvious alternatives, are several times slower.
    Few long ranges (``LONG_RANGE``) are set slice by slice.
    """
    starts = np.asarray(starts, dtype=np.int64)
    lengths = np.asarray(lengths, dtype=np.int64)
    keep = lengths > 0
    if not keep.all():
        starts, lengths = starts[keep], lengths[keep]
    covered = int(lengths.sum())
    if _long_ranges(lengths, covered):
        mask = np.zeros(size, dtype=bool)
        for start, length in zip(starts.tolist(), lengths.tolist()):
            mask[start : start + length] = True
        return mask
    if covered * 4 <= size:
        mask = np.zeros(size, dtype=bool)
        mask[range_indices(starts, lengths)] = True
        return mask
    ends = starts + lengths
    gap_lengths = np.empty(starts.size + 1, dtype=np.int64)
    gap_lengths[0] = starts[0]
    gap_lengths[1:-1] = starts[1:] - ends[:-1]
    gap_lengths[-1] = size - ends[-1]
    if (size - covered) * 4 <= size:
        mask = np.ones(size, dtype=bool)
        mask[range_indices(np.concatenate(([0], ends)), gap_lengths)] = False
        return mask
    counts = np.empty(2 * starts.size + 1, dtype=np.int64)
    counts[0::2] = gap_lengths
    counts[1::2] = lengths
    values = np.zeros(counts.size, dtype=bool)
    values[1::2] = True
    return np.repeat(values, counts)


# At most this many ranges are copied slice by slice: no index array (8 bytes per byte covered)
# or mask (1 byte per byte of the chunk) then, which matters when they hold one very long line.
FEW_RANGES = 64


def gather(buf: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenate the given ranges of ``buf`` (a new array)."""
    lengths = np.asarray(lengths, dtype=np.int64)
    total = int(np.sum(lengths))
    if lengths.size <= FEW_RANGES or _long_ranges(lengths, total):
        out = np.empty(total, dtype=buf.dtype)
        at = 0
        for start, length in zip(np.asarray(starts).tolist(), lengths.tolist()):
            out[at : at + length] = buf[start : start + length]
            at += length
        return out
    if total * 4 <= buf.size:
        return buf[range_indices(starts, lengths)]
    return buf[ranges_mask(buf.size, starts, lengths)]


def scatter(out: np.ndarray, starts: np.ndarray, lengths: np.ndarray, values: np.ndarray, what: str) -> None:
    """Inverse of gather: write ``values`` into the given ranges of ``out``."""
    lengths = np.asarray(lengths, dtype=np.int64)
    if int(lengths.sum()) != values.size:
        raise ArchiveError(f"{what}: {values.size} bytes for {int(lengths.sum())} positions")
    if lengths.size <= FEW_RANGES or _long_ranges(lengths, values.size):
        at = 0
        for start, length in zip(np.asarray(starts).tolist(), lengths.tolist()):
            out[start : start + length] = values[at : at + length]
            at += length
    elif values.size * 4 <= out.size:
        out[range_indices(starts, lengths)] = values
    else:
        out[ranges_mask(out.size, starts, lengths)] = values


def join_lines(buf: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> bytes:
    """The given lines' contents joined with '\\n' (headers, read names): the text form a byte
    codec likes. Each line but the last is taken with the byte after it (its CR or LF: only the
    chunk's last line has none), which then becomes the '\\n'; one copy, not two."""
    if lengths.size <= 1:
        return buf[int(starts[0]) : int(starts[0]) + int(lengths[0])].tobytes() if lengths.size else b""
    with_end = np.asarray(lengths, dtype=np.int64) + 1
    with_end[-1] -= 1
    body = gather(buf, starts, with_end)
    body[np.cumsum(with_end[:-1]) - 1] = LF
    return body.tobytes()


def split_joined(data: bytes, count: int, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of join_lines: (bytes without separators, length of each of the ``count`` items)."""
    arr = np.frombuffer(data, dtype=np.uint8)
    seps = np.flatnonzero(arr == LF)
    if (count == 0 and arr.size) or (count > 0 and seps.size != count - 1):
        raise ArchiveError(f"field {name!r} holds {seps.size + 1 if arr.size or count else 0} items, expected {count}")
    if count == 0:
        return arr, np.zeros(0, dtype=np.int64)
    bounds = np.concatenate(([-1], seps, [arr.size]))
    lengths = np.diff(bounds) - 1
    return (arr[arr != LF] if seps.size else arr), lengths.astype(np.int64)


def write_line_endings(w: FieldWriter, cr: np.ndarray) -> None:
    """Majority line ending, then the gaps between the lines that differ from it."""
    default = bool(cr.size) and int(cr.sum()) * 2 > cr.size
    w.scalar(int(default))
    w.array(delta_indices(np.flatnonzero(cr != default)))


def read_line_endings(r: FieldReader, n_lines: int) -> np.ndarray:
    """Inverse of write_line_endings for a chunk of ``n_lines`` lines."""
    default = r.scalar()
    if default > 1:
        raise ArchiveError("field 'layout' has a bad line-ending flag")
    cr = np.full(n_lines, bool(default))
    flips = undelta_indices(r.array(), n_lines, "layout")
    cr[flips] = not default
    return cr


def assemble(lengths: np.ndarray, cr: np.ndarray, final_newline: bool) -> tuple[np.ndarray, np.ndarray]:
    """Allocate the output chunk for these lines and write its CR and LF bytes.

    Returns (output, line starts); the caller fills the content ranges, and every byte of the
    output is either content, CR or LF, so nothing is left uninitialised.
    """
    n = lengths.size
    lf = np.ones(n, dtype=np.int64)
    if n and not final_newline:
        lf[-1] = 0
    total = lengths + cr + lf
    ends = np.cumsum(total)
    starts = ends - total
    out = np.empty(int(ends[-1]) if n else 0, dtype=np.uint8)
    after = starts + lengths
    out[after[cr]] = CR
    out[(after + cr)[lf.astype(bool)]] = LF
    return out, starts
