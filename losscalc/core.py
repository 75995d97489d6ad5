"""Run one loss: arrays and parameters in, a Result out (value, per-element losses, gradient,
the recorded steps). The reduction lives here, once, for every loss.

Imports only NumPy and the core modules, so it is what scripts and tests call directly:

    >>> from losscalc.core import compute
    >>> compute("mse", [1, 2, 3], [1, 2, 5]).value
    array(1.33333333)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import tape
from .errors import InvalidData, UsageError, ref
from .i18n import N_
from .limits import GRAD_CHECK_BUDGET, GRAD_CHECK_MAX_ELEMENTS, GRAD_CHECK_SEED
from .losses import resolve, suggest
from .recorder import Tape
from .registry import LossSpec
from .report import json_params


class Result(NamedTuple):
    """Everything one computation produced: the JSON object of docs/contract.md (section 7),
    as arrays."""

    loss: str
    reduction: str
    dtype: str
    value: np.ndarray
    elementwise: np.ndarray
    grad: dict[str, np.ndarray]
    shape: dict[str, list[int]]
    params: dict
    steps: list
    notes: list
    remarks: list
    class_axis: int | None
    symbols: dict
    divisor: float  # what the mean divides by: the element count, or CE's Σ w_y
    inputs: dict[str, np.ndarray]  # the tensors as computed with (in --dtype), by name
    batched: dict[str, bool]  # which tensors run over the samples along their first axis
    tables: list  # tables the explanation shows per sample (CTC's α), recorder.Table


def spec_for(name: str | LossSpec) -> LossSpec:
    if isinstance(name, LossSpec):
        return name
    spec = resolve(name)
    if spec is None:
        guess = suggest(name)
        raise UsageError(f"unknown loss {name!r}", f"did you mean {guess!r}?" if guess else
                         "run 'losscalc list' to see every loss")
    return spec


def prepare_params(spec: LossSpec, params: dict | None, dtype) -> dict:
    """Every parameter's value as the computation uses it: defaults filled in, each checked,
    tensors in the dtype (what the JSON's "params" reports, whichever path computed)."""
    values = spec.defaults()
    for key, value in (params or {}).items():
        if key not in values:
            raise UsageError(f"{spec.name} has no parameter {key!r}; it takes "
                             f"{', '.join(values) or 'none'}")
        values[key] = value
    for p in spec.params:
        value = values[p.name]
        if p.kind == "tensor" and value is not None:
            value = np.asarray(value, dtype=float)
            if np.isnan(value).any():
                raise InvalidData(f"{ref(p.name)}: NaN is not allowed", loss=spec.name,
                                  subjects=(p.name,))
            values[p.name] = value.astype(dtype)
        else:
            p.check(spec.name, value)
    return values


def reduction_note(spec: LossSpec, reduction: str) -> str | None:
    """What a reduction of this loss needs said whatever the input (a streamed table says it
    too, though its chunks are summed): kl's mean is not the KL divergence per sample."""
    if spec.name == "kl" and reduction == "mean":
        return N_("reduction 'mean' divides by every element (N·C), not by the batch size: use "
                  "--reduction batchmean for the KL divergence per sample")
    return None


def _reduce(t: Tape, spec: LossSpec, out, pred: tape.Node, reduction: str) -> tape.Node:
    if reduction not in spec.reductions:
        raise UsageError(f"{spec.name} has no reduction {reduction!r}; choose "
                         + ", ".join(spec.reductions))
    elem = out.elementwise
    if reduction == "none":
        return elem
    if reduction == "mean" and out.mean_terms is not None:
        terms = out.mean_terms
        summed = t.let(f"Σ({terms.name})", tape.exact_total(terms), "reduce")
        t.remark(f"the mean divides {out.divides_by}, as PyTorch")
        return t.let("loss", summed / t.const(terms.value.size, "N"), "reduce")
    summed = t.let("Σℓ", tape.exact_total(elem), "reduce")
    if reduction == "sum":
        return t.let("loss", summed, "reduce")
    if reduction == "batchmean":
        batch = pred.shape[0] if pred.ndim else 1
        if pred.ndim == 1:  # PyTorch's batchmean reads a lone distribution's classes as a batch
            t.remark(f"batchmean divides the sum by the size of the first dimension, N = {batch}: "
                     "for one 1-D distribution that is its number of classes, not 1, as PyTorch "
                     "does; give it as one row, shape (1, C), for the KL divergence of one "
                     "distribution (or use --reduction sum)")
        else:
            t.remark(f"batchmean divides the sum by the batch size N = {batch}, the first "
                     "dimension: the KL divergence per sample")
        return t.let("loss", summed / t.const(batch, "N"), "reduce")
    denominator = out.denominator
    if denominator is None:
        count = elem.value.size
        if spec.name == "kl":
            t.note(reduction_note(spec, reduction))
            shape = "·".join(str(n) for n in elem.shape)
            t.remark(f"the mean divides by n = {shape + ' = ' if elem.ndim > 1 else ''}{count}, "
                     "every element (batchmean would divide by the batch size)")
        else:
            t.remark(f"the mean divides by n = {count}, the number of per-element losses")
        denominator = t.const(count, "n")
    else:
        t.remark(f"the mean divides by {out.divides_by}")
    return t.let("loss", summed / denominator, "reduce")


def _inputs(spec: LossSpec, pred, target) -> dict:
    """The loss's tensors by name: ``pred`` is an array (with ``target``) or a dict of them."""
    inputs = dict(pred) if isinstance(pred, dict) else {"pred": pred}
    if target is not None:
        inputs["target"] = target
    if spec.single_prediction and "pred" in inputs:
        inputs["target"] = spec.target_for(inputs["pred"], inputs.get("target"))
    known = {t.name for t in spec.tensors}
    for name in inputs:
        if name not in known:
            raise UsageError(f"{spec.name} takes no tensor {name!r}; it takes "
                             + ", ".join(sorted(known)))
    for tensor in spec.tensors:
        value = inputs.get(tensor.name)
        if value is None:
            if tensor.required:
                raise UsageError(f"{spec.name} needs {ref(tensor.name)}",
                                 f"for example: {spec.example}", loss=spec.name,
                                 subjects=(tensor.name,))
        elif np.size(value) == 0:
            raise InvalidData(f"{spec.name}: {ref(tensor.name)} is empty; give at least one "
                              "number", loss=spec.name, subjects=(tensor.name,))
    return inputs


def compute(loss, pred, target=None, params: dict | None = None, reduction: str = "mean",
            dtype: str = "float64", *, gradient: bool = True, seed=None) -> Result:
    """Compute ``loss`` of ``pred`` against ``target``: value, per-element losses, gradient.

    ``pred`` is the prediction, or for a loss of several tensors a dict of them by name
    (``{"x1": …, "x2": …, "target": …}``); the gradient is keyed the same way.
    ``gradient=False`` stops before the backward pass (``grad`` is then empty): a streamed
    chunk whose losses are only summed needs no gradient. ``seed`` is the gradient fed into
    the value (1 when None): a streamed chunk, reduced by "sum", seeded with what the whole
    table's mean passes back to its sum (1/N) gets the mean's gradient bit for bit.
    """
    spec = spec_for(loss)
    tape.check_dtype(dtype)
    t = Tape(dtype)
    values = prepare_params(spec, params, t.dtype)
    inputs = _inputs(spec, pred, target)
    with np.errstate(all="ignore"):
        # Each tensor is called what the loss function calls it (x, z for logits, p for
        # probabilities, x1 …), so formulas read as the docstring does.
        leaves = {tensor.name: None if inputs.get(tensor.name) is None else
                  t.input(inputs[tensor.name], tensor.symbol, requires_grad=tensor.grad)
                  for tensor in spec.tensors}
        out = spec.fn(t, *leaves.values(), **values)
        first = next(iter(leaves.values()))
        value = _reduce(t, spec, out, first, reduction)
        grads = tape.backward(value, seed) if gradient else None
    present = {name: leaf for name, leaf in leaves.items() if leaf is not None}
    return Result(
        loss=spec.name,
        reduction=reduction,
        dtype=dtype,
        value=value.value,
        elementwise=out.elementwise.value,
        grad={} if grads is None else
        {tensor.name: grads.get(id(leaves[tensor.name]), np.zeros_like(leaves[tensor.name].value))
         for tensor in spec.tensors if tensor.grad},
        shape={name: list(leaf.shape) for name, leaf in present.items()},
        params=json_params(values),
        steps=t.steps,
        notes=t.notes,
        remarks=t.remarks,
        class_axis=out.class_axis,
        symbols={name: leaf.name for name, leaf in present.items()},
        divisor=float(out.elementwise.value.size if out.denominator is None
                      else out.denominator.value),
        inputs={name: leaf.value for name, leaf in present.items()},
        batched={name: bool(leaf.attrs.get("batched")) for name, leaf in present.items()},
        tables=t.tables,
    )


class GradCheck(NamedTuple):
    """Analytic gradient against central differences: the worst element and the verdict."""

    ok: bool
    checked: int
    worst_error: float
    worst_index: tuple
    analytic: float
    numeric: float
    input: str = "pred"  # which tensor the worst element belongs to
    sampled_from: int = 0  # when a sample was checked (GRAD_CHECK_BUDGET): of how many


def check_gradient(loss, pred, target=None, params=None, reduction="mean", dtype="float64",
                   max_elements: int = GRAD_CHECK_MAX_ELEMENTS) -> GradCheck:
    """Compare backward() with central differences of the value (of its sum for 'none').

    Every tensor that carries a gradient is checked (for a loss of several, ``pred`` is the
    dict of them, as for compute()). Differences are taken in float64 with a step
    h = 1e-6·max(1, |x|); elements whose neighbours x ± h leave the loss's domain (a
    probability past 0 or 1) are skipped. At a kink the two sides differ and PyTorch picks one:
    a gradient that equals the left or the right difference quotient there is right. A loss
    whose PyTorch gradient is that of another variable (LossSpec.check_through; CTC's is the
    logits') is differenced through the map, at the input mapped (normalised log-probs).
    Non-finite values (an infinite input) compare equal only when both sides agree exactly.
    """
    spec = spec_for(loss)
    inputs = _inputs(spec, pred, target)
    through = spec.check_through or (lambda x: x)
    if spec.check_through:  # checked where the map is the identity (normalised log-probs)
        with np.errstate(all="ignore"):  # an infinite input maps to nan, as compute() allows
            inputs["pred"] = through(np.asarray(inputs["pred"], dtype=float))
    result = compute(spec, inputs, None, params, reduction, dtype)

    def f(name, x):
        x = through(x) if name == "pred" else x
        return float(np.sum(compute(spec, {**inputs, name: x}, None, params, reduction,
                                    "float64").value))

    tol = 1e-5 if dtype == "float64" else 2e-3
    worst, checked = GradCheck(True, 0, 0.0, (), 0.0, 0.0), 0
    # Each element checked costs two evaluations of the whole loss: within the budget.
    size = sum(np.size(inputs[name]) for name in result.grad)
    max_elements = min(max_elements, max(1, GRAD_CHECK_BUDGET // (2 * max(size, 1))))
    with np.errstate(all="ignore"):  # ∞ − ∞ of an infinite input is a nan quotient: reported
        for name, analytic in result.grad.items():
            for index, a, numeric, error in _differences(f, name, inputs[name], analytic, tol,
                                                         max_elements):
                checked += 1
                if error >= worst.worst_error:
                    worst = GradCheck(True, 0, error, index, a, numeric, name)
    sampled = any(np.size(inputs[name]) > max_elements for name in result.grad)
    return worst._replace(ok=worst.worst_error <= tol, checked=checked,
                          sampled_from=size if sampled else 0)


def _differences(f, name, x0, analytic, tol, max_elements):
    """(index, analytic, numeric, error) for the elements of one tensor (at most
    ``max_elements``: a fixed random sample, the same on every run): central differences,
    and at a kink the one-sided quotient that agrees (PyTorch's side)."""
    x0 = np.asarray(x0, dtype=float)
    f_mid = f(name, x0)
    flat = np.arange(x0.size)
    if x0.size > max_elements:
        rng = np.random.default_rng(GRAD_CHECK_SEED)
        flat = np.sort(rng.choice(x0.size, max_elements, replace=False))
    for i in flat:
        index = np.unravel_index(i, x0.shape) if x0.ndim else ()
        h = 1e-6 * max(1.0, abs(x0[index]))
        try:
            up, down = x0.copy(), x0.copy()
            up[index] += h
            down[index] -= h
            f_up, f_down = f(name, up), f(name, down)
        except InvalidData:
            continue
        a = float(analytic[index])
        numeric = (f_up - f_down) / (2 * h)
        error = _relative_error(a, numeric)
        if error > tol:  # a kink? then one of the one-sided quotients is the convention
            sides = ((f_up - f_mid) / h, (f_mid - f_down) / h)
            one_sided = min(_relative_error(a, q) for q in sides)
            if one_sided <= 10 * tol:  # a one-sided quotient is first order in h
                error = one_sided
        yield tuple(int(j) for j in index), a, float(numeric), float(error)


def _relative_error(a: float, b: float) -> float:
    if not (np.isfinite(a) and np.isfinite(b)):
        return 0.0 if a == b else float("inf")
    return abs(a - b) / max(1.0, abs(a), abs(b))
