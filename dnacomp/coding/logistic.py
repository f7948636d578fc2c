"""Fixed-point stretch/squash tables, log costs and learning-rate reciprocals, shared by every model.

Why integers: encoder and decoder must compute the same probability to the last bit on any
machine. The tables are built with Python's ``decimal`` module, whose ``exp`` is correctly rounded
by specification, so they cannot differ between libm versions or CPUs; everything downstream is
integer arithmetic.

Conventions (used by every model: base, quality, names):
- a probability is a 16-bit integer ``p`` = P(bit == 1) * 65536, clipped to [1, 65535];
- the logistic domain ("stretch") is an integer ``s`` = ln(p / (1 - p)) * 256, clipped to
  [-STRETCH_MAX, STRETCH_MAX] (i.e. +-8.0).

The tables, exactly:
- ``SQUASH[s + 2047] = clip(round(65536 / (1 + exp(-s / 256))), 1, 65535)`` for s in -2047..2047;
- ``STRETCH[p]`` for p in 0..65535 = the smallest s whose squash is >= p (its integer inverse);
- ``LOG_COST[q] = round(-log2(q / 4096) * 256)`` for q in 1..4096 (``LOG_COST[0] = LOG_COST[1]``):
  the cost in 1/256 bit of an outcome predicted with probability q / 4096;
- ``SOFTPLUS[x] = round(256 * ln(1 + exp(-x / 256)))`` for x in 0..4095: log-sum-exp in the
  stretch domain's units (the repeat model's vote);
- ``RECIP[n] = 131072 // (2n + 3)`` (65536 / (n + 1.5)) for n in 0..1023: the learning rate of an
  adaptive probability after n updates (``counters``).
"""

from __future__ import annotations

from decimal import Decimal, localcontext

import numpy as np

PROB_BITS = 16
PROB_ONE = 1 << PROB_BITS
STRETCH_MAX = 2047
STRETCH_SCALE = 256


def _round_exactly(approx: np.ndarray, exact) -> np.ndarray:
    """round(x) for every x, where ``approx`` is x in float64 (libm exp/log: a few ulp off, and
    not the same bits on every machine) and ``exact(i)`` is x[i] in 40-digit Decimal.

    Why both: Decimal for all 70,000 table entries took 0.2 s of every start-up. A float64 value
    can only round differently from the exact one when x lies within ~1e-12 of a half-integer,
    so those few entries (and only those) are recomputed exactly. The tables are therefore the
    correctly rounded ones on every machine, as tests/test_base_model.py checks against Decimal.
    """
    out = np.rint(approx)
    doubtful = np.flatnonzero(np.abs(approx - np.floor(approx) - 0.5) < 1e-6)
    with localcontext() as ctx:
        ctx.prec = 40
        for i in doubtful:
            out[i] = int(exact(int(i)).to_integral_value())
    return out


def _squash_exact(s: int) -> Decimal:
    return Decimal(PROB_ONE) / (Decimal(1) + (Decimal(-s) / STRETCH_SCALE).exp())


def _build_squash(exact_only: bool = False) -> np.ndarray:
    """squash[s + STRETCH_MAX] = round(65536 / (1 + exp(-s / 256))), clipped to [1, 65535]."""
    s = np.arange(-STRETCH_MAX, STRETCH_MAX + 1)
    approx = np.full(s.size, 0.5) if exact_only else PROB_ONE / (1.0 + np.exp(-s / STRETCH_SCALE))
    out = _round_exactly(approx, lambda i: _squash_exact(int(s[i])))
    return np.clip(out, 1, PROB_ONE - 1).astype(np.int32)


def _build_stretch(squash_table: np.ndarray) -> np.ndarray:
    """stretch[p] = the s whose squash is nearest p from below: the exact integer inverse."""
    probs = np.arange(PROB_ONE, dtype=np.int64)
    idx = np.searchsorted(squash_table, probs, side="left")
    idx = np.clip(idx, 0, len(squash_table) - 1)
    return (idx - STRETCH_MAX).astype(np.int32)


SQUASH = _build_squash()
STRETCH = _build_stretch(SQUASH)


def _log_cost_exact(q: int) -> Decimal:
    return -(Decimal(q) / 4096).ln() / Decimal(2).ln() * 256


def _build_log_cost(exact_only: bool = False) -> np.ndarray:
    """log_cost[q] = round(-log2(q / 4096) * 256) for q in 1..4096 (log_cost[0] = log_cost[1]):
    the cost in 1/256 bit of an outcome predicted with probability q / 4096."""
    q = np.arange(1, 4097)
    approx = np.full(q.size, 0.5) if exact_only else -np.log2(q / 4096) * 256
    out = np.empty(4097, dtype=np.int32)
    out[1:] = _round_exactly(approx, lambda i: _log_cost_exact(int(q[i])))
    out[0] = out[1]
    return out


LOG_COST = _build_log_cost()


def _softplus_exact(x: int) -> Decimal:
    return (Decimal(1) + (Decimal(-x) / STRETCH_SCALE).exp()).ln() * STRETCH_SCALE


def _build_softplus(exact_only: bool = False) -> np.ndarray:
    """softplus[x] = round(256 * ln(1 + exp(-x / 256))) for x in 0..4095: what adding two
    probabilities adds to the larger one's log, in the stretch domain's units, so that
    log(e^a + e^b) = max(a, b) + softplus[|a - b|] (beyond 4095 it is 0)."""
    x = np.arange(4096)
    approx = np.full(x.size, 0.5) if exact_only else np.log1p(np.exp(-x / STRETCH_SCALE)) * STRETCH_SCALE
    return _round_exactly(approx, lambda i: _softplus_exact(int(x[i]))).astype(np.int64)


SOFTPLUS = _build_softplus()


def _build_recip() -> np.ndarray:
    """65536 / (n + 1.5) for n = 0..1023: the learning rate of an adaptive probability after n
    updates (1/n averaging at first, then a fixed rate once n reaches the model's limit)."""
    n = np.arange(1024, dtype=np.int64)
    return (65536 * 2 // (2 * n + 3)).astype(np.int64)


RECIP = _build_recip()


def bucket_table(edges: list[int], size: int) -> np.ndarray:
    """value (0..size-1) -> index of the last edge <= value: a context quantiser as a table."""
    return (np.searchsorted(np.array(edges), np.arange(size), side="right") - 1).astype(np.int64)
