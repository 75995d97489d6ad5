"""PyTorch's losses of several tensors that compare embeddings: cosine-embedding
(torch.nn.CosineEmbeddingLoss), margin-ranking (MarginRankingLoss) and triplet
(TripletMarginLoss), with PyTorch's shapes, checks, epsilons and its conventions at the kinks
(max(·, 0) passes the gradient where its argument is >= 0, as clamp_min's backward).
"""

from __future__ import annotations

import numpy as np

from .. import tape
from ..checks import broadcast_pair, fmt_shape
from ..errors import InvalidData, ref
from ..registry import Losses, Param, Tensor, greater_than, loss
from .margin import note_labels

# ATen's EPSILON, added to each squared norm by cosine_embedding_loss: a float constant, so
# float32(1e-12) = 9.99999996e-13 even in float64 (the golden data tells the two apart).
COSINE_EPS = float(np.float32(1e-12))


def _broadcast_to(node, shape, loss_name, name, what):
    """``node`` (a target) must broadcast with ``shape`` (the pairs), as torch.where does."""
    try:
        np.broadcast_shapes(node.shape, shape)
    except ValueError:
        raise InvalidData(f"{loss_name}: {ref(name)} has shape {fmt_shape(node.shape)} but "
                          f"there are {fmt_shape(shape)} {what}; give one per {what[:-1]}",
                          loss=loss_name, subjects=(name,)) from None


@loss(
    "cosine-embedding",
    gradient="∂ℓ/∂x1 = −∂cos/∂x1 (y = 1), ∂cos/∂x1 where cos > margin (y = −1), "
             "∂cos/∂x1 = x2/(|x1|·|x2|) − cos·x1/|x1|²; likewise for x2",
    aliases=("cosineembeddingloss", "cosine-embedding-loss"),
    family="embedding",
    formula="ℓ = 1 − cos(x1, x2) if y = 1; max(0, cos(x1, x2) − margin) if y = −1",
    reference="torch.nn.CosineEmbeddingLoss (margin=0.0)",
    example="losscalc cosine-embedding --x1 '1,0; 0,1' --x2 '1,1; 1,0' -t 1,-1",
    inputs=(
        Tensor("x1", "first embeddings: (N, D) with N labels, or (D) with one label",
               grad=True),
        Tensor("x2", "second embeddings, x1's shape (or broadcast)", grad=True),
        Tensor("target", "labels ±1 (1: similar pair, −1: dissimilar), one per pair"),
    ),
    params=(Param("margin", "float", 0.0,
                  "a dissimilar pair costs only where its cosine exceeds the margin"),),
)
def cosine_embedding(t, x1, x2, y, *, margin=0.0):
    """Cosine embedding loss: pull similar pairs to cosine 1, push dissimilar ones below a margin.

    cos = Σ x1·x2 / √((Σ x1² + ε)(Σ x2² + ε)), ε = float32(1e-12), over the last axis.
    ℓ = 1 − cos for y = 1 and max(0, cos − margin) for y = −1; other labels give 0 (PyTorch
    does not check them: a note says so). A target of shape (N) takes x1, x2 of shape (N, D);
    a scalar target takes (D).
    """
    if y.ndim > 1:
        raise InvalidData(f"cosine-embedding: {ref('target')} must be one label per pair, a "
                          f"scalar or a vector; got shape {fmt_shape(y.shape)}",
                          loss="cosine-embedding", subjects=("target",))
    want = y.ndim + 1
    if x1.ndim != want or x2.ndim != want:
        raise InvalidData(
            f"cosine-embedding: a target of shape {fmt_shape(y.shape)} takes {ref('x1')} and "
            f"{ref('x2')} of "
            f"{want} dimension{'s' if want > 1 else ''}; got {fmt_shape(x1.shape)} and "
            f"{fmt_shape(x2.shape)}", "pairs of vectors: --x1 and --x2 of shape (N, D) with N "
            "labels, or (D) with one", loss="cosine-embedding", subjects=("x1", "x2"))
    broadcast_pair(t, x1, x2, "cosine-embedding", ("x1", "x2"))
    axis = y.ndim
    dot = t.let("dot", tape.total(x1 * x2, axis, "d"))
    eps = t.const(COSINE_EPS, "ε")
    sq1 = t.let("s1", tape.total(tape.square(x1), axis, "d") + eps)
    sq2 = t.let("s2", tape.total(tape.square(x2), axis, "d") + eps)
    cos = t.let("cos", dot / tape.sqrt(sq1 * sq2))
    _broadcast_to(y, cos.shape, "cosine-embedding", "target", "pairs")
    odd = note_labels(t, y, "cosine-embedding", "such a pair costs 0, as in PyTorch")
    dissimilar = tape.clamp_min(cos - t.const(margin, "margin"), 0)
    if odd:
        dissimilar = t.let("ℓ⁻", tape.where(y.value == -1, dissimilar, 0, "y = −1"))
    return Losses(t.let("ℓ", tape.where(y.value == 1, 1 - cos, dissimilar, "y = 1")))


@loss(
    "margin-ranking",
    gradient="∂ℓ/∂x1 = −y, ∂ℓ/∂x2 = y where −y·(x1 − x2) + margin >= 0, else 0",
    aliases=("marginrankingloss", "margin-ranking-loss", "ranking"),
    family="ranking",
    formula="ℓ = max(0, −y·(x1 − x2) + margin)",
    reference="torch.nn.MarginRankingLoss (margin=0.0)",
    example="losscalc margin-ranking --x1 0.8,0.2,0.5 --x2 0.3,0.6,0.5 -t 1,-1,1 --margin 0.1",
    inputs=(
        Tensor("x1", "scores of the first items", grad=True),
        Tensor("x2", "scores of the second items, x1's shape", grad=True),
        Tensor("target", "1 where x1 should rank higher, −1 where x2 should, x1's shape"),
    ),
    params=(Param("margin", "float", 0.0, "how far the right score must lead"),),
)
def margin_ranking(t, x1, x2, y, *, margin=0.0):
    """Margin ranking loss: the pair costs unless the score y says is higher leads by the margin.

    ℓᵢ = max(0, −yᵢ·(x1ᵢ − x2ᵢ) + margin). The three tensors must have one number of
    dimensions and broadcast (PyTorch's rule); labels other than ±1 are used as given (note).
    At the kink, −y·(x1 − x2) + margin = 0, the gradient is −y and y (clamp_min's backward).
    """
    if not x1.ndim == x2.ndim == y.ndim:
        raise InvalidData(
            f"margin-ranking: {ref('x1')}, {ref('x2')} and {ref('target')} must have the same "
            f"number of dimensions; "
            f"got shapes {fmt_shape(x1.shape)}, {fmt_shape(x2.shape)} and {fmt_shape(y.shape)}",
            loss="margin-ranking", subjects=("x1", "x2", "target"))
    broadcast_pair(t, x1, x2, "margin-ranking", ("x1", "x2"))
    d = t.let("d", x1 - x2)
    broadcast_pair(t, d, y, "margin-ranking", ("x1", "target"))
    note_labels(t, y, "margin-ranking", "used as given, as PyTorch does")
    return Losses(t.let("ℓ", tape.clamp_min(-y * d + t.const(margin, "margin"), 0)))


@loss(
    "triplet",
    gradient="∂ℓ/∂a = ∂d⁺/∂a − ∂d⁻/∂a, ∂ℓ/∂pos = ∂d⁺/∂pos, ∂ℓ/∂neg = −∂d⁻/∂neg where "
             "margin + d⁺ − d⁻ >= 0 (else 0); for p = 2, ∂‖u‖/∂u = u/‖u‖",
    aliases=("tripletmarginloss", "triplet-margin", "triplet-margin-loss"),
    family="embedding",
    formula="ℓ = max(0, margin + ‖a − pos + ε‖ₚ − ‖a − neg + ε‖ₚ)",
    reference="torch.nn.TripletMarginLoss (margin=1.0, p=2, eps=1e-6, swap=False)",
    example="losscalc triplet --anchor '0,0; 1,1' --positive '0,1; 1,2' --negative '2,0; 1,1.5'",
    inputs=(
        Tensor("anchor", "anchors: (N, D), or (D) for one triplet", grad=True),
        Tensor("positive", "embeddings of the same kind as the anchors, their shape",
               grad=True),
        Tensor("negative", "embeddings of another kind, the anchors' shape", grad=True),
    ),
    params=(
        Param("margin", "float", 1.0, "how much nearer the positive must be (> 0)",
              greater_than(0)),
        Param("p", "float", 2.0, "the degree of the distance's norm (1: Manhattan, 2: "
              "Euclidean, inf: the largest difference)", greater_than(0)),
        Param("eps", "float", 1e-6, "added to each difference before its norm, as PyTorch"),
        Param("swap", "bool", False, "use the positive–negative distance when it is smaller "
              "(Balntas et al. 2016)"),
    ),
)
def triplet(t, a, pos, neg, *, margin=1.0, p=2.0, eps=1e-6, swap=False):
    """Triplet margin loss: an anchor should be nearer its positive than its negative by a margin.

    d⁺ = ‖a − pos + ε‖ₚ and d⁻ = ‖a − neg + ε‖ₚ over the last axis (PyTorch's
    pairwise_distance adds ε = 1e-6 to the difference); ℓ = max(0, margin + d⁺ − d⁻). With
    --swap, d⁻ = min(d⁻, ‖pos − neg + ε‖ₚ). The three tensors must have one number of
    dimensions (PyTorch's check). PyTorch's norm backward is 0 where a distance is 0.
    """
    if not a.ndim == pos.ndim == neg.ndim:
        raise InvalidData(
            f"triplet: {ref('anchor')}, {ref('positive')} and {ref('negative')} must have the "
            f"same number of "
            f"dimensions; got shapes {fmt_shape(a.shape)}, {fmt_shape(pos.shape)} and "
            f"{fmt_shape(neg.shape)}",
            loss="triplet", subjects=("anchor", "positive", "negative"))
    if a.ndim == 0:
        raise InvalidData(f"triplet: {ref('anchor')}, {ref('positive')} and {ref('negative')} "
                          f"must be vectors (D) or "
                          f"rows of vectors (N, D); got scalars",
                          loss="triplet", subjects=("anchor", "positive", "negative"))
    broadcast_pair(t, a, pos, "triplet", ("anchor", "positive"))
    broadcast_pair(t, a, neg, "triplet", ("anchor", "negative"))
    e = t.const(eps, "ε")
    d_pos = t.let("d⁺", tape.norm(a - pos + e, p))
    d_neg = t.let("d⁻", tape.norm(a - neg + e, p))
    if swap:
        d_swap = t.let("dₛ", tape.norm(pos - neg + e, p))
        d_neg = t.let("d⁻ₘᵢₙ", tape.minimum(d_neg, d_swap))
    return Losses(t.let("ℓ", tape.clamp_min(t.const(margin, "margin") + d_pos - d_neg, 0)))
