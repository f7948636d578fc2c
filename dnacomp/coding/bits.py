"""Bit counting: ``popcount16`` (set bits of a 16-bit window, e.g. the last 16 outcomes of a
match model, 1 = miss) and ``bitlen`` (bit length of 0 <= v < 2^63; 0 for 0). Integer only."""

from __future__ import annotations

from ..kernel_cache import njit


@njit(cache=True, inline="always")
def popcount16(x):
    """Set bits among the low 16 of ``x`` (0 <= x < 2^16)."""
    x = x - ((x >> 1) & 0x5555)
    x = (x & 0x3333) + ((x >> 2) & 0x3333)
    x = (x + (x >> 4)) & 0x0F0F
    return (x + (x >> 8)) & 0x1F


@njit(cache=True, inline="always")
def bitlen(v):
    """Bit length of 0 <= v < 2^63."""
    n = 0
    if v >= 1 << 32:
        v >>= 32
        n += 32
    if v >= 1 << 16:
        v >>= 16
        n += 16
    if v >= 1 << 8:
        v >>= 8
        n += 8
    if v >= 1 << 4:
        v >>= 4
        n += 4
    if v >= 1 << 2:
        v >>= 2
        n += 2
    if v >= 2:
        v >>= 1
        n += 1
    return n + v
