"""Adaptive probability maps (APM, also called SSE): refine a probability given a small context.

A map holds, per context, ``APM_CELLS`` = 33 cells: cell c is the probability (16-bit, times 16,
so 20 bits; int32) to output for the stretched input ``st`` = c * 128 - 2048. An input
``st`` in [-2047, 2047] falls between cells ``c = (st + 2048) >> 7`` and ``c + 1`` at fraction
``f = (st + 2048) & 127`` (``apm_index``), and the output is their interpolation (``apm_predict``,
``i`` = the context's first cell + c)::

    p16 = (t[i] * (128 - f) + t[i + 1] * f) >> 11

After coding ``bit``, both cells move towards ``target = bit << 20`` in proportion to their
weight (``apm_update``; ``shift`` sets the rate: 12 in the base model, ``rate + 6`` in the quality
model)::

    t[i]     += (target - t[i]) * (128 - f) >> shift
    t[i + 1] += (target - t[i + 1]) * f >> shift

Cells start at ``apm_init_cells``: squash of their own input, i.e. the map starts as the identity.
"""

from __future__ import annotations

import numpy as np

from ..kernel_cache import njit

APM_CELLS = 33


def apm_init_cells(squash: np.ndarray) -> np.ndarray:
    """The 33 initial cells of one context (int64): squash(c * 128 - 2048) * 16."""
    st = np.clip(np.arange(APM_CELLS) * 128 - 2048, -2047, 2047)
    return squash[st + 2047].astype(np.int64) * 16


@njit(cache=True, inline="always")
def apm_index(st):
    """(cell, fraction) of the stretched probability ``st`` (-2047..2047)."""
    v = st + 2048
    return v >> 7, v & 127


@njit(cache=True, inline="always")
def apm_predict(t, i, f):
    """The 16-bit probability between cells ``t[i]`` and ``t[i + 1]`` at fraction ``f``/128."""
    return (t[i] * (128 - f) + t[i + 1] * f) >> 11


@njit(cache=True, inline="always")
def apm_update(t, i, f, target, shift):
    """Move cells ``t[i]``, ``t[i + 1]`` towards ``target`` (bit << 20), weighted by ``f``."""
    t[i] += ((target - t[i]) * (128 - f)) >> shift
    t[i + 1] += ((target - t[i + 1]) * f) >> shift
