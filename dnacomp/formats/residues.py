"""Sequence residues <-> 2-bit bases + case runs + exception runs (shared by FASTA and FASTQ).

The residues of a chunk are all bytes of its sequence lines, concatenated (no CR/LF). They split
into three streams, so that the base model sees only A/C/G/T:

``bases`` (numpy uint8, not a field)
    0..3 for A, C, G, T after case folding, for every residue that is one of those, in order.

field ``case``: soft-masking, as varints
    Alternating run lengths over the residues, starting with a non-lowercase run (which may be
    0): upper, lower, upper, lower, ... The stream stops after the last lowercase run, so an
    all-uppercase chunk has an empty field and a soft-masked genome costs two varints per
    masked interval. Only letters carry case: a non-letter (e.g. '-' or '*') joins the run of the
    letter before it, so it never splits a lowercase run, and unmasking ignores it.

field ``exceptions``: everything that is not A/C/G/T, as runs of one repeated byte
    ``uvarint n_runs``, then ``n_runs`` uvarint gaps (run start minus the end of the previous run,
    first one from 0), then ``n_runs`` uvarints (run length - 1), then ``n_runs`` raw bytes
    (the run's byte, case-folded: a soft-masked 'n' is 'N' here plus a lowercase run in
    ``case``). Positions count residues, not file bytes, so they do not depend on line layout.
    Exception residues are absent from ``bases``: N runs cost a few bytes, not one base each.

Control bytes (0x00-0x1F, 0x7F) are not residues: the parsers reject them (``first_invalid``).
"""
from __future__ import annotations

import numpy as np

from ..codecs.varint import decode_uvarints_at, encode_uvarints
from ..errors import ArchiveError
from .lines import ranges_mask

__all__ = ["split_residues", "join_residues", "first_invalid", "describe_invalid", "SYMBOLS"]

SYMBOLS = np.frombuffer(b"ACGT", dtype=np.uint8)

# Table lookups (lut[array]) cost ~3 ns per byte in numpy, plain comparisons and shifts ~0.2 ns:
# every per-residue step below is arithmetic on whole arrays.
_A, _C, _G, _T = SYMBOLS.tolist()


def _is_lower(residues: np.ndarray) -> np.ndarray:
    return (residues - np.uint8(ord("a"))) < 26  # uint8 wraps, so one compare covers the range


def _is_upper(residues: np.ndarray) -> np.ndarray:
    return (residues - np.uint8(ord("A"))) < 26


def _is_letter(residues: np.ndarray) -> np.ndarray:
    return ((residues | np.uint8(0x20)) - np.uint8(ord("a"))) < 26


def _code(residues: np.ndarray) -> np.ndarray:
    """2-bit code of A, C, G, T in either case: bits 1-2 and 2-3 XORed (0x41, 0x43, 0x47, 0x54)."""
    return ((residues >> 1) ^ (residues >> 2)) & np.uint8(3)


_SYMBOL_TABLE = SYMBOLS.tobytes() + bytes(252)


def _symbol(codes: np.ndarray) -> np.ndarray:
    """Inverse of _code for 0..3 (read-only result). bytes.translate is a tight C loop: twice as
    fast as the arithmetic alternative here, and 3x faster than a numpy table lookup."""
    return np.frombuffer(codes.tobytes().translate(_SYMBOL_TABLE), dtype=np.uint8)


def _is_acgt(folded: np.ndarray) -> np.ndarray:
    out = folded == _A
    out |= folded == _C
    out |= folded == _G
    out |= folded == _T
    return out


def describe_invalid(value: int) -> str:
    """How error messages name a rejected residue byte."""
    return "NUL byte" if value == 0 else f"control byte 0x{value:02X}"


def first_invalid(residues: np.ndarray) -> int:
    """Index of the first control byte among the residues, or -1 if there is none."""
    if residues.size == 0 or (int(residues.min()) >= 0x20 and not (residues == 0x7F).any()):
        return -1
    return int(np.argmax((residues < 0x20) | (residues == 0x7F)))


def _case_runs(residues: np.ndarray, lower: np.ndarray) -> np.ndarray:
    """Alternating upper/lower run lengths, truncated after the last lowercase run."""
    nonletter = ~_is_letter(residues)
    if nonletter.any():
        # Non-letters inherit the case of the preceding letter (forward fill), so '-' or '*'
        # inside a masked region does not cost two extra runs.
        src = np.where(nonletter, 0, np.arange(residues.size, dtype=np.int64))
        np.maximum.accumulate(src, out=src)
        lower = lower[src]  # leading non-letters read index 0, itself a non-letter: False
    change = np.flatnonzero(lower[1:] != lower[:-1]) + 1
    bounds = np.concatenate(([0], change, [residues.size]))
    runs = np.diff(bounds)
    if lower[0]:
        runs = np.concatenate(([0], runs))
    if runs.size % 2:  # ends with an uppercase run: implied by n_symbols
        runs = runs[:-1]
    return runs


def _exception_runs(folded: np.ndarray, exc: np.ndarray) -> bytes:
    """Runs of one repeated non-ACGT byte, serialised as documented in the module docstring.

    Found from where runs start and end, in boolean arrays (a byte per residue), not from the
    position of every exception (8 bytes each): an N-rich read of 2^31 residues needs a few GiB
    here, not 16."""
    cont = folded[1:] == folded[:-1]  # residue i + 1 continues the run of residue i
    cont &= exc[1:]
    cont &= exc[:-1]
    edge = exc.copy()
    np.greater(exc[1:], cont, out=edge[1:])  # an exception that continues no run starts one
    run_start = np.flatnonzero(edge)
    np.greater(exc[:-1], cont, out=edge[:-1])  # an exception continued by none ends its run
    edge[-1] = exc[-1]
    del cont
    run_len = np.flatnonzero(edge) - run_start + 1
    del edge
    prev_end = np.concatenate(([0], (run_start + run_len)[:-1]))
    return (encode_uvarints([run_start.size])
            + encode_uvarints(np.concatenate((run_start - prev_end, run_len - 1)))
            + folded[run_start].tobytes())


def split_residues(residues: np.ndarray) -> tuple[np.ndarray, bytes, bytes]:
    """Residue bytes -> (bases, case field, exceptions field). Callers reject control bytes first."""
    if residues.size == 0:
        return np.zeros(0, dtype=np.uint8), b"", b""
    lower = _is_lower(residues)
    if lower.any():
        case = encode_uvarints(_case_runs(residues, lower))
        folded = residues ^ (lower.view(np.uint8) << 5)
    else:
        case, folded = b"", residues
    acgt = _is_acgt(folded)
    code = _code(residues)
    if acgt.all():
        return code, case, b""
    return code[acgt], case, _exception_runs(folded, ~acgt)


def _decode_exceptions(data: bytes, n_symbols: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(run starts, run lengths, run bytes) from an ``exceptions`` field."""
    buf = np.frombuffer(data, dtype=np.uint8)
    head, pos = decode_uvarints_at(buf, 0, 1)
    n = int(head[0])
    values, pos = decode_uvarints_at(buf, pos, 2 * n)
    if buf.size - pos != n:
        raise ArchiveError(f"field 'exceptions' has {buf.size - pos} run bytes, expected {n}")
    gaps = values[:n].astype(np.int64)
    lengths = values[n:].astype(np.int64) + 1
    starts = np.cumsum(gaps + np.concatenate(([0], lengths[:-1]))) if n else gaps
    if n and int(starts[-1] + lengths[-1]) > n_symbols:
        raise ArchiveError("field 'exceptions' runs past the end of the sequence")
    return starts, lengths, buf[pos:]


def exception_mask(exceptions: bytes, n_symbols: int) -> np.ndarray:
    """True at every residue that is not A/C/G/T (N, IUPAC, ...): context for the quality model,
    computed from the stored field so that encoder and decoder see the same mask."""
    if not exceptions:
        return np.zeros(n_symbols, dtype=bool)
    starts, lengths, _ = _decode_exceptions(exceptions, n_symbols)
    return ranges_mask(n_symbols, starts, lengths)


def _apply_case(out: np.ndarray, case: bytes) -> np.ndarray:
    """``out`` with the uppercase letters inside the lowercase runs lowered (a new array)."""
    runs = np.asarray(decode_uvarints_at(case)[0], dtype=np.int64)
    if runs.size % 2:
        raise ArchiveError("field 'case' has an odd number of runs")
    ends = np.cumsum(runs)
    if runs.size and int(ends[-1]) > out.size:
        raise ArchiveError("field 'case' runs past the end of the sequence")
    mask = ranges_mask(out.size, ends[0::2], runs[1::2])
    mask &= _is_upper(out)
    return out | (mask.view(np.uint8) << np.uint8(5))


def join_residues(bases: np.ndarray, case: bytes, exceptions: bytes, n_symbols: int) -> np.ndarray:
    """Inverse of split_residues: the ``n_symbols`` residue bytes."""
    bases = np.asarray(bases, dtype=np.uint8)
    if bases.size and int(bases.max()) > 3:
        raise ArchiveError("base symbol out of range 0..3")
    if exceptions:
        starts, lengths, syms = _decode_exceptions(exceptions, n_symbols)
        n_exc = int(lengths.sum())
    else:
        n_exc = 0
    if bases.size + n_exc != n_symbols:
        raise ArchiveError(f"{bases.size} bases + {n_exc} exceptions != {n_symbols} residues")
    if n_exc:
        out = np.empty(n_symbols, dtype=np.uint8)
        exc = ranges_mask(n_symbols, starts, lengths)
        out[exc] = np.repeat(syms, lengths)
        out[~exc] = _symbol(bases)
    else:
        out = _symbol(bases)
    return _apply_case(out, case) if case else out
