"""Losses PyTorch lacks that courses teach, with the reference each follows (see
docs/zoo.md): focal loss (torchvision), the pinball/quantile loss (sklearn), poly-1 and the
multiclass sparsemax loss (optax), the contrastive loss (Hadsell et al. 2006) and InfoNCE.
"""

from __future__ import annotations

import numpy as np

from .. import tape
from ..checks import (
    class_indices,
    fmt_shape,
    in_unit_interval,
    non_negative,
    same_shape,
)
from ..errors import InvalidData, ref
from ..registry import Constraint, Losses, Param, at_least, between, greater_than, loss
from .keras import one_hot_targets


@loss(
    "focal",
    other_forms=(("--probs", "bce"),),
    gradient="∂ℓ/∂x = α_t·[(1 − p_t)^γ·(p − y) − γ·(1 − p_t)^(γ−1)·(2y − 1)·p·(1 − p)·ce]",
    aliases=("sigmoid-focal", "sigmoid-focal-loss", "focal-loss"),
    family="classification",
    formula="ℓ = α_t·(1 − p_t)^γ·ce, ce = BCEWithLogits(x, y), p = σ(x), "
            "p_t = p·y + (1 − p)·(1 − y), α_t = α·y + (1 − α)·(1 − y)",
    reference="torchvision.ops.sigmoid_focal_loss (alpha=0.25, gamma=2; Lin et al. 2017); "
              "default reduction mean (torchvision's default is none)",
    example="losscalc focal --logits 2,-1,0.5 --target 1,0,0",
    pred_alias="logits",
    pred_help="raw scores (logits), any shape",
    target_help="0/1 labels (or soft targets in [0, 1]), the logits' shape",
    params=(
        Param("alpha", "float", 0.25,
              "weight of the positives, 1 − α of the negatives; negative = off (no α_t)",
              Constraint(lambda v: v <= 1, "<= 1")),
        Param("gamma", "float", 2.0, "focusing exponent: 0 gives plain BCE", at_least(0)),
    ),
)
def focal(t, x, y, *, alpha=0.25, gamma=2.0):
    """Binary focal loss on logits, as torchvision.ops.sigmoid_focal_loss defines it.

    p = σ(x), ce = BCEWithLogits(x, y) (stable: (1 − y)·x − ln σ(x)),
    p_t = p·y + (1 − p)·(1 − y), ℓ = ce·(1 − p_t)^γ, times α_t = α·y + (1 − α)·(1 − y) when
    α >= 0 (α < 0 turns the weighting off, as in torchvision). One loss per element; the
    default reduction here is mean (torchvision's default is 'none'). The gradient is
    autograd's through p_t as well as ce, as torch computes it.
    """
    same_shape(x, y, "focal", ("pred", "target"))
    in_unit_interval(y.value, "focal", "target")
    if x.value.size > 1 and x.value.min() >= 0 and x.value.max() <= 1:
        t.note("--logits are all in [0, 1]: focal applies the sigmoid itself; if these are "
               "probabilities, pass their logits ln(p / (1 − p))")
    p = t.let("p", tape.sigmoid(x))
    ce = t.let("ce", (1 - y) * x - t.let("ln σ(x)", tape.log_sigmoid(x)))
    p_t = t.let("p_t", p * y + (1 - p) * (1 - y))
    terms = ce * tape.pow_(1 - p_t, t.const(gamma, "γ"))
    if alpha >= 0:
        a = t.const(alpha, "α")
        alpha_t = t.let("α_t", a * y + (1 - a) * (1 - y))
        terms = alpha_t * terms
    return Losses(t.let("ℓ", terms))


@loss(
    "quantile",
    gradient="∂ℓ/∂x = −q where y − x >= 0, 1 − q where y − x < 0",
    aliases=("pinball", "pinball-loss", "quantile-loss", "mean-pinball-loss"),
    family="regression",
    formula="ℓ = max(q·u, (q − 1)·u), u = y − x  (q·u if u >= 0 else (q − 1)·u)",
    reference="sklearn.metrics.mean_pinball_loss (alpha=0.5 is --q)",
    example="losscalc quantile -p 2,3,5 -t 2.5,2,7 --q 0.9",
    params=(Param("q", "float", 0.5, "the quantile (sklearn's alpha), in [0, 1]",
                  between(0, 1)),),
)
def quantile(t, x, y, *, q=0.5):
    """Pinball (quantile) loss: under-predictions cost q per unit, over-predictions 1 − q.

    ℓᵢ = ρ_q(uᵢ) = max(q·uᵢ, (q − 1)·uᵢ) with uᵢ = yᵢ − xᵢ, one value per element; the mean
    is sklearn's mean_pinball_loss (alpha = q) for 1-D and for 2-D (uniform average over
    outputs of equal length). q = 0.5 is half the absolute error. At u = 0 the q·u branch is
    taken, as sklearn's sign (u >= 0) does, so ∂ℓ/∂x = −q there.
    """
    same_shape(x, y, "quantile")
    qq = t.const(q, "q")
    u = t.let("u", y - x)
    return Losses(t.let("ℓ", tape.where(u.value >= 0, qq * u, (qq - 1) * u, "u ≥ 0")))


@loss(
    "poly1",
    gradient="∂ℓ/∂z = p·Σ_c y − y − ε·(y·p − p·Σ_c y·p)  (p = softmax(z))",
    aliases=("poly1-cross-entropy", "poly-loss", "poly-loss-cross-entropy"),
    family="classification",
    formula="ℓ = −Σ_c y·ln p + ε·Σ_c y·(1 − p), p = softmax(z)",
    reference="optax.losses.poly_loss_cross_entropy (epsilon=2.0; Leng et al. 2022)",
    example="losscalc poly1 --logits '2,1,0.1; 0.5,2.5,0.3' -t 0,2",
    pred_alias="logits",
    pred_help="raw scores (logits) (…, C), class axis last",
    target_help="class indices (…), or one-hot/probabilities (…, C)",
    params=(Param("epsilon", "float", 2.0, "weight ε of the first polynomial term (1 − p_t)"),),
)
def poly1(t, z, y, *, epsilon=2.0):
    """Poly-1 loss: cross entropy plus ε times (1 − p_t), class axis last, as optax computes it.

    ℓ = −Σ_c y_c·ln p_c + ε·Σ_c y_c·(1 − p_c), p = softmax(z) (stable log-softmax); class
    indices are read as one-hot rows. ε = 0 is cross entropy; optax's default is ε = 2.
    """
    y = one_hot_targets(t, z, y, "poly1")
    axis = z.ndim - 1
    logp = t.let("ln p", tape.log_softmax(t, z, axis))
    p = t.let("p", tape.exp(logp))
    ce = t.let("ce", -tape.total(y * logp, axis, over="c"))
    eps = t.const(epsilon, "ε")
    return Losses(t.let("ℓ", ce + eps * tape.total(y * (1 - p), axis, over="c")), class_axis=axis)


@loss(
    "contrastive",
    gradient="∂ℓ/∂d = y·d − (1 − y)·max(m − d, 0)",
    aliases=("contrastive-loss",),
    family="embedding",
    formula="ℓ = y·½d² + (1 − y)·½·max(m − d, 0)²  (y = 1: similar pair)",
    reference="Hadsell, Chopra & LeCun 2006, Dimensionality Reduction by Learning an Invariant "
              "Mapping (margin=1)",
    example="losscalc contrastive --distances 0.3,0.8,1.5 -t 1,0,0 --margin 1",
    pred_alias="distances",
    pred_help="distances d >= 0 between the two embeddings of each pair",
    target_help="labels: 1 = similar pair, 0 = dissimilar (Hadsell et al.'s Y = 0 / 1 swapped)",
    params=(Param("margin", "float", 1.0, "dissimilar pairs closer than m are pushed apart",
                  at_least(0)),),
)
def contrastive(t, d, y, *, margin=1.0):
    """Contrastive loss of pair distances (Hadsell, Chopra & LeCun 2006).

    ℓᵢ = yᵢ·½dᵢ² + (1 − yᵢ)·½·max(m − dᵢ, 0)², with y = 1 for a similar pair and 0 for a
    dissimilar one (the paper writes Y = 0 for similar; most code, and this, use 1). One value
    per pair; ∂ℓ/∂d = y·d − (1 − y)·max(m − d, 0).
    """
    same_shape(d, y, "contrastive", ("pred", "target"))
    in_unit_interval(y.value, "contrastive", "target")
    non_negative(d.value, "contrastive", "pred", "distances",
                 "pass the distance between the two embeddings (e.g. ‖a − b‖), not a "
                 "similarity")
    m = t.const(margin, "m")
    pull = t.let("pull", 0.5 * tape.square(d))
    push = t.let("push", 0.5 * tape.square(tape.clamp_min(m - d, 0)))
    return Losses(t.let("ℓ", y * pull + (1 - y) * push))


def _rows(z, name):
    """Scores (C) or (N, C): the class axis last."""
    if z.ndim not in (1, 2):
        raise InvalidData(f"{name}: {ref('pred')} must be (C) or (N, C), got shape "
                          f"{fmt_shape(z.shape)}",
                          loss=name, subjects=("pred",))


def _sparsemax_threshold(z: np.ndarray) -> np.ndarray:
    """τ with Σ_c max(z_c − τ, 0) = 1 along the last axis (Martins & Astudillo 2016):
    sort z descending, k = max{k : 1 + k·z_(k) > Σ_{j<=k} z_(j)}, τ = (Σ_{j<=k} z_(j) − 1)/k."""
    zs = -np.sort(-z, axis=-1)
    cumulative = np.cumsum(zs, axis=-1)
    k = np.arange(1, z.shape[-1] + 1, dtype=z.dtype)
    support = (1 + k * zs > cumulative).sum(axis=-1, keepdims=True)
    total = np.take_along_axis(cumulative, support - 1, axis=-1)
    return (total - 1) / support.astype(z.dtype)


@loss(
    "sparsemax",
    gradient="∂ℓ/∂z = p* − onehot(y)",
    aliases=("sparsemax-loss", "multiclass-sparsemax", "multiclass-sparsemax-loss"),
    family="classification",
    formula="ℓ = Σ_c p*·(z − z_y) + ½(1 − Σ_c p*²), p* = sparsemax(z) = max(z − τ, 0)",
    reference="optax.losses.multiclass_sparsemax_loss (Martins & Astudillo 2016)",
    example="losscalc sparsemax -p '1.5,1,-1; 0.2,0.1,2' -t 0,1",
    pred_help="scores (C) or (N, C), class axis last",
    target_help="integer class indices: a number for (C), (N) for (N, C)",
)
def sparsemax(t, z, y):
    """Multiclass sparsemax loss, the Fenchel–Young loss of sparsemax, as optax computes it.

    p* = sparsemax(z) = max(z − τ, 0), the Euclidean projection of z onto the simplex (τ makes
    it sum to 1; many classes get exactly 0). ℓ = Σ_c p*_c·(z_c − z_y) + ½(1 − ‖p*‖²), which is
    >= 0 and 0 exactly when p* is the one-hot of y. The loss is differentiable, with gradient
    p* − onehot(y) (the backward here is that formula, as optax's).
    """
    _rows(z, "sparsemax")
    y_c = one_hot_targets(t, z, y, "sparsemax", None)  # optax takes integer labels
    axis = z.ndim - 1
    tau = t.input(_sparsemax_threshold(z.value), "τ")
    t.remark("τ is the threshold that makes p* sum to 1: sort z descending, take the largest k "
             "with 1 + k·z_(k) > z_(1) + … + z_(k), then τ = (z_(1) + … + z_(k) − 1)/k")
    p = t.let("p*", tape.clamp_min(z - tau, 0))
    z_y = t.let("z_y", tape.total(y_c * z, axis, over="c", keepdims=True))
    expr = tape.total(p * (z - z_y), axis, over="c") + 0.5 * (1 - tape.total(tape.square(p), axis,
                                                                        over="c"))
    pv, yv = p.value, y_c.value

    def vjp(g):
        return (np.expand_dims(g, axis) * (pv - yv),)

    return Losses(t.let("ℓ", tape.fused(expr, [z], vjp)), class_axis=axis)


def _diagonal(z):
    """info-nce without --target: the positive of row n is column n."""
    z = np.asarray(z)
    if z.ndim != 2 or z.shape[0] != z.shape[1]:
        raise InvalidData(
            f"info-nce: without {ref('target')} the positives are the diagonal, which needs "
            f"square logits (N, N); got shape {fmt_shape(z.shape)}",
            "give --target with the positive's column for each row",
            loss="info-nce", subjects=("target",))
    return np.arange(z.shape[0], dtype=float)


@loss(
    "info-nce",
    gradient="∂ℓ/∂s = (softmax(s/τ) − onehot(y)) / τ",
    aliases=("infonce", "nt-xent-logits", "ntxent-logits"),
    family="embedding",
    formula="ℓ = −ln softmax(s/τ)_y = ln Σ_j e^(s_j/τ) − s_y/τ",
    reference="van den Oord et al. 2018 (CPC) / SimCLR: cross entropy of similarity logits / τ "
              "against the positive's column (temperature=0.07)",
    example="losscalc info-nce -p '0.9,0.1,0.2; 0.3,0.8,0.1; 0.2,0.3,0.7' --temperature 0.5",
    pred_help="similarity logits (N, M): row n = anchor n against M candidates (or (M) for one)",
    target_help="optional: the positive's column per row, (N); default: the diagonal (M = N)",
    params=(Param("temperature", "float", 0.07, "τ: the logits are divided by it (> 0)",
                  greater_than(0)),),
    default_target=_diagonal,
)
def info_nce(t, s, y, *, temperature=0.07):
    """InfoNCE: cross entropy of similarity logits divided by a temperature τ.

    ℓₙ = −ln softmax(sₙ/τ)[yₙ] = ln Σ_j exp(sₙⱼ/τ) − sₙ,yₙ/τ, one value per anchor row. Row n
    holds the similarities of anchor n to M candidates (e.g. cosine similarities, so in
    [−1, 1]); yₙ is the positive's column. Without --target the positives are the diagonal
    (yₙ = n, as in SimCLR/CLIP's batch of pairs), which needs N = M.
    Gradient: (softmax(sₙ/τ) − onehot(yₙ))/τ.
    """
    _rows(s, "info-nce")
    axis = s.ndim - 1
    if y.shape != s.shape[:-1]:
        raise InvalidData(
            f"info-nce: {ref('target')} has shape {fmt_shape(y.shape)}, but {ref('pred')} of "
            f"shape {fmt_shape(s.shape)} needs one positive column per row, shape "
            f"{fmt_shape(s.shape[:-1])}", loss="info-nce", subjects=("target", "pred"))
    labels = class_indices(y.value, s.shape[-1], None, "info-nce")
    tau = t.const(temperature, "τ")
    logp = t.let("ln p", tape.log_softmax(t, t.let("s/τ", s / tau), axis))
    return Losses(t.let("ℓ", -tape.take(logp, labels, axis, label="y")), class_axis=axis)
