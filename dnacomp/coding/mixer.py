"""The integer logistic mixer: a weighted sum of stretched probabilities, trained online.

Inputs ``x[j]`` are stretched probabilities (``logistic``: 1/256 units, within +-2047; a bias
input is a constant 256). Weights are int64 with 16 fractional bits, one weight set (row) per
mixer context, stored flat: set ``s`` of an ``n``-input mixer starts at ``w[s * n]``.

    dot = sum_j w[base + j] * x[j]                          (``mix_dot``)
    st  = clamp(dot >> 16, -2047, 2047)                     (``clamp_stretch``)
    p   = squash[st + 2047]                                 (16-bit probability)

After coding ``bit``, with a learning rate ``lr`` (the error is computed by the caller as
``err = ((bit << 16) - p) * lr``), each weight takes a gradient step on the coding cost::

    w[base + j] += x[j] * err >> shift                      (``mix_train``; shift 18 everywhere)

``mix_dot2`` and ``mix_train2`` do the same for two mixers over the same inputs in one pass.

All integer, exact on every machine; the sums are of int64 products far below 2^63.
"""

from __future__ import annotations

from ..kernel_cache import njit


@njit(cache=True, inline="always")
def mix_dot(w, base, x, n):
    """sum of w[base + j] * x[j] for j < n."""
    dot = 0
    for j in range(n):
        dot += w[base + j] * x[j]
    return dot


@njit(cache=True, inline="always")
def mix_train(w, base, x, n, err, shift):
    """w[base + j] += (x[j] * err) >> shift for j < n."""
    for j in range(n):
        w[base + j] += (x[j] * err) >> shift


@njit(cache=True, inline="always")
def mix_dot2(w1, base1, w2, base2, x, n):
    """Two mixers' dot products over the same inputs, in one pass over ``x``."""
    # the rows as views, indexed by the loop's j alone: LLVM knows j >= 0 and drops numba's
    # negative-index wraparound test (w[base + j] kept one per weight, +12% instructions per base)
    r1 = w1[base1 : base1 + n]
    r2 = w2[base2 : base2 + n]
    dot1 = 0
    dot2 = 0
    for j in range(n):
        dot1 += r1[j] * x[j]
        dot2 += r2[j] * x[j]
    return dot1, dot2


@njit(cache=True, inline="always")
def mix_train2(w1, base1, err1, w2, base2, err2, x, n, shift):
    """Two mixers' gradient steps over the same inputs, in one pass over ``x``."""
    r1 = w1[base1 : base1 + n]  # views, as in mix_dot2
    r2 = w2[base2 : base2 + n]
    for j in range(n):
        r1[j] += (x[j] * err1) >> shift
        r2[j] += (x[j] * err2) >> shift


@njit(cache=True, inline="always")
def clamp_stretch(v):
    """``v`` clipped to the stretch domain [-2047, 2047]."""
    return min(max(v, -2047), 2047)
