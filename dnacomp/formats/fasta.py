"""FASTA chunk <-> streams, exactly invertible.

A chunk is a run of whole lines (``formats/chunks.py``); it may start in the middle of a record
and a file may have no header at all, so the lines before the chunk's first header form a
headerless *prefix record*. Every record is modelled as: its header line (absent for the prefix),
then ``k`` *core* sequence lines, then ``b`` blank lines (``b`` is usually 0; it captures a blank
line between records or at the end of the file). The core is *regular* for width ``W`` when all
its lines but the last hold ``W`` residues and the last holds 1..``W``: then its line lengths
follow from the record's residue count ``S`` alone (``k = ceil(S / W)``), which is what makes a
70-column genome's layout cost a few bytes. Anything else (blank lines inside a record, ragged
widths) is *irregular* and its line lengths are stored.

Fields (always all present; "uvarints" are LEB128, ``coding/varint.py``; "gaps" encode strictly
increasing indices as ``index - previous - 1`` with previous = -1, so consecutive runs are zeros):

``headers``
    The header lines without '>' and without their line ending, joined with '\\n'
    (``n_records - has_prefix`` of them; empty when there is none).
``seqlen``
    uvarints, one per record (prefix included): ``S``, the record's residues in this chunk.
``linelen``
    uvarints: the ``k`` core line lengths of each irregular record, records in order.
``layout``
    uvarints, in this order:

    - ``flags``: bit 0 = the chunk starts with a prefix record; bit 1 = the last line has no '\\n'.
    - ``n_records`` (``R``, prefix included) and ``width`` (default ``W``: the most common width
      of multi-line records; the longest single line if there is none; 0 if no sequence).
    - width exceptions (regular records whose ``W`` is their own first-line width):
      ``count``, ``count`` record-index gaps, ``count`` widths.
    - irregular records: ``count``, ``count`` record-index gaps, ``count`` core line counts ``k``.
    - trailing blank lines: ``count``, ``count`` record-index gaps, ``count`` values of ``b``.
    - line endings: CR default (1 if most lines end in CRLF), ``count``, ``count`` line-index gaps
      of the lines whose ending differs (line indices count every line of the chunk, headers and
      blank lines included).
``case``, ``exceptions``
    The residue streams of ``formats/residues.py``, over the concatenated sequence lines.

Errors: a NUL byte anywhere or a control byte (0x00-0x1F, 0x7F other than the CR of a CRLF) in
a sequence line raises InputFormatError naming the line (and record, if it has a header).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ArchiveError, InputFormatError
from .lines import (
    Lines,
    as_array,
    assemble,
    gather,
    join_lines,
    line_of_offset,
    read_line_endings,
    scatter,
    split_joined,
    split_lines,
    write_line_endings,
)
from .residues import describe_invalid, first_invalid, join_residues, split_residues
from .streams import ChunkStreams, FieldReader, FieldWriter, delta_indices, undelta_indices

__all__ = ["parse_fasta_chunk", "unparse_fasta_chunk"]

_GT = ord(">")
_FLAG_PREFIX = 1
_FLAG_NO_FINAL_NEWLINE = 2


def _check_bytes(
    buf: np.ndarray,
    lines: Lines,
    is_hdr: np.ndarray,
    seq_idx: np.ndarray,
    residues: np.ndarray,
    source: str,
    first_line: int,
    first_record: int,
) -> None:
    """Raise for the earliest NUL byte (anywhere) or control byte (in a sequence line)."""
    candidates: list[tuple[int, int]] = []  # (line index, byte value)
    bad = first_invalid(residues)
    if bad >= 0:
        ends = np.cumsum(lines.lengths[seq_idx])
        candidates.append((int(seq_idx[np.searchsorted(ends, bad, side="right")]), int(residues[bad])))
    if buf.size and not buf.all():
        candidates.append((line_of_offset(lines, int(np.argmin(buf))), 0))
    if not candidates:
        return
    line, value = min(candidates)
    headers_before = first_record - 1 + int(np.count_nonzero(is_hdr[: line + 1]))
    kind = "header" if is_hdr[line] else "sequence line"
    raise InputFormatError(
        source, f"{describe_invalid(value)} in FASTA {kind}", line=first_line + line, record=headers_before or None
    )


@dataclass
class _Records:
    """Per-record view of a chunk's sequence lines (R records, prefix included)."""

    S: np.ndarray  # residues per record
    k: np.ndarray  # core lines (up to the last non-blank one)
    b: np.ndarray  # trailing blank lines
    width: np.ndarray  # first core line's length (0 without core)
    regular: np.ndarray  # bool: core lines are width, width, ..., 1..width
    core_lines: np.ndarray  # per sequence line: is it a core line
    seq_rec: np.ndarray  # per sequence line: its record


def _records(is_hdr: np.ndarray, seq_len: np.ndarray, has_prefix: bool) -> _Records:
    """Group the sequence lines by record and test each record's core for regularity."""
    n_seq = seq_len.size
    seq_rec = (np.cumsum(is_hdr) - (0 if has_prefix else 1))[~is_hdr]
    ids = np.arange(int(is_hdr.sum()) + int(has_prefix))
    first = np.searchsorted(seq_rec, ids, side="left")
    end = np.searchsorted(seq_rec, ids, side="right")
    csum = np.concatenate(([0], np.cumsum(seq_len)))
    S = csum[end] - csum[first]

    # Core = sequence lines up to the record's last non-blank one; the rest are trailing blanks.
    last_nonblank = np.maximum.accumulate(np.where(seq_len > 0, np.arange(n_seq), -1)) if n_seq else seq_len
    L = np.full(ids.size, -1, dtype=np.int64)
    has_lines = end > first
    L[has_lines] = last_nonblank[end[has_lines] - 1]
    k = np.where(L >= first, L - first + 1, 0)
    width = np.zeros(ids.size, dtype=np.int64)
    width[k > 0] = seq_len[first[k > 0]]

    pos = np.arange(n_seq) - first[seq_rec]
    k_line, w_line = k[seq_rec], width[seq_rec]
    core = pos < k_line
    last = pos == k_line - 1
    violation = (core & ~last & (seq_len != w_line)) | (last & (seq_len > w_line))
    regular = np.bincount(seq_rec[violation], minlength=ids.size) == 0
    return _Records(S=S, k=k, b=(end - first) - k, width=width, regular=regular, core_lines=core, seq_rec=seq_rec)


def _default_width(r: _Records) -> int:
    """The width that makes the most records regular without an exception."""
    multi = r.regular & (r.k >= 2)
    if multi.any():
        values, counts = np.unique(r.width[multi], return_counts=True)
        return int(values[np.argmax(counts)])
    single = r.k == 1
    return int(r.S[single].max()) if single.any() else 0


def _write_layout(w: FieldWriter, r: _Records) -> None:
    """Default width, then the width, irregular and blank-line exceptions (module docstring)."""
    W = _default_width(r)
    plain = r.regular & (((r.k >= 2) & (r.width == W)) | ((r.k == 1) & (r.S <= W)) | (r.k == 0))
    own_width = np.flatnonzero(r.regular & ~plain)
    irregular = np.flatnonzero(~r.regular)
    blanks = np.flatnonzero(r.b > 0)
    w.scalar(r.S.size).scalar(W)
    w.array(delta_indices(own_width)).array(r.width[own_width], counted=False)
    w.array(delta_indices(irregular)).array(r.k[irregular], counted=False)
    w.array(delta_indices(blanks)).array(r.b[blanks], counted=False)


def parse_fasta_chunk(data: bytes | memoryview, source: str, first_line: int, first_record: int) -> ChunkStreams:
    """Split a FASTA chunk (whole lines) into streams; see the module docstring for the fields.

    ``first_line`` is the 1-based file line number of the chunk's first line and
    ``first_record`` the 1-based number of the first record whose header is in the chunk;
    both only serve error messages.
    """
    buf = as_array(data)
    lines = split_lines(buf)
    is_hdr = buf[lines.starts] == _GT
    seq_idx = np.flatnonzero(~is_hdr)
    hdr_idx = np.flatnonzero(is_hdr)
    seq_len = lines.lengths[seq_idx]
    residues = gather(buf, lines.starts[seq_idx], seq_len)
    _check_bytes(buf, lines, is_hdr, seq_idx, residues, source, first_line, first_record)

    has_prefix = lines.count > 0 and not is_hdr[0]
    records = _records(is_hdr, seq_len, has_prefix)
    layout = FieldWriter()
    layout.scalar((_FLAG_PREFIX if has_prefix else 0) | (0 if lines.final_newline else _FLAG_NO_FINAL_NEWLINE))
    _write_layout(layout, records)
    write_line_endings(layout, lines.cr)

    bases, case, exceptions = split_residues(residues)
    irregular_lines = records.core_lines & ~records.regular[records.seq_rec]
    fields = {
        "headers": join_lines(buf, lines.starts[hdr_idx] + 1, lines.lengths[hdr_idx] - 1),
        "layout": layout.tobytes(),
        "seqlen": FieldWriter().array(records.S, counted=False).tobytes(),
        "linelen": FieldWriter().array(seq_len[irregular_lines], counted=False).tobytes(),
        "case": case,
        "exceptions": exceptions,
    }
    return ChunkStreams(
        kind="fasta", bases=bases, fields=fields, n_symbols=int(residues.size), n_records=int(hdr_idx.size)
    )


def _line_lengths(
    S: np.ndarray,
    W: np.ndarray,
    k: np.ndarray,
    irregular: np.ndarray,
    b: np.ndarray,
    has_header: np.ndarray,
    header_len: np.ndarray,
    linelen: bytes,
) -> tuple[np.ndarray, np.ndarray]:
    """Rebuild every line's content length and which lines are headers, record by record."""
    R = S.size
    per_record = has_header + k + b
    line_rec = np.repeat(np.arange(R), per_record)
    first = np.cumsum(per_record) - per_record
    core_pos = np.arange(line_rec.size) - first[line_rec] - has_header[line_rec]
    is_hdr = core_pos == -1
    is_core = (core_pos >= 0) & (core_pos < k[line_rec])

    lengths = np.zeros(line_rec.size, dtype=np.int64)
    lengths[is_hdr] = header_len + 1
    regular_core = is_core & ~irregular[line_rec]
    lengths[regular_core] = W[line_rec[regular_core]]
    last_len = S - (k - 1) * W
    last = regular_core & (core_pos == k[line_rec] - 1)
    lengths[last] = last_len[line_rec[last]]
    irregular_core = is_core & irregular[line_rec]
    reader = FieldReader(linelen, "linelen")
    lengths[irregular_core] = reader.array(int(irregular_core.sum()))
    reader.finish()
    return lengths, is_hdr


def _read_records(r: FieldReader, seqlen: bytes) -> tuple[np.ndarray, ...]:
    """Inverse of _write_layout plus the ``seqlen`` field: per record (S, W, k, irregular, b)."""
    R, W_default = r.scalar(), r.scalar()
    own = undelta_indices(r.array(), R, "layout")
    own_width = r.array(own.size)
    irr = undelta_indices(r.array(), R, "layout")
    irr_k = r.array(irr.size)
    blank = undelta_indices(r.array(), R, "layout")
    blank_n = r.array(blank.size)
    lengths = FieldReader(seqlen, "seqlen")
    S = lengths.array(R)
    lengths.finish()

    W = np.full(R, W_default, dtype=np.int64)
    W[own] = own_width
    irregular = np.zeros(R, dtype=bool)
    irregular[irr] = True
    if np.any((W == 0) & (S > 0) & ~irregular):
        raise ArchiveError("field 'layout' gives width 0 to a non-empty record")
    k = np.where(S > 0, (S + W - 1) // np.maximum(W, 1), 0)
    k[irr] = irr_k
    b = np.zeros(R, dtype=np.int64)
    b[blank] = blank_n
    return S, W, k, irregular, b


def unparse_fasta_chunk(streams: ChunkStreams) -> bytes:
    """The exact chunk bytes that parse_fasta_chunk split into ``streams``."""
    f = streams.fields
    r = FieldReader(f["layout"], "layout")
    flags = r.scalar()
    S, W, k, irregular, b = _read_records(r, f["seqlen"])
    has_header = np.ones(S.size, dtype=np.int64)
    if flags & _FLAG_PREFIX:
        if S.size == 0:
            raise ArchiveError("field 'layout' has a prefix record but no records")
        has_header[0] = 0
    header_bytes, header_len = split_joined(f["headers"], int(has_header.sum()), "headers")
    lengths, is_hdr = _line_lengths(S, W, k, irregular, b, has_header, header_len, f["linelen"])
    cr = read_line_endings(r, lengths.size)
    r.finish()

    out, starts = assemble(lengths, cr, not flags & _FLAG_NO_FINAL_NEWLINE)
    out[starts[is_hdr]] = _GT
    scatter(out, starts[is_hdr] + 1, header_len, header_bytes, "headers")
    residues = join_residues(streams.bases, f["case"], f["exceptions"], streams.n_symbols)
    is_seq = ~is_hdr
    scatter(out, starts[is_seq], lengths[is_seq], residues, "sequence")
    del residues  # before the copy below: a long line's chunk is large
    return out.tobytes()
