"""FASTA and FASTQ <-> streams: every parser and unparser, and what the layers above may ask of them.

The formats' own modules: ``detect`` (which format), ``chunks`` (cutting input at record
boundaries), ``fasta`` and ``fastq`` (a chunk <-> its streams, exactly invertible), ``lines`` and
``residues`` (what both share), ``streams`` (``ChunkStreams`` and the varint fields).

The API of this package, for the layers above:

``PARSERS``, ``UNPARSERS``
    kind ("fasta" | "fastq") -> the chunk parser / unparser (``archive.py``, ``measure/``).
``read_lengths``, ``n_mask``, ``quality_context``, ``QUALITY_CONTEXT_FIELDS``
    what the quality codec needs to know of a FASTQ chunk (its read lengths and which residues
    are not A/C/G/T), computed from the stored fields, so that encoder and decoder see the same
    context by construction and no codec parses ``layout`` itself (``codecs/fields.py``).
``residue_codes``
    the base under each quality (A, C, G, T or other), from the base stream and the N mask: the
    quality codec's sequence contexts (decoded bases come before the qualities).
"""

from __future__ import annotations

import numpy as np

from ..errors import ArchiveError
from .fasta import parse_fasta_chunk, unparse_fasta_chunk
from .fastq import parse_fastq_chunk, unparse_fastq_chunk
from .fastq import read_lengths as _fastq_read_lengths
from .residues import exception_mask

__all__ = [
    "PARSERS",
    "UNPARSERS",
    "QUALITY_CONTEXT_FIELDS",
    "read_lengths",
    "n_mask",
    "quality_context",
    "residue_codes",
]

PARSERS = {"fasta": parse_fasta_chunk, "fastq": parse_fastq_chunk}
UNPARSERS = {"fasta": unparse_fasta_chunk, "fastq": unparse_fastq_chunk}

#: the FASTQ fields the quality context is computed from (a codec decodes them first)
QUALITY_CONTEXT_FIELDS = ("layout", "readlen", "exceptions")


def read_lengths(fields: dict[str, bytes], n_records: int | None = None) -> np.ndarray:
    """Per-read lengths (int64) of a FASTQ chunk from its stored ``layout`` and ``readlen``
    fields; ``n_records``, when given, is what the block declares (a layout that disagrees is
    corrupt: ArchiveError)."""
    return _fastq_read_lengths(fields, n_records)


def n_mask(fields: dict[str, bytes], n_symbols: int) -> np.ndarray:
    """True (bool, one per residue) at every residue of the chunk that is not A/C/G/T (N, IUPAC,
    ...), from its stored ``exceptions`` field."""
    return exception_mask(fields["exceptions"], n_symbols)


def quality_context(fields: dict[str, bytes], n_symbols: int, n_records: int) -> tuple[np.ndarray, np.ndarray]:
    """(read lengths, N mask) of a FASTQ chunk of ``n_symbols`` residues and ``n_records`` reads,
    from its stored fields (``QUALITY_CONTEXT_FIELDS``); lengths that do not add up to the
    residues are an ArchiveError."""
    if any(name not in fields for name in QUALITY_CONTEXT_FIELDS):
        raise ArchiveError("quality stream without its layout")
    readlen = read_lengths(fields, n_records)
    if int(readlen.sum()) != n_symbols:
        raise ArchiveError(f"read lengths add up to {int(readlen.sum())}, the block holds {n_symbols} residues")
    return readlen, n_mask(fields, n_symbols)


#: ``residue_codes``' code of a residue that is not A/C/G/T
OTHER_RESIDUE = 4


def residue_codes(bases: np.ndarray, is_n: np.ndarray) -> np.ndarray:
    """One uint8 per residue of a chunk: its 2-bit base (0..3 = A, C, G, T, case folded) where it
    is one, OTHER_RESIDUE where ``is_n`` marks it (the base stream skips those residues). A base
    stream that does not fill the mask's gaps exactly is an ArchiveError."""
    free = int(is_n.shape[0] - np.count_nonzero(is_n))
    if free != bases.shape[0]:
        raise ArchiveError(f"{bases.shape[0]} bases for {free} A/C/G/T residues")
    codes = np.full(is_n.shape[0], OTHER_RESIDUE, dtype=np.uint8)
    codes[~is_n] = bases
    return codes
