"""A small GRU trained online while coding, computed bit-identically on every x86-64 machine.

Why a GRU here: the count and probability models predict from fixed contexts; a recurrent network
sees every model's prediction together with its own memory of the recent past, and learns (while
coding, from a seeded start, so no weights are stored: the "weightless" idea of DeepZip/NNCP)
when to trust which. ``kernel.py`` runs one GRU step per binary decision (two per base).

Why it is deterministic: encoder and decoder must compute the same float64 numbers to the last
bit, on any CPU (SSE2-only, AVX2, AVX-512) and thread count. So:

- only +, -, *, / and sqrt are used, which IEEE 754 defines to be correctly rounded; ``exp`` is
  built from them (``_exp``: 2^k from an exact table times a degree-12 Taylor series of e^f,
  |f| <= ln(2)/2), and sigmoid and tanh from ``exp``. No libm, no SVML: their results differ
  between library versions and CPU variants;
- numba compiles without fastmath, so LLVM may neither reassociate sums nor contract a*b+c into
  an FMA (which rounds once instead of twice and so gives other bits on AVX2 than on SSE2);
- every sum runs in one fixed order. Matrix-vector products are written as column-wise axpy
  (``acc[g] += W[j, g] * x[j]`` for j = 0, 1, ...), which vectorises across g without
  reordering any single sum;
- one thread computes the GRU of one stream.

tests/test_gru.py checks the forward pass and the BPTT gradients against ``torch.nn.GRU`` and
autograd, and tests/test_determinism.py decodes GRU archives under other CPU targets.

Layout of the arrays (all float64 unless said): ``gw`` = parameters, their gradient, Adam's
first and second moments (4 x n_params); ``gs`` = hidden state, then a ring of ``T`` step records
(input x, previous h, r, z, n, W_hn h + b_hn, new h, w_o + U^T x, logit, target), then scratch;
``gc`` (int64) = [H, I, T, steps in the current window, updates so far]. The parameters are, in
this order: W_x (I x 3H), W_h (H x 3H), b_x (3H), b_h (3H) (gates in torch's order r, z, n),
w_o (H), v (I), b_o (1), U (I x H).

The output is a logit that mixes the inputs with weights set by the recurrent state:
    logit = v . x + b_o + (w_o + U^T x) . h  =  sum_j x_j (v_j + (U h)_j) + w_o . h + b_o
The v . x part lets the GRU start as a plain logistic mixer of the models' predictions; through
U, the GRU's memory of the recent past moves each model's weight (in a repeat, after a run of
misses, ...). On the first 1 M bases of ecoli_536 / dm3 this U term made the GRU level 0.03% /
0.02% smaller than ``w_o . h`` alone, and the hidden size started to matter.

numba checks each cached kernel against its own source file only, so kernel.py's kernel, which
inlines this file's, would keep an old GRU after an edit here; the kernel cache directory is
therefore keyed by a digest of all kernel sources (``dnacomp/kernel_cache.py``).
"""

from __future__ import annotations

import math

import numpy as np

from ..kernel_cache import njit
from .params import gru_layout, gru_slot_size

# indices into gc
G_H = 0
G_I = 1
G_T = 2
G_STEP = 3
G_UPDATES = 4
N_GC = 5

_LN2_HI = 0.693145751953125  # ln 2 split so that k * _LN2_HI is exact for |k| < 2^11
_LN2_LO = 1.4286068203094173e-06
_INV_LN2 = 1.4426950408889634
_POW2_BIAS = 1100
#: 2^k for k = -1100 .. 1100 (exact powers of two; 0 and inf beyond the float64 range)
POW2 = np.array(
    [
        math.ldexp(1.0, k) if -1074 <= k <= 1023 else (0.0 if k < 0 else math.inf)
        for k in range(-_POW2_BIAS, _POW2_BIAS + 1)
    ],
    dtype=np.float64,
)

ADAM_B1 = 0.9
ADAM_B2 = 0.999
ADAM_EPS = 1e-8
GRAD_CLIP = 4.0  # per-parameter gradient of one window is clipped to +-this


def n_params(hidden: int, inputs: int) -> int:
    return gru_layout(hidden, inputs)[8]


#: values in one step record of the ring (see ``_slot``); defined in params.py, which needs it
#: without numba (ModelParams.memory_bytes)
slot_size = njit(cache=True, inline="always")(gru_slot_size)


def new_state(hidden: int, inputs: int, bptt: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(gw, gs, gc) of a fresh GRU: parameters drawn like torch's default, U(-1/sqrt(H), 1/sqrt(H)),
    from PCG64(seed), whose integer stream numpy specifies exactly; the skip weights v start at 0
    and the output weights small, so the first predictions are near 1/2."""
    p = n_params(hidden, inputs)
    gw = np.zeros(4 * p, dtype=np.float64)
    rng = np.random.Generator(np.random.PCG64(seed))
    unit = rng.integers(0, 1 << 53, size=p, dtype=np.int64).astype(np.float64) * (1.0 / (1 << 53))
    bound = 1.0 / math.sqrt(hidden)
    gw[:p] = (unit * 2.0 - 1.0) * bound
    o = gru_layout(hidden, inputs)
    gw[o[4] : o[4] + hidden] *= 0.125  # w_o
    gw[o[5] : o[5] + inputs + 1] = 0.0  # v and b_o
    gw[o[7] : o[7] + inputs * hidden] *= 0.125  # U
    gs = np.zeros(hidden + bptt * gru_slot_size(hidden, inputs) + 16 * hidden, dtype=np.float64)
    gc = np.zeros(N_GC, dtype=np.int64)
    gc[G_H], gc[G_I], gc[G_T] = hidden, inputs, bptt
    return gw, gs, gc


def unpack(gw: np.ndarray, hidden: int, inputs: int) -> dict[str, np.ndarray]:
    """The parameters as torch-shaped arrays (views): weight_ih (3H x I), weight_hh (3H x H),
    bias_ih, bias_hh, w_o, v, b_o. For tests and for reading a trained model."""
    h3 = 3 * hidden
    wx, wh, bx, bh, wo, v, bo, u, _ = gru_layout(hidden, inputs)
    return {
        "u": gw[u : u + inputs * hidden].reshape(inputs, hidden),
        "weight_ih": gw[wx:wh].reshape(inputs, h3).T,
        "weight_hh": gw[wh:bx].reshape(hidden, h3).T,
        "bias_ih": gw[bx:bh],
        "bias_hh": gw[bh:wo],
        "w_o": gw[wo:v],
        "v": gw[v:bo],
        "b_o": gw[bo : bo + 1],
    }


@njit(cache=True, inline="always")
def _exp(x, pow2):
    """e^x from +, *, / only (see the module docstring); x is clipped to [-700, 700]."""
    if x > 700.0:
        x = 700.0
    elif x < -700.0:
        x = -700.0
    k = np.floor(x * _INV_LN2 + 0.5)
    f = (x - k * _LN2_HI) - k * _LN2_LO
    s = 2.08767569878681e-09  # 1/12!
    s = s * f + 2.505210838544172e-08
    s = s * f + 2.755731922398589e-07
    s = s * f + 2.7557319223985893e-06
    s = s * f + 2.48015873015873e-05
    s = s * f + 0.0001984126984126984
    s = s * f + 0.001388888888888889
    s = s * f + 0.008333333333333333
    s = s * f + 0.041666666666666664
    s = s * f + 0.16666666666666666
    s = s * f + 0.5
    s = s * f + 1.0
    s = s * f + 1.0
    return s * pow2[np.int64(k) + _POW2_BIAS]


# Subnormal numbers are avoided by construction: they are up to 100x slower on x86, and a process
# that runs with flush-to-zero (torch.set_flush_denormal, some BLAS) would round them differently.
# Activations clip their argument where the result no longer changes by more than 1e-17, and
# values that decay towards zero (Adam's moments, the backpropagated dh) are flushed below 1e-150.
_ACT_CLIP = 40.0
_TINY = 1e-150


@njit(cache=True, inline="always")
def _sigmoid(x, pow2):
    if x > _ACT_CLIP:
        x = _ACT_CLIP
    elif x < -_ACT_CLIP:
        x = -_ACT_CLIP
    return 1.0 / (1.0 + _exp(-x, pow2))


@njit(cache=True, inline="always")
def _tanh(x, pow2):
    if x > 0.5 * _ACT_CLIP:
        x = 0.5 * _ACT_CLIP
    elif x < -0.5 * _ACT_CLIP:
        x = -0.5 * _ACT_CLIP
    return 2.0 / (1.0 + _exp(-2.0 * x, pow2)) - 1.0


@njit(cache=True, inline="always")
def _flush(x):
    return 0.0 if -_TINY < x < _TINY else x


#: where W_x, W_h, b_x, b_h, w_o, v, b_o and U start in the parameter vector, and its length:
#: params.gru_layout, the one definition, compiled into the kernels (Python calls it directly)
_layout = njit(cache=True, inline="always")(gru_layout)


@njit(cache=True, inline="always")
def _slot(gs, base, hh, ii):
    """Views of the step record at ``base``: input x, previous h, r, z, n, W_hn h + b_hn, new h,
    w_o + U^T x; the logit and the target follow at base + I + 7H and + 1."""
    o = base + ii
    return (
        gs[base:o],
        gs[o : o + hh],
        gs[o + hh : o + 2 * hh],
        gs[o + 2 * hh : o + 3 * hh],
        gs[o + 3 * hh : o + 4 * hh],
        gs[o + 4 * hh : o + 5 * hh],
        gs[o + 5 * hh : o + 6 * hh],
        gs[o + 6 * hh : o + 7 * hh],
    )


@njit(cache=True, inline="always")
def input_offset(gs, gc):
    """Where the caller writes the next step's I inputs (inside the current ring slot)."""
    hh = gc[G_H]
    ii = gc[G_I]
    return hh + gc[G_STEP] * slot_size(hh, ii)


@njit(cache=True, nogil=True, _nrt=False)
def gru_step(gw, gs, gc, pow2):
    """One forward step on the inputs already written at ``input_offset``; returns the logit.

    Stores what the backward pass needs in the step's ring slot and advances the hidden state.
    (Loops run over array views: with plain offsets into one array, numba's negative-index
    checks kept LLVM from vectorising them, 8x slower.)
    """
    hh = gc[G_H]
    ii = gc[G_I]
    tt = gc[G_T]
    h3 = 3 * hh
    wx, wh, bx, bh, wo, v, bo, uo, _ = _layout(hh, ii)
    ss = slot_size(hh, ii)
    base = hh + gc[G_STEP] * ss
    h = gs[0:hh]
    x, hp, rr, zz, nn, hn, hnew, uu = _slot(gs, base, hh, ii)
    sc = hh + tt * ss
    ax = gs[sc : sc + h3]
    ah = gs[sc + h3 : sc + 2 * h3]
    bxv = gw[bx : bx + h3]
    bhv = gw[bh : bh + h3]
    for g in range(h3):
        ax[g] = bxv[g]
        ah[g] = bhv[g]
    for j in range(ii):
        xj = x[j]
        w = gw[wx + j * h3 : wx + (j + 1) * h3]
        for g in range(h3):
            ax[g] += w[g] * xj
    for k in range(hh):
        hk = h[k]
        hp[k] = hk
        w = gw[wh + k * h3 : wh + (k + 1) * h3]
        for g in range(h3):
            ah[g] += w[g] * hk
    for k in range(hh):
        r = _sigmoid(ax[k] + ah[k], pow2)
        z = _sigmoid(ax[hh + k] + ah[hh + k], pow2)
        hnk = ah[2 * hh + k]
        n = _tanh(ax[2 * hh + k] + r * hnk, pow2)
        hv = (1.0 - z) * n + z * hp[k]
        rr[k] = r
        zz[k] = z
        nn[k] = n
        hn[k] = hnk
        hnew[k] = hv
        h[k] = hv
    for k in range(hh):
        uu[k] = gw[wo + k]
    for j in range(ii):
        xj = x[j]
        w = gw[uo + j * hh : uo + (j + 1) * hh]
        for k in range(hh):
            uu[k] += w[k] * xj
    logit = gw[bo]
    for k in range(hh):
        logit += uu[k] * hnew[k]
    vv = gw[v : v + ii]
    for j in range(ii):
        logit += vv[j] * x[j]
    gs[base + ii + 7 * hh] = logit
    return logit


@njit(cache=True, nogil=True, _nrt=False)
def gru_learn(gw, gs, gc, pow2, target, lr):
    """Records the outcome (0/1) of the last step; after every T steps, backpropagates through
    those T steps (truncated BPTT, the state before them held constant) and takes one Adam step
    of size ``lr`` on the summed gradient."""
    hh = gc[G_H]
    ii = gc[G_I]
    tt = gc[G_T]
    ss = slot_size(hh, ii)
    gs[hh + gc[G_STEP] * ss + ii + 7 * hh + 1] = target
    gc[G_STEP] += 1
    if gc[G_STEP] < tt:
        return
    gc[G_STEP] = 0
    backward(gw, gs, gc, pow2)
    adam_step(gw, gc, lr)


@njit(cache=True, nogil=True, _nrt=False)
def backward(gw, gs, gc, pow2):
    """The gradient of the summed log loss of the window's T steps, into gw[n:2n]."""
    hh = gc[G_H]
    ii = gc[G_I]
    tt = gc[G_T]
    ss = slot_size(hh, ii)
    h3 = 3 * hh
    wx, wh, bx, bh, wo, v, bo, uo, npar = _layout(hh, ii)
    grad = gw[npar : 2 * npar]
    for q in range(npar):
        grad[q] = 0.0
    sc = hh + tt * ss
    dhn = gs[sc : sc + hh]  # dh from the future
    dh = gs[sc + hh : sc + 2 * hh]
    dgx = gs[sc + 2 * hh : sc + 5 * hh]
    dgh = gs[sc + 5 * hh : sc + 8 * hh]
    gwo = grad[wo : wo + hh]
    gv = grad[v : v + ii]
    gbx = grad[bx : bx + h3]
    gbh = grad[bh : bh + h3]
    for k in range(hh):
        dhn[k] = 0.0
    for s in range(tt - 1, -1, -1):
        base = hh + s * ss
        x, hp, rr, zz, nn, hn, hnew, uu = _slot(gs, base, hh, ii)
        logit = gs[base + ii + 7 * hh]
        dl = _sigmoid(logit, pow2) - gs[base + ii + 7 * hh + 1]
        grad[bo] += dl
        for k in range(hh):
            gwo[k] += dl * hnew[k]
        for j in range(ii):
            gv[j] += dl * x[j]
            dxj = dl * x[j]
            gu = grad[uo + j * hh : uo + (j + 1) * hh]
            for k in range(hh):
                gu[k] += dxj * hnew[k]
        for k in range(hh):
            d = dl * uu[k] + dhn[k]
            r = rr[k]
            z = zz[k]
            n = nn[k]
            dn = d * (1.0 - z)
            dz = d * (hp[k] - n)
            dnp = dn * (1.0 - n * n)
            dzp = dz * z * (1.0 - z)
            drp = dnp * hn[k] * r * (1.0 - r)
            dh[k] = d * z
            dgx[k] = drp
            dgx[hh + k] = dzp
            dgx[2 * hh + k] = dnp
            dgh[k] = drp
            dgh[hh + k] = dzp
            dgh[2 * hh + k] = dnp * r
        for g in range(h3):
            gbx[g] += dgx[g]
            gbh[g] += dgh[g]
        for j in range(ii):
            xj = x[j]
            gw_row = grad[wx + j * h3 : wx + (j + 1) * h3]
            for g in range(h3):
                gw_row[g] += xj * dgx[g]
        for k in range(hh):
            hk = hp[k]
            gw_row = grad[wh + k * h3 : wh + (k + 1) * h3]
            w_row = gw[wh + k * h3 : wh + (k + 1) * h3]
            for g in range(h3):
                gw_row[g] += hk * dgh[g]
            acc = dh[k]
            for g in range(h3):
                acc += w_row[g] * dgh[g]
            dhn[k] = _flush(acc)


@njit(cache=True, nogil=True, _nrt=False)
def adam_step(gw, gc, lr):
    """One Adam step (no bias correction: the fixed rate is small from the start), gradient
    clipped per parameter."""
    hh = gc[G_H]
    ii = gc[G_I]
    npar = _layout(hh, ii)[8]
    theta = gw[0:npar]
    grad = gw[npar : 2 * npar]
    m1 = gw[2 * npar : 3 * npar]
    m2 = gw[3 * npar : 4 * npar]
    for q in range(npar):
        g = grad[q]
        if g > GRAD_CLIP:
            g = GRAD_CLIP
        elif g < -GRAD_CLIP:
            g = -GRAD_CLIP
        g = _flush(g)
        a = _flush(ADAM_B1 * m1[q] + (1.0 - ADAM_B1) * g)
        b = _flush(ADAM_B2 * m2[q] + (1.0 - ADAM_B2) * (g * g))
        m1[q] = a
        m2[q] = b
        theta[q] -= lr * a / (np.sqrt(b) + ADAM_EPS)
    gc[G_UPDATES] += 1
