"""The base model (dnacomp.models): exact round trips at every level, parameter checks, the coder.

Fast on purpose (well under 30 s): small synthetic inputs plus lambda (48 kb) per level.
"""

from __future__ import annotations

import dataclasses
import gzip
import json

import numpy as np
import pytest
from paths import CORPUS, GOLDEN

from dnacomp.coding.arith import decode_bit, decode_init, encode_bit, encode_flush, new_coder_state
from dnacomp.errors import ArchiveError
from dnacomp.models.basecodec import BaseDecoder, BaseEncoder
from dnacomp.models.levels import DEFAULT_LEVEL, LEVEL_DESCRIPTIONS, params_for_level
from dnacomp.models.params import GruParams, ModelParams, RepeatParams

LEVELS = list(range(1, 10))
LAMBDA = CORPUS / "fasta" / "lambda_virus.fa.gz"

# a small model with every optional part switched on (hashed and direct count models, probability
# and codon models, inverted repeats)
FULL = ModelParams(
    orders=(1, 3, 11, 12, 16),
    ir=(False, True, True, True, True),
    hash_bits=16,
    match_bits=16,
    ring_bits=16,
    match_min=12,
    dp_orders=(2, 6),
    dp_ir=(False, True),
    codon_order=3,
    codon_extra=(1, 5),
    codon_decay=5,
    codon_ir=True,
    rep=RepeatParams(count=8, kmer=8, bits=16, slots=3, starts=2),
)


def _random_bases(n: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 4, n, dtype=np.uint8)


def _repetitive_bases(seed: int = 2) -> np.ndarray:
    """A 3 kb unit repeated 8 times, alternately reverse-complemented, with 1% point mutations."""
    rng = np.random.default_rng(seed)
    unit = rng.integers(0, 4, 3000, dtype=np.uint8)
    parts = []
    for i in range(8):
        copy = (3 - unit[::-1]) if i % 2 else unit.copy()
        hits = rng.random(copy.shape[0]) < 0.01
        copy[hits] = rng.integers(0, 4, int(hits.sum()), dtype=np.uint8)
        parts.append(copy)
    return np.concatenate(parts)


def _lambda_bases() -> np.ndarray:
    if not LAMBDA.exists():
        pytest.skip(f"{LAMBDA} absent")
    seq = b"".join(line for line in gzip.open(LAMBDA).read().split(b"\n") if not line.startswith(b">"))
    lut = np.full(256, 255, np.uint8)
    for i, c in enumerate(b"ACGT"):
        lut[c] = i
        lut[c + 32] = i
    codes = lut[np.frombuffer(seq, np.uint8)]
    return codes[codes < 4]


def _roundtrip(params: ModelParams, bases: np.ndarray) -> bytes:
    data = BaseEncoder(params).encode(bases)
    out = BaseDecoder(params).decode(data, bases.shape[0])
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, bases)
    return data


@pytest.mark.parametrize("level", LEVELS)
def test_every_level_round_trips_random_and_repetitive_bases(level):
    params = params_for_level(level)
    _roundtrip(params, _random_bases(20000, seed=level))
    data = _roundtrip(params, _repetitive_bases())
    # 7 of the 8 copies are predictable: far below 2 bits/base
    assert 8 * len(data) / 24000 < 0.75


@pytest.mark.parametrize("level", LEVELS)
def test_every_level_round_trips_lambda_below_two_bits(level):
    bases = _lambda_bases()
    data = _roundtrip(params_for_level(level), bases)
    assert 8 * len(data) / bases.shape[0] < 1.99


def test_random_bases_cost_about_two_bits():
    bases = _random_bases(50000)
    data = _roundtrip(params_for_level(DEFAULT_LEVEL), bases)
    assert 1.98 < 8 * len(data) / bases.shape[0] < 2.03


def test_every_optional_model_part_round_trips():
    _roundtrip(FULL, _repetitive_bases(5))
    _roundtrip(FULL, _random_bases(10000, seed=9))


@pytest.mark.parametrize("params", [params_for_level(1), params_for_level(9), FULL], ids=["L1", "L9", "full"])
def test_empty_and_one_base_inputs(params):
    empty = np.zeros(0, dtype=np.uint8)
    data = BaseEncoder(params).encode(empty)
    assert BaseDecoder(params).decode(data, 0).shape == (0,)
    for base in range(4):
        one = np.array([base], dtype=np.uint8)
        _roundtrip(params, one)


@pytest.mark.parametrize("params", [params_for_level(DEFAULT_LEVEL), FULL], ids=["default", "full"])
def test_state_carries_over_between_blocks(params):
    """One encoder codes several blocks; one decoder must see the same blocks in order."""
    rep = _repetitive_bases(7)
    blocks = [rep[:9000], rep[9000:9001], np.zeros(0, dtype=np.uint8), rep[9001:]]
    enc = BaseEncoder(params)
    coded = [enc.encode(b) for b in blocks]
    dec = BaseDecoder(params)
    for b, data in zip(blocks, coded):
        np.testing.assert_array_equal(dec.decode(data, b.shape[0]), b)
    # the later blocks were coded with what the earlier ones taught the model
    alone = BaseEncoder(params).encode(rep[9001:])
    assert len(coded[3]) < 0.9 * len(alone)


@pytest.mark.parametrize(
    "params",
    [params_for_level(2), params_for_level(DEFAULT_LEVEL), params_for_level(9), FULL],
    ids=["L2", "default", "L9", "full"],
)
def test_kernel_call_boundaries_do_not_matter(params, monkeypatch):
    """All state lives in arrays: coding in slices of any size gives the same stream."""
    import dnacomp.models.basecodec as basecodec

    bases = np.concatenate([_repetitive_bases(11), _random_bases(7000, seed=11)])
    whole = BaseEncoder(params).encode(bases)
    for enc_slice, dec_slice in ((997, 1 << 20), (1 << 20, 1231), (64, 4096)):
        monkeypatch.setattr(basecodec, "SLICE", enc_slice)
        monkeypatch.setattr(basecodec, "DECODE_SLICE", dec_slice)
        sliced = BaseEncoder(params).encode(bases)
        assert sliced == whole
        np.testing.assert_array_equal(BaseDecoder(params).decode(whole, bases.shape[0]), bases)


def test_damaged_stream_is_reported():
    params = params_for_level(1)
    bases = _random_bases(5000)
    data = BaseEncoder(params).encode(bases)
    with pytest.raises(ArchiveError):
        BaseDecoder(params).decode(data + b"\x00\x00", bases.shape[0])
    with pytest.raises(ArchiveError):
        BaseDecoder(params).decode(data[:-3], bases.shape[0])


@pytest.mark.parametrize("params", [params_for_level(lv) for lv in LEVELS] + [FULL])
def test_params_serialise_exactly(params):
    d = json.loads(json.dumps(params.to_dict()))
    assert ModelParams.from_dict(d) == params
    params.validate()


def test_levels_table():
    assert set(LEVEL_DESCRIPTIONS) == set(LEVELS) and DEFAULT_LEVEL in LEVELS
    assert all(isinstance(t, str) and t for t in LEVEL_DESCRIPTIONS.values())
    memory = [params_for_level(lv).memory_bytes() for lv in LEVELS]
    assert max(memory) <= 2 << 30
    with pytest.raises(ValueError):
        params_for_level(0)
    with pytest.raises(ValueError):
        params_for_level(10)


BAD = [
    dict(orders=(3, 2), ir=(False, False)),
    dict(orders=(2, 2), ir=(False, False)),
    dict(orders=(0,), ir=(False,)),
    dict(orders=(29,), ir=(False,)),
    dict(orders=(2, 3), ir=(False,)),
    dict(orders=(), ir=(), dp_orders=()),
    dict(orders=(2.5,), ir=(False,)),
    dict(hash_bits=9),
    dict(hash_bits=40),
    dict(match_bits=29),
    dict(ring_bits=31),
    dict(match_min=11),
    dict(match_min=29),
    dict(mixer_lr=0),
    dict(mixer_lr=256),
    dict(am_limit=0),
    dict(am_limit=1024),
    dict(dp_orders=(13,), dp_ir=(False,)),
    dict(dp_orders=(4, 2), dp_ir=(False, False)),
    dict(dp_orders=(2,), dp_ir=()),
    dict(dp_limit=0),
    dict(dp_limit=5000),
    dict(dp_sparse=(0,)),
    dict(stcm_miss=17),
    dict(final_lr=-1),
    dict(hash_bits=28, orders=(13, 14, 15, 16, 17, 18, 19, 20), ir=(False,) * 8),
    dict(ring_bits=30, match_bits=28),  # 2 GiB of match history: more than any level may use
    dict(hash_bits="22"),
    dict(codon_order=11),
    dict(codon_order=-1),
    dict(codon_decay=0),
    dict(codon_decay=13),
    dict(codon_order=0, codon_extra=(2,)),
    dict(codon_extra=(11,)),
    dict(codon_extra=(1, 2, 3, 4, 5, 6, 7)),
    dict(orders=[2, 3], ir=[False, False]),
    dict(gru=GruParams(mode=4)),
    dict(gru=GruParams(mode=2, hidden=0)),
    dict(gru=GruParams(mode=2, hidden=65)),  # a hostile header must not make each base cost 1000x
    dict(gru=GruParams(mode=2, bptt=257)),
    dict(gru=GruParams(mode=2, lr=0)),
    dict(gru=GruParams(mode=2, seed=-1)),
    dict(gru=GruParams(mode=2, blend_lr=256)),
    dict(gru=GruParams(mode=2, hidden=4.0)),
    dict(rep=RepeatParams(count=65)),
    dict(rep=RepeatParams(count=-1)),
    dict(rep=RepeatParams(count=8, kmer=7)),
    dict(rep=RepeatParams(count=8, kmer=21)),
    dict(rep=RepeatParams(count=8, bits=11)),
    dict(rep=RepeatParams(count=8, bits=29)),
    dict(rep=RepeatParams(count=8, slots=0)),
    dict(rep=RepeatParams(count=8, slots=9)),
    dict(rep=RepeatParams(count=8, miss_limit=0)),
    dict(rep=RepeatParams(count=8, miss_limit=16)),
    dict(rep=RepeatParams(count=8, starts=0)),
    dict(rep=RepeatParams(count=8, starts=9)),
    dict(rep=RepeatParams(count=8, bits=28, slots=8)),  # 8 GiB of k-mer table
]


@pytest.mark.parametrize("change", BAD, ids=[str(b) for b in BAD])
def test_validate_rejects_out_of_range_values(change):
    params = dataclasses.replace(params_for_level(DEFAULT_LEVEL), **change)
    with pytest.raises(ValueError):
        params.validate()
    with pytest.raises(ValueError):
        BaseEncoder(params)


#: the removed features, as an archive header could still ask for them (docs/model-history.md)
REMOVED = [
    dict(dp_sparse=(0b100100,)),
    dict(stcm_order=16, orders=(1, 16), ir=(False, True)),
    dict(stcm_miss=6),
    dict(final_lr=3),
    dict(gru=GruParams(mode=1)),
    dict(gru=GruParams(mode=3)),
]


@pytest.mark.parametrize("change", REMOVED, ids=[str(b) for b in REMOVED])
def test_validate_refuses_each_removed_feature(change):
    params = dataclasses.replace(params_for_level(DEFAULT_LEVEL), **change)
    key = next(k for k in change if k not in ("orders", "ir"))
    with pytest.raises(ValueError, match="unsupported parameter " + ("gru_mode" if key == "gru" else key)):
        params.validate()


@pytest.mark.parametrize("change", REMOVED, ids=[str(b) for b in REMOVED])
def test_an_archive_asking_for_a_removed_feature_is_refused_with_a_clear_error(change):
    import json

    from dnacomp.archive import check_meta
    from dnacomp.errors import ArchiveError

    base_model = json.loads(json.dumps(dataclasses.replace(params_for_level(DEFAULT_LEVEL), **change).to_dict()))
    with pytest.raises(ArchiveError, match="unsupported parameter"):
        check_meta({"kind": "fasta", "level": 5, "base_model": base_model})


def test_the_header_still_carries_the_removed_features_keys_with_their_one_value():
    """Byte identity of the header: every archive written so far has these keys and values."""
    d = params_for_level(DEFAULT_LEVEL).to_dict()
    assert (d["dp_sparse"], d["stcm_order"], d["stcm_miss"], d["final_lr"]) == ([], 0, 8, 0)


def test_the_generated_header_form_is_the_one_every_golden_archive_carries():
    """to_dict / from_dict are generated from the fields: each golden archive's base_model object
    comes back exactly (keys, values, JSON types), and so does every level's."""
    import json

    from dnacomp.archive import inspect_stream
    from dnacomp.models.levels import MODELS

    goldens = sorted(GOLDEN.glob("*.dnac"))
    assert goldens
    for archive in goldens:
        with archive.open("rb") as f:
            header = inspect_stream(f).params
        assert json.dumps(ModelParams.from_dict(header).to_dict(), sort_keys=True) == json.dumps(header, sort_keys=True)
    for level in LEVELS:
        for kind in ("fasta", "fastq"):
            for model in MODELS:
                params = params_for_level(level, kind, model)
                assert ModelParams.from_dict(json.loads(json.dumps(params.to_dict()))) == params
                assert set(params.to_dict()) <= set(ModelParams.header_types())


def test_from_dict_rejects_missing_fields():
    d = params_for_level(DEFAULT_LEVEL).to_dict()
    del d["dp_limit"]
    with pytest.raises(KeyError):
        ModelParams.from_dict(d)


def _code_bits(bits: np.ndarray, probs: np.ndarray) -> np.ndarray:
    state = new_coder_state()
    out = np.zeros(4 * bits.shape[0] + 64, dtype=np.uint8)  # up to 16+ bits per unlikely bit
    pos = 0
    for b, p in zip(bits.tolist(), probs.tolist()):
        pos = encode_bit(state, out, pos, b, p)
    pos = encode_flush(state, out, pos)
    buf = out[:pos].copy()
    dstate = new_coder_state()
    dpos = decode_init(dstate, buf, 0)
    got = np.empty_like(bits)
    for i, p in enumerate(probs.tolist()):
        got[i], dpos = decode_bit(dstate, buf, dpos, p)
    assert dpos == buf.shape[0]
    return got, pos


def test_arithmetic_coder_on_extreme_probabilities():
    rng = np.random.default_rng(3)
    n = 4000
    probs = rng.choice(np.array([1, 2, 16, 32768, 65520, 65534, 65535]), n)
    bits = rng.integers(0, 2, n)  # often the unlikely bit: the coder must still be exact
    got, _ = _code_bits(bits, probs)
    np.testing.assert_array_equal(got, bits)
    # well-predicted bits cost almost nothing
    likely = np.ones(n, dtype=np.int64)
    got, size = _code_bits(likely, np.full(n, 65535))
    np.testing.assert_array_equal(got, likely)
    assert size < 16


def test_logistic_tables_are_the_correctly_rounded_ones():
    """The fast float64 build (with exact re-rounding near half-integers) equals pure Decimal."""
    from dnacomp.coding import logistic

    assert np.array_equal(logistic._build_squash(exact_only=True), logistic.SQUASH)
    assert np.array_equal(logistic._build_log_cost(exact_only=True), logistic.LOG_COST)
    assert np.array_equal(logistic._build_softplus(exact_only=True), logistic.SOFTPLUS)
