"""Regression losses: L1, MSE, smooth L1 and Huber, with PyTorch's semantics.

Each takes a prediction x and a target y of one shape (PyTorch broadcasts other shapes, with a
warning; so do we, with a note) and returns one loss per element.
"""

from __future__ import annotations

from .. import diagnose
from .. import tape as T
from ..checks import broadcast_pair
from ..registry import Losses, Param, at_least, greater_than, loss


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
    return Losses(t.let("ℓ", T.absolute(_difference(t, x, y, "l1"))))


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
    return Losses(t.let("ℓ", T.square(_difference(t, x, y, "mse"))))


def _quadratic_then_linear(t, x, y, name, width, quadratic, linear):
    """Losses quadratic near zero, linear beyond: ``quadratic(d)`` where |d| < width."""
    d = _difference(t, x, y, name)
    a = T.absolute(d)
    return T.where(a.value < width.value, quadratic(d), linear(a), f"|d| < {width.name}")


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
        lambda d: 0.5 * T.square(d) / b,
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
        lambda d: 0.5 * T.square(d),
        lambda a: k * (a - 0.5 * k),
    )))
