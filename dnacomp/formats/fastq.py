"""FASTQ chunk <-> streams, exactly invertible.

A record is exactly four lines: '@' + name, the sequence, '+' optionally followed by text, and
the quality string, as long as the sequence (multi-line FASTQ is not accepted). Empty reads (empty
sequence and quality lines) are valid. Blank lines are accepted only after the last record.
A chunk always starts at a record boundary (``formats/chunks.py``).

Fields (always all present; "uvarints" are LEB128, ``coding/varint.py``; "gaps" encode strictly
increasing indices as ``index - previous - 1`` with previous = -1):

``names``
    The header lines without '@' and without their line ending, joined with '\\n'.
``readlen``
    uvarints, one read length per record; empty when all reads of the chunk have the same length
    (then ``layout`` holds it).
``qualities``
    The quality lines' bytes, concatenated without separators (``readlen`` gives the boundaries).
    Raw bytes, so Phred+33 and Phred+64 are both kept exactly; they must lie in '!'..'~'.
``plus``
    The texts of the '+' lines that are neither bare nor a repeat of the name, without '+',
    joined with '\\n', records in order (which records: see ``layout``).
``layout``
    uvarints, in this order:

    - ``flags``: bit 0 = the last line has no '\\n'.
    - ``n_records``.
    - read length mode (0 = every read has length ``L``; 1 = lengths in ``readlen``), then ``L``
      (0 in mode 1).
    - ``n_blank``: blank lines after the last record.
    - '+' line default: 0 = bare '+', 1 = '+' followed by the name again. Then the exceptions:
      ``count``, ``count`` record-index gaps, ``count`` kinds (0 bare, 1 name, 2 text in ``plus``).
    - line endings: CR default (1 if most lines end in CRLF), ``count``, ``count`` line-index gaps
      of the lines whose ending differs (every line counts, trailing blank lines included).
``case``, ``exceptions``
    The residue streams of ``formats/residues.py`` over the concatenated sequence lines.

Errors (InputFormatError naming line and record): a header not starting with '@', a third line
not starting with '+', quality and sequence lengths differing, a truncated last record, a blank
line before the end of the records, a NUL byte anywhere, a control byte in a sequence, a quality
byte outside '!'..'~'. When a chunk holds several problems, the earliest line is reported.
"""

from __future__ import annotations

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

__all__ = ["parse_fastq_chunk", "unparse_fastq_chunk", "read_lengths"]

_AT, _PLUS = ord("@"), ord("+")
_FLAG_NO_FINAL_NEWLINE = 1
_PLUS_BARE, _PLUS_NAME, _PLUS_TEXT = 0, 1, 2
_QUAL_MIN, _QUAL_MAX = 33, 126

# (line index in chunk, record index in chunk or None, message)
_Problem = tuple[int, "int | None", str]


def _shown(buf: np.ndarray, start: int, length: int) -> str:
    """A short printable excerpt of a line for error messages."""
    text = buf[start : start + min(length, 20)].tobytes().decode("latin-1")
    return text.encode("unicode_escape").decode("ascii") + ("..." if length > 20 else "")


def _record_extent(lines: Lines) -> tuple[int, int, list[_Problem]]:
    """(complete records, trailing blank lines, problems) from the line structure alone."""
    n = lines.count
    blank = lines.lengths == 0
    block_blank = blank[0::4]
    if block_blank.any():
        first_blank = int(np.argmax(block_blank))
        tail = 4 * first_blank
        if not blank[tail:].all():
            return (
                first_blank,
                0,
                [
                    (
                        tail,
                        None,
                        "blank line before the end of the FASTQ records "
                        "(blank lines are only allowed after the last record)",
                    )
                ],
            )
        return first_blank, n - tail, []
    n_full, partial = divmod(n, 4)
    if partial:
        return n_full, 0, [(4 * n_full, n_full, f"truncated FASTQ record: {partial} of 4 lines")]
    return n_full, 0, []


def _first(mask: np.ndarray) -> int:
    return int(np.argmax(mask)) if mask.any() else -1


def _record_problems(
    buf: np.ndarray, lines: Lines, n_rec: int, residues: np.ndarray, quals: np.ndarray, readlen: np.ndarray
) -> list[_Problem]:
    """The first problem of each kind among the complete records."""
    problems: list[_Problem] = []
    st, ln = lines.starts, lines.lengths
    h = 4 * np.arange(n_rec)
    i = _first(buf[st[h]] != _AT)
    if i >= 0:
        problems.append(
            (4 * i, i, f"expected '@' at the start of a FASTQ record, found '{_shown(buf, st[4 * i], ln[4 * i])}'")
        )
    i = _first(buf[st[h + 2]] != _PLUS)
    if i >= 0:
        problems.append((4 * i + 2, i, f"expected a '+' line, found '{_shown(buf, st[4 * i + 2], ln[4 * i + 2])}'"))
    i = _first(ln[h + 3] != readlen)
    if i >= 0:
        problems.append((4 * i + 3, i, f"quality length {ln[4 * i + 3]} differs from sequence length {readlen[i]}"))
    ends = np.cumsum(readlen)
    bad = first_invalid(residues)
    if bad >= 0:
        i = int(np.searchsorted(ends, bad, side="right"))
        problems.append((4 * i + 1, i, f"{describe_invalid(int(residues[bad]))} in FASTQ sequence"))
    if quals.size and (int(quals.min()) < _QUAL_MIN or int(quals.max()) > _QUAL_MAX):  # no mask when all good
        bad_q = (quals < _QUAL_MIN) | (quals > _QUAL_MAX)
        j = _first(bad_q)
        if j >= 0:
            i = min(int(np.searchsorted(np.cumsum(ln[h + 3]), j, side="right")), n_rec - 1)
            problems.append((4 * i + 3, i, f"quality byte 0x{quals[j]:02X} outside '!'..'~'"))
    return problems


def _plus_kinds(buf: np.ndarray, lines: Lines, n_rec: int) -> np.ndarray:
    """Per record: bare '+', '+name' (same as the header's name), or other text."""
    h = 4 * np.arange(n_rec)
    name_start, name_len = lines.starts[h] + 1, lines.lengths[h] - 1
    plus_start, plus_len = lines.starts[h + 2] + 1, lines.lengths[h + 2] - 1
    kind = np.full(n_rec, _PLUS_TEXT, dtype=np.int64)
    kind[plus_len == 0] = _PLUS_BARE
    cand = np.flatnonzero((plus_len == name_len) & (plus_len > 0))
    if cand.size:
        lens = plus_len[cand]
        differs = gather(buf, name_start[cand], lens) != gather(buf, plus_start[cand], lens)
        any_diff = np.logical_or.reduceat(differs, np.cumsum(lens) - lens)
        kind[cand[~any_diff]] = _PLUS_NAME
    return kind


def parse_fastq_chunk(data: bytes | memoryview, source: str, first_line: int, first_record: int) -> ChunkStreams:
    """Split a FASTQ chunk (whole records) into streams; see the module docstring for the fields.

    ``first_line``/``first_record`` are the 1-based numbers of the chunk's first line and record
    in the file; they only serve error messages.
    """
    buf = as_array(data)
    lines = split_lines(buf)
    n_rec, n_blank, problems = _record_extent(lines)
    h = 4 * np.arange(n_rec)
    readlen = lines.lengths[h + 1]
    residues = gather(buf, lines.starts[h + 1], readlen)
    quals = gather(buf, lines.starts[h + 3], lines.lengths[h + 3])
    problems += _record_problems(buf, lines, n_rec, residues, quals, readlen)
    if buf.size and not buf.all():
        at = line_of_offset(lines, int(np.argmin(buf)))
        problems.append((at, at // 4 if at < 4 * n_rec else None, "NUL byte in FASTQ data"))
    if problems:
        line, rec, message = min(problems, key=lambda p: p[0])
        raise InputFormatError(
            source, message, line=first_line + line, record=None if rec is None else first_record + rec
        )
    qualities = quals.tobytes()  # the field, made before the residues' temporaries: one copy alive
    del quals

    kind = _plus_kinds(buf, lines, n_rec)
    default = _PLUS_NAME if np.count_nonzero(kind == _PLUS_NAME) > np.count_nonzero(kind == _PLUS_BARE) else _PLUS_BARE
    odd = np.flatnonzero(kind != default)
    text = h[kind == _PLUS_TEXT] + 2
    constant = n_rec == 0 or bool((readlen == readlen[0]).all())

    w = FieldWriter()
    w.scalar(0 if lines.final_newline else _FLAG_NO_FINAL_NEWLINE).scalar(n_rec)
    w.scalar(0 if constant else 1).scalar(int(readlen[0]) if constant and n_rec else 0)
    w.scalar(n_blank).scalar(default)
    w.array(delta_indices(odd)).array(kind[odd], counted=False)
    write_line_endings(w, lines.cr)

    n_symbols = int(residues.size)
    bases, case, exceptions = split_residues(residues)
    del residues
    fields = {
        "names": join_lines(buf, lines.starts[h] + 1, lines.lengths[h] - 1),
        "layout": w.tobytes(),
        "readlen": b"" if constant else FieldWriter().array(readlen, counted=False).tobytes(),
        "plus": join_lines(buf, lines.starts[text] + 1, lines.lengths[text] - 1),
        "qualities": qualities,
        "case": case,
        "exceptions": exceptions,
    }
    return ChunkStreams(kind="fastq", bases=bases, fields=fields, n_symbols=n_symbols, n_records=n_rec)


def read_lengths(fields: dict[str, bytes], n_records: int | None = None) -> np.ndarray:
    """Per-record read lengths from the ``layout`` and ``readlen`` fields (context for the quality
    codec, which needs them before the chunk is rebuilt). ``n_records``, when given, is what the
    block header declares; a layout that disagrees is corrupt (checked before allocating)."""
    r = FieldReader(fields["layout"], "layout")
    r.scalar()  # flags
    n_rec = r.scalar()
    if n_records is not None and n_rec != n_records:
        raise ArchiveError(f"field 'layout' declares {n_rec} records, the block {n_records}")
    mode, length = r.scalar(), r.scalar()
    if mode == 0:
        return np.full(n_rec, length, dtype=np.int64)
    rl = FieldReader(fields["readlen"], "readlen")
    readlen = rl.array(n_rec)
    rl.finish()
    return readlen.astype(np.int64)


def unparse_fastq_chunk(streams: ChunkStreams) -> bytes:
    """The exact chunk bytes that parse_fastq_chunk split into ``streams``."""
    f = streams.fields
    r = FieldReader(f["layout"], "layout")
    flags, n_rec = r.scalar(), r.scalar()
    r.scalar(), r.scalar()  # read length mode and length: read_lengths() below decodes them
    n_blank, default = r.scalar(), r.scalar()
    odd = undelta_indices(r.array(), n_rec, "layout")
    odd_kind = r.array(odd.size)
    if default > _PLUS_NAME or (odd_kind.size and int(odd_kind.max()) > _PLUS_TEXT):
        raise ArchiveError("field 'layout' has a bad '+' line kind")
    readlen = read_lengths(f)

    names, name_len = split_joined(f["names"], n_rec, "names")
    kind = np.full(n_rec, default, dtype=np.int64)
    kind[odd] = odd_kind
    text_rec = np.flatnonzero(kind == _PLUS_TEXT)
    texts, text_len = split_joined(f["plus"], text_rec.size, "plus")
    plus_len = np.where(kind == _PLUS_NAME, name_len, 0)
    plus_len[text_rec] = text_len

    n_lines = 4 * n_rec + n_blank
    lengths = np.zeros(n_lines, dtype=np.int64)
    lengths[0 : 4 * n_rec : 4] = name_len + 1
    lengths[1 : 4 * n_rec : 4] = readlen
    lengths[2 : 4 * n_rec : 4] = plus_len + 1
    lengths[3 : 4 * n_rec : 4] = readlen
    cr = read_line_endings(r, n_lines)
    r.finish()

    out, starts = assemble(lengths, cr, not flags & _FLAG_NO_FINAL_NEWLINE)
    head, seq, plus, qual = (starts[j : 4 * n_rec : 4] for j in range(4))
    out[head] = _AT
    scatter(out, head + 1, name_len, names, "names")
    out[plus] = _PLUS
    repeat = kind == _PLUS_NAME
    name_first = np.cumsum(name_len) - name_len
    scatter(out, plus[repeat] + 1, name_len[repeat], gather(names, name_first[repeat], name_len[repeat]), "plus names")
    scatter(out, plus[text_rec] + 1, text_len, texts, "plus")
    residues = join_residues(streams.bases, f["case"], f["exceptions"], streams.n_symbols)
    scatter(out, seq, readlen, residues, "sequence")
    del residues  # before the copy below: a long read's chunk is large
    scatter(out, qual, readlen, np.frombuffer(f["qualities"], dtype=np.uint8), "qualities")
    return out.tobytes()
