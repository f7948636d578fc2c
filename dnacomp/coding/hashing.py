"""Multiplicative hashes of contexts and k-mers (uint64 arithmetic, wrapping; exact everywhere).

- ``fib_hash(key, bits)``: the top ``bits`` bits of ``key * 0x9E3779B97F4A7C15`` (Fibonacci
  hashing: 2^64 / golden ratio). The base model's hashed count-model contexts, the name model's
  number-bit contexts.
- ``kmer_hash(key, bits)``: the top ``bits`` bits of ``key * 0xD6E8FEB86659FD93``. The base
  model's match-model k-mers, the name model's key buckets.
- ``seeded_hash(key, seed, bits)``: ``h = (key + seed) * 0x9E3779B97F4A7C15; h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9``, then its top ``bits`` bits (a splitmix64-like finaliser: the
  quality model's context masks, whose keys differ only in a few high bits).

``key`` is a non-negative int64 below 2^63; ``bits`` is 1..63. Results are int64 in [0, 2^bits).
"""

from __future__ import annotations

import numpy as np

from ..kernel_cache import njit

FIB = 0x9E3779B97F4A7C15
KMER = 0xD6E8FEB86659FD93
MIX2 = 0xBF58476D1CE4E5B9


@njit(cache=True, inline="always")
def fib_hash(key, bits):
    return np.int64((np.uint64(key) * np.uint64(FIB)) >> np.uint64(64 - bits))


@njit(cache=True, inline="always")
def kmer_hash(key, bits):
    return np.int64((np.uint64(key) * np.uint64(KMER)) >> np.uint64(64 - bits))


@njit(cache=True, inline="always")
def seeded_hash(key, seed, bits):
    h = (np.uint64(key) + np.uint64(seed)) * np.uint64(FIB)
    h = h ^ (h >> np.uint64(29))
    h = h * np.uint64(MIX2)
    return np.int64(h >> np.uint64(64 - bits))
