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

from ..coding.varint import decode_uvarints_at, encode_uvarints
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
    """2-bit code of A, C, G, T in either case: bits 1-2 and 2-3 XORed (0x41, 0x43, 0x47, 0x54).
    In place, so that no more than one temporary as large as the residues is alive."""
    code = residues >> 1
    shifted = residues >> 2
    code ^= shifted
    del shifted
    code &= np.uint8(3)
    return code


_SYMBOL_TABLE = SYMBOLS.tobytes() + bytes(252)


def _symbol(codes: np.ndarray) -> np.ndarray:
    """Inverse of _code for 0..3 (read-only result). bytes.translate is a tight C loop: twice as
    fast as the arithmetic alternative here, and 3x faster than a numpy table lookup."""
    return np.frombuffer(codes.tobytes().translate(_SYMBOL_TABLE), dtype=np.uint8)


def _is_acgt(folded: np.ndarray) -> np.ndarray:
    out = folded == _A
    tmp = np.empty_like(out)
    for symbol in (_C, _G, _T):
        np.equal(folded, symbol, out=tmp)
        out |= tmp
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

    Found from where runs start and end, a slice of ``_SLICE`` residues at a time, not from the
    position of every exception (8 bytes each: 16 GiB for an N-rich read of 2^31 residues).
    Residue p + 1 continues the run of residue p if both are exceptions of the same byte; a run
    starts at an exception that continues none, and ends at one that none continues."""
    n = exc.size
    run_start, run_last = [], []
    for i in range(0, n, _SLICE):
        j = min(n, i + _SLICE)
        lo, hi = max(i - 1, 0), min(j, n - 1)  # cont[lo:hi]: does p + 1 continue p
        cont = folded[lo + 1 : hi + 1] == folded[lo:hi]
        cont &= exc[lo + 1 : hi + 1]
        cont &= exc[lo:hi]
        prev = np.zeros(j - i, dtype=bool)  # residue p continues p - 1
        if i == 0:
            prev[1:] = cont[: j - 1]
        else:
            prev[:] = cont[: j - i]
        nxt = np.zeros(j - i, dtype=bool)  # residue p + 1 continues p
        k = min(j - i, cont.size - (i - lo))
        nxt[:k] = cont[i - lo : i - lo + k]
        e = exc[i:j]
        run_start.append(np.flatnonzero(np.greater(e, prev, out=prev)) + i)
        run_last.append(np.flatnonzero(np.greater(e, nxt, out=nxt)) + i)
    starts = np.concatenate(run_start)
    run_len = np.concatenate(run_last) - starts + 1
    prev_end = np.concatenate(([0], (starts + run_len)[:-1]))
    return (
        encode_uvarints([starts.size])
        + encode_uvarints(np.concatenate((starts - prev_end, run_len - 1)))
        + folded[starts].tobytes()
    )


#: residues classified at a time: the temporaries of each step are this large, not as large as the
#: chunk (whose residues may be a read of 2^31 bases)
_SLICE = 1 << 22


def _sliced(fn, residues: np.ndarray, dtype) -> np.ndarray:
    """``fn(residues)`` (elementwise), computed a slice at a time into one output array."""
    if residues.size <= _SLICE:
        return fn(residues)
    out = np.empty(residues.size, dtype=dtype)
    for i in range(0, residues.size, _SLICE):
        out[i : i + _SLICE] = fn(residues[i : i + _SLICE])
    return out


def split_residues(residues: np.ndarray) -> tuple[np.ndarray, bytes, bytes]:
    """Residue bytes -> (bases, case field, exceptions field). Callers reject control bytes first.

    Besides its three results, this holds one boolean per residue (two while the case runs and
    exceptions are found) and temporaries of ``_SLICE`` residues."""
    if residues.size == 0:
        return np.zeros(0, dtype=np.uint8), b"", b""
    lower = _sliced(_is_lower, residues, bool)
    if lower.any():
        case = encode_uvarints(_case_runs(residues, lower))
        folded = residues ^ (lower.view(np.uint8) << 5)
    else:
        case, folded = b"", residues
    del lower
    acgt = _sliced(_is_acgt, folded, bool)
    if acgt.all():
        del acgt
        return _sliced(_code, residues, np.uint8), case, b""
    bases = np.empty(int(np.count_nonzero(acgt)), dtype=np.uint8)
    at = 0
    for i in range(0, residues.size, _SLICE):
        picked = _code(residues[i : i + _SLICE])[acgt[i : i + _SLICE]]
        bases[at : at + picked.size] = picked
        at += picked.size
    np.logical_not(acgt, out=acgt)
    return bases, case, _exception_runs(folded, acgt)


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
