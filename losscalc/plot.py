"""The curves `losscalc plot` draws, as numbers: a loss as a function of one prediction for a
fixed target, or an activation, each with its derivative — read from the core's gradient
(``core.compute``) or the activation's recorded derivative (``activations.compute_act``), never
from differences.

Pure data: NumPy and the core, no plotting library (the command module draws).

A loss is computed once over the whole grid, as a batch of N samples summed (``reduction
"sum"``), so that sample i's gradient is ∂ℓ_i/∂x_i:

- a loss of one number per element (l1, mse, huber, bce-logits …) on the grid itself;
- a loss that averages over the last axis (Keras' log-cosh, mape, hinge …) on one-entry rows,
  once it is checked to be that mean (ℓ([a, b]) = (ℓ([a]) + ℓ([b])) / 2);
- a loss of a vector (ce, nll, …) when one sample's whole prediction is given (``sample``):
  the entry ``vary`` follows the grid, the others stay as given.

    >>> from losscalc.plot import loss_curves
    >>> loss_curves(["mse"], [-1.0, 0.0, 1.0], target=0.0).curves[0].derivative
    array([-2.,  0.,  2.])
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from . import activations
from .core import compute
from .errors import InvalidData, UsageError
from .inputs import parse_range
from .losses import all_losses
from .losses import resolve as resolve_loss
from .names import KINDS, NAMES, hint
from .registry import LossSpec, normalize

POINTS = 201  # the grid's default size: odd, so a symmetric range has its midpoint (0) on it


class Curve(NamedTuple):
    name: str  # the canonical name
    label: str  # the legend: the name and the parameters given, `huber (delta=2)`
    value: np.ndarray  # ℓ(x) or f(x) on the grid
    derivative: np.ndarray  # ∂ℓ/∂x or f′(x) on the grid


class Plot(NamedTuple):
    kind: str  # "loss" or "activation"
    x: np.ndarray
    curves: list[Curve]
    xlabel: str  # what x is: "prediction x", "pred[1]" (one entry of --pred), "x"
    symbol: str  # x's symbol in the derivative: "x", "pred[1]"
    setting: str  # the fixed part, for the title: "target 0", "" for an activation


# ---------------------------------------------------------------------------------------------
# Options


def grid(low: float, high: float, points: int = POINTS) -> np.ndarray:
    """``points`` evenly spaced from ``low`` to ``high`` (descending when low > high, as
    --range A:B is read for act too)."""
    if points < 2:
        raise UsageError(f"--points must be at least 2, got {points}")
    return np.linspace(low, high, points)


def parse_params(items: list[str] | None) -> dict[str, str]:
    """`["delta=2", "pos-weight=3"]` → {"delta": "2", "pos_weight": "3"}: the former spelling
    --param NAME=VALUE (values as text: each curve's Param reads them)."""
    out: dict[str, str] = {}
    for item in items or ():
        name, sep, value = item.partition("=")
        key = normalize(name).replace("-", "_")
        if not sep or not key or not value.strip():
            raise UsageError(f"--param: expected NAME=VALUE such as delta=2, got {item!r}")
        out[key] = value.strip()
    return out


# ---------------------------------------------------------------------------------------------
# Names


# What plot draws: its names are those of the losses and the activations, as the name table
# has them, each without `act` before it.
TARGETS = ("loss", "activation")


def _suggestion(name: str) -> str:
    """The closest plot target, or a name of another kind as its call (`plot entropy` →
    'losscalc info entropy')."""
    all_losses()  # the losses join the name table
    return hint(name, KINDS, TARGETS, "run 'losscalc list' to see every loss and activation")


def resolve_names(text: str) -> tuple[str, list]:
    """`huber,mse,l1` → ("loss", [specs]); `sigmoid,tanh` → ("activation", [specs]).

    Aliases are accepted; each name once; losses and activations are not mixed (their x is
    not the same thing)."""
    from .names import listed

    specs = {"loss": all_losses(), "activation": activations.ACTIVATIONS}

    def one(name: str):
        entry = NAMES.lookup(name, TARGETS)
        if entry is None:
            raise UsageError(f"unknown loss or activation {name!r}", _suggestion(name))
        return entry.name, (entry.kind, specs[entry.kind][entry.name])

    found: list[tuple[str, Any]] = listed(text, one)
    if not found:
        raise UsageError("plot needs losses or activations separated by commas, such as "
                         "huber,mse,l1 or sigmoid")
    kinds = {kind for kind, _ in found}
    if len(kinds) > 1:
        loss = next(s.name for k, s in found if k == "loss")
        act = next(s.name for k, s in found if k == "activation")
        raise UsageError(f"plot draws losses or activations, not both: {loss} is a loss, "
                         f"{act} an activation", "plot them in two commands")
    return found[0][0], [spec for _, spec in found]


def params_for(specs: list, given: dict) -> list[dict]:
    """Each spec's parameters among ``given`` (text or values), read by its Param; a parameter
    none of them takes is a usage error that lists what they do take."""
    for name in given:
        if not any(name in {p.name for p in s.params} for s in specs):
            takes = sorted({p.name for s in specs for p in s.params})
            names = ", ".join(s.name for s in specs)
            option = "--" + name.replace("_", "-")
            raise UsageError(f"{option}: " + (f"none of {names} takes it" if len(specs) > 1
                                              else f"{names} has no such parameter"),
                             f"{'it takes' if len(specs) == 1 else 'they take'} "
                             f"{', '.join(takes)}" if takes else
                             f"{names} {'takes' if len(specs) == 1 else 'take'} no parameters")
    return [{p.name: p.read(given[p.name], p.option) for p in s.params if p.name in given}
            for s in specs]


# ---------------------------------------------------------------------------------------------
# Losses


def _sum_of(spec: LossSpec, pred, target, params) -> tuple[np.ndarray, np.ndarray, Any]:
    """(per-sample losses, ∂Σℓ/∂pred, class axis) of a batch."""
    r = compute(spec, pred, target, params, "sum")
    return np.asarray(r.elementwise), np.asarray(r.grad["pred"]), r.class_axis


def _is_vector_loss(spec: LossSpec, params: dict) -> bool:
    """Does the loss take one vector of class scores per sample (ce, nll, multi-margin …)?
    Asked of two samples of three classes, class 0 each."""
    try:
        _, _, class_axis = _sum_of(spec, np.zeros((2, 3)), np.zeros(2), params)
    except InvalidData:
        return False
    return class_axis == 1


def _vector_error(spec: LossSpec) -> UsageError:
    return UsageError(
        f"{spec.name} is a loss of a vector (one sample's scores, not one number), so it has "
        "no curve of a single prediction",
        f"give one sample's whole prediction with --pred and its --target; --range then "
        f"sweeps the entry --vary picks, e.g. losscalc plot {spec.name} --pred 0,0,0 "
        f"--target 0 --vary 0")


def _scalar_curve(spec: LossSpec, x: np.ndarray, target: float, params: dict):
    """ℓ(x) and ∂ℓ/∂x of a loss of one number, with the target fixed."""
    n = x.size
    first = None
    try:
        loss, grad, class_axis = _sum_of(spec, x, np.full(n, target), params)
        if loss.shape == (n,) and class_axis is None and grad.shape == (n,):
            return loss, grad
    except InvalidData as err:
        first = err
    if _is_vector_loss(spec, params):
        raise _vector_error(spec)
    # A mean over the last axis (Keras): one-entry rows are the loss of one number, if the
    # loss of a row is the mean of its entries' losses.
    try:
        loss, grad, class_axis = _sum_of(spec, x[:, None], np.full((n, 1), target), params)
        pairs, _, _ = _sum_of(spec, np.stack([x, x[::-1]], axis=1),
                              np.full((n, 2), target), params)
    except InvalidData as err:
        raise _over_range(spec, first or err, x) from None
    if (loss.shape == (n,) and class_axis == 1
            and np.allclose(pairs, (loss + loss[::-1]) / 2, rtol=1e-9, atol=1e-12,
                            equal_nan=True)):
        return loss, grad[:, 0]
    raise _vector_error(spec)


def _over_range(spec: LossSpec, err: InvalidData, x: np.ndarray) -> InvalidData:
    """The core's complaint about the grid, said of --range (its index is the grid's)."""
    import re

    # The index is the grid's, which the user never wrote: the message leaves it out.
    message = re.sub(r" at index \[[\d, ]*\]", "", err.template.removeprefix(f"{spec.name}: "))
    return InvalidData(f"{spec.name} is not defined over all of --range "
                       f"{x[0]:g}:{x[-1]:g}: {message}",
                       err.hint or "choose a --range inside the loss's domain", loss=err.loss,
                       subjects=err.subjects)


def _vector_curve(spec: LossSpec, x: np.ndarray, sample: np.ndarray, target: np.ndarray,
                  vary: int, params: dict):
    """ℓ and ∂ℓ/∂pred[vary] of one sample whose entry ``vary`` follows x."""
    n = x.size
    pred = np.repeat(sample[None], n, axis=0)
    pred.reshape(n, -1)[:, vary] = x
    try:
        loss, grad, _ = _sum_of(spec, pred, np.repeat(target[None], n, axis=0), params)
    except InvalidData as err:
        try:  # the sample as given, as `losscalc LOSS --pred … --target …` takes it
            _sum_of(spec, sample, target, params)
        except InvalidData as own:
            raise InvalidData(f"{spec.name} does not fit --pred and --target: "
                              f"{own.template.removeprefix(spec.name + ': ')}", own.hint,
                              loss=own.loss, subjects=own.subjects) from None
        raise _over_range(spec, err, x) from None
    if loss.shape == pred.shape:
        raise UsageError(f"{spec.name} gives one loss per element, not per sample: leave out "
                         "--pred (and --vary) to draw it against one number")
    if loss.shape != (n,):
        raise UsageError(f"{spec.name} does not give one loss per sample for --pred of shape "
                         f"{sample.shape}, so it has no curve")
    return loss, grad.reshape(n, -1)[:, vary]


def _check_alone(spec: LossSpec, loss: np.ndarray, pred_row, target_row, params) -> None:
    """Sample i's loss must not depend on the other samples of the batch."""
    alone, _, _ = _sum_of(spec, pred_row, target_row, params)
    i = loss.size // 2
    if not np.allclose(alone.reshape(-1)[0], loss[i], rtol=1e-9, atol=1e-12, equal_nan=True):
        raise InvalidData(f"{spec.name}: the loss of one sample depends on the others of its "
                          "batch, so it has no curve of one prediction")


def loss_curves(names, x, target=0.0, params: dict | None = None,
                sample=None, vary: int | None = None) -> Plot:
    """The curve and derivative of each loss over the grid ``x``.

    ``target`` is one number, or with ``sample`` (one sample's whole prediction, a vector whose
    entry ``vary`` follows x) the target of that sample in the loss's own form. ``params`` are
    parameter values (text or values), by name, read by each loss's Param; each loss takes
    those it has.
    """
    specs = [n if isinstance(n, LossSpec) else _loss(n) for n in names]
    for spec in specs:
        if not getattr(spec, "single_prediction", True):
            raise UsageError(f"{spec.name} is a loss of several tensors, not of one prediction: "
                             "plot cannot draw it")
    x = np.asarray(x, dtype=float)
    target = np.asarray(target, dtype=float)
    typed = params_for(specs, params or {})
    if sample is None:
        if vary is not None:
            raise UsageError("--vary picks an entry of --pred: give one sample's prediction "
                             "with --pred")
        if target.ndim:
            raise UsageError("--target: one number for a curve of one prediction, got shape "
                             f"{target.shape}", "a vector target goes with --pred")
        setting, xlabel = f"target {target.item():g}", "prediction x"
    else:
        sample = np.asarray(sample, dtype=float)
        if sample.ndim == 0:
            raise UsageError("--pred: give one sample's whole prediction (a vector); for a "
                             "loss of one number leave --pred out")
        vary = _default_vary(sample, target) if vary is None else vary
        if not 0 <= vary < sample.size:
            raise UsageError(f"--vary {vary}: --pred has {sample.size} entries (0 to "
                             f"{sample.size - 1})")
        setting = f"target {_fmt(target)}, pred {_fmt(sample)} with entry {vary} swept"
        xlabel = f"pred[{vary}]"
    curves = []
    for spec, p in zip(specs, typed):
        if sample is None:
            value, derivative = _scalar_curve(spec, x, target.item(), p)
            row = (x[x.size // 2:x.size // 2 + 1], np.full(1, target.item()))
        else:
            own = _sample_target(spec, sample, target, p)
            value, derivative = _vector_curve(spec, x, sample, own, vary, p)
            row = (_with(sample, vary, x[x.size // 2])[None], own[None])
        _check_alone(spec, value, *row, p)
        curves.append(Curve(spec.name, _label(spec.name, p), value, derivative))
    return Plot("loss", x, curves, xlabel, "x" if sample is None else xlabel, setting)


def _loss(name: str) -> LossSpec:
    spec = resolve_loss(name)
    if spec is None:
        raise UsageError(f"unknown loss {name!r}", _suggestion(name))
    return spec


def _sample_target(spec: LossSpec, sample: np.ndarray, target: np.ndarray,
                   params: dict) -> np.ndarray:
    """One number as the target of a whole sample: a class index for a loss of class scores,
    else the target of each entry."""
    if target.ndim == 0 and not _is_vector_loss(spec, params):
        return np.full(sample.shape, target.item())
    return target


def _default_vary(sample: np.ndarray, target: np.ndarray) -> int:
    """The target class when the target is a class index of the sample, else entry 0."""
    if target.ndim == 0 and float(target).is_integer() and 0 <= target < sample.size:
        return int(target)
    return 0


def _with(sample: np.ndarray, vary: int, value: float) -> np.ndarray:
    out = sample.astype(float).copy()
    out.reshape(-1)[vary] = value
    return out


def _fmt(a: np.ndarray) -> str:
    """`0` · `[0, 1, 0]` · `[0, 1, 0, 0, 0, 0, 0, 0, …]` (the first 8 entries)."""
    if a.ndim == 0:
        return f"{a.item():g}"
    flat = a.reshape(-1)
    return "[" + ", ".join(f"{v:g}" for v in flat[:8]) + (", …]" if flat.size > 8 else "]")


# ---------------------------------------------------------------------------------------------
# Activations


def activation_curves(names, x, params: dict | None = None) -> Plot:
    """The curve and derivative f′ of each elementwise activation over the grid ``x``."""
    specs = [n if isinstance(n, activations.Activation) else activations.resolve(n) for n in names]
    for spec in specs:
        if spec.along_axis:
            raise UsageError(f"{spec.name} acts on a vector (along --dim), not on one number, "
                             "so it has no curve",
                             f"losscalc act {spec.name} --x … shows its values and Jacobian")
    x = np.asarray(x, dtype=float)
    curves = []
    for spec, p in zip(specs, params_for(specs, params or {})):
        result = activations.compute_act(spec, x, p)
        curves.append(Curve(spec.name, _label(spec.name, p), result.value,
                            result.derivative))
    return Plot("activation", x, curves, "x", "x", "")


def title(plot: Plot) -> str:
    """`huber, mse, l1 at target 0`: the curves' names and what is fixed."""
    names = ", ".join(c.name for c in plot.curves)
    return f"{names} at {plot.setting}" if plot.setting else names


def _label(name: str, given: dict) -> str:
    """The legend entry: the name, and the parameters given (`huber (delta=2)`)."""
    def short(v) -> str:
        if isinstance(v, np.ndarray):
            return np.array2string(v, separator=",", threshold=6)
        return f"{v:g}" if isinstance(v, float) else str(v)

    shown = ", ".join(f"{k}={short(v)}" for k, v in given.items())
    return f"{name} ({shown})" if shown else name


__all__ = ["Curve", "Plot", "activation_curves", "grid", "loss_curves",
           "parse_params", "parse_range", "resolve_names", "title"]
