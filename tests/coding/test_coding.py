"""The shared entropy-coding primitives (dnacomp.coding) compute exactly the integers their
module docstrings specify (checked against plain Python big-int arithmetic)."""

from __future__ import annotations

import numpy as np

from dnacomp.coding import apm, bits, counters, hashing, mixer
from dnacomp.coding.logistic import RECIP, SQUASH
from dnacomp.kernel_cache import njit

M64 = (1 << 64) - 1


@njit(cache=False)
def _run_counters(ps, ns, bits_, limit, recip, packed, cnt, syms):
    for k in range(bits_.shape[0]):
        counters.update_split(ps, ns, k % ps.shape[0], bits_[k], limit, recip)
        counters.update_packed_at(packed, k % packed.shape[0], bits_[k], limit, recip)
    c = 0
    for k in range(syms.shape[0]):
        c = counters.count_add(c, syms[k])
        cnt[k] = c


def test_counters_follow_their_specification():
    rng = np.random.default_rng(1)
    bits_ = rng.integers(0, 2, 5000).astype(np.int64)
    syms = rng.integers(0, 4, 3000).astype(np.int64)
    limit = 30
    ps = np.full(3, 1 << 21, np.int64)
    ns = np.zeros(3, np.int64)
    packed = np.full(5, 1 << 31, np.uint32)
    cnt = np.zeros(syms.size, np.int64)
    _run_counters(ps, ns, bits_, limit, RECIP, packed, cnt, syms)
    ref_p, ref_n = [1 << 21] * 3, [0] * 3
    ref_packed = [1 << 31] * 5
    for k, b in enumerate(bits_.tolist()):
        i = k % 3
        ref_p[i] += ((b << 22) - ref_p[i]) * int(RECIP[ref_n[i]]) >> 16
        ref_n[i] += ref_n[i] < limit
        j = k % 5
        v = ref_packed[j]
        n, p = v & 1023, v >> 10
        p += ((b << 22) - p) * int(RECIP[n]) >> 16
        n += n < limit
        ref_packed[j] = ((p << 10) | n) & 0xFFFFFFFF
    assert ps.tolist() == ref_p and ns.tolist() == ref_n
    assert packed.tolist() == ref_packed
    c = 0
    for k, s in enumerate(syms.tolist()):
        if (c >> 4 * s) & 15 == 15:
            c = (c >> 1) & 0x7777
        c += 1 << 4 * s
        assert cnt[k] == c
    assert RECIP.tolist() == [131072 // (2 * n + 3) for n in range(1024)]


@njit(cache=False)
def _run_apm(t, sts, bits_, shift, out):
    for k in range(sts.shape[0]):
        c, f = apm.apm_index(sts[k])
        out[k] = apm.apm_predict(t, c, f)
        apm.apm_update(t, c, f, bits_[k] << 20, shift)


def test_apm_follows_its_specification():
    rng = np.random.default_rng(2)
    sts = rng.integers(-2047, 2048, 4000).astype(np.int64)
    bits_ = rng.integers(0, 2, 4000).astype(np.int64)
    t = apm.apm_init_cells(SQUASH).astype(np.int32)
    assert t[16] == SQUASH[2047] * 16  # the middle cell is p = 1/2
    out = np.zeros(sts.size, np.int64)
    ref = [int(x) for x in t]
    _run_apm(t, sts, bits_, 12, out)
    for k, (st, b) in enumerate(zip(sts.tolist(), bits_.tolist())):
        c, f = (st + 2048) >> 7, (st + 2048) & 127
        assert out[k] == (ref[c] * (128 - f) + ref[c + 1] * f) >> 11
        ref[c] += ((b << 20) - ref[c]) * (128 - f) >> 12
        ref[c + 1] += ((b << 20) - ref[c + 1]) * f >> 12
    assert t.tolist() == ref


@njit(cache=False)
def _run_mixer(w, x, base, n, err):
    d = mixer.mix_dot(w, base, x, n)
    mixer.mix_train(w, base, x, n, err, 18)
    return d, mixer.clamp_stretch(d >> 16)


def test_mixer_follows_its_specification():
    rng = np.random.default_rng(3)
    w = rng.integers(-(1 << 17), 1 << 17, 40).astype(np.int64)
    x = rng.integers(-2047, 2048, 8).astype(np.int64)
    before = w.copy()
    d, st = _run_mixer(w, x, 16, 8, -12345)
    assert d == sum(int(before[16 + j]) * int(x[j]) for j in range(8))
    assert st == min(max(d >> 16, -2047), 2047)
    assert w[16:24].tolist() == [int(before[16 + j]) + (int(x[j]) * -12345 >> 18) for j in range(8)]
    assert np.array_equal(w[:16], before[:16]) and np.array_equal(w[24:], before[24:])


@njit(cache=False)
def _run_hashes(keys, out):
    for k in range(keys.shape[0]):
        out[k, 0] = hashing.fib_hash(keys[k], 22)
        out[k, 1] = hashing.kmer_hash(keys[k], 20)
        out[k, 2] = hashing.seeded_hash(keys[k], 7920, 18)
        out[k, 3] = bits.popcount16(keys[k] & 0xFFFF)
        out[k, 4] = bits.bitlen(keys[k])


def test_hashes_and_bit_counts_follow_their_specification():
    rng = np.random.default_rng(4)
    keys = np.concatenate([[0, 1, (1 << 63) - 1], rng.integers(0, 1 << 62, 500)]).astype(np.int64)
    out = np.zeros((keys.size, 5), np.int64)
    _run_hashes(keys, out)
    for k, key in enumerate(keys.tolist()):
        h = (key + 7920) * hashing.FIB & M64
        h ^= h >> 29
        h = h * hashing.MIX2 & M64
        assert out[k].tolist() == [
            (key * hashing.FIB & M64) >> 42,
            (key * hashing.KMER & M64) >> 44,
            h >> 46,
            bin(key & 0xFFFF).count("1"),
            key.bit_length(),
        ]
