"""Divergences between distributions: KL divergence with PyTorch's input conventions."""

from __future__ import annotations

from .. import diagnose, tape
from ..checks import broadcast_pair, first_bad, fmt_index, fmt_number
from ..errors import InvalidData, ref
from ..registry import REDUCTIONS, Losses, Param, loss


@loss(
    "kl",
    gradient="∂ℓ/∂x = −y (−e^y with --log-target)",
    aliases=("kl-div", "kldivloss", "kl-divergence"),
    family="divergence",
    formula="ℓ = y·(ln y − x)  (x = ln q; with --log-target: e^y·(y − x))",
    reference="torch.nn.KLDivLoss (log_target=False)",
    example="losscalc kl --log-probs '-1.2,-0.9,-1.2' --target 0.2,0.5,0.3 --reduction batchmean",
    pred_alias="log-probs",
    pred_help="log-probabilities ln q (the model's distribution, as logs)",
    target_help="probabilities y (or log-probabilities with --log-target)",
    params=(Param("log_target", "bool", False, "the target is given as log-probabilities"),),
    reductions=REDUCTIONS + ("batchmean",),
)
def kl(t, x, y, *, log_target=False):
    """Kullback–Leibler divergence D(y ‖ q) with the input given as log-probabilities x = ln q.

    ℓᵢ = yᵢ·(ln yᵢ − xᵢ), with 0·ln 0 = 0 so a zero target contributes 0; with --log-target
    ℓᵢ = e^yᵢ·(yᵢ − xᵢ). 'batchmean' divides the sum by the batch size (the first dimension)
    and is the true KL divergence per sample; 'mean' divides by every element (N·C), which
    PyTorch keeps only for compatibility. Gradient: −yᵢ (−e^yᵢ with --log-target).
    """
    broadcast_pair(t, x, y, "kl", ("pred", "target"))
    axis = x.ndim - 1 if x.ndim else 0
    t.note(diagnose.not_log_probabilities(
        x.value, axis, "--log-probs", "kl expects ln q; take the log of probabilities first"))
    t.note(diagnose.target_rows(y.value, axis, log_target))
    if log_target:
        return Losses(t.let("ℓ", tape.exp(y) * (y - x)))
    negative = y.value < 0
    if negative.any():
        at = first_bad(negative)
        raise InvalidData(
            f"kl: {ref('target')} must hold probabilities >= 0; got {fmt_number(y.value[at])} at "
            f"index {fmt_index(at)}",
            "if the target holds log-probabilities, add --log-target",
        loss="kl", subjects=("target",))
    return Losses(t.let("ℓ", tape.xlogy(y, y) - y * x))
