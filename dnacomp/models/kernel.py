"""The base model's kernel: k-mer context models + match models, mixed online, coded 2 bits per base.

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
5. The repeat model (``rep``, format version 4): up to ``rep.count`` candidates, each a pointer
   into the history that predicts the base after an earlier copy of what was just seen, on
   either strand. A table keeps, per ``rep.kmer``-mer, its ``rep.slots`` most recent followers;
   each base, up to ``rep.starts`` copies per strand that no candidate follows yet are started
   from it (looked up a base late, prefetched). A candidate's state (age x misses among its last
   16 x last outcome) has a learned hit rate p; the candidates vote ln(3p / (1 - p)) for their
   base, and the vote gives three mixer inputs (its log-odds for the decision, the same refined
   by a map keyed by how many vote and whether they agree, and a map of how many candidates back
   each side) and picks the second mixer's weight set (no candidate / one base / several).
   After 2 misses in 3 a candidate tries the copy shifted by 1-3 bases either way (an indel in
   one of the copies) and moves there if that matches the last 5 bases; more than
   ``rep.miss_limit`` misses among its last 16 retire it. Human DNA is half interspersed repeats
   (Alu, L1) in thousands of diverged copies: one pointer loses such a copy at every indel, a
   vote of many finds the family's consensus. Worth 5.9% on 35 Mbases of human chrX at the
   default level, 0.5% on bacteria (docs/repeat-model.md).
6. Optionally a codon model (``codon_order``), for protein-coding DNA: six reading-frame
   hypotheses (3 phases x 2 strands) label every position with a frame label 0..5; a table of
   probabilities per (label, last ``codon_order`` bases) predicts with the label of the best
   hypothesis, whose score (bits spent, forgetting at rate 2^-``codon_decay``) is lowest. Only
   that label's context learns, so the labels organise themselves into codon positions; with
   ``codon_ir`` each k-mer also teaches the other strand's labels (a gene's reverse complement),
   and ``codon_extra`` adds tables of other orders under the same label. Worth ~0.045 bits/base
   on a bacterial genome (ecoli 1.882 -> 1.830 with the mixer contexts below), neutral on
   non-coding DNA.
7. Two logistic mixers (integer weights, online gradient step) combine the stretched
   probabilities; one picks its weight set by which orders have seen the context, the match
   state and how clearly the codon model's best frame beats the others, the other by the codon
   model's frame label and the last base (the order-3 context before the codon model). Their
   average goes through two adaptive probability maps (SSE) keyed by order-2 and order-6
   contexts, and the final probability is (2 * mixers + SSE1 + SSE2) / 4.
8. With the GRU (``gru_mode`` 2), a small recurrent network mixes every model's prediction and
   those three, and an integer blend combines its prediction with the CM's.
9. The bit is coded by the binary arithmetic coder with the final 16-bit probability.

Everything is integer arithmetic (``dnacomp.coding``) but the GRU, whose float64 is exact by
construction (``gru.py``), so encoder and decoder, which run the very same kernel (``mode``
selects coding or decoding), agree bit for bit on every machine and thread count.

Memory is fixed by the level's parameters, never by the input: tables and the match model's
history ring have fixed sizes. The lines the next base will need are prefetched a base early
(``_prefetch``, a hint with no effect on the results) so that the cache misses of all models
overlap with the work of the current base.

How the code reads. ``code_bases`` (at the end) is the loop over bases; each sub-model is a small
helper above it, inlined by LLVM (``inline="always"``), named for what it is. For every base:

1. ``count_lookup``, ``prob_lookup``: the context of every count model (four 4-bit counts per
   context; orders above 12 hashed to a group of four slots, one cache line) and every probability
   model (one packed adaptive probability per decision); ``prefetch_next`` asks for the lines the
   next base will need, so that their cache misses overlap this base's work.
2. ``match_find``: when a match model is idle, the k-mer table (looked up one base late, its slot
   prefetched) proposes the position after the last occurrence of the last ``match_min`` bases,
   forwards and as a reverse complement; ``match_expect`` gives each one's predicted base and
   state (length bucket x recent misses).
3. ``rep_find`` (start candidates from the k-mer table, record the last k-mer), ``rep_vote``
   (every candidate's base and state, their vote); ``codon_context``: the codon model's
   contexts under the frame label of the best of its six
   reading-frame hypotheses.
4. Two binary decisions per base (``hi`` = A/C vs G/T, then ``lo``), each:
   - inputs (stretched probabilities): ``count_inputs`` (the counts, through an adaptive map per
     model and count state), ``prob_inputs``, ``codon_inputs``, ``match_input`` x 2, a constant
     0 (the removed STCM's slot; docs/model-history.md), a bias and ``rep_inputs``;
   - ``gru_inputs`` (with the GRU): every input, the node and the last base, as floats;
   - two logistic mixers (``coding.mixer``), one weight set picked by which orders know the
     context, the match state and the codon frame's confidence, the other by the frame label
     and the last base; their average goes through two APMs (``coding.apm``) keyed by order-2
     and order-6 contexts; the final probability is (2 * mixers + APM1 + APM2) / 4;
   - ``gru_blend`` (with the GRU): the GRU mixes all of that once more, and an integer blend
     combines its prediction with the CM's;
   - the arithmetic coder codes the bit (``coding.arith``), and every part learns it
     (``gru_learn_bit``, ``coding.mixer.mix_train2``, ``count_learn``, ``prob_learn``, the match
     and SSE maps).
5. ``count_update`` (forward contexts), ``ir_update`` (the inverted repeats: the previous base's
   reverse-complement contexts, queued and prefetched a base earlier), ``codon_learn`` (scores of
   all six frames, tables of the best), ``match_follow`` x 2 (verify, advance, give up after more
   than 8 misses among the last 16), ``rep_learn`` (every candidate's state learns, advances,
   realigns or retires).

State travels in four named bundles (``state.py``): ``cfg`` (the layout and hyperparameters),
``tab`` (everything learned, and the scalar state vector), ``lut`` (the constant tables) and
``tmp`` (per-base work arrays). They are namedtuples of arrays and integers, which numba passes as
plain structs: nothing is boxed or copied per base.
"""

from __future__ import annotations

import numpy as np

from ..coding.apm import APM_CELLS, apm_index, apm_predict, apm_update
from ..coding.arith import decode_bit, encode_bit
from ..coding.bits import popcount16
from ..coding.counters import count_add, update_packed_at, update_split
from ..coding.hashing import fib_hash, kmer_hash
from ..coding.mixer import clamp_stretch, mix_dot2, mix_train2
from ..coding.prefetch import prefetch as _prefetch
from ..kernel_cache import njit
from .gru import gru_learn, gru_step, input_offset
from .state import (
    AM1_STATES,
    AM2_STATES,
    HIST_MASK,
    MATCH_STATES,
    REP_AGE_MAX,
    S_CGAP,
    S_CPH,
    S_HIST,
    S_MHF,
    S_MHR,
    S_MLEN,
    S_MMISS,
    S_MPTR,
    S_PEND,
    S_POS,
    S_RC,
    S_RHF,
    S_RHR,
    S_RLEN,
    S_RMISS,
    S_RN,
    S_RPTR,
)

# ---- count models and probability models: where each context lives ---------------------------


@njit(cache=True, inline="always")
def _group_index(u, hashed, offset, hash_bits):
    """First of the 4 slots of the contexts whose older k-1 bases are ``u``."""
    if hashed == 0:
        return offset + (u << 2)
    return offset + (fib_hash(u, hash_bits) << 2)


@njit(cache=True, inline="always")
def _ctx_index(v, hashed, offset, hash_bits):
    return _group_index(v >> 2, hashed, offset, hash_bits) + (v & 3)


@njit(cache=True, inline="always")
def count_lookup(cfg, tab, tmp, hist):
    """Slot (tmp.idx) and counts (tmp.cnt) of every count model's context; returns 1 + the
    highest model whose context was seen before (0: none)."""
    hit = 0
    for j in range(cfg.orders.shape[0]):
        k = cfg.orders[j]
        v = hist & ((1 << (2 * k)) - 1)
        ix = _ctx_index(v, cfg.hashed[j], cfg.offsets[j], cfg.hash_bits)
        tmp.idx[j] = ix
        c = np.int64(tab.tables[ix])
        tmp.cnt[j] = c
        if c != 0:
            hit = j + 1
    return hit


@njit(cache=True, inline="always")
def prob_lookup(cfg, tmp, hist):
    """First entry (tmp.dpix) of every probability model's context: 4 entries, one per node."""
    for j in range(cfg.dp_orders.shape[0]):
        v = hist & ((1 << (2 * cfg.dp_orders[j])) - 1)
        tmp.dpix[j] = cfg.dp_offsets[j] + (v << 2)


@njit(cache=True, inline="always")
def prefetch_next(cfg, tab, hist):
    """Prefetch the lines the next base's high-order contexts will read (any next base: the
    group of four contexts that can follow this one)."""
    for j in range(cfg.orders.shape[0]):
        k = cfg.orders[j]
        if k >= 9:
            u = hist & ((1 << (2 * k - 2)) - 1)
            _prefetch(tab.tables, _group_index(u, cfg.hashed[j], cfg.offsets[j], cfg.hash_bits))
    for j in range(cfg.dp_orders.shape[0]):
        k = cfg.dp_orders[j]
        if k >= 7:
            u = hist & ((1 << (2 * k - 2)) - 1)
            _prefetch(tab.dp, cfg.dp_offsets[j] + (u << 4))


@njit(cache=True, inline="always")
def count_inputs(cfg, tab, tmp, lut, node, hi, xin):
    """The count models' inputs: their counts for the decision (A+C vs G+T for ``hi``; the pair
    that ``hi`` selected for ``lo``), through an adaptive map per model (tmp.amidx: its cell)."""
    for j in range(cfg.orders.shape[0]):
        c = tmp.cnt[j]
        if node == 0:
            a = (c & 15) + ((c >> 4) & 15)
            b = ((c >> 8) & 15) + ((c >> 12) & 15)
            ai = j * AM1_STATES + a * 31 + b
            tmp.amidx[j] = ai
            xin[j] = lut.stretch[tab.am1_p[ai] >> 6]
        else:
            sh = 8 * hi
            a = (c >> sh) & 15
            b = (c >> (sh + 4)) & 15
            ai = j * AM2_STATES + hi * 256 + a * 16 + b
            tmp.amidx[j] = ai
            xin[j] = lut.stretch[tab.am2_p[ai] >> 6]


@njit(cache=True, inline="always")
def prob_inputs(cfg, tab, tmp, lut, nid, first, xin):
    """The probability models' inputs (slots ``first``...): their probability for node ``nid``."""
    for j in range(cfg.dp_orders.shape[0]):
        xin[first + j] = lut.stretch[np.int64(tab.dp[tmp.dpix[j] + nid]) >> 16]


@njit(cache=True, inline="always")
def count_learn(cfg, tab, tmp, lut, node, bit):
    """The count models' adaptive maps learn the bit."""
    for j in range(cfg.orders.shape[0]):
        if node == 0:
            update_split(tab.am1_p, tab.am1_n, tmp.amidx[j], bit, cfg.am_limit, lut.recip)
        else:
            update_split(tab.am2_p, tab.am2_n, tmp.amidx[j], bit, cfg.am_limit, lut.recip)


@njit(cache=True, inline="always")
def prob_learn(cfg, tab, tmp, lut, nid, bit):
    """The probability models learn the bit."""
    for j in range(cfg.dp_orders.shape[0]):
        update_packed_at(tab.dp, tmp.dpix[j] + nid, bit, cfg.dp_limit, lut.recip)


@njit(cache=True, inline="always")
def count_update(cfg, tab, tmp, sym):
    """Count ``sym`` in every count model's context (the lines are cached: just read)."""
    for j in range(cfg.orders.shape[0]):
        ix = tmp.idx[j]
        tab.tables[ix] = count_add(np.int64(tab.tables[ix]), sym)


@njit(cache=True, inline="always")
def ir_update(cfg, tab, lut, pending, new_hist, new_rc):
    """Inverted repeats: apply the updates queued at the previous base (their lines have been
    prefetched since), then queue and prefetch this base's: each model with IR on also counts,
    in the context read on the reverse-complement strand, the complement of the base before it."""
    m = cfg.orders.shape[0]
    pend = tab.pend
    if pending != 0:
        for j in range(m):
            if cfg.ir[j] != 0:
                ix = pend[2 * j]
                tab.tables[ix] = count_add(np.int64(tab.tables[ix]), pend[2 * j + 1])
        for j in range(cfg.dp_orders.shape[0]):
            if cfg.dp_ir[j] != 0:
                base = pend[2 * (m + j)]
                s = pend[2 * (m + j) + 1]
                update_packed_at(tab.dp, base, s >> 1, cfg.dp_limit, lut.recip)
                update_packed_at(tab.dp, base + 1 + (s >> 1), s & 1, cfg.dp_limit, lut.recip)
    for j in range(m):
        if cfg.ir[j] != 0:
            k = cfg.orders[j]
            v = new_rc >> (60 - 2 * k)
            ix = _ctx_index(v, cfg.hashed[j], cfg.offsets[j], cfg.hash_bits)
            pend[2 * j] = ix
            pend[2 * j + 1] = 3 - ((new_hist >> (2 * k)) & 3)
            _prefetch(tab.tables, ix)
    for j in range(cfg.dp_orders.shape[0]):
        if cfg.dp_ir[j] != 0:
            k = cfg.dp_orders[j]
            base = cfg.dp_offsets[j] + ((new_rc >> (60 - 2 * k)) << 2)
            pend[2 * (m + j)] = base
            pend[2 * (m + j) + 1] = 3 - ((new_hist >> (2 * k)) & 3)
            _prefetch(tab.dp, base)


# ---- match models ------------------------------------------------------------------------------


@njit(cache=True, inline="always")
def match_find(cfg, tab, pos, hist, rc, mptr, mlen, mmiss, rptr, rlen, rmiss, mhf, mhr):
    """An idle match model takes the candidate of the k-mer table, one base late: the slots of the
    k-mer ending at the previous base (and of its reverse complement) were prefetched a base ago;
    the table holds, per k-mer, the position after its last occurrence. Then this base's k-mer
    slots are hashed and prefetched. Returns the match models' new state."""
    ring_size = 1 << cfg.ring_bits
    if mhf >= 0:
        prev = pos - 1
        if mptr < 0:
            c = np.int64(tab.match_table[mhf])
            delta = (prev - c) & 0xFFFFFFFF
            if c != 0 and 0 < delta < ring_size - 2:
                mptr = prev - delta + 1
                mlen = 0
                mmiss = 0
        if rptr < 0:
            c = np.int64(tab.match_table[mhr])
            delta = (prev - c) & 0xFFFFFFFF
            q = prev - delta - cfg.match_min - 2
            if c != 0 and 0 < delta < ring_size - 2 and q >= 0:
                rptr = q
                rlen = 0
                rmiss = 0
        tab.match_table[mhf] = np.uint32(prev & 0xFFFFFFFF)
    if pos >= cfg.match_min:
        mhf = kmer_hash(hist & ((1 << (2 * cfg.match_min)) - 1), cfg.match_bits)
        mhr = kmer_hash(rc >> (60 - 2 * cfg.match_min), cfg.match_bits)
        _prefetch(tab.match_table, mhf)
        _prefetch(tab.match_table, mhr)
    else:
        mhf = -1
    return mptr, mlen, mmiss, rptr, rlen, rmiss, mhf, mhr


@njit(cache=True, inline="always")
def match_expect(cfg, tab, lut, ptr, length, miss, reverse):
    """(predicted base or -1, state = length bucket x misses among the last 8) of a match model."""
    if ptr < 0:
        return -1, 0
    b = np.int64(tab.ring[ptr & ((1 << cfg.ring_bits) - 1)])
    return (3 - b if reverse else b), lut.mlen_bucket[length] * 8 + min(popcount16(miss & 0xFF), 7)


@njit(cache=True, inline="always")
def match_input(tab, lut, model, node, hi, expected, mstate, xin, slot):
    """Match model ``model``'s input: its map (state, expected bit) -> p(bit = 1); 0 when it has
    no prediction for this decision. Returns the map cell (-1: none) for learning."""
    if expected >= 0 and (node == 0 or (expected >> 1) == hi):
        ebit = (expected >> 1) if node == 0 else (expected & 1)
        mi = ((model * 2 + node) * MATCH_STATES + mstate) * 2 + ebit
        xin[slot] = lut.stretch[tab.mm_p[mi] >> 6]
        return mi
    xin[slot] = 0
    return -1


@njit(cache=True, inline="always")
def match_follow(ptr, length, miss, expected, sym, reverse):
    """Verify a match model's prediction and advance it (backwards for the reverse complement);
    a miss shortens the length to a quarter, more than 8 misses among the last 16 end the match."""
    if ptr < 0:
        return ptr, length, miss
    if expected == sym:
        length = min(length + 1, 65535)
        miss = (miss << 1) & 0xFFFF
    else:
        miss = ((miss << 1) | 1) & 0xFFFF
        length = length >> 2
    if popcount16(miss) > 8 or (reverse and ptr == 0):
        return -1, 0, miss
    return (ptr - 1 if reverse else ptr + 1), length, miss


# ---- the repeat model: many candidates at once ----------------------------------------------


@njit(cache=True, inline="always")
def _rep_bucket(cfg, kmer):
    """First slot of a k-mer's bucket in the repeat model's table."""
    if cfg.rep_direct != 0:
        return kmer * cfg.rep_slots
    return kmer_hash(kmer, cfg.rep_bits) * cfg.rep_slots


@njit(cache=True, inline="always")
def _rep_following(tab, n, ptr, strand):
    """Whether one of the ``n`` active candidates already follows this copy."""
    for i in range(n):
        if tab.rep_ptr[i] == ptr and tab.rep_dir[i] == strand:
            return True
    return False


@njit(cache=True, inline="always")
def _rep_start(tab, n, ptr, strand):
    tab.rep_ptr[n] = ptr
    tab.rep_dir[n] = strand
    tab.rep_miss[n] = 0
    tab.rep_age[n] = 0


@njit(cache=True, inline="always")
def _rep_start_from(cfg, tab, bucket, strand, prev, n):
    """Start candidates on ``strand`` from one bucket's copies (newest first), at most
    ``rep_starts``, skipping copies already followed and those outside the history. A forward
    copy's follower is the base after it; a reverse one's the complement of the base before it.
    Returns the number of candidates active."""
    ring_size = 1 << cfg.ring_bits
    k = cfg.rep_k
    started = 0
    for s in range(cfg.rep_slots):
        c = np.int64(tab.rep_table[bucket + s])
        if c == 0 or n >= cfg.rep_count or started >= cfg.rep_starts:
            break
        delta = (prev - c) & 0xFFFFFFFF
        if strand == 0:
            ptr = prev - delta + 1
            ok = 0 < delta < ring_size - 2
        else:
            ptr = prev - delta - k - 2
            ok = 0 < delta < ring_size - k - 4 and ptr >= 0
        if ok and not _rep_following(tab, n, ptr, strand):
            _rep_start(tab, n, ptr, strand)
            n += 1
            started += 1
    return n


@njit(cache=True, inline="always")
def rep_find(cfg, tab, pos, hist, rc, n, rhf, rhr):
    """Start candidates from the buckets of the previous base's k-mer and of its reverse
    complement (looked up a base ago and prefetched since: their lines are cached), newest
    copies first, skipping copies already followed, at most ``rep_starts`` per strand; record
    the previous base's k-mer; look up and prefetch this base's buckets. Returns (candidates
    active, the two buckets)."""
    t = tab.rep_table
    k = cfg.rep_k
    if rhf >= 0:
        prev = pos - 1
        n = _rep_start_from(cfg, tab, rhf, 0, prev, n)
        n = _rep_start_from(cfg, tab, rhr, 1, prev, n)
        for s in range(cfg.rep_slots - 1, 0, -1):
            t[rhf + s] = t[rhf + s - 1]
        t[rhf] = np.uint32(prev & 0xFFFFFFFF)
    if pos >= k:
        rhf = _rep_bucket(cfg, hist & ((1 << (2 * k)) - 1))
        rhr = _rep_bucket(cfg, rc >> (60 - 2 * k))
        _prefetch(t, rhf)
        _prefetch(t, rhr)
    else:
        rhf = -1
    return n, rhf, rhr


@njit(cache=True, inline="always")
def rep_vote(cfg, tab, tmp, lut, n):
    """Each candidate's predicted base (tmp.rexp) and state (tmp.rcell: age x misses among its
    last 16 x last outcome), and their vote: tmp.rvote[b] = the sum, over the candidates that
    predict b, of ln(3 p / (1 - p)) (x256), p their state's hit rate. That is how independent
    experts that each give p to their base and (1 - p) / 3 to the others multiply; copies of a
    repeat family are not independent, which the mixer's weight and the refinement map correct.
    Returns the agreement: 0 no candidate, 1 all predict one base, 2 several bases."""
    v = tmp.rvote
    for b in range(4):
        v[b] = 0
        tmp.rcnt[b] = 0
    if n == 0:
        return 0
    mask = (1 << cfg.ring_bits) - 1
    first = -1
    agree = 1
    for i in range(n):
        b = np.int64(tab.ring[tab.rep_ptr[i] & mask])
        if tab.rep_dir[i] != 0:
            b = 3 - b
        tmp.rexp[i] = b
        miss = tab.rep_miss[i]
        cell = (lut.rep_age_bucket[tab.rep_age[i]] * 17 + popcount16(miss)) * 2 + (miss & 1)
        tmp.rcell[i] = cell
        v[b] += lut.stretch[tab.rep_p[cell] >> 6] + 281  # 281 = 256 ln 3
        tmp.rcnt[b] += 2 if (tab.rep_age[i] >= 16 and popcount16(miss) <= 2) else 1
        if first < 0:
            first = b
        elif b != first:
            agree = 2
    return agree


@njit(cache=True, inline="always")
def _log_add(a, b, softplus):
    """ln(e^a + e^b) in the stretch domain's units."""
    d = a - b
    if d >= 0:
        return a + (softplus[d] if d < 4096 else 0)
    return b + (softplus[-d] if d > -4096 else 0)


@njit(cache=True, inline="always")
def rep_inputs(tab, tmp, lut, node, hi, nid, n, agree, xin, slot):
    """The repeat model's two inputs: the vote's log-odds for this decision, and the same refined
    by a map keyed by how many candidates vote and whether they agree. Returns the map's cell and
    fraction (-1: no candidate)."""
    if n == 0:
        xin[slot] = 0
        xin[slot + 1] = 0
        xin[slot + 2] = 0
        return -1, 0
    v = tmp.rvote
    if node == 0:
        d = _log_add(v[2], v[3], lut.softplus) - _log_add(v[0], v[1], lut.softplus)
    else:
        d = v[2 * hi + 1] - v[2 * hi]
    st = clamp_stretch(d)
    xin[slot] = st
    c, f = apm_index(st)
    a = ((nid * 8 + min(n, 8) - 1) * 2 + agree - 1) * APM_CELLS + c
    xin[slot + 1] = lut.stretch[min(max(apm_predict(tab.rep_apm, a, f), 1), 65535)]
    k = tmp.rcnt
    if node == 0:
        c1 = min(k[2] + k[3], 15)
        c0 = min(k[0] + k[1], 15)
    else:
        c1 = min(k[2 * hi + 1], 15)
        c0 = min(k[2 * hi], 15)
    ci = (nid * 16 + c1) * 16 + c0
    tmp.rcnt[4] = ci
    xin[slot + 2] = lut.stretch[tab.rep_cp[ci] >> 6]
    return a, f


@njit(cache=True, inline="always")
def _rep_realign(tab, ptr, strand, miss, new_hist, mask, pos):
    """After 2 misses in 3, an insertion or deletion in one of the copies is a likely cause: if
    the copy shifted by 1, 2 or 3 bases (either way, nearest first) matches the last 5 bases,
    follow it there. Worth 0.6% on human DNA (diverged Alu and L1 copies are full of short
    indels), neutral on bacteria. Returns (pointer, miss history: its last 4 outcomes cleared
    when it moved)."""
    for shift in (1, -1, 2, -2, 3, -3):
        q = ptr + shift
        if (q if strand == 0 else q + 6) > pos:
            continue  # only bases already seen
        ok = True
        for j in range(5):
            b = (new_hist >> (2 * j)) & 3
            if strand == 0:
                r = np.int64(tab.ring[(q - 1 - j) & mask])
            else:
                r = 3 - np.int64(tab.ring[(q + 1 + j) & mask])
            if r != b:
                ok = False
                break
        if ok:
            return q, miss & 0xFFF0
    return ptr, miss


@njit(cache=True, inline="always")
def rep_learn(cfg, tab, tmp, lut, n, sym, pos, new_hist):
    """Every candidate's state learns whether it predicted ``sym``; each advances (backwards on
    the reverse strand), and those with more than ``rep_miss_limit`` misses among their last 16,
    or about to leave the history, are retired (the others are packed to the front). Returns the
    number left."""
    ring_size = 1 << cfg.ring_bits
    mask = ring_size - 1
    dst = 0
    for i in range(n):
        hit = 1 if tmp.rexp[i] == sym else 0
        update_split(tab.rep_p, tab.rep_n, tmp.rcell[i], hit, 1023, lut.recip)
        miss = ((tab.rep_miss[i] << 1) | (1 - hit)) & 0xFFFF
        strand = tab.rep_dir[i]
        ptr = tab.rep_ptr[i] - 1 if strand != 0 else tab.rep_ptr[i] + 1
        if hit == 0 and popcount16(miss & 7) >= 2:
            ptr, miss = _rep_realign(tab, ptr, strand, miss, new_hist, mask, pos)
        if popcount16(miss) > cfg.rep_miss_limit or ptr < 0 or pos - ptr >= ring_size - 2:
            continue
        tab.rep_ptr[dst] = ptr
        tab.rep_dir[dst] = strand
        tab.rep_miss[dst] = miss
        tab.rep_age[dst] = min(tab.rep_age[i] + 1, REP_AGE_MAX)
        dst += 1
    return dst


# ---- codon model -------------------------------------------------------------------------------


@njit(cache=True, inline="always")
def codon_context(cfg, tmp, pos, hist, cph):
    """(first entry of the codon table's context, frame label 0..5 or 6 when off) for the frame
    hypothesis ``cph``; the extra codon tables' entries go to tmp.cxb."""
    k0 = cfg.codon_k
    if k0 == 0:
        return 0, 6
    cphase = (cph // 3) * 3 + (pos + cph) % 3
    cbase = ((cphase << (2 * k0)) + (hist & ((1 << (2 * k0)) - 1))) << 2
    for j in range(cfg.ce_orders.shape[0]):
        k = cfg.ce_orders[j]
        tmp.cxb[j] = cfg.ce_offsets[j] + (((cphase << (2 * k)) + (hist & ((1 << (2 * k)) - 1))) << 2)
    return cbase, cphase


@njit(cache=True, inline="always")
def codon_inputs(cfg, tab, tmp, lut, nid, cbase, i_cod, i_extra, xin):
    if cfg.codon_k > 0:
        xin[i_cod] = lut.stretch[np.int64(tab.cod[cbase + nid]) >> 16]
        for j in range(cfg.ce_orders.shape[0]):
            xin[i_extra + j] = lut.stretch[np.int64(tab.codx[tmp.cxb[j] + nid]) >> 16]


@njit(cache=True, inline="always")
def _learn_base(t, b, sym, limit, recip):
    """A packed table's two decisions for base ``sym`` at context entry ``b``."""
    update_packed_at(t, b, sym >> 1, limit, recip)
    update_packed_at(t, b + 1 + (sym >> 1), sym & 1, limit, recip)


@njit(cache=True, inline="always")
def codon_learn(cfg, tab, tmp, lut, pos, hist, new_hist, new_rc, sym, cbase, cph):
    """Score every reading-frame hypothesis by what it would have paid for ``sym`` (forgetting at
    rate 2^-codon_decay), learn in the tables of the current one (and, with codon_ir, the same
    k+1-mer in the other strand's frame labels), and pick the best hypothesis. Returns it and how
    clearly it wins (0..3)."""
    k0 = cfg.codon_k
    ccost = tab.ccost
    log_cost = lut.log_cost
    limit = cfg.dp_limit
    recip = lut.recip
    n_ce = cfg.ce_orders.shape[0]
    cctx = hist & ((1 << (2 * k0)) - 1)
    for h in range(6):
        cb = ((((h // 3) * 3 + (pos + h) % 3) << (2 * k0)) + cctx) << 2
        q0 = np.int64(tab.cod[cb]) >> 20
        q1 = np.int64(tab.cod[cb + 1 + (sym >> 1)]) >> 20
        if (sym >> 1) == 0:
            q0 = 4096 - q0
        if (sym & 1) == 0:
            q1 = 4096 - q1
        ccost[h] += log_cost[q0] + log_cost[q1] - (ccost[h] >> cfg.codon_decay)
    _learn_base(tab.cod, cbase, sym, limit, recip)
    for j in range(n_ce):
        _learn_base(tab.codx, tmp.cxb[j], sym, limit, recip)
    if cfg.codon_ir != 0:
        # the same k+1-mer read on the other strand, in the other strand's frame labels: a gene's
        # reverse complement teaches the reverse-strand frames, and vice versa
        lab = (cph // 3) * 3 + (pos + cph) % 3
        rlab = (1 - lab // 3) * 3 + (k0 - lab % 3) % 3
        isym = 3 - ((new_hist >> (2 * k0)) & 3)
        rb = ((rlab << (2 * k0)) + (new_rc >> (60 - 2 * k0))) << 2
        _learn_base(tab.cod, rb, isym, limit, recip)
        for j in range(n_ce):
            k = cfg.ce_orders[j]
            rlab = (1 - lab // 3) * 3 + (k - lab % 3) % 3
            isym = 3 - ((new_hist >> (2 * k)) & 3)
            rb = cfg.ce_offsets[j] + (((rlab << (2 * k)) + (new_rc >> (60 - 2 * k))) << 2)
            _learn_base(tab.codx, rb, isym, limit, recip)
    best = 0
    for h in range(1, 6):
        if ccost[h] < ccost[best]:
            best = h
    second = 1 << 62
    for h in range(6):
        if h != best and ccost[h] < second:
            second = ccost[h]
    gap = second - ccost[best]
    # how clearly the best frame wins (1/256 bit): a proxy for 'inside a gene'
    return best, (0 if gap < 1000 else (1 if gap < 4000 else (2 if gap < 16000 else 3)))


# ---- the GRU (gru.py) as a second-stage mixer -------------------------------------------------


@njit(cache=True, inline="always")
def _logit_stretch(logit):
    """A float logit as the integer stretch domain (1/256 units, +-2047), exactly rounded."""
    v = np.floor(logit * 256.0 + 0.5)
    if v > 2047.0:
        return 2047
    if v < -2047.0:
        return -2047
    return np.int64(v)


@njit(cache=True, inline="always")
def gru_inputs(tab, xin, n_cm, i_bias, nid, pos, hist):
    """The GRU's first inputs: every CM input but the bias (as floats, 1/256 units), the node
    (one-hot 3), the last base (one-hot 4). Returns where the three CM outputs go."""
    gs = tab.gs
    q = input_offset(gs, tab.gc)
    for j in range(n_cm):
        if j != i_bias:
            gs[q] = xin[j] * 0.00390625
            q += 1
    for j in range(3):
        gs[q + j] = 1.0 if j == nid else 0.0
    for j in range(4):
        gs[q + 3 + j] = 1.0 if (pos > 0 and j == (hist & 3)) else 0.0
    return q + 7


@njit(cache=True, inline="always")
def gru_blend(tab, lut, go, st, pa1, pa2, p, nid):
    """Step the GRU on the CM's mixer and SSE outputs too, and blend its prediction with the CM's
    final ``p``. The blend has one weight pair per node and no bias: with a bias, and weight sets
    chosen by the match state, its weights grew to 3-4 in long matches (saturated inputs) and it
    cost 0.1-0.5% on dm3 after the first 2 M bases. Returns (p, the GRU's stretch, the CM's)."""
    stretch = lut.stretch
    gs = tab.gs
    gs[go] = st * 0.00390625
    gs[go + 1] = stretch[min(max(pa1, 1), 65535)] * 0.00390625
    gs[go + 2] = stretch[min(max(pa2, 1), 65535)] * 0.00390625
    st_g = _logit_stretch(gru_step(tab.gw, gs, tab.gc, lut.pow2))
    bi = nid * 2
    xb0 = stretch[min(max(p, 1), 65535)]
    dotb = tab.gwb[bi] * xb0 + tab.gwb[bi + 1] * st_g
    return lut.squash[clamp_stretch(dotb >> 16) + 2047], st_g, xb0


@njit(cache=True, inline="always")
def gru_learn_bit(cfg, tab, lut, bit, pb, st_g, xb0, nid, lr_blend):
    gru_learn(tab.gw, tab.gs, tab.gc, lut.pow2, np.float64(bit), cfg.gru_lr)
    bi = nid * 2
    eb = ((bit << 16) - pb) * lr_blend
    tab.gwb[bi] += (xb0 * eb) >> 18
    tab.gwb[bi + 1] += (st_g * eb) >> 18


# ---- the kernel --------------------------------------------------------------------------------


@njit(cache=True, nogil=True, _nrt=False)
def code_bases(mode, syms, start, end, buf, bufpos, coder, cost_out, cfg, tab, lut, tmp):
    """Encode (mode 0) syms[start:end] into buf, or decode (mode 1) them from buf into syms.

    Returns (index reached, buffer position). Stops early when fewer than 64 output bytes are left
    so that the caller can grow the buffer and resume: all state is in the bundles. When
    ``cost_out`` is not empty, cost_out[i] receives the cost of base i in 1/256 bit.
    """
    m = cfg.orders.shape[0]
    d = cfg.dp_orders.shape[0]
    n_rep = 3 if cfg.rep_count > 0 else 0
    n_in = m + d + 5 + cfg.ce_orders.shape[0] + n_rep
    # input slots: count models, probability models, a constant 0 (the removed STCM's slot, kept:
    # the weights' start 65536 // n_in and the GRU's inputs count it), 2 match models, codon, bias,
    # extra codon models, the repeat model's 2
    i_mm = m + d + 1
    i_rm = i_mm + 1
    i_cod = i_mm + 2
    i_bias = i_mm + 3
    i_rep = i_bias + 1 + cfg.ce_orders.shape[0]
    rep_sets = 3 if n_rep > 0 else 1
    xin = tmp.xin
    for j in range(n_in):
        xin[j] = 0
    xin[i_bias] = 256
    want_cost = cost_out.shape[0] > 0
    buf_limit = buf.shape[0] - 64
    squash = lut.squash
    state = tab.state

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
    rn = state[S_RN]
    rhf = state[S_RHF]
    rhr = state[S_RHR]

    i = start
    while i < end:
        if mode == 0 and bufpos >= buf_limit:
            break
        # ---- contexts of every model ---------------------------------------------------------
        hit = count_lookup(cfg, tab, tmp, hist)
        prob_lookup(cfg, tmp, hist)
        prefetch_next(cfg, tab, hist)
        mptr, mlen, mmiss, rptr, rlen, rmiss, mhf, mhr = match_find(
            cfg, tab, pos, hist, rc, mptr, mlen, mmiss, rptr, rlen, rmiss, mhf, mhr
        )
        m_exp, m_state = match_expect(cfg, tab, lut, mptr, mlen, mmiss, False)
        r_exp, r_state = match_expect(cfg, tab, lut, rptr, rlen, rmiss, True)
        ragree = 0
        if n_rep > 0:
            rn, rhf, rhr = rep_find(cfg, tab, pos, hist, rc, rn, rhf, rhr)
            ragree = rep_vote(cfg, tab, tmp, lut, rn)
        match_sel = 0
        if m_exp >= 0 or r_exp >= 0:
            match_sel = 1 if max(mlen, rlen) < 16 else 2
        cbase, cphase = codon_context(cfg, tmp, pos, hist, cph)
        cconf = cgap if cfg.codon_k > 0 else 0
        # mixer learning rate: 4x at the start, decaying to mixer_lr after a few M bases
        lr = cfg.mixer_lr + (cfg.mixer_lr * 3 * (1 << 20)) // (pos + (1 << 20))
        # the CM/GRU blend's rate: 4x gru_blend_lr at the start, 1x at 3 M bases, then down to 1
        lr_blend = (cfg.gru_blend_lr << 22) // (pos + (1 << 20)) + 1
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
            # ---- predict: every model's input, the mixers, the SSE stages, the GRU ------------
            count_inputs(cfg, tab, tmp, lut, node, hi, xin)
            prob_inputs(cfg, tab, tmp, lut, nid, m, xin)
            codon_inputs(cfg, tab, tmp, lut, nid, cbase, i_cod, i_bias + 1, xin)
            mi = match_input(tab, lut, 0, node, hi, m_exp, m_state, xin, i_mm)
            ri = match_input(tab, lut, 1, node, hi, r_exp, r_state, xin, i_rm)
            ra = -1
            rf = 0
            if n_rep > 0:
                ra, rf = rep_inputs(tab, tmp, lut, node, hi, nid, rn, ragree, xin, i_rep)
            go = 0
            if cfg.gru_mode != 0:
                go = gru_inputs(tab, xin, n_in, i_bias, nid, pos, hist)
            w1 = (((nid * (m + 1) + hit) * 3 + match_sel) * 4 + cconf) * n_in
            w2 = (((nid * 7 + cphase) * 4 + (hist & 3)) * rep_sets + ragree) * n_in
            dot1, dot2 = mix_dot2(tab.w1, w1, tab.w2, w2, xin, n_in)
            st1 = clamp_stretch(dot1 >> 16)
            st2 = clamp_stretch(dot2 >> 16)
            pm1 = squash[st1 + 2047]
            pm2 = squash[st2 + 2047]
            st = (st1 + st2) >> 1
            c1, f1 = apm_index(st)
            a1 = (nid * 16 + o2) * APM_CELLS + c1
            a2 = (nid * 4096 + o6) * APM_CELLS + c1
            pa1 = apm_predict(tab.apm1, a1, f1)
            pa2 = apm_predict(tab.apm2, a2, f1)
            p = (2 * squash[st + 2047] + pa1 + pa2) >> 2
            st_g = 0
            xb0 = 0
            if cfg.gru_mode != 0:
                p, st_g, xb0 = gru_blend(tab, lut, go, st, pa1, pa2, p, nid)
            pb = p
            p = min(max(p, 16), 65536 - 16)
            # ---- code the bit ----------------------------------------------------------------
            bit = (sym >> 1) if node == 0 else (sym & 1)
            if mode == 0:
                bufpos = encode_bit(coder, buf, bufpos, bit, p)
            else:
                bit, bufpos = decode_bit(coder, buf, bufpos, p)
            if want_cost:
                cost += lut.log_cost[(p if bit else 65536 - p) >> 4]
            # ---- learn -----------------------------------------------------------------------
            if cfg.gru_mode != 0:
                gru_learn_bit(cfg, tab, lut, bit, pb, st_g, xb0, nid, lr_blend)
            mix_train2(tab.w1, w1, ((bit << 16) - pm1) * lr, tab.w2, w2, ((bit << 16) - pm2) * lr, xin, n_in, 18)
            count_learn(cfg, tab, tmp, lut, node, bit)
            prob_learn(cfg, tab, tmp, lut, nid, bit)
            if mi >= 0:
                update_split(tab.mm_p, tab.mm_n, mi, bit, 1023, lut.recip)
            if ri >= 0:
                update_split(tab.mm_p, tab.mm_n, ri, bit, 1023, lut.recip)
            apm_update(tab.apm1, a1, f1, bit << 20, 12)
            apm_update(tab.apm2, a2, f1, bit << 20, 12)
            if ra >= 0:
                apm_update(tab.rep_apm, ra, rf, bit << 20, 9)
                update_split(tab.rep_cp, tab.rep_cn, tmp.rcnt[4], bit, 1023, lut.recip)
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
        # ---- every model learns the base -----------------------------------------------------
        count_update(cfg, tab, tmp, sym)
        new_hist = ((hist << 2) | sym) & HIST_MASK
        new_rc = (rc >> 2) | ((3 - sym) << 58)
        ir_update(cfg, tab, lut, pending, new_hist, new_rc)
        pending = 1
        if cfg.codon_k > 0:
            cph, cgap = codon_learn(cfg, tab, tmp, lut, pos, hist, new_hist, new_rc, sym, cbase, cph)
        mptr, mlen, mmiss = match_follow(mptr, mlen, mmiss, m_exp, sym, False)
        rptr, rlen, rmiss = match_follow(rptr, rlen, rmiss, r_exp, sym, True)
        if n_rep > 0:
            rn = rep_learn(cfg, tab, tmp, lut, rn, sym, pos, new_hist)
        tab.ring[pos & ((1 << cfg.ring_bits) - 1)] = sym
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
    state[S_RN] = rn
    state[S_RHF] = rhf
    state[S_RHR] = rhr
    return i, bufpos
