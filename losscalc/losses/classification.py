"""Classification losses: cross entropy, NLL, binary cross entropy (on probabilities and on
logits) and the multi-label soft margin, with PyTorch's semantics, shapes and clamps.
"""

from __future__ import annotations

import numpy as np

from .. import diagnose, tape
from ..checks import (
    broadcasts_to,
    class_indices,
    fmt_shape,
    in_unit_interval,
    same_shape,
)
from ..errors import InvalidData, ref
from ..formulas import fmt_number
from ..i18n import N_
from ..registry import Losses, Param, between, loss

# PyTorch's BCE backward divides by max((1 − p)·p, EPSILON), a float constant 1e-12.
_BCE_EPSILON = np.float32(1e-12)

WEIGHT = Param("weight", "tensor", None, "a weight per class, C numbers (default: all 1)")
IGNORE = Param("ignore_index", "int", -100, "targets equal to this class index are skipped")


def _class_axis(x) -> int:
    """PyTorch's class dimension: 0 for one unbatched sample (C), else 1 for (N, C, d1, …)."""
    return 0 if x.ndim == 1 else 1


def _per_class(t, weight, x, axis, name):
    """--weight as C numbers, shaped to broadcast along the class axis of ``x``."""
    n_classes = x.shape[axis]
    w = np.asarray(weight, dtype=t.dtype)
    if w.shape != (n_classes,):
        raise InvalidData(
            f"{name}: {ref('weight')} must hold one number per class ({n_classes}), "
            f"got shape {fmt_shape(w.shape)}", loss=name, subjects=("weight",))
    return w.reshape((n_classes,) + (1,) * (x.ndim - axis - 1))


def _index_targets(t, x, y, ignore_index, name):
    """Check that y holds class indices for x (shape x without its class axis)."""
    axis = _class_axis(x)
    if x.ndim == 0:
        raise InvalidData(f"{name}: {ref('pred')} must have a class axis; got a single number",
                          loss=name, subjects=("pred",))
    expected = x.shape[:axis] + x.shape[axis + 1:]
    if y.shape != expected:
        probs = f" or class probabilities of shape {fmt_shape(x.shape)}" if name == "ce" else ""
        raise InvalidData(
            f"{name}: {ref('target')} has shape {fmt_shape(y.shape)}, but {ref('pred')} of shape "
            f"{fmt_shape(x.shape)} needs class indices of shape {fmt_shape(expected)}{probs}",
            loss=name, subjects=("pred", "target"))
    return class_indices(y.value, x.shape[axis], ignore_index, name)


def _negative_log_likelihood(t, logp, labels, weight, ignore_index, name):
    """−w_y·ln p[y] per sample (0 where the target is ignored) and the mean's divisor Σ w_y."""
    axis = _class_axis(logp)
    ignored = labels == ignore_index
    safe = np.where(ignored, 0, labels)
    picked = tape.take(logp, safe, axis, label="y")
    if weight is None and not ignored.any():
        return t.let("nll", -picked), t.const(labels.size, "N")
    w_c = np.ones(logp.shape[axis], t.dtype) if weight is None else weight.reshape(-1)
    w_y = t.input(np.where(ignored, 0, w_c[safe]), "w_y")
    nll = -(w_y * picked)
    if ignored.any():
        nll = tape.where(~ignored, nll, 0.0, f"y ≠ {fmt_number(ignore_index)}")
        t.note(f"{int(ignored.sum())} of {labels.size} targets equal the ignore index "
               f"{ignore_index} and are skipped (loss 0, not counted in the mean)")
    return t.let("nll", nll), t.let("Σw_y", tape.exact_total(w_y), "reduce")


def _divides_by(denominator) -> str:
    if denominator.name == "N":
        return f"N = {denominator.value:g}, the number of targets"
    return ("Σw_y, the sum of the weights of the targets that are not ignored (not N), "
            "as PyTorch does")


@loss(
    "ce",
    other_forms=(("--probs", "nll"), ("--log-probs", "nll")),
    gradient="∂ℓ/∂z = w_y·(p − onehot(y)); with smoothing or probability targets q: Σ_c "
             "w_c·q_c·p − w·q",
    aliases=("cross-entropy", "crossentropyloss", "crossentropy"),
    family="classification",
    formula="ℓ = −w_y·ln softmax(z)_y  (probability targets: −Σ_c w_c·y_c·ln softmax(z)_c)",
    reference="torch.nn.CrossEntropyLoss (weight=None, ignore_index=-100, label_smoothing=0.0)",
    example="losscalc ce --logits '0.5,0.3,0.2; 0.3,0.6,0.1' --target 1,2",
    pred_alias="logits",
    pred_help="raw scores (logits): (C), (N, C) or (N, C, d1, …); class axis 1",
    target_help="class indices (N) / (N, d1, …), or class probabilities of the logits' shape",
    params=(
        WEIGHT,
        IGNORE,
        Param("label_smoothing", "float", 0.0,
              "mix ε of the uniform distribution into the target (0 to 1)", between(0, 1)),
    ),
)
def ce(t, z, y, *, weight=None, ignore_index=-100, label_smoothing=0.0):
    """Cross entropy of raw scores (logits) against class indices or class probabilities.

    ln p = log_softmax(z) along the class axis (axis 1; axis 0 for one unbatched sample).
    Class indices: ℓₙ = −w_{yₙ}·ln p[yₙ]; the mean divides by Σ w_{yₙ} over the targets that
    are not ignore_index (not by N), and is nan when every target is ignored, as in PyTorch.
    Label smoothing ε: ℓₙ = (1 − ε)·nllₙ − (ε/C)·Σ_c w_c·ln p_c, with the same divisor.
    Class probabilities (same shape as z): ℓₙ = −Σ_c w_c·qₙc·ln pₙc with q = (1 − ε)·y + ε/C;
    the mean divides by the number of samples; ignore_index does not apply.
    Gradient: (softmax(z) − target) scaled by the weights and divided by the mean's divisor.
    """
    axis = _class_axis(z)
    if z.ndim == 0:
        raise InvalidData(f"ce: {ref('pred')} must have a class axis; got a single number",
                          loss="ce", subjects=("pred",))
    n_classes = z.shape[axis]
    if n_classes == 0:
        raise InvalidData(f"ce: {ref('pred')} of shape {fmt_shape(z.shape)} has no classes",
                          loss="ce", subjects=("pred",))
    t.note(diagnose.probabilities_as_logits(z.value, axis))
    w = None if weight is None else _per_class(t, weight, z, axis, "ce")
    logp = t.let("ln p", tape.log_softmax(t, z, axis))
    t.let("p", tape.exp(logp))  # the softmax probabilities, for the reader (and the gradient)
    eps, classes = t.const(label_smoothing, "ε"), t.const(n_classes, "C")

    if y.shape == z.shape:  # class probabilities
        t.note(diagnose.one_hot_targets(y.value, axis) or diagnose.target_rows(y.value, axis))
        q = y if label_smoothing == 0 else t.let("q", (1 - eps) * y + eps / classes)
        terms = logp * q if w is None else logp * q * t.input(w, "w", batched=False)
        return Losses(t.let("ℓ", -tape.total(terms, axis, over="c")), class_axis=axis)

    labels = _index_targets(t, z, y, ignore_index, "ce")
    nll, denominator = _negative_log_likelihood(t, logp, labels, w, ignore_index, "ce")
    if label_smoothing == 0:
        return Losses(nll, denominator, axis, _divides_by(denominator))
    terms = logp if w is None else logp * t.input(w, "w", batched=False)
    smooth = -tape.total(terms, axis, over="c")
    ignored = labels == ignore_index
    if ignored.any():
        smooth = tape.where(~ignored, smooth, 0.0, f"y ≠ {fmt_number(ignore_index)}")
    smooth = t.let("smooth", smooth)
    return Losses(t.let("ℓ", (1 - eps) * nll + eps * smooth / classes), denominator, axis,
                  _divides_by(denominator))


@loss(
    "nll",
    other_forms=(("--logits", "ce"),),
    gradient="∂ℓ/∂x = −w_y at the target class, 0 at the others",
    aliases=("nllloss", "negative-log-likelihood"),
    family="classification",
    formula="ℓ = −w_y·x_y  (x: log-probabilities)",
    reference="torch.nn.NLLLoss (weight=None, ignore_index=-100)",
    example="losscalc nll --log-probs '-1.2,-0.9,-1.2; -2.3,-1.6,-0.4' --target 2,0",
    pred_alias="log-probs",
    pred_help="log-probabilities: (C), (N, C) or (N, C, d1, …); class axis 1",
    target_help="class indices (N) / (N, d1, …)",
    params=(WEIGHT, IGNORE,
            Param("from_probs", "bool", False,
                  "the prediction holds probabilities q, and nll takes ln q itself: −ln q_y, "
                  "the tutorials' cross-entropy of probabilities (--probs Q sets it)")),
)
def nll(t, x, y, *, weight=None, ignore_index=-100, from_probs=False):
    """Negative log-likelihood of log-probabilities at the target classes.

    ℓₙ = −w_{yₙ}·x[n, yₙ]; the mean divides by Σ w_{yₙ} over targets that are not
    ignore_index (nan when all are ignored). The input is taken as log-probabilities as given:
    nothing is normalised (ce = log_softmax + nll). With probabilities q (--probs Q, or
    from_probs), x = ln q is taken first, as torch.nn.NLLLoss()(torch.log(q), y): ℓₙ =
    −w_{yₙ}·ln q[n, yₙ], the gradient −w_{yₙ}/q[n, yₙ] at the target class.
    """
    axis = _class_axis(x)
    if from_probs:
        x.name = "q"  # the explanation calls the input what it holds
        t.note(diagnose.not_probabilities(x.value, axis, "--probs"))
        x = t.let("ln q", tape.log(x))
    else:
        t.note(diagnose.not_log_probabilities(
            x.value, axis, "--log-probs",
            "for raw scores use ce; for probabilities use --probs (nll takes their log)"))
    w = None if weight is None else _per_class(t, weight, x, axis, "nll")
    labels = _index_targets(t, x, y, ignore_index, "nll")
    nll_, denominator = _negative_log_likelihood(t, x, labels, w, ignore_index, "nll")
    return Losses(nll_, denominator, axis, _divides_by(denominator))


@loss(
    "bce",
    other_forms=(("--logits", "bce-logits"),),
    gradient="∂ℓ/∂p = w·(p − y) / max((1 − p)·p, 1e-12)",
    aliases=("bceloss", "binary-cross-entropy"),
    family="classification",
    formula="ℓ = −w·[y·max(ln p, −100) + (1 − y)·max(ln(1 − p), −100)]",
    reference="torch.nn.BCELoss (weight=None)",
    example="losscalc bce --probs 0.1,0.2,0.7 --target 1,0,1",
    pred_alias="probs",
    pred_help="probabilities in [0, 1]",
    target_help="targets in [0, 1], the probabilities' shape",
    params=(Param("weight", "tensor", None, "a weight per element, broadcast to the target"),),
)
def bce(t, p, y, *, weight=None):
    """Binary cross entropy of probabilities p ∈ [0, 1] against targets y ∈ [0, 1].

    ℓᵢ = −wᵢ·[yᵢ·ln pᵢ + (1 − yᵢ)·ln(1 − pᵢ)], each log clamped at −100 as PyTorch does, so
    p = 0 or 1 gives a finite loss (at most 100). The gradient is PyTorch's
    wᵢ·(pᵢ − yᵢ) / max((1 − pᵢ)·pᵢ, ε), not the derivative of the clamped logs, with
    ε = float32(1e-12) = 9.999999960041972e-13 even in float64 (PyTorch's EPSILON constant).
    """
    same_shape(p, y, "bce", ("pred", "target"))
    outside = (p.value < 0) | (p.value > 1)
    hint = (N_("these look like logits: use bce-logits, which applies the sigmoid itself")
            if outside.any() else None)
    in_unit_interval(p.value, "bce", "pred", hint)
    in_unit_interval(y.value, "bce", "target")
    with np.errstate(divide="ignore"):
        ln_p = t.let("ln p", tape.clamp_min(tape.log(p), -100))
        ln_q = t.let("ln(1 − p)", tape.clamp_min(tape.log1p(-p), -100))
    clamped = int((p.value == 0).sum() + (p.value == 1).sum())
    if clamped:
        t.note(f"ln 0 = −∞ was clamped at −100 at {clamped} position(s) (p = 0 or 1), "
               "as PyTorch does")
    terms = -(y * ln_p + (1 - y) * ln_q)
    w = None
    if weight is not None:
        w = np.asarray(weight, dtype=t.dtype)
        broadcasts_to(w, y.shape, "bce", "weight", "the target's shape")
        terms = t.input(w, "w", batched=w.ndim == y.ndim) * terms
    pv, yv = p.value, y.value

    def vjp(g):
        grad = g * (pv - yv) / np.maximum((1 - pv) * pv, _BCE_EPSILON.astype(t.dtype))
        return (grad if w is None else grad * w,)

    return Losses(t.let("ℓ", tape.fused(terms, [p], vjp)))


@loss(
    "bce-logits",
    other_forms=(("--probs", "bce"),),
    gradient="∂ℓ/∂x = w·[(pw·y + 1 − y)·σ(x) − pw·y], = w·(σ(x) − y) without pos_weight",
    aliases=("bcewithlogitsloss", "bce-with-logits", "sigmoid-cross-entropy"),
    family="classification",
    formula="ℓ = −w·[pw·y·ln σ(x) + (1 − y)·ln σ(−x)]",
    reference="torch.nn.BCEWithLogitsLoss (weight=None, pos_weight=None)",
    example="losscalc bce-logits --logits 12,3,2 --target 1,0,0",
    pred_alias="logits",
    pred_help="raw scores (logits), any shape",
    target_help="targets in [0, 1], the logits' shape",
    params=(
        Param("weight", "tensor", None, "a weight per element, broadcast to the target"),
        Param("pos_weight", "tensor", None,
              "a weight for the positive term per class, broadcast over the last axis"),
    ),
)
def bce_logits(t, x, y, *, weight=None, pos_weight=None):
    """Binary cross entropy on logits, computed stably (no overflow for x = ±1000).

    ℓᵢ = wᵢ·[(1 − yᵢ)·xᵢ − Lᵢ·ln σ(xᵢ)] with Lᵢ = 1 + (pw − 1)·yᵢ, which equals
    −wᵢ·[pw·yᵢ·ln σ(xᵢ) + (1 − yᵢ)·ln σ(−xᵢ)]; ln σ(x) = min(x, 0) − ln(1 + e^(−|x|)).
    pos_weight broadcasts over the last (class) axis. Gradient (PyTorch's formula):
    wᵢ·[(pw·yᵢ + 1 − yᵢ)·σ(xᵢ) − pw·yᵢ].
    """
    same_shape(x, y, "bce-logits", ("pred", "target"))
    t.note(diagnose.targets_outside_unit(y.value) or diagnose.logits_as_probabilities(x.value))
    log_sig = t.let("ln σ(x)", tape.log_sigmoid(x))
    pw = None
    if pos_weight is None:
        terms = (1 - y) * x - log_sig
    else:
        pw = np.asarray(pos_weight, dtype=t.dtype)
        broadcasts_to(pw, y.shape, "bce-logits", "pos_weight", "the target's shape")
        pw_node = t.input(pw, "pw", batched=pw.ndim == y.ndim)
        scale = t.let("L", 1 + (pw_node - 1) * y)
        terms = (1 - y) * x - scale * log_sig
    w = w_node = None
    if weight is not None:
        w = np.asarray(weight, dtype=t.dtype)
        broadcasts_to(w, y.shape, "bce-logits", "weight", "the target's shape")
        w_node = t.input(w, "w", batched=w.ndim == y.ndim)
        terms = terms * w_node
    xv, yv = x.value, y.value

    def vjp(g):
        with np.errstate(over="ignore"):
            sig = 1 / (1 + np.exp(-xv))
        if pw is None:
            grad = (sig - yv) * g
        else:
            pos = pw * yv
            grad = ((pos + 1 - yv) * sig - pos) * g
        return (grad if w is None else grad * w,)

    stable = t.let("ℓ", tape.fused(terms, [x], vjp))
    positive = y if pos_weight is None else pw_node * y
    textbook_form(t, x, y, stable, positive, w_node)
    return Losses(stable)


def textbook_form(t, x, y, stable, positive, w=None) -> None:
    """σ(x) and the textbook −[y·ln σ(x) + (1 − y)·ln(1 − σ(x))] (times w), for the explanation
    to show beside the stable form that is computed: steps of their own stage, built from the
    same primitives and never part of the loss. ``positive`` is y, or pw·y."""
    s = t.let("σ(x)", tape.sigmoid(x), "textbook")
    book = -(tape.xlogy(positive, s) + tape.xlogy(1 - y, 1 - s))
    book = t.let("ℓ_σ", book if w is None else book * w, "textbook")
    book.attrs["same_as"] = stable


@loss(
    "multilabel-soft-margin",
    gradient="∂ℓ/∂x_c = w_c·(σ(x_c) − y_c) / C",
    aliases=("multilabelsoftmarginloss", "multi-label-soft-margin"),
    family="classification",
    formula="ℓ = −(1/C)·Σ_c w_c·[y_c·ln σ(x_c) + (1 − y_c)·ln σ(−x_c)]",
    reference="torch.nn.MultiLabelSoftMarginLoss (weight=None)",
    example="losscalc multilabel-soft-margin --logits '12,3,2; 3,10,1' --target '1,0,0; 0,1,0'",
    pred_alias="logits",
    pred_help="raw scores (logits): (C) or (N, C)",
    target_help="0/1 labels per class, the logits' shape",
    params=(WEIGHT,),
)
def multilabel_soft_margin(t, x, y, *, weight=None):
    """Multi-label one-versus-all loss: the sigmoid cross entropy averaged over the C classes.

    ℓₙ = −(1/C)·Σ_c w_c·[yₙc·ln σ(xₙc) + (1 − yₙc)·ln σ(−xₙc)], one value per sample; the
    weighted sum is divided by C, not by Σ w_c. Equals bce-logits' per-row mean.
    """
    same_shape(x, y, "multilabel-soft-margin", ("pred", "target"))
    if x.ndim not in (1, 2):
        raise InvalidData(f"multilabel-soft-margin: {ref('pred')} must be (C) or (N, C), got "
                          f"shape {fmt_shape(x.shape)}", loss="multilabel-soft-margin",
                          subjects=("pred",))
    axis = x.ndim - 1
    terms = -(y * tape.log_sigmoid(x) + (1 - y) * tape.log_sigmoid(-x))
    w_node = None
    if weight is not None:
        w = np.asarray(weight, dtype=t.dtype)
        broadcasts_to(w, y.shape, "multilabel-soft-margin", "weight", "the target's shape")
        w_node = t.input(w, "w", batched=w.ndim == y.ndim)
        terms = terms * w_node
    per_class = t.let("ℓ_c", terms)
    textbook_form(t, x, y, per_class, y, w_node)
    n_classes = x.shape[axis]
    return Losses(t.let("ℓ", tape.total(per_class, axis, over="c") / n_classes), class_axis=axis)
