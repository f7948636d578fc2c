"""Compression levels 1..9: one fixed ``ModelParams`` per level.

Memory is fixed per level (``ModelParams.memory_bytes``; mixers and maps add < 1 MiB), never
grows with the input. This module is the one source of the levels: ``dnacomp compress --help``
and the README's levels table (``docs/make_docs.py``) are generated from it; what each level
measures is in docs/benchmarks.md (generated from the workflow's table) and, as measured when the
levels were chosen, in docs/measurements-2026-11.md.

What the levels trade: the repeat model (levels 3-9: the largest gain on human DNA, 5.9% at the
default, and the largest cost in speed, 2.4x at the default; docs/repeat-model.md), the codon
model (the largest single gain on coding DNA), probability
models of orders 2-8, inverted-repeat updates (one extra cache line per model and base), extra
frame-specific codon tables, and hashed count models of orders 12-20 with larger tables and a
longer match history, which pay on repetitive genomes. More count models than these made the
mixers learn slower and cost bits on both test genomes.
"""

from __future__ import annotations

from dataclasses import replace

from .params import GruParams, ModelParams, RepeatParams

DEFAULT_LEVEL = 5

#: base models: "cm" = the context models and mixers below; "gru" = the same plus the GRU
#: (models/gru.py), trained online while coding: ~0.2% smaller on genomes, ~4x slower
MODELS = ("cm", "gru")
DEFAULT_MODEL = "cm"
# The GRU as the mixer (mode 2): 4 units, one step per binary decision, fed with every model's
# prediction and the CM's mixer and SSE outputs; its prediction is blended with the CM's final
# one. Chosen on the first 4 M bases of dm3_upstream2000 and 2 M of ecoli_536 (README, "The
# GRU"): as the mixer it gained 0.20% / 0.18%, as a model 0.01% / 0.02%, both 0.22% / 0.16%; 8 or 16 units
# gained no more and cost speed.
GRU = GruParams(mode=2, hidden=4, bptt=16, lr=8, seed=1, blend_lr=3)


def _p(orders=(), ir=(), dp=(), dp_ir=(), **kw) -> ModelParams:
    return ModelParams(
        orders=tuple(orders),
        ir=tuple(bool(x) for x in ir),
        dp_orders=tuple(dp),
        dp_ir=tuple(bool(x) for x in dp_ir),
        **kw,
    )


# the codon model: reading frame scored with order-4 contexts, plus an order-2 frame model
_CODON = dict(codon_order=4, codon_extra=(2,), codon_decay=6, codon_ir=True)
_CODON2 = dict(codon_order=4, codon_extra=(2, 6), codon_decay=6, codon_ir=True)

# the many-candidate repeat model (format version 4): 12-mers (11-mers at levels 3-4) index the
# most recent copies of every k-mer directly; more candidates follow more copies of a repeat
# family at once. Chosen on 8 M bases of human chrX, E. coli and dm3 (docs/model-history.md).
_REP_SMALL = RepeatParams(count=6, kmer=11, bits=22, slots=2)
_REP = RepeatParams(count=12, kmer=12, bits=24, slots=2)
_REP_BIG = RepeatParams(count=16, kmer=12, bits=24, slots=4)
_REP_MAX = RepeatParams(count=24, kmer=12, bits=24, slots=4, starts=2)

_LEVELS: dict[int, tuple[str, ModelParams]] = {
    1: ("fastest: orders 3 and 8, no inverted repeats", _p(dp=(3, 8), dp_ir=(0, 0), match_bits=20, ring_bits=22)),
    2: (
        "fast: orders 3 and 8, codon model",
        _p(dp=(3, 8), dp_ir=(0, 0), match_bits=20, ring_bits=22, codon_order=3, codon_decay=6, codon_ir=True),
    ),
    3: (
        "orders 1-8, codon model, 6 repeat candidates",
        _p(orders=(1,), ir=(0,), dp=(2, 3, 4, 6, 8), dp_ir=(0, 0, 0, 0, 0), rep=_REP_SMALL, **_CODON),
    ),
    4: (
        "orders 1-8, inverted repeats on order 8, codon model, 6 repeat candidates",
        _p(orders=(1,), ir=(0,), dp=(2, 3, 4, 6, 8), dp_ir=(0, 0, 0, 0, 1), rep=_REP_SMALL, **_CODON),
    ),
    5: (
        "default: orders 1-8, inverted repeats, codon model, 12 repeat candidates",
        _p(orders=(1,), ir=(0,), dp=(2, 3, 4, 6, 8), dp_ir=(0, 0, 0, 1, 1), rep=_REP, **_CODON),
    ),
    6: (
        "orders 1-8, inverted repeats, two codon models, 16 repeat candidates",
        _p(orders=(1,), ir=(0,), dp=(2, 3, 4, 6, 8), dp_ir=(0, 0, 0, 1, 1), rep=_REP_BIG, **_CODON2),
    ),
    7: (
        "orders 1-16, two codon models, 24 repeat candidates",
        _p(orders=(1, 12, 16), ir=(0, 1, 1), dp=(2, 3, 4, 6, 8), dp_ir=(0, 0, 0, 1, 1), rep=_REP_MAX, **_CODON2),
    ),
    8: (
        "orders 1-20, larger tables, two codon models, 24 repeat candidates",
        _p(
            orders=(1, 12, 16, 20),
            ir=(0, 1, 1, 1),
            dp=(2, 3, 4, 6, 8),
            dp_ir=(0, 0, 0, 1, 1),
            hash_bits=24,
            rep=_REP_MAX,
            **_CODON2,
        ),
    ),
    9: (
        "strongest: orders 1-20, larger tables and match history, three codon models, 24 repeat candidates",
        _p(
            orders=(1, 12, 16, 20),
            ir=(0, 1, 1, 1),
            dp=(2, 3, 4, 6, 8),
            dp_ir=(0, 0, 0, 1, 1),
            hash_bits=24,
            match_bits=24,
            ring_bits=26,
            codon_order=4,
            codon_extra=(1, 2, 6),
            codon_decay=6,
            codon_ir=True,
            rep=_REP_MAX,
        ),
    ),
}

# Sequencing reads (FASTQ) get their own table: a read is too short for the codon model's reading
# frame to settle (it cost time and gained 0.2% on ERR127302), while reads from one genome
# overlap, so order-12/16 count models with inverted repeats and a match model on 12-mers pay.
# Bases of ERR127302_1_subset (1.44 M bases, 20,000 reads of 72 bp), bytes and Mbases/s:
#   genome level 5: 308,499 at 1.9;  reads 3-6: 295,848 at 1.9-2.5;  reads 1-2: 299,471 at 2.8;
#   reads 7-8: 294,225 at 1.5-1.9;   reads 9: 293,935 at 1.2.
_READS_FAST = _p(orders=(12,), ir=(1,), dp=(3, 8), dp_ir=(0, 1), match_min=12, match_bits=20, ring_bits=22)
_READS = _p(orders=(12, 16), ir=(1, 1), dp=(2, 4, 8), dp_ir=(0, 0, 1), match_min=12)
_READS_BIG = _p(
    orders=(12, 16, 20),
    ir=(1, 1, 1),
    dp=(2, 4, 8),
    dp_ir=(0, 0, 1),
    match_min=12,
    hash_bits=24,
    match_bits=24,
    ring_bits=26,
)
_READS_MAX = _p(
    orders=(11, 14, 18, 22),
    ir=(1, 1, 1, 1),
    dp=(2, 3, 4, 6, 8),
    dp_ir=(0, 0, 0, 1, 1),
    match_min=12,
    hash_bits=24,
    match_bits=24,
    ring_bits=26,
)
_READ_LEVELS: dict[int, tuple[str, ModelParams]] = {
    1: ("fastest: orders 3, 8 and 12", _READS_FAST),
    2: ("fast: orders 3, 8 and 12", _READS_FAST),
    3: ("orders 2-16, inverted repeats", _READS),
    4: ("orders 2-16, inverted repeats", _READS),
    5: ("default: orders 2-16, inverted repeats", _READS),
    6: ("orders 2-16, inverted repeats", _READS),
    7: ("orders 2-20, larger tables", _READS_BIG),
    8: ("orders 2-20, larger tables", _READS_BIG),
    9: ("strongest: orders 2-22, larger tables", _READS_MAX),
}

LEVEL_DESCRIPTIONS: dict[int, str] = {lv: d for lv, (d, _) in _LEVELS.items()}
READ_LEVEL_DESCRIPTIONS: dict[int, str] = {lv: d for lv, (d, _) in _READ_LEVELS.items()}


def params_for_level(level: int, kind: str = "fasta", model: str = DEFAULT_MODEL) -> ModelParams:
    """The base-model parameters of compression level 1..9 for genomes (FASTA) or reads (FASTQ),
    with the GRU on top when ``model`` is "gru"."""
    if level not in _LEVELS:
        raise ValueError(f"level must be 1..9, not {level}")
    if model not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}, not {model!r}")
    params = (_READ_LEVELS if kind == "fastq" else _LEVELS)[level][1]
    return replace(params, gru=GRU) if model == "gru" else params


def level_description(level: int, kind: str = "fasta") -> str:
    return (READ_LEVEL_DESCRIPTIONS if kind == "fastq" else LEVEL_DESCRIPTIONS).get(level, "?")
