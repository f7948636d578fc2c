"""The streams one chunk of input is split into, and helpers to serialise small integer streams.

A format parser (``dnacomp.formats.fasta`` / ``dnacomp.formats.fastq``) turns a chunk of input
bytes into a ``ChunkStreams``; its ``unparse`` function turns that back into the exact bytes.
The split exists so that each kind of information gets the codec that suits it:

``bases``
    uint8 array of 2-bit symbols (0=A, 1=C, 2=G, 3=T, case-folded), one per sequence residue that
    is A/C/G/T in either case, in input order. This is what the base model codes. Every other
    residue (N, IUPAC codes, '*', '-', any other byte) is *removed* from it and stored as an
    exception run, so that the model never sees a fifth symbol.
``fields``
    every other stream, already serialised to bytes (the container passes each through a general
    byte codec). The field names and their byte formats are fixed per format and documented at the
    top of ``formats/fasta.py`` and ``formats/fastq.py``; both share the residue fields ``case``
    and ``exceptions`` documented in ``formats/residues.py``. A parser always emits every field
    of its format (empty bytes when there is nothing to say) so that the container's stream table
    has a fixed shape: see ``FIELD_NAMES``.

Integers that describe structure (counts, widths, deltas) are written as LEB128 varints
(``coding/varint.py``). ``FieldWriter``/``FieldReader`` lay several scalars and arrays out in one
varint stream with explicit counts, so that a field is self-describing and a corrupt field is
detected instead of silently misread.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..coding.varint import decode_uvarints, encode_uvarints
from ..errors import ArchiveError

__all__ = ["ChunkStreams", "FieldWriter", "FieldReader", "FIELD_NAMES", "delta_indices", "undelta_indices"]

#: The fields each format's parser emits, in a stable order (the container may rely on it).
FIELD_NAMES: dict[str, tuple[str, ...]] = {
    "fasta": ("headers", "layout", "seqlen", "linelen", "case", "exceptions"),
    "fastq": ("names", "layout", "readlen", "plus", "qualities", "case", "exceptions"),
}


@dataclass
class ChunkStreams:
    """One chunk of input, split into the base symbols and the serialised side streams."""

    kind: str  # "fasta" or "fastq"
    bases: np.ndarray  # uint8 2-bit symbols 0..3 (A,C,G,T, case-folded), exceptions removed
    fields: dict[str, bytes] = field(default_factory=dict)
    n_symbols: int = 0  # sequence bytes of the chunk (every byte of sequence lines but CR/LF)
    n_records: int = 0  # records that start in this chunk (FASTA: header lines)


class FieldWriter:
    """Accumulates unsigned integers and count-prefixed arrays, then emits one varint stream."""

    def __init__(self) -> None:
        self._parts: list[np.ndarray] = []

    def scalar(self, value: int) -> FieldWriter:
        self._parts.append(np.array([value], dtype=np.uint64))
        return self

    def array(self, values: np.ndarray, counted: bool = True) -> FieldWriter:
        """Append ``values``; with ``counted`` its length goes first (omit when implied)."""
        values = np.asarray(values).astype(np.uint64, copy=False).ravel()
        if counted:
            self.scalar(values.size)
        self._parts.append(values)
        return self

    def tobytes(self) -> bytes:
        if not self._parts:
            return b""
        return encode_uvarints(np.concatenate(self._parts))


class FieldReader:
    """Reads back what a FieldWriter wrote, in the same order; corrupt fields raise ArchiveError."""

    def __init__(self, data: bytes, name: str) -> None:
        self._values = decode_uvarints(data)
        self._pos = 0
        self._name = name

    def _take(self, n: int) -> np.ndarray:
        if n < 0 or self._pos + n > self._values.size:
            raise ArchiveError(f"field {self._name!r} is truncated")
        out = self._values[self._pos : self._pos + n]
        self._pos += n
        return out

    def scalar(self) -> int:
        return int(self._take(1)[0])

    def array(self, count: int | None = None) -> np.ndarray:
        """The next array as int64 (its stored count is read first unless ``count`` is given)."""
        n = self.scalar() if count is None else count
        values = self._take(n)
        if values.size and int(values.max()) >= 1 << 62:
            raise ArchiveError(f"field {self._name!r} holds an absurd value")
        return values.astype(np.int64)

    def finish(self) -> None:
        """Insist the field was consumed exactly: trailing values mean a format mismatch."""
        if self._pos != self._values.size:
            raise ArchiveError(f"field {self._name!r} has {self._values.size - self._pos} unexpected trailing values")


def delta_indices(indices: np.ndarray) -> np.ndarray:
    """Strictly increasing indices -> gaps (index - previous - 1, previous starting at -1).

    Consecutive indices become zeros, which the byte codec compresses to almost nothing.
    """
    indices = np.asarray(indices, dtype=np.int64)
    gaps = np.diff(indices, prepend=-1) - 1
    return gaps


def undelta_indices(gaps: np.ndarray, limit: int, name: str) -> np.ndarray:
    """Inverse of delta_indices; indices must stay below ``limit`` (else the field is corrupt)."""
    idx = np.cumsum(np.asarray(gaps, dtype=np.int64) + 1) - 1
    if idx.size and int(idx[-1]) >= limit:
        raise ArchiveError(f"field {name!r} refers to index {int(idx[-1])} of {limit}")
    return idx
