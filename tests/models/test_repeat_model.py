"""The many-candidate repeat model (kernel.rep_*): exact round trips on generated repeats, and
that it pays where it should.

Its edge cases are where pointers meet the ends of what is known: candidates started before the
k-mer table has filled, reverse-complement copies that run into the start of the input, copies
that leave the history window (a tiny ``ring_bits``), indel realignment next to those ends, and
block boundaries. Hypothesis generates the sequences (copies on both strands with substitutions,
insertions and deletions) and the parameters.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dnacomp.models.basecodec import BaseDecoder, BaseEncoder
from dnacomp.models.levels import DEFAULT_LEVEL, params_for_level
from dnacomp.models.params import ModelParams, RepeatParams


def _mutated_copies(seed: int, n_copies: int, unit_len: int, sub: float, indel: float, background: int = 0):
    """``n_copies`` diverged copies of one random unit (half of them reverse-complemented), each with
    its own substitutions, insertions and deletions, between random spacers: a repeat family."""
    rng = np.random.default_rng(seed)
    unit = rng.integers(0, 4, unit_len, dtype=np.uint8)
    parts = []
    for i in range(n_copies):
        copy = list(unit if i % 2 == 0 else 3 - unit[::-1])
        out = []
        for b in copy:
            r = rng.random()
            if r < indel / 2:
                continue  # deletion
            out.append(int(rng.integers(0, 4)) if rng.random() < sub else int(b))
            if r > 1 - indel / 2:
                out.append(int(rng.integers(0, 4)))  # insertion
        parts.append(np.array(out, dtype=np.uint8))
        parts.append(rng.integers(0, 4, background, dtype=np.uint8))
    return np.concatenate(parts) if parts else np.zeros(0, np.uint8)


def _roundtrip(params: ModelParams, bases: np.ndarray, cut: int | None = None) -> int:
    enc, dec = BaseEncoder(params), BaseDecoder(params)
    cut = bases.shape[0] // 2 if cut is None else cut
    blocks = [bases[:cut], bases[cut:]]
    coded = [enc.encode(b) for b in blocks]
    out = np.concatenate([dec.decode(c, b.shape[0]) for c, b in zip(coded, blocks)])
    np.testing.assert_array_equal(out, bases)
    return sum(len(c) for c in coded)


def _small(rep: RepeatParams, ring_bits: int = 16) -> ModelParams:
    return ModelParams(
        orders=(2,),
        ir=(False,),
        dp_orders=(4,),
        dp_ir=(True,),
        match_min=12,
        match_bits=14,
        ring_bits=ring_bits,
        hash_bits=12,
        rep=rep,
    )


REPEAT_PARAMS = st.builds(
    RepeatParams,
    count=st.integers(1, 64),
    kmer=st.integers(8, 20),
    bits=st.integers(12, 18),
    slots=st.integers(1, 8),
    miss_limit=st.integers(1, 15),
    starts=st.integers(1, 8),
)


@settings(max_examples=40, deadline=None)
@given(
    rep=REPEAT_PARAMS,
    ring_bits=st.integers(12, 16),
    seed=st.integers(0, 2**32 - 1),
    n_copies=st.integers(0, 12),
    unit_len=st.integers(1, 900),
    sub=st.floats(0, 0.3),
    indel=st.floats(0, 0.2),
    background=st.integers(0, 300),
    cut=st.integers(0, 20000),
)
def test_generated_repeats_round_trip_with_any_repeat_parameters(
    rep, ring_bits, seed, n_copies, unit_len, sub, indel, background, cut
):
    bases = _mutated_copies(seed, n_copies, unit_len, sub, indel, background)
    _roundtrip(_small(rep, ring_bits), bases, min(cut, bases.shape[0]))


def test_copies_beyond_the_history_window_round_trip():
    """A 4 kb history and copies 5-6 kb apart: every candidate must retire at the window's edge
    (the ring has been overwritten there), in both directions."""
    bases = _mutated_copies(3, 10, 2500, 0.05, 0.02, background=3000)
    rep = RepeatParams(count=32, kmer=8, bits=16, slots=8, starts=4)
    _roundtrip(_small(rep, ring_bits=12), bases)


def test_inputs_shorter_than_the_k_mer_round_trip():
    params = params_for_level(DEFAULT_LEVEL)
    for n in range(0, 30):
        _roundtrip(params, np.random.default_rng(n).integers(0, 4, n, dtype=np.uint8))


def _sizes_with_and_without(bases: np.ndarray) -> tuple[int, int]:
    """Coded sizes of ``bases`` at the default level, and at the same level without the repeat
    model (both round-tripped)."""
    with_rep = params_for_level(DEFAULT_LEVEL)
    return _roundtrip(with_rep, bases), _roundtrip(dataclasses.replace(with_rep, rep=RepeatParams()), bases)


def test_the_repeat_model_pays_on_a_diverged_repeat_family():
    """40 copies of a 300-base unit at 12% substitutions and 4% indels (an Alu-like family): the
    default level must code it clearly smaller with the repeat model than without it. Single
    pointers (the match models) lose such copies at every indel; many candidates that vote and
    realign do not."""
    a, b = _sizes_with_and_without(_mutated_copies(11, 40, 300, 0.12, 0.04, background=50))
    assert a < 0.97 * b, (a, b)


def test_random_bases_cost_no_more_with_the_repeat_model():
    """Where there is nothing to repeat, its candidates are chance k-mer hits: they must cost
    (almost) nothing."""
    a, b = _sizes_with_and_without(np.random.default_rng(5).integers(0, 4, 60000, dtype=np.uint8))
    assert a <= 1.002 * b, (a, b)
