"""Adaptive probabilities and 4-bit base counts: the state update every model uses.

Adaptive probability (``update_prob``). A probability is a 22-bit integer ``p`` = P(bit == 1) *
2^22 with an update count ``n``; after coding ``bit``::

    p += ((bit << 22) - p) * recip[n] >> 16        (arithmetic shift: rounds towards -inf)
    n += 1 if n < limit

with ``recip`` = ``logistic.RECIP`` (65536 / (n + 1.5)): the rate is 1/(n + 1.5) at first (an
average of what was seen) and fixed at 1/(limit + 1.5) once ``n`` reaches ``limit``, so the model
keeps adapting.

Two storage forms, the same arithmetic:
- separate arrays (``update_split``): ``p_arr[i]`` and ``n_arr[i]``, int64 (the base model's
  adaptive maps of count and match models);
- packed (``update_packed``, ``update_packed_at``): one uint32 ``(p << 10) | n`` (n < 1024), for
  big tables (the base model's probability and codon models, the quality and name models). The
  16-bit coding probability of a packed entry ``v`` is ``v >> 16`` (the top 16 of p's 22 bits).

4-bit base counts (``count_add``). A uint16 holds four 4-bit counts, one per base (base s in bits
4s..4s+3). Adding base s: if its count is 15, all four are halved first (``(c >> 1) & 0x7777``),
then its count is incremented; so a context adapts to what follows it lately.
"""

from __future__ import annotations

import numpy as np

from ..kernel_cache import njit


@njit(cache=True, inline="always")
def update_prob(p, bit, n, recip):
    """The 22-bit probability ``p`` after coding ``bit``, at the rate of update count ``n``."""
    return p + ((((bit << 22) - p) * recip[n]) >> 16)


@njit(cache=True, inline="always")
def update_split(p_arr, n_arr, i, bit, limit, recip):
    """Update the adaptive probability stored as ``p_arr[i]`` (22 bits) and ``n_arr[i]``."""
    n = n_arr[i]
    p_arr[i] = update_prob(p_arr[i], bit, n, recip)
    if n < limit:
        n_arr[i] = n + 1


@njit(cache=True, inline="always")
def update_packed(v, bit, limit, recip):
    """The packed entry ``v`` = (p << 10) | n (int64) after coding ``bit``, as a uint32."""
    n = v & 1023
    p = update_prob(v >> 10, bit, n, recip)
    if n < limit:
        n += 1
    return np.uint32((p << 10) | n)


@njit(cache=True, inline="always")
def update_packed_at(t, i, bit, limit, recip):
    """Update the packed entry ``t[i]`` in place."""
    t[i] = update_packed(np.int64(t[i]), bit, limit, recip)


@njit(cache=True, inline="always")
def count_add(c, s):
    """The four 4-bit counts ``c`` after one more base ``s`` (halved first when s's is 15)."""
    sh = 4 * s
    if ((c >> sh) & 15) == 15:
        c = (c >> 1) & 0x7777
    return c + (1 << sh)
