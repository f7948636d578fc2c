"""The residue split (bases + case runs + exception runs) and the varint codec under it."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dnacomp.coding.varint import (
    decode_svarints,
    decode_uvarints,
    decode_uvarints_at,
    encode_svarints,
    encode_uvarints,
    zigzag_decode,
    zigzag_encode,
)
from dnacomp.errors import ArchiveError
from dnacomp.formats.residues import first_invalid, join_residues, split_residues


def arr(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.uint8)


def round_trip(data: bytes) -> tuple[np.ndarray, bytes, bytes]:
    bases, case, exceptions = split_residues(arr(data))
    assert join_residues(bases, case, exceptions, len(data)).tobytes() == data
    return bases, case, exceptions


# --- residues ------------------------------------------------------------------------------------


def test_bases_are_the_acgt_residues_in_order_case_folded():
    bases, case, exceptions = round_trip(b"ACGTacgtNGa")
    assert bases.tolist() == [0, 1, 2, 3, 0, 1, 2, 3, 2, 0]
    assert bases.dtype == np.uint8


def test_uppercase_acgt_needs_no_side_streams():
    bases, case, exceptions = round_trip(b"ACGT" * 1000)
    assert case == b"" and exceptions == b""
    assert bases.size == 4000


def test_soft_masked_run_costs_two_varints():
    _, case, _ = round_trip(b"ACGT" * 50 + b"acgt" * 50 + b"ACGT" * 50)
    assert decode_uvarints(case).tolist() == [200, 200]


def test_leading_lowercase_starts_with_an_empty_uppercase_run():
    _, case, _ = round_trip(b"acgTT")
    assert decode_uvarints(case).tolist() == [0, 3]


def test_non_letters_do_not_split_a_lowercase_run():
    _, case, exceptions = round_trip(b"acg-t*acgnnNN")
    assert decode_uvarints(case).tolist() == [0, 11]
    # but they are exceptions, and 'n' folds into the same run as 'N'
    assert exceptions.endswith(b"-*N")


def test_n_run_is_one_exception_and_leaves_bases():
    bases, _, exceptions = round_trip(b"AC" + b"N" * 10000 + b"GT")
    assert bases.tolist() == [0, 1, 2, 3]
    assert len(exceptions) < 10  # n_runs, gap, length-1, byte


def test_every_non_acgt_byte_is_an_exception():
    others = bytes(b for b in range(0x20, 256) if b != 0x7F and chr(b) not in "ACGTacgt")
    bases, _, exceptions = round_trip(b"A" + others + b"T")
    assert bases.tolist() == [0, 3]
    assert exceptions  # all of them are stored


@pytest.mark.parametrize(
    "data,index",
    [(b"ACGT", -1), (b"AC\x00GT", 2), (b"ACGT\t", 4), (b"\x7fA", 0), (b"AC\rGT", 2), (b"", -1), (b"\xff~ ", -1)],
)
def test_first_invalid_finds_control_bytes(data, index):
    assert first_invalid(arr(data)) == index


def test_join_rejects_inconsistent_counts():
    bases, case, exceptions = split_residues(arr(b"ACNNGT"))
    with pytest.raises(ArchiveError, match="residues"):
        join_residues(bases, case, exceptions, 7)


printable = st.binary(max_size=200).map(lambda b: bytes(x for x in b if x >= 0x20 and x != 0x7F))
dna_like = st.lists(st.tuples(st.sampled_from(list(b"ACGTacgtNnRYrykm*-. \xff")), st.integers(1, 40)), max_size=20).map(
    lambda runs: b"".join(bytes([c]) * n for c, n in runs)
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(printable, dna_like))
def test_any_printable_residues_round_trip(data):
    bases, _, _ = round_trip(data)
    assert bases.size == sum(data.count(c) for c in b"ACGTacgt")


# --- varint codec ---------------------------------------------------------------------------------


def test_uvarint_byte_format_is_leb128():
    assert encode_uvarints([0, 1, 127, 128, 300]) == bytes([0, 1, 0x7F, 0x80, 0x01, 0xAC, 0x02])
    assert encode_uvarints(np.array([2**64 - 1], dtype=np.uint64)) == b"\xff" * 9 + b"\x01"


def test_uvarints_round_trip_across_all_lengths():
    values = np.array([0] + [2**k - 1 for k in range(1, 65)] + [2**k for k in range(64)], dtype=np.uint64)
    encoded = encode_uvarints(values)
    assert np.array_equal(decode_uvarints(encoded), values)
    assert np.array_equal(decode_uvarints(encoded, count=3), values[:3])


def test_decode_at_reports_where_it_stopped():
    data = encode_uvarints([5, 300]) + b"tail"
    values, end = decode_uvarints_at(data, 0, 2)
    assert values.tolist() == [5, 300] and data[end:] == b"tail"


@pytest.mark.parametrize("data", [b"\x80", b"\x01\xff", b"\xff" * 10 + b"\x01", b"\xff" * 9 + b"\x02"])
def test_corrupt_varints_raise_archive_error(data):
    with pytest.raises(ArchiveError):
        decode_uvarints(data)


def test_decode_with_too_large_count_raises():
    with pytest.raises(ArchiveError, match="expected 3"):
        decode_uvarints(encode_uvarints([1, 2]), count=3)


def test_negative_values_are_refused_by_the_unsigned_encoder():
    with pytest.raises(ValueError, match="negative"):
        encode_uvarints(np.array([1, -1]))


def test_zigzag_maps_small_magnitudes_to_small_numbers():
    assert zigzag_encode([0, -1, 1, -2, 2]).tolist() == [0, 1, 2, 3, 4]
    extremes = np.array([-(2**63), 2**63 - 1], dtype=np.int64)
    assert np.array_equal(zigzag_decode(zigzag_encode(extremes)), extremes)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-(2**63), 2**63 - 1), max_size=50))
def test_svarints_round_trip(values):
    assert decode_svarints(encode_svarints(np.array(values, dtype=np.int64))).tolist() == values


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1), max_size=50))
def test_uvarints_round_trip(values):
    encoded = encode_uvarints(np.array(values, dtype=np.uint64))
    assert decode_uvarints(encoded).tolist() == values


def test_large_arrays_are_fast_enough():
    values = np.random.default_rng(1).integers(0, 2**35, size=1_000_000).astype(np.uint64)
    assert np.array_equal(decode_uvarints(encode_uvarints(values)), values)


def _old_exception_runs(folded: np.ndarray, exc: np.ndarray) -> bytes:
    """The exception runs as first written, from every exception's position: the oracle."""
    from dnacomp.coding.varint import encode_uvarints as enc

    pos = np.flatnonzero(exc)
    sym = folded[pos]
    new = np.ones(pos.size, dtype=bool)
    new[1:] = (pos[1:] != pos[:-1] + 1) | (sym[1:] != sym[:-1])
    first = np.flatnonzero(new)
    run_start = pos[first]
    run_len = np.diff(np.append(first, pos.size))
    prev_end = np.concatenate(([0], (run_start + run_len)[:-1]))
    return enc([first.size]) + enc(np.concatenate((run_start - prev_end, run_len - 1))) + sym[first].tobytes()


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from([b"A", b"c", b"N", b"n", b"NNNN", b"R", b"NR", b"-", b"*", b"acgt", b"X"]),
        min_size=1,
        max_size=80,
    ).map(b"".join)
)
def test_exception_runs_are_those_of_the_position_based_version(data):
    from dnacomp.formats import residues as mod

    residues = np.frombuffer(data, dtype=np.uint8)
    folded = residues ^ (mod._is_lower(residues).view(np.uint8) << 5)
    exc = ~mod._is_acgt(folded)
    expected = _old_exception_runs(folded, exc)
    for slice_size in (1, 2, 3, 7, 1 << 22):  # runs across the slices' edges
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(mod, "_SLICE", slice_size)
            assert mod._exception_runs(folded, exc) == expected


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from([b"A", b"c", b"N", b"n", b"NNNN", b"R", b"-", b"acgt", b"GT", b"X"]), max_size=60).map(
        b"".join
    ),
    st.sampled_from([1, 2, 5, 1 << 22]),
)
def test_split_residues_does_not_depend_on_its_slice_size(data, slice_size):
    from dnacomp.formats import residues as mod

    residues = np.frombuffer(data, dtype=np.uint8)
    expected = mod.split_residues(residues)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(mod, "_SLICE", slice_size)
        got = mod.split_residues(residues)
    assert np.array_equal(got[0], expected[0]) and got[0].dtype == np.uint8 and got[1:] == expected[1:]
    assert join_residues(got[0], got[1], got[2], residues.size).tobytes() == data


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from([b"A", b"\n", b"\r", b"\r\n", b"ACGT"]), max_size=60).map(b"".join),
    st.lists(st.tuples(st.integers(0, 20), st.integers(0, 30)), max_size=8),
    st.sampled_from([1, 7, 1 << 30]),
)
def test_line_ranges_are_gathered_and_scattered_alike_whether_sliced_or_masked(data, pieces, scan):
    """formats/lines.py copies few long ranges slice by slice and others through an index or a
    mask; both must give the same bytes. Ranges: sorted, disjoint, from gaps and lengths."""
    from dnacomp.formats import lines

    buf = np.frombuffer(data, dtype=np.uint8)
    starts, lengths, at = [], [], 0
    for gap, length in pieces:
        start = min(at + gap, buf.size)
        length = min(length, buf.size - start)
        starts.append(start)
        lengths.append(length)
        at = start + length
    starts, lengths = np.array(starts, dtype=np.int64), np.array(lengths, dtype=np.int64)
    results = []
    for long_range, scan_size in ((1, scan), (1 << 40, 1 << 30)):  # always sliced, never sliced
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(lines, "LONG_RANGE", long_range)
            mp.setattr(lines, "_SCAN", scan_size)
            got = lines.gather(buf, starts, lengths)
            out = np.zeros_like(buf)
            lines.scatter(out, starts, lengths, got, "test")
            found = lines.split_lines(buf)
            results.append(
                (
                    got.tobytes(),
                    out.tobytes(),
                    lines.ranges_mask(buf.size, starts, lengths).tobytes(),
                    found.starts.tolist(),
                    found.lengths.tolist(),
                    found.cr.tolist(),
                    found.final_newline,
                )
            )
    assert results[0] == results[1]
    assert results[0][0] == b"".join(data[s : s + n] for s, n in zip(starts.tolist(), lengths.tolist()))
