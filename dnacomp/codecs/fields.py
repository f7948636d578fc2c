"""Which codec codes each side stream of a chunk, and the context the specialised codecs need.

Byte format of a coded field: the first byte names the method, the rest is its payload.

  0..3  the general-purpose codecs of ``codecs/general.py`` (stored, zlib, bz2, LZMA2)
  8     tokenised names (``codecs/names.py``): FASTQ read names, FASTA header lines
  9     quality context mixing (``codecs/quality.py``): FASTQ quality strings
  10    shaped names (``codecs/name_shapes.py``): FASTQ read names with their UUIDs coded apart
        and their ISO timestamps as numbers, then tokenised (archive version 7)

An empty field is coded as zero bytes. Methods 8 and 9 exist from container format version 2;
a version-1 archive only holds 0..3, so both versions decode through the same function.

Why the choice is made per chunk, by size: the specialised codecs win by far on the data they
were built for, but a name field of binary junk or a header field of one long line can code
smaller in a general codec, and a stream must never cost much more than its raw bytes.
The quality codec needs the read lengths and which residues are N as context; the formats
compute both from the other stored fields (``formats.quality_context``, from the fields in
``formats.QUALITY_CONTEXT_FIELDS``) on both sides, so encoder and decoder see the same context by
construction. Fields that serve as context are therefore always general-coded, and decoded first.
"""

from __future__ import annotations

import numpy as np

from ..errors import ArchiveError
from ..formats import quality_context, residue_codes
from . import general

NAMES_TOKENS = 8
QUALITY_CM = 9
NAMES_SHAPED = 10

#: fields coded as names (one per record, joined with '\n'), per format
NAME_FIELDS = {"fasta": "headers", "fastq": "names"}
QUALITY_FIELD = "qualities"

_METHOD_NAMES = {NAMES_TOKENS: "names", QUALITY_CM: "quality-cm", NAMES_SHAPED: "names-shaped"}


def method_name(coded: bytes) -> str:
    """The method of a coded field, for ``dnacomp info -v`` and the tests; a quality stream whose
    contexts read the bases (quality codec version 2) is "quality-cm+bases"."""
    if len(coded) > 1 and coded[0] == QUALITY_CM and coded[1] == 2:
        return "quality-cm+bases"
    if coded and coded[0] in _METHOD_NAMES:
        return _METHOD_NAMES[coded[0]]
    return general.method_name(coded)


def _encode_names(raw: bytes, n_records: int, shapes: bool = False) -> bytes:
    """With ``shapes`` (FASTQ from archive version 7) names holding UUIDs or ISO timestamps are
    also coded shaped (``name_shapes.py``) and the smaller coding kept: both are cheap next to
    the qualities, and the plain tokeniser stays the better one for names they do not fit."""
    if not raw and n_records <= 1:
        return b""
    from . import name_shapes, names

    tokenised = names.encode_names(raw, n_records, prefix=bytes([NAMES_TOKENS]))
    shaped = shapes and name_shapes.applies(raw)
    if shaped:
        tokenised = min(tokenised, bytes([NAMES_SHAPED]) + name_shapes.encode_shaped(raw, n_records), key=len)
    if 8 * len(tokenised) <= len(raw):  # real read names: no general codec comes close
        return tokenised
    quick = general.fast_size(raw)  # stored or zlib: cheap, and a bound for junk names
    # Long-read names with many noisy comments (Dorado's SAM tags: ~16 fields, past the
    # tokeniser's 64 tokens) may lose to bz2 or LZMA, and may well when the tokens are not 30%
    # under zlib (bz2 and LZMA come to 0.74-0.81 of zlib on such names); nanopore names of the
    # older kind come to 0.59 of zlib, so they are spared the slow codecs.
    bound_x10 = 7 * quick if shaped else 10 * quick
    if 10 * len(tokenised) <= bound_x10:
        return tokenised
    return min(tokenised, general.encode(raw), key=len)


def _encode_qualities(
    raw: bytes, fields: dict[str, bytes], n_symbols: int, n_records: int, bases: np.ndarray | None
) -> bytes:
    if not raw:
        return b""
    from . import quality

    readlen, is_n = quality_context(fields, n_symbols, n_records)
    codes = None if bases is None else residue_codes(bases, is_n)
    coded = bytes([QUALITY_CM]) + quality.encode_qualities(
        np.frombuffer(raw, dtype=np.uint8), readlen, is_n, bases=codes
    )
    return coded if len(coded) <= len(raw) else general.encode(raw, fast=True)


def encode_fields(
    kind: str, fields: dict[str, bytes], n_symbols: int, n_records: int, bases: np.ndarray | None = None
) -> dict[str, bytes]:
    """Codes every field of one chunk. With the chunk's ``bases`` (its base stream) the quality
    codec may use the sequence as context (quality stream version 2, archive version 6); its
    decoder then needs them (``decode_fields``). FASTQ names may be coded shaped (method 10,
    archive version 7)."""
    jobs = {}
    for name, raw in fields.items():
        if name == NAME_FIELDS.get(kind):
            jobs[name] = (_encode_names, raw, n_records, kind == "fastq")
        elif kind == "fastq" and name == QUALITY_FIELD:
            jobs[name] = (_encode_qualities, raw, fields, n_symbols, n_records, bases)
        else:
            jobs[name] = (general.encode, raw)
    return {name: fn(*args) for name, (fn, *args) in jobs.items()}


def decode_fields(
    kind: str,
    coded: dict[str, tuple[int, bytes]],
    n_symbols: int,
    n_records: int,
    bases: np.ndarray | None = None,
    shaped_names: bool = True,
) -> dict[str, bytes]:
    """Inverse of encode_fields: ``coded`` maps each field to (raw length, coded bytes). Without
    ``bases`` (an archive before version 6) a quality stream that reads them is refused; without
    ``shaped_names`` (before version 7) so are shaped names."""
    out: dict[str, bytes] = {}
    later = []
    for name, (raw_len, data) in coded.items():
        if data and data[0] in _METHOD_NAMES:
            later.append(name)
        else:
            out[name] = general.decode(data, raw_len)
    if later:
        from . import name_shapes, names, quality  # their kernels (numba) only when a stream uses them
    for name in later:
        raw_len, data = coded[name]
        if data[0] == NAMES_TOKENS and name == NAME_FIELDS.get(kind):
            raw = names.decode_names(data[1:], n_records, max_size=raw_len)
        elif data[0] == NAMES_SHAPED and kind == "fastq" and name == NAME_FIELDS[kind]:
            if not shaped_names:
                raise ArchiveError("corrupt archive (shaped names before format version 7)")
            raw = name_shapes.decode_shaped(data[1:], n_records, max_size=raw_len)
        elif data[0] == QUALITY_CM and kind == "fastq" and name == QUALITY_FIELD:
            readlen, is_n = quality_context(out, n_symbols, n_records)
            if raw_len != n_symbols:
                raise ArchiveError(f"quality stream of {raw_len} bytes for {n_symbols} residues")
            codes = None if bases is None else residue_codes(bases, is_n)
            raw = quality.decode_qualities(data[1:], readlen, is_n, bases=codes).tobytes()
        else:
            raise ArchiveError(f"field {name!r} uses method {data[0]}, which it never uses")
        if len(raw) != raw_len:
            raise ArchiveError(f"field {name!r} decodes to {len(raw)} bytes, archive says {raw_len}")
        out[name] = raw
    return out
