"""PyTorch's margin losses and its Poisson NLL: one prediction and one target each.

poisson-nll (torch.nn.PoissonNLLLoss), soft-margin (SoftMarginLoss), multi-margin
(MultiMarginLoss), multilabel-margin (MultiLabelMarginLoss) and hinge-embedding
(HingeEmbeddingLoss), with PyTorch's semantics, shapes, checks and its conventions at the kinks:
the multi-class hinges count a term (and pass its gradient) only where z > 0, as PyTorch's
kernels test ``if (z > 0)``; hinge-embedding's max(margin − x, 0) passes the gradient where
margin − x >= 0 (clamp_min's backward), so at x = margin exactly the gradient is −1.
"""

from __future__ import annotations

import numpy as np

from .. import tape
from ..checks import (
    broadcast_pair,
    broadcasts_to,
    class_indices,
    first_bad,
    fmt_index,
    fmt_number,
    fmt_shape,
)
from ..errors import InvalidData, ref
from ..registry import Constraint, Losses, Param, at_least, loss

TWO_PI = 2 * np.pi  # PyTorch's 2·c10::pi<double>, in the Stirling term's 0.5·ln(2π·y)
MARGIN = Param("margin", "float", 1.0, "the margin")


@loss(
    "poisson-nll",
    gradient="∂ℓ/∂x = exp(x) − y (log input); 1 − y / (x + ε) (--no-log-input)",
    aliases=("poissonnllloss", "poisson-nll-loss"),
    family="regression",
    formula="ℓ = exp(x) − y·x (x: a log-rate); ℓ = x − y·ln(x + ε) with --no-log-input",
    reference="torch.nn.PoissonNLLLoss (log_input=True, full=False, eps=1e-8)",
    example="losscalc poisson-nll -p 0.5,-1,1.2 -t 2,0,3",
    pred_help="log-rates (rates with --no-log-input)",
    target_help="observed counts, the prediction's shape",
    params=(
        Param("log_input", "bool", True,
              "the prediction is the log of the rate (--no-log-input: the rate itself)"),
        Param("full", "bool", False,
              "add the Stirling term y·ln y − y + ½·ln(2π·y) where y > 1"),
        Param("eps", "float", 1e-8, "added to the rate inside the log (--no-log-input only)",
              at_least(0)),
    ),
)
def poisson_nll(t, x, y, *, log_input=True, full=False, eps=1e-8):
    """Negative log-likelihood of counts y under a Poisson distribution, as PyTorch computes it.

    log_input (default): x is the log-rate and ℓ = exp(x) − y·x. --no-log-input: x is the rate
    and ℓ = x − y·ln(x + ε), ε = 1e-8. The constant ln(y!) is left out unless --full, which adds
    Stirling's approximation y·ln y − y + ½·ln(2π·y) where y > 1 (0 where y <= 1). PyTorch
    checks nothing: a negative rate gives nan and a negative count is used as given (a note
    says so). Gradient: exp(x) − y, or 1 − y/(x + ε).
    """
    broadcast_pair(t, x, y, "poisson-nll")
    if (y.value < 0).any():
        at = first_bad(y.value < 0)
        t.note(f"--target holds counts, but {fmt_number(y.value[at])} at index "
               f"{fmt_index(at)} is negative (used as given, as PyTorch does)")
    if log_input:
        terms = tape.exp(x) - y * x
    else:
        if (x.value < 0).any():
            t.note("--no-log-input takes rates, which must be >= 0: a negative rate gives "
                   "nan, as in PyTorch (for log-rates leave out --no-log-input)")
        terms = x - y * tape.log(x + t.const(eps, "ε"))
    if not full:
        return Losses(t.let("ℓ", terms))
    t.remark("--full adds Stirling's approximation of ln(y!) where y > 1; it does not "
             "depend on the prediction, so the gradient is unchanged")
    nll = t.let("nll", terms)
    stirling = y * tape.log(y) - y + 0.5 * tape.log(t.const(TWO_PI, "2π") * y)
    s = t.let("s", tape.where(y.value > 1, stirling, 0.0, "y > 1"))
    return Losses(t.let("ℓ", nll + s))


def note_labels(t, y, name, consequence) -> bool:
    """PyTorch does not check ±1 labels: a note names the first other one (True if any)."""
    odd = (y.value != 1) & (y.value != -1)
    if not odd.any():
        return False
    at = first_bad(odd)
    zero_one = bool(np.all((y.value == 0) | (y.value == 1)))
    t.note(f"{name} expects labels ±1; got {fmt_number(y.value[at])}"
           + (f" at index {fmt_index(at)}" if y.ndim else "")
           + (" (for 0/1 labels give 2·y − 1)" if zero_one else "") + f": {consequence}")
    return True


@loss(
    "soft-margin",
    gradient="∂ℓ/∂x = −y·e / (1 + e), e = exp(−x·y)",
    aliases=("softmarginloss", "soft-margin-loss"),
    family="classification",
    formula="ℓ = ln(1 + exp(−x·y))",
    reference="torch.nn.SoftMarginLoss",
    example="losscalc soft-margin -p 0.8,-0.3,2 -t 1,-1,-1",
    pred_help="decision values (raw scores)",
    target_help="labels ±1, the prediction's shape",
)
def soft_margin(t, x, y):
    """Two-class logistic loss of decision values against labels ±1, as PyTorch computes it.

    ℓᵢ = ln(1 + exp(−xᵢ·yᵢ)), computed as PyTorch does (log1p of exp, no rescaling): a margin
    x·y below about −709 (−88 in float32) overflows exp, so the loss is inf and the gradient
    nan, exactly as in PyTorch. The target may broadcast to the prediction's shape (not the
    other way round). PyTorch does not check the labels; values other than ±1 are used as given
    (a note says so). ∂ℓ/∂xᵢ = −yᵢ·e/(1 + e) with e = exp(−xᵢ·yᵢ).
    """
    broadcasts_to(y.value, x.shape, "soft-margin", "target", "the prediction's shape")
    note_labels(t, y, "soft-margin", "used as given, as PyTorch does")
    with np.errstate(over="ignore"):
        overflow = int(np.sum(np.isinf(np.exp(-x.value * y.value))))
    if overflow:
        t.note(f"exp(−x·y) overflows at {overflow} position(s): the loss is inf and the "
               "gradient nan there, as in PyTorch")
    return Losses(t.let("ℓ", tape.log1p(tape.exp(-x * y))))


def _class_axis(x):
    """The class axis the per-sample losses no longer have (none for a 0-d prediction)."""
    return x.ndim - 1 if x.ndim else None


def _sample_axis_shape(x, name):
    """PyTorch's multi-class margin losses take (C) or (N, C) (a 0-d input is one class)."""
    if x.ndim > 2:
        raise InvalidData(f"{name}: {ref('pred')} must be a vector (C) or a matrix (N, C), got "
                          f"shape {fmt_shape(x.shape)}", loss=name, subjects=("pred",))
    n = x.shape[0] if x.ndim == 2 else 1
    c = x.shape[-1] if x.ndim else 1
    return n, c


@loss(
    "multi-margin",
    gradient="∂ℓ/∂x_c = w_y·p·z_c^(p−1) / C where z_c > 0 (c ≠ y); ∂ℓ/∂x_y = −Σ of those",
    aliases=("multimarginloss", "multi-margin-loss", "multi-class-hinge"),
    family="classification",
    formula="ℓ = Σ_{c ≠ y} w_y·max(0, margin − x_y + x_c)^p / C",
    reference="torch.nn.MultiMarginLoss (p=1, margin=1, weight=None)",
    example="losscalc multi-margin -p '0.1,0.2,0.4,0.8; 0.5,0.3,0.1,0.2' -t 3,1",
    pred_help="scores (C) or (N, C), class axis last",
    target_help="class indices: one per sample, (N) (a vector's: one number)",
    params=(
        Param("p", "int", 1, "1: the hinge, 2: the squared hinge",
              Constraint(lambda v: v in (1, 2), "1 or 2")),
        MARGIN,
        Param("weight", "tensor", None, "a weight per class, C numbers (the target's weight "
              "scales its sample)"),
    ),
)
def multi_margin(t, x, y, *, p=1, margin=1.0, weight=None):
    """Multi-class hinge loss (Weston–Watkins) of scores against class indices, as PyTorch.

    zₙc = margin − xₙ,yₙ + xₙc; ℓₙ = Σ_{c ≠ yₙ} w_{yₙ}·max(0, zₙc)^p / C: the sum is divided by
    the number of classes C, and the weight of the target class scales the whole sample. A term
    counts, and passes its gradient, only where z > 0 (PyTorch's ``if (z > 0)``), so at z = 0
    the gradient is 0 for p = 1 as well. The mean divides by N (not by the weights).
    """
    n, c = _sample_axis_shape(x, "multi-margin")
    if y.ndim > 1 or y.value.size != n:
        raise InvalidData(f"multi-margin: {ref('target')} must hold one class index per sample: "
                          f"shape ({n},) for {ref('pred')} of shape {fmt_shape(x.shape)}, got "
                          f"{fmt_shape(y.shape)}",
                          loss="multi-margin", subjects=("target", "pred"))
    labels = class_indices(y.value, c, None, "multi-margin")
    onehot = labels[..., None] == np.arange(c)
    # Picked by a condition, not multiplied by one-hot rows: 0·inf would be nan.
    picked = t.let("x_yc", tape.where(onehot, x, 0.0, "c = y"))
    x_y = t.let("x_y", tape.total(picked, -1, over="c", keepdims=True))
    z = t.let("z", t.const(margin, "margin") - x_y + x)
    hinge = z if p == 1 else tape.square(z)
    h = t.let("h", tape.where((z.value > 0) & ~onehot, hinge, 0.0, "z > 0 and c ≠ y"))
    classes = t.const(c, "C")
    # (1, C) scores with a 0-d target: one sample whose loss is 0-d, as in PyTorch.
    total = tape.total(h) if x.ndim == 2 and y.ndim == 0 else tape.total(h, -1, over="c")
    if weight is None:
        return Losses(t.let("ℓ", total / classes), class_axis=_class_axis(x))
    w = np.asarray(weight, dtype=t.dtype)
    if w.shape != (c,):
        raise InvalidData(f"multi-margin: {ref('weight')} must hold one number per class ({c}), "
                          f"got shape {fmt_shape(w.shape)}",
                          loss="multi-margin", subjects=("weight",))
    w_y = t.input(w[labels], "w_y")
    return Losses(t.let("ℓ", w_y * total / classes), class_axis=_class_axis(x))


def _label_lists(values, c, name):
    """Class indices in [−1, C) (PyTorch checks every entry, also after the first −1)."""
    frac = values != np.round(values)
    if frac.any():
        at = first_bad(frac)
        where = f" at index {fmt_index(at)}" if values.ndim else ""
        raise InvalidData(f"{name}: {ref('target')} holds class indices, which must be integers; "
                          f"got {fmt_number(values[at])}{where}", loss=name, subjects=("target",))
    bad = (values < -1) | (values >= c)
    if bad.any():
        at = first_bad(bad)
        where = f" at --target index {fmt_index(at)}" if values.ndim else ""
        raise InvalidData(f"{name}: class index {fmt_number(values[at])}{where} is out of "
                          f"range for {c} classes: expected 0 to {c - 1}, or −1 to end the list")
    return values.astype(np.int64)


@loss(
    "multilabel-margin",
    gradient="∂ℓ/∂x_i = (number of targets j with z_ji > 0) / C for a non-target i; "
             "∂ℓ/∂x_{y_j} = −(number of i with z_ji > 0) / C",
    aliases=("multilabelmarginloss", "multi-label-margin", "multilabel-margin-loss"),
    family="classification",
    formula="ℓ = Σ_j Σ_{i ∉ y} max(0, 1 − x_{y_j} + x_i) / C",
    reference="torch.nn.MultiLabelMarginLoss",
    example="losscalc multilabel-margin -p '0.1,0.2,0.4,0.8' -t 3,0,-1,1",
    pred_help="scores (C) or (N, C), class axis last",
    target_help="per sample, the target classes, then −1 to end the list (padded to C)",
)
def multilabel_margin(t, x, y):
    """Multi-label hinge loss of scores against lists of target classes, as PyTorch.

    Each sample's targets y_j are its class indices up to the first −1 (the rest of the row is
    ignored, but must still lie in [−1, C), as PyTorch checks). ℓₙ = Σ_j Σ_{i ∉ targets}
    max(0, 1 − x[y_j] + x[i]) / C, over every target j and every class i that is not a target;
    a class listed twice counts twice. A term counts, and passes its gradient, only where
    z > 0 (PyTorch's ``if (z > 0)``). The target has the prediction's shape, (C) or (N, C).
    """
    name = "multilabel-margin"
    n, c = _sample_axis_shape(x, name)
    if (x.ndim == 2 and y.shape != x.shape) or (x.ndim < 2 and (y.ndim > 1 or y.value.size != c)):
        raise InvalidData(f"{name}: {ref('target')} has shape {fmt_shape(y.shape)}, but "
                          f"{ref('pred')} of "
                          f"shape {fmt_shape(x.shape)} needs one row of C = {c} class indices "
                          f"per sample (padded with −1), shape {fmt_shape(x.shape or (1,))}",
                          loss=name, subjects=("target", "pred"))
    labels = _label_lists(y.value, c, name).reshape(n, c)
    valid = np.cumprod(labels >= 0, axis=1).astype(bool)  # before the first −1
    # Laid out (J, N, C) so that x (N, C) broadcasts: J runs over each row's target slots.
    # (J = C, or C + 1 when C = N, so that the explanation never takes j for a sample.)
    slots = c + 1 if x.ndim == 2 and c == n else c
    picks = np.zeros((slots, n, c), dtype=bool)
    rows, cols = np.nonzero(valid)
    picks[cols, rows, labels[rows, cols]] = True
    is_target = picks.any(axis=0)
    if x.ndim < 2:
        picks, is_target = picks[:, 0, :], is_target[0]
    t.remark("targets are read up to the first −1; x_jc is x_c where the j-th target is "
             "class c, else 0")
    # Picked by a condition, not multiplied by one-hot rows: 0·inf would be nan.
    picked = t.let("x_jc", tape.where(picks, x, 0.0, "c = y_j"))
    x_t = t.let("x_t", tape.total(picked, -1, over="c", keepdims=True))
    z = t.let("z", 1 - x_t + x)
    counted = (z.value > 0) & picks.any(axis=-1, keepdims=True) & ~is_target
    h = t.let("h", tape.where(counted, z, 0.0, "z > 0 and i ∉ y"))
    s = t.let("s_j", tape.total(h, -1, over="i"))
    return Losses(t.let("ℓ", tape.total(s, 0, over="j") / t.const(c, "C")),
                  class_axis=_class_axis(x))


@loss(
    "hinge-embedding",
    gradient="∂ℓ/∂x = 1 where y = 1; −1 where y = −1 and x <= margin (−1 at x = margin "
             "exactly, as PyTorch), else 0",
    aliases=("hingeembeddingloss", "hinge-embedding-loss"),
    family="embedding",
    formula="ℓ = x if y = 1, max(0, margin − x) if y = −1",
    reference="torch.nn.HingeEmbeddingLoss (margin=1.0)",
    example="losscalc hinge-embedding -p 0.3,1.5,0.2 -t 1,-1,-1",
    pred_help="distances (e.g. L1 distances of pairs)",
    target_help="labels: 1 similar, −1 dissimilar",
    params=(MARGIN,),
)
def hinge_embedding(t, x, y, *, margin=1.0):
    """Hinge embedding loss of distances x against labels ±1 (1 similar, −1 dissimilar).

    ℓᵢ = xᵢ where yᵢ = 1 and max(0, margin − xᵢ) where yᵢ = −1. PyTorch computes
    where(y ≠ 1, max(margin − x, 0), 0) + where(y ≠ −1, x, 0), so a label that is neither
    gets both terms; so does losscalc (a note says so). The gradient of max(margin − x, 0) is
    −1 where margin − x >= 0: at x = margin exactly it is −1, not 0 (clamp_min's backward).
    Prediction and target broadcast, as in PyTorch (with a note).
    """
    broadcast_pair(t, x, y, "hinge-embedding")
    m = t.const(margin, "margin")
    labels = y.value
    if not note_labels(t, y, "hinge-embedding", "such a label gets both terms, "
                        "x + max(0, margin − x), as PyTorch computes"):
        return Losses(t.let("ℓ", tape.where(labels == 1, x, tape.clamp_min(m - x, 0), "y = 1")))
    a = t.let("a", tape.where(labels != 1, tape.clamp_min(m - x, 0), 0.0, "y ≠ 1"))
    b = t.let("b", tape.where(labels != -1, x, 0.0, "y ≠ −1"))
    return Losses(t.let("ℓ", a + b))
