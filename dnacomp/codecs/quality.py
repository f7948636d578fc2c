"""Adaptive context-mixing codec for FASTQ quality scores.

Byte format (integers little-endian; an empty quality array codes as zero bytes)::

    u8   version: 1, or 2 when a model, an APM or the mixer's selector reads a field of the
         bases (F_K3..F_K5); the decoder of a version-2 stream needs the chunk's bases, and the
         encoder writes the oldest version that holds its layout (so every stream an earlier
         dnacomp wrote, and every layout without the bases, is still version 1, byte for byte)
    u8   S, the number of distinct quality bytes (1..94)
    S x  u8 the quality bytes, strictly increasing, each in 33..126 ('!'..'~')
    if S == 1 nothing follows: every quality is that byte. Otherwise:
    S x  u8 code length of each quality (1..MAX_DEPTH = 24): a complete prefix code, assigned
         canonically (shorter codes first, ties by quality byte). It only shapes the binary tree
         through which each quality is coded (Huffman lengths of the chunk's histogram, so the
         fewest binary decisions); internal nodes are numbered 0..S-2 in order of creation
    u8   nq: the quality byte of N bases, flag-coded (one of the S bytes), or 0 = no flag
    u8   pos_shift (0..MAX_POS_SHIFT = 31): position bucket = min(pos >> pos_shift, 127); the
         encoder picks the smallest shift with (longest read of the chunk >> shift) <= 128 (17
         from 8,454,144 bp on, 24 for a read of 2^31 bp), never more than 31 (the positions of
         longer reads just share the last bucket). Earlier code accepted only 0..16 (and its
         encoder failed on such reads, so no stream it wrote has a larger shift); accepting more
         decodes every older stream byte for byte and the encoder writes the same bytes for
         every input it coded before, so the version stays 1
    u8   M, the number of context models (1..8), then M x:
           u16 field mask (bits 0..11, fields F_Q1..F_Q4; version 2: bits 0..15, F_Q1..F_K5),
           u8 table bits (10..22), u16 counter limit (1..1023)
    u8   mixer weight-set selector: a field F_* (0..11; version 2: 0..15), or 255 = one weight
         set per node
    u8   mixer learning rate (1..64)
    u8   A, the number of APM stages (0..2), then A x: u16 field mask, u8 table bits (6..16)
    u8   APM rate (1..10)
    then the binary arithmetic coder's bytes (``dnacomp.coding.arith``) to the end of the data;
    a valid stream is consumed exactly (the decoder checks it ends where it should).

Model. Qualities are coded read by read, left to right; a quality is its index v among the S
bytes, and contexts use its level (v, or v * 64 // S when S > 64; 64 = "start of read").
Before each quality the kernel packs the context fields into one word: q1, q2, q3, q4 (previous
levels), max(q2, q3), q2 == q3, the position bucket, delta (the running sum of |q_i - q_{i-1}|
over the read, log-bucketed to 0..15), the N flag of the base, how often q1 repeated (0..7), the
remaining read length (log-bucketed) and q1 / 4. A version-2 stream also packs the bases'
fields into a second word: the 3-mer and the 5-mer centred on the base (residues outside the read
and non-ACGT ones read as A), the length of the base's homopolymer run (bucketed 1, 2, 3, 4,
5-6, 7-9, 10-15, 16+) and where the base sits in it (distance from its start and to its end, each
capped at 3). Each context model hashes the fields of its mask (the bases' word multiplied into
the key, so a mask without them hashes as in version 1) to a slot of its table; the quality is
then coded as the path of its code through the tree, and at node k every model reads its counter
at slot + k (a uint32: 22-bit probability, 10-bit count;
rate 1/(n + 1.5) until the model's limit, so it adapts fast, then slowly). The stretched
probabilities are mixed by an integer logistic mixer (weight set: node x selector field, learning
rate 4x at the start, decaying), then interpolating APMs (SSE, 33 cells) keyed by their fields and
the node refine the mix: p = (mix + 3 apm) / 4 with one APM, (2 mix + apm1 + apm2) / 4 with two.
At an N base with nq != 0 a flag "quality == nq" is coded first with its own adaptive counter,
so the fixed quality of N bases costs almost nothing.

The layout is the first pass's choice (``choose_params``): table sizes by the number of
qualities, two models for wide, noisy alphabets (long reads), four otherwise, and with the bases
two more (``SEQ_MODELS``), kept only if they code the chunk's first ``SEQ_TRIAL`` qualities
smaller (``_bases_pay``); the header stores the choice.

Everything per symbol happens in one numba kernel shared by encoder and decoder (``mode``), in
integer arithmetic only (``dnacomp.coding``: tables, counters, mixer, APM), so both sides compute the same
probabilities on every machine. Its state travels as named bundles (``Reads``, ``Alphabet``,
``Fields``, ``ContextModels``, ``Mixer``, ``Apms``) and its sub-models are small inlined helpers,
so ``code_quals`` reads top to bottom: context word, N flag, then the tree walk of
``_code_symbol`` (counters predict, mixer mixes, APMs refine, the bit is coded, all learn).
Decoder memory is bounded by the validated header (at most 8 tables of 2^22 uint32 and 2 APMs
of 2^16 x 33 int32) and by the stream's length (at most
max(2^20, 16 n) table counters for n qualities, ``QualParams.check_size``).
"""

from __future__ import annotations

import struct
from collections import namedtuple

import numpy as np

from ..coding.apm import APM_CELLS, apm_index, apm_init_cells, apm_predict, apm_update
from ..coding.arith import decode_bit, decode_init, encode_bit, encode_flush, new_coder_state
from ..coding.counters import update_packed
from ..coding.hashing import KMER, seeded_hash
from ..coding.logistic import RECIP, SQUASH, STRETCH, bucket_table
from ..coding.mixer import clamp_stretch, mix_train
from ..coding.prefetch import prefetch
from ..errors import ArchiveError
from ..kernel_cache import njit

#: stream versions: 1 = contexts of the qualities only, 2 = also of the bases (F_K3..F_K5); the
#: encoder writes the oldest version that holds its layout
VERSION = 2
VERSIONS = (1, 2)
MAX_SYMBOLS = 94
MAX_DEPTH = 24
MAX_MODELS = 8
MAX_LEVELS = 64  # quality levels used in contexts (more distinct qualities are merged)
#: the largest position shift: positions are int64 in the kernel, so any shift below 64 is exact;
#: 31 covers reads up to 2^38 bp with distinct buckets (choose_params clamps to it)
MAX_POS_SHIFT = 31
POS_BUCKETS = 128  # position buckets 0..127 (the 7-bit F_POS field)

# context fields of the qualities, packed into one word (widths in bits; the kernel's packing
# must match)
F_Q1, F_Q2, F_Q3, F_QM, F_QEQ, F_POS, F_DELTA, F_ISN, F_RUN, F_REM, F_Q1C, F_Q4 = range(12)
N_QUAL_FIELDS = 12
_WIDTHS = (7, 7, 7, 7, 1, 7, 4, 1, 3, 4, 5, 7)
_SHIFTS = tuple(int(x) for x in np.cumsum((0,) + _WIDTHS[:-1]))
# context fields of the bases (stream version 2), packed into a second word: the 3-mer centred on
# the base, the length of its homopolymer run (bucketed), where in the run it is (distance from
# the run's start and to its end, each at most 3) and the centred 5-mer
F_K3, F_HP, F_HPAT, F_K5 = range(12, 16)
N_FIELDS = 16
_SEQ_WIDTHS = (6, 3, 4, 10)
_SEQ_SHIFTS = tuple(int(x) for x in np.cumsum((0,) + _SEQ_WIDTHS[:-1]))
SEQ_FIELDS_MASK = ((1 << N_FIELDS) - 1) ^ ((1 << N_QUAL_FIELDS) - 1)
#: the shift and width of every field in its word (word 1: F_Q1..F_Q4, word 2: F_K3..F_K5)
FIELD_SHIFT_T = _SHIFTS + _SEQ_SHIFTS
FIELD_WIDTH_T = _WIDTHS + _SEQ_WIDTHS
#: homopolymer run length 0..4095 -> bucket 0..7 (1, 2, 3, 4, 5-6, 7-9, 10-15, 16+)
HP_BUCKET_T = np.maximum(bucket_table([1, 2, 3, 4, 5, 7, 10, 16], 4096), 0)


def _mask(*fields: int) -> int:
    m = 0
    for f in fields:
        m |= 1 << f
    return m


# default layout: (field mask, table bits (an upper bound: choose_params shrinks tables for
# small inputs), counter limit) per model
DEFAULT_MODELS = (
    (_mask(F_Q1, F_Q2), 18, 255),
    (_mask(F_Q1, F_QM, F_QEQ, F_DELTA), 18, 255),
    (_mask(F_Q1, F_Q2, F_Q3, F_Q4), 18, 255),
    (_mask(F_Q1, F_DELTA, F_POS, F_ISN, F_REM), 18, 255),
)
DEFAULT_MIX_SEL = F_Q1C
DEFAULT_MIX_LR = 6
DEFAULT_APMS = ((_mask(F_POS), 12),)
DEFAULT_APM_RATE = 7


#: the running delta sum of a read, and the bases remaining in it, bucketed to 0..15
DELTA_BUCKET = bucket_table([0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192], 4096)
REM_BUCKET = bucket_table([0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 128, 256, 1024], 4096)
#: stretch of a 12-bit probability (the middle of its 16-bit range): small enough for L1
STRETCH12 = STRETCH[(np.arange(4096) << 4) + 8].astype(np.int32)


# ---- the kernel's state, in named bundles --------------------------------------------------------
# Module-level namedtuples of arrays and scalars: numba passes them as one argument each and
# caches kernels that take them (a jitclass cannot be cached). Arrays are shared, so what the
# kernel writes into them (counters, weights, APM cells, scratch) persists between calls.

#: the chunk: quality indices 0..S-1 (uint8; the encoder reads them, the decoder writes them),
#: the N flag of each base (uint8) and the read lengths (int64)
#: and, for a stream with sequence contexts (version 2), the base of each residue (uint8: 0..3 for
#: A, C, G, T, 4 for any other residue; an empty array otherwise)
Reads = namedtuple("Reads", ["syms", "isn", "readlen", "bases"])
#: the symbols: the code tree (``child[2 node + bit]`` = next node, or -(symbol + 1) at a leaf),
#: each symbol's code and code length, its context level and its quality value; ``nq`` the
#: symbol of the N-base flag (-1: no flag) and ``nflag`` its adaptive counter (one uint32)
Alphabet = namedtuple("Alphabet", ["child", "code", "clen", "levels", "qvals", "nq", "nflag"])
#: how the context word is built: the position shift and the delta / remaining-length buckets
Fields = namedtuple("Fields", ["pos_shift", "delta_bucket", "rem_bucket"])
#: the context models, per model j: field bits of its mask in the qualities' word and in the
#: bases' word (``fmask``, ``fmask2``), table bits, table mask (2^bits - 1),
#: counter limit, offset of its table in ``tables`` (all models' counters, uint32); the 1/n rate
#: table; scratch per quality / decision: the model's hashed slot, the counter index and value read
ContextModels = namedtuple(
    "ContextModels", ["fmask", "fmask2", "tbits", "tmask", "tlim", "toff", "tables", "recip", "hs", "ix", "ts"]
)
#: the logistic mixer: weight-set selector (which word holds its field, 0 or 1, and its shift and
#: mask there; mask 0 = one set per node), base learning rate, weights (node x 128 sets x (models + bias)),
#: the stretched inputs (scratch, the last one the bias input 256), the stretch and squash tables
Mixer = namedtuple("Mixer", ["sel_word", "sel_shift", "sel_mask", "lr", "w", "xs", "stretch", "squash"])
#: the APMs (0..2), per APM j: field bits of its mask in each word, table bits, table mask, offset of its
#: table in ``cells`` (33 int32 cells per slot); the rate shift; scratch: the hashed slot
Apms = namedtuple("Apms", ["fmask", "fmask2", "abits", "amask", "aoff", "cells", "shift", "slot"])


@njit(cache=True, inline="always", _nrt=False)
def _code_bit(mode, bit, p, buf, bufpos, coder):
    """Code (mode 0) or decode (mode 1) one bit with P(1) = p / 65536: (bit, buffer position)."""
    if mode == 0:
        bufpos = encode_bit(coder, buf, bufpos, bit, p)
    else:
        bit, bufpos = decode_bit(coder, buf, bufpos, p)
    return bit, bufpos


@njit(cache=True, inline="always", _nrt=False)
def _context(fields, p, left, q1, q2, q3, q4, delta, run, n_here):
    """The context word of the next quality: every field F_* at its place (FIELD_SHIFT_T)."""
    rem = left if left < 4095 else 4095
    qm = q2 if q2 > q3 else q3
    return (
        q1
        | (q2 << 7)
        | (q3 << 14)
        | (qm << 21)
        | ((1 if q2 == q3 else 0) << 28)
        | (min(p >> fields.pos_shift, 127) << 29)
        | (fields.delta_bucket[min(delta, 4095)] << 36)
        | (n_here << 40)
        | (min(run, 7) << 41)
        | (fields.rem_bucket[rem] << 44)
        | ((q1 >> 2) << 48)
        | (q4 << 53)
    )


@njit(cache=True, inline="always", _nrt=False)
def _seq_context(bases, i, start, end, run_start, run_end):
    """The bases' context word of the residue at ``i`` (read ``start``..``end``, homopolymer run
    ``run_start``..``run_end``): F_K3, F_HP, F_HPAT and F_K5 at their places (``_SEQ_SHIFTS``).
    Residues outside the read and non-ACGT residues read as A (code 0)."""
    k5 = np.int64(0)
    for d in range(-2, 3):
        j = i + d
        b = np.int64(bases[j]) if start <= j < end else 0
        k5 = (k5 << 2) | (b & 3 if b < 4 else 0)
    k3 = (k5 >> 2) & 63
    hl = min(run_end - run_start, 4095)
    at = min(i - run_start, 3) * 4 + min(run_end - 1 - i, 3)
    return k3 | (HP_BUCKET_T[hl] << 6) | (at << 9) | (k5 << 13)


@njit(cache=True, inline="always", _nrt=False)
def _context_key(packed, packed2, m1, m2):
    """The hash key of a context: the fields of mask ``m1`` in the qualities' word, and those of
    ``m2`` in the bases' word spread over all 64 bits (a v1 mask has m2 = 0: the key is unchanged)."""
    k = np.uint64(packed & m1)
    if m2 != 0:
        k ^= np.uint64(packed2 & m2) * np.uint64(KMER)
    return k


@njit(cache=True, inline="always", _nrt=False)
def _select_contexts(cms, apms, packed, packed2):
    """Each context model's and each APM's slot for this quality (hashed from its fields)."""
    for j in range(cms.fmask.shape[0]):
        cms.hs[j] = seeded_hash(_context_key(packed, packed2, cms.fmask[j], cms.fmask2[j]), j * 7919 + 1, cms.tbits[j])
    for j in range(apms.fmask.shape[0]):
        apms.slot[j] = seeded_hash(
            _context_key(packed, packed2, apms.fmask[j], apms.fmask2[j]), 104729 + j, apms.abits[j]
        )


@njit(cache=True, inline="always", _nrt=False)
def _prefetch_contexts(cms, nnodes):
    """Ask for every cache line of this quality's counters in every model at once (a context's
    counters are its tree's ``nnodes`` inner nodes from its slot on), so that the models' misses
    overlap rather than follow the walk down the tree one line at a time. A hint only."""
    for j in range(cms.fmask.shape[0]):
        base = cms.toff[j]
        h = cms.hs[j]
        mask = cms.tmask[j]
        for off in range(0, nnodes + 15, 16):
            prefetch(cms.tables, base + ((h + min(off, nnodes - 1)) & mask))


@njit(cache=True, inline="always", _nrt=False)
def _mixer_rate(lr, i):
    """The mixer's learning rate at quality i: 4x ``lr`` at the start, decaying to ``lr``; a
    function of i >> 10 only, so that an encoder resumed mid-stream (output buffer grown) agrees."""
    return lr + (lr * 3 * 65536) // ((i & ~1023) + 65536)


@njit(cache=True, inline="always", _nrt=False)
def _code_nflag(mode, alpha, sym, buf, bufpos, coder, recip):
    """At an N base: the flag "quality == nq" with its own counter (limit 1023): (flag, position)."""
    t = np.int64(alpha.nflag[0])
    pf = min(max((t >> 10) >> 6, 32), 65536 - 32)
    fb, bufpos = _code_bit(mode, 1 if sym == alpha.nq else 0, pf, buf, bufpos, coder)
    alpha.nflag[0] = update_packed(t, fb, 1023, recip)
    return fb, bufpos


@njit(cache=True, inline="always", _nrt=False)
def _predict(cms, mix, wb, node):
    """Context models at tree node ``node``: each reads its counter at (slot + node), remembered
    for the update, and gives the mixer its stretched probability xs[j]. Returns the mixer's dot
    product with weight set ``wb``, summed in the same pass (bias input 256 first): a separate
    ``mix_dot`` pass over xs cost 3.5% more instructions in this kernel."""
    m = cms.fmask.shape[0]
    dot = mix.w[wb + m] * 256
    for j in range(m):
        k = cms.toff[j] + ((cms.hs[j] + node) & cms.tmask[j])
        cms.ix[j] = k
        t = np.int64(cms.tables[k])
        cms.ts[j] = t
        xv = mix.stretch[t >> 20]
        mix.xs[j] = xv
        dot += mix.w[wb + j] * xv
    return dot


@njit(cache=True, inline="always", _nrt=False)
def _update_counters(cms, bit):
    for j in range(cms.fmask.shape[0]):
        cms.tables[cms.ix[j]] = update_packed(cms.ts[j], bit, cms.tlim[j], cms.recip)


@njit(cache=True, inline="always", _nrt=False)
def _mix(mix, dot):
    """The mixer's output: (stretched probability clipped to +-2047, its 16-bit probability)."""
    stm = clamp_stretch(dot >> 16)
    return stm, mix.squash[stm + 2047]


@njit(cache=True, inline="always", _nrt=False)
def _update_mixer(mix, wb, nin, bit, pm, lr):
    mix_train(mix.w, wb, mix.xs, nin, ((bit << 16) - pm) * lr, 18)


@njit(cache=True, inline="always", _nrt=False)
def _apm_cell(apms, j, node, c1):
    """Index of the left one of the two APM cells interpolated at this node."""
    return apms.aoff[j] + ((apms.slot[j] + node) & apms.amask[j]) * APM_CELLS + c1


@njit(cache=True, inline="always", _nrt=False)
def _refine(apms, node, stm, pm):
    """The APMs' refinement of the mix: (probability, cell of APM 0, cell of APM 1, weight of the
    right cell 0..127); p = (pm + 3 apm) / 4 with one APM, (2 pm + apm0 + apm1) / 4 with two."""
    c1, fr = apm_index(stm)
    pr = pm
    a0 = 0
    a1 = 0
    napm = apms.fmask.shape[0]
    if napm > 0:
        a0 = _apm_cell(apms, 0, node, c1)
        pa0 = apm_predict(apms.cells, a0, fr)
        if napm > 1:
            a1 = _apm_cell(apms, 1, node, c1)
            pa1 = apm_predict(apms.cells, a1, fr)
            pr = (2 * pm + pa0 + pa1) >> 2
        else:
            pr = (pm + 3 * pa0) >> 2
    return min(max(pr, 32), 65536 - 32), a0, a1, fr


@njit(cache=True, inline="always", _nrt=False)
def _update_apms(apms, a0, a1, fr, bit):
    napm = apms.fmask.shape[0]
    target = bit << 20
    if napm > 0:
        apm_update(apms.cells, a0, fr, target, apms.shift)
        if napm > 1:
            apm_update(apms.cells, a1, fr, target, apms.shift)


@njit(cache=True, inline="always", _nrt=False)
def _code_symbol(mode, sym, msel, lr, alpha, cms, mix, apms, buf, bufpos, coder):
    """Code (or decode) one quality as the path of its code through the tree: at every node the
    context models predict, the mixer mixes, the APMs refine, the bit is coded and all learn.
    Returns (symbol, buffer position)."""
    nin = cms.fmask.shape[0] + 1
    node = 0
    depth = 0
    cbits = 0
    cl = 0
    if mode == 0:
        cbits = alpha.code[sym]
        cl = alpha.clen[sym]
    while True:
        wb = (node * 128 + msel) * nin
        stm, pm = _mix(mix, _predict(cms, mix, wb, node))
        pr, a0, a1, fr = _refine(apms, node, stm, pm)
        bit = (cbits >> (cl - 1 - depth)) & 1 if mode == 0 else 0
        bit, bufpos = _code_bit(mode, bit, pr, buf, bufpos, coder)
        _update_mixer(mix, wb, nin, bit, pm, lr)
        _update_counters(cms, bit)
        _update_apms(apms, a0, a1, fr, bit)
        nxt = alpha.child[2 * node + bit]
        depth += 1
        if nxt < 0:
            return -nxt - 1, bufpos
        node = nxt


@njit(cache=True, nogil=True, _nrt=False)
def code_quals(mode, reads, buf, bufpos, coder, st, alpha, fields, cms, mix, apms):
    """Code qualities from the state ``st`` on; returns (symbols done, buffer position).

    ``st`` = [i, read, pos in read, q1, q2, q3, delta, run, q4, previous quality value, start and
    end of the homopolymer run at i]; the kernel stops early (encoder) when the output buffer is
    nearly full, or (decoder) when it has read far past the end of its input.
    """
    syms = reads.syms
    readlen = reads.readlen
    bases = reads.bases
    n = syms.shape[0]
    qstart = MAX_LEVELS  # level of "no previous quality"
    i, r, p, q1, q2, q3, delta, run, q4, prevq = st[0], st[1], st[2], st[3], st[4], st[5], st[6], st[7], st[8], st[9]
    run_start, run_end = st[10], st[11]
    mix.xs[cms.fmask.shape[0]] = 256  # the bias input
    lr = 0
    nbuf = buf.shape[0]
    use_bases = bases.shape[0] > 0
    packed2 = np.int64(0)
    nnodes = max(alpha.child.shape[0] // 2, 1)  # the tree's inner nodes: a context's counters
    while i < n:
        if mode == 0:
            if bufpos + 256 > nbuf:
                break
        elif bufpos > nbuf + 64:
            break
        while p >= readlen[r]:  # a new read
            r += 1
            p = 0
            q1 = q2 = q3 = q4 = qstart
            delta = 0
            run = 0
        n_here = np.int64(reads.isn[i])
        if (i & 1023) == 0 or lr == 0:
            lr = _mixer_rate(mix.lr, i)
        packed = _context(fields, p, readlen[r] - p, q1, q2, q3, q4, delta, run, n_here)
        if use_bases:
            start = i - p
            end = start + readlen[r]
            if p == 0 or i >= run_end:  # a new homopolymer run: find its end (once per run)
                run_start = i
                run_end = i + 1
                while run_end < end and bases[run_end] == bases[i]:
                    run_end += 1
            packed2 = _seq_context(bases, i, start, end, run_start, run_end)
        _select_contexts(cms, apms, packed, packed2)
        _prefetch_contexts(cms, nnodes)
        msel = ((packed2 if mix.sel_word else packed) >> mix.sel_shift) & mix.sel_mask
        sym = np.int64(syms[i]) if mode == 0 else 0
        flagged = 0
        if alpha.nq >= 0 and n_here != 0:
            flagged, bufpos = _code_nflag(mode, alpha, sym, buf, bufpos, coder, cms.recip)
        if flagged:
            sym = alpha.nq
        else:
            sym, bufpos = _code_symbol(mode, sym, msel, lr, alpha, cms, mix, apms, buf, bufpos, coder)
        if mode == 1:
            syms[i] = sym
        # history
        lev = alpha.levels[sym]
        qv = alpha.qvals[sym]
        if p > 0:
            delta += abs(qv - prevq)
        prevq = qv
        run = run + 1 if q1 == lev else 0
        q4, q3, q2, q1 = q3, q2, q1, lev
        i += 1
        p += 1
    st[0], st[1], st[2], st[3], st[4], st[5], st[6], st[7], st[8], st[9] = i, r, p, q1, q2, q3, delta, run, q4, prevq
    st[10], st[11] = run_start, run_end
    return i, bufpos


# ---- Python side -------------------------------------------------------------------------------


class QualParams:
    """Everything the decoder must know besides the symbol table (stored in the header)."""

    def __init__(
        self,
        models=DEFAULT_MODELS,
        mix_sel=DEFAULT_MIX_SEL,
        mix_lr=DEFAULT_MIX_LR,
        apms=DEFAULT_APMS,
        apm_rate=DEFAULT_APM_RATE,
        pos_shift=0,
    ):
        self.models = tuple(tuple(int(x) for x in mdl) for mdl in models)
        self.mix_sel = int(mix_sel)
        self.mix_lr = int(mix_lr)
        self.apms = tuple(tuple(int(x) for x in a) for a in apms)
        self.apm_rate = int(apm_rate)
        self.pos_shift = int(pos_shift)

    def uses_bases(self) -> bool:
        """Whether a model, an APM or the mixer's selector reads a field of the bases (F_K3..F_K5):
        such a layout is written as stream version 2, and its decoder needs the bases."""
        masks = [fm for fm, _, _ in self.models] + [fm for fm, _ in self.apms]
        return any(fm & SEQ_FIELDS_MASK for fm in masks) or N_QUAL_FIELDS <= self.mix_sel < N_FIELDS

    def validate(self, version: int = VERSION) -> None:
        """Raises ArchiveError unless the decoder of a stream of ``version`` can run this layout:
        version 1 knows the qualities' fields only (F_Q1..F_Q4), version 2 the bases' too."""
        nf = N_FIELDS if version >= 2 else N_QUAL_FIELDS
        if not 1 <= len(self.models) <= MAX_MODELS:
            raise ArchiveError("quality codec: bad model count")
        for fm, bits, lim in self.models:
            if not (0 <= fm < 1 << nf and 10 <= bits <= 22 and 1 <= lim <= 1023):
                raise ArchiveError("quality codec: bad model parameters")
        if not (0 <= self.mix_sel < nf or self.mix_sel == 255) or not 1 <= self.mix_lr <= 64:
            raise ArchiveError("quality codec: bad mixer parameters")
        if len(self.apms) > 2:
            raise ArchiveError("quality codec: bad APM count")
        for fm, bits in self.apms:
            if not (0 <= fm < 1 << nf and 6 <= bits <= 16):
                raise ArchiveError("quality codec: bad APM parameters")
        if not 1 <= self.apm_rate <= 10 or not 0 <= self.pos_shift <= MAX_POS_SHIFT:
            raise ArchiveError("quality codec: bad parameters")

    def check_size(self, n: int) -> None:
        """Tables in proportion to the data: at most max(2^20, 16 n) counters in all. The encoder's
        layouts stay far below (each table <= 2 n slots); the bound keeps a damaged header from
        making the decoder of a small stream allocate up to 128 MB."""
        if sum(1 << bits for _, bits, _ in self.models) > max(1 << 20, 16 * n):
            raise ArchiveError("quality codec: tables too large for the stream")

    def to_bytes(self) -> bytes:
        out = bytearray([self.pos_shift, len(self.models)])
        for fm, bits, lim in self.models:
            out += struct.pack("<HBH", fm, bits, lim)
        out += bytes([self.mix_sel, self.mix_lr, len(self.apms)])
        for fm, bits in self.apms:
            out += struct.pack("<HB", fm, bits)
        out.append(self.apm_rate)
        return bytes(out)

    @classmethod
    def from_bytes(cls, data: bytes, pos: int, version: int = VERSION):
        def take(k):
            nonlocal pos
            if pos + k > len(data):
                raise ArchiveError("quality codec: truncated header")
            b = data[pos : pos + k]
            pos += k
            return b

        pos_shift, m = take(2)
        if not 1 <= m <= MAX_MODELS:
            raise ArchiveError("quality codec: bad model count")
        models = [struct.unpack("<HBH", take(5)) for _ in range(m)]
        mix_sel, mix_lr, napm = take(3)
        if napm > 2:
            raise ArchiveError("quality codec: bad APM count")
        apms = [struct.unpack("<HB", take(3)) for _ in range(napm)]
        apm_rate = take(1)[0]
        p = cls(models, mix_sel, mix_lr, apms, apm_rate, pos_shift)
        p.validate(version)
        return p, pos


def _field_bits(field_mask: int) -> int:
    """The bits of the qualities' context word that the fields F_Q1..F_Q4 of a mask occupy."""
    bits = 0
    for f in range(N_QUAL_FIELDS):
        if field_mask >> f & 1:
            bits |= ((1 << _WIDTHS[f]) - 1) << _SHIFTS[f]
    return bits


def _field_bits2(field_mask: int) -> int:
    """The bits of the bases' context word that the fields F_K3..F_K5 of a mask occupy."""
    bits = 0
    for k in range(N_FIELDS - N_QUAL_FIELDS):
        if field_mask >> (N_QUAL_FIELDS + k) & 1:
            bits |= ((1 << _SEQ_WIDTHS[k]) - 1) << _SEQ_SHIFTS[k]
    return bits


def _huffman_lengths(freq: np.ndarray, max_depth: int = MAX_DEPTH) -> list[int]:
    """Code lengths of a Huffman code for the counts (all > 0), at most max_depth; deterministic."""
    import heapq

    s = len(freq)
    f = [int(x) for x in freq]
    add = 0
    while True:
        heap = [(f[k] + add, k, (k,)) for k in range(s)]
        heapq.heapify(heap)
        lens = [0] * s
        uid = s
        while len(heap) > 1:
            a = heapq.heappop(heap)
            b = heapq.heappop(heap)
            for k in a[2] + b[2]:
                lens[k] += 1
            heapq.heappush(heap, (a[0] + b[0], uid, a[2] + b[2]))
            uid += 1
        if max(lens) <= max_depth:
            return lens
        add = max(1, add * 2, sum(f) >> 12)


def _build_tree(lens: list[int]):
    """Canonical codes from lengths -> (child, code, clen). Raises ArchiveError unless complete."""
    s = len(lens)
    if any(not 1 <= ln <= MAX_DEPTH for ln in lens):
        raise ArchiveError("quality codec: bad code length")
    if sum(1 << (MAX_DEPTH - ln) for ln in lens) != 1 << MAX_DEPTH:
        raise ArchiveError("quality codec: code lengths do not form a complete code")
    order = sorted(range(s), key=lambda k: (lens[k], k))
    code = np.zeros(s, dtype=np.int64)
    clen = np.array(lens, dtype=np.int64)
    c = 0
    prev = lens[order[0]]
    for n, k in enumerate(order):
        if n:
            c = (c + 1) << (lens[k] - prev)
        prev = lens[k]
        code[k] = c
    child = np.full(2 * (s - 1), 0, dtype=np.int64)
    filled = np.zeros(2 * (s - 1), dtype=bool)
    nodes = 1
    for k in order:
        node = 0
        for d in range(lens[k] - 1, -1, -1):
            bit = int(code[k] >> d) & 1
            slot = 2 * node + bit
            if d == 0:
                if filled[slot]:
                    raise ArchiveError("quality codec: bad code")
                child[slot] = -(k + 1)
                filled[slot] = True
            else:
                if not filled[slot]:
                    if nodes >= s - 1:
                        raise ArchiveError("quality codec: bad code")
                    child[slot] = nodes
                    filled[slot] = True
                    nodes += 1
                elif child[slot] < 0:
                    raise ArchiveError("quality codec: bad code")
                node = int(child[slot])
    if not filled.all():
        raise ArchiveError("quality codec: incomplete code")
    return child, code, clen


def new_context_models(models) -> ContextModels:
    """Fresh context models for ``QualParams.models`` ((field mask, table bits, limit) each):
    every counter at p = 1/2, count 0."""
    fmask = np.array([_field_bits(fm) for fm, _, _ in models], dtype=np.int64)
    tbits = np.array([b for _, b, _ in models], dtype=np.int64)
    tlim = np.array([lim for _, _, lim in models], dtype=np.int64)
    off = [0]
    for b in tbits:
        off.append(off[-1] + (1 << int(b)))
    m = len(models)
    return ContextModels(
        fmask=fmask,
        fmask2=np.array([_field_bits2(fm) for fm, _, _ in models], dtype=np.int64),
        tbits=tbits,
        tmask=(np.int64(1) << tbits) - 1,
        tlim=tlim,
        toff=np.array(off[:-1], dtype=np.int64),
        tables=np.full(off[-1], 1 << 31, dtype=np.uint32),
        recip=RECIP,
        hs=np.zeros(m, np.int64),
        ix=np.zeros(m, np.int64),
        ts=np.zeros(m, np.int64),
    )


def new_mixer(mix_sel: int, mix_lr: int, nmodels: int, nsymbols: int) -> Mixer:
    """A fresh mixer: one weight set per (tree node, value of the selector field), each weight
    1 / nmodels (16-bit fixed point), the bias weight 0."""
    sel = mix_sel if mix_sel < N_FIELDS else -1
    nnodes = max(nsymbols - 1, 1)
    w = np.full(nnodes * 128 * (nmodels + 1), (1 << 16) // nmodels, dtype=np.int64)
    w[nmodels :: nmodels + 1] = 0
    return Mixer(
        sel_word=1 if sel >= N_QUAL_FIELDS else 0,
        sel_shift=FIELD_SHIFT_T[sel] if sel >= 0 else 0,
        sel_mask=(1 << FIELD_WIDTH_T[sel]) - 1 if sel >= 0 else 0,
        lr=int(mix_lr),
        w=w,
        xs=np.zeros(nmodels + 1, np.int64),
        stretch=STRETCH12,
        squash=SQUASH,
    )


def new_apms(apms, apm_rate: int) -> Apms:
    """Fresh APMs for ``QualParams.apms`` ((field mask, table bits) each): every slot's 33 cells
    hold the identity map (the squash of their stretch value, x 16)."""
    abits = np.array([b for _, b in apms], dtype=np.int64)
    cells = apm_init_cells(SQUASH)
    sizes = [1 << int(b) for b in abits]
    return Apms(
        fmask=np.array([_field_bits(fm) for fm, _ in apms], dtype=np.int64),
        fmask2=np.array([_field_bits2(fm) for fm, _ in apms], dtype=np.int64),
        abits=abits,
        amask=(np.int64(1) << abits) - 1,
        aoff=np.array([0, sizes[0] * APM_CELLS if sizes else 0], dtype=np.int64),
        cells=np.tile(cells, max(sum(sizes), 1)).astype(np.int32),
        shift=int(apm_rate) + 6,
        slot=np.zeros(2, np.int64),
    )


class _Model:
    """The kernel's state for one chunk (``args()``), fresh from the symbol table and the header's
    parameters, so that encoder and decoder start alike. The kernel allocates nothing (its scratch
    lives in the bundles), so it runs without numba's reference counting (``_nrt=False``)."""

    def __init__(self, values: np.ndarray, lens: list[int], nq: int, params: QualParams):
        s = len(values)
        child, code, clen = _build_tree(lens)
        if s <= MAX_LEVELS:
            levels = np.arange(s, dtype=np.int64)
        else:
            levels = (np.arange(s, dtype=np.int64) * MAX_LEVELS) // s
        p = params
        self.alphabet = Alphabet(
            child=child,
            code=code,
            clen=clen,
            levels=levels,
            qvals=values.astype(np.int64),
            nq=int(np.searchsorted(values, nq)) if nq else -1,
            nflag=np.array([1 << 31], dtype=np.uint32),
        )
        self.fields = Fields(pos_shift=p.pos_shift, delta_bucket=DELTA_BUCKET, rem_bucket=REM_BUCKET)
        self.models = new_context_models(p.models)
        self.mixer = new_mixer(p.mix_sel, p.mix_lr, len(p.models), s)
        self.apms = new_apms(p.apms, p.apm_rate)
        # i, read, pos in read, q1, q2, q3, delta, run, q4, previous quality (start of read 0),
        # homopolymer run start and end
        self.st = np.array([0, 0, 0, MAX_LEVELS, MAX_LEVELS, MAX_LEVELS, 0, 0, MAX_LEVELS, 0, 0, 0], dtype=np.int64)
        self.params = p

    def args(self) -> tuple:
        """code_quals's arguments after (mode, reads, buf, bufpos, coder)."""
        return (self.st, self.alphabet, self.fields, self.models, self.mixer, self.apms)


#: above this many binary decisions per quality (Huffman code length, x 16) the data is wide and
#: noisy (long reads): WIDE_MODELS keep the speed with hardly any loss
WIDE_DECISIONS_X16 = 72
WIDE_MODELS = DEFAULT_MODELS[:2]
#: ``fast=True``: about 25% faster, about 1.3% larger on Illumina qualities
FAST_MODELS = (DEFAULT_MODELS[0], DEFAULT_MODELS[2], DEFAULT_MODELS[3])
FAST_MAX_BITS = 16
#: the models of the bases (stream version 2), added to the layouts above when the bases are
#: known: the centred 3-mer with two previous qualities, and the centred 5-mer (qualities, bits
#: each: ONT cDNA 4.54 -> 3.98, PacBio RS II 3.25 -> 2.94, Illumina 0.7-1.4% smaller). Measured
#: against them (docs/benchmarks.md): a centred 7-mer dilutes (4.20 on ONT), a homopolymer model
#: gains 0.4% more on ONT only, the mixer's selector or an APM on the bases gain less than a model
SEQ_MODELS = ((_mask(F_Q1, F_Q2, F_K3), 22, 255), (_mask(F_Q1, F_K5), 22, 255))
SEQ_FAST_MODELS = SEQ_MODELS[1:]
#: the encoder codes a prefix of this many qualities with and without the bases' models and keeps
#: the bases' only if they make it smaller (they cost 15-30% of the codec's time)
SEQ_TRIAL = 1 << 17


def choose_params(
    n: int, readlen: np.ndarray, counts: np.ndarray, lens: list[int], fast: bool = False, with_bases: bool = False
) -> QualParams:
    """The layout for this chunk, from a first pass: table sizes by the number of qualities,
    position buckets by the longest read, fewer models when qualities need many decisions, and
    with ``with_bases`` the models of the bases too. Whatever the input, the result passes
    ``validate`` and ``check_size(n)`` (tests pin it)."""
    maxlen = int(readlen.max()) if readlen.size else 0
    shift = 0
    while (maxlen >> shift) > POS_BUCKETS and shift < MAX_POS_SHIFT:
        shift += 1
    nb = (n - 1).bit_length()
    ab = max(8, (n - 1).bit_length() - 6)
    # in Python integers: S <= 94 terms, and exact however many qualities (no int64 overflow)
    decisions = sum(int(c) * int(ln) for c, ln in zip(counts, lens))
    decisions_x16 = decisions * 16 // max(sum(int(c) for c in counts), 1)
    wide = decisions_x16 > WIDE_DECISIONS_X16
    layout = WIDE_MODELS if wide else FAST_MODELS if fast else DEFAULT_MODELS
    if with_bases:
        layout += SEQ_FAST_MODELS if fast else SEQ_MODELS
    if fast:
        nb = min(nb, FAST_MAX_BITS)
    models = tuple((fm, max(12, min(b, nb)), lim) for fm, b, lim in layout)
    apms = tuple((fm, max(6, min(b, ab))) for fm, b in DEFAULT_APMS)
    return QualParams(models=models, apms=apms, pos_shift=shift)


def _lengths_ok(readlen: np.ndarray, n: int) -> bool:
    """Read lengths are >= 0 and add up to n (checked without int64 overflow)."""
    if not readlen.size:
        return n == 0
    return bool(readlen.min() >= 0 and readlen.max() <= n) and int(readlen.sum()) == n


def _out_size(n: int) -> int:
    """First size of the output buffer (grown by doubling; the kernel resumes where it stopped)."""
    return n // 2 + 4096


def _byte_histogram(values: np.ndarray, slice_size: int = 1 << 20) -> np.ndarray:
    """np.bincount(values, minlength=256) of a uint8 array, counted slice by slice: bincount
    converts its input to intp, 8 bytes per quality at once (16 GiB for a read of 2^31 bases),
    and is several times slower over an array that size than over slices that fit in cache."""
    hist = np.zeros(256, dtype=np.int64)
    for i in range(0, values.shape[0], slice_size):
        hist += np.bincount(values[i : i + slice_size], minlength=256)
    return hist


def _residue_bases(bases: np.ndarray | None, n: int, what: type[Exception]) -> np.ndarray:
    """The bases as the kernel reads them (uint8 0..4, one per quality), or an empty array."""
    if bases is None:
        return np.empty(0, dtype=np.uint8)
    bases = np.ascontiguousarray(bases, dtype=np.uint8)
    if bases.shape[0] != n:
        raise what("quality codec: bases must have one code per quality")
    return bases
    return bases


def encode_qualities(
    quals: np.ndarray,
    readlen: np.ndarray,
    is_n: np.ndarray,
    params: QualParams | None = None,
    fast: bool = False,
    bases: np.ndarray | None = None,
) -> bytes:
    """Code one chunk's qualities (uint8, 33..126) given the read lengths (sum = len(quals)) and
    the N flags (bool, one per quality). ``params`` overrides the layout chosen from the data;
    ``fast`` chooses a lighter one. ``bases`` (uint8 per quality: 0..3 = A, C, G, T, 4 = other)
    lets the layout use the sequence around each quality; the decoder then needs the same bases
    (it gets them first: an archive decodes bases before qualities) and nothing else."""
    quals = np.ascontiguousarray(quals, dtype=np.uint8)
    readlen = np.ascontiguousarray(readlen, dtype=np.int64)
    is_n = np.ascontiguousarray(is_n, dtype=np.bool_)
    n = quals.shape[0]
    if not _lengths_ok(readlen, n):
        raise ValueError("read lengths do not add up to the number of qualities")
    if is_n.shape[0] != n:
        raise ValueError("is_n must have one flag per quality")
    res = _residue_bases(bases, n, ValueError)
    if n == 0:
        return b""
    hist = _byte_histogram(quals)
    if hist[:33].any() or hist[127:].any():
        raise ValueError("quality bytes must be in 33..126")
    values = np.nonzero(hist)[0].astype(np.uint8)
    s = len(values)
    if s == 1:
        return bytes([1, s]) + values.tobytes()
    lens = _huffman_lengths(hist[values])
    nq = 0
    if is_n.any():
        hn = _byte_histogram(quals[is_n])
        top = int(hn.argmax())
        if hn[top] * 4 >= int(is_n.sum()) * 3:
            nq = top
    v2i = np.zeros(256, dtype=np.uint8)
    v2i[values] = np.arange(s, dtype=np.uint8)
    syms = v2i[quals]
    isn8 = is_n.view(np.uint8)
    if params is None:
        params = choose_params(n, readlen, hist[values], lens, fast)
        if res.shape[0]:
            with_bases = choose_params(n, readlen, hist[values], lens, fast, with_bases=True)
            if _bases_pay(syms, isn8, readlen, res, values, lens, nq, hist[values], fast):
                params = with_bases
    version = 2 if params.uses_bases() else 1
    if version == 2 and not res.shape[0]:
        raise ValueError("quality codec: this layout reads the bases; pass bases=")
    params.validate(version)
    params.check_size(n)
    head = bytes([version, s]) + values.tobytes() + bytes(lens) + bytes([nq]) + params.to_bytes()
    reads = Reads(syms, isn8, readlen, res if version == 2 else np.empty(0, dtype=np.uint8))
    return head + _code(reads, values, lens, nq, params)


def _code(reads: Reads, values: np.ndarray, lens: list[int], nq: int, params: QualParams) -> bytes:
    """The arithmetic coder's bytes of the reads' qualities under one layout."""
    n = reads.syms.shape[0]
    model = _Model(values, lens, nq, params)
    coder = new_coder_state()
    out = np.empty(_out_size(n), dtype=np.uint8)
    pos = 0
    args = model.args()
    while True:
        done, pos = code_quals(0, reads, out, pos, coder, *args)
        if done >= n:
            break
        out = np.concatenate([out, np.empty(out.shape[0], dtype=np.uint8)])
    if out.shape[0] - pos < 8:
        out = np.concatenate([out, np.empty(16, dtype=np.uint8)])
    pos = encode_flush(coder, out, pos)
    return out[:pos].tobytes()


def _bases_pay(syms, isn8, readlen, res, values, lens, nq, counts, fast: bool) -> bool:
    """The first pass's choice of the bases' models: code the chunk's first SEQ_TRIAL qualities
    (whole reads, the last one cut) with and without them, tables sized for the trial; they are
    kept only if they code it smaller. Qualities that do not follow the bases (binned, shuffled,
    constant) are spared the bases' models' time."""
    m = min(syms.shape[0], SEQ_TRIAL)
    ends = np.cumsum(readlen)
    k = int(np.searchsorted(ends, m))  # reads 0..k-1 end at or before m; read k is cut
    trial_len = np.append(readlen[:k], m - (int(ends[k - 1]) if k else 0))
    trial_len = trial_len[trial_len > 0]
    sizes = []
    for with_bases in (False, True):
        params = choose_params(m, trial_len, counts, lens, fast, with_bases=with_bases)
        reads = Reads(syms[:m], isn8[:m], trial_len, res[:m] if with_bases else np.empty(0, dtype=np.uint8))
        sizes.append(len(_code(reads, values, lens, nq, params)))
    return sizes[1] < sizes[0]


def decode_qualities(data: bytes, readlen: np.ndarray, is_n: np.ndarray, bases: np.ndarray | None = None) -> np.ndarray:
    """The exact uint8 qualities; raises ArchiveError on any damage the stream can reveal.
    A version-2 stream needs the ``bases`` it was coded with (see ``encode_qualities``)."""
    readlen = np.ascontiguousarray(readlen, dtype=np.int64)
    is_n = np.ascontiguousarray(is_n, dtype=np.bool_)
    n = is_n.shape[0]
    if not _lengths_ok(readlen, n):
        raise ArchiveError("quality codec: read lengths do not add up to the number of qualities")
    data = bytes(data)
    if n == 0:
        if data:
            raise ArchiveError("quality codec: data for an empty quality stream")
        return np.empty(0, dtype=np.uint8)
    if len(data) < 2:
        raise ArchiveError("quality codec: truncated header")
    version = data[0]
    if version not in VERSIONS:
        raise ArchiveError(f"quality codec: unknown version {version}")
    s = data[1]
    if not 1 <= s <= MAX_SYMBOLS or len(data) < 2 + s:
        raise ArchiveError("quality codec: bad symbol table")
    values = np.frombuffer(data, dtype=np.uint8, count=s, offset=2).copy()
    if values[0] < 33 or values[-1] > 126 or (s > 1 and np.any(np.diff(values.astype(np.int64)) <= 0)):
        raise ArchiveError("quality codec: bad symbol table")
    pos = 2 + s
    if s == 1:
        if len(data) != pos:
            raise ArchiveError("quality codec: trailing data")
        return np.full(n, values[0], dtype=np.uint8)
    if len(data) < pos + s + 1:
        raise ArchiveError("quality codec: truncated header")
    lens = list(data[pos : pos + s])
    nq = data[pos + s]
    pos += s + 1
    if nq and nq not in set(values.tolist()):
        raise ArchiveError("quality codec: bad N quality")
    params, pos = QualParams.from_bytes(data, pos, version)
    params.check_size(n)
    res = np.empty(0, dtype=np.uint8)
    if version == 2:
        if bases is None:
            raise ArchiveError("quality codec: a version-2 stream needs the bases of its reads")
        res = _residue_bases(bases, n, ArchiveError)
    model = _Model(values, lens, nq, params)
    buf = np.frombuffer(data, dtype=np.uint8, offset=pos).copy()
    syms = np.zeros(n, dtype=np.uint8)
    coder = new_coder_state()
    bpos = decode_init(coder, buf, 0)
    done, bpos = code_quals(1, Reads(syms, is_n.view(np.uint8), readlen, res), buf, bpos, coder, *model.args())
    if done != n or bpos != buf.shape[0]:
        raise ArchiveError("quality stream does not end where it should (truncated or corrupt)")
    return values[syms]
