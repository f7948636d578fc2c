"""The base model: k-mer context models + match models, mixed online, coded 2 bits per base.

How a base is coded. Each base (A,C,G,T = 0..3) is two binary decisions: ``hi`` (A/C vs G/T),
then ``lo`` given ``hi``. For each decision:

1. Every finite-context model of order k looks up its context (the previous k bases) in a table
   of 16-bit slots holding four 4-bit counts, one per base (halved when one reaches 15, so the
   model adapts). Orders up to 12 index the table directly; higher orders hash the previous k-1
   bases to a group of four slots and pick the slot with the last base, so the four contexts that
   can follow the current one share a cache line.
   The counts relevant to the decision (A+C vs G+T for ``hi``; the pair selected by ``hi`` for
   ``lo``) index a per-model adaptive probability map: the model learns what "3 G/T against 1
   A/C at order 16" really means on this file, which is better than any fixed estimator.
2. Inverted repeats: after each base, models with IR on also update the context read on the
   reverse-complement strand, so a gene copied on the other strand is predicted too.
3. Two match models follow the longest earlier occurrence of the last ``match_min`` bases,
   forwards and as a reverse complement. They are substitution tolerant: a mismatch does not end
   the match; only a majority of misses among the last 16 predictions does, so a repeat with point
   mutations keeps predicting after each SNP.
4. Two logistic mixers (integer weights, online gradient step) combine the stretched
   probabilities; one picks its weight set by which orders have seen the context and the match
   state, the other by the order-3 context. Their average goes through two adaptive probability
   maps (SSE) keyed by order-2 and order-6 contexts.
5. The bit is coded by the binary arithmetic coder with the final 16-bit probability.

Everything is integer arithmetic (see ``logistic.py``), so encoder and decoder, which run the
very same kernel (``mode`` selects coding or decoding), agree bit for bit on every machine and
thread count.

Memory is fixed by the level's parameters, never by the input: tables and the match model's
history ring have fixed sizes.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numba import njit

from .arith import decode_bit, encode_bit
from .logistic import SQUASH, STRETCH

# --- indices into the int64 scalar state vector -------------------------------------------
S_HIST = 0  # last 30 bases, 2 bits each, most recent in the low bits
S_RC = 1  # reverse complement of the last 30 bases, most recent in the high bits (bits 58-59)
S_POS = 2  # number of bases coded so far (all blocks)
S_MPTR = 3  # forward match: position of the predicted base, -1 if none
S_MLEN = 4
S_MMISS = 5  # forward match: last 16 outcomes, 1 = miss
S_RPTR = 6  # reverse-complement match: position whose complement is predicted, -1 if none
S_RLEN = 7
S_RMISS = 8
S_MHASH = 9  # rolling hash value unused slot (reserved)
N_STATE = 10

HIST_MASK = (1 << 60) - 1
AM_RATE_LIMIT = 255
AM1_STATES = 31 * 31
AM2_STATES = 2 * 256
MATCH_STATES = 16 * 8
APM_CELLS = 33


@dataclass(frozen=True)
class ModelParams:
    """Everything the decoder must match. Stored in the archive; one set per level."""

    orders: tuple[int, ...]
    ir: tuple[bool, ...]
    hash_bits: int = 22  # hashed tables have 4 << hash_bits slots
    match_min: int = 24  # bases hashed to find a match
    match_bits: int = 22  # entries in the match hash table
    ring_bits: int = 24  # bases of history the match models can point into
    mixer_lr: int = 6  # learning rate of the mixers (larger is faster)
    am_limit: int = 255  # adaptive maps: count at which their rate stops decreasing

    def to_dict(self) -> dict:
        return {
            "orders": list(self.orders),
            "ir": [int(x) for x in self.ir],
            "hash_bits": self.hash_bits,
            "match_min": self.match_min,
            "match_bits": self.match_bits,
            "ring_bits": self.ring_bits,
            "mixer_lr": self.mixer_lr,
            "am_limit": self.am_limit,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "ModelParams":
        return cls(
            orders=tuple(int(x) for x in d["orders"]),
            ir=tuple(bool(x) for x in d["ir"]),
            hash_bits=int(d["hash_bits"]),
            match_min=int(d["match_min"]),
            match_bits=int(d["match_bits"]),
            ring_bits=int(d["ring_bits"]),
            mixer_lr=int(d["mixer_lr"]),
            am_limit=int(d["am_limit"]),
        )

    def validate(self) -> None:
        if not self.orders or len(self.orders) != len(self.ir):
            raise ValueError("orders and ir must be non-empty and of equal length")
        if list(self.orders) != sorted(self.orders) or min(self.orders) < 1 or max(self.orders) > 28:
            raise ValueError("orders must be increasing, within 1..28")
        if not (10 <= self.hash_bits <= 28 and 10 <= self.match_bits <= 28 and 12 <= self.ring_bits <= 30):
            raise ValueError("table sizes out of range")
        if not (12 <= self.match_min <= 28):
            raise ValueError("match_min out of range")
        if not (1 <= self.mixer_lr <= 255 and 1 <= self.am_limit <= 1023):
            raise ValueError("rates out of range")

    def memory_bytes(self) -> int:
        total = 0
        for k in self.orders:
            total += 2 * (4**k if k <= 12 else 4 << self.hash_bits)
        return total + 4 * (1 << self.match_bits) + (1 << self.ring_bits)


DIRECT_MAX_ORDER = 12


def _recip_table() -> np.ndarray:
    """65536 / (n + 1.5): the adaptive maps' learning rate after n updates (1/n averaging)."""
    n = np.arange(1024, dtype=np.int64)
    return (65536 * 2 // (2 * n + 3)).astype(np.int64)


def _match_len_bucket() -> np.ndarray:
    b = np.zeros(65536, dtype=np.int64)
    edges = [0, 1, 2, 3, 4, 6, 8, 12, 16, 20, 24, 32, 48, 64, 128, 256]
    for i, e in enumerate(edges):
        b[e:] = i
    return b


RECIP = _recip_table()
MATCH_LEN_BUCKET = _match_len_bucket()


class BaseModel:
    """All adaptive state of the base model; encoder and decoder each build one from params."""

    def __init__(self, params: ModelParams):
        params.validate()
        self.params = params
        m = len(params.orders)
        self.orders = np.array(params.orders, dtype=np.int64)
        self.ir = np.array(params.ir, dtype=np.int64)
        offsets = [0]
        hashed = []
        for k in params.orders:
            size = 4**k if k <= DIRECT_MAX_ORDER else 4 << params.hash_bits
            hashed.append(0 if k <= DIRECT_MAX_ORDER else 1)
            offsets.append(offsets[-1] + size)
        self.offsets = np.array(offsets, dtype=np.int64)
        self.hashed = np.array(hashed, dtype=np.int64)
        self.tables = np.zeros(offsets[-1], dtype=np.uint16)
        # adaptive maps: probability (22-bit) and update count
        a, b = np.meshgrid(np.arange(31), np.arange(31), indexing="ij")  # a = count of 0, b = of 1
        init1 = ((b * 2 + 1) << 22) // (a * 2 + b * 2 + 2)
        self.am1_p = np.tile(init1.reshape(-1), m).astype(np.int64)
        self.am1_n = np.zeros(m * AM1_STATES, dtype=np.int64)
        a2, b2 = np.meshgrid(np.arange(16), np.arange(16), indexing="ij")
        init2 = ((b2 * 2 + 1) << 22) // (a2 * 2 + b2 * 2 + 2)
        self.am2_p = np.tile(np.tile(init2.reshape(-1), 2), m).astype(np.int64)
        self.am2_n = np.zeros(m * AM2_STATES, dtype=np.int64)
        # match models: 2 models x MATCH_STATES x expected bit; bit-2 maps are separate
        self.mm_p = np.full(2 * 2 * MATCH_STATES * 2, 1 << 21, dtype=np.int64)
        self.mm_n = np.zeros_like(self.mm_p)
        self.match_table = np.zeros(1 << params.match_bits, dtype=np.int64)
        self.ring = np.zeros(1 << params.ring_bits, dtype=np.uint8)
        # mixers: inputs = m models + 2 match models + bias
        n_in = m + 3
        self.n_inputs = n_in
        n_sets1 = 3 * (m + 1) * 3
        n_sets2 = 3 * 64
        self.w1 = np.full((n_sets1, n_in), (1 << 16) // 4, dtype=np.int64)
        self.w2 = np.full((n_sets2, n_in), (1 << 16) // 4, dtype=np.int64)
        # APMs: order-2 (16 ctx) and order-6 (4096 ctx), x 3 nodes, 33 interpolation cells
        cells = SQUASH[np.clip(np.arange(APM_CELLS) * 128 - 2048, -2047, 2047) + 2047].astype(np.int64)
        self.apm1 = np.tile(cells * 16, 3 * 16).astype(np.int64)
        self.apm2 = np.tile(cells * 16, 3 * 4096).astype(np.int64)
        self.state = np.zeros(N_STATE, dtype=np.int64)
        self.state[S_MPTR] = -1
        self.state[S_RPTR] = -1

    def kernel_args(self) -> tuple:
        p = self.params
        return (
            self.orders, self.ir, self.offsets, self.hashed, self.tables,
            self.am1_p, self.am1_n, self.am2_p, self.am2_n, self.mm_p, self.mm_n,
            self.match_table, self.ring, self.w1, self.w2, self.apm1, self.apm2, self.state,
            p.hash_bits, p.match_min, p.match_bits, p.ring_bits, p.mixer_lr, p.am_limit,
            SQUASH, STRETCH, RECIP, MATCH_LEN_BUCKET,
        )


@njit(cache=True, inline="always")
def _ctx_index(v: int, k: int, hashed: int, offset: int, hash_bits: int) -> int:
    if hashed == 0:
        return offset + v
    h = (np.uint64(v >> 2) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(64 - hash_bits)
    return offset + (np.int64(h) << 2) + (v & 3)


@njit(cache=True, inline="always")
def _hash_kmer(v: int, bits: int) -> int:
    h = (np.uint64(v) * np.uint64(0xD6E8FEB86659FD93)) >> np.uint64(64 - bits)
    return np.int64(h)


@njit(cache=True, inline="always")
def _am_update(p_arr, n_arr, i, bit, limit, recip):
    n = n_arr[i]
    p = p_arr[i]
    p_arr[i] = p + ((((bit << 22) - p) * recip[n]) >> 16)
    if n < limit:
        n_arr[i] = n + 1


@njit(cache=True, inline="always")
def _popcount16(x: int) -> int:
    x = x - ((x >> 1) & 0x5555)
    x = (x & 0x3333) + ((x >> 2) & 0x3333)
    x = (x + (x >> 4)) & 0x0F0F
    return (x + (x >> 8)) & 0x1F


@njit(cache=True, inline="always")
def _apm_index(st: int):
    v = st + 2048
    return v >> 7, v & 127


@njit(cache=True)
def code_bases(
    mode, syms, start, end, buf, bufpos, coder,
    orders, ir, offsets, hashed, tables,
    am1_p, am1_n, am2_p, am2_n, mm_p, mm_n,
    match_table, ring, w1, w2, apm1, apm2, state,
    hash_bits, match_min, match_bits, ring_bits, mixer_lr, am_limit,
    squash, stretch, recip, mlen_bucket,
):
    """Encode (mode 0) syms[start:end] into buf, or decode (mode 1) them from buf into syms.

    Returns (index reached, buffer position). Stops early when fewer than 64 output bytes are left
    so that the caller can grow the buffer and resume: all state is in the arrays.
    """
    m = orders.shape[0]
    n_in = m + 3
    idx = np.empty(m, dtype=np.int64)
    cnt = np.empty(m, dtype=np.int64)
    amidx = np.empty(m, dtype=np.int64)
    xin = np.empty(n_in, dtype=np.int64)
    ring_mask = (1 << ring_bits) - 1
    ring_size = 1 << ring_bits
    mm_min_mask = (1 << (2 * match_min)) - 1
    buf_limit = buf.shape[0] - 64

    hist = state[S_HIST]
    rc = state[S_RC]
    pos = state[S_POS]
    mptr = state[S_MPTR]
    mlen = state[S_MLEN]
    mmiss = state[S_MMISS]
    rptr = state[S_RPTR]
    rlen = state[S_RLEN]
    rmiss = state[S_RMISS]

    i = start
    while i < end:
        if mode == 0 and bufpos >= buf_limit:
            break
        # ---- look up every context model -------------------------------------------------
        hit = 0
        for j in range(m):
            k = orders[j]
            v = hist & ((1 << (2 * k)) - 1)
            ix = _ctx_index(v, k, hashed[j], offsets[j], hash_bits)
            idx[j] = ix
            c = np.int64(tables[ix])
            cnt[j] = c
            if c != 0:
                hit = j + 1
        # ---- match models: find a candidate when idle ---------------------------------------
        if pos >= match_min:
            if mptr < 0:
                cand = match_table[_hash_kmer(hist & mm_min_mask, match_bits)]
                if cand > 0 and pos - cand < ring_size - 1:
                    mptr = cand
                    mlen = 0
                    mmiss = 0
            if rptr < 0:
                rv = rc >> (60 - 2 * match_min)
                cand = match_table[_hash_kmer(rv, match_bits)]
                q = cand - match_min - 1
                if cand > 0 and q >= 0 and pos - q < ring_size - 1:
                    rptr = q
                    rlen = 0
                    rmiss = 0
            match_table[_hash_kmer(hist & mm_min_mask, match_bits)] = pos
        m_exp = -1
        m_state = 0
        if mptr >= 0:
            m_exp = np.int64(ring[mptr & ring_mask])
            m_state = mlen_bucket[mlen] * 8 + min(_popcount16(mmiss & 0xFF), 7)
        r_exp = -1
        r_state = 0
        if rptr >= 0:
            r_exp = 3 - np.int64(ring[rptr & ring_mask])
            r_state = mlen_bucket[rlen] * 8 + min(_popcount16(rmiss & 0xFF), 7)
        match_sel = 0
        if m_exp >= 0 or r_exp >= 0:
            match_sel = 1 if max(mlen, rlen) < 16 else 2
        o3 = hist & 63
        o2 = hist & 15
        o6 = hist & 4095

        sym = 0
        if mode == 0:
            sym = np.int64(syms[i])
        hi = 0
        for node in range(2):
            # node 0 codes hi; node 1 codes lo given hi (APM/mixer node id 1 + hi)
            nid = 0 if node == 0 else 1 + hi
            for j in range(m):
                c = cnt[j]
                if node == 0:
                    a = (c & 15) + ((c >> 4) & 15)
                    b = ((c >> 8) & 15) + ((c >> 12) & 15)
                    ai = j * AM1_STATES + a * 31 + b
                    amidx[j] = ai
                    xin[j] = stretch[am1_p[ai] >> 6]
                else:
                    sh = 8 * hi
                    a = (c >> sh) & 15
                    b = (c >> (sh + 4)) & 15
                    ai = j * AM2_STATES + hi * 256 + a * 16 + b
                    amidx[j] = ai
                    xin[j] = stretch[am2_p[ai] >> 6]
            # match model inputs: map (state, expected bit) -> p(bit = 1)
            mi = -1
            if m_exp >= 0 and (node == 0 or (m_exp >> 1) == hi):
                ebit = (m_exp >> 1) if node == 0 else (m_exp & 1)
                mi = ((0 * 2 + node) * MATCH_STATES + m_state) * 2 + ebit
                xin[m] = stretch[mm_p[mi] >> 6]
            else:
                xin[m] = 0
            ri = -1
            if r_exp >= 0 and (node == 0 or (r_exp >> 1) == hi):
                ebit = (r_exp >> 1) if node == 0 else (r_exp & 1)
                ri = ((1 * 2 + node) * MATCH_STATES + r_state) * 2 + ebit
                xin[m + 1] = stretch[mm_p[ri] >> 6]
            else:
                xin[m + 1] = 0
            xin[m + 2] = 256
            # mixers
            s1 = (nid * (m + 1) + hit) * 3 + match_sel
            s2 = nid * 64 + o3
            dot1 = 0
            dot2 = 0
            for j in range(n_in):
                dot1 += w1[s1, j] * xin[j]
                dot2 += w2[s2, j] * xin[j]
            st1 = min(max(dot1 >> 16, -2047), 2047)
            st2 = min(max(dot2 >> 16, -2047), 2047)
            pm1 = squash[st1 + 2047]
            pm2 = squash[st2 + 2047]
            st = (st1 + st2) >> 1
            pmix = squash[st + 2047]
            # SSE stages
            a1 = (nid * 16 + o2) * APM_CELLS
            c1, f1 = _apm_index(st)
            pa1 = (apm1[a1 + c1] * (128 - f1) + apm1[a1 + c1 + 1] * f1) >> 11
            a2 = (nid * 4096 + o6) * APM_CELLS
            pa2 = (apm2[a2 + c1] * (128 - f1) + apm2[a2 + c1 + 1] * f1) >> 11
            p = (2 * pmix + pa1 + pa2) >> 2
            p = min(max(p, 16), 65536 - 16)
            # code the bit
            if node == 0:
                bit = sym >> 1
            else:
                bit = sym & 1
            if mode == 0:
                bufpos = encode_bit(coder, buf, bufpos, bit, p)
            else:
                bit, bufpos = decode_bit(coder, buf, bufpos, p)
            # ---- learn ------------------------------------------------------------------
            e1 = ((bit << 16) - pm1) * mixer_lr
            e2 = ((bit << 16) - pm2) * mixer_lr
            for j in range(n_in):
                w1[s1, j] += (xin[j] * e1) >> 18
                w2[s2, j] += (xin[j] * e2) >> 18
            for j in range(m):
                if node == 0:
                    _am_update(am1_p, am1_n, amidx[j], bit, am_limit, recip)
                else:
                    _am_update(am2_p, am2_n, amidx[j], bit, am_limit, recip)
            if mi >= 0:
                _am_update(mm_p, mm_n, mi, bit, 1023, recip)
            if ri >= 0:
                _am_update(mm_p, mm_n, ri, bit, 1023, recip)
            target = bit << 20
            apm1[a1 + c1] += (target - apm1[a1 + c1]) * (128 - f1) >> 13
            apm1[a1 + c1 + 1] += (target - apm1[a1 + c1 + 1]) * f1 >> 13
            apm2[a2 + c1] += (target - apm2[a2 + c1]) * (128 - f1) >> 13
            apm2[a2 + c1 + 1] += (target - apm2[a2 + c1 + 1]) * f1 >> 13
            if node == 0:
                hi = bit
                if mode == 1:
                    sym = bit << 1
            elif mode == 1:
                sym = sym | bit
        if mode == 1:
            syms[i] = sym
        # ---- update counts: forward context, then the reverse-complement strand -------------
        for j in range(m):
            ix = idx[j]
            c = cnt[j]
            sh = 4 * sym
            if ((c >> sh) & 15) == 15:
                c = (c >> 1) & 0x7777
            tables[ix] = c + (1 << sh)
        new_hist = ((hist << 2) | sym) & HIST_MASK
        new_rc = (rc >> 2) | ((3 - sym) << 58)
        for j in range(m):
            if ir[j] != 0:
                k = orders[j]
                v = new_rc >> (60 - 2 * k)
                ix = _ctx_index(v, k, hashed[j], offsets[j], hash_bits)
                isym = 3 - ((new_hist >> (2 * k)) & 3)
                c = np.int64(tables[ix])
                sh = 4 * isym
                if ((c >> sh) & 15) == 15:
                    c = (c >> 1) & 0x7777
                tables[ix] = c + (1 << sh)
        # ---- match models: verify predictions, advance ------------------------------------
        if mptr >= 0:
            if m_exp == sym:
                mlen = min(mlen + 1, 65535)
                mmiss = (mmiss << 1) & 0xFFFF
            else:
                mmiss = ((mmiss << 1) | 1) & 0xFFFF
                mlen = mlen >> 2
            if _popcount16(mmiss) > 8:
                mptr = -1
                mlen = 0
            else:
                mptr += 1
        if rptr >= 0:
            if r_exp == sym:
                rlen = min(rlen + 1, 65535)
                rmiss = (rmiss << 1) & 0xFFFF
            else:
                rmiss = ((rmiss << 1) | 1) & 0xFFFF
                rlen = rlen >> 2
            if _popcount16(rmiss) > 8 or rptr == 0:
                rptr = -1
                rlen = 0
            else:
                rptr -= 1
        ring[pos & ring_mask] = sym
        pos += 1
        hist = new_hist
        rc = new_rc
        i += 1

    state[S_HIST] = hist
    state[S_RC] = rc
    state[S_POS] = pos
    state[S_MPTR] = mptr
    state[S_MLEN] = mlen
    state[S_MMISS] = mmiss
    state[S_RPTR] = rptr
    state[S_RLEN] = rlen
    state[S_RMISS] = rmiss
    return i, bufpos
