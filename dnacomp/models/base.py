"""The base model: k-mer context models + match models, mixed online, coded 2 bits per base.

How a base is coded. Each base (A,C,G,T = 0..3) is two binary decisions: ``hi`` (A/C vs G/T),
then ``lo`` given ``hi``. For each decision:

1. Every count model of order k (``orders``) looks up its context (the previous k bases) in a
   table of 16-bit slots holding four 4-bit counts, one per base (halved when one reaches 15, so
   the model adapts). Orders up to 12 index the table directly; higher orders hash the previous
   k-1 bases to a group of four slots and pick the slot with the last base, so the four contexts
   that can follow the current one share a cache line.
   The counts relevant to the decision (A+C vs G+T for ``hi``; the pair selected by ``hi`` for
   ``lo``) index a per-model adaptive probability map: the model learns what "3 G/T against 1
   A/C at order 16" really means on this file, which is better than any fixed estimator.
2. Every probability model of order k (``dp_orders``, k <= 12, direct tables) keeps, per context,
   one adaptive probability per decision (22 bits) with its update count (10 bits) in a uint32;
   the rate is 1/n until ``dp_limit``. Low orders see each context thousands of times, and a
   precise slow estimate beats any 4-bit count there.
3. Inverted repeats: after each base, models with IR on also update the context read on the
   reverse-complement strand, so a gene copied on the other strand is predicted too. These
   updates are applied one base late: the line is prefetched when the base is known and written
   after the next base, so that the cache miss overlaps the next base's work.
4. Two match models follow the longest earlier occurrence of the last ``match_min`` bases,
   forwards and as a reverse complement. They are substitution tolerant: a mismatch does not end
   the match; only a majority of misses among the last 16 predictions does, so a repeat with point
   mutations keeps predicting after each SNP.
5. Optionally a codon model (``codon_order``), for protein-coding DNA: six reading-frame
   hypotheses (3 phases x 2 strands) label every position with a frame label 0..5; a table of
   probabilities per (label, last ``codon_order`` bases) predicts with the label of the best
   hypothesis, whose score (bits spent, forgetting at rate 2^-``codon_decay``) is lowest. Only
   that label's context learns, so the labels organise themselves into codon positions; with
   ``codon_ir`` each k-mer also teaches the other strand's labels (a gene's reverse complement),
   and ``codon_extra`` adds tables of other orders under the same label. Worth ~0.045 bits/base
   on a bacterial genome (ecoli 1.882 -> 1.830 with the mixer contexts below), neutral on
   non-coding DNA.
6. Two logistic mixers (integer weights, online gradient step) combine the stretched
   probabilities; one picks its weight set by which orders have seen the context, the match
   state and how clearly the codon model's best frame beats the others, the other by the codon
   model's frame label and the last base (the order-3 context before the codon model). Their
   average goes through two adaptive probability maps (SSE) keyed by order-2 and order-6
   contexts, and the final probability is (2 * mixers + SSE1 + SSE2) / 4.
7. With the GRU (``gru_mode`` 2), a small recurrent network mixes every model's prediction and
   those three, and an integer blend combines its prediction with the CM's.
8. The bit is coded by the binary arithmetic coder with the final 16-bit probability.

Everything is integer arithmetic (see ``logistic.py``), so encoder and decoder, which run the
very same kernel (``mode`` selects coding or decoding), agree bit for bit on every machine and
thread count.

Memory is fixed by the level's parameters, never by the input: tables and the match model's
history ring have fixed sizes. The lines the next base will need are prefetched a base early
(``_prefetch``, a hint with no effect on the results) so that the cache misses of all models
overlap with the work of the current base.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir as llir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from ..coding.apm import APM_CELLS, apm_index, apm_init_cells, apm_predict, apm_update
from ..coding.arith import decode_bit, encode_bit
from ..coding.bits import popcount16
from ..coding.counters import count_add, update_packed_at, update_split
from ..coding.hashing import fib_hash, kmer_hash
from ..coding.logistic import LOG_COST, RECIP, SQUASH, STRETCH, bucket_table
from ..kernel_cache import njit
from . import gru
from .gru import gru_learn, gru_step, input_offset
from .params import DIRECT_MAX_ORDER, MAX_MEMORY, MAX_ORDER, ModelParams  # noqa: F401 (re-exported)

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
S_PEND = 9  # 1 when the previous base's inverted-repeat updates are still pending
S_MHF = 10  # match table slot of the previous base's k-mer, -1 if none (looked up one base late)
S_MHR = 11  # match table slot of its reverse complement
S_CPH = 12  # codon model: the reading-frame hypothesis in use (0..5)
S_CGAP = 13  # codon model: how clearly that hypothesis wins, bucketed (0..3)
N_STATE = 14

HIST_MASK = (1 << 60) - 1
AM1_STATES = 31 * 31
AM2_STATES = 2 * 256
MATCH_STATES = 16 * 8
#: match length (0..65535) -> 16 buckets, roughly logarithmic
MATCH_LEN_BUCKET = bucket_table([0, 1, 2, 3, 4, 6, 8, 12, 16, 20, 24, 32, 48, 64, 128, 256], 65536)


def _aligned_full(n: int, value: int, dtype) -> np.ndarray:
    """A 1-D array of n items whose data starts on a 64-byte boundary (one cache line)."""
    itemsize = np.dtype(dtype).itemsize
    raw = np.empty(n * itemsize + 64, dtype=np.uint8)
    skip = (-raw.ctypes.data) % 64
    out = raw[skip : skip + n * itemsize].view(dtype)
    out[:] = value
    return out


class BaseModel:
    """All adaptive state of the base model; encoder and decoder each build one from params."""

    def __init__(self, params: ModelParams):
        params.validate()
        self.params = params
        m = len(params.orders)
        d = len(params.dp_orders)
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
        self.tables = _aligned_full(offsets[-1], 0, np.uint16)
        self.dp_orders = np.array(params.dp_orders, dtype=np.int64)
        self.dp_ir = np.array(params.dp_ir, dtype=np.int64)
        dp_off = [0]
        for k in params.dp_orders:
            dp_off.append(dp_off[-1] + 4 * 4**k)
        self.dp_offsets = np.array(dp_off, dtype=np.int64)
        self.dp = _aligned_full(max(dp_off[-1], 1), 1 << 31, np.uint32)  # p = 1/2, n = 0
        # adaptive maps of the count models: probability (22-bit) and update count
        na = m
        a, b = np.meshgrid(np.arange(31), np.arange(31), indexing="ij")  # a = count of 0, b = of 1
        init1 = ((b * 2 + 1) << 22) // (a * 2 + b * 2 + 2)
        self.am1_p = np.tile(init1.reshape(-1), na).astype(np.int64)
        self.am1_n = np.zeros(na * AM1_STATES, dtype=np.int64)
        a2, b2 = np.meshgrid(np.arange(16), np.arange(16), indexing="ij")
        init2 = ((b2 * 2 + 1) << 22) // (a2 * 2 + b2 * 2 + 2)
        self.am2_p = np.tile(np.tile(init2.reshape(-1), 2), na).astype(np.int64)
        self.am2_n = np.zeros(na * AM2_STATES, dtype=np.int64)
        # match models: 2 models x MATCH_STATES x expected bit; bit-2 maps are separate
        self.mm_p = np.full(2 * 2 * MATCH_STATES * 2, 1 << 21, dtype=np.int64)
        self.mm_n = np.zeros_like(self.mm_p)
        self.match_table = np.zeros(1 << params.match_bits, dtype=np.uint32)  # position mod 2^32
        self.ring = np.zeros(1 << params.ring_bits, dtype=np.uint8)
        # mixers: inputs = m count models + d probability models + a constant 0 (see cm_inputs)
        # + 2 match models + codon model + bias + the extra codon models
        n_in = params.cm_inputs()
        self.n_inputs = n_in
        n_sets1 = 3 * (m + 1) * 3 * 4
        n_sets2 = 3 * 7 * 4
        w0 = (1 << 16) // n_in  # weights start summing to 1: small files are not over-confident
        self.w1 = np.full((n_sets1, n_in), w0, dtype=np.int64)
        self.w2 = np.full((n_sets2, n_in), w0, dtype=np.int64)
        # APMs: order-2 (16 ctx) and order-6 (4096 ctx), x 3 nodes, 33 interpolation cells
        cells = apm_init_cells(SQUASH)
        self.apm1 = np.tile(cells, 3 * 16).astype(np.int32)
        self.apm2 = np.tile(cells, 3 * 4096).astype(np.int32)
        self.cod = _aligned_full(6 * 4 * 4**params.codon_order if params.codon_order else 4, 1 << 31, np.uint32)
        self.ccost = np.zeros(6, dtype=np.int64)
        self.ce_orders = np.array(params.codon_extra, dtype=np.int64)
        ce_off = [0]
        for k in params.codon_extra:
            ce_off.append(ce_off[-1] + 6 * 4 * 4**k)
        self.ce_offsets = np.array(ce_off, dtype=np.int64)
        self.codx = _aligned_full(max(ce_off[-1], 4), 1 << 31, np.uint32)
        self.pend = np.zeros(2 * (m + d), dtype=np.int64)  # pending inverted-repeat slot per model
        if params.gru.mode:
            self.gw, self.gs, self.gc = gru.new_state(
                params.gru.hidden, params.gru_inputs(), params.gru.bptt, params.gru.seed
            )
        else:
            self.gw, self.gs, self.gc = np.zeros(1), np.zeros(1), np.zeros(gru.N_GC, dtype=np.int64)
        self.gwb = np.zeros(3 * 2, dtype=np.int64)  # blend of CM and GRU: node x (CM, GRU)
        self.gwb[0::2] = 1 << 16
        self.state = np.zeros(N_STATE, dtype=np.int64)
        self.state[S_MPTR] = -1
        self.state[S_RPTR] = -1
        self.state[S_MHF] = -1

    def kernel_args(self) -> tuple:
        p = self.params
        return (
            self.orders,
            self.ir,
            self.offsets,
            self.hashed,
            self.tables,
            self.dp_orders,
            self.dp_ir,
            self.dp_offsets,
            self.dp,
            self.am1_p,
            self.am1_n,
            self.am2_p,
            self.am2_n,
            self.mm_p,
            self.mm_n,
            self.match_table,
            self.ring,
            self.w1,
            self.w2,
            self.apm1,
            self.apm2,
            self.pend,
            self.state,
            self.cod,
            self.ccost,
            p.codon_order,
            p.codon_decay,
            LOG_COST,
            self.ce_orders,
            self.ce_offsets,
            self.codx,
            int(p.codon_ir),
            p.hash_bits,
            p.match_min,
            p.match_bits,
            p.ring_bits,
            p.mixer_lr,
            p.am_limit,
            p.dp_limit,
            SQUASH,
            STRETCH,
            RECIP,
            MATCH_LEN_BUCKET,
            p.gru.mode,
            self.gw,
            self.gs,
            self.gc,
            self.gwb,
            gru.POW2,
            p.gru.lr / 10000.0,
            p.gru.blend_lr,
            *self._scratch(),
        )

    def _scratch(self) -> tuple:
        """Per-call work arrays of the kernel, allocated here so that the kernel allocates
        nothing and can run without numba's reference counting (``_nrt=False``)."""
        m, d, n_ce = len(self.orders), len(self.dp_orders), len(self.ce_orders)
        n_in = self.n_inputs
        return (
            np.zeros(max(n_ce, 1), np.int64),
            np.zeros(m, np.int64),
            np.zeros(m, np.int64),
            np.zeros(m, np.int64),
            np.zeros(max(d, 1), np.int64),
            np.zeros(n_in, np.int64),
        )


@intrinsic
def _prefetch(typingctx, arr, idx):
    """Hint the CPU to bring ``arr[idx]`` into the cache (llvm.prefetch; never changes results)."""
    sig = types.void(arr, idx)

    def codegen(context, builder, signature, args):
        arrty = signature.args[0]
        ary = context.make_array(arrty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, arrty, ary, [args[1]], wraparound=False)
        i8p = builder.bitcast(ptr, llir.IntType(8).as_pointer())
        i32 = llir.IntType(32)
        fnty = llir.FunctionType(llir.VoidType(), [i8p.type, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        builder.call(fn, [i8p, llir.Constant(i32, 0), llir.Constant(i32, 3), llir.Constant(i32, 1)])
        return context.get_dummy_value()

    return sig, codegen


@njit(cache=True, inline="always")
def _group_index(u: int, hashed: int, offset: int, hash_bits: int) -> int:
    """First of the 4 slots of the contexts whose older k-1 bases are ``u``."""
    if hashed == 0:
        return offset + (u << 2)
    return offset + (fib_hash(u, hash_bits) << 2)


@njit(cache=True, inline="always")
def _ctx_index(v: int, k: int, hashed: int, offset: int, hash_bits: int) -> int:
    return _group_index(v >> 2, hashed, offset, hash_bits) + (v & 3)


@njit(cache=True, inline="always")
def _logit_stretch(logit):
    """A float logit as the integer stretch domain (1/256 units, +-2047), exactly rounded."""
    v = np.floor(logit * 256.0 + 0.5)
    if v > 2047.0:
        return 2047
    if v < -2047.0:
        return -2047
    return np.int64(v)


@njit(cache=True, nogil=True, _nrt=False)
def code_bases(
    mode,
    syms,
    start,
    end,
    buf,
    bufpos,
    coder,
    cost_out,
    orders,
    ir,
    offsets,
    hashed,
    tables,
    dp_orders,
    dp_ir,
    dp_offsets,
    dp,
    am1_p,
    am1_n,
    am2_p,
    am2_n,
    mm_p,
    mm_n,
    match_table,
    ring,
    w1,
    w2,
    apm1,
    apm2,
    pend,
    state,
    cod,
    ccost,
    codon_k,
    codon_decay,
    log_cost,
    ce_orders,
    ce_offsets,
    codx,
    codon_ir,
    hash_bits,
    match_min,
    match_bits,
    ring_bits,
    mixer_lr,
    am_limit,
    dp_limit,
    squash,
    stretch,
    recip,
    mlen_bucket,
    gru_mode,
    gw,
    gs,
    gc,
    gwb,
    pow2,
    gru_lr,
    gru_blend_lr,
    cxb,
    idx,
    cnt,
    amidx,
    dpix,
    xin,
):
    """Encode (mode 0) syms[start:end] into buf, or decode (mode 1) them from buf into syms.

    Returns (index reached, buffer position). Stops early when fewer than 64 output bytes are left
    so that the caller can grow the buffer and resume: all state is in the arrays. When
    ``cost_out`` is not empty, cost_out[i] receives the cost of base i in 1/256 bit.
    """
    m = orders.shape[0]
    d = dp_orders.shape[0]
    n_ce = ce_orders.shape[0]
    n_cm = m + d + 5 + n_ce
    n_in = n_cm
    want_cost = cost_out.shape[0] > 0
    # input slots: count models, probability models, a constant 0 (the removed STCM's slot, kept:
    # the weights' start 65536 // n_in and the GRU's inputs count it), 2 match models, codon, bias,
    # extra codon models
    i_mm = m + d + 1
    i_rm = i_mm + 1
    i_cod = i_mm + 2
    i_bias = i_mm + 3
    cmask = (1 << (2 * codon_k)) - 1
    ring_mask = (1 << ring_bits) - 1
    ring_size = 1 << ring_bits
    mm_min_mask = (1 << (2 * match_min)) - 1
    buf_limit = buf.shape[0] - 64
    for j in range(n_in):
        xin[j] = 0
    xin[i_bias] = 256

    hist = state[S_HIST]
    rc = state[S_RC]
    pos = state[S_POS]
    mptr = state[S_MPTR]
    mlen = state[S_MLEN]
    mmiss = state[S_MMISS]
    rptr = state[S_RPTR]
    rlen = state[S_RLEN]
    rmiss = state[S_RMISS]
    pending = state[S_PEND]
    mhf = state[S_MHF]
    mhr = state[S_MHR]
    cph = state[S_CPH]
    cgap = state[S_CGAP]

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
        for j in range(d):
            v = hist & ((1 << (2 * dp_orders[j])) - 1)
            dpix[j] = dp_offsets[j] + (v << 2)
        # ---- prefetch the lines the next base will read (their misses overlap this base's work)
        for j in range(m):
            k = orders[j]
            if k >= 9:
                u = hist & ((1 << (2 * k - 2)) - 1)
                _prefetch(tables, _group_index(u, hashed[j], offsets[j], hash_bits))
        for j in range(d):
            k = dp_orders[j]
            if k >= 7:
                u = hist & ((1 << (2 * k - 2)) - 1)
                _prefetch(dp, dp_offsets[j] + (u << 4))
        # ---- match models: find a candidate when idle, one base late ------------------------
        # The slots of the k-mer ending at the previous base (and of its reverse complement) were
        # prefetched a base ago; the table holds, per k-mer, the position after its last occurrence.
        if mhf >= 0:
            prev = pos - 1
            if mptr < 0:
                c = np.int64(match_table[mhf])
                delta = (prev - c) & 0xFFFFFFFF
                if c != 0 and 0 < delta < ring_size - 2:
                    mptr = prev - delta + 1
                    mlen = 0
                    mmiss = 0
            if rptr < 0:
                c = np.int64(match_table[mhr])
                delta = (prev - c) & 0xFFFFFFFF
                q = prev - delta - match_min - 2
                if c != 0 and 0 < delta < ring_size - 2 and q >= 0:
                    rptr = q
                    rlen = 0
                    rmiss = 0
            match_table[mhf] = np.uint32(prev & 0xFFFFFFFF)
        if pos >= match_min:
            mhf = kmer_hash(hist & mm_min_mask, match_bits)
            mhr = kmer_hash(rc >> (60 - 2 * match_min), match_bits)
            _prefetch(match_table, mhf)
            _prefetch(match_table, mhr)
        else:
            mhf = -1
        m_exp = -1
        m_state = 0
        if mptr >= 0:
            m_exp = np.int64(ring[mptr & ring_mask])
            m_state = mlen_bucket[mlen] * 8 + min(popcount16(mmiss & 0xFF), 7)
        r_exp = -1
        r_state = 0
        if rptr >= 0:
            r_exp = 3 - np.int64(ring[rptr & ring_mask])
            r_state = mlen_bucket[rlen] * 8 + min(popcount16(rmiss & 0xFF), 7)
        match_sel = 0
        if m_exp >= 0 or r_exp >= 0:
            match_sel = 1 if max(mlen, rlen) < 16 else 2
        cbase = 0
        cphase = 6
        cconf = 0
        if codon_k > 0:
            cphase = (cph // 3) * 3 + (pos + cph) % 3
            cbase = ((cphase << (2 * codon_k)) + (hist & cmask)) << 2
            cconf = cgap
            for j in range(n_ce):
                k = ce_orders[j]
                cxb[j] = ce_offsets[j] + (((cphase << (2 * k)) + (hist & ((1 << (2 * k)) - 1))) << 2)
        # mixer learning rate: 4x at the start, decaying to mixer_lr after a few M bases
        lr = mixer_lr + (mixer_lr * 3 * (1 << 20)) // (pos + (1 << 20))
        # the CM/GRU blend's rate: 4x gru_blend_lr at the start, 1x at 3 M bases, then down to 1
        lr_blend = (gru_blend_lr << 22) // (pos + (1 << 20)) + 1
        o2 = hist & 15
        o6 = hist & 4095

        sym = 0
        if mode == 0:
            sym = np.int64(syms[i])
        hi = 0
        cost = 0
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
                    x = stretch[am1_p[ai] >> 6]
                else:
                    sh = 8 * hi
                    a = (c >> sh) & 15
                    b = (c >> (sh + 4)) & 15
                    ai = j * AM2_STATES + hi * 256 + a * 16 + b
                    amidx[j] = ai
                    x = stretch[am2_p[ai] >> 6]
                xin[j] = x
            for j in range(d):
                xin[m + j] = stretch[np.int64(dp[dpix[j] + nid]) >> 16]
            if codon_k > 0:
                xin[i_cod] = stretch[np.int64(cod[cbase + nid]) >> 16]
                for j in range(n_ce):
                    xin[i_bias + 1 + j] = stretch[np.int64(codx[cxb[j] + nid]) >> 16]
            # match model inputs: map (state, expected bit) -> p(bit = 1)
            mi = -1
            if m_exp >= 0 and (node == 0 or (m_exp >> 1) == hi):
                ebit = (m_exp >> 1) if node == 0 else (m_exp & 1)
                mi = ((0 * 2 + node) * MATCH_STATES + m_state) * 2 + ebit
                xin[i_mm] = stretch[mm_p[mi] >> 6]
            else:
                xin[i_mm] = 0
            ri = -1
            if r_exp >= 0 and (node == 0 or (r_exp >> 1) == hi):
                ebit = (r_exp >> 1) if node == 0 else (r_exp & 1)
                ri = ((1 * 2 + node) * MATCH_STATES + r_state) * 2 + ebit
                xin[i_rm] = stretch[mm_p[ri] >> 6]
            else:
                xin[i_rm] = 0
            # the GRU's inputs: every model's prediction, the node, the last base
            go = 0
            st_g = 0
            if gru_mode != 0:
                go = input_offset(gs, gc)
                q = go
                for j in range(n_cm):
                    if j != i_bias:
                        gs[q] = xin[j] * 0.00390625
                        q += 1
                for j in range(3):
                    gs[q + j] = 1.0 if j == nid else 0.0
                for j in range(4):
                    gs[q + 3 + j] = 1.0 if (pos > 0 and j == (hist & 3)) else 0.0
                go = q + 7
            # mixers
            s1 = ((nid * (m + 1) + hit) * 3 + match_sel) * 4 + cconf
            s2 = (nid * 7 + cphase) * 4 + (hist & 3)
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
            c1, f1 = apm_index(st)
            pa1 = apm_predict(apm1, a1 + c1, f1)
            a2 = (nid * 4096 + o6) * APM_CELLS
            pa2 = apm_predict(apm2, a2 + c1, f1)
            p = (2 * pmix + pa1 + pa2) >> 2
            # the GRU as a mixer: it sees the CM's outputs too; an integer blend weighs both. The
            # blend has one weight pair per node and no bias: with a bias, and weight sets chosen by
            # the match state, its weights grew to 3-4 in long matches (saturated inputs) and it
            # cost 0.1-0.5% on dm3 after the first 2 M bases
            bi = 0
            xb0 = 0
            pb = 0
            if gru_mode != 0:
                gs[go] = st * 0.00390625
                gs[go + 1] = stretch[min(max(pa1, 1), 65535)] * 0.00390625
                gs[go + 2] = stretch[min(max(pa2, 1), 65535)] * 0.00390625
                st_g = _logit_stretch(gru_step(gw, gs, gc, pow2))
                bi = nid * 2
                xb0 = stretch[min(max(p, 1), 65535)]
                dotb = gwb[bi] * xb0 + gwb[bi + 1] * st_g
                pb = squash[min(max(dotb >> 16, -2047), 2047) + 2047]
                p = pb
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
            if want_cost:
                cost += log_cost[(p if bit else 65536 - p) >> 4]
            # ---- learn ------------------------------------------------------------------
            if gru_mode != 0:
                gru_learn(gw, gs, gc, pow2, np.float64(bit), gru_lr)
                eb = ((bit << 16) - pb) * lr_blend
                gwb[bi] += (xb0 * eb) >> 18
                gwb[bi + 1] += (st_g * eb) >> 18
            e1 = ((bit << 16) - pm1) * lr
            e2 = ((bit << 16) - pm2) * lr
            for j in range(n_in):
                w1[s1, j] += (xin[j] * e1) >> 18
                w2[s2, j] += (xin[j] * e2) >> 18
            for j in range(m):
                if node == 0:
                    update_split(am1_p, am1_n, amidx[j], bit, am_limit, recip)
                else:
                    update_split(am2_p, am2_n, amidx[j], bit, am_limit, recip)
            for j in range(d):
                update_packed_at(dp, dpix[j] + nid, bit, dp_limit, recip)
            if mi >= 0:
                update_split(mm_p, mm_n, mi, bit, 1023, recip)
            if ri >= 0:
                update_split(mm_p, mm_n, ri, bit, 1023, recip)
            target = bit << 20
            apm_update(apm1, a1 + c1, f1, target, 12)
            apm_update(apm2, a2 + c1, f1, target, 12)
            if node == 0:
                hi = bit
                if mode == 1:
                    sym = bit << 1
            elif mode == 1:
                sym = sym | bit
        if mode == 1:
            syms[i] = sym
        if want_cost:
            cost_out[i] = cost
        # ---- update counts: forward contexts (lines already cached) ---------------------------
        for j in range(m):
            ix = idx[j]
            tables[ix] = count_add(np.int64(tables[ix]), sym)
        new_hist = ((hist << 2) | sym) & HIST_MASK
        new_rc = (rc >> 2) | ((3 - sym) << 58)
        # ---- inverted repeats: apply the previous base's updates, prefetch and queue this one's
        if pending != 0:
            for j in range(m):
                if ir[j] != 0:
                    ix = pend[2 * j]
                    tables[ix] = count_add(np.int64(tables[ix]), pend[2 * j + 1])
            for j in range(d):
                if dp_ir[j] != 0:
                    base = pend[2 * (m + j)]
                    s = pend[2 * (m + j) + 1]
                    update_packed_at(dp, base, s >> 1, dp_limit, recip)
                    update_packed_at(dp, base + 1 + (s >> 1), s & 1, dp_limit, recip)
        for j in range(m):
            if ir[j] != 0:
                k = orders[j]
                v = new_rc >> (60 - 2 * k)
                ix = _ctx_index(v, k, hashed[j], offsets[j], hash_bits)
                pend[2 * j] = ix
                pend[2 * j + 1] = 3 - ((new_hist >> (2 * k)) & 3)
                _prefetch(tables, ix)
        for j in range(d):
            if dp_ir[j] != 0:
                k = dp_orders[j]
                base = dp_offsets[j] + ((new_rc >> (60 - 2 * k)) << 2)
                pend[2 * (m + j)] = base
                pend[2 * (m + j) + 1] = 3 - ((new_hist >> (2 * k)) & 3)
                _prefetch(dp, base)
        pending = 1
        # ---- codon model: score every reading frame, learn in the best one -------------------
        if codon_k > 0:
            cctx = hist & cmask
            best = 0
            for h in range(6):
                cb = ((((h // 3) * 3 + (pos + h) % 3) << (2 * codon_k)) + cctx) << 2
                q0 = np.int64(cod[cb]) >> 20
                q1 = np.int64(cod[cb + 1 + (sym >> 1)]) >> 20
                if (sym >> 1) == 0:
                    q0 = 4096 - q0
                if (sym & 1) == 0:
                    q1 = 4096 - q1
                ccost[h] += log_cost[q0] + log_cost[q1] - (ccost[h] >> codon_decay)
            update_packed_at(cod, cbase, sym >> 1, dp_limit, recip)
            update_packed_at(cod, cbase + 1 + (sym >> 1), sym & 1, dp_limit, recip)
            for j in range(n_ce):
                update_packed_at(codx, cxb[j], sym >> 1, dp_limit, recip)
                update_packed_at(codx, cxb[j] + 1 + (sym >> 1), sym & 1, dp_limit, recip)
            if codon_ir != 0:
                # the same k+1-mer read on the other strand, in the other strand's frame labels:
                # a gene's reverse complement teaches the reverse-strand frames, and vice versa
                lab = (cph // 3) * 3 + (pos + cph) % 3
                rlab = (1 - lab // 3) * 3 + (codon_k - lab % 3) % 3
                isym = 3 - ((new_hist >> (2 * codon_k)) & 3)
                rb = ((rlab << (2 * codon_k)) + (new_rc >> (60 - 2 * codon_k))) << 2
                update_packed_at(cod, rb, isym >> 1, dp_limit, recip)
                update_packed_at(cod, rb + 1 + (isym >> 1), isym & 1, dp_limit, recip)
                for j in range(n_ce):
                    k = ce_orders[j]
                    rlab = (1 - lab // 3) * 3 + (k - lab % 3) % 3
                    isym = 3 - ((new_hist >> (2 * k)) & 3)
                    rb = ce_offsets[j] + (((rlab << (2 * k)) + (new_rc >> (60 - 2 * k))) << 2)
                    update_packed_at(codx, rb, isym >> 1, dp_limit, recip)
                    update_packed_at(codx, rb + 1 + (isym >> 1), isym & 1, dp_limit, recip)
            for h in range(1, 6):
                if ccost[h] < ccost[best]:
                    best = h
            cph = best
            second = 1 << 62
            for h in range(6):
                if h != best and ccost[h] < second:
                    second = ccost[h]
            gap = second - ccost[best]
            # how clearly the best frame wins (1/256 bit): a proxy for 'inside a gene'
            cgap = 0 if gap < 1000 else (1 if gap < 4000 else (2 if gap < 16000 else 3))
        # ---- match models: verify predictions, advance ------------------------------------
        if mptr >= 0:
            if m_exp == sym:
                mlen = min(mlen + 1, 65535)
                mmiss = (mmiss << 1) & 0xFFFF
            else:
                mmiss = ((mmiss << 1) | 1) & 0xFFFF
                mlen = mlen >> 2
            if popcount16(mmiss) > 8:
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
            if popcount16(rmiss) > 8 or rptr == 0:
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
    state[S_PEND] = pending
    state[S_MHF] = mhf
    state[S_MHR] = mhr
    state[S_CPH] = cph
    state[S_CGAP] = cgap
    return i, bufpos
