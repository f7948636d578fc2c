"""Fixed-point stretch/squash tables shared by every model.

Why integers: encoder and decoder must compute the same probability to the last bit on any
machine. The tables are built with Python's ``decimal`` module, whose ``exp`` is correctly rounded
by specification, so they cannot differ between libm versions or CPUs; everything downstream is
integer arithmetic.

Conventions (used throughout ``dnacomp.models``):
- a probability is a 16-bit integer ``p`` = P(bit == 1) * 65536, clipped to [1, 65535];
- the logistic domain ("stretch") is an integer ``s`` = ln(p / (1 - p)) * 256, clipped to
  [-STRETCH_MAX, STRETCH_MAX] (i.e. +-8.0).
"""
from __future__ import annotations

from decimal import Decimal, localcontext

import numpy as np

PROB_BITS = 16
PROB_ONE = 1 << PROB_BITS
STRETCH_MAX = 2047
STRETCH_SCALE = 256


def _build_squash() -> np.ndarray:
    """squash[s + STRETCH_MAX] = round(65536 / (1 + exp(-s / 256))), clipped to [1, 65535]."""
    out = np.empty(2 * STRETCH_MAX + 1, dtype=np.int32)
    with localcontext() as ctx:
        ctx.prec = 40
        one = Decimal(1)
        scale = Decimal(PROB_ONE)
        for i, s in enumerate(range(-STRETCH_MAX, STRETCH_MAX + 1)):
            p = scale / (one + (Decimal(-s) / STRETCH_SCALE).exp())
            out[i] = min(max(int(p.to_integral_value()), 1), PROB_ONE - 1)
    return out


def _build_stretch(squash_table: np.ndarray) -> np.ndarray:
    """stretch[p] = the s whose squash is nearest p from below: the exact integer inverse."""
    probs = np.arange(PROB_ONE, dtype=np.int64)
    idx = np.searchsorted(squash_table, probs, side="left")
    idx = np.clip(idx, 0, len(squash_table) - 1)
    return (idx - STRETCH_MAX).astype(np.int32)


SQUASH = _build_squash()
STRETCH = _build_stretch(SQUASH)


def _build_log_cost() -> np.ndarray:
    """log_cost[q] = round(-log2(q / 4096) * 256) for q in 1..4096 (log_cost[0] = log_cost[1]):
    the cost in 1/256 bit of an outcome predicted with probability q / 4096."""
    out = np.empty(4097, dtype=np.int32)
    with localcontext() as ctx:
        ctx.prec = 40
        ln2 = Decimal(2).ln()
        for q in range(1, 4097):
            out[q] = int((-(Decimal(q) / 4096).ln() / ln2 * 256).to_integral_value())
    out[0] = out[1]
    return out


LOG_COST = _build_log_cost()
