"""Regression losses: L1, MSE, smooth L1, Huber and Gaussian NLL, with PyTorch's semantics.

Each takes a prediction x and a target y of one shape (PyTorch broadcasts other shapes, with a
warning; so do we, with a note) and returns one loss per element; Gaussian NLL also takes the
predicted variance.
"""

from __future__ import annotations

import math

from .. import diagnose, tape
from ..checks import broadcast_pair, fmt_shape, non_negative
from ..errors import InvalidData, ref
from ..registry import Losses, Param, Tensor, at_least, greater_than, loss


def _difference(t, x, y, name):
    labels = diagnose.class_labels_for_regression(x.value, y.value, name)
    broadcast_pair(t, x, y, name, hint=labels)
    t.note(labels)
    return t.let("d", x - y)


@loss(
    "l1",
    gradient="∂ℓ/∂x = sign(x − y), 0 where x = y",
    aliases=("mae", "l1loss"),
    family="regression",
    formula="ℓ = |x − y|",
    reference="torch.nn.L1Loss",
    example="losscalc l1 -p 1,2,3 -t 1,2,5",
)
def l1(t, x, y):
    """Mean absolute error: the absolute difference of prediction and target.

    ℓᵢ = |xᵢ − yᵢ|; ∂ℓᵢ/∂xᵢ = sign(xᵢ − yᵢ), which is 0 where xᵢ = yᵢ (PyTorch's convention).
    """
    return Losses(t.let("ℓ", tape.absolute(_difference(t, x, y, "l1"))))


@loss(
    "mse",
    gradient="∂ℓ/∂x = 2·(x − y)",
    aliases=("l2", "mseloss"),
    family="regression",
    formula="ℓ = (x − y)²",
    reference="torch.nn.MSELoss",
    example="losscalc mse -p 1,2,3 -t 1,2,5",
)
def mse(t, x, y):
    """Mean squared error: the squared difference of prediction and target.

    ℓᵢ = (xᵢ − yᵢ)²; ∂ℓᵢ/∂xᵢ = 2(xᵢ − yᵢ).
    """
    return Losses(t.let("ℓ", tape.square(_difference(t, x, y, "mse"))))


def _quadratic_then_linear(t, x, y, name, width, quadratic, linear):
    """Losses quadratic near zero, linear beyond: ``quadratic(d)`` where |d| < width."""
    d = _difference(t, x, y, name)
    a = tape.absolute(d)
    return tape.where(a.value < width.value, quadratic(d), linear(a), f"|d| < {width.name}")


@loss(
    "smooth-l1",
    gradient="∂ℓ/∂x = d/β if |d| < β else sign(d)",
    aliases=("smoothl1loss", "smoothl1"),
    family="regression",
    formula="ℓ = ½d²/β if |d| < β else |d| − ½β, d = x − y",
    reference="torch.nn.SmoothL1Loss (beta=1.0)",
    example="losscalc smooth-l1 -p 4.5,5,2 -t 3,5,2.5 --beta 1",
    params=(
        Param("beta", "float", 1.0, "where the loss turns from quadratic to linear; 0 = L1",
              at_least(0)),
    ),
)
def smooth_l1(t, x, y, *, beta=1.0):
    """Smooth L1: quadratic near zero, linear beyond β (Huber divided by β).

    ℓᵢ = ½dᵢ²/β if |dᵢ| < β else |dᵢ| − ½β, with dᵢ = xᵢ − yᵢ.
    ∂ℓᵢ/∂xᵢ = dᵢ/β inside, sign(dᵢ) outside. β = 0 is exactly L1, as in PyTorch.
    """
    if beta == 0:
        return l1(t, x, y)
    b = t.const(beta, "β")
    return Losses(t.let("ℓ", _quadratic_then_linear(
        t, x, y, "smooth-l1", b,
        lambda d: 0.5 * tape.square(d) / b,
        lambda a: a - 0.5 * b,
    )))


@loss(
    "huber",
    gradient="∂ℓ/∂x = d if |d| < δ else δ·sign(d)",
    aliases=("huberloss",),
    family="regression",
    formula="ℓ = ½d² if |d| < δ else δ(|d| − ½δ), d = x − y",
    reference="torch.nn.HuberLoss (delta=1.0)",
    example="losscalc huber -p 4.5,5,2 -t 3,5,2.5 --delta 1",
    params=(
        Param("delta", "float", 1.0, "where the loss turns from quadratic to linear (> 0)",
              greater_than(0)),
    ),
)
def huber(t, x, y, *, delta=1.0):
    """Huber loss: quadratic near zero, linear with slope δ beyond δ.

    ℓᵢ = ½dᵢ² if |dᵢ| < δ else δ(|dᵢ| − ½δ); ∂ℓᵢ/∂xᵢ = dᵢ inside, δ·sign(dᵢ) outside.
    Huber = δ · smooth-L1 with β = δ (PyTorch's two losses differ by that factor).
    """
    k = t.const(delta, "δ")
    return Losses(t.let("ℓ", _quadratic_then_linear(
        t, x, y, "huber", k,
        lambda d: 0.5 * tape.square(d),
        lambda a: k * (a - 0.5 * k),
    )))


@loss(
    "gaussian-nll",
    gradient="∂ℓ/∂x = (x − y) / v; ∂ℓ/∂var = ½·(1/v − (x − y)²/v²), v = max(var, ε)",
    aliases=("gaussiannllloss", "gaussian-nll-loss"),
    family="regression",
    formula="ℓ = ½·(ln v + (x − y)² / v), v = max(var, ε) [+ ½·ln 2π with --full]",
    reference="torch.nn.GaussianNLLLoss (full=False, eps=1e-6)",
    example="losscalc gaussian-nll -p 1,2,3 -t 1.5,2,2 --var 0.5,1,2",
    inputs=(
        Tensor("pred", "predicted means μ", grad=True),
        Tensor("target", "observed values, the prediction's shape (or broadcast)"),
        Tensor("var", "predicted variances σ² >= 0: the prediction's shape, or one per row "
                      "(its shape without the last axis, or 1 there) for one variance per row",
               grad=True),
    ),
    params=(
        Param("full", "bool", False, "add the constant ½·ln(2π) to every element"),
        Param("eps", "float", 1e-6, "variances are clamped to at least ε", greater_than(0)),
    ),
)
def gaussian_nll(t, x, y, var, *, full=False, eps=1e-6):
    """Negative log-likelihood of targets y under Gaussians with means x and variances var.

    ℓᵢ = ½·(ln vᵢ + (xᵢ − yᵢ)²/vᵢ) with v = max(var, ε), ε = 1e-6; --full adds ½·ln(2π).
    As PyTorch, the clamp is made without gradient tracking: where var < ε the gradient with
    respect to var is still ½·(1/v − d²/v²), not 0. var has the prediction's shape, or its
    shape without the last axis (one variance per row), or the prediction's shape with a 1 in
    one axis; negative variances are refused (PyTorch raises).
    """
    non_negative(var.value, "gaussian-nll", "var", "variances")
    broadcast_pair(t, x, y, "gaussian-nll")
    var = _variance_shape(x, var)
    v = t.let("v", tape.fused(tape.clamp_min(var, eps), [var], lambda g: (g,)))
    if (var.value < eps).any():
        t.remark(f"variances below ε = {eps:g} are raised to ε; as in PyTorch the clamp has no "
                 "gradient of its own, so ∂ℓ/∂var is taken at v = ε")
    d = t.let("d", x - y)
    terms = 0.5 * (tape.log(v) + tape.square(d) / v)
    if full:
        terms = terms + t.const(0.5 * math.log(2 * math.pi), "½ln2π")
    return Losses(t.let("ℓ", terms))


def _variance_shape(x, var):
    """PyTorch's shapes for var: x's, x's without the last axis (unsqueezed), or x's with one
    axis of size 1 where x has another size."""
    if var.shape == x.shape:
        return var
    if var.shape == x.shape[:-1]:
        return tape.reshape(var, var.shape + (1,))
    if var.ndim == x.ndim and sum(v for n, v in zip(x.shape, var.shape) if n != v) == 1:
        return var
    raise InvalidData(
        f"gaussian-nll: {ref('var')} has shape {fmt_shape(var.shape)}, which does not fit the "
        f"prediction's {fmt_shape(x.shape)}",
        f"give one variance per element {fmt_shape(x.shape)}, or one per row "
        f"{fmt_shape(x.shape[:-1])}", loss="gaussian-nll", subjects=("var",))
