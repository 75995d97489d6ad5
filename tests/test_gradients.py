"""The tape's backward() against central differences, for every loss and every reduction.

The finite differences are computed here, from the loss value alone, so they are independent
of the backward code they check.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from samples import SAMPLES

from losscalc.core import check_gradient, compute


def central_differences(loss, inputs, name, params, reduction, h=1e-6):
    """d(Σ value)/d(inputs[name]) by central differences of the value alone.

    CTC's PyTorch gradient is that of the logits behind its log-probs: there the differences
    are taken through log_softmax (written out here), at normalised log-probs, where the two
    agree on every change that keeps them normalised."""
    x = np.array(inputs[name], dtype=float)

    def through(v):
        if loss != "ctc" or name != "pred":
            return v
        return v - np.log(np.sum(np.exp(v), axis=-1, keepdims=True))

    grad = np.zeros_like(x)
    for index in np.ndindex(*x.shape):
        step = h * max(1.0, abs(x[index]))
        up, down = x.copy(), x.copy()
        up[index] += step
        down[index] -= step
        f_up = np.sum(compute(loss, {**inputs, name: through(up)}, None, params,
                              reduction).value)
        f_down = np.sum(compute(loss, {**inputs, name: through(down)}, None, params,
                                reduction).value)
        grad[index] = (f_up - f_down) / (2 * step)
    return grad


@pytest.mark.parametrize("loss", sorted(SAMPLES))
@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_backward_matches_central_differences(loss, seed):
    rng = np.random.default_rng(seed)
    pred, target, params, reductions = SAMPLES[loss](rng)
    inputs = pred if isinstance(pred, dict) else {"pred": pred, "target": target}
    for reduction in reductions:
        result = compute(loss, inputs, None, params, reduction)
        assert result.grad, "a loss must have a gradient"
        for name, analytic in result.grad.items():
            if not np.all(np.isfinite(result.value)):
                # Every target ignored: the mean is 0/0 = nan and PyTorch's gradient is 0.
                assert np.all(analytic == 0)
                continue
            numeric = central_differences(loss, inputs, name, params, reduction)
            scale = max(1.0, float(np.max(np.abs(numeric), initial=0)))
            error = np.max(np.abs(analytic - numeric), initial=0) / scale
            assert error < 1e-6, (reduction, name, analytic, numeric)


@pytest.mark.parametrize("loss", sorted(SAMPLES))
def test_check_gradient_agrees_on_samples(loss):
    pred, target, params, _ = SAMPLES[loss](np.random.default_rng(7))
    assert check_gradient(loss, pred, target, params).ok


def test_check_gradient_catches_a_wrong_gradient(monkeypatch):
    # A backward that is off by a factor of 2 must be reported.
    from losscalc import tape

    real = tape.square

    def wrong_square(a):
        node = real(a)
        node.vjp = lambda g: (4 * g * a.value,)
        return node

    monkeypatch.setattr(tape, "square", wrong_square)
    assert not check_gradient("mse", [1.0, 2.0, 3.0], [1.0, 2.0, 5.0]).ok


# PyTorch's conventions where the derivative does not exist (hand-derived, and the golden data
# checks the same against torch): sign(0) = 0 for L1, and the boundary |d| = β of smooth L1.
def test_l1_gradient_is_zero_where_prediction_equals_target():
    g = compute("l1", [1.0, 2.0, 3.0], [1.0, 2.0, 5.0], reduction="sum").grad["pred"]
    assert g.tolist() == [0.0, 0.0, -1.0]


def test_bce_gradient_at_zero_and_one_uses_pytorch_epsilon():
    # ∂/∂p = (p − y)/max((1 − p)p, ε) with ε = float32(1e-12): at p = 0, y = 1 that is −1/ε.
    eps = float(np.float32(1e-12))
    g = compute("bce", [0.0, 1.0], [1.0, 0.0], reduction="sum").grad["pred"]
    assert g.tolist() == [-1 / eps, 1 / eps]


def test_check_gradient_accepts_pytorchs_side_at_a_kink():
    # hinge-embedding with y = −1 is max(0, m − x); at x = m = 1 the left derivative is −1 and
    # the right one 0: PyTorch's gradient is −1 (the left side), central differences give −½.
    check = check_gradient("hinge-embedding", [1.0], [-1.0], reduction="sum")
    assert check.ok and check.analytic == -1.0


def test_check_gradient_rejects_a_wrong_side(monkeypatch):
    # At the same kink a gradient of +1 matches neither side.
    from losscalc import core

    real = core.compute

    def flipped(*args, **kwargs):
        result = real(*args, **kwargs)
        return result._replace(grad={"pred": -result.grad["pred"]})

    monkeypatch.setattr(core, "compute", flipped)
    assert not core.check_gradient("hinge-embedding", [1.0], [-1.0], reduction="sum").ok
