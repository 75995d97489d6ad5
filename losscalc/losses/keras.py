"""Losses PyTorch lacks, with Keras 3's semantics (see docs/zoo.md).

Keras computes one value per sample: the mean (cosine similarity: the sum) over the last axis,
so a 1-D input is one sample and its per-sample loss is a single number; give (N, 1) for N
samples of one value. Keras' constants are kept: ε = 1e-7 (``keras.backend.epsilon()``) and
the probability clip [1e-7, 1 − 1e-7], in the requested dtype.
"""

from __future__ import annotations

import numpy as np

from .. import tape
from ..checks import class_indices, fmt_shape, non_negative, same_shape
from ..errors import InvalidData, ref
from ..registry import Constraint, Losses, Param, at_least, loss

EPSILON = 1e-7  # keras.backend.epsilon()


def _per_sample(t, terms, scale=None) -> Losses:
    """Keras' per-sample loss: the mean of ``terms`` over the last axis (times ``scale``).

    A 0-d input is one sample of one value: its term is the loss.
    """
    if terms.ndim == 0:
        return Losses(t.let("ℓ", terms if scale is None else scale * terms))
    axis = terms.ndim - 1
    mean = tape.total(terms, axis, over="j") / t.const(terms.shape[axis], "K")
    return Losses(t.let("ℓ", mean if scale is None else scale * mean), class_axis=axis)


def _pair(t, x, y, name):
    same_shape(x, y, name)
    if x.ndim:
        t.remark(f"Keras averages over the last axis: {x.shape[-1]} value(s) per sample, "
                 f"{int(np.prod(x.shape[:-1]))} sample(s); give (N, 1) for N one-value samples")


@loss(
    "log-cosh",
    gradient="∂ℓ/∂x = tanh(x − y) / K",
    aliases=("logcosh",),
    family="regression",
    formula="ℓ = mean_j log cosh(x − y) = mean_j [d + softplus(−2d) − ln 2], d = x − y",
    reference="keras.losses.LogCosh (Keras 3)",
    example="losscalc log-cosh -p '0.5,1.5; 2,-1' -t '1,1; 1,0'",
)
def log_cosh(t, x, y):
    """Logarithm of the hyperbolic cosine of the error, averaged over the last axis (Keras).

    ℓ = mean_j log cosh(dⱼ), dⱼ = xⱼ − yⱼ, computed as Keras does, d + softplus(−2d) − ln 2,
    which does not overflow for large |d| (softplus(u) = max(u, 0) + ln(1 + e^(−|u|))).
    ∂ℓ/∂xⱼ = tanh(dⱼ)/K over the K values of the last axis.
    """
    _pair(t, x, y, "log-cosh")
    d = t.let("d", x - y)
    terms = t.let("ℓ_j", d + tape.softplus(-2 * d) - t.const(np.log(2.0), "ln 2"))
    return _per_sample(t, terms)


@loss(
    "mape",
    gradient="∂ℓ/∂x = 100·sign(x − y) / (K·max(|y|, ε))",
    aliases=("mean-absolute-percentage-error", "meanabsolutepercentageerror"),
    family="regression",
    formula="ℓ = 100·mean_j |y − x| / max(|y|, ε), ε = 1e-7 (a percentage)",
    reference="keras.losses.MeanAbsolutePercentageError (Keras 3)",
    example="losscalc mape -p 110,45,3 -t 100,50,4",
)
def mape(t, x, y):
    """Mean absolute percentage error, in percent, averaged over the last axis (Keras).

    ℓ = 100·mean_j |yⱼ − xⱼ| / max(|yⱼ|, ε) with ε = 1e-7, so a zero target gives a huge but
    finite term. sklearn's mean_absolute_percentage_error is the same ratio as a fraction (not
    ×100) with ε = 2.2e-16. ∂ℓ/∂xⱼ = 100·sign(xⱼ − yⱼ)/(K·max(|yⱼ|, ε)), 0 where xⱼ = yⱼ.
    """
    _pair(t, x, y, "mape")
    zero = int((np.abs(y.value) < EPSILON).sum())
    if zero:
        t.note(f"{zero} target(s) are 0 (|y| < 1e-7): their error is divided by 1e-7, as Keras "
               "does, and dominates the percentage")
    r = t.let("r", tape.absolute(y - x) / tape.clamp_min(tape.absolute(y), EPSILON))
    return _per_sample(t, r, 100)


@loss(
    "msle",
    gradient="∂ℓ/∂x = 2·(a − b) / (K·(max(x, ε) + 1)), 0 where x < ε",
    aliases=("mean-squared-logarithmic-error", "meansquaredlogarithmicerror"),
    family="regression",
    formula="ℓ = mean_j (ln(max(x, ε) + 1) − ln(max(y, ε) + 1))², ε = 1e-7",
    reference="keras.losses.MeanSquaredLogarithmicError (Keras 3)",
    example="losscalc msle -p 2.5,0,2,8 -t 3,-0.5,2,7",
)
def msle(t, x, y):
    """Mean squared logarithmic error, averaged over the last axis (Keras).

    ℓ = mean_j (aⱼ − bⱼ)², a = ln(max(x, ε) + 1), b = ln(max(y, ε) + 1), ε = 1e-7: values
    below ε (including negatives) are clamped to ε, as Keras does (sklearn raises for values
    <= −1 instead). The gradient follows the clamp: 2(a − b)/(K·(x + 1)) where x >= ε and 0
    where x was clamped (zero gradient where clamped).
    """
    _pair(t, x, y, "msle")
    clamped = int((x.value < EPSILON).sum())
    if clamped:
        t.note(f"{clamped} prediction(s) below 1e-7 are clamped to 1e-7 (gradient 0 there), "
               "as Keras does")
    a = t.let("a", tape.log1p(tape.clamp_min(x, EPSILON)))
    b = t.let("b", tape.log1p(tape.clamp_min(y, EPSILON)))
    return _per_sample(t, t.let("ℓ_j", tape.square(a - b)))


@loss(
    "poisson",
    gradient="∂ℓ/∂x = (1 − y / (x + ε)) / K",
    aliases=("poisson-loss",),
    family="regression",
    formula="ℓ = mean_j [x − y·ln(x + ε)], ε = 1e-7 (x: the predicted rate)",
    reference="keras.losses.Poisson (Keras 3)",
    example="losscalc poisson -p 1.5,0.2,3 -t 2,0,4",
    pred_help="predicted rates x >= 0 (not log-rates)",
    target_help="observed counts, the prediction's shape",
)
def poisson(t, x, y):
    """Poisson loss of a predicted rate x >= 0 against counts y, averaged over the last axis.

    ℓ = mean_j [xⱼ − yⱼ·ln(xⱼ + ε)], ε = 1e-7 (Keras). The prediction is the rate itself,
    not its log (torch.nn.PoissonNLLLoss takes log-rates by default: log_input=True).
    ∂ℓ/∂xⱼ = (1 − yⱼ/(xⱼ + ε))/K.
    """
    _pair(t, x, y, "poisson")
    non_negative(x.value, "poisson", "pred", "rates",
                 "if these are log-rates, take their exp first (torch's PoissonNLLLoss takes "
                 "log-rates)")
    eps = t.const(EPSILON, "ε")
    return _per_sample(t, t.let("ℓ_j", x - y * tape.log(x + eps)))


def _hinge_labels(t, y):
    """Keras: when every target is 0 or 1, they are mapped to −1 and +1 (2y − 1)."""
    binary = bool(np.all((y.value == 0) | (y.value == 1)))
    if not binary:
        return y
    t.remark("every target is 0 or 1, so they are mapped to −1/+1 (y± = 2y − 1), as Keras does")
    return t.let("y±", 2 * y - 1)


_HINGE_LABELS = "labels ±1, or 0/1 (mapped to ±1 when every target is 0 or 1)"


@loss(
    "hinge",
    gradient="∂ℓ/∂x = −y / K where 1 − y·x > 0, else 0",
    aliases=("hinge-loss",),
    family="classification",
    formula="ℓ = mean_j max(1 − y·x, 0)",
    reference="keras.losses.Hinge (Keras 3)",
    example="losscalc hinge -p 0.8,-0.3,2 -t 1,-1,-1",
    pred_help="decision values (raw scores)",
    target_help=_HINGE_LABELS,
)
def hinge(t, x, y):
    """Hinge loss of decision values against ±1 labels, averaged over the last axis (Keras).

    ℓ = mean_j max(1 − yⱼ·xⱼ, 0). When every target is 0 or 1 they are first mapped to ±1
    (2y − 1), as Keras does; other labels are used as given. ∂ℓ/∂xⱼ = −yⱼ/K where the margin
    1 − yⱼxⱼ is >= 0 (the gradient passes at the kink, as max(·, 0)'s clamp does), else 0.
    """
    _pair(t, x, y, "hinge")
    labels = _hinge_labels(t, y)
    return _per_sample(t, t.let("ℓ_j", tape.clamp_min(1 - labels * x, 0)))


@loss(
    "squared-hinge",
    gradient="∂ℓ/∂x = −2·y·max(1 − y·x, 0) / K",
    aliases=("squaredhinge",),
    family="classification",
    formula="ℓ = mean_j max(1 − y·x, 0)²",
    reference="keras.losses.SquaredHinge (Keras 3)",
    example="losscalc squared-hinge -p 0.8,-0.3,2 -t 1,0,0",
    pred_help="decision values (raw scores)",
    target_help=_HINGE_LABELS,
)
def squared_hinge(t, x, y):
    """Squared hinge loss against ±1 labels, averaged over the last axis (Keras).

    ℓ = mean_j max(1 − yⱼ·xⱼ, 0)²; 0/1 targets are mapped to ±1 when every target is 0 or 1,
    as Keras does. ∂ℓ/∂xⱼ = −2yⱼ·max(1 − yⱼxⱼ, 0)/K.
    """
    _pair(t, x, y, "squared-hinge")
    labels = _hinge_labels(t, y)
    return _per_sample(t, t.let("ℓ_j", tape.square(tape.clamp_min(1 - labels * x, 0))))


def one_hot_targets(t, x, y, name, what="one-hot/probabilities"):
    """Keras/optax class-last targets: class indices of shape x.shape[:-1] or ``what`` of x's
    shape (the shape tells which, as for ce; ``what`` None: indices only). Returns the target
    as a node of x's shape."""
    if x.ndim == 0:
        raise InvalidData(f"{name}: {ref('pred')} must have a class axis (last); got a "
                          "single number", loss=name, subjects=("pred",))
    if y.shape == x.shape and what:
        return y
    if y.shape != x.shape[:-1]:
        rows = f" or {what} of shape {fmt_shape(x.shape)}" if what else ""
        raise InvalidData(
            f"{name}: {ref('target')} has shape {fmt_shape(y.shape)}, but {ref('pred')} of shape "
            f"{fmt_shape(x.shape)} needs class indices of shape {fmt_shape(x.shape[:-1])}"
            + rows, loss=name, subjects=("target", "pred"))
    labels = class_indices(y.value, x.shape[-1], None, name)
    onehot = (labels[..., None] == np.arange(x.shape[-1])).astype(t.dtype)
    t.remark("the class indices are read as one-hot rows (1 at the target class)")
    return t.input(onehot, "y_c")


@loss(
    "categorical-hinge",
    gradient="∂ℓ/∂x = (1 − y) at the arg max of (1 − y)·x, − y, where the margin > 0",
    aliases=("categoricalhinge",),
    family="classification",
    formula="ℓ = max(max_c((1 − y)·x) − Σ_c y·x + 1, 0)",
    reference="keras.losses.CategoricalHinge (Keras 3)",
    example="losscalc categorical-hinge -p '1,1.5,0.1; 0.5,2.5,0.3' -t 0,2",
    pred_help="scores (…, C), class axis last",
    target_help="class indices (…) or one-hot rows (…, C)",
)
def categorical_hinge(t, x, y):
    """Crammer–Singer style hinge over the last (class) axis, as Keras computes it.

    pos = Σ_c y_c·x_c, neg = max_c (1 − y_c)·x_c, ℓ = max(neg − pos + 1, 0). With one-hot
    targets the true class's term in neg is 0 and takes part in the max, as in Keras (so neg
    >= 0 even when every other score is negative). Ties in the max share the gradient.
    """
    y = one_hot_targets(t, x, y, "categorical-hinge", "one-hot rows")
    axis = x.ndim - 1
    pos = t.let("pos", tape.total(y * x, axis, over="c"))
    neg = t.let("neg", tape.amax((1 - y) * x, axis, over="c", keepdims=False))
    return Losses(t.let("ℓ", tape.clamp_min(neg - pos + 1, 0)), class_axis=axis)


def _unit(t, v, name, symbol, axis):
    """v / max(‖v‖, ε) along ``axis`` (Keras' normalize), with its norm as a step."""
    norm = t.let(f"‖{v.name}‖",
                 tape.sqrt(tape.total(tape.square(v), axis, over="j", keepdims=True)))
    zero = int((norm.value < EPSILON).sum())
    if zero:
        t.note(f"{zero} {name} vector(s) have norm < 1e-7 (zero vectors): divided by 1e-7 "
               "instead, as Keras does, so their similarity is 0")
    return t.let(symbol, v / tape.clamp_min(norm, EPSILON))


@loss(
    "cosine-similarity",
    gradient="∂ℓ/∂x = −(v − (u·v)·u) / max(‖x‖, ε), summed over the last axis (u = x/‖x‖)",
    aliases=("cosinesimilarity", "cosine"),
    family="similarity",
    formula="ℓ = −Σ_j u·v, u = x / max(‖x‖, ε), v = y / max(‖y‖, ε), ε = 1e-7",
    reference="keras.losses.CosineSimilarity (axis=-1; Keras 3)",
    example="losscalc cosine-similarity -p '1,2,3; 0,1,0' -t '1,2,2; 1,0,0'",
    pred_help="vectors along the last axis",
    target_help="vectors, the prediction's shape",
)
def cosine_similarity(t, x, y):
    """Negative cosine similarity of vectors along the last axis (Keras: −1 is best).

    ℓ = −Σ_j uⱼ·vⱼ with u = x/max(‖x‖, ε), v = y/max(‖y‖, ε), ε = 1e-7 (Keras' normalize):
    a zero vector gives 0 (not nan). One value per vector: the sum, not the mean, over the last
    axis. The gradient is that of this formula: −(v − (u·v)·u)/‖x‖ where ‖x‖ >= ε, and −v/ε
    for a prediction with ‖x‖ < ε (the norm then takes no part, as in the clamp).
    """
    same_shape(x, y, "cosine-similarity")
    if x.ndim == 0:
        raise InvalidData(f"cosine-similarity: {ref('pred')} must hold vectors (the last axis); "
                          f"got a single number", loss="cosine-similarity", subjects=("pred",))
    axis = x.ndim - 1
    u = _unit(t, x, "prediction", "u", axis)
    v = _unit(t, y, "target", "v", axis)
    return Losses(t.let("ℓ", -tape.total(u * v, axis, over="j")), class_axis=axis)


def _pooled(t, x, y, name):
    """Dice and Tversky pool the whole batch (Keras axis=None): Σ over every element."""
    same_shape(x, y, name)
    outside = (x.value < 0) | (x.value > 1)
    if outside.any():
        t.note(f"--pred holds values outside [0, 1]: {name} expects probabilities (apply the "
               "sigmoid or softmax first)")
    t.remark(f"{name} pools every element of the batch into one value (Keras axis=None), "
             "which is not the mean of per-sample scores")
    return t.let("TP", tape.total(y * x))


@loss(
    "dice",
    gradient="∂ℓ/∂x = −2·(y·(Σy + Σx + ε) − Σyx) / (Σy + Σx + ε)²",
    aliases=("dice-loss",),
    family="segmentation",
    formula="ℓ = 1 − 2·Σ(y·x) / (Σy + Σx + ε), ε = 1e-7, over the whole batch",
    reference="keras.losses.Dice (axis=None; Keras 3)",
    example="losscalc dice -p '0.9,0.2; 0.7,0.1' -t '1,0; 1,1'",
    pred_help="probabilities in [0, 1], any shape",
    target_help="0/1 (or soft) masks, the prediction's shape",
)
def dice(t, x, y):
    """Dice loss over the whole batch: one minus the (soft) Dice coefficient.

    ℓ = 1 − 2·Σ(y·x)/(Σy + Σx + ε), ε = 1e-7, with the sums over every element (Keras'
    default axis=None): one value for the batch, not a mean of per-sample Dice scores.
    """
    tp = _pooled(t, x, y, "dice")
    denominator = t.let("Σy + Σx + ε", tape.total(y) + tape.total(x) + t.const(EPSILON, "ε"))
    return Losses(t.let("ℓ", 1 - 2 * tp / denominator))


@loss(
    "tversky",
    gradient="∂ℓ/∂x = −[y·D − TP·(y + α·(1 − y) − β·y)] / D², D = TP + α·FP + β·FN + ε",
    aliases=("tversky-loss",),
    family="segmentation",
    formula="ℓ = 1 − TP / (TP + α·FP + β·FN + ε), TP = Σyx, FP = Σ(1 − y)x, FN = Σy(1 − x)",
    reference="keras.losses.Tversky (alpha=0.5, beta=0.5, axis=None) as corrected by "
              "keras-team/keras PR #23333: α weighs false positives, β false negatives "
              "(Keras <= 3.15.1 swaps them)",
    example="losscalc tversky -p '0.9,0.2; 0.7,0.1' -t '1,0; 1,1' --alpha 0.3 --beta 0.7",
    pred_help="probabilities in [0, 1], any shape",
    target_help="0/1 (or soft) masks, the prediction's shape",
    params=(
        Param("alpha", "float", 0.5, "weight of the false positives FP = Σ(1 − y)x",
              at_least(0)),
        Param("beta", "float", 0.5, "weight of the false negatives FN = Σy(1 − x); "
              "Keras <= 3.15.1 swaps α and β", at_least(0)),
    ),
)
def tversky(t, x, y, *, alpha=0.5, beta=0.5):
    """Tversky loss over the whole batch: Dice with separate weights for FP and FN.

    ℓ = 1 − TP/(TP + α·FP + β·FN + ε), TP = Σyx, FP = Σ(1 − y)x, FN = Σy(1 − x), ε = 1e-7,
    summed over every element (Keras' default axis=None). This is the definition as corrected
    by keras-team/keras PR #23333 (α on false positives, β on false negatives); Keras up to
    3.15.1 puts α on FN and β on FP. α = β = 0.5 is Dice (with 2ε in place of ε).
    """
    tp = _pooled(t, x, y, "tversky")
    fp = t.let("FP", tape.total((1 - y) * x))
    fn = t.let("FN", tape.total(y * (1 - x)))
    a, b = t.const(alpha, "α"), t.const(beta, "β")
    return Losses(t.let("ℓ", 1 - tp / (tp + a * fp + b * fn + t.const(EPSILON, "ε"))))


def _unclipped(t, p, what):
    clipped = int(((p.value < EPSILON) | (p.value > 1 - EPSILON)).sum())
    if clipped:
        t.note(f"{clipped} {what} outside [1e-7, 1 − 1e-7] were clipped, as Keras does "
               "(gradient 0 there)")


@loss(
    "categorical-focal",
    gradient="∂ℓ/∂z = p·(g − Σ_c g·p) with g = ∂ℓ/∂p = −α·y·[(1 − p)^γ/p − "
             "γ·(1 − p)^(γ−1)·ln p], g = 0 where p was clipped",
    aliases=("categorical-focal-crossentropy", "categoricalfocalcrossentropy"),
    family="classification",
    formula="ℓ = Σ_c −α·(1 − p)^γ·y·ln p, p = clip(softmax(z), 1e-7, 1 − 1e-7)",
    reference="keras.losses.CategoricalFocalCrossentropy (alpha=0.25, gamma=2, "
              "from_logits=True; Keras 3)",
    example="losscalc categorical-focal --logits '2,1,0.1; 0.5,2.5,0.3' -t 0,2",
    pred_alias="logits",
    pred_help="raw scores (logits) (…, C), class axis last",
    target_help="class indices (…), or one-hot/probabilities (…, C)",
    params=(
        Param("alpha", "float", 0.25, "weight of every class's term (Keras: no 1 − α)",
              at_least(0)),
        Param("gamma", "float", 2.0, "focusing exponent: 0 gives α·cross entropy", at_least(0)),
    ),
)
def categorical_focal(t, z, y, *, alpha=0.25, gamma=2.0):
    """Categorical focal cross entropy on logits, class axis last, as Keras computes it.

    p = clip(softmax(z), ε, 1 − ε) with ε = 1e-7, ℓ = Σ_c −α·(1 − p_c)^γ·y_c·ln p_c: α
    multiplies every class (Keras has no 1 − α for the others). Keras also divides the softmax
    by its sum first, which changes it by at most an ulp. The gradient follows the clip: 0
    through a probability that was clipped (Keras' convention).
    """
    y = one_hot_targets(t, z, y, "categorical-focal")
    axis = z.ndim - 1
    p = tape.softmax(t, z, axis)
    _unclipped(t, p, "probabilities")
    p = t.let("p", tape.clamp_max(tape.clamp_min(p, EPSILON), 1 - EPSILON))
    t.remark("p is clipped to [1e-7, 1 − 1e-7] as Keras does (the upper bound 0.9999999 "
             "shows as 1 when rounded)")
    a, g = t.const(alpha, "α"), t.const(gamma, "γ")
    terms = t.let("ℓ_c", -a * tape.pow_(1 - p, g) * y * tape.log(p))
    return Losses(t.let("ℓ", tape.total(terms, axis, over="c")), class_axis=axis)


@loss(
    "generalized-ce",
    gradient="∂ℓ/∂p = −p_y^(q−1) at the true class, 0 elsewhere",
    aliases=("gce", "categorical-generalized-cross-entropy",
             "categoricalgeneralizedcrossentropy"),
    family="classification",
    formula="ℓ = (1 − p_y^q) / q, p_y = Σ_c y·p (the true class's probability)",
    reference="keras.losses.CategoricalGeneralizedCrossEntropy (q=0.5; Keras 3; "
              "Zhang & Sabuncu 2018)",
    example="losscalc generalized-ce --probs '0.7,0.2,0.1; 0.1,0.3,0.6' -t 0,2",
    pred_alias="probs",
    pred_help="probabilities (…, C), class axis last (no softmax is applied)",
    target_help="class indices (…), or one-hot rows (…, C)",
    params=(Param("q", "float", 0.5, "0 < q < 1: q → 0 is cross entropy, q = 1 is MAE",
                  Constraint(lambda v: 0 < v < 1, "in (0, 1)")),),
)
def generalized_ce(t, p, y, *, q=0.5):
    """Generalized cross entropy of probabilities (noise-robust; Zhang & Sabuncu 2018).

    ℓ = (1 − p_y^q)/q with p_y the probability of the true class, as Keras computes it: the
    input is taken as probabilities (no softmax) and nothing is clipped. ∂ℓ/∂p_y = −p_y^(q−1).
    """
    y = one_hot_targets(t, p, y, "generalized-ce", "one-hot rows")
    if ((p.value < 0) | (p.value > 1)).any():
        t.note("--probs holds values outside [0, 1]: generalized-ce expects probabilities "
               "(apply the softmax first)")
    axis = p.ndim - 1
    qq = t.const(q, "q")
    p_y = t.let("p_y", tape.total(y * p, axis, over="c"))
    return Losses(t.let("ℓ", (1 - tape.pow_(p_y, qq)) / qq), class_axis=axis)
