"""Properties every loss in the registry must have (new losses are covered as soon as they
have samples): reductions agree with each other, samples are independent, float32 tracks
float64; and the identities between particular losses."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from samples import SAMPLES

from losscalc.core import compute

SEEDS = settings(max_examples=25, deadline=None)
LOSSES = sorted(SAMPLES)


def _close(a, b, rtol=1e-12):
    a, b = np.asarray(a, float), np.asarray(b, float)
    scale = max(1.0, float(np.max(np.abs(b), initial=0)))
    return np.allclose(a, b, rtol=0, atol=rtol * scale, equal_nan=True)


@pytest.mark.parametrize("loss", LOSSES)
@SEEDS
@given(seed=st.integers(0, 2**32 - 1))
def test_reductions_agree(loss, seed):
    """none sums to sum; mean × its divisor is sum; batchmean × N is sum."""
    pred, target, params, reductions = SAMPLES[loss](np.random.default_rng(seed))
    results = {r: compute(loss, pred, target, params, r) for r in reductions}
    total = results["sum"].value
    assert _close(np.sum(results["none"].value), total)
    if loss == "ctc":  # PyTorch's mean: each loss over its target length (at least 1), averaged
        lengths = pred.get("target_lengths", np.shape(pred["target"])[-1])
        per_label = np.asarray(results["none"].value) / np.maximum(lengths, 1)
        assert _close(results["mean"].value, np.mean(per_label))
    elif np.isfinite(results["mean"].value):
        assert _close(results["mean"].value * results["mean"].divisor, total)
    if "batchmean" in results:
        batch = np.shape(pred)[0] if np.ndim(pred) else 1
        assert _close(results["batchmean"].value * batch, total)
    # The gradient of the sum is the gradient of the mean times its divisor.
    if np.isfinite(results["mean"].value) and loss != "ctc":
        for name, grad in results["mean"].grad.items():
            assert _close(grad * results["mean"].divisor, results["sum"].grad[name], 1e-10)


@pytest.mark.parametrize("loss", LOSSES)
@SEEDS
@given(seed=st.integers(0, 2**32 - 1))
def test_permuting_samples_permutes_their_losses(loss, seed):
    rng = np.random.default_rng(seed)
    pred, target, params, _ = SAMPLES[loss](rng)
    if target is None and not isinstance(pred, dict):
        return  # the loss's default target (info-nce's diagonal) does not move with the rows
    tensors = pred if isinstance(pred, dict) else {"pred": pred, "target": target}
    tensors = {k: np.asarray(v) for k, v in tensors.items()}
    base = compute(loss, tensors, None, params, "none")
    n = np.shape(base.elementwise)[0] if np.ndim(base.elementwise) else 0
    if n < 2 or any(v.shape[:1] != (n,) or not base.batched[k] for k, v in tensors.items()):
        return  # one sample, a loss pooled over the batch (dice), or time first (ctc)
    order = rng.permutation(n)
    # Parameters laid out like the first tensor (a weight per element) move with the samples.
    ndim = next(iter(tensors.values())).ndim
    moved_params = {k: (np.asarray(v)[order] if np.ndim(v) == ndim and
                        np.shape(v)[0] == n else v) for k, v in params.items()}
    moved = compute(loss, {k: v[order] for k, v in tensors.items()}, None, moved_params, "none")
    assert _close(moved.elementwise, np.asarray(base.elementwise)[order])
    for name, grad in base.grad.items():
        assert _close(moved.grad[name], np.asarray(grad)[order])


@pytest.mark.parametrize("loss", LOSSES)
@SEEDS
@given(seed=st.integers(0, 2**32 - 1))
def test_float32_tracks_float64(loss, seed):
    pred, target, params, _ = SAMPLES[loss](np.random.default_rng(seed))
    v64 = compute(loss, pred, target, params, "mean", "float64")
    v32 = compute(loss, pred, target, params, "mean", "float32")
    assert v32.value.dtype == np.float32
    assert _close(v32.value, v64.value, 1e-4)
    for name, grad in v64.grad.items():
        assert v32.grad[name].dtype == np.float32
        assert _close(v32.grad[name], grad, 1e-4)


@SEEDS
@given(seed=st.integers(0, 2**32 - 1), shift=st.floats(-50, 50))
def test_ce_is_invariant_to_shifting_a_row_of_logits(seed, shift):
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 3, size=(4, 5))
    y = rng.integers(0, 5, size=4)
    moved = z.copy()
    moved[rng.integers(4)] += shift
    a, b = compute("ce", z, y), compute("ce", moved, y)
    assert _close(b.elementwise, a.elementwise, 1e-10)
    assert _close(b.grad["pred"], a.grad["pred"], 1e-10)


@SEEDS
@given(seed=st.integers(0, 2**32 - 1))
def test_bce_logits_is_bce_of_the_sigmoid_where_bce_is_not_clamped(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 4, size=(3, 4))
    y = rng.uniform(0, 1, size=(3, 4))
    p = 1 / (1 + np.exp(-x))
    a = compute("bce-logits", x, y, reduction="none")
    b = compute("bce", p, y, reduction="none")
    assert _close(a.elementwise, b.elementwise, 1e-9)
    # Chain rule: ∂ℓ/∂x = ∂ℓ/∂p · σ'(x) = ∂ℓ/∂p · p(1 − p).
    assert _close(a.grad["pred"], b.grad["pred"] * p * (1 - p), 1e-9)


@SEEDS
@given(seed=st.integers(0, 2**32 - 1))
def test_ce_is_nll_of_log_softmax(seed):
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 3, size=(5, 4))
    y = rng.integers(0, 4, size=5)
    log_p = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    assert _close(compute("ce", z, y).value, compute("nll", log_p, y).value, 1e-12)


@pytest.mark.parametrize("loss, pred, target", [
    ("ce", np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]]), np.array([1, 0])),
    ("bce-logits", np.array([1e4, -1e4, 0.0]), np.array([0.0, 1.0, 0.5])),
    ("multilabel-soft-margin", np.array([[1e4, -1e4]]), np.array([[0.0, 1.0]])),
    ("mse", np.array([1e4, -1e4]), np.array([-1e4, 1e4])),
    ("huber", np.array([1e4, -1e4]), np.array([-1e4, 1e4])),
    ("kl", np.array([-1e4, 0.0]), np.array([0.5, 0.5])),
    ("gaussian-nll", {"pred": np.array([1e4, -1e4]), "target": np.array([-1e4, 1e4]),
                      "var": np.array([1e4, 1e-4])}, None),
    ("cosine-embedding", {"x1": np.array([[1e4, -1e4], [1e-4, 1e4]]),
                          "x2": np.array([[-1e4, 1e4], [1e4, 1e-4]]),
                          "target": np.array([1.0, -1.0])}, None),
    ("margin-ranking", {"x1": np.array([1e4, -1e4]), "x2": np.array([-1e4, 1e4]),
                        "target": np.array([-1.0, -1.0])}, None),
    ("triplet", {"anchor": np.array([[1e4, -1e4]]), "positive": np.array([[-1e4, 1e4]]),
                 "negative": np.array([[1e4, -1e4]])}, None),
])
def test_finite_for_large_finite_inputs(loss, pred, target):
    r = compute(loss, pred, target, reduction="none")
    assert np.all(np.isfinite(r.elementwise))
    assert r.grad and all(np.all(np.isfinite(g)) for g in r.grad.values())


# --- expectations: no false pass ---------------------------------------------------------------

ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True)


@SEEDS
@given(values=st.lists(ANY_FLOAT, min_size=0, max_size=5))
def test_an_expectation_equal_to_the_value_holds(values):
    from losscalc.expectation import holds

    # the value written as its own expectation (JSON, with nan and inf as Python spells them)
    text = "[" + ", ".join(repr(v) for v in values).replace("inf", "Infinity").replace(
        "nan", "NaN") + "]"
    assert holds(np.array(values), text, 1e-6)


@SEEDS
@given(value=ANY_FLOAT, expect=ANY_FLOAT, tol=st.floats(0, 1e300))
def test_an_expectation_holds_only_by_the_rule(value, expect, tol):
    from losscalc.expectation import holds

    # the contract's rule, element by element: nan only nan, an infinity only itself
    if math.isnan(value) or math.isnan(expect):
        rule = math.isnan(value) and math.isnan(expect)
    elif math.isinf(value) or math.isinf(expect):
        rule = value == expect
    else:
        d = abs(value - expect)
        rule = d <= tol or d <= tol * abs(expect)
    assert holds(np.array(value), repr(expect), tol) is rule


@SEEDS
@given(shape=st.lists(st.integers(0, 3), max_size=3), other=st.lists(st.integers(0, 3),
                                                                     max_size=3))
def test_an_expectation_of_another_shape_never_passes(shape, other):
    from losscalc.errors import UsageError
    from losscalc.expectation import holds

    value, expect = np.zeros(shape), np.zeros(other)
    text = json.dumps(expect.tolist())
    written = np.array(json.loads(text)).shape  # JSON writes a (0, 0) array as [], shape (0,)
    squeezed = (tuple(n for n in shape if n != 1), tuple(n for n in written if n != 1))
    if squeezed[0] == squeezed[1]:
        assert holds(value, text, 0.0)  # the same numbers, axes of length 1 aside
    else:
        with pytest.raises(UsageError):
            holds(value, text, 0.0)


# --- the streamed sum adds as NumPy adds ---------------------------------------------------


@SEEDS
@given(addends=st.lists(st.one_of(st.floats(-1e308, 1e308), st.sampled_from(
    [math.inf, -math.inf, math.nan, 1e308, -1e308])), max_size=12))
def test_the_streamed_sum_is_the_exact_sum_rounded_once(addends):
    from fractions import Fraction

    from losscalc.exactsum import ExactSum

    total = ExactSum()
    for v in addends:
        total.add(v)
    # The rule, from exact arithmetic: the finite addends' exact sum, rounded once (to ±inf
    # beyond the largest double), then added to the infinities: nan wins, inf + −inf = nan.
    exact = sum((Fraction(v) for v in addends if math.isfinite(v)), Fraction(0))
    try:
        finite = float(exact)
    except OverflowError:
        finite = math.inf if exact > 0 else -math.inf
    infinities = {v for v in addends if math.isinf(v)} | ({finite} if math.isinf(finite) else set())
    if any(math.isnan(v) for v in addends) or infinities == {math.inf, -math.inf}:
        assert math.isnan(total.value)
    elif infinities:
        assert total.value == infinities.pop()
    else:
        assert total.value == finite  # correctly rounded: bit for bit
