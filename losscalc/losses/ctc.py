"""CTC, torch.nn.CTCLoss: the negative log-probability of a label sequence summed over every
alignment of it to the input's time steps, by the forward (α) recursion of Graves et al. 2006
as PyTorch's CPU kernel runs it, with PyTorch's backward (the β recursion).

PyTorch's backward returns exp(lp) − exp(ln Σ_{s: l′ₛ = c} αₜ(s)βₜ(s) + nll − lp): the
gradient with respect to the *logits* whose log_softmax the log-probs are, not the partial
derivative with respect to the log-probs themselves (the two differ by exp(lp)). It equals the
partial derivative along every change of the log-probs that keeps them normalised, which is
how --check-grad checks it (LossSpec.check_through).
"""

from __future__ import annotations

import numpy as np

from .. import tape
from ..checks import fmt_index, fmt_number, fmt_shape
from ..errors import InvalidData, ref
from ..i18n import N_
from ..recorder import Tape
from ..registry import Losses, Param, Tensor, loss

NEG_INF = -np.inf
TABLE_LIMIT = 24  # the α table is shown for sequences of at most this many steps and states


def _log_softmax(lp: np.ndarray) -> np.ndarray:
    """log_softmax over the class axis (the tape's): what --check-grad perturbs through."""
    t = Tape(np.float64)
    return tape.log_softmax(t, t.input(lp, "lp"), -1).value


def _integers(values: np.ndarray, name: str, what: str) -> np.ndarray:
    frac = values != np.round(values)
    if frac.any():
        at = np.unravel_index(int(np.argmax(frac)), frac.shape) if frac.ndim else ()
        raise InvalidData(f"ctc: {ref(name)} holds {what}, which must be integers; got "
                          f"{fmt_number(values[at])}" + (f" at index {fmt_index(at)}"
                                                         if values.ndim else ""),
                          loss="ctc", subjects=(name,))
    return values.astype(np.int64)


def _lengths(node, n: int, batched: bool, name: str, default, high: int | None, what: str):
    """Per-sequence lengths: the option's values (checked as PyTorch does) or ``default``."""
    if node is None:
        return np.broadcast_to(np.asarray(default, dtype=np.int64), (n,)).copy()
    values = _integers(node.value, name, what)
    if values.size != n or values.ndim > 1:
        raise InvalidData(f"ctc: {ref(name)} must hold one length per sequence ({n}); got "
                          f"shape {fmt_shape(values.shape)}", loss="ctc", subjects=(name,))
    values = values.reshape(n)
    bounds = [("at least 0", values < 0)]
    if high is not None:
        bounds.append((f"at most {high}", values > high))
    for bound, bad in bounds:
        if bad.any():
            i = int(np.argmax(bad))
            raise InvalidData(f"ctc: {ref(name)} must be {bound}; got {values[i]}"
                              + (f" for sequence {i}" if batched else ""), loss="ctc",
                              subjects=(name,))
    return values


def _targets(y, n: int, batched: bool, lengths, blank: int, classes: int, t):
    """Each sequence's labels, from a padded (N, S) target or the concatenated (ΣL) form."""
    labels = _integers(y.value, "target", "class indices")
    if labels.ndim == 0:
        labels = labels.reshape(1)  # one label: `-t 1`
    if labels.ndim not in (1, 2):
        raise InvalidData(f"ctc: {ref('target')} must be (N, S) padded labels or all N sequences' "
                          f"labels one after another (ΣL); got shape {fmt_shape(labels.shape)}",
                          loss="ctc", subjects=("target",))
    if labels.ndim == 1 and lengths is None and not batched:
        labels = labels.reshape(1, -1)  # one sequence: all of its labels
    if labels.ndim == 2:  # padded, one row per sequence ((1, S) for one)
        rows = labels
        if rows.shape[0] != n:
            raise InvalidData(f"ctc: {ref('target')} has {rows.shape[0]} rows of labels for "
                              f"{n} sequences", loss="ctc", subjects=("target",))
        lengths = _lengths(lengths, n, batched, "target_lengths", rows.shape[1], rows.shape[1],
                           "target lengths")
        sequences = [rows[b, :lengths[b]] for b in range(n)]
    else:
        if lengths is None:
            raise InvalidData(f"ctc: a 1-dimensional {ref('target')} holds every sequence's "
                              f"labels one after another: give {ref('target_lengths')} to "
                              "split it",
                              "or give --target as an (N, S) table padded to one length",
                              loss="ctc", subjects=("target", "target_lengths"))
        # (S) with --target-lengths: PyTorch reads it as the concatenated form, also unbatched
        lengths = _lengths(lengths, n, batched, "target_lengths", 0, None, "target lengths")
        if lengths.sum() != labels.size:
            raise InvalidData(f"ctc: {ref('target_lengths')} add up to {lengths.sum()} but "
                              f"{ref('target')} "
                              f"holds {labels.size} labels",
                              loss="ctc", subjects=("target_lengths", "target"))
        sequences = np.split(labels, np.cumsum(lengths)[:-1])
    for b, seq in enumerate(sequences):
        bad = (seq < 0) | (seq >= classes)
        if bad.any():
            i = int(np.argmax(bad))
            raise InvalidData(f"ctc: label {seq[i]} of sequence {b} is out of range for "
                              f"{classes} classes: expected 0 to {classes - 1}")
        if (seq == blank).any():
            t.note(f"sequence {b}'s labels contain the blank {blank}: CTC targets must not "
                   "(PyTorch computes on regardless, as here)")
    return sequences, lengths


def _extended(seq: np.ndarray, blank: int) -> np.ndarray:
    """l′: the labels with a blank before, between and after them (length 2L + 1)."""
    out = np.full(2 * len(seq) + 1, blank, dtype=np.int64)
    out[1::2] = seq
    return out


def _log_add(*terms):
    """ln Σ eᵃ as PyTorch's kernel writes it: the largest term out front, 0 if all are −∞."""
    top = np.maximum.reduce(terms)
    top = np.where(top == NEG_INF, 0, top)
    return np.log(sum(np.exp(a - top) for a in terms)) + top


def _shifted(v: np.ndarray, by: int, allowed=None) -> np.ndarray:
    """v moved ``by`` states (−∞ where nothing moves in, or the move is not allowed)."""
    out = np.full_like(v, NEG_INF)
    if by > 0:
        out[by:] = v[:-by]
    else:
        out[:by] = v[-by:]
    return out if allowed is None else np.where(allowed, out, NEG_INF)


def _alpha(lp: np.ndarray, ext: np.ndarray) -> np.ndarray:
    """ln αₜ(s) for t < T, s < 2L + 1 (eq. 6–7 of Graves et al.)."""
    steps, states = lp.shape[0], len(ext)
    alpha = np.full((steps, states), NEG_INF, dtype=lp.dtype)
    if steps == 0:
        return alpha
    alpha[0, 0] = lp[0, ext[0]]
    if states > 1:
        alpha[0, 1] = lp[0, ext[1]]
    skip = np.zeros(states, dtype=bool)
    skip[2:] = ext[2:] != ext[:-2]  # a label may follow the one before last unless repeated
    for t in range(1, steps):
        prev = alpha[t - 1]
        alpha[t] = _log_add(prev, _shifted(prev, 1), _shifted(prev, 2, skip)) + lp[t, ext]
    return alpha


def _beta(lp: np.ndarray, ext: np.ndarray) -> np.ndarray:
    """ln βₜ(s), the backward recursion (eq. 10–11), as PyTorch's backward runs it."""
    steps, states = lp.shape[0], len(ext)
    beta = np.full((steps, states), NEG_INF, dtype=lp.dtype)
    if steps == 0:
        return beta
    beta[-1, -1] = lp[-1, ext[-1]]
    if states > 1:
        beta[-1, -2] = lp[-1, ext[-2]]
    skip = np.zeros(states, dtype=bool)
    skip[:-2] = ext[:-2] != ext[2:]
    for t in range(steps - 2, -1, -1):
        nxt = beta[t + 1]
        beta[t] = _log_add(nxt, _shifted(nxt, -1), _shifted(nxt, -2, skip)) + lp[t, ext]
    return beta


def _gradient(lp, ext, alpha, nll, scale):
    """PyTorch's ctc_loss_backward for one sequence: exp(lp) − exp(lcab + nll − lp), times the
    incoming gradient, where lcab = ln Σ_{s: l′ₛ = c} αₜ(s)βₜ(s) (−∞ for labels not in l′)."""
    steps, classes = lp.shape
    grad = np.zeros_like(lp)
    if steps == 0:
        return grad
    log_ab = alpha + _beta(lp, ext)
    lcab = np.full((steps, classes), NEG_INF, dtype=lp.dtype)
    for s, c in enumerate(ext):  # log+ over the states of each label, in PyTorch's order
        first = lcab[:-1, c] == NEG_INF
        lcab[:-1, c] = np.where(first, log_ab[:-1, s], _log_add(lcab[:-1, c], log_ab[:-1, s]))
    # The last step holds only the two final states, which PyTorch assigns rather than adds
    # (it assumes a blank and a label differ: with the blank among the labels, the second wins).
    lcab[-1, ext[-1]] = log_ab[-1, -1]
    if len(ext) > 1:
        lcab[-1, ext[-2]] = log_ab[-1, -2]
    with np.errstate(invalid="ignore", over="ignore"):
        return (np.exp(lp) - np.exp(lcab + nll - lp)) * scale


@loss(
    "ctc",
    gradient="∂ℓ/∂lp_t(c) = p_t(c) − Σ_{s: l′ₛ = c} αₜ(s)βₜ(s) / (p(l|x)·p_t(c)) (PyTorch's: "
             "the gradient of the logits behind the log-probs)",
    aliases=("ctcloss", "ctc-loss", "connectionist-temporal-classification"),
    family="sequence",
    formula="ℓ = −ln p(l|x), p(l|x) = Σ over alignments π of l: Πₜ p_t(πₜ) = "
            "α_{T−1}(2L) + α_{T−1}(2L−1)",
    reference="torch.nn.CTCLoss (blank=0, zero_infinity=False)",
    example="losscalc ctc --log-probs '-1.37,-0.67,-1.47; -1.68,-1.38,-0.58; -0.54,-1.44,-1.74' "
            "-t 1,2",
    pred_alias="log-probs",
    inputs=(
        Tensor("pred", "log-probabilities (log_softmax outputs) over the classes: (T, C) for "
                       "one sequence or (T, N, C) for N", grad=True),
        Tensor("target", "label sequences: (S) for one sequence, (N, S) padded, or all N "
                         "sequences one after another with --target-lengths"),
        Tensor("input_lengths", "time steps used of each sequence [default: all T]",
               required=False),
        Tensor("target_lengths", "labels of each sequence [default: S, the padded length]",
               required=False),
    ),
    params=(
        Param("blank", "int", 0, "the blank label's class index"),
        Param("zero_infinity", "bool", False,
              "impossible alignments (input too short) give 0 and no gradient instead of ∞"),
    ),
    check_through=_log_softmax,
)
def ctc(t, lp, y, input_lengths, target_lengths, *, blank=0, zero_infinity=False):
    """Connectionist temporal classification: −ln of the probability of the label sequence.

    p(l|x) sums, over every alignment of l′ (the labels with blanks around and between them)
    to the T time steps, the product of the per-step probabilities; the α recursion
    αₜ(s) = p_t(l′ₛ)·(αₜ₋₁(s) + αₜ₋₁(s−1) + αₜ₋₁(s−2)), the last term only where l′ₛ is not
    the blank and differs from l′ₛ₋₂, computes it in log space. An input too short for its
    labels gives ℓ = ∞ (--zero-infinity: 0). reduction mean divides each loss by its target
    length (at least 1), then averages over the sequences, as PyTorch. PyTorch's gradient is
    the gradient of the logits behind the log-probs (see the reference); the log-probs should
    be log_softmax outputs.
    """
    if lp.ndim not in (2, 3):
        raise InvalidData(f"ctc: {ref('pred')} must be (T, C) for one sequence or (T, N, C) for "
                          f"N; got shape {fmt_shape(lp.shape)}", loss="ctc", subjects=("pred",))
    batched = lp.ndim == 3
    if batched:
        lp.attrs["batched"] = False  # its first axis is time, not the sequences
    steps, classes = lp.shape[0], lp.shape[-1]
    n = lp.shape[1] if batched else 1
    if not 0 <= blank < classes:
        raise InvalidData(f"ctc: {ref('blank')} {blank} is not a class: expected 0 to "
                          f"{classes - 1}", loss="ctc", subjects=("blank",))
    values = lp.value.reshape(steps, n, classes)
    sequences, label_counts = _targets(y, n, batched, target_lengths, blank, classes, t)
    frames = _lengths(input_lengths, n, batched, "input_lengths", steps, steps,
                      "input lengths")
    _note_unnormalised(t, values, frames)

    ends = np.full((n, 2), NEG_INF, dtype=values.dtype)
    grads_of = []
    for b in range(n):
        ext = _extended(sequences[b], blank)
        alpha = _alpha(values[:frames[b], b], ext)
        if frames[b]:
            ends[b] = alpha[-1, -1], (alpha[-1, -2] if len(ext) > 1 else NEG_INF)
        elif len(ext) == 1:
            ends[b, 0] = 0.0  # no steps and no labels: probability 1
        grads_of.append((ext, alpha))
        _record_table(t, b, ext, alpha, batched)

    last = t.input(ends if batched else ends[0], "ln α_end")
    top = tape.amax(last, -1, "s")
    m = t.let("m", tape.where(top.value == NEG_INF, 0.0, top, N_("both are −∞")))
    log_lik = m + tape.log(tape.total(tape.exp(last - m), -1, "s", keepdims=True))

    def vjp(g):
        g = np.asarray(g).reshape(n)
        grad = np.zeros_like(values)
        nll = -log_lik.value.reshape(n)
        for b, (ext, alpha) in enumerate(grads_of):
            if zero_infinity and nll[b] == np.inf:
                continue  # PyTorch zeroes the gradient of an impossible sequence
            grad[:frames[b], b] = _gradient(values[:frames[b], b], ext, alpha, nll[b], g[b])
        return (grad.reshape(lp.shape),)

    shape = (n,) if batched else ()
    nll = t.let("nll", tape.fused(tape.reshape(-log_lik, shape), [lp], vjp))
    per_seq = nll
    if zero_infinity:
        per_seq = tape.where(nll.value == np.inf, 0.0, nll, "nll = ∞")
    out = t.let("ℓ", per_seq)
    length = t.input(np.maximum(label_counts, 1).reshape(shape), "L")
    return Losses(out, mean_terms=t.let("ℓ/L", out / length),
                  divides_by="each loss by its target length L (at least 1), then averages "
                             f"over the N = {n} sequence{'s' if n > 1 else ''}")


def _note_unnormalised(t, values, frames) -> None:
    totals = np.exp(values).sum(axis=-1)
    used = np.arange(values.shape[0])[:, None] < frames[None, :]
    off = used & ~np.isclose(totals, 1.0, rtol=0, atol=0.01)  # rounded inputs are fine
    if off.any():
        step, b = np.unravel_index(int(np.argmax(off)), off.shape)
        t.note(f"--log-probs should be log_softmax outputs, but the probabilities at time "
               f"{step} (sequence {b}) sum to {totals[step, b]:.4g}, not 1: PyTorch's "
               "gradient assumes they sum to 1")


def _record_table(t, b, ext, alpha, batched) -> None:
    """The α table of sequence b for the explanation (small sequences only)."""
    steps, states = alpha.shape
    who = N_(f" of sequence {b}") if batched else ""
    if steps * states == 0 or steps > TABLE_LIMIT or states > TABLE_LIMIT:
        t.table(f"α{who}", b, None, f"the α table{who} ({steps} steps × {states} states) is too "
                                 "large to show; shorter sequences show it")
        return
    probs = np.exp(alpha)
    ends = probs[-1, -2:][::-1] if states > 1 else probs[-1, -1:]
    total = " + ".join(f"{v:.6g}" for v in ends)
    t.table(f"α{who}", b, probs,
            f"α{who}: row t is αₜ(s) for the states s = 0 … {states - 1} of "
            f"l′ = ({', '.join(str(c) for c in ext)}); αₜ(s) = p_t(l′ₛ)·(αₜ₋₁(s) + αₜ₋₁(s−1) "
            "+ αₜ₋₁(s−2) where l′ₛ is a label unlike l′ₛ₋₂)",
            f"p(l|x) = α_{steps - 1}({states - 1})"
            + (f" + α_{steps - 1}({states - 2})" if states > 1 else "")
            + f" = {total} = {ends.sum():.6g}, and ℓ = −ln p(l|x)")
