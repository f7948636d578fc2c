"""The numba GRU (dnacomp/models/gru.py) against torch: torch.nn.GRU and autograd are the
reference for the forward pass and the truncated-BPTT gradients; the deterministic exp, sigmoid
and tanh against libm; and the GRU levels round-trip."""

import math
from dataclasses import replace

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dnacomp.errors import ArchiveError
from dnacomp.models import gru
from dnacomp.models.basecodec import BaseDecoder, BaseEncoder
from dnacomp.models.levels import params_for_level
from dnacomp.models.params import GruParams


@pytest.fixture(autouse=True)
def _float64_torch():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def _random_gru(hidden: int, inputs: int, bptt: int, seed: int):
    """A GRU state with every parameter (also v, b_o, U) and the hidden state random."""
    gw, gs, gc = gru.new_state(hidden, inputs, bptt, seed)
    rng = np.random.default_rng(seed)
    npar = gru.n_params(hidden, inputs)
    gw[:npar] = rng.uniform(-0.6, 0.6, npar)
    gs[:hidden] = rng.uniform(-0.9, 0.9, hidden)
    return gw, gs, gc, rng


def _torch_reference(gw, h0, xs, targets, hidden, inputs):
    """Logits, final hidden state and the parameter gradients of the summed BCE, by torch."""
    p = {k: torch.tensor(np.array(v), requires_grad=True) for k, v in gru.unpack(gw, hidden, inputs).items()}
    cell = torch.nn.GRU(inputs, hidden, batch_first=True)
    with torch.no_grad():
        cell.weight_ih_l0.copy_(p["weight_ih"])
        cell.weight_hh_l0.copy_(p["weight_hh"])
        cell.bias_ih_l0.copy_(p["bias_ih"])
        cell.bias_hh_l0.copy_(p["bias_hh"])
    x = torch.tensor(xs).unsqueeze(0)
    out, h_last = cell(x, torch.tensor(h0).view(1, 1, hidden))
    logits = out[0] @ p["w_o"] + x[0] @ p["v"] + p["b_o"] + ((x[0] @ p["u"]) * out[0]).sum(dim=1)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, torch.tensor(targets), reduction="sum")
    loss.backward()
    grads = {
        "weight_ih": cell.weight_ih_l0.grad,
        "weight_hh": cell.weight_hh_l0.grad,
        "bias_ih": cell.bias_ih_l0.grad,
        "bias_hh": cell.bias_hh_l0.grad,
        "w_o": p["w_o"].grad,
        "v": p["v"].grad,
        "b_o": p["b_o"].grad,
        "u": p["u"].grad,
    }
    return logits.detach().numpy(), h_last.detach().numpy().reshape(-1), {k: g.numpy() for k, g in grads.items()}


@pytest.mark.parametrize("hidden,inputs,bptt", [(16, 20, 16), (8, 5, 7), (32, 23, 3), (1, 1, 1)])
def test_forward_and_bptt_gradients_match_torch(hidden, inputs, bptt):
    gw, gs, gc, rng = _random_gru(hidden, inputs, bptt, seed=hidden * 100 + inputs)
    h0 = gs[:hidden].copy()
    xs = rng.uniform(-3, 3, (bptt, inputs))
    targets = rng.integers(0, 2, bptt).astype(np.float64)
    logits = []
    for t in range(bptt):
        o = gru.input_offset(gs, gc)
        gs[o : o + inputs] = xs[t]
        logits.append(gru.gru_step(gw, gs, gc, gru.POW2))
        if t < bptt - 1:
            gru.gru_learn(gw, gs, gc, gru.POW2, targets[t], 0.0)
    h_last = gs[:hidden].copy()
    ref_logits, ref_h, ref_grads = _torch_reference(
        gw[: gru.n_params(hidden, inputs)].copy(), h0, xs, targets, hidden, inputs
    )
    np.testing.assert_allclose(logits, ref_logits, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(h_last, ref_h, rtol=1e-12, atol=1e-12)
    # the last step completes the window: gradients, then an Adam step
    theta = gw[: gru.n_params(hidden, inputs)].copy()
    gru.gru_learn(gw, gs, gc, gru.POW2, targets[-1], 0.001)
    npar = gru.n_params(hidden, inputs)
    grads = gru.unpack(gw[npar : 2 * npar], hidden, inputs)
    for name, ref in ref_grads.items():
        np.testing.assert_allclose(grads[name], ref, rtol=1e-9, atol=1e-12, err_msg=name)
    # Adam (no bias correction, clipped gradient) from zero moments: the step is
    # lr * (1-b1) g / (sqrt(1-b2) |g| + eps)
    g = np.clip(gw[npar : 2 * npar], -gru.GRAD_CLIP, gru.GRAD_CLIP)
    step = 0.001 * (0.1 * g) / (np.sqrt(0.001 * g * g) + gru.ADAM_EPS)
    np.testing.assert_allclose(gw[:npar], theta - step, rtol=1e-12, atol=1e-15)
    assert gc[gru.G_UPDATES] == 1 and gc[gru.G_STEP] == 0


def test_initial_weights_follow_the_seed_and_torch_default_range():
    a = gru.new_state(16, 20, 16, seed=7)[0]
    b = gru.new_state(16, 20, 16, seed=7)[0]
    c = gru.new_state(16, 20, 16, seed=8)[0]
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    w = gru.unpack(a, 16, 20)
    assert np.abs(w["weight_ih"]).max() <= 0.25 and np.abs(w["weight_hh"]).max() <= 0.25
    assert np.abs(w["weight_ih"]).max() > 0.2  # U(-1/sqrt(H), 1/sqrt(H)), as torch.nn.GRU starts
    assert not w["v"].any() and not w["b_o"].any()


@settings(max_examples=300, deadline=None)
@given(st.floats(-745.0, 700.0))
def test_exp_is_within_two_ulp_of_libm(x):
    ref = math.exp(x)
    got = gru._exp(x, gru.POW2)
    assert abs(got - ref) <= 2 * math.ulp(ref) or (ref < 1e-300 and abs(got - ref) < 1e-300)


def test_activations_match_torch_over_their_range():
    x = np.linspace(-40, 40, 20001)
    sig = np.array([gru._sigmoid(v, gru.POW2) for v in x])
    tanh = np.array([gru._tanh(v, gru.POW2) for v in x])
    np.testing.assert_allclose(sig, torch.sigmoid(torch.tensor(x)).numpy(), rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(tanh, torch.tanh(torch.tensor(x)).numpy(), rtol=0, atol=4e-16)
    assert gru._exp(1000.0, gru.POW2) == gru._exp(700.0, gru.POW2) > 1e300  # clipped, never inf or nan
    assert gru._exp(-1000.0, gru.POW2) == gru._exp(-700.0, gru.POW2) < 1e-300


def _bases(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    unit = rng.integers(0, 4, 600).astype(np.uint8)
    reps = [unit if rng.random() < 0.5 else rng.integers(0, 4, 600).astype(np.uint8) for _ in range(n // 600 + 1)]
    return np.concatenate(reps)[:n]


def test_the_gru_mixer_round_trips_across_blocks_and_learns():
    bases = _bases(30_000, 2)
    params = replace(params_for_level(2), gru=GruParams(mode=2, hidden=8, bptt=5))
    enc = BaseEncoder(params)
    blocks = [enc.encode(bases[:10_000]), enc.encode(bases[10_000:])]
    assert enc.model.tab.gc[gru.G_UPDATES] == 2 * 30_000 // 5  # one Adam step per window of 5 decisions
    dec = BaseDecoder(params)
    out = np.concatenate([dec.decode(blocks[0], 10_000), dec.decode(blocks[1], 20_000)])
    assert np.array_equal(out, bases)
    assert np.array_equal(dec.model.tab.gw, enc.model.tab.gw)  # decoder trained to the very same weights


def test_gru_parameters_change_the_archive_and_a_mismatch_is_detected():
    bases = _bases(20_000, 9)
    p = replace(params_for_level(2), gru=GruParams(mode=2))
    coded = BaseEncoder(p).encode(bases)
    assert coded != BaseEncoder(replace(p, gru=GruParams(mode=2, seed=2))).encode(bases)
    wrong = BaseDecoder(replace(p, gru=GruParams(mode=2, seed=2)))
    try:
        out = wrong.decode(coded, len(bases))
    except ArchiveError:  # detected: the stream did not end where it should
        return
    # not detected by the stream's framing: then the bases must at least differ (a crash of any
    # other kind, or the right bases from the wrong seed, fails this test)
    assert not np.array_equal(out, bases)


@pytest.mark.parametrize("mode", [1, 3])
def test_the_removed_gru_modes_are_refused(mode):
    """Modes 1 (the GRU as one more mixer input) and 3 (both) were removed: no level wrote them."""
    params = replace(params_for_level(2), gru=GruParams(mode=mode))
    with pytest.raises(ValueError, match="unsupported parameter gru_mode"):
        params.validate()
    with pytest.raises(ValueError, match="unsupported parameter gru_mode"):
        BaseEncoder(params)
