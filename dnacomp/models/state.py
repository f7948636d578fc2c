"""The base model's state: every table, sized from ``ModelParams``, in the bundles the kernel takes.

``BaseModel(params)`` allocates everything once (the kernel allocates nothing and runs without
numba's reference counting). Encoder and decoder each build one from the same parameters, so
they start from the same state. Memory is fixed by the parameters, never by the input.

The kernel (``kernel.code_bases``) receives four namedtuples, defined here at module level so
that numba can cache kernels typed with them:

- ``Config``  the layout of the tables and the hyperparameters (arrays of orders and offsets,
              integers);
- ``Tables``  everything the model learns, and ``state``, the int64 vector of its scalar state
              (indices ``S_*``);
- ``Luts``    the constant tables (squash, stretch, learning-rate reciprocals, log costs, the
              match-length buckets, the GRU's powers of two);
- ``Scratch`` per-base work arrays (context slots and counts of this base).
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..coding.apm import apm_init_cells
from ..coding.logistic import LOG_COST, RECIP, SOFTPLUS, SQUASH, STRETCH, bucket_table
from . import gru
from .params import DIRECT_MAX_ORDER, ModelParams

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
S_RN = 14  # repeat model: candidates active (they are slots 0..S_RN-1)
S_RHF = 15  # repeat model: k-mer table bucket of the previous base's k-mer, -1 if none
S_RHR = 16  # repeat model: the bucket of its reverse complement
N_STATE = 17

HIST_MASK = (1 << 60) - 1
AM1_STATES = 31 * 31  # count-model map, node 0: (count of A+C, count of G+T), each 0..30
AM2_STATES = 2 * 256  # count-model map, nodes 1-2: hi x (count of the 0 base, of the 1 base)
MATCH_STATES = 16 * 8  # match length bucket x misses among the last 8
#: a repeat candidate's state: age bucket (8) x misses among its last 16 (0..16) x last outcome
REP_STATES = 8 * 17 * 2
#: a repeat candidate's age (bases followed, kept at most REP_AGE_MAX) -> 8 buckets
REP_AGE_MAX = 256
REP_AGE_BUCKET = bucket_table([0, 1, 4, 8, 16, 32, 64, 256], REP_AGE_MAX + 1)
#: the repeat vote's refinement map: contexts per node (candidates voting x agreement)
REP_APM_CTX = 8 * 2
#: match length (0..65535) -> 16 buckets, roughly logarithmic
MATCH_LEN_BUCKET = bucket_table([0, 1, 2, 3, 4, 6, 8, 12, 16, 20, 24, 32, 48, 64, 128, 256], 65536)

Config = namedtuple(
    "Config",
    [
        "orders",
        "ir",
        "offsets",
        "hashed",  # count models: order, IR on, first slot, hashed (int64)
        "dp_orders",
        "dp_ir",
        "dp_offsets",  # probability models
        "ce_orders",
        "ce_offsets",  # the codon model's extra tables
        "codon_k",
        "codon_decay",
        "codon_ir",
        "hash_bits",
        "match_min",
        "match_bits",
        "ring_bits",
        "mixer_lr",
        "am_limit",
        "dp_limit",
        "gru_mode",
        "gru_lr",
        "gru_blend_lr",
        "rep_count",
        "rep_k",
        "rep_bits",
        "rep_direct",
        "rep_slots",
        "rep_miss_limit",
        "rep_starts",
    ],
)
Tables = namedtuple(
    "Tables",
    [
        "tables",  # count models: uint16, four 4-bit counts per context
        "dp",  # probability models: uint32, (22-bit p << 10) | count
        "am1_p",
        "am1_n",
        "am2_p",
        "am2_n",  # count models' adaptive maps: p (22 bits), count
        "mm_p",
        "mm_n",  # match models' maps: 2 models x 2 nodes x MATCH_STATES x expected bit
        "match_table",  # k-mer hash -> position after its last occurrence (mod 2^32)
        "ring",  # the last 2^ring_bits bases
        "w1",
        "w2",  # the mixers' weights, flat: weight set x inputs
        "apm1",
        "apm2",  # SSE: order-2 and order-6 contexts x 3 nodes x 33 cells (int32)
        "cod",
        "ccost",
        "codx",  # codon model: table, the six frames' scores, the extra tables
        "pend",  # the inverted-repeat updates queued for the next base: (slot, base) per model
        "state",  # the scalar state (S_*)
        "gw",
        "gs",
        "gc",
        "gwb",  # the GRU (gru.py) and the integer blend of CM and GRU
        "rep_table",  # repeat model: k-mer bucket -> its ``slots`` most recent followers + 1
        "rep_ptr",
        "rep_dir",
        "rep_miss",
        "rep_age",  # its candidates: position, strand (1 = reverse complement), misses, age
        "rep_p",
        "rep_n",  # p(hit) per candidate state (REP_STATES)
        "rep_apm",  # the vote's refinement: 3 nodes x REP_APM_CTX x APM_CELLS
        "rep_cp",
        "rep_cn",  # p(bit) per node x (candidates' votes for 1, for 0), 16 x 16
    ],
)
Luts = namedtuple(
    "Luts", ["squash", "stretch", "recip", "log_cost", "mlen_bucket", "pow2", "softplus", "rep_age_bucket"]
)
Scratch = namedtuple("Scratch", ["cxb", "idx", "cnt", "amidx", "dpix", "xin", "rexp", "rcell", "rvote", "rcnt"])

LUTS = Luts(SQUASH, STRETCH, RECIP, LOG_COST, MATCH_LEN_BUCKET, gru.POW2, SOFTPLUS, REP_AGE_BUCKET)


def _aligned_full(n: int, value: int, dtype) -> np.ndarray:
    """A 1-D array of n items whose data starts on a 64-byte boundary (one cache line)."""
    itemsize = np.dtype(dtype).itemsize
    raw = np.empty(n * itemsize + 64, dtype=np.uint8)
    skip = (-raw.ctypes.data) % 64
    out = raw[skip : skip + n * itemsize].view(dtype)
    out[:] = value
    return out


def _offsets(sizes) -> list[int]:
    out = [0]
    for size in sizes:
        out.append(out[-1] + size)
    return out


class BaseModel:
    """All adaptive state of the base model; encoder and decoder each build one from params."""

    def __init__(self, params: ModelParams):
        params.validate()
        self.params = p = params
        m, d, n_ce = len(p.orders), len(p.dp_orders), len(p.codon_extra)
        offsets = _offsets(4**k if k <= DIRECT_MAX_ORDER else 4 << p.hash_bits for k in p.orders)
        dp_off = _offsets(4 * 4**k for k in p.dp_orders)
        ce_off = _offsets(6 * 4 * 4**k for k in p.codon_extra)
        i64 = lambda xs: np.array(xs, dtype=np.int64)  # noqa: E731
        self.cfg = Config(
            orders=i64(p.orders),
            ir=i64(p.ir),
            offsets=i64(offsets),
            hashed=i64([0 if k <= DIRECT_MAX_ORDER else 1 for k in p.orders]),
            dp_orders=i64(p.dp_orders),
            dp_ir=i64(p.dp_ir),
            dp_offsets=i64(dp_off),
            ce_orders=i64(p.codon_extra),
            ce_offsets=i64(ce_off),
            codon_k=p.codon_order,
            codon_decay=p.codon_decay,
            codon_ir=int(p.codon_ir),
            hash_bits=p.hash_bits,
            match_min=p.match_min,
            match_bits=p.match_bits,
            ring_bits=p.ring_bits,
            mixer_lr=p.mixer_lr,
            am_limit=p.am_limit,
            dp_limit=p.dp_limit,
            gru_mode=p.gru.mode,
            gru_lr=p.gru.lr / 10000.0,
            gru_blend_lr=p.gru.blend_lr,
            rep_count=p.rep.count,
            rep_k=p.rep.kmer,
            rep_bits=p.rep.bits,
            rep_direct=int(2 * p.rep.kmer <= p.rep.bits),
            rep_slots=p.rep.slots,
            rep_miss_limit=p.rep.miss_limit,
            rep_starts=p.rep.starts,
        )
        # count models' adaptive maps start at the counts' estimate (b + 1/2) / (a + b + 1)
        a, b = np.meshgrid(np.arange(31), np.arange(31), indexing="ij")  # a = count of 0, b = of 1
        init1 = ((b * 2 + 1) << 22) // (a * 2 + b * 2 + 2)
        a2, b2 = np.meshgrid(np.arange(16), np.arange(16), indexing="ij")
        init2 = ((b2 * 2 + 1) << 22) // (a2 * 2 + b2 * 2 + 2)
        # mixers: the inputs (ModelParams.cm_inputs) x weight sets: node x (models that know the
        # context, 0..m) x match state (3) x codon confidence (4); node x frame label (7) x last base
        # (4) x, with the repeat model, its agreement (3: no candidate, one base, several)
        n_in = p.cm_inputs()
        w0 = (1 << 16) // n_in  # weights start summing to 1: small files are not over-confident
        cells = apm_init_cells(SQUASH)
        if p.gru.mode:
            gw, gs, gc = gru.new_state(p.gru.hidden, p.gru_inputs(), p.gru.bptt, p.gru.seed)
        else:
            gw, gs, gc = np.zeros(1), np.zeros(1), np.zeros(gru.N_GC, dtype=np.int64)
        gwb = np.zeros(3 * 2, dtype=np.int64)  # blend of CM and GRU: node x (CM, GRU)
        gwb[0::2] = 1 << 16
        state = np.zeros(N_STATE, dtype=np.int64)
        state[S_MPTR] = -1
        state[S_RPTR] = -1
        state[S_MHF] = -1
        state[S_RHF] = -1
        r = max(p.rep.count, 1)
        self.tab = Tables(
            tables=_aligned_full(offsets[-1], 0, np.uint16),
            dp=_aligned_full(max(dp_off[-1], 1), 1 << 31, np.uint32),  # p = 1/2, n = 0
            am1_p=np.tile(init1.reshape(-1), m).astype(np.int64),
            am1_n=np.zeros(m * AM1_STATES, dtype=np.int64),
            am2_p=np.tile(np.tile(init2.reshape(-1), 2), m).astype(np.int64),
            am2_n=np.zeros(m * AM2_STATES, dtype=np.int64),
            mm_p=np.full(2 * 2 * MATCH_STATES * 2, 1 << 21, dtype=np.int64),
            mm_n=np.zeros(2 * 2 * MATCH_STATES * 2, dtype=np.int64),
            match_table=np.zeros(1 << p.match_bits, dtype=np.uint32),
            ring=np.zeros(1 << p.ring_bits, dtype=np.uint8),
            w1=np.full(3 * (m + 1) * 3 * 4 * n_in, w0, dtype=np.int64),
            w2=np.full(3 * 7 * 4 * (3 if p.rep.count else 1) * n_in, w0, dtype=np.int64),
            apm1=np.tile(cells, 3 * 16).astype(np.int32),
            apm2=np.tile(cells, 3 * 4096).astype(np.int32),
            cod=_aligned_full(6 * 4 * 4**p.codon_order if p.codon_order else 4, 1 << 31, np.uint32),
            ccost=np.zeros(6, dtype=np.int64),
            codx=_aligned_full(max(ce_off[-1], 4), 1 << 31, np.uint32),
            pend=np.zeros(2 * (m + d), dtype=np.int64),
            state=state,
            gw=gw,
            gs=gs,
            gc=gc,
            gwb=gwb,
            rep_table=_aligned_full(p.rep.slots << p.rep.bits if p.rep.count else 1, 0, np.uint32),
            rep_ptr=np.zeros(r, dtype=np.int64),
            rep_dir=np.zeros(r, dtype=np.int64),
            rep_miss=np.zeros(r, dtype=np.int64),
            rep_age=np.zeros(r, dtype=np.int64),
            rep_p=np.full(REP_STATES, 1 << 20, dtype=np.int64),  # p(hit) = 1/4
            rep_n=np.zeros(REP_STATES, dtype=np.int64),
            rep_apm=np.tile(cells, 3 * REP_APM_CTX).astype(np.int32),
            rep_cp=np.full(3 * 256, 1 << 21, dtype=np.int64),
            rep_cn=np.zeros(3 * 256, dtype=np.int64),
        )
        self.tmp = Scratch(
            cxb=np.zeros(max(n_ce, 1), np.int64),
            idx=np.zeros(m, np.int64),
            cnt=np.zeros(m, np.int64),
            amidx=np.zeros(m, np.int64),
            dpix=np.zeros(max(d, 1), np.int64),
            xin=np.zeros(n_in, np.int64),
            rexp=np.zeros(r, np.int64),
            rcell=np.zeros(r, np.int64),
            rvote=np.zeros(4, np.int64),
            rcnt=np.zeros(5, np.int64),
        )

    def kernel_args(self) -> tuple:
        """The bundles ``kernel.code_bases`` takes after its coding arguments."""
        return self.cfg, self.tab, LUTS, self.tmp
