"""Read-name tokeniser codec: FASTQ read names and FASTA header lines, one chunk at a time.

Byte format of ``encode_names(names, n)`` (``n`` is kept by the caller, not stored here)::

    n == 0:  nothing (0 bytes)
    n >= 1:  version byte (1) | uvarint total = len(names) (LEB128) | arithmetic-coded stream

``names`` is the n names joined by b"\n" (no trailing newline; names may hold any other byte and
may be empty). The coded stream is the output of ``dnacomp.coding.arith`` flushed with its 4
bytes; the decoder must end exactly on its last byte, else the stream is corrupt.

The model. One numba kernel codes and decodes (``mode`` 0 = encode, 1 = decode; the encoder also
uses 2 = cost estimate and 3 = update only), all in integer arithmetic, so both sides agree bit
for bit on every machine. Calls are independent: every table starts fresh. The kernel's state
travels as named bundles (``Probs``, ``Tokens``, ``Neighbours``, ``Predictors``, ``Strings``) and
each sub-model below is a small inlined helper (``_code_type``, ``_key_prediction``,
``_choose_prediction``, ``_code_value``, ``_code_pad``, ``_code_char``, ``_code_recent``,
``_code_bytes``), so ``_kernel`` reads top to bottom: start a name, code its tokens, end it.

- Tokens: each name is cut into digit runs (numbers of at most 18 digits, a longer run becomes
  several; leading zeros are kept as a pad count ``z``), runs of ASCII letters, and single other
  bytes; token 63 is a tail holding all the remaining bytes of a long name.
- Token type: a flag "same type as the previous name's token at this index", else a 3-bit tree,
  in the context of (index, previous type). END closes the name.
- Letters / tail: "equal to the k-th most recent distinct string at this index" flags (4 kept,
  move to front), else the length (number coder) and the bytes (order-1 binary trees).
- Single byte: a flag "same as the previous name's", else an 8-bit tree per index.
- Numbers: up to four predictions compete per index, chosen backwards-adaptively by the recent
  size of their residuals (no side information): P0 the previous name's number at this index;
  P1 interpolation between the two earlier names whose *key* (this name's first number that was
  not equal to its prediction, e.g. a read serial) is nearest below and above this name's key,
  over names still agreeing with this one on the numbers coded since the key (e.g. same tile) -
  reads in random order then predict coordinates that grow with their serial; P2, P3 the last
  two numbers of this name (ranges such as ``chr2L:100-1999``). Then a flag EQ (= prediction),
  else either a signed DELTA from the prediction or the number itself (NEW), per index by which
  of the two codings has recently been cheaper (both learn every number; the costs are compared
  on every 4th name), again with no flag.
- Number coder: the bit length (6-bit tree per kind and index; DELTAs of P1 also by the bit
  length of the key gap), then the bits below the top bit, the first 4 in the context of the
  bits above (hashed), the rest by bit position.
- Pad count: flag z == 0, flag z == previous z, else a 5-bit tree.
- Every decision has an adaptive probability (22 bits + a 10-bit count, rate 1/n up to 255),
  coded with 16-bit probabilities clipped to [32, 65504] (at most 11 bits per decision).

Neighbours for P1 are found in a hash of (key index, monotone bucket of the key: bit length and
top bits) walking at most 32 buckets each way and 256 entries per name; only the first 2^20
names of a call are remembered.

Decoding is bounded: the output has exactly the stored total length (at most ``max_size``), every
loop is bounded by names, 64 tokens per name and that length, ``n`` may not exceed what the data
could hold, and any inconsistency (a decoded newline, a number over 18 digits, bytes past the
total, the stream read past its end or not consumed exactly) raises ``ArchiveError``.

Memory: the encoder reads the names in place and holds its output, written through a buffer of
at most 1 MiB that is emptied whenever it runs low, even inside a name; the decoder holds its
input and output. Both add the tables above (a few MB, plus 280 bytes per name remembered, at
most 2^20 of them), never a multiple of a name's length.

Speed note: the kernels are compiled with ``_nrt=False`` (no reference counting): with it on,
the array arguments of the many inlined bit coders cost ~40% of the time in atomic increfs.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..coding.arith import decode_bit, decode_init, encode_bit, encode_flush, new_coder_state
from ..coding.bits import bitlen as _bitlen
from ..coding.counters import update_packed
from ..coding.hashing import fib_hash, kmer_hash
from ..coding.logistic import LOG_COST, RECIP
from ..coding.varint import decode_uvarints_at, encode_uvarints
from ..errors import ArchiveError
from ..kernel_cache import njit

__all__ = ["encode_names", "decode_names", "MAX_DECODED"]

VERSION = 1
MAX_DECODED = 1 << 30  # default cap on a decoded chunk's names (bytes)
MAX_NAMES_PER_BYTE = 12_000  # a decision costs >= log2(65536/65504) bit: bounds n by the data
MAX_ROWS = 1 << 20  # names per call remembered by the neighbour predictor (memory bound)

MAXT = 64  # tokens per name; token MAXT-1 is the tail
NV = 32  # token indices whose numbers are kept for the neighbour predictor
MAXDIG = 18
POW18 = 10**18
LIMIT = 255  # adaptive probabilities: count at which the rate stops decreasing
EVAL_MASK = 3  # DELTA/NEW costs are compared on names i % 4 == 0 (and the first 64)
SPAN = 32  # neighbour search: buckets looked at each side
STEPS = 256  # neighbour search: entries walked per name
TREE_DEPTH = 4  # a number's first bits below its top bit coded in the context of the bits above
NEW_BIAS = 128  # 1/256 bit: DELTA must beat NEW by this much (on average) to be chosen
# Encoder output room. A decision emits at most the 4 bytes of the coder's state, a name codes at
# most MAXT tokens + END outside its byte strings (<= 78 decisions each) and a string byte is 8
# decisions: 65 * 78 * 4 + 8 * 4 < RESERVE. So a name starts with min(160 per byte, RESERVE) of
# room, and a byte string suspends the kernel (SUSPENDED) when less than RESERVE is left: the
# caller empties the buffer and resumes, and a long name never needs room for all of its output.
RESERVE = 1 << 15
SUSPENDED = 7  # the kernel's "out of room inside a byte string" return code (not an error)
OUT_CHUNK = 1 << 20  # encoder output buffer size at most (emptied into a list when full)

T_END, T_NUM, T_ALPHA, T_CHAR, T_TAIL = 0, 1, 2, 3, 4
NH = 4  # recent distinct strings remembered per token index
NP = 4  # number predictors: previous name, key neighbours, the last 2 numbers of this name
K_NEW, K_RES0, K_ALEN, K_TLEN = 0, 1, 1 + NP, 2 + NP  # number-coder kinds
NK = 3 + NP  # slots = kind * 64 + token index

# sections of the small table ``tb``
OFF_TYPE = 0  # 64 idx x 8 prev types x 8 nodes
OFF_EQ = OFF_TYPE + 64 * 8 * 8  # (idx, pid) x last outcome (4)
OFF_SIGN = OFF_EQ + 64 * NP * 4  # (idx, pid)
OFF_AH = OFF_SIGN + 64 * NP  # letters / tail: equal to recent string k (idx, prev type, k)
OFF_CM = OFF_AH + 64 * 2 * NH  # single byte: same as before (idx)
OFF_Z0 = OFF_CM + 64  # (idx, previous z == 0)
OFF_ZEQ = OFF_Z0 + 128  # idx
OFF_ZT = OFF_ZEQ + 64  # idx x 32 nodes
OFF_NB = OFF_ZT + 64 * 32  # slot x 64 nodes
OFF_LOW = OFF_NB + NK * 64 * 64  # slot x 64 bit positions
OFF_ALPHA = OFF_LOW + NK * 64 * 64  # prev char x 256 nodes
OFF_CHAR = OFF_ALPHA + 256 * 256  # idx x 256 nodes
OFF_TAIL = OFF_CHAR + 64 * 256  # prev byte x 256 nodes
OFF_NBC = OFF_TAIL + 256 * 256  # key-neighbour residuals: (idx, key gap) x 64 nodes
TB_SIZE = OFF_NBC + 64 * 64 * 64


@njit(cache=True, inline="always", _nrt=False)
def _cb(mode, bit, t, i, cs, buf):
    """Code (mode 0) or decode (mode 1) one bit with the adaptive probability t[i]; mode 2 adds
    its cost to cs[5], mode 3 only updates the probability."""
    v = np.int64(t[i])
    p = v >> 16
    if p < 32:
        p = 32
    elif p > 65504:
        p = 65504
    if mode == 2:  # cost estimate only (encoder): 1/256 bits into cs[5], no update
        q = (p if bit else 65536 - p) >> 4
        cs[5] += LOG_COST[q if q > 0 else 1]
        return bit
    if mode == 0:
        cs[3] = encode_bit(cs, buf, cs[3], bit, p)
    elif mode == 1:
        bit, cs[3] = decode_bit(cs, buf, cs[3], p)
    # mode 3: update only (the decoder knows the bit)
    t[i] = update_packed(v, bit, LIMIT, RECIP)
    return bit


@njit(cache=True, inline="always", _nrt=False)
def _ndig(v):
    d = 1
    while v >= 10:
        v //= 10
        d += 1
    return d


@njit(cache=True, inline="always", _nrt=False)
def _tree(mode, v, nbits, tb, base, cs, buf):
    """An nbits-bit value coded as a binary tree from its top bit, node n's bit in counter
    base + n (n = 1 .. 2^nbits - 1); returns the value (decoded, when decoding)."""
    node = 1
    for k in range(nbits - 1, -1, -1):
        node = 2 * node + _cb(mode, (v >> k) & 1, tb, base + node, cs, buf)
    return node - (1 << nbits)


@njit(cache=True, nogil=True, _nrt=False)
def _num(mode, v, slot, base, tb, hbits, tdepth, cs, buf):
    """Code an unsigned value < 2^60: bit length (6-bit tree), then the bits from the top.
    Returns the value, or -1 for an impossible (corrupt) bit length."""
    nb = _tree(mode, _bitlen(v) if mode != 1 else 0, 6, tb, base, cs, buf)
    if nb > 60:
        return -1
    if nb == 0:
        return 0
    x = 1
    lbase = OFF_LOW + slot * 64
    for b in range(nb - 2, -1, -1):
        bit = (v >> b) & 1 if mode != 1 else 0
        if nb - 2 - b < tdepth:
            bit = _cb(mode, bit, tb, TB_SIZE + fib_hash(((slot * 64 + nb) << 14) | x, hbits), cs, buf)
        else:
            bit = _cb(mode, bit, tb, lbase + b, cs, buf)
        x = 2 * x + bit
    return x


@njit(cache=True, nogil=True, _nrt=False)
def _byte(mode, c, tb, base, cs, buf):
    return _tree(mode, c, 8, tb, base, cs, buf)


@njit(cache=True, inline="always", _nrt=False)
def _cost(r):
    if r == 0:
        return 0
    if r < 0:
        r = -r
    return 2 * _bitlen(r) + 2


@njit(cache=True, inline="always", _nrt=False)
def _bcoord(kval, bbits):
    """Monotone bucket coordinate of a key: the key itself when short, else its bit length and
    top ``bbits`` bits, so that neighbouring coordinates hold neighbouring keys."""
    nb = _bitlen(kval)
    if nb <= bbits:
        return kval
    return ((nb - bbits) << (bbits - 1)) + (kval >> (nb - bbits))


@njit(cache=True, inline="always", _nrt=False)
def _bhash(kidx, b, hb):
    """The key hash's bucket of (key index, bucket coordinate)."""
    return kmer_hash(((kidx << 48) ^ b) + 1, hb)


@njit(cache=True, nogil=True, _nrt=False)
def _tokenise(txt, s, e, tok, c):
    """Fill tok[c] with the tokens of txt[s:e]; returns the token count (END not counted)."""
    t = 0
    p = s
    while p < e:
        if t == MAXT - 1:
            tok[c, 0, t] = T_TAIL
            tok[c, 3, t] = p
            tok[c, 4, t] = e - p
            return t + 1
        ch = txt[p]
        tok[c, 3, t] = p
        if 48 <= ch <= 57:
            q = p
            v = 0
            while q < e and q - p < MAXDIG and 48 <= txt[q] <= 57:
                v = v * 10 + (txt[q] - 48)
                q += 1
            tok[c, 0, t] = T_NUM
            tok[c, 1, t] = v
            tok[c, 2, t] = (q - p) - _ndig(v)
            tok[c, 4, t] = q - p
            p = q
        elif (65 <= ch <= 90) or (97 <= ch <= 122):
            q = p
            while q < e and ((65 <= txt[q] <= 90) or (97 <= txt[q] <= 122)):
                q += 1
            tok[c, 0, t] = T_ALPHA
            tok[c, 4, t] = q - p
            p = q
        else:
            tok[c, 0, t] = T_CHAR
            tok[c, 1, t] = ch
            tok[c, 4, t] = 1
            p += 1
        t += 1
    return t


# ---- the kernel's state, in named bundles --------------------------------------------------------
# Module-level namedtuples of arrays and scalars: numba passes each as one argument and caches
# kernels that take them (a jitclass cannot be cached). Their arrays are shared, so what the
# kernel writes into them persists between the calls of one chunk (an encoder that stops and
# resumes).

#: every decision's adaptive probability (``tb``: the sections OFF_* then 2^hbits hashed number
#: contexts), and the number coder's settings: hash bits, bits coded in the context of the bits above
Probs = namedtuple("Probs", ["tb", "hbits", "tdepth"])
#: the tokens of this name and the previous one (``tok[name & 1, field, index]``, fields: type,
#: value, pad count, text position, length), their counts, and a suspended name's state (``saved``)
Tokens = namedtuple("Tokens", ["tok", "ntok", "saved"])
#: the key-neighbour index (P1): each remembered name's numbers (``vals[row, index]``, -1 = none),
#: key index and value, and a hash of (key index, key bucket) chained through ``nxt``; bucket bits
#: and hash bits
Neighbours = namedtuple("Neighbours", ["vals", "keyidx", "keyval", "heads", "nxt", "bbits", "hb"])
#: the number predictors per token index: last outcome (EQ / DELTA / NEW), each predictor's recent
#: residual size, the DELTA-over-NEW cost balance and its bias; scratch: the candidates of this
#: number (usable, value) and this name's numbers so far
Predictors = namedtuple("Predictors", ["lastk", "score", "dsel", "new_bias", "pok", "pv", "nums"])
#: the recent distinct strings per token index (text position, length; move to front), and how many
Strings = namedtuple("Strings", ["hpos", "hlen", "hcnt"])


@njit(cache=True, inline="always", _nrt=False)
def _uint(mode, v, slot, base, probs, cs, buf):
    return _num(mode, v, slot, base, probs.tb, probs.hbits, probs.tdepth, cs, buf)


@njit(cache=True, inline="always", _nrt=False)
def _new_number(mode, v, tt, probs, cs, buf):
    """A number coded as itself (NEW), in the contexts of token index tt."""
    slot = K_NEW * 64 + tt
    return _num(mode, v, slot, OFF_NB + slot * 64, probs.tb, probs.hbits, probs.tdepth, cs, buf)


@njit(cache=True, inline="always", _nrt=False)
def _code_type(mode, typ, ptyp, t, tb, cs, buf):
    """Token-type model: "same type as the previous name's token t", else a 3-bit tree, in the
    context of (t, previous type)."""
    base = OFF_TYPE + (t * 8 + ptyp) * 8
    if _cb(mode, 1 if typ == ptyp else 0, tb, base, cs, buf):
        return ptyp
    return _tree(mode, typ, 3, tb, base, cs, buf)


@njit(cache=True, inline="always", _nrt=False)
def _key_prediction(vals, t, kval, lo, hi, klo, khi, lo_ok, hi_ok):
    """P1: the number at index t interpolated between the key neighbours below and above that
    still agree with this name. Returns (usable, value, context of the residual: key gap)."""
    p1ok = False
    p1 = 0
    conf = 0
    a_ok = lo >= 0 and lo_ok and vals[lo, t] >= 0
    b_ok = hi >= 0 and hi_ok and vals[hi, t] >= 0
    if a_ok and b_ok:
        conf = _bitlen(khi - klo)
        conf = conf if conf < 32 else 31
        va = vals[lo, t]
        vb = vals[hi, t]
        dk = khi - klo
        dv = vb - va
        if dk == 0:
            p1 = va
        elif -(1 << 30) < dv < (1 << 30) and dk < (1 << 30):
            num = 2 * dv * (kval - klo) + dk
            p1 = va + num // (2 * dk)
        elif kval - klo <= khi - kval:
            p1 = va
        else:
            p1 = vb
        p1ok = True
    elif a_ok:
        p1 = vals[lo, t]
        p1ok = True
        conf = _bitlen(kval - klo)
        conf = 32 + (conf if conf < 32 else 31)
    elif b_ok:
        p1 = vals[hi, t]
        p1ok = True
        conf = _bitlen(khi - kval)
        conf = 32 + (conf if conf < 32 else 31)
    return p1ok, p1, conf


@njit(cache=True, inline="always", _nrt=False)
def _choose_prediction(preds, tt, p0ok, p0, p1ok, p1, nn):
    """The candidates (0 previous name, 1 key neighbours, 2.. earlier numbers of this name) and
    the one with the smallest recent residuals at index tt: (predictor or -1, prediction)."""
    pok = preds.pok
    pv = preds.pv
    pok[0] = 1 if p0ok else 0
    pv[0] = p0
    pok[1] = 1 if p1ok else 0
    pv[1] = p1
    for k in range(1, NP - 1):
        pok[k + 1] = 1 if nn >= k else 0
        pv[k + 1] = preds.nums[nn - k] if nn >= k else 0
    pid = -1
    for k in range(NP):
        if pok[k] and (pid < 0 or preds.score[tt, k] < preds.score[tt, pid]):
            pid = k
    return pid, pv[pid] if pid >= 0 else 0


@njit(cache=True, inline="always", _nrt=False)
def _code_value(mode, i, v, tt, pid, pred, conf, probs, preds, cs, buf):
    """Numeric-delta model: flag EQ (= prediction), else a signed DELTA from the prediction or
    the number itself (NEW), per index by which has recently been cheaper (both learn every
    sampled number; no flag). Returns (value, outcome 0 EQ / 1 DELTA / 2 NEW, error code)."""
    tb = probs.tb
    outcome = 2
    if pid >= 0:
        cx = (tt * NP + pid) * 4 + preds.lastk[tt]
        if _cb(mode, 1 if v == pred else 0, tb, OFF_EQ + cx, cs, buf):
            return pred, 0, 0
        small = 1 if preds.dsel[tt, pid] < 0 else 0
        r = v - pred
        ar = r if r >= 0 else -r
        slot_r = (K_RES0 + pid) * 64 + tt
        nb_r = OFF_NB + slot_r * 64
        if pid == 1:  # interpolation: the residual's size depends on the key gap
            nb_r = OFF_NBC + (tt * 64 + conf) * 64
        sign = OFF_SIGN + tt * NP + pid
        if small:
            neg = _cb(mode, 1 if r < 0 else 0, tb, sign, cs, buf)
            m = _uint(mode, ar, slot_r, nb_r, probs, cs, buf)
            if m <= 0:
                return v, outcome, 3
            v = pred - m if neg else pred + m
            outcome = 1
        else:
            v = _new_number(mode, v, tt, probs, cs, buf)
            if v < 0 or v >= POW18:
                return v, outcome, 3
        if i < 64 or (i & EVAL_MASK) == 0:  # sampled, to save time
            r = v - pred
            ar = r if r >= 0 else -r
            if small:  # the coding not used learns the number too
                _new_number(3, v, tt, probs, cs, buf)
            elif r != 0:
                _cb(3, 1 if r < 0 else 0, tb, sign, cs, buf)
                _uint(3, ar, slot_r, nb_r, probs, cs, buf)
            cs[5] = 0
            _cb(2, 1 if r < 0 else 0, tb, sign, cs, buf)
            _uint(2, ar, slot_r, nb_r, probs, cs, buf)
            c_small = cs[5]
            cs[5] = 0
            _new_number(2, v, tt, probs, cs, buf)
            preds.dsel[tt, pid] += (c_small - cs[5] + preds.new_bias - preds.dsel[tt, pid]) >> 4
        return v, outcome, 0
    return _new_number(mode, v, tt, probs, cs, buf), outcome, 0


@njit(cache=True, inline="always", _nrt=False)
def _code_pad(mode, z, pz, tt, tb, cs, buf):
    """Pad-count model (leading zeros): flag z == 0 (in the context of pz == 0), flag z == pz
    (the previous name's), else a 5-bit tree."""
    if _cb(mode, 1 if z == 0 else 0, tb, OFF_Z0 + tt * 2 + (1 if pz == 0 else 0), cs, buf):
        return 0
    if pz != 0 and _cb(mode, 1 if z == pz else 0, tb, OFF_ZEQ + tt, cs, buf):
        return pz
    return _tree(mode, z, 5, tb, OFF_ZT + tt * 32, cs, buf)


@njit(cache=True, inline="always", _nrt=False)
def _score_predictors(preds, tt, v):
    """Each usable predictor's recent residual size at index tt (1/256 bit, rate 1/16)."""
    for k in range(NP):
        if preds.pok[k]:
            preds.score[tt, k] += (_cost(v - preds.pv[k]) * 256 - preds.score[tt, k]) >> 4


@njit(cache=True, inline="always", _nrt=False)
def _find_neighbours(nbrs, kidx, kval):
    """The remembered names whose key (at index kidx) is nearest below and above kval: walks the
    key hash from kval's bucket down (at most SPAN buckets, STEPS entries in all), then up.
    Returns (row below or -1, row above or -1, their keys)."""
    lo = -1
    hi = -1
    klo = -1
    khi = 1 << 62
    bc = _bcoord(kval, nbrs.bbits)
    steps = 0
    for side in range(2):  # 0: down for lo (bucket bc too), 1: up for hi
        for d in range(SPAN):
            b2 = bc - d if side == 0 else bc + 1 + d
            if b2 < 0 or steps >= STEPS:
                break
            j = nbrs.heads[_bhash(kidx, b2, nbrs.hb)]
            while j >= 0 and steps < STEPS:
                if nbrs.keyidx[j] == kidx:
                    kv = nbrs.keyval[j]
                    if kv <= kval and kv > klo:
                        lo = j
                        klo = kv
                    if kv >= kval and kv < khi:
                        hi = j
                        khi = kv
                j = nbrs.nxt[j]
                steps += 1
            if lo >= 0 if side == 0 else hi >= 0:
                break
    return lo, hi, klo, khi


@njit(cache=True, inline="always", _nrt=False)
def _remember_key(nbrs, i, kidx, kval):
    h = _bhash(kidx, _bcoord(kval, nbrs.bbits), nbrs.hb)
    nbrs.nxt[i] = nbrs.heads[h]
    nbrs.heads[h] = i
    nbrs.keyidx[i] = kidx
    nbrs.keyval[i] = kval


@njit(cache=True, inline="always", _nrt=False)
def _code_char(mode, ch, same_type, pch, t, tb, cs, buf):
    """Single-byte model: flag "same as the previous name's" (when that is a byte too), else an
    8-bit tree per index."""
    if same_type and _cb(mode, 1 if ch == pch else 0, tb, OFF_CM + t, cs, buf):
        return pch
    return _byte(mode, ch, tb, OFF_CHAR + t * 256, cs, buf)


@njit(cache=True, inline="always", _nrt=False)
def _code_recent(mode, t, typ, pa, ln, w, txt, dst, strs, probs, cs, buf, cap):
    """Letters / tail, first part: flags "equal to the k-th most recent distinct string at index
    t" (context: same type as the previous name's token); on a hit the string is copied
    (decoder) and moved to the front, else its length is coded. Returns (k or -1, length, error)."""
    hn = strs.hcnt[t]
    found = -1
    if mode == 0:
        for k in range(hn):
            if strs.hlen[t, k] == ln:
                ps = strs.hpos[t, k]
                found = k
                for q in range(ln):
                    if txt[ps + q] != txt[w + q]:
                        found = -1
                        break
                if found >= 0:
                    break
    hit = -1
    for k in range(hn):
        if _cb(mode, 1 if found == k else 0, probs.tb, OFF_AH + (t * 2 + pa) * NH + k, cs, buf):
            hit = k
            break
    if hit >= 0:
        ln = strs.hlen[t, hit]
        ps = strs.hpos[t, hit]
        if mode == 1:
            if w + ln > cap:
                return hit, ln, 4
            for q in range(ln):
                dst[w + q] = txt[ps + q]
        for k in range(hit, 0, -1):
            strs.hpos[t, k] = strs.hpos[t, k - 1]
            strs.hlen[t, k] = strs.hlen[t, k - 1]
        return hit, ln, 0
    kind = K_ALEN if typ == T_ALPHA else K_TLEN
    ln = _uint(mode, ln, kind * 64 + t, OFF_NB + (kind * 64 + t) * 64, probs, cs, buf)
    if ln < 0 or w + ln > cap:
        return hit, ln, 4
    return hit, ln, 0


@njit(cache=True, inline="always", _nrt=False)
def _code_bytes(mode, q0, ln, c1, w, tbase, txt, dst, tb, cs, buf):
    """Letters / tail, second part: bytes q0..ln-1 of a new string, each an 8-bit tree in the
    context of the byte before (c1). The encoder stops (SUSPENDED) when less than RESERVE bytes
    of output room are left. Returns (next byte, its context, 0 / SUSPENDED / error 5)."""
    for q in range(q0, ln):
        if mode == 0 and buf.shape[0] - cs[3] < RESERVE:
            return q, c1, SUSPENDED
        ch = txt[w + q] if mode == 0 else 0
        ch = _byte(mode, ch, tb, tbase + c1 * 256, cs, buf)
        if mode == 1:
            if ch == 10:
                return q, c1, 5
            dst[w + q] = ch
        c1 = ch
    return ln, c1, 0


@njit(cache=True, inline="always", _nrt=False)
def _push_string(strs, t):
    """Make room at the front of index t's recent strings for a new one (the oldest drops out)."""
    hn = strs.hcnt[t]
    if hn < NH:
        hn += 1
        strs.hcnt[t] = hn
    for k in range(hn - 1, 0, -1):
        strs.hpos[t, k] = strs.hpos[t, k - 1]
        strs.hlen[t, k] = strs.hlen[t, k - 1]


@njit(cache=True, inline="always", _nrt=False)
def _write_number(dst, w, width, v):
    """The decoder's output of a number: ``width`` digits (leading zeros included) at dst[w]."""
    x = v
    for q in range(w + width - 1, w - 1, -1):
        dst[q] = 48 + x % 10
        x //= 10


@njit(cache=True, nogil=True, _nrt=False)
def _kernel(mode, n, i0, txt, dst, buf, cs, probs, toks, nbrs, preds, strs):
    """Code names i0..n-1 (``txt``, read only: the encoder's input; the decoder's output, which it
    writes through ``dst``, the same memory; the encoder passes an empty ``dst``). Returns (names
    done, error code); encoding stops early (error 0) when the output buffer may not hold the
    next name, or (SUSPENDED, encoder only) inside a name's byte string when less than RESERVE
    bytes are left: the name's state is then in ``toks.saved`` and the next call, with the same
    i0, goes on from there. The coded bytes do not depend on where the calls stop.
    cs[3] = coded position, cs[4] = text position.
    Error codes: 1 bad type, 2 stream overrun, 3 bad number, 4 output overflow, 5 newline."""
    cap = txt.shape[0]
    tb = probs.tb
    tok = toks.tok
    sv = toks.saved  # a suspended name's state (encoder only): see SUSPENDED
    vals = nbrs.vals
    rows = vals.shape[0]
    resume = sv[0] == 1
    sv[0] = 0
    for i in range(i0, n):
        c = i & 1
        pc = c ^ 1
        pnt = toks.ntok[pc]
        s = cs[4]
        # ---- start a name (or go back inside the byte string where the last call stopped) ----
        if resume:
            e, w, t, nn = sv[1], sv[2], sv[3], sv[13]
            row = sv[4] != 0
            kidx, kval, lo, hi, klo, khi = sv[5], sv[6], sv[7], sv[8], sv[9], sv[10]
            lo_ok = sv[11] != 0
            hi_ok = sv[12] != 0
        else:
            if mode == 0:
                e = s
                while e < cap and txt[e] != 10:
                    e += 1
                # room for the whole name, or for RESERVE: its long byte strings then check
                # the room byte by byte (and suspend), so the buffer need not hold them at once
                need = 160 * (e - s + 2) + 64
                if buf.shape[0] - cs[3] < (need if need < RESERVE else RESERVE):
                    return i, 0
                nt = _tokenise(txt, s, e, tok, c)
                tok[c, 0, nt] = T_END
            else:
                if cs[3] > buf.shape[0]:
                    return i, 2
                e = 0
            w = s
            row = i < rows  # names past the first ``rows`` are not remembered by the neighbour model
            if row:
                for t in range(NV):
                    vals[i, t] = -1
            # the key: this name's first number not equal to its prediction, and its neighbours
            kidx, kval, lo, hi, klo, khi = -1, 0, -1, -1, 0, 0
            lo_ok = False
            hi_ok = False
            nn = 0  # numbers of this name so far
            t = 0
        # ---- its tokens ------------------------------------------------------------------------
        while True:
            ptyp = tok[pc, 0, t] if t < pnt else T_END
            if resume:
                typ = tok[c, 0, t]  # T_ALPHA or T_TAIL, already coded
            else:
                typ = _code_type(mode, tok[c, 0, t] if mode == 0 else 0, ptyp, t, tb, cs, buf)
                if typ > T_TAIL or (t == MAXT - 1 and typ != T_END and typ != T_TAIL):
                    return i, 1
                tok[c, 0, t] = typ
                tok[c, 3, t] = w
                if typ == T_END:
                    break
            if typ == T_NUM:
                v = tok[c, 1, t] if mode == 0 else 0
                z = tok[c, 2, t] if mode == 0 else 0
                p0ok = ptyp == T_NUM
                p1ok, p1, conf = False, 0, 0
                if kidx >= 0 and t < NV:
                    p1ok, p1, conf = _key_prediction(vals, t, kval, lo, hi, klo, khi, lo_ok, hi_ok)
                tt = t if t < 64 else 63
                pid, pred = _choose_prediction(preds, tt, p0ok, tok[pc, 1, t], p1ok, p1, nn)
                v, outcome, err = _code_value(mode, i, v, tt, pid, pred, conf, probs, preds, cs, buf)
                if err or v < 0 or v >= POW18:
                    return i, 3
                z = _code_pad(mode, z, tok[pc, 2, t] if p0ok else 0, tt, tb, cs, buf)
                width = _ndig(v) + z
                if width > MAXDIG:
                    return i, 3
                _score_predictors(preds, tt, v)
                preds.nums[nn] = v
                nn += 1
                preds.lastk[tt] = outcome
                if mode == 1:
                    if w + width > cap:
                        return i, 4
                    _write_number(dst, w, width, v)
                tok[c, 1, t] = v
                tok[c, 2, t] = z
                tok[c, 4, t] = width
                w += width
                if t < NV:
                    if row:
                        vals[i, t] = v
                    if kidx < 0:
                        if outcome != 0:  # the first number not predicted exactly: the key
                            kidx = t
                            kval = v
                            lo, hi, klo, khi = _find_neighbours(nbrs, kidx, kval)
                            lo_ok = lo >= 0
                            hi_ok = hi >= 0
                    else:  # neighbours that disagree on a later number stop predicting
                        if lo >= 0 and vals[lo, t] != v:
                            lo_ok = False
                        if hi >= 0 and vals[hi, t] != v:
                            hi_ok = False
            elif typ == T_CHAR:
                ch = _code_char(mode, tok[c, 1, t] if mode == 0 else 0, ptyp == T_CHAR, tok[pc, 1, t], t, tb, cs, buf)
                if mode == 1:
                    if ch == 10:
                        return i, 5
                    if w + 1 > cap:
                        return i, 4
                    dst[w] = ch
                tok[c, 1, t] = ch
                tok[c, 4, t] = 1
                w += 1
            else:  # letters or tail: a byte string
                ln = tok[c, 4, t] if mode == 0 else 0
                hit = -1
                if resume:
                    resume = False
                    q0 = sv[14]
                    c1 = sv[15]
                else:
                    hit, ln, err = _code_recent(
                        mode, t, typ, 1 if ptyp == typ else 0, ln, w, txt, dst, strs, probs, cs, buf, cap
                    )
                    if err:
                        return i, err
                    c1 = 0
                    q0 = 0
                if hit < 0:
                    q, c1, err = _code_bytes(
                        mode, q0, ln, c1, w, OFF_ALPHA if typ == T_ALPHA else OFF_TAIL, txt, dst, tb, cs, buf
                    )
                    if err == SUSPENDED:
                        # out of room inside a long string: save the name's state, let the
                        # caller empty the buffer, and go on from byte q on the next call
                        sv[0], sv[1], sv[2], sv[3], sv[4] = 1, e, w, t, 1 if row else 0
                        sv[5], sv[6], sv[7], sv[8], sv[9], sv[10] = kidx, kval, lo, hi, klo, khi
                        sv[11], sv[12], sv[13], sv[14], sv[15] = 1 if lo_ok else 0, 1 if hi_ok else 0, nn, q, c1
                        return i, SUSPENDED
                    if err:
                        return i, err
                    _push_string(strs, t)
                strs.hpos[t, 0] = w
                strs.hlen[t, 0] = ln
                tok[c, 4, t] = ln
                w += ln
                if typ == T_TAIL:
                    t += 1
                    tok[c, 0, t] = T_END
                    break
            t += 1
        # ---- end of the name -------------------------------------------------------------------
        toks.ntok[c] = t
        if kidx >= 0 and row:
            _remember_key(nbrs, i, kidx, kval)
        if mode == 0:
            if w != e:
                return i, 6  # tokeniser bug: never happens
            cs[4] = e + 1
        else:
            if cs[3] > buf.shape[0]:
                return i, 2
            if i < n - 1:
                if w >= cap:
                    return i, 4
                dst[w] = 10
                w += 1
            cs[4] = w
    return n, 0


def _state(n: int) -> tuple:
    """Fresh bundles for a call of ``n`` names (the kernel's arguments after ``cs``)."""
    hbits = min(18, max(12, n.bit_length() + 4))
    bbits = max(2, n.bit_length() - 3)
    hb = max(8, n.bit_length() + 1)
    rows = min(n, MAX_ROWS)
    probs = Probs(
        tb=np.full(TB_SIZE + (1 << hbits), 1 << 31, dtype=np.uint32),  # + hashed number contexts
        hbits=hbits,
        tdepth=TREE_DEPTH,
    )
    toks = Tokens(
        tok=np.zeros((2, 5, MAXT + 1), dtype=np.int64),
        ntok=np.zeros(2, dtype=np.int64),
        saved=np.zeros(MAXT, dtype=np.int64),
    )
    nbrs = Neighbours(
        vals=np.empty((rows, NV), dtype=np.int64),
        keyidx=np.empty(rows, dtype=np.int64),
        keyval=np.empty(rows, dtype=np.int64),
        heads=np.full(1 << hb, -1, dtype=np.int64),
        nxt=np.empty(rows, dtype=np.int64),
        bbits=bbits,
        hb=hb,
    )
    preds = Predictors(
        lastk=np.zeros(64, dtype=np.int64),
        score=np.zeros((64, NP), dtype=np.int64),
        dsel=np.zeros((64, NP), dtype=np.int64),
        new_bias=NEW_BIAS,
        pok=np.zeros(MAXT, dtype=np.int64),
        pv=np.zeros(MAXT, dtype=np.int64),
        nums=np.zeros(MAXT, dtype=np.int64),
    )
    strs = Strings(
        hpos=np.zeros((64, NH), dtype=np.int64),
        hlen=np.zeros((64, NH), dtype=np.int64),
        hcnt=np.zeros(64, dtype=np.int64),
    )
    return probs, toks, nbrs, preds, strs


def _coder() -> np.ndarray:
    """One array for the coder and the kernel's positions (fewer array arguments, fewer
    reference-count operations per call): [0:3] the arithmetic coder's state (low, high, code),
    [3] coded position, [4] text position, [5] cost accumulator of mode 2."""
    cs = np.zeros(6, dtype=np.int64)
    cs[:3] = new_coder_state()
    return cs


_NO_OUTPUT = np.empty(0, dtype=np.uint8)  # the encoder's ``dst``: never written


def _read_only(a: np.ndarray) -> np.ndarray:
    """A read-only view: the kernel's ``txt`` has one type (a read-only array) in both modes, so
    that the encoder can read the caller's bytes in place and numba compiles the kernel once."""
    v = a.view()
    v.flags.writeable = False
    return v


def encode_names(names: bytes, n: int, prefix: bytes = b"") -> bytes:
    """Encode ``n`` names joined by b"\\n" (no trailing newline); returns ``prefix`` followed by
    the coded bytes (a caller's method byte: saves copying a long output once more)."""
    names = bytes(names)
    if n <= 0:
        if n < 0 or names:
            raise ValueError("encode_names: n must be >= 0, and names empty when n == 0")
        return bytes(prefix)
    got = names.count(b"\n") + 1
    if got != n:
        raise ValueError(f"encode_names: expected {n} names, got {got}")
    txt = np.frombuffer(names, dtype=np.uint8)  # read only, as the kernel's txt always is: no copy
    args = _state(n)
    cs = _coder()
    # The coder never revisits a byte it wrote (carry-less), so a full buffer is emptied into
    # ``parts`` and reused: memory is the output's size plus at most OUT_CHUNK, however long the
    # names (the kernel suspends inside a long name rather than asking for room for all of it).
    out = np.empty(min(max(4096, len(names) // 2 + 64 * n), OUT_CHUNK), dtype=np.uint8)
    parts = [bytes(prefix) + bytes([VERSION]) + encode_uvarints([len(names)])]
    i = 0
    while i < n:
        i, err = _kernel(0, n, i, txt, _NO_OUTPUT, out, cs, *args)
        if err and err != SUSPENDED:
            raise AssertionError(f"names encoder failed ({err})")
        if i < n:
            parts.append(out[: int(cs[3])].tobytes())
            cs[3] = 0
            if err == SUSPENDED:
                need = RESERVE
            else:
                e = names.find(b"\n", int(cs[4]))
                need = min(160 * ((len(names) if e < 0 else e) - int(cs[4]) + 2) + 64, RESERVE)
            if out.shape[0] < need + 64:  # need <= RESERVE, so each later call codes >= RESERVE bytes
                out = np.empty(max(2 * RESERVE, min(2 * out.shape[0], OUT_CHUNK)), dtype=np.uint8)
    del txt, args
    if out.shape[0] - cs[3] < 8:
        parts.append(out[: int(cs[3])].tobytes())
        cs[3] = 0
    pos = encode_flush(cs, out, int(cs[3]))
    parts.append(memoryview(out)[:pos])
    return b"".join(parts)


def decode_names(data: bytes, n: int, max_size: int = MAX_DECODED) -> bytes:
    """Decode ``n`` names (joined by b"\\n"); raises ArchiveError on corrupt data, or when the
    stored total length exceeds ``max_size``."""
    data = bytes(data)
    if n <= 0:
        if n < 0 or data:
            raise ArchiveError("names stream: data for zero names")
        return b""
    if len(data) < 2 or data[0] != VERSION:
        raise ArchiveError("names stream: bad version or truncated")
    try:
        total, p = decode_uvarints_at(data[:11], 1, 1)  # at most 10 bytes: never scan the whole stream
    except ArchiveError as e:
        raise ArchiveError(f"names stream: bad length ({e})") from None
    total = int(total[0])
    if total > max_size or total < n - 1:
        raise ArchiveError("names stream: implausible total length")
    if n > MAX_NAMES_PER_BYTE * (len(data) + 8):  # each name costs >= 1 decision >= 1/11400 byte
        raise ArchiveError("names stream: too short for its number of names")
    buf = np.frombuffer(data, dtype=np.uint8, offset=p).copy()
    txt = np.empty(total, dtype=np.uint8)
    args = _state(n)
    cs = _coder()
    cs[3] = decode_init(cs, buf, 0)
    i, err = _kernel(1, n, 0, _read_only(txt), txt, buf, cs, *args)
    if err or i != n:
        raise ArchiveError(f"names stream corrupt (error {err} at name {i})")
    if cs[3] != buf.shape[0] or cs[4] != total:
        raise ArchiveError("names stream does not end where it should (truncated or corrupt)")
    del buf, args  # before the copy out
    return txt.tobytes()
